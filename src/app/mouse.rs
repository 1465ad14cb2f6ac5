//! Mouse: the wheel scrolls what is under it, a click selects, a second click opens.

use super::event::{Effect, MouseKind};
use super::layout;
use super::reader::open_message;
use super::state::{AppState, Focus};
use super::update::open_folder;
use super::view;

pub(super) fn on_mouse(
    state: &mut AppState,
    kind: MouseKind,
    column: u16,
    row: u16,
    fx: &mut Vec<Effect>,
) {
    let a = layout::areas(state.width, state.height, state.focus == Focus::Reader);
    match kind {
        MouseKind::ScrollDown | MouseKind::ScrollUp => {
            let d: isize = if kind == MouseKind::ScrollDown { 3 } else { -3 };
            if let Some(r) = state.reader.as_mut() {
                r.scroll = (r.scroll as isize + d).max(0) as usize;
            } else if a.folders.contains(column, row) {
                let n = state.folder_entries() as isize;
                state.folder_cursor =
                    (state.folder_cursor as isize + d.signum()).clamp(0, (n - 1).max(0)) as usize;
            } else {
                view::move_cursor(state, d);
            }
        }
        MouseKind::Click => {
            if a.folders.contains(column, row) && row > a.folders.y {
                let shown = (row - a.folders.y - 1) as usize;
                let entry = shown + state.folder_scroll();
                // Below the entries are the account rows: not folders.
                if shown < state.folder_rows() && entry < state.folder_entries() {
                    open_folder(state, entry, fx);
                }
            } else if state.focus != Focus::Reader && a.list.contains(column, row) {
                let i = state.scroll + (row - a.list.y) as usize;
                if i < state.rows.len() {
                    let again = i == state.cursor && state.focus == Focus::List;
                    state.cursor = i;
                    state.focus = Focus::List;
                    if again {
                        open_message(state, fx);
                    }
                }
            }
        }
    }
}
