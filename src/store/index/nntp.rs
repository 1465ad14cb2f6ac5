//! What an NNTP account keeps in the index: one envelope per article of a subscribed
//! group, filled from the server's overview data, with its remote reference (article
//! number and Message-ID) written in the same transaction, so a row never exists
//! without the server name that finds it again. Bodies are cached later (`set_files`).
//!
//! Only the account's actor calls these, through its own `Index`.

use super::{Index, NewEnvelope, err};
use crate::core::{AccountId, Flags, FolderPath, LocalId};
use crate::store::StoreError;
use rusqlite::params;

/// An article the index knows in a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NntpRow {
    pub number: u64,
    pub id: LocalId,
    pub flags: Flags,
    pub message_id: String,
    /// The cached file, if the body was fetched.
    pub file_name: Option<String>,
}

impl Index {
    /// The group's articles, by number.
    pub fn nntp_rows(
        &self,
        account: &AccountId,
        folder: &FolderPath,
    ) -> Result<Vec<NntpRow>, StoreError> {
        let id = self.folder_id(account, folder)?;
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT r.article, r.uid, e.flags, r.message_id, e.file_name FROM remote_refs r
                 JOIN envelopes e ON e.folder_id = r.folder_id AND e.uid = r.uid
                 WHERE r.folder_id=?1 AND r.kind='nntp' ORDER BY r.article",
            )
            .map_err(self.e("read the group's articles"))?;
        let rows = st
            .query_map(params![id], |r| {
                Ok(NntpRow {
                    number: r.get::<_, i64>(0)? as u64,
                    id: LocalId(r.get(1)?),
                    flags: Flags::from_bits(r.get::<_, i64>(2)? as u8),
                    message_id: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    file_name: r.get(4)?,
                })
            })
            .map_err(self.e("read the group's articles"))?;
        rows.collect::<Result<_, _>>()
            .map_err(self.e("read the group's articles"))
    }

    /// One article by its local id.
    pub fn nntp_row(
        &self,
        account: &AccountId,
        folder: &FolderPath,
        uid: &LocalId,
    ) -> Result<Option<NntpRow>, StoreError> {
        use rusqlite::OptionalExtension;
        let id = self.folder_id(account, folder)?;
        self.conn
            .query_row(
                "SELECT r.article, r.uid, e.flags, r.message_id, e.file_name FROM remote_refs r
                 JOIN envelopes e ON e.folder_id = r.folder_id AND e.uid = r.uid
                 WHERE r.folder_id=?1 AND r.uid=?2 AND r.kind='nntp'",
                params![id, uid.0],
                |r| {
                    Ok(NntpRow {
                        number: r.get::<_, i64>(0)? as u64,
                        id: LocalId(r.get(1)?),
                        flags: Flags::from_bits(r.get::<_, i64>(2)? as u8),
                        message_id: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                        file_name: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(self.e("read an article"))
    }

    /// Inserts envelopes from overview data with their article numbers and
    /// Message-IDs, in one transaction.
    pub fn add_overview(
        &mut self,
        account: &AccountId,
        folder: &FolderPath,
        rows: &[(NewEnvelope, u64)],
    ) -> Result<(), StoreError> {
        let fid = self.folder_id(account, folder)?;
        let path = self.path.clone();
        let e = |x| err("record overview data", &path, x);
        let tx = self.conn.transaction().map_err(e)?;
        {
            let mut ins = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO envelopes VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
                )
                .map_err(e)?;
            let mut rr = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO remote_refs VALUES (?1, ?2, 'nntp', NULL, NULL, NULL, ?3, ?4)",
                )
                .map_err(e)?;
            for (n, number) in rows {
                let f = &n.fields;
                ins.execute(params![
                    fid,
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
                ])
                .map_err(e)?;
                rr.execute(params![fid, n.uid, *number as i64, f.message_id])
                    .map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }

    /// Sets the flags of existing rows (the read state from a .newsrc), in one
    /// transaction.
    pub fn set_flag_bits(
        &mut self,
        account: &AccountId,
        folder: &FolderPath,
        rows: &[(LocalId, Flags)],
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let fid = self.folder_id(account, folder)?;
        let path = self.path.clone();
        let e = |x| err("record read state", &path, x);
        let tx = self.conn.transaction().map_err(e)?;
        {
            let mut upd = tx
                .prepare_cached("UPDATE envelopes SET flags=?3 WHERE folder_id=?1 AND uid=?2")
                .map_err(e)?;
            for (id, flags) in rows {
                upd.execute(params![fid, id.0, flags.bits()]).map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }
}
