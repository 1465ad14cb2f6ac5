//! One Maildir folder (cr.yp.to/proto/maildir.html): delivery through tmp/ with fsync,
//! rename and a directory fsync; flags in the `:2,` info suffix; new/ -> cur/ once the
//! message has been seen by a client.

use super::StoreError;
use crate::core::{Flags, LocalId};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static DELIVERY_COUNTER: AtomicU64 = AtomicU64::new(0);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subdir {
    New,
    Cur,
}

impl Subdir {
    fn name(self) -> &'static str {
        match self {
            Subdir::New => "new",
            Subdir::Cur => "cur",
        }
    }
}

/// A message file as found on disk.
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
        self.root.join(e.subdir.name()).join(&e.file_name)
    }

    /// Delivers a message durably: written to tmp/, fsynced, renamed into new/ (no
    /// flags) or cur/ (with flags), and the directory fsynced. Nothing is visible in
    /// new/ or cur/ before the rename.
    pub fn deliver(&self, bytes: &[u8], flags: Flags) -> Result<MaildirEntry, StoreError> {
        let unique = unique_name(bytes.len());
        let tmp = self.root.join("tmp").join(&unique);
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(StoreError::io("create", &tmp))?;
        set_private(&tmp);
        f.write_all(bytes).map_err(StoreError::io("write", &tmp))?;
        f.sync_all().map_err(StoreError::io("fsync", &tmp))?;
        drop(f);
        let (subdir, file_name) = if flags.is_empty() {
            (Subdir::New, unique.clone())
        } else {
            (Subdir::Cur, format!("{unique}:2,{}", flags.to_maildir()))
        };
        let entry = MaildirEntry {
            id: LocalId(unique),
            subdir,
            file_name,
            flags,
        };
        let dest = self.file_path(&entry);
        fs::rename(&tmp, &dest).map_err(StoreError::io("rename into place", &dest))?;
        self.sync_dir(subdir)?;
        Ok(entry)
    }

    /// Lists every message in new/ and cur/ (dot files and tmp/ are ignored).
    pub fn list(&self) -> Result<Vec<MaildirEntry>, StoreError> {
        let mut out = Vec::new();
        for subdir in [Subdir::New, Subdir::Cur] {
            let dir = self.root.join(subdir.name());
            let rd = fs::read_dir(&dir).map_err(StoreError::io("read directory", &dir))?;
            for ent in rd {
                let ent = ent.map_err(StoreError::io("read directory", &dir))?;
                let name = ent.file_name();
                let Some(name) = name.to_str() else { continue };
                if name.starts_with('.') {
                    continue;
                }
                out.push(MaildirEntry::from_file_name(name, subdir));
            }
        }
        Ok(out)
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

    /// Sets the flags of a message (renaming it into cur/, as a client that has seen it).
    pub fn set_flags(&self, e: &MaildirEntry, flags: Flags) -> Result<MaildirEntry, StoreError> {
        let name = format!("{}:2,{}{}", e.id.0, flags.to_maildir(), e.extra_letters());
        let new = MaildirEntry {
            id: e.id.clone(),
            subdir: Subdir::Cur,
            file_name: name,
            flags,
        };
        if new == *e {
            return Ok(new);
        }
        let (from, to) = (self.file_path(e), self.file_path(&new));
        fs::rename(&from, &to).map_err(StoreError::io("rename", &from))?;
        self.sync_dir(Subdir::Cur)?;
        if e.subdir == Subdir::New {
            self.sync_dir(Subdir::New)?;
        }
        Ok(new)
    }

    /// Moves a message into another folder, keeping its unique name and flags. A hard
    /// link then an unlink, so an existing file of the same name in the destination is
    /// never replaced; across file systems a durable copy, then the removal.
    pub fn move_to(&self, e: &MaildirEntry, dest: &Maildir) -> Result<MaildirEntry, StoreError> {
        let from = self.file_path(e);
        let to = dest.file_path(e);
        match fs::hard_link(&from, &to) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(StoreError::Invalid {
                    path: to,
                    reason: "a message with this name is already there; nothing was moved".into(),
                });
            }
            Err(err) if err.raw_os_error() == Some(18) => {
                // EXDEV: copy durably first, remove the original only afterwards.
                let bytes = self.read(e)?;
                let tmp = dest.root.join("tmp").join(&e.file_name);
                write_synced(&tmp, &bytes)?;
                fs::hard_link(&tmp, &to).map_err(StoreError::io("link into place", &to))?;
                fs::remove_file(&tmp).map_err(StoreError::io("remove", &tmp))?;
            }
            Err(err) => {
                return Err(StoreError::Io {
                    op: "move",
                    path: from,
                    source: err,
                });
            }
        }
        dest.sync_dir(e.subdir)?;
        fs::remove_file(&from).map_err(StoreError::io("remove", &from))?;
        self.sync_dir(e.subdir)?;
        Ok(e.clone())
    }

    fn sync_dir(&self, subdir: Subdir) -> Result<(), StoreError> {
        let p = self.root.join(subdir.name());
        File::open(&p)
            .and_then(|d| d.sync_all())
            .map_err(StoreError::io("fsync directory", &p))
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut f = File::create(path).map_err(StoreError::io("create", path))?;
    f.write_all(bytes).map_err(StoreError::io("write", path))?;
    f.sync_all().map_err(StoreError::io("fsync", path))
}

fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { 0o700 } else { 0o600 };
    let _ = fs::set_permissions(path, fs::Permissions::from_mode(mode));
}

/// A unique name as the Maildir spec suggests: time, microseconds, pid, a counter and
/// the host name (with `/` and `:` escaped), plus the size for tools that read `S=`.
fn unique_name(size: usize) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let q = DELIVERY_COUNTER.fetch_add(1, Ordering::Relaxed);
    let host = hostname().replace('/', "\\057").replace(':', "\\072");
    format!(
        "{}.M{}P{}Q{}.{},S={}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        q,
        host,
        size
    )
}

fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
