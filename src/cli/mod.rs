//! Headless commands: `check-config`, `list`, `read`, `search`. They bring the index up
//! to date for the folders they touch (a sync through the `Account` trait, the same one
//! the TUI's actors run), then answer from read-only index connections and each
//! account's `CacheView`; output is plain text or JSON, errors go to stderr with a
//! non-zero exit status. Nothing here names a kind of account.

mod convert;
mod output;
mod send;
mod server_search;
mod sync;

pub use send::{outbox, send};
pub use sync::sync;

use crate::account::{Account, CacheView};
use crate::core::query::Query;
use crate::core::{AccountId, Envelope, FolderPath};
use crate::mime::parse_message;
use crate::run::Setup;
use crate::store::index::{Scope, SearchContext};
use crate::store::{IndexReader, ScanProgress};
use std::io::IsTerminal;
use std::path::Path;

pub use convert::convert;
pub use output::{escape_json_controls, print_envelopes, print_message};

/// A headless command's failure: the message for stderr.
#[derive(Debug, thiserror::Error)]
#[error("{}", crate::core::sanitize::line(.0))]
pub struct CliError(pub String);

/// `posthorn check-config`: prints every problem (config and key bindings together,
/// sorted by line) and every warning; Ok(true) when the file is valid.
pub fn check_config(path: &Path) -> Result<bool, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: cannot read: {e}", path.display());
            return Ok(false);
        }
    };
    let checked = crate::config::check(path, &text);
    // Bindings are checked even when another key is wrong, so one bad value does not
    // hide the rest.
    let (_, key_problems) = crate::app::Keymap::with_overrides(&checked.bindings);
    let mut errors = match &checked.config {
        Ok(_) => Vec::new(),
        Err(e) => e.clone(),
    };
    errors.extend(key_problems.into_iter().map(|(key, reason)| {
        let key = format!("keys.{key}");
        crate::config::ConfigError {
            path: path.to_path_buf(),
            line: checked.lines.get(&key).copied(),
            key,
            reason,
        }
    }));
    errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
    let mut err = String::new();
    for e in &errors {
        err.push_str(&format!(
            "{}\n",
            crate::core::sanitize::line(&e.to_string())
        ));
    }
    for w in &checked.warnings {
        err.push_str(&format!(
            "warning: {}\n",
            crate::core::sanitize::line(&w.to_string())
        ));
    }
    eprint!("{err}");
    match &checked.config {
        Ok(config) if errors.is_empty() => {
            println!(
                "{}: OK ({} account(s))",
                crate::core::sanitize::line(&path.display().to_string()),
                config.accounts.len()
            );
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Which account (its position in the setup): the named one, or the first.
pub(crate) fn pick_account(setup: &Setup, name: Option<&str>) -> Result<usize, CliError> {
    match name {
        Some(n) => setup.position(&AccountId(n.into())).ok_or_else(|| {
            let names: Vec<String> = setup.caches.iter().map(|c| c.account.0.clone()).collect();
            CliError(format!(
                "no account named {n:?} (accounts: {})",
                names.join(", ")
            ))
        }),
        None if setup.accounts.is_empty() => Err(CliError("no accounts configured".into())),
        None => Ok(0),
    }
}

fn folder_names(cache: &CacheView) -> Result<Vec<FolderPath>, CliError> {
    Ok(cache
        .folder_names()
        .map_err(|e| CliError(e.to_string()))?
        .into_iter()
        .map(|f| f.path)
        .collect())
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError(format!("cannot start: {e}")))
}

/// Brings one folder's index up to date, with progress on stderr when it is a terminal.
fn refresh(
    rt: &tokio::runtime::Runtime,
    setup: &mut Setup,
    i: usize,
    folder: &FolderPath,
) -> Result<(), CliError> {
    let cache = &setup.caches[i];
    let account = cache.account.clone();
    if folder.0.is_empty() {
        return Err(CliError(
            "the folder name is empty (try --folder INBOX)".into(),
        ));
    }
    let names = folder_names(cache)?;
    let from_cache = !setup.accounts[i].refresh_on_read();
    if !names.contains(folder) {
        // Say why, when the folder is there but cannot be read.
        if let Some(tree) = &cache.tree
            && let Err(e @ crate::store::StoreError::Io { .. }) = tree.folder(folder)
        {
            return Err(CliError(format!("{account}/{folder}: {e}")));
        }
        let names: Vec<String> = names.into_iter().map(|f| f.0).collect();
        return Err(CliError(format!(
            "account {account} has no folder \"{folder}\" (folders: {})",
            names.join(", ")
        )));
    }
    if from_cache {
        // A server account answers from what its last sync cached (`posthorn sync`).
        return Ok(());
    }
    let tty = std::io::stderr().is_terminal();
    let label = crate::core::sanitize::line(&format!("{account}/{folder}")).into_owned();
    let mut progress = |p: ScanProgress| {
        if tty && p.total > 500 {
            eprint!("\rindexing {label}: {}/{}", p.done, p.total);
        }
    };
    let acc = &mut setup.accounts[i];
    let result = rt.block_on(acc.sync_folder(folder, &mut progress));
    for n in acc.take_notes() {
        eprintln!("posthorn: {}", crate::core::sanitize::line(&n));
    }
    let report = result.map_err(|e| CliError(e.to_string()))?;
    if tty && report.added > 500 {
        eprintln!();
    }
    for (name, why) in &report.unreadable {
        output::warn(&format!("{label}/{name}: {why}"));
    }
    Ok(())
}

fn reader(setup: &Setup) -> Result<IndexReader, CliError> {
    IndexReader::open(&setup.index_path).map_err(|e| CliError(e.to_string()))
}

fn load(
    rt: &tokio::runtime::Runtime,
    setup: &mut Setup,
    i: usize,
    folder: &FolderPath,
) -> Result<Vec<Envelope>, CliError> {
    refresh(rt, setup, i, folder)?;
    reader(setup)?
        .view()
        .envelopes(&setup.caches[i].account, folder)
        .map_err(|e| CliError(e.to_string()))
}

fn newest_first(envs: &mut [Envelope]) {
    envs.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.id.cmp(&b.id)));
}

/// `posthorn list`.
pub fn list(
    setup: &mut Setup,
    account: Option<&str>,
    folder: Option<&str>,
    json: bool,
) -> Result<(), CliError> {
    let rt = runtime()?;
    let i = pick_account(setup, account)?;
    let folder = FolderPath(folder.unwrap_or("INBOX").to_string());
    let mut envs = load(&rt, setup, i, &folder)?;
    newest_first(&mut envs);
    print_envelopes(&envs, json)
}

/// What `posthorn search` prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SearchOutput {
    /// One line per message (or JSON with `--json`), newest first.
    #[default]
    Summary,
    /// The path of each match's cached file, for scripts.
    Files,
    /// The number of matches.
    Count,
}

/// `posthorn search` options besides the query.
#[derive(Clone, Debug, Default)]
pub struct SearchOptions<'a> {
    pub account: Option<&'a str>,
    pub folder: Option<&'a str>,
    pub json: bool,
    pub output: SearchOutput,
    /// Answer from the index as it is: no rescan, no indexing first.
    pub cached: bool,
    /// Also ask IMAP servers (`UID SEARCH`), for bodies that are not cached.
    pub server: bool,
}

/// Brings the full-text index up to date (progress on stderr when it is a terminal).
fn index_text(setup: &Setup) -> Result<(), CliError> {
    let mut ix = crate::run::indexer::TextIndexer::open(&setup.index_path, &setup.caches)
        .map_err(|e| CliError(e.to_string()))?;
    ix.store_target = crate::run::indexer::HEADLESS_STORE;
    let tty = std::io::stderr().is_terminal();
    let start = ix.progress().map_err(|e| CliError(e.to_string()))?;
    let mut shown = false;
    ix.run_to_end(&mut |p| {
        if tty && start.pending > 500 {
            shown = true;
            eprint!("\rindexing text: {}/{}", p.indexed, p.indexed + p.pending);
        }
    })
    .map_err(|e| CliError(e.to_string()))?;
    if shown {
        eprintln!();
    }
    // After a large build, merge the index's pieces (faster searches from now on).
    if start.pending > 1000 {
        while ix.tidy().map_err(|e| CliError(e.to_string()))? {}
    }
    Ok(())
}

/// `posthorn search`: every folder of every account (or the ones named), answered
/// from the full-text index after bringing it up to date.
pub fn search(setup: &mut Setup, query: &str, opts: &SearchOptions) -> Result<(), CliError> {
    let q = Query::parse(query).map_err(|e| CliError(e.to_string()))?;
    if q.is_empty() {
        return Err(CliError(
            "empty query (try: posthorn search from:alice is:unread)".into(),
        ));
    }
    let accounts: Vec<usize> = match opts.account {
        Some(_) => vec![pick_account(setup, opts.account)?],
        None => (0..setup.accounts.len()).collect(),
    };
    let mut folders = Vec::new();
    for &i in &accounts {
        let account = setup.caches[i].account.clone();
        match opts.folder {
            Some(f) => {
                let f = FolderPath(f.into());
                // Named with --account: it must be there; across accounts: where it is.
                if opts.account.is_some() || setup.caches[i].has_folder(&f) {
                    folders.push((i, account, f));
                }
            }
            None => folders.extend(
                folder_names(&setup.caches[i])?
                    .into_iter()
                    .map(|f| (i, account.clone(), f)),
            ),
        }
    }
    if let (Some(f), true) = (opts.folder, folders.is_empty()) {
        return Err(CliError(format!("no account has a folder \"{f}\"")));
    }
    if !opts.cached {
        let rt = runtime()?;
        for (i, _, f) in &folders {
            refresh(&rt, setup, *i, f)?;
        }
        index_text(setup)?;
    }
    let scope = Scope {
        accounts: opts.account.map(|_| {
            accounts
                .iter()
                .map(|&i| setup.caches[i].account.clone())
                .collect()
        }),
        folders: opts.folder.map(|_| {
            folders
                .iter()
                .map(|(_, a, f)| (a.clone(), f.clone()))
                .collect()
        }),
    };
    let tagged = std::collections::HashSet::new();
    let ctx = SearchContext {
        now: chrono::Utc::now().timestamp(),
        tagged: &tagged,
    };
    let ix = reader(setup)?;
    let view = ix.view();
    let err = |e: crate::store::StoreError| CliError(e.to_string());
    let pending = view.fts_pending().map_err(err)?;
    if pending > 0 {
        output::warn(&format!(
            "the full-text index is not complete ({pending} messages wait); they were matched on their headers only"
        ));
    }
    if opts.output == SearchOutput::Count && !opts.server {
        let n = view.count(q.expr.as_ref(), &scope, &ctx).map_err(err)?;
        return output::emit(&format!("{n}\n"));
    }
    let mut hits = view
        .search(q.expr.as_ref(), &scope, &ctx, None)
        .map_err(err)?
        .envelopes;
    if opts.server {
        let server = server_search::server_hits(setup, &q, &folders)?;
        server_search::merge(&mut hits, server);
    }
    if opts.output == SearchOutput::Count {
        return output::emit(&format!("{}\n", hits.len()));
    }
    newest_first(&mut hits);
    match opts.output {
        SearchOutput::Files => print_files(setup, &hits),
        _ => print_envelopes(&hits, opts.json),
    }
}

/// One cached file path per line; messages whose bodies are not cached are counted
/// in a warning.
fn print_files(setup: &Setup, hits: &[Envelope]) -> Result<(), CliError> {
    let mut text = String::new();
    let mut missing = 0;
    for e in hits {
        match setup
            .cache(&e.account)
            .map(|c| c.file_path(&e.folder, &e.id))
        {
            Some(Ok(p)) => {
                text.push_str(&crate::core::sanitize::line(&p.display().to_string()));
                text.push('\n');
            }
            _ => missing += 1,
        }
    }
    if missing > 0 {
        output::warn(&format!(
            "{missing} matching message(s) have no cached file (not fetched, or removed)"
        ));
    }
    output::emit(&text)
}

/// `posthorn read ID`: ID is a message's local id (or a unique prefix of it), as
/// `list` prints it.
pub fn read(setup: &mut Setup, id: &str, raw: bool) -> Result<(), CliError> {
    if id.is_empty() || id.contains('/') {
        return Err(CliError(format!(
            "{id:?} is not a message id (use an ID from `posthorn list`)"
        )));
    }
    let rt = runtime()?;
    // Make sure the index knows every folder before looking the id up.
    for i in 0..setup.accounts.len() {
        for f in folder_names(&setup.caches[i])? {
            refresh(&rt, setup, i, &f)?;
        }
    }
    let found = reader(setup)?
        .view()
        .locate(id, 10)
        .map_err(|e| CliError(e.to_string()))?;
    let (account, folder, uid) = match found.found.as_slice() {
        [] => return Err(CliError(format!("no message with id {id:?}"))),
        [first, ..] if first.2.0 == id || found.total == 1 => first.clone(),
        _ => {
            return Err(CliError(format!(
                "id {id:?} is ambiguous ({} messages); give more of it",
                found.total
            )));
        }
    };
    let cache = setup
        .cache(&account)
        .ok_or_else(|| CliError(format!("no account {account}")))?;
    let bytes = match cache.read(&folder, &uid) {
        Ok(Some(b)) => b,
        Ok(None) => {
            let i = pick_account(setup, Some(&account.0))?;
            let r = crate::core::MessageRef::local(uid.clone());
            rt.block_on(setup.accounts[i].fetch(&folder, &r))
                .map_err(|e| CliError(e.to_string()))?
                .0
        }
        Err(e) => return Err(CliError(e.to_string())),
    };
    if raw {
        use std::io::Write;
        std::io::stdout()
            .write_all(&bytes)
            .map_err(|e| CliError(e.to_string()))?;
        return Ok(());
    }
    print_message(&parse_message(&bytes))
}
