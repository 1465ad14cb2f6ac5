//! The compose screen: the headers (From, To, Cc, Bcc, Subject), the attachments with
//! their sizes, the start of the body, and a key line generated from the keymap.
//!
//! Reads `AppState` only; no file system, no tokio. Every string drawn goes through
//! `core::sanitize` (a draft may hold text from a received message).

use super::text::{fit, pad, size};
use super::theme;
use crate::app::compose::Composer;
use crate::app::{Action, AppState, Context};
use crate::compose::AttachmentData;
use crate::core::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The key line: the first key of each action, with a short word.
pub(super) fn key_line(state: &AppState, ctx: Context, items: &[(Action, &str)]) -> String {
    items
        .iter()
        .filter_map(|(a, word)| {
            let k = state.keymap.keys_for(ctx, *a).into_iter().next()?;
            Some(format!("{k} {word}"))
        })
        .collect::<Vec<_>>()
        .join("  ")
}

const KEYS: &[(Action, &str)] = &[
    (Action::Send, "send"),
    (Action::EditAgain, "edit"),
    (Action::Attach, "attach"),
    (Action::Detach, "detach"),
    (Action::NextIdentity, "identity"),
    (Action::Postpone, "postpone"),
    (Action::Abort, "abort"),
    (Action::EditTo, "To"),
    (Action::EditCc, "Cc"),
    (Action::EditBcc, "Bcc"),
    (Action::EditSubject, "Subject"),
    (Action::Help, "help"),
];

pub fn render(frame: &mut Frame, state: &AppState, c: &Composer, area: Rect) {
    let w = area.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    let title = match &c.busy {
        Some(b) => format!(" Compose — {} — {}", c.draft.account, b),
        None => format!(" Compose — {}", c.draft.account),
    };
    lines.push(Line::styled(
        pad(&sanitize::line(&title), w),
        theme::header(),
    ));
    let label_w = 10;
    let field = |name: &str, value: String, note: String| -> Line<'static> {
        let room = w.saturating_sub(label_w + 1 + super::text::width(&note));
        Line::from(vec![
            Span::styled(pad(&format!(" {name}"), label_w), theme::label()),
            Span::raw(pad(&fit(&sanitize::line(&value), room), room)),
            Span::styled(note, theme::tree()),
        ])
    };
    let ident = if c.identities.len() > 1 {
        format!(" identity {}/{} ", c.identity + 1, c.identities.len())
    } else {
        String::new()
    };
    lines.push(field("From:", c.draft.from.clone(), ident));
    lines.push(field("To:", c.draft.to.join(", "), String::new()));
    lines.push(field("Cc:", c.draft.cc.join(", "), String::new()));
    lines.push(field("Bcc:", c.draft.bcc.join(", "), String::new()));
    lines.push(field("Subject:", c.draft.subject.clone(), String::new()));
    for (name, value) in &c.draft.extra {
        lines.push(field(&format!("{name}:"), value.clone(), String::new()));
    }
    lines.push(Line::styled("─".repeat(w), theme::border()));
    let n = c.draft.attachments.len();
    if n == 0 {
        lines.push(Line::styled(" No attachments", theme::tree()));
    } else {
        let total: u64 = c.sizes.iter().sum();
        lines.push(Line::styled(
            format!(" Attachments ({n}, {})", size(total)),
            theme::label(),
        ));
        for (i, a) in c.draft.attachments.iter().enumerate() {
            let sz = size(c.sizes.get(i).copied().unwrap_or(0));
            let kind = fit(&sanitize::line(&a.content_type), 28);
            let from = match &a.data {
                AttachmentData::File(p) => sanitize::line(&p.display().to_string()).into_owned(),
                AttachmentData::Bytes(_) => String::new(),
            };
            let head = format!(
                " {} {}  {}  {:>8}  ",
                if i == c.cursor { ">" } else { " " },
                pad(&fit(&sanitize::line(&a.name), 30), 30),
                pad(&kind, 28),
                sz
            );
            let rest = w.saturating_sub(super::text::width(&head));
            let text = pad(&format!("{head}{}", fit(&from, rest)), w);
            lines.push(if i == c.cursor {
                Line::styled(text, theme::cursor())
            } else {
                Line::raw(text)
            });
        }
    }
    lines.push(Line::styled("─".repeat(w), theme::border()));
    let keys = key_line(state, Context::Compose, KEYS);
    let room = (area.height as usize).saturating_sub(lines.len() + 1);
    let mut shown = 0;
    for l in c.draft.body.lines() {
        for part in super::text::wrap(&sanitize::line(l), w.max(1)) {
            if shown == room {
                break;
            }
            let quoted = part.starts_with('>');
            lines.push(if quoted {
                Line::styled(part, theme::quote())
            } else {
                Line::raw(part)
            });
            shown += 1;
        }
    }
    while lines.len() + 1 < area.height as usize {
        lines.push(Line::raw(""));
    }
    lines.truncate((area.height as usize).saturating_sub(1));
    lines.push(Line::styled(
        pad(&fit(&format!(" {keys}"), w), w),
        theme::status(),
    ));
    frame.render_widget(Paragraph::new(lines), area);
}
