//! Carrying out effects: cached reads go straight to the store on blocking threads
//! (through each account's `CacheView`, never behind a sync); changes, scans and
//! fetches of uncached messages go to the account actors. Results come back as
//! `AppEvent`s. Nothing here names a kind of account.

use crate::account::{
    AccountCommand, AccountManager, AccountNotice, AccountOp, AccountReply, CacheView,
};
use crate::app::{AppEvent, Effect, TriageOp};
use crate::core::{AccountId, Envelope, ErrorKind, Failure, FolderPath, RequestId};
use crate::mime::{parse_message, parse_preview};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::UnboundedSender;

/// Request ids the executor makes itself (scans) live above this, apart from the app's.
const OWN_IDS: u64 = 1 << 62;

#[derive(Default)]
struct Unindexed {
    /// Given one rebuild already: shown as they are from now on (no endless wait when
    /// every file of a folder is unreadable).
    tried: HashSet<(AccountId, FolderPath)>,
    /// Their scan must reload the list even if it reports no change.
    reload: HashSet<(AccountId, FolderPath)>,
}

enum Waiting {
    Scan(AccountId, FolderPath),
    Triage,
    /// An uncached message the actor fetches for the reader.
    Fetch,
    /// Create, rename, delete, subscribe or expunge a folder.
    Folder,
    /// One step of a move between accounts.
    Transfer(Box<Transfer>),
    /// A command sent for someone else (composing): its answer goes to the callback.
    Then(Then),
}

/// What to do with the answer to a command sent through `Executor::command`.
pub type Then =
    Box<dyn FnOnce(Result<AccountReply, crate::account::AccountError>) -> Option<AppEvent> + Send>;

/// A move between accounts, carried out in three steps: the source exports the
/// messages, the destination stores them (durably), then the source removes them.
/// A failure before the last step leaves them where they were; in the last one, in
/// both accounts. Never lost.
struct Transfer {
    /// The app's request, answered once all is done.
    req: RequestId,
    source: AccountId,
    from: FolderPath,
    ids: Vec<crate::core::MessageRef>,
    to_account: AccountId,
    to: FolderPath,
    /// The destination has them.
    stored: bool,
}

pub struct Executor {
    tx: UnboundedSender<AppEvent>,
    index_path: PathBuf,
    accounts: BTreeMap<AccountId, CacheView>,
    manager: AccountManager,
    waiting: HashMap<RequestId, Waiting>,
    scanning: HashSet<(AccountId, FolderPath)>,
    /// Folders that held mail but had no envelopes (a new or rebuilt index).
    unindexed: Arc<Mutex<Unindexed>>,
    next_own: u64,
    /// The full-text indexer: woken when a scan or change may have queued messages.
    indexer: Option<super::indexer::IndexerHandle>,
    /// "Ask the servers" searches in flight.
    servers: super::server_search::ServerSearches,
}

impl Executor {
    pub fn new(
        tx: UnboundedSender<AppEvent>,
        index_path: PathBuf,
        accounts: Vec<CacheView>,
        manager: AccountManager,
    ) -> Self {
        let accounts = accounts
            .into_iter()
            .map(|c| (c.account.clone(), c))
            .collect();
        Executor {
            tx,
            index_path,
            accounts,
            manager,
            waiting: HashMap::new(),
            scanning: HashSet::new(),
            unindexed: Arc::default(),
            next_own: OWN_IDS,
            indexer: None,
            servers: Default::default(),
        }
    }

    /// Lets the executor wake the full-text indexer and tell it when scans run.
    pub fn set_indexer(&mut self, indexer: super::indexer::IndexerHandle) {
        self.indexer = Some(indexer);
    }

    /// Tells the indexer how many scans run (it waits for them) and, when one ended
    /// or something changed, that there may be new messages to index.
    fn nudge_indexer(&self, wake: bool) {
        if let Some(ix) = &self.indexer {
            ix.scans
                .store(self.scanning.len(), std::sync::atomic::Ordering::Relaxed);
            if wake {
                ix.wake();
            }
        }
    }

    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::LoadEnvelopes { req, folders } => self.load_list(req, folders),
            Effect::Scan { account, folder } => {
                if !self.scanning.insert((account.clone(), folder.clone())) {
                    return; // already scanning this folder
                }
                self.nudge_indexer(false);
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
            Effect::GetMail { account } => {
                let folder = FolderPath::inbox();
                self.scanning.insert((account.clone(), folder.clone()));
                let req = self.own_req();
                self.waiting
                    .insert(req, Waiting::Scan(account.clone(), folder));
                let op = AccountOp::GetMail;
                self.send(&account, AccountCommand { req, op });
            }
            Effect::LoadFolders { account } => self.load_folders(account, false),
            Effect::LoadMessage { req, env } => self.load_message(req, *env),
            Effect::Triage {
                req,
                account,
                op:
                    TriageOp::Transfer {
                        from,
                        ids,
                        to_account,
                        to,
                    },
            } => {
                let t = Transfer {
                    req,
                    source: account.clone(),
                    from: from.clone(),
                    ids: ids.clone(),
                    to_account,
                    to,
                    stored: false,
                };
                let step = self.own_req();
                self.waiting.insert(step, Waiting::Transfer(Box::new(t)));
                let op = AccountOp::Export { folder: from, ids };
                self.send(&account, AccountCommand { req: step, op });
            }
            Effect::Triage { req, account, op } => {
                self.nudge_indexer(true);
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
                folders,
                tagged,
            } => {
                let (path, tx) = (self.index_path.clone(), self.tx.clone());
                tokio::task::spawn_blocking(move || {
                    match super::search::limit_matches(&path, &query, folders, tagged) {
                        Ok(matches) => {
                            let _ = tx.send(AppEvent::BodySearchDone { req, matches });
                        }
                        Err(e) => {
                            let _ = tx.send(AppEvent::Error(format!("Search failed: {e}")));
                            let matches = Default::default();
                            let _ = tx.send(AppEvent::BodySearchDone { req, matches });
                        }
                    }
                });
            }
            Effect::ServerSearch {
                req,
                query,
                folders,
            } => self.server_search(req, query, folders),
            Effect::Search { req, query, tagged } => {
                super::search::search(self.tx.clone(), self.index_path.clone(), req, query, tagged)
            }
            Effect::CountSearches { queries } => {
                let (path, tx) = (self.index_path.clone(), self.tx.clone());
                tokio::task::spawn_blocking(move || {
                    let counts = super::search::count_saved(&path, &queries);
                    let _ = tx.send(AppEvent::SearchCounts { counts });
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
                        Some(acc) => super::save::save_attachment(&acc, &env, index, dest),
                        None => Err(format!("no account {}", env.account)),
                    };
                    let _ = tx.send(AppEvent::AttachmentSaved { req, result });
                });
            }
            Effect::Fetch { req, env } => self.fetch(req, *env),
            Effect::CancelScan { account, folder } => {
                let req = self.own_req();
                let op = AccountOp::CancelSync(Some(folder));
                self.send(&account, AccountCommand { req, op });
            }
            Effect::FolderOp { req, account, op } => {
                self.waiting.insert(req, Waiting::Folder);
                self.send(
                    &account,
                    AccountCommand {
                        req,
                        op: AccountOp::Folder(op),
                    },
                );
            }
            Effect::News(e) => super::news::run(self, e),
            Effect::Quit => {}
            // Carried out by `run::compose` in the UI loop (it needs the terminal).
            Effect::Compose(_) => {}
        }
    }

    /// Sends `op` to an account; `then` turns its answer into an event.
    pub fn command(&mut self, account: &AccountId, op: AccountOp, then: Then) {
        let req = self.own_req();
        self.waiting.insert(req, Waiting::Then(then));
        self.send(account, AccountCommand { req, op });
    }

    /// Lists an account's folders with their counts. At start-up (`names_first`) the
    /// bare names go out first, so the first folder starts loading before the counts.
    pub fn load_folders(&self, account: AccountId, names_first: bool) {
        // An account without a local cache (one this version cannot open) has no
        // folders to list; its state in the folder pane says why.
        let Some(acc) = self
            .accounts
            .get(&account)
            .filter(|c| c.has_store())
            .cloned()
        else {
            return;
        };
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            if names_first && let Ok(names) = acc.folder_names() {
                let _ = tx.send(AppEvent::Folders {
                    account: account.clone(),
                    folders: names,
                });
            }
            match acc.folders() {
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

    /// Reads the envelopes of the folders a list shows. A folder is never shown empty
    /// because of the index: one whose envelopes cannot be read, or that holds mail but
    /// has no envelopes (a new or rebuilt index), keeps the list as it was until its
    /// scan has rebuilt it; the list then reloads.
    fn load_list(&mut self, req: RequestId, folders: Vec<(AccountId, FolderPath)>) {
        let (path, tx) = (self.index_path.clone(), self.tx.clone());
        let caches: Vec<Option<CacheView>> = folders
            .iter()
            .map(|(a, _)| self.accounts.get(a).cloned())
            .collect();
        let unindexed = self.unindexed.clone();
        tokio::task::spawn_blocking(move || {
            let (all, failed) = load_envelopes(&path, &folders);
            let present: HashSet<(&AccountId, &FolderPath)> =
                all.iter().map(|e| (&e.account, &e.folder)).collect();
            let mut rebuild = Vec::new();
            for ((a, f), cache) in folders.iter().zip(&caches) {
                let key = (a.clone(), f.clone());
                if present.contains(&(a, f)) {
                    // Indexed again: a later rebuild gets the same wait.
                    unindexed
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .tried
                        .remove(&key);
                    continue;
                }
                let empty =
                    !present.contains(&(a, f)) && !failed.iter().any(|x| x.0 == *a && x.1 == *f);
                if empty && cache.as_ref().is_some_and(|c| c.holds_mail(f)) {
                    let mut u = unindexed.lock().unwrap_or_else(|p| p.into_inner());
                    if u.tried.insert(key.clone()) {
                        u.reload.insert(key.clone());
                        rebuild.push(key);
                    }
                }
            }
            if failed.is_empty() && rebuild.is_empty() {
                let _ = tx.send(AppEvent::EnvelopesLoaded {
                    req,
                    envelopes: all,
                });
                return;
            }
            for (a, f, e) in failed {
                let _ = tx.send(AppEvent::Error(format!(
                    "{a}/{f}: the index cannot be read ({e}); rebuilding it from the Maildir"
                )));
                unindexed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .reload
                    .insert((a.clone(), f.clone()));
                let _ = tx.send(AppEvent::Rescan {
                    account: a,
                    folder: f,
                });
            }
            for (account, folder) in rebuild {
                let _ = tx.send(AppEvent::Rescan { account, folder });
            }
        });
    }

    /// Opens a message from the cache; one that is not cached is fetched by its actor.
    fn load_message(&mut self, req: RequestId, env: Envelope) {
        let Some(cache) = self.accounts.get(&env.account).cloned() else {
            let _ = self.tx.send(AppEvent::MessageLoaded {
                req,
                result: Err(Failure::store(format!("no account {}", env.account))),
            });
            return;
        };
        let tx = self.tx.clone();
        let fetch = tokio::task::spawn_blocking(move || {
            let result = match cache.read(&env.folder, &env.id) {
                Ok(Some(raw)) => {
                    // A large message shows its first screens while the rest parses.
                    if let Some(first) = parse_preview(&raw) {
                        let _ = tx.send(AppEvent::MessageLoaded {
                            req,
                            result: Ok(first),
                        });
                    }
                    Ok(parse_message(&raw))
                }
                Ok(None) => return Some(env),
                Err(e) => Err(open_failure(e)),
            };
            let _ = tx.send(AppEvent::MessageLoaded { req, result });
            None
        });
        let back = self.tx.clone();
        tokio::spawn(async move {
            if let Ok(Some(env)) = fetch.await {
                let _ = back.send(AppEvent::FetchNeeded {
                    req,
                    env: Box::new(env),
                });
            }
        });
    }

    /// The message is not cached: its account fetches it.
    pub fn fetch(&mut self, req: RequestId, env: Envelope) {
        self.waiting.insert(req, Waiting::Fetch);
        let op = AccountOp::Fetch {
            folder: env.folder.clone(),
            id: crate::core::MessageRef::local(env.id.clone()),
        };
        self.send(&env.account, AccountCommand { req, op });
    }

    /// Sends one `UID SEARCH` request to each account with folders in scope.
    fn server_search(
        &mut self,
        req: RequestId,
        query: crate::core::query::Query,
        folders: Vec<(AccountId, FolderPath)>,
    ) {
        let Some(search) = query.imap_search(chrono::Utc::now().timestamp()) else {
            let _ = self.tx.send(AppEvent::ServerSearchDone {
                req,
                result: Err("this query cannot be asked of an IMAP server (tag:, has:attachment, attachment:, folder: and account: are answered locally only)".into()),
            });
            return;
        };
        let mut next = self.next_own;
        let cmds = self.servers.start(req, search, folders, || {
            next += 1;
            RequestId(next)
        });
        self.next_own = next;
        if cmds.is_empty() {
            let _ = self.tx.send(AppEvent::ServerSearchDone {
                req,
                result: Ok(Default::default()),
            });
        }
        for (account, cmd) in cmds {
            let step = cmd.req;
            if let Err(e) = self.manager.send(&account, cmd) {
                let err = crate::account::AccountError {
                    account: account.clone(),
                    kind: ErrorKind::Unsupported,
                    message: e.to_string(),
                };
                let (index, tx) = (self.index_path.clone(), self.tx.clone());
                self.servers.answer(step, &account, Err(err), &index, &tx);
            }
        }
    }

    fn own_req(&mut self) -> RequestId {
        self.next_own += 1;
        RequestId(self.next_own)
    }

    fn send(&mut self, account: &AccountId, cmd: AccountCommand) {
        let req = cmd.req;
        if let Err(e) = self.manager.send(account, cmd) {
            let waiting = self.waiting.remove(&req);
            let msg = Failure::new(ErrorKind::Unsupported, e.to_string());
            if let Some(Waiting::Then(then)) = waiting {
                let e = crate::account::AccountError {
                    account: account.clone(),
                    kind: ErrorKind::Unsupported,
                    message: e.to_string(),
                };
                if let Some(ev) = then(Err(e)) {
                    let _ = self.tx.send(ev);
                }
                return;
            }
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
                Some(Waiting::Fetch) => AppEvent::MessageLoaded {
                    req,
                    result: Err(msg),
                },
                Some(Waiting::Transfer(t)) => AppEvent::TriageDone {
                    req: t.req,
                    result: Err(msg),
                },
                Some(Waiting::Folder) => AppEvent::FolderOpDone {
                    req,
                    result: Err(msg),
                },
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
            AccountNotice::State { account, state } => {
                Some(AppEvent::AccountState { account, state })
            }
            AccountNotice::Capabilities { account, caps } => {
                Some(AppEvent::Capabilities { account, caps })
            }
            AccountNotice::Changed {
                account,
                folder: Some(folder),
            } => {
                self.nudge_indexer(true);
                Some(AppEvent::FolderChanged { account, folder })
            }
            AccountNotice::Changed {
                account,
                folder: None,
            } => {
                self.load_folders(account, false);
                None
            }
            AccountNotice::Note { account: _, text } => Some(AppEvent::Info(text)),
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
            } if self.servers.owns(req) => {
                let (index, tx) = (self.index_path.clone(), self.tx.clone());
                self.servers.answer(req, &account, result, &index, &tx);
                None
            }
            AccountNotice::Reply {
                account,
                req,
                result,
            } => match self.waiting.remove(&req) {
                Some(Waiting::Scan(a, f)) => {
                    self.scanning.remove(&(a.clone(), f.clone()));
                    self.nudge_indexer(true);
                    let (changed, result) = match result {
                        Ok(AccountReply::Synced { report, .. }) => {
                            if !report.unreadable.is_empty() {
                                let (name, why) = &report.unreadable[0];
                                let _ = self.tx.send(AppEvent::Error(format!(
                                    "{a}/{f}: {} file(s) could not be read, e.g. {name}: {why}",
                                    report.unreadable.len()
                                )));
                            }
                            let waited = self
                                .unindexed
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .reload
                                .remove(&(a.clone(), f.clone()));
                            (report.changed_anything() || waited, Ok(()))
                        }
                        // Cancelled: what it committed may change the list.
                        Ok(AccountReply::Cancelled { .. }) => (true, Ok(())),
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
                Some(Waiting::Fetch) => {
                    let tx = self.tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let result = match result {
                            Ok(AccountReply::Message(raw)) => Ok(parse_message(&raw.0)),
                            Ok(_) => Err(Failure::new(ErrorKind::Protocol, "no message came back")),
                            Err(e) => Err(e.into()),
                        };
                        let _ = tx.send(AppEvent::MessageLoaded { req, result });
                    });
                    None
                }
                Some(Waiting::Folder) => Some(AppEvent::FolderOpDone {
                    req,
                    result: result.map(|_| ()).map_err(Into::into),
                }),
                Some(Waiting::Triage) => Some(AppEvent::TriageDone {
                    req,
                    result: result.map(|_| ()).map_err(Into::into),
                }),
                Some(Waiting::Transfer(t)) => self.transfer_step(*t, result),
                Some(Waiting::Then(then)) => then(result),
                None => result
                    .err()
                    .map(|e| AppEvent::Error(format!("{account}: {}", e.message))),
            },
        }
    }
}

impl Executor {
    /// The next step of a move between accounts, after the answer to the last one.
    fn transfer_step(
        &mut self,
        mut t: Transfer,
        result: Result<AccountReply, crate::account::AccountError>,
    ) -> Option<AppEvent> {
        let fail = |t: &Transfer, why: String| {
            let why = if t.stored {
                format!(
                    "{why}; the messages were stored in {}/{} and are still in {}/{} too",
                    t.to_account, t.to, t.source, t.from
                )
            } else {
                why
            };
            Some(AppEvent::TriageDone {
                req: t.req,
                result: Err(Failure::new(ErrorKind::Store, why)),
            })
        };
        match result {
            Ok(AccountReply::Exported(mails)) if mails.len() == t.ids.len() => {
                let (to_account, folder) = (t.to_account.clone(), t.to.clone());
                let step = self.own_req();
                self.waiting.insert(step, Waiting::Transfer(Box::new(t)));
                let op = AccountOp::Import { folder, mails };
                self.send(&to_account, AccountCommand { req: step, op });
                None
            }
            Ok(AccountReply::Imported(new)) if new.len() == t.ids.len() => {
                t.stored = true;
                let ids = t.ids.iter().map(|r| r.id.clone()).zip(new).collect();
                let _ = self.tx.send(AppEvent::Transferred { ids });
                let (source, folder, ids) = (t.source.clone(), t.from.clone(), t.ids.clone());
                let step = self.own_req();
                self.waiting.insert(step, Waiting::Transfer(Box::new(t)));
                let op = AccountOp::Remove { folder, ids };
                self.send(&source, AccountCommand { req: step, op });
                None
            }
            Ok(AccountReply::Done { .. }) if t.stored => Some(AppEvent::TriageDone {
                req: t.req,
                result: Ok(()),
            }),
            Ok(_) => fail(&t, "the account gave an unexpected answer".into()),
            Err(e) => fail(&t, e.message),
        }
    }
}

/// Reads folders' envelopes, each in parallel parts on its own read-only
/// connections. Returns what loaded and the folders that failed.
fn load_envelopes(
    path: &std::path::Path,
    folders: &[(AccountId, FolderPath)],
) -> (Vec<Envelope>, Vec<(AccountId, FolderPath, String)>) {
    let mut all = Vec::new();
    let mut failed = Vec::new();
    for (a, f) in folders {
        match crate::store::index::envelopes_parallel(path, a, f, 2) {
            Ok(mut e) => all.append(&mut e),
            Err(e) => failed.push((a.clone(), f.clone(), e.to_string())),
        }
    }
    (all, failed)
}

fn open_failure(e: crate::store::StoreError) -> Failure {
    let kind = match e {
        crate::store::StoreError::NotFound { .. } => ErrorKind::Gone,
        _ => ErrorKind::Store,
    };
    Failure::new(kind, format!("cannot open the message: {e}"))
}
