//! The durable outbox: every message waits here, on disk, from before the first byte goes
//! to a server until the server accepted it. Nothing here sends; `account::submit` does,
//! and `run::outbox` (the TUI's background sender) and `cli::send` drive both.
//!
//! Layout: a directory (by default `outbox/` beside the index) with one directory per
//! entry, named by its id (`<millis>-<pid>-<n>`, so names sort by queue time):
//! - `message.eml`: the message as kept (with its Bcc header, as the Sent copy shows it);
//! - `sent.eml`: the bytes that go out (no Bcc; `compose::build` makes both);
//! - `meta.json`: account, envelope from, recipients, subject, queued time, attempts,
//!   last error and last attempt, the recipients an earlier attempt already reached
//!   (`delivered`; SMTP sends in batches) and when an attempt in progress began
//!   (`started`; set before the first byte goes out, so a killed sender is known);
//!   replaced atomically before and after each attempt;
//! - `lock`: an flock held while the entry is being sent, so a CLI flush and a running
//!   TUI never send the same entry twice.
//!
//! An entry is built in `.tmp-<id>/` (files written and fsynced), then renamed into place
//! and the outbox directory fsynced: it exists whole or not at all. It is removed only
//! after acceptance: renamed to `.done-<id>/` (fsynced), then deleted. Metadata that
//! cannot be read makes the entry *broken*: listed with the reason, never deleted except
//! by an explicit `delete`.
//!
//! Depends on `core` and the file system only (no tokio, no account).

use crate::core::{Folder, FolderPath, FolderRole};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const MESSAGE: &str = "message.eml";
const SENT: &str = "sent.eml";
const META: &str = "meta.json";
const LOCK: &str = "lock";
/// Half-built entries older than this are from a crash, not a concurrent enqueue.
const STALE_TMP: Duration = Duration::from_secs(24 * 3600);

/// The name of one outbox entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId(pub String);

impl std::fmt::Display for EntryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What is known of a queued message besides its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct EntryMeta {
    /// The account (config name) whose way out sends it.
    pub account: String,
    /// The envelope sender (MAIL FROM), a bare address.
    pub from: String,
    /// Every envelope recipient (To, Cc and Bcc), bare addresses.
    pub recipients: Vec<String>,
    /// The decoded Subject, for listings.
    #[serde(default)]
    pub subject: String,
    /// Unix seconds.
    pub queued: i64,
    pub attempts: u32,
    /// The last failure as the server or command said it (no secrets).
    pub last_error: Option<String>,
    /// Unix seconds.
    pub last_attempt: Option<i64>,
    /// Recipients the server already accepted the message for in an attempt that then
    /// failed for the others (they are no longer in `recipients`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delivered: Vec<String>,
    /// Unix seconds: set (durably) just before the message goes out, cleared by the
    /// outcome. Found set while the entry is free, the sender died mid-attempt (a kill,
    /// a crash): the server may already have the message, so a retry may duplicate it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<i64>,
}

/// A message to queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEntry {
    pub account: String,
    pub from: String,
    pub recipients: Vec<String>,
    /// The message as kept (Bcc included), for the Sent copy and `sendmail -t`.
    pub kept: Vec<u8>,
    /// The bytes that go out (no Bcc).
    pub sent: Vec<u8>,
}

impl NewEntry {
    /// What `compose::build` or `compose::prepare_raw` made, for `account`.
    pub fn from_built(account: &str, b: &super::Built) -> NewEntry {
        NewEntry {
            account: account.to_string(),
            from: b.envelope_from.clone(),
            recipients: b.recipients.clone(),
            kept: b.kept.clone(),
            sent: b.sent.clone(),
        }
    }

    /// A finished message as kept; the sent bytes are `sent_bytes` of it.
    pub fn from_kept(account: &str, from: &str, recipients: Vec<String>, kept: Vec<u8>) -> Self {
        NewEntry {
            account: account.to_string(),
            from: from.to_string(),
            recipients,
            sent: sent_bytes(&kept),
            kept,
        }
    }
}

/// One entry as listed: its metadata, or why that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub id: EntryId,
    pub meta: Result<EntryMeta, String>,
}

/// An entry this process holds for sending (the flock is released on drop).
#[derive(Debug)]
pub struct EntryLock {
    pub id: EntryId,
    pub meta: EntryMeta,
    _file: File,
}

/// The outbox directory.
#[derive(Clone, Debug)]
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    /// The default place: `outbox/` beside the index file.
    pub fn beside_index(index_path: &Path) -> PathBuf {
        index_path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("outbox")
    }

    /// Opens (creating it if needed) an outbox; clears what finished removals left.
    pub fn open(dir: &Path) -> Result<Outbox, StoreError> {
        fs::create_dir_all(dir).map_err(StoreError::io("create outbox", dir))?;
        let ob = Outbox {
            dir: dir.to_path_buf(),
        };
        let read = fs::read_dir(dir).map_err(StoreError::io("read outbox", dir))?;
        for e in read.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            // A removal that was interrupted: the server had accepted the message.
            if name.starts_with(".done-") {
                let _ = fs::remove_dir_all(e.path());
            }
            let stale = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_TMP);
            // An enqueue that never finished (and never told its caller it had).
            if name.starts_with(".tmp-") && stale {
                let _ = fs::remove_dir_all(e.path());
            }
        }
        Ok(ob)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the entry durably (files fsynced, renamed into place, directory fsynced)
    /// and returns its id. Only after this returns may a byte go to a server.
    pub fn enqueue(&self, new: &NewEntry) -> Result<EntryId, StoreError> {
        let id = new_id();
        let tmp = self.dir.join(format!(".tmp-{id}"));
        let fin = self.dir.join(&id.0);
        let meta = EntryMeta {
            account: new.account.clone(),
            from: new.from.clone(),
            recipients: new.recipients.clone(),
            subject: subject_of(&new.kept),
            queued: now(),
            attempts: 0,
            last_error: None,
            last_attempt: None,
            delivered: Vec::new(),
            started: None,
        };
        fs::create_dir(&tmp).map_err(StoreError::io("create", &tmp))?;
        let write = || -> Result<(), StoreError> {
            write_synced(&tmp.join(MESSAGE), &new.kept)?;
            write_synced(&tmp.join(SENT), &new.sent)?;
            write_synced(&tmp.join(META), &meta_json(&meta)?)?;
            write_synced(&tmp.join(LOCK), b"")?;
            fsync_dir(&tmp)?;
            fs::rename(&tmp, &fin).map_err(StoreError::io("rename into", &fin))?;
            fsync_dir(&self.dir)
        };
        if let Err(e) = write() {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
        Ok(id)
    }

    /// Every entry, oldest first; broken ones with the reason.
    pub fn list(&self) -> Result<Vec<Listed>, StoreError> {
        let read = fs::read_dir(&self.dir).map_err(StoreError::io("read outbox", &self.dir))?;
        let mut out = Vec::new();
        for e in read {
            let e = e.map_err(StoreError::io("read outbox", &self.dir))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !e.path().is_dir() {
                continue;
            }
            let id = EntryId(name);
            let meta = self.read_meta(&id);
            out.push(Listed { id, meta });
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// One entry's metadata, or why it cannot be read.
    pub fn meta(&self, id: &EntryId) -> Result<EntryMeta, String> {
        self.read_meta(id)
    }

    fn read_meta(&self, id: &EntryId) -> Result<EntryMeta, String> {
        let p = self.dir.join(&id.0).join(META);
        let text = fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let meta: EntryMeta = serde_json::from_slice(&text)
            .map_err(|e| format!("{}: damaged metadata: {e}", p.display()))?;
        if !self.dir.join(&id.0).join(MESSAGE).is_file() {
            return Err(format!("{}: the message file is missing", p.display()));
        }
        Ok(meta)
    }

    /// The message as kept.
    pub fn message(&self, id: &EntryId) -> Result<Vec<u8>, StoreError> {
        let p = self.dir.join(&id.0).join(MESSAGE);
        fs::read(&p).map_err(StoreError::io("read", p))
    }

    /// The bytes that go out: `sent.eml`, or (an entry without it) the kept message
    /// without Bcc.
    pub fn sent(&self, id: &EntryId) -> Result<Vec<u8>, StoreError> {
        let p = self.dir.join(&id.0).join(SENT);
        match fs::read(&p) {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(sent_bytes(&self.message(id)?))
            }
            Err(e) => Err(StoreError::io("read", p)(e)),
        }
    }

    /// Takes an entry for sending. Ok(None): another sender holds it, or it is gone
    /// (sent meanwhile). A broken entry is an error naming why.
    pub fn lock(&self, id: &EntryId) -> Result<Option<EntryLock>, StoreError> {
        let Some(file) = self.flock(id)? else {
            return Ok(None);
        };
        let meta = self.read_meta(id).map_err(|reason| StoreError::Invalid {
            path: self.dir.join(&id.0),
            reason,
        })?;
        Ok(Some(EntryLock {
            id: id.clone(),
            meta,
            _file: file,
        }))
    }

    fn flock(&self, id: &EntryId) -> Result<Option<File>, StoreError> {
        if id.0.is_empty() || id.0.starts_with('.') || id.0.contains('/') {
            return Err(StoreError::Invalid {
                path: self.dir.clone(),
                reason: format!("{:?} is not an outbox entry", id.0),
            });
        }
        let entry = self.dir.join(&id.0);
        let p = entry.join(LOCK);
        let file = match OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io("open", p)(e)),
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(StoreError::io("lock", p)(e)),
        }
        // Removed by another sender between our listing and the lock.
        if !entry.is_dir() {
            return Ok(None);
        }
        Ok(Some(file))
    }

    /// Notes a failed attempt (the entry stays queued).
    pub fn record_failure(&self, lock: &mut EntryLock, error: &str) -> Result<(), StoreError> {
        self.record_partial_failure(lock, error, &[])
    }

    /// Notes a failed attempt after which the server had accepted the message for
    /// `accepted`: they leave the envelope (a retry must not send it to them again).
    pub fn record_partial_failure(
        &self,
        lock: &mut EntryLock,
        error: &str,
        accepted: &[String],
    ) -> Result<(), StoreError> {
        let meta = &mut lock.meta;
        meta.recipients
            .retain(|r| !accepted.iter().any(|a| a.eq_ignore_ascii_case(r)));
        meta.delivered.extend(accepted.iter().cloned());
        lock.meta.attempts += 1;
        lock.meta.last_error = Some(error.to_string());
        lock.meta.last_attempt = Some(now());
        lock.meta.started = None;
        self.write_meta(lock)
    }

    /// Notes, durably, that an attempt starts now (see `EntryMeta::started`); returns
    /// when an earlier attempt started and never ended, if one did.
    pub fn begin_attempt(&self, lock: &mut EntryLock) -> Result<Option<i64>, StoreError> {
        let interrupted = lock.meta.started;
        lock.meta.started = Some(now());
        self.write_meta(lock)?;
        Ok(interrupted)
    }

    fn write_meta(&self, lock: &EntryLock) -> Result<(), StoreError> {
        let entry = self.dir.join(&lock.id.0);
        let tmp = entry.join(format!("{META}.tmp"));
        write_synced(&tmp, &meta_json(&lock.meta)?)?;
        let p = entry.join(META);
        fs::rename(&tmp, &p).map_err(StoreError::io("rename into", &p))?;
        fsync_dir(&entry)
    }

    /// The server accepted the message: the entry goes.
    pub fn remove(&self, lock: EntryLock) -> Result<(), StoreError> {
        self.remove_dir(&lock.id)
    }

    /// Deletes an entry the user gave up on (broken ones too). Ok(false) when another
    /// sender holds it right now.
    pub fn delete(&self, id: &EntryId) -> Result<bool, StoreError> {
        match self.flock(id)? {
            Some(_held) => self.remove_dir(id).map(|()| true),
            None if self.dir.join(&id.0).is_dir() => Ok(false),
            None => Ok(true),
        }
    }

    fn remove_dir(&self, id: &EntryId) -> Result<(), StoreError> {
        let from = self.dir.join(&id.0);
        let done = self.dir.join(format!(".done-{}", id.0));
        fs::rename(&from, &done).map_err(StoreError::io("rename", &from))?;
        fsync_dir(&self.dir)?;
        // Renamed away, the entry is gone for every lister; what is left of it is
        // cleared here or by the next `open` (which may race us: both are fine).
        let _ = fs::remove_dir_all(&done);
        Ok(())
    }
}

/// The bytes that go to the server: the kept message without its Bcc header(s)
/// (RFC 5322 §3.6.3: the Bcc field is not in what the recipients get), with CRLF line
/// ends (RFC 5321 §2.3.8).
pub fn sent_bytes(kept: &[u8]) -> Vec<u8> {
    let end = header_end(kept);
    let (head, body) = kept.split_at(end);
    let mut out = Vec::with_capacity(kept.len() + kept.len() / 32);
    let mut skipping = false;
    for line in head.split_inclusive(|&b| b == b'\n') {
        let folded = line.first().is_some_and(|&b| b == b' ' || b == b'\t');
        if !folded {
            skipping = is_field(line, b"bcc");
        }
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(body);
    to_crlf(&out)
}

/// Every line end (LF or CRLF) as CRLF; a lone CR stays.
pub fn to_crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut prev = 0u8;
    for &b in bytes {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// Where the Sent copy goes: the folder with the Sent role, else "Sent".
pub fn sent_folder(folders: &[Folder]) -> FolderPath {
    folders
        .iter()
        .find(|f| f.role == Some(FolderRole::Sent))
        .map(|f| f.path.clone())
        .unwrap_or_else(|| FolderPath("Sent".into()))
}

/// The offset just past the header block's blank line (or the end).
fn header_end(b: &[u8]) -> usize {
    let mut i = 0;
    for line in b.split_inclusive(|&c| c == b'\n') {
        i += line.len();
        if line == b"\n" || line == b"\r\n" {
            return i;
        }
    }
    b.len()
}

fn is_field(line: &[u8], name: &[u8]) -> bool {
    line.len() > name.len()
        && line[..name.len()].eq_ignore_ascii_case(name)
        && line[name.len()..]
            .iter()
            .find(|&&c| c != b' ' && c != b'\t')
            .is_some_and(|&c| c == b':')
}

fn subject_of(bytes: &[u8]) -> String {
    let head = &bytes[..header_end(bytes)];
    match mailparse::parse_headers(head) {
        Ok((headers, _)) => headers
            .iter()
            .find(|h| h.get_key_ref().eq_ignore_ascii_case("subject"))
            .map(|h| h.get_value())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

fn meta_json(meta: &EntryMeta) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec_pretty(meta).map_err(|e| StoreError::Invalid {
        path: PathBuf::from(META),
        reason: e.to_string(),
    })
}

fn write_synced(p: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut f = File::create(p).map_err(StoreError::io("create", p))?;
    f.write_all(bytes).map_err(StoreError::io("write", p))?;
    f.sync_all().map_err(StoreError::io("fsync", p))
}

fn fsync_dir(p: &Path) -> Result<(), StoreError> {
    File::open(p)
        .and_then(|d| d.sync_all())
        .map_err(StoreError::io("fsync directory", p))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn new_id() -> EntryId {
    static N: AtomicU64 = AtomicU64::new(0);
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    EntryId(format!("{ms:013}-{}-{n}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kept: &[u8]) -> NewEntry {
        NewEntry::from_kept(
            "work",
            "a@example.test",
            vec!["b@example.test".into(), "c@example.test".into()],
            kept.to_vec(),
        )
    }

    #[test]
    fn enqueue_list_lock_remove() {
        let d = tempfile::tempdir().unwrap();
        let ob = Outbox::open(&d.path().join("outbox")).unwrap();
        let id = ob.enqueue(&entry(b"Subject: hi\n\nbody\n")).unwrap();
        let l = ob.list().unwrap();
        assert_eq!(l.len(), 1);
        let meta = l[0].meta.clone().unwrap();
        assert_eq!(meta.subject, "hi");
        assert_eq!(meta.attempts, 0);
        assert_eq!(ob.message(&id).unwrap(), b"Subject: hi\n\nbody\n");
        let mut lock = ob.lock(&id).unwrap().unwrap();
        // A second taker (another process or task) gets nothing while it is held.
        assert!(ob.lock(&id).unwrap().is_none());
        ob.record_failure(&mut lock, "535 5.7.8 no").unwrap();
        drop(lock);
        let meta = ob.list().unwrap()[0].meta.clone().unwrap();
        assert_eq!(meta.attempts, 1);
        assert_eq!(meta.last_error.as_deref(), Some("535 5.7.8 no"));
        let lock = ob.lock(&id).unwrap().unwrap();
        ob.remove(lock).unwrap();
        assert!(ob.list().unwrap().is_empty());
        assert!(ob.lock(&id).unwrap().is_none());
        // Nothing left behind.
        assert_eq!(fs::read_dir(ob.dir()).unwrap().count(), 0);
    }

    #[test]
    fn damaged_metadata_is_listed_as_broken_and_kept() {
        let d = tempfile::tempdir().unwrap();
        let ob = Outbox::open(d.path()).unwrap();
        let id = ob.enqueue(&entry(b"Subject: x\n\nb\n")).unwrap();
        fs::write(d.path().join(&id.0).join(META), b"{ not json").unwrap();
        let l = ob.list().unwrap();
        assert!(l[0].meta.as_ref().unwrap_err().contains("damaged"));
        assert!(ob.lock(&id).is_err());
        let again = Outbox::open(d.path()).unwrap();
        assert_eq!(again.list().unwrap().len(), 1);
        assert_eq!(again.message(&id).unwrap(), b"Subject: x\n\nb\n");
        assert!(again.delete(&id).unwrap());
        assert!(again.list().unwrap().is_empty());
    }

    #[test]
    fn sent_bytes_drop_bcc_with_its_folded_lines_and_use_crlf() {
        let kept =
            b"From: a@x\nBcc: c@x,\n d@x\nTo: b@x\nBCC : e@x\nSubject: s\n\nBcc: body stays\n";
        let sent = sent_bytes(kept);
        assert_eq!(
            sent,
            b"From: a@x\r\nTo: b@x\r\nSubject: s\r\n\r\nBcc: body stays\r\n".to_vec()
        );
        assert_eq!(to_crlf(b"a\r\nb\nc"), b"a\r\nb\r\nc".to_vec());
    }

    #[test]
    fn sent_folder_prefers_the_role() {
        use crate::core::AccountId;
        let acc = AccountId("a".into());
        let mut gesendet = Folder::mail(acc.clone(), FolderPath("Gesendet".into()));
        gesendet.role = Some(FolderRole::Sent);
        let inbox = Folder::mail(acc, FolderPath::inbox());
        assert_eq!(sent_folder(&[inbox.clone(), gesendet]).0, "Gesendet");
        assert_eq!(sent_folder(&[inbox]).0, "Sent");
    }
}
