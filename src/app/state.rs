//! `AppState`: everything the screen shows, owned by the UI task and changed only by
//! `update`.

use super::keymap::Keymap;
use super::layout;
use crate::core::query::Query;
use crate::core::sort::SortKey;
use crate::core::thread::ThreadRow;
use crate::core::{
    AccountId, AccountState, Capabilities, Envelope, Folder, FolderPath, LocalId, RequestId,
};
use crate::mime::{BodyMode, MessageView};
use std::collections::{HashMap, HashSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Folders,
    List,
    Reader,
}

/// What the envelope list shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewSource {
    Folder(AccountId, FolderPath),
    /// Every account's INBOX.
    UnifiedInbox,
    /// The matches of a search in every folder of every account; `name` is the saved
    /// search's name (None: typed at the search prompt).
    Search {
        query: Query,
        name: Option<String>,
    },
}

/// A saved search (`[searches] name = "query"`): a virtual folder with counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedSearch {
    pub name: String,
    pub query: Query,
    pub total: u32,
    pub unread: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub error: bool,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub trash: FolderPath,
    pub archive: FolderPath,
    pub mark_read_on_open: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            trash: FolderPath("Trash".into()),
            archive: FolderPath("Archive".into()),
            mark_read_on_open: true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reader {
    pub env: Envelope,
    pub req: RequestId,
    /// None while loading. Once laid out, a body that is a single text part has been
    /// moved into `layout` (held once); read the body through `layout`.
    pub view: Option<MessageView>,
    pub error: Option<String>,
    pub scroll: usize,
    pub full_headers: bool,
    pub mode: BodyMode,
    pub show_attachments: bool,
    pub attachment_cursor: usize,
    /// The loaded message laid out for the current mode, width and header choice;
    /// built in `update` (never in render), wrapped lazily. None while loading.
    pub layout: Option<super::reader::ReaderLayout>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptKind {
    MoveTo,
    Limit,
    SaveAs {
        attachment: usize,
    },
    /// A folder name: a new folder of `account`, or the new name of `rename`.
    FolderName {
        account: AccountId,
        rename: Option<FolderPath>,
    },
    /// A yes/no question; `y` does `yes`, `n` or Esc cancels.
    Confirm {
        question: String,
        yes: super::folder_ops::Confirmed,
    },
    /// Search every folder and account.
    Search,
    /// A prompt of the compose screen or the outbox view.
    Compose(super::compose::ComposePrompt),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: String,
    /// Completion candidates for the current input (move prompt).
    pub completions: Vec<String>,
    pub selected: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    pub label: String,
    pub done: usize,
    pub total: usize,
}

/// One undoable triage step: the operations that reverse it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndoEntry {
    pub description: String,
    pub inverse: Vec<(AccountId, super::event::TriageOp)>,
}

/// What an outstanding request was for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pending {
    Envelopes,
    Message,
    /// Triage on `account`; reload the list when done if `reload`; part of the undo
    /// run `undo` (see `AppState::undoing`) when it undoes an earlier step.
    Triage {
        reload: bool,
        account: AccountId,
        undo: Option<u64>,
    },
    BodySearch,
    /// The IMAP servers search for the shown search's query.
    ServerSearch,
    Save,
    /// Work on a whole folder (see `folder_ops`).
    Folder(super::folder_ops::FolderJob),
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub accounts: Vec<AccountId>,
    /// The last state each account's actor reported.
    pub account_states: HashMap<AccountId, AccountState>,
    /// What each account can do (absent: not reported yet; assume a local store).
    pub capabilities: HashMap<AccountId, Capabilities>,
    pub folders: Vec<Folder>,
    pub folder_cursor: usize,
    pub source: Option<ViewSource>,
    pub envelopes: Vec<Envelope>,
    pub rows: Vec<ThreadRow>,
    pub cursor: usize,
    pub scroll: usize,
    pub tagged: HashSet<(AccountId, LocalId)>,
    pub limit: Option<Query>,
    /// Envelopes whose bodies matched the limit's `body:` terms (None: not searched).
    pub body_matches: Option<HashSet<(AccountId, LocalId)>>,
    pub sort: SortKey,
    pub reverse: bool,
    pub threaded: bool,
    pub focus: Focus,
    pub reader: Option<Reader>,
    pub prompt: Option<Prompt>,
    pub help: bool,
    pub help_scroll: usize,
    pub show_notices: bool,
    pub notices: Vec<Notice>,
    pub status: Option<Notice>,
    pub progress: HashMap<(AccountId, FolderPath), Progress>,
    pub undo: Vec<UndoEntry>,
    pub width: u16,
    pub height: u16,
    pub keymap: Keymap,
    pub settings: Settings,
    pub next_req: u64,
    pub pending: HashMap<RequestId, Pending>,
    /// The request whose envelopes the list is waiting for.
    pub envelopes_req: Option<RequestId>,
    /// Rescan the open folder once its envelopes have arrived.
    pub scan_after_load: bool,
    /// The list was loaded while triage was still running: it may show messages as they
    /// were before, so load it again when the triage is done.
    pub stale_list: bool,
    pub now: i64,
    /// Seconds east of UTC for displaying dates.
    pub tz_offset: i32,
    pub quit: bool,
    /// Quit was asked for while triage was still running: quit when the last
    /// `TriageDone` arrives.
    pub quitting: bool,
    /// The body search whose answer the limit waits for; older answers are dropped.
    pub body_search_req: Option<RequestId>,
    /// A notice about the message opened by this request (a damaged message): it leaves
    /// the status line when another message is opened.
    pub message_notice: Option<(RequestId, Notice)>,
    /// Undo steps sent to the accounts and not all answered yet, by run number.
    pub undoing: HashMap<u64, UndoRun>,
    /// Folders unsubscribed in this session (the folder list does not say).
    pub unsubscribed: HashSet<(AccountId, FolderPath)>,
    /// The full-text index while it is being built: (indexed, still waiting).
    pub text_index: Option<(u64, u64)>,
    /// The saved searches, in the folder pane after the unified inbox.
    pub saved: Vec<SavedSearch>,
    /// The shown search's results came from an index that was not complete.
    pub search_partial: bool,
    /// The server search asked for the shown search's query, while it runs.
    pub server_search_req: Option<RequestId>,
    /// How many messages were indexed when the saved-search counts were last asked for.
    pub counted_at: u64,
    /// The compose screen, the outbox view and the identities to write from.
    pub compose: super::compose::ComposeModel,
    /// The group browser and the newsreader keys' state.
    pub news: super::news::NewsModel,
}

/// An undo whose operations are on their way; "Undone" is said when all came back Ok.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndoRun {
    pub description: String,
    pub failed: bool,
}

/// How many undo steps are kept.
pub const UNDO_DEPTH: usize = 50;

impl AppState {
    pub fn new(keymap: Keymap, settings: Settings) -> AppState {
        AppState {
            accounts: Vec::new(),
            account_states: HashMap::new(),
            capabilities: HashMap::new(),
            folders: Vec::new(),
            folder_cursor: 0,
            source: None,
            envelopes: Vec::new(),
            rows: Vec::new(),
            cursor: 0,
            scroll: 0,
            tagged: HashSet::new(),
            limit: None,
            body_matches: None,
            sort: SortKey::ThreadActivity,
            reverse: true,
            threaded: true,
            focus: Focus::List,
            reader: None,
            prompt: None,
            help: false,
            help_scroll: 0,
            show_notices: false,
            notices: Vec::new(),
            status: None,
            progress: HashMap::new(),
            undo: Vec::new(),
            width: 80,
            height: 24,
            keymap,
            settings,
            next_req: 1,
            pending: HashMap::new(),
            envelopes_req: None,
            scan_after_load: false,
            stale_list: false,
            now: 0,
            tz_offset: 0,
            quit: false,
            quitting: false,
            body_search_req: None,
            message_notice: None,
            undoing: HashMap::new(),
            unsubscribed: HashSet::new(),
            text_index: None,
            saved: Vec::new(),
            search_partial: false,
            server_search_req: None,
            counted_at: 0,
            compose: Default::default(),
            news: Default::default(),
        }
    }

    pub fn request(&mut self, what: Pending) -> RequestId {
        let r = RequestId(self.next_req);
        self.next_req += 1;
        self.pending.insert(r, what);
        r
    }

    /// The envelope under the cursor.
    pub fn current(&self) -> Option<&Envelope> {
        self.rows
            .get(self.cursor)
            .and_then(|r| self.envelopes.get(r.index))
    }

    /// How many triage changes have not been answered yet.
    pub fn pending_triage(&self) -> usize {
        self.pending
            .values()
            .filter(|p| matches!(p, Pending::Triage { .. }))
            .count()
    }

    /// What an account can do; an account that has not said behaves like a local store.
    pub fn caps(&self, account: &AccountId) -> Capabilities {
        self.capabilities
            .get(account)
            .copied()
            .unwrap_or(Capabilities::LOCAL)
    }

    pub fn is_tagged(&self, env: &Envelope) -> bool {
        self.tagged.contains(&(env.account.clone(), env.id.clone()))
    }

    pub fn list_height(&self) -> usize {
        layout::areas(self.width, self.height, self.focus == Focus::Reader)
            .list
            .height as usize
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.notify(false, text.into());
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.notify(true, text.into());
    }

    fn notify(&mut self, error: bool, text: String) {
        let n = Notice {
            error,
            text: crate::core::sanitize::line(&text).into_owned(),
        };
        // The same notice twice in a row (a folder list arrives twice) is logged once.
        if self.notices.last() == Some(&n) {
            self.status = Some(n);
            return;
        }
        self.notices.push(n.clone());
        if self.notices.len() > 500 {
            self.notices.remove(0);
        }
        self.status = Some(n);
    }

    /// The unified inbox is offered when there is more than one account.
    pub fn has_unified(&self) -> bool {
        self.accounts.len() > 1
    }

    /// Label and count of the unified inbox.
    pub fn unified_counts(&self) -> (u32, u32) {
        self.folders
            .iter()
            .filter(|f| f.path.is_inbox())
            .fold((0, 0), |(t, u), f| (t + f.total, u + f.unread))
    }

    /// Number of entries in the folder pane: the unified inbox (when offered), the
    /// saved searches, then the folders.
    pub fn folder_entries(&self) -> usize {
        usize::from(self.has_unified()) + self.saved.len() + self.folders.len()
    }

    /// The folder-pane entry of all inboxes (when offered) or else the first folder:
    /// what the list opens at start.
    pub fn first_folder_entry(&self) -> usize {
        if self.has_unified() {
            0
        } else {
            self.saved.len()
        }
    }

    /// The view source of a folder-pane entry.
    pub fn folder_entry_source(&self, i: usize) -> Option<ViewSource> {
        let mut i = i;
        if self.has_unified() {
            if i == 0 {
                return Some(ViewSource::UnifiedInbox);
            }
            i -= 1;
        }
        if let Some(s) = self.saved.get(i) {
            return Some(ViewSource::Search {
                query: s.query.clone(),
                name: Some(s.name.clone()),
            });
        }
        self.folders
            .get(i - self.saved.len())
            .map(|f| ViewSource::Folder(f.account.clone(), f.path.clone()))
    }

    /// First visible folder-pane entry (the pane scrolls to keep the cursor visible).
    pub fn folder_scroll(&self) -> usize {
        (self.folder_cursor + 1).saturating_sub(self.folder_rows().max(1))
    }

    /// How many folder entries the folder pane shows: its height less the heading and
    /// the account rows at its foot.
    pub fn folder_rows(&self) -> usize {
        let pane = layout::areas(self.width, self.height, self.focus == Focus::Reader)
            .folders
            .height as usize;
        pane.saturating_sub(1 + super::accounts::pane_lines(self, pane))
    }
}
