//! What remote accounts keep in the index: per-folder sync state (IMAP UIDVALIDITY,
//! UIDNEXT, HIGHESTMODSEQ; NNTP low/high water marks), the map from local ids to remote
//! references, and the queue of changes made offline, written in the same transaction
//! as the local change so a crash can never apply one without the other.
//!
//! The UI never sees remote references: the account's actor resolves them here.

use super::{Index, err};
use crate::core::{AccountId, Flags, FolderPath, LocalId, RemoteRef};
use crate::store::StoreError;
use rusqlite::{OptionalExtension, params};

/// A folder's synchronisation state on its server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncState {
    pub uidvalidity: Option<u32>,
    pub uidnext: Option<u32>,
    pub highestmodseq: Option<u64>,
    pub low_water: Option<u64>,
    pub high_water: Option<u64>,
}

/// A change made locally that the server has not seen yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingChange {
    pub seq: i64,
    pub folder: FolderPath,
    pub uid: LocalId,
    /// e.g. "flags", "move", "delete"
    pub op: String,
    /// The operation's argument (flag letters, a destination folder).
    pub arg: String,
}

impl Index {
    pub fn sync_state(
        &self,
        account: &AccountId,
        folder: &FolderPath,
    ) -> Result<SyncState, StoreError> {
        let id = self.folder_id(account, folder)?;
        self.conn
            .query_row(
                "SELECT uidvalidity, uidnext, highestmodseq, low_water, high_water
                 FROM sync_state WHERE folder_id=?1",
                [id],
                |r| {
                    Ok(SyncState {
                        uidvalidity: r.get::<_, Option<i64>>(0)?.map(|v| v as u32),
                        uidnext: r.get::<_, Option<i64>>(1)?.map(|v| v as u32),
                        highestmodseq: r.get::<_, Option<i64>>(2)?.map(|v| v as u64),
                        low_water: r.get::<_, Option<i64>>(3)?.map(|v| v as u64),
                        high_water: r.get::<_, Option<i64>>(4)?.map(|v| v as u64),
                    })
                },
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(self.e("read sync state"))
    }

    pub fn set_sync_state(
        &self,
        account: &AccountId,
        folder: &FolderPath,
        s: &SyncState,
    ) -> Result<(), StoreError> {
        let id = self.folder_id(account, folder)?;
        self.conn
            .execute(
                "INSERT OR REPLACE INTO sync_state VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id,
                    s.uidvalidity.map(i64::from),
                    s.uidnext.map(i64::from),
                    s.highestmodseq.map(|v| v as i64),
                    s.low_water.map(|v| v as i64),
                    s.high_water.map(|v| v as i64)
                ],
            )
            .map_err(self.e("write sync state"))?;
        Ok(())
    }

    pub fn set_remote_ref(
        &self,
        account: &AccountId,
        folder: &FolderPath,
        uid: &LocalId,
        r: &RemoteRef,
    ) -> Result<(), StoreError> {
        let id = self.folder_id(account, folder)?;
        let (kind, validity, imap_uid, uidl, article, mid) = match r {
            RemoteRef::Imap { uidvalidity, uid } => (
                "imap",
                Some(*uidvalidity as i64),
                Some(*uid as i64),
                None,
                None,
                None,
            ),
            RemoteRef::Pop3 { uidl } => ("pop3", None, None, Some(uidl.as_str()), None, None),
            RemoteRef::Nntp {
                number, message_id, ..
            } => (
                "nntp",
                None,
                None,
                None,
                Some(*number as i64),
                Some(message_id.as_str()),
            ),
        };
        self.conn
            .execute(
                "INSERT OR REPLACE INTO remote_refs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![id, uid.0, kind, validity, imap_uid, uidl, article, mid],
            )
            .map_err(self.e("write remote reference"))?;
        Ok(())
    }

    /// The server's name for a cached message (the actor's business, never the UI's).
    pub fn remote_ref(
        &self,
        account: &AccountId,
        folder: &FolderPath,
        uid: &LocalId,
    ) -> Result<Option<RemoteRef>, StoreError> {
        let id = self.folder_id(account, folder)?;
        self.conn
            .query_row(
                "SELECT kind, uidvalidity, imap_uid, uidl, article, message_id
                 FROM remote_refs WHERE folder_id=?1 AND uid=?2",
                params![id, uid.0],
                |r| {
                    let kind: String = r.get(0)?;
                    Ok(match kind.as_str() {
                        "imap" => Some(RemoteRef::Imap {
                            uidvalidity: r.get::<_, i64>(1)? as u32,
                            uid: r.get::<_, i64>(2)? as u32,
                        }),
                        "pop3" => Some(RemoteRef::Pop3 { uidl: r.get(3)? }),
                        "nntp" => Some(RemoteRef::Nntp {
                            group: folder.0.clone(),
                            number: r.get::<_, i64>(4)? as u64,
                            message_id: r.get(5)?,
                        }),
                        _ => None,
                    })
                },
            )
            .optional()
            .map(Option::flatten)
            .map_err(self.e("read remote reference"))
    }

    /// The local id of a remote message, if it is cached or known.
    pub fn local_for_remote(
        &self,
        account: &AccountId,
        folder: &FolderPath,
        r: &RemoteRef,
    ) -> Result<Option<LocalId>, StoreError> {
        let id = self.folder_id(account, folder)?;
        let q = match r {
            RemoteRef::Imap { uidvalidity, uid } => self.conn.query_row(
                "SELECT uid FROM remote_refs WHERE folder_id=?1 AND uidvalidity=?2 AND imap_uid=?3",
                params![id, *uidvalidity as i64, *uid as i64],
                |r| r.get(0),
            ),
            RemoteRef::Pop3 { uidl } => self.conn.query_row(
                "SELECT uid FROM remote_refs WHERE folder_id=?1 AND uidl=?2",
                params![id, uidl],
                |r| r.get(0),
            ),
            RemoteRef::Nntp { number, .. } => self.conn.query_row(
                "SELECT uid FROM remote_refs WHERE folder_id=?1 AND article=?2",
                params![id, *number as i64],
                |r| r.get(0),
            ),
        };
        q.optional()
            .map(|o| o.map(LocalId))
            .map_err(self.e("find remote message"))
    }

    /// Changes a message's flags and, when `queue` names an operation, queues it for
    /// the server, in one transaction.
    pub fn set_flags_queued(
        &mut self,
        account: &AccountId,
        folder: &FolderPath,
        uid: &LocalId,
        flags: Flags,
        queue: Option<(&str, &str)>,
    ) -> Result<(), StoreError> {
        let id = self.folder_id(account, folder)?;
        let path = self.path.clone();
        let e = |x| err("record change", &path, x);
        let tx = self.conn.transaction().map_err(e)?;
        tx.execute(
            "UPDATE envelopes SET flags=?3 WHERE folder_id=?1 AND uid=?2",
            params![id, uid.0, flags.bits()],
        )
        .map_err(e)?;
        if let Some((op, arg)) = queue {
            tx.execute(
                "INSERT INTO pending_changes(folder_id, uid, op, arg, created)
                 VALUES (?1, ?2, ?3, ?4, strftime('%s','now'))",
                params![id, uid.0, op, arg],
            )
            .map_err(e)?;
        }
        tx.commit().map_err(e)
    }

    /// The account's queued changes, oldest first.
    pub fn pending_changes(&self, account: &AccountId) -> Result<Vec<PendingChange>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT p.seq, f.path, p.uid, p.op, p.arg FROM pending_changes p
                 JOIN folders f ON f.id = p.folder_id WHERE f.account=?1 ORDER BY p.seq",
            )
            .map_err(self.e("read pending changes"))?;
        let rows = st
            .query_map([&account.0], |r| {
                Ok(PendingChange {
                    seq: r.get(0)?,
                    folder: FolderPath(r.get(1)?),
                    uid: LocalId(r.get(2)?),
                    op: r.get(3)?,
                    arg: r.get(4)?,
                })
            })
            .map_err(self.e("read pending changes"))?;
        rows.collect::<Result<_, _>>()
            .map_err(self.e("read pending changes"))
    }

    /// Forgets a queued change once the server has it.
    pub fn clear_pending(&self, seq: i64) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM pending_changes WHERE seq=?1", [seq])
            .map_err(self.e("clear pending change"))?;
        Ok(())
    }
}
