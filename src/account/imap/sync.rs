//! Syncing one folder into the cache, in steps the actor can interleave with the user's
//! commands.
//!
//! `begin` selects the folder and works out what changed: with QRESYNC (RFC 7162 §3.2.5)
//! the SELECT itself reports vanished UIDs and changed flags, and an unchanged
//! HIGHESTMODSEQ and UIDNEXT mean nothing to do; without it, a UID/FLAGS listing is
//! compared with the index. A changed UIDVALIDITY (RFC 3501 §2.3.1.1) throws the
//! folder's old mapping away and fetches it again. Then each step fetches one chunk:
//! envelopes first (newest first, so the list fills from the top), then bodies by the
//! account's policy, each chunk delivered durably (`deliver_batch`) before the index
//! records it. Message files are named after their UIDVALIDITY and UID, so a sync
//! killed half-way and run again finds what it already stored: no duplicates.
//!
//! The folder's sync state (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ) is saved only when the
//! whole folder is done, so an interrupted sync starts again from the previous state.

use super::conn::quoted;
use super::flags::{from_imap, uid_set};
use super::resp::{Code, Resp};
use super::{ImapAccount, Selected};
use crate::account::{AccountError, AccountErrorKind, SyncReport, SyncStep};
use crate::config::BodyPolicy;
use crate::core::{Flags, FolderPath, LocalId};
use crate::store::index::{Mirrored, NewEnvelope, SyncState};
use crate::store::{BatchItem, ScanProgress};
use std::collections::{HashMap, HashSet, VecDeque};

/// Envelopes per FETCH: the first chunk small so the first screen comes quickly.
const FIRST_ENVELOPES: usize = 250;
const ENVELOPES: usize = 2000;
/// Bodies per FETCH: at most this many messages or bytes.
const BODIES: usize = 500;
const BODY_BYTES: u64 = 8 << 20;

const HEADER_FIELDS: &str = "BODY.PEEK[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE)]";

/// A folder sync in progress.
pub struct ImapSync {
    folder: FolderPath,
    uidvalidity: u32,
    /// Saved when the folder is done.
    finish: SyncState,
    envelopes: VecDeque<Vec<u32>>,
    bodies: Option<VecDeque<Mirrored>>,
    report: SyncReport,
    done: usize,
    total: usize,
    /// The last completed sync cached every body the policy wants (sync state
    /// `low_water` = 1; IMAP has no other use for it).
    bodies_complete: bool,
    /// The previous chunk of bodies being written (fsynced) while the next is fetched.
    writing: Option<tokio::task::JoinHandle<Result<(), crate::store::StoreError>>>,
}

impl ImapSync {
    fn progress(&self) -> ScanProgress {
        ScanProgress {
            done: self.done,
            total: self.total,
            bytes: self.report.bytes,
        }
    }
}

/// The cache name of a message: stable for (folder, UIDVALIDITY, UID).
pub fn local_id(folder: &FolderPath, uidvalidity: u32, uid: u32) -> LocalId {
    // FNV-1a: stable across runs and versions (std's hasher is not).
    let mut h: u32 = 0x811c_9dc5;
    for b in folder.0.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    LocalId(format!("{h:08x}.{uidvalidity}.{uid}.imap"))
}

/// What a SELECT told us.
#[derive(Default)]
struct SelectInfo {
    uidvalidity: Option<u32>,
    uidnext: Option<u32>,
    highestmodseq: Option<u64>,
    vanished: Vec<u32>,
    changed: Vec<(u32, Flags)>,
}

impl SelectInfo {
    fn absorb(&mut self, r: Resp) {
        match r {
            Resp::Untagged { code: Some(c), .. } => match c {
                Code::UidValidity(v) => self.uidvalidity = Some(v),
                Code::UidNext(v) => self.uidnext = Some(v),
                Code::HighestModSeq(v) => self.highestmodseq = Some(v),
                _ => {}
            },
            Resp::Vanished { uids, .. } => {
                for r in uids {
                    self.vanished.extend(r);
                }
            }
            Resp::Fetch(f) => {
                if let (Some(uid), Some(fl)) = (f.uid, &f.flags) {
                    self.changed.push((uid, from_imap(fl)));
                }
            }
            _ => {}
        }
    }
}

fn protocol(acc: &ImapAccount, msg: String) -> AccountError {
    acc.error(AccountErrorKind::Protocol, msg)
}

pub async fn begin(acc: &mut ImapAccount, folder: &FolderPath) -> Result<ImapSync, AccountError> {
    let f = folder.clone();
    let mut stored = acc.disk(move |d| d.index().sync_state(&d.id, &f)).await?;
    if *folder != FolderPath::inbox() {
        acc.know_folders().await;
    }
    let name = acc.folders.server_name(folder);
    let conn = acc.conn().await?;
    let qresync = conn.has("QRESYNC");
    let mut cmd = format!("SELECT {}", quoted(&name));
    match (stored.uidvalidity, stored.highestmodseq) {
        (Some(v), Some(m)) if qresync => cmd.push_str(&format!(" (QRESYNC ({v} {m}))")),
        _ if qresync || conn.has("CONDSTORE") => cmd.push_str(" (CONDSTORE)"),
        _ => {}
    }
    let mut sel = SelectInfo::default();
    if let Err(e) = conn.run(&cmd, |r| sel.absorb(r)).await {
        acc.selected = None;
        return Err(acc.failed(e));
    }
    // Without UIDVALIDITY nothing can be matched: an error, never "empty".
    let Some(v) = sel.uidvalidity else {
        acc.selected = None;
        return Err(protocol(
            acc,
            format!("SELECT {folder}: the server sent no UIDVALIDITY; nothing was changed"),
        ));
    };
    acc.selected = Some(Selected {
        path: folder.clone(),
        uidvalidity: v,
    });
    let mut report = SyncReport::default();
    if let Some(old) = stored.uidvalidity
        && old != v
    {
        let f = folder.clone();
        let dropped = acc
            .disk(move |d| {
                let stale = d.index().stale_rows(&d.id, &f, v)?;
                drop_rows(d, &f, &stale)?;
                d.note(format!(
                    "{f}: the server renumbered the folder (UIDVALIDITY {old} -> {v}); its cache is fetched again"
                ));
                Ok(stale.len())
            })
            .await?;
        report.removed += dropped;
        stored = SyncState::default();
    }
    let finish = SyncState {
        uidvalidity: Some(v),
        uidnext: sel.uidnext,
        highestmodseq: sel.highestmodseq,
        ..stored.clone()
    };
    let quick = qresync && stored.uidvalidity == Some(v) && stored.highestmodseq.is_some();
    let mut new: Vec<u32> = Vec::new();
    if quick {
        let unchanged = sel.vanished.is_empty()
            && sel.changed.is_empty()
            && sel.uidnext == stored.uidnext
            && sel.highestmodseq == stored.highestmodseq;
        if !unchanged {
            let known = stored.uidnext.unwrap_or(1);
            let (vanished, changed) = (sel.vanished.clone(), sel.changed.clone());
            let local = mirrored(acc, folder, v).await?;
            apply_diff(acc, folder, &local, &vanished, &changed, &mut report).await?;
            if sel.uidnext.is_none_or(|n| n > known) {
                let found = uid_search(acc, &format!("UID SEARCH UID {known}:*")).await?;
                let have: HashSet<u32> = local.iter().map(|m| m.uid).collect();
                new = found
                    .into_iter()
                    .filter(|u| *u >= known && !have.contains(u))
                    .collect();
            }
        }
    } else {
        let local = mirrored(acc, folder, v).await?;
        if local.is_empty() {
            new = uid_search(acc, "UID SEARCH ALL").await?;
        } else {
            let server = uid_flags(acc).await?;
            let on_server: HashSet<u32> = server.iter().map(|(u, _)| *u).collect();
            let vanished: Vec<u32> = local
                .iter()
                .map(|m| m.uid)
                .filter(|u| !on_server.contains(u))
                .collect();
            apply_diff(acc, folder, &local, &vanished, &server, &mut report).await?;
            let have: HashSet<u32> = local.iter().map(|m| m.uid).collect();
            new = on_server
                .into_iter()
                .filter(|u| !have.contains(u))
                .collect();
        }
    }
    new.sort_unstable_by(|a, b| b.cmp(a));
    let mut envelopes = VecDeque::new();
    let mut rest = new.as_slice();
    let mut size = FIRST_ENVELOPES;
    while !rest.is_empty() {
        let n = size.min(rest.len());
        envelopes.push_back(rest[..n].to_vec());
        rest = &rest[n..];
        size = ENVELOPES;
    }
    Ok(ImapSync {
        folder: folder.clone(),
        uidvalidity: v,
        finish,
        total: new.len(),
        envelopes,
        bodies: None,
        report,
        done: 0,
        bodies_complete: stored.low_water == Some(1) && acc.policy == BodyPolicy::All,
        writing: None,
    })
}

async fn mirrored(
    acc: &ImapAccount,
    folder: &FolderPath,
    v: u32,
) -> Result<Vec<Mirrored>, AccountError> {
    let f = folder.clone();
    acc.disk(move |d| d.index().mirrored(&d.id, &f, v)).await
}

async fn uid_search(acc: &mut ImapAccount, cmd: &str) -> Result<Vec<u32>, AccountError> {
    let conn = acc.conn().await?;
    let mut uids = Vec::new();
    match conn
        .run(cmd, |r| {
            if let Resp::Search(v) = r {
                uids.extend(v)
            }
        })
        .await
    {
        Ok(_) => Ok(uids),
        Err(e) => Err(acc.failed(e)),
    }
}

/// Every UID with its flags (the diff for servers without QRESYNC).
async fn uid_flags(acc: &mut ImapAccount) -> Result<Vec<(u32, Flags)>, AccountError> {
    let conn = acc.conn().await?;
    let mut out = Vec::new();
    let mut incomplete = false;
    let r = conn
        .run("UID FETCH 1:* (UID FLAGS)", |r| {
            if let Resp::Fetch(f) = r {
                match (f.uid, &f.flags) {
                    (Some(u), Some(fl)) => out.push((u, from_imap(fl))),
                    _ => incomplete = true,
                }
            }
        })
        .await;
    if let Err(e) = r {
        // "1:*" on an empty folder is an error on some servers: that one is empty.
        if e.kind == AccountErrorKind::Rejected && out.is_empty() {
            return Ok(out);
        }
        return Err(acc.failed(e));
    }
    if incomplete {
        return Err(protocol(
            acc,
            "UID FETCH: the server left out UIDs or flags; nothing was changed".into(),
        ));
    }
    Ok(out)
}

/// Applies what the server reported: vanished messages leave the cache, changed flags
/// rename the cached files. Rows with a change still queued for the server keep theirs.
async fn apply_diff(
    acc: &ImapAccount,
    folder: &FolderPath,
    local: &[Mirrored],
    vanished: &[u32],
    server_flags: &[(u32, Flags)],
    report: &mut SyncReport,
) -> Result<(), AccountError> {
    let by_uid: HashMap<u32, &Mirrored> = local.iter().map(|m| (m.uid, m)).collect();
    let gone: Vec<(LocalId, Option<String>)> = vanished
        .iter()
        .filter_map(|u| by_uid.get(u))
        .map(|m| (m.id.clone(), m.file_name.clone()))
        .collect();
    let flags: Vec<(Mirrored, Flags)> = server_flags
        .iter()
        .filter_map(|(u, f)| {
            by_uid
                .get(u)
                .filter(|m| m.flags != *f)
                .map(|m| ((*m).clone(), *f))
        })
        .collect();
    if gone.is_empty() && flags.is_empty() {
        return Ok(());
    }
    let f = folder.clone();
    let (removed, changed) = acc
        .disk(move |d| {
            let pending: HashSet<LocalId> = d
                .index()
                .pending_changes(&d.id)?
                .into_iter()
                .filter(|p| p.folder == f)
                .map(|p| p.uid)
                .collect();
            for (id, _) in gone.iter().filter(|(id, _)| pending.contains(id)) {
                d.note(format!(
                    "{f}: message {} was removed on the server before a change made here reached it",
                    id.0
                ));
            }
            drop_rows(d, &f, &gone)?;
            let md = d.tree.ensure_folder(&f)?;
            let mut rows = Vec::new();
            for (m, fl) in flags.iter().filter(|(m, _)| !pending.contains(&m.id)) {
                let name = match &m.file_name {
                    Some(name) => match md.locate(&m.id, Some(name)) {
                        Ok(e) => Some(md.set_flags(&e, *fl)?.file_name),
                        Err(_) => None,
                    },
                    None => None,
                };
                rows.push((m.id.clone(), name, *fl));
            }
            d.index().set_files(&d.id, &f, &rows)?;
            Ok((gone.len(), rows.len()))
        })
        .await?;
    report.removed += removed;
    report.changed += changed;
    Ok(())
}

/// Removes rows and their cached files (messages the server no longer has).
pub(super) fn drop_rows(
    d: &super::Disk,
    folder: &FolderPath,
    rows: &[(LocalId, Option<String>)],
) -> Result<(), crate::store::StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    if let Ok(md) = d.tree.folder(folder) {
        for (id, name) in rows {
            if let Ok(e) = md.locate(id, name.as_deref()) {
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

pub async fn step(
    acc: &mut ImapAccount,
    mut job: ImapSync,
) -> Result<SyncStep<ImapSync>, AccountError> {
    let v = acc.ensure_selected(&job.folder).await?;
    if v != job.uidvalidity {
        return Err(protocol(
            acc,
            format!(
                "{}: the server renumbered the folder during the sync; it starts again next time",
                job.folder
            ),
        ));
    }
    if let Some(chunk) = job.envelopes.pop_front() {
        let n = fetch_envelopes(acc, &job.folder, v, &chunk).await?;
        job.report.added += n;
        job.done += chunk.len();
        let p = job.progress();
        return Ok(SyncStep::More(job, p));
    }
    if job.bodies.is_none() && job.total == 0 && job.bodies_complete {
        // Nothing new since a sync that cached every body: a resync of 100,000
        // unchanged messages must not read their rows.
        job.bodies = Some(VecDeque::new());
    }
    if job.bodies.is_none() && acc.policy == BodyPolicy::None {
        job.bodies = Some(VecDeque::new());
    }
    if job.bodies.is_none() {
        let local = mirrored(acc, &job.folder, v).await?;
        let cutoff = match acc.policy {
            BodyPolicy::All => Some(i64::MIN),
            BodyPolicy::None => None,
            BodyPolicy::NewerThanDays(n) => {
                Some(chrono::Utc::now().timestamp() - i64::from(n) * 86_400)
            }
        };
        let mut want: Vec<Mirrored> = match cutoff {
            Some(c) => local
                .into_iter()
                .filter(|m| m.file_name.is_none() && m.date >= c)
                .collect(),
            None => Vec::new(),
        };
        want.sort_unstable_by_key(|m| std::cmp::Reverse(m.uid));
        job.total += want.len();
        job.bodies = Some(want.into());
        let p = job.progress();
        return Ok(SyncStep::More(job, p));
    }
    let mut chunk = Vec::new();
    let mut bytes = 0;
    if let Some(q) = job.bodies.as_mut() {
        while let Some(m) = q.front() {
            if !chunk.is_empty() && (chunk.len() >= BODIES || bytes + m.size > BODY_BYTES) {
                break;
            }
            bytes += m.size;
            if let Some(m) = q.pop_front() {
                chunk.push(m);
            }
        }
    }
    if !chunk.is_empty() {
        // The network and the disk work at once: this chunk is fetched while the last
        // one is still being written; at most one write is in flight.
        let items = fetch_body_bytes(acc, &chunk).await?;
        job.report.bytes += items.iter().map(|(_, b)| b.len() as u64).sum::<u64>();
        wait_for_write(acc, &mut job).await?;
        let (d, f) = (acc.disk.clone(), job.folder.clone());
        job.writing = Some(tokio::task::spawn_blocking(move || {
            store_bodies(&d, &f, &items)
        }));
        job.done += chunk.len();
        let p = job.progress();
        return Ok(SyncStep::More(job, p));
    }
    wait_for_write(acc, &mut job).await?;
    let mut state = job.finish.clone();
    state.low_water = Some(u64::from(acc.policy == BodyPolicy::All));
    let f = job.folder.clone();
    acc.disk(move |d| d.index().set_sync_state(&d.id, &f, &state))
        .await?;
    Ok(SyncStep::Done(job.report))
}

/// Envelope date: the Date header, else INTERNALDATE (RFC 3501 `date-time`).
fn internal_date(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_str(s.trim(), "%d-%b-%Y %H:%M:%S %z")
        .ok()
        .map(|d| d.timestamp())
}

async fn fetch_envelopes(
    acc: &mut ImapAccount,
    folder: &FolderPath,
    v: u32,
    uids: &[u32],
) -> Result<usize, AccountError> {
    let cmd = format!(
        "UID FETCH {} (UID FLAGS RFC822.SIZE INTERNALDATE {HEADER_FIELDS})",
        uid_set(uids)
    );
    let conn = acc.conn().await?;
    let mut rows = Vec::with_capacity(uids.len());
    let r = conn
        .run(&cmd, |r| {
            if let Resp::Fetch(f) = r
                && let Some(uid) = f.uid
            {
                let mut fields = crate::mime::header_fields(f.header.as_deref().unwrap_or(b""));
                if fields.date == 0
                    && let Some(d) = f.internal_date.as_deref().and_then(internal_date)
                {
                    fields.date = d;
                }
                rows.push((
                    NewEnvelope {
                        uid: local_id(folder, v, uid).0,
                        file_name: None,
                        size: u64::from(f.size.unwrap_or(0)),
                        flags: from_imap(f.flags.as_deref().unwrap_or(&[])),
                        fields,
                    },
                    uid,
                ));
            }
        })
        .await;
    if let Err(e) = r {
        return Err(acc.failed(e));
    }
    let n = rows.len();
    let f = folder.clone();
    acc.disk(move |d| {
        d.tree.ensure_folder(&f)?;
        d.index().add_mirrored(&d.id, &f, v, &rows)
    })
    .await?;
    Ok(n)
}

async fn wait_for_write(acc: &ImapAccount, job: &mut ImapSync) -> Result<(), AccountError> {
    if let Some(h) = job.writing.take() {
        match h.await {
            Ok(r) => r.map_err(|e| acc.store_err(e))?,
            Err(e) => {
                return Err(acc.error(AccountErrorKind::Store, format!("writer failed: {e}")));
            }
        }
    }
    Ok(())
}

/// Fetches and caches the bodies of `want`; returns the bytes stored.
pub(super) async fn fetch_bodies(
    acc: &mut ImapAccount,
    folder: &FolderPath,
    want: &[Mirrored],
) -> Result<u64, AccountError> {
    let items = fetch_body_bytes(acc, want).await?;
    let bytes: u64 = items.iter().map(|(_, b)| b.len() as u64).sum();
    let f = folder.clone();
    acc.disk(move |d| store_bodies(d, &f, &items)).await?;
    Ok(bytes)
}

/// The bodies of `want` from the selected folder, paired with their rows.
async fn fetch_body_bytes(
    acc: &mut ImapAccount,
    want: &[Mirrored],
) -> Result<Vec<(Mirrored, Vec<u8>)>, AccountError> {
    let uids: Vec<u32> = want.iter().map(|m| m.uid).collect();
    let cmd = format!("UID FETCH {} (UID BODY.PEEK[])", uid_set(&uids));
    let conn = acc.conn().await?;
    let mut got: HashMap<u32, Vec<u8>> = HashMap::with_capacity(want.len());
    let r = conn
        .run(&cmd, |r| {
            if let Resp::Fetch(f) = r
                && let (Some(uid), Some(body)) = (f.uid, f.body)
            {
                got.insert(uid, body);
            }
        })
        .await;
    if let Err(e) = r {
        return Err(acc.failed(e));
    }
    Ok(want
        .iter()
        .filter_map(|m| got.remove(&m.uid).map(|b| (m.clone(), b)))
        .collect())
}

/// Delivers fetched bodies under their cache names and records the files.
pub(super) fn store_bodies(
    d: &super::Disk,
    folder: &FolderPath,
    items: &[(Mirrored, Vec<u8>)],
) -> Result<(), crate::store::StoreError> {
    if items.is_empty() {
        return Ok(());
    }
    let md = d.tree.ensure_folder(folder)?;
    let batch: Vec<BatchItem<'_>> = items
        .iter()
        .map(|(m, b)| BatchItem {
            unique: &m.id.0,
            bytes: b,
            flags: m.flags,
        })
        .collect();
    let entries = md.deliver_batch(&batch)?;
    let mut rows = Vec::with_capacity(entries.len());
    for ((m, _), e) in items.iter().zip(entries) {
        if e.id == m.id {
            rows.push((m.id.clone(), Some(e.file_name), m.flags));
        } else {
            d.note(format!(
                "{folder}: another file already had the cache name {}; the message stays uncached",
                m.id.0
            ));
            let _ = std::fs::remove_file(md.file_path(&e));
        }
    }
    d.index().set_files(&d.id, folder, &rows)
}
