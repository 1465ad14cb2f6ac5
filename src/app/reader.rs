//! Reader actions: scrolling, the HTML/plain switch, the attachment list and saving,
//! and opening messages.

use super::action::Action;
use super::event::Effect;
use super::layout;
use super::prompt;
use super::state::{AppState, Focus, Pending, PromptKind, Reader};
use super::triage::{self, Dest};
use super::view;
use crate::core::{FlagOp, Flags};
use crate::mime::{BodyMode, safe_file_name};

pub(super) fn reader_act(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    let page = layout::areas(state.width, state.height, true)
        .reader
        .height
        .saturating_sub(2)
        .max(1) as usize;
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
    match action {
        Action::ScrollDown => r.scroll += 1,
        Action::ScrollUp => r.scroll = r.scroll.saturating_sub(1),
        Action::ReaderPageDown => r.scroll += page,
        Action::ReaderPageUp => r.scroll = r.scroll.saturating_sub(page),
        Action::ReaderTop => r.scroll = 0,
        Action::ReaderBottom => r.scroll = usize::MAX / 2,
        Action::ToggleHeaders => r.full_headers = !r.full_headers,
        Action::ToggleHtml => {
            let has = r.view.as_ref().is_some_and(|v| v.has_html());
            r.mode = if r.mode == BodyMode::Plain {
                BodyMode::Html
            } else {
                BodyMode::Plain
            };
            r.scroll = 0;
            let msg = match (has, r.mode) {
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
    });
    state.focus = Focus::Reader;
    if unread && state.settings.mark_read_on_open {
        triage::set_flags(state, &[env], FlagOp::Add(Flags::SEEN), fx);
    }
}
