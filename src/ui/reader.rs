//! The message reader: headers (short or full), the body in the chosen alternative,
//! word-wrapped, and the attachment list.

use super::text::{fit, pad, size, wrap};
use super::theme;
use crate::app::AppState;
use crate::app::state::Reader;
use crate::core::sanitize;
use crate::mime::BodyMode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(frame: &mut Frame, _state: &AppState, r: &Reader, area: Rect) {
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

    let mut lines: Vec<Line> = Vec::new();
    let Some(view) = &r.view else {
        let msg = r.error.clone().unwrap_or_else(|| "Loading…".into());
        frame.render_widget(
            Paragraph::new(format!("  {}", sanitize::line(&msg))),
            body_area,
        );
        return;
    };
    let header = |k: &str, v: &str, lines: &mut Vec<Line>| {
        let label = format!("{k}: ");
        let first = w.saturating_sub(label.len()).max(10);
        for (i, part) in wrap(&sanitize::line(v), first).into_iter().enumerate() {
            let l = if i == 0 {
                label.clone()
            } else {
                " ".repeat(label.len())
            };
            lines.push(Line::from(vec![
                Span::styled(l, theme::label()),
                Span::raw(part),
            ]));
        }
    };
    if r.full_headers {
        for (k, v) in &view.headers {
            header(k, v, &mut lines);
        }
    } else {
        header("From", &view.from, &mut lines);
        header("To", &view.to, &mut lines);
        if !view.cc.is_empty() {
            header("Cc", &view.cc, &mut lines);
        }
        header("Date", &view.date, &mut lines);
        header("Subject", &view.subject, &mut lines);
        if !view.attachments.is_empty() {
            let names: Vec<String> = view.attachments.iter().map(|a| a.name.clone()).collect();
            header(
                "Attachments",
                &format!("{} (A lists, s saves)", names.join(", ")),
                &mut lines,
            );
        }
    }
    lines.push(Line::raw(""));
    let body = view.body_text(r.mode);
    for raw in body.lines() {
        let style = if raw.starts_with('>') {
            theme::quote()
        } else {
            Style::default()
        };
        for part in wrap(raw, w) {
            lines.push(Line::styled(part, style));
        }
    }
    let h = body_area.height as usize;
    let max_scroll = lines.len().saturating_sub(h);
    let scroll = r.scroll.min(max_scroll);
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(h).collect();
    frame.render_widget(Paragraph::new(shown), body_area);

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
