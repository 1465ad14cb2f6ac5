//! The POP3 account against an in-process fake server, for what a real server will not
//! do on demand: keep and delete mode across runs, a connection cut mid-RETR, -ERR at
//! every step, no CAPA, no UIDL, STLS refused or injected, crash recovery of pending
//! rows, max-size listing and fetch on open, delete-after-days, every login method.
//! (tests/pop3_dovecot.rs runs the same account against a real Dovecot.)

mod pop3_support;

use pop3_support::{Fake, Fault, Msg, Opts, message};
use posthorn::account::{Account, Pop3Account, Pop3Policy, Pop3Server, SyncReport};
use posthorn::config::Secret;
use posthorn::core::{AccountId, ErrorKind, FolderPath, LocalId, MessageRef};
use posthorn::net::{TlsMode, TlsSettings};
use posthorn::protocol::pop3::Pop3Auth;
use posthorn::store::{Index, IndexReader, UidlRow, UidlState};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn server(fake: &Fake, auth: Pop3Auth, tls: TlsMode) -> Pop3Server {
    Pop3Server {
        host: "127.0.0.1".into(),
        port: fake.port,
        tls,
        tls_settings: TlsSettings::default(),
        user: "alice".into(),
        auth,
        timeout: Duration::from_secs(10),
    }
}

fn open_with(dir: &Path, srv: Pop3Server, policy: Pop3Policy) -> Pop3Account {
    Pop3Account::open(
        AccountId("home".into()),
        srv,
        Some(Secret::Plain("secret pw".into())),
        policy,
        &dir.join("cache"),
        &dir.join("index.sqlite"),
    )
    .unwrap()
}

fn open(dir: &Path, fake: &Fake, policy: Pop3Policy) -> Pop3Account {
    open_with(dir, server(fake, Pop3Auth::Auto, TlsMode::None), policy)
}

fn keep() -> Pop3Policy {
    Pop3Policy::default()
}

fn delete_mode() -> Pop3Policy {
    Pop3Policy {
        leave_on_server: false,
        ..Pop3Policy::default()
    }
}

async fn get_mail(acc: &mut Pop3Account) -> Result<SyncReport, posthorn::account::AccountError> {
    acc.request_check();
    acc.sync_folder(&FolderPath::inbox(), &mut |_| {}).await
}

/// Every message file of the cache's INBOX (new/ and cur/), sorted by content.
fn local(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let d: PathBuf = dir.join("cache").join(sub);
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            out.push(std::fs::read(e.path()).unwrap());
        }
    }
    out.sort();
    out
}

fn tmp_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("cache/tmp")).unwrap().count()
}

fn sorted(mut v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    v.sort();
    v
}

fn mailbox(n: usize) -> Vec<Msg> {
    (0..n)
        .map(|i| match i % 3 {
            0 => message(i, ".leading dot\n..two dots\n.\nlone dot above"),
            1 => message(i, "plain body\r\nwith a CRLF line"),
            _ => message(i, &"long line ".repeat(2000)),
        })
        .collect()
}

/// The stored form of a message: CRLF line endings become LF.
fn stored_form(m: &Msg) -> Vec<u8> {
    String::from_utf8_lossy(&m.bytes)
        .replace("\r\n", "\n")
        .into_bytes()
}

#[tokio::test]
async fn keep_mode_downloads_each_message_once_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let msgs = mailbox(7);
    let fake = Fake::start(msgs.clone(), Opts::default());
    let mut acc = open(dir.path(), &fake, keep());
    let r = get_mail(&mut acc).await.unwrap();
    assert_eq!(r.added, 7);
    assert_eq!(
        local(dir.path()),
        sorted(msgs.iter().map(stored_form).collect())
    );
    assert_eq!(fake.uidls().len(), 7, "keep mode deletes nothing");
    // The envelopes were recorded with the messages (from the headers as they came).
    let envs = IndexReader::open(&dir.path().join("index.sqlite"))
        .unwrap()
        .view()
        .envelopes(&AccountId("home".into()), &FolderPath::inbox())
        .unwrap();
    let mut subjects: Vec<String> = envs.iter().map(|e| e.subject.clone()).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        (0..7).map(|i| format!("message {i}")).collect::<Vec<_>>()
    );
    assert!(envs.iter().all(|e| e.from.starts_with("Sender ")));
    assert!(!fake.log().iter().any(|l| l.starts_with("DELE")));

    // Again (and from a fresh account object, as after a restart): nothing new.
    let r = get_mail(&mut acc).await.unwrap();
    assert_eq!(r.added, 0);
    drop(acc);
    let mut acc = open(dir.path(), &fake, keep());
    get_mail(&mut acc).await.unwrap();
    assert_eq!(local(dir.path()).len(), 7);
    assert_eq!(
        fake.log().iter().filter(|l| l.starts_with("RETR")).count(),
        7,
        "each message retrieved exactly once over three runs"
    );
    // A new message on the server: only it is fetched.
    fake.with(|s| s.mailbox.push(message(100, "new one")));
    let r = get_mail(&mut acc).await.unwrap();
    assert_eq!(r.added, 1);
    assert_eq!(local(dir.path()).len(), 8);
    assert_eq!(tmp_files(dir.path()), 0);
}

#[tokio::test]
async fn keep_mode_does_not_bring_back_what_the_user_deleted_locally() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(mailbox(3), Opts::default());
    let mut acc = open(dir.path(), &fake, keep());
    get_mail(&mut acc).await.unwrap();
    for e in std::fs::read_dir(dir.path().join("cache/new"))
        .unwrap()
        .flatten()
    {
        std::fs::remove_file(e.path()).unwrap();
    }
    get_mail(&mut acc).await.unwrap();
    assert!(
        local(dir.path()).is_empty(),
        "deleted locally, kept on the server, not fetched again"
    );
}

#[tokio::test]
async fn delete_mode_deletes_only_what_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let msgs = mailbox(5);
    let fake = Fake::start(msgs.clone(), Opts::default());
    let mut acc = open(dir.path(), &fake, delete_mode());
    get_mail(&mut acc).await.unwrap();
    assert_eq!(
        local(dir.path()),
        sorted(msgs.iter().map(stored_form).collect())
    );
    assert!(fake.uidls().is_empty());
    // Every DELE came after its RETR was complete, and before QUIT.
    let log = fake.log();
    for i in 1..=5 {
        let r = log.iter().position(|l| *l == format!("RETR {i}")).unwrap();
        let d = log.iter().position(|l| *l == format!("DELE {i}")).unwrap();
        assert!(r < d);
    }
    // The index forgot them: the server no longer has them.
    let ix = IndexReader::open(&dir.path().join("index.sqlite")).unwrap();
    drop(ix);
    let (ix, _) = Index::open(&dir.path().join("index.sqlite")).unwrap();
    assert!(
        ix.pop3_rows(&AccountId("home".into()), &FolderPath::inbox())
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_connection_cut_mid_retr_loses_nothing_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let msgs = mailbox(6);
    let fake = Fake::start(msgs.clone(), Opts::default());
    fake.set_faults(vec![Fault::CloseDuringRetr { n: 4, after: 60 }]);
    let mut acc = open(dir.path(), &fake, delete_mode());
    let e = get_mail(&mut acc).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Network, "{e}");
    assert!(e.message.contains("closed the connection"), "{e}");
    assert_eq!(fake.uidls().len(), 6, "no QUIT: the server deleted nothing");
    assert_eq!(
        tmp_files(dir.path()),
        0,
        "the half message left no tmp file"
    );
    // The next run finishes the job: every message exactly once, the server empty.
    get_mail(&mut acc).await.unwrap();
    assert_eq!(
        local(dir.path()),
        sorted(msgs.iter().map(stored_form).collect())
    );
    assert!(fake.uidls().is_empty());
}

#[tokio::test]
async fn err_at_every_step_deletes_nothing_and_the_next_run_recovers() {
    for step in [
        "CAPA", "USER", "PASS", "APOP", "UIDL", "LIST", "RETR", "DELE", "QUIT",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let msgs = mailbox(4);
        let fake = Fake::start(msgs.clone(), Opts::default());
        fake.set_faults(vec![Fault::Err(step.into())]);
        let auth = if step == "USER" || step == "PASS" {
            Pop3Auth::User
        } else {
            Pop3Auth::Auto
        };
        let mut acc = open_with(
            dir.path(),
            server(&fake, auth, TlsMode::None),
            delete_mode(),
        );
        let first = get_mail(&mut acc).await;
        match step {
            // No CAPA is not an error: a server without it is fine.
            "CAPA" => assert!(first.is_ok(), "{step}: {first:?}"),
            // The fault says [SYS/TEMP]: a temporary refusal, not bad credentials.
            "USER" | "PASS" | "APOP" => {
                let e = first.unwrap_err();
                assert_eq!(e.kind, ErrorKind::Rejected, "{step}: {e}");
                assert!(e.message.contains("refused the login"), "{step}: {e}");
            }
            // Without UIDL in delete mode the account still works.
            "UIDL" => assert!(first.is_ok(), "{step}: {first:?}"),
            _ => {
                let e = first.unwrap_err();
                assert!(e.message.contains(step), "{step}: {e}");
                assert_eq!(fake.uidls().len(), 4, "{step}: nothing deleted");
            }
        }
        fake.set_faults(vec![]);
        get_mail(&mut acc).await.unwrap();
        assert_eq!(
            local(dir.path()),
            sorted(msgs.iter().map(stored_form).collect()),
            "{step}"
        );
        assert!(fake.uidls().is_empty(), "{step}");
    }
}

#[tokio::test]
async fn a_server_without_capa_works() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Opts {
        capa: false,
        ..Opts::default()
    };
    let fake = Fake::start(mailbox(3), opts);
    let mut acc = open_with(
        dir.path(),
        server(&fake, Pop3Auth::User, TlsMode::None),
        keep(),
    );
    get_mail(&mut acc).await.unwrap();
    assert_eq!(local(dir.path()).len(), 3);
}

#[tokio::test]
async fn without_uidl_leave_on_server_is_refused_clearly_and_delete_mode_works() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Opts {
        uidl: false,
        ..Opts::default()
    };
    let fake = Fake::start(mailbox(3), opts);
    let mut acc = open(dir.path(), &fake, keep());
    let e = get_mail(&mut acc).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(
        e.message.contains("UIDL") && e.message.contains("leave-on-server = false"),
        "{e}"
    );
    assert!(local(dir.path()).is_empty());
    assert!(!fake.log().iter().any(|l| l.starts_with("RETR")));
    let mut acc = open(dir.path(), &fake, delete_mode());
    get_mail(&mut acc).await.unwrap();
    assert_eq!(local(dir.path()).len(), 3);
    assert!(fake.uidls().is_empty());
}

#[tokio::test]
async fn stls_refused_or_injected_means_no_login_in_the_clear() {
    for fault in [
        Fault::NoStls,
        Fault::InjectAfterStls("+OK logged in as root".into()),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let fake = Fake::start(mailbox(1), Opts::default());
        fake.set_faults(vec![fault.clone()]);
        let mut acc = open_with(
            dir.path(),
            server(&fake, Pop3Auth::User, TlsMode::Starttls),
            keep(),
        );
        let e = get_mail(&mut acc).await.unwrap_err();
        let log = fake.log();
        assert!(
            !log.iter()
                .any(|l| l.starts_with("USER") || l.starts_with("PASS")),
            "{fault:?}: {log:?}"
        );
        match fault {
            Fault::NoStls => assert!(e.message.contains("refused STLS"), "{e}"),
            _ => assert!(e.message.contains("injected"), "{e}"),
        }
    }
}

#[tokio::test]
async fn every_login_method() {
    for auth in [
        Pop3Auth::Auto,
        Pop3Auth::User,
        Pop3Auth::Apop,
        Pop3Auth::Plain,
        Pop3Auth::Login,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let fake = Fake::start(mailbox(1), Opts::default());
        let mut acc = open_with(dir.path(), server(&fake, auth, TlsMode::None), keep());
        get_mail(&mut acc)
            .await
            .unwrap_or_else(|e| panic!("{auth:?}: {e}"));
        assert_eq!(local(dir.path()).len(), 1, "{auth:?}");
        let log = fake.log();
        let first = match auth {
            Pop3Auth::Auto | Pop3Auth::Apop => "APOP",
            Pop3Auth::User => "USER",
            Pop3Auth::Plain => "AUTH PLAIN",
            _ => "AUTH LOGIN",
        };
        assert!(
            log.iter().any(|l| l.starts_with(first)),
            "{auth:?}: {log:?}"
        );
    }
    // A wrong password is an Auth error that names the server's words.
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(mailbox(1), Opts::default());
    let mut acc = Pop3Account::open(
        AccountId("home".into()),
        server(&fake, Pop3Auth::User, TlsMode::None),
        Some(Secret::Plain("wrong".into())),
        keep(),
        &dir.path().join("cache"),
        &dir.path().join("index.sqlite"),
    )
    .unwrap();
    let e = get_mail(&mut acc).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth);
    assert!(
        e.message.contains("bad user or password") && !e.message.contains("wrong"),
        "{e}"
    );
}

#[tokio::test]
async fn a_crash_between_the_pending_row_and_the_rename_is_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let msgs = mailbox(3);
    let fake = Fake::start(msgs.clone(), Opts::default());
    let acc = open(dir.path(), &fake, delete_mode());
    drop(acc);
    // As a SIGKILL would leave it: message 1's file was renamed into new/ but its row
    // is still pending; message 2 has a pending row and no file.
    let home = AccountId("home".into());
    let done_id = "1700000000.M1P1Q1.test,S=10";
    std::fs::write(
        dir.path().join("cache/new").join(done_id),
        stored_form(&msgs[0]),
    )
    .unwrap();
    {
        let (mut ix, _) = Index::open(&dir.path().join("index.sqlite")).unwrap();
        ix.pop3_put(
            &home,
            &FolderPath::inbox(),
            &[
                UidlRow {
                    uidl: msgs[0].uidl.clone(),
                    uid: LocalId(done_id.into()),
                    state: UidlState::Pending,
                    seen_at: 1_700_000_000,
                },
                UidlRow {
                    uidl: msgs[1].uidl.clone(),
                    uid: LocalId("1700000000.M2P1Q2.test,S=10".into()),
                    state: UidlState::Pending,
                    seen_at: 1_700_000_000,
                },
            ],
        )
        .unwrap();
    }
    let mut acc = open(dir.path(), &fake, delete_mode());
    get_mail(&mut acc).await.unwrap();
    assert_eq!(
        local(dir.path()),
        sorted(msgs.iter().map(stored_form).collect())
    );
    let log = fake.log();
    assert!(
        !log.contains(&"RETR 1".to_string()),
        "message 1 was durable: {log:?}"
    );
    assert!(
        log.contains(&"RETR 2".to_string()),
        "message 2 was not: {log:?}"
    );
    assert!(fake.uidls().is_empty());
}

#[tokio::test]
async fn delete_after_days_removes_only_old_downloads() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(mailbox(3), Opts::default());
    let policy = Pop3Policy {
        delete_after_days: Some(14),
        ..Pop3Policy::default()
    };
    let mut acc = open(dir.path(), &fake, policy.clone());
    get_mail(&mut acc).await.unwrap();
    assert_eq!(fake.uidls().len(), 3, "fresh downloads stay");
    drop(acc);
    // Pretend message 0 was downloaded 15 days ago.
    {
        let home = AccountId("home".into());
        let (mut ix, _) = Index::open(&dir.path().join("index.sqlite")).unwrap();
        let mut rows = ix.pop3_rows(&home, &FolderPath::inbox()).unwrap();
        rows.retain(|r| r.uidl == "uid-00000");
        rows[0].seen_at -= 15 * 86_400;
        ix.pop3_put(&home, &FolderPath::inbox(), &rows).unwrap();
    }
    let mut acc = open(dir.path(), &fake, policy);
    get_mail(&mut acc).await.unwrap();
    assert_eq!(
        fake.uidls(),
        vec!["uid-00001".to_string(), "uid-00002".into()]
    );
    assert_eq!(local(dir.path()).len(), 3, "the local copies stay");
}

#[tokio::test]
async fn messages_over_max_size_are_listed_and_fetched_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let mut msgs = mailbox(2);
    msgs.push(message(7, &"big ".repeat(50_000)));
    let fake = Fake::start(msgs.clone(), Opts::default());
    let policy = Pop3Policy {
        leave_on_server: false,
        max_size: Some(100_000),
        ..Pop3Policy::default()
    };
    let mut acc = open(dir.path(), &fake, policy);
    get_mail(&mut acc).await.unwrap();
    assert_eq!(local(dir.path()).len(), 2, "the big one is not downloaded");
    assert_eq!(fake.uidls(), vec!["uid-00007".to_string()], "nor deleted");
    let home = AccountId("home".into());
    let envs = IndexReader::open(&dir.path().join("index.sqlite"))
        .unwrap()
        .view()
        .envelopes(&home, &FolderPath::inbox())
        .unwrap();
    let big = envs
        .iter()
        .find(|e| e.subject == "message 7")
        .expect("listed from its headers");
    // Opening it downloads it whole, under the listed id, and (delete mode) deletes it.
    let raw = acc
        .fetch(&FolderPath::inbox(), &MessageRef::local(big.id.clone()))
        .await
        .unwrap();
    assert_eq!(raw.0, stored_form(&msgs[2]));
    assert_eq!(local(dir.path()).len(), 3);
    assert!(fake.uidls().is_empty());
    let cache = posthorn::account::CacheView::new(
        home.clone(),
        Some(acc.tree().clone()),
        &dir.path().join("index.sqlite"),
    );
    assert_eq!(
        cache.read(&FolderPath::inbox(), &big.id).unwrap(),
        Some(stored_form(&msgs[2])),
        "cached under the same id"
    );
    // The next runs fetch nothing again.
    get_mail(&mut acc).await.unwrap();
    assert_eq!(local(dir.path()).len(), 3);
}

#[tokio::test]
async fn a_plain_folder_sync_does_not_contact_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(mailbox(2), Opts::default());
    let mut acc = open(dir.path(), &fake, keep());
    get_mail(&mut acc).await.unwrap();
    let sessions = fake.with(|s| s.sessions);
    acc.sync_folder(&FolderPath::inbox(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(fake.with(|s| s.sessions), sessions, "a rescan is local");
}

#[tokio::test]
async fn a_message_that_cannot_be_stored_is_never_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let msgs = mailbox(3);
    let fake = Fake::start(msgs.clone(), Opts::default());
    let mut acc = open(dir.path(), &fake, delete_mode());
    // The disk fails: tmp/ is gone, so no delivery can start.
    std::fs::remove_dir(dir.path().join("cache/tmp")).unwrap();
    let e = get_mail(&mut acc).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Store, "{e}");
    assert!(
        !fake.log().iter().any(|l| l.starts_with("DELE")),
        "{:?}",
        fake.log()
    );
    assert_eq!(fake.uidls().len(), 3);
    std::fs::create_dir(dir.path().join("cache/tmp")).unwrap();
    get_mail(&mut acc).await.unwrap();
    assert_eq!(
        local(dir.path()),
        sorted(msgs.iter().map(stored_form).collect())
    );
    assert!(fake.uidls().is_empty());
}

#[tokio::test]
async fn utf8_mode_is_asked_for_when_offered() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Opts {
        utf8: true,
        ..Opts::default()
    };
    let fake = Fake::start(mailbox(1), opts);
    let mut acc = open_with(
        dir.path(),
        server(&fake, Pop3Auth::User, TlsMode::None),
        keep(),
    );
    get_mail(&mut acc).await.unwrap();
    let log = fake.log();
    let utf8 = log.iter().position(|l| l == "UTF8").expect("UTF8 sent");
    let user = log.iter().position(|l| l.starts_with("USER")).unwrap();
    assert!(utf8 < user, "{log:?}");
}

#[tokio::test]
async fn a_message_far_bigger_than_announced_is_refused_and_nothing_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Opts {
        lie_sizes: true,
        ..Opts::default()
    };
    // LIST says 10 bytes; the message is 3 MB: over the limit derived from LIST.
    let fake = Fake::start(vec![message(0, &"x".repeat(3_000_000))], opts);
    let mut acc = open(dir.path(), &fake, delete_mode());
    let e = get_mail(&mut acc).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Protocol, "{e}");
    assert!(e.message.contains("larger than"), "{e}");
    assert!(local(dir.path()).is_empty());
    assert_eq!(tmp_files(dir.path()), 0);
    assert_eq!(fake.uidls().len(), 1);
    assert!(!fake.log().iter().any(|l| l.starts_with("DELE")));
}

#[tokio::test]
async fn keep_mode_survives_the_loss_of_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(mailbox(4), Opts::default());
    let mut acc = open(dir.path(), &fake, keep());
    get_mail(&mut acc).await.unwrap();
    drop(acc);
    // The index is gone (as when a damaged one is moved aside and rebuilt).
    for e in std::fs::read_dir(dir.path()).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with("index.sqlite") {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    let mut acc = open(dir.path(), &fake, keep());
    get_mail(&mut acc).await.unwrap();
    assert_eq!(local(dir.path()).len(), 4, "nothing downloaded twice");
    assert_eq!(
        fake.log().iter().filter(|l| l.starts_with("RETR")).count(),
        4
    );
}
