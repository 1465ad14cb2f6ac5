//! What an NNTP account keeps in the index: one envelope per article of a subscribed
//! group, filled from the server's overview data. Its id carries the article number
//! (`hash.NUMBER.nntp`) and the row its Message-ID, so a row never exists without the
//! server names that find it again, and no second table is written per article (the
//! overview of a large group is inserted as fast as SQLite allows). Bodies are cached
//! later (`set_files`).
//!
//! Only the account's actor calls these, through its own `Index`.

use super::write::EnvelopeWriter;
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

/// The article number in an NNTP cache id (`hash.NUMBER.nntp`, see
/// `account::nntp::local_id`).
pub fn article_number(uid: &str) -> Option<u64> {
    uid.strip_suffix(".nntp")?.rsplit_once('.')?.1.parse().ok()
}

/// An envelope row as an article; None for a row that is not one (no number in its id).
fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<NntpRow>> {
    let uid: String = r.get(0)?;
    let Some(number) = article_number(&uid) else {
        return Ok(None);
    };
    Ok(Some(NntpRow {
        number,
        id: LocalId(uid),
        flags: Flags::from_bits(r.get::<_, i64>(1)? as u8),
        message_id: r.get(2)?,
        file_name: r.get(3)?,
    }))
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
                "SELECT uid, flags, message_id, file_name FROM envelopes WHERE folder_id=?1",
            )
            .map_err(self.e("read the group's articles"))?;
        let rows = st
            .query_map(params![id], row)
            .map_err(self.e("read the group's articles"))?;
        let mut out: Vec<NntpRow> = rows
            .filter_map(|r| r.transpose())
            .collect::<Result<_, _>>()
            .map_err(self.e("read the group's articles"))?;
        out.sort_unstable_by_key(|r| r.number);
        Ok(out)
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
                "SELECT uid, flags, message_id, file_name FROM envelopes
                 WHERE folder_id=?1 AND uid=?2",
                params![id, uid.0],
                row,
            )
            .optional()
            .map(Option::flatten)
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
            let mut ins = EnvelopeWriter::new(&tx).map_err(e)?;
            for (n, number) in rows {
                // The article number is part of the id: that is its server name.
                debug_assert_eq!(article_number(&n.uid), Some(*number));
                ins.insert(fid, n).map_err(e)?;
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

#[cfg(test)]
mod tests {
    use super::article_number;

    #[test]
    fn the_article_number_comes_from_the_id() {
        assert_eq!(article_number("0badcafe.4711.nntp"), Some(4711));
        assert_eq!(article_number("0badcafe.4711.imap"), None);
        assert_eq!(article_number("0badcafe.x.nntp"), None);
        assert_eq!(article_number("nntp"), None);
    }
}
