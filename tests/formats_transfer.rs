//! Moves between accounts of any format (here an mbox account and a Maildir account):
//! the move prompt takes `ACCOUNT:FOLDER`, the executor exports, stores and only then
//! removes, flags travel along, and undo brings the messages back by the ids they got
//! in the other account. A destination that cannot take them leaves them where they
//! were.

mod common;

use common::{env, press, state_with, typed};
use posthorn::account::file_store::FileStoreAccount;
use posthorn::account::{AccountManager, AccountNotice, CacheView, LocalAccount};
use posthorn::app::{AppEvent, Effect, TriageOp, update};
use posthorn::core::{AccountId, Flags, Folder, FolderPath, LocalId, MessageRef, RequestId};
use posthorn::run::effects::Executor;
use posthorn::store::formats::{FileTree, Format, MboxVariant};
use posthorn::store::{IndexReader, Maildir, MaildirTree};
use std::time::Duration;
use tokio::sync::mpsc;

#[test]
fn the_move_prompt_sends_a_transfer_and_undo_uses_the_new_ids() {
    let mut s = state_with(
        vec![env("a1", "one", "Ann", 100), env("a2", "two", "Ben", 200)],
        80,
        24,
    );
    update(
        &mut s,
        AppEvent::Folders {
            account: AccountId("work".into()),
            folders: vec![Folder::mail(AccountId("work".into()), FolderPath::inbox())],
        },
    );
    press(&mut s, &["m"]);
    assert!(
        s.prompt
            .as_ref()
            .unwrap()
            .completions
            .contains(&"work:INBOX".to_string())
    );
    let mut fx = typed(&mut s, "work:INBOX");
    fx.extend(press(&mut s, &["enter"]));
    let (req, op) = fx
        .iter()
        .find_map(|e| match e {
            Effect::Triage { req, account, op } if account.0 == "home" => Some((*req, op.clone())),
            _ => None,
        })
        .expect("a transfer");
    let TriageOp::Transfer {
        from,
        ids,
        to_account,
        to,
    } = op
    else {
        panic!("not a transfer: {op:?}");
    };
    assert_eq!(
        (from, to_account.0.as_str(), to),
        (FolderPath::inbox(), "work", FolderPath::inbox())
    );
    assert_eq!(ids.len(), 1);
    let old = ids[0].id.clone();
    assert_eq!(s.envelopes.len(), 1, "the message left the list");
    // The executor reports the id it got there, then the transfer is done.
    update(
        &mut s,
        AppEvent::Transferred {
            ids: vec![(old.clone(), LocalId("new-id".into()))],
        },
    );
    update(
        &mut s,
        AppEvent::TriageDone {
            req,
            result: Ok(()),
        },
    );
    let fx = press(&mut s, &["u"]);
    let back = fx
        .iter()
        .find_map(|e| match e {
            Effect::Triage { account, op, .. } if account.0 == "work" => Some(op.clone()),
            _ => None,
        })
        .expect("undo asks the other account");
    assert_eq!(
        back,
        TriageOp::Transfer {
            from: FolderPath::inbox(),
            ids: vec![MessageRef::local(LocalId("new-id".into()))],
            to_account: AccountId("home".into()),
            to: FolderPath::inbox(),
        }
    );
}

const MBOX: &[u8] = b"From a@b Mon Jan  1 00:00:00 2024\nFrom: a@b\nSubject: one\nMessage-ID: <1@t>\nStatus: RO\nX-Status: F\n\nbody one\n\nFrom a@b Mon Jan  1 00:00:00 2024\nFrom: a@b\nSubject: two\nMessage-ID: <2@t>\n\nbody two\n";

struct Rig {
    exec: Executor,
    events: mpsc::UnboundedReceiver<AppEvent>,
    notices: mpsc::UnboundedReceiver<AccountNotice>,
    dir: tempfile::TempDir,
}

impl Rig {
    async fn until<T>(&mut self, mut pick: impl FnMut(&AppEvent) -> Option<T>) -> T {
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let ev = tokio::select! {
                    Some(n) = self.notices.recv() => self.exec.on_notice(n),
                    Some(e) = self.events.recv() => Some(e),
                };
                if let Some(t) = ev.as_ref().and_then(&mut pick) {
                    return t;
                }
            }
        })
        .await
        .expect("the event never came")
    }

    fn envelopes(&self, account: &str) -> Vec<(LocalId, String, Flags)> {
        let r = IndexReader::open(&self.dir.path().join("index.sqlite")).unwrap();
        let mut v: Vec<_> = r
            .view()
            .envelopes(&AccountId(account.into()), &FolderPath::inbox())
            .unwrap()
            .into_iter()
            .map(|e| (e.id, e.subject, e.flags))
            .collect();
        v.sort_by(|a, b| a.1.cmp(&b.1));
        v
    }

    async fn transfer(
        &mut self,
        req: u64,
        from: &str,
        ids: Vec<LocalId>,
        to: &str,
    ) -> Result<Vec<(LocalId, LocalId)>, String> {
        self.exec.run(Effect::Triage {
            req: RequestId(req),
            account: AccountId(from.into()),
            op: TriageOp::Transfer {
                from: FolderPath::inbox(),
                ids: ids.into_iter().map(MessageRef::local).collect(),
                to_account: AccountId(to.into()),
                to: FolderPath::inbox(),
            },
        });
        let mut moved = Vec::new();
        let done = self
            .until(|e| match e {
                AppEvent::Transferred { ids } => {
                    moved.extend(ids.iter().cloned());
                    None
                }
                AppEvent::TriageDone { req: r, result } if r.0 == req => {
                    Some(result.clone().map_err(|f| f.message))
                }
                _ => None,
            })
            .await;
        done.map(|_| moved)
    }
}

/// An mbox account `old` (two messages, indexed) and a Maildir account `home` (empty),
/// or, with `broken`, a `home` that cannot store anything.
async fn rig(broken: bool) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let ix = dir.path().join("index.sqlite");
    std::fs::write(dir.path().join("old.mbox"), MBOX).unwrap();
    let md = Maildir::create(dir.path().join("home")).unwrap();
    if broken {
        // INBOX's tmp/ is a file: nothing can be delivered there.
        std::fs::remove_dir(md.path().join("tmp")).unwrap();
        std::fs::write(md.path().join("tmp"), b"").unwrap();
    }
    let tree = FileTree::open(
        dir.path().join("old.mbox"),
        Format::Mbox(MboxVariant::Mboxrd),
        None,
    )
    .unwrap();
    let mut old = FileStoreAccount::open(AccountId("old".into()), tree.clone(), &ix).unwrap();
    use posthorn::account::Account;
    old.sync_folder(&FolderPath::inbox(), &mut |_| {})
        .await
        .unwrap();
    let home_tree = MaildirTree::open(dir.path().join("home")).unwrap();
    let home = LocalAccount::open(AccountId("home".into()), home_tree.clone(), &ix).unwrap();
    let (tx, events) = mpsc::unbounded_channel();
    let (ntx, notices) = mpsc::unbounded_channel();
    let mut m = AccountManager::new(ntx);
    m.spawn(old);
    m.spawn(home);
    let caches = vec![
        CacheView::files(AccountId("old".into()), tree, &ix),
        CacheView::new(AccountId("home".into()), Some(home_tree), &ix),
    ];
    Rig {
        exec: Executor::new(tx, ix, caches, m),
        events,
        notices,
        dir,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_moves_from_mbox_to_maildir_with_its_flags_and_back() {
    let mut r = rig(false).await;
    let old = r.envelopes("old");
    assert_eq!(old.len(), 2);
    let moved = r
        .transfer(1, "old", vec![old[0].0.clone()], "home")
        .await
        .unwrap();
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].0, old[0].0);
    // In the Maildir with its flags, out of the mbox, and both indexes agree.
    let cur: Vec<String> = std::fs::read_dir(r.dir.path().join("home/cur"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(cur.len(), 1);
    assert!(cur[0].ends_with(":2,FS"), "{cur:?}");
    let text = std::fs::read_to_string(r.dir.path().join("old.mbox")).unwrap();
    assert!(!text.contains("Subject: one") && text.contains("Subject: two"));
    let home = r.envelopes("home");
    assert_eq!(home.len(), 1);
    assert_eq!(
        (home[0].0.clone(), home[0].1.as_str(), home[0].2),
        (moved[0].1.clone(), "one", Flags::SEEN.union(Flags::FLAGGED))
    );
    assert_eq!(r.envelopes("old").len(), 1);
    let body = std::fs::read(r.dir.path().join("home/cur").join(&cur[0])).unwrap();
    assert!(
        !String::from_utf8_lossy(&body).contains("Status:"),
        "flag fields are the mbox's own"
    );
    // Back (as undo does, by its new id): the same content id in the mbox again.
    let back = r
        .transfer(2, "home", vec![moved[0].1.clone()], "old")
        .await
        .unwrap();
    assert_eq!(back[0].1, old[0].0);
    assert_eq!(r.envelopes("old"), old);
    assert!(r.envelopes("home").is_empty());
    let text = std::fs::read_to_string(r.dir.path().join("old.mbox")).unwrap();
    assert!(text.contains("Subject: one") && text.contains("X-Status: F"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_destination_that_cannot_store_leaves_the_messages_where_they_were() {
    let mut r = rig(true).await;
    let old = r.envelopes("old");
    let before = std::fs::read(r.dir.path().join("old.mbox")).unwrap();
    let err = r
        .transfer(1, "old", vec![old[0].0.clone()], "home")
        .await
        .unwrap_err();
    assert!(!err.is_empty());
    assert_eq!(
        std::fs::read(r.dir.path().join("old.mbox")).unwrap(),
        before
    );
    assert_eq!(r.envelopes("old"), old);
}
