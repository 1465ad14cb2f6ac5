//! The status bar: the open prompt, or the latest notice, with indexing progress on the
//! right.

use super::text::{fit, pad};
use super::theme;
use crate::app::AppState;
use crate::app::state::PromptKind;
use crate::core::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

pub fn render(frame: &mut Frame, state: &AppState, area: Rect) {
    let w = area.width as usize;
    if let Some(p) = &state.prompt {
        let label = match &p.kind {
            PromptKind::MoveTo => "Move to folder: ".to_string(),
            PromptKind::Limit => {
                "Limit (words from: to: subject: body: is:unread date: AND OR NOT): ".to_string()
            }
            PromptKind::Search => {
                "Search every folder (words \"phrases\" from: to: subject: body: is: date: AND OR NOT): "
                    .to_string()
            }
            PromptKind::SaveAs { .. } => "Save attachment as: ".to_string(),
            PromptKind::FolderName { account, rename } => folder_label(account, rename.as_ref()),
            PromptKind::Compose(c) if c.question().is_none() => c.label().to_string(),
            PromptKind::Compose(c) => {
                let q = c.question().unwrap_or_default();
                let text = format!(" {} (y/n)", sanitize::line(&q));
                frame.render_widget(
                    Paragraph::new(Line::styled(pad(&text, w), theme::error())),
                    area,
                );
                return;
            }
            PromptKind::Confirm { question, .. } => {
                let text = format!(" {} (y/n)", sanitize::line(question));
                frame.render_widget(
                    Paragraph::new(Line::styled(pad(&text, w), theme::error())),
                    area,
                );
                return;
            }
        };
        let label = if label.width() + 20 > w {
            fit(&label, w / 2)
        } else {
            label
        };
        let input = p
            .selected
            .and_then(|s| p.completions.get(s))
            .unwrap_or(&p.input);
        let text = format!("{label}{}█", sanitize::line(input));
        frame.render_widget(
            Paragraph::new(Line::styled(pad(&text, w), theme::status())),
            area,
        );
        if !p.completions.is_empty() {
            let n = p.completions.len().min(8) as u16;
            let pop = Rect {
                x: area.x,
                y: area.y.saturating_sub(n),
                width: area.width.min(40),
                height: n,
            };
            let lines: Vec<Line> = p
                .completions
                .iter()
                .take(n as usize)
                .enumerate()
                .map(|(i, c)| {
                    let style = if Some(i) == p.selected {
                        theme::cursor()
                    } else {
                        theme::status()
                    };
                    Line::styled(
                        pad(&format!(" {}", sanitize::line(c)), pop.width as usize),
                        style,
                    )
                })
                .collect();
            frame.render_widget(Clear, pop);
            frame.render_widget(Paragraph::new(lines), pop);
        }
        return;
    }
    let right = progress_text(state);
    let summary = summary(state);
    let (left, style) = match &state.status {
        Some(n) if n.error => (format!(" {}", n.text), theme::error()),
        Some(n) => (format!(" {}", n.text), theme::status()),
        None => (summary, theme::status()),
    };
    let right_w = right.width().min(w / 2);
    let left = pad(&left, w.saturating_sub(right_w));
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(left, style),
            Span::styled(fit(&right, right_w), theme::status()),
        ])),
        area,
    );
}

fn summary(state: &AppState) -> String {
    // The folder counts are kept current by update; counting the list per frame would
    // cost O(messages) on every keypress.
    let unread = match &state.source {
        Some(crate::app::ViewSource::Folder(a, f)) => state
            .folders
            .iter()
            .find(|x| x.account == *a && x.path == *f)
            .map_or(0, |x| x.unread),
        Some(crate::app::ViewSource::UnifiedInbox) => state.unified_counts().1,
        Some(crate::app::ViewSource::Search { name, .. }) => name
            .as_ref()
            .and_then(|n| state.saved.iter().find(|s| s.name == *n))
            .map_or(0, |s| s.unread),
        None => 0,
    };
    let mut s = format!(" {unread} unread");
    if !state.tagged.is_empty() {
        s.push_str(&format!(", {} tagged", state.tagged.len()));
    }
    s.push_str(&format!(
        " · sort {}{} · ? help",
        state.sort.name(),
        if state.reverse { " ↓" } else { " ↑" }
    ));
    s
}

fn progress_text(state: &AppState) -> String {
    let mut parts: Vec<String> = state
        .progress
        .values()
        .map(|p| {
            if p.total == 0 {
                format!("{}…", p.label)
            } else {
                format!(
                    "{} {}/{} ({}%)",
                    p.label,
                    p.done,
                    p.total,
                    p.done * 100 / p.total.max(1)
                )
            }
        })
        .collect();
    parts.sort();
    if let Some((done, waiting)) = state.text_index {
        let total = done + waiting;
        parts.push(format!(
            "Indexing text {done}/{total} ({}%)",
            done * 100 / total.max(1)
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" {} ", parts.join(" · "))
    }
}

/// The label of the folder-name prompt.
fn folder_label(
    account: &crate::core::AccountId,
    rename: Option<&crate::core::FolderPath>,
) -> String {
    match rename {
        Some(from) => sanitize::line(&format!("Rename {account}/{from} to: ")).into_owned(),
        None => sanitize::line(&format!(
            "New folder in {account} (a/b makes a subfolder): "
        ))
        .into_owned(),
    }
}
