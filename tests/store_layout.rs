//! Real Maildir trees: symlink loops, unreadable folders, names that are not UTF-8, and
//! Maildir++ folder names with a dot in them.

use posthorn::core::{Flags, FolderPath};
use posthorn::store::{Maildir, MaildirTree, names};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

fn paths(tree: &MaildirTree) -> Vec<String> {
    tree.folders()
        .unwrap()
        .into_iter()
        .map(|f| f.path.0)
        .collect()
}

#[test]
fn symlink_loops_in_a_nested_tree_are_entered_once() {
    let dir = tempfile::tempdir().unwrap();
    Maildir::create(dir.path().join("a")).unwrap();
    Maildir::create(dir.path().join("b")).unwrap();
    std::os::unix::fs::symlink(".", dir.path().join("b/loop")).unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("a/up")).unwrap();
    let tree = MaildirTree::open(dir.path()).unwrap();
    assert_eq!(paths(&tree), vec!["a", "b"]);
}

#[test]
fn a_maildir_plus_plus_folder_with_a_dot_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    Maildir::create(dir.path()).unwrap();
    let tree = MaildirTree::open(dir.path()).unwrap();
    let md = tree.ensure_folder(&FolderPath("v1.2".into())).unwrap();
    tree.ensure_folder(&FolderPath("Lists/rust".into()))
        .unwrap();
    assert!(md.path().ends_with(".v1\\2e2"), "{}", md.path().display());
    assert_eq!(paths(&tree), vec!["INBOX", "Lists/rust", "v1.2"]);
    assert!(tree.folder(&FolderPath("v1.2".into())).is_ok());
}

#[test]
fn folder_names_that_are_not_utf8_are_listed_and_usable() {
    let dir = tempfile::tempdir().unwrap();
    let raw = std::ffi::OsStr::from_bytes(b"caf\xE9");
    Maildir::create(dir.path().join(raw)).unwrap();
    Maildir::create(dir.path().join("plain")).unwrap();
    let tree = MaildirTree::open(dir.path()).unwrap();
    let found = paths(&tree);
    assert_eq!(found.len(), 2, "{found:?}");
    let odd = found.iter().find(|p| *p != "plain").unwrap();
    assert_eq!(names::decode(odd), raw);
    let md = tree.folder(&FolderPath(odd.clone())).unwrap();
    let e = md.deliver(b"hello", Flags::empty()).unwrap();
    assert!(dir.path().join(raw).join("new").join(&e.file_name).exists());
}

/// The part that runs without the power to bypass file permissions.
const UNREADABLE_CHILD: &str = "POSTHORN_UNREADABLE_DIR";

#[test]
#[ignore = "run by unreadable_folders_are_skipped_with_a_warning in a child process"]
fn unreadable_child() {
    let Ok(root) = std::env::var(UNREADABLE_CHILD) else {
        return;
    };
    let tree = MaildirTree::open(&root).unwrap();
    let (folders, warnings) = tree.folders_with_warnings().unwrap();
    let names: Vec<_> = folders.iter().map(|f| f.path.0.clone()).collect();
    assert_eq!(names, vec!["ok"], "{warnings:?}");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("locked"), "{warnings:?}");
    let err = tree
        .folder(&FolderPath("locked".into()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("permission denied"), "{err}");
    println!("CHILD-OK");
}

#[test]
fn unreadable_folders_are_skipped_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    Maildir::create(dir.path().join("ok")).unwrap();
    Maildir::create(dir.path().join("locked")).unwrap();
    fs::set_permissions(dir.path().join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
    let exe = std::env::current_exe().unwrap();
    let args = ["--exact", "unreadable_child", "--ignored", "--nocapture"];
    let is_root = fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false);
    // Root reads anything; drop the capabilities that let it, so chmod 000 bites.
    let out = if is_root {
        Command::new("setpriv")
            .args(["--bounding-set=-dac_override,-dac_read_search", "--"])
            .arg(&exe)
            .args(args)
            .env(UNREADABLE_CHILD, dir.path())
            .output()
    } else {
        Command::new(&exe)
            .args(args)
            .env(UNREADABLE_CHILD, dir.path())
            .output()
    };
    fs::set_permissions(dir.path().join("locked"), fs::Permissions::from_mode(0o700)).unwrap();
    let Ok(out) = out else {
        println!("skipped: setpriv is not available to drop root's file capabilities");
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("CHILD-OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
