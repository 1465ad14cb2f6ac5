//! The envelope index: one SQLite database (rusqlite, bundled) holding every account's
//! envelopes, keyed by account, folder and local id, with a nullable locator (the
//! Maildir file name a message was last seen under; NULL while only its envelope is
//! known, as for an IMAP message whose body is not fetched yet).
//!
//! Ownership: each account's actor holds its own writer (`Index`) and is the only one
//! that writes that account's rows; the UI and the CLI read through read-only
//! connections (`IndexReader`). The file is in WAL mode, so readers never wait for a
//! writer, and writers keep their transactions short (a scan commits in steps), so one
//! account's long scan never holds another account's write for long. One file rather
//! than one per account keeps cross-account lookups (`read ID`, the unified inbox) to a
//! single query and lets the first release's index upgrade in place.
//!
//! The index is a cache of the Maildirs: a file that is corrupt, truncated, foreign or
//! from a newer version is moved aside and rebuilt (see `open`), with a notice.

pub mod addresses;
pub mod fts;
mod mirror;
mod nntp;
mod pop3;
pub mod read;
mod remote;
mod schema;
pub mod search;
mod write;

pub use addresses::SeenAddresses;
pub use fts::{DocText, FtsProgress, FtsWriter, PendingDoc};
pub use mirror::{Mirrored, Row};
pub use nntp::NntpRow;
pub use pop3::{UidlRow, UidlState};
pub use read::{IndexReader, envelopes_parallel};
pub use remote::{PendingChange, SyncState};
pub use schema::CURRENT as SCHEMA_VERSION;
pub use search::{Found, Scope, SearchContext};
pub use write::{FolderChanges, NewEnvelope};

use super::StoreError;
use crate::core::{AccountId, FolderPath};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Heals are serialised: two actors that hit the same damage move the file aside once.
static HEAL: Mutex<()> = Mutex::new(());

/// A writer connection, owned by one account's actor (or a headless command).
pub struct Index {
    conn: Connection,
    path: PathBuf,
    /// (device, inode) of the file this connection opened, to tell whether another
    /// writer has already replaced a damaged file.
    identity: Option<(u64, u64)>,
}

/// What opening found worth telling the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenNote {
    /// The first release's index was upgraded in place.
    Migrated { from: i64 },
    /// The file was unusable; it was moved aside and an empty index created. Every
    /// folder must be scanned again.
    /// `moved_to` is None when another account had already moved it aside.
    Rebuilt {
        reason: String,
        moved_to: Option<PathBuf>,
    },
}

impl std::fmt::Display for OpenNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenNote::Migrated { from } => {
                write!(
                    f,
                    "index upgraded from schema {from} to {}",
                    schema::CURRENT
                )
            }
            OpenNote::Rebuilt {
                reason,
                moved_to: Some(to),
            } => write!(
                f,
                "the index was unusable ({reason}); it was moved to {} and is being rebuilt from the Maildirs",
                to.display()
            ),
            OpenNote::Rebuilt {
                reason,
                moved_to: None,
            } => write!(
                f,
                "the index was unusable ({reason}); another account already moved it aside, and it is being rebuilt from the Maildirs"
            ),
        }
    }
}

impl Index {
    /// Opens (creating, migrating or healing) the index at `path`.
    pub fn open(path: &Path) -> Result<(Index, Option<OpenNote>), StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(StoreError::io("create directory", dir))?;
        }
        if path.is_dir() {
            return Err(StoreError::Invalid {
                path: path.into(),
                reason: "the index path is a directory; `index` must name a file".into(),
            });
        }
        match Index::try_open(path) {
            Ok((ix, from)) => Ok((ix, from.map(|from| OpenNote::Migrated { from }))),
            Err(Attempt::Damaged(reason)) => {
                let _guard = HEAL.lock().unwrap_or_else(|p| p.into_inner());
                let moved_to = Some(move_aside(path)?);
                let (ix, _) = Index::try_open(path).map_err(|a| a.into_error(path))?;
                Ok((ix, Some(OpenNote::Rebuilt { reason, moved_to })))
            }
            Err(Attempt::Failed(e)) => Err(e),
        }
    }

    fn try_open(path: &Path) -> Result<(Index, Option<i64>), Attempt> {
        let damaged = |e: rusqlite::Error| {
            if is_damage(&e) {
                Attempt::Damaged(e.to_string())
            } else {
                Attempt::Failed(err("open", path, e))
            }
        };
        let mut conn = Connection::open(path).map_err(damaged)?;
        conn.execute_batch(
            "PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             PRAGMA cache_size=-32000;",
        )
        .map_err(damaged)?;
        let found = schema::prepare(&mut conn).map_err(damaged)?;
        let migrated = match found {
            schema::Found::Foreign(why) => return Err(Attempt::Damaged(why)),
            schema::Found::Ready { migrated_from } => migrated_from,
        };
        truncated(&conn, path).map_err(Attempt::Damaged)?;
        let identity = file_identity(path);
        Ok((
            Index {
                conn,
                path: path.to_path_buf(),
                identity,
            },
            migrated,
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// False when the file at the index path is no longer the one this connection
    /// opened (another account healed it): reopen with `reopen`.
    pub fn is_current(&self) -> bool {
        file_identity(&self.path) == self.identity
    }

    /// Opens the file now at the index path (after another writer replaced it).
    pub fn reopen(&mut self) -> Result<(), StoreError> {
        let (fresh, _) = Index::open(&self.path)?;
        *self = fresh;
        Ok(())
    }

    /// After an error that `StoreError::is_index_damaged` recognises: moves the file
    /// aside (unless another writer already did) and reopens an empty index. The caller
    /// rescans its folders.
    pub fn heal(&mut self, reason: &str) -> Result<OpenNote, StoreError> {
        let _guard = HEAL.lock().unwrap_or_else(|p| p.into_inner());
        let current = file_identity(&self.path);
        let note = if current.is_some() && current == self.identity {
            OpenNote::Rebuilt {
                reason: reason.to_string(),
                moved_to: Some(move_aside(&self.path)?),
            }
        } else {
            OpenNote::Rebuilt {
                reason: reason.to_string(),
                moved_to: None,
            }
        };
        let (fresh, _) = Index::try_open(&self.path).map_err(|a| a.into_error(&self.path))?;
        *self = fresh;
        Ok(note)
    }

    fn e(&self, op: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
        move |e| err(op, &self.path, e)
    }

    pub fn folder_id(&self, account: &AccountId, folder: &FolderPath) -> Result<i64, StoreError> {
        folder_id(&self.conn, &self.path, account, folder)
    }

    /// A read-only view through this writer's own connection (sees its own writes).
    pub fn reader(&self) -> read::ReadView<'_> {
        read::ReadView {
            conn: &self.conn,
            path: &self.path,
        }
    }
}

pub(crate) fn folder_id(
    conn: &Connection,
    path: &Path,
    account: &AccountId,
    folder: &FolderPath,
) -> Result<i64, StoreError> {
    if let Some(id) = conn
        .prepare_cached("SELECT id FROM folders WHERE account=?1 AND path=?2")
        .and_then(|mut st| {
            st.query_row(params![account.0, folder.0], |r| r.get(0))
                .optional()
        })
        .map_err(|e| err("find folder", path, e))?
    {
        return Ok(id);
    }
    conn.execute(
        "INSERT OR IGNORE INTO folders(account, path) VALUES (?1, ?2)",
        params![account.0, folder.0],
    )
    .map_err(|e| err("add folder", path, e))?;
    conn.query_row(
        "SELECT id FROM folders WHERE account=?1 AND path=?2",
        params![account.0, folder.0],
        |r| r.get(0),
    )
    .map_err(|e| err("find folder", path, e))
}

enum Attempt {
    Damaged(String),
    Failed(StoreError),
}

impl Attempt {
    fn into_error(self, path: &Path) -> StoreError {
        match self {
            Attempt::Failed(e) => e,
            Attempt::Damaged(reason) => StoreError::Invalid {
                path: path.into(),
                reason: format!("the index is still unusable after rebuilding: {reason}"),
            },
        }
    }
}

/// Corruption, a file that is not a database, or a schema that is not ours.
pub(crate) fn is_damage(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    matches!(
        e.sqlite_error_code(),
        Some(DatabaseCorrupt) | Some(NotADatabase)
    )
}

/// A file shorter than its own page count says was cut off (only checkable when no WAL
/// holds pages that are not in the main file yet).
fn truncated(conn: &Connection, path: &Path) -> Result<(), String> {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    if std::fs::metadata(&wal)
        .map(|m| m.len() > 0)
        .unwrap_or(false)
    {
        return Ok(());
    }
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    let size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    let len = std::fs::metadata(path).map(|m| m.len() as i64).unwrap_or(0);
    if len < pages * size {
        return Err(format!(
            "the file is {len} bytes but holds {pages} pages of {size}: it was cut off"
        ));
    }
    Ok(())
}

pub(crate) fn file_identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Renames the index and its WAL aside (`index.sqlite.broken-<time>`); the -shm file is
/// only a cache of the WAL and is removed.
fn move_aside(path: &Path) -> Result<PathBuf, StoreError> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let aside = PathBuf::from(format!("{}.broken-{stamp}", path.display()));
    if path.exists() {
        std::fs::rename(path, &aside).map_err(StoreError::io("move aside", path))?;
    }
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    if wal.exists() {
        let to = PathBuf::from(format!("{}-wal", aside.display()));
        std::fs::rename(&wal, &to).map_err(StoreError::io("move aside", &wal))?;
    }
    let _ = std::fs::remove_file(format!("{}-shm", path.display()));
    Ok(aside)
}

pub(crate) fn err(op: &'static str, path: &Path, source: rusqlite::Error) -> StoreError {
    StoreError::Index {
        op,
        path: path.to_path_buf(),
        source,
    }
}
