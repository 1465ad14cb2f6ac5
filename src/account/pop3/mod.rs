//! A POP3 account: a local Maildir cache (a `LocalAccount`: folders, flags, moves,
//! search) whose INBOX is filled from the server. A sync of INBOX that is due (the
//! first one, "get mail", the periodic check) downloads what is new, in steps the
//! actor can interleave with the user's requests; any other sync is a local rescan.
//!
//! Never lose mail: DELE goes out only for messages whose local copy is durable
//! (`disk`), and any error before QUIT drops the connection without QUIT, so the
//! server deletes nothing. Leave-on-server rests on the UIDLs kept in the index; a
//! server without UIDL can only be used in delete mode.
//!
//! `conn` is the network side (the sans-IO `protocol::pop3` session over `net`), `disk`
//! the Maildir side (a writer thread), `download` the job that joins them. Depends on
//! `protocol`, `net`, `store`, `config` and `core`; never on the UI.

mod conn;
mod disk;
mod download;

pub use conn::Pop3Server;

use super::local::{LocalAccount, LocalHandle, LocalSync};
use super::{
    Account, AccountError, AccountErrorKind, Capabilities, Outgoing, PushEvent, RawMessage,
    SyncStep,
};
use crate::config::Secret;
use crate::core::{AccountId, ErrorKind, FlagOp, Folder, FolderPath, MessageRef};
use crate::store::{MaildirTree, StoreError, UidlState};
use conn::Fail;
use download::Download;
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
            return Ok(Pop3Sync::Download(Box::new(Download::new())));
        }
        self.local
            .begin_sync(folder)
            .await
            .map(|j| Pop3Sync::Local(Box::new(j)))
    }

    async fn sync_step(&mut self, job: Pop3Sync) -> Result<SyncStep<Pop3Sync>, AccountError> {
        let d = match job {
            Pop3Sync::Local(j) => {
                return Ok(match self.local.sync_step(*j).await? {
                    SyncStep::More(j, p) => SyncStep::More(Pop3Sync::Local(Box::new(j)), p),
                    SyncStep::Done(r) => SyncStep::Done(r),
                });
            }
            Pop3Sync::Download(d) => d,
        };
        self.download_step(d).await
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
