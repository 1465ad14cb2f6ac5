//! The download job of a POP3 account, step by step: log in and plan (what is new,
//! what is listed only, what is to be deleted), retrieve a batch and make it durable
//! (`disk`), DELE what is stored (delete mode) or old (delete-after-days), QUIT, then
//! the cache's own rescan of INBOX. Also the download of a listed message when it is
//! opened. Every step is bounded; dropping the job drops the connection without QUIT.

use super::conn::{Fail, Piece, Pop3Conn};
use super::disk::{self, Stored, Target, Writer};
use super::{Pop3Account, Pop3Sync};
use crate::account::local::LocalSync;
use crate::account::{Account, AccountError, RawMessage, SyncReport, SyncStep};
use crate::core::{ErrorKind, FolderPath, MessageRef};
use crate::store::{ScanProgress, StoreError, UidlRow, UidlState};
use std::collections::{HashMap, HashSet, VecDeque};

/// Messages per download step (one commit, one round of DELE).
const STEP_MESSAGES: usize = 500;
/// ...or this many bytes, whichever comes first.
const STEP_BYTES: u64 = 16 << 20;
/// A header read by TOP for a listed message is cut here.
const HEADER_LIMIT: u64 = 1 << 20;

enum Phase {
    Connect,
    Fetch,
    Finish,
    Scan(Box<LocalSync>),
}

/// A download in progress. Dropping it drops the connection without QUIT.
pub struct Download {
    phase: Phase,
    conn: Option<Pop3Conn>,
    writer: Option<Writer>,
    now: i64,
    /// (message number, UIDL, size) to download.
    fetch: VecDeque<(u32, Option<String>, u64)>,
    /// Bigger than max-size: listed from TOP.
    list: VecDeque<(u32, String, u64)>,
    /// Stored earlier and now to be deleted (delete mode, or older than N days).
    delete_old: Vec<(u32, String)>,
    /// UIDLs whose DELE the server accepted in this session.
    deleted: Vec<String>,
    total: usize,
    done: usize,
    downloaded: usize,
    listed: usize,
    bytes: u64,
}

impl Download {
    pub(super) fn new() -> Download {
        Download {
            phase: Phase::Connect,
            conn: None,
            writer: None,
            now: chrono::Utc::now().timestamp(),
            fetch: VecDeque::new(),
            list: VecDeque::new(),
            delete_old: Vec::new(),
            deleted: Vec::new(),
            total: 0,
            done: 0,
            downloaded: 0,
            listed: 0,
            bytes: 0,
        }
    }
}

impl Pop3Account {
    /// One step of a download job.
    pub(super) async fn download_step(
        &mut self,
        mut d: Box<Download>,
    ) -> Result<SyncStep<Pop3Sync>, AccountError> {
        let result = match std::mem::replace(&mut d.phase, Phase::Fetch) {
            Phase::Connect => self.plan(&mut d).await,
            Phase::Fetch if d.fetch.is_empty() && d.list.is_empty() => {
                d.phase = Phase::Finish;
                Ok(())
            }
            Phase::Fetch => self.fetch_step(&mut d).await,
            Phase::Finish => {
                let r = self.finish(&mut d).await;
                if r.is_ok() {
                    let scan = self.local.begin_sync(&FolderPath::inbox()).await?;
                    d.phase = Phase::Scan(Box::new(scan));
                }
                r
            }
            Phase::Scan(j) => {
                return Ok(match self.local.sync_step(*j).await? {
                    SyncStep::More(j, p) => {
                        d.phase = Phase::Scan(Box::new(j));
                        SyncStep::More(Pop3Sync::Download(d), p)
                    }
                    SyncStep::Done(r) => {
                        self.checked();
                        SyncStep::Done(SyncReport {
                            added: r.added.max(d.downloaded + d.listed),
                            bytes: d.bytes,
                            ..r
                        })
                    }
                });
            }
        };
        if let Err(e) = result {
            // A failed check is tried again by the next sync of INBOX.
            self.check_due = true;
            return Err(e);
        }
        let p = ScanProgress {
            done: d.done,
            total: d.total,
            ..ScanProgress::default()
        };
        Ok(SyncStep::More(Pop3Sync::Download(d), p))
    }

    /// Connects and logs in (the password command runs on a blocking thread).
    async fn connect_server(&self) -> Result<Pop3Conn, AccountError> {
        let secret = self
            .password
            .clone()
            .ok_or_else(|| self.err(ErrorKind::Auth, "no password configured ([pop3] password)"))?;
        let pw = tokio::task::spawn_blocking(move || secret.reveal())
            .await
            .map_err(|e| self.err(ErrorKind::Auth, format!("password command: {e}")))?
            .map_err(|m| self.err(ErrorKind::Auth, m))?;
        Pop3Conn::open(&self.server, &pw)
            .await
            .map_err(|f| self.fail(f))
    }

    /// Step one of a download: log in, list, recover from an interrupted run, plan.
    async fn plan(&mut self, d: &mut Download) -> Result<(), AccountError> {
        let mut conn = self.connect_server().await?;
        let uidls = conn.uidl().await.map_err(|f| self.fail(f))?;
        let sizes: HashMap<u32, u64> = conn
            .list()
            .await
            .map_err(|f| self.fail(f))?
            .into_iter()
            .collect();
        if let Some(caps) = conn.caps()
            && caps.expire.as_deref() == Some("0")
            && self.policy.leave_on_server
        {
            self.notes.push(format!(
                "{}: the server removes messages once they are downloaded (EXPIRE 0); leave-on-server cannot keep them there",
                self.id
            ));
        }
        let Some(uidls) = uidls else {
            if self.policy.leave_on_server {
                return Err(self.err(
                    ErrorKind::Unsupported,
                    format!(
                        "{} has no UIDL, so posthorn cannot tell which messages it already downloaded; leave-on-server needs it. Set leave-on-server = false to download and delete instead",
                        self.server.host
                    ),
                ));
            }
            // Delete mode without UIDL: everything, in order, deleted once stored.
            let mut all: Vec<_> = sizes.iter().map(|(n, s)| (*n, None, *s)).collect();
            all.sort_unstable_by_key(|(n, _, _)| *n);
            d.fetch = all.into();
            d.total = d.fetch.len();
            d.conn = Some(conn);
            return Ok(());
        };
        let from_names = self.policy.leave_on_server && !uidls.is_empty();
        let rows = self
            .blocking(move |h, id| disk::recover(h, id, from_names))
            .await?;
        let known: HashMap<&str, &UidlRow> = rows.iter().map(|r| (r.uidl.as_str(), r)).collect();
        let expire_before = self
            .policy
            .delete_after_days
            .map(|days| d.now - i64::from(days) * 86_400);
        let mut on_server = HashSet::with_capacity(uidls.len());
        for (n, uidl) in &uidls {
            if !on_server.insert(uidl.as_str()) {
                self.notes.push(format!(
                    "{}: the server lists the unique id {} twice; message {n} is left alone",
                    self.id,
                    crate::core::sanitize::line(uidl)
                ));
                continue;
            }
            let size = sizes.get(n).copied().unwrap_or(0);
            match known.get(uidl.as_str()) {
                Some(r) if r.state == UidlState::Stored => {
                    let expired = expire_before.is_some_and(|t| r.seen_at <= t);
                    if !self.policy.leave_on_server || expired {
                        d.delete_old.push((*n, uidl.clone()));
                    }
                }
                Some(_) => {} // listed: fetched when opened
                None if self.policy.max_size.is_some_and(|m| size > m) => {
                    d.list.push_back((*n, uidl.clone(), size))
                }
                None => d.fetch.push_back((*n, Some(uidl.clone()), size)),
            }
        }
        // The server no longer has these: nothing to remember them for.
        let gone: Vec<String> = rows
            .iter()
            .filter(|r| !on_server.contains(r.uidl.as_str()))
            .map(|r| r.uidl.clone())
            .collect();
        if !gone.is_empty() {
            self.blocking(move |h, id| disk::forget(h, id, &gone))
                .await?;
        }
        d.total = d.fetch.len() + d.list.len();
        d.conn = Some(conn);
        Ok(())
    }

    /// One step of downloading: a batch retrieved, made durable, and (delete mode)
    /// marked for deletion; then the listed ones.
    async fn fetch_step(&mut self, d: &mut Download) -> Result<(), AccountError> {
        let Some(conn) = d.conn.as_mut() else {
            return Err(self.err(ErrorKind::Network, "not connected"));
        };
        if !d.fetch.is_empty() {
            if d.writer.is_none() {
                let (h, id, now) = (self.local.handle(), self.id.clone(), d.now);
                d.writer = Some(
                    tokio::task::spawn_blocking(move || Writer::start(h, id, now))
                        .await
                        .map_err(|e| self.err(ErrorKind::Store, e.to_string()))?
                        .map_err(|e| self.store_err(e))?,
                );
            }
            let mut batch = Vec::new();
            let mut bytes = 0u64;
            while let Some(item) = d.fetch.front() {
                if !batch.is_empty() && (batch.len() >= STEP_MESSAGES || bytes >= STEP_BYTES) {
                    break;
                }
                bytes += item.2;
                batch.extend(d.fetch.pop_front());
            }
            let msgs: Vec<(u32, u64)> = batch
                .iter()
                .map(|(n, _, s)| (*n, s.saturating_mul(2).saturating_add(1 << 20)))
                .collect();
            let mut uidls: HashMap<u32, Option<String>> =
                batch.iter().map(|(n, u, _)| (*n, u.clone())).collect();
            let Some(writer) = d.writer.as_ref() else {
                return Err(self.err(ErrorKind::Store, "no writer"));
            };
            let to_fail = |e: StoreError| Fail::new(ErrorKind::Store, e.to_string());
            let mut sink = |p: Piece| -> Result<(), Fail> {
                match p {
                    Piece::Start(n) => writer
                        .start_message(
                            n,
                            Target {
                                uidl: uidls.remove(&n).flatten(),
                                listed: None,
                            },
                        )
                        .map_err(to_fail),
                    Piece::Data(b) => writer.data(b).map_err(to_fail),
                    Piece::End => writer.end_message().map_err(to_fail),
                }
            };
            conn.retrieve(&msgs, &mut sink)
                .await
                .map_err(|f| self.fail(f))?;
            let stored = writer.commit().await.map_err(|e| self.store_err(e))?;
            d.downloaded += stored.len();
            d.bytes += stored.iter().map(|s| s.size).sum::<u64>();
            d.done += batch.len();
            if !self.policy.leave_on_server {
                self.dele_stored(conn, &stored, &mut d.deleted).await?;
            }
            return Ok(());
        }
        if let Some((n, uidl, size)) = d.list.pop_front() {
            let header = conn
                .top_header(n, HEADER_LIMIT)
                .await
                .map_err(|f| self.fail(f))?
                .unwrap_or_else(|| {
                    format!("Subject: (a message of {size} bytes; TOP was refused)\n\n")
                        .into_bytes()
                });
            let now = d.now;
            self.blocking(move |h, id| disk::record_listed(h, id, &uidl, size, &header, now))
                .await?;
            d.listed += 1;
            d.done += 1;
        }
        Ok(())
    }

    async fn dele_stored(
        &self,
        conn: &mut Pop3Conn,
        stored: &[Stored],
        deleted: &mut Vec<String>,
    ) -> Result<(), AccountError> {
        let ns: Vec<u32> = stored.iter().map(|s| s.n).collect();
        conn.dele(&ns).await.map_err(|f| self.fail(f))?;
        deleted.extend(stored.iter().filter_map(|s| s.uidl.clone()));
        Ok(())
    }

    /// The end of a download: old messages deleted, QUIT, the deleted ones forgotten.
    async fn finish(&mut self, d: &mut Download) -> Result<(), AccountError> {
        let Some(mut conn) = d.conn.take() else {
            return Err(self.err(ErrorKind::Network, "not connected"));
        };
        if !d.delete_old.is_empty() {
            let ns: Vec<u32> = d.delete_old.iter().map(|(n, _)| *n).collect();
            conn.dele(&ns).await.map_err(|f| self.fail(f))?;
            d.deleted.extend(d.delete_old.drain(..).map(|(_, u)| u));
        }
        conn.quit().await.map_err(|f| self.fail(f))?;
        let deleted = std::mem::take(&mut d.deleted);
        let count = deleted.len();
        if !deleted.is_empty() {
            self.blocking(move |h, id| disk::forget(h, id, &deleted))
                .await?;
        }
        if d.downloaded + d.listed + count > 0 {
            let mut parts = vec![format!("{} new", d.downloaded)];
            if d.listed > 0 {
                parts.push(format!(
                    "{} listed (bigger than max-size; downloaded when opened)",
                    d.listed
                ));
            }
            if count > 0 {
                parts.push(format!("{count} deleted from the server"));
            }
            self.notes
                .push(format!("{}: {}", self.id, parts.join(", ")));
        }
        Ok(())
    }

    /// Downloads a listed message (bigger than max-size) when it is opened.
    pub(super) async fn fetch_listed(&mut self, row: UidlRow) -> Result<RawMessage, AccountError> {
        let mut conn = self.connect_server().await?;
        let uidls = conn.uidl().await.map_err(|f| self.fail(f))?;
        let Some(n) = uidls
            .unwrap_or_default()
            .into_iter()
            .find(|(_, u)| *u == row.uidl)
            .map(|(n, _)| n)
        else {
            let gone = vec![row.uidl.clone()];
            self.blocking(move |h, id| disk::forget(h, id, &gone))
                .await?;
            return Err(self.err(
                ErrorKind::Gone,
                "the server no longer has this message (it was listed, never downloaded)",
            ));
        };
        let size = conn
            .list()
            .await
            .map_err(|f| self.fail(f))?
            .into_iter()
            .find(|(m, _)| *m == n)
            .map_or(0, |(_, s)| s);
        let (h, id) = (self.local.handle(), self.id.clone());
        let now = chrono::Utc::now().timestamp();
        let writer = tokio::task::spawn_blocking(move || Writer::start(h, id, now))
            .await
            .map_err(|e| self.err(ErrorKind::Store, e.to_string()))?
            .map_err(|e| self.store_err(e))?;
        let to_fail = |e: StoreError| Fail::new(ErrorKind::Store, e.to_string());
        let mut target = Some(Target {
            uidl: Some(row.uidl.clone()),
            listed: Some(row.clone()),
        });
        let mut sink = |p: Piece| -> Result<(), Fail> {
            match p {
                Piece::Start(n) => match target.take() {
                    Some(t) => writer.start_message(n, t).map_err(to_fail),
                    None => Ok(()),
                },
                Piece::Data(b) => writer.data(b).map_err(to_fail),
                Piece::End => writer.end_message().map_err(to_fail),
            }
        };
        let limit = size.saturating_mul(2).saturating_add(1 << 20);
        conn.retrieve(&[(n, limit)], &mut sink)
            .await
            .map_err(|f| self.fail(f))?;
        let stored = writer.commit().await.map_err(|e| self.store_err(e))?;
        let mut deleted = Vec::new();
        if !self.policy.leave_on_server {
            self.dele_stored(&mut conn, &stored, &mut deleted).await?;
        }
        conn.quit().await.map_err(|f| self.fail(f))?;
        if !deleted.is_empty() {
            self.blocking(move |h, id| disk::forget(h, id, &deleted))
                .await?;
        }
        let Some(s) = stored.into_iter().next() else {
            return Err(self.err(ErrorKind::Protocol, "the server sent no message"));
        };
        self.local
            .fetch(&FolderPath::inbox(), &MessageRef::local(s.id))
            .await
    }
}
