//! The Maildir watcher seen from outside: ANOTHER PROCESS (Python's `mailbox`, `mv`, `rm`,
//! `mkdir`) changes a Maildir++ tree while a `FolderWatcher` runs, and each change must
//! come back as the matching coalesced event.
//!
//! No test measures time. Waits are liveness bounds (`LIVENESS`), and "nothing was
//! reported" is proven with a barrier: a delivery into the folder `Zz`, which sorts last,
//! so once `Folder(Zz)` arrives every change made before it has been reported.

use posthorn::core::FolderPath;
use posthorn::store::{FolderDir, FolderWatcher, MaildirTree, WatchEvent};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

const LIVENESS: Duration = Duration::from_secs(30);
const BARRIER: &str = "Zz";

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    watcher: FolderWatcher,
    warnings: Vec<String>,
    rx: Receiver<WatchEvent>,
}

fn folder(name: &str) -> WatchEvent {
    WatchEvent::Folder(FolderPath(name.into()))
}

fn make_folder(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(format!(".{name}"));
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::write(dir.join("maildirfolder"), b"").unwrap();
    dir
}

/// A Maildir++ tree with INBOX, A, B, C, D and the barrier folder; B holds one unread
/// message in new/, C and D one message each in cur/.
fn fixture_with(extra: Vec<FolderDir>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("mail");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    for name in ["A", "B", "C", "D", BARRIER] {
        make_folder(&root, name);
    }
    let m = b"From: a@example.org\nSubject: hi\n\nbody\n";
    std::fs::write(root.join(".B/new/100.M1P1.host"), m).unwrap();
    std::fs::write(root.join(".C/cur/200.M1P1.host:2,S"), m).unwrap();
    std::fs::write(root.join(".D/cur/300.M1P1.host:2,"), m).unwrap();
    let mut folders = MaildirTree::open(&root).unwrap().folders().unwrap();
    assert_eq!(folders.len(), 6);
    folders.extend(extra);
    let (tx, rx) = channel();
    let (watcher, warnings) = FolderWatcher::start(&root, folders, move |e| {
        let _ = tx.send(e);
    })
    .unwrap();
    Fixture {
        _dir: dir,
        root,
        watcher,
        warnings,
        rx,
    }
}

fn fixture() -> Fixture {
    let fx = fixture_with(Vec::new());
    assert_eq!(fx.warnings, Vec::<String>::new());
    fx
}

/// Runs a shell command in the tree root, as another program would.
fn sh(root: &Path, cmd: &str) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{cmd}: {out:?}");
}

/// Delivers `n` messages into the Maildir at `dir` with Python's `mailbox` module.
fn python_deliver(dir: &Path, n: usize) {
    let script = "import mailbox, sys\n\
                  box = mailbox.Maildir(sys.argv[1], create=False)\n\
                  for i in range(int(sys.argv[2])):\n\
                  \x20   box.add(b'From: p@example.org\\nSubject: %d\\n\\nbody\\n' % i)\n";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(dir)
        .arg(n.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "python mailbox delivery: {out:?}");
}

impl Fixture {
    /// Waits (at most `LIVENESS`) for `want`; returns every event seen before it.
    fn wait_for(&self, want: &WatchEvent) -> Vec<WatchEvent> {
        let deadline = Instant::now() + LIVENESS;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(e) if &e == want => return seen,
                Ok(e) => seen.push(e),
                Err(e) => panic!("no {want:?} ({e:?}); saw {seen:?}"),
            }
        }
    }

    /// Every event reported for changes made before this call.
    fn barrier(&self) -> Vec<WatchEvent> {
        python_deliver(&self.root.join(format!(".{BARRIER}")), 1);
        self.wait_for(&folder(BARRIER))
    }
}

#[test]
fn a_python_mailbox_delivery_reports_its_folder() {
    let fx = fixture();
    python_deliver(&fx.root.join(".A"), 1);
    fx.wait_for(&folder("A"));
    python_deliver(&fx.root, 1);
    fx.wait_for(&folder("INBOX"));
}

#[test]
fn flagging_with_mv_from_new_to_cur_reports_the_folder() {
    let fx = fixture();
    sh(&fx.root, "mv .B/new/100.M1P1.host .B/cur/100.M1P1.host:2,S");
    fx.wait_for(&folder("B"));
}

#[test]
fn deleting_from_cur_with_rm_reports_the_folder() {
    let fx = fixture();
    sh(&fx.root, "rm .C/cur/200.M1P1.host:2,S");
    fx.wait_for(&folder("C"));
}

#[test]
fn a_flag_change_renaming_within_cur_reports_the_folder() {
    let fx = fixture();
    sh(
        &fx.root,
        "mv .D/cur/300.M1P1.host:2, .D/cur/300.M1P1.host:2,FS",
    );
    fx.wait_for(&folder("D"));
}

#[test]
fn a_new_folder_changes_the_tree_and_is_watched_once_added() {
    let mut fx = fixture();
    sh(&fx.root, "mkdir -p .Sub/cur .Sub/new .Sub/tmp");
    fx.wait_for(&WatchEvent::Tree);
    let sub = MaildirTree::open(&fx.root)
        .unwrap()
        .folders()
        .unwrap()
        .into_iter()
        .find(|f| f.path.0 == "Sub")
        .unwrap();
    fx.watcher.add_folder(sub).unwrap();
    python_deliver(&fx.root.join(".Sub"), 1);
    fx.wait_for(&folder("Sub"));
    sh(&fx.root, "rm -r .Sub");
    fx.wait_for(&WatchEvent::Tree);
    fx.watcher.remove_folder(&FolderPath("Sub".into()));
    assert!(!fx.watcher.folders().contains(&FolderPath("Sub".into())));
}

#[test]
fn nothing_in_tmp_and_no_reading_is_reported() {
    let fx = fixture();
    sh(
        &fx.root,
        "echo x > tmp/1.M1P1.host && mv tmp/1.M1P1.host tmp/2 && rm tmp/2 && \
         echo x > .A/tmp/3 && rm .A/tmp/3 && cat .C/cur/* .D/cur/* > /dev/null",
    );
    let before = fx.barrier();
    assert_eq!(before, Vec::<WatchEvent>::new());
}

#[test]
fn a_burst_of_2000_deliveries_is_coalesced() {
    let fx = fixture();
    python_deliver(&fx.root.join(".A"), 2000);
    let before = fx.barrier();
    let reports = before.iter().filter(|e| **e == folder("A")).count();
    assert!(reports >= 1, "the burst was not reported: {before:?}");
    assert!(
        reports <= 50,
        "{reports} reports for one burst of 2000 files"
    );
    assert_eq!(before.len(), reports, "unexpected events: {before:?}");
    assert_eq!(
        std::fs::read_dir(fx.root.join(".A/new")).unwrap().count(),
        2000
    );
}

#[test]
fn a_folder_that_cannot_be_watched_is_a_warning_and_the_rest_are_watched() {
    let gone = FolderDir {
        path: FolderPath("Gone".into()),
        dir: PathBuf::from("/nonexistent/posthorn/.Gone"),
    };
    let mut fx = fixture_with(vec![gone.clone()]);
    assert_eq!(fx.warnings.len(), 1, "{:?}", fx.warnings);
    assert!(fx.warnings[0].contains(".Gone"), "{:?}", fx.warnings);
    assert!(!fx.watcher.folders().contains(&gone.path));
    assert!(fx.watcher.add_folder(gone).is_err());
    python_deliver(&fx.root.join(".A"), 1);
    fx.wait_for(&folder("A"));
}

#[test]
fn a_removed_folder_is_no_longer_reported() {
    let mut fx = fixture();
    fx.watcher.remove_folder(&FolderPath("A".into()));
    python_deliver(&fx.root.join(".A"), 1);
    assert_eq!(fx.barrier(), Vec::<WatchEvent>::new());
}

#[test]
fn dropping_the_watcher_stops_it() {
    let fx = fixture();
    // Dropped on another thread, so that a drop that never returns fails the test
    // below instead of hanging it. The watcher's thread owned the only sender.
    let watcher = fx.watcher;
    std::thread::spawn(move || drop(watcher));
    python_deliver(&fx.root.join(".A"), 1);
    match fx.rx.recv_timeout(LIVENESS) {
        Err(RecvTimeoutError::Disconnected) => {}
        other => panic!("the watcher still runs after drop: {other:?}"),
    }
}

#[test]
fn a_renamed_folder_changes_the_tree_and_is_watched_under_its_new_name() {
    let mut fx = fixture();
    sh(&fx.root, "mv .A .Renamed");
    fx.wait_for(&WatchEvent::Tree);
    let folders = MaildirTree::open(&fx.root).unwrap().folders().unwrap();
    assert_eq!(fx.watcher.sync_folders(folders), Vec::<String>::new());
    assert!(!fx.watcher.folders().contains(&FolderPath("A".into())));
    python_deliver(&fx.root.join(".Renamed"), 1);
    let before = fx.barrier();
    assert_eq!(before, vec![folder("Renamed")]);
}
