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
use super::key::Key;
use super::state::AppState;
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
    /// The cancel of one's own news article (RFC 5537 §5.3): sent without the editor.
    Cancel,
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
    /// The message this answers or forwards, and the flag it gets once this is sent
    /// (replied, or passed for a forward).
    pub answers: Option<(Box<Envelope>, crate::core::Flags)>,
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
    /// "Cancel this article on the server?"
    ConfirmCancel {
        env: Box<Envelope>,
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
            ComposePrompt::ConfirmCancel { env } => Some(format!(
                "Cancel the article {} on the server for everyone?",
                super::compose_outbox::what(&env.subject)
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
            ComposePrompt::ConfirmAbort
            | ComposePrompt::ConfirmDelete { .. }
            | ComposePrompt::ConfirmCancel { .. } => "",
        }
    }

    pub fn is_address(&self) -> bool {
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
    /// Something the user should know about the message being started (a follow-up
    /// that became a mail reply because of Followup-To: poster).
    Note(String),
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
    /// A new article to the newsgroup `group` of the NNTP account `account`.
    StartArticle {
        account: AccountId,
        group: FolderPath,
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
    /// The original of a reply or forward being started (moves to its `Composer`).
    pub answering: Option<(Box<Envelope>, crate::core::Flags)>,
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

pub(super) fn emit(fx: &mut Vec<Effect>, e: ComposeEffect) {
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
        Action::CancelArticle => {
            match original {
                Some(env) => super::compose_news::ask_cancel(state, env),
                None => state.info("No article selected"),
            }
            return;
        }
        _ => return,
    };
    state.compose.answering = None;
    if how == ComposeHow::New
        && let Some((account, group)) = super::compose_news::group_in_view(state)
    {
        emit(fx, ComposeEffect::StartArticle { account, group });
        return;
    }
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
    let flag = match how {
        ComposeHow::Reply | ComposeHow::ReplyAll | ComposeHow::ListReply => {
            Some(crate::core::Flags::REPLIED)
        }
        ComposeHow::Forward | ComposeHow::ForwardAttached => Some(crate::core::Flags::PASSED),
        _ => None,
    };
    state.compose.answering = flag.map(|f| (Box::new(env.clone()), f));
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

/// Where copies of sent messages of an account go (the outbox's rule: its Sent-role
/// folder, else "Sent").
pub fn sent_folder(state: &AppState, account: &AccountId) -> FolderPath {
    let mine: Vec<crate::core::Folder> = state
        .folders
        .iter()
        .filter(|f| f.account == *account)
        .cloned()
        .collect();
    crate::compose::outbox::sent_folder(&mine)
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
            if c.draft.recipients().next().is_none() && !super::compose_news::is_article(&c.draft) {
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
            if let Some((original, flag)) = &c.answers {
                super::triage::set_flags(
                    state,
                    std::slice::from_ref(original.as_ref()),
                    crate::core::FlagOp::Add(*flag),
                    fx,
                );
            }
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

pub(super) fn save(c: &Composer, fx: &mut Vec<Effect>) {
    emit(
        fx,
        ComposeEffect::Save {
            file: c.file.clone(),
            draft: c.draft.clone(),
        },
    );
}

/// The stored draft a sent or saved message came from is removed.
pub(super) fn remove_replaced(state: &mut AppState, old: Option<&Envelope>, fx: &mut Vec<Effect>) {
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
pub(super) fn next_leftover(state: &mut AppState, fx: &mut Vec<Effect>) {
    if state.compose.screen.is_none() && !state.compose.leftovers.is_empty() {
        let file = state.compose.leftovers.remove(0);
        emit(fx, ComposeEffect::Resume { file });
    }
}

pub(super) use super::compose_events::on_event;
pub use super::compose_prompt::{last_address, split_addresses, with_last_address};
pub(super) use super::compose_prompt::{open_prompt, prompt_key};
