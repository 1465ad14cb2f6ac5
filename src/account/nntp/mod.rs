//! NNTP accounts: a newsreader. The folders are the groups subscribed in the .newsrc
//! (a group named `comp.mail.archive` is a folder like any other, never the Archive
//! role). A sync of a group stores the overview of its new articles in the index
//! (`sync.rs`); a body is fetched when it is opened and cached in the account's Maildir
//! store. The read state lives in the .newsrc, in the format slrn, tin and trn share,
//! so a user keeps it across readers; flags other than Seen stay in the index.
//!
//! The group browser's needs (every group with its description, new groups since last
//! time, subscribe, catch-up) are methods on `NntpAccount` (`groups.rs`).
//!
//! Offline: folders come from the .newsrc and envelopes from the index; a dropped link
//! makes the account Offline with a retry time, and the next request after it
//! reconnects. Depends on `protocol`, `net`, `store`, `config` and `core`; never on
//! the UI.

mod conn;
mod fetch;
mod groups;
mod post;
pub mod score;
mod sync;

pub use conn::{Fail, NntpConn, NntpServer, Reply};
pub use groups::GroupListing;
pub use post::{NntpPoster, missing_headers, newsgroups};
pub use sync::{NntpSync, fields as overview_fields};

use super::{Account, AccountError, Capabilities, Outgoing, RawMessage, SyncStep};
use crate::config::{Secret, ServerConfig, Tls};
use crate::core::{
    AccountId, AccountState, ErrorKind, FlagOp, Flags, Folder, FolderPath, MessageRef, SubmitKind,
};
use crate::net::{TlsMode, TlsSettings};
use crate::store::newsrc::Newsrc;
use crate::store::{Index, MaildirTree, StoreError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::time::Instant;

/// How long one command may take before the link counts as dead.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Backoff between reconnects: 2 s, doubling, at most 5 minutes.
const RETRY_FIRST: Duration = Duration::from_secs(2);
const RETRY_MAX: Duration = Duration::from_secs(300);
/// An article bigger than this is refused (a runaway server).
const ARTICLE_LIMIT: u64 = 256 << 20;

/// The cache on disk and the .newsrc: shared with blocking threads.
pub(crate) struct Disk {
    pub id: AccountId,
    pub tree: MaildirTree,
    index: Mutex<Index>,
    pub newsrc_path: PathBuf,
    newsrc: Mutex<Newsrc>,
    notes: Mutex<Vec<String>>,
}

impl Disk {
    pub fn index(&self) -> MutexGuard<'_, Index> {
        let mut ix = self.index.lock().unwrap_or_else(|p| p.into_inner());
        if !ix.is_current()
            && let Err(e) = ix.reopen()
        {
            self.note(format!("cannot reopen the rebuilt index: {e}"));
        }
        ix
    }

    /// The .newsrc as it is on disk now (another reader may have changed it).
    pub fn newsrc(&self) -> Result<MutexGuard<'_, Newsrc>, StoreError> {
        let mut n = self.newsrc.lock().unwrap_or_else(|p| p.into_inner());
        *n = Newsrc::load(&self.newsrc_path)?;
        Ok(n)
    }

    /// Changes the .newsrc and writes it (atomically) at once.
    pub fn edit_newsrc<T>(&self, f: impl FnOnce(&mut Newsrc) -> T) -> Result<T, StoreError> {
        let mut n = self.newsrc()?;
        let out = f(&mut n);
        n.save(&self.newsrc_path)?;
        Ok(out)
    }

    pub fn note(&self, text: String) {
        self.notes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(format!("{}: {text}", self.id));
    }
}

pub struct NntpAccount {
    id: AccountId,
    server: NntpServer,
    secret: Option<Secret>,
    disk: Arc<Disk>,
    conn: Option<NntpConn>,
    state: Option<AccountState>,
    online: bool,
    retry_at: Option<Instant>,
    backoff: Duration,
    offline_reason: String,
    /// Login failed: no automatic retries (the password will not fix itself).
    auth_failed: bool,
    /// The score file (`score-file`), read again when it changes.
    score_path: Option<PathBuf>,
    score: Option<LoadedScore>,
    /// Overview lines per OVER: (the first range, the others).
    ranges: (u64, u64),
}

/// A score file as last read: its modification time, rules and content hash.
struct LoadedScore {
    mtime: Option<std::time::SystemTime>,
    rules: Option<Arc<score::ScoreFile>>,
    hash: u64,
}

/// The cache name of an article: stable for (group, number).
pub fn local_id(group: &FolderPath, number: u64) -> crate::core::LocalId {
    // FNV-1a: stable across runs and versions (std's hasher is not).
    let mut h: u32 = 0x811c_9dc5;
    for b in group.0.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    crate::core::LocalId(format!("{h:08x}.{number}.nntp"))
}

/// FNV-1a, 64 bits: a stable hash of the score file's text.
fn fnv64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // Kept in a signed SQLite column: stay below 2^63, and never 0 ("no file").
    (h >> 1).max(1)
}

/// The connection settings of an `[accounts.NAME.nntp]` table. Ports: RFC 3977 §3 and
/// RFC 4642 (119, STARTTLS on the same port), RFC 8143 (563, NNTPS).
pub fn settings(cfg: &ServerConfig) -> NntpServer {
    let tls = match cfg.tls {
        Tls::Implicit => TlsMode::Implicit,
        Tls::Starttls => TlsMode::Starttls,
        Tls::None => TlsMode::None,
    };
    NntpServer {
        host: cfg.host.clone(),
        port: cfg
            .port
            .unwrap_or(if tls == TlsMode::Implicit { 563 } else { 119 }),
        tls,
        tls_settings: TlsSettings {
            ca_file: cfg.ca_file.as_deref().map(crate::config::expand_tilde),
        },
        user: cfg.user.clone().filter(|u| !u.is_empty()),
        timeout: TIMEOUT,
    }
}

/// Builds the account from its config table; Err says why it cannot open.
pub fn from_config(
    id: AccountId,
    cfg: &ServerConfig,
    index_path: &Path,
) -> Result<NntpAccount, String> {
    let cache = match &cfg.cache {
        Some(p) => crate::config::expand_tilde(p),
        None => crate::config::default_data_dir()
            .ok_or("no data directory for the cache (is $HOME set?); set `cache`")?
            .join("cache")
            .join(id.0.replace('/', "_")),
    };
    let newsrc = match &cfg.newsrc {
        Some(p) => crate::config::expand_tilde(p),
        None => cache.join("newsrc"),
    };
    let mut acc = NntpAccount::open(
        id,
        settings(cfg),
        cfg.password.clone(),
        &cache,
        &newsrc,
        index_path,
    )
    .map_err(|e| e.to_string())?;
    acc.set_score_file(cfg.score_file.as_deref().map(crate::config::expand_tilde));
    Ok(acc)
}

impl NntpAccount {
    /// Opens the cache (created when missing: a directory of per-group Maildirs) and
    /// the account's index writer; connects later.
    pub fn open(
        id: AccountId,
        server: NntpServer,
        secret: Option<Secret>,
        cache: &Path,
        newsrc_path: &Path,
        index_path: &Path,
    ) -> Result<NntpAccount, StoreError> {
        std::fs::create_dir_all(cache).map_err(StoreError::io("create", cache))?;
        let tree = MaildirTree::open(cache)?;
        // Groups have no roles: an empty roles file says so to every reader of the
        // cache (else a group called "trash" would pass for Trash).
        crate::store::roles::save(cache, &[])?;
        let (index, note) = Index::open(index_path)?;
        let newsrc = Newsrc::load(newsrc_path)?;
        let mut notes: Vec<String> = note.map(|n| format!("{id}: {n}")).into_iter().collect();
        // Every subscribed group is a folder of the cache from the start, so the folder
        // pane (which reads the cache) lists them before the first sync.
        let mut listed = Vec::new();
        for g in newsrc.subscribed() {
            let path = FolderPath(g);
            match tree.ensure_folder(&path) {
                Ok(_) => listed.push(path),
                Err(e) => notes.push(format!("{id}: group {path}: {e}")),
            }
        }
        // Unsubscribed groups keep their cached articles but leave the list.
        crate::store::roles::save_listed(cache, &listed)?;
        Ok(NntpAccount {
            disk: Arc::new(Disk {
                id: id.clone(),
                tree,
                index: Mutex::new(index),
                newsrc_path: newsrc_path.to_path_buf(),
                newsrc: Mutex::new(newsrc),
                notes: Mutex::new(notes),
            }),
            id,
            server,
            secret,
            conn: None,
            state: None,
            online: false,
            retry_at: None,
            backoff: RETRY_FIRST,
            offline_reason: String::new(),
            auth_failed: false,
            score_path: None,
            score: None,
            ranges: (sync::FIRST_RANGE, sync::RANGE),
        })
    }

    /// Smaller OVER ranges (a test walks a many-range sync on a small group).
    #[doc(hidden)]
    pub fn set_overview_ranges(&mut self, first: u64, rest: u64) {
        self.ranges = (first.max(1), rest.max(1));
    }

    /// Uses a score file (rules that hide articles); None: no scoring.
    pub fn set_score_file(&mut self, path: Option<PathBuf>) {
        self.score_path = path;
        self.score = None;
    }

    /// The score rules in force and a hash of their text (0: none). The file is read
    /// again when its modification time changed; a file that cannot be read or parsed
    /// is reported and scores nothing.
    pub(crate) fn current_score(&mut self) -> (Option<Arc<score::ScoreFile>>, u64) {
        let Some(path) = self.score_path.clone() else {
            return (None, 0);
        };
        let mtime = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        if let Some(l) = &self.score
            && l.mtime == mtime
        {
            return (l.rules.clone(), l.hash);
        }
        let shown = path.display().to_string();
        let (rules, hash) = match std::fs::read(&path) {
            Ok(bytes) => {
                let hash = fnv64(&bytes);
                match score::ScoreFile::parse(&String::from_utf8_lossy(&bytes)) {
                    Ok(f) => {
                        if !f.warnings.is_empty() {
                            self.disk.note(format!(
                                "score file {shown}: skipped {}",
                                f.warnings.join("; ")
                            ));
                        }
                        (Some(Arc::new(f)), hash)
                    }
                    Err(why) => {
                        self.disk
                            .note(format!("score file {shown}: {why}; not scoring"));
                        (None, 0)
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, 0),
            Err(e) => {
                self.disk
                    .note(format!("score file {shown}: {e}; not scoring"));
                (None, 0)
            }
        };
        self.score = Some(LoadedScore {
            mtime,
            rules: rules.clone(),
            hash,
        });
        (rules, hash)
    }

    pub fn tree(&self) -> &MaildirTree {
        &self.disk.tree
    }

    /// Shorter deadlines (tests of dead links).
    pub fn set_timeout(&mut self, t: Duration) {
        self.server.timeout = t;
    }

    fn error(&self, kind: ErrorKind, message: impl Into<String>) -> AccountError {
        AccountError {
            account: self.id.clone(),
            kind,
            message: message.into(),
        }
    }

    fn store_err(&self, e: StoreError) -> AccountError {
        let kind = match &e {
            StoreError::NotFound { .. } => ErrorKind::Gone,
            _ => ErrorKind::Store,
        };
        self.error(kind, e.to_string())
    }

    /// Runs store work on a blocking thread.
    async fn disk<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Disk) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, AccountError> {
        let d = self.disk.clone();
        match tokio::task::spawn_blocking(move || f(&d)).await {
            Ok(r) => r.map_err(|e| self.store_err(e)),
            Err(e) => Err(self.error(ErrorKind::Store, format!("worker failed: {e}"))),
        }
    }

    /// A failure on the connection: a network one drops the link and makes the
    /// account Offline with a retry time; others pass through as they are (a protocol
    /// error drops the link too, as the session cannot go on after it).
    fn failed(&mut self, f: Fail) -> AccountError {
        match f.kind {
            ErrorKind::Network | ErrorKind::Timeout => self.go_offline(&f.message),
            ErrorKind::Protocol => self.conn = None,
            _ => {}
        }
        self.error(f.kind, f.message)
    }

    fn go_offline(&mut self, reason: &str) {
        self.conn = None;
        let secs = self.backoff.as_secs();
        self.retry_at = Some(Instant::now() + self.backoff);
        self.backoff = (self.backoff * 2).min(RETRY_MAX);
        self.online = false;
        self.offline_reason = reason.to_string();
        self.state = Some(AccountState::Offline {
            retry_at: Some(chrono::Utc::now().timestamp() + secs as i64),
            reason: reason.to_string(),
        });
    }

    /// A live connection: the current one, or a new one (offline: an error at once
    /// until the retry time, so nothing waits on a dead server).
    pub async fn conn(&mut self) -> Result<&mut NntpConn, AccountError> {
        if self.conn.is_none() {
            if self.auth_failed {
                return Err(self.error(
                    ErrorKind::Auth,
                    "login failed earlier; fix the password and restart",
                ));
            }
            if let Some(at) = self.retry_at
                && Instant::now() < at
            {
                let secs = at.saturating_duration_since(Instant::now()).as_secs();
                return Err(self.error(
                    ErrorKind::Network,
                    format!("offline ({}); retrying in {secs} s", self.offline_reason),
                ));
            }
            self.reconnect().await?;
        }
        self.conn.as_mut().ok_or_else(|| AccountError {
            account: self.id.clone(),
            kind: ErrorKind::Network,
            message: "no connection".into(),
        })
    }

    async fn reconnect(&mut self) -> Result<(), AccountError> {
        let mut password = None;
        if let Some(secret) = self.secret.clone() {
            match tokio::task::spawn_blocking(move || secret.reveal()).await {
                Ok(Ok(p)) => password = Some(p),
                Ok(Err(why)) => {
                    self.auth_failed = true;
                    return Err(self.error(ErrorKind::Auth, why));
                }
                Err(e) => return Err(self.error(ErrorKind::Auth, e.to_string())),
            }
        }
        match NntpConn::open(&self.server, password.as_deref()).await {
            Ok(c) => {
                let was_offline = !self.online;
                self.conn = Some(c);
                self.online = true;
                self.retry_at = None;
                self.backoff = RETRY_FIRST;
                if was_offline {
                    self.state = Some(AccountState::Online);
                }
                Ok(())
            }
            Err(f) if f.kind == ErrorKind::Auth => {
                self.auth_failed = true;
                self.state = Some(AccountState::Error(crate::core::Failure::new(
                    f.kind,
                    f.message.clone(),
                )));
                Err(self.error(f.kind, f.message))
            }
            Err(f) => {
                self.go_offline(&f.message);
                Err(self.error(f.kind, f.message))
            }
        }
    }
}

impl Account for NntpAccount {
    type Sync = NntpSync;

    fn id(&self) -> &AccountId {
        &self.id
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            folders: true,
            server_flags: true,
            server_delete: false,
            push: false,
            submit: SubmitKind::NntpPost,
        }
    }

    async fn connect(&mut self) -> Result<(), AccountError> {
        match self.reconnect().await {
            Ok(()) => Ok(()),
            // Offline: the cache still works; the state says when the next try is.
            Err(e) if matches!(e.kind, ErrorKind::Network | ErrorKind::Timeout) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The subscribed groups (from the .newsrc; no network), with counts from the index.
    async fn list_folders(&mut self) -> Result<Vec<Folder>, AccountError> {
        self.disk(|d| {
            let groups = d.newsrc()?.subscribed();
            let ix = d.index();
            let view = ix.reader();
            let mut out = Vec::with_capacity(groups.len());
            for g in groups {
                let path = FolderPath(g);
                if let Err(e) = d.tree.ensure_folder(&path) {
                    d.note(format!("group {path}: {e}"));
                    continue;
                }
                let mut f = Folder::newsgroup(d.id.clone(), path.clone());
                if let Ok((t, u)) = view.counts(&d.id, &path) {
                    (f.total, f.unread) = (t, u);
                }
                out.push(f);
            }
            Ok(out)
        })
        .await
    }

    async fn begin_sync(&mut self, folder: &FolderPath) -> Result<NntpSync, AccountError> {
        sync::begin(self, folder).await
    }

    async fn sync_step(&mut self, job: NntpSync) -> Result<SyncStep<NntpSync>, AccountError> {
        sync::step(self, job).await
    }

    async fn fetch(
        &mut self,
        folder: &FolderPath,
        id: &MessageRef,
    ) -> Result<RawMessage, AccountError> {
        let (f, lid) = (folder.clone(), id.id.clone());
        let cached = self
            .disk(move |d| {
                let row = d.index().nntp_row(&d.id, &f, &lid)?;
                Ok(match row.and_then(|r| r.file_name) {
                    Some(name) => {
                        let md = d.tree.folder(&f)?;
                        md.locate(&lid, Some(&name)).and_then(|e| md.read(&e)).ok()
                    }
                    None => None,
                })
            })
            .await?;
        if let Some(bytes) = cached {
            return Ok(RawMessage(bytes));
        }
        let got = self
            .fetch_many(folder, std::slice::from_ref(&id.id))
            .await?;
        match got.into_iter().next().flatten() {
            Some(b) => Ok(RawMessage(b)),
            None => Err(self.error(
                ErrorKind::Gone,
                format!("{folder}: the server no longer has article {}", id.id.0),
            )),
        }
    }

    /// Seen goes to the .newsrc (read state other readers share); other flags stay in
    /// the index.
    async fn set_flags(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
        op: FlagOp,
    ) -> Result<(), AccountError> {
        let (f, ids) = (folder.clone(), ids.to_vec());
        self.disk(move |d| {
            let mut rows = Vec::new();
            let mut seen = Vec::new();
            {
                let ix = d.index();
                for r in &ids {
                    let Some(row) = ix.nntp_row(&d.id, &f, &r.id)? else {
                        continue;
                    };
                    let flags = row.flags.apply(op);
                    seen.push((row.number, flags.contains(Flags::SEEN)));
                    rows.push((row.id, flags));
                }
            }
            let touches_seen = match op {
                FlagOp::Add(x) | FlagOp::Remove(x) => x.contains(Flags::SEEN),
            };
            if touches_seen {
                d.edit_newsrc(|n| {
                    for (num, read) in &seen {
                        n.mark(&f.0, *num, *read);
                    }
                })?;
            }
            d.index().set_flag_bits(&d.id, &f, &rows)
        })
        .await
    }

    async fn move_to(
        &mut self,
        _from: &FolderPath,
        _ids: &[MessageRef],
        _to: &FolderPath,
    ) -> Result<(), AccountError> {
        Err(self.cannot("move articles (a newsgroup belongs to the server)"))
    }

    async fn delete(
        &mut self,
        _folder: &FolderPath,
        _ids: &[MessageRef],
    ) -> Result<(), AccountError> {
        Err(self.cannot("delete articles (mark them read, or catch up)"))
    }

    /// POST over a fresh connection (`post.rs`); the outbox uses `Submitter::Nntp`,
    /// which does the same.
    async fn submit(&mut self, msg: &Outgoing) -> Result<(), AccountError> {
        NntpPoster::with_server(self.id.clone(), self.server.clone(), self.secret.clone())
            .post(&msg.bytes)
            .await
    }

    async fn folder_op(&mut self, op: &crate::core::FolderOp) -> Result<(), AccountError> {
        match op {
            crate::core::FolderOp::Subscribe { folder, on } => self.subscribe(&folder.0, *on).await,
            other => Err(self.cannot(&format!("{} newsgroups", other.verb()))),
        }
    }

    fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut *self.disk.notes.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn take_state(&mut self) -> Option<AccountState> {
        self.state.take()
    }

    /// The cache is read as it is; `posthorn sync` asks the server.
    fn refresh_on_read(&self) -> bool {
        false
    }

    fn wake_at(&self) -> Option<Instant> {
        if self.auth_failed || self.online {
            return None;
        }
        self.retry_at
    }

    /// New groups first (their clock is saved), then the whole list; a server that
    /// cannot say what is new (no DATE or NEWGROUPS) still lists its groups.
    async fn list_groups(&mut self) -> Result<(Vec<GroupListing>, Vec<String>), AccountError> {
        let new = match self.new_groups().await {
            Ok(g) => g.into_iter().map(|g| g.name).collect(),
            Err(e) if e.kind == ErrorKind::Protocol || e.kind == ErrorKind::Rejected => {
                self.disk.note(format!("new groups unknown: {}", e.message));
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        Ok((self.all_groups().await?, new))
    }

    async fn catch_up_folder(&mut self, folder: &FolderPath) -> Result<(), AccountError> {
        self.catch_up(folder).await
    }

    async fn tick(&mut self) {
        if !self.online && !self.auth_failed && self.retry_at.is_some_and(|at| Instant::now() >= at)
        {
            let _ = self.reconnect().await;
        }
    }
}
