//! The index as a cache: the first release's schema upgrades in place; corrupt,
//! truncated and foreign files are moved aside and rebuilt; envelopes without a local
//! file (remote accounts) survive a local rescan; sync state, remote references and the
//! pending-changes queue round-trip.

use posthorn::core::envelope::HeaderFields;
use posthorn::core::{AccountId, Flags, FolderPath, LocalId, RemoteRef};
use posthorn::mime::header_fields;
use posthorn::store::index::{FolderChanges, NewEnvelope, SyncState};
use posthorn::store::{Index, IndexReader, Maildir, OpenNote, scan_folder};

/// The first release's schema, exactly as it created it.
const RELEASE_1_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS folders(
    id INTEGER PRIMARY KEY, account TEXT NOT NULL, path TEXT NOT NULL, UNIQUE(account, path));
CREATE TABLE IF NOT EXISTS envelopes(
    folder_id INTEGER NOT NULL, uid TEXT NOT NULL, file_name TEXT NOT NULL,
    size INTEGER NOT NULL, date INTEGER NOT NULL, from_name TEXT NOT NULL,
    from_addr TEXT NOT NULL, to_list TEXT NOT NULL, subject TEXT NOT NULL,
    message_id TEXT NOT NULL, in_reply_to TEXT NOT NULL, refs TEXT NOT NULL,
    flags INTEGER NOT NULL, has_att INTEGER NOT NULL,
    PRIMARY KEY(folder_id, uid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trash_origin(
    account TEXT NOT NULL, uid TEXT NOT NULL, folder TEXT NOT NULL, PRIMARY KEY(account, uid));
";

fn a() -> AccountId {
    AccountId("home".into())
}

#[test]
fn an_index_written_by_the_first_release_upgrades_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(RELEASE_1_SCHEMA).unwrap();
        c.execute_batch(
            "INSERT INTO folders VALUES (1, 'home', 'INBOX');
             INSERT INTO envelopes VALUES (1, 'u1', 'u1:2,S', 10, 1700000000, 'Ann', 'ann@x',
               'me@x', 'hello', '<1@x>', '', '', 16, 0);
             INSERT INTO trash_origin VALUES ('home', 'u1', 'INBOX');",
        )
        .unwrap();
    }
    let (ix, note) = Index::open(&path).unwrap();
    assert_eq!(note, Some(OpenNote::Migrated { from: 0 }));
    let envs = ix.reader().envelopes(&a(), &FolderPath::inbox()).unwrap();
    assert_eq!(envs.len(), 1);
    assert_eq!(envs[0].subject, "hello");
    assert!(envs[0].flags.contains(Flags::SEEN));
    assert_eq!(
        ix.reader()
            .trash_origin(&a(), &LocalId("u1".into()))
            .unwrap(),
        Some(FolderPath::inbox())
    );
    drop(ix);
    // Opening again is not another migration.
    let (_, note) = Index::open(&path).unwrap();
    assert_eq!(note, None);
    let c = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, posthorn::store::index::SCHEMA_VERSION);
}

fn filled(dir: &std::path::Path) -> (std::path::PathBuf, Maildir) {
    let md = Maildir::create(dir.join("m")).unwrap();
    for i in 0..30 {
        md.deliver(
            format!("Subject: m{i}\nMessage-ID: <{i}@x>\n\nbody\n").as_bytes(),
            Flags::empty(),
        )
        .unwrap();
    }
    let path = dir.join("index.sqlite");
    let (mut ix, _) = Index::open(&path).unwrap();
    scan_folder(
        &mut ix,
        &a(),
        &FolderPath::inbox(),
        &md,
        header_fields,
        &mut |_| {},
    )
    .unwrap();
    (path, md)
}

fn rebuilt(path: &std::path::Path, md: &Maildir) -> (Index, Option<OpenNote>) {
    let (mut ix, note) = Index::open(path).unwrap();
    scan_folder(
        &mut ix,
        &a(),
        &FolderPath::inbox(),
        md,
        header_fields,
        &mut |_| {},
    )
    .unwrap();
    (ix, note)
}

fn assert_rebuilt(note: Option<OpenNote>, ix: &Index, path: &std::path::Path) {
    match note {
        Some(OpenNote::Rebuilt {
            moved_to: Some(m), ..
        }) => assert!(m.exists(), "{m:?}"),
        other => panic!("expected a rebuild notice, got {other:?}"),
    }
    assert_eq!(
        ix.reader()
            .envelopes(&a(), &FolderPath::inbox())
            .unwrap()
            .len(),
        30
    );
    assert!(path.exists());
}

#[test]
fn a_corrupt_index_is_moved_aside_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let (path, md) = filled(dir.path());
    std::fs::write(&path, vec![0x5a; 64 * 1024]).unwrap();
    let _ = std::fs::remove_file(format!("{}-wal", path.display()));
    let (ix, note) = rebuilt(&path, &md);
    assert_rebuilt(note, &ix, &path);
}

#[test]
fn a_truncated_index_is_moved_aside_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let (path, md) = filled(dir.path());
    // Checkpoint everything into the main file, then cut it.
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    }
    let len = std::fs::metadata(&path).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);
    let (ix, note) = rebuilt(&path, &md);
    assert_rebuilt(note, &ix, &path);
}

#[test]
fn a_foreign_database_is_moved_aside_not_written_into() {
    let dir = tempfile::tempdir().unwrap();
    let (path, md) = filled(dir.path());
    std::fs::remove_file(&path).unwrap();
    let _ = std::fs::remove_file(format!("{}-wal", path.display()));
    let _ = std::fs::remove_file(format!("{}-shm", path.display()));
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE photos(id INTEGER PRIMARY KEY, data BLOB); INSERT INTO photos VALUES (1, x'00');")
            .unwrap();
    }
    let (ix, note) = rebuilt(&path, &md);
    let moved = match &note {
        Some(OpenNote::Rebuilt {
            moved_to: Some(m), ..
        }) => m.clone(),
        other => panic!("{other:?}"),
    };
    assert_rebuilt(note, &ix, &path);
    // The other program's data is intact where it was moved.
    let c = rusqlite::Connection::open(&moved).unwrap();
    let n: i64 = c
        .query_row("SELECT COUNT(*) FROM photos", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn an_index_damaged_while_open_heals_on_the_next_use() {
    let dir = tempfile::tempdir().unwrap();
    let (path, md) = filled(dir.path());
    let (mut ix, _) = Index::open(&path).unwrap();
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    }
    // Another program scribbles over every page but the header.
    let len = std::fs::metadata(&path).unwrap().len() as usize;
    let mut bytes = std::fs::read(&path).unwrap();
    for b in &mut bytes[100..len] {
        *b = 0xa5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let e = scan_folder(
        &mut ix,
        &a(),
        &FolderPath::inbox(),
        &md,
        header_fields,
        &mut |_| {},
    )
    .expect_err("the damage is seen");
    assert!(e.is_index_damaged(), "{e}");
    let note = ix.heal(&e.to_string()).unwrap();
    assert!(matches!(note, OpenNote::Rebuilt { .. }));
    scan_folder(
        &mut ix,
        &a(),
        &FolderPath::inbox(),
        &md,
        header_fields,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        ix.reader()
            .envelopes(&a(), &FolderPath::inbox())
            .unwrap()
            .len(),
        30
    );
}

#[test]
fn the_index_path_must_not_be_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let e = Index::open(dir.path()).err().unwrap().to_string();
    assert!(e.contains("directory"), "{e}");
}

#[test]
fn remote_envelopes_survive_a_local_rescan_and_remote_state_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("cache")).unwrap();
    let path = dir.path().join("index.sqlite");
    let (mut ix, _) = Index::open(&path).unwrap();
    let f = FolderPath::inbox();
    let fid = ix.folder_id(&a(), &f).unwrap();
    // An IMAP envelope whose body was never fetched: no file.
    let envelope = |uid: &str, file: Option<&str>| NewEnvelope {
        uid: uid.into(),
        file_name: file.map(Into::into),
        size: 100,
        flags: Flags::empty(),
        fields: HeaderFields {
            subject: format!("remote {uid}"),
            ..Default::default()
        },
    };
    // And one that was fetched, whose cache file another program then deleted.
    let cached = md
        .deliver(b"Subject: fetched\n\nbody\n", Flags::empty())
        .unwrap();
    ix.apply(
        fid,
        &FolderChanges {
            added: vec![
                envelope("r1", None),
                envelope(&cached.id.0, Some(&cached.file_name)),
            ],
            ..Default::default()
        },
    )
    .unwrap();
    let r1 = RemoteRef::Imap {
        uidvalidity: 7,
        uid: 41,
    };
    let r2 = RemoteRef::Imap {
        uidvalidity: 7,
        uid: 42,
    };
    ix.set_remote_ref(&a(), &f, &LocalId("r1".into()), &r1)
        .unwrap();
    ix.set_remote_ref(&a(), &f, &cached.id, &r2).unwrap();
    std::fs::remove_file(md.file_path(&cached)).unwrap();
    scan_folder(&mut ix, &a(), &f, &md, header_fields, &mut |_| {}).unwrap();

    let reader = IndexReader::open(&path).unwrap();
    let envs = reader.view().envelopes(&a(), &f).unwrap();
    assert_eq!(envs.len(), 2, "a rescan kept both remote envelopes");
    assert_eq!(
        reader
            .view()
            .locator(&a(), &f, &LocalId("r1".into()))
            .unwrap(),
        Some(None)
    );
    assert_eq!(
        reader.view().locator(&a(), &f, &cached.id).unwrap(),
        Some(None),
        "the locator is cleared, the envelope kept"
    );
    assert_eq!(
        ix.remote_ref(&a(), &f, &LocalId("r1".into())).unwrap(),
        Some(r1.clone())
    );
    assert_eq!(
        ix.local_for_remote(&a(), &f, &r2).unwrap(),
        Some(cached.id.clone())
    );

    let s = SyncState {
        uidvalidity: Some(7),
        uidnext: Some(43),
        highestmodseq: Some(9_000_000_000),
        ..Default::default()
    };
    ix.set_sync_state(&a(), &f, &s).unwrap();
    assert_eq!(ix.sync_state(&a(), &f).unwrap(), s);

    // A local change and its queue entry land together.
    ix.set_flags_queued(
        &a(),
        &f,
        &LocalId("r1".into()),
        Flags::SEEN,
        Some(("flags", "+S")),
    )
    .unwrap();
    let q = ix.pending_changes(&a()).unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!((q[0].op.as_str(), q[0].arg.as_str()), ("flags", "+S"));
    ix.clear_pending(q[0].seq).unwrap();
    assert!(ix.pending_changes(&a()).unwrap().is_empty());
}

/// A parser that panics on one message loses only that message, reported by name; the
/// rest of the folder is indexed (a crashed scan worker used to drop its whole part).
#[test]
fn a_panicking_parse_loses_only_its_own_message() {
    fn picky(h: &[u8]) -> HeaderFields {
        if String::from_utf8_lossy(h).contains("m13") {
            panic!("hostile header");
        }
        header_fields(h)
    }
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("m")).unwrap();
    for i in 0..30 {
        md.deliver(
            format!("Subject: m{i}\n\nbody\n").as_bytes(),
            Flags::empty(),
        )
        .unwrap();
    }
    let (mut ix, _) = Index::open(&dir.path().join("index.sqlite")).unwrap();
    let r = scan_folder(&mut ix, &a(), &FolderPath::inbox(), &md, picky, &mut |_| {}).unwrap();
    assert_eq!(r.added, 29);
    assert_eq!(r.unreadable.len(), 1);
    assert!(r.unreadable[0].1.contains("crashed"), "{:?}", r.unreadable);
}
