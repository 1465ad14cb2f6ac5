//! One task per account. It owns the account (and its connections and index writer),
//! takes commands from two queues, interactive before background, and reports every
//! result as an `AccountNotice` tagged with the request id, plus its state (connecting,
//! online, syncing with progress, error) and the changes push reports.
//!
//! A sync runs in steps; between two steps the actor serves every waiting interactive
//! command, so opening, flagging or moving a message never waits for a whole scan. A
//! running sync is cancelled by `AccountOp::CancelSync` (what it committed stays).

use super::{Account, AccountError, PushEvent, RawMessage, SyncReport, SyncStep};
use crate::core::{
    AccountId, AccountState, Capabilities, Failure, Folder, FolderPath, MessageRef, RequestId,
    TriageOp,
};
use std::collections::{BTreeMap, BTreeSet};
use tokio::sync::mpsc;

#[derive(Clone, Debug)]
pub enum AccountOp {
    ListFolders,
    SyncFolder(FolderPath),
    /// Stop the running sync (of this folder, or any).
    CancelSync(Option<FolderPath>),
    Fetch {
        folder: FolderPath,
        id: MessageRef,
    },
    /// A change the user made (flags, move, restore, delete).
    Triage(TriageOp),
    /// A transfer to another account, step 1: the messages with their flags.
    Export {
        folder: FolderPath,
        ids: Vec<MessageRef>,
    },
    /// Step 2, on the other account: store them; answers their ids there.
    Import {
        folder: FolderPath,
        mails: Vec<crate::store::formats::Mail>,
    },
    /// Step 3, once they are stored there: remove them here for good.
    Remove {
        folder: FolderPath,
        ids: Vec<MessageRef>,
    },
    /// Create, rename, delete, subscribe or expunge a folder.
    Folder(crate::core::FolderOp),
    /// "Get mail": sync INBOX, asking the server even if a check is not due (answered
    /// like `SyncFolder(INBOX)`).
    GetMail,
    /// Search these folders on the server (answered by `ServerMatches`).
    ServerSearch {
        folders: Vec<FolderPath>,
        search: crate::core::query::imap::ImapSearch,
    },
    /// The group browser: every group of a news server (answered by `Groups`).
    ListGroups,
    /// Catch-up: every article of a newsgroup read (answered by `Done`).
    CatchUp(FolderPath),
}

impl AccountOp {
    /// Background work waits behind anything the user is waiting for.
    pub fn is_background(&self) -> bool {
        matches!(
            self,
            AccountOp::SyncFolder(_) | AccountOp::ListFolders | AccountOp::GetMail
        )
    }
}

#[derive(Clone, Debug)]
pub struct AccountCommand {
    pub req: RequestId,
    pub op: AccountOp,
}

#[derive(Debug)]
pub enum AccountReply {
    Folders(Vec<Folder>),
    Synced {
        folder: FolderPath,
        report: SyncReport,
    },
    /// The sync was cancelled; what it had committed stays in the index.
    Cancelled {
        folder: FolderPath,
    },
    Message(RawMessage),
    /// A triage op finished; `moved_to` lists the destinations of restored messages.
    Done {
        moved_to: Vec<FolderPath>,
    },
    Exported(Vec<crate::store::formats::Mail>),
    /// The ids the imported messages have in their new account, in order.
    Imported(Vec<crate::core::LocalId>),
    /// What a server search matched per folder; None: the account has no server that
    /// searches.
    ServerMatches(Option<Vec<(FolderPath, crate::account::ServerMatches)>>),
    /// Every group of a news server, and the names of those new since the last look.
    Groups {
        all: Vec<crate::account::nntp::GroupListing>,
        new: Vec<String>,
    },
}

#[derive(Debug)]
pub enum AccountNotice {
    Reply {
        account: AccountId,
        req: RequestId,
        result: Result<AccountReply, AccountError>,
    },
    Progress {
        account: AccountId,
        folder: FolderPath,
        done: usize,
        total: usize,
    },
    State {
        account: AccountId,
        state: AccountState,
    },
    Capabilities {
        account: AccountId,
        caps: Capabilities,
    },
    /// Push: another program changed this folder (already rescanned), or the folder
    /// list (`None`).
    Changed {
        account: AccountId,
        folder: Option<FolderPath>,
    },
    /// Something the user should hear that is not a reply (index rebuilt, watch failed).
    Note { account: AccountId, text: String },
}

struct Running<J> {
    req: Option<RequestId>,
    folder: FolderPath,
    job: J,
}

struct Actor<A: Account> {
    account: A,
    id: AccountId,
    out: mpsc::UnboundedSender<AccountNotice>,
    running: Option<Running<A::Sync>>,
    /// Folders push said changed, to rescan when idle.
    dirty: BTreeSet<FolderPath>,
}

/// Runs an account until both its queues close.
pub async fn run_actor<A: Account>(
    account: A,
    mut interactive: mpsc::Receiver<AccountCommand>,
    mut background: mpsc::Receiver<AccountCommand>,
    out: mpsc::UnboundedSender<AccountNotice>,
) {
    let id = account.id().clone();
    let mut a = Actor {
        account,
        id,
        out,
        running: None,
        dirty: BTreeSet::new(),
    };
    a.state(AccountState::Connecting);
    let connected = a.account.connect().await;
    // After connecting: what an account can do may depend on it (push, server caps).
    a.send(AccountNotice::Capabilities {
        account: a.id.clone(),
        caps: a.account.capabilities(),
    });
    match connected {
        // Connected, or working offline from the cache (the account says which).
        Ok(()) => {
            let state = a.account.take_state().unwrap_or(AccountState::Online);
            a.state(state)
        }
        Err(e) => a.state(AccountState::Error(e.into())),
    }
    a.notes();
    let mut push = a.account.take_push();
    let (mut i_open, mut b_open) = (true, true);
    while i_open || b_open || a.running.is_some() {
        // The user first: everything already waiting in the interactive queue.
        match interactive.try_recv() {
            Ok(cmd) => {
                a.interactive(cmd).await;
                continue;
            }
            Err(mpsc::error::TryRecvError::Disconnected) => i_open = false,
            Err(mpsc::error::TryRecvError::Empty) => {}
        }
        if let Some(rx) = push.as_mut() {
            while let Ok(ev) = rx.try_recv() {
                a.pushed(ev).await;
            }
        }
        if a.running.is_some() {
            a.step().await;
            continue;
        }
        if let Some(f) = a.dirty.pop_first() {
            a.begin(None, f).await;
            continue;
        }
        if !i_open && !b_open {
            break;
        }
        let wake = a.account.wake_at();
        tokio::select! {
            biased;
            c = interactive.recv(), if i_open => match c {
                Some(c) => a.interactive(c).await,
                None => i_open = false,
            },
            Some(ev) = next_push(&mut push) => a.pushed(ev).await,
            _ = sleep_until(wake) => {
                a.account.tick().await;
                a.notes();
                if push.is_none() {
                    // A reconnect may have started push (IDLE) again.
                    push = a.account.take_push();
                }
            }
            c = background.recv(), if b_open => match c {
                Some(c) => a.background(c).await,
                None => b_open = false,
            },
        }
    }
}

/// Sleeps until `at`; pends forever when the account wants no tick.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The next push event; pends forever when the account has no push.
async fn next_push(push: &mut Option<mpsc::UnboundedReceiver<PushEvent>>) -> Option<PushEvent> {
    match push {
        Some(rx) => match rx.recv().await {
            Some(ev) => Some(ev),
            None => {
                *push = None;
                std::future::pending().await
            }
        },
        None => std::future::pending().await,
    }
}

impl<A: Account> Actor<A> {
    fn send(&self, n: AccountNotice) {
        let _ = self.out.send(n);
    }

    fn state(&self, state: AccountState) {
        self.send(AccountNotice::State {
            account: self.id.clone(),
            state,
        });
    }

    fn reply(&self, req: RequestId, result: Result<AccountReply, AccountError>) {
        self.send(AccountNotice::Reply {
            account: self.id.clone(),
            req,
            result,
        });
    }

    /// Notes for the user and a state the account reached on its own (Offline after a
    /// dropped link, Online after a reconnect).
    fn notes(&mut self) {
        if let Some(state) = self.account.take_state() {
            self.state(state);
        }
        for text in self.account.take_notes() {
            self.send(AccountNotice::Note {
                account: self.id.clone(),
                text,
            });
        }
    }

    async fn pushed(&mut self, ev: PushEvent) {
        match ev {
            PushEvent::Folder(f) => {
                self.dirty.insert(f);
            }
            PushEvent::Tree => {
                let new = self.account.refresh_watch().await;
                self.dirty.extend(new);
                self.send(AccountNotice::Changed {
                    account: self.id.clone(),
                    folder: None,
                });
                self.notes();
            }
            PushEvent::Error(text) => self.send(AccountNotice::Note {
                account: self.id.clone(),
                text,
            }),
        }
    }

    async fn interactive(&mut self, cmd: AccountCommand) {
        if let AccountOp::CancelSync(which) = &cmd.op {
            let hit = self
                .running
                .as_ref()
                .is_some_and(|r| which.as_ref().is_none_or(|f| *f == r.folder));
            if hit && let Some(r) = self.running.take() {
                if let Some(req) = r.req {
                    self.reply(req, Ok(AccountReply::Cancelled { folder: r.folder }));
                }
                self.state(AccountState::Online);
            }
            self.reply(cmd.req, Ok(AccountReply::Done { moved_to: vec![] }));
            return;
        }
        let result = self.execute(cmd.op).await;
        self.reply(cmd.req, result);
        self.notes();
    }

    async fn background(&mut self, cmd: AccountCommand) {
        match cmd.op {
            AccountOp::SyncFolder(folder) => {
                self.dirty.remove(&folder);
                self.begin(Some(cmd.req), folder).await
            }
            AccountOp::GetMail => {
                self.account.request_check();
                let inbox = FolderPath::inbox();
                self.dirty.remove(&inbox);
                self.begin(Some(cmd.req), inbox).await
            }
            op => {
                let result = self.execute(op).await;
                self.reply(cmd.req, result);
            }
        }
        self.notes();
    }

    async fn begin(&mut self, req: Option<RequestId>, folder: FolderPath) {
        self.state(AccountState::Syncing {
            folder: folder.clone(),
            done: 0,
            total: 0,
            bytes: 0,
        });
        match self.account.begin_sync(&folder).await {
            Ok(job) => self.running = Some(Running { req, folder, job }),
            Err(e) => self.failed(req, e),
        }
    }

    async fn step(&mut self) {
        let Some(Running { req, folder, job }) = self.running.take() else {
            return;
        };
        match self.account.sync_step(job).await {
            Ok(SyncStep::More(job, p)) => {
                self.send(AccountNotice::Progress {
                    account: self.id.clone(),
                    folder: folder.clone(),
                    done: p.done,
                    total: p.total,
                });
                self.state(AccountState::Syncing {
                    folder: folder.clone(),
                    done: p.done,
                    total: p.total,
                    bytes: p.bytes,
                });
                self.running = Some(Running { req, folder, job });
            }
            Ok(SyncStep::Done(report)) => {
                self.state(AccountState::Online);
                match req {
                    Some(req) => self.reply(req, Ok(AccountReply::Synced { folder, report })),
                    None if report.changed_anything() => self.send(AccountNotice::Changed {
                        account: self.id.clone(),
                        folder: Some(folder),
                    }),
                    None => {}
                }
            }
            Err(e) => self.failed(req, e),
        }
        self.notes();
    }

    fn failed(&mut self, req: Option<RequestId>, e: AccountError) {
        self.state(AccountState::Error(Failure::from(e.clone())));
        match req {
            Some(req) => self.reply(req, Err(e)),
            None => self.send(AccountNotice::Note {
                account: self.id.clone(),
                text: e.message,
            }),
        }
    }

    async fn execute(&mut self, op: AccountOp) -> Result<AccountReply, AccountError> {
        let account = &mut self.account;
        match op {
            AccountOp::ListFolders => account.list_folders().await.map(AccountReply::Folders),
            AccountOp::SyncFolder(folder) => {
                // Only reached through `execute` by a caller that wants it whole.
                let report = account.sync_folder(&folder, &mut |_| {}).await?;
                Ok(AccountReply::Synced { folder, report })
            }
            AccountOp::GetMail => {
                account.request_check();
                let folder = FolderPath::inbox();
                let report = account.sync_folder(&folder, &mut |_| {}).await?;
                Ok(AccountReply::Synced { folder, report })
            }
            AccountOp::CancelSync(_) => Ok(AccountReply::Done { moved_to: vec![] }),
            AccountOp::Fetch { folder, id } => {
                account.fetch(&folder, &id).await.map(AccountReply::Message)
            }
            AccountOp::Triage(TriageOp::SetFlags { folder, ids, op }) => account
                .set_flags(&folder, &ids, op)
                .await
                .map(|_| AccountReply::Done { moved_to: vec![] }),
            AccountOp::Triage(TriageOp::Move { from, ids, to }) => account
                .move_to(&from, &ids, &to)
                .await
                .map(|_| AccountReply::Done { moved_to: vec![to] }),
            AccountOp::Triage(TriageOp::Restore { from, ids }) => {
                let mut by_target: BTreeMap<FolderPath, Vec<MessageRef>> = BTreeMap::new();
                for (to, r) in account.restore_targets(&ids).await {
                    by_target.entry(to).or_default().push(r);
                }
                let mut moved_to = Vec::new();
                for (to, ids) in by_target {
                    account.move_to(&from, &ids, &to).await?;
                    moved_to.push(to);
                }
                Ok(AccountReply::Done { moved_to })
            }
            AccountOp::Folder(op) => account
                .folder_op(&op)
                .await
                .map(|_| AccountReply::Done { moved_to: vec![] }),
            AccountOp::Triage(TriageOp::Delete { folder, ids }) => account
                .delete(&folder, &ids)
                .await
                .map(|_| AccountReply::Done { moved_to: vec![] }),
            AccountOp::Triage(TriageOp::Transfer { .. }) => Err(AccountError {
                account: self.id.clone(),
                kind: crate::core::ErrorKind::Unsupported,
                message: "a transfer to another account is carried out by the executor".into(),
            }),
            AccountOp::Export { folder, ids } => account
                .export(&folder, &ids)
                .await
                .map(AccountReply::Exported),
            AccountOp::Import { folder, mails } => account
                .import(&folder, mails)
                .await
                .map(AccountReply::Imported),
            AccountOp::Remove { folder, ids } => account
                .remove(&folder, &ids)
                .await
                .map(|_| AccountReply::Done { moved_to: vec![] }),
            AccountOp::ServerSearch { folders, search } => {
                let mut out = Vec::new();
                for f in folders {
                    match account.server_search(&f, &search).await {
                        Ok(None) => return Ok(AccountReply::ServerMatches(None)),
                        Ok(Some(m)) => out.push((f, m)),
                        // A folder the server will not search (\Noselect, gone): skip it.
                        Err(e) if e.kind == super::AccountErrorKind::Rejected => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(AccountReply::ServerMatches(Some(out)))
            }
            AccountOp::ListGroups => account
                .list_groups()
                .await
                .map(|(all, new)| AccountReply::Groups { all, new }),
            AccountOp::CatchUp(folder) => account
                .catch_up_folder(&folder)
                .await
                .map(|_| AccountReply::Done { moved_to: vec![] }),
        }
    }
}
