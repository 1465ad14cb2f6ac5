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
use super::frame::{Framing, PieceKind, Scanner};
use super::mh::MhFolder;
use super::sink::Sink;
use super::tree::{FileTree, FormatFolder};
use super::{Format, Mail, MboxVariant, Problem, detect};
use crate::core::FolderPath;
use crate::store::{Maildir, MaildirTree, StoreError};
use std::fs::{self, File};
use std::path::{Path, PathBuf};

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

pub(super) fn invalid(path: &Path, reason: impl Into<String>) -> StoreError {
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
        let mut sink = d.open_sink()?;
        let label = if opts.recursive {
            format!("{name}: ")
        } else {
            String::new()
        };
        let kept = to.kept_flags();
        let raw = sink.keeps_all_flags();
        let result = s.each(raw, &mut |item: Item, size: u64| {
            match item {
                Item::Mail(mail) => {
                    if mail.flags.bits() & !kept.bits() != 0 {
                        report.lost_flags += 1;
                    }
                    sink.put(mail)?;
                }
                Item::Record(rec, framing, pref) => sink.put_record(rec, framing, pref)?,
            }
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

/// A message as a source hands it over: decoded, or a single file's raw record.
enum Item<'a> {
    Mail(Mail),
    Record(&'a [u8], Framing, ReadPref),
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
    /// With `raw`, a single file's records are handed over undecoded (only for a sink
    /// that keeps every flag: the flags lost are counted on decoded messages).
    fn each(
        &self,
        raw: bool,
        f: &mut dyn FnMut(Item<'_>, u64) -> Result<(), StoreError>,
    ) -> Result<Vec<Problem>, StoreError> {
        match self {
            Src::Maildir(md) => {
                let mut problems = Vec::new();
                for e in md.list()? {
                    match md.read(&e) {
                        Ok(bytes) => {
                            let n = bytes.len() as u64;
                            f(
                                Item::Mail(Mail {
                                    bytes,
                                    flags: e.flags,
                                    from_line: None,
                                }),
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
                                Item::Mail(Mail {
                                    bytes,
                                    flags: seqs.flags(n),
                                    from_line: None,
                                }),
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
                    let item = if raw {
                        Item::Record(rec, *framing, *pref)
                    } else {
                        Item::Mail(codec::decode(*framing, rec, *pref))
                    };
                    f(item, p.len)?;
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

    fn open_sink(&self) -> Result<Sink, StoreError> {
        Ok(match self {
            Dst::Maildir(p) => Sink::maildir(p)?,
            Dst::Mh(m) => Sink::mh(m)?,
            Dst::Single(p, framing, variant) => Sink::single(p, *framing, *variant)?,
        })
    }
}
