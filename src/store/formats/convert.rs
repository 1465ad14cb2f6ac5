//! Converting between any two mailbox formats (Maildir, mbox in its four variants,
//! MMDF, MH, Babyl), one message at a time: a 1 GB source never sits in memory.
//!
//! A source is one mailbox the way Python's `mailbox` classes open one (a Maildir or MH
//! directory's own messages, one mbox/MMDF/Babyl file) or, recursively, every folder
//! of a tree. The source is only read (no lock files either: it is never changed); a
//! destination that holds mail is refused unless appending was asked for.
//!
//! Durability without an fsync per message: a Maildir destination gets every message
//! into tmp/ first, then one `syncfs`, then the renames into new/ and cur/ and an fsync
//! of those directories, so a crash leaves nothing half-written visible. A new
//! single-file destination is written next to its name and renamed into place once
//! fsynced; appending to an existing one happens under its locks, cut back on failure.

use super::codec::{self, ReadPref};
use super::frame::{self, Framing, PieceKind, Scanner};
use super::lock::{self, MailLock};
use super::mh::MhFolder;
use super::tree::{FileTree, FormatFolder};
use super::{Format, Mail, MboxVariant, Problem, detect};
use crate::core::FolderPath;
use crate::store::delivery::{fsync_dir, unique_name};
use crate::store::{Maildir, MaildirTree, StoreError};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

#[derive(Clone, Debug, Default)]
pub struct ConvertOptions {
    pub from: Option<Format>,
    pub to: Option<Format>,
    pub append: bool,
    pub recursive: bool,
}

/// Where a conversion is (for a progress line).
#[derive(Clone, Copy, Debug, Default)]
pub struct ConvertProgress {
    pub messages: u64,
    pub bytes: u64,
}

#[derive(Clone, Debug, Default)]
pub struct ConvertReport {
    pub from: Option<Format>,
    pub to: Option<Format>,
    pub folders: usize,
    pub messages: u64,
    pub bytes: u64,
    /// Messages with flags the destination format cannot keep (e.g. draft in mbox).
    pub lost_flags: u64,
    /// Problems in the source (junk, cut-off records, unreadable files), with where.
    pub problems: Vec<String>,
}

fn invalid(path: &Path, reason: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// The format of a path, looking inside a directory of mailbox files too.
pub fn detect_tree(path: &Path) -> Option<Format> {
    if let Some(f) = detect(path) {
        return Some(f);
    }
    if !path.is_dir() {
        return None;
    }
    let mut stack = vec![(path.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            let hidden = p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            if p.is_dir() && depth < 8 {
                if let Some(f) = detect(&p) {
                    return Some(f);
                }
                stack.push((p, depth + 1));
            } else if p.is_file()
                && let Some(f) = detect(&p)
            {
                return Some(f);
            }
        }
    }
    None
}

/// Converts `src` to `dst`. `progress` is called now and then.
pub fn convert(
    src: &Path,
    dst: &Path,
    opts: &ConvertOptions,
    progress: &mut dyn FnMut(ConvertProgress),
) -> Result<ConvertReport, StoreError> {
    if !src.exists() {
        return Err(invalid(src, "no such file or directory"));
    }
    let from = match opts.from {
        Some(f) => f,
        None => {
            let found = if opts.recursive {
                detect_tree(src)
            } else {
                detect(src)
            };
            found.ok_or_else(|| {
                invalid(
                    src,
                    if src.is_dir() && !opts.recursive {
                        "a directory that is neither a Maildir nor an MH folder (for a directory of mailbox files, add --recursive; or name the format with --from)"
                    } else {
                        "cannot tell its format (an empty file?); name it with --from"
                    },
                )
            })?
        }
    };
    let to = match opts.to {
        Some(t) => t,
        None => detect(dst).ok_or_else(|| {
            invalid(
                dst,
                "cannot tell the destination format; name it with --to (maildir, mbox, mboxo, mboxrd, mboxcl, mboxcl2, mmdf, mh, babyl)",
            )
        })?,
    };
    if same_path(src, dst) {
        return Err(invalid(dst, "the destination is the source"));
    }
    let read_variant = match (opts.from, from) {
        (Some(Format::Mbox(v)), _) if opts.from != Some(Format::Mbox(MboxVariant::Mboxrd)) => {
            Some(v)
        }
        _ => None,
    };
    let pairs = folder_pairs(src, from, dst, to, opts.recursive, read_variant)?;
    if !opts.append {
        for (_, _, d) in &pairs {
            if d.holds_mail() {
                return Err(invalid(
                    d.path(),
                    "the destination already holds mail; add --append to add to it",
                ));
            }
        }
    }
    let mut report = ConvertReport {
        from: Some(from),
        to: Some(to),
        ..Default::default()
    };
    let mut done = ConvertProgress::default();
    for (name, s, d) in pairs {
        let mut sink = d.open_sink(to)?;
        let label = if opts.recursive {
            format!("{name}: ")
        } else {
            String::new()
        };
        let kept = to.kept_flags();
        let result = s.each(&mut |mail: Mail, size: u64| {
            if mail.flags.bits() & !kept.bits() != 0 {
                report.lost_flags += 1;
            }
            sink.put(mail)?;
            done.messages += 1;
            done.bytes += size;
            if done.messages % 256 == 0 {
                progress(done);
            }
            Ok(())
        });
        let problems = match result {
            Ok(p) => p,
            Err(e) => {
                sink.abandon();
                return Err(e);
            }
        };
        sink.finish()?;
        report.folders += 1;
        report
            .problems
            .extend(problems.into_iter().map(|p| format!("{label}{p}")));
    }
    progress(done);
    report.messages = done.messages;
    report.bytes = done.bytes;
    Ok(report)
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// A mailbox to read.
enum Src {
    Maildir(Maildir),
    Mh(MhFolder),
    Single(PathBuf, Framing, ReadPref),
}

/// A mailbox to write.
enum Dst {
    Maildir(PathBuf),
    Mh(MhFolder),
    Single(PathBuf, Framing, MboxVariant),
}

type Pair = (String, Src, Dst);

fn src_of(path: PathBuf, f: Format, variant: Option<MboxVariant>) -> Src {
    match f {
        Format::Maildir => Src::Maildir(Maildir::open(path)),
        Format::Mh => Src::Mh(MhFolder::new(path)),
        Format::Mbox(_) => Src::Single(path, Framing::Mbox, ReadPref { variant }),
        Format::Mmdf => Src::Single(path, Framing::Mmdf, ReadPref::default()),
        Format::Babyl => Src::Single(path, Framing::Babyl, ReadPref::default()),
    }
}

fn dst_of(path: PathBuf, f: Format) -> Dst {
    match f {
        Format::Maildir => Dst::Maildir(path),
        Format::Mh => Dst::Mh(MhFolder::new(path)),
        Format::Mbox(v) => Dst::Single(path, Framing::Mbox, v),
        Format::Mmdf => Dst::Single(path, Framing::Mmdf, MboxVariant::Mboxrd),
        Format::Babyl => Dst::Single(path, Framing::Babyl, MboxVariant::Mboxrd),
    }
}

/// The (source, destination) mailboxes of a conversion.
fn folder_pairs(
    src: &Path,
    from: Format,
    dst: &Path,
    to: Format,
    recursive: bool,
    variant: Option<MboxVariant>,
) -> Result<Vec<Pair>, StoreError> {
    if !recursive {
        if src.is_dir() && from.framing().is_some() {
            return Err(invalid(
                src,
                "a directory of mailbox files: add --recursive to convert every folder",
            ));
        }
        if dst.is_dir() && to.framing().is_some() {
            return Err(invalid(
                dst,
                "is a directory; give a file name (or --recursive for a tree)",
            ));
        }
        return Ok(vec![(
            "INBOX".into(),
            src_of(src.to_path_buf(), from, variant),
            dst_of(dst.to_path_buf(), to),
        )]);
    }
    let folders: Vec<(FolderPath, PathBuf)> = match from {
        Format::Maildir => MaildirTree::open(src)?
            .folders()?
            .into_iter()
            .map(|f| (f.path, f.dir))
            .collect(),
        f => FileTree::open(src, f, variant)?
            .folders()?
            .into_iter()
            .map(|f| (f.path, f.dir))
            .collect(),
    };
    let mut out = Vec::new();
    let dst_dir = |p: &FolderPath| -> Result<PathBuf, StoreError> {
        match to {
            Format::Maildir => {
                if !dst.exists() {
                    Maildir::create(dst)?;
                }
                let tree = MaildirTree::open(dst)?;
                Ok(tree.ensure_folder(p)?.path().to_path_buf())
            }
            t => {
                fs::create_dir_all(dst).map_err(StoreError::io("create directory", dst))?;
                let tree = FileTree::open(dst, t, None)?;
                Ok(tree.folder_path(p))
            }
        }
    };
    for (name, dir) in folders {
        let d = dst_dir(&name)?;
        out.push((name.0.clone(), src_of(dir, from, variant), dst_of(d, to)));
    }
    Ok(out)
}

impl Src {
    /// Calls `f` with every message (and its stored size); returns the problems found.
    fn each(
        &self,
        f: &mut dyn FnMut(Mail, u64) -> Result<(), StoreError>,
    ) -> Result<Vec<Problem>, StoreError> {
        match self {
            Src::Maildir(md) => {
                let mut problems = Vec::new();
                for e in md.list()? {
                    match md.read(&e) {
                        Ok(bytes) => {
                            let n = bytes.len() as u64;
                            f(
                                Mail {
                                    bytes,
                                    flags: e.flags,
                                    from_line: None,
                                },
                                n,
                            )?
                        }
                        Err(err) => problems.push(Problem {
                            at: e.file_name.clone(),
                            what: err.to_string(),
                        }),
                    }
                }
                Ok(problems)
            }
            Src::Mh(m) => {
                let seqs = m.sequences()?;
                let mut problems = Vec::new();
                for n in m.numbers()? {
                    match m.read(n) {
                        Ok(bytes) => {
                            let size = bytes.len() as u64;
                            f(
                                Mail {
                                    bytes,
                                    flags: seqs.flags(n),
                                    from_line: None,
                                },
                                size,
                            )?
                        }
                        Err(e) => problems.push(Problem {
                            at: format!("message {n}"),
                            what: e.to_string(),
                        }),
                    }
                }
                Ok(problems)
            }
            Src::Single(path, framing, pref) => {
                let file = File::open(path).map_err(StoreError::io("open", path))?;
                let size = file.metadata().map_err(StoreError::io("stat", path))?.len();
                let mut sc = Scanner::open(file, *framing, 0, size, true);
                while let Some(p) = sc.next_piece().map_err(StoreError::io("read", path))? {
                    if p.kind != PieceKind::Message {
                        continue;
                    }
                    let rec = sc
                        .bytes(p.start, p.end())
                        .map_err(StoreError::io("read", path))?;
                    let mail = codec::decode(*framing, rec, *pref);
                    f(mail, p.len)?;
                }
                Ok(sc.problems)
            }
        }
    }
}

impl Dst {
    fn path(&self) -> &Path {
        match self {
            Dst::Maildir(p) | Dst::Single(p, ..) => p,
            Dst::Mh(m) => m.path(),
        }
    }

    fn holds_mail(&self) -> bool {
        match self {
            Dst::Maildir(p) => ["new", "cur"].iter().any(|s| {
                fs::read_dir(p.join(s)).is_ok_and(|mut rd| {
                    rd.any(|e| e.is_ok_and(|e| !e.file_name().to_string_lossy().starts_with('.')))
                })
            }),
            Dst::Mh(m) => m.numbers().is_ok_and(|n| !n.is_empty()),
            Dst::Single(p, framing, v) => {
                FormatFolder::Single(super::SingleFile::new(p, *framing, Some(*v))).holds_mail()
            }
        }
    }

    fn open_sink(&self, to: Format) -> Result<Sink, StoreError> {
        let _ = to;
        Ok(match self {
            Dst::Maildir(p) => {
                // A new Maildir is built whole next to its name and renamed into place
                // at the end (one rename instead of one per message); an existing one
                // gets each message through its tmp/.
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
                        p.clone(),
                    )
                });
                if let Some((s, _)) = &staging {
                    let _ = fs::remove_dir_all(s);
                }
                let md = Maildir::create(staging.as_ref().map_or(p, |(s, _)| s))?;
                let syncer = Syncer::start(md.path());
                let (tx, rx) = mpsc::sync_channel(64);
                let rx = Arc::new(Mutex::new(rx));
                let n =
                    std::thread::available_parallelism().map_or(WRITERS, |n| n.get().clamp(1, 4));
                let workers = (0..n)
                    .map(|_| {
                        let rx = rx.clone();
                        std::thread::spawn(move || writer(rx))
                    })
                    .collect();
                Sink::Maildir {
                    md,
                    tx: Some(tx),
                    workers,
                    staging,
                    syncer,
                }
            }
            Dst::Mh(m) => {
                m.create()?;
                Sink::Mh {
                    folder: m.clone(),
                    batch: Vec::new(),
                }
            }
            Dst::Single(p, framing, variant) => Sink::single(p, *framing, *variant)?,
        })
    }
}

/// A message for a Maildir writer: bytes, the tmp path, the final name and subdir.
struct Staged {
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
struct Syncer {
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
enum Sink {
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
    fn single(path: &Path, framing: Framing, variant: MboxVariant) -> Result<Sink, StoreError> {
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

    fn put(&mut self, mail: Mail) -> Result<(), StoreError> {
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
    fn finish(self) -> Result<(), StoreError> {
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
    fn abandon(self) {
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

/// Whether `path` looks like a mailbox of `framing` (for detection of a destination).
pub fn is_framing(path: &Path, framing: Framing) -> bool {
    matches!(frame::detect_file(path), Ok(Some(f)) if f == framing)
}
