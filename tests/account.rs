//! The local Maildir account through its actor: triage changes files on disk and the
//! index together, undelete returns mail to where it came from, and interactive
//! requests are answered while a folder scan is queued.

use posthorn::account::{
    AccountCommand, AccountManager, AccountNotice, AccountOp, AccountReply, LocalAccount,
};
use posthorn::core::{AccountId, FlagOp, Flags, FolderPath, MessageRef, RequestId, TriageOp};
use posthorn::store::{Index, Maildir, MaildirTree};
use tokio::sync::mpsc;

fn setup(
    n: usize,
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
            inbox
                .deliver(
                    format!("From: x@y\nSubject: m{i}\nMessage-ID: <{i}@t>\n\nbody {i}\n")
                        .as_bytes(),
                    Flags::empty(),
                )
                .unwrap()
                .id
        })
        .collect();
    let index = Index::open(&dir.path().join("index.sqlite"))
        .unwrap()
        .shared();
    let acc = LocalAccount::new(
        AccountId("home".into()),
        MaildirTree::open(&root).unwrap(),
        index,
    );
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
    let index = {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut m = AccountManager::new(tx);
        m.spawn(acc.clone());
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
        acc.clone()
    };
    let ix = index.list_folders_for_test();
    assert_eq!(
        ix,
        vec![("INBOX".to_string(), 3, 3), ("Trash".to_string(), 0, 0)]
    );
}

trait ForTest {
    fn list_folders_for_test(&self) -> Vec<(String, u32, u32)>;
}
impl ForTest for LocalAccount {
    fn list_folders_for_test(&self) -> Vec<(String, u32, u32)> {
        self.folders_blocking()
            .unwrap()
            .into_iter()
            .map(|f| (f.path.0, f.total, f.unread))
            .collect()
    }
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
            assert!(e.message.contains("nope not found"), "{e}");
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
fn reading_a_message_does_not_wait_for_the_index() {
    let (_dir, acc, ids) = setup(2);
    let index = acc.shared_index();
    // Hold the index as a scan's commit would; the read still answers.
    let _held = index.lock().unwrap();
    let bytes = acc.read_blocking(&FolderPath::inbox(), &ids[1]).unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("body 1"));
}
