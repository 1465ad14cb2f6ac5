//! IMAP faults a real server will not produce on demand, from small in-process fakes:
//! STARTTLS missing or refused (the client must stop before any login), a PREAUTH
//! greeting where TLS was required, a connection cut in the middle of a FETCH, garbage
//! and a SELECT without UIDVALIDITY. In every case the cache keeps what it had.

use posthorn::account::imap::ImapAccount;
use posthorn::account::{Account, AccountErrorKind};
use posthorn::config::{Source, parse_config};
use posthorn::core::{AccountId, FolderPath};
use posthorn::store::{IndexReader, MaildirTree};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// What the fake does with one command line: the bytes to send, and whether to hang up
/// after them.
type Script = dyn Fn(&str, &str, usize) -> (String, bool) + Send + Sync;

/// A scripted IMAP server on 127.0.0.1: greets, then answers each line through
/// `script(tag, command, session number)`. Every line it received is kept.
struct Fake {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

async fn fake(greeting: &'static str, script: Arc<Script>) -> Fake {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let mut session = 0;
        while let Ok((s, _)) = l.accept().await {
            session += 1;
            let (script, log) = (script.clone(), log.clone());
            tokio::spawn(async move {
                let (r, mut w) = s.into_split();
                let mut lines = BufReader::new(r).lines();
                if w.write_all(greeting.as_bytes()).await.is_err() {
                    return;
                }
                while let Ok(Some(line)) = lines.next_line().await {
                    log.lock().unwrap().push(line.clone());
                    let (tag, cmd) = line.split_once(' ').unwrap_or((&line, ""));
                    let (out, close) = script(tag, cmd, session);
                    if w.write_all(out.as_bytes()).await.is_err() || close {
                        return;
                    }
                }
            });
        }
    });
    Fake { port, seen }
}

fn account(port: u16, tls: &str, dir: &Path) -> ImapAccount {
    let text = format!(
        "[accounts.f.imap]\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"u\"\npassword = \"secret-pw\"\ntls = \"{tls}\"\n"
    );
    let cfg = parse_config(Path::new("f.toml"), &text).unwrap();
    let Source::Imap(server) = &cfg.accounts["f"].source else {
        panic!()
    };
    let cache = dir.join("cache");
    posthorn::store::Maildir::create(&cache).unwrap();
    let tree = MaildirTree::open(&cache).unwrap();
    let mut a = ImapAccount::open(AccountId("f".into()), server, tree, &dir.join("ix")).unwrap();
    a.set_timeout(std::time::Duration::from_secs(5));
    a
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn no_login(seen: &[String]) -> bool {
    seen.iter()
        .all(|l| !l.contains("LOGIN") && !l.contains("AUTHENTICATE") && !l.contains("secret"))
}

#[test]
fn starttls_missing_or_refused_stops_before_any_login() {
    let rt = rt();
    for refuse in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        rt.block_on(async {
            let f = fake(
                "* OK fake ready\r\n",
                Arc::new(move |tag, cmd, _| match cmd {
                    "CAPABILITY" if refuse => (
                        format!("* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\n{tag} OK done\r\n"),
                        false,
                    ),
                    "CAPABILITY" => (
                        format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n"),
                        false,
                    ),
                    "STARTTLS" => (format!("{tag} NO not today\r\n"), false),
                    _ => (format!("{tag} OK whatever\r\n"), false),
                }),
            )
            .await;
            let mut a = account(f.port, "starttls", dir.path());
            a.connect().await.unwrap();
            let err = a
                .sync_folder(&FolderPath::inbox(), &mut |_| {})
                .await
                .unwrap_err();
            let want = if refuse {
                "STARTTLS failed"
            } else {
                "does not offer STARTTLS"
            };
            assert!(err.message.contains(want), "{err:?}");
            assert!(err.message.contains("refusing"), "{err:?}");
            let seen = f.seen.lock().unwrap().clone();
            assert!(no_login(&seen), "{seen:?}");
        });
    }
}

#[test]
fn a_preauth_greeting_is_refused_when_tls_was_required() {
    let rt = rt();
    let dir = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let f = fake(
            "* PREAUTH [CAPABILITY IMAP4rev1] welcome, no password needed\r\n",
            Arc::new(|tag, _, _| (format!("{tag} OK\r\n"), false)),
        )
        .await;
        let mut a = account(f.port, "starttls", dir.path());
        a.connect().await.unwrap();
        let state = a.take_state();
        let Some(posthorn::core::AccountState::Offline { reason, .. }) = &state else {
            panic!("{state:?}")
        };
        assert!(
            reason.contains("PREAUTH") && reason.contains("refusing"),
            "{reason}"
        );
        // Offline: the folder list comes from the cache, never from this server.
        assert!(a.list_folders().await.is_ok());
        let seen = f.seen.lock().unwrap().clone();
        assert!(seen.iter().all(|l| !l.contains("LIST")), "{seen:?}");
    });
}

/// A server with three messages, no QRESYNC, that breaks in the `bad` session.
fn three_messages(bad: usize, how: &'static str) -> Arc<Script> {
    Arc::new(move |tag, cmd, session| {
        let msg = |n: u32| {
            format!("From: a@b\r\nSubject: s{n}\r\nMessage-ID: <f{n}@x>\r\n\r\nbody {n}\r\n")
        };
        let broken = session >= bad;
        let up = cmd.to_ascii_uppercase();
        if up.starts_with("CAPABILITY") {
            return (
                format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR\r\n{tag} OK\r\n"),
                false,
            );
        }
        if up.starts_with("AUTHENTICATE") || up.starts_with("LOGIN") {
            return (format!("{tag} OK logged in\r\n"), false);
        }
        if up.starts_with("LIST") {
            return (
                format!("* LIST (\\HasNoChildren) \".\" INBOX\r\n{tag} OK\r\n"),
                false,
            );
        }
        if up.starts_with("SELECT") {
            if broken && how == "no-uidvalidity" {
                return (
                    format!("* 3 EXISTS\r\n{tag} OK [READ-WRITE] done\r\n"),
                    false,
                );
            }
            if broken && how == "garbage" {
                return (
                    "* 3 EXISTS\r\n\x01\x02 total garbage {{{\r\n".to_string(),
                    false,
                );
            }
            return (
                format!(
                    "* 3 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 4] n\r\n{tag} OK [READ-WRITE] done\r\n"
                ),
                false,
            );
        }
        if up.starts_with("UID SEARCH") {
            return (format!("* SEARCH 1 2 3\r\n{tag} OK\r\n"), false);
        }
        if up.starts_with("UID FETCH 1:* (UID FLAGS)") {
            if broken && how == "cut" {
                // One message of three, then the line goes dead.
                return ("* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n".to_string(), true);
            }
            return (
                format!(
                    "* 1 FETCH (UID 1 FLAGS ())\r\n* 2 FETCH (UID 2 FLAGS ())\r\n* 3 FETCH (UID 3 FLAGS ())\r\n{tag} OK\r\n"
                ),
                false,
            );
        }
        if up.starts_with("UID FETCH") {
            let mut out = String::new();
            for n in 1..=3u32 {
                let m = msg(n);
                if up.contains("HEADER.FIELDS") {
                    let h = m.split("\r\n\r\n").next().unwrap().to_string() + "\r\n\r\n";
                    out.push_str(&format!(
                        "* {n} FETCH (UID {n} FLAGS () RFC822.SIZE {} BODY[HEADER.FIELDS (SUBJECT)] {{{}}}\r\n{h})\r\n",
                        m.len(),
                        h.len()
                    ));
                } else {
                    out.push_str(&format!(
                        "* {n} FETCH (UID {n} BODY[] {{{}}}\r\n{m})\r\n",
                        m.len()
                    ));
                }
            }
            return (format!("{out}{tag} OK\r\n"), false);
        }
        (format!("{tag} OK\r\n"), false)
    })
}

fn cached_count(dir: &Path) -> usize {
    let r = IndexReader::open(&dir.join("ix")).unwrap();
    r.view()
        .envelopes(&AccountId("f".into()), &FolderPath::inbox())
        .unwrap()
        .len()
}

#[test]
fn a_cut_fetch_garbage_or_a_missing_uidvalidity_never_empties_the_cache() {
    let rt = rt();
    for how in ["cut", "garbage", "no-uidvalidity"] {
        let dir = tempfile::tempdir().unwrap();
        rt.block_on(async {
            // Session 1 syncs fine; sessions from 2 on break.
            let f = fake("* OK ready\r\n", three_messages(2, how)).await;
            let mut a = account(f.port, "none", dir.path());
            a.connect().await.unwrap();
            let r = a
                .sync_folder(&FolderPath::inbox(), &mut |_| {})
                .await
                .unwrap();
            assert_eq!(r.added, 3, "{how}");
            drop(a);
            let mut a = account(f.port, "none", dir.path());
            a.connect().await.unwrap();
            let err = a
                .sync_folder(&FolderPath::inbox(), &mut |_| {})
                .await
                .unwrap_err();
            assert!(
                matches!(
                    err.kind,
                    AccountErrorKind::Network | AccountErrorKind::Protocol
                ),
                "{how}: {err:?}"
            );
            if how == "no-uidvalidity" {
                assert!(err.message.contains("UIDVALIDITY"), "{err:?}");
            }
        });
        assert_eq!(cached_count(dir.path()), 3, "{how}: nothing removed");
        let files = ["cur", "new"]
            .iter()
            .map(|s| {
                std::fs::read_dir(dir.path().join("cache").join(s))
                    .unwrap()
                    .count()
            })
            .sum::<usize>();
        assert_eq!(files, 3, "{how}");
    }
}

#[test]
fn without_idle_the_account_polls_every_check_every() {
    let rt = rt();
    let dir = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let f = fake("* OK ready\r\n", three_messages(99, "")).await;
        let text = format!(
            "[accounts.f.imap]\nhost = \"127.0.0.1\"\nport = {}\nuser = \"u\"\npassword = \"p\"\ntls = \"none\"\ncheck-every = \"1s\"\n",
            f.port
        );
        let cfg = parse_config(Path::new("f.toml"), &text).unwrap();
        let Source::Imap(server) = &cfg.accounts["f"].source else {
            panic!()
        };
        let cache = dir.path().join("cache");
        posthorn::store::Maildir::create(&cache).unwrap();
        let tree = MaildirTree::open(&cache).unwrap();
        let mut a =
            ImapAccount::open(AccountId("f".into()), server, tree, &dir.path().join("ix")).unwrap();
        let mut push = a.take_push().unwrap();
        a.connect().await.unwrap();
        // The actor's loop: sleep until wake_at, tick, look at push.
        let mut polled = false;
        for _ in 0..6 {
            let at = a.wake_at().expect("a server without IDLE is polled");
            tokio::time::sleep_until(at).await;
            a.tick().await;
            while let Ok(ev) = push.try_recv() {
                polled |= ev == posthorn::account::PushEvent::Folder(FolderPath::inbox());
            }
            if polled {
                break;
            }
        }
        assert!(polled, "no periodic check of INBOX");
    });
}
