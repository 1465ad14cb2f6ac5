//! Work on whole folders from the keyboard: create, rename, delete, subscribe and
//! empty Trash. Names come from a one-line prompt, destructive steps from a y/n
//! confirmation (`PromptKind::Confirm`, reusable for any question); each step goes to
//! the folder's account as an effect and its answer comes back to `answered`.
//!
//! Pure like the rest of `app`: no tokio, no store, no account types.

use super::action::Action;
use super::event::{Effect, TriageOp};
use super::key::{Key, KeyCode};
use super::state::{AppState, Focus, Pending, Prompt, PromptKind, ViewSource};
use crate::core::{
    AccountId, Failure, FlagOp, Flags, Folder, FolderOp, FolderPath, FolderRole, MessageRef,
};

/// What a `y` to a confirmation does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirmed {
    DeleteFolder {
        account: AccountId,
        folder: FolderPath,
    },
    /// Mark these messages deleted (the rest already are), then expunge the folder.
    EmptyTrash {
        account: AccountId,
        folder: FolderPath,
        mark: Vec<MessageRef>,
    },
    /// Catch-up of a newsgroup (`app::news`).
    CatchUp {
        account: AccountId,
        folder: FolderPath,
    },
}

/// An outstanding folder request, and what its answer means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FolderJob {
    Op {
        account: AccountId,
        op: FolderOp,
    },
    /// Emptying Trash, first step: its messages are being marked deleted.
    Mark {
        account: AccountId,
        folder: FolderPath,
        ids: Vec<MessageRef>,
    },
    /// Emptying Trash, second step; `marked` lose the mark again if it fails.
    Expunge {
        account: AccountId,
        folder: FolderPath,
        marked: Vec<MessageRef>,
    },
}

/// The folder the folder keys act on: the one under the folder-pane cursor when the
/// pane has the focus, else the open folder.
fn selected(state: &AppState) -> Option<Folder> {
    let src = if state.focus == Focus::Folders {
        state.folder_entry_source(state.folder_cursor)
    } else {
        state.source.clone()
    };
    let Some(ViewSource::Folder(a, p)) = src else {
        return None;
    };
    state
        .folders
        .iter()
        .find(|f| f.account == a && f.path == p)
        .cloned()
}

fn is_trash(state: &AppState, f: &Folder) -> bool {
    f.role == Some(FolderRole::Trash) || f.path == state.settings.trash
}

fn open(state: &mut AppState, kind: PromptKind, input: String) {
    state.prompt = Some(Prompt {
        kind,
        input,
        completions: Vec::new(),
        selected: None,
    });
}

/// Opens a y/n question; `y` does `yes`.
pub(super) fn confirm(state: &mut AppState, question: String, yes: Confirmed) {
    open(state, PromptKind::Confirm { question, yes }, String::new());
}

pub(super) fn act(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    let sel = selected(state);
    if action == Action::NewFolder {
        let account = sel
            .map(|f| f.account)
            .or_else(|| state.accounts.first().cloned());
        match account {
            Some(account) => open(
                state,
                PromptKind::FolderName {
                    account,
                    rename: None,
                },
                String::new(),
            ),
            None => state.info("No account to create a folder in"),
        }
        return;
    }
    let Some(f) = sel else {
        state.info("No folder selected (the unified inbox is not a folder)");
        return;
    };
    match action {
        Action::RenameFolder => open(
            state,
            PromptKind::FolderName {
                account: f.account.clone(),
                rename: Some(f.path.clone()),
            },
            f.path.0.clone(),
        ),
        Action::DeleteFolder => {
            let n = super::count::messages(f.total as usize);
            confirm(
                state,
                format!(
                    "Delete folder {}/{} and its {n} for good?",
                    f.account, f.path
                ),
                Confirmed::DeleteFolder {
                    account: f.account,
                    folder: f.path,
                },
            );
        }
        Action::ToggleSubscribe => {
            let on = state
                .unsubscribed
                .contains(&(f.account.clone(), f.path.clone()));
            let op = FolderOp::Subscribe {
                folder: f.path.clone(),
                on,
            };
            state.info(format!(
                "{} {}/{}…",
                if on {
                    "Subscribing to"
                } else {
                    "Unsubscribing from"
                },
                f.account,
                f.path
            ));
            send(state, f.account, op, fx);
        }
        Action::EmptyTrash => empty_trash(state, f, fx),
        _ => {}
    }
}

/// Asks to empty Trash. Its messages' ids come from the list, so the Trash must be
/// the open folder, fully loaded.
fn empty_trash(state: &mut AppState, f: Folder, fx: &mut Vec<Effect>) {
    // A single-file account: X removes the messages `d` marked deleted.
    let marks_only = !state.caps(&f.account).folders;
    if marks_only {
        let shown = state.source == Some(ViewSource::Folder(f.account.clone(), f.path.clone()));
        let n = state
            .envelopes
            .iter()
            .filter(|e| e.account == f.account && e.folder == f.path)
            .filter(|e| e.flags.contains(Flags::TRASHED))
            .count();
        if shown && n == 0 {
            state.info("No message is marked deleted (d marks one)");
            return;
        }
        let what = if shown {
            super::count::messages(n)
        } else {
            "the messages marked deleted".to_string()
        };
        confirm(
            state,
            format!("Remove {what} from {}/{} for good?", f.account, f.path),
            Confirmed::EmptyTrash {
                account: f.account,
                folder: f.path,
                mark: Vec::new(),
            },
        );
        return;
    }
    if !is_trash(state, &f) {
        state.info(format!(
            "{} is not a Trash folder: only Trash can be emptied",
            f.path
        ));
        return;
    }
    let shown = state.source == Some(ViewSource::Folder(f.account.clone(), f.path.clone()));
    if !shown {
        let entry = (0..state.folder_entries()).find(|i| {
            state.folder_entry_source(*i)
                == Some(ViewSource::Folder(f.account.clone(), f.path.clone()))
        });
        if let Some(i) = entry {
            super::update::open_folder(state, i, fx);
        }
        state.info(format!(
            "Listing {}/{}: empty it once its messages are shown",
            f.account, f.path
        ));
        return;
    }
    if state.envelopes_req.is_some() {
        state.info(format!(
            "{} is still loading: try again in a moment",
            f.path
        ));
        return;
    }
    let all: Vec<_> = state
        .envelopes
        .iter()
        .filter(|e| e.account == f.account && e.folder == f.path)
        .collect();
    if all.is_empty() {
        state.info(format!("{}/{} is already empty", f.account, f.path));
        return;
    }
    let mark = all
        .iter()
        .filter(|e| !e.flags.contains(Flags::TRASHED))
        .map(|e| MessageRef::local(e.id.clone()))
        .collect();
    let n = super::count::messages(all.len());
    confirm(
        state,
        format!("Empty {}/{}: remove {n} for good?", f.account, f.path),
        Confirmed::EmptyTrash {
            account: f.account,
            folder: f.path,
            mark,
        },
    );
}

/// A key while a confirmation is open: `y` confirms, `n`, `q` or Esc cancel, anything
/// else leaves the question up.
pub(super) fn confirm_key(
    state: &mut AppState,
    key: Key,
    yes: Confirmed,
    p: Prompt,
    fx: &mut Vec<Effect>,
) {
    if key.ctrl || key.alt {
        state.prompt = Some(p);
        return;
    }
    match key.code {
        KeyCode::Char('y' | 'Y') => confirmed(state, yes, fx),
        KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => state.info("Cancelled"),
        _ => state.prompt = Some(p),
    }
}

fn confirmed(state: &mut AppState, yes: Confirmed, fx: &mut Vec<Effect>) {
    match yes {
        Confirmed::CatchUp { account, folder } => super::news::catch_up(state, account, folder, fx),
        Confirmed::DeleteFolder { account, folder } => {
            state.info(format!("Deleting {account}/{folder}…"));
            send(state, account, FolderOp::Delete(folder), fx);
        }
        Confirmed::EmptyTrash {
            account,
            folder,
            mark,
        } => {
            state.info(format!("Emptying {account}/{folder}…"));
            if mark.is_empty() {
                expunge(state, account, folder, mark, fx);
                return;
            }
            let req = state.request(Pending::Folder(FolderJob::Mark {
                account: account.clone(),
                folder: folder.clone(),
                ids: mark.clone(),
            }));
            fx.push(Effect::Triage {
                req,
                account,
                op: TriageOp::Delete { folder, ids: mark },
            });
        }
    }
}

fn expunge(
    state: &mut AppState,
    account: AccountId,
    folder: FolderPath,
    marked: Vec<MessageRef>,
    fx: &mut Vec<Effect>,
) {
    let req = state.request(Pending::Folder(FolderJob::Expunge {
        account: account.clone(),
        folder: folder.clone(),
        marked,
    }));
    fx.push(Effect::FolderOp {
        req,
        account,
        op: FolderOp::Expunge(folder),
    });
}

fn send(state: &mut AppState, account: AccountId, op: FolderOp, fx: &mut Vec<Effect>) {
    let req = state.request(Pending::Folder(FolderJob::Op {
        account: account.clone(),
        op: op.clone(),
    }));
    fx.push(Effect::FolderOp { req, account, op });
}

/// A folder name was entered: create or rename. False keeps the prompt open (the
/// name is not one).
pub(super) fn named(
    state: &mut AppState,
    account: AccountId,
    rename: Option<FolderPath>,
    input: &str,
    fx: &mut Vec<Effect>,
) -> bool {
    let name = input.trim().trim_matches('/');
    if name.is_empty()
        || name
            .split('/')
            .any(|c| c.trim().is_empty() || c.starts_with('.'))
        || name.chars().any(char::is_control)
    {
        state.error(format!("{name:?} is not a folder name"));
        return false;
    }
    let to = FolderPath(name.to_string());
    let op = match rename {
        Some(from) if from == to => {
            state.info("Same name: nothing to rename");
            return true;
        }
        Some(from) => {
            state.info(format!("Renaming {account}/{from} to {to}…"));
            FolderOp::Rename { from, to }
        }
        None => {
            if state
                .folders
                .iter()
                .any(|f| f.account == account && f.path == to)
            {
                state.error(format!("{account}/{to} already exists"));
                return false;
            }
            state.info(format!("Creating {account}/{to}…"));
            FolderOp::Create(to)
        }
    };
    send(state, account, op, fx);
    true
}

/// An account answered a folder request (or the marking step of emptying Trash).
pub(super) fn answered(
    state: &mut AppState,
    req: crate::core::RequestId,
    result: Result<(), Failure>,
    fx: &mut Vec<Effect>,
) {
    let Some(Pending::Folder(job)) = state.pending.remove(&req) else {
        return;
    };
    let account = match &job {
        FolderJob::Op { account, .. }
        | FolderJob::Mark { account, .. }
        | FolderJob::Expunge { account, .. } => account.clone(),
    };
    match (job, result) {
        (
            FolderJob::Mark {
                account, folder, ..
            },
            Err(e),
        ) => {
            let line = super::accounts::failure_line(&account, &e);
            state.error(format!("Could not empty {folder}: {line}"));
        }
        (
            FolderJob::Mark {
                account,
                folder,
                ids,
            },
            Ok(()),
        ) => expunge(state, account, folder, ids, fx),
        (
            FolderJob::Expunge {
                account,
                folder,
                marked,
            },
            Err(e),
        ) => {
            let line = super::accounts::failure_line(&account, &e);
            state.error(format!("Could not empty {folder}: {line}"));
            // Nothing was removed: the messages lose the mark this attempt gave them.
            if !marked.is_empty() {
                let req = state.request(Pending::Triage {
                    reload: true,
                    account: account.clone(),
                    undo: None,
                });
                fx.push(Effect::Triage {
                    req,
                    account: account.clone(),
                    op: TriageOp::SetFlags {
                        folder,
                        ids: marked,
                        op: FlagOp::Remove(Flags::TRASHED),
                    },
                });
            }
        }
        (
            FolderJob::Expunge {
                account, folder, ..
            },
            Ok(()),
        ) => {
            if state.caps(&account).folders {
                state.info(format!("Emptied {account}/{folder}"));
            } else {
                state.info(format!(
                    "Removed the messages marked deleted from {account}/{folder}"
                ));
            }
            if super::update::shows(state, &account, &folder) {
                super::update::reload(state, fx);
            }
        }
        (FolderJob::Op { account, op }, Err(e)) => {
            let line = super::accounts::failure_line(&account, &e);
            state.error(format!("Could not {}: {line}", describe(&op)));
        }
        (FolderJob::Op { account, op }, Ok(())) => succeeded(state, account, op, fx),
    }
    fx.push(Effect::LoadFolders { account });
}

/// What an operation does, for "Could not …".
fn describe(op: &FolderOp) -> String {
    match op {
        FolderOp::Create(p) => format!("create {p}"),
        FolderOp::Rename { from, to } => format!("rename {from} to {to}"),
        FolderOp::Delete(p) => format!("delete {p}"),
        FolderOp::Subscribe { folder, on: true } => format!("subscribe to {folder}"),
        FolderOp::Subscribe { folder, on: false } => format!("unsubscribe from {folder}"),
        FolderOp::Expunge(p) => format!("expunge {p}"),
    }
}

fn succeeded(state: &mut AppState, account: AccountId, op: FolderOp, fx: &mut Vec<Effect>) {
    match op {
        FolderOp::Create(p) => state.info(format!("Created {account}/{p}")),
        FolderOp::Rename { from, to } => {
            state.info(format!("Renamed {account}/{from} to {to}"));
            if super::update::shows(state, &account, &from) {
                super::update::open_source(state, ViewSource::Folder(account, to), fx);
            }
        }
        FolderOp::Delete(p) => {
            state.info(format!("Deleted {account}/{p}"));
            if super::update::shows(state, &account, &p) {
                super::update::open_source(
                    state,
                    ViewSource::Folder(account, FolderPath::inbox()),
                    fx,
                );
            }
        }
        FolderOp::Subscribe { folder, on } => {
            let key = (account.clone(), folder.clone());
            if on {
                state.unsubscribed.remove(&key);
                state.info(format!("Subscribed to {account}/{folder}"));
            } else {
                state.unsubscribed.insert(key);
                state.info(format!("Unsubscribed from {account}/{folder}"));
            }
        }
        FolderOp::Expunge(p) => state.info(format!("Expunged {account}/{p}")),
    }
}
