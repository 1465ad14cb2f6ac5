//! The full-text index: an FTS5 table over every message's headers, the text a reader
//! sees of its body, and its attachment names, inside the envelope index.
//!
//! - `fts` is contentless (the text lives in the Maildir, not twice on disk) with
//!   `contentless_delete`, tokenised by `unicode61 remove_diacritics 2` (the rule
//!   `core::query::fold` follows).
//! - `fts_docs` maps an FTS row to its envelope (folder id, uid). The body is the
//!   first column: FTS5 marks postings in any other column, so this is the smallest.
//! - `fts_pending` queues the envelopes whose text is not indexed yet. A new envelope
//!   (any account, any protocol) is queued by the statement that writes it
//!   (`write::EnvelopeWriter`; a trigger there cost a statement journal per row).
//!   Triggers on `envelopes` keep the rest in step in the same transaction as the
//!   envelope change: a moved one keeps its text
//!   under its new key, a deleted one leaves the index, one whose body was just fetched
//!   is queued again. Flags are not in the full-text index; searches join `envelopes`
//!   for them, so a flag change needs nothing here.
//! - `FtsWriter` (its own connection, short transactions) empties the queue: it never
//!   holds the write lock for long, and a killed indexer resumes from the queue.
//!
//! Document ids follow the message date (`docid_base`): newest-first results are a
//! descending walk of the index that stops after the first screen, and a date range is
//! a range of ids. Knows nothing of MIME: the caller extracts the text (`DocText`).

use super::err;
use crate::core::{AccountId, FolderPath};
use crate::store::StoreError;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// The tables, index and triggers of schema 2 (all `IF NOT EXISTS`).
pub(super) const OBJECTS: &str = "
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    body, sender, recipients, cc, subject, attachments,
    content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS fts_docs(
    docid INTEGER PRIMARY KEY, folder_id INTEGER NOT NULL, uid TEXT NOT NULL,
    body INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS fts_docs_key ON fts_docs(folder_id, uid);
CREATE TABLE IF NOT EXISTS fts_pending(
    folder_id INTEGER NOT NULL, uid TEXT NOT NULL, gen INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY(folder_id, uid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fts_meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
DROP TRIGGER IF EXISTS fts_envelope_added;
CREATE TRIGGER IF NOT EXISTS fts_envelope_fetched AFTER UPDATE OF file_name ON envelopes
    WHEN old.file_name IS NULL AND new.file_name IS NOT NULL BEGIN
    INSERT INTO fts_pending(folder_id, uid) VALUES (new.folder_id, new.uid)
        ON CONFLICT(folder_id, uid) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER IF NOT EXISTS fts_envelope_moved AFTER UPDATE OF folder_id, uid ON envelopes
    WHEN old.folder_id IS NOT new.folder_id OR old.uid IS NOT new.uid BEGIN
    DELETE FROM fts WHERE rowid IN
        (SELECT docid FROM fts_docs WHERE folder_id = new.folder_id AND uid = new.uid);
    DELETE FROM fts_docs WHERE folder_id = new.folder_id AND uid = new.uid;
    DELETE FROM fts_pending WHERE folder_id = new.folder_id AND uid = new.uid;
    UPDATE fts_docs SET folder_id = new.folder_id, uid = new.uid
        WHERE folder_id = old.folder_id AND uid = old.uid;
    UPDATE fts_pending SET folder_id = new.folder_id, uid = new.uid, gen = gen + 1
        WHERE folder_id = old.folder_id AND uid = old.uid;
END;
CREATE TRIGGER IF NOT EXISTS fts_envelope_removed AFTER DELETE ON envelopes BEGIN
    DELETE FROM fts WHERE rowid IN
        (SELECT docid FROM fts_docs WHERE folder_id = old.folder_id AND uid = old.uid);
    DELETE FROM fts_docs WHERE folder_id = old.folder_id AND uid = old.uid;
    DELETE FROM fts_pending WHERE folder_id = old.folder_id AND uid = old.uid;
END;
";

/// Queues one envelope (?1 folder id, ?2 uid), or marks its queued text stale.
pub(super) const QUEUE_ONE: &str = "INSERT INTO fts_pending(folder_id, uid) VALUES (?1, ?2)
    ON CONFLICT(folder_id, uid) DO UPDATE SET gen = gen + 1";

/// Queues every envelope (the 1 -> 2 migration).
pub(super) const QUEUE_ALL: &str =
    "INSERT OR IGNORE INTO fts_pending(folder_id, uid) SELECT folder_id, uid FROM envelopes;";

/// Ids per 256-second slice of time: a document's id is at least `docid_base(date)`.
/// Few ids per slice keep the gaps between ids (stored in every posting) small.
pub const SLOTS: i64 = 4;
/// How far past its slots a crowded slice looks for a free id (about a day of slices).
const SPAN: i64 = SLOTS * 340;

/// The lowest id a message of this date can get; ids grow with dates.
pub fn docid_base(date: i64) -> i64 {
    (date.clamp(0, 1 << 40) >> 8) * SLOTS
}

/// The text of a message that is not in its envelope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocText {
    pub cc: String,
    /// What the reader shows of the body (the plain part, or the HTML as text).
    pub body: String,
    /// Attachment file names, separated by spaces.
    pub attachments: String,
}

/// An envelope waiting to be indexed, with what the indexer needs to find its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingDoc {
    pub folder_id: i64,
    pub uid: String,
    /// Changes whenever the envelope is queued again; a stale result is not stored.
    pub generation: i64,
    pub account: AccountId,
    pub folder: FolderPath,
    /// The cached file; None when only the envelope is known (indexed by headers).
    pub file_name: Option<String>,
    pub date: i64,
    pub from: String,
    pub from_addr: String,
    pub to: String,
    pub subject: String,
}

/// How far the full-text index is: documents indexed and still waiting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FtsProgress {
    pub indexed: u64,
    pub pending: u64,
}

impl FtsProgress {
    pub fn is_complete(&self) -> bool {
        self.pending == 0
    }
}

/// The full-text indexer's own writer connection.
pub struct FtsWriter {
    conn: Connection,
    path: PathBuf,
    /// The file this connection opened (an account that heals the index replaces it).
    identity: Option<(u64, u64)>,
}

pub(super) fn progress(conn: &Connection, path: &Path) -> Result<FtsProgress, StoreError> {
    let e = |x| err("read indexing progress", path, x);
    let pending: i64 = conn
        .query_row("SELECT COUNT(*) FROM fts_pending", [], |r| r.get(0))
        .map_err(e)?;
    let indexed: i64 = conn
        .query_row("SELECT COUNT(*) FROM fts_docs", [], |r| r.get(0))
        .map_err(e)?;
    Ok(FtsProgress {
        indexed: indexed as u64,
        pending: pending as u64,
    })
}

/// The largest distance between a document's id and its date's base (see `assign`).
pub(super) fn max_spill(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT value FROM fts_meta WHERE key = 'max_spill'",
        [],
        |r| r.get(0),
    )
    .optional()
    .map(|v| v.unwrap_or(0))
}

impl FtsWriter {
    /// Opens a writer on an index that `Index::open` has already brought to schema 2.
    pub fn open(path: &Path) -> Result<FtsWriter, StoreError> {
        let conn = Connection::open(path).map_err(|e| err("open", path, e))?;
        conn.execute_batch(
            "PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             PRAGMA cache_size=-32000;",
        )
        .map_err(|e| err("open", path, e))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| err("open", path, e))?;
        if version != super::SCHEMA_VERSION {
            return Err(StoreError::Invalid {
                path: path.into(),
                reason: format!(
                    "the full-text index needs schema {}, the file has {version}",
                    super::SCHEMA_VERSION
                ),
            });
        }
        Ok(FtsWriter {
            conn,
            path: path.to_path_buf(),
            identity: super::file_identity(path),
        })
    }

    /// False when the file at the index path is no longer the one this writer opened
    /// (an account moved a damaged index aside and started a new one): open again.
    pub fn is_current(&self) -> bool {
        super::file_identity(&self.path) == self.identity
    }

    pub fn progress(&self) -> Result<FtsProgress, StoreError> {
        progress(&self.conn, &self.path)
    }

    /// How many messages wait (without counting the indexed ones).
    pub fn pending_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM fts_pending", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| err("read indexing progress", &self.path, e))
    }

    /// Up to `limit` queued envelopes, after `after` (the last of the previous batch)
    /// when given. Queue entries whose envelope is gone (which the triggers prevent,
    /// but a foreign writer might not) are dropped.
    pub fn pending(
        &self,
        limit: usize,
        after: Option<(i64, &str)>,
    ) -> Result<Vec<PendingDoc>, StoreError> {
        let e = |x| err("read the indexing queue", &self.path, x);
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT p.folder_id, p.uid, p.gen, f.account, f.path, e.file_name, e.date,
                        e.from_name, e.from_addr, e.to_list, e.subject
                 FROM fts_pending p
                 JOIN envelopes e ON e.folder_id = p.folder_id AND e.uid = p.uid
                 JOIN folders f ON f.id = p.folder_id
                 WHERE ?2 IS NULL OR (p.folder_id, p.uid) < (?2, ?3)
                 ORDER BY p.folder_id DESC, p.uid DESC LIMIT ?1",
            )
            .map_err(e)?;
        let docs: Vec<PendingDoc> = st
            .query_map(
                params![limit as i64, after.map(|a| a.0), after.map(|a| a.1)],
                |r| {
                    Ok(PendingDoc {
                        folder_id: r.get(0)?,
                        uid: r.get(1)?,
                        generation: r.get(2)?,
                        account: AccountId(r.get(3)?),
                        folder: FolderPath(r.get(4)?),
                        file_name: r.get(5)?,
                        date: r.get(6)?,
                        from: r.get(7)?,
                        from_addr: r.get(8)?,
                        to: r.get(9)?,
                        subject: r.get(10)?,
                    })
                },
            )
            .map_err(e)?
            .collect::<Result<_, _>>()
            .map_err(e)?;
        if docs.len() < limit && after.is_none() {
            self.conn
                .execute(
                    "DELETE FROM fts_pending WHERE NOT EXISTS (SELECT 1 FROM envelopes e
                     WHERE e.folder_id = fts_pending.folder_id AND e.uid = fts_pending.uid)",
                    [],
                )
                .map_err(e)?;
        }
        Ok(docs)
    }

    /// Stores a batch in one transaction. `None` text: the body is not available
    /// (not cached, or unreadable) and the headers alone are indexed. A document
    /// queued again (or moved, or deleted) since `pending` read it is skipped and left
    /// to the next batch. Returns how many were stored.
    pub fn store(&mut self, docs: &[(PendingDoc, Option<DocText>)]) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let e = |x| err("write the full-text index", &path, x);
        let tx = self.conn.transaction().map_err(e)?;
        let mut kept: Vec<(&PendingDoc, Option<&DocText>)> = Vec::with_capacity(docs.len());
        {
            let mut take = tx
                .prepare_cached("DELETE FROM fts_pending WHERE folder_id=?1 AND uid=?2 AND gen=?3")
                .map_err(e)?;
            let mut old = tx
                .prepare_cached("SELECT docid FROM fts_docs WHERE folder_id=?1 AND uid=?2")
                .map_err(e)?;
            let mut drop_fts = tx
                .prepare_cached("DELETE FROM fts WHERE rowid=?1")
                .map_err(e)?;
            let mut drop_doc = tx
                .prepare_cached("DELETE FROM fts_docs WHERE docid=?1")
                .map_err(e)?;
            // Deletions first: FTS5 wants the inserts of a transaction in id order.
            for (d, text) in docs {
                if take
                    .execute(params![d.folder_id, d.uid, d.generation])
                    .map_err(e)?
                    == 0
                {
                    continue;
                }
                if let Some(id) = old
                    .query_row(params![d.folder_id, d.uid], |r| r.get::<_, i64>(0))
                    .optional()
                    .map_err(e)?
                {
                    drop_fts.execute([id]).map_err(e)?;
                    drop_doc.execute([id]).map_err(e)?;
                }
                kept.push((d, text.as_ref()));
            }
        }
        kept.sort_by_key(|(d, _)| d.date);
        let mut ids = Vec::with_capacity(kept.len());
        {
            let mut add_doc = tx
                .prepare_cached(
                    "INSERT INTO fts_docs(docid, folder_id, uid, body) VALUES (?1,?2,?3,?4)",
                )
                .map_err(e)?;
            let mut spill = max_spill(&tx).map_err(e)?;
            let spill_before = spill;
            for (d, text) in &kept {
                let id = assign(&tx, d.date).map_err(e)?;
                spill = spill.max(id - docid_base(d.date));
                add_doc
                    .execute(params![id, d.folder_id, d.uid, text.is_some()])
                    .map_err(e)?;
                ids.push(id);
            }
            if spill > spill_before {
                tx.execute(
                    "INSERT OR REPLACE INTO fts_meta(key, value) VALUES ('max_spill', ?1)",
                    [spill],
                )
                .map_err(e)?;
            }
        }
        let mut order: Vec<usize> = (0..kept.len()).collect();
        order.sort_by_key(|&i| ids[i]);
        {
            let mut add = tx
                .prepare_cached(
                    "INSERT INTO fts(rowid, body, sender, recipients, cc, subject, attachments)
                     VALUES (?1,?2,?3,?4,?5,?6,?7)",
                )
                .map_err(e)?;
            let none = DocText::default();
            for i in order {
                let (d, text) = kept[i];
                let t = text.unwrap_or(&none);
                let sender = format!("{} {}", d.from, d.from_addr);
                add.execute(params![
                    ids[i],
                    t.body,
                    sender,
                    d.to,
                    t.cc,
                    d.subject,
                    t.attachments
                ])
                .map_err(e)?;
            }
        }
        tx.commit().map_err(e)?;
        Ok(kept.len())
    }

    /// One bounded step of merging the index's segments (smaller, faster to query).
    /// Returns false when there was nothing left to merge.
    pub fn merge_step(&mut self, pages: i64) -> Result<bool, StoreError> {
        let before = self.conn.total_changes();
        self.conn
            .execute(
                "INSERT INTO fts(fts, rank) VALUES ('merge', ?1)",
                [pages.max(16)],
            )
            .map_err(|x| err("merge the full-text index", &self.path, x))?;
        Ok(self.conn.total_changes() - before > 1)
    }
}

/// A free id for a message of this date: the lowest above the ids already used in its
/// slice; a crowded slice spills into the following ones (up to a day), then past the
/// highest id in use. `max_spill` records how far ids ever spilled, for date ranges.
fn assign(conn: &Connection, date: i64) -> rusqlite::Result<i64> {
    let base = docid_base(date);
    let top = |hi: i64| -> rusqlite::Result<Option<i64>> {
        conn.prepare_cached("SELECT max(docid) FROM fts_docs WHERE docid >= ?1 AND docid < ?2")?
            .query_row([base, hi], |r| r.get(0))
    };
    let free = |id: i64| -> rusqlite::Result<bool> {
        conn.prepare_cached("SELECT NOT EXISTS (SELECT 1 FROM fts_docs WHERE docid = ?1)")?
            .query_row([id], |r| r.get(0))
    };
    match top(base + SLOTS)? {
        None => return Ok(base),
        Some(m) if m + 1 < base + SLOTS => return Ok(m + 1),
        _ => {}
    }
    if let Some(m) = top(base + SPAN)?
        && free(m + 1)?
    {
        return Ok(m + 1);
    }
    let highest: i64 = conn
        .prepare_cached("SELECT COALESCE(max(docid), 0) FROM fts_docs")?
        .query_row([], |r| r.get(0))?;
    Ok(highest.max(base) + 1)
}
