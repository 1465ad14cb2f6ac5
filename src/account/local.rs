//! A local Maildir tree as an account: folders are the tree's Maildirs, "sync" is an
//! incremental index scan, triage renames files. All disk work runs on blocking threads.

use super::{
    Account, AccountError, AccountErrorKind, Capabilities, Outgoing, RawMessage, SubmitKind,
    SyncReport, SyncSink,
};
use crate::core::{AccountId, FlagOp, Flags, Folder, FolderPath, FolderRole, MessageRef};
use crate::store::{MaildirTree, SharedIndex, StoreError, scan_folder};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct LocalAccount {
    id: AccountId,
    tree: MaildirTree,
    index: SharedIndex,
}

impl LocalAccount {
    pub fn new(id: AccountId, tree: MaildirTree, index: SharedIndex) -> Self {
        LocalAccount { id, tree, index }
    }

    pub fn tree(&self) -> &MaildirTree {
        &self.tree
    }

    /// The index this account shares with the UI and the other accounts.
    pub fn shared_index(&self) -> SharedIndex {
        self.index.clone()
    }

    fn store_err(&self, e: StoreError) -> AccountError {
        AccountError {
            account: self.id.clone(),
            kind: AccountErrorKind::Store,
            message: e.to_string(),
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&LocalAccount) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, AccountError> {
        let me = self.clone();
        match tokio::task::spawn_blocking(move || f(&me)).await {
            Ok(r) => r.map_err(|e| self.store_err(e)),
            Err(e) => Err(AccountError {
                account: self.id.clone(),
                kind: AccountErrorKind::Store,
                message: format!("worker failed: {e}"),
            }),
        }
    }

    fn index(&self) -> Result<std::sync::MutexGuard<'_, crate::store::Index>, StoreError> {
        self.index.lock().map_err(|_| StoreError::Invalid {
            path: "index".into(),
            reason: "index lock poisoned".into(),
        })
    }

    /// Reads a cached message's bytes (blocking).
    pub fn read_blocking(
        &self,
        folder: &FolderPath,
        id: &crate::core::LocalId,
    ) -> Result<Vec<u8>, StoreError> {
        let md = self.tree.folder(folder)?;
        // The remembered file name is only a shortcut: never wait for it behind a scan
        // that is writing the index; `locate` lists the directory instead.
        let hint = match self.index.try_lock() {
            Ok(ix) => ix.file_name(&self.id, folder, id).ok().flatten(),
            Err(_) => None,
        };
        let e = md.locate(id, hint.as_deref())?;
        md.read(&e)
    }

    /// Folder list without counts: a directory listing only (blocking).
    pub fn folder_names_blocking(&self) -> Result<Vec<Folder>, StoreError> {
        Ok(self
            .tree
            .folders()?
            .into_iter()
            .map(|d| Folder::mail(self.id.clone(), d.path))
            .collect())
    }

    /// Folder list with counts from the index (blocking).
    pub fn folders_blocking(&self) -> Result<Vec<Folder>, StoreError> {
        let dirs = self.tree.folders()?;
        let ix = self.index()?;
        dirs.into_iter()
            .map(|d| {
                let mut f = Folder::mail(self.id.clone(), d.path);
                (f.total, f.unread) = ix.counts(&self.id, &f.path)?;
                Ok(f)
            })
            .collect()
    }

    fn set_flags_blocking(
        &self,
        folder: &FolderPath,
        ids: &[MessageRef],
        op: FlagOp,
    ) -> Result<(), StoreError> {
        let md = self.tree.folder(folder)?;
        for r in ids {
            let hint = self.index()?.file_name(&self.id, folder, &r.id)?;
            let e = md.locate(&r.id, hint.as_deref())?;
            let new = md.set_flags(&e, e.flags.apply(op))?;
            self.index()?
                .set_file(&self.id, folder, &r.id, &new.file_name, new.flags)?;
        }
        Ok(())
    }

    fn move_blocking(
        &self,
        from: &FolderPath,
        ids: &[MessageRef],
        to: &FolderPath,
    ) -> Result<(), StoreError> {
        let src = self.tree.folder(from)?;
        let dest = self.tree.ensure_folder(to)?;
        let to_trash = FolderRole::from_name(&to.0) == Some(FolderRole::Trash);
        for r in ids {
            let hint = self.index()?.file_name(&self.id, from, &r.id)?;
            let e = src.locate(&r.id, hint.as_deref())?;
            // A message leaving Trash loses its T mark.
            let e = if e.flags.contains(Flags::TRASHED) && !to_trash {
                src.set_flags(&e, e.flags.apply(FlagOp::Remove(Flags::TRASHED)))?
            } else {
                e
            };
            let moved = src.move_to(&e, &dest)?;
            let ix = self.index()?;
            ix.move_envelope(&self.id, from, to, &r.id)?;
            ix.set_file(&self.id, to, &r.id, &moved.file_name, moved.flags)?;
            ix.set_trash_origin(&self.id, &r.id, to_trash.then_some(from))?;
        }
        Ok(())
    }

    /// Where a message in Trash came from (for undelete); INBOX when unknown.
    fn trash_origin(&self, id: &MessageRef) -> FolderPath {
        self.index()
            .ok()
            .and_then(|ix| ix.trash_origin(&self.id, &id.id).ok().flatten())
            .unwrap_or_else(FolderPath::inbox)
    }
}

impl Account for LocalAccount {
    fn id(&self) -> &AccountId {
        &self.id
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            folders: true,
            server_flags: true,
            server_delete: false,
            push: false,
            submit: SubmitKind::None,
        }
    }

    async fn connect(&mut self) -> Result<(), AccountError> {
        Ok(())
    }

    async fn list_folders(&mut self) -> Result<Vec<Folder>, AccountError> {
        self.blocking(|me| me.folders_blocking()).await
    }

    async fn sync_folder(
        &mut self,
        folder: &FolderPath,
        sink: &mut SyncSink,
    ) -> Result<SyncReport, AccountError> {
        let folder = folder.clone();
        // The sink is not 'static; progress crosses to the blocking thread through a slot.
        let slot: Arc<Mutex<Option<crate::store::ScanProgress>>> = Arc::new(Mutex::new(None));
        let slot2 = slot.clone();
        let me = self.clone();
        let mut task = tokio::task::spawn_blocking(move || {
            let md = me.tree.folder(&folder)?;
            scan_folder(
                &me.index,
                &me.id,
                &folder,
                &md,
                crate::mime::header_fields,
                &mut |p| {
                    if let Ok(mut s) = slot2.lock() {
                        *s = Some(p);
                    }
                },
            )
        });
        loop {
            tokio::select! {
                r = &mut task => {
                    return match r {
                        Ok(r) => r.map_err(|e| self.store_err(e)),
                        Err(e) => Err(AccountError { account: self.id.clone(), kind: AccountErrorKind::Store, message: format!("scan failed: {e}") }),
                    };
                }
                _ = tokio::time::sleep(std::time::Duration::from_millis(100)) => {
                    if let Some(p) = slot.lock().ok().and_then(|mut s| s.take()) {
                        sink.progress(p);
                    }
                }
            }
        }
    }

    async fn fetch(
        &mut self,
        folder: &FolderPath,
        id: &MessageRef,
    ) -> Result<RawMessage, AccountError> {
        let (folder, id) = (folder.clone(), id.clone());
        self.blocking(move |me| me.read_blocking(&folder, &id.id).map(RawMessage))
            .await
    }

    async fn set_flags(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
        op: FlagOp,
    ) -> Result<(), AccountError> {
        let (folder, ids) = (folder.clone(), ids.to_vec());
        self.blocking(move |me| me.set_flags_blocking(&folder, &ids, op))
            .await
    }

    async fn move_to(
        &mut self,
        from: &FolderPath,
        ids: &[MessageRef],
        to: &FolderPath,
    ) -> Result<(), AccountError> {
        if from == to {
            return Ok(());
        }
        let (from, ids, to) = (from.clone(), ids.to_vec(), to.clone());
        self.blocking(move |me| me.move_blocking(&from, &ids, &to))
            .await
    }

    async fn delete(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
    ) -> Result<(), AccountError> {
        self.set_flags(folder, ids, FlagOp::Add(Flags::TRASHED))
            .await
    }

    async fn restore_targets(&mut self, ids: &[MessageRef]) -> Vec<(FolderPath, MessageRef)> {
        let ids = ids.to_vec();
        let fallback: Vec<_> = ids
            .iter()
            .map(|r| (FolderPath::inbox(), r.clone()))
            .collect();
        // The origin lookup takes the index lock, which a scan may hold: not on this task.
        self.blocking(move |me| Ok(ids.into_iter().map(|r| (me.trash_origin(&r), r)).collect()))
            .await
            .unwrap_or(fallback)
    }

    async fn submit(&mut self, _msg: &Outgoing) -> Result<(), AccountError> {
        Err(AccountError {
            account: self.id.clone(),
            kind: AccountErrorKind::Unsupported,
            message: "a local Maildir account cannot send mail".into(),
        })
    }
}
