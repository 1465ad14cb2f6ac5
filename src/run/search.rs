//! The runtime's side of search: answering `Effect::Search`, `Effect::BodySearch` (the
//! limit) and `Effect::CountSearches` from the index on blocking threads, with their
//! own read-only connections (a reader never waits for the indexer or an actor).

use crate::app::AppEvent;
use crate::core::query::{Expr, Query, Term};
use crate::core::{AccountId, FolderPath, LocalId, RequestId};
use crate::store::IndexReader;
use crate::store::index::{Scope, SearchContext};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc::UnboundedSender;

/// Matches the list shows first, before all of them arrive: a tall screen's worth with
/// room for the threads they belong to.
pub const FIRST_SCREEN: usize = 200;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn reader(path: &Path) -> Result<Option<IndexReader>, String> {
    if !path.exists() {
        return Ok(None);
    }
    IndexReader::open(path).map(Some).map_err(|e| e.to_string())
}

/// Runs a global search: the newest matches first, then all of them.
pub fn search(
    tx: UnboundedSender<AppEvent>,
    path: PathBuf,
    req: RequestId,
    query: Query,
    tagged: Vec<(AccountId, LocalId)>,
) {
    tokio::task::spawn_blocking(move || {
        let send = |result, done, complete| {
            let _ = tx.send(AppEvent::SearchResults {
                req,
                result,
                done,
                complete,
            });
        };
        let ix = match reader(&path) {
            Ok(Some(ix)) => ix,
            Ok(None) => return send(Ok(Vec::new()), true, true),
            Err(e) => return send(Err(e), true, true),
        };
        let tagged: HashSet<_> = tagged.into_iter().collect();
        let ctx = SearchContext {
            now: now(),
            tagged: &tagged,
        };
        let view = ix.view();
        let scope = Scope::default();
        let first = match view.search(query.expr.as_ref(), &scope, &ctx, Some(FIRST_SCREEN)) {
            Ok(f) => f,
            Err(e) => return send(Err(e.to_string()), true, true),
        };
        if first.envelopes.len() < FIRST_SCREEN {
            return send(Ok(first.envelopes), true, first.complete);
        }
        send(Ok(first.envelopes), false, first.complete);
        match view.search(query.expr.as_ref(), &scope, &ctx, None) {
            Ok(all) => send(Ok(all.envelopes), true, all.complete),
            Err(e) => send(Err(e.to_string()), true, true),
        }
    });
}

/// The limit's matches among `folders` (every folder when empty).
pub fn limit_matches(
    path: &Path,
    query: &Query,
    folders: Vec<(AccountId, FolderPath)>,
    tagged: Vec<(AccountId, LocalId)>,
) -> Result<HashSet<(AccountId, LocalId)>, String> {
    let Some(ix) = reader(path)? else {
        return Ok(HashSet::new());
    };
    let tagged: HashSet<_> = tagged.into_iter().collect();
    let ctx = SearchContext {
        now: now(),
        tagged: &tagged,
    };
    let scope = Scope {
        accounts: None,
        folders: (!folders.is_empty()).then_some(folders),
    };
    let found = ix
        .view()
        .search(query.expr.as_ref(), &scope, &ctx, None)
        .map_err(|e| e.to_string())?;
    Ok(found
        .envelopes
        .into_iter()
        .map(|e| (e.account, e.id))
        .collect())
}

/// (total, unread) of each saved search; a search that fails counts 0.
pub fn count_saved(path: &Path, queries: &[Query]) -> Vec<(u32, u32)> {
    let Ok(Some(ix)) = reader(path) else {
        return vec![(0, 0); queries.len()];
    };
    let tagged = HashSet::new();
    let ctx = SearchContext {
        now: now(),
        tagged: &tagged,
    };
    let view = ix.view();
    let scope = Scope::default();
    queries
        .iter()
        .map(|q| {
            let total = view.count(q.expr.as_ref(), &scope, &ctx).unwrap_or(0);
            let unread_q = match &q.expr {
                Some(e) => Expr::And(vec![e.clone(), Expr::Term(Term::Unread)]),
                None => Expr::Term(Term::Unread),
            };
            let unread = view.count(Some(&unread_q), &scope, &ctx).unwrap_or(0);
            (total as u32, unread as u32)
        })
        .collect()
}
