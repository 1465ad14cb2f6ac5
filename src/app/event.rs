//! What reaches `update` (events) and what it asks the runtime to do (effects).

use super::key::Key;
pub use crate::core::TriageOp;
use crate::core::{
    AccountId, AccountState, Capabilities, Envelope, Failure, Folder, FolderPath, LocalId,
    RequestId,
};
use crate::mime::MessageView;
use std::collections::HashSet;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MouseKind {
    ScrollUp,
    ScrollDown,
    Click,
}

#[derive(Debug)]
pub enum AppEvent {
    Key(Key),
    Mouse {
        kind: MouseKind,
        column: u16,
        row: u16,
    },
    Resize(u16, u16),
    /// The folders of one account, with counts.
    Folders {
        account: AccountId,
        folders: Vec<Folder>,
    },
    EnvelopesLoaded {
        req: RequestId,
        envelopes: Vec<Envelope>,
    },
    MessageLoaded {
        req: RequestId,
        result: Result<MessageView, Failure>,
    },
    ScanProgress {
        account: AccountId,
        folder: FolderPath,
        done: usize,
        total: usize,
    },
    ScanDone {
        account: AccountId,
        folder: FolderPath,
        changed: bool,
        result: Result<(), Failure>,
    },
    TriageDone {
        req: RequestId,
        result: Result<(), Failure>,
    },
    /// Messages moved to another account have these ids there now: (old, new). The
    /// undo steps that bring them back are told.
    Transferred {
        ids: Vec<(LocalId, LocalId)>,
    },
    BodySearchDone {
        req: RequestId,
        matches: HashSet<(AccountId, LocalId)>,
    },
    /// Matches of a search (`Effect::Search`): first the newest (`done` false), then
    /// all of them. `complete` is false while the full-text index is still being built.
    SearchResults {
        req: RequestId,
        result: Result<Vec<Envelope>, String>,
        done: bool,
        complete: bool,
    },
    /// What the IMAP servers matched for `Effect::ServerSearch`.
    ServerSearchDone {
        req: RequestId,
        result: Result<ServerFound, String>,
    },
    /// (total, unread) of each saved search, in `AppState::saved` order.
    SearchCounts {
        counts: Vec<(u32, u32)>,
    },
    AttachmentSaved {
        req: RequestId,
        result: Result<PathBuf, String>,
    },
    /// An account's connection or sync state changed.
    AccountState {
        account: AccountId,
        state: AccountState,
    },
    /// What an account can do (sent once when it starts).
    Capabilities {
        account: AccountId,
        caps: Capabilities,
    },
    /// Another program (or the server) changed a folder: reload it if shown, and its
    /// counts.
    FolderChanged {
        account: AccountId,
        folder: FolderPath,
    },
    /// A change could not be applied as asked because the message changed elsewhere
    /// (moved or deleted by another program); nothing was lost.
    Conflict {
        account: AccountId,
        message: String,
    },
    /// A folder's envelopes could not be read: rescan it (the actor heals the index).
    Rescan {
        account: AccountId,
        folder: FolderPath,
    },
    /// The message to open is not cached: ask its account to fetch it.
    FetchNeeded {
        req: RequestId,
        env: Box<Envelope>,
    },
    /// A folder operation (`Effect::FolderOp`) was answered.
    FolderOpDone {
        req: RequestId,
        result: Result<(), Failure>,
    },
    /// The full-text indexer stored `stored` messages; `indexed` are searchable by
    /// their text, `pending` still wait.
    TextIndexed {
        indexed: u64,
        pending: u64,
        stored: usize,
    },
    /// Something worth telling that is not an error (an index rebuilt, a recovery).
    Info(String),
    /// An error from somewhere that is not a reply to a request.
    Error(String),
    /// The clock, for relative dates; sent about once a minute.
    Now(i64),
    /// Composing and sending (see `app::compose`).
    Compose(super::compose::ComposeEvent),
    /// The group browser and catch-up (see `app::news`).
    News(super::news::NewsEvent),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Read the envelopes of these folders from the index.
    LoadEnvelopes {
        req: RequestId,
        folders: Vec<(AccountId, FolderPath)>,
    },
    /// Rescan a folder (background; progress comes back as `ScanProgress`).
    Scan {
        account: AccountId,
        folder: FolderPath,
    },
    /// "Get mail": the account syncs INBOX, asking its server even if no check is due
    /// (answered like `Scan` of INBOX).
    GetMail {
        account: AccountId,
    },
    /// Stop a running scan (what it committed stays).
    CancelScan {
        account: AccountId,
        folder: FolderPath,
    },
    /// Re-read folder counts of an account.
    LoadFolders {
        account: AccountId,
    },
    LoadMessage {
        req: RequestId,
        env: Box<Envelope>,
    },
    /// Fetch an uncached message through its account (the answer is `MessageLoaded`).
    Fetch {
        req: RequestId,
        env: Box<Envelope>,
    },
    Triage {
        req: RequestId,
        account: AccountId,
        op: TriageOp,
    },
    /// The limit's matches among these folders (every folder when empty), from the
    /// index; the answer is `BodySearchDone`.
    BodySearch {
        req: RequestId,
        query: crate::core::query::Query,
        folders: Vec<(AccountId, FolderPath)>,
        tagged: Vec<(AccountId, LocalId)>,
    },
    /// Search every folder and account (the answer is `SearchResults`).
    Search {
        req: RequestId,
        query: crate::core::query::Query,
        tagged: Vec<(AccountId, LocalId)>,
    },
    /// Ask the IMAP servers among these folders' accounts to search them (UID SEARCH);
    /// the answer is one `ServerSearchDone`.
    ServerSearch {
        req: RequestId,
        query: crate::core::query::Query,
        folders: Vec<(AccountId, FolderPath)>,
    },
    /// Count the saved searches (the answer is `SearchCounts`).
    CountSearches {
        queries: Vec<crate::core::query::Query>,
    },
    SaveAttachment {
        req: RequestId,
        env: Box<Envelope>,
        index: usize,
        dest: PathBuf,
    },
    /// Create, rename, delete, subscribe or expunge a folder through its account.
    FolderOp {
        req: RequestId,
        account: AccountId,
        op: crate::core::FolderOp,
    },
    Quit,
    /// Composing and sending (see `app::compose`).
    Compose(super::compose::ComposeEffect),
    /// The group browser and catch-up (see `app::news`).
    News(super::news::NewsEffect),
}

/// What the servers matched, shown from the index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerFound {
    pub envelopes: Vec<Envelope>,
    /// Matches whose envelopes are not synced yet (not shown).
    pub unsynced: usize,
    /// How many accounts had a server that could search.
    pub servers: usize,
    /// Accounts whose server search failed, with why.
    pub failed: Vec<String>,
}
