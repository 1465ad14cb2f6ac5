//! Sending through the testbed's real Postfix (submission: STARTTLS required, AUTH
//! through Dovecot SASL, delivery into the Maildirs Dovecot serves), each message read
//! back over IMAP: what arrives is what was built, Bcc recipients get it without a Bcc
//! header, a wrong password keeps the message in the outbox, and a server that stops and
//! comes back gets the queued message on the next flush.

mod common;
mod send_support;

use common::testbed::testbed;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use mailparse::MailHeaderMap;
use posthorn::account::{AccountErrorKind, Submitter};
use posthorn::compose::outbox::{NewEntry, Outbox};
use posthorn::core::AccountId;
use posthorn::run::outbox::{Attempt, OutboxEvent, OutboxHandle, send_entry};
use send_support::{Proxy, fetch_by_message_id, smtp_config, submitter};
use std::collections::BTreeMap;
use std::net::SocketAddr;

const SUBJECT: &str = "Grüße aus Köln – 東京 ✓";
const BODY: &str = "Hallo Bob,\n\nanbei zwei Dateien. Ünïcödé im Text.\n\n-- \nAlice\n";

fn unique(tag: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("<{tag}.{n}.{}@example.test>", std::process::id())
}

fn header(parsed: &mailparse::ParsedMail<'_>, name: &str) -> Option<String> {
    parsed
        .headers
        .iter()
        .find(|h| h.get_key_ref().eq_ignore_ascii_case(name))
        .map(|h| h.get_value())
}

fn one(account: &str, s: Submitter) -> BTreeMap<AccountId, Submitter> {
    BTreeMap::from([(AccountId(account.into()), s)])
}

#[test]
fn alice_sends_bob_attachments_and_a_bcc_to_carol() {
    let tb = testbed();
    let (alice, bob, carol) = (tb.user("alice"), tb.user("bob"), tb.user("carol"));
    let mid = unique("attach");
    let pdf: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let notes = "Zeile 1\r\nZeile 2 – ü\n".as_bytes().to_vec();
    let msg = lettre::Message::builder()
        .from(
            format!("Alice Example <{}>", alice.address)
                .parse()
                .unwrap(),
        )
        .to(format!("Bob <{}>", bob.address).parse().unwrap())
        .bcc(carol.address.parse().unwrap())
        .keep_bcc()
        .subject(SUBJECT)
        .message_id(Some(mid.clone()))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(BODY.to_string()))
                .singlepart(
                    Attachment::new("report.pdf".into())
                        .body(pdf.clone(), ContentType::parse("application/pdf").unwrap()),
                )
                .singlepart(
                    Attachment::new("Übersicht – März.txt".into())
                        .body(notes.clone(), ContentType::parse("text/plain").unwrap()),
                ),
        )
        .unwrap();
    let kept = msg.formatted();
    assert!(
        String::from_utf8_lossy(&kept).contains("Bcc:"),
        "the kept copy has its Bcc"
    );

    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let id = outbox
        .enqueue(&NewEntry::from_kept(
            "alice",
            &alice.address,
            vec![bob.address.clone(), carol.address.clone()],
            kept.clone(),
        ))
        .unwrap();
    let subs = one(
        "alice",
        submitter(
            "alice",
            smtp_config(tb, "alice", &alice.password, tb.submission_port),
        ),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    match rt.block_on(send_entry(&outbox, &subs, &id)) {
        Attempt::Sent { kept: k, .. } => assert_eq!(k, kept, "the Sent copy is the kept bytes"),
        other => panic!("not sent: {other:?}"),
    }
    assert!(
        outbox.list().unwrap().is_empty(),
        "accepted: the entry is gone"
    );

    let got = fetch_by_message_id(tb, &bob, &mid);
    let parsed = mailparse::parse_mail(&got).unwrap();
    assert_eq!(header(&parsed, "Subject").as_deref(), Some(SUBJECT));
    let from =
        mailparse::addrparse_header(parsed.headers.get_first_header("From").unwrap()).unwrap();
    match &from[0] {
        mailparse::MailAddr::Single(s) => {
            assert_eq!(s.display_name.as_deref(), Some("Alice Example"));
            assert_eq!(s.addr, alice.address);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(header(&parsed, "Bcc"), None, "bob sees no Bcc");
    assert_eq!(parsed.subparts.len(), 3);
    let text = parsed.subparts[0].get_body().unwrap();
    assert_eq!(
        text.replace("\r\n", "\n"),
        BODY,
        "the body text arrives as written"
    );
    let names: Vec<String> = parsed.subparts[1..]
        .iter()
        .map(|p| {
            p.get_content_disposition()
                .params
                .get("filename")
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(names, ["report.pdf", "Übersicht – März.txt"]);
    assert_eq!(parsed.subparts[1].get_body_raw().unwrap(), pdf);
    assert_eq!(parsed.subparts[2].get_body_raw().unwrap(), notes);

    let carols = fetch_by_message_id(tb, &carol, &mid);
    let parsed = mailparse::parse_mail(&carols).unwrap();
    assert_eq!(header(&parsed, "Subject").as_deref(), Some(SUBJECT));
    assert_eq!(
        header(&parsed, "Bcc"),
        None,
        "carol gets it, without a Bcc header"
    );
    assert!(
        !String::from_utf8_lossy(&carols).contains(&carol.address.to_string()) || {
            // Only Postfix's own trace fields may name her (Delivered-To, X-Original-To).
            String::from_utf8_lossy(&carols)
                .lines()
                .filter(|l| l.contains(&carol.address))
                .all(|l| l.starts_with("Delivered-To:") || l.starts_with("X-Original-To:"))
        }
    );
}

#[test]
fn a_wrong_password_is_a_clear_error_and_the_message_stays() {
    let tb = testbed();
    let (alice, bob) = (tb.user("alice"), tb.user("bob"));
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let kept = format!(
        "From: {}\r\nTo: {}\r\nSubject: wrong password\r\nMessage-ID: {}\r\n\r\nx\r\n",
        alice.address,
        bob.address,
        unique("wrongpw")
    );
    let id = outbox
        .enqueue(&NewEntry::from_kept(
            "alice",
            &alice.address,
            vec![bob.address.clone()],
            kept.into_bytes(),
        ))
        .unwrap();
    let secret = "not-the-password-42";
    let subs = one(
        "alice",
        submitter(
            "alice",
            smtp_config(tb, "alice", secret, tb.submission_port),
        ),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Attempt::Failed { error, meta } = rt.block_on(send_entry(&outbox, &subs, &id)) else {
        panic!("a wrong password was accepted");
    };
    assert_eq!(error.kind, AccountErrorKind::Auth, "{error}");
    assert!(error.message.contains("535"), "the server's reply: {error}");
    assert!(!error.to_string().contains(secret), "{error}");
    assert_eq!(meta.unwrap().attempts, 1);
    let listed = outbox.list().unwrap();
    assert_eq!(listed.len(), 1, "the message stays in the outbox");
    let m = listed[0].meta.clone().unwrap();
    assert!(m.last_error.unwrap().contains("535"));
    assert!(
        !std::fs::read_to_string(dir.path().join(&id.0).join("meta.json"))
            .unwrap()
            .contains(secret)
    );
}

#[test]
fn implicit_tls_on_the_submissions_port() {
    let tb = testbed();
    let (alice, bob) = (tb.user("alice"), tb.user("bob"));
    let mid = unique("implicit");
    let mut cfg = smtp_config(tb, "alice", &alice.password, tb.submissions_port);
    cfg.tls = posthorn::config::Tls::Implicit;
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let kept = format!(
        "From: {}\nTo: {}\nSubject: implicit\nMessage-ID: {mid}\n\nbare LF lines\nbecome CRLF\n",
        alice.address, bob.address
    );
    let id = outbox
        .enqueue(&NewEntry::from_kept(
            "alice",
            &alice.address,
            vec![bob.address.clone()],
            kept.into_bytes(),
        ))
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let subs = one("alice", submitter("alice", cfg));
    assert!(matches!(
        rt.block_on(send_entry(&outbox, &subs, &id)),
        Attempt::Sent { .. }
    ));
    let got = fetch_by_message_id(tb, &bob, &mid);
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.ends_with("bare LF lines\r\nbecome CRLF\r\n"),
        "{text:?}"
    );
}

#[test]
fn a_stopped_server_keeps_the_message_queued_until_a_flush_after_it_is_back() {
    let tb = testbed();
    let (alice, bob) = (tb.user("alice"), tb.user("bob"));
    let target: SocketAddr = ([127, 0, 0, 1], tb.submission_port).into();
    let proxy = Proxy::start(target);
    proxy.off();
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let subs = one(
        "alice",
        submitter(
            "alice",
            smtp_config(tb, "alice", &alice.password, proxy.addr.port()),
        ),
    );
    let mid = unique("stopped");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (handle, mut events) = OutboxHandle::start(outbox.clone(), subs);
        let ticket = handle.enqueue(NewEntry::from_kept("alice", &alice.address, vec![bob.address.clone()], format!(
                "From: {}\r\nTo: {}\r\nSubject: queued while down\r\nMessage-ID: {mid}\r\n\r\nhi\r\n",
                alice.address, bob.address
            )
            .into_bytes()));
        let id = loop {
            match send_support::next_event(&mut events).await {
                OutboxEvent::Queued { ticket: t, id } if t == ticket => break id,
                OutboxEvent::NotQueued { error, .. } => panic!("{error}"),
                _ => {}
            }
        };
        loop {
            match send_support::next_event(&mut events).await {
                OutboxEvent::Failed {
                    id: fid,
                    error,
                    retry_in,
                    ..
                } if fid == id => {
                    assert!(error.contains(&proxy.addr.port().to_string()), "{error}");
                    assert!(retry_in.is_some(), "it will be retried");
                    break;
                }
                OutboxEvent::Sent { .. } => panic!("sent while the server was down"),
                _ => {}
            }
        }
        let listed = handle.list().unwrap();
        assert_eq!(listed.len(), 1, "still queued");
        assert_eq!(listed[0].meta.as_ref().unwrap().attempts, 1);

        proxy.on();
        handle.flush();
        loop {
            match send_support::next_event(&mut events).await {
                OutboxEvent::Sent { id: sid, copy, .. } if sid == id => {
                    assert!(String::from_utf8_lossy(&copy).contains("queued while down"));
                    break;
                }
                OutboxEvent::Failed { error, .. } => panic!("flush failed: {error}"),
                _ => {}
            }
        }
        assert!(handle.list().unwrap().is_empty());
    });
    let got = fetch_by_message_id(tb, &bob, &mid);
    assert!(String::from_utf8_lossy(&got).contains("queued while down"));
}

#[test]
fn auth_login_works_against_postfix() {
    let tb = testbed();
    let (alice, bob) = (tb.user("alice"), tb.user("bob"));
    let mut cfg = smtp_config(tb, "alice", &alice.password, tb.submission_port);
    cfg.auth = Some(posthorn::config::AuthMethod::Login);
    let mid = unique("login");
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let id = outbox
        .enqueue(&NewEntry::from_kept(
            "alice",
            &alice.address,
            vec![bob.address.clone()],
            format!(
                "From: {}\r\nTo: {}\r\nSubject: login\r\nMessage-ID: {mid}\r\n\r\n.leading dot\r\n",
                alice.address, bob.address
            )
            .into_bytes(),
        ))
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let subs = one("alice", submitter("alice", cfg));
    let r = rt.block_on(send_entry(&outbox, &subs, &id));
    assert!(matches!(r, Attempt::Sent { .. }), "{r:?}");
    let got = fetch_by_message_id(tb, &bob, &mid);
    assert!(
        String::from_utf8_lossy(&got).ends_with("\r\n\r\n.leading dot\r\n"),
        "dot-stuffing is undone by the server"
    );
}
