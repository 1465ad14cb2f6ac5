//! The outbox view: every message waiting to be sent, with its account, recipients,
//! subject, attempts and the server's last answer; retry and delete keys at the foot.
//!
//! Reads `AppState` only; every string drawn goes through `core::sanitize` (errors
//! carry server text).

use super::composer::key_line;
use super::text::{fit, pad, wrap};
use super::theme;
use crate::app::compose::EntryState;
use crate::app::{Action, AppState, Context};
use crate::core::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

const KEYS: &[(Action, &str)] = &[
    (Action::OutboxRetry, "retry"),
    (Action::OutboxDelete, "delete"),
    (Action::OutboxClose, "back"),
    (Action::Help, "help"),
];

pub fn render(frame: &mut Frame, state: &AppState, area: Rect) {
    let w = area.width as usize;
    let m = &state.compose;
    let mut lines = vec![Line::styled(
        pad(&format!(" Outbox — {} waiting", m.outbox.len()), w),
        theme::header(),
    )];
    if m.outbox.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::raw(" Nothing waits to be sent."));
    }
    let acc_w = 10.min(w / 6);
    let state_w = 10;
    let to_w = (w / 4).max(8);
    for (i, e) in m.outbox.iter().enumerate() {
        let st = match e.state {
            EntryState::Queued => "queued",
            EntryState::Sending => "sending…",
            EntryState::Failed => "failed",
        };
        let tries = if e.attempts > 0 {
            format!(
                " ({} tr{})",
                e.attempts,
                if e.attempts == 1 { "y" } else { "ies" }
            )
        } else {
            String::new()
        };
        let head = format!(
            " {} {} {} {}",
            pad(st, state_w),
            pad(&fit(&sanitize::line(&e.account.0), acc_w), acc_w),
            pad(&fit(&sanitize::line(&e.to), to_w), to_w),
            if e.subject.trim().is_empty() {
                "(no subject)".into()
            } else {
                sanitize::line(&e.subject)
            },
        );
        let text = pad(&fit(&format!("{head}{tries}"), w), w);
        let style = if i == m.outbox_cursor {
            theme::cursor()
        } else if e.state == EntryState::Failed {
            theme::flagged()
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::styled(text, style));
        if let Some(err) = &e.error {
            let indent = state_w + 2;
            for part in wrap(&sanitize::line(err), w.saturating_sub(indent + 2).max(1))
                .into_iter()
                .take(3)
            {
                lines.push(Line::styled(
                    format!("{}↳ {part}", " ".repeat(indent)),
                    theme::tree(),
                ));
            }
        }
    }
    let keys = key_line(state, Context::Outbox, KEYS);
    lines.truncate((area.height as usize).saturating_sub(1));
    while lines.len() + 1 < area.height as usize {
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        pad(&fit(&format!(" {keys}"), w), w),
        theme::status(),
    ));
    frame.render_widget(Paragraph::new(lines), area);
}
