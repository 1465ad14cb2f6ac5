//! Smoke tests of the real-server testbed (scripts/testbed.sh): every port answers with
//! TLS verified against the private CA only, STARTTLS works on IMAP/POP3/SMTP/NNTP, users
//! log in (a non-ASCII password too), seeded mail is what IMAP sees, submitted mail lands
//! in the Maildirs Dovecot serves, news posts read back, and claimed users are exclusive
//! across processes. Raw protocol lines over tokio; nothing of posthorn is under test.

mod common;

use common::testbed::{self, MailUser, Testbed, base64, testbed};
use std::io::{BufRead, BufReader as StdBufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A guard against hangs, not a performance threshold.
const HANG: Duration = Duration::from_secs(30);

/// One line-based protocol connection (IMAP, POP3, SMTP and NNTP are all CRLF lines).
struct Conn<S> {
    io: BufReader<S>,
    what: String,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    fn new(s: S, what: &str) -> Self {
        Conn {
            io: BufReader::new(s),
            what: what.to_string(),
        }
    }

    async fn line(&mut self) -> String {
        let mut buf = Vec::new();
        let n = tokio::time::timeout(HANG, self.io.read_until(b'\n', &mut buf))
            .await
            .unwrap_or_else(|_| panic!("{}: no reply line within {HANG:?}", self.what))
            .unwrap_or_else(|e| panic!("{}: read: {e}", self.what));
        assert!(n > 0, "{}: connection closed", self.what);
        String::from_utf8_lossy(&buf).trim_end().to_string()
    }

    async fn send(&mut self, line: &str) {
        let io = self.io.get_mut();
        io.write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap_or_else(|e| panic!("{}: write: {e}", self.what));
        io.flush()
            .await
            .unwrap_or_else(|e| panic!("{}: flush: {e}", self.what));
    }

    async fn cmd(&mut self, line: &str) -> String {
        self.send(line).await;
        self.line().await
    }

    /// Lines up to and including the first one `last` accepts.
    async fn until(&mut self, last: impl Fn(&str) -> bool) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let l = self.line().await;
            let done = last(&l);
            lines.push(l);
            if done {
                return lines;
            }
        }
    }

    /// The raw stream, for a TLS upgrade; nothing may be buffered (RFC 3501 6.2.1,
    /// RFC 2595 4, RFC 3207 4.2, RFC 4642 2.2.2: the server says nothing after its reply).
    fn into_inner(self) -> S {
        assert!(
            self.io.buffer().is_empty(),
            "{}: data after the STARTTLS reply",
            self.what
        );
        self.io.into_inner()
    }
}

async fn plain(port: u16, what: &str) -> Conn<TcpStream> {
    let s = tokio::time::timeout(HANG, TcpStream::connect(("127.0.0.1", port)))
        .await
        .unwrap_or_else(|_| panic!("{what}: connect timed out"))
        .unwrap_or_else(|e| panic!("{what}: connect to 127.0.0.1:{port}: {e}"));
    Conn::new(s, what)
}

type Tls = tokio_native_tls::TlsStream<TcpStream>;

async fn handshake(tb: &Testbed, s: TcpStream, domain: &str, what: &str) -> Conn<Tls> {
    let connector = tokio_native_tls::TlsConnector::from(tb.tls_connector());
    let tls = tokio::time::timeout(HANG, connector.connect(domain, s))
        .await
        .unwrap_or_else(|_| panic!("{what}: TLS handshake timed out"))
        .unwrap_or_else(|e| panic!("{what}: TLS handshake: {e}"));
    Conn::new(tls, what)
}

async fn implicit(tb: &Testbed, port: u16, what: &str) -> Conn<Tls> {
    let s = plain(port, what).await.into_inner();
    handshake(tb, s, "localhost", what).await
}

fn sasl_plain(user: &str, password: &str) -> String {
    base64(format!("\0{user}\0{password}").as_bytes())
}

/// A Message-ID nobody used before (INN refuses reused ones).
fn unique_id(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "<{what}.{nanos}.{}@testbed.example.test>",
        std::process::id()
    )
}

/// Waits for a file containing `needle` under `dir/new` or `dir/cur`.
fn wait_for_mail(dir: &Path, needle: &str) -> Vec<u8> {
    let deadline = Instant::now() + HANG;
    loop {
        for sub in ["new", "cur"] {
            for entry in std::fs::read_dir(dir.join(sub))
                .into_iter()
                .flatten()
                .flatten()
            {
                if let Ok(raw) = std::fs::read(entry.path())
                    && String::from_utf8_lossy(&raw).contains(needle)
                {
                    return raw;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "no message with {needle} in {} within {HANG:?}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn implicit_tls_ports_verify_against_the_private_ca_only() {
    let tb = testbed();
    for (port, what, greeting) in [
        (tb.imaps_port, "imaps", "* OK"),
        (tb.pop3s_port, "pop3s", "+OK"),
        (tb.submissions_port, "submissions", "220 "),
        (tb.nntps_port, "nntps", "200 "),
    ] {
        let mut c = implicit(tb, port, what).await;
        let g = c.line().await;
        assert!(g.starts_with(greeting), "{what} greeting: {g}");
    }
    // The certificate names the address too.
    let s = plain(tb.imaps_port, "imaps by IP").await.into_inner();
    let mut c = handshake(tb, s, "127.0.0.1", "imaps by IP").await;
    assert!(c.line().await.starts_with("* OK"));
    // Trusting the system roots only must fail: the CA file is what makes it work.
    let s = plain(tb.imaps_port, "imaps untrusted").await.into_inner();
    let system_only = native_tls::TlsConnector::new().expect("system TLS connector");
    let res = tokio_native_tls::TlsConnector::from(system_only)
        .connect("localhost", s)
        .await;
    assert!(
        res.is_err(),
        "the testbed certificate verified without its CA"
    );
}

#[tokio::test]
async fn starttls_upgrades_imap_pop3_smtp_and_nntp() {
    let tb = testbed();

    // IMAP (RFC 3501 6.2.1), capabilities asked again after TLS.
    let mut c = plain(tb.imap_port, "imap").await;
    assert!(c.line().await.starts_with("* OK"));
    assert!(c.cmd("a STARTTLS").await.starts_with("a OK"));
    let mut c = handshake(tb, c.into_inner(), "localhost", "imap tls").await;
    c.send("b CAPABILITY").await;
    let caps = c.until(|l| l.starts_with("b ")).await;
    assert!(caps.iter().any(|l| l.contains("AUTH=PLAIN")), "{caps:?}");
    assert!(
        caps.last().is_some_and(|l| l.starts_with("b OK")),
        "{caps:?}"
    );

    // POP3 STLS (RFC 2595 4), APOP timestamp in the greeting (RFC 1939 7).
    let mut c = plain(tb.pop3_port, "pop3").await;
    let g = c.line().await;
    assert!(
        g.starts_with("+OK") && g.contains('<'),
        "pop3 greeting: {g}"
    );
    assert!(c.cmd("STLS").await.starts_with("+OK"));
    let mut c = handshake(tb, c.into_inner(), "localhost", "pop3 tls").await;
    assert!(c.cmd("CAPA").await.starts_with("+OK"));
    let capa = c.until(|l| l == ".").await;
    assert!(capa.iter().any(|l| l.starts_with("SASL")), "{capa:?}");

    // SMTP on the plain port (RFC 3207): STARTTLS optional, AUTH offered after it.
    let mut c = plain(tb.smtp_port, "smtp").await;
    assert!(c.line().await.starts_with("220 "));
    c.send("EHLO client.example.test").await;
    let ehlo = c.until(|l| l.starts_with("250 ")).await;
    assert!(ehlo.iter().any(|l| l.contains("STARTTLS")), "{ehlo:?}");
    assert!(c.cmd("STARTTLS").await.starts_with("220 "));
    let mut c = handshake(tb, c.into_inner(), "localhost", "smtp tls").await;
    c.send("EHLO client.example.test").await;
    let ehlo = c.until(|l| l.starts_with("250 ")).await;
    assert!(
        ehlo.iter()
            .any(|l| l.contains("AUTH") && l.contains("PLAIN")),
        "{ehlo:?}"
    );

    // NNTP STARTTLS (RFC 4642), on innd's port (handed to nnrpd for loopback).
    let mut c = plain(tb.nntp_port, "nntp").await;
    let g = c.line().await;
    assert!(
        g.starts_with("200 "),
        "nntp greeting (posting allowed): {g}"
    );
    assert!(c.cmd("CAPABILITIES").await.starts_with("101"));
    let caps = c.until(|l| l == ".").await;
    assert!(caps.iter().any(|l| l == "STARTTLS"), "{caps:?}");
    assert!(c.cmd("STARTTLS").await.starts_with("382"));
    let mut c = handshake(tb, c.into_inner(), "localhost", "nntp tls").await;
    assert!(c.cmd("CAPABILITIES").await.starts_with("101"));
    let caps = c.until(|l| l == ".").await;
    assert!(caps.iter().any(|l| l == "READER"), "{caps:?}");
    assert!(
        caps.iter().any(|l| l.starts_with("AUTHINFO USER")),
        "{caps:?}"
    );
    // Cyrus SASL mechanisms that cannot succeed stay hidden.
    assert!(!caps.iter().any(|l| l.starts_with("SASL")), "{caps:?}");
}

#[tokio::test]
async fn submission_offers_auth_only_after_starttls() {
    let tb = testbed();
    let mut c = plain(tb.submission_port, "submission").await;
    assert!(c.line().await.starts_with("220 "));
    c.send("EHLO client.example.test").await;
    let ehlo = c.until(|l| l.starts_with("250 ")).await;
    assert!(
        !ehlo.iter().any(|l| l.contains("AUTH")),
        "AUTH before TLS: {ehlo:?}"
    );
    let r = c.cmd("MAIL FROM:<alice@example.test>").await;
    assert!(r.starts_with("530"), "mail without TLS: {r}");
}

#[tokio::test]
async fn imap_login_for_a_claimed_user_and_plain_auth_with_a_non_ascii_password() {
    let tb = testbed();
    let user = tb.claim_user();
    let mut c = implicit(tb, tb.imaps_port, "imaps").await;
    c.line().await;
    let r = c.cmd(&format!("a LOGIN {} wrong", user.name)).await;
    assert!(r.starts_with("a NO"), "wrong password: {r}");
    let r = c
        .cmd(&format!("b LOGIN {} {}", user.name, user.password))
        .await;
    assert!(r.starts_with("b OK"), "login {}: {r}", user.name);

    // carol's password is "pässwörd": AUTHENTICATE PLAIN carries UTF-8 (RFC 4616).
    let carol = tb.user("carol");
    let mut c = plain(tb.imap_port, "imap carol").await;
    c.line().await;
    let r = c
        .cmd(&format!(
            "a AUTHENTICATE PLAIN {}",
            sasl_plain(&carol.name, &carol.password)
        ))
        .await;
    assert!(r.starts_with("a OK"), "carol: {r}");
    // ...and the full address logs in as the same user.
    let mut c = plain(tb.pop3_port, "pop3 bob").await;
    c.line().await;
    assert!(c.cmd("USER bob@example.test").await.starts_with("+OK"));
    let r = c.cmd("PASS bobpw").await;
    assert!(r.starts_with("+OK"), "bob over POP3: {r}");
}

async fn imap_login(tb: &Testbed, user: &MailUser) -> Conn<Tls> {
    let mut c = implicit(tb, tb.imaps_port, "imaps").await;
    c.line().await;
    let r = c
        .cmd(&format!("l LOGIN {} {}", user.name, user.password))
        .await;
    assert!(r.starts_with("l OK"), "login {}: {r}", user.name);
    c
}

#[tokio::test]
async fn seeded_messages_are_what_imap_sees() {
    let tb = testbed();
    let user = tb.claim_user();
    let date = 1_700_000_000; // 14-Nov-2023 22:13:20 +0000
    user.seed("INBOX", b"Subject: first\r\n\r\none\r\n", "S", date);
    user.seed("INBOX", b"Subject: second\n\ntwo\n", "FR", date - 86_400);
    user.seed("Sent", b"Subject: sent\n\nx\n", "S", date);
    user.seed("Entwürfe.alt", b"Subject: nested\n\nx\n", "", date);

    let mut c = imap_login(tb, &user).await;
    c.send("a SELECT INBOX").await;
    let sel = c.until(|l| l.starts_with("a ")).await;
    assert!(sel.iter().any(|l| l == "* 2 EXISTS"), "{sel:?}");
    c.send("b FETCH 1:* (FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        .await;
    let f = c.until(|l| l.starts_with("b ")).await.join("\n");
    // UIDs follow seed order even though the second message is older.
    let first = f.find("first").unwrap_or_else(|| panic!("{f}"));
    let second = f.find("second").unwrap_or_else(|| panic!("{f}"));
    assert!(first < second, "{f}");
    assert!(
        f.contains("14-Nov-2023 22:13:20 +0000"),
        "INTERNALDATE from mtime: {f}"
    );
    assert!(f.contains("\\Seen"), "{f}");
    assert!(f.contains("\\Flagged") && f.contains("\\Answered"), "{f}");

    c.send("c LIST \"\" \"*\"").await;
    let list = c.until(|l| l.starts_with("c ")).await.join("\n");
    assert!(list.contains("Entw&APw-rfe.alt"), "{list}");
    assert!(list.contains("\\Sent) \".\" Sent"), "{list}");
    c.send("d SELECT Sent").await;
    let sel = c.until(|l| l.starts_with("d ")).await;
    assert!(sel.iter().any(|l| l == "* 1 EXISTS"), "{sel:?}");
    c.send("e SELECT \"Entw&APw-rfe.alt\"").await;
    let sel = c.until(|l| l.starts_with("e ")).await;
    assert!(sel.iter().any(|l| l == "* 1 EXISTS"), "{sel:?}");
}

#[tokio::test]
async fn mail_submitted_after_starttls_and_auth_lands_in_the_recipients_maildir() {
    let tb = testbed();
    let (from, to) = (tb.claim_user(), tb.claim_user());
    let id = unique_id("submission");
    let mut c = plain(tb.submission_port, "submission").await;
    assert!(c.line().await.starts_with("220 "));
    c.send("EHLO client.example.test").await;
    c.until(|l| l.starts_with("250 ")).await;
    assert!(c.cmd("STARTTLS").await.starts_with("220 "));
    let mut c = handshake(tb, c.into_inner(), "localhost", "submission tls").await;
    c.send("EHLO client.example.test").await;
    c.until(|l| l.starts_with("250 ")).await;
    let r = c
        .cmd(&format!(
            "AUTH PLAIN {}",
            sasl_plain(&from.name, &from.password)
        ))
        .await;
    assert!(r.starts_with("235"), "auth: {r}");
    assert!(
        c.cmd(&format!("MAIL FROM:<{}>", from.address))
            .await
            .starts_with("250")
    );
    let r = c.cmd(&format!("RCPT TO:<{}>", to.address)).await;
    assert!(r.starts_with("250"), "rcpt: {r}");
    // External recipients are kept on the host: they go to sink@example.test.
    let r = c.cmd("RCPT TO:<somebody@example.org>").await;
    assert!(r.starts_with("250"), "external rcpt: {r}");
    let r = c.cmd("RCPT TO:<nobody@example.test>").await;
    assert!(r.starts_with("550"), "unknown local user: {r}");
    assert!(c.cmd("DATA").await.starts_with("354"));
    for l in [
        format!("From: {}", from.address),
        format!("To: {}, somebody@example.org", to.address),
        "Subject: testbed submission".to_string(),
        format!("Message-ID: {id}"),
        String::new(),
        "hello over submission".to_string(),
        ".".to_string(),
    ] {
        c.send(&l).await;
    }
    let r = c.line().await;
    assert!(r.starts_with("250"), "data: {r}");
    c.cmd("QUIT").await;

    let raw = wait_for_mail(&to.maildir, &id);
    assert!(String::from_utf8_lossy(&raw).contains("hello over submission"));
    wait_for_mail(&tb.user("sink").maildir, &id);
    // Dovecot serves what virtual(8) delivered.
    let mut c = imap_login(tb, &to).await;
    c.send("a SELECT INBOX").await;
    let sel = c.until(|l| l.starts_with("a ")).await;
    assert!(sel.iter().any(|l| l == "* 1 EXISTS"), "{sel:?}");
}

#[tokio::test]
async fn unauthenticated_relaying_is_refused() {
    let tb = testbed();
    let mut c = plain(tb.smtp_port, "smtp").await;
    assert!(c.line().await.starts_with("220 "));
    c.send("EHLO client.example.test").await;
    c.until(|l| l.starts_with("250 ")).await;
    assert!(c.cmd("MAIL FROM:<x@example.org>").await.starts_with("250"));
    let r = c.cmd("RCPT TO:<y@example.org>").await;
    assert!(r.starts_with("554"), "relay without auth: {r}");
    // Local recipients are accepted without auth (incoming mail).
    let r = c.cmd("RCPT TO:<bob@example.test>").await;
    assert!(r.starts_with("250"), "local rcpt: {r}");
}

#[tokio::test]
async fn a_posted_article_reads_back_and_the_auth_port_requires_authinfo() {
    let tb = testbed();
    let id = unique_id("post");
    let mut c = plain(tb.nntp_port, "nntp").await;
    assert!(c.line().await.starts_with("200 "));
    let r = c.cmd("MODE READER").await;
    assert!(
        r.starts_with("200") || r.starts_with("201"),
        "mode reader: {r}"
    );
    assert!(c.cmd("POST").await.starts_with("340"));
    for l in [
        "From: Alice <alice@example.test>",
        "Newsgroups: test.general,comp.mail.archive",
        "Subject: testbed post",
        &format!("Message-ID: {id}"),
        "",
        "..a dot-stuffed first line",
        "hello news",
        ".",
    ] {
        c.send(l).await;
    }
    let r = c.line().await;
    assert!(r.starts_with("240"), "post: {r}");
    let r = c.cmd(&format!("ARTICLE {id}")).await;
    assert!(r.starts_with("220"), "article: {r}");
    let art = c.until(|l| l == ".").await;
    assert!(art.iter().any(|l| l == "hello news"), "{art:?}");
    assert!(
        art.iter().any(|l| l == "..a dot-stuffed first line"),
        "{art:?}"
    );
    let r = c.cmd("GROUP comp.mail.archive").await;
    assert!(r.starts_with("211 "), "group: {r}");
    assert!(
        c.cmd("LIST NEWSGROUPS test.described")
            .await
            .starts_with("215")
    );
    let desc = c.until(|l| l == ".").await;
    assert!(
        desc.iter().any(|l| l.starts_with("test.described")),
        "{desc:?}"
    );

    let mut c = implicit(tb, tb.nntps_port, "nntps").await;
    assert!(c.line().await.starts_with("200 "));
    let r = c.cmd(&format!("STAT {id}")).await;
    assert!(r.starts_with("223"), "the article over NNTPS: {r}");

    let mut c = plain(tb.nntp_auth_port, "nntp auth").await;
    c.line().await;
    let r = c.cmd("GROUP test.general").await;
    assert!(r.starts_with("480"), "unauthenticated group: {r}");
    assert!(c.cmd("AUTHINFO USER alice").await.starts_with("381"));
    let r = c.cmd("AUTHINFO PASS alicepw").await;
    assert!(r.starts_with("281"), "authinfo: {r}");
    let r = c.cmd("GROUP test.general").await;
    assert!(r.starts_with("211 "), "group after auth: {r}");
}

/// Run by `claims_are_exclusive_across_processes` in child processes: claims
/// $PH_CLAIM_CHILD users, seeds one message into each, prints their names and holds
/// them until stdin closes. Ignored (does nothing) in a normal run.
#[test]
#[ignore = "helper process for claims_are_exclusive_across_processes"]
fn claim_child() {
    let Some(n) = std::env::var("PH_CLAIM_CHILD")
        .ok()
        .and_then(|n| n.parse().ok())
    else {
        return;
    };
    let tb = testbed();
    let all = std::env::var_os("PH_CLAIM_ALL").is_some();
    let mut users = Vec::new();
    while all || users.len() < n {
        let Some(u) = tb.try_claim_user() else { break };
        let count = ["new", "cur"]
            .iter()
            .map(|d| std::fs::read_dir(u.maildir.join(d)).map_or(0, |r| r.count()))
            .sum::<usize>();
        if !all {
            u.seed("INBOX", b"Subject: left behind\n\nx\n", "", 1_700_000_000);
        }
        users.push(format!("{}={count}", u.name));
    }
    println!("CLAIMED {}", users.join(" "));
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

struct Child {
    proc: std::process::Child,
    /// Read to the end on release: the child's test harness still writes to it.
    out: StdBufReader<std::process::ChildStdout>,
    claimed: Vec<(String, usize)>,
}

fn spawn_claimer(n: usize, all: bool) -> Child {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = Command::new(exe);
    cmd.args([
        "--exact",
        "claim_child",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("PH_CLAIM_CHILD", n.to_string())
    .env("POSTHORN_TESTBED", testbed::env_file())
    .stdin(Stdio::piped())
    .stdout(Stdio::piped());
    if all {
        cmd.env("PH_CLAIM_ALL", "1");
    }
    let mut proc = cmd.spawn().expect("spawn the claim child");
    let mut out = StdBufReader::new(proc.stdout.take().expect("child stdout"));
    let line = (&mut out)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.find("CLAIMED ").map(|at| l[at..].to_string()))
        .expect("the claim child printed its users");
    let claimed = line
        .split_whitespace()
        .skip(1)
        .filter_map(|w| w.split_once('='))
        .map(|(n, c)| (n.to_string(), c.parse().unwrap_or(usize::MAX)))
        .collect();
    Child { proc, out, claimed }
}

impl Child {
    fn release(mut self) {
        drop(self.proc.stdin.take());
        let _ = std::io::copy(&mut self.out, &mut std::io::sink());
        let status = self.proc.wait().expect("wait for the claim child");
        assert!(status.success(), "claim child: {status}");
    }
}

#[test]
fn claims_are_exclusive_across_processes() {
    let tb = testbed();
    let mine: Vec<MailUser> = (0..2).map(|_| tb.claim_user()).collect();
    // Two processes holding claims at the same time, besides this one.
    let a = spawn_claimer(3, false);
    let b = spawn_claimer(3, false);
    let mut names: Vec<String> = mine.iter().map(|u| u.name.clone()).collect();
    names.extend(a.claimed.iter().chain(&b.claimed).map(|(n, _)| n.clone()));
    assert_eq!(names.len(), 8, "{names:?}");
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        names.len(),
        "a user was claimed twice: {names:?}"
    );
    let seeded: Vec<String> = a
        .claimed
        .iter()
        .chain(&b.claimed)
        .map(|(n, _)| n.clone())
        .collect();
    a.release();
    b.release();

    // The users they left (with a message each) are handed out again, wiped.
    let c = spawn_claimer(0, true);
    let reused: Vec<&(String, usize)> = c
        .claimed
        .iter()
        .filter(|(n, _)| seeded.contains(n))
        .collect();
    assert!(
        !reused.is_empty(),
        "released users were not claimable again: {:?}",
        c.claimed
    );
    for (name, count) in &reused {
        assert_eq!(*count, 0, "{name} was handed out again without being wiped");
    }
    assert!(
        !c.claimed
            .iter()
            .any(|(n, _)| mine.iter().any(|u| &u.name == n)),
        "a user this process holds was claimed by another"
    );
    c.release();
}
