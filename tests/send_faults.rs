//! Sending faults no real server shows on demand: a server that does not offer STARTTLS
//! when the account requires it (refused before AUTH, nothing sent in the clear), and
//! sendmail commands that succeed (the bytes on stdin are the sent bytes) or fail (the
//! message stays, the error has the exit status and stderr). Also the background sender
//! picking up what an earlier run left in the outbox.

mod common;
mod send_support;

use posthorn::account::{AccountErrorKind, Submitter};
use posthorn::compose::outbox::{NewEntry, Outbox, sent_bytes};
use posthorn::config::{Secret, Sending, SendmailConfig, ServerConfig, Tls};
use posthorn::core::AccountId;
use posthorn::run::outbox::{Attempt, OutboxEvent, OutboxHandle, send_entry};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

const KEPT: &[u8] =
    b"From: a@example.test\nTo: b@example.test\nBcc: hidden@example.test\nSubject: s\n\nbody\n";

fn entry() -> NewEntry {
    NewEntry::from_kept(
        "acc",
        "a@example.test",
        vec!["b@example.test".into(), "hidden@example.test".into()],
        KEPT.to_vec(),
    )
}

fn sendmail(command: &str) -> BTreeMap<AccountId, Submitter> {
    let id = AccountId("acc".into());
    let s = Submitter::from_config(
        &id,
        &Sending::Sendmail(SendmailConfig {
            command: command.into(),
        }),
    );
    BTreeMap::from([(id, s)])
}

#[test]
fn starttls_required_but_not_offered_is_refused_before_auth() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        let Ok((conn, _)) = listener.accept() else {
            return;
        };
        let mut w = conn.try_clone().unwrap();
        let mut r = BufReader::new(conn);
        let _ = w.write_all(b"220 fake.example ESMTP no TLS here\r\n");
        loop {
            let mut l = String::new();
            if r.read_line(&mut l).unwrap_or(0) == 0 {
                return;
            }
            log.lock().unwrap().push(l.trim_end().to_string());
            let up = l.to_ascii_uppercase();
            let reply: &[u8] = if up.starts_with("EHLO") {
                b"250-fake.example\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
            } else if up.starts_with("QUIT") {
                b"221 bye\r\n"
            } else {
                b"250 ok\r\n"
            };
            let _ = w.write_all(reply);
        }
    });
    let mut cfg: ServerConfig = toml::from_str(&format!(
        "host = \"127.0.0.1\"\nport = {port}\nuser = \"a\""
    ))
    .unwrap();
    cfg.tls = Tls::Starttls;
    cfg.password = Some(Secret::Plain("sekrit-pw".into()));
    let id = AccountId("acc".into());
    let subs = BTreeMap::from([(id.clone(), Submitter::from_config(&id, &Sending::Smtp(cfg)))]);
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let eid = outbox.enqueue(&entry()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Attempt::Failed { error, .. } = rt.block_on(send_entry(&outbox, &subs, &eid)) else {
        panic!("sent over a link without TLS");
    };
    assert_eq!(error.kind, AccountErrorKind::Network, "{error}");
    assert!(error.message.contains("STARTTLS"), "{error}");
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter().all(|l| {
            let up = l.to_ascii_uppercase();
            !up.starts_with("AUTH") && !up.starts_with("MAIL") && !up.contains("SEKRIT")
        }),
        "nothing but EHLO/QUIT went out in the clear: {seen:?}"
    );
    assert_eq!(outbox.list().unwrap().len(), 1, "the message stays queued");
}

#[test]
fn sendmail_gets_the_sent_bytes_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("piped.eml");
    let env = dir.path().join("env.txt");
    let cmd = format!(
        "cat > '{}'; printf '%s|%s' \"$POSTHORN_FROM\" \"$POSTHORN_RECIPIENTS\" > '{}'",
        out.display(),
        env.display()
    );
    let outbox = Outbox::open(&dir.path().join("outbox")).unwrap();
    let id = outbox.enqueue(&entry()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let r = rt.block_on(send_entry(&outbox, &sendmail(&cmd), &id));
    assert!(matches!(r, Attempt::Sent { .. }), "{r:?}");
    let piped = std::fs::read(&out).unwrap();
    assert_eq!(piped, sent_bytes(KEPT));
    assert!(!String::from_utf8_lossy(&piped).contains("Bcc"));
    assert_eq!(
        std::fs::read_to_string(&env).unwrap(),
        "a@example.test|b@example.test hidden@example.test"
    );
    assert!(outbox.list().unwrap().is_empty());
}

#[test]
fn sendmail_dash_t_gets_the_bcc_to_read_recipients_from() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("piped.eml");
    // A stand-in for `sendmail -oi -t` (the words are what matter).
    let cmd = format!("cat > '{}' # -oi -t", out.display());
    let outbox = Outbox::open(&dir.path().join("outbox")).unwrap();
    let id = outbox.enqueue(&entry()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let r = rt.block_on(send_entry(&outbox, &sendmail(&cmd), &id));
    assert!(matches!(r, Attempt::Sent { .. }), "{r:?}");
    assert_eq!(std::fs::read(&out).unwrap(), KEPT);
}

#[test]
fn a_failing_sendmail_keeps_the_message_with_its_status_and_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let id = outbox.enqueue(&entry()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cmd = "cat > /dev/null; echo 'queue file write error' >&2; exit 75";
    let Attempt::Failed { error, meta } = rt.block_on(send_entry(&outbox, &sendmail(cmd), &id))
    else {
        panic!("a failing command counted as sent");
    };
    assert!(error.message.contains("exit status 75"), "{error}");
    assert!(error.message.contains("queue file write error"), "{error}");
    assert_eq!(meta.unwrap().attempts, 1);
    let listed = outbox.list().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(outbox.message(&id).unwrap(), KEPT, "kept byte for byte");
    // Escape sequences a command prints never reach the terminal.
    let id2 = outbox.enqueue(&entry()).unwrap();
    let cmd = "printf '\\033]0;pwned\\007bad\\n' >&2; exit 1";
    let Attempt::Failed { error, .. } = rt.block_on(send_entry(&outbox, &sendmail(cmd), &id2))
    else {
        panic!("sent");
    };
    assert!(!error.message.contains('\u{1b}'), "{:?}", error.message);
}

#[test]
fn an_entry_locked_by_another_sender_is_not_sent_twice() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("outbox")).unwrap();
    let id = outbox.enqueue(&entry()).unwrap();
    let held = outbox.lock(&id).unwrap().expect("free");
    let marker = dir.path().join("ran");
    let cmd = format!("cat > '{}'", marker.display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let r = rt.block_on(send_entry(&outbox, &sendmail(&cmd), &id));
    assert!(matches!(r, Attempt::Busy), "{r:?}");
    assert!(!marker.exists(), "the command never ran");
    drop(held);
    let r = rt.block_on(send_entry(&outbox, &sendmail(&cmd), &id));
    assert!(matches!(r, Attempt::Sent { .. }), "{r:?}");
}

#[test]
fn the_background_sender_sends_what_an_earlier_run_left() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("outbox")).unwrap();
    let left = outbox.enqueue(&entry()).unwrap();
    let out = dir.path().join("piped.eml");
    let cmd = format!("cat >> '{}'", out.display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (handle, mut events) = OutboxHandle::start(outbox.clone(), sendmail(&cmd));
        let mut order = Vec::new();
        loop {
            match send_support::next_event(&mut events).await {
                OutboxEvent::Sending { id, account } => {
                    assert_eq!(account.0, "acc");
                    order.push(format!("sending {id}"));
                }
                OutboxEvent::Sent { id, account, copy } => {
                    assert_eq!(id, left);
                    assert_eq!(account.0, "acc");
                    assert_eq!(copy, KEPT, "the Sent copy keeps the Bcc");
                    order.push(format!("sent {id}"));
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(order, [format!("sending {left}"), format!("sent {left}")]);
        assert!(handle.list().unwrap().is_empty());
    });
    assert_eq!(std::fs::read(&out).unwrap(), sent_bytes(KEPT));
}

#[test]
fn the_background_sender_retries_a_failure_on_flush_and_deletes_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("outbox")).unwrap();
    let gate = dir.path().join("open");
    // Refuses until the gate file exists.
    let cmd = format!("cat > /dev/null; test -e '{}'", gate.display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (handle, mut events) = OutboxHandle::start(outbox.clone(), sendmail(&cmd));
        let t1 = handle.enqueue(entry());
        let t2 = handle.enqueue(entry());
        let mut ids = BTreeMap::new();
        let mut failed = 0;
        while failed < 2 {
            match send_support::next_event(&mut events).await {
                OutboxEvent::Queued { ticket, id } => {
                    ids.insert(ticket, id);
                }
                OutboxEvent::Failed {
                    retry_in, error, ..
                } => {
                    assert!(error.contains("exit status 1"), "{error}");
                    assert_eq!(retry_in, Some(posthorn::run::outbox::backoff(1)));
                    failed += 1;
                }
                OutboxEvent::Sending { .. } => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(handle.list().unwrap().len(), 2);
        handle.delete(ids[&t2].clone());
        match send_support::next_event(&mut events).await {
            OutboxEvent::Deleted { id } => assert_eq!(id, ids[&t2]),
            other => panic!("{other:?}"),
        }
        std::fs::write(&gate, b"").unwrap();
        handle.flush();
        loop {
            match send_support::next_event(&mut events).await {
                OutboxEvent::Sent { id, .. } => {
                    assert_eq!(id, ids[&t1]);
                    break;
                }
                OutboxEvent::Sending { .. } => {}
                other => panic!("{other:?}"),
            }
        }
        assert!(handle.list().unwrap().is_empty());
    });
}

#[test]
fn a_flush_during_an_attempt_retries_at_once_when_it_fails() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("outbox")).unwrap();
    let (go, tried) = (dir.path().join("go"), dir.path().join("tried"));
    // Waits for `go`; fails the first time, succeeds after.
    let cmd = format!(
        "cat > /dev/null; while [ ! -e '{go}' ]; do sleep 0.01; done; \
         if [ -e '{tried}' ]; then exit 0; else touch '{tried}'; exit 1; fi",
        go = go.display(),
        tried = tried.display()
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Retries after a failure would come only after an hour: the test sees
        // whether the flush asked during the attempt is kept.
        let hour = std::time::Duration::from_secs(3600);
        let (handle, mut events) = OutboxHandle::start_with(outbox.clone(), sendmail(&cmd), hour);
        handle.enqueue(entry());
        loop {
            if let OutboxEvent::Sending { .. } = send_support::next_event(&mut events).await {
                break;
            }
        }
        handle.flush();
        // Commands are served in order: once this answers, the flush was seen.
        handle.delete(posthorn::compose::outbox::EntryId("no-such-entry".into()));
        loop {
            if let OutboxEvent::Deleted { .. } = send_support::next_event(&mut events).await {
                break;
            }
        }
        std::fs::write(&go, b"").unwrap();
        let mut seen = Vec::new();
        loop {
            match send_support::next_event(&mut events).await {
                OutboxEvent::Failed { retry_in, .. } => {
                    assert_eq!(retry_in, Some(hour));
                    seen.push("failed");
                }
                OutboxEvent::Sending { .. } => seen.push("sending"),
                OutboxEvent::Sent { .. } => {
                    seen.push("sent");
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(seen, ["failed", "sending", "sent"]);
    });
}

/// A plain-TCP SMTP server that accepts everything and records the lines it got.
fn fake_smtp(ehlo: &'static str) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        let Ok((conn, _)) = listener.accept() else {
            return;
        };
        let mut w = conn.try_clone().unwrap();
        let mut r = BufReader::new(conn);
        let _ = w.write_all(b"220 fake.example ESMTP\r\n");
        let mut in_data = false;
        loop {
            let mut l = String::new();
            if r.read_line(&mut l).unwrap_or(0) == 0 {
                return;
            }
            log.lock().unwrap().push(l.trim_end().to_string());
            if in_data {
                if l == ".\r\n" {
                    in_data = false;
                    let _ = w.write_all(b"250 2.0.0 queued\r\n");
                }
                continue;
            }
            let up = l.to_ascii_uppercase();
            let reply = if up.starts_with("EHLO") {
                ehlo.to_string()
            } else if up.starts_with("AUTH") {
                "235 2.7.0 ok\r\n".into()
            } else if up.starts_with("DATA") {
                in_data = true;
                "354 go on\r\n".into()
            } else if up.starts_with("QUIT") {
                "221 bye\r\n".into()
            } else {
                "250 ok\r\n".into()
            };
            let _ = w.write_all(reply.as_bytes());
        }
    });
    (port, seen)
}

#[test]
fn xoauth2_sends_the_token_the_password_command_prints() {
    let (port, seen) = fake_smtp("250-fake.example\r\n250 AUTH PLAIN XOAUTH2\r\n");
    let mut cfg: ServerConfig = toml::from_str(&format!(
        "host = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nuser = \"ann@example.test\"\nauth = \"xoauth2\"\npassword = {{ command = \"echo ya29.token-123\" }}"
    ))
    .unwrap();
    cfg.tls = Tls::None;
    let id = AccountId("acc".into());
    let subs = BTreeMap::from([(id.clone(), Submitter::from_config(&id, &Sending::Smtp(cfg)))]);
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let eid = outbox.enqueue(&entry()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let r = rt.block_on(send_entry(&outbox, &subs, &eid));
    assert!(matches!(r, Attempt::Sent { .. }), "{r:?}");
    let seen = seen.lock().unwrap().clone();
    let auth = seen
        .iter()
        .find(|l| l.starts_with("AUTH"))
        .expect("an AUTH");
    // RFC-less but documented XOAUTH2: base64("user=" u ^A "auth=Bearer " token ^A ^A).
    let want =
        common::testbed::base64(b"user=ann@example.test\x01auth=Bearer ya29.token-123\x01\x01");
    assert_eq!(auth, &format!("AUTH XOAUTH2 {want}"));
    assert!(
        seen.iter().any(|l| l == "RCPT TO:<hidden@example.test>"),
        "{seen:?}"
    );
    // The sent bytes, dot-terminated, without Bcc.
    assert!(seen.iter().any(|l| l == "Subject: s"));
    assert!(!seen.iter().any(|l| l.starts_with("Bcc")), "{seen:?}");
}
