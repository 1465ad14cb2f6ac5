//! Where `convert` writes: a Maildir (writer threads fed through a bounded queue, one
//! `syncfs` instead of an fsync per message, nothing visible before it is durable), an
//! MH folder (batches), or one mbox/MMDF/Babyl file (a new file renamed into place, or
//! an append under the locks, cut back on failure).
//!
//! Depends only on the store's own types; blocking.

use super::codec;
use super::convert::invalid;
use super::frame::Framing;
use super::lock::{self, MailLock};
use super::mh::MhFolder;
use super::{Mail, MboxVariant};
use crate::store::delivery::{fsync_dir, unique_name};
use crate::store::{Maildir, StoreError};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

/// A message for a Maildir writer: bytes, the tmp path, the final name and subdir.
pub(super) struct Staged {
    bytes: Vec<u8>,
    tmp: PathBuf,
    name: String,
    sub: &'static str,
}

/// What a writer wrote: (tmp path, final name, subdir); on failure, also the error.
type Written = Vec<(PathBuf, String, &'static str)>;
type WorkerResult = (Written, Option<StoreError>);

const WRITERS: usize = 2;

fn writer(rx: Arc<Mutex<mpsc::Receiver<Staged>>>) -> WorkerResult {
    let mut done = Vec::new();
    loop {
        let job = match rx.lock() {
            Ok(r) => r.recv(),
            Err(p) => p.into_inner().recv(),
        };
        let Ok(job) = job else {
            return (done, None);
        };
        let write = || -> io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&job.tmp)?;
            f.write_all(&job.bytes)
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&job.tmp);
            return (done, Some(StoreError::io("write", &job.tmp)(e)));
        }
        done.push((job.tmp, job.name, job.sub));
    }
}

/// Flushes the file system in the background while messages are written, so the
/// final flush has little left to do (the disk works while the CPU does).
pub(super) struct Syncer {
    stop: Option<mpsc::Sender<()>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Syncer {
    fn start(dir: &Path) -> Syncer {
        let (tx, rx) = mpsc::channel::<()>();
        let dir = dir.to_path_buf();
        let handle = std::thread::spawn(move || {
            let Ok(d) = File::open(&dir) else { return };
            while let Err(mpsc::RecvTimeoutError::Timeout) =
                rx.recv_timeout(std::time::Duration::from_millis(500))
            {
                let _ = rustix::fs::syncfs(&d);
            }
        });
        Syncer {
            stop: Some(tx),
            handle: Some(handle),
        }
    }

    fn stop(mut self) {
        self.stop.take();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Where converted messages go.
pub(super) enum Sink {
    /// Writers on their own threads (file creation is kernel time; two cores are
    /// better than one), fed through a bounded queue.
    Maildir {
        md: Maildir,
        tx: Option<mpsc::SyncSender<Staged>>,
        workers: Vec<std::thread::JoinHandle<WorkerResult>>,
        /// (staging directory, final name) when the Maildir is new.
        staging: Option<(PathBuf, PathBuf)>,
        syncer: Syncer,
    },
    Mh {
        folder: MhFolder,
        batch: Vec<Mail>,
    },
    Single {
        path: PathBuf,
        framing: Framing,
        variant: MboxVariant,
        out: BufWriter<File>,
        /// A new file's temporary name (renamed into place at the end), or None when
        /// appending to an existing file (under its locks, from `size` on).
        tmp: Option<PathBuf>,
        size: u64,
        lock: Option<MailLock>,
        first: bool,
        buf: Vec<u8>,
    },
}

impl Sink {
    /// A Maildir writer. A new Maildir is built whole next to its name and renamed into
    /// place at the end (one rename instead of one per message); an existing one gets
    /// each message through its tmp/.
    pub(super) fn maildir(p: &Path) -> Result<Sink, StoreError> {
        let staging = (!p.exists()).then(|| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            (
                dir.join(format!(".{name}.posthorn-{}", std::process::id())),
                p.to_path_buf(),
            )
        });
        if let Some((s, _)) = &staging {
            let _ = fs::remove_dir_all(s);
        }
        let md = Maildir::create(staging.as_ref().map_or(p, |(s, _)| s.as_path()))?;
        let syncer = Syncer::start(md.path());
        let (tx, rx) = mpsc::sync_channel(64);
        let rx = Arc::new(Mutex::new(rx));
        let n = std::thread::available_parallelism().map_or(WRITERS, |n| n.get().clamp(1, 4));
        let workers = (0..n)
            .map(|_| {
                let rx = rx.clone();
                std::thread::spawn(move || writer(rx))
            })
            .collect();
        Ok(Sink::Maildir {
            md,
            tx: Some(tx),
            workers,
            staging,
            syncer,
        })
    }

    /// An MH writer (messages added in batches).
    pub(super) fn mh(m: &MhFolder) -> Result<Sink, StoreError> {
        m.create()?;
        Ok(Sink::Mh {
            folder: m.clone(),
            batch: Vec::new(),
        })
    }

    /// A writer of one mbox, MMDF or Babyl file: a new file next to its name, renamed
    /// into place at the end; an existing one appended to under its locks.
    pub(super) fn single(
        path: &Path,
        framing: Framing,
        variant: MboxVariant,
    ) -> Result<Sink, StoreError> {
        let exists = path.exists();
        if exists && fs::metadata(path).is_ok_and(|m| m.len() > 0) {
            let mut f = OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .map_err(StoreError::io("open for writing", path))?;
            let lock = MailLock::acquire(path, &f, lock::WAIT)?;
            let size = f
                .seek(SeekFrom::End(0))
                .map_err(StoreError::io("seek", path))?;
            let mut tail = [0u8; 6];
            let t = size.min(6) as usize;
            std::os::unix::fs::FileExt::read_exact_at(&f, &mut tail[..t], size - t as u64)
                .map_err(StoreError::io("read", path))?;
            let buf = super::single::closing(framing, &tail[..t]);
            let mut out = BufWriter::with_capacity(1 << 20, f);
            out.write_all(buf).map_err(StoreError::io("write", path))?;
            return Ok(Sink::Single {
                path: path.to_path_buf(),
                framing,
                variant,
                out,
                tmp: None,
                size,
                lock: Some(lock),
                first: false,
                buf: Vec::new(),
            });
        }
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(StoreError::io("create directory", dir))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.posthorn-{}", std::process::id()));
        let f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(StoreError::io("create", &tmp))?;
        Ok(Sink::Single {
            path: path.to_path_buf(),
            framing,
            variant,
            out: BufWriter::with_capacity(1 << 20, f),
            tmp: Some(tmp),
            size: 0,
            lock: None,
            first: true,
            buf: Vec::new(),
        })
    }

    pub(super) fn put(&mut self, mail: Mail) -> Result<(), StoreError> {
        match self {
            Sink::Maildir {
                md, tx, staging, ..
            } => {
                let bytes = match codec::plain(&mail.bytes) {
                    std::borrow::Cow::Borrowed(_) => mail.bytes,
                    std::borrow::Cow::Owned(o) => o,
                };
                let base = format!("{},S={}", unique_name(None), bytes.len());
                let (name, sub) = if mail.flags.is_empty() {
                    (base.clone(), "new")
                } else {
                    (format!("{base}:2,{}", mail.flags.to_maildir()), "cur")
                };
                // Into a new Maildir: straight to the final name (nothing is visible
                // before the whole directory is renamed into place).
                let tmp = match staging {
                    Some(_) => md.path().join(sub).join(&name),
                    None => md.path().join("tmp").join(&base),
                };
                let job = Staged {
                    bytes,
                    tmp,
                    name,
                    sub,
                };
                match tx.as_ref().map(|t| t.send(job)) {
                    Some(Ok(())) => Ok(()),
                    // A writer failed: `finish` reports why.
                    _ => Err(invalid(md.path(), "a writer stopped")),
                }
            }
            Sink::Mh { folder, batch } => {
                batch.push(mail);
                if batch.len() >= 500 {
                    folder.add(batch)?;
                    batch.clear();
                }
                Ok(())
            }
            Sink::Single {
                path,
                framing,
                variant,
                out,
                first,
                buf,
                ..
            } => {
                buf.clear();
                if *first && *framing == Framing::Babyl {
                    buf.extend_from_slice(codec::babyl_prefix());
                }
                *first = false;
                match framing {
                    Framing::Mbox => codec::encode_mbox(&mail, *variant, buf),
                    Framing::Mmdf => codec::encode_mmdf(&mail, buf),
                    Framing::Babyl => codec::encode_babyl(&mail, buf),
                }
                out.write_all(buf).map_err(StoreError::io("write", &**path))
            }
        }
    }

    /// Makes everything written durable and visible.
    pub(super) fn finish(self) -> Result<(), StoreError> {
        match self {
            Sink::Maildir {
                md,
                mut tx,
                workers,
                staging,
                syncer,
            } => {
                tx.take();
                let mut staged = Vec::new();
                let mut failed = None;
                for w in workers {
                    match w.join() {
                        Ok((done, err)) => {
                            staged.extend(done);
                            failed = failed.or(err);
                        }
                        Err(_) => {
                            failed = failed.or(Some(invalid(md.path(), "a writer crashed")));
                        }
                    }
                }
                syncer.stop();
                if let Some(e) = failed {
                    match &staging {
                        Some((s, _)) => {
                            let _ = fs::remove_dir_all(s);
                        }
                        None => {
                            for (tmp, ..) in staged {
                                let _ = fs::remove_file(tmp);
                            }
                        }
                    }
                    return Err(e);
                }
                // One flush of the whole file system instead of one fsync per message.
                let tmp = md.path().join("tmp");
                let d = File::open(&tmp).map_err(StoreError::io("open", &tmp))?;
                rustix::fs::syncfs(&d)
                    .map_err(|e| StoreError::io("sync", &tmp)(io::Error::from(e)))?;
                if let Some((s, to)) = &staging {
                    for sub in ["new", "cur", "tmp", ""] {
                        fsync_dir(&s.join(sub))?;
                    }
                    // Fails if something appeared at the name meanwhile: never replaced.
                    rustix::fs::renameat_with(
                        rustix::fs::CWD,
                        s,
                        rustix::fs::CWD,
                        to,
                        rustix::fs::RenameFlags::NOREPLACE,
                    )
                    .map_err(|e| {
                        let _ = fs::remove_dir_all(s);
                        StoreError::io("rename", to)(io::Error::from(e))
                    })?;
                    if let Some(parent) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
                        fsync_dir(parent)?;
                    }
                    return Ok(());
                }
                for (from, name, sub) in &staged {
                    let to = md.path().join(sub).join(name);
                    // Names are unique (pid, counter); never replace a file anyway.
                    rustix::fs::renameat_with(
                        rustix::fs::CWD,
                        from,
                        rustix::fs::CWD,
                        &to,
                        rustix::fs::RenameFlags::NOREPLACE,
                    )
                    .map_err(|e| StoreError::io("rename", from)(io::Error::from(e)))?;
                }
                fsync_dir(&md.path().join("new"))?;
                fsync_dir(&md.path().join("cur"))?;
                fsync_dir(&tmp)
            }
            Sink::Mh { folder, batch } => {
                if !batch.is_empty() {
                    folder.add(&batch)?;
                }
                Ok(())
            }
            Sink::Single {
                path,
                framing,
                out,
                tmp,
                size,
                lock,
                first,
                ..
            } => {
                let mut f = out
                    .into_inner()
                    .map_err(|e| StoreError::io("write", &path)(e.into_error()))?;
                if first && framing == Framing::Babyl && tmp.is_some() {
                    f.write_all(codec::babyl_prefix())
                        .map_err(StoreError::io("write", &path))?;
                }
                if let Err(e) = f.sync_all() {
                    if tmp.is_none() {
                        let _ = f.set_len(size);
                    }
                    return Err(StoreError::io("fsync", &path)(e));
                }
                if let Some(tmp) = tmp {
                    if path.exists() && fs::metadata(&path).is_ok_and(|m| m.len() > 0) {
                        let _ = fs::remove_file(&tmp);
                        return Err(invalid(
                            &path,
                            "another program created this file meanwhile; nothing was replaced",
                        ));
                    }
                    let _ = fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600));
                    fs::rename(&tmp, &path).map_err(StoreError::io("rename", &tmp))?;
                    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        fsync_dir(dir)?;
                    }
                }
                drop(lock);
                Ok(())
            }
        }
    }

    /// After a failure: nothing half-done stays visible.
    pub(super) fn abandon(self) {
        match self {
            Sink::Maildir {
                mut tx,
                workers,
                staging,
                syncer,
                ..
            } => {
                tx.take();
                syncer.stop();
                for w in workers {
                    if let Ok((done, _)) = w.join() {
                        for (tmp, ..) in done {
                            let _ = fs::remove_file(tmp);
                        }
                    }
                }
                if let Some((s, _)) = staging {
                    let _ = fs::remove_dir_all(s);
                }
            }
            Sink::Mh { .. } => {}
            Sink::Single { out, tmp, size, .. } => {
                if let Ok(f) = out.into_inner() {
                    match &tmp {
                        Some(t) => {
                            let _ = fs::remove_file(t);
                        }
                        None => {
                            let _ = f.set_len(size);
                        }
                    }
                }
            }
        }
    }
}
