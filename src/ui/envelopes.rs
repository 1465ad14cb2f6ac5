//! The envelope list: one line per message, threaded, drawing only the rows on screen;
//! the words a search or limit matched are marked in the subjects.

use super::text::{fit, marked, pad, short_date, size};
use super::theme;
use crate::app::{AppState, Focus, ViewSource};
use crate::core::Flags;
use crate::core::query::Field;
use crate::core::query::fold::marked_words;
use crate::core::sanitize;
use crate::core::sort::base_subject;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(frame: &mut Frame, state: &AppState, header: Rect, area: Rect) {
    let w = area.width as usize;
    let from_w = (w / 4).clamp(10, 24);
    let h = area.height as usize;
    let visible = state.rows.iter().skip(state.scroll).take(h);
    let date_w = visible
        .map(|r| {
            short_date(state.envelopes[r.index].date, state.now, state.tz_offset)
                .chars()
                .count()
        })
        .max()
        .unwrap_or(5);
    let size_w = if w >= 120 { 6 } else { 0 };
    let searching = matches!(&state.source, Some(ViewSource::Search { .. }));
    let title = match &state.source {
        Some(ViewSource::Folder(a, f)) => format!(" {a}/{f}"),
        Some(ViewSource::UnifiedInbox) => " All inboxes".into(),
        Some(ViewSource::Search {
            name: Some(name), ..
        }) => format!(" ⌕ {name}"),
        Some(ViewSource::Search { query, name: None }) => {
            format!(" Search “{}”", query.source)
        }
        None => " (no folder)".into(),
    };
    let loading = searching && state.envelopes_req.is_some();
    let mut head = if loading && state.rows.is_empty() {
        format!("{title} — searching…")
    } else {
        format!(
            "{title} — {}",
            crate::app::count::messages(state.rows.len())
        )
    };
    if loading && !state.rows.is_empty() {
        head.push_str(" so far…");
    }
    if let Some(q) = &state.limit {
        head.push_str(&format!(" matching “{}”", q.source));
    }
    if searching && state.search_partial {
        head.push_str(" (text index still being built)");
    }
    frame.render_widget(
        Paragraph::new(Line::styled(
            pad(&sanitize::line(&head), w),
            theme::header(),
        )),
        header,
    );

    if state.rows.is_empty() {
        let msg = if state.source.is_none() {
            "No folder is open (L lists the notices, ? the keys)"
        } else if state.envelopes_req.is_some() {
            "Loading…"
        } else if state.limit.is_some() {
            "No message matches the limit (esc shows all)"
        } else if searching {
            "No message matches (\\ searches again)"
        } else if state
            .progress
            .keys()
            .any(|(a, _)| state.account_states.contains_key(a))
        {
            "Syncing this folder… (progress below; keys still work)"
        } else if !state.progress.is_empty() {
            "Indexing this folder… (progress below; keys still work)"
        } else {
            "This folder is empty"
        };
        frame.render_widget(Paragraph::new(Line::from(format!("  {msg}"))), area);
        return;
    }

    let hl = crate::app::search::highlights(state);
    let wanted: Vec<(&[String], bool)> = hl
        .iter()
        .filter(|(f, _, _)| matches!(f, Field::Any | Field::Subject))
        .map(|(_, w, p)| (w.as_slice(), *p))
        .collect();
    let mut lines = Vec::with_capacity(h);
    for (i, row) in state.rows.iter().enumerate().skip(state.scroll).take(h) {
        let e = &state.envelopes[row.index];
        let tagged = state.is_tagged(e);
        let status = [
            if tagged { '*' } else { ' ' },
            if e.flags.contains(Flags::TRASHED) {
                'D'
            } else if e.is_unread() {
                'N'
            } else if e.flags.contains(Flags::REPLIED) {
                'r'
            } else {
                ' '
            },
            if e.flags.contains(Flags::FLAGGED) {
                '!'
            } else {
                ' '
            },
            if e.has_attachments { '+' } else { ' ' },
        ];
        let status: String = status.iter().collect();
        let tree = if row.depth == 0 {
            String::new()
        } else {
            format!(
                "{}{}",
                "  ".repeat(row.depth.min(8) as usize - 1),
                if row.last_child { "└─>" } else { "├─>" }
            )
        };
        let date = pad(&short_date(e.date, state.now, state.tz_offset), date_w);
        let from = pad(&sanitize::line(&e.from), from_w);
        let fixed = 5 + date_w + 1 + from_w + 1 + size_w;
        let subj_w = w.saturating_sub(fixed);
        let tree_w = unicode_width::UnicodeWidthStr::width(tree.as_str()).min(subj_w);
        // Like mutt, a reply whose subject only repeats its predecessor's shows none.
        let repeated = row.depth > 0
            && i > 0
            && base_subject(&state.envelopes[state.rows[i - 1].index].subject)
                == base_subject(&e.subject);
        let subject = if repeated {
            String::new()
        } else {
            sanitize::line(&e.subject).into_owned()
        };
        let subject = pad(&subject, subj_w - tree_w);
        let mut style = Style::default();
        if e.is_unread() {
            style = style.patch(theme::unread());
        }
        if e.flags.contains(Flags::FLAGGED) {
            style = style.patch(theme::flagged());
        }
        if tagged {
            style = style.patch(theme::tagged());
        }
        if e.flags.contains(Flags::TRASHED) {
            style = style.add_modifier(ratatui::style::Modifier::CROSSED_OUT);
        }
        if i == state.cursor {
            style = style.patch(if state.focus == Focus::Folders {
                theme::dim_cursor()
            } else {
                theme::cursor()
            });
        }
        let mut spans = vec![
            Span::styled(format!("{status} "), style),
            Span::styled(format!("{date} "), style),
            Span::styled(format!("{from} "), style),
            Span::styled(fit(&tree, tree_w), style.patch(theme::tree())),
        ];
        let marks = marked_words(&subject, &wanted);
        spans.extend(marked(subject, &marks, style, theme::matched()));
        if size_w > 0 {
            spans.push(Span::styled(format!("{:>6}", size(e.size)), style));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
