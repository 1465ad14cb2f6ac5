//! Rendering: `render(&AppState)` draws the screen and changes nothing.
//!
//! Depends on `app` (state and layout), `core` and `mime` types; no tokio, no file
//! system, no accounts. Every string drawn goes through `core::sanitize`.

mod composer;
mod envelopes;
mod folders;
mod groups;
mod outbox;
mod overlay;
mod reader;
mod status;
pub mod text;
mod theme;

use crate::app::layout;
use crate::app::{AppState, Focus};
use ratatui::Frame;

pub(crate) fn rect(r: layout::Rect) -> ratatui::layout::Rect {
    ratatui::layout::Rect {
        x: r.x,
        y: r.y,
        width: r.width,
        height: r.height,
    }
}

/// Draws the whole screen for `state`.
pub fn render(frame: &mut Frame, state: &AppState) {
    let area = frame.area();
    let a = layout::areas(area.width, area.height, state.focus == Focus::Reader);
    if a.folders.width > 0 {
        folders::render(frame, state, rect(a.folders));
    }
    match (&state.reader, state.focus) {
        (Some(r), Focus::Reader) => reader::render(frame, state, r, rect(a.reader)),
        _ => envelopes::render(frame, state, rect(a.list_header), rect(a.list)),
    }
    // The compose screen and the outbox view take all but the status bar.
    let main = ratatui::layout::Rect {
        height: area.height.saturating_sub(1),
        ..area
    };
    if let Some(c) = &state.compose.screen {
        frame.render_widget(ratatui::widgets::Clear, main);
        composer::render(frame, state, c, main);
    } else if state.compose.outbox_open {
        frame.render_widget(ratatui::widgets::Clear, main);
        outbox::render(frame, state, main);
    } else if let Some(b) = &state.news.browser {
        groups::render(frame, state, b, main);
    }
    status::render(frame, state, rect(a.status));
    if state.help {
        overlay::help(frame, state, area);
    } else if state.show_notices {
        overlay::notices(frame, state, area);
    }
}
