//! A local mailbox of another format as an account: mbox (any variant), MMDF, Babyl
//! (one file, or a directory of files) and MH. Folders, stepwise index scans, flags,
//! moves between folders, delete and undo work as for a Maildir account; what differs
//! is the store (`store::formats`): messages are named by content ids, located by an
//! offset and length (or an MH number), and single files are rewritten through a new
//! file renamed into place under the locks Python's `mailbox` takes.
//!
//! The disk is the truth and the index a cache: a change that reached the disk is done
//! even when recording it in the index fails (the folder is rescanned). A file another
//! program changed is noticed by its stamp (a poller sends push events every two
//! seconds) and rescanned, never overwritten.
//!
//! All disk work runs on blocking threads; depends on `store`, `config`, `core` and
//! `mime` (header fields), never on the UI.

use super::{
    Account, AccountError, AccountErrorKind, Capabilities, Outgoing, PushEvent, RawMessage,
    SyncStep,
};
use crate::core::{AccountId, FlagOp, Flags, Folder, FolderPath, FolderRole, LocalId, MessageRef};
use crate::store::formats::scan::{STEP_MESSAGES, stamp_state};
use crate::store::formats::single::{Changes, Toc, Written};
use crate::store::formats::{FileTree, FormatFolder, FormatScan, Mail};
use crate::store::index::FolderChanges;
use crate::store::{Index, StoreError};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// How often the poller looks for changes by other programs.
const POLL: Duration = Duration::from_secs(2);
/// Messages moved per batch (their bytes are held in memory meanwhile).
const MOVE_BATCH_BYTES: usize = 64 << 20;

pub(crate) struct Inner {
    id: AccountId,
    tree: FileTree,
    index: Mutex<Index>,
    notes: Mutex<Vec<String>>,
    /// Tables of contents of single files, as last read or written.
    tocs: Mutex<HashMap<FolderPath, Toc>>,
    push: Mutex<Option<mpsc::UnboundedSender<PushEvent>>>,
}

pub struct FileStoreAccount {
    inner: Arc<Inner>,
    push: Option<mpsc::UnboundedReceiver<PushEvent>>,
}

/// A scan of one folder.
pub struct FileSync {
    folder: FolderPath,
    job: FormatScan,
}

impl FileStoreAccount {
    pub fn open(id: AccountId, tree: FileTree, index_path: &Path) -> Result<Self, StoreError> {
        let (index, note) = Index::open(index_path)?;
        let notes = note.map(|n| format!("{id}: {n}")).into_iter().collect();
        Ok(FileStoreAccount {
            inner: Arc::new(Inner {
                id,
                tree,
                index: Mutex::new(index),
                notes: Mutex::new(notes),
                tocs: Mutex::new(HashMap::new()),
                push: Mutex::new(None),
            }),
            push: None,
        })
    }

    pub fn tree(&self) -> &FileTree {
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

    /// Stores messages in a folder (created if missing); returns their ids. For moves
    /// from another account.
    pub async fn deliver(
        &mut self,
        folder: &FolderPath,
        mails: Vec<Mail>,
    ) -> Result<Vec<LocalId>, AccountError> {
        let folder = folder.clone();
        self.blocking(move |me| me.deliver(&folder, &mails)).await
    }
}

/// A message just stored: its id, locator and flags.
struct Stored {
    id: String,
    locator: String,
    flags: Flags,
}

fn lid(s: &str) -> LocalId {
    LocalId(s.to_string())
}

impl Inner {
    fn index(&self) -> MutexGuard<'_, Index> {
        let mut ix = self.index.lock().unwrap_or_else(|p| p.into_inner());
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

    fn tocs(&self) -> MutexGuard<'_, HashMap<FolderPath, Toc>> {
        self.tocs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks the actor to rescan a folder (after another program changed it).
    fn rescan(&self, folder: &FolderPath) {
        if let Some(tx) = self.push.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = tx.send(PushEvent::Folder(folder.clone()));
        }
    }

    /// Records a change that is already on disk (see `LocalAccount::record`).
    fn record(
        &self,
        what: &str,
        folder: &FolderPath,
        f: impl Fn(&mut Index) -> Result<(), StoreError>,
    ) {
        let mut ix = self.index();
        match f(&mut ix) {
            Ok(()) => {}
            Err(e) if e.is_index_damaged() => match ix.heal(&e.to_string()) {
                Ok(n) => self.note(format!("{}: {n}", self.id)),
                Err(h) => self.note(format!("{}: the index cannot be rebuilt: {h}", self.id)),
            },
            Err(e) => {
                self.note(format!(
                    "{}: {what} was done, but the index could not record it ({e}); the folder will be rescanned",
                    self.id
                ));
                drop(ix);
                self.rescan(folder);
            }
        }
    }

    fn hint(&self, folder: &FolderPath, id: &LocalId) -> Option<String> {
        self.index()
            .reader()
            .locator(&self.id, folder, id)
            .ok()
            .flatten()
            .flatten()
    }

    fn read(&self, folder: &FolderPath, id: &LocalId) -> Result<Mail, StoreError> {
        let ff = self.tree.folder(folder)?;
        ff.read(&id.0, self.hint(folder, id).as_deref())
    }

    /// Records a single-file write in the index: renumbered duplicates, new locators
    /// and flags, and the new stamp when the index was in step with the file before
    /// (true; else the folder must be rescanned). Call after the rows of any message
    /// the write added are in the index.
    fn index_written(
        &self,
        ix: &mut Index,
        folder: &FolderPath,
        w: &Written,
    ) -> Result<bool, StoreError> {
        for (old, new) in &w.renamed {
            if let Some(m) = w.toc.find(new) {
                let loc = m.loc.to_string();
                ix.move_envelope(
                    &self.id,
                    folder,
                    folder,
                    &lid(old),
                    (&lid(new), &loc, m.flags),
                )?;
            }
        }
        let fid = ix.folder_id(&self.id, folder)?;
        let ch = FolderChanges {
            renamed: w
                .relocated
                .iter()
                .map(|m| (m.id.clone(), m.loc.to_string(), m.flags))
                .collect(),
            ..Default::default()
        };
        ix.apply(fid, &ch)?;
        let kept = ix.sync_state(&self.id, folder)?;
        let in_step = !w.reloaded && kept == stamp_state(&w.before);
        if in_step {
            ix.set_sync_state(&self.id, folder, &stamp_state(&w.toc.stamp))?;
        }
        Ok(in_step)
    }

    /// Records a write (after `rows` put the rows of added messages in), keeps its
    /// table of contents, and asks for a rescan when the index is not in step.
    fn record_written(
        &self,
        folder: &FolderPath,
        w: Option<&Written>,
        rows: impl Fn(&mut Index) -> Result<(), StoreError>,
    ) {
        let in_step = std::cell::Cell::new(true);
        self.record("the change", folder, |ix| {
            rows(ix)?;
            if let Some(w) = w {
                in_step.set(self.index_written(ix, folder, w)?);
            }
            Ok(())
        });
        if let Some(w) = w {
            self.tocs().insert(folder.clone(), w.toc.clone());
        }
        if !in_step.get() {
            self.rescan(folder);
        }
    }

    fn set_flags(
        &self,
        folder: &FolderPath,
        ids: &[MessageRef],
        op: FlagOp,
    ) -> Result<(), StoreError> {
        match self.tree.folder(folder)? {
            FormatFolder::Single(sf) => {
                let changes = Changes {
                    flags: ids.iter().map(|r| (r.id.0.clone(), op)).collect(),
                    remove: Vec::new(),
                };
                let known = self.tocs().remove(folder);
                let w = sf.rewrite(known, &changes)?;
                self.record_written(folder, Some(&w), |_| Ok(()));
            }
            FormatFolder::Mh(m) => {
                let seqs = m.sequences()?;
                let mut changes = Vec::new();
                for r in ids {
                    let n = self.mh_number(&m, folder, &r.id)?;
                    changes.push((n, seqs.flags(n).apply(op), r.id.clone()));
                }
                let plain: Vec<(u32, Flags)> = changes.iter().map(|(n, f, _)| (*n, *f)).collect();
                m.set_flags(&plain)?;
                self.record("the flag change", folder, |ix| {
                    for (n, f, id) in &changes {
                        ix.set_file(&self.id, folder, id, &n.to_string(), *f)?;
                    }
                    Ok(())
                });
            }
        }
        Ok(())
    }

    fn mh_number(
        &self,
        m: &crate::store::formats::mh::MhFolder,
        folder: &FolderPath,
        id: &LocalId,
    ) -> Result<u32, StoreError> {
        match self.hint(folder, id).and_then(|h| h.parse::<u32>().ok()) {
            Some(n) if m.holds(n, &id.0) => Ok(n),
            _ => m.number_of(&id.0),
        }
    }

    /// Stores messages in a folder (nothing recorded in the index yet): each one's
    /// (id, locator, flags) in order, and the file's write for `record_written`.
    fn store(
        &self,
        folder: &FolderPath,
        mails: &[Mail],
    ) -> Result<(Vec<Stored>, Option<Written>), StoreError> {
        match self.tree.ensure_folder(folder)? {
            FormatFolder::Single(sf) => {
                let known = self.tocs().remove(folder);
                let w = sf.append(known, mails)?;
                let stored = w
                    .added
                    .iter()
                    .map(|m| Stored {
                        id: m.id.clone(),
                        locator: m.loc.to_string(),
                        flags: m.flags,
                    })
                    .collect();
                Ok((stored, Some(w)))
            }
            FormatFolder::Mh(m) => {
                let numbers = m.add(mails)?;
                let seqs = m.sequences()?;
                let (listed, _) = m.list()?;
                let out = numbers
                    .iter()
                    .filter_map(|n| listed.iter().find(|x| x.number == *n))
                    .map(|x| Stored {
                        id: x.id.clone(),
                        locator: x.number.to_string(),
                        flags: seqs.flags(x.number),
                    })
                    .collect();
                Ok((out, None))
            }
        }
    }

    /// Removes messages for good (another account has them now): files and rows.
    fn remove_for_good(&self, folder: &FolderPath, ids: &[LocalId]) -> Result<(), StoreError> {
        self.remove(folder, ids)?;
        self.record("the removal", folder, |ix| {
            let fid = ix.folder_id(&self.id, folder)?;
            ix.apply(
                fid,
                &FolderChanges {
                    removed: ids.iter().map(|i| i.0.clone()).collect(),
                    ..Default::default()
                },
            )
        });
        Ok(())
    }

    /// Removes messages from a folder (after they were stored elsewhere).
    fn remove(&self, folder: &FolderPath, ids: &[LocalId]) -> Result<(), StoreError> {
        match self.tree.folder(folder)? {
            FormatFolder::Single(sf) => {
                let changes = Changes {
                    flags: HashMap::new(),
                    remove: ids.iter().map(|i| i.0.clone()).collect(),
                };
                let known = self.tocs().remove(folder);
                let w = sf.rewrite(known, &changes)?;
                self.record_written(folder, Some(&w), |_| Ok(()));
            }
            FormatFolder::Mh(m) => {
                let mut numbers = Vec::new();
                for id in ids {
                    numbers.push(self.mh_number(&m, folder, id)?);
                }
                m.remove(&numbers)?;
            }
        }
        Ok(())
    }

    fn move_to(
        &self,
        from: &FolderPath,
        ids: &[MessageRef],
        to: &FolderPath,
    ) -> Result<(), StoreError> {
        let to_trash = FolderRole::from_name(&to.0) == Some(FolderRole::Trash);
        self.tree.ensure_folder(to)?;
        // Copy first (durably), then remove: a crash in between leaves a duplicate,
        // never a loss. Batches bound the bytes held in memory.
        let mut moved: Vec<LocalId> = Vec::new();
        let mut batch: Vec<(LocalId, Mail)> = Vec::new();
        let mut bytes = 0;
        let mut rest = ids.iter().peekable();
        while let Some(r) = rest.next() {
            let mut mail = self.read(from, &r.id)?;
            if mail.flags.contains(Flags::TRASHED) && !to_trash {
                mail.flags.remove(Flags::TRASHED);
            }
            bytes += mail.bytes.len();
            batch.push((r.id.clone(), mail));
            if bytes < MOVE_BATCH_BYTES && rest.peek().is_some() {
                continue;
            }
            let mails: Vec<Mail> = batch.iter().map(|(_, m)| m.clone()).collect();
            let (stored, w) = self.store(to, &mails)?;
            // The index rows follow the messages (their envelopes are kept).
            self.record_written(to, w.as_ref(), |ix| {
                for ((old, _), new) in batch.iter().zip(&stored) {
                    let new_id = lid(&new.id);
                    ix.move_envelope(&self.id, from, to, old, (&new_id, &new.locator, new.flags))?;
                    ix.set_trash_origin(&self.id, &new_id, to_trash.then_some(from))?;
                }
                Ok(())
            });
            moved.extend(batch.drain(..).map(|(id, _)| id));
            bytes = 0;
        }
        self.remove(from, &moved)
    }

    /// Stores messages from elsewhere and indexes them (envelope fields parsed here).
    fn deliver(&self, folder: &FolderPath, mails: &[Mail]) -> Result<Vec<LocalId>, StoreError> {
        let (stored, w) = self.store(folder, mails)?;
        self.record_written(folder, w.as_ref(), |ix| {
            let fid = ix.folder_id(&self.id, folder)?;
            let added = stored
                .iter()
                .zip(mails)
                .map(|(m, mail)| {
                    let hend = crate::store::formats::header::header_end(&mail.bytes)
                        .unwrap_or(mail.bytes.len());
                    crate::store::index::NewEnvelope {
                        uid: m.id.clone(),
                        file_name: Some(m.locator.clone()),
                        size: mail.bytes.len() as u64,
                        flags: m.flags,
                        fields: crate::mime::header_fields(&mail.bytes[..hend]),
                    }
                })
                .collect();
            ix.apply(
                fid,
                &FolderChanges {
                    added,
                    ..Default::default()
                },
            )
        });
        Ok(stored.into_iter().map(|m| lid(&m.id)).collect())
    }

    fn scan_start(&self, folder: &FolderPath) -> Result<FileSync, StoreError> {
        let ff = self.tree.folder(folder)?;
        let mut ix = self.index();
        let job = match FormatScan::start(&ix, &self.id, folder, &ff, crate::mime::header_fields) {
            Err(e) if e.is_index_damaged() => {
                let n = ix.heal(&e.to_string())?;
                self.note(format!("{}: {n}", self.id));
                FormatScan::start(&ix, &self.id, folder, &ff, crate::mime::header_fields)?
            }
            r => r?,
        };
        Ok(FileSync {
            folder: folder.clone(),
            job,
        })
    }

    fn scan_step(&self, mut s: FileSync) -> Result<SyncStep<FileSync>, StoreError> {
        let mut ix = self.index();
        match s.job.step(&mut ix, &self.id, &s.folder, STEP_MESSAGES) {
            Ok(true) => {
                if let Some(toc) = s.job.take_toc() {
                    self.tocs().insert(s.folder.clone(), toc);
                }
                Ok(SyncStep::Done(s.job.into_report()))
            }
            Ok(false) => {
                let p = s.job.progress();
                Ok(SyncStep::More(s, p))
            }
            Err(e) if e.is_index_damaged() => {
                let n = ix.heal(&e.to_string())?;
                self.note(format!("{}: {n}", self.id));
                let ff = self.tree.folder(&s.folder)?;
                s.job =
                    FormatScan::start(&ix, &self.id, &s.folder, &ff, crate::mime::header_fields)?;
                let p = s.job.progress();
                Ok(SyncStep::More(s, p))
            }
            Err(e) => Err(e),
        }
    }

    fn trash_origin(&self, id: &MessageRef) -> FolderPath {
        self.index()
            .reader()
            .trash_origin(&self.id, &id.id)
            .ok()
            .flatten()
            .unwrap_or_else(FolderPath::inbox)
    }

    /// What tells that a folder changed: a file's stamp, an MH directory's and
    /// sequence file's modification times.
    fn marks(&self) -> Vec<(FolderPath, Mark)> {
        let Ok(folders) = self.tree.folders() else {
            return Vec::new();
        };
        folders
            .into_iter()
            .map(|f| {
                let mark = |p: &Path| {
                    std::fs::metadata(p).ok().map(|m| {
                        use std::os::unix::fs::MetadataExt;
                        (m.ino(), m.len(), m.mtime() * 1_000_000_000 + m.mtime_nsec())
                    })
                };
                let m = if f.dir.is_dir() {
                    let a = mark(&f.dir);
                    let b = mark(&f.dir.join(".mh_sequences"));
                    a.map(|(i, l, t)| (i, l, t ^ b.map_or(0, |x| x.2 ^ x.1 as i64)))
                } else {
                    mark(&f.dir)
                };
                (f.path, m)
            })
            .collect()
    }
}

/// What tells that a folder changed (inode, size, modification time), if it exists.
type Mark = Option<(u64, u64, i64)>;

/// Polls the folders for changes by other programs until the account is gone.
fn poll(inner: Weak<Inner>, tx: mpsc::UnboundedSender<PushEvent>) {
    let mut last = match inner.upgrade() {
        Some(i) => i.marks(),
        None => return,
    };
    loop {
        std::thread::sleep(POLL);
        let Some(me) = inner.upgrade() else { return };
        let now = me.marks();
        drop(me);
        let names = |v: &[(FolderPath, Mark)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
        if names(&now) != names(&last) && tx.send(PushEvent::Tree).is_err() {
            return;
        }
        for (p, m) in &now {
            let before = last.iter().find(|(q, _)| q == p).map(|(_, m)| *m);
            if before.is_some_and(|b| b != *m) && tx.send(PushEvent::Folder(p.clone())).is_err() {
                return;
            }
        }
        last = now;
    }
}

impl Account for FileStoreAccount {
    type Sync = FileSync;

    fn id(&self) -> &AccountId {
        &self.inner.id
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            push: self.push.is_some(),
            // One file has no folders to move to or delete into.
            folders: !self.inner.tree.is_single(),
            ..Capabilities::LOCAL
        }
    }

    async fn connect(&mut self) -> Result<(), AccountError> {
        let (tx, rx) = mpsc::unbounded_channel();
        *self.inner.push.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx.clone());
        let weak = Arc::downgrade(&self.inner);
        let started = std::thread::Builder::new()
            .name(format!("poll-{}", self.inner.id))
            .spawn(move || poll(weak, tx));
        match started {
            Ok(_) => self.push = Some(rx),
            Err(e) => self.inner.note(format!(
                "{}: changes by other programs will show only after R: {e}",
                self.inner.id
            )),
        }
        Ok(())
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

    async fn refresh_watch(&mut self) -> Vec<FolderPath> {
        self.blocking(|me| Ok(me.tree.folders()?.into_iter().map(|f| f.path).collect()))
            .await
            .unwrap_or_default()
    }

    async fn begin_sync(&mut self, folder: &FolderPath) -> Result<FileSync, AccountError> {
        let folder = folder.clone();
        self.blocking(move |me| me.scan_start(&folder)).await
    }

    async fn sync_step(&mut self, job: FileSync) -> Result<SyncStep<FileSync>, AccountError> {
        self.blocking(move |me| me.scan_step(job)).await
    }

    async fn fetch(
        &mut self,
        folder: &FolderPath,
        id: &MessageRef,
    ) -> Result<RawMessage, AccountError> {
        let (folder, id) = (folder.clone(), id.clone());
        self.blocking(move |me| me.read(&folder, &id.id).map(|m| RawMessage(m.bytes)))
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

    /// Only `Expunge`: the messages marked deleted leave the file for good (a single
    /// mbox, Babyl or MMDF file has no Trash; `d` marks, as in mutt and Emacs).
    async fn folder_op(&mut self, op: &crate::core::FolderOp) -> Result<(), AccountError> {
        let crate::core::FolderOp::Expunge(folder) = op else {
            return Err(self.cannot(&format!("{} folders", op.verb())));
        };
        let f = folder.clone();
        self.blocking(move |me| {
            let marked: Vec<LocalId> = me
                .index()
                .reader()
                .envelopes(&me.id, &f)?
                .into_iter()
                .filter(|e| e.flags.contains(Flags::TRASHED))
                .map(|e| e.id)
                .collect();
            if marked.is_empty() {
                return Ok(());
            }
            me.remove_for_good(&f, &marked)
        })
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
        self.blocking(move |me| ids.iter().map(|r| me.read(&folder, &r.id)).collect())
            .await
    }

    async fn import(
        &mut self,
        folder: &FolderPath,
        mails: Vec<Mail>,
    ) -> Result<Vec<LocalId>, AccountError> {
        self.deliver(folder, mails).await
    }

    async fn remove(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
    ) -> Result<(), AccountError> {
        let folder = folder.clone();
        let ids: Vec<LocalId> = ids.iter().map(|r| r.id.clone()).collect();
        self.blocking(move |me| me.remove_for_good(&folder, &ids))
            .await
    }

    async fn submit(&mut self, _msg: &Outgoing) -> Result<(), AccountError> {
        Err(AccountError {
            account: self.inner.id.clone(),
            kind: AccountErrorKind::Unsupported,
            message: format!(
                "a local {} account cannot send mail",
                self.inner.tree.format.name()
            ),
        })
    }

    fn take_push(&mut self) -> Option<mpsc::UnboundedReceiver<PushEvent>> {
        self.push.take()
    }

    fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut *self.inner.notes.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
