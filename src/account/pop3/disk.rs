//! The disk side of a POP3 download, on its own thread so the network and the disk work
//! at the same time: retrieved bytes stream into Maildir tmp/ files (`store::Delivery`),
//! and a batch is made durable at once.
//!
//! The order that keeps every message exactly once, whatever moment a crash or SIGKILL
//! picks (`store::index::pop3` has the row states):
//! 1. each message is written to tmp/;
//! 2. one transaction records a `pending` row per message, naming the unique name it
//!    is about to get;
//! 3. each file is fsynced and linked into new/ under that name, then new/ is fsynced
//!    (several files at once: fsyncs in parallel share the journal's commits);
//! 4. one transaction makes the rows `stored`.
//!
//! Only then does the caller send DELE. After a crash, `recover` promotes a pending row
//! whose file is in the folder and forgets one whose file is not (the server still has
//! the message: nothing was deleted before step 4).

use crate::account::local::LocalHandle;
use crate::core::{AccountId, FolderPath, LocalId};
use crate::store::delivery::unique_name;
use crate::store::index::{FolderChanges, NewEnvelope};
use crate::store::{Delivery, StoreError, Subdir, UidlRow, UidlState};
use std::collections::HashMap;
use std::io::Write;
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Files fsynced at the same time in a commit.
const SYNC_THREADS: usize = 64;

/// A message that is durable in the folder.
#[derive(Clone, Debug)]
pub(crate) struct Stored {
    pub n: u32,
    pub uidl: Option<String>,
    pub id: LocalId,
    pub file_name: String,
    pub size: u64,
}

/// Where a message's bytes go.
pub(crate) struct Target {
    pub uidl: Option<String>,
    /// The local id of an envelope listed earlier (the file gets exactly this name);
    /// None for a new message.
    pub listed: Option<UidlRow>,
}

enum Op {
    Start(u32, Target),
    Data(Vec<u8>),
    End,
    Commit(oneshot::Sender<Result<Vec<Stored>, StoreError>>),
}

struct Written {
    n: u32,
    target: Target,
    delivery: Delivery,
    /// The header block, kept as it streams by, so the envelope is recorded with the
    /// message instead of by reading the file again.
    head: Vec<u8>,
    head_done: bool,
}

/// Headers longer than this are cut (as the folder scan does).
const MAX_HEADER: usize = 256 * 1024;

impl Written {
    fn keep_head(&mut self, bytes: &[u8]) {
        if self.head_done {
            return;
        }
        let from = self.head.len().saturating_sub(1);
        let take = bytes.len().min(MAX_HEADER - self.head.len());
        self.head.extend_from_slice(&bytes[..take]);
        // The decoder ends every line with LF, so the header ends at "\n\n".
        if let Some(p) = memchr::memmem::find(&self.head[from..], b"\n\n") {
            self.head.truncate(from + p + 2);
            self.head_done = true;
        } else if self.head.len() >= MAX_HEADER {
            self.head_done = true;
        }
    }
}

/// A writer thread for one download. Dropping it stops the thread; messages not
/// committed are removed from tmp/.
pub(crate) struct Writer {
    tx: Option<mpsc::Sender<Op>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel ends the thread; waiting for it means the tmp/ files of
        // an abandoned download are gone when the next one starts.
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Writer {
    pub fn start(handle: LocalHandle, account: AccountId, now: i64) -> Result<Writer, StoreError> {
        let inbox = handle.tree().ensure_folder(&FolderPath::inbox())?;
        let (tx, rx) = mpsc::channel::<Op>();
        let tmp = inbox.path().join("tmp");
        let tmp_in_thread = tmp.clone();
        let thread = std::thread::Builder::new()
            .name("pop3-writer".into())
            .spawn(move || {
                let mut current: Option<Written> = None;
                let mut written: Vec<Written> = Vec::new();
                let mut failed: Option<StoreError> = None;
                for op in rx {
                    match op {
                        Op::Start(n, target) if failed.is_none() => match inbox.delivery() {
                            Ok(delivery) => {
                                current = Some(Written {
                                    n,
                                    target,
                                    delivery,
                                    head: Vec::new(),
                                    head_done: false,
                                })
                            }
                            Err(e) => failed = Some(e),
                        },
                        Op::Data(bytes) => {
                            if let Some(w) = current.as_mut() {
                                w.keep_head(&bytes);
                                if let Err(e) = w.delivery.write_all(&bytes) {
                                    failed = Some(StoreError::io("write", &tmp_in_thread)(e));
                                    current = None;
                                }
                            }
                        }
                        Op::End => written.extend(current.take()),
                        Op::Commit(reply) => {
                            let batch = std::mem::take(&mut written);
                            let r = match failed.take() {
                                Some(e) => Err(e),
                                None => commit(&handle, &account, batch, now),
                            };
                            let _ = reply.send(r);
                        }
                        Op::Start(..) => {}
                    }
                }
            })
            .map_err(|e| StoreError::io("start a writer thread", &tmp)(e))?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    fn send(&self, op: Op) -> Result<(), StoreError> {
        let tx = self.tx.as_ref().ok_or_else(|| StoreError::Invalid {
            path: std::path::PathBuf::new(),
            reason: "the POP3 writer thread stopped".into(),
        })?;
        tx.send(op).map_err(|_| StoreError::Invalid {
            path: std::path::PathBuf::new(),
            reason: "the POP3 writer thread stopped".into(),
        })
    }

    pub fn start_message(&self, n: u32, target: Target) -> Result<(), StoreError> {
        self.send(Op::Start(n, target))
    }

    pub fn data(&self, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.send(Op::Data(bytes))
    }

    pub fn end_message(&self) -> Result<(), StoreError> {
        self.send(Op::End)
    }

    /// Makes every message written since the last commit durable and recorded.
    pub async fn commit(&self) -> Result<Vec<Stored>, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.send(Op::Commit(tx))?;
        rx.await.map_err(|_| StoreError::Invalid {
            path: std::path::PathBuf::new(),
            reason: "the POP3 writer thread stopped".into(),
        })?
    }
}

/// Steps 2-4 of the module comment, for one batch.
fn commit(
    handle: &LocalHandle,
    account: &AccountId,
    batch: Vec<Written>,
    now: i64,
) -> Result<Vec<Stored>, StoreError> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let inbox = FolderPath::inbox();
    let maildir = handle.tree().ensure_folder(&inbox)?;
    let named: Vec<(Written, LocalId)> = batch
        .into_iter()
        .map(|w| {
            let id = match &w.target.listed {
                Some(row) => row.uid.clone(),
                None => LocalId(name_for(w.delivery.size(), w.target.uidl.as_deref())),
            };
            (w, id)
        })
        .collect();
    let pending: Vec<UidlRow> = named
        .iter()
        .filter(|(w, _)| w.target.listed.is_none())
        .filter_map(|(w, id)| {
            Some(UidlRow {
                uidl: w.target.uidl.clone()?,
                uid: id.clone(),
                state: UidlState::Pending,
                seen_at: now,
            })
        })
        .collect();
    handle.index().pop3_put(account, &inbox, &pending)?;

    // Step 3: the fsyncs in parallel (they wait on the disk, and concurrent ones share
    // the file system's journal commits), then the links, then one directory fsync.
    let mut named = named;
    fsync_all(&mut named)?;
    let mut listed_rows: HashMap<u32, UidlRow> = HashMap::new();
    let mut stored = Vec::with_capacity(named.len());
    let mut envelopes = Vec::with_capacity(named.len());
    let mut first_err = None;
    for (mut w, id) in named {
        if let Some(r) = &w.target.listed {
            listed_rows.insert(w.n, r.clone());
        }
        // A listed message's file may be there already (a fetch that crashed before
        // recording it): the same bytes count as done.
        let again = w.target.listed.is_some();
        let size = w.delivery.size();
        w.delivery.defer_dir_sync();
        match w.delivery.commit_as(Subdir::New, &id.0, "", again) {
            Ok(e) => {
                if !again {
                    envelopes.push(NewEnvelope {
                        uid: e.id.0.clone(),
                        file_name: Some(e.file_name.clone()),
                        size,
                        flags: e.flags,
                        fields: parse_head(&w.head),
                    });
                }
                stored.push(Stored {
                    n: w.n,
                    uidl: w.target.uidl.clone(),
                    id: e.id,
                    file_name: e.file_name,
                    size,
                })
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    // Not durable without it: then nothing of this batch counts as stored.
    maildir.sync_dir(Subdir::New)?;

    // Step 4 for what made it (a failure leaves `pending` rows: `recover` sorts them
    // out next time, and no DELE goes out for this batch).
    let mut ix = handle.index();
    // The envelopes first: a crash before the rows leaves files the next scan indexes
    // anyway (INSERT OR REPLACE), never a row without its message.
    let folder_id = ix.folder_id(account, &inbox)?;
    ix.apply(
        folder_id,
        &FolderChanges {
            added: envelopes,
            ..FolderChanges::default()
        },
    )?;
    let rows: Vec<UidlRow> = stored
        .iter()
        .filter(|s| !listed_rows.contains_key(&s.n))
        .filter_map(|s| {
            Some(UidlRow {
                uidl: s.uidl.clone()?,
                uid: s.id.clone(),
                state: UidlState::Stored,
                seen_at: now,
            })
        })
        .collect();
    ix.pop3_put(account, &inbox, &rows)?;
    for s in &stored {
        if let Some(row) = listed_rows.get(&s.n) {
            let row = UidlRow {
                uid: s.id.clone(),
                ..row.clone()
            };
            ix.pop3_fetched(account, &inbox, &row, &s.file_name)?;
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(stored),
    }
}

/// A message's unique name: the store's (time, pid, counter, host, size) plus the
/// server's UIDL, so the Maildir itself remembers what came from where: if the index
/// is ever lost (a damaged one is moved aside and rebuilt), `rows_from_names` finds the
/// seen set again and keep mode does not download everything a second time.
fn name_for(size: u64, uidl: Option<&str>) -> String {
    let mut name = unique_name(Some(size));
    if let Some(u) = uidl {
        name.push_str(",U=");
        for b in u.bytes() {
            // Maildir names must not hold '/' or ':'; ',' and '%' separate and escape.
            if b.is_ascii_alphanumeric() || b"-_.+=@".contains(&b) {
                name.push(b as char);
            } else {
                name.push_str(&format!("%{b:02X}"));
            }
        }
    }
    name
}

/// The UIDL and download time a unique name from `name_for` carries.
fn uidl_of_name(name: &str) -> Option<(String, i64)> {
    let (_, enc) = name.rsplit_once(",U=")?;
    let enc = enc.split(':').next()?;
    let mut out = Vec::with_capacity(enc.len());
    let b = enc.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    let secs = name.split('.').next()?.parse().ok()?;
    Some((String::from_utf8(out).ok()?, secs))
}

/// The seen set as the cache's file names tell it (every folder: moved messages count),
/// for when the index has none. Listed-only messages have no file and are not found;
/// they are listed again.
pub(crate) fn rows_from_names(handle: &LocalHandle) -> Result<Vec<UidlRow>, StoreError> {
    let mut rows = Vec::new();
    for f in handle.tree().folders()? {
        for sub in ["new", "cur"] {
            let Ok(rd) = std::fs::read_dir(f.dir.join(sub)) else {
                continue;
            };
            for e in rd.flatten() {
                let name = e.file_name();
                let Some(name) = name.to_str() else { continue };
                if let Some((uidl, seen_at)) = uidl_of_name(name) {
                    let uid = name.split(":2,").next().unwrap_or(name);
                    rows.push(UidlRow {
                        uidl,
                        uid: LocalId(uid.to_string()),
                        state: UidlState::Stored,
                        seen_at,
                    });
                }
            }
        }
    }
    Ok(rows)
}

/// After a crash: a `pending` row whose file reached the folder becomes `stored`;
/// one whose file did not is forgotten (its message is downloaded again). Returns
/// every row afterwards. With `from_names`, an empty seen set is first looked for in
/// the file names (only worth a listing of the cache when the server has mail that is
/// kept there).
pub(crate) fn recover(
    handle: &LocalHandle,
    account: &AccountId,
    from_names: bool,
) -> Result<Vec<UidlRow>, StoreError> {
    let inbox_path = FolderPath::inbox();
    let inbox = handle.tree().ensure_folder(&inbox_path)?;
    let mut ix = handle.index();
    let mut rows = ix.pop3_rows(account, &inbox_path)?;
    if rows.is_empty() && from_names {
        // A new cache, or an index that was lost: the file names know.
        let found = rows_from_names(handle)?;
        if !found.is_empty() {
            ix.pop3_put(account, &inbox_path, &found)?;
            rows = found;
        }
    }
    let mut promote = Vec::new();
    let mut forget = Vec::new();
    for r in rows.iter().filter(|r| r.state == UidlState::Pending) {
        match inbox.locate(&r.uid, Some(&r.uid.0)) {
            Ok(_) => promote.push(UidlRow {
                state: UidlState::Stored,
                ..r.clone()
            }),
            Err(StoreError::NotFound { .. }) => forget.push(r.uidl.clone()),
            Err(e) => return Err(e),
        }
    }
    if promote.is_empty() && forget.is_empty() {
        return Ok(rows);
    }
    ix.pop3_put(account, &inbox_path, &promote)?;
    ix.pop3_forget(account, &inbox_path, &forget)?;
    ix.pop3_rows(account, &inbox_path)
}

/// Records a message bigger than max-size from its header (TOP n 0): an envelope
/// without a body, fetched when opened.
pub(crate) fn record_listed(
    handle: &LocalHandle,
    account: &AccountId,
    uidl: &str,
    size: u64,
    header: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    let mut fields = crate::mime::header_fields(header);
    if fields.subject.is_empty() {
        fields.subject = "(no subject)".into();
    }
    let row = UidlRow {
        uidl: uidl.to_string(),
        uid: LocalId(name_for(size, Some(uidl))),
        state: UidlState::Listed,
        seen_at: now,
    };
    handle
        .index()
        .pop3_add_listed(account, &FolderPath::inbox(), &row, size, &fields)
}

/// Forgets messages the server no longer has (or deleted at our QUIT).
pub(crate) fn forget(
    handle: &LocalHandle,
    account: &AccountId,
    uidls: &[String],
) -> Result<(), StoreError> {
    handle
        .index()
        .pop3_forget(account, &FolderPath::inbox(), uidls)
}

/// fsyncs every written file, on several threads.
fn fsync_all(items: &mut [(Written, LocalId)]) -> Result<(), StoreError> {
    let per = items.len().div_ceil(SYNC_THREADS).max(1);
    std::thread::scope(|s| {
        let workers: Vec<_> = items
            .chunks_mut(per)
            .map(|chunk| {
                s.spawn(move || chunk.iter_mut().try_for_each(|(w, _)| w.delivery.fsync()))
            })
            .collect();
        let mut first = Ok(());
        for w in workers {
            let r = w.join().unwrap_or_else(|_| {
                Err(StoreError::Invalid {
                    path: std::path::PathBuf::new(),
                    reason: "an fsync worker failed".into(),
                })
            });
            if first.is_ok() {
                first = r;
            }
        }
        first
    })
}

/// The envelope fields of a header block; a parser crash gives a placeholder instead
/// of taking the download down (the message itself is stored as it came).
fn parse_head(head: &[u8]) -> crate::core::envelope::HeaderFields {
    std::panic::catch_unwind(|| crate::mime::header_fields(head)).unwrap_or_else(|_| {
        crate::core::envelope::HeaderFields {
            subject: "(unreadable headers)".into(),
            ..Default::default()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uidl_survives_in_the_file_name() {
        for uidl in [
            "whqtswO00WBw418f9t5JxYwZ",
            "a/b:c,d%e f",
            "00000001507a8b9c",
        ] {
            let name = name_for(1234, Some(uidl));
            assert!(!name.contains('/') && !name[..].contains(':'), "{name}");
            let (back, secs) = uidl_of_name(&format!("{name}:2,S")).unwrap();
            assert_eq!(back, uidl);
            assert!(secs > 1_600_000_000);
        }
        assert_eq!(uidl_of_name("1700000000.M1P2Q3.host,S=10"), None);
    }
}
