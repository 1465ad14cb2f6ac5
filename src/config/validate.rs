//! Validation with complete reports: every unknown key, wrong type and missing path is
//! listed (not just the first), each with file, line, dotted key and reason.

use super::model::Config;
use super::paths::expand_tilde;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub key: String,
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.reason)
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Bool,
    Path,
    OneOf(&'static [&'static str]),
}

const GENERAL: &[(&str, Kind)] = &[
    (
        "sort",
        Kind::OneOf(&["date", "sender", "subject", "size", "thread-activity"]),
    ),
    ("reverse", Kind::Bool),
    ("threaded", Kind::Bool),
    ("trash", Kind::Str),
    ("archive", Kind::Str),
    ("mark-read-on-open", Kind::Bool),
    ("index", Kind::Str),
];
const ACCOUNT_KINDS: &[&str] = &["maildir"];
const MAILDIR: &[(&str, Kind)] = &[("path", Kind::Path)];

struct Checker<'a> {
    file: &'a Path,
    text: &'a str,
    problems: Vec<ConfigError>,
}

impl Checker<'_> {
    fn problem(&mut self, key: &str, reason: impl Into<String>) {
        // A missing key has no line of its own: point at its table.
        let line = line_of(self.text, key).or_else(|| {
            key.rsplit_once('.')
                .and_then(|(t, _)| line_of(self.text, t))
        });
        self.problems.push(ConfigError {
            path: self.file.to_path_buf(),
            line,
            key: key.into(),
            reason: reason.into(),
        });
    }

    fn table<'t>(&mut self, key: &str, v: &'t Value) -> Option<&'t Table> {
        match v {
            Value::Table(t) => Some(t),
            other => {
                self.problem(key, format!("expected a table, found {}", other.type_str()));
                None
            }
        }
    }

    fn fields(&mut self, prefix: &str, t: &Table, schema: &[(&str, Kind)], required: &[&str]) {
        for (k, v) in t {
            let key = format!("{prefix}.{k}");
            match schema.iter().find(|(n, _)| n == k) {
                None => {
                    let names: Vec<&str> = schema.iter().map(|(n, _)| *n).collect();
                    self.problem(
                        &key,
                        format!("unknown key (expected one of: {})", names.join(", ")),
                    );
                }
                Some((_, kind)) => self.value(&key, v, *kind),
            }
        }
        for r in required {
            if !t.contains_key(*r) {
                self.problem(&format!("{prefix}.{r}"), "missing (required)");
            }
        }
    }

    fn value(&mut self, key: &str, v: &Value, kind: Kind) {
        match (kind, v) {
            (Kind::Bool, Value::Boolean(_)) | (Kind::Str, Value::String(_)) => {}
            (Kind::OneOf(allowed), Value::String(s)) if !allowed.contains(&s.as_str()) => {
                self.problem(key, format!("{s:?} is not one of: {}", allowed.join(", ")))
            }
            (Kind::OneOf(_), Value::String(_)) => {}
            (Kind::Path, Value::String(s)) => {
                let p = expand_tilde(Path::new(s));
                if !p.exists() {
                    self.problem(key, format!("path {} does not exist", p.display()));
                } else if !p.is_dir() {
                    self.problem(key, format!("path {} is not a directory", p.display()));
                }
            }
            (Kind::Bool, other) => self.problem(
                key,
                format!("expected true or false, found {}", other.type_str()),
            ),
            (_, other) => self.problem(
                key,
                format!("expected a string, found {}", other.type_str()),
            ),
        }
    }
}

/// Parses and validates config text; `file` is only used in messages.
pub fn parse_config(file: &Path, text: &str) -> Result<Config, Vec<ConfigError>> {
    let root: Table = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        vec![ConfigError {
            path: file.to_path_buf(),
            line,
            key: String::new(),
            reason: format!("TOML syntax: {}", e.message()),
        }]
    })?;
    let mut c = Checker {
        file,
        text,
        problems: Vec::new(),
    };
    for (k, v) in &root {
        match k.as_str() {
            "general" => {
                if let Some(t) = c.table("general", v) {
                    c.fields("general", t, GENERAL, &[]);
                }
            }
            "accounts" => {
                if let Some(accounts) = c.table("accounts", v) {
                    for (name, acc) in accounts {
                        let key = format!("accounts.{name}");
                        let Some(t) = c.table(&key, acc) else {
                            continue;
                        };
                        if t.is_empty() {
                            c.problem(
                                &key,
                                format!(
                                    "no account type (expected one of: {})",
                                    ACCOUNT_KINDS.join(", ")
                                ),
                            );
                        }
                        for (kind, body) in t {
                            let k2 = format!("{key}.{kind}");
                            match kind.as_str() {
                                "maildir" => {
                                    if let Some(m) = c.table(&k2, body) {
                                        c.fields(&k2, m, MAILDIR, &["path"]);
                                    }
                                }
                                "imap" | "pop3" | "nntp" | "smtp" => c.problem(
                                    &k2,
                                    format!(
                                        "{kind} accounts are not supported by this version yet"
                                    ),
                                ),
                                _ => c.problem(
                                    &k2,
                                    format!(
                                        "unknown account type (expected one of: {})",
                                        ACCOUNT_KINDS.join(", ")
                                    ),
                                ),
                            }
                        }
                    }
                }
            }
            "keys" => {
                if let Some(t) = c.table("keys", v) {
                    for (key, action) in t {
                        if !action.is_str() {
                            c.problem(
                                &format!("keys.{key}"),
                                format!("expected an action name, found {}", action.type_str()),
                            );
                        }
                    }
                }
            }
            other => c.problem(
                other,
                "unknown section (expected one of: general, accounts, keys)",
            ),
        }
    }
    if !c.problems.is_empty() {
        c.problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        return Err(c.problems);
    }
    let mut config: Config = toml::from_str(text).map_err(|e| {
        vec![ConfigError {
            path: file.to_path_buf(),
            line: None,
            key: String::new(),
            reason: e.message().to_string(),
        }]
    })?;
    for acc in config.accounts.values_mut() {
        if let super::model::Source::Maildir(m) = &mut acc.source {
            m.path = expand_tilde(&m.path);
        }
    }
    if let Some(ix) = config.general.index.as_mut() {
        *ix = expand_tilde(ix);
    }
    Ok(config)
}

/// Best-effort line of a dotted key: the line that assigns its last component after the
/// table header that holds it (or the header itself).
fn line_of(text: &str, key: &str) -> Option<usize> {
    let parts: Vec<&str> = key.split('.').collect();
    let (last, table) = parts.split_last()?;
    let table = table.join(".");
    let mut in_table = table.is_empty();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(h) = line.strip_prefix('[') {
            let name = h
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .replace('"', "");
            if name == key {
                return Some(i + 1);
            }
            in_table = name == table;
            continue;
        }
        if in_table {
            let lhs = line
                .split('=')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"');
            if line.contains('=') && lhs == *last {
                return Some(i + 1);
            }
        }
    }
    None
}
