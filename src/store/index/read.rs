//! Reading the index: `IndexReader` owns a read-only connection (the UI and the CLI);
//! `ReadView` borrows any connection, so a writer can read its own rows the same way.
//! In WAL mode a reader never waits for a writer.

use super::err;
use crate::core::{AccountId, Envelope, Flags, FolderPath, LocalId};
use crate::store::StoreError;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// A read-only connection to the index.
pub struct IndexReader {
    conn: Connection,
    path: PathBuf,
}

impl IndexReader {
    pub fn open(path: &Path) -> Result<IndexReader, StoreError> {
        Ok(IndexReader {
            conn: read_only(path)?,
            path: path.to_path_buf(),
        })
    }

    pub fn view(&self) -> ReadView<'_> {
        ReadView {
            conn: &self.conn,
            path: &self.path,
        }
    }
}

/// Read queries over some connection.
pub struct ReadView<'a> {
    pub(super) conn: &'a Connection,
    pub(super) path: &'a Path,
}

/// Matches of `locate`: at most `shown` of them, and how many there are in all.
#[derive(Debug, Default)]
pub struct Located {
    pub found: Vec<(AccountId, FolderPath, LocalId)>,
    pub total: usize,
}

impl ReadView<'_> {
    pub(super) fn folder(
        &self,
        account: &AccountId,
        folder: &FolderPath,
    ) -> Result<Option<i64>, StoreError> {
        self.conn
            .prepare_cached("SELECT id FROM folders WHERE account=?1 AND path=?2")
            .and_then(|mut st| {
                st.query_row(params![account.0, folder.0], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| err("find folder", self.path, e))
    }

    /// Every envelope of a folder, in no particular order.
    pub fn envelopes(
        &self,
        account: &AccountId,
        folder: &FolderPath,
    ) -> Result<Vec<Envelope>, StoreError> {
        match self.folder(account, folder)? {
            Some(id) => load_range(self.conn, self.path, id, account, folder, None, None),
            None => Ok(Vec::new()),
        }
    }

    /// (total, unread) of a folder.
    pub fn counts(
        &self,
        account: &AccountId,
        folder: &FolderPath,
    ) -> Result<(u32, u32), StoreError> {
        let Some(id) = self.folder(account, folder)? else {
            return Ok((0, 0));
        };
        self.conn
            .query_row(
                "SELECT COUNT(*), COALESCE(SUM((flags & 16) = 0), 0) FROM envelopes WHERE folder_id=?1",
                [id],
                |r| Ok((r.get::<_, i64>(0)? as u32, r.get::<_, i64>(1)? as u32)),
            )
            .map_err(|e| err("count", self.path, e))
    }

    /// Where a message's body is cached: `None` when the index does not know the
    /// message, `Some(None)` when it knows only its envelope (not fetched yet).
    pub fn locator(
        &self,
        account: &AccountId,
        folder: &FolderPath,
        uid: &LocalId,
    ) -> Result<Option<Option<String>>, StoreError> {
        let Some(id) = self.folder(account, folder)? else {
            return Ok(None);
        };
        self.conn
            .prepare_cached("SELECT file_name FROM envelopes WHERE folder_id=?1 AND uid=?2")
            .and_then(|mut st| st.query_row(params![id, uid.0], |r| r.get(0)).optional())
            .map_err(|e| err("find message", self.path, e))
    }

    pub fn trash_origin(
        &self,
        account: &AccountId,
        uid: &LocalId,
    ) -> Result<Option<FolderPath>, StoreError> {
        self.conn
            .query_row(
                "SELECT folder FROM trash_origin WHERE account=?1 AND uid=?2",
                params![account.0, uid.0],
                |r| r.get::<_, String>(0).map(FolderPath),
            )
            .optional()
            .map_err(|e| err("read trash origin", self.path, e))
    }

    /// Messages whose local id starts with `prefix` (an exact match sorts first), with
    /// the true number of matches.
    pub fn locate(&self, prefix: &str, shown: usize) -> Result<Located, StoreError> {
        let e = |x| err("locate", self.path, x);
        let total: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM envelopes WHERE uid >= ?1 AND uid < ?1 || char(1114111)",
                [prefix],
                |r| r.get(0),
            )
            .map_err(e)?;
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT f.account, f.path, e.uid FROM envelopes e JOIN folders f ON f.id = e.folder_id
                 WHERE e.uid >= ?1 AND e.uid < ?1 || char(1114111)
                 ORDER BY e.uid != ?1, e.uid LIMIT ?2",
            )
            .map_err(e)?;
        let rows = st
            .query_map(params![prefix, shown as i64], |r| {
                Ok((
                    AccountId(r.get(0)?),
                    FolderPath(r.get(1)?),
                    LocalId(r.get(2)?),
                ))
            })
            .map_err(e)?;
        Ok(Located {
            found: rows.collect::<Result<_, _>>().map_err(e)?,
            total: total as usize,
        })
    }
}

/// Like `ReadView::envelopes`, read in `parts` uid ranges on separate read-only
/// connections in parallel. A missing index file reads as empty.
pub fn envelopes_parallel(
    path: &Path,
    account: &AccountId,
    folder: &FolderPath,
    parts: usize,
) -> Result<Vec<Envelope>, StoreError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let conn = read_only(path)?;
    let view = ReadView { conn: &conn, path };
    let Some(id) = view.folder(account, folder)? else {
        return Ok(Vec::new());
    };
    let count: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM envelopes WHERE folder_id=?1",
            [id],
            |r| r.get(0),
        )
        .map_err(|e| err("count", path, e))?;
    let parts = if count < 5_000 { 1 } else { parts.max(1) };
    let mut bounds: Vec<Option<String>> = vec![None];
    for k in 1..parts {
        let b: String = conn
            .query_row(
                "SELECT uid FROM envelopes WHERE folder_id=?1 ORDER BY uid LIMIT 1 OFFSET ?2",
                params![id, count * k as i64 / parts as i64],
                |r| r.get(0),
            )
            .map_err(|e| err("split", path, e))?;
        bounds.push(Some(b));
    }
    bounds.push(None);
    let results: Vec<Result<Vec<Envelope>, StoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (lo, hi) = (w[0].clone(), w[1].clone());
                s.spawn(move || {
                    let c = read_only(path)?;
                    load_range(&c, path, id, account, folder, lo.as_deref(), hi.as_deref())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(StoreError::Invalid {
                        path: path.into(),
                        reason: "index reader crashed".into(),
                    })
                })
            })
            .collect()
    });
    let mut all = Vec::with_capacity(count as usize);
    for r in results {
        all.append(&mut r?);
    }
    Ok(all)
}

fn read_only(path: &Path) -> Result<Connection, StoreError> {
    let c = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| err("open", path, e))?;
    c.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| err("open", path, e))?;
    // Memory-mapped reads skip a copy per page: a 100,000-envelope folder loads faster.
    c.execute_batch("PRAGMA mmap_size=1073741824;")
        .map_err(|e| err("open", path, e))?;
    Ok(c)
}

/// Envelopes of one folder with `lo <= uid < hi` (unbounded where None).
fn load_range(
    conn: &Connection,
    path: &Path,
    id: i64,
    account: &AccountId,
    folder: &FolderPath,
    lo: Option<&str>,
    hi: Option<&str>,
) -> Result<Vec<Envelope>, StoreError> {
    let e = |x| err("load envelopes", path, x);
    let mut st = conn
        .prepare_cached(
            "SELECT uid, size, date, from_name, from_addr, to_list, subject, message_id,
                    in_reply_to, refs, flags, has_att FROM envelopes
             WHERE folder_id=?1 AND (?2 IS NULL OR uid >= ?2) AND (?3 IS NULL OR uid < ?3)",
        )
        .map_err(e)?;
    let rows = st
        .query_map(params![id, lo, hi], |r| {
            Ok(Envelope {
                account: account.clone(),
                folder: folder.clone(),
                id: LocalId(r.get(0)?),
                size: r.get::<_, i64>(1)? as u64,
                date: r.get(2)?,
                from: r.get(3)?,
                from_addr: r.get(4)?,
                to: r.get(5)?,
                subject: r.get(6)?,
                message_id: r.get(7)?,
                in_reply_to: r.get(8)?,
                references: r.get(9)?,
                flags: Flags::from_bits(r.get(10)?),
                has_attachments: r.get(11)?,
            })
        })
        .map_err(e)?;
    rows.collect::<Result<_, _>>().map_err(e)
}
