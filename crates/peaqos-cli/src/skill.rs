//! `peaqos skill install`: copies the agent skill (skills/peaqos/, embedded in the binary at
//! build time) where an agent looks for it.
//!
//! | agent | skill files | adapter |
//! |---|---|---|
//! | claude-code | `DIR/.claude/skills/peaqos/` | (none: Claude Code reads SKILL.md) |
//! | cursor | `DIR/.cursor/skills/peaqos/` | `DIR/.cursor/rules/peaqos.mdc` |
//! | windsurf | `DIR/.windsurf/skills/peaqos/` | `DIR/.windsurf/rules/peaqos.md` |
//!
//! A file that exists with other contents (edited by the user, or from another version) is
//! not overwritten without `--force`; identical files are left alone.

use crate::ui::Ui;
use crate::{CliError, mcp::SKILL_FILES};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use std::path::{Path, PathBuf};

/// `peaqos skill ...`.
#[derive(Debug, Subcommand)]
pub enum SkillCommand {
    /// Copy the peaqos agent skill where Claude Code, Cursor or Windsurf looks for it.
    Install(InstallArgs),
}

/// The agents the skill installs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Agent {
    /// Claude Code (`.claude/skills/peaqos/`, invoked as /peaqos).
    ClaudeCode,
    /// Cursor (`.cursor/skills/peaqos/` and the rule `.cursor/rules/peaqos.mdc`).
    Cursor,
    /// Windsurf (`.windsurf/skills/peaqos/` and the rule `.windsurf/rules/peaqos.md`).
    Windsurf,
}

/// `skill install`.
///
/// Examples:
///   peaqos skill install --agent claude-code            # this project: ./.claude/skills/peaqos
///   peaqos skill install --agent claude-code --dir ~    # every project: ~/.claude/skills/peaqos
///   peaqos skill install --agent cursor --force         # replace changed files
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct InstallArgs {
    /// The agent to install for.
    #[arg(long, value_enum)]
    pub agent: Agent,
    /// The project (or home) directory the agent's folder lives in.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite files whose contents differ from this version's.
    #[arg(long)]
    pub force: bool,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The files to write for `agent` under `dir`: `(target path, contents)`. The skill's
/// `adapters/` go only where their agent reads them.
pub fn plan(agent: Agent, dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let (skill_dir, adapter): (&str, Option<(&str, &str)>) = match agent {
        Agent::ClaudeCode => (".claude/skills/peaqos", None),
        Agent::Cursor => (
            ".cursor/skills/peaqos",
            Some(("adapters/cursor.mdc", ".cursor/rules/peaqos.mdc")),
        ),
        Agent::Windsurf => (
            ".windsurf/skills/peaqos",
            Some(("adapters/windsurf.md", ".windsurf/rules/peaqos.md")),
        ),
    };
    let mut out = Vec::new();
    for (rel, text) in SKILL_FILES {
        if rel.starts_with("adapters/") {
            if let Some((from, to)) = adapter
                && *rel == from
            {
                out.push((dir.join(to), *text));
            }
        } else {
            out.push((dir.join(skill_dir).join(rel), *text));
        }
    }
    out
}

/// What installing did to each file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Written (new).
    pub written: Vec<PathBuf>,
    /// Replaced (changed, with --force).
    pub replaced: Vec<PathBuf>,
    /// Already identical.
    pub unchanged: Vec<PathBuf>,
}

/// Installs the skill; nothing is written when a changed file would be overwritten without
/// `force` (exit 1, naming the files).
pub fn install(agent: Agent, dir: &Path, force: bool) -> Result<Outcome, CliError> {
    let files = plan(agent, dir);
    let mut out = Outcome::default();
    let mut changed = Vec::new();
    for (path, text) in &files {
        match std::fs::read(path) {
            Ok(old) if old == text.as_bytes() => out.unchanged.push(path.clone()),
            Ok(_) => changed.push(path.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(CliError::user(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        }
    }
    if !changed.is_empty() && !force {
        return Err(CliError::user(format!(
            "{} file(s) differ from this version's skill and were left alone: {} (pass --force to overwrite them)",
            changed.len(),
            changed
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    for (path, text) in &files {
        if out.unchanged.contains(path) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CliError::user(format!("cannot create {}: {e}", parent.display())))?;
        }
        std::fs::write(path, text)
            .map_err(|e| CliError::user(format!("cannot write {}: {e}", path.display())))?;
        if changed.contains(path) {
            out.replaced.push(path.clone());
        } else {
            out.written.push(path.clone());
        }
    }
    Ok(out)
}

/// Runs a `skill` subcommand.
pub async fn run(cmd: SkillCommand, ui: &Ui) -> Result<(), CliError> {
    match cmd {
        SkillCommand::Install(a) => {
            let o = install(a.agent, &a.dir, a.force)?;
            let names = |v: &[PathBuf]| {
                v.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
            };
            if a.json {
                crate::outln!(
                    "{}",
                    json!({
                        "agent": a.agent.to_possible_value().map(|v| v.get_name().to_string()),
                        "written": names(&o.written),
                        "replaced": names(&o.replaced),
                        "unchanged": names(&o.unchanged),
                    })
                )?;
                return Ok(());
            }
            for p in &o.written {
                crate::outln!("written    {}", p.display())?;
            }
            for p in &o.replaced {
                crate::outln!("replaced   {}", p.display())?;
            }
            for p in &o.unchanged {
                crate::outln!("unchanged  {}", p.display())?;
            }
            ui.info(match a.agent {
                Agent::ClaudeCode => "Claude Code: invoke /peaqos (register the MCP server too: claude mcp add peaqos -- peaqos mcp)",
                Agent::Cursor => "Cursor: describe what you want (\"onboard my machine to peaqOS\"); the rule loads the skill",
                Agent::Windsurf => "Windsurf: describe what you want in Cascade; the rule loads the skill",
            });
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_agent_gets_the_skill_and_its_own_adapter_only() {
        let d = Path::new("/p");
        let c = plan(Agent::ClaudeCode, d);
        assert!(
            c.iter()
                .any(|(p, _)| p == Path::new("/p/.claude/skills/peaqos/SKILL.md"))
        );
        assert!(
            c.iter()
                .all(|(p, _)| p.starts_with("/p/.claude/skills/peaqos"))
        );
        assert!(
            !c.iter()
                .any(|(p, _)| p.to_string_lossy().contains("adapters"))
        );
        let cu = plan(Agent::Cursor, d);
        assert!(
            cu.iter()
                .any(|(p, _)| p == Path::new("/p/.cursor/rules/peaqos.mdc"))
        );
        assert!(
            cu.iter()
                .any(|(p, _)| p == Path::new("/p/.cursor/skills/peaqos/AGENT-PROMPT.md"))
        );
        let w = plan(Agent::Windsurf, d);
        assert!(
            w.iter()
                .any(|(p, _)| p == Path::new("/p/.windsurf/rules/peaqos.md"))
        );
        assert!(
            !w.iter()
                .any(|(p, _)| p.to_string_lossy().contains("cursor"))
        );
    }
}
