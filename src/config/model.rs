//! The typed config model. Every key here is documented, with its default, in
//! `config.example.toml`. `schema.rs` traces these serde types for `check-config`, so
//! a key added here is known to the validator without being written a second time.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    #[serde(default)]
    pub general: General,
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountConfig>,
    /// Key overrides: key -> action name (`"ctrl-d" = "page-down"`).
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
    /// Saved searches: name -> query, shown as virtual folders with counts.
    #[serde(default)]
    pub searches: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct General {
    /// date | sender | subject | size | thread-activity
    #[serde(deserialize_with = "sort_name")]
    pub sort: String,
    /// Newest (or largest, or last) first.
    pub reverse: bool,
    pub threaded: bool,
    /// Folder that delete moves messages to.
    pub trash: String,
    /// Folder that archive moves messages to.
    pub archive: String,
    pub mark_read_on_open: bool,
    /// Where the envelope index lives; default: the XDG data dir.
    pub index: Option<PathBuf>,
}

/// The sort keys `general.sort` accepts (the names of `core::SortKey`).
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
enum SortName {
    Date,
    Sender,
    Subject,
    Size,
    ThreadActivity,
}

fn sort_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match SortName::deserialize(d)? {
        SortName::Date => "date",
        SortName::Sender => "sender",
        SortName::Subject => "subject",
        SortName::Size => "size",
        SortName::ThreadActivity => "thread-activity",
    }
    .to_string())
}

impl Default for General {
    fn default() -> Self {
        General {
            sort: "thread-activity".into(),
            reverse: true,
            threaded: true,
            trash: "Trash".into(),
            archive: "Archive".into(),
            mark_read_on_open: true,
            index: None,
        }
    }
}

/// One account: exactly one reading source, optionally a way to send, and a From.
///
/// In TOML: `[accounts.NAME]` with `from`, one of `[accounts.NAME.maildir|imap|pop3|
/// nntp|mbox|mh|babyl|mmdf]`, and at most one of `[accounts.NAME.smtp|sendmail]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(try_from = "RawAccount")]
pub struct AccountConfig {
    /// `Name <addr>` used when composing; optional.
    pub from: Option<String>,
    /// Extra From choices (`identities = ["Alice <a@work.example>"]`); optional.
    pub identities: Vec<String>,
    /// A file whose text ends every new message (`signature = "~/.signature"`); optional.
    pub signature: Option<PathBuf>,
    pub source: Source,
    pub sending: Option<Sending>,
}

impl AccountConfig {
    /// A local Maildir account (the `--demo` and `~/Maildir` defaults).
    pub fn maildir(path: PathBuf) -> Self {
        AccountConfig {
            from: None,
            identities: Vec::new(),
            signature: None,
            source: Source::Maildir(MaildirConfig { path }),
            sending: None,
        }
    }

    /// The Maildir account's table, if this is one.
    pub fn as_maildir(&self) -> Option<&MaildirConfig> {
        match &self.source {
            Source::Maildir(m) => Some(m),
            _ => None,
        }
    }
}

/// Where an account's mail comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Maildir(MaildirConfig),
    Imap(ServerConfig),
    Pop3(ServerConfig),
    Nntp(ServerConfig),
    Mbox(FileStoreConfig),
    Mh(FileStoreConfig),
    Babyl(FileStoreConfig),
    Mmdf(FileStoreConfig),
}

impl Source {
    /// The table name in the config (`imap` for `[accounts.NAME.imap]`).
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Maildir(_) => "maildir",
            Source::Imap(_) => "imap",
            Source::Pop3(_) => "pop3",
            Source::Nntp(_) => "nntp",
            Source::Mbox(_) => "mbox",
            Source::Mh(_) => "mh",
            Source::Babyl(_) => "babyl",
            Source::Mmdf(_) => "mmdf",
        }
    }
}

/// How an account sends mail.
// One per account, read once: the size of the SMTP table does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Sending {
    Smtp(ServerConfig),
    Sendmail(SendmailConfig),
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MaildirConfig {
    pub path: PathBuf,
}

/// A local single-file or directory store (mbox, MH, Babyl, MMDF).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileStoreConfig {
    pub path: PathBuf,
    /// mbox only: the written variant (mboxo | mboxrd | mboxcl | mboxcl2).
    #[serde(default, deserialize_with = "mbox_variant")]
    pub variant: Option<String>,
}

/// The mbox variants `variant` accepts.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
enum MboxVariant {
    Mboxo,
    Mboxrd,
    Mboxcl,
    Mboxcl2,
}

fn mbox_variant<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = MboxVariant::deserialize(d)?;
    Ok(Some(
        match v {
            MboxVariant::Mboxo => "mboxo",
            MboxVariant::Mboxrd => "mboxrd",
            MboxVariant::Mboxcl => "mboxcl",
            MboxVariant::Mboxcl2 => "mboxcl2",
        }
        .to_string(),
    ))
}

/// Connection settings shared by IMAP, POP3, NNTP and SMTP.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServerConfig {
    /// Required unless `tunnel` is given.
    #[serde(default)]
    pub host: String,
    /// Default: the protocol's port for the chosen `tls`.
    pub port: Option<u16>,
    pub user: Option<String>,
    pub password: Option<Secret>,
    #[serde(default)]
    pub tls: Tls,
    /// A private CA to trust (PEM).
    pub ca_file: Option<PathBuf>,
    /// The Maildir that caches this account; default under the XDG data dir.
    pub cache: Option<PathBuf>,
    /// IMAP only: speak the protocol over this command's stdin/stdout instead of
    /// connecting to host/port (`ssh mailhost /usr/lib/dovecot/imap`).
    pub tunnel: Option<String>,
    /// IMAP: which message bodies the first sync fetches in the background: "all" (the
    /// default), "none" (fetched when opened), or "30d" (newer than 30 days).
    #[serde(default, deserialize_with = "body_policy")]
    pub bodies: Option<BodyPolicy>,
    /// How often to look for new mail where the server cannot push it ("5m", "90s",
    /// "1h"). IMAP: only used without IDLE (default 5m); POP3: the periodic check.
    #[serde(default, deserialize_with = "interval")]
    pub check_every: Option<std::time::Duration>,
    /// POP3 only: how to log in: "auto" (the default), "user", "apop", "plain", "login"
    /// or "xoauth2" (the password is then the OAuth token).
    pub auth: Option<AuthMethod>,
    /// POP3 only: keep downloaded messages on the server (the default); false deletes
    /// each one once its local copy is durable.
    pub leave_on_server: Option<bool>,
    /// POP3 only, with leave-on-server: delete a message from the server this many
    /// days after it was downloaded.
    pub delete_after_days: Option<u32>,
    /// POP3 only: messages bigger than this ("5 MB", "500 KB", or bytes) are listed
    /// from their headers and downloaded when opened.
    #[serde(default, deserialize_with = "byte_size")]
    pub max_size: Option<u64>,
    /// NNTP only: the .newsrc with the subscribed groups and read articles, read and
    /// written in the standard format (default: `newsrc` in the account's cache).
    pub newsrc: Option<PathBuf>,
    /// NNTP only: the score file (rules that raise, lower or kill articles).
    pub score_file: Option<PathBuf>,
    /// NNTP only: the From of posted articles (default: the account's `from`).
    pub from: Option<String>,
}

/// How a POP3 account logs in (`auth`).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    #[default]
    Auto,
    User,
    Apop,
    Plain,
    Login,
    Xoauth2,
}

fn byte_size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() {
        return Ok(None);
    }
    parse_byte_size(&s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// "5 MB", "500KB", "2 GiB", "1000" (bytes); KB/MB/GB are powers of 1000, KiB/MiB/GiB
/// of 1024. At least one byte.
pub fn parse_byte_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let bad = || format!("`{s}`: expected a size like \"5 MB\", \"500 KB\" or a number of bytes");
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..split].parse().map_err(|_| bad())?;
    let mult: u64 = match t[split..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1000,
        "mb" | "m" => 1000 * 1000,
        "gb" | "g" => 1000 * 1000 * 1000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    match n.checked_mul(mult) {
        Some(0) => Err(format!("`{s}`: must be at least one byte")),
        Some(v) => Ok(v),
        None => Err(bad()),
    }
}

/// Which bodies an IMAP sync fetches ahead of time; the rest come when opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BodyPolicy {
    #[default]
    All,
    None,
    NewerThanDays(u32),
}

fn body_policy<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<BodyPolicy>, D::Error> {
    let s = String::deserialize(d)?;
    // An empty string is the default (and what the schema tracer feeds in).
    if s.trim().is_empty() {
        return Ok(None);
    }
    parse_body_policy(&s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

pub fn parse_body_policy(s: &str) -> Result<BodyPolicy, String> {
    match s.trim() {
        "all" => Ok(BodyPolicy::All),
        "none" => Ok(BodyPolicy::None),
        t => t
            .strip_suffix('d')
            .and_then(|n| n.trim().parse::<u32>().ok())
            .map(BodyPolicy::NewerThanDays)
            .ok_or_else(|| {
                format!("`{s}`: expected \"all\", \"none\" or a number of days like \"30d\"")
            }),
    }
}

fn interval<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<std::time::Duration>, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() {
        return Ok(None);
    }
    parse_interval(&s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// "90s", "5m", "1h", "2d" (a bare number is seconds); at least one second.
pub fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&t[..i], t[i..].trim()),
        None => (t, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}`: expected a duration like \"90s\", \"5m\" or \"1h\""))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (use s, m, h or d)")),
    };
    if secs == 0 {
        return Err(format!("`{s}`: must be at least one second"));
    }
    Ok(std::time::Duration::from_secs(secs))
}

/// A password: written in the file, or printed by a command (`pass show work`).
#[derive(Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Secret {
    Plain(String),
    Command { command: String },
}

impl std::fmt::Debug for Secret {
    // Never print a password, not even in a debug dump.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Plain(_) => f.write_str("Secret::Plain(<redacted>)"),
            Secret::Command { command } => write!(f, "Secret::Command({command:?})"),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Tls {
    #[default]
    Implicit,
    Starttls,
    None,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SendmailConfig {
    pub command: String,
}

/// The account table as written; `AccountConfig` checks that it names one source.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawAccount {
    from: Option<String>,
    #[serde(default)]
    identities: Vec<String>,
    signature: Option<PathBuf>,
    maildir: Option<MaildirConfig>,
    imap: Option<ServerConfig>,
    pop3: Option<ServerConfig>,
    nntp: Option<ServerConfig>,
    mbox: Option<FileStoreConfig>,
    mh: Option<FileStoreConfig>,
    babyl: Option<FileStoreConfig>,
    mmdf: Option<FileStoreConfig>,
    smtp: Option<ServerConfig>,
    sendmail: Option<SendmailConfig>,
}

/// The source tables an account may hold, in the order they are listed in errors.
pub const SOURCE_KINDS: &[&str] = &[
    "maildir", "imap", "pop3", "nntp", "mbox", "mh", "babyl", "mmdf",
];

impl TryFrom<RawAccount> for AccountConfig {
    type Error = String;
    fn try_from(r: RawAccount) -> Result<Self, String> {
        let sources: Vec<Source> = [
            r.maildir.map(Source::Maildir),
            r.imap.map(Source::Imap),
            r.pop3.map(Source::Pop3),
            r.nntp.map(Source::Nntp),
            r.mbox.map(Source::Mbox),
            r.mh.map(Source::Mh),
            r.babyl.map(Source::Babyl),
            r.mmdf.map(Source::Mmdf),
        ]
        .into_iter()
        .flatten()
        .collect();
        let source = match <[Source; 1]>::try_from(sources) {
            Ok([one]) => one,
            Err(v) if v.is_empty() => {
                return Err(format!(
                    "no account type (expected one of: {})",
                    SOURCE_KINDS.join(", ")
                ));
            }
            Err(v) => {
                let kinds: Vec<&str> = v.iter().map(Source::kind).collect();
                return Err(format!(
                    "an account reads from one source, found {}",
                    kinds.join(" and ")
                ));
            }
        };
        check_server_keys(&source)?;
        let sending = match (r.smtp, r.sendmail) {
            (Some(_), Some(_)) => {
                return Err("an account sends through smtp or sendmail, not both".into());
            }
            (Some(s), None) => {
                check_smtp_keys(&s)?;
                Some(Sending::Smtp(s))
            }
            (None, Some(s)) => {
                if s.command.trim().is_empty() {
                    return Err("[sendmail] command: empty".into());
                }
                Some(Sending::Sendmail(s))
            }
            (None, None) => None,
        };
        Ok(AccountConfig {
            from: r.from,
            identities: r.identities,
            signature: r.signature,
            source,
            sending,
        })
    }
}

/// Keys of the shared server table that only some protocols use.
fn check_server_keys(source: &Source) -> Result<(), String> {
    let (kind, server) = match source {
        Source::Imap(s) => ("imap", s),
        Source::Pop3(s) => ("pop3", s),
        Source::Nntp(s) => ("nntp", s),
        _ => return Ok(()),
    };
    if server.tunnel.is_some() && kind != "imap" {
        return Err(format!(
            "[{kind}] tunnel: only IMAP accounts can use a tunnel"
        ));
    }
    if server.bodies.is_some() && kind == "pop3" {
        return Err("[pop3] bodies: POP3 always downloads whole messages".into());
    }
    if kind != "pop3" {
        for (key, set) in [
            ("auth", server.auth.is_some()),
            ("leave-on-server", server.leave_on_server.is_some()),
            ("delete-after-days", server.delete_after_days.is_some()),
            ("max-size", server.max_size.is_some()),
        ] {
            if set {
                return Err(format!("[{kind}] {key}: only POP3 accounts use it"));
            }
        }
    }
    if kind != "nntp" {
        for (key, set) in [
            ("newsrc", server.newsrc.is_some()),
            ("score-file", server.score_file.is_some()),
            ("from", server.from.is_some()),
        ] {
            if set {
                return Err(format!("[{kind}] {key}: only NNTP accounts use it"));
            }
        }
    }
    match (server.delete_after_days, server.leave_on_server) {
        (Some(_), Some(false)) => {
            return Err("[pop3] delete-after-days: only with leave-on-server = true (with false, messages are deleted as soon as they are stored)".into());
        }
        (Some(0), _) => {
            return Err(
                "[pop3] delete-after-days: must be at least 1 (or use leave-on-server = false)"
                    .into(),
            );
        }
        _ => {}
    }
    if server.host.trim().is_empty() && server.tunnel.is_none() {
        return Err(format!("[{kind}] host: missing (or give a tunnel command)"));
    }
    Ok(())
}

/// The keys an `[smtp]` table may use: host, port, user, password, tls, ca-file and
/// `auth = "plain" | "login" | "xoauth2"` (XOAUTH2 takes the token from `password`).
fn check_smtp_keys(server: &ServerConfig) -> Result<(), String> {
    for (key, set) in [
        ("cache", server.cache.is_some()),
        ("tunnel", server.tunnel.is_some()),
        ("bodies", server.bodies.is_some()),
        ("check-every", server.check_every.is_some()),
        ("leave-on-server", server.leave_on_server.is_some()),
        ("delete-after-days", server.delete_after_days.is_some()),
        ("max-size", server.max_size.is_some()),
    ] {
        if set {
            return Err(format!("[smtp] {key}: not used for sending"));
        }
    }
    if let Some(AuthMethod::User | AuthMethod::Apop) = server.auth {
        return Err("[smtp] auth: SMTP logs in with \"plain\", \"login\" or \"xoauth2\"".into());
    }
    if server.auth.is_some() && server.user.is_none() {
        return Err("[smtp] auth: needs a user (and a password)".into());
    }
    if server.host.trim().is_empty() {
        return Err("[smtp] host: missing".into());
    }
    Ok(())
}
