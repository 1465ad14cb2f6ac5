//! Overlays: the help (generated from the keymap) and the notices log.

use super::text::pad;
use super::theme;
use crate::app::{AppState, Context};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

fn boxed(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line>, scroll: usize) {
    let w = area.width.saturating_sub(4).min(100);
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
    ] {
        lines.push(Line::styled(title, theme::label()));
        for (keys, help) in state.keymap.help(ctx) {
            lines.push(Line::raw(format!("  {} {help}", pad(&keys, kw))));
        }
        lines.push(Line::raw(""));
    }
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

pub fn notices(frame: &mut Frame, state: &AppState, area: Rect) {
    let lines: Vec<Line> = if state.notices.is_empty() {
        vec![Line::raw("No notices yet.")]
    } else {
        state
            .notices
            .iter()
            .rev()
            .map(|n| {
                if n.error {
                    Line::styled(format!("✗ {}", n.text), theme::flagged())
                } else {
                    Line::raw(format!("  {}", n.text))
                }
            })
            .collect()
    };
    boxed(
        frame,
        area,
        " Notices, newest first (q closes) ",
        lines,
        state.help_scroll,
    );
}
