//! One Maildir folder (cr.yp.to/proto/maildir.html): delivery through tmp/ with fsync,
//! a no-replace link and a directory fsync; flags in the `:2,` info suffix; new/ -> cur/
//! once the message has been seen by a client.
//!
//! No write here ever lands on an existing name: flag changes and moves link then
//! unlink (a link fails if the target exists) and take a fresh unique name when theirs
//! is taken; `list` gives every file its own unique name (as Dovecot does). Names on disk
//! are bytes; entries carry them in the reversible String form of `names`.

use super::delivery::{
    Delivery, cannot_link, fresh_id, fsync_dir, remove_if_present, same_bytes, same_file,
    set_private,
};
use super::{StoreError, names};
use crate::core::{Flags, LocalId};
use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirEntryExt, MetadataExt};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subdir {
    Cur,
    New,
}

impl Subdir {
    pub fn name(self) -> &'static str {
        match self {
            Subdir::New => "new",
            Subdir::Cur => "cur",
        }
    }
}

/// A message file as found on disk. `file_name` and `id` are in the String form of
/// `names` (identical to the disk name when that is UTF-8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaildirEntry {
    pub id: LocalId,
    pub subdir: Subdir,
    pub file_name: String,
    pub flags: Flags,
}

impl MaildirEntry {
    /// Splits a file name into its unique part and its flags (ignoring unknown letters).
    pub fn from_file_name(file_name: &str, subdir: Subdir) -> MaildirEntry {
        let (unique, flags) = match file_name.split_once(":2,") {
            Some((u, f)) => (u, Flags::from_maildir(f)),
            None => (
                file_name.split(':').next().unwrap_or(file_name),
                Flags::empty(),
            ),
        };
        MaildirEntry {
            id: LocalId(unique.to_string()),
            subdir,
            file_name: file_name.to_string(),
            flags,
        }
    }

    /// Everything after the unique name (`""` or `:2,FLAGS`).
    fn suffix(&self) -> &str {
        self.file_name.get(self.id.0.len()..).unwrap_or("")
    }

    /// Letters in the info suffix that `Flags` does not model (kept on rename).
    fn extra_letters(&self) -> String {
        self.file_name
            .split_once(":2,")
            .map(|(_, f)| f.chars().filter(|c| !"DFPRST".contains(*c)).collect())
            .unwrap_or_default()
    }
}

#[derive(Clone, Debug)]
pub struct Maildir {
    root: PathBuf,
}

impl Maildir {
    pub fn open(root: impl Into<PathBuf>) -> Maildir {
        Maildir { root: root.into() }
    }

    /// Creates tmp/, new/ and cur/ (mode 0700) if missing.
    pub fn create(root: impl Into<PathBuf>) -> Result<Maildir, StoreError> {
        let md = Maildir::open(root);
        for sub in ["tmp", "new", "cur"] {
            let p = md.root.join(sub);
            fs::create_dir_all(&p).map_err(StoreError::io("create directory", &p))?;
            set_private(&p);
        }
        Ok(md)
    }

    pub fn is_maildir(path: &Path) -> bool {
        path.join("cur").is_dir() && path.join("new").is_dir()
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    pub fn file_path(&self, e: &MaildirEntry) -> PathBuf {
        self.subdir_path(e.subdir).join(names::decode(&e.file_name))
    }

    fn subdir_path(&self, subdir: Subdir) -> PathBuf {
        self.root.join(subdir.name())
    }

    /// Starts a streaming delivery into tmp/ (see `Delivery::commit`).
    pub fn delivery(&self) -> Result<Delivery, StoreError> {
        Delivery::start(self)
    }

    /// Delivers a message durably: written to tmp/, fsynced, linked into new/ (no
    /// flags) or cur/ (with flags) under a name that is not taken, and the directory
    /// fsynced. Nothing is visible in new/ or cur/ before that.
    pub fn deliver(&self, bytes: &[u8], flags: Flags) -> Result<MaildirEntry, StoreError> {
        let mut d = self.delivery()?;
        d.write_all(bytes)
            .map_err(StoreError::io("write", self.root.join("tmp")))?;
        d.commit(flags)
    }

    /// Lists every message in new/ and cur/ (dot files and tmp/ are ignored). No two
    /// entries share a unique name: a second file with a taken name is renamed to a
    /// fresh one (a second link to the same file, left by an interrupted rename, is
    /// removed instead).
    pub fn list(&self) -> Result<Vec<MaildirEntry>, StoreError> {
        let mut found = Vec::new();
        for subdir in [Subdir::New, Subdir::Cur] {
            let dir = self.subdir_path(subdir);
            let rd = fs::read_dir(&dir).map_err(StoreError::io("read directory", &dir))?;
            for ent in rd {
                let ent = ent.map_err(StoreError::io("read directory", &dir))?;
                let name = names::encode(&ent.file_name());
                if name.starts_with('.') {
                    continue;
                }
                found.push((MaildirEntry::from_file_name(&name, subdir), ent.ino()));
            }
        }
        // cur/ before new/, then by name: the file that keeps a contested name is the
        // same one on every run.
        found.sort_by(|a, b| (a.0.subdir, &a.0.file_name).cmp(&(b.0.subdir, &b.0.file_name)));
        let mut by_inode: HashMap<u64, PathBuf> = HashMap::with_capacity(found.len());
        let mut by_id: HashMap<String, PathBuf> = HashMap::with_capacity(found.len());
        let mut out = Vec::with_capacity(found.len());
        for (e, ino) in found {
            let path = self.file_path(&e);
            // A second link to one file (an interrupted link-then-unlink) is not a
            // second message: drop the extra name.
            if let Some(first) = by_inode.get(&ino)
                && same_file(first, &path)
            {
                remove_if_present(&path)?;
                fsync_dir(&self.subdir_path(e.subdir))?;
                continue;
            }
            by_inode.insert(ino, path.clone());
            if !by_id.contains_key(&e.id.0) {
                by_id.insert(e.id.0.clone(), path);
                out.push(e);
                continue;
            }
            if fs::symlink_metadata(&path).is_err() {
                continue; // gone meanwhile (another program deleted it)
            }
            let renamed = self.move_off_taken_name(&e, &path)?;
            by_id.insert(renamed.id.0.clone(), self.file_path(&renamed));
            out.push(renamed);
        }
        Ok(out)
    }

    /// Gives the file of `e` a fresh unique name in the same subdir (link, unlink).
    fn move_off_taken_name(
        &self,
        e: &MaildirEntry,
        path: &Path,
    ) -> Result<MaildirEntry, StoreError> {
        let fresh = fresh_id(path);
        let new = match self.link_into(path, e.subdir, &fresh.0, e.suffix(), false)? {
            Some(n) => n,
            None => self.rename_into(path, e.subdir, &fresh.0, e.suffix())?,
        };
        remove_if_present(path)?;
        fsync_dir(&self.subdir_path(e.subdir))?;
        Ok(new)
    }

    /// Finds a message by id, trying the remembered file name first.
    pub fn locate(&self, id: &LocalId, hint: Option<&str>) -> Result<MaildirEntry, StoreError> {
        if let Some(h) = hint {
            for subdir in [Subdir::Cur, Subdir::New] {
                let e = MaildirEntry::from_file_name(h, subdir);
                if e.id == *id && self.file_path(&e).exists() {
                    return Ok(e);
                }
            }
        }
        // Without a usable hint: the name in new/ is the id itself; in cur/ it is the id
        // and a suffix, found by one pass over the names (no full listing, which sorts
        // and resolves collisions: too slow to open one message in a large folder).
        let plain = MaildirEntry::from_file_name(&id.0, Subdir::New);
        if plain.id == *id && self.file_path(&plain).exists() {
            return Ok(plain);
        }
        let cur = self.subdir_path(Subdir::Cur);
        if let Ok(rd) = fs::read_dir(&cur) {
            let prefix = format!("{}:", id.0);
            for ent in rd.flatten() {
                let name = names::encode(&ent.file_name());
                if name.starts_with(&prefix) {
                    let e = MaildirEntry::from_file_name(&name, Subdir::Cur);
                    if e.id == *id {
                        return Ok(e);
                    }
                }
            }
        }
        self.list()?
            .into_iter()
            .find(|e| e.id == *id)
            .ok_or_else(|| StoreError::NotFound {
                path: self.root.clone(),
                id: id.0.clone(),
            })
    }

    pub fn read(&self, e: &MaildirEntry) -> Result<Vec<u8>, StoreError> {
        let p = self.file_path(e);
        fs::read(&p).map_err(StoreError::io("read", &p))
    }

    /// Opens a message for streaming reads.
    pub fn open_message(&self, e: &MaildirEntry) -> Result<impl Read + use<>, StoreError> {
        let p = self.file_path(e);
        fs::File::open(&p).map_err(StoreError::io("open", &p))
    }

    /// Sets the flags of a message (moving it into cur/, as a client that has seen it).
    /// Link then unlink: if another file already has the target name, the message takes
    /// a fresh unique name (use the returned entry's id).
    pub fn set_flags(&self, e: &MaildirEntry, flags: Flags) -> Result<MaildirEntry, StoreError> {
        let suffix = format!(":2,{}{}", flags.to_maildir(), e.extra_letters());
        let wanted = MaildirEntry::from_file_name(&format!("{}{suffix}", e.id.0), Subdir::Cur);
        if wanted.file_name == e.file_name && e.subdir == Subdir::Cur {
            return Ok(e.clone());
        }
        let from = self.file_path(e);
        let new = match self.link_into(&from, Subdir::Cur, &e.id.0, &suffix, false)? {
            Some(n) => n,
            None => self.rename_into(&from, Subdir::Cur, &e.id.0, &suffix)?,
        };
        self.sync_dir(Subdir::Cur)?;
        remove_if_present(&from)?;
        self.sync_dir(e.subdir)?;
        Ok(new)
    }

    /// Moves a message into another folder, keeping its name and flags when it can.
    /// A hard link then an unlink, so nothing in the destination is ever replaced:
    /// - the destination already holds this very file (a move a kill interrupted
    ///   between link and unlink) or the same bytes under this name (an interrupted
    ///   copy): the move is finished by removing the source;
    /// - it holds a different message under this name: the message gets a fresh unique
    ///   name there (use the returned entry's id);
    /// - across file systems: a durable copy through tmp/, then the removal.
    pub fn move_to(&self, e: &MaildirEntry, dest: &Maildir) -> Result<MaildirEntry, StoreError> {
        let from = self.file_path(e);
        let moved = match dest.link_into(&from, e.subdir, &e.id.0, e.suffix(), true)? {
            Some(m) => m,
            None => {
                let mut src = fs::File::open(&from).map_err(StoreError::io("open", &from))?;
                let mut d = dest.delivery()?;
                io::copy(&mut src, &mut d).map_err(StoreError::io("copy", &from))?;
                d.commit_as(e.subdir, &e.id.0, e.suffix(), true)?
            }
        };
        dest.sync_dir(moved.subdir)?;
        remove_if_present(&from)?;
        self.sync_dir(e.subdir)?;
        Ok(moved)
    }

    /// Links `from` into `subdir` as `unique` + `suffix`, or under a fresh unique name
    /// if that is taken by another file. `None` when no hard link can be made here.
    /// A name already holding this very file (or, with `same_bytes_is_done`, the same
    /// bytes) counts as done.
    pub(crate) fn link_into(
        &self,
        from: &Path,
        subdir: Subdir,
        unique: &str,
        suffix: &str,
        same_bytes_is_done: bool,
    ) -> Result<Option<MaildirEntry>, StoreError> {
        let mut unique = unique.to_string();
        for attempt in 0..8 {
            let e = MaildirEntry::from_file_name(&format!("{unique}{suffix}"), subdir);
            let to = self.file_path(&e);
            match fs::hard_link(from, &to) {
                Ok(()) => return Ok(Some(e)),
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                    if attempt == 0
                        && (same_file(from, &to)
                            || (same_bytes_is_done && same_bytes(from, &to).unwrap_or(false)))
                    {
                        return Ok(Some(e));
                    }
                    unique = fresh_id(from).0;
                }
                Err(err) if cannot_link(&err) => return Ok(None),
                Err(err) => return Err(StoreError::io("link", &to)(err)),
            }
        }
        Err(StoreError::Invalid {
            path: self.subdir_path(subdir),
            reason: "could not find a free unique name".into(),
        })
    }

    /// For file systems without hard links: a rename after checking the name is free
    /// (only our own tmp/ and flag renames come here).
    pub(crate) fn rename_into(
        &self,
        from: &Path,
        subdir: Subdir,
        unique: &str,
        suffix: &str,
    ) -> Result<MaildirEntry, StoreError> {
        let mut unique = unique.to_string();
        for _ in 0..8 {
            let e = MaildirEntry::from_file_name(&format!("{unique}{suffix}"), subdir);
            let to = self.file_path(&e);
            if fs::symlink_metadata(&to).is_err() {
                fs::rename(from, &to).map_err(StoreError::io("rename", from))?;
                return Ok(e);
            }
            unique = fresh_id(from).0;
        }
        Err(StoreError::Invalid {
            path: self.subdir_path(subdir),
            reason: "could not find a free unique name".into(),
        })
    }

    pub(crate) fn sync_dir(&self, subdir: Subdir) -> Result<(), StoreError> {
        fsync_dir(&self.subdir_path(subdir))
    }

    /// Device and inode of a message file (how recovery recognises a half-done move).
    pub fn file_key(&self, e: &MaildirEntry) -> Option<(u64, u64)> {
        fs::metadata(self.file_path(e))
            .ok()
            .map(|m| (m.dev(), m.ino()))
    }
}
