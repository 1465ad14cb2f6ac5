//! The real-server testbed (scripts/testbed.sh: Dovecot, Postfix, INN on 127.0.0.1) as
//! the server tests see it: where it runs (ports, CA file, mail root, read from its env
//! file), starting it once when it is not running, spare users claimed exclusively
//! across test processes, and seeding messages straight into Dovecot's Maildirs.
//!
//! Test support only: depends on std and native-tls, nothing of posthorn, so every test
//! binary can include it (`mod common;` + `use common::testbed`).

use std::collections::HashMap;
use std::fs::{self, File, FileTimes, OpenOptions, TryLockError};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::{PermissionsExt, chown, fchown};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The mail domain every testbed user lives in (`NAME@example.test`).
pub const DOMAIN: &str = "example.test";
/// The spare users t01..tNN that [`Testbed::claim_user`] hands out.
pub const SPARE_USERS: u32 = 60;
/// Owner of every Maildir (Debian's `mail` user): Dovecot and virtual(8) run as it.
const MAIL_UID: u32 = 8;
/// Fixed users: name and password. carol's password is non-ASCII on purpose.
const FIXED_USERS: &[(&str, &str)] = &[
    ("alice", "alicepw"),
    ("bob", "bobpw"),
    ("carol", "pässwörd"),
    ("sink", "sinkpw"),
    ("bench", "benchpw"),
];

/// A running testbed: everything a test needs to reach the servers.
#[derive(Debug, Clone)]
pub struct Testbed {
    pub state: PathBuf,
    pub ca_file: PathBuf,
    pub mail_root: PathBuf,
    pub imap_port: u16,
    pub imaps_port: u16,
    pub pop3_port: u16,
    pub pop3s_port: u16,
    pub smtp_port: u16,
    pub submission_port: u16,
    pub submissions_port: u16,
    pub nntp_port: u16,
    pub nntps_port: u16,
    pub nntp_auth_port: u16,
}

/// A mail user of the testbed. A claimed one holds its lock until the process exits.
#[derive(Debug, Clone)]
pub struct MailUser {
    pub name: String,
    pub password: String,
    pub address: String,
    /// The user's Maildir root (INBOX; other folders are `.Name` inside it).
    pub maildir: PathBuf,
    claim: Option<Arc<File>>,
}

static TESTBED: OnceLock<Testbed> = OnceLock::new();
/// Claim locks live as long as the process: a test's server connections may outlive it.
static CLAIMS: Mutex<Vec<Arc<File>>> = Mutex::new(Vec::new());

/// The testbed, started by `scripts/testbed.sh start` on first use when it is not running
/// (so a plain `cargo test` works). Panics with the script's output when that fails.
pub fn testbed() -> &'static Testbed {
    TESTBED.get_or_init(load_or_start)
}

/// `$POSTHORN_TESTBED`, else `${POSTHORN_TESTBED_DIR:-/tmp/phtb}/env`.
pub fn env_file() -> PathBuf {
    if let Some(p) = std::env::var_os("POSTHORN_TESTBED") {
        return PathBuf::from(p);
    }
    std::env::var_os("POSTHORN_TESTBED_DIR")
        .map_or_else(|| PathBuf::from("/tmp/phtb"), PathBuf::from)
        .join("env")
}

fn load_or_start() -> Testbed {
    let path = env_file();
    if let Ok(tb) = Testbed::from_env_file(&path)
        && tb.all_ports_accept()
    {
        return tb;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/testbed.sh");
    let mut cmd = Command::new(&script);
    cmd.arg("start").stdin(Stdio::null());
    if std::env::var_os("POSTHORN_TESTBED").is_some()
        && std::env::var_os("POSTHORN_TESTBED_DIR").is_none()
        && let Some(dir) = path.parent()
    {
        cmd.env("POSTHORN_TESTBED_DIR", dir);
    }
    // Output goes through pipes: this also proves the daemons keep none of our fds.
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "the real-server testbed is not running and {} could not run: {e}",
            script.display()
        )
    });
    if !out.status.success() {
        panic!(
            "the real-server testbed is not running and `{} start` failed ({}).\n\
             Install the servers with `scripts/testbed.sh install` (root, Debian).\n{}{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Testbed::from_env_file(&path).unwrap_or_else(|e| panic!("{e}"))
}

impl Testbed {
    /// Reads the `KEY=VALUE` env file `scripts/testbed.sh start` writes.
    pub fn from_env_file(path: &Path) -> Result<Testbed, String> {
        let text = fs::read_to_string(path)
            .map_err(|e| format!("testbed env file {}: {e}", path.display()))?;
        let kv: HashMap<&str, &str> = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim(), v.trim()))
            .collect();
        let get = |k: &str| {
            kv.get(k)
                .copied()
                .ok_or_else(|| format!("testbed env file {}: no {k}", path.display()))
        };
        let port = |k: &str| {
            get(k)?
                .parse::<u16>()
                .map_err(|e| format!("testbed env file {}: {k}: {e}", path.display()))
        };
        Ok(Testbed {
            state: get("STATE")?.into(),
            ca_file: get("CA_FILE")?.into(),
            mail_root: get("MAIL_ROOT")?.into(),
            imap_port: port("IMAP_PORT")?,
            imaps_port: port("IMAPS_PORT")?,
            pop3_port: port("POP3_PORT")?,
            pop3s_port: port("POP3S_PORT")?,
            smtp_port: port("SMTP_PORT")?,
            submission_port: port("SUBMISSION_PORT")?,
            submissions_port: port("SUBMISSIONS_PORT")?,
            nntp_port: port("NNTP_PORT")?,
            nntps_port: port("NNTPS_PORT")?,
            nntp_auth_port: port("NNTP_AUTH_PORT")?,
        })
    }

    /// Every listening port, named as in the env file.
    pub fn ports(&self) -> [(&'static str, u16); 10] {
        [
            ("IMAP", self.imap_port),
            ("IMAPS", self.imaps_port),
            ("POP3", self.pop3_port),
            ("POP3S", self.pop3s_port),
            ("SMTP", self.smtp_port),
            ("SUBMISSION", self.submission_port),
            ("SUBMISSIONS", self.submissions_port),
            ("NNTP", self.nntp_port),
            ("NNTPS", self.nntps_port),
            ("NNTP_AUTH", self.nntp_auth_port),
        ]
    }

    fn all_ports_accept(&self) -> bool {
        self.ports().iter().all(|(_, port)| {
            let addr = SocketAddr::from(([127, 0, 0, 1], *port));
            TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
        })
    }

    /// A TLS connector that trusts the testbed's CA and nothing else.
    pub fn tls_connector(&self) -> native_tls::TlsConnector {
        let pem = fs::read(&self.ca_file)
            .unwrap_or_else(|e| panic!("testbed CA {}: {e}", self.ca_file.display()));
        let ca = native_tls::Certificate::from_pem(&pem)
            .unwrap_or_else(|e| panic!("testbed CA {}: {e}", self.ca_file.display()));
        native_tls::TlsConnector::builder()
            .disable_built_in_roots(true)
            .add_root_certificate(ca)
            .build()
            .unwrap_or_else(|e| panic!("TLS connector with the testbed CA: {e}"))
    }

    /// A spare user (t01..t60) no other thread or process holds, with a wiped mail home.
    /// Waits while all are taken (other test processes finish), then panics.
    pub fn claim_user(&self) -> MailUser {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(user) = self.try_claim_user() {
                return user;
            }
            if Instant::now() > deadline {
                panic!(
                    "all {SPARE_USERS} spare testbed users are claimed (locks in {}); \
                     a test process claims at most what it needs?",
                    self.state.join("claims").display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Like [`Testbed::claim_user`], but `None` at once when all are taken.
    pub fn try_claim_user(&self) -> Option<MailUser> {
        let dir = self.state.join("claims");
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for n in 1..=SPARE_USERS {
            let name = format!("t{n:02}");
            let path = dir.join(format!("{name}.lock"));
            let mut file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .unwrap_or_else(|e| panic!("claim lock {}: {e}", path.display()));
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => continue,
                Err(TryLockError::Error(e)) => panic!("claim lock {}: {e}", path.display()),
            }
            // Who holds it, for a human looking at a stuck run.
            let _ = file.set_len(0);
            let _ = writeln!(file, "{}", std::process::id());
            let claim = Arc::new(file);
            CLAIMS
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(claim.clone());
            let mut user = self.user_unchecked(&name, &format!("{name}pw"));
            user.claim = Some(claim);
            self.wipe(&user);
            return Some(user);
        }
        None
    }

    /// A fixed user: alice, bob, carol (non-ASCII password), sink (gets every external
    /// recipient), bench. Not wiped, not locked: tests must not assume its mailbox is empty.
    pub fn user(&self, name: &str) -> MailUser {
        let Some((_, password)) = FIXED_USERS.iter().find(|(n, _)| *n == name) else {
            panic!(
                "no fixed testbed user {name:?}: use alice, bob, carol, sink, bench or claim_user()"
            )
        };
        self.user_unchecked(name, password)
    }

    fn user_unchecked(&self, name: &str, password: &str) -> MailUser {
        MailUser {
            name: name.to_string(),
            password: password.to_string(),
            address: format!("{name}@{DOMAIN}"),
            maildir: self.mail_root.join(name).join("Maildir"),
            claim: None,
        }
    }

    /// A fresh, empty mail home (Dovecot keeps its indexes inside the Maildir, so they go too).
    fn wipe(&self, user: &MailUser) {
        let home = self.mail_root.join(&user.name);
        if home.exists() {
            fs::remove_dir_all(&home).unwrap_or_else(|e| panic!("wipe {}: {e}", home.display()));
        }
        make_mail_dir(&home);
        fs::set_permissions(&home, fs::Permissions::from_mode(0o700))
            .unwrap_or_else(|e| panic!("{}: {e}", home.display()));
        make_maildir(&user.maildir);
    }

    /// Bulk-loads `n` generated, realistic messages (threads, attachments, non-ASCII
    /// headers; ~3 KB each) into `user`'s `folder` via scripts/testbed/seed-mail.py.
    /// The same `seed` gives the same messages. For benchmarks: ~100k messages/10 s.
    pub fn seed_bulk(&self, user: &MailUser, folder: &str, n: usize, seed: u64) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/testbed/seed-mail.py");
        let status = Command::new("python3")
            .arg(&script)
            .arg(&user.maildir)
            .arg(folder)
            .arg(n.to_string())
            .arg(seed.to_string())
            .stdin(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
        assert!(status.success(), "{} failed: {status}", script.display());
    }
}

impl MailUser {
    /// The Maildir directory of an IMAP folder name: "INBOX" is the root, others are
    /// Maildir++ `.Name` (`a.b` -> `.a.b`), non-ASCII in modified UTF-7 as Dovecot stores it.
    pub fn folder_dir(&self, folder: &str) -> PathBuf {
        if folder.eq_ignore_ascii_case("INBOX") {
            self.maildir.clone()
        } else {
            self.maildir.join(format!(".{}", mutf7(folder)))
        }
    }

    /// Writes a message straight into Dovecot's Maildir (`folder` as the IMAP name), owned
    /// by uid/gid 8, mtime = `date` (Dovecot's INTERNALDATE), `flags` as Maildir letters
    /// ("S" seen, "F" flagged, "R" answered, "D" draft, "T" deleted). Creates the folder if
    /// needed. Messages get UIDs in the order they were seeded. Returns the file's path.
    pub fn seed(&self, folder: &str, raw: &[u8], flags: &str, date: i64) -> PathBuf {
        let dir = self.folder_dir(folder);
        make_maildir(&dir);
        if dir != self.maildir {
            let marker = dir.join("maildirfolder");
            if !marker.exists() {
                File::create(&marker).unwrap_or_else(|e| panic!("{}: {e}", marker.display()));
                chown(&marker, Some(MAIL_UID), Some(MAIL_UID))
                    .unwrap_or_else(|e| panic!("chown {}: {e}", marker.display()));
            }
        }
        let mut letters: Vec<char> = flags.chars().filter(char::is_ascii_alphabetic).collect();
        letters.sort_unstable();
        letters.dedup();
        let flags: String = letters.into_iter().collect();
        // Dovecot assigns UIDs to new files in the order of the time in their names: a
        // strictly increasing clock keeps seed order = UID order.
        let stamp = next_stamp();
        let (secs, micros) = (stamp / 1_000_000, stamp % 1_000_000);
        let crlf_size = raw.len() + raw.iter().filter(|&&b| b == b'\n').count()
            - raw.windows(2).filter(|w| w == b"\r\n").count();
        let base = format!(
            "{secs}.M{micros}P{}.testbed,S={},W={crlf_size}",
            std::process::id(),
            raw.len()
        );
        let tmp = dir.join("tmp").join(&base);
        let dest = dir.join("cur").join(format!("{base}:2,{flags}"));
        let mut file = File::create(&tmp).unwrap_or_else(|e| panic!("{}: {e}", tmp.display()));
        file.write_all(raw)
            .unwrap_or_else(|e| panic!("{}: {e}", tmp.display()));
        let when = if date >= 0 {
            UNIX_EPOCH + Duration::from_secs(date.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_secs(date.unsigned_abs())
        };
        file.set_times(FileTimes::new().set_modified(when).set_accessed(when))
            .unwrap_or_else(|e| panic!("mtime {}: {e}", tmp.display()));
        fchown(&file, Some(MAIL_UID), Some(MAIL_UID))
            .unwrap_or_else(|e| panic!("chown {}: {e}", tmp.display()));
        drop(file);
        fs::rename(&tmp, &dest).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
        dest
    }
}

/// Microseconds since the epoch, strictly increasing within the process.
fn next_stamp() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

fn make_mail_dir(dir: &Path) {
    if !dir.exists() {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    chown(dir, Some(MAIL_UID), Some(MAIL_UID))
        .unwrap_or_else(|e| panic!("chown {}: {e}", dir.display()));
}

fn make_maildir(dir: &Path) {
    make_mail_dir(dir);
    for sub in ["cur", "new", "tmp"] {
        make_mail_dir(&dir.join(sub));
    }
}

/// RFC 3501 section 5.1.3 modified UTF-7: printable ASCII as is ("&" as "&-"), other
/// runs as UTF-16BE in base64 with "," for "/" and no padding, between "&" and "-".
pub fn mutf7(name: &str) -> String {
    fn flush(out: &mut String, run: &mut Vec<u16>) {
        if run.is_empty() {
            return;
        }
        let bytes: Vec<u8> = run.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        out.push_str(&base64(&bytes).trim_end_matches('=').replace('/', ","));
        out.push('-');
        run.clear();
    }
    let mut out = String::new();
    let mut run = Vec::new();
    for ch in name.chars() {
        if (' '..='~').contains(&ch) {
            flush(&mut out, &mut run);
            if ch == '&' {
                out.push_str("&-");
            } else {
                out.push(ch);
            }
        } else {
            run.extend_from_slice(ch.encode_utf16(&mut [0; 2]));
        }
    }
    flush(&mut out, &mut run);
    out
}

/// Standard base64 with padding (RFC 4648 section 4), for SASL in raw protocol tests.
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
