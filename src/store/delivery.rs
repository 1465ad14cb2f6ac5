//! Streaming delivery into a Maildir and the no-replace primitives every other write
//! uses. A `Delivery` writes into tmp/ (so a 200 MB message never sits in memory), and
//! `commit` fsyncs it, links it into new/ or cur/ under a unique name that is not taken
//! (never replacing a file), unlinks the tmp name and fsyncs the directory. Dropped
//! uncommitted, it removes its tmp file.
//!
//! Depends only on `core` and the store's own types; blocking, no tokio.

use super::maildir::{Maildir, MaildirEntry, Subdir};
use super::{StoreError, names};
use crate::core::{Flags, LocalId};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static DELIVERY_COUNTER: AtomicU64 = AtomicU64::new(0);

/// How many fresh names to try before giving up (each is unique by pid and counter, so
/// more than one retry means something else is creating our names).
const FRESH_TRIES: usize = 8;

/// A message being written into a Maildir's tmp/.
pub struct Delivery {
    maildir: Maildir,
    tmp: PathBuf,
    base: String,
    file: Option<File>,
    size: u64,
    defer_dir_sync: bool,
}

impl Delivery {
    pub(crate) fn start(maildir: &Maildir) -> Result<Delivery, StoreError> {
        for _ in 0..FRESH_TRIES {
            let base = unique_name(None);
            let tmp = maildir.path().join("tmp").join(names::decode(&base));
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(file) => {
                    set_private(&tmp);
                    return Ok(Delivery {
                        maildir: maildir.clone(),
                        tmp,
                        base,
                        file: Some(file),
                        size: 0,
                        defer_dir_sync: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(StoreError::io("create", &tmp)(e)),
            }
        }
        Err(StoreError::Invalid {
            path: maildir.path().join("tmp"),
            reason: "could not find a free name in tmp/".into(),
        })
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Makes the message durable and visible: new/ without flags, cur/ with them.
    pub fn commit(self, flags: Flags) -> Result<MaildirEntry, StoreError> {
        let unique = format!("{},S={}", self.base, self.size);
        let (subdir, suffix) = if flags.is_empty() {
            (Subdir::New, String::new())
        } else {
            (Subdir::Cur, format!(":2,{}", flags.to_maildir()))
        };
        self.commit_as(subdir, &unique, &suffix, false)
    }

    /// Commits under `unique` + `suffix` if that name is free; if it is taken by a file
    /// with the same bytes (and `same_bytes_is_done`), that file is the result; else a
    /// fresh unique name.
    pub(crate) fn commit_as(
        mut self,
        subdir: Subdir,
        unique: &str,
        suffix: &str,
        same_bytes_is_done: bool,
    ) -> Result<MaildirEntry, StoreError> {
        if let Some(mut f) = self.file.take() {
            f.flush().map_err(StoreError::io("write", &self.tmp))?;
            f.sync_all().map_err(StoreError::io("fsync", &self.tmp))?;
        }
        let placed =
            self.maildir
                .link_into(&self.tmp, subdir, unique, suffix, same_bytes_is_done)?;
        let defer = self.defer_dir_sync;
        let entry = match placed {
            Some(e) => e,
            // No hard links here: a checked rename (the tmp name is ours alone).
            None => self
                .maildir
                .rename_into(&self.tmp, subdir, unique, suffix)?,
        };
        remove_if_present(&self.tmp)?;
        if !defer {
            self.maildir.sync_dir(subdir)?;
        }
        Ok(entry)
    }

    /// Makes the bytes durable now (the commit then only links and renames).
    pub(crate) fn fsync(&mut self) -> Result<(), StoreError> {
        if let Some(mut f) = self.file.take() {
            f.flush().map_err(StoreError::io("write", &self.tmp))?;
            f.sync_all().map_err(StoreError::io("fsync", &self.tmp))?;
        }
        Ok(())
    }

    /// The commit leaves the directory fsync to the caller (a batch does it once).
    pub(crate) fn defer_dir_sync(&mut self) {
        self.defer_dir_sync = true;
    }
}

impl Write for Delivery {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let f = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("delivery already committed"))?;
        let n = f.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        // After a commit the tmp name is already gone; before it, nothing may stay.
        let _ = fs::remove_file(&self.tmp);
    }
}

/// Errors that mean "no hard link possible here": another file system (EXDEV), or one
/// without hard links (EPERM, EMLINK, EOPNOTSUPP).
pub(crate) fn cannot_link(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(18 | 1 | 31 | 95))
}

/// Both paths name the same file (device and inode).
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// Both files hold the same bytes (compared in chunks, never whole in memory).
pub(crate) fn same_bytes(a: &Path, b: &Path) -> io::Result<bool> {
    use std::io::Read;
    let (ma, mb) = (fs::metadata(a)?, fs::metadata(b)?);
    if ma.len() != mb.len() {
        return Ok(false);
    }
    let (mut fa, mut fb) = (File::open(a)?, File::open(b)?);
    let (mut ba, mut bb) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let n = read_full(&mut fa, &mut ba)?;
        let m = read_full(&mut fb, &mut bb)?;
        if n != m || ba[..n] != bb[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
    fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            match f.read(&mut buf[got..])? {
                0 => break,
                n => got += n,
            }
        }
        Ok(got)
    }
}

/// Removes a file; a file that is already gone is fine (an interrupted earlier try, or a
/// rename fallback that already moved it).
pub(crate) fn remove_if_present(p: &Path) -> Result<(), StoreError> {
    match fs::remove_file(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io("remove", p)(e)),
    }
}

pub(crate) fn fsync_dir(p: &Path) -> Result<(), StoreError> {
    File::open(p)
        .and_then(|d| d.sync_all())
        .map_err(StoreError::io("fsync directory", p))
}

pub(crate) fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { 0o700 } else { 0o600 };
    let _ = fs::set_permissions(path, fs::Permissions::from_mode(mode));
}

/// A unique name as the Maildir spec suggests: time, microseconds, pid, a counter and
/// the host name (with `/` and `:` escaped), plus the size for tools that read `S=`.
pub(crate) fn unique_name(size: Option<u64>) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let q = DELIVERY_COUNTER.fetch_add(1, Ordering::Relaxed);
    let host = hostname().replace('/', "\\057").replace(':', "\\072");
    let base = format!(
        "{}.M{}P{}Q{}.{}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        q,
        host
    );
    match size {
        Some(s) => format!("{base},S={s}"),
        None => base,
    }
}

/// A fresh entry id for a file that must move off a taken unique name.
pub(crate) fn fresh_id(path: &Path) -> LocalId {
    LocalId(unique_name(fs::metadata(path).ok().map(|m| m.len())))
}

/// Read once per process: a bulk delivery names thousands of files.
fn hostname() -> String {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "localhost".into())
    })
    .clone()
}
