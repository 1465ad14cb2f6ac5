//! Accounts: the `Account` trait every protocol implements, its capabilities and errors,
//! one actor task per account, and the manager the UI talks to.
//!
//! Depends on `core`, `store`, `config` (and later `protocol`, `net`); never on the UI.
//! The trait is deliberately narrow: protocol extras stay on the concrete types.

pub mod actor;
pub mod cache;
pub mod factory;
pub mod file_store;
pub mod imap;
pub mod local;
pub mod manager;
pub mod nntp;
pub mod pop3;
pub mod sendmail;
pub mod smtp;
pub mod submit;
mod unavailable;

pub use actor::{AccountCommand, AccountNotice, AccountOp, AccountReply};
pub use cache::CacheView;
pub use factory::{AnyAccount, build_accounts};
pub use local::LocalAccount;
pub use manager::AccountManager;
pub use pop3::{Pop3Account, Pop3Policy, Pop3Server};
pub use submit::Submitter;

use crate::core::{AccountId, FlagOp, Folder, FolderPath, MessageRef};
use crate::store::formats::Mail;
use crate::store::{ScanProgress, ScanReport};
use std::future::Future;
use tokio::sync::mpsc;

pub use crate::core::{Capabilities, SubmitKind};

/// The kind of an account error; the same kinds travel on to the app as `Failure`s.
pub type AccountErrorKind = crate::core::ErrorKind;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{account}: {message}")]
pub struct AccountError {
    pub account: AccountId,
    pub kind: AccountErrorKind,
    pub message: String,
}

/// The app names the account itself (it knows which request or state this was).
impl From<AccountError> for crate::core::Failure {
    fn from(e: AccountError) -> Self {
        crate::core::Failure::new(e.kind, e.message)
    }
}

/// What a server search matched in one folder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerMatches {
    /// Matches the index knows, as cache ids.
    pub ids: Vec<crate::core::LocalId>,
    /// Matches whose envelopes have not been synced yet.
    pub unsynced: usize,
}

/// The bytes of one message, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawMessage(pub Vec<u8>);

/// A finished message to submit (used once sending lands).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub from: String,
    pub recipients: Vec<String>,
    pub bytes: Vec<u8>,
}

pub type SyncReport = ScanReport;

/// The result of one sync step: more to do (the job to continue with), or finished.
pub enum SyncStep<J> {
    More(J, ScanProgress),
    Done(SyncReport),
}

/// Something changed outside posthorn (another program, or the server).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushEvent {
    /// Messages appeared, vanished or changed flags in this folder.
    Folder(FolderPath),
    /// Folders were created or removed.
    Tree,
    /// Watching failed for part of the account; the rest still works.
    Error(String),
}

/// One account, owned by its actor task. Methods return `Send` futures so the generic
/// actor can be spawned on the multi-threaded runtime.
///
/// A sync runs in steps (`begin_sync`, then `sync_step` until `Done`): the actor serves
/// interactive commands between two steps and can drop a job to cancel it. Each step
/// must be bounded (a batch of files, one round of FETCH) and leave the cache
/// consistent.
pub trait Account: Send + 'static {
    /// A sync in progress.
    type Sync: Send + 'static;

    fn id(&self) -> &AccountId;
    fn capabilities(&self) -> Capabilities;
    fn connect(&mut self) -> impl Future<Output = Result<(), AccountError>> + Send;
    fn list_folders(&mut self) -> impl Future<Output = Result<Vec<Folder>, AccountError>> + Send;
    fn begin_sync(
        &mut self,
        folder: &FolderPath,
    ) -> impl Future<Output = Result<Self::Sync, AccountError>> + Send;
    fn sync_step(
        &mut self,
        job: Self::Sync,
    ) -> impl Future<Output = Result<SyncStep<Self::Sync>, AccountError>> + Send;
    fn fetch(
        &mut self,
        folder: &FolderPath,
        id: &MessageRef,
    ) -> impl Future<Output = Result<RawMessage, AccountError>> + Send;
    fn set_flags(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
        op: FlagOp,
    ) -> impl Future<Output = Result<(), AccountError>> + Send;
    fn move_to(
        &mut self,
        from: &FolderPath,
        ids: &[MessageRef],
        to: &FolderPath,
    ) -> impl Future<Output = Result<(), AccountError>> + Send;
    /// Marks messages for removal (for a local store: the Maildir T flag; nothing is
    /// unlinked until an explicit expunge).
    fn delete(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
    ) -> impl Future<Output = Result<(), AccountError>> + Send;
    /// Where an undelete puts each message that is in Trash (default INBOX).
    fn restore_targets(
        &mut self,
        ids: &[MessageRef],
    ) -> impl Future<Output = Vec<(FolderPath, MessageRef)>> + Send {
        let out = ids
            .iter()
            .map(|r| (FolderPath::inbox(), r.clone()))
            .collect();
        std::future::ready(out)
    }
    fn submit(&mut self, msg: &Outgoing) -> impl Future<Output = Result<(), AccountError>> + Send;

    /// Stores a finished message in a folder (a copy in Sent, a draft in Drafts): on the
    /// server for a server account (IMAP APPEND, queued while offline), in the store for
    /// a local one. Returns the message's id in the cache.
    fn append(
        &mut self,
        folder: &FolderPath,
        bytes: &[u8],
        flags: crate::core::Flags,
    ) -> impl Future<Output = Result<crate::core::LocalId, AccountError>> + Send {
        let _ = (folder, bytes, flags);
        let err = AccountError {
            account: self.id().clone(),
            kind: AccountErrorKind::Unsupported,
            message: "this account cannot store messages in its folders".into(),
        };
        std::future::ready(Err(err))
    }

    /// Creates, renames, deletes, subscribes or expunges a folder.
    fn folder_op(
        &mut self,
        op: &crate::core::FolderOp,
    ) -> impl Future<Output = Result<(), AccountError>> + Send {
        let err = AccountError {
            account: self.id().clone(),
            kind: AccountErrorKind::Unsupported,
            message: format!("this account cannot {} folders", op.verb()),
        };
        std::future::ready(Err(err))
    }

    /// Moves between accounts, step 1: the messages (bytes and flags) to store
    /// elsewhere. Accounts that cannot say so.
    fn export(
        &mut self,
        _folder: &FolderPath,
        _ids: &[MessageRef],
    ) -> impl Future<Output = Result<Vec<Mail>, AccountError>> + Send {
        std::future::ready(Err(self.cannot("give messages to another account")))
    }

    /// Step 2: stores messages from another account durably in `folder` (created if
    /// missing) and indexes them; returns their ids here, in order. By default one
    /// `append` each (an IMAP account APPENDs them).
    fn import(
        &mut self,
        folder: &FolderPath,
        mails: Vec<Mail>,
    ) -> impl Future<Output = Result<Vec<crate::core::LocalId>, AccountError>> + Send {
        async move {
            let mut ids = Vec::with_capacity(mails.len());
            for m in mails {
                let bytes = crate::store::formats::codec::plain(&m.bytes);
                ids.push(self.append(folder, &bytes, m.flags).await?);
            }
            Ok(ids)
        }
    }

    /// Step 3, after they are stored elsewhere: removes messages for good.
    fn remove(
        &mut self,
        _folder: &FolderPath,
        _ids: &[MessageRef],
    ) -> impl Future<Output = Result<(), AccountError>> + Send {
        std::future::ready(Err(self.cannot("move messages to another account")))
    }

    /// The error for something this kind of account cannot do.
    fn cannot(&self, what: &str) -> AccountError {
        AccountError {
            account: self.id().clone(),
            kind: AccountErrorKind::Unsupported,
            message: format!("this account cannot {what}"),
        }
    }

    /// Changes made outside posthorn, for accounts that can see them (`push`).
    fn take_push(&mut self) -> Option<mpsc::UnboundedReceiver<PushEvent>> {
        None
    }

    /// Folders were created or removed: follow them (push). Returns new folders to scan.
    fn refresh_watch(&mut self) -> impl Future<Output = Vec<FolderPath>> + Send {
        std::future::ready(Vec::new())
    }

    /// The user asked for new mail ("get mail"): the next sync of INBOX asks the server
    /// even when it would otherwise only rescan the cache.
    fn request_check(&mut self) {}

    /// Asks the server to search `folder` (IMAP `UID SEARCH`), for messages whose bodies
    /// are not cached. `Ok(None)`: this account has no server that can search.
    fn server_search(
        &mut self,
        _folder: &FolderPath,
        _search: &crate::core::query::imap::ImapSearch,
    ) -> impl Future<Output = Result<Option<ServerMatches>, AccountError>> + Send {
        async { Ok(None) }
    }

    /// Things the user should hear about that are not errors of a request (an index
    /// that was rebuilt, messages recovered after a crash).
    fn take_notes(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// Whether a headless read (`list`, `read`, `search`) brings the folder up to date
    /// first (a local store: a quick rescan), or answers from the cache as it is (a
    /// server account: `posthorn sync` fetches).
    fn refresh_on_read(&self) -> bool {
        true
    }

    /// A state the account reached on its own since it was last asked (a dropped link:
    /// Offline with the time of the next attempt; back Online after a reconnect). The
    /// actor reports it after every command, step and tick.
    fn take_state(&mut self) -> Option<crate::core::AccountState> {
        None
    }

    /// When the account next wants `tick` (a reconnect after backoff, a periodic check
    /// for servers that cannot push). None: never.
    fn wake_at(&self) -> Option<tokio::time::Instant> {
        None
    }

    /// Timed work (reconnect, poll). Folders it found changed come back through push.
    fn tick(&mut self) -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }

    /// A news account's group browser: every group of the server (by name) and the
    /// names of those created since the last call. Other accounts cannot.
    fn list_groups(
        &mut self,
    ) -> impl Future<Output = Result<(Vec<nntp::GroupListing>, Vec<String>), AccountError>> + Send
    {
        std::future::ready(Err(
            self.cannot("list newsgroups (it is not a news account)")
        ))
    }

    /// Catch-up of a newsgroup: every article read. Other accounts cannot.
    fn catch_up_folder(
        &mut self,
        _folder: &FolderPath,
    ) -> impl Future<Output = Result<(), AccountError>> + Send {
        std::future::ready(Err(self.cannot("catch up (it is not a news account)")))
    }

    /// A whole sync, step after step (headless commands).
    fn sync_folder(
        &mut self,
        folder: &FolderPath,
        progress: &mut (dyn FnMut(ScanProgress) + Send),
    ) -> impl Future<Output = Result<SyncReport, AccountError>> + Send {
        async move {
            let mut job = self.begin_sync(folder).await?;
            loop {
                match self.sync_step(job).await? {
                    SyncStep::More(j, p) => {
                        progress(p);
                        job = j;
                    }
                    SyncStep::Done(report) => return Ok(report),
                }
            }
        }
    }
}
