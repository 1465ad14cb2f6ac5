//! The sending path under a hostile user or server: more recipients than a server takes
//! in one transaction (Postfix refuses past `smtpd_recipient_limit`, 1000 by default,
//! with 452), a server that refuses one of several transactions (the recipients that
//! already have the message must not get it again on the retry), and raw input whose
//! line ends would let a Bcc slip past `posthorn send` (bare CR).
//!
//! The servers here are a small in-test fake on loopback that records every transaction,
//! and the testbed's Postfix for the bytes that arrive (dot-stuffing, line ends).

mod common;
mod send_support;

use posthorn::account::Submitter;
use posthorn::compose::outbox::{NewEntry, Outbox};
use posthorn::config::{Sending, ServerConfig, Tls};
use posthorn::core::AccountId;
use posthorn::run::outbox::{Attempt, send_entry};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One accepted transaction: its recipients and its data (still dot-stuffed).
#[derive(Clone, Debug)]
struct Delivery {
    rcpts: Vec<String>,
    data: Vec<u8>,
}

/// How the fake behaves.
#[derive(Clone, Copy)]
struct Rules {
    /// RCPTs per transaction before 452 (RFC 5321 §4.5.3.1.10).
    rcpt_limit: usize,
    /// The transaction (counted from 1 over the server's life) whose DATA gets 554.
    refuse_data: Option<usize>,
    /// Never answer the end of the data (it is recorded in `stalled`).
    stall: bool,
}

struct Fake {
    port: u16,
    delivered: Arc<Mutex<Vec<Delivery>>>,
}

/// How many messages a stalling fake got whole without answering.
static STALLED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn fake(rules: Rules) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let delivered = Arc::new(Mutex::new(Vec::new()));
    let log = delivered.clone();
    let transactions = Arc::new(Mutex::new(0usize));
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let (log, transactions) = (log.clone(), transactions.clone());
            std::thread::spawn(move || serve(conn, rules, &log, &transactions));
        }
    });
    Fake { port, delivered }
}

fn serve(
    conn: std::net::TcpStream,
    rules: Rules,
    log: &Mutex<Vec<Delivery>>,
    transactions: &Mutex<usize>,
) {
    let mut w = conn.try_clone().unwrap();
    let mut r = BufReader::new(conn);
    let _ = w.write_all(b"220 fake.example ESMTP\r\n");
    let mut rcpts: Vec<String> = Vec::new();
    loop {
        let mut l = Vec::new();
        if r.read_until(b'\n', &mut l).unwrap_or(0) == 0 {
            return;
        }
        let up = String::from_utf8_lossy(&l).to_ascii_uppercase();
        let reply: &[u8] = if up.starts_with("EHLO") {
            b"250-fake.example\r\n250-8BITMIME\r\n250 PIPELINING\r\n"
        } else if up.starts_with("MAIL") || up.starts_with("RSET") {
            rcpts.clear();
            b"250 ok\r\n"
        } else if up.starts_with("RCPT") {
            if rcpts.len() >= rules.rcpt_limit {
                b"452 4.5.3 Error: too many recipients\r\n"
            } else {
                let s = String::from_utf8_lossy(&l);
                let a = s.trim_end().trim_start_matches("RCPT TO:");
                rcpts.push(a.trim_matches(['<', '>']).to_string());
                b"250 ok\r\n"
            }
        } else if up.starts_with("DATA") {
            let _ = w.write_all(b"354 go on\r\n");
            let mut data = Vec::new();
            loop {
                let mut d = Vec::new();
                if r.read_until(b'\n', &mut d).unwrap_or(0) == 0 {
                    return;
                }
                if d == b".\r\n" {
                    break;
                }
                data.extend_from_slice(&d);
            }
            let n = {
                let mut t = transactions.lock().unwrap();
                *t += 1;
                *t
            };
            if rules.stall {
                STALLED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_secs(600));
                return;
            }
            if rules.refuse_data == Some(n) {
                b"554 5.7.1 not this one\r\n"
            } else {
                log.lock().unwrap().push(Delivery {
                    rcpts: std::mem::take(&mut rcpts),
                    data,
                });
                b"250 2.0.0 queued\r\n"
            }
        } else if up.starts_with("QUIT") {
            let _ = w.write_all(b"221 bye\r\n");
            return;
        } else {
            b"250 ok\r\n"
        };
        let _ = w.write_all(reply);
    }
}

fn submitters(port: u16) -> BTreeMap<AccountId, Submitter> {
    let mut cfg: ServerConfig = toml::from_str(&format!(
        "host = \"127.0.0.1\"\nport = {port}\ntls = \"none\""
    ))
    .unwrap();
    cfg.tls = Tls::None;
    let id = AccountId("acc".into());
    BTreeMap::from([(id.clone(), Submitter::from_config(&id, &Sending::Smtp(cfg)))])
}

fn many(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("u{i}@example.test")).collect()
}

fn entry(recipients: Vec<String>) -> NewEntry {
    NewEntry::from_kept(
        "acc",
        "a@example.test",
        recipients,
        b"From: a@example.test\nTo: list@example.test\nSubject: many\n\nhello\n".to_vec(),
    )
}

/// Every recipient the fake accepted the message for, with how often.
fn counts(f: &Fake) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for d in f.delivered.lock().unwrap().iter() {
        for r in &d.rcpts {
            *out.entry(r.clone()).or_insert(0) += 1;
        }
    }
    out
}

#[test]
fn more_recipients_than_the_server_takes_at_once_all_get_it_once() {
    // Postfix's default smtpd_recipient_limit.
    let f = fake(Rules {
        rcpt_limit: 1000,
        refuse_data: None,
        stall: false,
    });
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let rcpts = many(2500);
    let id = outbox.enqueue(&entry(rcpts.clone())).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    match rt.block_on(send_entry(&outbox, &submitters(f.port), &id)) {
        Attempt::Sent { .. } => {}
        Attempt::Failed { error, .. } => panic!("not sent: {}", error.message),
        Attempt::Busy => panic!("busy"),
    }
    let c = counts(&f);
    assert_eq!(c.len(), 2500);
    assert!(c.values().all(|&n| n == 1), "someone got it twice");
    assert!(outbox.list().unwrap().is_empty());
    // Every transaction carried the same bytes.
    let d = f.delivered.lock().unwrap();
    assert!(d.windows(2).all(|w| w[0].data == w[1].data));
}

#[test]
fn a_refused_batch_keeps_only_its_recipients_and_the_retry_sends_them_once() {
    // The second transaction's DATA is refused: the first 100 have the message.
    let f = fake(Rules {
        rcpt_limit: 1000,
        refuse_data: Some(2),
        stall: false,
    });
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let rcpts = many(250);
    let id = outbox.enqueue(&entry(rcpts.clone())).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let subs = submitters(f.port);
    let Attempt::Failed { error, meta } = rt.block_on(send_entry(&outbox, &subs, &id)) else {
        panic!("sent");
    };
    assert!(error.message.contains("554 5.7.1"), "{}", error.message);
    assert!(error.message.contains("100 of 250"), "{}", error.message);
    let meta = meta.expect("recorded");
    assert_eq!(meta.recipients.len(), 150);
    assert_eq!(meta.delivered.len(), 100);
    // What is on disk says the same (a later process retries from it).
    let listed = outbox.meta(&id).unwrap();
    assert_eq!(listed.recipients, rcpts[100..].to_vec());
    assert_eq!(listed.delivered, rcpts[..100].to_vec());

    let r = rt.block_on(send_entry(&outbox, &subs, &id));
    assert!(matches!(r, Attempt::Sent { .. }), "{r:?}");
    let c = counts(&f);
    assert_eq!(c.len(), 250, "everyone got it");
    assert!(
        c.values().all(|&n| n == 1),
        "no one got it twice: {:?}",
        c.iter()
            .filter(|(_, n)| **n > 1)
            .take(3)
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_bcc_behind_a_lone_cr_is_a_bcc_not_part_of_another_field() {
    let raw = b"From: a@example.test\nTo: b@example.test\nX-Note: hi\rBcc: secret@example.test\nSubject: s\n\nbody\rstays\n";
    let built = posthorn::compose::prepare_raw(raw).unwrap();
    assert!(
        built.recipients.iter().any(|r| r == "secret@example.test"),
        "the Bcc recipient gets it: {:?}",
        built.recipients
    );
    let sent = String::from_utf8_lossy(&built.sent);
    assert!(
        !sent.contains("secret"),
        "no Bcc in the sent bytes: {sent:?}"
    );
    assert!(sent.contains("X-Note: hi\r\n"), "{sent:?}");
    let kept = String::from_utf8_lossy(&built.kept);
    assert!(
        kept.contains("\r\nBcc: secret@example.test\r\n"),
        "{kept:?}"
    );
    // The body is the sender's business (only LF becomes CRLF).
    assert!(sent.ends_with("\r\n\r\nbody\rstays\r\n"), "{sent:?}");
}

/// A local Maildir account `a` whose `[smtp]` goes to `port`.
fn write_config(dir: &std::path::Path, port: u16) -> std::path::PathBuf {
    let mail = dir.join("mail");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(mail.join(sub)).unwrap();
    }
    let config = dir.join("config.toml");
    let text = format!(
        "[general]\nindex = \"{}\"\n\n[accounts.a]\nfrom = \"Alice <alice@example.test>\"\n[accounts.a.maildir]\npath = \"{}\"\n[accounts.a.smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\n",
        dir.join("index.sqlite").display(),
        mail.display(),
    );
    std::fs::write(&config, text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    config
}

fn posthorn(dir: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_posthorn"));
    c.arg("--config")
        .arg(dir.join("config.toml"))
        .args(args)
        .env("HOME", dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    c
}

#[test]
fn a_send_killed_while_the_server_holds_the_data_is_listed_and_flushed_with_a_warning() {
    let stalling = fake(Rules {
        rcpt_limit: 1000,
        refuse_data: None,
        stall: true,
    });
    let d = tempfile::tempdir().unwrap();
    write_config(d.path(), stalling.port);
    let mut child = posthorn(d.path(), &["send"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"From: alice@example.test\nTo: bob@example.test\nSubject: killed\n\nbody\n")
        .unwrap();
    // The whole message is at the server, which has not answered: kill -9 now.
    while STALLED.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    let _ = child.wait();

    let o = posthorn(d.path(), &["outbox"]).output().unwrap();
    let listing = String::from_utf8_lossy(&o.stdout);
    assert!(listing.contains("\"killed\""), "{listing}");
    assert!(listing.contains("has not ended"), "{listing}");

    let good = fake(Rules {
        rcpt_limit: 1000,
        refuse_data: None,
        stall: false,
    });
    write_config(d.path(), good.port);
    let o = posthorn(d.path(), &["outbox", "--flush"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("cut off mid-send"), "the user is told: {err}");
    assert_eq!(counts(&good).get("bob@example.test"), Some(&1));
    let o = posthorn(d.path(), &["outbox"]).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("empty"));
    // Sent once more: nothing left to send twice.
    let o = posthorn(d.path(), &["outbox", "--flush"]).output().unwrap();
    assert!(o.status.success());
    assert_eq!(counts(&good).get("bob@example.test"), Some(&1));
}

#[test]
fn lines_of_dots_and_mixed_line_ends_arrive_byte_for_byte_through_postfix() {
    let tb = common::testbed::testbed();
    let me = tb.claim_user();
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mid = format!("<dots.{n}.{}@example.test>", std::process::id());
    let body: &[u8] = b".\n..\n.x\r\n. \nmid.\n\n.\r\nlast line without an end.";
    let raw = [
        format!(
            "From: {a}\nTo: {a}\nSubject: dots\nMessage-ID: {mid}\n\n",
            a = me.address
        )
        .as_bytes(),
        body,
    ]
    .concat();
    let built = posthorn::compose::prepare_raw(&raw).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let id = outbox
        .enqueue(&NewEntry::from_built("acc", &built))
        .unwrap();
    let cfg = send_support::smtp_config(tb, &me.name, &me.password, tb.submission_port);
    let subs = BTreeMap::from([(AccountId("acc".into()), send_support::submitter("acc", cfg))]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    match rt.block_on(send_entry(&outbox, &subs, &id)) {
        Attempt::Sent { .. } => {}
        other => panic!("{other:?}"),
    }
    let got = send_support::fetch_by_message_id(tb, &me, &mid);
    let at = got
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    // Every line end CRLF (RFC 5321 §2.3.8); a last line without one gets one.
    let want = b".\r\n..\r\n.x\r\n. \r\nmid.\r\n\r\n.\r\nlast line without an end.\r\n";
    assert_eq!(
        String::from_utf8_lossy(&got[at + 4..]),
        String::from_utf8_lossy(want)
    );
}

#[test]
fn send_refuses_control_characters_in_addresses_and_queues_nothing() {
    let d = tempfile::tempdir().unwrap();
    // Nothing listens here: the message must never get as far as a connection.
    write_config(d.path(), 9);
    for raw in [
        &b"From: a\0b@example.test\nTo: bob@example.test\nSubject: nul\n\nhi\n"[..],
        &b"From: alice@example.test\nTo: bob@example.test, =?utf-8?q?c=00d=1B=5B2J@example.test?=\nSubject: esc\n\nhi\n"[..],
    ] {
        let mut child = posthorn(d.path(), &["send"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(raw).unwrap();
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success());
        assert!(err.contains("not a valid address"), "{err}");
        assert!(!err.contains('\u{1b}') && !err.contains('\0'), "{err:?}");
    }
    let o = posthorn(d.path(), &["outbox"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("empty"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn a_note_that_cannot_be_written_does_not_stop_a_durable_message() {
    use posthorn::config::SendmailConfig;
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("outbox")).unwrap();
    let id = outbox
        .enqueue(&entry(vec!["b@example.test".into()]))
        .unwrap();
    // The metadata can no longer be replaced (as on a full disk): its temporary name
    // is taken by a directory.
    std::fs::create_dir(outbox.dir().join(&id.0).join("meta.json.tmp")).unwrap();
    let marker = dir.path().join("piped");
    let acc = AccountId("acc".into());
    let s = Submitter::from_config(
        &acc,
        &Sending::Sendmail(SendmailConfig {
            command: format!("cat > '{}'", marker.display()),
        }),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    match rt.block_on(send_entry(&outbox, &BTreeMap::from([(acc, s)]), &id)) {
        Attempt::Sent { .. } => {}
        other => panic!("{other:?}"),
    }
    assert!(std::fs::read(&marker).unwrap().ends_with(b"hello\r\n"));
    assert!(outbox.list().unwrap().is_empty());
}
