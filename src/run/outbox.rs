//! Sending from the outbox: one attempt at one entry (`send_entry`, shared with
//! `posthorn send` and `posthorn outbox --flush`), and a background sender for the TUI.
//!
//! # The background sender
//!
//! ```ignore
//! let (outbox, mut events) = OutboxHandle::start(Outbox::open(&dir)?, submitters);
//! let ticket = outbox.enqueue(NewEntry::from_built("work", &built)); // compose::build
//! outbox.flush();            // retry every entry now (the outbox view's "r")
//! outbox.delete(id);         // give up on an entry (the outbox view's "d")
//! let entries = outbox.list()?; // what is queued, with attempts and last errors
//! while let Some(ev) = events.recv().await { /* turn into AppEvents */ }
//! ```
//!
//! - Every method returns at once; disk writes and sending run on tokio tasks. Start it
//!   inside a tokio runtime.
//! - `enqueue` writes the entry durably first (`Queued{ticket, id}`, or
//!   `NotQueued{ticket, error}`: then nothing was stored and the caller must keep the
//!   text), then sends it: `Sending{id}`, then `Sent{id, account, copy}` or
//!   `Failed{id, account, error, retry_in}`.
//! - `Sending` comes only once this sender holds the entry; one another process is
//!   sending is skipped silently (that process reports it). `delete` answers `Deleted`
//!   or `Failed` (an entry being sent cannot be deleted).
//! - `Sent.copy` is the message as kept (with Bcc): the TUI files it in the account's
//!   Sent folder (`compose::outbox::sent_folder` of its folders) through the account
//!   actor (`AccountOp::Import`, which APPENDs on IMAP and delivers on a local store). A
//!   failed copy is a notice, never a resend.
//! - Entries left from an earlier run are sent at start. After a failure an entry is
//!   retried with backoff (30 s, doubling, at most 30 min, from its attempt count);
//!   `flush` retries everything at once. An entry another process is sending (the CLI)
//!   is skipped (its flock), so nothing goes out twice.
//!
//! Free of ratatui and of the app's types; the TUI adapts the events.

use crate::account::{AccountError, AccountErrorKind, Outgoing, Submitter};
use crate::compose::outbox::{EntryId, EntryMeta, Listed, NewEntry, Outbox};
use crate::core::AccountId;
use crate::store::StoreError;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The outcome of one attempt at one entry.
#[derive(Debug)]
pub enum Attempt {
    /// The server accepted it and the entry is gone; `kept` is for the Sent copy.
    /// `meta.started` is when an earlier attempt began that never ended (a killed
    /// sender): the recipients may have got the message twice.
    Sent { meta: EntryMeta, kept: Vec<u8> },
    /// Another sender holds it, or it was sent meanwhile.
    Busy,
    /// It stays queued; `error` is what the server or command said. `meta` (with the
    /// attempt count) is None when the outbox itself failed: then no retry is planned.
    Failed {
        meta: Option<EntryMeta>,
        error: AccountError,
    },
}

fn store_error(account: &str, e: StoreError) -> AccountError {
    AccountError {
        account: AccountId(account.to_string()),
        kind: AccountErrorKind::Store,
        message: if account == "outbox" {
            e.to_string()
        } else {
            format!("outbox: {e}")
        },
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(StoreError::Invalid {
            path: Default::default(),
            reason: format!("outbox task failed: {e}"),
        }),
    }
}

/// One attempt: lock the entry, hand it to the account's submitter, then remove it
/// (accepted) or record the failure (it stays).
pub async fn send_entry(
    outbox: &Outbox,
    submitters: &BTreeMap<AccountId, Submitter>,
    id: &EntryId,
) -> Attempt {
    send_entry_with(outbox, submitters, id, |_| {}).await
}

/// `send_entry`, calling `started` once the entry is ours and about to go out.
pub async fn send_entry_with(
    outbox: &Outbox,
    submitters: &BTreeMap<AccountId, Submitter>,
    id: &EntryId,
    started: impl FnOnce(&EntryMeta),
) -> Attempt {
    let (ob, eid) = (outbox.clone(), id.clone());
    let locked = blocking(move || {
        let Some(mut lock) = ob.lock(&eid)? else {
            return Ok(None);
        };
        let kept = ob.message(&eid)?;
        let sent = ob.sent(&eid)?;
        // Durably before the first byte goes out, so a kill mid-attempt is known later.
        // Only a note: the message itself is durable, so a full disk does not stop it.
        let interrupted = lock.meta.started;
        let _ = ob.begin_attempt(&mut lock);
        Ok(Some((lock, kept, sent, interrupted)))
    })
    .await;
    let (mut lock, kept, sent, interrupted) = match locked {
        Ok(Some(x)) => x,
        Ok(None) => return Attempt::Busy,
        Err(e) => {
            return Attempt::Failed {
                meta: None,
                error: store_error("outbox", e),
            };
        }
    };
    let mut meta = lock.meta.clone();
    meta.started = interrupted;
    started(&meta);
    let account = AccountId(meta.account.clone());
    let mut accepted = Vec::new();
    let result = match submitters.get(&account) {
        Some(s) => {
            let msg = Outgoing {
                from: meta.from.clone(),
                recipients: meta.recipients.clone(),
                bytes: sent,
            };
            s.submit_tracked(&msg, &kept, &mut accepted).await
        }
        None => Err(AccountError {
            account: account.clone(),
            kind: AccountErrorKind::Unsupported,
            message: "no [smtp] or [sendmail] table for this account (or no such account)".into(),
        }),
    };
    let ob = outbox.clone();
    match result {
        Ok(()) => {
            // Accepted: a failure to remove the entry now would send it twice later,
            // so it is reported loudly; the message itself went out.
            let removed = blocking(move || ob.remove(lock)).await;
            if let Err(e) = removed {
                let error = AccountError {
                    account: account.clone(),
                    kind: AccountErrorKind::Store,
                    message: format!(
                        "the server accepted the message, but removing it from the outbox failed (delete it there, or it is sent again): {e}"
                    ),
                };
                // No meta: no automatic retry (that would most likely be a duplicate).
                return Attempt::Failed { meta: None, error };
            }
            Attempt::Sent { meta, kept }
        }
        Err(mut error) => {
            if !accepted.is_empty() {
                error.message = format!(
                    "accepted for {} of {} recipients (they will not get it again); the rest stay queued: {}",
                    accepted.len(),
                    meta.recipients.len(),
                    error.message
                );
            }
            let text = error.message.clone();
            let recorded = blocking(move || {
                ob.record_partial_failure(&mut lock, &text, &accepted)?;
                Ok(lock.meta.clone())
            })
            .await;
            Attempt::Failed {
                meta: Some(recorded.unwrap_or(meta)),
                error,
            }
        }
    }
}

/// What the background sender reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutboxEvent {
    /// The message is durably in the outbox.
    Queued {
        ticket: u64,
        id: EntryId,
    },
    /// It could not be stored; nothing was queued (keep the text).
    NotQueued {
        ticket: u64,
        error: String,
    },
    Sending {
        id: EntryId,
        account: AccountId,
    },
    /// Accepted; `copy` (the kept bytes) belongs in the account's Sent folder.
    Sent {
        id: EntryId,
        account: AccountId,
        copy: Vec<u8>,
    },
    /// The entry was deleted (`OutboxHandle::delete`).
    Deleted {
        id: EntryId,
    },
    /// Still queued; retried after `retry_in` (None: no retry is planned: the outbox
    /// itself failed, the entry is broken, or a delete was refused).
    Failed {
        id: EntryId,
        account: Option<AccountId>,
        error: String,
        retry_in: Option<Duration>,
    },
}

enum Command {
    Enqueue(u64, NewEntry),
    Flush,
    Delete(EntryId),
    Done(EntryId, Option<u32>),
}

/// The TUI's way into the outbox; cheap to clone.
#[derive(Clone)]
pub struct OutboxHandle {
    tx: mpsc::UnboundedSender<Command>,
    outbox: Outbox,
    tickets: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl OutboxHandle {
    /// Starts the sender task (on the current tokio runtime); it first sends what an
    /// earlier run left.
    pub fn start(
        outbox: Outbox,
        submitters: BTreeMap<AccountId, Submitter>,
    ) -> (OutboxHandle, mpsc::UnboundedReceiver<OutboxEvent>) {
        OutboxHandle::start_with(outbox, submitters, FIRST_RETRY)
    }

    /// `start` with another first retry delay (it doubles from there, up to 60 times).
    pub fn start_with(
        outbox: Outbox,
        submitters: BTreeMap<AccountId, Submitter>,
        first_retry: Duration,
    ) -> (OutboxHandle, mpsc::UnboundedReceiver<OutboxEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (etx, erx) = mpsc::unbounded_channel();
        let worker = Worker {
            outbox: outbox.clone(),
            submitters: std::sync::Arc::new(submitters),
            events: etx,
            me: tx.clone(),
            in_flight: BTreeSet::new(),
            due: BTreeMap::new(),
            again: BTreeSet::new(),
            first_retry,
        };
        tokio::spawn(worker.run(rx));
        let _ = tx.send(Command::Flush);
        (
            OutboxHandle {
                tx,
                outbox,
                tickets: Default::default(),
            },
            erx,
        )
    }

    /// Queues a message and sends it; the answer comes as `Queued`/`NotQueued` with
    /// this ticket.
    pub fn enqueue(&self, entry: NewEntry) -> u64 {
        let t = self
            .tickets
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let _ = self.tx.send(Command::Enqueue(t, entry));
        t
    }

    /// Retries every queued entry now.
    pub fn flush(&self) {
        let _ = self.tx.send(Command::Flush);
    }

    /// Removes an entry (the user gave up on it).
    pub fn delete(&self, id: EntryId) {
        let _ = self.tx.send(Command::Delete(id));
    }

    /// What is queued (a directory listing; call it off the render loop if the outbox
    /// may be large).
    pub fn list(&self) -> Result<Vec<Listed>, StoreError> {
        self.outbox.list()
    }
}

struct Worker {
    outbox: Outbox,
    submitters: std::sync::Arc<BTreeMap<AccountId, Submitter>>,
    events: mpsc::UnboundedSender<OutboxEvent>,
    me: mpsc::UnboundedSender<Command>,
    in_flight: BTreeSet<EntryId>,
    /// Entries waiting for their retry time.
    due: BTreeMap<EntryId, Instant>,
    /// Entries a flush asked for while they were on their way: tried again at once
    /// when that attempt ends, instead of after the backoff.
    again: BTreeSet<EntryId>,
    first_retry: Duration,
}

/// 30 s after the first failure, doubling, at most 30 min.
pub fn backoff(attempts: u32) -> Duration {
    backoff_from(FIRST_RETRY, attempts)
}

const FIRST_RETRY: Duration = Duration::from_secs(30);

/// `first` after the first failure, doubling, at most 60 times `first`.
fn backoff_from(first: Duration, attempts: u32) -> Duration {
    let n = attempts.saturating_sub(1).min(6);
    (first * (1u32 << n)).min(first * 60)
}

impl Worker {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Command>) {
        loop {
            let next = self.due.values().min().copied();
            let cmd = match next {
                Some(at) => tokio::select! {
                    c = rx.recv() => c,
                    _ = tokio::time::sleep_until(at) => {
                        self.retry_due();
                        continue;
                    }
                },
                None => rx.recv().await,
            };
            let Some(cmd) = cmd else { return };
            match cmd {
                Command::Enqueue(ticket, entry) => {
                    let ob = self.outbox.clone();
                    match blocking(move || ob.enqueue(&entry)).await {
                        Ok(id) => {
                            let _ = self.events.send(OutboxEvent::Queued {
                                ticket,
                                id: id.clone(),
                            });
                            self.start(id);
                        }
                        Err(e) => {
                            let _ = self.events.send(OutboxEvent::NotQueued {
                                ticket,
                                error: format!("the outbox could not store the message: {e}"),
                            });
                        }
                    }
                }
                Command::Flush => {
                    let ob = self.outbox.clone();
                    match blocking(move || ob.list()).await {
                        Ok(list) => {
                            for l in list.into_iter().filter(|l| l.meta.is_ok()) {
                                self.due.remove(&l.id);
                                self.start(l.id);
                            }
                        }
                        Err(e) => {
                            let _ = self.events.send(OutboxEvent::Failed {
                                id: EntryId(String::new()),
                                account: None,
                                error: format!("outbox: {e}"),
                                retry_in: None,
                            });
                        }
                    }
                }
                Command::Delete(id) => {
                    self.due.remove(&id);
                    self.again.remove(&id);
                    let ob = self.outbox.clone();
                    let id2 = id.clone();
                    let event = match blocking(move || ob.delete(&id2)).await {
                        Ok(true) => OutboxEvent::Deleted { id },
                        Ok(false) => OutboxEvent::Failed {
                            id,
                            account: None,
                            error: "it is being sent right now; not deleted".into(),
                            retry_in: None,
                        },
                        Err(e) => OutboxEvent::Failed {
                            id,
                            account: None,
                            error: format!("outbox: {e}"),
                            retry_in: None,
                        },
                    };
                    let _ = self.events.send(event);
                }
                Command::Done(id, attempts) => {
                    self.in_flight.remove(&id);
                    if self.again.remove(&id) {
                        self.start(id);
                    } else if let Some(n) = attempts {
                        self.due
                            .insert(id, Instant::now() + backoff_from(self.first_retry, n));
                    }
                }
            }
        }
    }

    fn retry_due(&mut self) {
        let now = Instant::now();
        let ready: Vec<EntryId> = self
            .due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ready {
            self.due.remove(&id);
            self.start(id);
        }
    }

    /// Sends one entry on its own task, unless it is already on its way.
    fn start(&mut self, id: EntryId) {
        if !self.in_flight.insert(id.clone()) {
            self.again.insert(id);
            return;
        }
        let (ob, subs, events, me, first_retry) = (
            self.outbox.clone(),
            self.submitters.clone(),
            self.events.clone(),
            self.me.clone(),
            self.first_retry,
        );
        tokio::spawn(async move {
            let on_start = |meta: &EntryMeta| {
                let _ = events.send(OutboxEvent::Sending {
                    id: id.clone(),
                    account: AccountId(meta.account.clone()),
                });
            };
            let retry = match send_entry_with(&ob, &subs, &id, on_start).await {
                Attempt::Sent { meta, kept } => {
                    let _ = events.send(OutboxEvent::Sent {
                        id: id.clone(),
                        account: AccountId(meta.account),
                        copy: kept,
                    });
                    None
                }
                Attempt::Busy => None,
                Attempt::Failed { meta, error } => {
                    let attempts = meta.as_ref().map(|m| m.attempts.max(1));
                    let _ = events.send(OutboxEvent::Failed {
                        id: id.clone(),
                        account: Some(error.account.clone()),
                        error: error.message,
                        retry_in: attempts.map(|n| backoff_from(first_retry, n)),
                    });
                    attempts
                }
            };
            let _ = me.send(Command::Done(id, retry));
        });
    }
}
