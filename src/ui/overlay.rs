//! Overlays: the help (generated from the keymap) and the notices log.

use super::text::{pad, wrap};
use super::theme;
use crate::app::{AppState, Context};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// The width of an overlay box on `area`, borders included.
fn box_width(area: Rect) -> u16 {
    area.width.saturating_sub(4).min(100)
}

fn boxed(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line>, scroll: usize) {
    let w = box_width(area);
    let h = area.height.saturating_sub(2);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + 1,
        width: w,
        height: h,
    };
    let inner_h = h.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(inner_h));
    let shown: Vec<Line> = lines.into_iter().skip(scroll).collect();
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(shown).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme::border())
                .title(title),
        ),
        r,
    );
}

pub fn help(frame: &mut Frame, state: &AppState, area: Rect) {
    let kw = 22;
    let mut lines = Vec::new();
    for (ctx, title) in [
        (Context::List, "Folders and message list"),
        (Context::Reader, "Reading a message"),
        (Context::Compose, "Composing (after the editor)"),
        (Context::Outbox, "The outbox (ctrl-o)"),
    ] {
        lines.push(Line::styled(title, theme::label()));
        for (keys, help) in state.keymap.help(ctx) {
            lines.push(Line::raw(format!("  {} {help}", pad(&keys, kw))));
        }
        if ctx == Context::List {
            // Not a binding: it works everywhere and cannot be unbound.
            let keys = pad("ctrl-c", kw);
            lines.push(Line::raw(format!(
                "  {keys} quit from anywhere (after pending changes are saved)"
            )));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        "The group browser (news accounts)",
        theme::label(),
    ));
    for l in [
        "  type                   filter groups by name or description",
        "  up down pgup pgdn      move        enter  subscribe / unsubscribe",
        "  ctrl-u                 clear the filter     ctrl-r  list again",
        "  esc                    clear the filter, then back to the list",
    ] {
        lines.push(Line::raw(l));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Limit queries", theme::label()));
    for l in [
        "  from:ann subject:report is:unread is:flagged is:replied is:tagged",
        "  has:attachment body:invoice before:2024-01-31 after:2024-01-01",
        "  plain words match sender and subject; -term negates; \"quoted words\"",
    ] {
        lines.push(Line::raw(l));
    }
    boxed(
        frame,
        area,
        " Keys (j/k scroll, ? or q closes) ",
        lines,
        state.help_scroll,
    );
}

/// The notices log, newest first; a long notice wraps (indented) instead of being cut.
pub fn notices(frame: &mut Frame, state: &AppState, area: Rect) {
    // Inside the borders, after the two-column mark.
    let text_w = (box_width(area).saturating_sub(2) as usize)
        .saturating_sub(2)
        .max(1);
    let lines: Vec<Line> = if state.notices.is_empty() {
        vec![Line::raw("No notices yet.")]
    } else {
        let mut lines = Vec::new();
        for n in state.notices.iter().rev() {
            for (i, part) in wrap(&n.text, text_w).into_iter().enumerate() {
                let mark = if n.error && i == 0 { "✗ " } else { "  " };
                let text = format!("{mark}{part}");
                lines.push(if n.error {
                    Line::styled(text, theme::flagged())
                } else {
                    Line::raw(text)
                });
            }
        }
        lines
    };
    boxed(
        frame,
        area,
        " Notices, newest first (q closes) ",
        lines,
        state.help_scroll,
    );
}
