//! `CacheView`: what the UI and the headless commands may read of an account without
//! going through its actor — the folders of its cache Maildir with counts from the
//! index, and cached message bytes. Reads use read-only index connections, so they never
//! wait for a sync. A message whose body is not cached reads as `None`: ask the actor to
//! fetch it.
//!
//! Every kind of account has one; it names no protocol.

use crate::core::{AccountId, Folder, FolderPath, LocalId};
use crate::store::formats::FileTree;
use crate::store::{IndexReader, MaildirTree, StoreError};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct CacheView {
    pub account: AccountId,
    /// The Maildir tree that holds the account's cached messages (None: nothing cached,
    /// e.g. an account this version cannot open).
    pub tree: Option<MaildirTree>,
    pub index_path: PathBuf,
    /// The folders of an mbox, MMDF, Babyl or MH account (its messages are read there).
    pub files: Option<FileTree>,
}

impl CacheView {
    pub fn new(account: AccountId, tree: Option<MaildirTree>, index_path: &Path) -> Self {
        CacheView {
            account,
            tree,
            index_path: index_path.to_path_buf(),
            files: None,
        }
    }

    /// The view of an mbox, MMDF, Babyl or MH account.
    pub fn files(account: AccountId, files: FileTree, index_path: &Path) -> Self {
        CacheView {
            files: Some(files),
            ..CacheView::new(account, None, index_path)
        }
    }

    /// Whether the account has folders of its own to list and read.
    pub fn has_store(&self) -> bool {
        self.tree.is_some() || self.files.is_some()
    }

    fn tree(&self) -> Result<&MaildirTree, StoreError> {
        self.tree.as_ref().ok_or_else(|| StoreError::Invalid {
            path: self.index_path.clone(),
            reason: format!("account {} has no local cache", self.account),
        })
    }

    fn reader(&self) -> Option<IndexReader> {
        // A missing or damaged index only loses the shortcut; the actor heals it.
        self.index_path
            .exists()
            .then(|| IndexReader::open(&self.index_path).ok())
            .flatten()
    }

    /// The cached bytes of a message; `Ok(None)` when the index knows the message but
    /// its body was never fetched.
    pub fn read(&self, folder: &FolderPath, id: &LocalId) -> Result<Option<Vec<u8>>, StoreError> {
        self.read_using(self.reader().as_ref(), folder, id)
    }

    /// A read-only index connection to pass to `read_using` for many reads in a row
    /// (a body search), instead of opening one per message.
    pub fn index_reader(&self) -> Option<IndexReader> {
        self.reader()
    }

    /// `read`, with an index connection the caller keeps.
    pub fn read_using(
        &self,
        reader: Option<&IndexReader>,
        folder: &FolderPath,
        id: &LocalId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let hint = match reader.map(|r| r.view().locator(&self.account, folder, id)) {
            Some(Ok(Some(None))) => return Ok(None),
            Some(Ok(Some(Some(name)))) => Some(name),
            _ => None,
        };
        if let Some(files) = &self.files {
            return files
                .folder(folder)?
                .read(&id.0, hint.as_deref())
                .map(|m| Some(m.bytes));
        }
        let md = self.tree()?.folder(folder)?;
        let e = md.locate(id, hint.as_deref())?;
        md.read(&e).map(Some)
    }

    /// The path of a cached message's file (for streaming a large attachment).
    pub fn file_path(&self, folder: &FolderPath, id: &LocalId) -> Result<PathBuf, StoreError> {
        let hint = match self
            .reader()
            .map(|r| r.view().locator(&self.account, folder, id))
        {
            Some(Ok(Some(Some(name)))) => Some(name),
            _ => None,
        };
        let md = self.tree()?.folder(folder)?;
        let e = md.locate(id, hint.as_deref())?;
        Ok(md.file_path(&e))
    }

    /// Folder names only: a directory listing, no index.
    pub fn folder_names(&self) -> Result<Vec<Folder>, StoreError> {
        if let Some(files) = &self.files {
            return Ok(files
                .folders()?
                .into_iter()
                .map(|d| Folder::mail(self.account.clone(), d.path))
                .collect());
        }
        let Some(tree) = &self.tree else {
            return Ok(Vec::new());
        };
        // Roles a server gave, where it did; else the name decides.
        let roles = crate::store::roles::load(&tree.root);
        let listed = crate::store::roles::load_listed(&tree.root);
        Ok(tree
            .folders()?
            .into_iter()
            .filter(|d| listed.as_ref().is_none_or(|l| l.contains(&d.path)))
            .map(|d| {
                let mut f = Folder::mail(self.account.clone(), d.path);
                if let Some(r) = &roles {
                    f.role = r.get(&f.path).copied();
                }
                f
            })
            .collect())
    }

    /// Folders with their counts from the index.
    pub fn folders(&self) -> Result<Vec<Folder>, StoreError> {
        let mut folders = self.folder_names()?;
        if let Some(r) = self.reader() {
            let view = r.view();
            for f in &mut folders {
                // A count that cannot be read stays 0; the list itself still shows.
                if let Ok((t, u)) = view.counts(&self.account, &f.path) {
                    (f.total, f.unread) = (t, u);
                }
            }
        }
        Ok(folders)
    }

    /// Whether a folder has any message file (without listing it all).
    pub fn holds_mail(&self, folder: &FolderPath) -> bool {
        if let Some(files) = &self.files {
            return files.folder(folder).is_ok_and(|f| f.holds_mail());
        }
        let Some(md) = self.tree.as_ref().and_then(|t| t.folder(folder).ok()) else {
            return false;
        };
        ["new", "cur"].iter().any(|sub| {
            std::fs::read_dir(md.path().join(sub)).is_ok_and(|mut rd| {
                rd.any(|e| e.is_ok_and(|e| !e.file_name().to_string_lossy().starts_with('.')))
            })
        })
    }

    /// Whether the account has this folder.
    pub fn has_folder(&self, folder: &FolderPath) -> bool {
        if let Some(files) = &self.files {
            return files.folder(folder).is_ok();
        }
        self.tree.as_ref().is_some_and(|t| t.folder(folder).is_ok())
    }
}
