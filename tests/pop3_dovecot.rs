//! The POP3 account against a real Dovecot on 127.0.0.1 (scripts/testbed.sh): plain with
//! STLS, POP3S on 995's stand-in and APOP; messages arrive byte for byte as they are in
//! the server's Maildir; keep mode downloads each message once across runs; delete mode
//! removes from the server only what is stored locally; a `posthorn sync` killed with
//! SIGKILL and run again leaves every message exactly once locally and none lost.

mod common;

use common::testbed::{MailUser, testbed};
use posthorn::account::{Account, Pop3Account, Pop3Policy, Pop3Server};
use posthorn::config::Secret;
use posthorn::core::{AccountId, FolderPath};
use posthorn::net::{TlsMode, TlsSettings};
use posthorn::protocol::pop3::Pop3Auth;
use std::path::Path;
use std::time::Duration;

/// Messages with what POP3 makes hard: dot lines, a lone ".", a long line, 8-bit
/// bytes, a header-only message.
fn messages(user: &MailUser, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let body = match i % 5 {
                0 => ".starts with a dot\n..two\n.\nend\n".to_string(),
                1 => format!("{}\n", "x".repeat(5000)),
                2 => "Gr\u{fc}\u{df}e aus K\u{f6}ln, 8-bit without MIME\n".to_string(),
                3 => String::new(),
                _ => "plain\n\nparagraphs\n".to_string(),
            };
            format!(
                "From: Sender {i} <s{i}@example.org>\nTo: {}\nSubject: POP3 test {i}\nMessage-ID: <pop3-{i}@test>\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n\n{body}",
                user.address
            )
            .into_bytes()
        })
        .collect()
}

fn seed(user: &MailUser, msgs: &[Vec<u8>]) {
    for (i, m) in msgs.iter().enumerate() {
        user.seed("INBOX", m, "", 1_772_445_600 + i as i64);
    }
}

/// The contents of every message file under a Maildir's new/ and cur/, sorted.
fn maildir_contents(root: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(rd) = std::fs::read_dir(root.join(sub)) {
            for e in rd.flatten() {
                out.push(std::fs::read(e.path()).unwrap());
            }
        }
    }
    out.sort();
    out
}

fn sorted(mut v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    v.sort();
    v
}

fn account(
    dir: &Path,
    user: &MailUser,
    tls: TlsMode,
    auth: Pop3Auth,
    policy: Pop3Policy,
) -> Pop3Account {
    let tb = testbed();
    let port = match tls {
        TlsMode::Implicit => tb.pop3s_port,
        _ => tb.pop3_port,
    };
    Pop3Account::open(
        AccountId("dove".into()),
        Pop3Server {
            // The certificate names localhost and 127.0.0.1.
            host: "localhost".into(),
            port,
            tls,
            tls_settings: TlsSettings {
                ca_file: Some(tb.ca_file.clone()),
            },
            user: user.name.clone(),
            auth,
            timeout: Duration::from_secs(30),
        },
        Some(Secret::Plain(user.password.clone())),
        policy,
        &dir.join("cache"),
        &dir.join("index.sqlite"),
    )
    .unwrap()
}

async fn get_mail(acc: &mut Pop3Account) -> posthorn::account::SyncReport {
    acc.request_check();
    acc.sync_folder(&FolderPath::inbox(), &mut |_| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn delete_mode() -> Pop3Policy {
    Pop3Policy {
        leave_on_server: false,
        ..Pop3Policy::default()
    }
}

#[tokio::test]
async fn stls_keep_mode_arrives_byte_for_byte_once_across_runs() {
    let user = testbed().claim_user();
    let msgs = messages(&user, 25);
    seed(&user, &msgs);
    let on_server = maildir_contents(&user.maildir);
    assert_eq!(on_server, sorted(msgs.clone()));
    let dir = tempfile::tempdir().unwrap();
    let mut acc = account(
        dir.path(),
        &user,
        TlsMode::Starttls,
        Pop3Auth::Auto,
        Pop3Policy::default(),
    );
    let r = get_mail(&mut acc).await;
    assert_eq!(r.added, 25);
    assert_eq!(
        maildir_contents(&dir.path().join("cache")),
        on_server,
        "byte for byte"
    );
    // Runs two and three: nothing again; a message seeded in between: only it.
    assert_eq!(get_mail(&mut acc).await.added, 0);
    let late = messages(&user, 26).pop().unwrap();
    user.seed("INBOX", &late, "", 1_772_500_000);
    drop(acc);
    let mut acc = account(
        dir.path(),
        &user,
        TlsMode::Starttls,
        Pop3Auth::Auto,
        Pop3Policy::default(),
    );
    assert_eq!(get_mail(&mut acc).await.added, 1);
    let local = maildir_contents(&dir.path().join("cache"));
    assert_eq!(local.len(), 26);
    assert_eq!(
        local,
        maildir_contents(&user.maildir),
        "keep mode left the server as it was"
    );
}

#[tokio::test]
async fn pop3s_delete_mode_removes_only_what_is_stored() {
    let user = testbed().claim_user();
    let mut msgs = messages(&user, 12);
    // One message over max-size: listed, not downloaded, so it must stay on the server.
    let big = format!(
        "From: big@example.org\nTo: {}\nSubject: big one\nMessage-ID: <big@test>\n\n{}\n",
        user.address,
        "big ".repeat(100_000)
    )
    .into_bytes();
    msgs.push(big.clone());
    seed(&user, &msgs);
    let dir = tempfile::tempdir().unwrap();
    let policy = Pop3Policy {
        leave_on_server: false,
        max_size: Some(200_000),
        ..Pop3Policy::default()
    };
    let mut acc = account(dir.path(), &user, TlsMode::Implicit, Pop3Auth::Auto, policy);
    get_mail(&mut acc).await;
    let local = maildir_contents(&dir.path().join("cache"));
    assert_eq!(local.len(), 12);
    assert_eq!(
        maildir_contents(&user.maildir),
        vec![big.clone()],
        "only the message that is not stored locally is left"
    );
    let mut all = local;
    all.push(big);
    assert_eq!(sorted(all), sorted(msgs), "none lost, none changed");
}

#[tokio::test]
async fn apop_logs_in_on_the_plain_port() {
    let user = testbed().claim_user();
    let msgs = messages(&user, 3);
    seed(&user, &msgs);
    let dir = tempfile::tempdir().unwrap();
    let mut acc = account(
        dir.path(),
        &user,
        TlsMode::None,
        Pop3Auth::Apop,
        Pop3Policy::default(),
    );
    get_mail(&mut acc).await;
    assert_eq!(maildir_contents(&dir.path().join("cache")), sorted(msgs));
}

#[tokio::test]
async fn plain_and_login_sasl_and_user_pass_over_tls() {
    for auth in [Pop3Auth::Plain, Pop3Auth::Login, Pop3Auth::User] {
        let user = testbed().claim_user();
        let msgs = messages(&user, 2);
        seed(&user, &msgs);
        let dir = tempfile::tempdir().unwrap();
        let mut acc = account(dir.path(), &user, TlsMode::Starttls, auth, delete_mode());
        get_mail(&mut acc).await;
        assert_eq!(
            maildir_contents(&dir.path().join("cache")),
            sorted(msgs),
            "{auth:?}"
        );
        assert!(maildir_contents(&user.maildir).is_empty(), "{auth:?}");
    }
}

#[tokio::test]
async fn a_wrong_password_is_a_login_error() {
    let user = testbed().claim_user();
    let dir = tempfile::tempdir().unwrap();
    let mut acc = Pop3Account::open(
        AccountId("dove".into()),
        Pop3Server {
            host: "localhost".into(),
            port: testbed().pop3s_port,
            tls: TlsMode::Implicit,
            tls_settings: TlsSettings {
                ca_file: Some(testbed().ca_file.clone()),
            },
            user: user.name.clone(),
            auth: Pop3Auth::Auto,
            timeout: Duration::from_secs(30),
        },
        Some(Secret::Plain("not the password".into())),
        Pop3Policy::default(),
        &dir.path().join("cache"),
        &dir.path().join("index.sqlite"),
    )
    .unwrap();
    acc.request_check();
    let e = acc
        .sync_folder(&FolderPath::inbox(), &mut |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.kind, posthorn::core::ErrorKind::Auth, "{e}");
    assert!(!e.message.contains("not the password"));
}

/// `posthorn sync` in a child process, killed with SIGKILL as soon as the first batch
/// is on disk, then run again to the end.
#[test]
fn a_sync_killed_with_sigkill_and_run_again_leaves_every_message_once() {
    for leave in [false, true] {
        let user = testbed().claim_user();
        let msgs = messages(&user, 3000);
        seed(&user, &msgs);
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let cfg = dir.path().join("config.toml");
        std::fs::write(
            &cfg,
            format!(
                "[general]\nindex = \"{}\"\n[accounts.dove.pop3]\nhost = \"localhost\"\nport = {}\nuser = \"{}\"\npassword = \"{}\"\ntls = \"starttls\"\nca-file = \"{}\"\ncache = \"{}\"\nleave-on-server = {leave}\n",
                dir.path().join("index.sqlite").display(),
                testbed().pop3_port,
                user.name,
                user.password,
                testbed().ca_file.display(),
                cache.display(),
            ),
        )
        .unwrap();
        let run = || {
            std::process::Command::new(env!("CARGO_BIN_EXE_posthorn"))
                .args([
                    "--config",
                    &cfg.display().to_string(),
                    "sync",
                    "--account",
                    "dove",
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        };
        let mut child = run();
        // Kill it once some messages are stored, while the rest are still coming.
        let new = cache.join("new");
        loop {
            let n = std::fs::read_dir(&new).map(|d| d.count()).unwrap_or(0);
            if n > 0 {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("posthorn sync ended ({status}) before any message was stored");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let local = maildir_contents(&cache);
        let server = maildir_contents(&user.maildir);
        eprintln!("leave={leave}: killed with {} of 3000 stored", local.len());
        // Nothing lost at the moment of the kill: every message is on one side at least.
        let mut either = local.clone();
        either.extend(server.iter().cloned());
        either.sort();
        either.dedup();
        assert_eq!(
            either,
            sorted(msgs.clone()),
            "leave={leave}: a message was lost"
        );

        let status = run().wait().unwrap();
        assert!(status.success(), "leave={leave}: the second run failed");
        assert_eq!(
            maildir_contents(&cache),
            sorted(msgs.clone()),
            "leave={leave}: every message exactly once locally"
        );
        let server = maildir_contents(&user.maildir);
        if leave {
            assert_eq!(
                server,
                sorted(msgs),
                "keep mode: the server keeps everything"
            );
        } else {
            assert!(
                server.is_empty(),
                "delete mode: the server is empty at the end"
            );
        }
    }
}
