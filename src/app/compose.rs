//! Composing in the TUI: the compose screen (headers, attachments, send / edit again /
//! attach / detach / identity / postpone / abort), the outbox view, and the events and
//! effects that connect them to the runtime (the editor, the compose files, the
//! outbox sender).
//!
//! Pure like the rest of `app`: no file system, no tokio, no ratatui. The draft itself
//! is `compose::Draft`; building bytes, replies and the outbox are the runtime's (it
//! calls `compose` and the outbox sender), never done here.

use super::action::{Action, Context};
use super::event::Effect;
use super::key::{Key, KeyCode};
use super::state::{AppState, Prompt, PromptKind};
use crate::compose::{Attachment, Draft};
use crate::core::{AccountId, Envelope, FolderPath, FolderRole};
use std::collections::HashMap;
use std::path::PathBuf;

/// What a new compose starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComposeHow {
    New,
    Reply,
    ReplyAll,
    ListReply,
    Forward,
    ForwardAttached,
    /// A message in a Drafts folder, edited again.
    Resume,
}

/// The compose screen: one draft, backed by its compose file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Composer {
    /// The durable compose file (the editor's text): removed once the message is in the
    /// outbox or in Drafts, or thrown away.
    pub file: PathBuf,
    pub draft: Draft,
    /// The From choices of the account (`from`, then `identities`).
    pub identities: Vec<String>,
    pub identity: usize,
    /// The size in bytes of each attachment, in `draft.attachments` order.
    pub sizes: Vec<u64>,
    /// The selected attachment.
    pub cursor: usize,
    /// The stored draft this one was resumed from: removed once the new one is sent or
    /// saved.
    pub replaces: Option<Box<Envelope>>,
    /// Something is on its way (saving to Drafts); keys wait.
    pub busy: Option<String>,
}

/// The compose screen's one-line prompts and questions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComposePrompt {
    /// A file to attach (tab completes file names).
    Attach,
    To,
    Cc,
    Bcc,
    Subject,
    /// "Throw this message away?"
    ConfirmAbort,
    /// "Delete this outbox entry?"
    ConfirmDelete {
        id: String,
        what: String,
    },
}

impl ComposePrompt {
    /// The question of a y/n prompt (None for a text prompt).
    pub fn question(&self) -> Option<String> {
        match self {
            ComposePrompt::ConfirmAbort => Some("Throw this message away?".into()),
            ComposePrompt::ConfirmDelete { what, .. } => Some(format!(
                "Delete {what} from the outbox? It will not be sent."
            )),
            _ => None,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            ComposePrompt::Attach => "Attach file (tab completes): ",
            ComposePrompt::To => "To (tab completes, comma separates): ",
            ComposePrompt::Cc => "Cc (tab completes, comma separates): ",
            ComposePrompt::Bcc => "Bcc (tab completes, comma separates): ",
            ComposePrompt::Subject => "Subject: ",
            ComposePrompt::ConfirmAbort | ComposePrompt::ConfirmDelete { .. } => "",
        }
    }

    fn is_address(&self) -> bool {
        matches!(
            self,
            ComposePrompt::To | ComposePrompt::Cc | ComposePrompt::Bcc
        )
    }
}

/// Where an outbox entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryState {
    Queued,
    Sending,
    Failed,
}

/// One message in the outbox, as the outbox view shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: String,
    pub account: AccountId,
    pub to: String,
    pub subject: String,
    pub attempts: u32,
    pub error: Option<String>,
    pub state: EntryState,
}

/// What the outbox sender reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutboxEvent {
    /// Everything in the outbox now.
    List(Vec<OutboxEntry>),
    Queued(OutboxEntry),
    Sending {
        id: String,
        account: AccountId,
    },
    /// Accepted; `copy` (the message as kept, with Bcc) goes to the Sent folder.
    Sent {
        id: String,
        account: AccountId,
        copy: Vec<u8>,
    },
    Failed {
        id: String,
        error: String,
    },
    /// The user gave up on an entry; it is gone.
    Deleted {
        id: String,
    },
    /// A message could not even be queued (it stays in its compose file).
    NotQueued {
        error: String,
    },
}

/// Answers from the runtime about composing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComposeEvent {
    /// The editor returned (or a compose file was resumed): the compose screen shows
    /// `draft`. `error`: the file could not be read as a message (the screen shows the
    /// last good draft; `e` edits again).
    Ready {
        file: PathBuf,
        draft: Box<Draft>,
        sizes: Vec<u64>,
        replaces: Option<Box<Envelope>>,
        error: Option<String>,
    },
    /// Composing could not start (the original unreadable, no place for the file).
    Failed(String),
    /// Compose files left by an earlier session that ended while composing.
    Leftovers(Vec<PathBuf>),
    /// A file to attach was checked: the attachment and its size, or why not.
    Attached(Result<(Attachment, u64), String>),
    /// Candidates for the prompt input `input` (addresses or file names).
    Completions {
        input: String,
        list: Vec<String>,
    },
    /// Postponing to Drafts finished.
    DraftSaved {
        file: PathBuf,
        result: Result<(), String>,
    },
    Outbox(OutboxEvent),
}

/// What composing asks the runtime to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComposeEffect {
    /// Make a draft (from `original` for replies and forwards), write its compose file
    /// and hand it to the editor.
    Start {
        how: ComposeHow,
        account: AccountId,
        original: Option<Box<Envelope>>,
    },
    /// Write the draft to its file and run the editor on it again.
    Edit {
        file: PathBuf,
        draft: Draft,
    },
    /// Show a leftover compose file again (no editor).
    Resume {
        file: PathBuf,
    },
    /// Keep the file in step with the screen (identity, attachments, headers).
    Save {
        file: PathBuf,
        draft: Draft,
    },
    /// Throw the compose file away.
    Discard {
        file: PathBuf,
    },
    /// Check a file to attach.
    Attach {
        path: String,
    },
    /// Address book entries for the last address in `input`.
    CompleteAddress {
        input: String,
    },
    /// File names that complete `input`.
    CompletePath {
        input: String,
    },
    /// Build the message and put it in the outbox; the compose file goes once it is
    /// queued.
    Send {
        file: PathBuf,
        draft: Draft,
    },
    /// Build the message and store it in `folder` of the draft's account.
    Postpone {
        file: PathBuf,
        draft: Draft,
        folder: FolderPath,
    },
    /// Store the copy of a sent message in `folder` (the account's Sent folder).
    FileSent {
        account: AccountId,
        folder: FolderPath,
        copy: Vec<u8>,
    },
    OutboxList,
    OutboxRetry {
        id: String,
    },
    OutboxDelete {
        id: String,
    },
}

/// Composing's part of `AppState`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComposeModel {
    /// Each account's From choices (`from`, then `identities`), from the config.
    pub identities: HashMap<AccountId, Vec<String>>,
    pub screen: Option<Composer>,
    pub outbox_open: bool,
    pub outbox: Vec<OutboxEntry>,
    pub outbox_cursor: usize,
    /// Messages handed to the outbox and not yet answered (sent or failed).
    pub in_flight: usize,
    /// Compose files from an earlier session still to show.
    pub leftovers: Vec<PathBuf>,
}

/// The context keys go to when composing has the screen, if it has.
pub(super) fn context(state: &AppState) -> Option<Context> {
    if state.compose.screen.is_some() {
        Some(Context::Compose)
    } else if state.compose.outbox_open {
        Some(Context::Outbox)
    } else {
        None
    }
}

fn emit(fx: &mut Vec<Effect>, e: ComposeEffect) {
    fx.push(Effect::Compose(e));
}

/// c, r, w, M, f, ctrl-f, E and ctrl-o from the list or the reader.
pub(super) fn start(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    let original = state
        .reader
        .as_ref()
        .filter(|_| state.focus == super::state::Focus::Reader)
        .map(|r| r.env.clone())
        .or_else(|| state.current().cloned());
    let how = match action {
        Action::Outbox => {
            state.compose.outbox_open = true;
            state.compose.outbox_cursor = 0;
            emit(fx, ComposeEffect::OutboxList);
            return;
        }
        Action::Compose => ComposeHow::New,
        Action::Reply => ComposeHow::Reply,
        Action::ReplyAll => ComposeHow::ReplyAll,
        Action::ListReply => ComposeHow::ListReply,
        Action::Forward => ComposeHow::Forward,
        Action::ForwardAttached => ComposeHow::ForwardAttached,
        Action::ResumeDraft => ComposeHow::Resume,
        _ => return,
    };
    if how == ComposeHow::New {
        let Some(account) = compose_account(state, original.as_ref()) else {
            state.error("No account to write from");
            return;
        };
        emit(
            fx,
            ComposeEffect::Start {
                how,
                account,
                original: None,
            },
        );
        return;
    }
    let Some(env) = original else {
        state.info("No message selected");
        return;
    };
    if how == ComposeHow::Resume && !is_drafts(state, &env) {
        state.info("E edits a message in a Drafts folder again");
        return;
    }
    emit(
        fx,
        ComposeEffect::Start {
            how,
            account: env.account.clone(),
            original: Some(Box::new(env)),
        },
    );
}

/// A new message is written from the account of the message or folder in view.
fn compose_account(state: &AppState, current: Option<&Envelope>) -> Option<AccountId> {
    if let Some(e) = current {
        return Some(e.account.clone());
    }
    if let Some(super::state::ViewSource::Folder(a, _)) = &state.source {
        return Some(a.clone());
    }
    state.accounts.first().cloned()
}

fn is_drafts(state: &AppState, env: &Envelope) -> bool {
    state.folders.iter().any(|f| {
        f.account == env.account && f.path == env.folder && f.role == Some(FolderRole::Drafts)
    }) || env
        .folder
        .0
        .rsplit(['/', '.'])
        .next()
        .is_some_and(|leaf| leaf.eq_ignore_ascii_case("drafts"))
}

/// Where postponed messages of an account go: its Drafts-role folder, else "Drafts".
pub fn drafts_folder(state: &AppState, account: &AccountId) -> FolderPath {
    state
        .folders
        .iter()
        .find(|f| f.account == *account && f.role == Some(FolderRole::Drafts))
        .map(|f| f.path.clone())
        .unwrap_or_else(|| FolderPath("Drafts".into()))
}

/// Where copies of sent messages of an account go: its Sent-role folder, else "Sent".
pub fn sent_folder(state: &AppState, account: &AccountId) -> FolderPath {
    state
        .folders
        .iter()
        .find(|f| f.account == *account && f.role == Some(FolderRole::Sent))
        .map(|f| f.path.clone())
        .unwrap_or_else(|| FolderPath("Sent".into()))
}

/// A key on the compose screen or in the outbox view.
pub(super) fn on_key(state: &mut AppState, ctx: Context, key: Key, fx: &mut Vec<Effect>) {
    let action = state.keymap.lookup(ctx, key);
    if ctx == Context::Outbox {
        return super::compose_outbox::act(state, action, key, fx);
    }
    if let Some(busy) = state.compose.screen.as_ref().and_then(|c| c.busy.clone()) {
        state.info(format!("{busy} (wait for it)"));
        return;
    }
    match action {
        Some(a) => act(state, a, fx),
        None => state.info(format!("{key} is not bound here (? shows the keys)")),
    }
}

fn act(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    let Some(c) = state.compose.screen.as_mut() else {
        return;
    };
    match action {
        Action::Send => {
            if c.draft.recipients().next().is_none() {
                state.error("No recipients: t sets To");
                return;
            }
            let Some(c) = state.compose.screen.take() else {
                return;
            };
            state.compose.in_flight += 1;
            let n = state.compose.in_flight;
            state.info(format!("Sending {n}…"));
            remove_replaced(state, c.replaces.as_deref(), fx);
            emit(
                fx,
                ComposeEffect::Send {
                    file: c.file,
                    draft: c.draft,
                },
            );
            next_leftover(state, fx);
        }
        Action::EditAgain => {
            let (file, draft) = (c.file.clone(), c.draft.clone());
            emit(fx, ComposeEffect::Edit { file, draft });
        }
        Action::Attach => open_prompt(state, ComposePrompt::Attach, String::new()),
        Action::Detach => {
            if c.draft.attachments.is_empty() {
                state.info("No attachment to remove");
                return;
            }
            let i = c.cursor.min(c.draft.attachments.len() - 1);
            let gone = c.draft.attachments.remove(i);
            if i < c.sizes.len() {
                c.sizes.remove(i);
            }
            c.cursor = i.min(c.draft.attachments.len().saturating_sub(1));
            save(c, fx);
            state.info(format!("Removed {}", gone.name));
        }
        Action::NextIdentity => {
            if c.identities.len() < 2 {
                state.info("This account has one identity (add more with identities = [...])");
                return;
            }
            c.identity = (c.identity + 1) % c.identities.len();
            c.draft.from = c.identities[c.identity].clone();
            save(c, fx);
            let from = c.draft.from.clone();
            state.info(format!("From: {from}"));
        }
        Action::Postpone => {
            let account = AccountId(c.draft.account.clone());
            let folder = drafts_folder(state, &account);
            let Some(c) = state.compose.screen.as_mut() else {
                return;
            };
            c.busy = Some(format!("Saving to {folder}…"));
            let (file, draft) = (c.file.clone(), c.draft.clone());
            state.info(format!("Saving to {folder}…"));
            emit(
                fx,
                ComposeEffect::Postpone {
                    file,
                    draft,
                    folder,
                },
            );
        }
        Action::Abort => open_prompt(state, ComposePrompt::ConfirmAbort, String::new()),
        Action::EditTo => {
            let v = c.draft.to.join(", ");
            open_prompt(state, ComposePrompt::To, v);
        }
        Action::EditCc => {
            let v = c.draft.cc.join(", ");
            open_prompt(state, ComposePrompt::Cc, v);
        }
        Action::EditBcc => {
            let v = c.draft.bcc.join(", ");
            open_prompt(state, ComposePrompt::Bcc, v);
        }
        Action::EditSubject => {
            let v = c.draft.subject.clone();
            open_prompt(state, ComposePrompt::Subject, v);
        }
        Action::NextAttachment => {
            c.cursor = (c.cursor + 1).min(c.draft.attachments.len().saturating_sub(1));
        }
        Action::PrevAttachment => c.cursor = c.cursor.saturating_sub(1),
        Action::Help => {
            state.help = true;
            state.help_scroll = 0;
        }
        Action::Notices => {
            state.show_notices = true;
            state.help_scroll = 0;
        }
        _ => {}
    }
}

fn save(c: &Composer, fx: &mut Vec<Effect>) {
    emit(
        fx,
        ComposeEffect::Save {
            file: c.file.clone(),
            draft: c.draft.clone(),
        },
    );
}

/// The stored draft a sent or saved message came from is removed.
fn remove_replaced(state: &mut AppState, old: Option<&Envelope>, fx: &mut Vec<Effect>) {
    let Some(old) = old else {
        return;
    };
    let req = state.request(super::state::Pending::Triage {
        reload: true,
        account: old.account.clone(),
        undo: None,
    });
    fx.push(Effect::Triage {
        req,
        account: old.account.clone(),
        op: crate::core::TriageOp::Delete {
            folder: old.folder.clone(),
            ids: vec![crate::core::MessageRef::local(old.id.clone())],
        },
    });
}

/// After a compose closes, the next compose file left by an earlier session shows.
fn next_leftover(state: &mut AppState, fx: &mut Vec<Effect>) {
    if state.compose.screen.is_none() && !state.compose.leftovers.is_empty() {
        let file = state.compose.leftovers.remove(0);
        emit(fx, ComposeEffect::Resume { file });
    }
}

pub(super) fn open_prompt(state: &mut AppState, kind: ComposePrompt, input: String) {
    state.prompt = Some(Prompt {
        kind: PromptKind::Compose(kind),
        input,
        completions: Vec::new(),
        selected: None,
    });
}

/// A key in one of composing's prompts.
pub(super) fn prompt_key(state: &mut AppState, key: Key, mut p: Prompt, fx: &mut Vec<Effect>) {
    let PromptKind::Compose(kind) = p.kind.clone() else {
        return;
    };
    if kind.question().is_some() {
        return confirm_key(state, key, kind, p, fx);
    }
    match key.code {
        KeyCode::Esc => {
            state.info("Cancelled");
            return;
        }
        KeyCode::Enter => {
            let input = chosen(&p, kind.is_address());
            return submit(state, kind, input, fx);
        }
        KeyCode::Tab | KeyCode::BackTab if !p.completions.is_empty() => {
            let n = p.completions.len();
            p.selected = Some(match (p.selected, key.code) {
                (None, KeyCode::BackTab) => n - 1,
                (None, _) => 0,
                (Some(s), KeyCode::BackTab) => (s + n - 1) % n,
                (Some(s), _) => (s + 1) % n,
            });
        }
        KeyCode::Tab => match kind {
            ComposePrompt::Attach => emit(
                fx,
                ComposeEffect::CompletePath {
                    input: p.input.clone(),
                },
            ),
            _ if kind.is_address() => emit(
                fx,
                ComposeEffect::CompleteAddress {
                    input: p.input.clone(),
                },
            ),
            _ => {}
        },
        KeyCode::Backspace => {
            p.input = chosen(&p, kind.is_address());
            p.input.pop();
            p.completions.clear();
            p.selected = None;
        }
        KeyCode::Char('u') if key.ctrl => {
            p.input.clear();
            p.completions.clear();
            p.selected = None;
        }
        KeyCode::Char(c) if !key.ctrl && !key.alt => {
            p.input = chosen(&p, kind.is_address());
            p.input.push(c);
            p.completions.clear();
            p.selected = None;
        }
        _ => {}
    }
    state.prompt = Some(p);
}

/// The prompt's input with the selected completion taken in: for an address list the
/// completion replaces the last address, for a file name the whole input.
fn chosen(p: &Prompt, address: bool) -> String {
    let Some(c) = p.selected.and_then(|s| p.completions.get(s)) else {
        return p.input.clone();
    };
    if address {
        with_last_address(&p.input, c)
    } else {
        c.clone()
    }
}

/// `input` with its last (comma-separated) address replaced by `full`.
pub fn with_last_address(input: &str, full: &str) -> String {
    match last_comma(input) {
        Some(i) => format!("{}, {full}", input[..i].trim_end()),
        None => full.to_string(),
    }
}

/// The byte index of the last comma outside quotes and angle brackets.
fn last_comma(input: &str) -> Option<usize> {
    split_points(input).last().copied()
}

fn split_points(input: &str) -> Vec<usize> {
    let (mut quoted, mut angle, mut escaped) = (false, false, false);
    let mut out = Vec::new();
    for (i, ch) in input.char_indices() {
        match ch {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => out.push(i),
            _ => {}
        }
    }
    out
}

/// The addresses of a comma-separated list (commas in quoted names stay).
pub fn split_addresses(input: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in split_points(input).into_iter().chain([input.len()]) {
        let part = input[start..i].trim();
        if !part.is_empty() {
            out.push(part.to_string());
        }
        start = (i + 1).min(input.len());
    }
    out
}

/// The part of the input a completion is asked for: after the last comma.
pub fn last_address(input: &str) -> &str {
    match last_comma(input) {
        Some(i) => input[i + 1..].trim_start(),
        None => input.trim_start(),
    }
}

fn submit(state: &mut AppState, kind: ComposePrompt, input: String, fx: &mut Vec<Effect>) {
    let Some(c) = state.compose.screen.as_mut() else {
        return;
    };
    match kind {
        ComposePrompt::Attach => {
            let path = input.trim().to_string();
            if path.is_empty() {
                state.info("Cancelled");
                return;
            }
            emit(fx, ComposeEffect::Attach { path });
            return;
        }
        ComposePrompt::To => c.draft.to = split_addresses(&input),
        ComposePrompt::Cc => c.draft.cc = split_addresses(&input),
        ComposePrompt::Bcc => c.draft.bcc = split_addresses(&input),
        ComposePrompt::Subject => c.draft.subject = input.trim().to_string(),
        ComposePrompt::ConfirmAbort | ComposePrompt::ConfirmDelete { .. } => return,
    }
    save(c, fx);
}

fn confirm_key(
    state: &mut AppState,
    key: Key,
    kind: ComposePrompt,
    p: Prompt,
    fx: &mut Vec<Effect>,
) {
    if key.ctrl || key.alt {
        state.prompt = Some(p);
        return;
    }
    match key.code {
        KeyCode::Char('y' | 'Y') => match kind {
            ComposePrompt::ConfirmAbort => {
                if let Some(c) = state.compose.screen.take() {
                    emit(fx, ComposeEffect::Discard { file: c.file });
                    state.info("Message thrown away");
                }
                next_leftover(state, fx);
            }
            ComposePrompt::ConfirmDelete { id, what } => {
                state.info(format!("Deleting {what} from the outbox…"));
                emit(fx, ComposeEffect::OutboxDelete { id });
            }
            _ => {}
        },
        KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => state.info("Cancelled"),
        _ => state.prompt = Some(p),
    }
}

/// An answer from the runtime.
pub(super) fn on_event(state: &mut AppState, event: ComposeEvent, fx: &mut Vec<Effect>) {
    match event {
        ComposeEvent::Ready {
            file,
            draft,
            sizes,
            replaces,
            error,
        } => {
            ready(state, file, *draft, sizes, replaces);
            if let Some(e) = error {
                state.error(format!("{e} (e edits again)"));
            }
        }
        ComposeEvent::Failed(e) => state.error(e),
        ComposeEvent::Leftovers(files) => {
            if files.is_empty() {
                return;
            }
            state.info(format!(
                "{} unsent message(s) from an earlier session: showing them (y sends, P saves \
                 to Drafts, q throws away)",
                files.len()
            ));
            state.compose.leftovers.extend(files);
            next_leftover(state, fx);
        }
        ComposeEvent::Attached(result) => match (result, state.compose.screen.as_mut()) {
            (Ok((a, size)), Some(c)) => {
                let name = a.name.clone();
                c.draft.attachments.push(a);
                c.sizes.resize(c.draft.attachments.len() - 1, 0);
                c.sizes.push(size);
                c.cursor = c.draft.attachments.len() - 1;
                save(c, fx);
                state.info(format!("Attached {name}"));
            }
            (Ok(_), None) => {}
            (Err(e), _) => state.error(e),
        },
        ComposeEvent::Completions { input, list } => completions(state, input, list),
        ComposeEvent::DraftSaved { file, result } => {
            let ours = state
                .compose
                .screen
                .as_ref()
                .is_some_and(|c| c.file == file);
            match result {
                Ok(()) if ours => {
                    let c = state.compose.screen.take();
                    remove_replaced(state, c.as_ref().and_then(|c| c.replaces.as_deref()), fx);
                    state.info("Saved to Drafts");
                    next_leftover(state, fx);
                }
                Ok(()) => state.info("Saved to Drafts"),
                Err(e) => {
                    if let Some(c) = state.compose.screen.as_mut().filter(|_| ours) {
                        c.busy = None;
                    }
                    state.error(format!(
                        "Not saved to Drafts: {e} (the message is still here)"
                    ));
                }
            }
        }
        ComposeEvent::Outbox(e) => super::compose_outbox::on_event(state, e, fx),
    }
}

fn ready(
    state: &mut AppState,
    file: PathBuf,
    draft: Draft,
    sizes: Vec<u64>,
    replaces: Option<Box<Envelope>>,
) {
    let mut identities = state
        .compose
        .identities
        .get(&AccountId(draft.account.clone()))
        .cloned()
        .unwrap_or_default();
    let same = |a: &str, b: &str| address_of(a).eq_ignore_ascii_case(address_of(b));
    let identity = match identities.iter().position(|i| same(i, &draft.from)) {
        Some(i) => i,
        None if !draft.from.trim().is_empty() => {
            identities.insert(0, draft.from.clone());
            0
        }
        None => 0,
    };
    let keep = state
        .compose
        .screen
        .take()
        .filter(|c| c.file == file)
        .and_then(|c| c.replaces);
    let n = draft.attachments.len();
    state.compose.screen = Some(Composer {
        file,
        draft,
        identities,
        identity,
        sizes,
        cursor: 0,
        replaces: replaces.or(keep),
        busy: None,
    });
    if let Some(c) = state.compose.screen.as_mut() {
        c.sizes.resize(n, 0);
    }
    state.compose.outbox_open = false;
}

/// The bare address of `Name <addr>` (or the text itself).
fn address_of(s: &str) -> &str {
    match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => s[a + 1..b].trim(),
        _ => s.trim(),
    }
}

fn completions(state: &mut AppState, input: String, list: Vec<String>) {
    let Some(p) = state.prompt.as_mut() else {
        return;
    };
    let PromptKind::Compose(kind) = &p.kind else {
        return;
    };
    if p.input != input {
        return; // typed on since: a newer answer will come
    }
    let address = kind.is_address();
    match list.len() {
        0 => {
            state.info("No completions");
        }
        1 => {
            p.input = if address {
                with_last_address(&input, &list[0])
            } else {
                list[0].clone()
            };
            p.completions.clear();
            p.selected = None;
        }
        _ => {
            if !address {
                let common = common_prefix(&list);
                if common.len() > p.input.len() {
                    p.input = common;
                }
            }
            p.completions = list;
            p.selected = None;
        }
    }
}

fn common_prefix(list: &[String]) -> String {
    let Some(first) = list.first() else {
        return String::new();
    };
    let mut end = first.len();
    for s in &list[1..] {
        end = first
            .char_indices()
            .zip(s.chars())
            .find(|((_, a), b)| a != b)
            .map_or(end.min(s.len()), |((i, _), _)| i)
            .min(end);
    }
    first[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_on_commas_outside_quotes() {
        assert_eq!(
            split_addresses("\"Doe, Jane\" <j@x>, bob@y ,"),
            vec!["\"Doe, Jane\" <j@x>", "bob@y"]
        );
        assert_eq!(last_address("a@x, \"B, C\" <b"), "\"B, C\" <b");
        assert_eq!(
            with_last_address("a@x, bo", "Bob <bob@y>"),
            "a@x, Bob <bob@y>"
        );
        assert_eq!(
            common_prefix(&["/tmp/ab".into(), "/tmp/ac".into()]),
            "/tmp/a"
        );
    }
}
