//! Bringing the index up to date from a folder of a file format, in steps (like the
//! Maildir `ScanJob`): each step reads a bounded number of messages and commits them
//! in one short transaction, so the actor serves the user between steps and a
//! cancelled scan keeps what it committed.
//!
//! A single file is read only as far as needed: the `Stamp` it had when last indexed
//! is kept in the folder's `sync_state` row (device in `uidvalidity`, inode in
//! `low_water`, size in `high_water`, mtime in `highestmodseq`; no schema change). The
//! same stamp means nothing to do; the same file grown (an MDA appended mail) is read
//! from its last known record on; anything else is read whole, and messages that are
//! gone are removed. Problems (junk, a cut-off record) are reported with their byte
//! offset as unreadable entries; every readable message is still indexed.

use super::codec;
use super::frame::{PieceKind, Scanner};
use super::header::IdAssigner;
use super::mh::MhFolder;
use super::single::{Locator, SingleFile, Stamp, Toc, TocMessage};
use super::tree::FormatFolder;
use crate::core::envelope::HeaderFields;
use crate::core::{AccountId, Flags, FolderPath};
use crate::store::index::{FolderChanges, NewEnvelope, SyncState};
use crate::store::{Index, ScanProgress, ScanReport, StoreError};
use std::collections::{HashMap, HashSet};
use std::fs::File;

/// Messages read per step.
pub const STEP_MESSAGES: usize = 2000;

/// The stamp of a file as kept in its folder's sync state.
pub fn stamp_state(s: &Stamp) -> SyncState {
    SyncState {
        uidvalidity: Some(s.dev as u32),
        uidnext: None,
        highestmodseq: Some(s.mtime_ns as u64),
        low_water: Some(s.ino),
        high_water: Some(s.size),
    }
}

fn state_stamp(s: &SyncState) -> Option<Stamp> {
    Some(Stamp {
        dev: u64::from(s.uidvalidity?),
        ino: s.low_water?,
        size: s.high_water?,
        mtime_ns: s.highestmodseq? as i64,
    })
}

/// Whether a stamp and a kept one are the same file unchanged (the device is kept in
/// 32 bits).
fn same(a: &Stamp, kept: &Stamp) -> bool {
    a.dev as u32 as u64 == kept.dev
        && a.ino == kept.ino
        && a.size == kept.size
        && a.mtime_ns == kept.mtime_ns
}

/// A new message waiting for its envelope fields.
struct Fresh {
    id: String,
    locator: String,
    size: u64,
    flags: Flags,
    header: Vec<u8>,
}

enum Source {
    Single {
        file: SingleFile,
        scanner: Box<Scanner<File>>,
        ids: IdAssigner,
        stamp: Stamp,
        /// Known messages at or after this offset are removed unless seen again.
        from: u64,
        /// The table of contents, built when the file is read whole.
        toc: Option<Toc>,
    },
    Mh {
        folder: MhFolder,
        todo: Vec<u32>,
        next: usize,
        ids: IdAssigner,
    },
    Done,
}

/// A scan of one folder in progress.
pub struct FormatScan {
    folder_id: i64,
    parse: fn(&[u8]) -> HeaderFields,
    known: HashMap<String, (String, Flags)>,
    seen: HashSet<String>,
    first: Option<FolderChanges>,
    source: Source,
    done_messages: usize,
    report: ScanReport,
    finished_toc: Option<Toc>,
}

impl FormatScan {
    pub fn start(
        index: &Index,
        account: &AccountId,
        folder: &FolderPath,
        ff: &FormatFolder,
        parse: fn(&[u8]) -> HeaderFields,
    ) -> Result<FormatScan, StoreError> {
        let folder_id = index.folder_id(account, folder)?;
        let files = index.file_map(folder_id)?;
        let flags: HashMap<String, Flags> = index
            .reader()
            .envelopes(account, folder)?
            .into_iter()
            .map(|e| (e.id.0, e.flags))
            .collect();
        let known: HashMap<String, (String, Flags)> = files
            .into_iter()
            .map(|(uid, loc)| {
                let f = flags.get(&uid).copied().unwrap_or_default();
                (uid, (loc, f))
            })
            .collect();
        let mut scan = FormatScan {
            folder_id,
            parse,
            known,
            seen: HashSet::new(),
            first: None,
            source: Source::Done,
            done_messages: 0,
            report: ScanReport::default(),
            finished_toc: None,
        };
        match ff {
            FormatFolder::Single(file) => scan.start_single(index, account, folder, file)?,
            FormatFolder::Mh(m) => scan.start_mh(m)?,
        }
        Ok(scan)
    }

    fn start_single(
        &mut self,
        index: &Index,
        account: &AccountId,
        folder: &FolderPath,
        file: &SingleFile,
    ) -> Result<(), StoreError> {
        let f = File::open(file.path()).map_err(StoreError::io("open", file.path()))?;
        let stamp = Stamp::of(&f.metadata().map_err(StoreError::io("stat", file.path()))?);
        let kept = state_stamp(&index.sync_state(account, folder)?);
        if kept.as_ref().is_some_and(|k| same(&stamp, k)) {
            return Ok(());
        }
        // Grown: read on from the last known record (it may have been cut off).
        let mut from = 0;
        if let Some(k) = &kept
            && stamp.dev as u32 as u64 == k.dev
            && stamp.ino == k.ino
            && stamp.size > k.size
            && let Some((id, loc)) = self
                .known
                .iter()
                .filter_map(|(id, (l, _))| Some((id, Locator::parse(l)?)))
                .max_by_key(|(_, l)| l.start)
            && loc.start + loc.len == k.size
            && file.read_at(loc, id)?.is_some()
        {
            from = loc.start;
        }
        let mut ids = IdAssigner::default();
        for (id, (l, _)) in &self.known {
            if Locator::parse(l).is_some_and(|l| l.start < from) {
                ids.reserve(id);
                self.seen.insert(id.clone());
            }
        }
        let scanner = Scanner::open(f, file.framing(), from, stamp.size, false);
        self.source = Source::Single {
            file: file.clone(),
            scanner: Box::new(scanner),
            ids,
            stamp,
            from,
            toc: (from == 0).then(|| Toc {
                stamp,
                ..Default::default()
            }),
        };
        Ok(())
    }

    fn start_mh(&mut self, m: &MhFolder) -> Result<(), StoreError> {
        let seqs = m.sequences()?;
        let numbers = m.numbers()?;
        let by_number: HashMap<u32, &String> = self
            .known
            .iter()
            .filter_map(|(id, (l, _))| Some((l.parse::<u32>().ok()?, id)))
            .collect();
        let mut first = FolderChanges::default();
        let mut todo = Vec::new();
        let mut ids = IdAssigner::default();
        for n in numbers {
            match by_number.get(&n) {
                Some(id) => {
                    let flags = seqs.flags(n);
                    if self.known.get(*id).is_some_and(|(_, f)| *f != flags) {
                        first.renamed.push(((*id).clone(), n.to_string(), flags));
                    }
                    ids.reserve(id);
                    self.seen.insert((*id).clone());
                }
                None => todo.push(n),
            }
        }
        first.removed = self
            .known
            .keys()
            .filter(|k| !self.seen.contains(*k))
            .cloned()
            .collect();
        self.report.changed = first.renamed.len();
        self.report.removed = first.removed.len();
        self.first = Some(first);
        self.source = Source::Mh {
            folder: m.clone(),
            todo,
            next: 0,
            ids,
        };
        Ok(())
    }

    pub fn progress(&self) -> ScanProgress {
        match &self.source {
            Source::Single { scanner, .. } => {
                let pos = scanner.position().max(1);
                let total =
                    (self.done_messages as u128 * scanner.limit() as u128 / pos as u128) as usize;
                ScanProgress {
                    done: self.done_messages,
                    total: total.max(self.done_messages),
                    bytes: 0,
                }
            }
            Source::Mh { todo, next, .. } => ScanProgress {
                done: *next,
                total: todo.len(),
                bytes: 0,
            },
            Source::Done => ScanProgress {
                done: self.done_messages,
                total: self.done_messages,
                bytes: 0,
            },
        }
    }

    pub fn is_done(&self) -> bool {
        matches!(self.source, Source::Done) && self.first.is_none()
    }

    /// The whole table of contents, when the scan read the file whole.
    pub fn take_toc(&mut self) -> Option<Toc> {
        self.finished_toc.take()
    }

    /// One bounded step, committed. True when the scan is complete.
    pub fn step(
        &mut self,
        index: &mut Index,
        account: &AccountId,
        folder: &FolderPath,
        max: usize,
    ) -> Result<bool, StoreError> {
        if let Some(first) = self.first.take()
            && !first.is_empty()
        {
            // Removals and flag changes first, in their own transaction: an id that
            // comes back for another file in this scan is then a plain insert.
            index.apply(self.folder_id, &first)?;
        }
        let mut changes = FolderChanges::default();
        let mut fresh = Vec::new();
        let mut finished = None;
        match &mut self.source {
            Source::Done => return Ok(true),
            Source::Mh {
                folder: m,
                todo,
                next,
                ids,
            } => {
                let end = (*next + max.max(1)).min(todo.len());
                let seqs = m.sequences()?;
                for &n in &todo[*next..end] {
                    match m.head(n) {
                        Ok((h, size)) => {
                            let hash = super::header::content_hash(&h);
                            fresh.push(Fresh {
                                id: ids.assign(hash),
                                locator: n.to_string(),
                                size,
                                flags: seqs.flags(n),
                                header: h,
                            });
                        }
                        Err(e) => self
                            .report
                            .unreadable
                            .push((format!("message {n}"), e.to_string())),
                    }
                }
                *next = end;
                if end >= todo.len() {
                    finished = Some(None);
                }
            }
            Source::Single {
                file,
                scanner,
                ids,
                stamp,
                from,
                toc,
            } => {
                let mut n = 0;
                while n < max.max(1) {
                    let Some(p) = scanner
                        .next_piece()
                        .map_err(StoreError::io("read", file.path()))?
                    else {
                        finished = Some(Some((*stamp, *from)));
                        break;
                    };
                    if let Some(t) = toc.as_mut() {
                        t.pieces.push(p);
                    }
                    if p.kind != PieceKind::Message {
                        continue;
                    }
                    n += 1;
                    let info = codec::head_info(file.framing(), scanner.head());
                    let id = ids.assign(info.hash);
                    let loc = Locator {
                        start: p.start,
                        len: p.len,
                    };
                    if let Some(t) = toc.as_mut() {
                        t.messages.push(TocMessage {
                            id: id.clone(),
                            hash: info.hash,
                            loc,
                            flags: info.flags,
                        });
                    }
                    let locator = loc.to_string();
                    self.seen.insert(id.clone());
                    match self.known.get(&id) {
                        None => fresh.push(Fresh {
                            id,
                            locator,
                            size: p.len,
                            flags: info.flags,
                            header: info.header,
                        }),
                        Some((l, f)) if *l != locator || *f != info.flags => {
                            changes.renamed.push((id, locator, info.flags));
                        }
                        Some(_) => {}
                    }
                }
                if let Some(Some(_)) = finished {
                    let problems = std::mem::take(&mut scanner.problems);
                    if let Some(t) = toc.as_mut() {
                        t.problems = problems.clone();
                    }
                    self.report
                        .unreadable
                        .extend(problems.into_iter().map(|p| (p.at, p.what)));
                }
            }
        }
        self.done_messages += fresh.len() + changes.renamed.len();
        self.report.changed += changes.renamed.len();
        self.report.added += fresh.len();
        changes.added = parse_all(fresh, self.parse);
        if let Some(end) = finished {
            if let Some((_, from)) = end {
                changes.removed = self
                    .known
                    .iter()
                    .filter(|(k, (l, _))| {
                        !self.seen.contains(*k) && Locator::parse(l).is_none_or(|l| l.start >= from)
                    })
                    .map(|(k, _)| k.clone())
                    .collect();
                self.report.removed += changes.removed.len();
            }
            if !changes.is_empty() {
                index.apply(self.folder_id, &changes)?;
            }
            if let Some((stamp, _)) = end {
                index.set_sync_state(account, folder, &stamp_state(&stamp))?;
            }
            if let Source::Single { toc, .. } = &mut self.source {
                self.finished_toc = toc.take();
            }
            self.source = Source::Done;
            return Ok(true);
        }
        if !changes.is_empty() {
            index.apply(self.folder_id, &changes)?;
        }
        Ok(false)
    }

    pub fn report(&self) -> &ScanReport {
        &self.report
    }

    pub fn into_report(self) -> ScanReport {
        self.report
    }
}

/// Parses the header blocks of new messages on a few threads; a parser that panics
/// loses only its message's fields (it is indexed with empty ones, never dropped).
fn parse_all(fresh: Vec<Fresh>, parse: fn(&[u8]) -> HeaderFields) -> Vec<NewEnvelope> {
    if fresh.is_empty() {
        return Vec::new();
    }
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    let one = |f: Fresh| {
        let fields = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse(&f.header)))
            .unwrap_or_else(|_| HeaderFields {
                subject: "(headers could not be parsed)".into(),
                ..Default::default()
            });
        NewEnvelope {
            uid: f.id,
            file_name: Some(f.locator),
            size: f.size,
            flags: f.flags,
            fields,
        }
    };
    if fresh.len() < 64 || workers == 1 {
        return fresh.into_iter().map(one).collect();
    }
    let chunk = fresh.len().div_ceil(workers);
    let mut parts: Vec<Vec<Fresh>> = Vec::new();
    let mut it = fresh.into_iter().peekable();
    while it.peek().is_some() {
        parts.push(it.by_ref().take(chunk).collect());
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| s.spawn(move || part.into_iter().map(one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}
