//! A folder that is one file (mbox, MMDF, Babyl): its table of contents, reading one
//! message by its locator, and the two ways it is written.
//!
//! - Changes (flags, removals) are written the way Python's `mailbox` flushes: under
//!   the locks of `lock`, to a new file next to it (`.NAME.posthorn-PID-N`), fsynced,
//!   given the old file's permissions, and renamed into place; the directory is fsynced.
//!   Unchanged records are copied by the kernel (copy_file_range), changed ones differ
//!   only in their flag fields or label line.
//! - New messages are appended in place under the same locks, as every MDA and
//!   Python's `add` do (rewriting 1 GB to add one message would be absurd); the file is
//!   fsynced, and cut back to its old size if the write fails.
//!
//! Before either, the file is compared with the `Stamp` (device, inode, size, mtime)
//! its table of contents was made from: a file another program changed (an MDA
//! appended mail, mutt rewrote it) is scanned again first, so nothing it wrote is ever
//! overwritten, and operations find their messages by id in the fresh table. Just
//! before the rename the stamp is checked once more (a writer that ignores locks).

use super::codec::{self, ReadPref};
use super::frame::{Framing, Piece, PieceKind, Scanner};
use super::header::IdAssigner;
use super::lock::{self, MailLock};
use super::{Mail, MboxVariant, Problem};
use crate::core::{FlagOp, Flags};
use crate::store::StoreError;
use crate::store::delivery::fsync_dir;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// What a file was when it was read: a different stamp means another program changed it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamp {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i64,
}

impl Stamp {
    pub fn of(m: &fs::Metadata) -> Stamp {
        Stamp {
            dev: m.dev(),
            ino: m.ino(),
            size: m.len(),
            mtime_ns: m.mtime() * 1_000_000_000 + m.mtime_nsec(),
        }
    }

    /// The same file, only longer (new mail appended).
    pub fn grew_from(&self, old: &Stamp) -> bool {
        self.dev == old.dev && self.ino == old.ino && self.size > old.size
    }
}

/// Where a message of a single file is: its record's offset and length. In the index
/// as `OFFSET+LENGTH`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Locator {
    pub start: u64,
    pub len: u64,
}

impl std::fmt::Display for Locator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}+{}", self.start, self.len)
    }
}

impl Locator {
    pub fn parse(s: &str) -> Option<Locator> {
        let (a, b) = s.split_once('+')?;
        Some(Locator {
            start: a.parse().ok()?,
            len: b.parse().ok()?,
        })
    }
}

/// One message of the table of contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TocMessage {
    pub id: String,
    pub hash: u64,
    pub loc: Locator,
    pub flags: Flags,
}

/// A file's pieces in order (messages, Babyl's options block, junk kept as it is).
#[derive(Clone, Debug, Default)]
pub struct Toc {
    pub stamp: Stamp,
    pub pieces: Vec<Piece>,
    /// The messages, in file order (each is also one of `pieces`).
    pub messages: Vec<TocMessage>,
    pub problems: Vec<Problem>,
}

impl Toc {
    pub fn find(&self, id: &str) -> Option<&TocMessage> {
        self.messages.iter().find(|m| m.id == id)
    }
}

/// What to change in a file, by message id: flag operations (applied to the flags
/// the message has in the file when it is written) and removals.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    pub flags: HashMap<String, FlagOp>,
    pub remove: Vec<String>,
}

impl Changes {
    fn new_flags(&self, m: &TocMessage) -> Option<Flags> {
        let f = m.flags.apply(*self.flags.get(&m.id)?);
        (f != m.flags).then_some(f)
    }
}

/// The outcome of a rewrite or an append.
#[derive(Clone, Debug)]
pub struct Written {
    pub toc: Toc,
    /// Ids that changed (a duplicate renumbered after a removal): (old, new).
    pub renamed: Vec<(String, String)>,
    /// The messages appended (for an append), in order.
    pub added: Vec<TocMessage>,
    /// Messages that were there before and now have another locator or other flags
    /// (under their new id).
    pub relocated: Vec<TocMessage>,
    /// The file had been changed by another program and was scanned again first.
    pub reloaded: bool,
    /// The stamp of the file the change was made on (if it is the one the index was
    /// last brought up to date with, the index is still in step after recording it).
    pub before: Stamp,
}

#[derive(Clone, Debug)]
pub struct SingleFile {
    path: PathBuf,
    framing: Framing,
    pref: ReadPref,
    /// The variant new mbox messages are written in.
    write_variant: MboxVariant,
}

/// What to write after a file's last bytes `tail` before a new record: the separator
/// the last record lacks (a cut-off one is closed), or a new Babyl file's options block.
pub fn closing(framing: Framing, tail: &[u8]) -> &'static [u8] {
    let empty = tail.is_empty();
    match framing {
        Framing::Mbox if empty || tail.ends_with(b"\n\n") => b"",
        Framing::Mbox if tail.ends_with(b"\n") => b"\n",
        Framing::Mbox => b"\n\n",
        Framing::Mmdf if empty || tail.ends_with(b"\x01\x01\x01\x01\n") => b"",
        Framing::Mmdf if tail.ends_with(b"\n") => b"\x01\x01\x01\x01\n",
        Framing::Mmdf => b"\n\x01\x01\x01\x01\n",
        Framing::Babyl if empty => codec::babyl_prefix(),
        Framing::Babyl if tail.ends_with(b"\x1f") || tail.ends_with(b"\x1f\n") => b"",
        Framing::Babyl => b"\n\x1f",
    }
}

impl SingleFile {
    /// `variant`: the configured mbox variant (None: mboxrd for writing, the file's own
    /// quoting detected for reading).
    pub fn new(path: impl Into<PathBuf>, framing: Framing, variant: Option<MboxVariant>) -> Self {
        SingleFile {
            path: path.into(),
            framing,
            pref: ReadPref { variant },
            write_variant: variant.unwrap_or(MboxVariant::Mboxrd),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn framing(&self) -> Framing {
        self.framing
    }

    pub fn pref(&self) -> ReadPref {
        self.pref
    }

    pub fn stamp(&self) -> Result<Stamp, StoreError> {
        fs::metadata(&self.path)
            .map(|m| Stamp::of(&m))
            .map_err(StoreError::io("stat", &self.path))
    }

    /// Creates the file for a new folder (a Babyl file gets its options block).
    pub fn create(&self) -> Result<(), StoreError> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(StoreError::io("create directory", dir))?;
        }
        let mut f = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&self.path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
            Err(e) => return Err(StoreError::io("create", &self.path)(e)),
        };
        if self.framing == Framing::Babyl {
            f.write_all(codec::babyl_prefix())
                .map_err(StoreError::io("write", &self.path))?;
        }
        f.sync_all().map_err(StoreError::io("fsync", &self.path))?;
        if let Some(dir) = self.path.parent() {
            fsync_dir(dir)?;
        }
        Ok(())
    }

    /// Reads the whole table of contents (headers only; one pass, bounded memory).
    pub fn toc(&self) -> Result<Toc, StoreError> {
        let f = File::open(&self.path).map_err(StoreError::io("open", &self.path))?;
        self.toc_of(f)
    }

    fn toc_of(&self, f: File) -> Result<Toc, StoreError> {
        let meta = f.metadata().map_err(StoreError::io("stat", &self.path))?;
        let stamp = Stamp::of(&meta);
        let mut sc = Scanner::open(f, self.framing, 0, stamp.size, false);
        let mut toc = Toc {
            stamp,
            ..Default::default()
        };
        let mut ids = IdAssigner::default();
        while let Some(p) = sc
            .next_piece()
            .map_err(StoreError::io("read", &self.path))?
        {
            toc.pieces.push(p);
            if p.kind == PieceKind::Message {
                let info = codec::head_info(self.framing, sc.head());
                toc.messages.push(TocMessage {
                    id: ids.assign(info.hash),
                    hash: info.hash,
                    loc: Locator {
                        start: p.start,
                        len: p.len,
                    },
                    flags: info.flags,
                });
            }
        }
        toc.problems = sc.problems;
        Ok(toc)
    }

    /// The record at `loc`, if it still holds the message `id` (else None: the file
    /// changed, scan it again).
    pub fn read_at(&self, loc: Locator, id: &str) -> Result<Option<Mail>, StoreError> {
        let f = File::open(&self.path).map_err(StoreError::io("open", &self.path))?;
        let size = f
            .metadata()
            .map_err(StoreError::io("stat", &self.path))?
            .len();
        if loc.start.saturating_add(loc.len) > size {
            return Ok(None);
        }
        let mut rec = vec![0u8; loc.len as usize];
        f.read_exact_at(&mut rec, loc.start)
            .map_err(StoreError::io("read", &self.path))?;
        let info = codec::head_info(self.framing, &rec);
        let hash = id.split('-').next().unwrap_or(id);
        if format!("{:016x}", info.hash) != hash || !self.starts_record(&rec) {
            return Ok(None);
        }
        Ok(Some(codec::decode(self.framing, &rec, self.pref)))
    }

    fn starts_record(&self, rec: &[u8]) -> bool {
        match self.framing {
            Framing::Mbox => rec.starts_with(b"From "),
            Framing::Mmdf => rec.starts_with(b"\x01\x01\x01\x01"),
            Framing::Babyl => rec.starts_with(b"\x0c"),
        }
    }

    /// Reads message `id`, trying `hint` first and scanning the file when it is stale.
    pub fn read(&self, id: &str, hint: Option<Locator>) -> Result<Mail, StoreError> {
        if let Some(loc) = hint
            && let Some(m) = self.read_at(loc, id)?
        {
            return Ok(m);
        }
        let toc = self.toc()?;
        let m = toc.find(id).ok_or_else(|| StoreError::NotFound {
            path: self.path.clone(),
            id: id.to_string(),
        })?;
        self.read_at(m.loc, id)?
            .ok_or_else(|| StoreError::NotFound {
                path: self.path.clone(),
                id: id.to_string(),
            })
    }

    fn open_rw(&self) -> Result<File, StoreError> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.path)
            .map_err(StoreError::io("open for writing", &self.path))
    }

    /// The table of contents for a write: `known` if the file is still what it was
    /// made from, else a fresh one (`true`).
    fn current(&self, f: &File, known: Option<Toc>) -> Result<(Toc, bool), StoreError> {
        let now = Stamp::of(&f.metadata().map_err(StoreError::io("stat", &self.path))?);
        match known {
            Some(t) if t.stamp == now => Ok((t, false)),
            k => {
                let f2 = f.try_clone().map_err(StoreError::io("open", &self.path))?;
                let toc = self.toc_of(f2)?;
                Ok((toc, k.is_some()))
            }
        }
    }

    /// Applies flag changes and removals (by id) through a new file renamed into
    /// place. Ids not in the file are NotFound (nothing is written then).
    pub fn rewrite(&self, known: Option<Toc>, changes: &Changes) -> Result<Written, StoreError> {
        let mut attempt = 0;
        loop {
            let f = self.open_rw()?;
            let _lock = MailLock::acquire(&self.path, &f, lock::WAIT)?;
            let (toc, reloaded) =
                self.current(&f, if attempt == 0 { known.clone() } else { None })?;
            for id in changes.flags.keys().chain(changes.remove.iter()) {
                if toc.find(id).is_none() {
                    return Err(StoreError::NotFound {
                        path: self.path.clone(),
                        id: id.clone(),
                    });
                }
            }
            let before = toc.stamp;
            let dirty = !changes.remove.is_empty()
                || toc.messages.iter().any(|m| changes.new_flags(m).is_some());
            if !dirty {
                return Ok(Written {
                    toc,
                    renamed: Vec::new(),
                    added: Vec::new(),
                    relocated: Vec::new(),
                    reloaded,
                    before,
                });
            }
            match self.write_new(&f, &toc, changes)? {
                Some((new_toc, renamed)) => {
                    let old: HashMap<u64, &TocMessage> =
                        toc.messages.iter().map(|m| (m.loc.start, m)).collect();
                    let mut by_old_id: HashMap<&str, &TocMessage> = HashMap::new();
                    for m in old.values() {
                        by_old_id.insert(m.id.as_str(), m);
                    }
                    let back: HashMap<&str, &str> = renamed
                        .iter()
                        .map(|(o, n)| (n.as_str(), o.as_str()))
                        .collect();
                    let relocated = new_toc
                        .messages
                        .iter()
                        .filter(|m| {
                            let old_id = back.get(m.id.as_str()).copied().unwrap_or(&m.id);
                            by_old_id
                                .get(old_id)
                                .is_none_or(|o| o.loc != m.loc || o.flags != m.flags)
                        })
                        .cloned()
                        .collect();
                    return Ok(Written {
                        toc: new_toc,
                        renamed,
                        added: Vec::new(),
                        relocated,
                        reloaded,
                        before,
                    });
                }
                // Changed under our locks by a program that ignores them: once more.
                None if attempt == 0 => attempt += 1,
                None => {
                    return Err(StoreError::Invalid {
                        path: self.path.clone(),
                        reason: "another program keeps changing the file without locking it; nothing was changed".into(),
                    });
                }
            }
        }
    }

    /// Writes the new file and renames it into place; None when the old file changed
    /// meanwhile (the new one is removed, nothing replaced).
    #[allow(clippy::type_complexity)]
    fn write_new(
        &self,
        old: &File,
        toc: &Toc,
        changes: &Changes,
    ) -> Result<Option<(Toc, Vec<(String, String)>)>, StoreError> {
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(
            ".{name}.posthorn-{}-{}",
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let result = self.fill_new(old, toc, changes, &tmp);
        let (new_toc, renamed) = match result {
            Ok(x) => x,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        };
        let meta = fs::metadata(&self.path).map_err(StoreError::io("stat", &self.path))?;
        if Stamp::of(&meta) != toc.stamp {
            let _ = fs::remove_file(&tmp);
            return Ok(None);
        }
        let _ = fs::set_permissions(&tmp, fs::Permissions::from_mode(meta.mode() & 0o7777));
        fs::rename(&tmp, &self.path).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            StoreError::io("rename", &tmp)(e)
        })?;
        fsync_dir(dir)?;
        let mut new_toc = new_toc;
        new_toc.stamp = self.stamp()?;
        Ok(Some((new_toc, renamed)))
    }

    #[allow(clippy::type_complexity)]
    fn fill_new(
        &self,
        old: &File,
        toc: &Toc,
        changes: &Changes,
        tmp: &Path,
    ) -> Result<(Toc, Vec<(String, String)>), StoreError> {
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(tmp)
            .map_err(StoreError::io("create", tmp))?;
        let by_start: HashMap<u64, &TocMessage> =
            toc.messages.iter().map(|m| (m.loc.start, m)).collect();
        let mut new = Toc {
            problems: toc.problems.clone(),
            ..Default::default()
        };
        let mut ids = IdAssigner::default();
        let mut renamed = Vec::new();
        let mut pos = 0u64;
        let io_err = |e: io::Error| StoreError::io("write", tmp)(e);
        for p in &toc.pieces {
            let msg = by_start
                .get(&p.start)
                .filter(|_| p.kind == PieceKind::Message);
            if let Some(m) = msg
                && changes.remove.contains(&m.id)
            {
                continue;
            }
            let new_flags = msg.and_then(|m| changes.new_flags(m));
            let len = match new_flags {
                Some(flags) => {
                    let mut rec = vec![0u8; p.len as usize];
                    old.read_exact_at(&mut rec, p.start)
                        .map_err(StoreError::io("read", &self.path))?;
                    let rec = codec::reflag(self.framing, &rec, flags);
                    out.write_all(&rec).map_err(io_err)?;
                    rec.len() as u64
                }
                None => {
                    let mut src = old
                        .try_clone()
                        .map_err(StoreError::io("open", &self.path))?;
                    src.seek(SeekFrom::Start(p.start))
                        .map_err(StoreError::io("read", &self.path))?;
                    let n =
                        io::copy(&mut io::Read::take(&mut src, p.len), &mut out).map_err(io_err)?;
                    if n != p.len {
                        return Err(StoreError::Invalid {
                            path: self.path.clone(),
                            reason: format!(
                                "the file ended at byte {} while copying (it shrank under the lock)",
                                p.start + n
                            ),
                        });
                    }
                    n
                }
            };
            let piece = Piece {
                start: pos,
                len,
                kind: p.kind,
            };
            new.pieces.push(piece);
            if let Some(m) = msg {
                let id = ids.assign(m.hash);
                if id != m.id {
                    renamed.push((m.id.clone(), id.clone()));
                }
                new.messages.push(TocMessage {
                    id,
                    hash: m.hash,
                    loc: Locator { start: pos, len },
                    flags: new_flags.unwrap_or(m.flags),
                });
            }
            pos += len;
        }
        out.sync_all().map_err(StoreError::io("fsync", tmp))?;
        Ok((new, renamed))
    }

    /// Appends messages in place, under the locks (see the module docs).
    pub fn append(&self, known: Option<Toc>, mails: &[Mail]) -> Result<Written, StoreError> {
        if !self.path.exists() {
            self.create()?;
        }
        let mut f = self.open_rw()?;
        let _lock = MailLock::acquire(&self.path, &f, lock::WAIT)?;
        let (mut toc, reloaded) = self.current(&f, known)?;
        let before = toc.stamp;
        let size = toc.stamp.size;
        let mut buf = Vec::new();
        // Close whatever the file ends with, so the new records start cleanly.
        let mut tail = [0u8; 6];
        let t = size.min(6) as usize;
        f.read_exact_at(&mut tail[..t], size - t as u64)
            .map_err(StoreError::io("read", &self.path))?;
        buf.extend_from_slice(closing(self.framing, &tail[..t]));
        let mut ids = IdAssigner::default();
        for m in &toc.messages {
            ids.reserve(&m.id);
        }
        let mut added = Vec::new();
        for mail in mails {
            let start = size + buf.len() as u64;
            match self.framing {
                Framing::Mbox => codec::encode_mbox(mail, self.write_variant, &mut buf),
                Framing::Mmdf => codec::encode_mmdf(mail, &mut buf),
                Framing::Babyl => codec::encode_babyl(mail, &mut buf),
            }
            let rec = &buf[(start - size) as usize..];
            let info = codec::head_info(self.framing, rec);
            let m = TocMessage {
                id: ids.assign(info.hash),
                hash: info.hash,
                loc: Locator {
                    start,
                    len: rec.len() as u64,
                },
                flags: info.flags,
            };
            added.push(m);
        }
        let written = f
            .seek(SeekFrom::Start(size))
            .and_then(|_| f.write_all(&buf))
            .and_then(|()| f.sync_all());
        if let Err(e) = written {
            let _ = f.set_len(size);
            let _ = f.sync_all();
            return Err(StoreError::io("append", &self.path)(e));
        }
        // The separator bytes written before the first record belong to the record
        // that was last (its locator grows), or are junk at the start of the file.
        let sep = added.first().map_or(0, |a| a.loc.start - size);
        let mut relocated = Vec::new();
        if sep > 0 {
            match toc.pieces.last_mut() {
                Some(last) => {
                    last.len += sep;
                    if let Some(m) = toc
                        .messages
                        .last_mut()
                        .filter(|m| m.loc.start == last.start)
                    {
                        m.loc.len += sep;
                        relocated.push(m.clone());
                    }
                }
                None => toc.pieces.push(Piece {
                    start: 0,
                    len: sep,
                    kind: if self.framing == Framing::Babyl {
                        PieceKind::Prefix
                    } else {
                        PieceKind::Junk
                    },
                }),
            }
        }
        for m in &added {
            toc.pieces.push(Piece {
                start: m.loc.start,
                len: m.loc.len,
                kind: PieceKind::Message,
            });
            toc.messages.push(m.clone());
        }
        toc.stamp = Stamp::of(&f.metadata().map_err(StoreError::io("stat", &self.path))?);
        Ok(Written {
            toc,
            renamed: Vec::new(),
            added,
            relocated,
            reloaded,
            before,
        })
    }
}
