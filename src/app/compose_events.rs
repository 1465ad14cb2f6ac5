//! Answers from the runtime about composing: the editor returned (the compose screen
//! opens or follows the file), leftovers of an earlier session, attachments checked,
//! completions, Drafts saved, and the outbox sender's reports.
//!
//! Pure: no file system, no tokio, no ratatui.

use super::compose::{ComposeEvent, Composer, next_leftover, remove_replaced, save};
use super::compose_prompt::completions;
use super::event::Effect;
use super::state::AppState;
use crate::compose::Draft;
use crate::core::{AccountId, Envelope};
use std::path::PathBuf;

/// An answer from the runtime.
pub fn on_event(state: &mut AppState, event: ComposeEvent, fx: &mut Vec<Effect>) {
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
        ComposeEvent::Note(text) => state.info(text),
        ComposeEvent::Failed(e) => {
            state.compose.answering = None;
            state.error(e)
        }
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
    let (keep, answers) = match state.compose.screen.take().filter(|c| c.file == file) {
        Some(c) => (c.replaces, c.answers),
        None => (None, state.compose.answering.take()),
    };
    let n = draft.attachments.len();
    state.compose.screen = Some(Composer {
        file,
        draft,
        identities,
        identity,
        sizes,
        cursor: 0,
        replaces: replaces.or(keep),
        answers,
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
