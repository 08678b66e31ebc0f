//! The `.env` file every peaqOS tool reads and writes (and peaq's Python CLI reads too): one
//! model of its text, so the devnet's `--env-out`, `peaqos up`, `peaqos init` and
//! `peaqos wallet use` write the same layout.
//!
//! Pure: [`EnvFile::parse`] keeps every line it does not change (comments, blank lines, other
//! variables, `export ` prefixes), [`EnvFile::set`] replaces or appends one variable and
//! [`EnvFile::render`] gives the text back. Writing the file (0600, atomically) is the caller's.

use crate::network::ContractAddresses;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    /// A variable: its name, and the line as written (kept verbatim unless set).
    Var { key: String, text: String },
    /// A comment, blank or unparsable line, kept as written.
    Other(String),
}

/// The lines of a dotenv file.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct EnvFile {
    lines: Vec<Line>,
}

/// The file may hold a private key: never print its content through `Debug`.
impl std::fmt::Debug for EnvFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvFile")
            .field("lines", &self.lines.len())
            .finish_non_exhaustive()
    }
}

/// `value` as a dotenv value: bare when it is made of URL/address-safe characters, else
/// double-quoted with `\` and `"` escaped.
pub(crate) fn quote(value: &str) -> String {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@:/,+".contains(c))
    {
        value.to_string()
    } else {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The variable name of a line (`KEY=...` or `export KEY=...`), if it assigns one.
fn key_of(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if t.starts_with('#') {
        return None;
    }
    let t = t.strip_prefix("export ").unwrap_or(t);
    let (k, _) = t.split_once('=')?;
    let k = k.trim();
    (!k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(k)
}

impl EnvFile {
    /// An empty file.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses existing text; nothing is lost when it is rendered again.
    pub fn parse(text: &str) -> Self {
        let lines = text
            .lines()
            .map(|l| match key_of(l) {
                Some(k) => Line::Var {
                    key: k.to_string(),
                    text: l.to_string(),
                },
                None => Line::Other(l.to_string()),
            })
            .collect();
        Self { lines }
    }

    /// Appends a comment line (`# text`).
    pub fn comment(&mut self, text: &str) -> &mut Self {
        self.lines.push(Line::Other(format!("# {text}")));
        self
    }

    /// Sets `key` to `value`: replaces its first assignment (and drops later duplicates) or
    /// appends it.
    pub fn set(&mut self, key: &str, value: &str) -> &mut Self {
        let text = format!("{key}={}", quote(value));
        let mut seen = false;
        self.lines.retain_mut(|l| match l {
            Line::Var { key: k, text: t } if k == key => {
                if seen {
                    return false;
                }
                seen = true;
                *t = text.clone();
                true
            }
            _ => true,
        });
        if !seen {
            self.lines.push(Line::Var {
                key: key.to_string(),
                text,
            });
        }
        self
    }

    /// Removes every assignment of `key`.
    pub fn remove(&mut self, key: &str) -> &mut Self {
        self.lines
            .retain(|l| !matches!(l, Line::Var { key: k, .. } if k == key));
        self
    }

    /// The value of `key` as written (quotes removed), if it is set.
    pub fn get(&self, key: &str) -> Option<String> {
        self.lines.iter().find_map(|l| match l {
            Line::Var { key: k, text } if k == key => {
                let (_, v) = text.split_once('=')?;
                let v = v.trim();
                Some(
                    match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
                        None => v.to_string(),
                    },
                )
            }
            _ => None,
        })
    }

    /// Sets every `*_ADDRESS` of a deployment (unset optional ones are removed).
    pub fn set_addresses(&mut self, addresses: &ContractAddresses) -> &mut Self {
        for (key, value) in addresses.entries() {
            match value {
                Some(a) => self.set(key, &a.to_checksum(None)),
                None => self.remove(key),
            };
        }
        self
    }

    /// The text, one line per entry, ending with a newline.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for l in &self.lines {
            match l {
                Line::Var { text, .. } | Line::Other(text) => s.push_str(text),
            }
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_in_place_and_keeps_every_other_line() {
        let text = "# peaq init\nPEAQOS_NETWORK=agung\n\nexport PEAQOS_RPC_URL=http://x\nOTHER = 1\nPEAQOS_NETWORK=dup\n";
        let mut f = EnvFile::parse(text);
        f.set("PEAQOS_NETWORK", "devnet").set("NEW_VAR", "a b");
        assert_eq!(
            f.render(),
            "# peaq init\nPEAQOS_NETWORK=devnet\n\nexport PEAQOS_RPC_URL=http://x\nOTHER = 1\nNEW_VAR=\"a b\"\n"
        );
        assert_eq!(f.get("PEAQOS_RPC_URL").as_deref(), Some("http://x"));
        assert_eq!(f.get("OTHER").as_deref(), Some("1"));
        assert_eq!(f.get("NEW_VAR").as_deref(), Some("a b"));
        assert_eq!(f.get("MISSING"), None);
    }

    #[test]
    fn parse_then_render_is_lossless() {
        let text = "A=1\n# c\n  B=\"q \\\" x\"\n\nnot a var\n";
        assert_eq!(EnvFile::parse(text).render(), text);
    }

    #[test]
    fn quoting_round_trips() {
        for v in [
            "plain",
            "http://127.0.0.1:8545",
            "with space",
            "q\"uote",
            "back\\slash",
            "",
        ] {
            let mut f = EnvFile::new();
            f.set("K", v);
            assert_eq!(EnvFile::parse(&f.render()).get("K").as_deref(), Some(v));
        }
    }

    #[test]
    fn addresses_are_checksummed_and_unset_ones_removed() {
        let addresses = crate::network::Network::Mainnet
            .preset_addresses()
            .expect("mainnet preset");
        let mut f = EnvFile::parse("MACHINE_NFT_ADAPTER_ADDRESS=0xdead\n");
        let mut without_adapter = addresses;
        without_adapter.machine_nft_adapter = None;
        f.set_addresses(&without_adapter);
        assert_eq!(f.get("MACHINE_NFT_ADAPTER_ADDRESS"), None);
        assert_eq!(
            f.get("IDENTITY_REGISTRY_ADDRESS"),
            Some(addresses.identity_registry.to_checksum(None))
        );
    }

    #[test]
    fn debug_never_shows_values() {
        let mut f = EnvFile::new();
        f.set("PEAQOS_PRIVATE_KEY", "0xsecret");
        assert!(!format!("{f:?}").contains("secret"));
    }
}
