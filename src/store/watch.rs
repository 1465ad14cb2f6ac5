//! Push from the local store: a watcher on the Maildir folders of one local account, so
//! that mail delivered, flagged or deleted by another program (procmail, mbsync, mutt,
//! Python's `mailbox`) shows without a manual rescan.
//!
//! What it watches: the `new/` and `cur/` directory of every folder (never `tmp/`, where a
//! delivery is still being written), plus the tree root and the parent directory of every
//! folder, where a folder directory appearing, vanishing or being renamed means "the
//! folder list changed". It reports [`WatchEvent::Folder`] when a file appears in,
//! disappears from or is renamed within `new/` or `cur/`, and [`WatchEvent::Tree`] for a
//! folder directory created or removed.
//!
//! How it coalesces: every raw event only marks its folder dirty in a set; a flusher
//! thread drains the set once the watcher has been quiet for [`QUIET`] (or at the latest
//! [`MAX_DELAY`] after the first change of a burst, so a long delivery still shows
//! progress). A 10,000-file delivery thus yields a handful of reports per folder, not
//! 10,000. An inotify queue overflow marks every folder dirty.
//!
//! Limits: inotify costs 2 watches per folder (plus one per parent directory) against
//! `fs.inotify.max_user_watches`; a folder that cannot be watched is reported as a warning
//! and the rest are still watched. NFS and other network file systems do not deliver
//! inotify events for changes made on other hosts: the account still rescans on demand.
//! A folder created after [`FolderWatcher::start`] is watched only once the caller passes
//! the reloaded list to [`FolderWatcher::sync_folders`] (after a [`WatchEvent::Tree`]);
//! mail delivered into it before then is found by the rescan that follows.
//!
//! Plain std threads and `notify`; no tokio (the account actor bridges the callback into
//! its own channel). Depends only on `core` and the store's own types.

use super::{FolderDir, StoreError};
use crate::core::FolderPath;
use notify::event::{EventKind, ModifyKind, RemoveKind};
use notify::{Event, RecursiveMode, Watcher};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the watcher must be quiet before a burst is reported.
pub const QUIET: Duration = Duration::from_millis(150);
/// The longest a change waits to be reported while a burst goes on.
pub const MAX_DELAY: Duration = Duration::from_secs(1);

/// One coalesced report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchEvent {
    /// Messages of this folder appeared, vanished or changed flags: rescan it.
    Folder(FolderPath),
    /// A folder directory was created, removed or renamed: reload the folder list.
    Tree,
    /// The watcher itself failed (for example its event queue overflowed).
    Error(String),
}

/// What a watched directory stands for.
#[derive(Clone, Debug, Default)]
struct Role {
    /// `new/` or `cur/` of this folder: any entry change dirties it.
    folder: Option<FolderPath>,
    /// A directory that holds folder directories: subdirectory changes change the tree.
    /// Counts the folders whose parent it is (it is unwatched when that reaches 0).
    tree: usize,
}

#[derive(Default)]
struct State {
    roles: HashMap<PathBuf, Role>,
    /// Folder directory -> folder, to recognise a folder renamed or removed.
    folders: HashMap<PathBuf, FolderPath>,
    dirty: BTreeSet<FolderPath>,
    tree: bool,
    errors: Vec<String>,
    first: Option<Instant>,
    last: Option<Instant>,
    stop: bool,
}

impl State {
    fn is_dirty(&self) -> bool {
        self.tree || !self.dirty.is_empty() || !self.errors.is_empty()
    }

    /// Folds one raw notify event into the dirty set.
    fn note(&mut self, event: &Event) {
        if event.need_rescan() {
            self.tree = true;
            self.dirty.extend(self.folders.values().cloned());
            self.errors
                .push("file change events were lost (queue overflow); rescanning".into());
            return;
        }
        for p in &event.paths {
            if let Some(role) = p.parent().and_then(|d| self.roles.get(d)) {
                if let Some(folder) = &role.folder
                    && entry_changed(&event.kind)
                {
                    self.dirty.insert(folder.clone());
                }
                if role.tree > 0 && self.dir_changed(&event.kind, p) {
                    self.tree = true;
                }
            }
            if self.roles.contains_key(p) && gone(&event.kind) {
                // A watched directory itself was removed or moved away.
                self.tree = true;
            }
        }
    }

    /// Whether an event in a parent directory adds, removes or renames a folder.
    fn dir_changed(&self, kind: &EventKind, p: &Path) -> bool {
        match kind {
            EventKind::Create(_) => p.is_dir(),
            EventKind::Remove(RemoveKind::Folder) => true,
            EventKind::Remove(_) => self.folders.contains_key(p),
            EventKind::Modify(ModifyKind::Name(_)) => self.folders.contains_key(p) || p.is_dir(),
            _ => false,
        }
    }
}

/// A message file appeared, vanished or was renamed (a flag change renames it).
fn entry_changed(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Any
            | EventKind::Create(_)
            | EventKind::Remove(_)
            | EventKind::Modify(ModifyKind::Name(_))
    )
}

fn gone(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
    )
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn mark(&self, f: impl FnOnce(&mut State)) {
        let mut st = self.lock();
        let was_dirty = st.is_dirty();
        f(&mut st);
        if st.is_dirty() {
            let now = Instant::now();
            st.last = Some(now);
            if !was_dirty {
                st.first = Some(now);
                self.wake.notify_all();
            }
        }
    }
}

/// Watches the folders of one Maildir tree; stops (and joins its thread) when dropped.
pub struct FolderWatcher {
    root: PathBuf,
    watcher: Option<notify::RecommendedWatcher>,
    shared: Arc<Shared>,
    flusher: Option<JoinHandle<()>>,
}

impl FolderWatcher {
    /// Starts watching `root` and `folders`, calling `on_change` from a background
    /// thread with coalesced reports. Fails only when no watcher can be created at all
    /// (for example the inotify instance limit); folders that cannot be watched come back
    /// as warnings to show the user, and the others are watched.
    pub fn start(
        root: &Path,
        folders: Vec<FolderDir>,
        on_change: impl Fn(WatchEvent) + Send + 'static,
    ) -> Result<(FolderWatcher, Vec<String>), StoreError> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
        });
        let sink = Arc::clone(&shared);
        let watcher = notify::recommended_watcher(move |res: notify::Result<Event>| {
            sink.mark(|st| match res {
                Ok(event) => st.note(&event),
                Err(e) => st.errors.push(format!("watching mail folders: {e}")),
            });
        })
        .map_err(|e| watch_error(root, e))?;
        let flusher_state = Arc::clone(&shared);
        let flusher = std::thread::Builder::new()
            .name("posthorn-watch".into())
            .spawn(move || flush_loop(&flusher_state, &on_change))
            .map_err(StoreError::io("start watcher thread", root))?;
        let mut me = FolderWatcher {
            root: root.to_path_buf(),
            watcher: Some(watcher),
            shared,
            flusher: Some(flusher),
        };
        let mut warnings = Vec::new();
        if let Err(e) = me.watch_dir(root, |r| r.tree += 1) {
            warnings.push(format!("new folders will not show by themselves: {e}"));
        }
        for f in folders {
            if let Err(e) = me.add_folder(f) {
                warnings.push(e.to_string());
            }
        }
        Ok((me, warnings))
    }

    /// Watches a folder created after `start` (idempotent). On failure nothing of the
    /// folder stays watched and the error says why.
    pub fn add_folder(&mut self, folder: FolderDir) -> Result<(), StoreError> {
        if self.shared.lock().folders.contains_key(&folder.dir) {
            return Ok(());
        }
        let mut done: Vec<PathBuf> = Vec::new();
        for sub in ["new", "cur"] {
            let dir = folder.dir.join(sub);
            let path = folder.path.clone();
            if let Err(e) = self.watch_dir(&dir, |r| r.folder = Some(path)) {
                for d in &done {
                    self.unwatch_dir(d, |r| r.folder = None);
                }
                return Err(e);
            }
            done.push(dir);
        }
        if let Some(parent) = self.parent_of(&folder.dir)
            && let Err(e) = self.watch_dir(&parent, |r| r.tree += 1)
        {
            // Messages are still watched; only sibling folders appearing go unseen.
            self.shared.mark(|st| {
                st.errors
                    .push(format!("new folders will not show by themselves: {e}"))
            });
        }
        self.shared.lock().folders.insert(folder.dir, folder.path);
        Ok(())
    }

    /// Stops watching a folder (after it was removed or renamed). Unknown folders are
    /// ignored.
    pub fn remove_folder(&mut self, path: &FolderPath) {
        let dir = {
            let mut st = self.shared.lock();
            let Some(dir) = st
                .folders
                .iter()
                .find(|(_, p)| *p == path)
                .map(|(d, _)| d.clone())
            else {
                return;
            };
            st.folders.remove(&dir);
            dir
        };
        for sub in ["new", "cur"] {
            self.unwatch_dir(&dir.join(sub), |r| r.folder = None);
        }
        if let Some(parent) = self.parent_of(&dir) {
            self.unwatch_dir(&parent, |r| r.tree = r.tree.saturating_sub(1));
        }
    }

    /// Brings the watched set in line with a reloaded folder list (call it after a
    /// [`WatchEvent::Tree`]): folders that vanished or moved are dropped first, then new
    /// ones are added. The order matters: a renamed folder keeps its inode, and inotify
    /// hands out the same watch for it, which dropping the old name afterwards would
    /// remove. Returns a warning for each folder that could not be watched.
    pub fn sync_folders(&mut self, folders: Vec<FolderDir>) -> Vec<String> {
        let stale: Vec<FolderPath> = {
            let st = self.shared.lock();
            st.folders
                .iter()
                .filter(|(dir, path)| !folders.iter().any(|f| &f.dir == *dir && &f.path == *path))
                .map(|(_, path)| path.clone())
                .collect()
        };
        for path in &stale {
            self.remove_folder(path);
        }
        folders
            .into_iter()
            .filter_map(|f| self.add_folder(f).err().map(|e| e.to_string()))
            .collect()
    }

    /// The folders being watched, sorted.
    pub fn folders(&self) -> Vec<FolderPath> {
        let mut out: Vec<FolderPath> = self.shared.lock().folders.values().cloned().collect();
        out.sort();
        out
    }

    /// The directory whose subdirectory changes reveal `dir` appearing or vanishing,
    /// when it is not the root (which is always watched).
    fn parent_of(&self, dir: &Path) -> Option<PathBuf> {
        let parent = dir.parent()?;
        (dir != self.root && parent != self.root && parent.starts_with(&self.root))
            .then(|| parent.to_path_buf())
    }

    /// Records the role of `dir` first (so that no early event is lost), then adds the
    /// inotify watch if the directory had none; undoes the record on failure.
    fn watch_dir(&mut self, dir: &Path, set: impl FnOnce(&mut Role)) -> Result<(), StoreError> {
        let fresh = {
            let mut st = self.shared.lock();
            let fresh = !st.roles.contains_key(dir);
            set(st.roles.entry(dir.to_path_buf()).or_default());
            fresh
        };
        if !fresh {
            return Ok(());
        }
        let Some(w) = self.watcher.as_mut() else {
            return Ok(());
        };
        // The lock is not held here: notify's event thread may be inside our handler.
        if let Err(e) = w.watch(dir, RecursiveMode::NonRecursive) {
            self.shared.lock().roles.remove(dir);
            return Err(watch_error(dir, e));
        }
        Ok(())
    }

    /// Clears a role of `dir` and drops its watch once it has none left.
    fn unwatch_dir(&mut self, dir: &Path, clear: impl FnOnce(&mut Role)) {
        let unused = {
            let mut st = self.shared.lock();
            let Some(role) = st.roles.get_mut(dir) else {
                return;
            };
            clear(role);
            let unused = role.folder.is_none() && role.tree == 0;
            if unused {
                st.roles.remove(dir);
            }
            unused
        };
        if unused && let Some(w) = self.watcher.as_mut() {
            // A directory already deleted lost its watch with it: nothing to undo.
            let _ = w.unwatch(dir);
        }
    }
}

impl Drop for FolderWatcher {
    fn drop(&mut self) {
        // Closes the inotify descriptor and its event thread first, so nothing new
        // arrives; then stops the flusher and waits for it (unless this is it).
        drop(self.watcher.take());
        self.shared.lock().stop = true;
        self.shared.wake.notify_all();
        if let Some(h) = self.flusher.take()
            && h.thread().id() != std::thread::current().id()
        {
            let _ = h.join();
        }
    }
}

/// Waits for a dirty burst to go quiet, then reports it: errors, then the tree, then
/// each folder once.
fn flush_loop(shared: &Shared, on_change: &dyn Fn(WatchEvent)) {
    let mut st = shared.lock();
    loop {
        if st.stop {
            return;
        }
        let (Some(first), Some(last)) = (st.first, st.last) else {
            st = shared.wake.wait(st).unwrap_or_else(PoisonError::into_inner);
            continue;
        };
        let due = (last + QUIET).min(first + MAX_DELAY);
        let now = Instant::now();
        if now < due {
            st = shared
                .wake
                .wait_timeout(st, due - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            continue;
        }
        let errors = std::mem::take(&mut st.errors);
        let tree = std::mem::take(&mut st.tree);
        let dirty = std::mem::take(&mut st.dirty);
        st.first = None;
        st.last = None;
        drop(st);
        for e in errors {
            on_change(WatchEvent::Error(e));
        }
        if tree {
            on_change(WatchEvent::Tree);
        }
        for f in dirty {
            on_change(WatchEvent::Folder(f));
        }
        st = shared.lock();
    }
}

fn watch_error(path: &Path, e: notify::Error) -> StoreError {
    let source = match e.kind {
        notify::ErrorKind::Io(io) => io,
        notify::ErrorKind::MaxFilesWatch => std::io::Error::other(
            "inotify watch limit reached (raise fs.inotify.max_user_watches); \
             changes here show only on a rescan",
        ),
        notify::ErrorKind::PathNotFound => {
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory")
        }
        other => std::io::Error::other(format!("{other:?}")),
    };
    StoreError::Io {
        op: "watch",
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, CreateKind, Flag};

    fn state() -> State {
        let mut st = State::default();
        for name in ["A", "B"] {
            let dir = PathBuf::from(format!("/m/.{name}"));
            for sub in ["new", "cur"] {
                st.roles.insert(
                    dir.join(sub),
                    Role {
                        folder: Some(FolderPath(name.into())),
                        tree: 0,
                    },
                );
            }
            st.folders.insert(dir, FolderPath(name.into()));
        }
        st.roles.insert(
            PathBuf::from("/m"),
            Role {
                folder: None,
                tree: 1,
            },
        );
        st
    }

    #[test]
    fn a_queue_overflow_dirties_every_folder_and_the_tree() {
        let mut st = state();
        st.note(&Event::new(EventKind::Other).set_flag(Flag::Rescan));
        assert!(st.tree);
        assert_eq!(st.dirty.len(), 2);
        assert_eq!(st.errors.len(), 1);
    }

    #[test]
    fn opening_a_message_or_removing_a_plain_file_changes_nothing() {
        let mut st = state();
        st.note(&Event::new(EventKind::Access(AccessKind::Any)).add_path("/m/.A/cur/1:2,S".into()));
        st.note(&Event::new(EventKind::Remove(RemoveKind::File)).add_path("/m/lock".into()));
        assert!(!st.is_dirty());
        st.note(&Event::new(EventKind::Create(CreateKind::File)).add_path("/m/.B/new/2".into()));
        st.note(&Event::new(EventKind::Remove(RemoveKind::Any)).add_path("/m/.A".into()));
        assert!(st.tree);
        assert_eq!(st.dirty, BTreeSet::from([FolderPath("B".into())]));
    }
}
