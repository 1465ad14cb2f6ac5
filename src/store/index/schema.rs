//! The index schema and its migrations. The version lives in `PRAGMA user_version`;
//! `PRAGMA application_id` marks the file as ours, so a foreign SQLite file at the index
//! path is recognised instead of being written into.
//!
//! Version 0 is the first release's schema (envelopes keyed by Maildir file name, no
//! version stamp); version 1 makes the file locator nullable (an IMAP envelope whose body
//! is not fetched, an NNTP overview line) and adds sync state, remote references and the
//! pending-changes queue. Version 2 adds the full-text index (`fts::OBJECTS`): an FTS5
//! table, the map from its rows to envelopes, the queue of envelopes not indexed yet,
//! and the triggers that keep all three in step with every change to `envelopes`.

use rusqlite::Connection;

/// "post" in ASCII.
pub const APPLICATION_ID: i64 = 0x706f_7374;
pub const CURRENT: i64 = 2;

const V1_TABLES: &str = "
CREATE TABLE IF NOT EXISTS folders(
    id INTEGER PRIMARY KEY, account TEXT NOT NULL, path TEXT NOT NULL, UNIQUE(account, path));
CREATE TABLE IF NOT EXISTS envelopes(
    folder_id INTEGER NOT NULL, uid TEXT NOT NULL, file_name TEXT,
    size INTEGER NOT NULL, date INTEGER NOT NULL, from_name TEXT NOT NULL,
    from_addr TEXT NOT NULL, to_list TEXT NOT NULL, subject TEXT NOT NULL,
    message_id TEXT NOT NULL, in_reply_to TEXT NOT NULL, refs TEXT NOT NULL,
    flags INTEGER NOT NULL, has_att INTEGER NOT NULL,
    PRIMARY KEY(folder_id, uid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trash_origin(
    account TEXT NOT NULL, uid TEXT NOT NULL, folder TEXT NOT NULL, PRIMARY KEY(account, uid));
CREATE TABLE IF NOT EXISTS sync_state(
    folder_id INTEGER PRIMARY KEY, uidvalidity INTEGER, uidnext INTEGER,
    highestmodseq INTEGER, low_water INTEGER, high_water INTEGER);
CREATE TABLE IF NOT EXISTS remote_refs(
    folder_id INTEGER NOT NULL, uid TEXT NOT NULL, kind TEXT NOT NULL,
    uidvalidity INTEGER, imap_uid INTEGER, uidl TEXT, article INTEGER, message_id TEXT,
    PRIMARY KEY(folder_id, uid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS remote_imap ON remote_refs(folder_id, uidvalidity, imap_uid);
CREATE INDEX IF NOT EXISTS remote_uidl ON remote_refs(folder_id, uidl);
CREATE INDEX IF NOT EXISTS remote_article ON remote_refs(folder_id, article);
CREATE TABLE IF NOT EXISTS pending_changes(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, folder_id INTEGER NOT NULL, uid TEXT NOT NULL,
    op TEXT NOT NULL, arg TEXT NOT NULL, created INTEGER NOT NULL);
";

/// Version 0 -> 1: the envelopes table is set aside, created again by `V1_TABLES`
/// with a nullable `file_name`, and refilled; every row is kept.
const V0_SET_ASIDE: &str = "ALTER TABLE envelopes RENAME TO envelopes_v0;";
const V0_REFILL: &str = "
INSERT INTO envelopes SELECT folder_id, uid, file_name, size, date, from_name,
    from_addr, to_list, subject, message_id, in_reply_to, refs, flags, has_att FROM envelopes_v0;
DROP TABLE envelopes_v0;
";

/// What was found at the index path.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// Ours, at the current version (possibly just created or migrated).
    Ready { migrated_from: Option<i64> },
    /// Not an index of ours (another program's database, or a newer posthorn's).
    Foreign(String),
}

/// Brings the schema to the current version, or says why the file is not ours.
pub fn prepare(conn: &mut Connection) -> rusqlite::Result<Found> {
    let app_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let tables: Vec<String> = {
        let mut st = conn.prepare("SELECT name FROM sqlite_master WHERE type='table'")?;
        st.query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let has = |t: &str| tables.iter().any(|x| x == t);
    if app_id != 0 && app_id != APPLICATION_ID {
        return Ok(Found::Foreign(format!(
            "application id {app_id:#x} is not posthorn's"
        )));
    }
    if version > CURRENT {
        return Ok(Found::Foreign(format!(
            "written by a newer posthorn (schema {version}, this one knows {CURRENT})"
        )));
    }
    let migrated_from = if tables.is_empty() {
        None
    } else if version == 0 {
        // The first release: exactly its three tables.
        if !(has("folders") && has("envelopes") && has("trash_origin")) {
            return Ok(Found::Foreign(format!(
                "unknown tables ({})",
                tables.join(", ")
            )));
        }
        Some(0)
    } else if version == CURRENT {
        if !(has("folders") && has("envelopes")) {
            return Ok(Found::Foreign("posthorn's tables are missing".into()));
        }
        let tx = conn.transaction()?;
        tx.execute_batch(V1_TABLES)?;
        tx.execute_batch(super::pop3::POP3_TABLES)?;
        tx.execute_batch(super::fts::OBJECTS)?;
        if !has("fts_docs") {
            tx.execute_batch(super::fts::QUEUE_ALL)?;
        }
        tx.commit()?;
        return Ok(Found::Ready {
            migrated_from: None,
        });
    } else {
        if !(has("folders") && has("envelopes")) {
            return Ok(Found::Foreign("posthorn's tables are missing".into()));
        }
        Some(version)
    };
    let tx = conn.transaction()?;
    if migrated_from == Some(0) {
        tx.execute_batch(V0_SET_ASIDE)?;
    }
    tx.execute_batch(V1_TABLES)?;
    tx.execute_batch(super::pop3::POP3_TABLES)?;
    // The triggers exist before the v0 rows are copied back.
    tx.execute_batch(super::fts::OBJECTS)?;
    if migrated_from == Some(0) {
        tx.execute_batch(V0_REFILL)?;
        tx.execute_batch(super::fts::QUEUE_ALL)?;
    } else if migrated_from.is_some() {
        // 1 -> 2: every envelope waits for the full-text indexer.
        tx.execute_batch(super::fts::QUEUE_ALL)?;
    }
    tx.execute_batch(&format!(
        "PRAGMA user_version = {CURRENT}; PRAGMA application_id = {APPLICATION_ID};"
    ))?;
    tx.commit()?;
    Ok(Found::Ready { migrated_from })
}
