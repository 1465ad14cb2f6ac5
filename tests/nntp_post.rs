//! Posting to the real INN on 127.0.0.1 (scripts/testbed.sh, reader port, posting
//! allowed): a new article and a follow-up built by the compose path, posted through the
//! NNTP account's submitter, then synced and seen threaded by References; `posthorn send
//! --account news` posts, and a 441 (a group that does not exist) exits non-zero with the
//! server's text and keeps the article in the outbox; a cancel of one's own article
//! removes it from the server (the testbed's INN runs with `docancels: auth`, and
//! nnrpd adds no Cancel-Lock as inn-secrets.conf has no canlock secrets). A small fake
//! A retry of an article the server already has succeeds without a second POST. A small fake
//! server answers 440 to POST: the error carries its text and no article bytes follow.

mod common;

use common::testbed::testbed;
use posthorn::account::nntp::{NntpAccount, NntpPoster, NntpServer};
use posthorn::account::{Account, AccountErrorKind, Outgoing, Submitter};
use posthorn::compose::{BuildOptions, Draft, FollowUp, build, cancel, follow_up, new_article};
use posthorn::config::AccountConfig;
use posthorn::core::{AccountId, FolderPath, sort::SortKey, thread::thread};
use posthorn::net::{TlsMode, TlsSettings};
use posthorn::store::IndexReader;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// A tag no earlier run used (innd refuses a Message-ID it has seen).
fn fresh() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    format!("{}.{}", t.as_nanos(), std::process::id())
}

fn news_config(port: u16, extra: &str) -> String {
    format!(
        "[accounts.news]\nfrom = \"Alice <alice@example.test>\"\n{extra}\n\
[accounts.news.nntp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\n\
from = \"Alice News <alice-news@example.test>\"\nnewsrc = \"~/.newsrc\"\n"
    )
}

fn account_cfg() -> AccountConfig {
    let text = news_config(testbed().nntp_port, "");
    let cfg = posthorn::config::parse_config(Path::new("t.toml"), &text).unwrap();
    cfg.accounts["news"].clone()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Builds and posts a draft through the account's submitter; the built message back.
fn post(rt: &tokio::runtime::Runtime, d: &Draft) -> posthorn::compose::Built {
    let b = build(d, &BuildOptions::default()).unwrap();
    submit(rt, &b);
    b
}

/// Posts built bytes through the account's submitter.
fn submit(rt: &tokio::runtime::Runtime, b: &posthorn::compose::Built) {
    let s = Submitter::for_account(&AccountId("news".into()), &account_cfg()).unwrap();
    let msg = Outgoing {
        from: b.envelope_from.clone(),
        recipients: b.recipients.clone(),
        bytes: b.sent.clone(),
    };
    rt.block_on(s.submit(&msg, &b.kept)).unwrap();
}

/// STAT <mid> on the reader port: the reply code (223 there, 430 gone).
fn stat(mid: &str) -> u16 {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", testbed().nntp_port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    write!(s, "STAT {mid}\r\n").unwrap();
    line.clear();
    r.read_line(&mut line).unwrap();
    let _ = write!(s, "QUIT\r\n");
    line[..3].parse().unwrap()
}

#[test]
fn an_article_and_its_follow_up_are_posted_and_read_back_threaded() {
    let rt = rt();
    let tag = fresh();
    let mut d = new_article("news", &account_cfg(), "test.misc").unwrap();
    assert_eq!(d.from, "Alice News <alice-news@example.test>");
    d.subject = format!("posthorn post {tag}");
    d.body = "A new article.\n.a line with a leading dot\n".into();
    let orig = post(&rt, &d);
    let FollowUp::Post(f) = follow_up(&orig.sent, "news", &account_cfg()).unwrap() else {
        panic!("a follow-up to post");
    };
    let reply = post(&rt, &f);
    // Sent again (a retry after an acceptance the outbox never heard of): the server
    // has it, so it is not posted twice (INN would answer "441 435 Duplicate").
    submit(&rt, &reply);

    // Read the group back with the NNTP account.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("newsrc"), "test.misc:\n").unwrap();
    let server = NntpServer {
        host: "127.0.0.1".into(),
        port: testbed().nntp_port,
        tls: TlsMode::None,
        tls_settings: TlsSettings { ca_file: None },
        user: None,
        timeout: Duration::from_secs(20),
    };
    let mut acc = NntpAccount::open(
        AccountId("news".into()),
        server,
        None,
        &dir.path().join("cache"),
        &dir.path().join("newsrc"),
        &dir.path().join("index.db"),
    )
    .unwrap();
    let group = FolderPath("test.misc".into());
    rt.block_on(async {
        acc.connect().await.unwrap();
        acc.sync_folder(&group, &mut |_| {}).await.unwrap();
    });
    let envs = IndexReader::open(&dir.path().join("index.db"))
        .unwrap()
        .view()
        .envelopes(&AccountId("news".into()), &group)
        .unwrap();
    let find = |mid: &str| envs.iter().position(|e| e.message_id == mid);
    let (Some(a), Some(b)) = (find(&orig.message_id), find(&reply.message_id)) else {
        panic!("both articles are in the group");
    };
    assert_eq!(envs[b].subject, format!("Re: posthorn post {tag}"));
    assert!(envs[b].references.contains(&orig.message_id));
    let rows = thread(&envs, &[a, b], SortKey::Date, false);
    let depth = |i| rows.iter().find(|r| r.index == i).unwrap().depth;
    assert_eq!(
        (depth(a), depth(b)),
        (0, 1),
        "the follow-up threads under it"
    );
}

#[test]
fn a_cancel_removes_ones_own_article() {
    let rt = rt();
    let mut d = new_article("news", &account_cfg(), "test.misc").unwrap();
    d.subject = format!("to be cancelled {}", fresh());
    d.body = "gone soon\n".into();
    let orig = post(&rt, &d);
    assert_eq!(stat(&orig.message_id), 223);
    let c = cancel(&orig.sent, "news", &account_cfg()).unwrap();
    post(&rt, &c);
    // innd executes the cancel as it files it; allow it a moment.
    let mut code = 0;
    for _ in 0..50 {
        code = stat(&orig.message_id);
        if code == 430 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(code, 430, "the cancelled article is gone");
}

fn posthorn(home: &Path, cfg: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_posthorn"))
        .arg("--config")
        .arg(cfg)
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn send_posts_and_a_441_stays_in_the_outbox_with_the_server_text() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.toml");
    let general = format!(
        "[general]\nindex = \"{}\"\n",
        home.path().join("index.sqlite").display()
    );
    std::fs::write(
        &cfg,
        format!("{general}\n{}", news_config(testbed().nntp_port, "")),
    )
    .unwrap();
    std::fs::write(home.path().join(".newsrc"), "test.misc:\n").unwrap();
    let tag = fresh();
    let mid = format!("<cli-post.{tag}@example.test>");
    let art = format!(
        "From: Alice <alice@example.test>\nNewsgroups: test.misc\nSubject: cli post {tag}\nMessage-ID: {mid}\n\n..starts with a dot\n"
    );
    let o = posthorn(
        home.path(),
        &cfg,
        &["send", "--account", "news"],
        art.as_bytes(),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("posted to test.misc"), "{out}");
    assert_eq!(stat(&mid), 223);

    // A group the server does not carry: 441, kept.
    let bad = format!(
        "From: Alice <alice@example.test>\nNewsgroups: no.such.group\nSubject: nowhere {tag}\n\nbody\n"
    );
    let o = posthorn(
        home.path(),
        &cfg,
        &["send", "--account", "news"],
        bad.as_bytes(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("441") && err.contains("no.such.group"),
        "{err}"
    );
    let o = posthorn(home.path(), &cfg, &["outbox"], b"");
    let list = String::from_utf8_lossy(&o.stdout);
    assert!(
        list.contains(&format!("nowhere {tag}"))
            && list.contains("last error:")
            && list.contains("441"),
        "{list}"
    );
    // Without --account, an article finds the NNTP account by itself.
    let mid2 = format!("<cli-post2.{tag}@example.test>");
    let art2 = art.replace(&mid, &mid2);
    let o = posthorn(home.path(), &cfg, &["send"], art2.as_bytes());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(stat(&mid2), 223);
}

/// A fake server that greets with 200 and answers POST with `reply`; returns what the
/// client sent.
fn fake(reply: &'static str) -> (u16, std::thread::JoinHandle<Vec<u8>>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        s.write_all(b"200 fake ready (posting ok)\r\n").unwrap();
        let mut got = Vec::new();
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            got.extend_from_slice(line.as_bytes());
            let cmd = line.trim_end().to_ascii_uppercase();
            if cmd == "CAPABILITIES" {
                s.write_all(b"101 caps\r\nVERSION 2\r\nREADER\r\nPOST\r\n.\r\n")
                    .unwrap();
            } else if cmd == "POST" {
                s.write_all(reply.as_bytes()).unwrap();
            } else if cmd == "QUIT" {
                let _ = s.write_all(b"205 bye\r\n");
                break;
            } else {
                s.write_all(b"500 what\r\n").unwrap();
            }
        }
        got
    });
    (port, h)
}

#[test]
fn a_440_is_an_error_with_the_server_text_and_no_article_follows() {
    let (port, h) = fake("440 Posting not permitted here\r\n");
    let poster = NntpPoster::with_server(
        AccountId("news".into()),
        NntpServer {
            host: "127.0.0.1".into(),
            port,
            tls: TlsMode::None,
            tls_settings: TlsSettings { ca_file: None },
            user: None,
            timeout: Duration::from_secs(20),
        },
        None,
    );
    let art = b"From: a@example.test\r\nNewsgroups: test.misc\r\nSubject: s\r\nMessage-ID: <f1@example.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nbody\r\n";
    let e = rt().block_on(poster.post(art)).unwrap_err();
    assert_eq!(e.kind, AccountErrorKind::Rejected);
    assert!(
        e.message.contains("440 Posting not permitted here"),
        "{}",
        e.message
    );
    let sent = String::from_utf8_lossy(&h.join().unwrap()).into_owned();
    assert!(!sent.contains("body"), "no article after a 440: {sent}");
    // An article without Subject is refused before any connection.
    let e = rt()
        .block_on(poster.post(b"From: a@example.test\r\nNewsgroups: x\r\n\r\nb\r\n"))
        .unwrap_err();
    assert!(e.message.contains("Subject"), "{}", e.message);
}
