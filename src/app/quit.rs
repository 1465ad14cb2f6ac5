//! Quitting without dropping a change: `q` and ctrl-c wait for every triage change that
//! is still on its way to an account (undo included), then quit when the last one is
//! answered. A change that fails in that wait stops the quit so its error can be read;
//! the next quit key quits.

use super::count::count;
use super::event::Effect;
use super::state::AppState;

/// Quits now, or once the pending triage changes have landed.
pub(super) fn request(state: &mut AppState, fx: &mut Vec<Effect>) {
    let n = state.pending_triage();
    if n == 0 {
        state.quit = true;
        fx.push(Effect::Quit);
    } else {
        state.quitting = true;
        finishing(state, n);
    }
}

fn finishing(state: &mut AppState, n: usize) {
    state.info(format!(
        "Finishing {}… (posthorn quits when they are saved)",
        count(n, "change", "changes")
    ));
}

/// While quitting, keys only repeat what is being waited for.
pub(super) fn on_key(state: &mut AppState) {
    let n = state.pending_triage();
    finishing(state, n);
}

/// A triage change was answered (`failed` when it was an error, already shown).
pub(super) fn after_triage(state: &mut AppState, failed: bool, fx: &mut Vec<Effect>) {
    if !state.quitting {
        return;
    }
    if failed {
        // Stay, so the error can be read; the next quit key quits (or waits again).
        state.quitting = false;
        if let Some(s) = state.status.as_mut() {
            s.text.push_str(" — not quitting yet: q or ctrl-c quits");
        }
        return;
    }
    match state.pending_triage() {
        0 => {
            state.quit = true;
            fx.push(Effect::Quit);
        }
        n => finishing(state, n),
    }
}
