//! The one-line prompts: move to a folder (with completion), limit, search, save
//! attachment as.

use super::event::Effect;
use super::key::{Key, KeyCode};
use super::state::{AppState, Pending, Prompt, PromptKind};
use super::triage::{self, Dest};
use super::view;
use crate::core::FolderPath;
use crate::core::query::Query;
use std::path::PathBuf;

pub(super) fn open(state: &mut AppState, kind: PromptKind, input: String) {
    let mut p = Prompt {
        kind,
        input,
        completions: Vec::new(),
        selected: None,
    };
    refresh_completions(state, &mut p);
    state.prompt = Some(p);
}

/// Folder names of the account the action applies to, then those of the other
/// accounts as `ACCOUNT:FOLDER` (a move there goes to that account), matching the input.
fn refresh_completions(state: &AppState, p: &mut Prompt) {
    if p.kind != PromptKind::MoveTo {
        return;
    }
    let account = triage::targets(state, state.reader.is_some())
        .first()
        .map(|e| (e.account.clone(), e.folder.clone()));
    let needle = p.input.to_lowercase();
    let own = state.folders.iter().filter(|f| {
        account
            .as_ref()
            .is_none_or(|(a, cur)| f.account == *a && f.path != *cur)
    });
    let others = state
        .folders
        .iter()
        .filter(|f| account.as_ref().is_some_and(|(a, _)| f.account != *a));
    p.completions = own
        .map(|f| f.path.0.clone())
        .chain(others.map(|f| format!("{}:{}", f.account, f.path)))
        .filter(|name| name.to_lowercase().contains(&needle))
        .collect();
    p.selected = None;
}

/// `ACCOUNT:FOLDER` when ACCOUNT is one of the accounts.
fn account_folder(state: &AppState, chosen: &str) -> Option<(crate::core::AccountId, String)> {
    let (a, f) = chosen.split_once(':')?;
    let account = state.accounts.iter().find(|x| x.0 == a)?;
    Some((account.clone(), f.to_string()))
}

pub(super) fn on_key(state: &mut AppState, key: Key, fx: &mut Vec<Effect>) {
    let Some(mut p) = state.prompt.take() else {
        return;
    };
    if let PromptKind::Compose(_) = &p.kind {
        return super::compose::prompt_key(state, key, p, fx);
    }
    if let PromptKind::Confirm { yes, .. } = &p.kind {
        return super::folder_ops::confirm_key(state, key, yes.clone(), p, fx);
    }
    match key.code {
        KeyCode::Esc => {
            state.info("Cancelled");
            return;
        }
        KeyCode::Enter => {
            submit(state, p, fx);
            return;
        }
        KeyCode::Tab | KeyCode::Down if !p.completions.is_empty() => {
            let next = p.selected.map_or(0, |s| (s + 1) % p.completions.len());
            p.selected = Some(next);
        }
        KeyCode::BackTab | KeyCode::Up if !p.completions.is_empty() => {
            let n = p.completions.len();
            p.selected = Some(p.selected.map_or(n - 1, |s| (s + n - 1) % n));
        }
        KeyCode::Backspace => {
            if let Some(s) = p.selected.take() {
                p.input = p.completions[s].clone();
            }
            p.input.pop();
            refresh_completions(state, &mut p);
        }
        KeyCode::Char('u') if key.ctrl => {
            p.input.clear();
            refresh_completions(state, &mut p);
        }
        KeyCode::Char(c) if !key.ctrl && !key.alt => {
            if let Some(s) = p.selected.take() {
                p.input = p.completions[s].clone();
            }
            p.input.push(c);
            refresh_completions(state, &mut p);
        }
        _ => {}
    }
    state.prompt = Some(p);
}

fn submit(state: &mut AppState, p: Prompt, fx: &mut Vec<Effect>) {
    let reader = state.reader.is_some();
    match p.kind {
        PromptKind::MoveTo => {
            let chosen = p
                .selected
                .and_then(|s| p.completions.get(s).cloned())
                .unwrap_or_else(|| p.input.trim().to_string());
            let (account, chosen) = match account_folder(state, &chosen) {
                Some((a, f)) => (Some(a), f),
                None => (None, chosen),
            };
            let chosen = chosen.trim_matches('/').to_string();
            if chosen.is_empty()
                || chosen
                    .split('/')
                    .any(|c| c.is_empty() || c.starts_with('.'))
            {
                state.error(format!("{chosen:?} is not a folder name"));
                state.prompt = Some(p);
                return;
            }
            let dest = match account {
                Some(a) => Dest::Account(a, FolderPath(chosen)),
                None => Dest::Folder(FolderPath(chosen)),
            };
            triage::move_targets(state, dest, reader, fx);
            if reader {
                close_reader(state);
            }
        }
        PromptKind::Limit => match Query::parse(&p.input) {
            Ok(q) if q.is_empty() => {
                state.limit = None;
                state.body_matches = None;
                state.body_search_req = None;
                view::rebuild(state);
                state.info("Showing all messages");
            }
            Ok(q) => {
                let needs_body = q.needs_body();
                state.limit = Some(q);
                state.body_matches = None;
                state.body_search_req = None;
                state.cursor = 0;
                view::rebuild(state);
                if needs_body {
                    // Words anywhere, body:, cc:, attachment: are answered by the
                    // full-text index, for the folders the list shows.
                    let folders = match &state.source {
                        Some(src) => super::update::source_folders(state, src),
                        None => Vec::new(),
                    };
                    let req = state.request(Pending::BodySearch);
                    state.body_search_req = Some(req);
                    state.info("Searching…");
                    fx.push(Effect::BodySearch {
                        req,
                        query: state.limit.clone().unwrap_or_default(),
                        folders,
                        tagged: state.tagged.iter().cloned().collect(),
                    });
                } else {
                    let n = state.rows.len();
                    state.info(format!("{} (esc shows all)", super::count::matching(n)));
                }
            }
            Err(e) => {
                state.error(e.to_string());
                state.prompt = Some(p);
            }
        },
        PromptKind::FolderName {
            ref account,
            ref rename,
        } => {
            let (account, rename) = (account.clone(), rename.clone());
            if !super::folder_ops::named(state, account, rename, &p.input, fx) {
                state.prompt = Some(p);
            }
        }
        // Answered key by key in `on_key`.
        PromptKind::Confirm { .. } | PromptKind::Compose(_) => state.prompt = Some(p),
        PromptKind::Search => match Query::parse(&p.input) {
            Ok(q) if q.is_empty() => {
                state.error("Type what to search for (? lists the query words)");
                state.prompt = Some(p);
            }
            Ok(q) => super::search::open(state, q, fx),
            Err(e) => {
                state.error(e.to_string());
                state.prompt = Some(p);
            }
        },
        PromptKind::SaveAs { attachment } => {
            let Some(r) = state.reader.as_ref() else {
                return;
            };
            let dest = p.input.trim();
            if dest.is_empty() {
                state.error("No file name given");
                state.prompt = Some(p);
                return;
            }
            let env = Box::new(r.env.clone());
            let req = state.request(Pending::Save);
            fx.push(Effect::SaveAttachment {
                req,
                env,
                index: attachment,
                dest: PathBuf::from(dest),
            });
        }
    }
}

pub(super) fn close_reader(state: &mut AppState) {
    state.reader = None;
    state.focus = super::state::Focus::List;
    view::clamp(state);
}
