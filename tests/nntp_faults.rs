//! What a real INN will not do on demand, from small in-test fake servers on
//! 127.0.0.1: STARTTLS required but not offered (refused before any AUTHINFO), data
//! injected after STARTTLS's 382, an old server without CAPABILITIES or OVER (XOVER and
//! the default overview order are used), a 480 that leads to AUTHINFO and then the
//! command again, a garbage status line (an error, never an empty group).

use posthorn::account::Account;
use posthorn::account::nntp::{NntpAccount, NntpServer};
use posthorn::config::Secret;
use posthorn::core::{AccountId, ErrorKind, FolderPath};
use posthorn::net::{TlsMode, TlsSettings};
use posthorn::store::IndexReader;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A fake server answering each command line with what `reply` says (None: close).
/// Every line it received is kept.
fn fake(
    reply: impl Fn(&str, &mut bool) -> Option<String> + Send + 'static,
) -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut r = BufReader::new(conn.try_clone().unwrap());
            let _ = conn.write_all(b"200 fake news server ready\r\n");
            let mut authed = false;
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 {
                let cmd = line.trim_end().to_string();
                log.lock().unwrap().push(cmd.clone());
                line.clear();
                match reply(&cmd, &mut authed) {
                    Some(out) => {
                        if conn.write_all(out.as_bytes()).is_err() {
                            break;
                        }
                    }
                    None => break,
                }
            }
        }
    });
    (port, seen)
}

fn account(port: u16, tls: TlsMode, user: Option<&str>, dir: &std::path::Path) -> NntpAccount {
    std::fs::write(dir.join("newsrc"), "g:\n").unwrap();
    NntpAccount::open(
        AccountId("news".into()),
        NntpServer {
            host: "127.0.0.1".into(),
            port,
            tls,
            tls_settings: TlsSettings::default(),
            user: user.map(str::to_string),
            timeout: Duration::from_secs(5),
        },
        user.map(|_| Secret::Plain("pw".into())),
        &dir.join("cache"),
        &dir.join("newsrc"),
        &dir.join("index.db"),
    )
    .unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

const OVER_DATA: &str = "224 data\r\n1\tFirst\tAnn <a@x>\tMon, 23 Nov 2026 10:00:00 +0000\t<1@x>\t\t100\t2\r\n2\tRe: First\tBob <b@x>\tMon, 23 Nov 2026 11:00:00 +0000\t<2@x>\t<1@x>\t120\t3\r\n.\r\n";

#[test]
fn starttls_required_but_not_offered_is_refused_before_authinfo() {
    let (port, seen) = fake(|cmd, _| {
        Some(match cmd {
            "CAPABILITIES" => "101 caps\r\nVERSION 2\r\nREADER\r\nAUTHINFO USER\r\n.\r\n".into(),
            _ => "281 welcome, anything goes\r\n".into(),
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let mut acc = account(port, TlsMode::Starttls, Some("alice"), dir.path());
    let e = rt()
        .block_on(acc.sync_folder(&FolderPath("g".into()), &mut |_| {}))
        .unwrap_err();
    assert!(e.message.contains("STARTTLS"), "{}", e.message);
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter()
            .all(|l| !l.starts_with("AUTHINFO") && !l.starts_with("STARTTLS")),
        "{seen:?}"
    );
}

#[test]
fn data_injected_after_starttls_is_refused() {
    let (port, seen) = fake(|cmd, _| {
        Some(match cmd {
            "CAPABILITIES" => "101 caps\r\nVERSION 2\r\nREADER\r\nSTARTTLS\r\n.\r\n".into(),
            "STARTTLS" => "382 go ahead\r\n281 injected\r\n".into(),
            _ => "500 what\r\n".into(),
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let mut acc = account(port, TlsMode::Starttls, Some("alice"), dir.path());
    let e = rt()
        .block_on(acc.sync_folder(&FolderPath("g".into()), &mut |_| {}))
        .unwrap_err();
    assert!(e.message.contains("injected"), "{}", e.message);
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .all(|l| !l.starts_with("AUTHINFO"))
    );
}

#[test]
fn an_old_server_gets_xover_and_the_default_overview_order() {
    let (port, seen) = fake(|cmd, _| {
        Some(match cmd {
            "GROUP g" => "211 2 1 2 g\r\n".into(),
            c if c.starts_with("XOVER") => OVER_DATA.into(),
            "QUIT" => return None,
            // No CAPABILITIES, no LIST OVERVIEW.FMT, no OVER (RFC 977 era).
            _ => "500 command not recognized\r\n".into(),
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let mut acc = account(port, TlsMode::None, None, dir.path());
    let r = rt()
        .block_on(acc.sync_folder(&FolderPath("g".into()), &mut |_| {}))
        .unwrap();
    assert_eq!(r.added, 2);
    let seen = seen.lock().unwrap().clone();
    let over = seen.iter().position(|l| l.starts_with("OVER")).unwrap();
    assert!(seen[over + 1].starts_with("XOVER"), "{seen:?}");
    let envs = IndexReader::open(&dir.path().join("index.db"))
        .unwrap()
        .view()
        .envelopes(&AccountId("news".into()), &FolderPath("g".into()))
        .unwrap();
    let reply = envs.iter().find(|e| e.subject == "Re: First").unwrap();
    assert_eq!(reply.references, "<1@x>");
    assert_eq!(reply.from, "Bob");
}

#[test]
fn a_480_leads_to_authinfo_and_the_command_again() {
    let (port, seen) = fake(|cmd, authed| {
        Some(match cmd {
            // AUTHINFO not advertised (as before a login some servers do): the
            // client logs in when the server answers 480.
            "CAPABILITIES" => "101 caps\r\nVERSION 2\r\nREADER\r\nOVER\r\n.\r\n".into(),
            "AUTHINFO USER alice" => "381 password please\r\n".into(),
            "AUTHINFO PASS pw" => {
                *authed = true;
                "281 ok\r\n".into()
            }
            _ if !*authed => "480 authentication required\r\n".into(),
            "GROUP g" => "211 2 1 2 g\r\n".into(),
            "LIST OVERVIEW.FMT" => "503 no format\r\n".into(),
            c if c.starts_with("OVER") => OVER_DATA.into(),
            _ => "500 what\r\n".into(),
        })
    });
    let dir = tempfile::tempdir().unwrap();
    // Without a user, 480 is an Auth error.
    let mut anon = account(port, TlsMode::None, None, dir.path());
    let e = rt()
        .block_on(anon.sync_folder(&FolderPath("g".into()), &mut |_| {}))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth);
    drop(anon); // the fake serves one connection at a time
    let dir2 = tempfile::tempdir().unwrap();
    let mut acc = account(port, TlsMode::None, Some("alice"), dir2.path());
    let r = rt()
        .block_on(acc.sync_folder(&FolderPath("g".into()), &mut |_| {}))
        .unwrap();
    assert_eq!(r.added, 2);
    let seen = seen.lock().unwrap().clone();
    let first_group = seen.iter().rposition(|l| l == "GROUP g").unwrap();
    let login = seen.iter().position(|l| l == "AUTHINFO PASS pw").unwrap();
    assert!(
        seen[..login].iter().any(|l| l == "GROUP g") && first_group > login,
        "GROUP, 480, AUTHINFO, GROUP again: {seen:?}"
    );
}

#[test]
fn a_garbage_status_line_is_an_error_not_an_empty_group() {
    let (port, _) = fake(|cmd, _| {
        Some(match cmd {
            "GROUP g" => "2l1 two one one\r\n".into(),
            _ => "500 what\r\n".into(),
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let mut acc = account(port, TlsMode::None, None, dir.path());
    let e = rt()
        .block_on(acc.sync_folder(&FolderPath("g".into()), &mut |_| {}))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Protocol, "{e:?}");
    assert!(e.message.contains("2l1"), "{}", e.message);
}

#[test]
fn offline_the_groups_still_list_and_the_account_says_when_it_retries() {
    // A port nobody listens on (bound, then closed).
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut acc = account(port, TlsMode::None, None, dir.path());
    let rt = rt();
    rt.block_on(async {
        acc.connect()
            .await
            .expect("offline is not an error at start");
        assert!(matches!(
            acc.take_state(),
            Some(posthorn::core::AccountState::Offline { .. })
        ));
        let folders = acc.list_folders().await.unwrap();
        assert_eq!(
            folders.len(),
            1,
            "the .newsrc's groups, without the network"
        );
        let e = acc
            .sync_folder(&FolderPath("g".into()), &mut |_| {})
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Network);
        assert!(e.message.contains("retrying in"), "{}", e.message);
        assert!(acc.wake_at().is_some(), "a reconnect is planned");
    });
}

#[test]
fn an_article_whose_message_id_cannot_be_sent_is_fetched_by_number() {
    let (port, seen) = fake(|cmd, _| {
        Some(match cmd {
            "GROUP g" => "211 1 1 1 g\r\n".into(),
            c if c.starts_with("OVER") => {
                "224 data\r\n1\tOdd\tAnn <a@x>\tMon, 23 Nov 2026 10:00:00 +0000\t<odd\x01id@x>\t\t10\t1\r\n.\r\n".into()
            }
            "ARTICLE 1" => "220 1 <odd@x>\r\nSubject: Odd\r\n\r\nbody\r\n.\r\n".into(),
            _ => "500 what\r\n".into(),
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let mut acc = account(port, TlsMode::None, None, dir.path());
    let rt = rt();
    let g = FolderPath("g".into());
    rt.block_on(acc.sync_folder(&g, &mut |_| {})).unwrap();
    let envs = IndexReader::open(&dir.path().join("index.db"))
        .unwrap()
        .view()
        .envelopes(&AccountId("news".into()), &g)
        .unwrap();
    let r = posthorn::core::MessageRef::local(envs[0].id.clone());
    let b = rt.block_on(acc.fetch(&g, &r)).unwrap();
    assert_eq!(b.0, b"Subject: Odd\n\nbody\n");
    assert!(seen.lock().unwrap().iter().any(|l| l == "ARTICLE 1"));
}
