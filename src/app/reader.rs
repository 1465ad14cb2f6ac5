//! Reader actions: scrolling, the HTML/plain switch, the attachment list and saving,
//! and opening messages.

use super::action::Action;
use super::event::Effect;
use super::layout;
use super::prompt;
use super::state::{AppState, Focus, Pending, PromptKind, Reader};
use super::triage::{self, Dest};
use super::view;
use crate::core::sanitize;
use crate::core::{FlagOp, Flags};
use crate::mime::{BodyLines, BodyMode, MessageView, Section, safe_file_name};

/// What the reader shows, laid out once per (message, mode, width, headers shown):
/// header lines (label, text) already wrapped, then a blank line, then the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReaderLayout {
    pub head: Vec<(String, String)>,
    pub body: BodyLines,
    pub mode: BodyMode,
    pub full_headers: bool,
}

impl ReaderLayout {
    /// Lines before the body (the headers and one blank line).
    pub fn body_offset(&self) -> usize {
        self.head.len() + 1
    }

    /// Lines known so far (all of them once `body.complete()`).
    pub fn known(&self) -> usize {
        self.body_offset() + self.body.known()
    }

    /// Makes sure the first `n` lines are wrapped (or all there are).
    pub fn ensure(&mut self, n: usize) {
        let off = self.body_offset();
        self.body.ensure(n.saturating_sub(off));
    }
}

/// Width and height of the reader's body pane (below its title line, above the
/// attachment list when that is open).
pub fn body_size(state: &AppState) -> (usize, usize) {
    let a = layout::areas(state.width, state.height, true).reader;
    let att = match &state.reader {
        Some(r) if r.show_attachments => r
            .view
            .as_ref()
            .filter(|v| !v.attachments.is_empty())
            .map_or(0, |v| (v.attachments.len() + 1).min(8)),
        _ => 0,
    };
    let h = (a.height as usize).saturating_sub(1 + att).max(1);
    (a.width as usize, h)
}

fn head_lines(view: &MessageView, full: bool, w: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut header = |k: &str, v: &str| {
        let label = format!("{k}: ");
        let first = w.saturating_sub(label.len()).max(10);
        let lines = BodyLines::new(sanitize::line(v).into_owned(), first).all();
        for (i, part) in lines.into_iter().enumerate() {
            let l = if i == 0 {
                label.clone()
            } else {
                " ".repeat(label.len())
            };
            out.push((l, part));
        }
        if v.is_empty() {
            out.push((label, String::new()));
        }
    };
    if full {
        for (k, v) in &view.headers {
            header(k, v);
        }
    } else {
        header("From", &view.from);
        header("To", &view.to);
        if !view.cc.is_empty() {
            header("Cc", &view.cc);
        }
        header("Date", &view.date);
        header("Subject", &view.subject);
        if !view.attachments.is_empty() {
            let names: Vec<&str> = view.attachments.iter().map(|a| a.name.as_str()).collect();
            header(
                "Attachments",
                &format!("{} (A lists, s saves)", names.join(", ")),
            );
        }
    }
    out
}

/// A (new) view arrived for the open reader: lay it out from scratch.
pub(super) fn view_arrived(state: &mut AppState) {
    if let Some(r) = state.reader.as_mut() {
        r.layout = None;
    }
    relayout(state);
}

/// Lays the open message out again after its view, mode, headers choice or the
/// terminal size changed: the body text is built once per mode (a width change only
/// drops the line index), then just the first screen is wrapped, and the scroll
/// position is clamped. Called from `update` when a message arrives or the terminal is
/// resized, and by the reader's own actions.
pub(super) fn relayout(state: &mut AppState) {
    let (w, h) = body_size(state);
    let Some(r) = state.reader.as_mut() else {
        return;
    };
    let Some(view) = r.view.as_mut() else {
        r.layout = None;
        return;
    };
    let head = head_lines(view, r.full_headers, w);
    let body = match r.layout.take() {
        // Without an HTML part both modes show the same text.
        Some(mut old) if old.mode == r.mode || !view.has_html() => {
            old.body.set_width(w);
            old.body
        }
        _ => BodyLines::new(body_text_once(view, r.mode), w),
    };
    r.layout = Some(ReaderLayout {
        head,
        body,
        mode: r.mode,
        full_headers: r.full_headers,
    });
    r.scroll = clamped(r, r.scroll, h);
}

/// The body text for `mode`. A body that is one text part (the usual shape of a huge
/// message) is moved out of the view rather than copied, so it is held once.
fn body_text_once(view: &mut MessageView, mode: BodyMode) -> String {
    if let [Section::Text(t)] = view.sections.as_mut_slice() {
        return std::mem::take(t);
    }
    view.body_text(mode)
}

/// `target` limited to the last full screen, wrapping only as far as needed to know.
fn clamped(r: &mut Reader, target: usize, h: usize) -> usize {
    let Some(l) = r.layout.as_mut() else {
        return 0;
    };
    l.ensure(target.saturating_add(h));
    target.min(l.known().saturating_sub(h))
}

pub(super) fn reader_act(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    let (_, page) = body_size(state);
    let Some(r) = state.reader.as_mut() else {
        return;
    };
    // While the attachment list is open, j/k choose an attachment.
    if r.show_attachments && matches!(action, Action::ScrollDown | Action::ScrollUp) {
        let n = r.view.as_ref().map_or(0, |v| v.attachments.len());
        r.attachment_cursor = if action == Action::ScrollDown {
            (r.attachment_cursor + 1).min(n.saturating_sub(1))
        } else {
            r.attachment_cursor.saturating_sub(1)
        };
        return;
    }
    // Scrolling is clamped here, against the lines known, so that after `G` (or a
    // mouse wheel past the end) the first `k` moves up at once.
    let now = clamped(r, r.scroll, page);
    match action {
        Action::ScrollDown => r.scroll = clamped(r, now + 1, page),
        Action::ScrollUp => r.scroll = now.saturating_sub(1),
        Action::ReaderPageDown => r.scroll = clamped(r, now + page, page),
        Action::ReaderPageUp => r.scroll = now.saturating_sub(page),
        Action::ReaderTop => r.scroll = 0,
        Action::ReaderBottom => r.scroll = clamped(r, usize::MAX / 2, page),
        Action::ToggleHeaders => {
            r.full_headers = !r.full_headers;
            relayout(state);
        }
        Action::ToggleHtml => {
            let has = r.view.as_ref().is_some_and(|v| v.has_html());
            r.mode = if r.mode == BodyMode::Plain {
                BodyMode::Html
            } else {
                BodyMode::Plain
            };
            r.scroll = 0;
            let mode = r.mode;
            relayout(state);
            let msg = match (has, mode) {
                (false, _) => "This message has no HTML alternative",
                (true, BodyMode::Html) => "Showing the HTML part",
                (true, BodyMode::Plain) => "Showing the plain-text part",
            };
            state.info(msg);
        }
        Action::Attachments | Action::SaveAttachment if r.view.is_none() => {
            state.info("The message is still loading");
        }
        Action::Attachments => {
            let n = r.view.as_ref().map_or(0, |v| v.attachments.len());
            if n == 0 {
                state.info("No attachments");
            } else {
                r.show_attachments = !r.show_attachments;
                let (_, h) = body_size(state);
                if let Some(r) = state.reader.as_mut() {
                    r.scroll = clamped(r, r.scroll, h);
                }
            }
        }
        Action::SaveAttachment => {
            let Some(v) = r.view.as_ref() else { return };
            if v.attachments.is_empty() {
                state.info("No attachments");
                return;
            }
            if !r.show_attachments {
                r.show_attachments = true;
                state.info("Choose an attachment with j/k, then s to save");
                return;
            }
            let i = r.attachment_cursor.min(v.attachments.len() - 1);
            let name = safe_file_name(&v.attachments[i].name);
            prompt::open(state, PromptKind::SaveAs { attachment: i }, name);
        }
        Action::NextMessage | Action::PrevMessage => {
            view::move_cursor(state, if action == Action::NextMessage { 1 } else { -1 });
            open_message(state, fx);
        }
        Action::ReaderToggleRead => triage::toggle_flag(state, Flags::SEEN, true, fx),
        Action::ReaderToggleFlag => triage::toggle_flag(state, Flags::FLAGGED, true, fx),
        Action::ReaderDelete | Action::ReaderArchive => {
            let dest = if action == Action::ReaderDelete {
                Dest::Trash
            } else {
                Dest::Archive
            };
            triage::move_targets(state, dest, true, fx);
            prompt::close_reader(state);
        }
        Action::Close => prompt::close_reader(state),
        _ => {}
    }
}

pub(super) fn open_message(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(env) = state.current().cloned() else {
        state.info("No message here");
        return;
    };
    let req = state.request(Pending::Message);
    fx.push(Effect::LoadMessage {
        req,
        env: Box::new(env.clone()),
    });
    let unread = env.is_unread();
    state.reader = Some(Reader {
        env: env.clone(),
        req,
        view: None,
        error: None,
        scroll: 0,
        full_headers: false,
        mode: BodyMode::Plain,
        show_attachments: false,
        attachment_cursor: 0,
        layout: None,
    });
    state.focus = Focus::Reader;
    if unread && state.settings.mark_read_on_open {
        triage::set_flags(state, &[env], FlagOp::Add(Flags::SEEN), fx);
    }
}
