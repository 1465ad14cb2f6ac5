//! Writing the index: a scan's changes, and the changes posthorn makes itself (flags,
//! moves, Trash origins). Only the account's actor calls these, through its own `Index`.

use super::{Index, err};
use crate::core::envelope::HeaderFields;
use crate::core::{AccountId, Flags, FolderPath, LocalId};
use crate::store::StoreError;
use rusqlite::params;
use std::collections::HashMap;

/// A new message found by a scan (or fetched from a server), ready to insert.
pub struct NewEnvelope {
    pub uid: String,
    /// The cached file; None for an envelope whose body is not fetched yet.
    pub file_name: Option<String>,
    pub size: u64,
    pub flags: Flags,
    pub fields: HeaderFields,
}

/// What a scan found changed in one folder.
#[derive(Default)]
pub struct FolderChanges {
    pub added: Vec<NewEnvelope>,
    /// (uid, new file name, new flags)
    pub renamed: Vec<(String, String, Flags)>,
    /// Files that are gone. A row that has a remote reference keeps its envelope and
    /// loses only its locator (the server still has the message); others are deleted.
    pub removed: Vec<String>,
}

impl FolderChanges {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.renamed.is_empty() && self.removed.is_empty()
    }
}

/// Writes new envelope rows, each replacing any with the same (folder, uid), and queues
/// each for the full-text indexer: what every writer of new envelopes (scan, IMAP
/// mirror, POP3, NNTP overview) goes through. The queueing was a trigger; a trigger on
/// the insert made SQLite keep a statement journal for every row (a copy of each page
/// it touched), a fifth of an NNTP sync.
pub(super) struct EnvelopeWriter<'c> {
    insert: rusqlite::CachedStatement<'c>,
    queue: rusqlite::CachedStatement<'c>,
}

impl<'c> EnvelopeWriter<'c> {
    pub(super) fn new(c: &'c rusqlite::Connection) -> rusqlite::Result<Self> {
        Ok(EnvelopeWriter {
            insert: c.prepare_cached(
                "INSERT OR REPLACE INTO envelopes VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
            )?,
            queue: c.prepare_cached(super::fts::QUEUE_ONE)?,
        })
    }

    /// One envelope `n` in `folder_id`, queued for the full-text index.
    pub(super) fn insert(&mut self, folder_id: i64, n: &NewEnvelope) -> rusqlite::Result<()> {
        let f = &n.fields;
        self.insert.execute(params![
            folder_id,
            n.uid,
            n.file_name,
            n.size as i64,
            f.date,
            f.from,
            f.from_addr,
            f.to,
            f.subject,
            f.message_id,
            f.in_reply_to,
            f.references.join(" "),
            n.flags.bits(),
            f.has_attachments
        ])?;
        self.queue.execute(params![folder_id, n.uid])?;
        Ok(())
    }
}

impl Index {
    /// uid -> file name of the rows that have a cached file, for the folder's rescan.
    pub fn file_map(&self, folder_id: i64) -> Result<HashMap<String, String>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT uid, file_name FROM envelopes WHERE folder_id=?1 AND file_name IS NOT NULL",
            )
            .map_err(self.e("read file map"))?;
        let rows = st
            .query_map([folder_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(self.e("read file map"))?;
        rows.collect::<Result<_, _>>()
            .map_err(self.e("read file map"))
    }

    /// Applies a scan's changes in one transaction.
    pub fn apply(&mut self, folder_id: i64, ch: &FolderChanges) -> Result<(), StoreError> {
        let path = self.path.clone();
        let e = |op| {
            let path = path.clone();
            move |x| err(op, &path, x)
        };
        let tx = self.conn.transaction().map_err(e("begin"))?;
        {
            let mut ins = EnvelopeWriter::new(&tx).map_err(e("insert"))?;
            for n in &ch.added {
                ins.insert(folder_id, n).map_err(e("insert"))?;
            }
            let mut upd = tx
                .prepare_cached(
                    "UPDATE envelopes SET file_name=?3, flags=?4 WHERE folder_id=?1 AND uid=?2",
                )
                .map_err(e("update"))?;
            for (uid, name, flags) in &ch.renamed {
                upd.execute(params![folder_id, uid, name, flags.bits()])
                    .map_err(e("update"))?;
            }
            let mut unlocate = tx
                .prepare_cached(
                    "UPDATE envelopes SET file_name=NULL WHERE folder_id=?1 AND uid=?2
                     AND EXISTS (SELECT 1 FROM remote_refs r WHERE r.folder_id=?1 AND r.uid=?2)",
                )
                .map_err(e("update"))?;
            let mut del = tx
                .prepare_cached(
                    "DELETE FROM envelopes WHERE folder_id=?1 AND uid=?2 AND file_name IS NOT NULL",
                )
                .map_err(e("delete"))?;
            for uid in &ch.removed {
                unlocate
                    .execute(params![folder_id, uid])
                    .map_err(e("update"))?;
                del.execute(params![folder_id, uid]).map_err(e("delete"))?;
            }
        }
        tx.commit().map_err(e("commit"))
    }

    /// Records a flag change made by posthorn (so the next scan sees no change).
    pub fn set_file(
        &self,
        account: &AccountId,
        folder: &FolderPath,
        uid: &LocalId,
        file_name: &str,
        flags: Flags,
    ) -> Result<(), StoreError> {
        let id = self.folder_id(account, folder)?;
        self.conn
            .execute(
                "UPDATE envelopes SET file_name=?3, flags=?4 WHERE folder_id=?1 AND uid=?2",
                params![id, uid.0, file_name, flags.bits()],
            )
            .map_err(self.e("update flags"))?;
        Ok(())
    }

    /// Records a move made by posthorn: the row changes folder (and id, when the
    /// destination gave the message a fresh unique name), keeping its envelope.
    pub fn move_envelope(
        &mut self,
        account: &AccountId,
        from: &FolderPath,
        to: &FolderPath,
        old: &LocalId,
        (new, file_name, flags): (&LocalId, &str, Flags),
    ) -> Result<(), StoreError> {
        self.move_row(account, from, to, old, (new, Some(file_name), flags))
    }

    /// Remembers where a message was before it went to Trash, for undelete.
    pub fn set_trash_origin(
        &self,
        account: &AccountId,
        uid: &LocalId,
        folder: Option<&FolderPath>,
    ) -> Result<(), StoreError> {
        match folder {
            Some(f) => self.conn.execute(
                "INSERT OR REPLACE INTO trash_origin VALUES (?1, ?2, ?3)",
                params![account.0, uid.0, f.0],
            ),
            None => self.conn.execute(
                "DELETE FROM trash_origin WHERE account=?1 AND uid=?2",
                params![account.0, uid.0],
            ),
        }
        .map_err(self.e("record trash origin"))?;
        Ok(())
    }
}
