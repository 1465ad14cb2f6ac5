//! Validation with complete reports: every unknown key, wrong type, value outside its
//! set, missing required key and missing path is listed (not just the first), each as
//! `file:line: dotted.key: reason`, sorted by line.
//!
//! The keys and types come from the serde model through `schema.rs`; the spans come
//! from toml's spanned parse, and byte offsets become lines through one line index, so
//! checking is linear in the size of the file however many problems it has.

use super::model::{Config, Secret, Sending, Source};
use super::paths::expand_tilde;
use super::schema::{Shape, StructShape, config_shape};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

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

/// Byte offset to 1-based line, built once per file.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }
}

/// Everything `check-config` needs from one pass over a file.
pub struct Checked {
    pub config: Result<Config, Vec<ConfigError>>,
    /// Valid, but worth saying (an account type this version cannot open yet, a
    /// password in a file others can read).
    pub warnings: Vec<ConfigError>,
    /// The `[keys]` entries whose value is a string, even when other keys are wrong,
    /// so the keymap can check every binding.
    pub bindings: BTreeMap<String, String>,
    /// The line of every dotted key in the file (`keys.q` -> 12).
    pub lines: HashMap<String, usize>,
}

struct Checker<'a> {
    file: &'a Path,
    ix: LineIndex,
    problems: Vec<ConfigError>,
    lines: HashMap<String, usize>,
}

impl Checker<'_> {
    fn problem(&mut self, key: &str, line: usize, reason: impl Into<String>) {
        self.problems.push(ConfigError {
            path: self.file.to_path_buf(),
            line: Some(line),
            key: key.into(),
            reason: reason.into(),
        });
    }

    fn table(&mut self, prefix: &str, line: usize, t: &DeTable<'_>, s: &StructShape) {
        for (k, v) in t {
            let key = join(prefix, k.get_ref());
            let kline = self.ix.line(k.span().start);
            self.lines.insert(key.clone(), kline);
            match s.field(k.get_ref()) {
                None => self.problem(
                    &key,
                    kline,
                    format!("unknown key (expected one of: {})", s.names().join(", ")),
                ),
                Some(f) => self.value(&key, kline, v.get_ref(), &f.shape),
            }
        }
        for f in s.fields.iter().filter(|f| f.required) {
            if !t.contains_key(f.name) {
                self.problem(&join(prefix, f.name), line, "missing (required)");
            }
        }
    }

    fn value(&mut self, key: &str, line: usize, v: &DeValue<'_>, shape: &Shape) {
        let found = v.type_str();
        match (shape, v) {
            (Shape::Option(inner), _) => self.value(key, line, v, inner),
            (Shape::Unknown | Shape::Any, _)
            | (Shape::Bool, DeValue::Boolean(_))
            | (Shape::Str, DeValue::String(_))
            | (Shape::Float, DeValue::Float(_) | DeValue::Integer(_)) => {}
            (Shape::Bool, _) => {
                self.problem(key, line, format!("expected true or false, found {found}"))
            }
            (Shape::Str, _) => self.problem(key, line, format!("expected a string, found {found}")),
            (Shape::Int { min, max }, DeValue::Integer(i)) => {
                let n = i128::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok();
                if !n.is_some_and(|n| (*min..=*max).contains(&n)) {
                    self.problem(key, line, format!("{i} is outside {min}..={max}"));
                }
            }
            (Shape::Int { .. }, _) => {
                self.problem(key, line, format!("expected an integer, found {found}"))
            }
            (Shape::Float, _) => {
                self.problem(key, line, format!("expected a number, found {found}"))
            }
            (Shape::OneOf(allowed), DeValue::String(s)) => {
                if !allowed.contains(&s.as_ref()) {
                    self.problem(
                        key,
                        line,
                        format!("{s:?} is not one of: {}", allowed.join(", ")),
                    );
                }
            }
            (Shape::OneOf(allowed), _) => self.problem(
                key,
                line,
                format!("expected one of: {}, found {found}", allowed.join(", ")),
            ),
            (Shape::Seq(inner), DeValue::Array(a)) => {
                for (i, e) in a.iter().enumerate() {
                    let l = self.ix.line(e.span().start);
                    self.value(&format!("{key}[{i}]"), l, e.get_ref(), inner);
                }
            }
            (Shape::Seq(_), _) => {
                self.problem(key, line, format!("expected an array, found {found}"))
            }
            (Shape::Map(inner), DeValue::Table(t)) => {
                for (k, e) in t {
                    let k2 = join(key, k.get_ref());
                    let l = self.ix.line(k.span().start);
                    self.lines.insert(k2.clone(), l);
                    self.value(&k2, l, e.get_ref(), inner);
                }
            }
            (Shape::Struct(s), DeValue::Table(t)) => self.table(key, line, t, s),
            (Shape::Map(_) | Shape::Struct(_), _) => {
                self.problem(key, line, format!("expected a table, found {found}"))
            }
        }
    }
}

fn join(prefix: &str, k: &str) -> String {
    if prefix.is_empty() {
        k.to_string()
    } else {
        format!("{prefix}.{k}")
    }
}

/// Parses and validates config text; `file` is only used in messages.
pub fn parse_config(file: &Path, text: &str) -> Result<Config, Vec<ConfigError>> {
    check(file, text).config
}

/// Validates config text and collects what `check-config` prints.
pub fn check(file: &Path, text: &str) -> Checked {
    let ix = LineIndex::new(text);
    let root = match DeTable::parse(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map(|s| ix.line(s.start));
            return Checked {
                config: Err(vec![ConfigError {
                    path: file.to_path_buf(),
                    line,
                    key: String::new(),
                    reason: format!("TOML syntax: {}", e.message()),
                }]),
                warnings: Vec::new(),
                bindings: BTreeMap::new(),
                lines: HashMap::new(),
            };
        }
    };
    let mut c = Checker {
        file,
        ix,
        problems: Vec::new(),
        lines: HashMap::new(),
    };
    c.table("", 1, root.get_ref(), &config_shape());
    let bindings = bindings(root.get_ref());
    semantic_checks(&mut c, root.get_ref(), text);
    let mut config: Result<Config, ()> = Err(());
    if c.problems.is_empty() {
        match toml::from_str::<Config>(text) {
            Ok(cfg) => config = Ok(cfg),
            // The schema pass and the semantic checks should have caught it; if not,
            // serde's own message is still better than nothing.
            Err(e) => c.problems.push(ConfigError {
                path: file.to_path_buf(),
                line: e.span().map(|s| c.ix.line(s.start)),
                key: String::new(),
                reason: e.message().to_string(),
            }),
        }
    }
    let warnings = match &config {
        Ok(cfg) => warnings(file, cfg, &c.lines),
        Err(_) => Vec::new(),
    };
    let config = match config {
        Ok(mut cfg) => {
            for acc in cfg.accounts.values_mut() {
                if let Some(sig) = acc.signature.as_mut() {
                    *sig = expand_tilde(sig);
                }
                if let Source::Maildir(m) = &mut acc.source {
                    m.path = expand_tilde(&m.path);
                }
                if let Source::Mbox(f) | Source::Mh(f) | Source::Babyl(f) | Source::Mmdf(f) =
                    &mut acc.source
                {
                    f.path = expand_tilde(&f.path);
                }
            }
            if let Some(ix) = cfg.general.index.as_mut() {
                *ix = expand_tilde(ix);
            }
            Ok(cfg)
        }
        Err(_) => {
            let mut p = std::mem::take(&mut c.problems);
            p.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
            Err(p)
        }
    };
    Checked {
        config,
        warnings,
        bindings,
        lines: c.lines,
    }
}

/// Every saved search must be a query that parses (the error says where it goes wrong).
fn saved_searches(c: &mut Checker<'_>, root: &DeTable<'_>) {
    let Some(DeValue::Table(searches)) = root.get("searches").map(|v| v.get_ref()) else {
        return;
    };
    for (name, v) in searches {
        let key = format!("searches.{}", name.get_ref());
        let line = c.lines.get(&key).copied().unwrap_or(1);
        let Some(q) = v.get_ref().as_str() else {
            continue; // the schema pass reports the wrong type
        };
        match crate::core::query::Query::parse(q) {
            Ok(parsed) if parsed.is_empty() => c.problem(&key, line, "the query is empty"),
            Ok(_) => {}
            Err(e) => c.problem(&key, line, e.to_string()),
        }
    }
}

fn bindings(root: &DeTable<'_>) -> BTreeMap<String, String> {
    let Some(DeValue::Table(keys)) = root.get("keys").map(|v| v.get_ref()) else {
        return BTreeMap::new();
    };
    keys.iter()
        .filter_map(|(k, v)| Some((k.get_ref().to_string(), v.get_ref().as_str()?.to_string())))
        .collect()
}

/// What the types cannot say: paths that must exist, and the account rules of
/// `AccountConfig`'s `try_from` (one source, one way to send), checked per account so
/// that every account's problem is reported.
fn semantic_checks(c: &mut Checker<'_>, root: &DeTable<'_>, text: &str) {
    saved_searches(c, root);
    let str_at = |t: &DeTable<'_>, k: &str| {
        t.get(k)
            .and_then(|v| v.get_ref().as_str().map(str::to_string))
    };
    if let Some(DeValue::Table(g)) = root.get("general").map(|v| v.get_ref())
        && let Some(ix) = str_at(g, "index")
    {
        let line = c.lines.get("general.index").copied().unwrap_or(1);
        if let Err(why) = writable_file(&expand_tilde(Path::new(&ix))) {
            c.problem("general.index", line, why);
        }
    }
    let Some(DeValue::Table(accounts)) = root.get("accounts").map(|v| v.get_ref()) else {
        return;
    };
    for (name, acc) in accounts {
        let key = format!("accounts.{}", name.get_ref());
        if let DeValue::Table(t) = acc.get_ref()
            && let Some(DeValue::Table(m)) = t.get("maildir").map(|v| v.get_ref())
            && let Some(p) = str_at(m, "path")
        {
            let p = expand_tilde(Path::new(&p));
            let line = c
                .lines
                .get(&format!("{key}.maildir.path"))
                .copied()
                .unwrap_or(1);
            if !p.exists() {
                c.problem(
                    &format!("{key}.maildir.path"),
                    line,
                    format!("path {} does not exist", p.display()),
                );
            } else if !p.is_dir() {
                c.problem(
                    &format!("{key}.maildir.path"),
                    line,
                    format!("path {} is not a directory", p.display()),
                );
            }
        }
    }
    // Each account through serde on its own: `try_from` names what is wrong.
    let Ok(whole) = toml::from_str::<toml::Table>(text) else {
        return;
    };
    let Some(toml::Value::Table(accs)) = whole.get("accounts") else {
        return;
    };
    for (name, acc) in accs {
        let key = format!("accounts.{name}");
        let dotted = format!("{key}.");
        let has_problem = |p: &ConfigError| p.key == key || p.key.starts_with(&dotted);
        if c.problems.iter().any(has_problem) {
            continue;
        }
        if let Err(e) = acc.clone().try_into::<super::model::AccountConfig>() {
            let line = c.lines.get(&key).copied().unwrap_or(1);
            c.problem(&key, line, e.message().to_string());
        }
    }
}

/// Whether the index file can be created or written at `p`.
fn writable_file(p: &Path) -> Result<(), String> {
    if p.is_dir() {
        return Err(format!(
            "{} is a directory; give the index file's path",
            p.display()
        ));
    }
    let mut parent = p.parent().filter(|d| !d.as_os_str().is_empty());
    // The nearest existing ancestor must be a directory (the rest is created).
    while let Some(d) = parent {
        if d.exists() {
            if !d.is_dir() {
                return Err(format!(
                    "cannot create {}: {} is not a directory",
                    p.display(),
                    d.display()
                ));
            }
            let ro = std::fs::metadata(d)
                .map(|m| m.permissions().readonly())
                .unwrap_or(false);
            if ro {
                return Err(format!(
                    "cannot write {}: {} is read-only",
                    p.display(),
                    d.display()
                ));
            }
            break;
        }
        parent = d.parent().filter(|d| !d.as_os_str().is_empty());
    }
    if p.exists() && std::fs::metadata(p).is_ok_and(|m| m.permissions().readonly()) {
        return Err(format!(
            "cannot write {}: the file is read-only",
            p.display()
        ));
    }
    Ok(())
}

/// The account kinds this version can open.
const AVAILABLE_KINDS: &[&str] = &[
    "maildir", "imap", "pop3", "mbox", "mh", "babyl", "mmdf", "nntp",
];

fn warnings(file: &Path, cfg: &Config, lines: &HashMap<String, usize>) -> Vec<ConfigError> {
    let mut out = Vec::new();
    let mut warn = |key: String, reason: String| {
        out.push(ConfigError {
            path: file.to_path_buf(),
            line: lines.get(&key).copied(),
            key,
            reason,
        })
    };
    let others_can_read = others_can_read(file);
    for (name, acc) in &cfg.accounts {
        let kind = acc.source.kind();
        if !AVAILABLE_KINDS.contains(&kind) {
            warn(
                format!("accounts.{name}.{kind}"),
                format!(
                    "{kind} accounts are not available in this version yet; the account shows as unavailable"
                ),
            );
        }
        let mut servers = Vec::new();
        if let Source::Imap(s) | Source::Pop3(s) | Source::Nntp(s) = &acc.source {
            servers.push((kind, s));
        }
        match &acc.sending {
            Some(Sending::Smtp(s)) => {
                servers.push(("smtp", s));
                if s.tls == super::model::Tls::None && s.user.is_some() {
                    warn(
                        format!("accounts.{name}.smtp.tls"),
                        "tls = \"none\" with a user: the password goes over the network in the clear".into(),
                    );
                }
            }
            Some(Sending::Sendmail(_)) | None => {}
        }
        for (kind, s) in servers {
            if others_can_read && matches!(s.password, Some(Secret::Plain(_))) {
                warn(
                    format!("accounts.{name}.{kind}.password"),
                    "a password written in a file that group or others can read (chmod 600 the file, or use password = { command = \"...\" })".into(),
                );
            }
        }
    }
    out.sort_by_key(|w| w.line.unwrap_or(usize::MAX));
    out
}

#[cfg(unix)]
fn others_can_read(file: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(file).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
}

#[cfg(not(unix))]
fn others_can_read(_: &Path) -> bool {
    false
}
