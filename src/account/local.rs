//! A local Maildir tree as an account: folders are the tree's Maildirs, a sync is an
//! incremental index scan in steps, triage renames files. All disk work runs on
//! blocking threads; the account's own index writer is shared only with them.
//!
//! The disk is the truth and the index a cache of it: a change that reached the disk is
//! reported as done even when recording it in the index failed (the folder is rescanned
//! instead), and a damaged index is moved aside and rebuilt.

use super::{
    Account, AccountError, AccountErrorKind, Capabilities, Outgoing, PushEvent, RawMessage,
    SyncStep,
};
use crate::core::{AccountId, FlagOp, Flags, Folder, FolderPath, FolderRole, LocalId, MessageRef};
use crate::store::formats::Mail;
use crate::store::index::{FolderChanges, NewEnvelope};
use crate::store::{
    FolderWatcher, Index, MaildirTree, ScanJob, StoreError, WatchEvent, scan::STEP_FILES,
};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc;

struct Inner {
    id: AccountId,
    tree: MaildirTree,
    index: Mutex<Index>,
    /// Notices for the user, collected on blocking threads.
    notes: Mutex<Vec<String>>,
    /// Watches the tree for changes made by other programs (started by `connect`).
    watcher: Mutex<Option<FolderWatcher>>,
}

pub struct LocalAccount {
    inner: Arc<Inner>,
    push: Option<mpsc::UnboundedReceiver<PushEvent>>,
}

/// A local sync: the scan job and the folder it belongs to.
pub struct LocalSync {
    folder: FolderPath,
    job: ScanJob,
}

impl LocalAccount {
    /// Opens the account's own writer on the index at `index_path`.
    pub fn open(id: AccountId, tree: MaildirTree, index_path: &Path) -> Result<Self, StoreError> {
        let (index, note) = Index::open(index_path)?;
        let mut notes: Vec<String> = note.map(|n| format!("{id}: {n}")).into_iter().collect();
        // A bulk move that a crash interrupted is finished (or left alone) before anything
        // reads the folders, so no message shows twice or goes missing.
        match tree.recover() {
            Ok(r) => notes.extend(r.notice().map(|n| format!("{id}: {n}"))),
            Err(e) => notes.push(format!("{id}: recovering interrupted moves failed: {e}")),
        }
        Ok(LocalAccount {
            inner: Arc::new(Inner {
                id,
                tree,
                index: Mutex::new(index),
                notes: Mutex::new(notes),
                watcher: Mutex::new(None),
            }),
            push: None,
        })
    }

    pub fn tree(&self) -> &MaildirTree {
        &self.inner.tree
    }

    fn err(&self, e: StoreError) -> AccountError {
        let kind = match &e {
            StoreError::NotFound { .. } => AccountErrorKind::Gone,
            _ => AccountErrorKind::Store,
        };
        let message = match &e {
            StoreError::NotFound { path, id } => format!(
                "message {id} is no longer in {} (moved or deleted by another program); nothing was changed",
                path.display()
            ),
            _ => e.to_string(),
        };
        AccountError {
            account: self.inner.id.clone(),
            kind,
            message,
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, AccountError> {
        let inner = self.inner.clone();
        match tokio::task::spawn_blocking(move || f(&inner)).await {
            Ok(r) => r.map_err(|e| self.err(e)),
            Err(e) => Err(AccountError {
                account: self.inner.id.clone(),
                kind: AccountErrorKind::Store,
                message: format!("worker failed: {e}"),
            }),
        }
    }
}

/// The account's index writer, tree and notes, for a remote account that keeps its
/// cache in a local account (POP3). Used on blocking threads only.
#[derive(Clone)]
pub(crate) struct LocalHandle(Arc<Inner>);

impl LocalHandle {
    pub(crate) fn index(&self) -> MutexGuard<'_, Index> {
        self.0.index()
    }
    pub(crate) fn tree(&self) -> &MaildirTree {
        &self.0.tree
    }
}

impl LocalAccount {
    pub(crate) fn handle(&self) -> LocalHandle {
        LocalHandle(self.inner.clone())
    }
}

impl Inner {
    fn index(&self) -> MutexGuard<'_, Index> {
        // A panic while holding the lock leaves the connection itself intact.
        let mut ix = self.index.lock().unwrap_or_else(|p| p.into_inner());
        // Another account rebuilt the shared index: write into the new file, not the
        // one moved aside (a stat per use).
        if !ix.is_current()
            && let Err(e) = ix.reopen()
        {
            self.note(format!("{}: cannot reopen the rebuilt index: {e}", self.id));
        }
        ix
    }

    fn note(&self, text: String) {
        self.notes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(text);
    }

    /// Records a change that is already on disk. A failure here does not undo it: a
    /// damaged index is healed, any other failure is noted, and the folder is rescanned
    /// the next time it is opened.
    fn record(&self, what: &str, f: impl Fn(&mut Index) -> Result<(), StoreError>) {
        let mut ix = self.index();
        match f(&mut ix) {
            Ok(()) => {}
            Err(e) if e.is_index_damaged() => match ix.heal(&e.to_string()) {
                Ok(n) => self.note(format!("{}: {n}", self.id)),
                Err(h) => self.note(format!("{}: the index cannot be rebuilt: {h}", self.id)),
            },
            Err(e) => self.note(format!(
                "{}: {what} was done, but the index could not record it ({e}); the folder will be rescanned",
                self.id
            )),
        }
    }

    fn hint(&self, folder: &FolderPath, id: &crate::core::LocalId) -> Option<String> {
        self.index()
            .reader()
            .locator(&self.id, folder, id)
            .ok()
            .flatten()
            .flatten()
    }

    fn set_flags(
        &self,
        folder: &FolderPath,
        ids: &[MessageRef],
        op: FlagOp,
    ) -> Result<(), StoreError> {
        let md = self.tree.folder(folder)?;
        for r in ids {
            let e = md.locate(&r.id, self.hint(folder, &r.id).as_deref())?;
            let new = md.set_flags(&e, e.flags.apply(op))?;
            self.record("the flag change", |ix| {
                if new.id == r.id {
                    ix.set_file(&self.id, folder, &r.id, &new.file_name, new.flags)
                } else {
                    // The name was taken by another message: it got a fresh one.
                    let moved = (&new.id, new.file_name.as_str(), new.flags);
                    ix.move_envelope(&self.id, folder, folder, &r.id, moved)
                }
            });
        }
        Ok(())
    }

    fn move_to(
        &self,
        from: &FolderPath,
        ids: &[MessageRef],
        to: &FolderPath,
    ) -> Result<(), StoreError> {
        let src = self.tree.folder(from)?;
        let to_trash = FolderRole::from_name(&to.0) == Some(FolderRole::Trash);
        let mut entries = Vec::with_capacity(ids.len());
        for r in ids {
            let e = src.locate(&r.id, self.hint(from, &r.id).as_deref())?;
            // A message leaving Trash loses its T mark.
            let e = if e.flags.contains(Flags::TRASHED) && !to_trash {
                src.set_flags(&e, e.flags.apply(FlagOp::Remove(Flags::TRASHED)))?
            } else {
                e
            };
            entries.push((r.id.clone(), e));
        }
        let files: Vec<_> = entries.iter().map(|(_, e)| e.clone()).collect();
        // Under a journal: a crash in the middle is finished by `recover` at next start.
        let moved = self.tree.move_messages(from, &files, to)?;
        for ((old, _), new) in entries.iter().zip(&moved) {
            self.record("the move", |ix| {
                let m = (&new.id, new.file_name.as_str(), new.flags);
                ix.move_envelope(&self.id, from, to, old, m)?;
                ix.set_trash_origin(&self.id, &new.id, to_trash.then_some(from))
            });
        }
        Ok(())
    }

    /// The messages with their flags (for a move to another account).
    fn export(&self, folder: &FolderPath, ids: &[MessageRef]) -> Result<Vec<Mail>, StoreError> {
        let md = self.tree.folder(folder)?;
        ids.iter()
            .map(|r| {
                let e = md.locate(&r.id, self.hint(folder, &r.id).as_deref())?;
                Ok(Mail {
                    bytes: md.read(&e)?,
                    flags: e.flags,
                    from_line: None,
                })
            })
            .collect()
    }

    /// Delivers messages from another account (durably, each) and indexes them.
    fn import(&self, folder: &FolderPath, mails: &[Mail]) -> Result<Vec<LocalId>, StoreError> {
        let md = self.tree.ensure_folder(folder)?;
        let mut added = Vec::with_capacity(mails.len());
        for m in mails {
            let bytes = crate::store::formats::codec::plain(&m.bytes);
            let e = md.deliver(&bytes, m.flags)?;
            let hend = crate::store::formats::header::header_end(&bytes).unwrap_or(bytes.len());
            added.push(NewEnvelope {
                uid: e.id.0.clone(),
                file_name: Some(e.file_name.clone()),
                size: bytes.len() as u64,
                flags: e.flags,
                fields: crate::mime::header_fields(&bytes[..hend]),
            });
        }
        let ids = added.iter().map(|n| LocalId(n.uid.clone())).collect();
        self.record("the delivery", |ix| {
            let fid = ix.folder_id(&self.id, folder)?;
            let ch = FolderChanges {
                added: added.iter().map(clone_new).collect(),
                ..Default::default()
            };
            ix.apply(fid, &ch)
        });
        Ok(ids)
    }

    /// Removes messages for good (another account has them now).
    fn remove(&self, folder: &FolderPath, ids: &[MessageRef]) -> Result<(), StoreError> {
        let md = self.tree.folder(folder)?;
        let mut gone = Vec::new();
        for r in ids {
            let e = md.locate(&r.id, self.hint(folder, &r.id).as_deref())?;
            let p = md.file_path(&e);
            std::fs::remove_file(&p).map_err(StoreError::io("remove", &p))?;
            md.sync_dir(e.subdir)?;
            gone.push(r.id.0.clone());
        }
        self.record("the removal", |ix| {
            let fid = ix.folder_id(&self.id, folder)?;
            let ch = FolderChanges {
                removed: gone.clone(),
                ..Default::default()
            };
            ix.apply(fid, &ch)
        });
        Ok(())
    }

    /// Starts watching the tree; changes arrive on the returned channel.
    fn watch(&self) -> Result<mpsc::UnboundedReceiver<PushEvent>, StoreError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let (folders, mut warnings) = self.tree.folders_with_warnings()?;
        let (watcher, more) = FolderWatcher::start(&self.tree.root, folders, move |ev| {
            let _ = tx.send(match ev {
                WatchEvent::Folder(f) => PushEvent::Folder(f),
                WatchEvent::Tree => PushEvent::Tree,
                WatchEvent::Error(e) => PushEvent::Error(e),
            });
        })?;
        warnings.extend(more);
        for w in warnings {
            self.note(format!("{}: {w}", self.id));
        }
        *self.watcher.lock().unwrap_or_else(|p| p.into_inner()) = Some(watcher);
        Ok(rx)
    }

    /// After folders were created or removed: watch the new set. Returns the folders
    /// that are new (mail may have arrived before they were watched).
    fn rewatch(&self) -> Result<Vec<FolderPath>, StoreError> {
        let (folders, warnings) = self.tree.folders_with_warnings()?;
        for w in warnings {
            self.note(format!("{}: {w}", self.id));
        }
        let mut guard = self.watcher.lock().unwrap_or_else(|p| p.into_inner());
        let Some(w) = guard.as_mut() else {
            return Ok(Vec::new());
        };
        let before = w.folders();
        let new: Vec<FolderPath> = folders
            .iter()
            .map(|f| f.path.clone())
            .filter(|p| !before.contains(p))
            .collect();
        for warning in w.sync_folders(folders) {
            self.note(format!("{}: {warning}", self.id));
        }
        Ok(new)
    }

    /// One scan step; a damaged index is healed and the scan starts over.
    fn scan_step(&self, mut s: LocalSync) -> Result<SyncStep<LocalSync>, StoreError> {
        let mut ix = self.index();
        match s.job.step(&mut ix, STEP_FILES) {
            Ok(true) => Ok(SyncStep::Done(s.job.into_report())),
            Ok(false) => {
                let p = s.job.progress();
                Ok(SyncStep::More(s, p))
            }
            Err(e) if e.is_index_damaged() => {
                let n = ix.heal(&e.to_string())?;
                self.note(format!("{}: {n}", self.id));
                let md = self.tree.folder(&s.folder)?;
                s.job = ScanJob::start(&ix, &self.id, &s.folder, &md, crate::mime::header_fields)?;
                let p = s.job.progress();
                Ok(SyncStep::More(s, p))
            }
            Err(e) => Err(e),
        }
    }

    fn scan_start(&self, folder: &FolderPath) -> Result<LocalSync, StoreError> {
        let md = self.tree.folder(folder)?;
        let mut ix = self.index();
        let job = match ScanJob::start(&ix, &self.id, folder, &md, crate::mime::header_fields) {
            Err(e) if e.is_index_damaged() => {
                let n = ix.heal(&e.to_string())?;
                self.note(format!("{}: {n}", self.id));
                ScanJob::start(&ix, &self.id, folder, &md, crate::mime::header_fields)?
            }
            r => r?,
        };
        Ok(LocalSync {
            folder: folder.clone(),
            job,
        })
    }

    /// Where a message in Trash came from (for undelete); INBOX when unknown.
    fn trash_origin(&self, id: &MessageRef) -> FolderPath {
        self.index()
            .reader()
            .trash_origin(&self.id, &id.id)
            .ok()
            .flatten()
            .unwrap_or_else(FolderPath::inbox)
    }
}

impl Account for LocalAccount {
    type Sync = LocalSync;

    fn id(&self) -> &AccountId {
        &self.inner.id
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            push: self.push.is_some(),
            ..Capabilities::LOCAL
        }
    }

    async fn connect(&mut self) -> Result<(), AccountError> {
        // Push: a watcher that cannot start is a notice, not a failure (rescans still work).
        match self.blocking(|me| me.watch()).await {
            Ok(rx) => self.push = Some(rx),
            Err(e) => self.inner.note(format!(
                "{}: changes by other programs will show only after R: {}",
                self.inner.id, e.message
            )),
        }
        Ok(())
    }

    async fn refresh_watch(&mut self) -> Vec<FolderPath> {
        self.blocking(|me| me.rewatch()).await.unwrap_or_default()
    }

    async fn list_folders(&mut self) -> Result<Vec<Folder>, AccountError> {
        self.blocking(|me| {
            let (dirs, warnings) = me.tree.folders_with_warnings()?;
            for w in warnings {
                me.note(format!("{}: {w}", me.id));
            }
            let ix = me.index();
            let view = ix.reader();
            dirs.into_iter()
                .map(|d| {
                    let mut f = Folder::mail(me.id.clone(), d.path);
                    (f.total, f.unread) = view.counts(&me.id, &f.path)?;
                    Ok(f)
                })
                .collect()
        })
        .await
    }

    async fn begin_sync(&mut self, folder: &FolderPath) -> Result<LocalSync, AccountError> {
        let folder = folder.clone();
        self.blocking(move |me| me.scan_start(&folder)).await
    }

    async fn sync_step(&mut self, job: LocalSync) -> Result<SyncStep<LocalSync>, AccountError> {
        self.blocking(move |me| me.scan_step(job)).await
    }

    async fn fetch(
        &mut self,
        folder: &FolderPath,
        id: &MessageRef,
    ) -> Result<RawMessage, AccountError> {
        let (folder, id) = (folder.clone(), id.clone());
        self.blocking(move |me| {
            let md = me.tree.folder(&folder)?;
            let e = md.locate(&id.id, me.hint(&folder, &id.id).as_deref())?;
            md.read(&e).map(RawMessage)
        })
        .await
    }

    async fn set_flags(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
        op: FlagOp,
    ) -> Result<(), AccountError> {
        let (folder, ids) = (folder.clone(), ids.to_vec());
        self.blocking(move |me| me.set_flags(&folder, &ids, op))
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
        self.blocking(move |me| me.move_to(&from, &ids, &to)).await
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
        self.blocking(move |me| Ok(ids.into_iter().map(|r| (me.trash_origin(&r), r)).collect()))
            .await
            .unwrap_or(fallback)
    }

    async fn export(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
    ) -> Result<Vec<Mail>, AccountError> {
        let (folder, ids) = (folder.clone(), ids.to_vec());
        self.blocking(move |me| me.export(&folder, &ids)).await
    }

    async fn import(
        &mut self,
        folder: &FolderPath,
        mails: Vec<Mail>,
    ) -> Result<Vec<LocalId>, AccountError> {
        let folder = folder.clone();
        self.blocking(move |me| me.import(&folder, &mails)).await
    }

    async fn remove(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
    ) -> Result<(), AccountError> {
        let (folder, ids) = (folder.clone(), ids.to_vec());
        self.blocking(move |me| me.remove(&folder, &ids)).await
    }

    async fn submit(&mut self, _msg: &Outgoing) -> Result<(), AccountError> {
        Err(AccountError {
            account: self.inner.id.clone(),
            kind: AccountErrorKind::Unsupported,
            message: "a local Maildir account cannot send mail".into(),
        })
    }

    fn take_push(&mut self) -> Option<mpsc::UnboundedReceiver<PushEvent>> {
        self.push.take()
    }

    fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut *self.inner.notes.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn clone_new(n: &NewEnvelope) -> NewEnvelope {
    NewEnvelope {
        uid: n.uid.clone(),
        file_name: n.file_name.clone(),
        size: n.size,
        flags: n.flags,
        fields: n.fields.clone(),
    }
}
