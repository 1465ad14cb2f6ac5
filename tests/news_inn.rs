//! The newsreader effects through the runtime against the real INN on 127.0.0.1
//! (scripts/testbed.sh): ctrl-n in the app asks for the group list, the executor sends
//! `AccountOp::ListGroups` to the NNTP account's actor and the list comes back as an
//! app event that fills the browser; catch-up goes the same way and the .newsrc
//! follows. An account that is not a news account answers with an error, not silence.

mod common;

use common::testbed::testbed;
use common::*;
use posthorn::account::nntp::{NntpAccount, NntpServer};
use posthorn::account::{AccountManager, AccountNotice, CacheView};
use posthorn::app::news::{NewsEffect, NewsEvent};
use posthorn::app::{AppEvent, Effect, update};
use posthorn::core::{AccountId, FolderPath, RequestId};
use posthorn::net::{TlsMode, TlsSettings};
use posthorn::run::effects::Executor;
use std::time::Duration;
use tokio::sync::mpsc;

struct Rig {
    exec: Executor,
    events: mpsc::UnboundedReceiver<AppEvent>,
    notices: mpsc::UnboundedReceiver<AccountNotice>,
    dir: tempfile::TempDir,
}

fn news() -> AccountId {
    AccountId("news".into())
}

fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let server = NntpServer {
        host: "127.0.0.1".into(),
        port: testbed().nntp_port,
        tls: TlsMode::None,
        tls_settings: TlsSettings {
            ca_file: Some(testbed().ca_file.clone()),
        },
        user: None,
        timeout: Duration::from_secs(20),
    };
    std::fs::write(dir.path().join("newsrc"), "test.general:\n").unwrap();
    let ix = dir.path().join("index.db");
    let account = NntpAccount::open(
        news(),
        server,
        None,
        &dir.path().join("cache"),
        &dir.path().join("newsrc"),
        &ix,
    )
    .unwrap();
    let (tx, events) = mpsc::unbounded_channel();
    let (ntx, notices) = mpsc::unbounded_channel();
    let mut m = AccountManager::new(ntx);
    m.spawn(account);
    let cache = CacheView::new(news(), None, &ix);
    Rig {
        exec: Executor::new(tx, ix, vec![cache], m),
        events,
        notices,
        dir,
    }
}

impl Rig {
    async fn until<T>(&mut self, mut pick: impl FnMut(AppEvent) -> Option<T>) -> T {
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let ev = tokio::select! {
                    Some(n) = self.notices.recv() => self.exec.on_notice(n),
                    Some(e) = self.events.recv() => Some(e),
                };
                if let Some(t) = ev.and_then(&mut pick) {
                    return t;
                }
            }
        })
        .await
        .expect("the event never came")
    }
}

#[tokio::test]
async fn the_group_list_comes_back_through_the_effect_path_into_the_browser() {
    let mut r = rig();
    let mut s = state_with(vec![], 80, 24);
    // The state's folders are "home"'s; the browser asks the news account.
    s.accounts = vec![news()];
    s.folders.clear();
    s.source = Some(posthorn::app::ViewSource::Folder(
        news(),
        FolderPath("test.general".into()),
    ));
    let fx = press(&mut s, &["ctrl-n"]);
    let mut asked = false;
    for e in fx {
        if let Effect::News(NewsEffect::ListGroups { ref account, .. }) = e {
            assert_eq!(account, &news());
            asked = true;
            r.exec.run(e);
        }
    }
    assert!(asked);
    let ev = r
        .until(|e| matches!(e, AppEvent::News(NewsEvent::Groups { .. })).then_some(e))
        .await;
    update(&mut s, ev);
    let b = s.news.browser.as_ref().unwrap();
    assert_eq!(b.error, None);
    let groups = b.groups.as_ref().expect("the list arrived");
    let general = groups.iter().find(|g| g.name == "test.general").unwrap();
    assert!(general.subscribed, "the .newsrc subscription shows");
    let described = groups.iter().find(|g| g.name == "test.described").unwrap();
    assert!(described.description.contains("description"));
    assert!(
        !groups.iter().any(|g| g.new),
        "nothing is new the first time"
    );
    // The second look asks NEWGROUPS since the first (nothing new here either).
    assert!(r.dir.path().join("cache/newgroups-since").exists());
}

#[tokio::test]
async fn catch_up_through_the_actor_writes_the_newsrc() {
    let mut r = rig();
    let req = RequestId(7);
    r.exec.run(Effect::News(NewsEffect::CatchUp {
        req,
        account: news(),
        folder: FolderPath("test.general".into()),
    }));
    let result = r
        .until(|e| match e {
            AppEvent::News(NewsEvent::CaughtUp { req: q, result }) if q == req => Some(result),
            _ => None,
        })
        .await;
    assert_eq!(result, Ok(()));
    let text = std::fs::read_to_string(r.dir.path().join("newsrc")).unwrap();
    assert!(
        text.starts_with("test.general: 1-") || text == "test.general: 1\n",
        "{text:?}"
    );
}

#[tokio::test]
async fn a_mail_account_answers_that_it_lists_no_groups() {
    let dir = tempfile::tempdir().unwrap();
    let id = AccountId("home".into());
    let ix = dir.path().join("index.sqlite");
    posthorn::store::Maildir::create(dir.path().join("m")).unwrap();
    let tree = posthorn::store::MaildirTree::open(dir.path().join("m")).unwrap();
    let acc = posthorn::account::LocalAccount::open(id.clone(), tree.clone(), &ix).unwrap();
    let (tx, mut events) = mpsc::unbounded_channel();
    let (ntx, mut notices) = mpsc::unbounded_channel();
    let mut m = AccountManager::new(ntx);
    m.spawn(acc);
    let cache = CacheView::new(id.clone(), Some(tree), &ix);
    let mut exec = Executor::new(tx, ix, vec![cache], m);
    exec.run(Effect::News(NewsEffect::ListGroups {
        req: RequestId(3),
        account: id,
    }));
    let result = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let ev = tokio::select! {
                Some(n) = notices.recv() => exec.on_notice(n),
                Some(e) = events.recv() => Some(e),
            };
            if let Some(AppEvent::News(NewsEvent::Groups { result, .. })) = ev {
                return result;
            }
        }
    })
    .await
    .unwrap();
    let e = result.unwrap_err();
    assert!(e.message.contains("not a news account"), "{e:?}");
}
