//! The outbox view's keys (retry, delete after asking) and the outbox sender's reports:
//! the status line says "Sending 1…", then "Sent" or the server's error (kept in the
//! notices too).
//!
//! Pure: no file system, no tokio, no ratatui.

use super::action::Action;
use super::compose::{ComposeEffect, ComposePrompt, EntryState, OutboxEntry, OutboxEvent};
use super::event::Effect;
use super::key::Key;
use super::state::AppState;

pub(super) fn act(state: &mut AppState, action: Option<Action>, key: Key, fx: &mut Vec<Effect>) {
    let n = state.compose.outbox.len();
    let cursor = state.compose.outbox_cursor.min(n.saturating_sub(1));
    let selected = state.compose.outbox.get(cursor).cloned();
    match action {
        Some(Action::OutboxDown) => {
            state.compose.outbox_cursor = (cursor + 1).min(n.saturating_sub(1));
        }
        Some(Action::OutboxUp) => state.compose.outbox_cursor = cursor.saturating_sub(1),
        Some(Action::OutboxClose) => state.compose.outbox_open = false,
        Some(Action::OutboxRetry) => match selected {
            Some(e) if e.state == EntryState::Sending => state.info("It is being sent now"),
            Some(e) => {
                state.info(format!("Sending {}…", what(&e.subject)));
                fx.push(Effect::Compose(ComposeEffect::OutboxRetry { id: e.id }));
            }
            None => state.info("The outbox is empty"),
        },
        Some(Action::OutboxDelete) => match selected {
            Some(e) if e.state == EntryState::Sending => {
                state.info("It is being sent now; wait for the answer")
            }
            Some(e) => super::compose::open_prompt(
                state,
                ComposePrompt::ConfirmDelete {
                    id: e.id,
                    what: what(&e.subject),
                },
                String::new(),
            ),
            None => state.info("The outbox is empty"),
        },
        Some(Action::Help) => {
            state.help = true;
            state.help_scroll = 0;
        }
        Some(Action::Notices) => {
            state.show_notices = true;
            state.help_scroll = 0;
        }
        _ => state.info(format!("{key} is not bound here (? shows the keys)")),
    }
}

pub(super) fn what(subject: &str) -> String {
    if subject.trim().is_empty() {
        "the message without subject".into()
    } else {
        format!("“{subject}”")
    }
}

pub(super) fn on_event(state: &mut AppState, event: OutboxEvent, fx: &mut Vec<Effect>) {
    let m = &mut state.compose;
    match event {
        OutboxEvent::List(entries) => m.outbox = entries,
        OutboxEvent::Queued(e) => {
            m.outbox.retain(|x| x.id != e.id);
            m.outbox.push(e);
        }
        OutboxEvent::Sending { id, account } => {
            match m.outbox.iter_mut().find(|e| e.id == id) {
                Some(e) => e.state = EntryState::Sending,
                // Left from an earlier run: the outbox view lists it once asked.
                None => m.outbox.push(OutboxEntry {
                    id,
                    account,
                    to: String::new(),
                    subject: String::new(),
                    attempts: 0,
                    error: None,
                    state: EntryState::Sending,
                }),
            }
            let n = m
                .outbox
                .iter()
                .filter(|e| e.state == EntryState::Sending)
                .count();
            state.info(format!("Sending {n}…"));
        }
        OutboxEvent::Sent { id, account, copy } => {
            let folder = super::compose::sent_folder(state, &account);
            fx.push(Effect::Compose(ComposeEffect::FileSent {
                account,
                folder,
                copy,
            }));
            let m = &mut state.compose;
            let subject = m
                .outbox
                .iter()
                .find(|e| e.id == id)
                .map(|e| e.subject.clone());
            m.outbox.retain(|e| e.id != id);
            m.in_flight = m.in_flight.saturating_sub(1);
            state.info(match subject {
                Some(s) => format!("Sent {}", what(&s)),
                None => "Sent".into(),
            });
        }
        OutboxEvent::Failed { id, error } => {
            let mut subject = None;
            if let Some(e) = m.outbox.iter_mut().find(|e| e.id == id) {
                e.state = EntryState::Failed;
                e.attempts += 1;
                e.error = Some(error.clone());
                subject = Some(e.subject.clone());
            }
            m.in_flight = m.in_flight.saturating_sub(1);
            let subject = subject
                .map(|s| what(&s))
                .unwrap_or_else(|| "a message".into());
            state.error(format!(
                "Not sent: {subject}: {error} (kept in the outbox; ctrl-o to retry)"
            ));
        }
        OutboxEvent::Deleted { id } => {
            let subject = m
                .outbox
                .iter()
                .find(|e| e.id == id)
                .map(|e| what(&e.subject));
            m.outbox.retain(|e| e.id != id);
            state.info(format!(
                "Deleted {} from the outbox",
                subject.unwrap_or_else(|| "the message".into())
            ));
        }
        OutboxEvent::NotQueued { error } => {
            m.in_flight = m.in_flight.saturating_sub(1);
            state.error(format!("Not sent: {error}"));
        }
    }
    let n = state.compose.outbox.len();
    state.compose.outbox_cursor = state.compose.outbox_cursor.min(n.saturating_sub(1));
}
