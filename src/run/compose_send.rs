//! The TUI's side of the outbox: starts the background sender (`run::outbox`) with each
//! account's submitter, queues built messages (the compose file goes only once the
//! message is durably queued; if it cannot be queued the compose screen comes back),
//! and turns the sender's reports into `ComposeEvent`s.
//!
//! Owns no sending logic: queueing, retries, locks and the outbox files are the outbox's.

use super::outbox::{OutboxEvent as SenderEvent, OutboxHandle};
use crate::account::Submitter;
use crate::app::compose::{ComposeEvent, EntryState, OutboxEntry, OutboxEvent};
use crate::compose::Draft;
use crate::compose::outbox::{EntryId, NewEntry, Outbox};
use crate::config::Config;
use crate::core::AccountId;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use tokio::sync::mpsc::UnboundedReceiver;

/// A message handed to the outbox and not yet acknowledged.
struct Handed {
    file: PathBuf,
    draft: Draft,
}

pub struct Sender {
    handle: Result<OutboxHandle, String>,
    can_send: HashSet<AccountId>,
    tickets: HashMap<u64, Handed>,
    sending: HashSet<String>,
}

/// The outbox directory for an index at `index_path`.
pub fn outbox_dir(index_path: &Path) -> PathBuf {
    Outbox::beside_index(index_path)
}

impl Sender {
    /// Opens the outbox and starts sending what it holds. Without an outbox (the
    /// directory cannot be made) composing still works; sending says why not.
    pub fn start(
        index_path: &Path,
        config: &Config,
    ) -> (Sender, Option<UnboundedReceiver<SenderEvent>>) {
        let submitters: BTreeMap<AccountId, Submitter> = Submitter::all(&config.accounts);
        let can_send = submitters.keys().cloned().collect();
        let dir = outbox_dir(index_path);
        let (handle, rx) = match Outbox::open(&dir) {
            Ok(outbox) => {
                let (h, rx) = OutboxHandle::start(outbox, submitters);
                (Ok(h), Some(rx))
            }
            Err(e) => (Err(format!("the outbox cannot be opened: {e}")), None),
        };
        let sender = Sender {
            handle,
            can_send,
            tickets: HashMap::new(),
            sending: HashSet::new(),
        };
        (sender, rx)
    }

    /// Queues a built message. Err: nothing was queued (the caller keeps the text).
    pub fn enqueue(
        &mut self,
        file: PathBuf,
        draft: Draft,
        built: crate::compose::Built,
    ) -> Result<(), Box<(PathBuf, Draft, String)>> {
        let account = AccountId(draft.account.clone());
        if !self.can_send.contains(&account) {
            let why = format!(
                "the account {account} has no way to send: add [accounts.{account}.smtp] or \
                 [accounts.{account}.sendmail] to the config"
            );
            return Err(Box::new((file, draft, why)));
        }
        let h = match &self.handle {
            Ok(h) => h,
            Err(e) => return Err(Box::new((file, draft, e.clone()))),
        };
        let ticket = h.enqueue(NewEntry::from_built(&draft.account, &built));
        self.tickets.insert(ticket, Handed { file, draft });
        Ok(())
    }

    /// Sends every queued entry again now.
    pub fn retry(&self) {
        if let Ok(h) = &self.handle {
            h.flush();
        }
    }

    pub fn delete(&self, id: String) {
        if let Ok(h) = &self.handle {
            h.delete(EntryId(id));
        }
    }

    /// What the outbox holds, for the outbox view (read off the render loop).
    pub fn list(&self, tx: tokio::sync::mpsc::UnboundedSender<crate::app::AppEvent>) {
        let handle = match &self.handle {
            Ok(h) => h.clone(),
            Err(e) => {
                let _ = tx.send(crate::app::AppEvent::Error(e.clone()));
                return;
            }
        };
        let sending = self.sending.clone();
        tokio::task::spawn_blocking(move || {
            let ev = match handle.list() {
                Ok(list) => {
                    OutboxEvent::List(list.into_iter().map(|l| listed(l, &sending)).collect())
                }
                Err(e) => {
                    let _ = tx.send(crate::app::AppEvent::Error(format!(
                        "the outbox cannot be listed: {e}"
                    )));
                    return;
                }
            };
            let _ = tx.send(crate::app::AppEvent::Compose(ComposeEvent::Outbox(ev)));
        });
    }

    /// The sender's report as the app's events; a queued message's compose file goes.
    pub fn on_event(&mut self, ev: SenderEvent) -> Vec<ComposeEvent> {
        match ev {
            SenderEvent::Queued { ticket, id } => {
                let Some(h) = self.tickets.remove(&ticket) else {
                    return Vec::new();
                };
                super::compose::remove(&h.file);
                let d = &h.draft;
                vec![ComposeEvent::Outbox(OutboxEvent::Queued(OutboxEntry {
                    id: id.0,
                    account: AccountId(d.account.clone()),
                    to: d.recipients().cloned().collect::<Vec<_>>().join(", "),
                    subject: d.subject.clone(),
                    attempts: 0,
                    error: None,
                    state: EntryState::Queued,
                }))]
            }
            SenderEvent::NotQueued { ticket, error } => {
                let mut out = vec![ComposeEvent::Outbox(OutboxEvent::NotQueued {
                    error: error.clone(),
                })];
                if let Some(h) = self.tickets.remove(&ticket) {
                    out.push(super::compose::ready(h.file, h.draft, Some(error)));
                }
                out
            }
            SenderEvent::Sending { id, account } => {
                self.sending.insert(id.0.clone());
                vec![ComposeEvent::Outbox(OutboxEvent::Sending {
                    id: id.0,
                    account,
                })]
            }
            SenderEvent::Sent { id, account, copy } => {
                self.sending.remove(&id.0);
                vec![ComposeEvent::Outbox(OutboxEvent::Sent {
                    id: id.0,
                    account,
                    copy,
                })]
            }
            SenderEvent::Deleted { id } => {
                vec![ComposeEvent::Outbox(OutboxEvent::Deleted { id: id.0 })]
            }
            SenderEvent::Failed {
                id,
                account: _,
                error,
                retry_in,
            } => {
                self.sending.remove(&id.0);
                let error = match retry_in {
                    Some(d) => format!("{error} (trying again in {})", human(d)),
                    None => error,
                };
                vec![ComposeEvent::Outbox(OutboxEvent::Failed {
                    id: id.0,
                    error,
                })]
            }
        }
    }
}

fn human(d: std::time::Duration) -> String {
    let s = d.as_secs();
    if s < 90 {
        format!("{s} s")
    } else {
        format!("{} min", s.div_ceil(60))
    }
}

fn listed(l: crate::compose::outbox::Listed, sending: &HashSet<String>) -> OutboxEntry {
    let id = l.id.0;
    match l.meta {
        Ok(m) => OutboxEntry {
            state: if sending.contains(&id) {
                EntryState::Sending
            } else if m.last_error.is_some() {
                EntryState::Failed
            } else {
                EntryState::Queued
            },
            id,
            account: AccountId(m.account),
            to: m.recipients.join(", "),
            subject: m.subject,
            attempts: m.attempts,
            error: m.last_error,
        },
        Err(why) => OutboxEntry {
            id,
            account: AccountId(String::new()),
            to: String::new(),
            subject: String::new(),
            attempts: 0,
            error: Some(format!("broken entry (kept, never deleted): {why}")),
            state: EntryState::Failed,
        },
    }
}
