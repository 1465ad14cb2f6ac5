//! IMAP accounts: the server mirrored into a local Maildir cache plus the index.
//!
//! The UI reads the cache; this account's actor keeps cache and server in step: folders
//! from LIST, envelopes first and bodies after (`sync.rs`), changes made here queued in
//! the index and replayed to the server (`changes.rs`), IDLE on a second connection
//! (`idle.rs`). A dropped link makes the account Offline with a retry time; it
//! reconnects with backoff and the UI keeps working from the cache meanwhile.
//!
//! Nothing is removed from the cache because of a failure: only a server that answered
//! completely (a tagged OK, a UIDVALIDITY) can make messages vanish.

mod changes;
mod conn;
mod flags;
mod folders;
mod idle;
mod listing;
mod manage;
mod resp;
mod search;
mod sync;
mod utf7;

pub use conn::{ImapConn, ImapSettings};
pub use folders::FolderMap;
pub use sync::ImapSync;

use super::{
    Account, AccountError, AccountErrorKind, Capabilities, Outgoing, PushEvent, RawMessage,
    SyncStep,
};
use crate::config::{BodyPolicy, Secret, ServerConfig, Tls};
use crate::core::{AccountId, AccountState, FlagOp, Folder, FolderPath, MessageRef, SubmitKind};
use crate::net::{NetError, TlsMode, TlsSettings};
use crate::store::{Index, MaildirTree, StoreError};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long one command step may take before the link counts as dead.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// Backoff between reconnects: 2 s, doubling, at most 5 minutes.
const RETRY_FIRST: Duration = Duration::from_secs(2);
const RETRY_MAX: Duration = Duration::from_secs(300);
/// Polling where the server has no IDLE.
const POLL_DEFAULT: Duration = Duration::from_secs(300);

/// The cache on disk: shared with blocking threads.
pub(crate) struct Disk {
    pub id: AccountId,
    pub tree: MaildirTree,
    index: Mutex<Index>,
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

    pub fn note(&self, text: String) {
        self.notes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(format!("{}: {text}", self.id));
    }
}

/// The folder the main connection has selected.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Selected {
    path: FolderPath,
    uidvalidity: u32,
}

pub struct ImapAccount {
    id: AccountId,
    settings: ImapSettings,
    secret: Option<Secret>,
    disk: Arc<Disk>,
    conn: Option<ImapConn>,
    selected: Option<Selected>,
    folders: FolderMap,
    policy: BodyPolicy,
    /// A state to report (Offline after a drop, Online after a reconnect).
    state: Option<AccountState>,
    online: bool,
    /// When offline: the next reconnect and the current backoff.
    retry_at: Option<Instant>,
    backoff: Duration,
    offline_reason: String,
    push_tx: mpsc::UnboundedSender<PushEvent>,
    push_rx: Option<mpsc::UnboundedReceiver<PushEvent>>,
    idle: Option<idle::IdleTask>,
    poll_every: Duration,
    next_poll: Option<Instant>,
    /// Login failed: no automatic retries (the password will not fix itself).
    auth_failed: bool,
    /// Connected again: the queue of offline changes goes out before anything else.
    replay_due: bool,
    /// Folders listed but not yet synced this session (synced in the background).
    unsynced: Vec<FolderPath>,
    /// Connected, folders not listed yet.
    announce_due: bool,
}

/// The connection settings for a server table (port defaults per RFC 8314 / RFC 3501).
pub fn settings_for(cfg: &ServerConfig) -> ImapSettings {
    let tls = match cfg.tls {
        Tls::Implicit => TlsMode::Implicit,
        Tls::Starttls => TlsMode::Starttls,
        Tls::None => TlsMode::None,
    };
    ImapSettings {
        host: cfg.host.clone(),
        port: cfg
            .port
            .unwrap_or(if tls == TlsMode::Implicit { 993 } else { 143 }),
        tls,
        tls_settings: TlsSettings {
            ca_file: cfg.ca_file.as_ref().map(|p| crate::config::expand_tilde(p)),
        },
        tunnel: cfg.tunnel.clone(),
        user: cfg.user.clone().unwrap_or_default(),
        password: None,
        timeout: COMMAND_TIMEOUT,
    }
}

impl ImapAccount {
    /// Opens the cache and the account's own index writer; connects later (`connect`).
    pub fn open(
        id: AccountId,
        cfg: &ServerConfig,
        tree: MaildirTree,
        index_path: &Path,
    ) -> Result<Self, StoreError> {
        let (index, note) = Index::open(index_path)?;
        let mut notes: Vec<String> = note.map(|n| format!("{id}: {n}")).into_iter().collect();
        match tree.recover() {
            Ok(r) => notes.extend(r.notice().map(|n| format!("{id}: {n}"))),
            Err(e) => notes.push(format!("{id}: recovering interrupted moves failed: {e}")),
        }
        let folders = FolderMap::load(&tree.root);
        let (push_tx, push_rx) = mpsc::unbounded_channel();
        Ok(ImapAccount {
            settings: settings_for(cfg),
            secret: cfg.password.clone(),
            disk: Arc::new(Disk {
                id: id.clone(),
                tree,
                index: Mutex::new(index),
                notes: Mutex::new(notes),
            }),
            id,
            conn: None,
            selected: None,
            folders,
            policy: cfg.bodies.unwrap_or_default(),
            state: None,
            online: false,
            retry_at: None,
            backoff: RETRY_FIRST,
            offline_reason: String::new(),
            push_tx,
            push_rx: Some(push_rx),
            idle: None,
            poll_every: cfg.check_every.unwrap_or(POLL_DEFAULT),
            next_poll: None,
            auth_failed: false,
            replay_due: false,
            unsynced: Vec::new(),
            announce_due: false,
        })
    }

    /// Shorter deadlines (tests of dead links).
    pub fn set_timeout(&mut self, t: Duration) {
        self.settings.timeout = t;
    }

    pub fn tree(&self) -> &MaildirTree {
        &self.disk.tree
    }

    fn error(&self, kind: AccountErrorKind, message: impl Into<String>) -> AccountError {
        AccountError {
            account: self.id.clone(),
            kind,
            message: message.into(),
        }
    }

    fn store_err(&self, e: StoreError) -> AccountError {
        let kind = match &e {
            StoreError::NotFound { .. } => AccountErrorKind::Gone,
            _ => AccountErrorKind::Store,
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
            Err(e) => Err(self.error(AccountErrorKind::Store, format!("worker failed: {e}"))),
        }
    }

    /// A network failure: the link is dropped and the account goes Offline with a retry
    /// time; other failures pass through as they are.
    fn failed(&mut self, e: NetError) -> AccountError {
        let broken = self.conn.as_ref().is_none_or(|c| c.broken);
        if broken
            || matches!(
                e.kind,
                AccountErrorKind::Network | AccountErrorKind::Timeout
            )
        {
            self.go_offline(&e.message);
        }
        self.error(e.kind, e.message)
    }

    fn go_offline(&mut self, reason: &str) {
        self.conn = None;
        self.selected = None;
        if let Some(t) = self.idle.take() {
            t.stop();
        }
        let at = Instant::now() + self.backoff;
        self.retry_at = Some(at);
        let secs = self.backoff.as_secs();
        self.backoff = (self.backoff * 2).min(RETRY_MAX);
        self.online = false;
        self.offline_reason = reason.to_string();
        let now = chrono::Utc::now().timestamp();
        self.state = Some(AccountState::Offline {
            retry_at: Some(now + secs as i64),
            reason: reason.to_string(),
        });
    }

    /// A live connection: the current one, or a new one (offline: an error at once
    /// until the retry time, so the UI never waits on a dead server).
    async fn conn(&mut self) -> Result<&mut ImapConn, AccountError> {
        if self.conn.as_ref().is_some_and(|c| !c.broken) {
            return self.conn.as_mut().ok_or_else(|| unreachable_conn(&self.id));
        }
        if self.conn.take().is_some() {
            self.go_offline("the connection was lost");
        }
        if self.auth_failed {
            return Err(self.error(
                AccountErrorKind::Auth,
                "login failed earlier; fix the password and restart",
            ));
        }
        if let Some(at) = self.retry_at
            && Instant::now() < at
        {
            let secs = at.saturating_duration_since(Instant::now()).as_secs();
            return Err(self.error(
                AccountErrorKind::Network,
                format!("offline ({}); retrying in {secs} s", self.offline_reason),
            ));
        }
        self.reconnect().await?;
        self.conn.as_mut().ok_or_else(|| unreachable_conn(&self.id))
    }

    async fn reconnect(&mut self) -> Result<(), AccountError> {
        let mut s = self.settings.clone();
        if let Some(secret) = self.secret.clone() {
            let r = tokio::task::spawn_blocking(move || secret.reveal()).await;
            match r {
                Ok(Ok(p)) => s.password = Some(p),
                Ok(Err(why)) => {
                    self.auth_failed = true;
                    return Err(self.error(AccountErrorKind::Auth, why));
                }
                Err(e) => return Err(self.error(AccountErrorKind::Auth, e.to_string())),
            }
        }
        let mut c = match ImapConn::open(&s).await {
            Ok(c) => c,
            Err(e) => {
                if e.kind == AccountErrorKind::Auth {
                    self.auth_failed = true;
                    self.state = Some(AccountState::Error(crate::core::Failure::new(
                        e.kind,
                        e.message.clone(),
                    )));
                    return Err(self.error(e.kind, e.message));
                }
                self.go_offline(&e.message);
                return Err(self.error(e.kind, e.message));
            }
        };
        // RFC 7162 §3.2.3: QRESYNC must be enabled before it can be used.
        if c.has("QRESYNC") {
            let _ = c.run("ENABLE QRESYNC", |_| {}).await;
        } else if c.has("CONDSTORE") {
            let _ = c.run("ENABLE CONDSTORE", |_| {}).await;
        }
        if c.broken {
            self.go_offline("the connection was lost while enabling extensions");
            return Err(self.error(AccountErrorKind::Network, "the connection was lost"));
        }
        let was_offline = !self.online;
        self.conn = Some(c);
        self.selected = None;
        self.online = true;
        self.retry_at = None;
        self.backoff = RETRY_FIRST;
        if was_offline {
            self.state = Some(AccountState::Online);
        }
        self.start_push(&s);
        // Changes made while offline go out first (`replay_if_due`).
        self.replay_due = true;
        Ok(())
    }

    fn start_push(&mut self, s: &ImapSettings) {
        let idle_ok = self.conn.as_ref().is_some_and(|c| c.has("IDLE"));
        if idle_ok {
            if self.idle.as_ref().is_none_or(|t| t.finished()) {
                let inbox = self.folders.server_name(&FolderPath::inbox());
                self.idle = Some(idle::IdleTask::start(
                    s.clone(),
                    inbox,
                    self.push_tx.clone(),
                ));
            }
            self.next_poll = None;
        } else {
            self.next_poll = Some(Instant::now() + self.poll_every);
        }
    }

    /// Lists the server's folders (creating their cache directories) and tells the
    /// actor the folder list changed: the UI shows them, and `refresh_watch` hands them
    /// out to be synced in the background.
    async fn announce_folders(&mut self) {
        match self.list_remote().await {
            Ok(folders) => {
                self.unsynced = folders
                    .into_iter()
                    .map(|f| f.path)
                    .filter(|p| *p != FolderPath::inbox())
                    .collect();
                let _ = self.push_tx.send(PushEvent::Tree);
            }
            Err(e) => self
                .disk
                .note(format!("cannot list the folders: {}", e.message)),
        }
    }

    /// The server's names need its hierarchy delimiter: list the folders once if that
    /// is not known yet (a new cache whose first sync has not listed them).
    async fn know_folders(&mut self) {
        if self.folders.delimiter.is_none() && self.online {
            let _ = self.list_remote().await;
        }
    }

    /// Sends the changes queued while offline, once after each reconnect.
    async fn replay_if_due(&mut self) {
        if self.replay_due && self.conn.is_some() {
            self.replay_due = false;
            changes::replay(self).await;
        }
    }

    fn capability_summary(&self) -> Capabilities {
        Capabilities {
            folders: true,
            server_flags: true,
            server_delete: true,
            push: true,
            submit: SubmitKind::None,
        }
    }

    /// SELECT `path` unless it is selected; returns its UIDVALIDITY.
    async fn ensure_selected(&mut self, path: &FolderPath) -> Result<u32, AccountError> {
        if let Some(s) = &self.selected
            && s.path == *path
            && self.conn.as_ref().is_some_and(|c| !c.broken)
        {
            return Ok(s.uidvalidity);
        }
        if *path != FolderPath::inbox() {
            self.know_folders().await;
        }
        let name = self.folders.server_name(path);
        let conn = self.conn().await?;
        let mut validity = None;
        let r = conn
            .run(&format!("SELECT {}", conn::quoted(&name)), |r| {
                if let resp::Resp::Untagged {
                    code: Some(resp::Code::UidValidity(v)),
                    ..
                } = r
                {
                    validity = Some(v);
                }
            })
            .await;
        if let Err(e) = r {
            return Err(self.failed(e));
        }
        let Some(v) = validity else {
            return Err(self.error(
                AccountErrorKind::Protocol,
                format!("SELECT {path}: the server sent no UIDVALIDITY; nothing was changed"),
            ));
        };
        self.selected = Some(Selected {
            path: path.clone(),
            uidvalidity: v,
        });
        Ok(v)
    }
}

fn unreachable_conn(id: &AccountId) -> AccountError {
    AccountError {
        account: id.clone(),
        kind: AccountErrorKind::Network,
        message: "no connection".into(),
    }
}

impl Account for ImapAccount {
    type Sync = ImapSync;

    fn id(&self) -> &AccountId {
        &self.id
    }

    fn capabilities(&self) -> Capabilities {
        self.capability_summary()
    }

    async fn connect(&mut self) -> Result<(), AccountError> {
        match self.reconnect().await {
            Ok(()) => {
                self.replay_if_due().await;
                // The folder list waits for the first chunk of the first sync (the
                // INBOX the user is looking at), or the first tick.
                self.announce_due = true;
                Ok(())
            }
            // Offline: the cache still works; the state says when the next try is.
            Err(e)
                if matches!(
                    e.kind,
                    AccountErrorKind::Network | AccountErrorKind::Timeout
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn list_folders(&mut self) -> Result<Vec<Folder>, AccountError> {
        if self.conn.is_some() || self.retry_at.is_none_or(|at| Instant::now() >= at) {
            match self.list_remote().await {
                Ok(f) => {
                    self.announce_due = false;
                    return Ok(f);
                }
                Err(e)
                    if matches!(
                        e.kind,
                        AccountErrorKind::Network | AccountErrorKind::Timeout
                    ) => {}
                Err(e) => return Err(e),
            }
        }
        self.list_cached().await
    }

    async fn begin_sync(&mut self, folder: &FolderPath) -> Result<ImapSync, AccountError> {
        self.replay_if_due().await;
        sync::begin(self, folder).await
    }

    async fn sync_step(&mut self, job: ImapSync) -> Result<SyncStep<ImapSync>, AccountError> {
        let r = sync::step(self, job).await;
        if self.announce_due && self.online {
            self.announce_due = false;
            self.announce_folders().await;
        }
        r
    }

    async fn fetch(
        &mut self,
        folder: &FolderPath,
        id: &MessageRef,
    ) -> Result<RawMessage, AccountError> {
        changes::fetch(self, folder, id).await
    }

    async fn set_flags(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
        op: FlagOp,
    ) -> Result<(), AccountError> {
        changes::set_flags(self, folder, ids, op).await
    }

    async fn move_to(
        &mut self,
        from: &FolderPath,
        ids: &[MessageRef],
        to: &FolderPath,
    ) -> Result<(), AccountError> {
        if from == to {
            return Ok(());
        }
        changes::move_to(self, from, ids, to).await
    }

    async fn delete(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
    ) -> Result<(), AccountError> {
        changes::set_flags(self, folder, ids, FlagOp::Add(crate::core::Flags::TRASHED)).await
    }

    async fn restore_targets(&mut self, ids: &[MessageRef]) -> Vec<(FolderPath, MessageRef)> {
        let ids = ids.to_vec();
        let fallback: Vec<_> = ids
            .iter()
            .map(|r| (FolderPath::inbox(), r.clone()))
            .collect();
        self.disk(move |d| {
            let ix = d.index();
            let view = ix.reader();
            Ok(ids
                .into_iter()
                .map(|r| {
                    let to = view
                        .trash_origin(&d.id, &r.id)
                        .ok()
                        .flatten()
                        .unwrap_or_else(FolderPath::inbox);
                    (to, r)
                })
                .collect())
        })
        .await
        .unwrap_or(fallback)
    }

    async fn submit(&mut self, _msg: &Outgoing) -> Result<(), AccountError> {
        Err(self.error(
            AccountErrorKind::Unsupported,
            "sending needs an [smtp] or [sendmail] table for this account",
        ))
    }

    async fn append(
        &mut self,
        folder: &FolderPath,
        bytes: &[u8],
        flags: crate::core::Flags,
    ) -> Result<crate::core::LocalId, AccountError> {
        changes::append(self, folder, bytes, flags).await
    }

    async fn server_search(
        &mut self,
        folder: &FolderPath,
        query: &crate::core::query::imap::ImapSearch,
    ) -> Result<Option<crate::account::ServerMatches>, AccountError> {
        search::server_search(self, folder, query).await.map(Some)
    }

    async fn folder_op(&mut self, op: &crate::core::FolderOp) -> Result<(), AccountError> {
        manage::folder_op(self, op).await?;
        // The folder pane follows (through push, like a change on the server).
        let _ = self.push_tx.send(PushEvent::Tree);
        Ok(())
    }

    fn take_push(&mut self) -> Option<mpsc::UnboundedReceiver<PushEvent>> {
        self.push_rx.take()
    }

    fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut *self.disk.notes.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn take_state(&mut self) -> Option<AccountState> {
        self.state.take()
    }

    fn refresh_on_read(&self) -> bool {
        false
    }

    async fn refresh_watch(&mut self) -> Vec<FolderPath> {
        std::mem::take(&mut self.unsynced)
    }

    fn wake_at(&self) -> Option<Instant> {
        if self.auth_failed {
            return None;
        }
        if self.announce_due && self.online {
            return Some(Instant::now() + Duration::from_millis(500));
        }
        if !self.online {
            return self.retry_at;
        }
        let idle_dead = self.idle.as_ref().is_some_and(|t| t.finished());
        if idle_dead {
            return Some(Instant::now() + RETRY_FIRST);
        }
        self.next_poll
    }

    async fn tick(&mut self) {
        if self.announce_due && self.online {
            self.announce_due = false;
            self.announce_folders().await;
            return;
        }
        if !self.online {
            if self.reconnect().await.is_ok() {
                self.replay_if_due().await;
                // Whatever happened meanwhile: look at the inbox again.
                let _ = self.push_tx.send(PushEvent::Folder(FolderPath::inbox()));
            }
            return;
        }
        if self.idle.as_ref().is_some_and(|t| t.finished()) {
            self.idle = None;
            let s = self.settings.clone();
            // The IDLE link died: check the main one (a NOOP) before trusting it.
            let alive = match self.conn().await {
                Ok(c) => c.run("NOOP", |_| {}).await.is_ok(),
                Err(_) => false,
            };
            if !alive {
                self.go_offline("the server stopped answering");
                return;
            }
            let mut s2 = s;
            s2.password = None;
            if let Some(secret) = self.secret.clone()
                && let Ok(Ok(p)) = tokio::task::spawn_blocking(move || secret.reveal()).await
            {
                s2.password = Some(p);
            }
            self.start_push(&s2);
            let _ = self.push_tx.send(PushEvent::Folder(FolderPath::inbox()));
            return;
        }
        if let Some(at) = self.next_poll
            && Instant::now() >= at
        {
            self.next_poll = Some(Instant::now() + self.poll_every);
            let _ = self.push_tx.send(PushEvent::Folder(FolderPath::inbox()));
        }
    }
}
