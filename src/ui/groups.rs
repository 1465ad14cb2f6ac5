//! The group browser: every group of a news server with its article count and
//! description, the filter being typed, new groups marked (NEW) and subscribed ones
//! marked `S`; the keys at the foot. Only the rows on screen are drawn, so a server
//! with tens of thousands of groups costs no more than one screenful.
//!
//! Reads `AppState` only; group names and descriptions come from the server and go
//! through `core::sanitize`.

use super::text::{fit, pad};
use super::theme;
use crate::app::AppState;
use crate::app::news::{GroupBrowser, browser_rows};
use crate::core::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

const KEYS: &str = " type to filter · ↑↓ move · enter (un)subscribe · ctrl-u clear · esc back";

pub fn render(frame: &mut Frame, state: &AppState, b: &GroupBrowser, area: Rect) {
    let w = area.width as usize;
    let title = match &b.groups {
        Some(g) => format!(
            " Groups on {} — {} of {}",
            sanitize::line(&b.account.0),
            b.matches.len(),
            g.len()
        ),
        None => format!(" Groups on {}", sanitize::line(&b.account.0)),
    };
    let mut lines = vec![
        Line::styled(pad(&fit(&title, w), w), theme::header()),
        Line::from(vec![
            Span::styled(" Filter: ", theme::label()),
            Span::raw(fit(&sanitize::line(&b.filter), w.saturating_sub(10))),
            Span::styled("_", theme::cursor()),
        ]),
    ];
    let rows = browser_rows(state);
    match (&b.groups, &b.error) {
        (_, Some(e)) => {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                fit(&format!(" Cannot list groups: {}", sanitize::line(e)), w),
                theme::error(),
            ));
        }
        (None, None) => {
            lines.push(Line::raw(""));
            lines.push(Line::raw(" Listing groups…"));
        }
        (Some(groups), None) => {
            let name_w = (w / 3).clamp(12, 40);
            let count_w = 8;
            lines.push(Line::styled(
                pad(
                    &format!(
                        "    {} {}  Description",
                        pad("Group", name_w),
                        pad("Articles", count_w)
                    ),
                    w,
                ),
                theme::label(),
            ));
            if b.matches.is_empty() {
                lines.push(Line::raw(" No group matches the filter."));
            }
            // After a resize the cursor may lie below the last row until the next key.
            let scroll = b.scroll.max((b.cursor + 1).saturating_sub(rows));
            let shown = b.matches.iter().enumerate().skip(scroll).take(rows);
            for (pos, &i) in shown {
                let Some(g) = groups.get(i) else { continue };
                let mark = if g.subscribed { " S " } else { "   " };
                let new = if g.new { "(NEW) " } else { "" };
                let count = g.count.to_string();
                let text = format!(
                    "{mark} {} {}  {new}{}",
                    pad(&fit(&sanitize::line(&g.name), name_w), name_w),
                    pad(&format!("{count:>count_w$}"), count_w),
                    sanitize::line(&g.description),
                );
                let text = pad(&fit(&text, w), w);
                let style = if pos == b.cursor {
                    theme::cursor()
                } else if g.subscribed {
                    theme::unread()
                } else {
                    ratatui::style::Style::default()
                };
                lines.push(Line::styled(text, style));
            }
        }
    }
    let body_h = area.height.saturating_sub(1);
    lines.truncate(body_h as usize);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines),
        Rect {
            height: body_h,
            ..area
        },
    );
    if area.height > 0 {
        frame.render_widget(
            Paragraph::new(Line::styled(pad(&fit(KEYS, w), w), theme::label())),
            Rect {
                y: area.y + area.height - 1,
                height: 1,
                ..area
            },
        );
    }
}
