//! The full-text indexer: empties the index's queue of messages whose text is not
//! indexed yet (`store::index::fts`), whatever put them there (a scan, an IMAP, POP3 or
//! NNTP sync, an external change). It reads each cached file through the account's
//! Maildir, extracts the text a reader sees (`mime::search_document`) on a few threads,
//! and stores a batch per short transaction on its own connection; a message whose body
//! is not cached is indexed by its envelope's headers.
//!
//! `TextIndexer` does the work in steps (the CLI runs it to the end); `spawn` runs it on
//! a background thread for the TUI, which yields to running scans and reports progress
//! as `AppEvent`s. A kill loses at most the batch in flight: the queue is in the index.

use crate::account::CacheView;
use crate::app::AppEvent;
use crate::core::{AccountId, FolderPath, LocalId};
use crate::mime::{SEARCH_MAX_BYTES, search_document};
use crate::store::index::{DocText, FtsProgress, FtsWriter, PendingDoc};
use crate::store::{Maildir, MaildirEntry, StoreError, Subdir};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Messages per batch to start with; adjusted to keep a store near `STORE_TARGET`.
const FIRST_BATCH: usize = 200;
/// How long one write transaction may hold the index (an actor's write waits that long).
const STORE_TARGET: Duration = Duration::from_millis(60);
/// The same for a headless build (`posthorn search`), which no user is waiting behind.
pub const HEADLESS_STORE: Duration = Duration::from_millis(250);

/// What one step did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub stored: usize,
    pub progress: FtsProgress,
}

type Extracted = Vec<(PendingDoc, Option<DocText>)>;

pub struct TextIndexer {
    writer: FtsWriter,
    path: std::path::PathBuf,
    caches: BTreeMap<AccountId, CacheView>,
    folders: HashMap<(AccountId, FolderPath), Option<Maildir>>,
    batch: usize,
    /// The next batch, extracted while the last one was written.
    ahead: Option<Extracted>,
    /// Messages indexed, as last counted.
    indexed: u64,
    /// How long one write transaction may hold the index (the TUI keeps it short: an
    /// actor's write waits that long; a headless build may take longer ones).
    pub store_target: Duration,
    /// Worker threads for reading and extracting.
    pub threads: usize,
    /// Time spent reading and extracting text, and writing the index (for benchmarks).
    pub spent: (Duration, Duration),
}

impl TextIndexer {
    pub fn open(index_path: &Path, caches: &[CacheView]) -> Result<TextIndexer, StoreError> {
        Ok(TextIndexer {
            writer: FtsWriter::open(index_path)?,
            path: index_path.to_path_buf(),
            caches: caches
                .iter()
                .map(|c| (c.account.clone(), c.clone()))
                .collect(),
            folders: HashMap::new(),
            batch: FIRST_BATCH,
            ahead: None,
            indexed: 0,
            store_target: STORE_TARGET,
            spent: (Duration::ZERO, Duration::ZERO),
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .clamp(1, 4),
        })
    }

    pub fn progress(&self) -> Result<FtsProgress, StoreError> {
        self.writer.progress()
    }

    /// Indexes one batch (and reads the next one meanwhile). `stored == 0` with
    /// nothing pending means the index is complete.
    pub fn step(&mut self) -> Result<Step, StoreError> {
        if !self.writer.is_current() {
            // The index was rebuilt under us: index the new file, from its own queue.
            self.writer = FtsWriter::open(&self.path)?;
            self.ahead = None;
        }
        let current = match self.ahead.take() {
            Some(a) => a,
            None => {
                let docs = self.writer.pending(self.batch, None)?;
                let jobs = self.jobs(&docs);
                let t = Instant::now();
                let texts = extract_all(&jobs, self.threads);
                self.spent.0 += t.elapsed();
                docs.into_iter().zip(texts).collect()
            }
        };
        let Some((last, _)) = current.last() else {
            // Nothing waits: say so without counting the whole index.
            return Ok(Step {
                stored: 0,
                progress: FtsProgress {
                    indexed: self.indexed,
                    pending: self.writer.pending_count()?,
                },
            });
        };
        // The batch after this one, extracted on other threads while this is written.
        let next_docs = self
            .writer
            .pending(self.batch, Some((last.folder_id, &last.uid)))?;
        let next_jobs = self.jobs(&next_docs);
        let threads = self.threads;
        let writer = &mut self.writer;
        let t = Instant::now();
        let (stored, next, took) = std::thread::scope(|s| {
            let h = s.spawn(|| {
                let t = Instant::now();
                (extract_all(&next_jobs, threads), t.elapsed())
            });
            let stored = writer.store(&current);
            let took = t.elapsed();
            let (texts, spent) = h
                .join()
                .unwrap_or_else(|_| (vec![None; next_jobs.len()], Duration::ZERO));
            (stored, (texts, spent), took)
        });
        let stored = stored?;
        self.spent.0 += next.1;
        self.spent.1 += took;
        if !next_docs.is_empty() {
            self.ahead = Some(next_docs.into_iter().zip(next.0).collect());
        }
        // Keep each write transaction near the target: size the next batch by this one.
        let took = took.max(Duration::from_millis(1));
        let scaled =
            (self.batch as f64 * self.store_target.as_secs_f64() / took.as_secs_f64()) as usize;
        self.batch = scaled.clamp(20, 5000).min(self.batch * 2);
        let progress = self.writer.progress()?;
        self.indexed = progress.indexed;
        Ok(Step { stored, progress })
    }

    /// Merges index segments a little (call when idle); false when nothing is left.
    pub fn tidy(&mut self) -> Result<bool, StoreError> {
        self.writer.merge_step(256)
    }

    /// Indexes everything queued, reporting progress after each batch.
    pub fn run_to_end(&mut self, progress: &mut dyn FnMut(FtsProgress)) -> Result<(), StoreError> {
        loop {
            let s = self.step()?;
            progress(s.progress);
            if s.progress.pending == 0 || s.stored == 0 && self.ahead.is_none() {
                return Ok(());
            }
        }
    }

    fn jobs(&mut self, docs: &[PendingDoc]) -> Vec<Option<Job>> {
        docs.iter().map(|d| self.job(d)).collect()
    }

    /// Where to read a message's text: its file (None: headers only).
    fn job(&mut self, d: &PendingDoc) -> Option<Job> {
        let name = d.file_name.as_ref()?;
        let key = (d.account.clone(), d.folder.clone());
        let md = self
            .folders
            .entry(key)
            .or_insert_with(|| {
                let tree = self.caches.get(&d.account)?.tree.as_ref()?;
                tree.folder(&d.folder).ok()
            })
            .clone()?;
        Some(Job {
            maildir: md,
            id: LocalId(d.uid.clone()),
            file_name: name.clone(),
        })
    }
}

/// A file to read.
struct Job {
    maildir: Maildir,
    id: LocalId,
    file_name: String,
}

/// The first `SEARCH_MAX_BYTES` of a message: where the index says it is, else wherever
/// its id is now (it was renamed since).
fn read(job: &Job) -> Option<Vec<u8>> {
    let open = |e: &MaildirEntry| std::fs::File::open(job.maildir.file_path(e)).ok();
    let file = [Subdir::Cur, Subdir::New]
        .into_iter()
        .find_map(|s| open(&MaildirEntry::from_file_name(&job.file_name, s)))
        .or_else(|| {
            let e = job.maildir.locate(&job.id, None).ok()?;
            open(&e)
        })?;
    let mut buf = Vec::new();
    file.take(SEARCH_MAX_BYTES as u64)
        .read_to_end(&mut buf)
        .ok()?;
    Some(buf)
}

fn extract(job: &Job) -> Option<DocText> {
    let raw = read(job)?;
    // A parser crash costs this message its body text, never the indexer.
    let doc = std::panic::catch_unwind(|| search_document(&raw)).ok()?;
    Some(DocText {
        cc: doc.cc,
        body: doc.body,
        attachments: doc.attachments,
    })
}

/// Extracts the texts of a batch on `threads` threads, in order.
fn extract_all(jobs: &[Option<Job>], threads: usize) -> Vec<Option<DocText>> {
    let chunk = jobs.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|j| j.as_ref().and_then(extract))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(jobs.chunks(chunk))
            .flat_map(|(h, part)| h.join().unwrap_or_else(|_| vec![None; part.len()]))
            .collect()
    })
}

/// The TUI's side of the background indexer.
pub struct IndexerHandle {
    wake: std::sync::mpsc::Sender<()>,
    /// Scans running now; the indexer waits for them (the list comes first).
    pub scans: Arc<AtomicUsize>,
}

impl IndexerHandle {
    /// Something may have been queued: look now instead of at the next poll.
    pub fn wake(&self) {
        let _ = self.wake.send(());
    }
}

/// How often an idle indexer looks at the queue (changes it was not told about).
const POLL: Duration = Duration::from_secs(3);
/// The longest the indexer waits for scans before doing one batch anyway.
const YIELD_LIMIT: Duration = Duration::from_secs(2);

/// Starts the background indexer thread. It stops when the handle is dropped.
pub fn spawn(
    index_path: &Path,
    caches: &[CacheView],
    tx: tokio::sync::mpsc::UnboundedSender<AppEvent>,
) -> IndexerHandle {
    let (wake, woken) = std::sync::mpsc::channel::<()>();
    let scans = Arc::new(AtomicUsize::new(0));
    let handle = IndexerHandle {
        wake,
        scans: scans.clone(),
    };
    let (path, caches) = (index_path.to_path_buf(), caches.to_vec());
    let run = move || {
        let mut ix = match TextIndexer::open(&path, &caches) {
            Ok(ix) => ix,
            Err(e) => {
                let _ = tx.send(AppEvent::Error(format!(
                    "search: the full-text index cannot be opened ({e}); searches see headers only"
                )));
                return;
            }
        };
        background(&mut ix, &woken, &scans, &tx);
    };
    if let Err(e) = std::thread::Builder::new()
        .name("text-indexer".into())
        .spawn(run)
    {
        // Searches still work, on envelopes; say why bodies are not searched.
        eprintln!("posthorn: cannot start the text indexer: {e}");
    }
    handle
}

fn background(
    ix: &mut TextIndexer,
    woken: &std::sync::mpsc::Receiver<()>,
    scans: &AtomicUsize,
    tx: &tokio::sync::mpsc::UnboundedSender<AppEvent>,
) {
    use std::sync::mpsc::RecvTimeoutError;
    let mut reported = None;
    let mut tidy = false;
    let mut waited = Duration::ZERO;
    loop {
        // Scans first: they decide what the list shows. Never starve, though.
        if scans.load(Ordering::Relaxed) > 0 && waited < YIELD_LIMIT {
            std::thread::sleep(Duration::from_millis(100));
            waited += Duration::from_millis(100);
            continue;
        }
        waited = Duration::ZERO;
        let step = match ix.step() {
            Ok(s) => s,
            Err(e) => {
                let _ = tx.send(AppEvent::Error(format!("search: indexing failed: {e}")));
                match woken.recv_timeout(POLL * 10) {
                    Err(RecvTimeoutError::Disconnected) => return,
                    _ => continue,
                }
            }
        };
        if reported != Some(step.progress) {
            reported = Some(step.progress);
            if tx
                .send(AppEvent::TextIndexed {
                    indexed: step.progress.indexed,
                    pending: step.progress.pending,
                    stored: step.stored,
                })
                .is_err()
            {
                return;
            }
        }
        if step.stored > 0 {
            tidy = true;
            continue;
        }
        // Idle: merge what the build left in pieces, a little at a time.
        if tidy {
            tidy = matches!(ix.tidy(), Ok(true));
            if tidy {
                continue;
            }
        }
        match woken.recv_timeout(POLL) {
            Err(RecvTimeoutError::Disconnected) => return,
            _ => while woken.try_recv().is_ok() {},
        }
    }
}
