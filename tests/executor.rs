//! The runtime's executor with a fake account (slow, failing, offline): actor notices
//! become app events, a folder is not scanned twice at once, a busy account is
//! reported instead of awaited, and errors keep their kind. Plus the save-as rules.

use posthorn::account::{
    Account, AccountError, AccountManager, AccountNotice, CacheView, Outgoing, RawMessage, SyncStep,
};
use posthorn::app::{AppEvent, Effect, TriageOp};
use posthorn::core::{
    AccountId, AccountState, Capabilities, ErrorKind, FlagOp, Flags, Folder, FolderPath,
    MessageRef, RequestId,
};
use posthorn::run::effects::Executor;
use posthorn::store::ScanProgress;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// How the fake behaves.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Slow,
    Failing,
    Offline,
}

struct Fake {
    id: AccountId,
    mode: Mode,
    syncs: Arc<AtomicUsize>,
}

impl Fake {
    fn err(&self, kind: ErrorKind) -> AccountError {
        AccountError {
            account: self.id.clone(),
            kind,
            message: "the fake says no".into(),
        }
    }
    async fn pause(&self) {
        if self.mode == Mode::Slow {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Account for Fake {
    type Sync = usize;
    fn id(&self) -> &AccountId {
        &self.id
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::LOCAL
    }
    async fn connect(&mut self) -> Result<(), AccountError> {
        match self.mode {
            Mode::Offline => Err(self.err(ErrorKind::Network)),
            _ => Ok(()),
        }
    }
    async fn list_folders(&mut self) -> Result<Vec<Folder>, AccountError> {
        Ok(vec![Folder::mail(self.id.clone(), FolderPath::inbox())])
    }
    async fn begin_sync(&mut self, _f: &FolderPath) -> Result<usize, AccountError> {
        self.syncs.fetch_add(1, Ordering::SeqCst);
        Ok(0)
    }
    async fn sync_step(&mut self, n: usize) -> Result<SyncStep<usize>, AccountError> {
        self.pause().await;
        Ok(if n < 3 {
            SyncStep::More(
                n + 1,
                ScanProgress {
                    done: n + 1,
                    total: 4,
                    bytes: 0,
                },
            )
        } else {
            SyncStep::Done(Default::default())
        })
    }
    async fn fetch(
        &mut self,
        _f: &FolderPath,
        _id: &MessageRef,
    ) -> Result<RawMessage, AccountError> {
        Ok(RawMessage(
            b"Subject: fetched\n\nfrom the server\n".to_vec(),
        ))
    }
    async fn set_flags(
        &mut self,
        _f: &FolderPath,
        _ids: &[MessageRef],
        _op: FlagOp,
    ) -> Result<(), AccountError> {
        self.pause().await;
        match self.mode {
            Mode::Failing => Err(self.err(ErrorKind::Auth)),
            _ => Ok(()),
        }
    }
    async fn move_to(
        &mut self,
        _f: &FolderPath,
        _ids: &[MessageRef],
        _t: &FolderPath,
    ) -> Result<(), AccountError> {
        Ok(())
    }
    async fn delete(&mut self, _f: &FolderPath, _ids: &[MessageRef]) -> Result<(), AccountError> {
        Ok(())
    }
    async fn submit(&mut self, _m: &Outgoing) -> Result<(), AccountError> {
        Err(self.err(ErrorKind::Unsupported))
    }
}

struct Rig {
    exec: Executor,
    events: mpsc::UnboundedReceiver<AppEvent>,
    notices: mpsc::UnboundedReceiver<AccountNotice>,
    syncs: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

fn rig(mode: Mode) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let id = AccountId("fake".into());
    let (tx, events) = mpsc::unbounded_channel();
    let (ntx, notices) = mpsc::unbounded_channel();
    let syncs = Arc::new(AtomicUsize::new(0));
    let mut m = AccountManager::new(ntx);
    m.spawn(Fake {
        id: id.clone(),
        mode,
        syncs: syncs.clone(),
    });
    let cache = CacheView::new(id, None, &dir.path().join("index.sqlite"));
    Rig {
        exec: Executor::new(tx, dir.path().join("index.sqlite"), vec![cache], m),
        events,
        notices,
        syncs,
        _dir: dir,
    }
}

impl Rig {
    /// Feeds actor notices through the executor until `pick` accepts an event.
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
}

fn envelope(account: &str, id: posthorn::core::LocalId) -> posthorn::core::Envelope {
    posthorn::core::Envelope {
        account: AccountId(account.into()),
        folder: FolderPath::inbox(),
        id,
        date: 0,
        from: String::new(),
        from_addr: String::new(),
        to: String::new(),
        subject: String::new(),
        message_id: String::new(),
        in_reply_to: String::new(),
        references: String::new(),
        size: 0,
        flags: Flags::empty(),
        has_attachments: true,
    }
}

fn flag(req: u64) -> Effect {
    Effect::Triage {
        req: RequestId(req),
        account: AccountId("fake".into()),
        op: TriageOp::SetFlags {
            folder: FolderPath::inbox(),
            ids: vec![MessageRef::local(posthorn::core::LocalId("x".into()))],
            op: FlagOp::Add(Flags::FLAGGED),
        },
    }
}

#[tokio::test]
async fn state_and_capabilities_become_app_events_and_an_offline_account_says_why() {
    let mut r = rig(Mode::Offline);
    r.until(|e| matches!(e, AppEvent::Capabilities { .. }).then_some(()))
        .await;
    let f = r
        .until(|e| match e {
            AppEvent::AccountState {
                state: AccountState::Error(f),
                ..
            } => Some(f.clone()),
            _ => None,
        })
        .await;
    assert_eq!(f.kind, ErrorKind::Network);
}

#[tokio::test]
async fn a_folder_is_not_scanned_twice_at_once_and_progress_reaches_the_app() {
    let mut r = rig(Mode::Slow);
    let scan = || Effect::Scan {
        account: AccountId("fake".into()),
        folder: FolderPath::inbox(),
    };
    r.exec.run(scan());
    r.exec.run(scan());
    r.until(|e| matches!(e, AppEvent::ScanProgress { .. }).then_some(()))
        .await;
    r.until(|e| matches!(e, AppEvent::ScanDone { result: Ok(()), .. }).then_some(()))
        .await;
    assert_eq!(
        r.syncs.load(Ordering::SeqCst),
        1,
        "the second scan was not sent"
    );
    // Once done, a new scan is sent again.
    r.exec.run(scan());
    r.until(|e| matches!(e, AppEvent::ScanDone { .. }).then_some(()))
        .await;
    assert_eq!(r.syncs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failed_change_keeps_its_kind() {
    let mut r = rig(Mode::Failing);
    r.exec.run(flag(5));
    let f = r
        .until(|e| match e {
            AppEvent::TriageDone {
                req: RequestId(5),
                result: Err(f),
            } => Some(f.clone()),
            _ => None,
        })
        .await;
    assert_eq!(f.kind, ErrorKind::Auth);
    assert_eq!(f.message, "the fake says no");
}

#[tokio::test]
async fn a_busy_account_is_reported_not_awaited() {
    let mut r = rig(Mode::Slow);
    // The slow fake takes 200 ms per change: the queue (256) fills up at once.
    for req in 1..=300 {
        r.exec.run(flag(req));
    }
    let f = r
        .until(|e| match e {
            AppEvent::TriageDone { result: Err(f), .. } => Some(f.clone()),
            _ => None,
        })
        .await;
    assert!(f.message.contains("busy"), "{}", f.message);
}

#[tokio::test]
async fn an_uncached_message_is_fetched_through_its_account() {
    let mut r = rig(Mode::Slow);
    let env = envelope("fake", posthorn::core::LocalId("x".into()));
    r.exec.run(Effect::Fetch {
        req: RequestId(9),
        env: Box::new(env),
    });
    let v = r
        .until(|e| match e {
            AppEvent::MessageLoaded {
                req: RequestId(9),
                result,
            } => Some(result.clone()),
            _ => None,
        })
        .await
        .unwrap();
    assert!(
        v.body_text(posthorn::mime::BodyMode::Plain)
            .contains("from the server")
    );
}

/// Save-as: a directory gets the attachment's name made safe (no `../`), an existing
/// file is never overwritten, and the file is private (0600).
#[test]
fn save_as_never_overwrites_and_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let md = posthorn::store::Maildir::create(dir.path().join("m")).unwrap();
    let msg = b"Subject: att\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"../../evil.txt\"\nContent-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ=\n--b--\n";
    let e = md.deliver(msg, Flags::empty()).unwrap();
    let tree = posthorn::store::MaildirTree::open(dir.path().join("m")).unwrap();
    let cache = CacheView::new(AccountId("a".into()), Some(tree), &dir.path().join("ix"));
    let env = envelope("a", e.id);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let saved = posthorn::run::save::save_attachment(&cache, &env, 0, out.clone()).unwrap();
    assert!(
        saved.starts_with(std::fs::canonicalize(&out).unwrap()),
        "{saved:?}"
    );
    assert_eq!(std::fs::read(&saved).unwrap(), b"hello world");
    let mode = std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Saving again to the same place is refused and the file is unchanged.
    std::fs::write(&saved, b"mine").unwrap();
    let err = posthorn::run::save::save_attachment(&cache, &env, 0, saved.clone()).unwrap_err();
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&saved).unwrap(), b"mine");
}

/// A folder that holds mail is never shown empty because its index is new, rebuilt or
/// unreadable: the list waits for the rebuild, then reloads with every message.
#[tokio::test]
async fn a_folder_with_mail_is_not_shown_empty_while_its_index_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let md = posthorn::store::Maildir::create(dir.path().join("m")).unwrap();
    for i in 0..5 {
        md.deliver(
            format!("Subject: m{i}\n\nbody\n").as_bytes(),
            Flags::empty(),
        )
        .unwrap();
    }
    let id = AccountId("home".into());
    let ix = dir.path().join("index.sqlite");
    let tree = posthorn::store::MaildirTree::open(dir.path().join("m")).unwrap();
    let acc = posthorn::account::LocalAccount::open(id.clone(), tree.clone(), &ix).unwrap();
    let (tx, mut events) = mpsc::unbounded_channel();
    let (ntx, mut notices) = mpsc::unbounded_channel();
    let mut m = AccountManager::new(ntx);
    m.spawn(acc);
    let cache = CacheView::new(id.clone(), Some(tree), &ix);
    let mut exec = Executor::new(tx, ix, vec![cache], m);
    let load = |req| Effect::LoadEnvelopes {
        req: RequestId(req),
        folders: vec![(id.clone(), FolderPath::inbox())],
    };
    exec.run(load(1));
    // No empty list: a rescan is asked for instead (the app turns it into a Scan).
    let mut loaded = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while loaded.is_none() {
        let ev = tokio::select! {
            Some(n) = notices.recv() => exec.on_notice(n),
            Some(e) = events.recv() => Some(e),
            _ = tokio::time::sleep_until(deadline) => panic!("no list came"),
        };
        match ev {
            Some(AppEvent::EnvelopesLoaded { req, envelopes }) => {
                assert_ne!(
                    req,
                    RequestId(1),
                    "the empty index was shown as an empty folder"
                );
                loaded = Some(envelopes);
            }
            Some(AppEvent::Rescan { account, folder }) => {
                exec.run(Effect::Scan { account, folder })
            }
            Some(AppEvent::ScanDone { changed: true, .. }) => exec.run(load(2)),
            _ => {}
        }
    }
    assert_eq!(loaded.unwrap().len(), 5);
}

/// The user can stop a running scan: the actor drops it between two steps, and the
/// list reloads with what it had committed.
#[tokio::test]
async fn a_running_scan_can_be_stopped_from_the_app() {
    let mut r = rig(Mode::Slow);
    r.exec.run(Effect::Scan {
        account: AccountId("fake".into()),
        folder: FolderPath::inbox(),
    });
    r.until(|e| matches!(e, AppEvent::ScanProgress { .. }).then_some(()))
        .await;
    r.exec.run(Effect::CancelScan {
        account: AccountId("fake".into()),
        folder: FolderPath::inbox(),
    });
    // A finished fake scan reports no change; only a cancelled one reloads.
    let changed = r
        .until(|e| match e {
            AppEvent::ScanDone {
                changed, result, ..
            } => Some((*changed, result.is_ok())),
            _ => None,
        })
        .await;
    assert_eq!(changed, (true, true));
}
