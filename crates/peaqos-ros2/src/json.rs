//! `json.dumps(..., sort_keys=True)` for bodies passed through unchanged: object keys sorted
//! (recursively), numbers kept digit for digit (a uint256 never goes through f64), strings
//! re-escaped by serde_json. Compact separators (`", "`/`": "` are Python's; ROS clients parse
//! the JSON, not its whitespace).

use std::collections::BTreeMap;

use serde_json::Value;

/// A parsed JSON value whose numbers keep their source text.
#[derive(Debug, Clone, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(BTreeMap<String, J>),
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("invalid JSON at byte {}: {what}", self.i))
    }
    fn lit(&mut self, word: &str, v: J) -> Result<J, String> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            self.err("unexpected token")
        }
    }
    fn string(&mut self) -> Result<String, String> {
        // Find the closing quote, honouring escapes, and let serde_json decode the slice.
        let start = self.i;
        self.i += 1;
        while self.i < self.s.len() {
            match self.s[self.i] {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return serde_json::from_slice::<String>(&self.s[start..self.i])
                        .map_err(|e| format!("invalid JSON string: {e}"));
                }
                _ => self.i += 1,
            }
        }
        self.err("unterminated string")
    }
    fn value(&mut self, depth: usize) -> Result<J, String> {
        if depth > 128 {
            return self.err("nested too deeply");
        }
        self.ws();
        let Some(&c) = self.s.get(self.i) else {
            return self.err("unexpected end");
        };
        match c {
            b'n' => self.lit("null", J::Null),
            b't' => self.lit("true", J::Bool(true)),
            b'f' => self.lit("false", J::Bool(false)),
            b'"' => Ok(J::Str(self.string()?)),
            b'[' => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(J::Arr(v));
                }
                loop {
                    v.push(self.value(depth + 1)?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(J::Arr(v));
                        }
                        _ => return self.err("expected , or ]"),
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut m = BTreeMap::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(J::Obj(m));
                }
                loop {
                    self.ws();
                    if self.s.get(self.i) != Some(&b'"') {
                        return self.err("expected a key");
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return self.err("expected :");
                    }
                    self.i += 1;
                    let v = self.value(depth + 1)?;
                    m.insert(k, v);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(J::Obj(m));
                        }
                        _ => return self.err("expected , or }"),
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
                // Validate the number's grammar with serde_json (as f64; the text is kept).
                if serde_json::from_str::<serde_json::Number>(text).is_err() {
                    return self.err("invalid number");
                }
                Ok(J::Num(text.to_string()))
            }
            _ => self.err("unexpected character"),
        }
    }
}

fn write(j: &J, out: &mut String) {
    match j {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => out.push_str(n),
        J::Str(s) => out.push_str(&serde_json::to_string(s).expect("strings serialize")),
        J::Arr(v) => {
            out.push('[');
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(x, out);
            }
            out.push(']');
        }
        J::Obj(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&serde_json::to_string(k).expect("strings serialize"));
                out.push_str(": ");
                write(v, out);
            }
            out.push('}');
        }
    }
}

fn parse(body: &[u8]) -> Result<J, String> {
    let mut p = P { s: body, i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i != body.len() {
        return p.err("trailing characters");
    }
    Ok(v)
}

/// A JSON object body re-written with sorted keys, numbers untouched. `Err` for invalid JSON
/// or a body that is not an object.
pub fn sorted_object(body: &[u8]) -> Result<String, String> {
    let j = parse(body)?;
    if !matches!(j, J::Obj(_)) {
        return Err("the response body is not a JSON object".into());
    }
    let mut out = String::new();
    write(&j, &mut out);
    Ok(out)
}

/// A serde_json value with sorted keys, whatever serde_json's map order is.
pub fn sorted(v: &Value) -> String {
    let text = serde_json::to_vec(v).expect("values serialize");
    let j = parse(&text).expect("serde_json writes valid JSON");
    let mut out = String::new();
    write(&j, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sorted_numbers_kept() {
        let body = br#"{"b": 1, "a": {"z": 115792089237316195423570985008687907853269984665640564039457584007913129639935, "y": [3, 1.50, "x\u00e9"]}}"#;
        assert_eq!(
            sorted_object(body).unwrap(),
            r#"{"a": {"y": [3, 1.50, "xé"], "z": 115792089237316195423570985008687907853269984665640564039457584007913129639935}, "b": 1}"#
        );
    }

    #[test]
    fn non_objects_and_garbage_refused() {
        assert!(sorted_object(b"[1]").is_err());
        assert!(sorted_object(b"{\"a\":}").is_err());
        assert!(sorted_object(b"{} x").is_err());
        assert!(sorted_object(b"{\"a\": 01x}").is_err());
    }
}
