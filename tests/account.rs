//! The local Maildir account through its actor: triage changes files on disk and the
//! index together, undelete returns mail to where it came from, interactive requests
//! are answered while a folder scan is queued or running, and a sync can be cancelled.

use posthorn::account::{
    AccountCommand, AccountManager, AccountNotice, AccountOp, AccountReply, CacheView, LocalAccount,
};
use posthorn::core::{
    AccountId, ErrorKind, FlagOp, Flags, FolderPath, MessageRef, RequestId, TriageOp,
};
use posthorn::store::{Maildir, MaildirTree};
use tokio::sync::mpsc;

fn setup(
    n: usize,
) -> (
    tempfile::TempDir,
    LocalAccount,
    Vec<posthorn::core::LocalId>,
) {
    setup_with(n, |i| {
        format!("From: x@y\nSubject: m{i}\nMessage-ID: <{i}@t>\n\nbody {i}\n").into_bytes()
    })
}

fn cache(dir: &tempfile::TempDir) -> CacheView {
    CacheView::new(
        AccountId("home".into()),
        Some(MaildirTree::open(dir.path().join("mail")).unwrap()),
        &dir.path().join("index.sqlite"),
    )
}

fn setup_with(
    n: usize,
    message: impl Fn(usize) -> Vec<u8>,
) -> (
    tempfile::TempDir,
    LocalAccount,
    Vec<posthorn::core::LocalId>,
) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("mail");
    let inbox = Maildir::create(&root).unwrap();
    let ids = (0..n)
        .map(|i| {
            // Written directly (no fsync per file): thousands of them for the scan tests.
            let name = format!("1700000000.M{i}P1Q{i}.test");
            std::fs::write(inbox.path().join("new").join(&name), message(i)).unwrap();
            posthorn::core::LocalId(name)
        })
        .collect();
    let acc = LocalAccount::open(
        AccountId("home".into()),
        MaildirTree::open(&root).unwrap(),
        &dir.path().join("index.sqlite"),
    )
    .unwrap();
    (dir, acc, ids)
}

async fn ask(
    m: &AccountManager,
    rx: &mut mpsc::UnboundedReceiver<AccountNotice>,
    req: u64,
    op: AccountOp,
) -> AccountReply {
    m.send(
        &AccountId("home".into()),
        AccountCommand {
            req: RequestId(req),
            op,
        },
    )
    .unwrap();
    loop {
        match rx.recv().await.unwrap() {
            AccountNotice::Reply { req: r, result, .. } if r == RequestId(req) => {
                return result.unwrap();
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn triage_through_the_actor_changes_disk_and_index() {
    let (dir, acc, ids) = setup(3);
    {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut m = AccountManager::new(tx);
        m.spawn(acc);
        let inbox = FolderPath::inbox();
        let r = ask(&m, &mut rx, 1, AccountOp::SyncFolder(inbox.clone())).await;
        assert!(matches!(r, AccountReply::Synced { ref report, .. } if report.added == 3));

        let one = vec![MessageRef::local(ids[0].clone())];
        ask(
            &m,
            &mut rx,
            2,
            AccountOp::Triage(TriageOp::SetFlags {
                folder: inbox.clone(),
                ids: one.clone(),
                op: FlagOp::Add(Flags::FLAGGED),
            }),
        )
        .await;
        let cur: Vec<String> = std::fs::read_dir(dir.path().join("mail/cur"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(cur, [format!("{}:2,F", ids[0])]);

        let trash = FolderPath("Trash".into());
        ask(
            &m,
            &mut rx,
            3,
            AccountOp::Triage(TriageOp::Move {
                from: inbox.clone(),
                ids: one.clone(),
                to: trash.clone(),
            }),
        )
        .await;
        assert!(
            dir.path()
                .join("mail/.Trash/cur")
                .join(format!("{}:2,F", ids[0]))
                .exists(),
            "Trash created, flags kept"
        );

        // Undelete sends it back where it came from.
        let r = ask(
            &m,
            &mut rx,
            4,
            AccountOp::Triage(TriageOp::Restore {
                from: trash.clone(),
                ids: one,
            }),
        )
        .await;
        assert!(
            matches!(r, AccountReply::Done { ref moved_to } if moved_to == &[FolderPath::inbox()])
        );
    }
    let ix: Vec<_> = cache(&dir)
        .folders()
        .unwrap()
        .into_iter()
        .map(|f| (f.path.0, f.total, f.unread))
        .collect();
    assert_eq!(
        ix,
        vec![("INBOX".to_string(), 3, 3), ("Trash".to_string(), 0, 0)]
    );
}

#[tokio::test]
async fn interactive_requests_go_before_queued_scans() {
    let (_dir, acc, ids) = setup(20);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut m = AccountManager::new(tx);
    m.spawn(acc);
    let home = AccountId("home".into());
    // Queue several background scans, then one interactive fetch.
    for r in 1..=5 {
        m.send(
            &home,
            AccountCommand {
                req: RequestId(r),
                op: AccountOp::SyncFolder(FolderPath::inbox()),
            },
        )
        .unwrap();
    }
    m.send(
        &home,
        AccountCommand {
            req: RequestId(99),
            op: AccountOp::Fetch {
                folder: FolderPath::inbox(),
                id: MessageRef::local(ids[3].clone()),
            },
        },
    )
    .unwrap();
    let mut order = Vec::new();
    while order.len() < 6 {
        if let AccountNotice::Reply { req, .. } = rx.recv().await.unwrap() {
            order.push(req.0);
        }
    }
    let pos = order.iter().position(|&r| r == 99).unwrap();
    assert!(pos <= 1, "the fetch waited behind scans: {order:?}");
}

#[tokio::test]
async fn a_missing_message_is_an_error_not_a_panic() {
    let (_dir, acc, _ids) = setup(1);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut m = AccountManager::new(tx);
    m.spawn(acc);
    m.send(
        &AccountId("home".into()),
        AccountCommand {
            req: RequestId(7),
            op: AccountOp::Triage(TriageOp::SetFlags {
                folder: FolderPath::inbox(),
                ids: vec![MessageRef::local(posthorn::core::LocalId("nope".into()))],
                op: FlagOp::Add(Flags::SEEN),
            }),
        },
    )
    .unwrap();
    loop {
        if let AccountNotice::Reply { req, result, .. } = rx.recv().await.unwrap() {
            assert_eq!(req, RequestId(7));
            let e = result.unwrap_err();
            assert_eq!(e.kind, ErrorKind::Gone, "{e}");
            assert!(e.message.contains("no longer in"), "{e}");
            break;
        }
    }
    assert!(
        m.send(
            &AccountId("other".into()),
            AccountCommand {
                req: RequestId(8),
                op: AccountOp::ListFolders
            }
        )
        .is_err()
    );
}

#[test]
fn reading_a_message_does_not_wait_for_an_index_write() {
    let (dir, acc, ids) = setup(2);
    drop(acc);
    // Another writer holds a write transaction, as a long scan step would.
    let w = rusqlite::Connection::open(dir.path().join("index.sqlite")).unwrap();
    w.execute_batch("BEGIN IMMEDIATE; INSERT INTO folders(account, path) VALUES ('x', 'y');")
        .unwrap();
    let bytes = cache(&dir)
        .read(&FolderPath::inbox(), &ids[1])
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("body 1"));
    w.execute_batch("ROLLBACK").unwrap();
}

/// A flag command sent while a long scan runs is answered before the scan ends: the
/// actor serves it between two steps (multi-threaded runtime, as in the TUI).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flag_change_during_a_long_scan_is_answered_before_the_scan_ends() {
    let n = 6 * posthorn::store::scan::STEP_FILES;
    let (_dir, acc, ids) = setup(n);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut m = AccountManager::new(tx);
    m.spawn(acc);
    let home = AccountId("home".into());
    let send = |req, op| {
        m.send(
            &home,
            AccountCommand {
                req: RequestId(req),
                op,
            },
        )
        .unwrap()
    };
    send(1, AccountOp::SyncFolder(FolderPath::inbox()));
    // Wait until the scan is under way, then ask for a flag change.
    let mut flagged_at = None;
    let mut order = Vec::new();
    loop {
        match rx.recv().await.unwrap() {
            AccountNotice::Progress { done, total, .. } if flagged_at.is_none() => {
                assert!(done < total, "the scan finished in one step");
                flagged_at = Some(done);
                send(
                    2,
                    AccountOp::Triage(TriageOp::SetFlags {
                        folder: FolderPath::inbox(),
                        ids: vec![MessageRef::local(ids[n - 1].clone())],
                        op: FlagOp::Add(Flags::FLAGGED),
                    }),
                );
            }
            AccountNotice::Reply { req, result, .. } => {
                result.unwrap();
                order.push(req.0);
                if req.0 == 1 {
                    break;
                }
            }
            _ => {}
        }
    }
    assert_eq!(order, [2, 1], "the flag change waited for the whole scan");
}

#[tokio::test]
async fn a_running_sync_can_be_cancelled_and_keeps_what_it_committed() {
    let n = 4 * posthorn::store::scan::STEP_FILES;
    let (dir, acc, _ids) = setup(n);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut m = AccountManager::new(tx);
    m.spawn(acc);
    let home = AccountId("home".into());
    m.send(
        &home,
        AccountCommand {
            req: RequestId(1),
            op: AccountOp::SyncFolder(FolderPath::inbox()),
        },
    )
    .unwrap();
    let mut cancelled = false;
    loop {
        match rx.recv().await.unwrap() {
            AccountNotice::Progress { .. } if !cancelled => {
                cancelled = true;
                m.send(
                    &home,
                    AccountCommand {
                        req: RequestId(2),
                        op: AccountOp::CancelSync(None),
                    },
                )
                .unwrap();
            }
            AccountNotice::Reply {
                req: RequestId(1),
                result,
                ..
            } => {
                assert!(
                    matches!(result, Ok(AccountReply::Cancelled { .. })),
                    "{result:?}"
                );
                break;
            }
            _ => {}
        }
    }
    let total = cache(&dir).folders().unwrap()[0].total;
    assert!(total > 0 && (total as usize) < n, "{total} of {n} indexed");
}

async fn wait_for<T>(
    rx: &mut mpsc::UnboundedReceiver<AccountNotice>,
    mut pick: impl FnMut(&AccountNotice) -> Option<T>,
) -> T {
    // A liveness bound, not a speed assertion.
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            let n = rx.recv().await.expect("actor alive");
            if let Some(t) = pick(&n) {
                return t;
            }
        }
    })
    .await
    .expect("the notice never came")
}

/// Push: mail delivered, flagged and deleted by another process shows without a key
/// press (the actor rescans and says the folder changed).
#[tokio::test]
async fn changes_by_another_program_are_pushed() {
    let (dir, acc, ids) = setup(2);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut m = AccountManager::new(tx);
    m.spawn(acc);
    ask(&m, &mut rx, 1, AccountOp::SyncFolder(FolderPath::inbox())).await;
    let inbox = dir.path().join("mail");
    let changed = |n: &AccountNotice| match n {
        AccountNotice::Changed {
            folder: Some(f), ..
        } if f.is_inbox() => Some(()),
        _ => None,
    };
    // Python's mailbox module delivers.
    let st = std::process::Command::new("python3")
        .arg("-c")
        .arg("import mailbox,sys; mailbox.Maildir(sys.argv[1], create=False).add(b'From: p@y\\nSubject: from python\\n\\nhi\\n')")
        .arg(&inbox)
        .status()
        .unwrap();
    assert!(st.success());
    wait_for(&mut rx, changed).await;
    assert_eq!(cache(&dir).folders().unwrap()[0].total, 3);
    // mv flags one (as mutt would), rm deletes another.
    let new = inbox.join("new").join(&ids[0].0);
    let cur = inbox.join("cur").join(format!("{}:2,S", ids[0].0));
    assert!(
        std::process::Command::new("mv")
            .arg(&new)
            .arg(&cur)
            .status()
            .unwrap()
            .success()
    );
    assert!(
        std::process::Command::new("rm")
            .arg(inbox.join("new").join(&ids[1].0))
            .status()
            .unwrap()
            .success()
    );
    loop {
        wait_for(&mut rx, changed).await;
        let f = &cache(&dir).folders().unwrap()[0];
        if (f.total, f.unread) == (2, 1) {
            break;
        }
    }
}

/// Triage on a message another program just moved says so (Gone) and loses nothing.
#[tokio::test]
async fn triage_on_a_message_moved_elsewhere_is_refused_without_loss() {
    let (dir, acc, ids) = setup(1);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut m = AccountManager::new(tx);
    m.spawn(acc);
    ask(&m, &mut rx, 1, AccountOp::SyncFolder(FolderPath::inbox())).await;
    let other = Maildir::create(dir.path().join("mail/.Other")).unwrap();
    std::fs::rename(
        dir.path().join("mail/new").join(&ids[0].0),
        other.path().join("cur").join(format!("{}:2,", ids[0].0)),
    )
    .unwrap();
    m.send(
        &AccountId("home".into()),
        AccountCommand {
            req: RequestId(2),
            op: AccountOp::Triage(TriageOp::Move {
                from: FolderPath::inbox(),
                ids: vec![MessageRef::local(ids[0].clone())],
                to: FolderPath("Trash".into()),
            }),
        },
    )
    .unwrap();
    let e = wait_for(&mut rx, |n| match n {
        AccountNotice::Reply {
            req: RequestId(2),
            result,
            ..
        } => Some(result.as_ref().err().cloned()),
        _ => None,
    })
    .await
    .expect("the move must fail");
    assert_eq!(e.kind, ErrorKind::Gone, "{e}");
    assert_eq!(
        other.list().unwrap().len(),
        1,
        "the message is where the other program put it"
    );
}

/// A flag change that reached the disk is reported done even when the index cannot
/// record it (here: damaged under the actor); the index is rebuilt with a notice.
#[tokio::test]
async fn a_change_on_disk_is_not_reported_failed_when_the_index_is_damaged() {
    let (dir, acc, ids) = setup(3);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut m = AccountManager::new(tx);
    m.spawn(acc);
    ask(&m, &mut rx, 1, AccountOp::SyncFolder(FolderPath::inbox())).await;
    let path = dir.path().join("index.sqlite");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    for b in &mut bytes[100..] {
        *b = 0xa5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let r = ask(
        &m,
        &mut rx,
        2,
        AccountOp::Triage(TriageOp::SetFlags {
            folder: FolderPath::inbox(),
            ids: vec![MessageRef::local(ids[0].clone())],
            op: FlagOp::Add(Flags::SEEN),
        }),
    )
    .await;
    assert!(matches!(r, AccountReply::Done { .. }));
    assert!(
        dir.path()
            .join("mail/cur")
            .join(format!("{}:2,S", ids[0].0))
            .exists(),
        "the change is on disk"
    );
    let note = wait_for(&mut rx, |n| match n {
        AccountNotice::Note { text, .. } => Some(text.clone()),
        _ => None,
    })
    .await;
    assert!(note.contains("rebuilt"), "{note}");
    // The next sync rebuilds the folder from the Maildir.
    ask(&m, &mut rx, 3, AccountOp::SyncFolder(FolderPath::inbox())).await;
    let f = &cache(&dir).folders().unwrap()[0];
    assert_eq!((f.total, f.unread), (3, 2));
}

/// When one account rebuilds the shared index, another account's writer follows it to
/// the new file instead of writing into the one moved aside.
#[tokio::test]
async fn after_another_account_rebuilds_the_index_writes_go_to_the_new_file() {
    use posthorn::account::Account;
    let (dir, mut acc, _ids) = setup(4);
    let path = dir.path().join("index.sqlite");
    acc.sync_folder(&FolderPath::inbox(), &mut |_| {})
        .await
        .unwrap();
    // Another writer (another account) finds damage and heals: the file is replaced.
    let (mut other, _) = posthorn::store::Index::open(&path).unwrap();
    other.heal("test").unwrap();
    assert_eq!(cache(&dir).folders().unwrap()[0].total, 0, "a fresh index");
    let r = acc
        .sync_folder(&FolderPath::inbox(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(r.added, 4);
    assert_eq!(cache(&dir).folders().unwrap()[0].total, 4);
}
