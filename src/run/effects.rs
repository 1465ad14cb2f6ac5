//! Carrying out effects: cached reads go straight to the store on blocking threads;
//! changes and scans go to the account actors. Results come back as `AppEvent`s.

use crate::account::{
    AccountCommand, AccountManager, AccountNotice, AccountOp, AccountReply, LocalAccount,
};
use crate::app::{AppEvent, Effect};
use crate::core::{AccountId, Envelope, FolderPath, RequestId};
use crate::mime::{BodyMode, attachment_bytes, parse_message, safe_file_name};
use crate::store::SharedIndex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use tokio::sync::mpsc::UnboundedSender;

/// Request ids the executor makes itself (scans) live above this, apart from the app's.
const OWN_IDS: u64 = 1 << 62;

enum Waiting {
    Scan(AccountId, FolderPath),
    Triage,
}

pub struct Executor {
    tx: UnboundedSender<AppEvent>,
    index: SharedIndex,
    accounts: BTreeMap<AccountId, LocalAccount>,
    manager: AccountManager,
    waiting: HashMap<RequestId, Waiting>,
    scanning: HashSet<(AccountId, FolderPath)>,
    next_own: u64,
}

impl Executor {
    pub fn new(
        tx: UnboundedSender<AppEvent>,
        index: SharedIndex,
        accounts: Vec<LocalAccount>,
        manager: AccountManager,
    ) -> Self {
        let accounts = accounts
            .into_iter()
            .map(|a| (crate::account::Account::id(&a).clone(), a))
            .collect();
        Executor {
            tx,
            index,
            accounts,
            manager,
            waiting: HashMap::new(),
            scanning: HashSet::new(),
            next_own: OWN_IDS,
        }
    }

    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::LoadEnvelopes { req, folders } => {
                let (index, tx) = (self.index.clone(), self.tx.clone());
                tokio::task::spawn_blocking(move || {
                    let (all, errors) = load_envelopes(&index, &folders);
                    for e in errors {
                        let _ = tx.send(AppEvent::Error(e));
                    }
                    let _ = tx.send(AppEvent::EnvelopesLoaded {
                        req,
                        envelopes: all,
                    });
                });
            }
            Effect::Scan { account, folder } => {
                if !self.scanning.insert((account.clone(), folder.clone())) {
                    return; // already scanning this folder
                }
                let req = self.own_req();
                self.waiting
                    .insert(req, Waiting::Scan(account.clone(), folder.clone()));
                self.send(
                    &account,
                    AccountCommand {
                        req,
                        op: AccountOp::SyncFolder(folder),
                    },
                );
            }
            Effect::LoadFolders { account } => self.load_folders(account, false),
            Effect::LoadMessage { req, env } => {
                let acc = self.accounts.get(&env.account).cloned();
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result = match acc {
                        Some(acc) => acc
                            .read_blocking(&env.folder, &env.id)
                            .map(|raw| parse_message(&raw))
                            .map_err(|e| {
                                crate::core::Failure::store(format!("cannot open the message: {e}"))
                            }),
                        None => Err(crate::core::Failure::store(format!(
                            "no account {}",
                            env.account
                        ))),
                    };
                    let _ = tx.send(AppEvent::MessageLoaded { req, result });
                });
            }
            Effect::Triage { req, account, op } => {
                self.waiting.insert(req, Waiting::Triage);
                self.send(
                    &account,
                    AccountCommand {
                        req,
                        op: AccountOp::Triage(op),
                    },
                );
            }
            Effect::BodySearch {
                req,
                query,
                candidates,
            } => {
                let accounts = self.accounts.clone();
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let matches = body_search(&accounts, &query, &candidates);
                    let _ = tx.send(AppEvent::BodySearchDone { req, matches });
                });
            }
            Effect::SaveAttachment {
                req,
                env,
                index,
                dest,
            } => {
                let acc = self.accounts.get(&env.account).cloned();
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result = match acc {
                        Some(acc) => save_attachment(&acc, &env, index, dest),
                        None => Err(format!("no account {}", env.account)),
                    };
                    let _ = tx.send(AppEvent::AttachmentSaved { req, result });
                });
            }
            Effect::Quit => {}
        }
    }

    /// Lists an account's folders with their counts. At start-up (`names_first`) the
    /// bare names go out first, so the first folder starts loading before the counts.
    pub fn load_folders(&self, account: AccountId, names_first: bool) {
        let Some(acc) = self.accounts.get(&account).cloned() else {
            return;
        };
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            if names_first && let Ok(names) = acc.folder_names_blocking() {
                let _ = tx.send(AppEvent::Folders {
                    account: account.clone(),
                    folders: names,
                });
            }
            match acc.folders_blocking() {
                Ok(folders) => {
                    let _ = tx.send(AppEvent::Folders { account, folders });
                }
                Err(e) => {
                    let _ = tx.send(AppEvent::Error(format!(
                        "{account}: cannot list folders: {e}"
                    )));
                }
            }
        });
    }

    fn own_req(&mut self) -> RequestId {
        self.next_own += 1;
        RequestId(self.next_own)
    }

    fn send(&mut self, account: &AccountId, cmd: AccountCommand) {
        let req = cmd.req;
        if let Err(e) = self.manager.send(account, cmd) {
            let waiting = self.waiting.remove(&req);
            let msg = crate::core::Failure::new(crate::core::ErrorKind::Unsupported, e.to_string());
            let _ = self.tx.send(match waiting {
                Some(Waiting::Scan(a, f)) => {
                    self.scanning.remove(&(a.clone(), f.clone()));
                    AppEvent::ScanDone {
                        account: a,
                        folder: f,
                        changed: false,
                        result: Err(msg),
                    }
                }
                _ => AppEvent::TriageDone {
                    req,
                    result: Err(msg),
                },
            });
        }
    }

    /// Turns an actor's notice into the event `update` expects.
    pub fn on_notice(&mut self, n: AccountNotice) -> Option<AppEvent> {
        match n {
            AccountNotice::Progress {
                account,
                folder,
                done,
                total,
            } => Some(AppEvent::ScanProgress {
                account,
                folder,
                done,
                total,
            }),
            AccountNotice::Reply {
                account,
                req,
                result,
            } => match self.waiting.remove(&req) {
                Some(Waiting::Scan(a, f)) => {
                    self.scanning.remove(&(a.clone(), f.clone()));
                    let (changed, result) = match result {
                        Ok(AccountReply::Synced { report, .. }) => {
                            if !report.unreadable.is_empty() {
                                let (name, why) = &report.unreadable[0];
                                let _ = self.tx.send(AppEvent::Error(format!(
                                    "{a}/{f}: {} file(s) could not be read, e.g. {name}: {why}",
                                    report.unreadable.len()
                                )));
                            }
                            (report.changed_anything(), Ok(()))
                        }
                        Ok(_) => (false, Ok(())),
                        Err(e) => (false, Err(e.into())),
                    };
                    Some(AppEvent::ScanDone {
                        account: a,
                        folder: f,
                        changed,
                        result,
                    })
                }
                Some(Waiting::Triage) => Some(AppEvent::TriageDone {
                    req,
                    result: result.map(|_| ()).map_err(Into::into),
                }),
                None => result
                    .err()
                    .map(|e| AppEvent::Error(format!("{account}: {}", e.message))),
            },
        }
    }
}

/// Reads folders' envelopes: in parallel on their own connections when the index is a
/// file, else through the shared connection.
fn load_envelopes(
    index: &SharedIndex,
    folders: &[(AccountId, FolderPath)],
) -> (Vec<Envelope>, Vec<String>) {
    let mut all = Vec::new();
    let mut errors = Vec::new();
    let path = match index.lock() {
        Ok(ix) => ix.path().to_path_buf(),
        Err(_) => {
            return (
                all,
                vec!["the index lock is poisoned; restart posthorn".into()],
            );
        }
    };
    let file_backed = path.exists();
    for (a, f) in folders {
        let r = if file_backed {
            crate::store::Index::envelopes_parallel(&path, a, f, 2)
        } else {
            index
                .lock()
                .map_err(|_| crate::store::StoreError::Invalid {
                    path: path.clone(),
                    reason: "lock poisoned".into(),
                })
                .and_then(|ix| ix.envelopes(a, f))
        };
        match r {
            Ok(mut e) => all.append(&mut e),
            Err(e) => errors.push(e.to_string()),
        }
    }
    (all, errors)
}

fn body_search(
    accounts: &BTreeMap<AccountId, LocalAccount>,
    query: &crate::core::query::Query,
    candidates: &[Envelope],
) -> HashSet<(AccountId, crate::core::LocalId)> {
    let mut out = HashSet::new();
    for e in candidates {
        let Some(acc) = accounts.get(&e.account) else {
            continue;
        };
        let Ok(raw) = acc.read_blocking(&e.folder, &e.id) else {
            continue;
        };
        let view = parse_message(&raw);
        let mut text = view.body_text(BodyMode::Plain);
        if view.has_html() {
            text.push('\n');
            text.push_str(&view.body_text(BodyMode::Html));
        }
        if query.matches_body(&text) {
            out.insert((e.account.clone(), e.id.clone()));
        }
    }
    out
}

/// Saves an attachment: a directory destination gets the sanitised name; an existing
/// file is never overwritten; the file is private (0600).
fn save_attachment(
    acc: &LocalAccount,
    env: &Envelope,
    index: usize,
    dest: PathBuf,
) -> Result<PathBuf, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let raw = acc
        .read_blocking(&env.folder, &env.id)
        .map_err(|e| e.to_string())?;
    let (name, bytes) =
        attachment_bytes(&raw, index).ok_or("the attachment is gone from the message")?;
    let mut dest = crate::config::expand_tilde(&dest);
    if dest.is_dir() {
        dest = dest.join(safe_file_name(&name));
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&dest)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                format!("{} already exists; choose another name", dest.display())
            }
            _ => format!("cannot save to {}: {e}", dest.display()),
        })?;
    f.write_all(&bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| format!("writing {}: {e}", dest.display()))?;
    // Say where it went, not just the name typed.
    Ok(std::fs::canonicalize(&dest).unwrap_or(dest))
}
