//! Accounts: the `Account` trait every protocol implements, its capabilities and errors,
//! one actor task per account, and the manager the UI talks to.
//!
//! Depends on `core`, `store`, `config` (and later `protocol`, `net`); never on the UI.
//! The trait is deliberately narrow: protocol extras stay on the concrete types.

pub mod actor;
pub mod local;
pub mod manager;

pub use actor::{AccountCommand, AccountNotice, AccountOp, AccountReply};
pub use local::LocalAccount;
pub use manager::AccountManager;

use crate::core::{AccountId, FlagOp, Folder, FolderPath, MessageRef};
use crate::store::{ScanProgress, ScanReport};
use std::future::Future;

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

impl From<AccountError> for crate::core::Failure {
    fn from(e: AccountError) -> Self {
        crate::core::Failure::new(e.kind, format!("{}: {}", e.account, e.message))
    }
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

/// Receives progress while a folder syncs.
pub struct SyncSink {
    report: Box<dyn FnMut(ScanProgress) + Send>,
}

impl SyncSink {
    pub fn new(report: impl FnMut(ScanProgress) + Send + 'static) -> Self {
        SyncSink {
            report: Box::new(report),
        }
    }
    pub fn silent() -> Self {
        SyncSink::new(|_| {})
    }
    pub fn progress(&mut self, p: ScanProgress) {
        (self.report)(p)
    }
}

pub type SyncReport = ScanReport;

/// One account, owned by its actor task. Methods return `Send` futures so the generic
/// actor can be spawned on the multi-threaded runtime.
pub trait Account: Send + 'static {
    fn id(&self) -> &AccountId;
    fn capabilities(&self) -> Capabilities;
    fn connect(&mut self) -> impl Future<Output = Result<(), AccountError>> + Send;
    fn list_folders(&mut self) -> impl Future<Output = Result<Vec<Folder>, AccountError>> + Send;
    fn sync_folder(
        &mut self,
        folder: &FolderPath,
        sink: &mut SyncSink,
    ) -> impl Future<Output = Result<SyncReport, AccountError>> + Send;
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
}
