//! Generates the Rust message types of `peaq_ros2_interfaces` from its `.srv` files (the same
//! files a ROS 2 workspace builds with rosidl), so the two cannot drift: a field added, removed,
//! renamed or retyped in a `.srv` file changes the Rust type, and the handlers stop compiling.
//!
//! Supported field types: the ROS 2 primitives the package uses (`bool`, `uint8`, `uint64`,
//! `string`) and unbounded arrays of them (`uint64[]`). Anything else fails the build with the
//! file and line. An empty request or response gets rosidl's placeholder field
//! `uint8 structure_needs_at_least_one_member`, as every ROS 2 RMW puts on the wire.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn rust_type(ros: &str, file: &Path, line: usize) -> String {
    let (base, array) = match ros.strip_suffix("[]") {
        Some(b) => (b, true),
        None => (ros, false),
    };
    let t = match base {
        "bool" => "bool",
        "uint8" | "byte" => "u8",
        "uint16" => "u16",
        "uint32" => "u32",
        "uint64" => "u64",
        "int8" => "i8",
        "int16" => "i16",
        "int32" => "i32",
        "int64" => "i64",
        "float32" => "f32",
        "float64" => "f64",
        "string" => "String",
        other => panic!(
            "{}:{line}: field type `{other}` is not supported by the generator",
            file.display()
        ),
    };
    if array {
        format!("Vec<{t}>")
    } else {
        t.to_string()
    }
}

fn fields(part: &str, file: &Path, first_line: usize) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (i, raw) in part.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut it = line.split_whitespace();
        let (Some(ty), Some(name), None) = (it.next(), it.next(), it.next()) else {
            panic!(
                "{}:{}: expected `<type> <name>`",
                file.display(),
                first_line + i
            );
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{}:{}: field name `{name}` is not snake_case",
            file.display(),
            first_line + i
        );
        out.push((
            name.to_string(),
            ty.to_string(),
            rust_type(ty, file, first_line + i),
        ));
    }
    if out.is_empty() {
        out.push((
            "structure_needs_at_least_one_member".into(),
            "uint8".into(),
            "u8".into(),
        ));
    }
    out
}

fn emit_struct(code: &mut String, name: &str, doc: &str, fields: &[(String, String, String)]) {
    writeln!(code, "#[doc = {doc:?}]").unwrap();
    writeln!(
        code,
        "#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]"
    )
    .unwrap();
    writeln!(code, "pub struct {name} {{").unwrap();
    for (f, ros, rust) in fields {
        writeln!(code, "    #[doc = \"`{ros} {f}`\"]").unwrap();
        writeln!(code, "    pub {f}: {rust},").unwrap();
    }
    writeln!(code, "}}").unwrap();
    writeln!(code, "impl ros2_client::Message for {name} {{}}").unwrap();
    // Responses: the uniform failure / success constructors over the fields the type has.
    let has = |f: &str| fields.iter().any(|(n, _, _)| n == f);
    if has("success") && has("error") {
        writeln!(code, "impl crate::outcome::Outcome for {name} {{").unwrap();
        writeln!(
            code,
            "    fn failed(code: &str, field: &str, message: &str) -> Self {{"
        )
        .unwrap();
        writeln!(code, "        let _ = (code, field);").unwrap();
        writeln!(code, "        Self {{").unwrap();
        writeln!(code, "            success: false,").unwrap();
        if has("error_code") {
            writeln!(code, "            error_code: code.to_string(),").unwrap();
        }
        if has("error_field") {
            writeln!(code, "            error_field: field.to_string(),").unwrap();
        }
        writeln!(code, "            error: message.to_string(),").unwrap();
        writeln!(code, "            ..Default::default()").unwrap();
        writeln!(code, "        }}").unwrap();
        writeln!(code, "    }}").unwrap();
        writeln!(
            code,
            "    fn succeeded(mut self) -> Self {{ self.success = true; self }}"
        )
        .unwrap();
        writeln!(code, "    fn is_success(&self) -> bool {{ self.success }}").unwrap();
        writeln!(code, "}}").unwrap();
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let dir = manifest.join("../../peaq_ros2_interfaces/srv");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "srv"))
        .collect();
    files.sort();
    let mut code =
        String::from("// Generated by build.rs from peaq_ros2_interfaces/srv. Do not edit.\n");
    let mut table = String::new();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let ty = file.file_stem().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let seps: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].trim() == "---")
            .collect();
        let [sep] = seps[..] else {
            panic!("{}: expected exactly one `---` separator", file.display());
        };
        let req_f = fields(&lines[..sep].join("\n"), file, 1);
        let resp_f = fields(&lines[sep + 1..].join("\n"), file, sep + 2);
        emit_struct(
            &mut code,
            &format!("{ty}Request"),
            &format!("Request of `peaq_ros2_interfaces/srv/{ty}`."),
            &req_f,
        );
        emit_struct(
            &mut code,
            &format!("{ty}Response"),
            &format!("Response of `peaq_ros2_interfaces/srv/{ty}`."),
            &resp_f,
        );
        let list = |f: &[(String, String, String)]| {
            f.iter()
                .map(|(n, r, _)| format!("({n:?}, {r:?})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            table,
            "    SrvDef {{ type_name: {ty:?}, request: &[{}], response: &[{}] }},",
            list(&req_f),
            list(&resp_f)
        )
        .unwrap();
    }
    writeln!(
        code,
        "/// Every service type of the package, with its fields as generated (name, ROS type).\npub const SRV_DEFS: &[SrvDef] = &[\n{table}];"
    )
    .unwrap();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("peaq_ros2_interfaces.rs");
    std::fs::write(out, code).unwrap();
}
