//! What a server account's sync writes: envelopes together with their remote
//! references (one transaction per batch, so a row never exists without the server name
//! that finds it again), cached bodies as they arrive, flag changes and vanished
//! messages seen on the server, and the queue of changes made offline.
//!
//! Only the account's actor calls these, through its own `Index`.

use super::write::EnvelopeWriter;
use super::{Index, NewEnvelope, err};
use crate::core::{AccountId, Flags, FolderPath, LocalId};
use crate::store::StoreError;
use rusqlite::params;

/// A message the index knows in a folder, by its IMAP UID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mirrored {
    pub uid: u32,
    pub id: LocalId,
    pub flags: Flags,
    /// The cached file, if the body was fetched.
    pub file_name: Option<String>,
    pub date: i64,
    pub size: u64,
}

impl Index {
    /// The folder's messages that carry an IMAP reference under `uidvalidity`.
    pub fn mirrored(
        &self,
        account: &AccountId,
        folder: &FolderPath,
        uidvalidity: u32,
    ) -> Result<Vec<Mirrored>, StoreError> {
        let id = self.folder_id(account, folder)?;
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT r.imap_uid, r.uid, e.flags, e.file_name, e.date, e.size FROM remote_refs r
                 JOIN envelopes e ON e.folder_id = r.folder_id AND e.uid = r.uid
                 WHERE r.folder_id=?1 AND r.kind='imap' AND r.uidvalidity=?2
                 ORDER BY r.imap_uid",
            )
            .map_err(self.e("read the folder's server map"))?;
        let rows = st
            .query_map(params![id, uidvalidity as i64], |r| {
                Ok(Mirrored {
                    uid: r.get::<_, i64>(0)? as u32,
                    id: LocalId(r.get(1)?),
                    flags: Flags::from_bits(r.get::<_, i64>(2)? as u8),
                    file_name: r.get(3)?,
                    date: r.get(4)?,
                    size: r.get::<_, i64>(5)? as u64,
                })
            })
            .map_err(self.e("read the folder's server map"))?;
        rows.collect::<Result<_, _>>()
            .map_err(self.e("read the folder's server map"))
    }

    /// Every row of the folder that has no IMAP reference under `uidvalidity` (a
    /// UIDVALIDITY change made them unknown): (id, cached file).
    pub fn stale_rows(
        &self,
        account: &AccountId,
        folder: &FolderPath,
        uidvalidity: u32,
    ) -> Result<Vec<(LocalId, Option<String>)>, StoreError> {
        let id = self.folder_id(account, folder)?;
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT e.uid, e.file_name FROM envelopes e WHERE e.folder_id=?1 AND NOT EXISTS
                 (SELECT 1 FROM remote_refs r WHERE r.folder_id=?1 AND r.uid=e.uid
                  AND r.kind='imap' AND r.uidvalidity=?2)",
            )
            .map_err(self.e("read stale rows"))?;
        let rows = st
            .query_map(params![id, uidvalidity as i64], |r| {
                Ok((LocalId(r.get(0)?), r.get(1)?))
            })
            .map_err(self.e("read stale rows"))?;
        rows.collect::<Result<_, _>>()
            .map_err(self.e("read stale rows"))
    }

    /// Inserts envelopes with their IMAP UIDs, in one transaction.
    pub fn add_mirrored(
        &mut self,
        account: &AccountId,
        folder: &FolderPath,
        uidvalidity: u32,
        rows: &[(NewEnvelope, u32)],
    ) -> Result<(), StoreError> {
        let fid = self.folder_id(account, folder)?;
        let path = self.path.clone();
        let e = |x| err("record fetched envelopes", &path, x);
        let tx = self.conn.transaction().map_err(e)?;
        {
            let mut ins = EnvelopeWriter::new(&tx).map_err(e)?;
            let mut rr = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO remote_refs VALUES (?1, ?2, 'imap', ?3, ?4, NULL, NULL, NULL)",
                )
                .map_err(e)?;
            for (n, uid) in rows {
                ins.insert(fid, n).map_err(e)?;
                rr.execute(params![fid, n.uid, uidvalidity as i64, *uid as i64])
                    .map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }

    /// Records cached files and flags for existing rows: (id, file name, flags).
    pub fn set_files(
        &mut self,
        account: &AccountId,
        folder: &FolderPath,
        rows: &[(LocalId, Option<String>, Flags)],
    ) -> Result<(), StoreError> {
        let fid = self.folder_id(account, folder)?;
        let path = self.path.clone();
        let e = |x| err("record cached messages", &path, x);
        let tx = self.conn.transaction().map_err(e)?;
        {
            let mut upd = tx
                .prepare_cached(
                    "UPDATE envelopes SET file_name=?3, flags=?4 WHERE folder_id=?1 AND uid=?2",
                )
                .map_err(e)?;
            for (id, name, flags) in rows {
                upd.execute(params![fid, id.0, name, flags.bits()])
                    .map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }

    /// Forgets rows (envelope, server reference, Trash origin), in one transaction.
    pub fn remove_rows(
        &mut self,
        account: &AccountId,
        folder: &FolderPath,
        ids: &[LocalId],
    ) -> Result<(), StoreError> {
        let fid = self.folder_id(account, folder)?;
        let path = self.path.clone();
        let e = |x| err("remove vanished messages", &path, x);
        let tx = self.conn.transaction().map_err(e)?;
        for id in ids {
            tx.execute(
                "DELETE FROM envelopes WHERE folder_id=?1 AND uid=?2",
                params![fid, id.0],
            )
            .map_err(e)?;
            tx.execute(
                "DELETE FROM remote_refs WHERE folder_id=?1 AND uid=?2",
                params![fid, id.0],
            )
            .map_err(e)?;
        }
        tx.commit().map_err(e)
    }

    /// Points a row's server reference at a new folder/UID (after a move on the server),
    /// or drops it (`None`: the server did not say where the message went).
    pub fn rebind(
        &mut self,
        account: &AccountId,
        from: &FolderPath,
        to: &FolderPath,
        id: &LocalId,
        new: Option<(u32, u32)>,
    ) -> Result<(), StoreError> {
        let (a, b) = (self.folder_id(account, from)?, self.folder_id(account, to)?);
        let path = self.path.clone();
        let e = |x| err("record a server move", &path, x);
        let tx = self.conn.transaction().map_err(e)?;
        tx.execute(
            "DELETE FROM remote_refs WHERE folder_id=?1 AND uid=?2",
            params![a, id.0],
        )
        .map_err(e)?;
        if let Some((validity, uid)) = new {
            tx.execute(
                "INSERT OR REPLACE INTO remote_refs VALUES (?1, ?2, 'imap', ?3, ?4, NULL, NULL, NULL)",
                params![b, id.0, validity as i64, uid as i64],
            )
            .map_err(e)?;
        }
        tx.commit().map_err(e)
    }

    /// Queues a change for the server (the local change is already done).
    pub fn enqueue(
        &self,
        account: &AccountId,
        folder: &FolderPath,
        id: &LocalId,
        op: &str,
        arg: &str,
    ) -> Result<i64, StoreError> {
        let fid = self.folder_id(account, folder)?;
        self.conn
            .execute(
                "INSERT INTO pending_changes(folder_id, uid, op, arg, created)
                 VALUES (?1, ?2, ?3, ?4, strftime('%s','now'))",
                params![fid, id.0, op, arg],
            )
            .map_err(self.e("queue a change"))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// One row: its flags, cached file, date, size and IMAP reference.
    pub fn row(
        &self,
        account: &AccountId,
        folder: &FolderPath,
        id: &LocalId,
    ) -> Result<Option<Row>, StoreError> {
        use rusqlite::OptionalExtension;
        let fid = self.folder_id(account, folder)?;
        self.conn
            .query_row(
                "SELECT e.flags, e.file_name, e.date, e.size, r.uidvalidity, r.imap_uid
                 FROM envelopes e LEFT JOIN remote_refs r
                   ON r.folder_id = e.folder_id AND r.uid = e.uid AND r.kind = 'imap'
                 WHERE e.folder_id=?1 AND e.uid=?2",
                params![fid, id.0],
                |r| {
                    let v: Option<i64> = r.get(4)?;
                    let u: Option<i64> = r.get(5)?;
                    Ok(Row {
                        flags: Flags::from_bits(r.get::<_, i64>(0)? as u8),
                        file_name: r.get(1)?,
                        date: r.get(2)?,
                        size: r.get::<_, i64>(3)? as u64,
                        imap: v.zip(u).map(|(v, u)| (v as u32, u as u32)),
                    })
                },
            )
            .optional()
            .map_err(self.e("read a message"))
    }

    /// Moves a row to another folder (its id and cached file may change), keeping
    /// its envelope; the server reference is left to `rebind`.
    pub fn move_row(
        &mut self,
        account: &AccountId,
        from: &FolderPath,
        to: &FolderPath,
        old: &LocalId,
        (new, file_name, flags): (&LocalId, Option<&str>, Flags),
    ) -> Result<(), StoreError> {
        let (a, b) = (self.folder_id(account, from)?, self.folder_id(account, to)?);
        let path = self.path.clone();
        let e = |x| err("move", &path, x);
        let tx = self.conn.transaction().map_err(e)?;
        tx.execute(
            "DELETE FROM envelopes WHERE folder_id=?1 AND uid=?2",
            params![b, new.0],
        )
        .map_err(e)?;
        tx.execute(
            "UPDATE envelopes SET folder_id=?2, uid=?4, file_name=?5, flags=?6
             WHERE folder_id=?1 AND uid=?3",
            params![a, b, old.0, new.0, file_name, flags.bits()],
        )
        .map_err(e)?;
        tx.execute(
            "DELETE FROM remote_refs WHERE folder_id=?1 AND uid=?2",
            params![a, old.0],
        )
        .map_err(e)?;
        tx.commit().map_err(e)
    }

    /// A queued change now concerns another id (the message got a fresh cache name).
    pub fn retarget_pending(&self, seq: i64, id: &LocalId) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE pending_changes SET uid=?2 WHERE seq=?1",
                params![seq, id.0],
            )
            .map_err(self.e("update a queued change"))?;
        Ok(())
    }
}

/// A row as `row` reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub flags: Flags,
    pub file_name: Option<String>,
    pub date: i64,
    pub size: u64,
    /// (UIDVALIDITY, UID)
    pub imap: Option<(u32, u32)>,
}

impl Index {
    /// A folder (and its subfolders) renamed: rows keep their envelopes and references.
    pub fn rename_folder(
        &mut self,
        account: &AccountId,
        from: &FolderPath,
        to: &FolderPath,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let e = |x| err("rename a folder", &path, x);
        let tx = self.conn.transaction().map_err(e)?;
        tx.execute(
            "UPDATE folders SET path = ?3 || substr(path, length(?2) + 1)
             WHERE account=?1 AND (path=?2 OR substr(path, 1, length(?2) + 1) = ?2 || '/')",
            params![account.0, from.0, to.0],
        )
        .map_err(e)?;
        tx.commit().map_err(e)
    }

    /// A folder removed: its rows, references, sync state and queued changes go.
    pub fn remove_folder(
        &mut self,
        account: &AccountId,
        folder: &FolderPath,
    ) -> Result<(), StoreError> {
        let fid = self.folder_id(account, folder)?;
        let path = self.path.clone();
        let e = |x| err("remove a folder", &path, x);
        let tx = self.conn.transaction().map_err(e)?;
        for table in ["envelopes", "remote_refs", "pending_changes"] {
            tx.execute(&format!("DELETE FROM {table} WHERE folder_id=?1"), [fid])
                .map_err(e)?;
        }
        tx.execute("DELETE FROM sync_state WHERE folder_id=?1", [fid])
            .map_err(e)?;
        tx.execute("DELETE FROM folders WHERE id=?1", [fid])
            .map_err(e)?;
        tx.commit().map_err(e)
    }
}
