//! Store round trips: durable delivery (nothing half-written is ever visible), flags in
//! the file name, moves, both folder layouts, and the incremental index scan.

use posthorn::core::{AccountId, Flags, FolderPath};
use posthorn::mime::header_fields;
use posthorn::store::{Index, Maildir, MaildirTree, ScanProgress, scan_folder};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn msg(i: usize) -> Vec<u8> {
    let body = "x".repeat(20_000 + i);
    format!("From: a{i}@example.org\nSubject: message {i}\nMessage-ID: <{i}@t>\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\n{body}\nEND\n").into_bytes()
}

#[test]
fn delivery_never_exposes_a_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (md, stop) = (md.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut checked = 0usize;
            while !stop.load(Ordering::Relaxed) {
                for e in md.list().unwrap() {
                    let bytes = md.read(&e).unwrap();
                    assert!(
                        bytes.ends_with(b"\nEND\n"),
                        "saw a partial file: {} bytes",
                        bytes.len()
                    );
                    checked += 1;
                }
            }
            checked
        })
    };
    for i in 0..200 {
        md.deliver(
            &msg(i),
            if i % 2 == 0 {
                Flags::empty()
            } else {
                Flags::SEEN
            },
        )
        .unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    assert!(watcher.join().unwrap() > 0);
    assert_eq!(md.list().unwrap().len(), 200);
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0,
        "tmp/ is left empty"
    );
}

#[test]
fn flags_live_in_the_name_and_survive_rename_and_move() {
    let dir = tempfile::tempdir().unwrap();
    let tree_root = dir.path().join("mail");
    let inbox = Maildir::create(&tree_root).unwrap();
    let tree = MaildirTree::open(&tree_root).unwrap();
    let e = inbox.deliver(&msg(1), Flags::empty()).unwrap();
    assert!(
        dir.path().join("mail/new").join(&e.file_name).exists(),
        "unflagged mail goes to new/"
    );

    let seen = inbox
        .set_flags(&e, Flags::SEEN.union(Flags::FLAGGED))
        .unwrap();
    assert!(seen.file_name.ends_with(":2,FS"), "{}", seen.file_name);
    assert!(
        dir.path().join("mail/cur").join(&seen.file_name).exists(),
        "seen mail moves to cur/"
    );

    let archive = tree.ensure_folder(&FolderPath("Archive".into())).unwrap();
    assert!(
        dir.path().join("mail/.Archive/maildirfolder").exists(),
        "Maildir++ marker"
    );
    let moved = inbox.move_to(&seen, &archive).unwrap();
    let listed = archive.list().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].flags, Flags::SEEN.union(Flags::FLAGGED));
    assert_eq!(listed[0].id, moved.id);
    assert_eq!(archive.read(&listed[0]).unwrap(), msg(1));
    assert!(inbox.list().unwrap().is_empty());
}

#[test]
fn unknown_flag_letters_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path()).unwrap();
    let e = md.deliver(&msg(1), Flags::SEEN).unwrap();
    let custom = format!("{}:2,Sa", e.id);
    std::fs::rename(
        dir.path().join("cur").join(&e.file_name),
        dir.path().join("cur").join(&custom),
    )
    .unwrap();
    let e = md.list().unwrap().remove(0);
    let f = md.set_flags(&e, e.flags.union(Flags::FLAGGED)).unwrap();
    assert_eq!(f.file_name, format!("{}:2,FSa", e.id));
}

#[test]
fn layouts_are_discovered() {
    let dir = tempfile::tempdir().unwrap();
    // Maildir++
    let pp = dir.path().join("pp");
    Maildir::create(&pp).unwrap();
    Maildir::create(pp.join(".Lists.rust")).unwrap();
    Maildir::create(pp.join(".Sent")).unwrap();
    let names: Vec<String> = MaildirTree::open(&pp)
        .unwrap()
        .folders()
        .unwrap()
        .into_iter()
        .map(|f| f.path.0)
        .collect();
    assert_eq!(names, ["INBOX", "Lists/rust", "Sent"]);
    // nested
    let n = dir.path().join("nested");
    Maildir::create(n.join("Inbox")).unwrap();
    Maildir::create(n.join("Projects/Alpha")).unwrap();
    Maildir::create(n.join("Archive")).unwrap();
    std::fs::create_dir_all(n.join("not-a-folder")).unwrap();
    let tree = MaildirTree::open(&n).unwrap();
    let names: Vec<String> = tree
        .folders()
        .unwrap()
        .into_iter()
        .map(|f| f.path.0)
        .collect();
    assert_eq!(names, ["INBOX", "Archive", "Projects/Alpha"]);
    assert_eq!(tree.folder_dir(&FolderPath::inbox()), n.join("Inbox"));
    assert!(tree.ensure_folder(&FolderPath("../escape".into())).is_err());
}

#[test]
fn scan_reads_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("m")).unwrap();
    let (mut index, _) = Index::open(&dir.path().join("index.sqlite")).unwrap();
    let (a, f) = (AccountId("a".into()), FolderPath::inbox());
    let entries: Vec<_> = (0..50)
        .map(|i| md.deliver(&msg(i), Flags::empty()).unwrap())
        .collect();
    let mut last = None;
    let r = scan_folder(
        &mut index,
        &a,
        &f,
        &md,
        header_fields,
        &mut |p: ScanProgress| last = Some(p),
    )
    .unwrap();
    assert_eq!((r.added, r.changed, r.removed), (50, 0, 0));
    assert_eq!(
        last,
        Some(ScanProgress {
            done: 50,
            total: 50,
            bytes: 0
        })
    );

    // Change flags of one file, delete another, add a third, and overwrite the content
    // of a fourth without renaming it: the scan must not re-read that one.
    md.set_flags(&entries[0], Flags::SEEN).unwrap();
    std::fs::remove_file(md.file_path(&entries[1])).unwrap();
    md.deliver(&msg(99), Flags::empty()).unwrap();
    std::fs::write(
        md.file_path(&entries[2]),
        b"Subject: changed behind our back\n\n",
    )
    .unwrap();
    let r = scan_folder(&mut index, &a, &f, &md, header_fields, &mut |_| {}).unwrap();
    assert_eq!((r.added, r.changed, r.removed), (1, 1, 1));

    let ix = index.reader();
    let envs = ix.envelopes(&a, &f).unwrap();
    assert_eq!(envs.len(), 50);
    let e0 = envs.iter().find(|e| e.id == entries[0].id).unwrap();
    assert!(e0.flags.contains(Flags::SEEN));
    let e2 = envs.iter().find(|e| e.id == entries[2].id).unwrap();
    assert_eq!(e2.subject, "message 2", "unchanged names are not re-read");
    assert_eq!(ix.counts(&a, &f).unwrap(), (50, 49));
    // A third scan finds nothing to do.
    let r = scan_folder(&mut index, &a, &f, &md, header_fields, &mut |_| {}).unwrap();
    assert!(!r.changed_anything());
}

#[test]
fn unreadable_files_are_reported_and_the_rest_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("m")).unwrap();
    md.deliver(&msg(1), Flags::empty()).unwrap();
    std::os::unix::fs::symlink("/nonexistent/target", dir.path().join("m/new/dangling")).unwrap();
    let (mut index, _) = Index::open(&dir.path().join("index.sqlite")).unwrap();
    let r = scan_folder(
        &mut index,
        &AccountId("a".into()),
        &FolderPath::inbox(),
        &md,
        header_fields,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(r.added, 1);
    assert_eq!(r.unreadable.len(), 1);
    assert_eq!(r.unreadable[0].0, "dangling");
}

#[test]
fn a_move_never_replaces_a_file_already_there() {
    let dir = tempfile::tempdir().unwrap();
    let a = Maildir::create(dir.path().join("a")).unwrap();
    let b = Maildir::create(dir.path().join("b")).unwrap();
    let e = a.deliver(&msg(1), Flags::SEEN).unwrap();
    std::fs::write(b.file_path(&e), b"another message with the same name").unwrap();
    let moved = a.move_to(&e, &b).unwrap();
    assert_ne!(
        moved.id, e.id,
        "the moved message takes a fresh unique name"
    );
    assert_eq!(b.read(&moved).unwrap(), msg(1));
    assert_eq!(b.read(&e).unwrap(), b"another message with the same name");
    assert!(a.list().unwrap().is_empty());
}
