//! The message reader: headers (short or full), the body in the chosen alternative,
//! word-wrapped, and the attachment list; the words a search or limit matched are
//! marked in the headers and the body.

use super::text::{fit, marked, pad, size};
use super::theme;
use crate::app::AppState;
use crate::app::state::Reader;
use crate::core::query::fold::marked_words;
use crate::core::query::{Field, Highlight};
use crate::core::sanitize;
use crate::mime::BodyMode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The highlights that apply to a text of these fields.
fn wanted(hl: &[Highlight], fields: &[Field]) -> Vec<(Vec<String>, bool)> {
    hl.iter()
        .filter(|(f, _, _)| *f == Field::Any || fields.contains(f))
        .map(|(_, w, p)| (w.clone(), *p))
        .collect()
}

fn marks(text: &str, wanted: &[(Vec<String>, bool)]) -> Vec<std::ops::Range<usize>> {
    let w: Vec<(&[String], bool)> = wanted.iter().map(|(w, p)| (w.as_slice(), *p)).collect();
    marked_words(text, &w)
}

pub fn render(frame: &mut Frame, state: &AppState, r: &Reader, area: Rect) {
    let hl = crate::app::search::highlights(state);
    let in_body = wanted(&hl, &[Field::Body]);
    let w = area.width as usize;
    let title = format!(" {}", sanitize::line(&r.env.subject));
    let mode = match (r.view.as_ref().is_some_and(|v| v.has_html()), r.mode) {
        (true, BodyMode::Html) => " [HTML]",
        (true, BodyMode::Plain) => " [plain]",
        _ => "",
    };
    frame.render_widget(
        Paragraph::new(Line::styled(
            pad(&format!("{title}{mode}"), w),
            theme::header(),
        )),
        Rect { height: 1, ..area },
    );
    let att_h = match (&r.view, r.show_attachments) {
        (Some(v), true) if !v.attachments.is_empty() => (v.attachments.len() + 1).min(8) as u16,
        _ => 0,
    };
    let body_area = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1 + att_h),
        ..area
    };

    let Some(view) = &r.view else {
        let msg = r.error.clone().unwrap_or_else(|| "Loading…".into());
        frame.render_widget(
            Paragraph::new(format!("  {}", sanitize::line(&msg))),
            body_area,
        );
        return;
    };
    // The layout is built and wrapped in `update`; drawing only reads the visible lines.
    let mut lines: Vec<Line> = Vec::new();
    if let Some(l) = &r.layout {
        let h = body_area.height as usize;
        let scroll = r.scroll.min(l.known().saturating_sub(h));
        let off = l.body_offset();
        for i in scroll..scroll + h {
            if let Some((label, part)) = l.head.get(i) {
                let field = match label.trim_end().trim_end_matches(':') {
                    "Subject" => Some(Field::Subject),
                    "From" => Some(Field::From),
                    "To" => Some(Field::To),
                    "Cc" => Some(Field::Cc),
                    _ => None,
                };
                let text = fit(part, w.saturating_sub(label.len()));
                let m = match field {
                    Some(f) => marks(&text, &wanted(&hl, &[f])),
                    None => Vec::new(),
                };
                let mut spans = vec![Span::styled(label.clone(), theme::label())];
                spans.extend(marked(text, &m, Style::default(), theme::matched()));
                lines.push(Line::from(spans));
            } else if i + 1 == off {
                lines.push(Line::raw(""));
            } else if let Some((text, quoted)) = l.body.line(i - off) {
                let style = if quoted {
                    theme::quote()
                } else {
                    Style::default()
                };
                let text = fit(text, w);
                let m = marks(&text, &in_body);
                lines.push(Line::from(marked(text, &m, style, theme::matched())));
            } else {
                break;
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), body_area);

    if att_h > 0 {
        let a_area = Rect {
            y: body_area.y + body_area.height,
            height: att_h,
            ..area
        };
        let mut al = vec![Line::styled(
            pad(" Attachments (j/k choose, s save as, A close)", w),
            theme::header(),
        )];
        let skip = r.attachment_cursor.saturating_sub(att_h as usize - 2);
        for (i, a) in view
            .attachments
            .iter()
            .enumerate()
            .skip(skip)
            .take(att_h as usize - 1)
        {
            let text = format!(
                " {:>2}. {}  {}  {}",
                i + 1,
                fit(&a.name, w / 2),
                a.mime_type,
                size(a.size as u64)
            );
            let style = if i == r.attachment_cursor {
                theme::cursor()
            } else {
                Style::default()
            };
            al.push(Line::styled(pad(&text, w), style));
        }
        frame.render_widget(Paragraph::new(al), a_area);
    }
}
