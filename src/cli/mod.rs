//! Headless commands: `check-config`, `list`, `read`, `search`. They bring the index up
//! to date for the folders they touch, then answer from it; output is plain text or
//! JSON, errors go to stderr with a non-zero exit status.

mod output;

use crate::account::{Account, LocalAccount};
use crate::core::query::{NoContext, Query};
use crate::core::{AccountId, Envelope, FolderPath};
use crate::mime::{BodyMode, parse_message};
use crate::run::Setup;
use crate::store::{ScanProgress, scan_folder};
use std::io::IsTerminal;
use std::path::Path;

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

fn pick_account<'a>(setup: &'a Setup, name: Option<&str>) -> Result<&'a LocalAccount, CliError> {
    match name {
        Some(n) => setup.account(&AccountId(n.into())).ok_or_else(|| {
            let names: Vec<String> = setup.accounts.iter().map(|a| a.id().0.clone()).collect();
            CliError(format!(
                "no account named {n:?} (accounts: {})",
                names.join(", ")
            ))
        }),
        None => setup
            .accounts
            .first()
            .ok_or_else(|| CliError("no accounts configured".into())),
    }
}

/// Brings one folder's index up to date, with progress on stderr when it is a terminal.
fn refresh(setup: &Setup, acc: &LocalAccount, folder: &FolderPath) -> Result<(), CliError> {
    let md = acc.tree().folder(folder).map_err(|_| {
        let names: Vec<String> = acc
            .tree()
            .folders()
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.path.0)
            .collect();
        CliError(format!(
            "account {} has no folder \"{folder}\" (folders: {})",
            acc.id(),
            names.join(", ")
        ))
    })?;
    let tty = std::io::stderr().is_terminal();
    let mut progress = |p: ScanProgress| {
        if tty && p.total > 500 {
            eprint!("\rindexing {}/{folder}: {}/{}", acc.id(), p.done, p.total);
        }
    };
    let report = scan_folder(
        &setup.index,
        acc.id(),
        folder,
        &md,
        crate::mime::header_fields,
        &mut progress,
    )
    .map_err(|e| CliError(e.to_string()))?;
    if tty && report.added > 500 {
        eprintln!();
    }
    for (name, why) in &report.unreadable {
        output::warn(&format!("{}/{folder}/{name}: {why}", acc.id()));
    }
    Ok(())
}

fn load(setup: &Setup, acc: &LocalAccount, folder: &FolderPath) -> Result<Vec<Envelope>, CliError> {
    refresh(setup, acc, folder)?;
    let ix = setup
        .index
        .lock()
        .map_err(|_| CliError("index lock poisoned".into()))?;
    ix.envelopes(acc.id(), folder)
        .map_err(|e| CliError(e.to_string()))
}

fn newest_first(envs: &mut [Envelope]) {
    envs.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.id.cmp(&b.id)));
}

/// `posthorn list`.
pub fn list(
    setup: &Setup,
    account: Option<&str>,
    folder: Option<&str>,
    json: bool,
) -> Result<(), CliError> {
    let acc = pick_account(setup, account)?;
    let folder = FolderPath(folder.unwrap_or("INBOX").to_string());
    let mut envs = load(setup, acc, &folder)?;
    newest_first(&mut envs);
    print_envelopes(&envs, json)
}

/// `posthorn search`: every folder of every account (or the ones named).
pub fn search(
    setup: &Setup,
    query: &str,
    account: Option<&str>,
    folder: Option<&str>,
    json: bool,
) -> Result<(), CliError> {
    let q = Query::parse(query).map_err(|e| CliError(e.to_string()))?;
    if q.is_empty() {
        return Err(CliError(
            "empty query (try: posthorn search from:alice is:unread)".into(),
        ));
    }
    let accounts: Vec<&LocalAccount> = match account {
        Some(_) => vec![pick_account(setup, account)?],
        None => setup.accounts.iter().collect(),
    };
    let mut hits = Vec::new();
    for acc in accounts {
        let folders = match folder {
            Some(f) => vec![FolderPath(f.into())],
            None => acc
                .tree()
                .folders()
                .map_err(|e| CliError(e.to_string()))?
                .into_iter()
                .map(|f| f.path)
                .collect(),
        };
        for f in folders {
            for e in load(setup, acc, &f)? {
                if !q.matches_envelope(&e, &NoContext) {
                    continue;
                }
                if q.needs_body() {
                    let Ok(raw) = acc.read_blocking(&e.folder, &e.id) else {
                        continue;
                    };
                    let v = parse_message(&raw);
                    let text = format!(
                        "{}\n{}",
                        v.body_text(BodyMode::Plain),
                        v.body_text(BodyMode::Html)
                    );
                    if !q.matches_body(&text) {
                        continue;
                    }
                }
                hits.push(e);
            }
        }
    }
    newest_first(&mut hits);
    print_envelopes(&hits, json)
}

/// `posthorn read ID`: ID is a message's Maildir unique name (or a unique prefix of it),
/// as `list` prints it.
pub fn read(setup: &Setup, id: &str, raw: bool) -> Result<(), CliError> {
    if id.is_empty() || id.contains('/') {
        return Err(CliError(format!(
            "{id:?} is not a message id (use an ID from `posthorn list`)"
        )));
    }
    // Make sure the index knows every folder before looking the id up.
    for acc in &setup.accounts {
        for f in acc.tree().folders().map_err(|e| CliError(e.to_string()))? {
            refresh(setup, acc, &f.path)?;
        }
    }
    let found = setup
        .index
        .lock()
        .map_err(|_| CliError("index lock poisoned".into()))?
        .locate(id)
        .map_err(|e| CliError(e.to_string()))?;
    let (account, folder, uid) = match found.as_slice() {
        [] => return Err(CliError(format!("no message with id {id:?}"))),
        [one] => one.clone(),
        many if many.iter().any(|(_, _, u)| u == id) => many
            .iter()
            .find(|(_, _, u)| u == id)
            .cloned()
            .unwrap_or_else(|| many[0].clone()),
        many => {
            return Err(CliError(format!(
                "id {id:?} is ambiguous ({} messages); give more of it",
                many.len()
            )));
        }
    };
    let acc = setup
        .account(&account)
        .ok_or_else(|| CliError(format!("no account {account}")))?;
    let bytes = acc
        .read_blocking(&folder, &crate::core::LocalId(uid))
        .map_err(|e| CliError(e.to_string()))?;
    if raw {
        use std::io::Write;
        std::io::stdout()
            .write_all(&bytes)
            .map_err(|e| CliError(e.to_string()))?;
        return Ok(());
    }
    print_message(&parse_message(&bytes))
}
