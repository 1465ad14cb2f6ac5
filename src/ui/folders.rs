//! The folder pane: the unified inbox (with several accounts), the saved searches (with
//! unread and total counts), then every folder with its unread count; at its foot, each
//! account's state once accounts report one.

use super::text::{fit, pad};
use super::theme;
use crate::app::{AppState, Focus, ViewSource, accounts};
use crate::core::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

pub fn render(frame: &mut Frame, state: &AppState, area: Rect) {
    // One column for the open-folder marker, one for the separator.
    let w = area.width.saturating_sub(2) as usize;
    let mut lines = vec![Line::styled(pad(" Folders", w + 1), theme::header())];
    let multi = state.has_unified();
    // (label, unread, count text, source)
    let mut entries: Vec<(String, u32, String, Option<ViewSource>)> = Vec::new();
    if multi {
        let (_, unread) = state.unified_counts();
        entries.push((
            "★ All inboxes".into(),
            unread,
            count_text(unread),
            Some(ViewSource::UnifiedInbox),
        ));
    }
    // Saved searches: unread and total, like a folder that spans every account.
    for s in &state.saved {
        let count = if s.unread > 0 {
            format!(" {}/{}", s.unread, s.total)
        } else {
            format!(" {}", s.total)
        };
        entries.push((
            format!("⌕ {}", s.name),
            s.unread,
            count,
            Some(ViewSource::Search {
                query: s.query.clone(),
                name: Some(s.name.clone()),
            }),
        ));
    }
    let mut last_account = None;
    for f in &state.folders {
        let name = if multi && last_account != Some(&f.account) && f.path.is_inbox() {
            format!("{}/{}", f.account, f.path)
        } else {
            format!(
                "{}{}",
                if multi || !f.path.is_inbox() {
                    "  "
                } else {
                    ""
                },
                f.path
            )
        };
        last_account = Some(&f.account);
        entries.push((
            name,
            f.unread,
            count_text(f.unread),
            Some(ViewSource::Folder(f.account.clone(), f.path.clone())),
        ));
    }
    let skip = state.folder_scroll();
    for (i, (name, unread, count, src)) in entries
        .into_iter()
        .enumerate()
        .skip(skip)
        .take(state.folder_rows())
    {
        let name = sanitize::line(&name).into_owned();
        let label = fit(&name, w.saturating_sub(count.len()));
        let gap = w.saturating_sub(label.width() + count.len());
        let text = format!("{label}{}{count}", " ".repeat(gap));
        let open = src.is_some() && state.source == src;
        let mut style = if unread > 0 {
            theme::unread()
        } else {
            Default::default()
        };
        if i == state.folder_cursor {
            style = if state.focus == Focus::Folders {
                theme::cursor()
            } else {
                style.patch(theme::dim_cursor())
            };
        }
        let marker = if open { "▌" } else { " " };
        lines.push(Line::from(vec![
            Span::styled(marker, theme::label()),
            Span::styled(text, style),
        ]));
    }
    let accounts = account_lines(state, w, area.height as usize);
    let pad_to = (area.height as usize).saturating_sub(accounts.len());
    while lines.len() < pad_to {
        lines.push(Line::raw(""));
    }
    lines.extend(accounts);
    frame.render_widget(
        Paragraph::new(lines),
        Rect {
            width: area.width.saturating_sub(1),
            ..area
        },
    );
    // A thin separator on the pane's right edge.
    let sep: Vec<Line> = (0..area.height)
        .map(|_| Line::styled("│", theme::border()))
        .collect();
    frame.render_widget(
        Paragraph::new(sep),
        Rect {
            x: area.x + area.width.saturating_sub(1),
            width: 1,
            ..area
        },
    );
}

/// A folder's count: its unread messages, when there are any.
fn count_text(unread: u32) -> String {
    if unread > 0 {
        format!(" {unread}")
    } else {
        String::new()
    }
}

/// The account rows: a heading, then per account its name with its state on the right
/// and, when there is one, a detail line below ("retry in 30s", "INBOX 41%").
fn account_lines(state: &AppState, w: usize, pane_h: usize) -> Vec<Line<'static>> {
    let n = accounts::pane_lines(state, pane_h);
    if n == 0 {
        return Vec::new();
    }
    let mut lines = vec![Line::styled(pad(" Accounts", w + 1), theme::header())];
    for r in accounts::rows(state) {
        let word = sanitize::line(&r.state).into_owned();
        let name = fit(
            &sanitize::line(&r.account.0),
            w.saturating_sub(word.width() + 1),
        );
        let gap = w.saturating_sub(name.width() + word.width());
        let style = if r.problem {
            theme::flagged()
        } else {
            Style::default()
        };
        lines.push(Line::from(vec![
            Span::raw(" "),
            Span::styled(name, theme::label()),
            Span::raw(" ".repeat(gap)),
            Span::styled(word, style),
        ]));
        if let Some(d) = &r.detail {
            lines.push(Line::styled(
                pad(&format!("   {}", sanitize::line(d)), w + 1),
                style,
            ));
        }
    }
    lines.truncate(n);
    lines
}
