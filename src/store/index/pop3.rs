//! What a POP3 account remembers in the index: every message of its server it has
//! seen, by UIDL (RFC 1939 §7), with the local id it got, when it was first stored, and
//! its state:
//!
//! - `pending`: the message is in tmp/ (or just renamed into new/) and this row was
//!   written before the rename, so a crash in between is found on the next run: the
//!   account promotes the row if the file is there and forgets it if not.
//! - `stored`: the local copy is durable. Never downloaded again (leave-on-server); only
//!   now may DELE be sent.
//! - `listed`: bigger than `max-size`: an envelope from TOP without a file, with a
//!   remote reference, fetched when opened.
//!
//! Rows go when the server no longer lists the message. This set is what makes
//! leave-on-server download each message once, so it lives apart from the envelopes: a
//! downloaded message the user deletes locally leaves its row (it must not come back).

use super::{Index, NewEnvelope, err};
use crate::core::envelope::HeaderFields;
use crate::core::{AccountId, Flags, FolderPath, LocalId, RemoteRef};
use crate::store::StoreError;
use rusqlite::params;

/// The table (created with the others, `schema::V1_TABLES`).
pub const POP3_TABLES: &str = "
CREATE TABLE IF NOT EXISTS pop3_uidl(
    folder_id INTEGER NOT NULL, uidl TEXT NOT NULL, uid TEXT NOT NULL, state TEXT NOT NULL,
    seen_at INTEGER NOT NULL, PRIMARY KEY(folder_id, uidl)) WITHOUT ROWID;
";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UidlState {
    Pending,
    Stored,
    Listed,
}

impl UidlState {
    fn as_str(self) -> &'static str {
        match self {
            UidlState::Pending => "pending",
            UidlState::Stored => "stored",
            UidlState::Listed => "listed",
        }
    }
    fn parse(s: &str) -> Option<UidlState> {
        match s {
            "pending" => Some(UidlState::Pending),
            "stored" => Some(UidlState::Stored),
            "listed" => Some(UidlState::Listed),
            _ => None,
        }
    }
}

/// One message of the server the account has seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UidlRow {
    pub uidl: String,
    pub uid: LocalId,
    pub state: UidlState,
    /// Unix time it was first stored (or listed).
    pub seen_at: i64,
}

impl Index {
    /// Every row of a folder (a row with an unknown state is left out).
    pub fn pop3_rows(
        &self,
        account: &AccountId,
        folder: &FolderPath,
    ) -> Result<Vec<UidlRow>, StoreError> {
        let id = self.folder_id(account, folder)?;
        let mut st = self
            .conn
            .prepare_cached("SELECT uidl, uid, state, seen_at FROM pop3_uidl WHERE folder_id=?1")
            .map_err(self.e("read POP3 state"))?;
        let rows = st
            .query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .map_err(self.e("read POP3 state"))?;
        let mut out = Vec::new();
        for row in rows {
            let (uidl, uid, state, seen_at) = row.map_err(self.e("read POP3 state"))?;
            if let Some(state) = UidlState::parse(&state) {
                out.push(UidlRow {
                    uidl,
                    uid: LocalId(uid),
                    state,
                    seen_at,
                });
            }
        }
        Ok(out)
    }

    /// The row of one local message, if it came from the server.
    pub fn pop3_row_of(
        &self,
        account: &AccountId,
        folder: &FolderPath,
        uid: &LocalId,
    ) -> Result<Option<UidlRow>, StoreError> {
        Ok(self
            .pop3_rows(account, folder)?
            .into_iter()
            .find(|r| r.uid == *uid))
    }

    /// Writes rows (replacing those with the same UIDL), in one transaction.
    pub fn pop3_put(
        &mut self,
        account: &AccountId,
        folder: &FolderPath,
        rows: &[UidlRow],
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let id = self.folder_id(account, folder)?;
        let path = self.path.clone();
        let e = |x| err("write POP3 state", &path, x);
        let tx = self.conn.transaction().map_err(e)?;
        {
            let mut st = tx
                .prepare_cached("INSERT OR REPLACE INTO pop3_uidl VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(e)?;
            for r in rows {
                st.execute(params![id, r.uidl, r.uid.0, r.state.as_str(), r.seen_at])
                    .map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }

    /// Records a message listed from its headers (bigger than max-size): its envelope
    /// without a file, its remote reference and its row, in one transaction.
    pub fn pop3_add_listed(
        &mut self,
        account: &AccountId,
        folder: &FolderPath,
        row: &UidlRow,
        size: u64,
        f: &HeaderFields,
    ) -> Result<(), StoreError> {
        let id = self.folder_id(account, folder)?;
        let path = self.path.clone();
        let e = |x| err("record a listed message", &path, x);
        let tx = self.conn.transaction().map_err(e)?;
        super::write::EnvelopeWriter::new(&tx)
            .and_then(|mut w| {
                w.insert(
                    id,
                    &NewEnvelope {
                        uid: row.uid.0.clone(),
                        file_name: None,
                        size,
                        flags: Flags::empty(),
                        fields: f.clone(),
                    },
                )
            })
            .map_err(e)?;
        tx.execute(
            "INSERT OR REPLACE INTO remote_refs VALUES (?1, ?2, 'pop3', NULL, NULL, ?3, NULL, NULL)",
            params![id, row.uid.0, row.uidl],
        )
        .map_err(e)?;
        tx.execute(
            "INSERT OR REPLACE INTO pop3_uidl VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, row.uidl, row.uid.0, row.state.as_str(), row.seen_at],
        )
        .map_err(e)?;
        tx.commit().map_err(e)
    }

    /// A listed message was downloaded whole: its envelope gets its file, the remote
    /// reference goes (the body is local now) and the row becomes `stored`.
    pub fn pop3_fetched(
        &mut self,
        account: &AccountId,
        folder: &FolderPath,
        row: &UidlRow,
        file_name: &str,
    ) -> Result<(), StoreError> {
        let id = self.folder_id(account, folder)?;
        let path = self.path.clone();
        let e = |x| err("record a fetched message", &path, x);
        let tx = self.conn.transaction().map_err(e)?;
        tx.execute(
            "UPDATE envelopes SET file_name=?3 WHERE folder_id=?1 AND uid=?2",
            params![id, row.uid.0, file_name],
        )
        .map_err(e)?;
        tx.execute(
            "DELETE FROM remote_refs WHERE folder_id=?1 AND uid=?2",
            params![id, row.uid.0],
        )
        .map_err(e)?;
        tx.execute(
            "UPDATE pop3_uidl SET state='stored', uid=?3 WHERE folder_id=?1 AND uidl=?2",
            params![id, row.uidl, row.uid.0],
        )
        .map_err(e)?;
        tx.commit().map_err(e)
    }

    /// Forgets messages the server no longer has. A listed one (never downloaded) also
    /// loses its envelope and remote reference: there is nothing left to open.
    pub fn pop3_forget(
        &mut self,
        account: &AccountId,
        folder: &FolderPath,
        uidls: &[String],
    ) -> Result<(), StoreError> {
        if uidls.is_empty() {
            return Ok(());
        }
        let id = self.folder_id(account, folder)?;
        let path = self.path.clone();
        let e = |x| err("forget POP3 messages", &path, x);
        let tx = self.conn.transaction().map_err(e)?;
        {
            let mut env = tx
                .prepare_cached(
                    "DELETE FROM envelopes WHERE folder_id=?1 AND file_name IS NULL AND uid IN
                     (SELECT uid FROM pop3_uidl WHERE folder_id=?1 AND uidl=?2 AND state='listed')",
                )
                .map_err(e)?;
            let mut rr = tx
                .prepare_cached(
                    "DELETE FROM remote_refs WHERE folder_id=?1 AND kind='pop3' AND uidl=?2",
                )
                .map_err(e)?;
            let mut row = tx
                .prepare_cached("DELETE FROM pop3_uidl WHERE folder_id=?1 AND uidl=?2")
                .map_err(e)?;
            for u in uidls {
                env.execute(params![id, u]).map_err(e)?;
                rr.execute(params![id, u]).map_err(e)?;
                row.execute(params![id, u]).map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }

    /// The server's name for a listed message (the account fetches it by this).
    pub fn pop3_remote(
        &self,
        account: &AccountId,
        folder: &FolderPath,
        uid: &LocalId,
    ) -> Result<Option<String>, StoreError> {
        Ok(match self.remote_ref(account, folder, uid)? {
            Some(RemoteRef::Pop3 { uidl }) => Some(uidl),
            _ => None,
        })
    }
}
