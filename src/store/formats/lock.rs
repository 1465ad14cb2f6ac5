//! Locking a mailbox the way Python's `mailbox` (and procmail, mutt, Postfix `local`)
//! do, so that posthorn and a delivering program never write at once: an exclusive
//! `fcntl` lock (what Python's `lockf` takes), an exclusive `flock` (what Dovecot and
//! mutt may use instead; on Linux the two are independent), and a dot-lock: a unique
//! file `NAME.lock.TIME.HOST.PID` hard-linked to `NAME.lock`, which fails if another
//! program holds it (link is atomic even on NFS).
//!
//! Every attempt is non-blocking; when something is held, everything taken is let go
//! and the whole set is tried again after a pause, so two programs that take the locks
//! in another order never deadlock. A dot-lock older than procmail's default
//! `LOCKTIMEOUT` (1024 s) is taken as left behind by a crash and removed. In a
//! directory we may not write in, there is no dot-lock (as in Python).
//!
//! Depends on rustix for the two lock calls (no unsafe code); blocking.

use crate::store::StoreError;
use rustix::fs::FlockOperation;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// How long to keep trying before saying the mailbox is locked.
pub const WAIT: Duration = Duration::from_secs(10);
/// A dot-lock older than this is stale (procmail's LOCKTIMEOUT).
pub const STALE: Duration = Duration::from_secs(1024);

/// Held locks on one mailbox file; dropping it lets them go.
pub struct MailLock {
    dotlock: Option<PathBuf>,
    file: File,
}

impl MailLock {
    /// Locks `path` (open as `file`, read-write), trying for up to `wait`.
    pub fn acquire(path: &Path, file: &File, wait: Duration) -> Result<MailLock, StoreError> {
        let file = file.try_clone().map_err(StoreError::io("lock", path))?;
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(5);
        loop {
            match try_all(path, &file) {
                Ok(dotlock) => return Ok(MailLock { dotlock, file }),
                Err(Held(what)) => {
                    if Instant::now() >= deadline {
                        return Err(StoreError::Invalid {
                            path: path.to_path_buf(),
                            reason: format!(
                                "the mailbox is locked by another program ({what}); nothing was changed, try again"
                            ),
                        });
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
            }
        }
    }
}

impl Drop for MailLock {
    fn drop(&mut self) {
        if let Some(d) = self.dotlock.take() {
            let _ = fs::remove_file(d);
        }
        let _ = rustix::fs::fcntl_lock(&self.file, FlockOperation::Unlock);
        let _ = rustix::fs::flock(&self.file, FlockOperation::Unlock);
    }
}

struct Held(String);

fn try_all(path: &Path, file: &File) -> Result<Option<PathBuf>, Held> {
    let busy =
        |e: rustix::io::Errno, what: &str| Held(format!("{what} on {}: {e}", path.display()));
    rustix::fs::fcntl_lock(file, FlockOperation::NonBlockingLockExclusive)
        .map_err(|e| busy(e, "fcntl lock"))?;
    if let Err(e) = rustix::fs::flock(file, FlockOperation::NonBlockingLockExclusive) {
        let _ = rustix::fs::fcntl_lock(file, FlockOperation::Unlock);
        return Err(busy(e, "flock"));
    }
    match dotlock(path) {
        Ok(d) => Ok(d),
        Err(h) => {
            let _ = rustix::fs::flock(file, FlockOperation::Unlock);
            let _ = rustix::fs::fcntl_lock(file, FlockOperation::Unlock);
            Err(h)
        }
    }
}

/// The dot-lock file of a mailbox.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(".lock");
    PathBuf::from(s)
}

fn dotlock(path: &Path) -> Result<Option<PathBuf>, Held> {
    let lock = lock_path(path);
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let mut pre = lock.as_os_str().to_os_string();
    pre.push(format!(".{now}.{}.{}", hostname(), std::process::id()));
    let pre = PathBuf::from(pre);
    match OpenOptions::new().write(true).create_new(true).open(&pre) {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            // No write access to the directory: no dot-lock (Python does the same).
            return Ok(None);
        }
        Err(e) => return Err(Held(format!("cannot create {}: {e}", pre.display()))),
    }
    let linked = fs::hard_link(&pre, &lock);
    let _ = fs::remove_file(&pre);
    match linked {
        Ok(()) => Ok(Some(lock)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let age = fs::metadata(&lock)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok());
            if age.is_some_and(|a| a > STALE) {
                let _ = fs::remove_file(&lock);
            }
            Err(Held(format!("dot-lock {} exists", lock.display())))
        }
        Err(e) => Err(Held(format!("cannot link {}: {e}", lock.display()))),
    }
}

fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().replace(['/', '.'], "_"))
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_dot_lock_blocks_and_a_released_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("box");
        fs::write(&p, b"").unwrap();
        let f = OpenOptions::new().read(true).write(true).open(&p).unwrap();
        fs::write(lock_path(&p), b"").unwrap();
        let err = MailLock::acquire(&p, &f, Duration::from_millis(30))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("box.lock exists"), "{err}");
        fs::remove_file(lock_path(&p)).unwrap();
        let held = MailLock::acquire(&p, &f, Duration::from_millis(30)).unwrap();
        assert!(lock_path(&p).exists());
        drop(held);
        assert!(!lock_path(&p).exists());
        // No pre-lock files left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
