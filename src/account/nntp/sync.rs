//! Syncing one group into the index, in steps the actor can interleave with the user's
//! commands.
//!
//! `begin` selects the group (GROUP, RFC 3977 §6.1.1) and works out what is new: the
//! numbers above the high water mark of the last completed sync (or the whole group the
//! first time), less those already in the index (a sync killed half-way resumes without
//! duplicates). Articles below the server's low water mark have expired there and leave
//! the cache. The read state of known articles is taken again from the .newsrc, which
//! another newsreader may have changed. Each step then fetches the overview of one
//! range (OVER, or XOVER for old servers), newest first, so the list fills from the top,
//! and records it in one transaction. The high water mark is saved only when the whole
//! group is done.

use super::score::{ScoreFile, ScoreInput};
use super::{Disk, NntpAccount, local_id};
use crate::account::{AccountError, SyncReport, SyncStep};
use crate::core::ErrorKind;
use crate::core::{Flags, FolderPath, LocalId};
use crate::mime::HeaderFields;
use crate::protocol::nntp::{NntpOverview, NntpOverviewFmt, NntpRange};
use crate::store::index::{NewEnvelope, SyncState};
use crate::store::newsrc::ArticleSet;
use crate::store::{ScanProgress, StoreError};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Overview lines per OVER: the first range small so the first screen comes quickly.
pub(super) const FIRST_RANGE: u64 = 1000;
pub(super) const RANGE: u64 = 20_000;

/// What recording one range did.
struct Recorded {
    added: usize,
    removed: usize,
    bytes: u64,
    hidden: usize,
}

/// A group sync in progress.
pub struct NntpSync {
    folder: FolderPath,
    fmt: Arc<NntpOverviewFmt>,
    /// Inclusive article ranges still to fetch, newest first.
    ranges: VecDeque<(u64, u64)>,
    /// Articles already in the index: number -> cached file.
    known: Arc<HashMap<u64, Option<String>>>,
    score: Option<Arc<ScoreFile>>,
    hidden: usize,
    read: Arc<ArticleSet>,
    /// A pipeline of three: while one range is fetched, the one before it is decoded
    /// and the one before that is recorded in the index (one write at a time, in range
    /// order, as the ranges were fetched).
    decoding: Option<tokio::task::JoinHandle<Parsed>>,
    writing: Option<tokio::task::JoinHandle<Result<Recorded, StoreError>>>,
    finish: SyncState,
    report: SyncReport,
    done: usize,
    total: usize,
}

pub async fn begin(acc: &mut NntpAccount, folder: &FolderPath) -> Result<NntpSync, AccountError> {
    let f = folder.clone();
    let (stored, rows, read) = acc
        .disk(move |d| {
            d.tree.ensure_folder(&f)?;
            let ix = d.index();
            let stored = ix.sync_state(&d.id, &f)?;
            let rows = ix.nntp_rows(&d.id, &f)?;
            drop(ix);
            let read = d.newsrc()?.read_set(&f.0);
            Ok((stored, rows, read))
        })
        .await?;
    let (score, score_hash) = acc.current_score();
    // The rules changed since this group was last synced: every article is scored
    // again (newly hidden ones leave the index, no longer hidden ones come back).
    let rescore = stored.highestmodseq.unwrap_or(0) != score_hash;
    let name = folder.0.clone();
    let conn = acc.conn().await?;
    let r = conn.select(&name).await;
    let info = match r {
        Ok(i) => i,
        Err(f) => return Err(acc.failed(f)),
    };
    let r = acc.conn().await?.overview_fmt().await;
    let fmt = match r {
        Ok(f) => f,
        Err(f) => return Err(acc.failed(f)),
    };
    let mut report = SyncReport::default();
    // Expired on the server (below its low water mark, or the group is empty now).
    let expired: Vec<(LocalId, Option<String>)> = rows
        .iter()
        .filter(|r| info.is_empty() || r.number < info.low)
        .map(|r| (r.id.clone(), r.file_name.clone()))
        .collect();
    // Read state from the .newsrc (another reader may have changed it).
    let reflag: Vec<(LocalId, Flags)> = rows
        .iter()
        .filter(|r| read.contains(r.number) != r.flags.contains(Flags::SEEN))
        .map(|r| {
            let mut fl = r.flags;
            if read.contains(r.number) {
                fl.insert(Flags::SEEN);
            } else {
                fl.remove(Flags::SEEN);
            }
            (r.id.clone(), fl)
        })
        .collect();
    report.removed = expired.len();
    report.changed = reflag.len();
    if !expired.is_empty() || !reflag.is_empty() {
        let f = folder.clone();
        acc.disk(move |d| {
            drop_rows(d, &f, &expired)?;
            d.index().set_flag_bits(&d.id, &f, &reflag)
        })
        .await?;
    }
    let known: HashMap<u64, Option<String>> = rows
        .iter()
        .filter(|r| !info.is_empty() && r.number >= info.low)
        .map(|r| (r.number, r.file_name.clone()))
        .collect();
    let mut ranges = VecDeque::new();
    let mut total = 0u64;
    if !info.is_empty() {
        // A server whose numbers went backwards (a rebuilt spool) is read again.
        let start = match stored.high_water {
            Some(h) if h <= info.high && !rescore => (h + 1).max(info.low),
            _ => info.low.max(1),
        };
        let mut hi = info.high;
        let (first, rest) = acc.ranges;
        let mut size = first;
        while hi >= start {
            // Skip the top numbers already known (an interrupted first sync).
            while !rescore && hi >= start && known.contains_key(&hi) {
                hi -= 1;
            }
            if hi < start {
                break;
            }
            let lo = hi.saturating_sub(size - 1).max(start);
            ranges.push_back((lo, hi));
            total += hi - lo + 1;
            size = rest;
            if lo == 0 || lo == start {
                break;
            }
            hi = lo - 1;
        }
    }
    Ok(NntpSync {
        folder: folder.clone(),
        fmt: Arc::new(fmt),
        ranges,
        known: Arc::new(known),
        score,
        hidden: 0,
        read: Arc::new(read),
        decoding: None,
        writing: None,
        finish: SyncState {
            low_water: Some(info.low),
            high_water: Some(info.high),
            // NNTP has no other use for it: the score rules the rows were made with.
            highestmodseq: Some(score_hash),
            ..stored
        },
        report,
        done: 0,
        total: total as usize,
    })
}

pub async fn step(
    acc: &mut NntpAccount,
    mut job: NntpSync,
) -> Result<SyncStep<NntpSync>, AccountError> {
    let Some((lo, hi)) = job.ranges.pop_front() else {
        written(acc, &mut job).await?;
        if job.hidden > 0 {
            acc.disk.note(format!(
                "{}: {} articles hidden by the score file",
                job.folder, job.hidden
            ));
        }
        let (f, st) = (job.folder.clone(), job.finish.clone());
        acc.disk(move |d| d.index().set_sync_state(&d.id, &f, &st))
            .await?;
        return Ok(SyncStep::Done(job.report));
    };
    // The selected group may have changed meanwhile (an article opened elsewhere).
    let name = job.folder.0.clone();
    let r = acc.conn().await?.select(&name).await;
    if let Err(f) = r {
        return Err(acc.failed(f));
    }
    let r = acc.conn().await?.over(NntpRange::Between(lo, hi)).await;
    let lines = match r {
        Ok(l) => l,
        Err(f) => return Err(acc.failed(f)),
    };
    // The range decoded meanwhile goes to the index once the write before it is done.
    if let Some(parsed) = job.decoding.take() {
        oldest_written(acc, &mut job).await?;
        let parsed = decoded(acc, parsed).await?;
        write(acc, &mut job, parsed);
    }
    let (f, fmt, read, known, score) = (
        job.folder.clone(),
        job.fmt.clone(),
        job.read.clone(),
        job.known.clone(),
        job.score.clone(),
    );
    let d = acc.disk.clone();
    job.decoding = Some(tokio::task::spawn_blocking(move || {
        envelopes(&f, &fmt, &read, &known, score.as_deref(), &lines, &d)
    }));
    if job.done == 0 {
        // The newest range is on screen at once; later ones overlap the next fetch.
        written(acc, &mut job).await?;
    }
    job.done += (hi - lo + 1) as usize;
    let p = ScanProgress {
        done: job.done.min(job.total),
        total: job.total,
        bytes: job.report.bytes,
    };
    Ok(SyncStep::More(job, p))
}

/// Records a decoded range in the background (after any write before it).
fn write(acc: &NntpAccount, job: &mut NntpSync, p: Parsed) {
    debug_assert!(job.writing.is_none());
    let (d, f) = (acc.disk.clone(), job.folder.clone());
    job.writing = Some(tokio::task::spawn_blocking(move || {
        drop_rows(&d, &f, &p.unhide)?;
        d.index().add_overview(&d.id, &f, &p.rows)?;
        Ok(Recorded {
            added: p.rows.len(),
            removed: p.unhide.len(),
            bytes: p.bytes,
            hidden: p.hidden,
        })
    }));
}

async fn decoded(
    acc: &NntpAccount,
    h: tokio::task::JoinHandle<Parsed>,
) -> Result<Parsed, AccountError> {
    h.await
        .map_err(|e| acc.error(ErrorKind::Store, format!("worker failed: {e}")))
}

/// Waits until every range fetched so far is recorded.
async fn written(acc: &NntpAccount, job: &mut NntpSync) -> Result<(), AccountError> {
    oldest_written(acc, job).await?;
    if let Some(parsed) = job.decoding.take() {
        let parsed = decoded(acc, parsed).await?;
        write(acc, job, parsed);
        oldest_written(acc, job).await?;
    }
    Ok(())
}

/// Waits for the range being written, if any, and counts what it recorded.
async fn oldest_written(acc: &NntpAccount, job: &mut NntpSync) -> Result<(), AccountError> {
    let Some(h) = job.writing.take() else {
        return Ok(());
    };
    let r = match h.await {
        Ok(r) => r.map_err(|e| acc.store_err(e))?,
        Err(e) => return Err(acc.error(ErrorKind::Store, format!("worker failed: {e}"))),
    };
    job.report.added += r.added;
    job.report.removed += r.removed;
    job.report.bytes += r.bytes;
    job.hidden += r.hidden;
    Ok(())
}

/// What one range of overview lines comes to.
struct Parsed {
    rows: Vec<(NewEnvelope, u64)>,
    bytes: u64,
    /// Articles the score file hides.
    hidden: usize,
    /// Known articles the score file hides now: they leave the index.
    unhide: Vec<(LocalId, Option<String>)>,
}

/// Envelope rows for overview lines, skipping articles already known and those the
/// score file hides. A line that cannot be parsed is noted and skipped (the rest of
/// the group still shows).
fn envelopes(
    folder: &FolderPath,
    fmt: &NntpOverviewFmt,
    read: &ArticleSet,
    known: &HashMap<u64, Option<String>>,
    score: Option<&ScoreFile>,
    lines: &[Vec<u8>],
    d: &Disk,
) -> Parsed {
    let mut p = Parsed {
        rows: Vec::with_capacity(lines.len()),
        bytes: 0,
        hidden: 0,
        unhide: Vec::new(),
    };
    let mut bad = 0;
    for l in lines {
        let o = match fmt.parse(l) {
            Ok(o) => o,
            Err(_) => {
                bad += 1;
                continue;
            }
        };
        let input = ScoreInput {
            from: o.from,
            subject: o.subject,
            message_id: o.message_id,
            references: o.references,
            xref: o.xref,
        };
        if score.is_some_and(|s| s.hides(&folder.0, &input)) {
            p.hidden += 1;
            if let Some(file) = known.get(&o.number) {
                p.unhide.push((local_id(folder, o.number), file.clone()));
            }
            continue;
        }
        if known.contains_key(&o.number) {
            continue;
        }
        p.bytes += l.len() as u64;
        let flags = if read.contains(o.number) {
            Flags::SEEN
        } else {
            Flags::empty()
        };
        p.rows.push((
            NewEnvelope {
                uid: local_id(folder, o.number).0,
                file_name: None,
                size: o.bytes,
                flags,
                fields: fields(&o),
            },
            o.number,
        ));
    }
    if bad > 0 {
        d.note(format!(
            "{folder}: {bad} overview lines could not be read and were skipped"
        ));
    }
    p
}

/// The index fields of an article from its overview: the same decoding (RFC 2047,
/// 8-bit, dates, addresses) as a header block read from a file.
pub fn fields(o: &NntpOverview<'_>) -> HeaderFields {
    crate::mime::known_fields(&crate::mime::KnownValues {
        subject: o.subject,
        from: o.from,
        date: o.date,
        message_id: o.message_id,
        references: o.references,
    })
}

/// Forgets expired articles: their rows and any cached file.
fn drop_rows(
    d: &Disk,
    folder: &FolderPath,
    rows: &[(LocalId, Option<String>)],
) -> Result<(), crate::store::StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    if let Ok(md) = d.tree.folder(folder) {
        for (id, name) in rows {
            if let Some(name) = name
                && let Ok(e) = md.locate(id, Some(name))
            {
                let p = md.file_path(&e);
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(crate::store::StoreError::io("remove", p)(e)),
                }
            }
        }
    }
    let ids: Vec<LocalId> = rows.iter().map(|(id, _)| id.clone()).collect();
    d.index().remove_rows(&d.id, folder, &ids)
}
