//! A POP3 account: a local Maildir cache (a `LocalAccount`: folders, flags, moves,
//! search) whose INBOX is filled from the server. A sync of INBOX that is due (the
//! first one, "get mail", the periodic check) downloads what is new, in steps the
//! actor can interleave with the user's requests; any other sync is a local rescan.
//!
//! Never lose mail: DELE goes out only for messages whose local copy is durable
//! (`pop3_disk`), and any error before QUIT drops the connection without QUIT, so the
//! server deletes nothing. Leave-on-server rests on the UIDLs kept in the index; a
//! server without UIDL can only be used in delete mode.

use super::local::{LocalAccount, LocalHandle, LocalSync};
use super::pop3_conn::{Fail, Piece, Pop3Conn, Pop3Server};
use super::pop3_disk::{self, Stored, Target, Writer};
use super::{
    Account, AccountError, AccountErrorKind, Capabilities, Outgoing, PushEvent, RawMessage,
    SyncReport, SyncStep,
};
use crate::config::Secret;
use crate::core::{AccountId, ErrorKind, FlagOp, Folder, FolderPath, MessageRef};
use crate::store::{MaildirTree, ScanProgress, StoreError, UidlRow, UidlState};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

/// What the account does with the server's copies, and when it looks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pop3Policy {
    pub leave_on_server: bool,
    pub delete_after_days: Option<u32>,
    pub max_size: Option<u64>,
    pub check_every: Option<Duration>,
}

impl Default for Pop3Policy {
    fn default() -> Self {
        Pop3Policy {
            leave_on_server: true,
            delete_after_days: None,
            max_size: None,
            check_every: None,
        }
    }
}

/// Messages per download step (one commit, one round of DELE).
const STEP_MESSAGES: usize = 500;
/// ...or this many bytes, whichever comes first.
const STEP_BYTES: u64 = 16 << 20;
/// A header read by TOP for a listed message is cut here.
const HEADER_LIMIT: u64 = 1 << 20;

pub struct Pop3Account {
    id: AccountId,
    local: LocalAccount,
    server: Pop3Server,
    password: Option<Secret>,
    policy: Pop3Policy,
    /// The next sync of INBOX talks to the server (set at start, by "get mail" and by
    /// the periodic check).
    check_due: bool,
    /// When the periodic check is next due (check-every).
    next_check: Option<tokio::time::Instant>,
    /// Where the periodic check announces itself to the actor (set by `take_push`).
    push: Option<mpsc::UnboundedSender<PushEvent>>,
    notes: Vec<String>,
}

/// A sync: a local rescan, or a download followed by one.
pub enum Pop3Sync {
    Local(Box<LocalSync>),
    Download(Box<Download>),
}

enum Phase {
    Connect,
    Fetch,
    Finish,
    Scan(Box<LocalSync>),
}

/// A download in progress. Dropping it drops the connection without QUIT.
pub struct Download {
    phase: Phase,
    conn: Option<Pop3Conn>,
    writer: Option<Writer>,
    now: i64,
    /// (message number, UIDL, size) to download.
    fetch: VecDeque<(u32, Option<String>, u64)>,
    /// Bigger than max-size: listed from TOP.
    list: VecDeque<(u32, String, u64)>,
    /// Stored earlier and now to be deleted (delete mode, or older than N days).
    delete_old: Vec<(u32, String)>,
    /// UIDLs whose DELE the server accepted in this session.
    deleted: Vec<String>,
    total: usize,
    done: usize,
    downloaded: usize,
    listed: usize,
    bytes: u64,
}

impl Pop3Account {
    /// Opens the cache (created when missing) and the account's index writer.
    pub fn open(
        id: AccountId,
        server: Pop3Server,
        password: Option<Secret>,
        policy: Pop3Policy,
        cache: &Path,
        index_path: &Path,
    ) -> Result<Pop3Account, StoreError> {
        crate::store::Maildir::create(cache)?;
        let tree = MaildirTree::open(cache)?;
        let local = LocalAccount::open(id.clone(), tree, index_path)?;
        Ok(Pop3Account {
            id,
            local,
            server,
            password,
            policy,
            check_due: true,
            next_check: None,
            push: None,
            notes: Vec::new(),
        })
    }

    pub fn tree(&self) -> &MaildirTree {
        self.local.tree()
    }

    fn err(&self, kind: ErrorKind, message: impl Into<String>) -> AccountError {
        AccountError {
            account: self.id.clone(),
            kind,
            message: message.into(),
        }
    }

    fn fail(&self, f: Fail) -> AccountError {
        self.err(f.kind, f.message)
    }

    fn store_err(&self, e: StoreError) -> AccountError {
        self.err(ErrorKind::Store, e.to_string())
    }

    /// Runs blocking disk work with the cache's index writer.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&LocalHandle, &AccountId) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, AccountError> {
        let (h, id) = (self.local.handle(), self.id.clone());
        match tokio::task::spawn_blocking(move || f(&h, &id)).await {
            Ok(r) => r.map_err(|e| self.store_err(e)),
            Err(e) => Err(self.err(ErrorKind::Store, format!("worker failed: {e}"))),
        }
    }

    /// Connects and logs in (the password command runs on a blocking thread).
    async fn connect_server(&self) -> Result<Pop3Conn, AccountError> {
        let secret = self
            .password
            .clone()
            .ok_or_else(|| self.err(ErrorKind::Auth, "no password configured ([pop3] password)"))?;
        let pw = tokio::task::spawn_blocking(move || secret.reveal())
            .await
            .map_err(|e| self.err(ErrorKind::Auth, format!("password command: {e}")))?
            .map_err(|m| self.err(ErrorKind::Auth, m))?;
        Pop3Conn::open(&self.server, &pw)
            .await
            .map_err(|f| self.fail(f))
    }

    /// Step one of a download: log in, list, recover from an interrupted run, plan.
    async fn plan(&mut self, d: &mut Download) -> Result<(), AccountError> {
        let mut conn = self.connect_server().await?;
        let uidls = conn.uidl().await.map_err(|f| self.fail(f))?;
        let sizes: HashMap<u32, u64> = conn
            .list()
            .await
            .map_err(|f| self.fail(f))?
            .into_iter()
            .collect();
        if let Some(caps) = conn.caps()
            && caps.expire.as_deref() == Some("0")
            && self.policy.leave_on_server
        {
            self.notes.push(format!(
                "{}: the server removes messages once they are downloaded (EXPIRE 0); leave-on-server cannot keep them there",
                self.id
            ));
        }
        let Some(uidls) = uidls else {
            if self.policy.leave_on_server {
                return Err(self.err(
                    ErrorKind::Unsupported,
                    format!(
                        "{} has no UIDL, so posthorn cannot tell which messages it already downloaded; leave-on-server needs it. Set leave-on-server = false to download and delete instead",
                        self.server.host
                    ),
                ));
            }
            // Delete mode without UIDL: everything, in order, deleted once stored.
            let mut all: Vec<_> = sizes.iter().map(|(n, s)| (*n, None, *s)).collect();
            all.sort_unstable_by_key(|(n, _, _)| *n);
            d.fetch = all.into();
            d.total = d.fetch.len();
            d.conn = Some(conn);
            return Ok(());
        };
        let from_names = self.policy.leave_on_server && !uidls.is_empty();
        let rows = self
            .blocking(move |h, id| pop3_disk::recover(h, id, from_names))
            .await?;
        let known: HashMap<&str, &UidlRow> = rows.iter().map(|r| (r.uidl.as_str(), r)).collect();
        let expire_before = self
            .policy
            .delete_after_days
            .map(|days| d.now - i64::from(days) * 86_400);
        let mut on_server = HashSet::with_capacity(uidls.len());
        for (n, uidl) in &uidls {
            if !on_server.insert(uidl.as_str()) {
                self.notes.push(format!(
                    "{}: the server lists the unique id {} twice; message {n} is left alone",
                    self.id,
                    crate::core::sanitize::line(uidl)
                ));
                continue;
            }
            let size = sizes.get(n).copied().unwrap_or(0);
            match known.get(uidl.as_str()) {
                Some(r) if r.state == UidlState::Stored => {
                    let expired = expire_before.is_some_and(|t| r.seen_at <= t);
                    if !self.policy.leave_on_server || expired {
                        d.delete_old.push((*n, uidl.clone()));
                    }
                }
                Some(_) => {} // listed: fetched when opened
                None if self.policy.max_size.is_some_and(|m| size > m) => {
                    d.list.push_back((*n, uidl.clone(), size))
                }
                None => d.fetch.push_back((*n, Some(uidl.clone()), size)),
            }
        }
        // The server no longer has these: nothing to remember them for.
        let gone: Vec<String> = rows
            .iter()
            .filter(|r| !on_server.contains(r.uidl.as_str()))
            .map(|r| r.uidl.clone())
            .collect();
        if !gone.is_empty() {
            self.blocking(move |h, id| pop3_disk::forget(h, id, &gone))
                .await?;
        }
        d.total = d.fetch.len() + d.list.len();
        d.conn = Some(conn);
        Ok(())
    }

    /// One step of downloading: a batch retrieved, made durable, and (delete mode)
    /// marked for deletion; then the listed ones.
    async fn fetch_step(&mut self, d: &mut Download) -> Result<(), AccountError> {
        let Some(conn) = d.conn.as_mut() else {
            return Err(self.err(ErrorKind::Network, "not connected"));
        };
        if !d.fetch.is_empty() {
            if d.writer.is_none() {
                let (h, id, now) = (self.local.handle(), self.id.clone(), d.now);
                d.writer = Some(
                    tokio::task::spawn_blocking(move || Writer::start(h, id, now))
                        .await
                        .map_err(|e| self.err(ErrorKind::Store, e.to_string()))?
                        .map_err(|e| self.store_err(e))?,
                );
            }
            let mut batch = Vec::new();
            let mut bytes = 0u64;
            while let Some(item) = d.fetch.front() {
                if !batch.is_empty() && (batch.len() >= STEP_MESSAGES || bytes >= STEP_BYTES) {
                    break;
                }
                bytes += item.2;
                batch.extend(d.fetch.pop_front());
            }
            let msgs: Vec<(u32, u64)> = batch
                .iter()
                .map(|(n, _, s)| (*n, s.saturating_mul(2).saturating_add(1 << 20)))
                .collect();
            let mut uidls: HashMap<u32, Option<String>> =
                batch.iter().map(|(n, u, _)| (*n, u.clone())).collect();
            let Some(writer) = d.writer.as_ref() else {
                return Err(self.err(ErrorKind::Store, "no writer"));
            };
            let to_fail = |e: StoreError| Fail::new(ErrorKind::Store, e.to_string());
            let mut sink = |p: Piece| -> Result<(), Fail> {
                match p {
                    Piece::Start(n) => writer
                        .start_message(
                            n,
                            Target {
                                uidl: uidls.remove(&n).flatten(),
                                listed: None,
                            },
                        )
                        .map_err(to_fail),
                    Piece::Data(b) => writer.data(b).map_err(to_fail),
                    Piece::End => writer.end_message().map_err(to_fail),
                }
            };
            conn.retrieve(&msgs, &mut sink)
                .await
                .map_err(|f| self.fail(f))?;
            let stored = writer.commit().await.map_err(|e| self.store_err(e))?;
            d.downloaded += stored.len();
            d.bytes += stored.iter().map(|s| s.size).sum::<u64>();
            d.done += batch.len();
            if !self.policy.leave_on_server {
                self.dele_stored(conn, &stored, &mut d.deleted).await?;
            }
            return Ok(());
        }
        if let Some((n, uidl, size)) = d.list.pop_front() {
            let header = conn
                .top_header(n, HEADER_LIMIT)
                .await
                .map_err(|f| self.fail(f))?
                .unwrap_or_else(|| {
                    format!("Subject: (a message of {size} bytes; TOP was refused)\n\n")
                        .into_bytes()
                });
            let now = d.now;
            self.blocking(move |h, id| pop3_disk::record_listed(h, id, &uidl, size, &header, now))
                .await?;
            d.listed += 1;
            d.done += 1;
        }
        Ok(())
    }

    async fn dele_stored(
        &self,
        conn: &mut Pop3Conn,
        stored: &[Stored],
        deleted: &mut Vec<String>,
    ) -> Result<(), AccountError> {
        let ns: Vec<u32> = stored.iter().map(|s| s.n).collect();
        conn.dele(&ns).await.map_err(|f| self.fail(f))?;
        deleted.extend(stored.iter().filter_map(|s| s.uidl.clone()));
        Ok(())
    }

    /// The end of a download: old messages deleted, QUIT, the deleted ones forgotten.
    async fn finish(&mut self, d: &mut Download) -> Result<(), AccountError> {
        let Some(mut conn) = d.conn.take() else {
            return Err(self.err(ErrorKind::Network, "not connected"));
        };
        if !d.delete_old.is_empty() {
            let ns: Vec<u32> = d.delete_old.iter().map(|(n, _)| *n).collect();
            conn.dele(&ns).await.map_err(|f| self.fail(f))?;
            d.deleted.extend(d.delete_old.drain(..).map(|(_, u)| u));
        }
        conn.quit().await.map_err(|f| self.fail(f))?;
        let deleted = std::mem::take(&mut d.deleted);
        let count = deleted.len();
        if !deleted.is_empty() {
            self.blocking(move |h, id| pop3_disk::forget(h, id, &deleted))
                .await?;
        }
        if d.downloaded + d.listed + count > 0 {
            let mut parts = vec![format!("{} new", d.downloaded)];
            if d.listed > 0 {
                parts.push(format!(
                    "{} listed (bigger than max-size; downloaded when opened)",
                    d.listed
                ));
            }
            if count > 0 {
                parts.push(format!("{count} deleted from the server"));
            }
            self.notes
                .push(format!("{}: {}", self.id, parts.join(", ")));
        }
        Ok(())
    }

    /// Downloads a listed message (bigger than max-size) when it is opened.
    async fn fetch_listed(&mut self, row: UidlRow) -> Result<RawMessage, AccountError> {
        let mut conn = self.connect_server().await?;
        let uidls = conn.uidl().await.map_err(|f| self.fail(f))?;
        let Some(n) = uidls
            .unwrap_or_default()
            .into_iter()
            .find(|(_, u)| *u == row.uidl)
            .map(|(n, _)| n)
        else {
            let gone = vec![row.uidl.clone()];
            self.blocking(move |h, id| pop3_disk::forget(h, id, &gone))
                .await?;
            return Err(self.err(
                ErrorKind::Gone,
                "the server no longer has this message (it was listed, never downloaded)",
            ));
        };
        let size = conn
            .list()
            .await
            .map_err(|f| self.fail(f))?
            .into_iter()
            .find(|(m, _)| *m == n)
            .map_or(0, |(_, s)| s);
        let (h, id) = (self.local.handle(), self.id.clone());
        let now = chrono::Utc::now().timestamp();
        let writer = tokio::task::spawn_blocking(move || Writer::start(h, id, now))
            .await
            .map_err(|e| self.err(ErrorKind::Store, e.to_string()))?
            .map_err(|e| self.store_err(e))?;
        let to_fail = |e: StoreError| Fail::new(ErrorKind::Store, e.to_string());
        let mut target = Some(Target {
            uidl: Some(row.uidl.clone()),
            listed: Some(row.clone()),
        });
        let mut sink = |p: Piece| -> Result<(), Fail> {
            match p {
                Piece::Start(n) => match target.take() {
                    Some(t) => writer.start_message(n, t).map_err(to_fail),
                    None => Ok(()),
                },
                Piece::Data(b) => writer.data(b).map_err(to_fail),
                Piece::End => writer.end_message().map_err(to_fail),
            }
        };
        let limit = size.saturating_mul(2).saturating_add(1 << 20);
        conn.retrieve(&[(n, limit)], &mut sink)
            .await
            .map_err(|f| self.fail(f))?;
        let stored = writer.commit().await.map_err(|e| self.store_err(e))?;
        let mut deleted = Vec::new();
        if !self.policy.leave_on_server {
            self.dele_stored(&mut conn, &stored, &mut deleted).await?;
        }
        conn.quit().await.map_err(|f| self.fail(f))?;
        if !deleted.is_empty() {
            self.blocking(move |h, id| pop3_disk::forget(h, id, &deleted))
                .await?;
        }
        let Some(s) = stored.into_iter().next() else {
            return Err(self.err(ErrorKind::Protocol, "the server sent no message"));
        };
        self.local
            .fetch(&FolderPath::inbox(), &MessageRef::local(s.id))
            .await
    }

    /// A server check finished: the next periodic one is due an interval later.
    fn checked(&mut self) {
        self.next_check = self
            .policy
            .check_every
            .map(|every| tokio::time::Instant::now() + every);
    }

    /// Forwards the cache's own change notices, and keeps a sender for the periodic
    /// check (`tick`) to announce that INBOX wants a sync.
    fn start_push(&mut self) -> Option<mpsc::UnboundedReceiver<PushEvent>> {
        let local = self.local.take_push();
        if local.is_none() && self.policy.check_every.is_none() {
            return None;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        if let Some(mut local) = local {
            let tx = tx.clone();
            tokio::spawn(async move {
                while let Some(ev) = local.recv().await {
                    if tx.send(ev).is_err() {
                        break;
                    }
                }
            });
        }
        if self.policy.check_every.is_some() {
            self.push = Some(tx);
            if self.next_check.is_none() {
                self.checked();
            }
        }
        Some(rx)
    }
}

impl Account for Pop3Account {
    type Sync = Pop3Sync;

    fn id(&self) -> &AccountId {
        &self.id
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            push: self.policy.check_every.is_some() || self.local.capabilities().push,
            ..Capabilities::LOCAL
        }
    }

    async fn connect(&mut self) -> Result<(), AccountError> {
        // The cache is usable at once; the server is contacted by the first check.
        self.local.connect().await
    }

    async fn list_folders(&mut self) -> Result<Vec<Folder>, AccountError> {
        self.local.list_folders().await
    }

    fn request_check(&mut self) {
        self.check_due = true;
    }

    async fn begin_sync(&mut self, folder: &FolderPath) -> Result<Pop3Sync, AccountError> {
        if folder.is_inbox() && std::mem::take(&mut self.check_due) {
            return Ok(Pop3Sync::Download(Box::new(Download {
                phase: Phase::Connect,
                conn: None,
                writer: None,
                now: chrono::Utc::now().timestamp(),
                fetch: VecDeque::new(),
                list: VecDeque::new(),
                delete_old: Vec::new(),
                deleted: Vec::new(),
                total: 0,
                done: 0,
                downloaded: 0,
                listed: 0,
                bytes: 0,
            })));
        }
        self.local
            .begin_sync(folder)
            .await
            .map(|j| Pop3Sync::Local(Box::new(j)))
    }

    async fn sync_step(&mut self, job: Pop3Sync) -> Result<SyncStep<Pop3Sync>, AccountError> {
        let mut d = match job {
            Pop3Sync::Local(j) => {
                return Ok(match self.local.sync_step(*j).await? {
                    SyncStep::More(j, p) => SyncStep::More(Pop3Sync::Local(Box::new(j)), p),
                    SyncStep::Done(r) => SyncStep::Done(r),
                });
            }
            Pop3Sync::Download(d) => d,
        };
        let result = match std::mem::replace(&mut d.phase, Phase::Fetch) {
            Phase::Connect => self.plan(&mut d).await,
            Phase::Fetch if d.fetch.is_empty() && d.list.is_empty() => {
                d.phase = Phase::Finish;
                Ok(())
            }
            Phase::Fetch => self.fetch_step(&mut d).await,
            Phase::Finish => {
                let r = self.finish(&mut d).await;
                if r.is_ok() {
                    let scan = self.local.begin_sync(&FolderPath::inbox()).await?;
                    d.phase = Phase::Scan(Box::new(scan));
                }
                r
            }
            Phase::Scan(j) => {
                return Ok(match self.local.sync_step(*j).await? {
                    SyncStep::More(j, p) => {
                        d.phase = Phase::Scan(Box::new(j));
                        SyncStep::More(Pop3Sync::Download(d), p)
                    }
                    SyncStep::Done(r) => {
                        self.checked();
                        SyncStep::Done(SyncReport {
                            added: r.added.max(d.downloaded + d.listed),
                            bytes: d.bytes,
                            ..r
                        })
                    }
                });
            }
        };
        if let Err(e) = result {
            // A failed check is tried again by the next sync of INBOX.
            self.check_due = true;
            return Err(e);
        }
        let p = ScanProgress {
            done: d.done,
            total: d.total,
        };
        Ok(SyncStep::More(Pop3Sync::Download(d), p))
    }

    async fn fetch(
        &mut self,
        folder: &FolderPath,
        id: &MessageRef,
    ) -> Result<RawMessage, AccountError> {
        if folder.is_inbox() {
            let uid = id.id.clone();
            let row = self
                .blocking(move |h, a| h.index().pop3_row_of(a, &FolderPath::inbox(), &uid))
                .await?;
            if let Some(row) = row.filter(|r| r.state == UidlState::Listed) {
                return self.fetch_listed(row).await;
            }
        }
        self.local.fetch(folder, id).await
    }

    async fn set_flags(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
        op: FlagOp,
    ) -> Result<(), AccountError> {
        self.local.set_flags(folder, ids, op).await
    }

    async fn move_to(
        &mut self,
        from: &FolderPath,
        ids: &[MessageRef],
        to: &FolderPath,
    ) -> Result<(), AccountError> {
        self.local.move_to(from, ids, to).await
    }

    async fn delete(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
    ) -> Result<(), AccountError> {
        self.local.delete(folder, ids).await
    }

    async fn restore_targets(&mut self, ids: &[MessageRef]) -> Vec<(FolderPath, MessageRef)> {
        self.local.restore_targets(ids).await
    }

    /// Folders and stored copies are the cache's business (POP3 has one folder).
    async fn append(
        &mut self,
        folder: &FolderPath,
        bytes: &[u8],
        flags: crate::core::Flags,
    ) -> Result<crate::core::LocalId, AccountError> {
        self.local.append(folder, bytes, flags).await
    }

    async fn folder_op(&mut self, op: &crate::core::FolderOp) -> Result<(), AccountError> {
        self.local.folder_op(op).await
    }

    async fn submit(&mut self, _msg: &Outgoing) -> Result<(), AccountError> {
        Err(self.err(
            AccountErrorKind::Unsupported,
            "POP3 only receives mail; sending needs an [smtp] table (not available yet)",
        ))
    }

    fn take_push(&mut self) -> Option<mpsc::UnboundedReceiver<PushEvent>> {
        self.start_push()
    }

    /// The cache is read as it is; `posthorn sync` (or "get mail") asks the server.
    fn refresh_on_read(&self) -> bool {
        false
    }

    fn wake_at(&self) -> Option<tokio::time::Instant> {
        self.push.as_ref().and(self.next_check)
    }

    /// The periodic check: INBOX is synced with the server as soon as the actor is
    /// free (through push, so a check already queued is not doubled).
    async fn tick(&mut self) {
        if self
            .next_check
            .is_none_or(|at| at > tokio::time::Instant::now())
        {
            return;
        }
        self.check_due = true;
        self.checked();
        if let Some(tx) = &self.push {
            let _ = tx.send(PushEvent::Folder(FolderPath::inbox()));
        }
    }

    async fn refresh_watch(&mut self) -> Vec<FolderPath> {
        self.local.refresh_watch().await
    }

    fn take_notes(&mut self) -> Vec<String> {
        let mut n = std::mem::take(&mut self.notes);
        n.extend(self.local.take_notes());
        n
    }
}

/// How long any connect, read or write may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The connection settings and policy of a `[accounts.NAME.pop3]` table.
pub fn settings(cfg: &crate::config::ServerConfig) -> Result<(Pop3Server, Pop3Policy), String> {
    use crate::config::{AuthMethod, Tls};
    use crate::net::{TlsMode, TlsSettings};
    use crate::protocol::pop3::Pop3Auth;
    let tls = match cfg.tls {
        Tls::Implicit => TlsMode::Implicit,
        Tls::Starttls => TlsMode::Starttls,
        Tls::None => TlsMode::None,
    };
    let user = cfg
        .user
        .clone()
        .filter(|u| !u.is_empty())
        .ok_or("[pop3] user: missing")?;
    let auth = match cfg.auth.unwrap_or_default() {
        AuthMethod::Auto => Pop3Auth::Auto,
        AuthMethod::User => Pop3Auth::User,
        AuthMethod::Apop => Pop3Auth::Apop,
        AuthMethod::Plain => Pop3Auth::Plain,
        AuthMethod::Login => Pop3Auth::Login,
        AuthMethod::Xoauth2 => Pop3Auth::Xoauth2,
    };
    let server = Pop3Server {
        host: cfg.host.clone(),
        // RFC 1939 §3: 110; RFC 8314 §3.3 / RFC 2595: 995 for POP3S.
        port: cfg
            .port
            .unwrap_or(if tls == TlsMode::Implicit { 995 } else { 110 }),
        tls,
        tls_settings: TlsSettings {
            ca_file: cfg.ca_file.as_deref().map(crate::config::expand_tilde),
        },
        user,
        auth,
        timeout: TIMEOUT,
    };
    let policy = Pop3Policy {
        leave_on_server: cfg.leave_on_server.unwrap_or(true),
        delete_after_days: cfg.delete_after_days,
        max_size: cfg.max_size,
        check_every: cfg.check_every,
    };
    Ok((server, policy))
}

/// Builds the account from its config table; Err says why it cannot open.
pub fn from_config(
    id: AccountId,
    cfg: &crate::config::ServerConfig,
    index_path: &Path,
) -> Result<Pop3Account, String> {
    let (server, policy) = settings(cfg)?;
    let cache = match &cfg.cache {
        Some(p) => crate::config::expand_tilde(p),
        None => crate::config::default_data_dir()
            .ok_or("no data directory for the cache (is $HOME set?); set `cache`")?
            .join("cache")
            .join(id.0.replace('/', "_")),
    };
    Pop3Account::open(id, server, cfg.password.clone(), policy, &cache, index_path)
        .map_err(|e| e.to_string())
}
