//! Folder keys end to end through the executor and a real `LocalAccount` actor: a
//! local Maildir cannot create folders on a server, and its Unsupported answer reaches
//! the status line and the notices log in the account's words.

mod common;

use common::*;
use posthorn::account::{AccountManager, CacheView, LocalAccount};
use posthorn::app::{AppEvent, Effect, update};
use posthorn::core::{AccountId, Flags, FolderPath};
use posthorn::run::effects::Executor;
use posthorn::store::{Maildir, MaildirTree};
use std::time::Duration;
use tokio::sync::mpsc;

#[tokio::test]
async fn a_local_accounts_unsupported_answer_reaches_the_status_line() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("m")).unwrap();
    md.deliver(b"Subject: hi\n\nbody\n", Flags::empty())
        .unwrap();
    let id = AccountId("home".into());
    let ix = dir.path().join("index.sqlite");
    let tree = MaildirTree::open(dir.path().join("m")).unwrap();
    let acc = LocalAccount::open(id.clone(), tree.clone(), &ix).unwrap();
    let (tx, mut events) = mpsc::unbounded_channel();
    let (ntx, mut notices) = mpsc::unbounded_channel();
    let mut m = AccountManager::new(ntx);
    m.spawn(acc);
    let mut exec = Executor::new(
        tx,
        ix.clone(),
        vec![CacheView::new(id.clone(), Some(tree), &ix)],
        m,
    );

    let mut s = state_with(vec![env("a", "hi", "Ann", NOW)], 80, 24);
    press(&mut s, &["+"]);
    typed(&mut s, "Projects");
    let fx = press(&mut s, &["enter"]);
    let req = fx
        .iter()
        .find_map(|e| match e {
            Effect::FolderOp { req, account, op } => {
                assert_eq!(*account, id);
                assert_eq!(
                    *op,
                    posthorn::core::FolderOp::Create(FolderPath("Projects".into()))
                );
                Some(*req)
            }
            _ => None,
        })
        .expect("a folder op");
    for e in fx {
        if matches!(e, Effect::FolderOp { .. }) {
            exec.run(e);
        }
    }
    let answer = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let ev = tokio::select! {
                Some(n) = notices.recv() => exec.on_notice(n),
                Some(e) = events.recv() => Some(e),
            };
            if let Some(ev @ AppEvent::FolderOpDone { req: r, .. }) = ev
                && r == req
            {
                return ev;
            }
        }
    })
    .await
    .expect("the account never answered");
    update(&mut s, answer);
    let n = s.status.clone().expect("a status line");
    assert!(n.error, "{n:?}");
    assert!(n.text.contains("Could not create Projects"), "{}", n.text);
    assert!(
        n.text.contains("this account cannot create folders"),
        "{}",
        n.text
    );
    assert!(s.notices.contains(&n));
}
