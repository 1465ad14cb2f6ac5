//! The compose screen's prompts: To, Cc, Bcc and Subject (tab completes addresses from
//! the address book), the file to attach (tab completes file names), and the y/n
//! questions (throw a message away, delete an outbox entry, cancel a news article). Address lists are split on
//! commas outside quotes and angle brackets.
//!
//! Pure: completions are asked of the runtime as effects and come back as events.

use super::compose::{ComposeEffect, ComposePrompt, emit, next_leftover, save};
use super::event::Effect;
use super::key::{Key, KeyCode};
use super::state::{AppState, Prompt, PromptKind};

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
        ComposePrompt::ConfirmAbort
        | ComposePrompt::ConfirmDelete { .. }
        | ComposePrompt::ConfirmCancel { .. } => return,
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
            ComposePrompt::ConfirmCancel { env } => super::compose_news::cancel(state, env, fx),
            _ => {}
        },
        KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => state.info("Cancelled"),
        _ => state.prompt = Some(p),
    }
}

/// Candidates came back for the prompt input `input` (dropped if typing went on).
pub(super) fn completions(state: &mut AppState, input: String, list: Vec<String>) {
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
