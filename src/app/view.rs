//! Rebuilding the visible rows (limit, threading, sort) and keeping the cursor on the
//! same message and on screen.

use super::state::AppState;
use crate::core::query::MatchContext;
use crate::core::sort::SortKey;
use crate::core::thread::{flat, thread};
use crate::core::{AccountId, Envelope, LocalId};

struct Tags<'a>(&'a AppState);
impl MatchContext for Tags<'_> {
    fn is_tagged(&self, env: &Envelope) -> bool {
        self.0.is_tagged(env)
    }
    fn now(&self) -> i64 {
        self.0.now
    }
}

/// Recomputes `rows` from `envelopes`, keeping the cursor on the same message.
pub(super) fn rebuild(state: &mut AppState) {
    // At the top of the list the user stays at the top when mail arrives or the list
    // reloads; elsewhere the cursor follows its message.
    let at_top = state.cursor == 0 && state.scroll == 0;
    let keep = if at_top {
        None
    } else {
        state.current().map(|e| (e.account.clone(), e.id.clone()))
    };
    rebuild_keeping(state, keep);
}

/// Recomputes `rows`, putting the cursor on `keep` when it is still shown. Call this
/// (not `rebuild`) after `envelopes` changed, since the old rows index the old vector.
pub(super) fn rebuild_keeping(state: &mut AppState, keep: Option<(AccountId, LocalId)>) {
    let subset: Vec<usize> = (0..state.envelopes.len())
        .filter(|&i| visible(state, &state.envelopes[i]))
        .collect();
    let key = if state.threaded || state.sort != SortKey::ThreadActivity {
        state.sort
    } else {
        SortKey::Date
    };
    state.rows = if state.threaded {
        thread(&state.envelopes, &subset, key, state.reverse)
    } else {
        flat(&state.envelopes, &subset, key, state.reverse)
    };
    if let Some((a, id)) = keep
        && let Some(p) = state.rows.iter().position(|r| {
            let e = &state.envelopes[r.index];
            e.id == id && e.account == a
        })
    {
        state.cursor = p;
    }
    clamp(state);
}

fn visible(state: &AppState, env: &Envelope) -> bool {
    match (&state.limit, &state.body_matches) {
        // The index answered the whole query.
        (Some(_), Some(set)) => set.contains(&(env.account.clone(), env.id.clone())),
        // Meanwhile (or for a query the envelope can answer): what the envelope decides.
        (Some(q), None) => q.matches_envelope(env, &Tags(state)),
        (None, _) => true,
    }
}

/// Keeps the cursor inside the rows and the scroll such that the cursor is visible.
pub(super) fn clamp(state: &mut AppState) {
    let n = state.rows.len();
    if n == 0 {
        state.cursor = 0;
        state.scroll = 0;
        return;
    }
    state.cursor = state.cursor.min(n - 1);
    let h = state.list_height().max(1);
    if state.cursor < state.scroll {
        state.scroll = state.cursor;
    } else if state.cursor >= state.scroll + h {
        state.scroll = state.cursor + 1 - h;
    }
    state.scroll = state.scroll.min(n.saturating_sub(h));
}

/// Moves the cursor by `delta` rows.
pub(super) fn move_cursor(state: &mut AppState, delta: isize) {
    let n = state.rows.len();
    if n == 0 {
        return;
    }
    let c = (state.cursor as isize + delta).clamp(0, n as isize - 1);
    state.cursor = c as usize;
    clamp(state);
}
