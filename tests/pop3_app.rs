//! A POP3 account in the TUI's terms: the "get mail" key asks every account for new
//! mail; through its actor the account downloads on "get mail" and on its periodic
//! check (check-every) with progress and state, while a plain rescan stays local.

mod pop3_support;

use pop3_support::{Fake, Opts, message};
use posthorn::account::{
    AccountCommand, AccountManager, AccountNotice, AccountOp, AccountReply, Pop3Account,
    Pop3Policy, Pop3Server,
};
use posthorn::app::{AppEvent, AppState, Effect, Key, Keymap, Settings, update};
use posthorn::config::Secret;
use posthorn::core::{AccountId, AccountState, Folder, FolderPath, RequestId};
use posthorn::net::{TlsMode, TlsSettings};
use posthorn::protocol::pop3::Pop3Auth;
use std::time::Duration;
use tokio::sync::mpsc;

#[test]
fn the_get_mail_key_asks_every_account() {
    let mut s = AppState::new(Keymap::default(), Settings::default());
    s.width = 100;
    s.height = 30;
    for a in ["home", "work"] {
        update(
            &mut s,
            AppEvent::Folders {
                account: AccountId(a.into()),
                folders: vec![Folder::mail(AccountId(a.into()), FolderPath::inbox())],
            },
        );
    }
    let fx = update(&mut s, AppEvent::Key(Key::parse("I").unwrap()));
    let asked: Vec<&AccountId> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::GetMail { account } => Some(account),
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 2, "{fx:?}");
    let help = Keymap::default().help(posthorn::app::Context::List);
    assert!(help.iter().any(|(k, h)| k == "I" && h.contains("new mail")));
}

fn account(dir: &std::path::Path, fake: &Fake, check_every: Option<Duration>) -> Pop3Account {
    Pop3Account::open(
        AccountId("home".into()),
        Pop3Server {
            host: "127.0.0.1".into(),
            port: fake.port,
            tls: TlsMode::None,
            tls_settings: TlsSettings::default(),
            user: "alice".into(),
            auth: Pop3Auth::User,
            timeout: Duration::from_secs(10),
        },
        Some(Secret::Plain("secret pw".into())),
        Pop3Policy {
            check_every,
            ..Pop3Policy::default()
        },
        &dir.join("cache"),
        &dir.join("index.sqlite"),
    )
    .unwrap()
}

fn new_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("cache/new")).unwrap().count()
}

/// Waits for a notice that `want` accepts (the test fails if the actor goes quiet
/// for a long time; nothing here measures how fast it is).
async fn wait_for(
    rx: &mut mpsc::UnboundedReceiver<AccountNotice>,
    seen: &mut Vec<String>,
    want: impl Fn(&AccountNotice) -> bool,
) -> AccountNotice {
    let give_up = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let n = tokio::time::timeout_at(give_up, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("not the notice we wait for; saw {seen:#?}"))
            .expect("actor gone");
        seen.push(format!("{n:?}"));
        if want(&n) {
            return n;
        }
    }
}

#[tokio::test]
async fn get_mail_downloads_and_a_rescan_stays_local() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start((0..3).map(|i| message(i, "hi")).collect(), Opts::default());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut m = AccountManager::new(tx);
    m.spawn(account(dir.path(), &fake, None));
    let home = AccountId("home".into());
    let mut seen = Vec::new();
    m.send(
        &home,
        AccountCommand {
            req: RequestId(1),
            op: AccountOp::GetMail,
        },
    )
    .unwrap();
    let mut progressed = false;
    let n = wait_for(&mut rx, &mut seen, |n| {
        matches!(
            n,
            AccountNotice::Reply {
                req: RequestId(1),
                ..
            }
        )
    })
    .await;
    for s in &seen {
        progressed |= s.contains("Syncing");
    }
    match n {
        AccountNotice::Reply {
            result: Ok(AccountReply::Synced { folder, report }),
            ..
        } => {
            assert!(folder.is_inbox());
            assert_eq!(report.added, 3);
        }
        other => panic!("{other:?}"),
    }
    assert!(progressed, "the state showed the sync: {seen:#?}");
    assert_eq!(new_files(dir.path()), 3);
    let sessions = fake.with(|s| s.sessions);
    // Opening INBOX again (a rescan) does not log in; "get mail" does.
    fake.with(|s| s.mailbox.push(message(9, "later")));
    m.send(
        &home,
        AccountCommand {
            req: RequestId(2),
            op: AccountOp::SyncFolder(FolderPath::inbox()),
        },
    )
    .unwrap();
    wait_for(&mut rx, &mut seen, |n| {
        matches!(
            n,
            AccountNotice::Reply {
                req: RequestId(2),
                ..
            }
        )
    })
    .await;
    assert_eq!(fake.with(|s| s.sessions), sessions);
    assert_eq!(new_files(dir.path()), 3);
    m.send(
        &home,
        AccountCommand {
            req: RequestId(3),
            op: AccountOp::GetMail,
        },
    )
    .unwrap();
    wait_for(&mut rx, &mut seen, |n| {
        matches!(
            n,
            AccountNotice::Reply {
                req: RequestId(3),
                ..
            }
        )
    })
    .await;
    assert_eq!(new_files(dir.path()), 4);
}

#[tokio::test]
async fn the_periodic_check_brings_new_mail_without_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(vec![message(0, "first")], Opts::default());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut m = AccountManager::new(tx);
    m.spawn(account(dir.path(), &fake, Some(Duration::from_secs(1))));
    let home = AccountId("home".into());
    let mut seen = Vec::new();
    // Started: the account is online and says it can push (the periodic check).
    wait_for(
        &mut rx,
        &mut seen,
        |n| matches!(n, AccountNotice::Capabilities { caps, .. } if caps.push),
    )
    .await;
    wait_for(&mut rx, &mut seen, |n| {
        matches!(
            n,
            AccountNotice::State {
                state: AccountState::Online,
                ..
            }
        )
    })
    .await;
    // The first check (as at start-up) takes what is there.
    m.send(
        &home,
        AccountCommand {
            req: RequestId(1),
            op: AccountOp::GetMail,
        },
    )
    .unwrap();
    wait_for(&mut rx, &mut seen, |n| {
        matches!(
            n,
            AccountNotice::Reply {
                req: RequestId(1),
                ..
            }
        )
    })
    .await;
    assert_eq!(new_files(dir.path()), 1);
    fake.with(|s| s.mailbox.push(message(1, "second")));
    // No command at all: the periodic check finds the new one and says INBOX changed.
    wait_for(
        &mut rx,
        &mut seen,
        |n| matches!(n, AccountNotice::Changed { folder: Some(f), .. } if f.is_inbox()),
    )
    .await;
    assert_eq!(new_files(dir.path()), 2);
}
