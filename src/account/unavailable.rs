//! An account whose kind this version cannot open yet (IMAP, POP3, NNTP, mbox, ...):
//! its config is valid and reserved, its actor reports why it is unavailable, and every
//! request is answered with an `Unsupported` error instead of failing silently.

use super::{
    Account, AccountError, AccountErrorKind, Capabilities, Outgoing, RawMessage, SubmitKind,
    SyncStep,
};
use crate::core::{AccountId, FlagOp, Folder, FolderPath, MessageRef};

pub struct UnavailableAccount {
    id: AccountId,
    why: String,
}

impl UnavailableAccount {
    pub fn new(id: AccountId, why: String) -> Self {
        UnavailableAccount { id, why }
    }

    fn no<T>(&self) -> Result<T, AccountError> {
        Err(AccountError {
            account: self.id.clone(),
            kind: AccountErrorKind::Unsupported,
            message: self.why.clone(),
        })
    }
}

impl Account for UnavailableAccount {
    type Sync = ();

    fn id(&self) -> &AccountId {
        &self.id
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            folders: false,
            server_flags: false,
            server_delete: false,
            push: false,
            submit: SubmitKind::None,
        }
    }

    async fn connect(&mut self) -> Result<(), AccountError> {
        self.no()
    }
    async fn list_folders(&mut self) -> Result<Vec<Folder>, AccountError> {
        Ok(Vec::new())
    }
    async fn begin_sync(&mut self, _folder: &FolderPath) -> Result<(), AccountError> {
        self.no()
    }
    async fn sync_step(&mut self, _job: ()) -> Result<SyncStep<()>, AccountError> {
        self.no()
    }
    async fn fetch(
        &mut self,
        _f: &FolderPath,
        _id: &MessageRef,
    ) -> Result<RawMessage, AccountError> {
        self.no()
    }
    async fn set_flags(
        &mut self,
        _f: &FolderPath,
        _ids: &[MessageRef],
        _op: FlagOp,
    ) -> Result<(), AccountError> {
        self.no()
    }
    async fn move_to(
        &mut self,
        _f: &FolderPath,
        _ids: &[MessageRef],
        _to: &FolderPath,
    ) -> Result<(), AccountError> {
        self.no()
    }
    async fn delete(&mut self, _f: &FolderPath, _ids: &[MessageRef]) -> Result<(), AccountError> {
        self.no()
    }
    async fn submit(&mut self, _msg: &Outgoing) -> Result<(), AccountError> {
        self.no()
    }
}
