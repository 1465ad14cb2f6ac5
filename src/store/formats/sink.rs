//! Where `convert` writes: a Maildir (writer threads fed batches of raw records through
//! a bounded queue and decoding them there; one `syncfs` instead of an fsync per
//! message; nothing visible before it is durable), an MH folder (batches), or one mbox/MMDF/Babyl file (a new file renamed into place, or
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

/// Where a Maildir writer puts messages: straight into new/ and cur/ of a staging
/// Maildir (renamed into place whole at the end), or through tmp/ of an existing one.
#[derive(Clone)]
struct Target {
    root: PathBuf,
    staged: bool,
}

/// A message for a Maildir writer: decoded, or still the raw record of a single-file
/// mailbox (decoded on the writer's thread, off the reading one).
pub(super) enum Item {
    Mail(Mail),
    Record {
        bytes: Vec<u8>,
        framing: Framing,
        pref: codec::ReadPref,
    },
}

impl Item {
    fn len(&self) -> usize {
        match self {
            Item::Mail(m) => m.bytes.len(),
            Item::Record { bytes, .. } => bytes.len(),
        }
    }
}

/// What a writer wrote: (path written, final name, subdir); on failure, also the error.
type Written = Vec<(PathBuf, String, &'static str)>;
type WorkerResult = (Written, Option<StoreError>);

const WRITERS: usize = 2;
/// Messages go to the writers in batches of about this many bytes (or `BATCH_MAILS`
/// messages): one wake-up per batch instead of one per message, which on two cores
/// was a third of the main thread's time.
const BATCH_BYTES: usize = 1 << 20;
const BATCH_MAILS: usize = 64;

/// One message into the Maildir.
fn write_one(t: &Target, item: Item) -> Result<(PathBuf, String, &'static str), StoreError> {
    match item {
        Item::Mail(m) => write_bytes(t, &m.bytes, m.flags),
        Item::Record {
            bytes,
            framing,
            pref,
        } => {
            let d = codec::decode_ref(framing, &bytes, pref);
            write_bytes(t, &d.bytes, d.flags)
        }
    }
}

/// A message's bytes under a unique name, the flag headers dropped (the flags go into
/// the name).
fn write_bytes(
    t: &Target,
    msg: &[u8],
    flags: crate::core::Flags,
) -> Result<(PathBuf, String, &'static str), StoreError> {
    let (head, body) = codec::plain_parts(msg);
    let base = format!("{},S={}", unique_name(None), head.len() + body.len());
    let (name, sub) = if flags.is_empty() {
        (base.clone(), "new")
    } else {
        (format!("{base}:2,{}", flags.to_maildir()), "cur")
    };
    // Into a new Maildir: straight to the final name (nothing is visible before the
    // whole directory is renamed into place).
    let path = if t.staged {
        t.root.join(sub).join(&name)
    } else {
        t.root.join("tmp").join(&base)
    };
    let write = || -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        write_both(&mut f, &head, body)
    };
    match write() {
        Ok(()) => Ok((path, name, sub)),
        Err(e) => {
            if e.kind() != io::ErrorKind::AlreadyExists {
                let _ = fs::remove_file(&path);
            }
            Err(StoreError::io("write", &path)(e))
        }
    }
}

/// `a` then `b`, in one system call when the kernel takes both.
fn write_both(f: &mut File, mut a: &[u8], mut b: &[u8]) -> io::Result<()> {
    while !a.is_empty() {
        match f.write_vectored(&[io::IoSlice::new(a), io::IoSlice::new(b)]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) if n < a.len() => a = &a[n..],
            Ok(n) => {
                b = &b[n - a.len()..];
                a = &[];
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    f.write_all(b)
}

fn writer(t: Target, rx: Arc<Mutex<mpsc::Receiver<Vec<Item>>>>) -> WorkerResult {
    let mut done = Vec::new();
    loop {
        let batch = match rx.lock() {
            Ok(r) => r.recv(),
            Err(p) => p.into_inner().recv(),
        };
        let Ok(batch) = batch else {
            return (done, None);
        };
        for item in batch {
            match write_one(&t, item) {
                Ok(w) => done.push(w),
                Err(e) => return (done, Some(e)),
            }
        }
    }
}

/// How often the background flush runs: 1 s was slower than 0.5 s, 0.1-0.25 s a
/// little faster again (the kernel's writeback then comes in small steps between the
/// writers' work instead of in bursts that take a core from them).
const SYNC_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

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
            while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(SYNC_EVERY) {
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
        tx: Option<mpsc::SyncSender<Vec<Item>>>,
        /// Messages not yet handed to a writer, and their size.
        batch: Vec<Item>,
        batch_bytes: usize,
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
        let (tx, rx) = mpsc::sync_channel(4);
        let rx = Arc::new(Mutex::new(rx));
        let n = std::thread::available_parallelism().map_or(WRITERS, |n| n.get().clamp(1, 4));
        let target = Target {
            root: md.path().to_path_buf(),
            staged: staging.is_some(),
        };
        let workers = (0..n)
            .map(|_| {
                let (rx, t) = (rx.clone(), target.clone());
                std::thread::spawn(move || writer(t, rx))
            })
            .collect();
        Ok(Sink::Maildir {
            md,
            tx: Some(tx),
            batch: Vec::new(),
            batch_bytes: 0,
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

    /// Whether the sink keeps every flag (a caller counts the ones lost otherwise).
    pub(super) fn keeps_all_flags(&self) -> bool {
        matches!(self, Sink::Maildir { .. })
    }

    /// A single file's record, decoded here (on a writer thread for a Maildir).
    pub(super) fn put_record(
        &mut self,
        rec: &[u8],
        framing: Framing,
        pref: codec::ReadPref,
    ) -> Result<(), StoreError> {
        match self {
            Sink::Maildir { .. } => self.queue(Item::Record {
                bytes: rec.to_vec(),
                framing,
                pref,
            }),
            _ => self.put(codec::decode(framing, rec, pref)),
        }
    }

    pub(super) fn put(&mut self, mail: Mail) -> Result<(), StoreError> {
        match self {
            Sink::Maildir { .. } => self.queue(Item::Mail(mail)),
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

    /// Adds a message to the batch for the Maildir writers, sent once it is full.
    fn queue(&mut self, item: Item) -> Result<(), StoreError> {
        let Sink::Maildir {
            md,
            tx,
            batch,
            batch_bytes,
            ..
        } = self
        else {
            return Ok(());
        };
        *batch_bytes += item.len();
        batch.push(item);
        if *batch_bytes < BATCH_BYTES && batch.len() < BATCH_MAILS {
            return Ok(());
        }
        *batch_bytes = 0;
        match tx.as_ref().map(|t| t.send(std::mem::take(batch))) {
            Some(Ok(())) => Ok(()),
            // A writer failed: `finish` reports why.
            _ => Err(invalid(md.path(), "a writer stopped")),
        }
    }

    /// Makes everything written durable and visible.
    pub(super) fn finish(self) -> Result<(), StoreError> {
        match self {
            Sink::Maildir {
                md,
                mut tx,
                batch,
                workers,
                staging,
                syncer,
                ..
            } => {
                if !batch.is_empty()
                    && let Some(t) = &tx
                {
                    // A failed send means a writer stopped; its error is below.
                    let _ = t.send(batch);
                }
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
