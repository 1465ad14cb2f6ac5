//! No mail is ever lost by the Maildir store: two files with one unique name both
//! survive listing, flag changes and moves; interrupted moves are finished, not refused;
//! the move journal is replayed; moves across file systems copy durably; streaming
//! delivery shows nothing before its commit; names that are not UTF-8 round-trip.

use posthorn::core::{Flags, FolderPath};
use posthorn::store::{Maildir, MaildirEntry, MaildirTree, Subdir, names};
use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::os::unix::fs::MetadataExt;

fn bodies(md: &Maildir) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = md
        .list()
        .unwrap()
        .iter()
        .map(|e| md.read(e).unwrap())
        .collect();
    v.sort();
    v
}

fn files_in(md: &Maildir) -> usize {
    ["new", "cur"]
        .iter()
        .map(|s| fs::read_dir(md.path().join(s)).unwrap().count())
        .sum()
}

#[test]
fn list_gives_a_second_file_with_a_taken_unique_name_a_fresh_one() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path()).unwrap();
    fs::write(dir.path().join("new/123.X.host"), b"one").unwrap();
    fs::write(dir.path().join("cur/123.X.host:2,S"), b"two").unwrap();
    fs::write(dir.path().join("cur/123.X.host:2,F"), b"three").unwrap();
    let list = md.list().unwrap();
    assert_eq!(list.len(), 3);
    let ids: HashSet<_> = list.iter().map(|e| e.id.clone()).collect();
    assert_eq!(
        ids.len(),
        3,
        "every entry has its own unique name: {list:?}"
    );
    // Flag every one as seen: nothing may be lost.
    for e in &list {
        md.set_flags(e, Flags::SEEN).unwrap();
    }
    assert_eq!(
        bodies(&md),
        vec![b"one".to_vec(), b"three".to_vec(), b"two".to_vec()]
    );
    assert_eq!(files_in(&md), 3);
}

#[test]
fn set_flags_never_renames_onto_a_taken_name() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path()).unwrap();
    fs::write(dir.path().join("new/77.A.host"), b"new one").unwrap();
    fs::write(dir.path().join("cur/77.A.host:2,S"), b"seen one").unwrap();
    // A caller holding the new/ entry from before the other file appeared.
    let e = MaildirEntry::from_file_name("77.A.host", Subdir::New);
    let moved = md.set_flags(&e, Flags::SEEN).unwrap();
    assert_ne!(moved.id, e.id);
    assert_eq!(md.read(&moved).unwrap(), b"new one");
    assert_eq!(files_in(&md), 2);
    assert_eq!(bodies(&md), vec![b"new one".to_vec(), b"seen one".to_vec()]);
}

#[test]
fn a_second_link_left_by_an_interrupted_rename_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path()).unwrap();
    fs::write(dir.path().join("new/5.B.host"), b"body").unwrap();
    fs::hard_link(
        dir.path().join("new/5.B.host"),
        dir.path().join("cur/5.B.host:2,S"),
    )
    .unwrap();
    let list = md.list().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].subdir, Subdir::Cur);
    assert_eq!(files_in(&md), 1);
}

#[test]
fn a_move_interrupted_between_link_and_unlink_is_finished() {
    let dir = tempfile::tempdir().unwrap();
    let a = Maildir::create(dir.path().join("a")).unwrap();
    let b = Maildir::create(dir.path().join("b")).unwrap();
    let e = a.deliver(b"the message", Flags::SEEN).unwrap();
    fs::hard_link(a.file_path(&e), b.file_path(&e)).unwrap();
    let moved = a.move_to(&e, &b).unwrap();
    assert_eq!(moved.id, e.id);
    assert!(a.list().unwrap().is_empty(), "the source copy is removed");
    assert_eq!(bodies(&b), vec![b"the message".to_vec()]);
}

#[test]
fn the_journal_finishes_a_killed_bulk_move() {
    let dir = tempfile::tempdir().unwrap();
    let tree = MaildirTree::open(Maildir::create(dir.path()).unwrap().path()).unwrap();
    let inbox = tree.folder(&FolderPath::inbox()).unwrap();
    let trash = tree.ensure_folder(&FolderPath("Trash".into())).unwrap();
    let done = inbox.deliver(b"half moved", Flags::SEEN).unwrap();
    let not_yet = inbox.deliver(b"not moved yet", Flags::empty()).unwrap();
    // What a SIGKILL after the first link leaves: the journal and two links.
    fs::hard_link(inbox.file_path(&done), trash.file_path(&done)).unwrap();
    fs::write(
        dir.path().join(".posthorn-moves-1-0"),
        format!(
            "move\tINBOX\tTrash\t{}\nmove\tINBOX\tTrash\t{}\n",
            done.id.0, not_yet.id.0
        ),
    )
    .unwrap();
    assert!(tree.needs_recovery());
    let folders = tree.folders().unwrap();
    assert_eq!(folders.len(), 2, "the journal is not a folder: {folders:?}");
    let report = tree.recover().unwrap();
    assert_eq!((report.finished, report.untouched), (1, 1), "{report:?}");
    assert!(report.notice().is_some());
    assert!(!tree.needs_recovery());
    assert_eq!(bodies(&inbox), vec![b"not moved yet".to_vec()]);
    assert_eq!(bodies(&trash), vec![b"half moved".to_vec()]);
    // A clean bulk move leaves no journal.
    let list = inbox.list().unwrap();
    let moved = tree
        .move_messages(&FolderPath::inbox(), &list, &FolderPath("Trash".into()))
        .unwrap();
    assert_eq!(moved.len(), 1);
    assert!(!tree.needs_recovery());
    assert_eq!(bodies(&trash).len(), 2);
    assert_eq!(tree.recover().unwrap().notice(), None);
}

#[test]
fn a_move_across_file_systems_copies_durably() {
    let shm = std::path::Path::new("/dev/shm");
    let Ok(shm_dir) = tempfile::tempdir_in(shm) else {
        println!("skipped: /dev/shm is not usable here");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (d1, d2) = (
        fs::metadata(shm_dir.path()).unwrap().dev(),
        fs::metadata(tmp.path()).unwrap().dev(),
    );
    if d1 == d2 {
        println!("skipped: /dev/shm and the temp dir are on one device");
        return;
    }
    let a = Maildir::create(shm_dir.path().join("a")).unwrap();
    let b = Maildir::create(tmp.path().join("b")).unwrap();
    let e = a.deliver(b"across devices", Flags::SEEN).unwrap();
    let moved = a.move_to(&e, &b).unwrap();
    assert_eq!(moved.flags, Flags::SEEN);
    assert_eq!(b.read(&moved).unwrap(), b"across devices");
    assert!(a.list().unwrap().is_empty());
    assert_eq!(fs::read_dir(tmp.path().join("b/tmp")).unwrap().count(), 0);
    // Same message already copied (a kill before the removal): finished, not duplicated.
    let e2 = a.deliver(b"copied before", Flags::empty()).unwrap();
    fs::write(b.file_path(&e2), b"copied before").unwrap();
    let moved2 = a.move_to(&e2, &b).unwrap();
    assert_eq!(moved2.id, e2.id);
    assert_eq!(bodies(&b).len(), 2);
}

#[test]
fn streaming_delivery_is_invisible_until_commit_and_a_dropped_one_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path()).unwrap();
    let mut d = md.delivery().unwrap();
    for _ in 0..100 {
        d.write_all(&[b'x'; 10_000]).unwrap();
        assert_eq!(files_in(&md), 0, "nothing in new/ or cur/ before commit");
    }
    let e = d.commit(Flags::SEEN).unwrap();
    assert_eq!(e.subdir, Subdir::Cur);
    assert!(e.id.0.ends_with(",S=1000000"), "{}", e.id.0);
    assert_eq!(md.read(&e).unwrap().len(), 1_000_000);
    assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);

    let mut dropped = md.delivery().unwrap();
    dropped.write_all(b"half a message").unwrap();
    assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 1);
    drop(dropped);
    assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    assert_eq!(files_in(&md), 1);
}

#[test]
fn a_message_whose_name_is_not_utf8_is_listed_flagged_and_moved() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let a = Maildir::create(dir.path().join("a")).unwrap();
    let b = Maildir::create(dir.path().join("b")).unwrap();
    let raw = std::ffi::OsStr::from_bytes(b"99.\xFF.host");
    fs::write(dir.path().join("a/new").join(raw), b"latin-1 name").unwrap();
    let list = a.list().unwrap();
    assert_eq!(list.len(), 1, "a non-UTF-8 name is listed, not skipped");
    assert_eq!(names::decode(&list[0].id.0), raw);
    let seen = a.set_flags(&list[0], Flags::SEEN).unwrap();
    assert_eq!(a.read(&seen).unwrap(), b"latin-1 name");
    let moved = a.move_to(&seen, &b).unwrap();
    assert_eq!(b.read(&moved).unwrap(), b"latin-1 name");
    let on_disk = std::ffi::OsStr::from_bytes(b"99.\xFF.host:2,S");
    assert!(dir.path().join("b/cur").join(on_disk).exists());
    assert!(a.list().unwrap().is_empty());
}
