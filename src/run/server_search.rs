//! The runtime's side of "ask the servers" (`Effect::ServerSearch`): one `UID SEARCH`
//! request per account that has folders in scope, their answers gathered, and the
//! matches read from the index into envelopes — one `ServerSearchDone` for the app.

use crate::account::{AccountCommand, AccountError, AccountOp, AccountReply, ServerMatches};
use crate::app::{AppEvent, ServerFound};
use crate::core::query::imap::ImapSearch;
use crate::core::{AccountId, FolderPath, LocalId, RequestId};
use crate::store::IndexReader;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One server search: the app's request and what has come back so far.
struct Job {
    req: RequestId,
    left: usize,
    matches: Vec<(AccountId, FolderPath, ServerMatches)>,
    servers: usize,
    failed: Vec<String>,
}

/// The server searches in flight, by the step request each account answers.
#[derive(Default)]
pub struct ServerSearches {
    jobs: HashMap<RequestId, Job>,
    /// step request -> the app's request.
    steps: HashMap<RequestId, RequestId>,
}

impl ServerSearches {
    /// The commands to send (one per account, with a fresh step id from `next`).
    pub fn start(
        &mut self,
        req: RequestId,
        search: ImapSearch,
        folders: Vec<(AccountId, FolderPath)>,
        mut next: impl FnMut() -> RequestId,
    ) -> Vec<(AccountId, AccountCommand)> {
        let mut by_account: BTreeMap<AccountId, Vec<FolderPath>> = BTreeMap::new();
        for (a, f) in folders {
            by_account.entry(a).or_default().push(f);
        }
        let mut out = Vec::new();
        for (account, folders) in by_account {
            let step = next();
            self.steps.insert(step, req);
            let op = AccountOp::ServerSearch {
                folders,
                search: search.clone(),
            };
            out.push((account, AccountCommand { req: step, op }));
        }
        self.jobs.insert(
            req,
            Job {
                req,
                left: out.len(),
                matches: Vec::new(),
                servers: 0,
                failed: Vec::new(),
            },
        );
        out
    }

    /// Whether `step` belongs to a server search.
    pub fn owns(&self, step: RequestId) -> bool {
        self.steps.contains_key(&step)
    }

    /// An account answered (or could not be asked). When it was the last one, the job
    /// is finished: its matches are read from the index on a blocking thread and the
    /// app hears `ServerSearchDone`.
    pub fn answer(
        &mut self,
        step: RequestId,
        account: &AccountId,
        result: Result<AccountReply, AccountError>,
        index: &std::path::Path,
        tx: &tokio::sync::mpsc::UnboundedSender<AppEvent>,
    ) {
        let Some(req) = self.steps.remove(&step) else {
            return;
        };
        let Some(job) = self.jobs.get_mut(&req) else {
            return;
        };
        job.left = job.left.saturating_sub(1);
        match result {
            Ok(AccountReply::ServerMatches(Some(found))) => {
                job.servers += 1;
                job.matches
                    .extend(found.into_iter().map(|(f, m)| (account.clone(), f, m)));
            }
            Ok(_) => {}
            Err(e) => job.failed.push(format!("{account}: {}", e.message)),
        }
        if job.left > 0 {
            return;
        }
        let Some(job) = self.jobs.remove(&req) else {
            return;
        };
        let (index, tx) = (index.to_path_buf(), tx.clone());
        tokio::task::spawn_blocking(move || {
            let result = envelopes(&index, job.matches).map(|(envelopes, unsynced)| ServerFound {
                envelopes,
                unsynced,
                servers: job.servers,
                failed: job.failed,
            });
            let _ = tx.send(AppEvent::ServerSearchDone {
                req: job.req,
                result,
            });
        });
    }
}

/// The matched messages' envelopes from the index, and how many were not synced.
fn envelopes(
    index: &std::path::Path,
    matches: Vec<(AccountId, FolderPath, ServerMatches)>,
) -> Result<(Vec<crate::core::Envelope>, usize), String> {
    let ix = IndexReader::open(index).map_err(|e| e.to_string())?;
    let view = ix.view();
    let mut out = Vec::new();
    let mut unsynced = 0;
    for (account, folder, m) in matches {
        unsynced += m.unsynced;
        if m.ids.is_empty() {
            continue;
        }
        let ids: HashSet<LocalId> = m.ids.into_iter().collect();
        let all = view
            .envelopes(&account, &folder)
            .map_err(|e| e.to_string())?;
        out.extend(all.into_iter().filter(|e| ids.contains(&e.id)));
    }
    Ok((out, unsynced))
}
