//! Search in the app: the global search (`\`, every folder and account in one list),
//! saved searches as virtual folders with counts, the full-text indexer's progress,
//! and the words to highlight. Pure, like the rest of `app`.

use super::event::{Effect, ServerFound};
use super::state::{AppState, Pending, ViewSource};
use super::view;
use crate::core::query::{Highlight, Query};
use crate::core::{Envelope, RequestId};

/// The effect that runs `query` for the list (request `req`).
pub(super) fn effect(state: &AppState, req: RequestId, query: Query) -> Effect {
    Effect::Search {
        req,
        query,
        tagged: state.tagged.iter().cloned().collect(),
    }
}

/// Opens the matches of a typed query (from the search prompt) in the list.
pub(super) fn open(state: &mut AppState, query: Query, fx: &mut Vec<Effect>) {
    let src = ViewSource::Search { query, name: None };
    super::update::open_source(state, src, fx);
    state.focus = super::state::Focus::List;
    state.reader = None;
    state.info("Searching every folder…");
}

/// A search answered: the first screen (`done` false), then every match.
pub(super) fn results(
    state: &mut AppState,
    req: RequestId,
    result: Result<Vec<Envelope>, String>,
    done: bool,
    complete: bool,
) {
    if done {
        state.pending.remove(&req);
    }
    if state.envelopes_req != Some(req) {
        return;
    }
    if done {
        state.envelopes_req = None;
    }
    match result {
        Ok(envelopes) => {
            state.envelopes = envelopes;
            state.search_partial = !complete;
            let live: std::collections::HashSet<_> = state
                .envelopes
                .iter()
                .map(|e| (e.account.clone(), e.id.clone()))
                .collect();
            state.tagged.retain(|k| live.contains(k));
            view::rebuild(state);
            if state
                .pending
                .values()
                .any(|p| matches!(p, Pending::Triage { .. }))
            {
                state.stale_list = true;
            }
            let typed = matches!(&state.source, Some(ViewSource::Search { name: None, .. }));
            if done
                && typed
                && state
                    .status
                    .as_ref()
                    .is_some_and(|s| s.text.starts_with("Searching"))
            {
                let n = state.envelopes.len();
                let more = if complete {
                    ""
                } else {
                    " so far (the text index is still being built)"
                };
                state.info(format!(
                    "{}{more} (\\ searches again, esc clears a limit)",
                    super::count::matching(n)
                ));
            }
        }
        Err(e) => {
            state.envelopes_req = None;
            state.error(format!("Search failed: {e}"));
        }
    }
}

/// Asks the IMAP servers for the shown search's query, over every folder it covers, so
/// messages whose bodies were never fetched are found by their text too.
pub(super) fn ask_servers(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(ViewSource::Search { query, .. }) = &state.source else {
        state.info("Search first (\\), then ctrl-s asks the servers too");
        return;
    };
    let query = query.clone();
    let folders: Vec<_> = state
        .folders
        .iter()
        .map(|f| (f.account.clone(), f.path.clone()))
        .collect();
    let req = state.request(Pending::ServerSearch);
    state.server_search_req = Some(req);
    state.info("Asking the servers…");
    fx.push(Effect::ServerSearch {
        req,
        query,
        folders,
    });
}

/// The servers answered: their matches join the list (each message once).
pub(super) fn server_results(
    state: &mut AppState,
    req: RequestId,
    result: Result<ServerFound, String>,
) {
    state.pending.remove(&req);
    if state.server_search_req != Some(req) {
        return;
    }
    state.server_search_req = None;
    let found = match result {
        Ok(found) => found,
        Err(e) => {
            state.error(format!("Server search failed: {e}"));
            return;
        }
    };
    let shown: std::collections::HashSet<_> = state
        .envelopes
        .iter()
        .map(|e| (e.account.clone(), e.id.clone()))
        .collect();
    let new: Vec<Envelope> = found
        .envelopes
        .into_iter()
        .filter(|e| !shown.contains(&(e.account.clone(), e.id.clone())))
        .collect();
    let added = new.len();
    state.envelopes.extend(new);
    view::rebuild(state);
    for f in &found.failed {
        state.error(format!("Server search: {f}"));
    }
    if !found.failed.is_empty() {
        return;
    }
    let mut text = if found.servers == 0 {
        "No account here has a server that searches (IMAP only)".to_string()
    } else {
        format!("The servers found {added} more")
    };
    if found.unsynced > 0 {
        text.push_str(&format!(
            " ({} not synced yet: get mail, then search again)",
            found.unsynced
        ));
    }
    state.info(text);
}

/// The saved searches' counts arrived.
pub(super) fn counts(state: &mut AppState, counts: Vec<(u32, u32)>) {
    for (s, (total, unread)) in state.saved.iter_mut().zip(counts) {
        s.total = total;
        s.unread = unread;
    }
}

fn count_effect(state: &mut AppState) -> Effect {
    state.counted_at = state.text_index.map_or(0, |(done, _)| done);
    Effect::CountSearches {
        queries: state.saved.iter().map(|s| s.query.clone()).collect(),
    }
}

/// Recounts the saved searches whenever an event reloads folder counts.
pub(super) fn recount_with_folders(state: &mut AppState, fx: &mut Vec<Effect>) {
    if state.saved.is_empty()
        || !fx.iter().any(|e| matches!(e, Effect::LoadFolders { .. }))
        || fx.iter().any(|e| matches!(e, Effect::CountSearches { .. }))
    {
        return;
    }
    let e = count_effect(state);
    fx.push(e);
}

/// The indexer reported: show how far it is; when it has caught up with new mail, the
/// search on screen and the saved searches' counts are brought up to date.
pub(super) fn text_indexed(
    state: &mut AppState,
    indexed: u64,
    pending: u64,
    stored: usize,
    fx: &mut Vec<Effect>,
) {
    state.text_index = (pending > 0).then_some((indexed, pending));
    if stored == 0 {
        return;
    }
    let caught_up = pending == 0;
    // While a large build runs, recount now and then (every 5% of it).
    let grown = indexed.saturating_sub(state.counted_at) * 20 >= indexed + pending;
    if (caught_up || grown) && !state.saved.is_empty() {
        let e = count_effect(state);
        fx.push(e);
    }
    if caught_up
        && matches!(state.source, Some(ViewSource::Search { .. }))
        && state.envelopes_req.is_none()
    {
        super::update::reload(state, fx);
    }
}

/// The words to highlight in the list and the reader: the shown search's and the
/// limit's (terms not under a NOT).
pub fn highlights(state: &AppState) -> Vec<Highlight> {
    let mut out = Vec::new();
    if let Some(ViewSource::Search { query, .. }) = &state.source {
        out.extend(query.highlights());
    }
    if let Some(q) = &state.limit {
        out.extend(q.highlights());
    }
    out
}
