//! Carrying out composing's effects: the compose files (one per message being written,
//! in `<index dir>/compose/<account>/`, written tmp -> fsync -> rename, so a crash or a
//! kill leaves the text for the next start), the editor, attachments and completion,
//! postponing to Drafts through the account's actor, and handing finished messages to
//! the outbox sender. Answers go back as `AppEvent::Compose`.
//!
//! The compose library and the outbox are reached only through `compose_glue`.

use super::compose_glue as glue;
use super::editor;
use super::effects::Executor;
use crate::account::{AccountOp, AccountReply, CacheView};
use crate::app::AppEvent;
use crate::app::compose::{ComposeEffect, ComposeEvent, ComposeHow, OutboxEvent};
use crate::compose::{Attachment, AttachmentData, Draft};
use crate::config::{AccountConfig, Config};
use crate::core::{AccountId, Envelope, Flags};
use crate::terminal::TerminalGuard;
use crossterm::event::EventStream;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use tokio::sync::mpsc::UnboundedSender;

pub struct ComposeRunner {
    tx: UnboundedSender<AppEvent>,
    /// `<index dir>/compose`: one directory per account.
    dir: PathBuf,
    index_path: PathBuf,
    accounts: HashMap<AccountId, AccountConfig>,
    caches: BTreeMap<AccountId, CacheView>,
    counter: u64,
    /// The outbox's background sender.
    sender: super::compose_send::Sender,
    /// Address completion's book, loaded once and kept for a while.
    book: glue::BookCache,
}

/// The outbox sender's reports, for the UI loop to wait on.
pub type SenderEvents = Option<tokio::sync::mpsc::UnboundedReceiver<super::outbox::OutboxEvent>>;

/// The compose files' directory for an index at `index_path`.
pub fn compose_dir(index_path: &Path) -> PathBuf {
    index_path
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("compose")
}

/// An account name as a directory name: kept when it is a plain name, else hex.
fn dir_name(account: &str) -> String {
    let plain = !account.is_empty()
        && !account.starts_with('.')
        && account
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if plain {
        account.to_string()
    } else {
        let hex: String = account.bytes().map(|b| format!("{b:02x}")).collect();
        format!("%{hex}")
    }
}

fn account_of_dir(name: &str) -> Option<String> {
    let Some(hex) = name.strip_prefix('%') else {
        return Some(name.to_string());
    };
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    String::from_utf8(bytes?).ok()
}

/// Each account's From choices: `from`, then `identities` (an NNTP account's own
/// `from`, the From of its articles, first).
pub fn identities(config: &Config) -> HashMap<AccountId, Vec<String>> {
    config
        .accounts
        .iter()
        .map(|(name, a)| {
            let news_from = match &a.source {
                crate::config::Source::Nntp(s) => s.from.as_ref(),
                _ => None,
            };
            let mut list: Vec<String> = Vec::new();
            for f in news_from.into_iter().chain(&a.from).chain(&a.identities) {
                if !list.contains(f) {
                    list.push(f.clone());
                }
            }
            (AccountId(name.clone()), list)
        })
        .collect()
}

impl ComposeRunner {
    pub fn new(
        tx: UnboundedSender<AppEvent>,
        index_path: &Path,
        config: &Config,
        caches: &[CacheView],
    ) -> (ComposeRunner, SenderEvents) {
        let (sender, events) = super::compose_send::Sender::start(index_path, config);
        let runner = ComposeRunner {
            tx,
            dir: compose_dir(index_path),
            index_path: index_path.to_path_buf(),
            accounts: config
                .accounts
                .iter()
                .map(|(n, a)| (AccountId(n.clone()), a.clone()))
                .collect(),
            caches: caches
                .iter()
                .map(|c| (c.account.clone(), c.clone()))
                .collect(),
            counter: 0,
            sender,
            book: glue::BookCache::default(),
        };
        (runner, events)
    }

    /// A report of the outbox sender, passed on to the app.
    pub fn on_sender(&mut self, ev: super::outbox::OutboxEvent) {
        for e in self.sender.on_event(ev) {
            self.send(e);
        }
    }

    fn send(&self, e: ComposeEvent) {
        let _ = self.tx.send(AppEvent::Compose(e));
    }

    /// Compose files a session that ended while composing left behind, oldest first.
    pub fn leftovers(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let Ok(dirs) = std::fs::read_dir(&self.dir) else {
            return out;
        };
        for d in dirs.flatten() {
            let Ok(files) = std::fs::read_dir(d.path()) else {
                continue;
            };
            for f in files.flatten() {
                let p = f.path();
                if p.extension().is_some_and(|e| e == "eml") {
                    out.push(p);
                }
            }
        }
        out.sort();
        out
    }

    /// A new compose file for `account` (its name sorts by creation time).
    fn new_file(&mut self, account: &str) -> Result<PathBuf, String> {
        let dir = self.dir.join(dir_name(account));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        self.counter += 1;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or(0);
        Ok(dir.join(format!("{now}-{}-{}.eml", std::process::id(), self.counter)))
    }

    /// Carries out one effect. Takes the terminal's event stream and gives it back
    /// (a new one after an external editor ran).
    pub async fn run(
        &mut self,
        effect: ComposeEffect,
        exec: &mut Executor,
        guard: &mut TerminalGuard,
        events: EventStream,
    ) -> EventStream {
        match effect {
            ComposeEffect::Start {
                how,
                account,
                original,
            } => match self.start(how, &account, original.as_deref()) {
                Ok((file, draft)) if how == ComposeHow::Cancel => {
                    // Asked y/n already: the cancel goes out without the editor.
                    self.send_message(file, draft);
                }
                Ok((file, draft)) => {
                    let replaces = original.filter(|_| how == ComposeHow::Resume);
                    return self.edit(guard, events, file, draft, replaces).await;
                }
                Err(e) => self.send(ComposeEvent::Failed(e)),
            },
            ComposeEffect::StartArticle { account, group } => {
                let cfg = self.accounts.get(&account);
                let started = glue::new_article(&account.0, cfg, &group.0).and_then(|draft| {
                    let file = self.new_file(&account.0)?;
                    editor::write_file(&file, &glue::render(&draft), true)?;
                    Ok((file, draft))
                });
                match started {
                    Ok((file, draft)) => return self.edit(guard, events, file, draft, None).await,
                    Err(e) => self.send(ComposeEvent::Failed(e)),
                }
            }
            ComposeEffect::Edit { file, draft } => {
                if let Err(e) = editor::write_file(&file, &glue::render(&draft), true) {
                    self.send(ComposeEvent::Failed(e));
                    return events;
                }
                return self.edit(guard, events, file, draft, None).await;
            }
            ComposeEffect::Resume { file } => self.resume(file),
            ComposeEffect::Save { file, draft } => {
                if let Err(e) = editor::write_file(&file, &glue::render(&draft), true) {
                    self.send(ComposeEvent::Failed(e));
                }
            }
            ComposeEffect::Discard { file } => remove(&file),
            ComposeEffect::Attach { path } => self.send(ComposeEvent::Attached(attach(&path))),
            ComposeEffect::CompletePath { input } => {
                let list = complete_path(&input);
                self.send(ComposeEvent::Completions { input, list });
            }
            ComposeEffect::CompleteAddress { input } => {
                let (tx, index) = (self.tx.clone(), self.index_path.clone());
                let book = self.book.clone();
                tokio::task::spawn_blocking(move || {
                    let prefix = crate::app::compose::last_address(&input).to_string();
                    let list = match book.complete(&index, &prefix, 12) {
                        Ok(list) => list,
                        Err(why) => {
                            // Say why tab did nothing, instead of an empty list.
                            let _ = tx.send(AppEvent::Error(why));
                            Vec::new()
                        }
                    };
                    let e = ComposeEvent::Completions { input, list };
                    let _ = tx.send(AppEvent::Compose(e));
                });
            }
            ComposeEffect::Send { file, draft } => self.send_message(file, draft),
            ComposeEffect::Postpone {
                file,
                draft,
                folder,
            } => self.postpone(exec, file, draft, folder),
            ComposeEffect::FileSent {
                account,
                folder,
                copy,
            } => {
                // A news account has no Sent folder: a posted article is on the server.
                let news = self
                    .accounts
                    .get(&account)
                    .is_some_and(|a| matches!(a.source, crate::config::Source::Nntp(_)));
                if !news {
                    file_copy(exec, account, folder, copy);
                }
            }
            ComposeEffect::OutboxList => self.sender.list(self.tx.clone()),
            ComposeEffect::OutboxRetry { id: _ } => self.sender.retry(),
            ComposeEffect::OutboxDelete { id } => self.sender.delete(id),
        }
        events
    }

    /// The draft a compose starts from, written to a new compose file.
    fn start(
        &mut self,
        how: ComposeHow,
        account: &AccountId,
        original: Option<&Envelope>,
    ) -> Result<(PathBuf, Draft), String> {
        let cfg = self.accounts.get(account);
        let draft = match original {
            Some(env) if how != ComposeHow::New => {
                let cache = self
                    .caches
                    .get(&env.account)
                    .ok_or_else(|| format!("no account {}", env.account))?;
                let bytes = cache
                    .read(&env.folder, &env.id)
                    .map_err(|e| format!("cannot read the message: {e}"))?
                    .ok_or("the message is not downloaded yet: open it first, then try again")?;
                let (draft, note) = glue::from_original(how, &account.0, cfg, &bytes)?;
                if let Some(note) = note {
                    self.send(ComposeEvent::Note(note));
                }
                draft
            }
            _ => glue::new_draft(&account.0, cfg)?,
        };
        let file = self.new_file(&account.0)?;
        editor::write_file(&file, &glue::render(&draft), true)?;
        Ok((file, draft))
    }

    /// Runs the editor on `file` and shows the result on the compose screen.
    async fn edit(
        &mut self,
        guard: &mut TerminalGuard,
        events: EventStream,
        file: PathBuf,
        base: Draft,
        replaces: Option<Box<Envelope>>,
    ) -> EventStream {
        let (events, result) = editor::edit(guard, events, &file).await;
        let (draft, error) = match result {
            Ok(()) => self.read_back(&file, &base),
            Err(e) => (base, Some(e)),
        };
        let sizes = sizes(&draft);
        self.send(ComposeEvent::Ready {
            file,
            draft: Box::new(draft),
            sizes,
            replaces,
            error,
        });
        events
    }

    /// The compose file as a draft; on a failure, `base` and why.
    fn read_back(&self, file: &Path, base: &Draft) -> (Draft, Option<String>) {
        match std::fs::read_to_string(file) {
            Ok(text) => match glue::parse(&text, base) {
                Ok(d) => (d, None),
                Err(e) => (base.clone(), Some(format!("{}: {e}", file.display()))),
            },
            Err(e) => (
                base.clone(),
                Some(format!("cannot read {}: {e}", file.display())),
            ),
        }
    }

    /// A compose file left by an earlier session, shown again.
    fn resume(&self, file: PathBuf) {
        let account = file
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|n| account_of_dir(&n.to_string_lossy()))
            .unwrap_or_default();
        let base = Draft {
            account,
            ..Draft::default()
        };
        let (draft, error) = self.read_back(&file, &base);
        let sizes = sizes(&draft);
        self.send(ComposeEvent::Ready {
            file,
            draft: Box::new(draft),
            sizes,
            replaces: None,
            error,
        });
    }

    /// Builds the message and queues it; the compose file goes once it is queued. If
    /// it cannot be built, the compose screen comes back with the reason.
    fn send_message(&mut self, file: PathBuf, draft: Draft) {
        let queued = match glue::build(&draft) {
            Ok(built) => self.sender.enqueue(file, draft, built),
            Err(e) => Err(Box::new((file, draft, e))),
        };
        if let Err(unsent) = queued {
            let (file, draft, e) = *unsent;
            self.send(ComposeEvent::Outbox(OutboxEvent::NotQueued {
                error: e.clone(),
            }));
            self.reopen(file, draft, e);
        }
    }

    fn reopen(&self, file: PathBuf, draft: Draft, error: String) {
        self.send(ready(file, draft, Some(error)));
    }

    /// Stores the message in the account's Drafts folder through its actor; the
    /// compose file goes only once the account has it.
    fn postpone(
        &mut self,
        exec: &mut Executor,
        file: PathBuf,
        draft: Draft,
        folder: crate::core::FolderPath,
    ) {
        let kept = match glue::build_draft(&draft) {
            Ok(b) => b.kept,
            Err(e) => {
                let result = Err(e);
                self.send(ComposeEvent::DraftSaved { file, result });
                return;
            }
        };
        let mail = crate::store::formats::Mail {
            bytes: kept,
            flags: Flags::SEEN.union(Flags::DRAFT),
            from_line: None,
        };
        let op = AccountOp::Import {
            folder,
            mails: vec![mail],
        };
        let account = AccountId(draft.account.clone());
        exec.command(
            &account,
            op,
            Box::new(move |reply| {
                let result = match reply {
                    Ok(AccountReply::Imported(_)) => {
                        remove(&file);
                        Ok(())
                    }
                    Ok(_) => Err("the account gave an unexpected answer".to_string()),
                    Err(e) => Err(e.message),
                };
                Some(AppEvent::Compose(ComposeEvent::DraftSaved { file, result }))
            }),
        );
    }
}

/// Stores the copy of a sent message in the account's Sent folder through its actor
/// (IMAP APPENDs, a local store delivers). A failure is a notice: the message was sent
/// and is never sent again for it.
fn file_copy(
    exec: &mut Executor,
    account: AccountId,
    folder: crate::core::FolderPath,
    copy: Vec<u8>,
) {
    let mail = crate::store::formats::Mail {
        bytes: copy,
        flags: Flags::SEEN,
        from_line: None,
    };
    let (a, f) = (account.clone(), folder.clone());
    let op = AccountOp::Import {
        folder,
        mails: vec![mail],
    };
    exec.command(
        &account,
        op,
        Box::new(move |reply| match reply {
            Ok(AccountReply::Imported(_)) => Some(AppEvent::FolderChanged {
                account: a,
                folder: f,
            }),
            Ok(_) => Some(AppEvent::Error(format!(
                "Sent, but the copy for {a}/{f} got an unexpected answer"
            ))),
            Err(e) => Some(AppEvent::Error(format!(
                "Sent, but no copy could be stored in {a}/{f}: {}",
                e.message
            ))),
        }),
    );
}

/// Each attachment's size: a file's length on disk, or the bytes in hand.
fn sizes(d: &Draft) -> Vec<u64> {
    d.attachments
        .iter()
        .map(|a| match &a.data {
            AttachmentData::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            AttachmentData::Bytes(b) => b.len() as u64,
        })
        .collect()
}

/// The compose screen for `draft` (with why it came back, if it did).
pub(super) fn ready(file: PathBuf, draft: Draft, error: Option<String>) -> ComposeEvent {
    ComposeEvent::Ready {
        sizes: sizes(&draft),
        file,
        draft: Box::new(draft),
        replaces: None,
        error,
    }
}

/// Removes a compose file (and makes that durable).
pub(super) fn remove(file: &Path) {
    if std::fs::remove_file(file).is_ok()
        && let Some(dir) = file.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

/// A file to attach: it must be a readable regular file.
fn attach(input: &str) -> Result<(Attachment, u64), String> {
    let path = crate::config::expand_tilde(Path::new(input.trim()));
    let path = std::path::absolute(&path).unwrap_or(path);
    let meta =
        std::fs::metadata(&path).map_err(|e| format!("cannot attach {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("cannot attach {}: not a file", path.display()));
    }
    std::fs::File::open(&path).map_err(|e| format!("cannot attach {}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".into());
    let content_type = mime_guess::from_path(&path)
        .first_or_octet_stream()
        .essence_str()
        .to_string();
    Ok((
        Attachment {
            name,
            content_type,
            data: AttachmentData::File(path),
        },
        meta.len(),
    ))
}

/// File names completing `input` (a directory part and the start of a name);
/// directories end in `/`.
pub fn complete_path(input: &str) -> Vec<String> {
    let (dir_part, prefix) = match input.rfind('/') {
        Some(i) => (&input[..=i], &input[i + 1..]),
        None => ("", input),
    };
    let dir = if dir_part.is_empty() {
        PathBuf::from(".")
    } else {
        crate::config::expand_tilde(Path::new(dir_part))
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let slash = if e.path().is_dir() { "/" } else { "" };
            Some(format!("{dir_part}{name}{slash}"))
        })
        .collect();
    out.sort();
    out.truncate(200);
    out
}
