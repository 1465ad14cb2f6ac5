//! `posthorn search --server`: besides the index, ask each IMAP folder in scope to search
//! on the server (`UID SEARCH`), so messages whose bodies were never fetched are found by
//! their text too. Server matches are shown from the index like local ones; accounts
//! without a searching server are answered locally only.

use super::{CliError, output};
use crate::account::Account;
use crate::core::query::Query;
use crate::core::{AccountId, Envelope, FolderPath, LocalId};
use crate::run::Setup;
use crate::store::IndexReader;
use std::collections::HashSet;

/// The envelopes the servers matched among `folders` (by account index), minus nothing:
/// the caller merges them with the local hits.
pub(super) fn server_hits(
    setup: &mut Setup,
    q: &Query,
    folders: &[(usize, AccountId, FolderPath)],
) -> Result<Vec<Envelope>, CliError> {
    let now = chrono::Utc::now().timestamp();
    let Some(search) = q.imap_search(now) else {
        return Err(CliError(
            "this query cannot be asked of an IMAP server (tag:, has:attachment, attachment:, folder: and account: are answered from the index only); drop --server or those terms".into(),
        ));
    };
    let rt = super::runtime()?;
    let mut found: Vec<(AccountId, FolderPath, HashSet<LocalId>)> = Vec::new();
    let mut unsynced = 0;
    for (i, account, folder) in folders {
        match rt.block_on(setup.accounts[*i].server_search(folder, &search)) {
            Ok(None) => {}
            Ok(Some(m)) => {
                unsynced += m.unsynced;
                found.push((account.clone(), folder.clone(), m.ids.into_iter().collect()));
            }
            Err(e) => output::warn(&format!(
                "{account}/{folder}: the server search failed: {}",
                e.message
            )),
        }
    }
    if unsynced > 0 {
        output::warn(&format!(
            "{unsynced} server match(es) are not synced yet and are not shown (run posthorn sync)"
        ));
    }
    let ix = IndexReader::open(&setup.index_path).map_err(|e| CliError(e.to_string()))?;
    let view = ix.view();
    let mut out = Vec::new();
    for (account, folder, ids) in found {
        if ids.is_empty() {
            continue;
        }
        let all = view
            .envelopes(&account, &folder)
            .map_err(|e| CliError(e.to_string()))?;
        out.extend(all.into_iter().filter(|e| ids.contains(&e.id)));
    }
    Ok(out)
}

/// `hits` with the server's matches added, each message once.
pub(super) fn merge(hits: &mut Vec<Envelope>, server: Vec<Envelope>) {
    let seen: HashSet<(AccountId, FolderPath, LocalId)> = hits
        .iter()
        .map(|e| (e.account.clone(), e.folder.clone(), e.id.clone()))
        .collect();
    hits.extend(
        server
            .into_iter()
            .filter(|e| !seen.contains(&(e.account.clone(), e.folder.clone(), e.id.clone()))),
    );
}
