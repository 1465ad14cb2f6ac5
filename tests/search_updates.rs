//! The full-text index stays in step with the mail: posthorn's own flag changes, moves
//! and deletes, and files added, renamed or removed by other programs; an index of
//! schema 1 upgrades in place and queues every envelope; a kill in the middle of
//! indexing loses nothing and the next run finishes the job.

mod search_corpus;

use posthorn::account::{Account, LocalAccount};
use posthorn::core::query::Query;
use posthorn::core::{AccountId, FlagOp, Flags, FolderPath, LocalId, MessageRef};
use posthorn::store::index::{Scope, SearchContext};
use posthorn::store::{Index, IndexReader, MaildirTree, OpenNote};
use std::collections::HashSet;
use std::path::Path;

fn find(index: &Path, q: &str) -> Vec<(String, String, Flags)> {
    let r = IndexReader::open(index).unwrap();
    let tagged = HashSet::new();
    let ctx = SearchContext {
        now: 0,
        tagged: &tagged,
    };
    let q = Query::parse(q).unwrap();
    let mut v: Vec<_> = r
        .view()
        .search(q.expr.as_ref(), &Scope::default(), &ctx, None)
        .unwrap()
        .envelopes
        .into_iter()
        .map(|e| (e.folder.0, e.id.0, e.flags))
        .collect();
    v.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    v
}

fn count(index: &Path, q: &str) -> usize {
    let r = IndexReader::open(index).unwrap();
    let tagged = HashSet::new();
    let ctx = SearchContext {
        now: 0,
        tagged: &tagged,
    };
    let q = Query::parse(q).unwrap();
    r.view()
        .count(q.expr.as_ref(), &Scope::default(), &ctx)
        .unwrap()
}

/// Rows of a table, straight from the file.
fn rows(index: &Path, table: &str) -> i64 {
    let c = rusqlite::Connection::open(index).unwrap();
    c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn msg(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Ann <ann@example.org>\nSubject: {subject}\nMessage-ID: <{subject}@t>\n\n{body}\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn the_index_follows_triage_and_changes_by_other_programs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("mail");
    let inbox = posthorn::store::Maildir::create(&root).unwrap();
    let archive = posthorn::store::Maildir::create(root.join(".Archive")).unwrap();
    std::fs::write(root.join(".Archive/maildirfolder"), b"").unwrap();
    posthorn::store::Maildir::create(root.join(".Trash")).unwrap();
    std::fs::write(root.join(".Trash/maildirfolder"), b"").unwrap();
    let a = inbox
        .deliver(&msg("first", "apricot walnut"), Flags::empty())
        .unwrap();
    inbox
        .deliver(&msg("second", "zephyr"), Flags::empty())
        .unwrap();
    let index = dir.path().join("index.sqlite");
    let id = AccountId("home".into());
    let mut acc =
        LocalAccount::open(id.clone(), MaildirTree::open(&root).unwrap(), &index).unwrap();
    let caches = [posthorn::account::CacheView::new(
        id.clone(),
        Some(MaildirTree::open(&root).unwrap()),
        &index,
    )];
    let (inb, arc) = (FolderPath::inbox(), FolderPath("Archive".into()));
    acc.sync_folder(&inb, &mut |_| {}).await.unwrap();
    // A scan queues what it adds; the indexer empties the queue.
    assert_eq!(rows(&index, "fts_pending"), 2);
    search_corpus::index_text(&index, &caches);
    assert_eq!(rows(&index, "fts_pending"), 0);
    assert_eq!(find(&index, "apricot").len(), 1);
    assert_eq!(find(&index, "body:zephyr").len(), 1);

    // A flag change renames the file: the text stays indexed, the flag is searchable.
    let r = MessageRef::local(a.id.clone());
    acc.set_flags(&inb, std::slice::from_ref(&r), FlagOp::Add(Flags::FLAGGED))
        .await
        .unwrap();
    assert_eq!(find(&index, "apricot is:flagged").len(), 1);
    assert_eq!(find(&index, "apricot -is:flagged").len(), 0);
    assert_eq!(rows(&index, "fts_pending"), 0, "no re-indexing for a flag");

    // A move keeps the text under the message's new place; nothing is indexed twice.
    acc.move_to(&inb, &[r], &arc).await.unwrap();
    let moved = find(&index, "apricot");
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].0, "Archive");
    assert_eq!(find(&index, "apricot folder:INBOX").len(), 0);
    assert_eq!(count(&index, "apricot"), 1);
    assert_eq!(rows(&index, "fts_pending"), 0, "no re-indexing for a move");

    // Delete (to Trash) is a move too.
    let moved_id = LocalId(moved[0].1.clone());
    acc.move_to(
        &arc,
        &[MessageRef::local(moved_id)],
        &FolderPath("Trash".into()),
    )
    .await
    .unwrap();
    assert_eq!(find(&index, "apricot folder:Trash").len(), 1);

    // Another program removes the file: the rescan drops the envelope, and its text.
    let trash = posthorn::store::Maildir::open(root.join(".Trash"));
    for e in trash.list().unwrap() {
        std::fs::remove_file(trash.file_path(&e)).unwrap();
    }
    acc.sync_folder(&FolderPath("Trash".into()), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(find(&index, "apricot").len(), 0);
    assert_eq!(count(&index, "apricot"), 0, "the index row went with it");
    assert_eq!(rows(&index, "fts_docs"), 1);

    // Another program delivers a message and marks an old one read.
    std::fs::write(
        archive.path().join("new/1800000000.M1P1.elsewhere"),
        msg("third", "quarry lantern"),
    )
    .unwrap();
    let second = inbox.list().unwrap().remove(0);
    let read = format!("{}:2,S", second.id.0);
    std::fs::rename(inbox.file_path(&second), root.join("cur").join(&read)).unwrap();
    acc.sync_folder(&arc, &mut |_| {}).await.unwrap();
    acc.sync_folder(&inb, &mut |_| {}).await.unwrap();
    search_corpus::index_text(&index, &caches);
    assert_eq!(find(&index, "quarry folder:Archive").len(), 1);
    let z = find(&index, "zephyr is:read");
    assert_eq!(
        z.len(),
        1,
        "renamed by another program: still found, now read"
    );
    assert_eq!(rows(&index, "fts_docs"), 2);
}

#[test]
fn a_schema_1_index_upgrades_and_queues_every_envelope() {
    let c = search_corpus::build(30, 3);
    drop(c.caches);
    // Take the index back to schema 1: no full-text objects.
    {
        let conn = rusqlite::Connection::open(&c.index).unwrap();
        conn.execute_batch(
            "DROP TRIGGER IF EXISTS fts_envelope_added; DROP TRIGGER fts_envelope_fetched;
             DROP TRIGGER fts_envelope_moved; DROP TRIGGER fts_envelope_removed;
             DROP TABLE fts; DROP TABLE fts_docs; DROP TABLE fts_pending; DROP TABLE fts_meta;
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let (_, note) = Index::open(&c.index).unwrap();
    assert_eq!(note, Some(OpenNote::Migrated { from: 1 }));
    assert_eq!(rows(&c.index, "fts_pending"), 30);
    assert_eq!(rows(&c.index, "envelopes"), 30);
    // Until indexed, envelopes still answer header questions.
    assert!(
        !find(
            &c.index,
            "from:zoe OR from:ann OR from:garcia OR from:grace"
        )
        .is_empty()
    );
    let caches = search_corpus::caches(c.dir.path(), &c.index);
    search_corpus::index_text(&c.index, &caches);
    assert_eq!(rows(&c.index, "fts_docs"), 30);
    assert_eq!(rows(&c.index, "fts_pending"), 0);
}

#[test]
fn a_kill_while_indexing_loses_nothing_and_the_next_run_finishes() {
    let (dir, folders) = search_corpus::write(2500, 99);
    let index = dir.path().join("index.sqlite");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[general]\nindex = \"{}\"\n[accounts.personal.maildir]\npath = \"{}\"\n[accounts.work.maildir]\npath = \"{}\"\n",
            index.display(),
            dir.path().join("personal").display(),
            dir.path().join("work").display()
        ),
    )
    .unwrap();
    // Envelopes first (quick), so the child spends its time on the text.
    search_corpus::scan(&index, &folders);
    let total = rows(&index, "envelopes");
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_posthorn"))
            .args(["--config"])
            .arg(&config)
            .args(["search", "--output", "count", "kernel"])
            .env("HOME", dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let reader = || {
        rusqlite::Connection::open_with_flags(&index, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap()
    };
    let state = || -> (i64, i64) {
        reader()
            .query_row(
                "SELECT (SELECT count(*) FROM fts_docs), (SELECT count(*) FROM fts_pending)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap_or((0, 0))
    };
    // Kill it several times, each a little later after it has stored something.
    let mut killed_midway = 0;
    for round in 0..5u64 {
        let before = state().0;
        let mut child = run();
        let started = std::time::Instant::now();
        while state().0 <= before
            && started.elapsed() < std::time::Duration::from_secs(60)
            && child.try_wait().unwrap().is_none()
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        std::thread::sleep(std::time::Duration::from_millis(round * 9));
        child.kill().unwrap();
        child.wait().unwrap();
        let (docs, pending) = state();
        // Every message is either indexed or still queued, whenever the kill came.
        assert_eq!(docs + pending, total, "after kill {round}");
        if docs == total {
            break;
        }
        killed_midway += 1;
    }
    assert!(
        killed_midway >= 2,
        "the indexer finished before it could be killed twice ({killed_midway})"
    );
    // The file is sound: it opens without a rebuild, and FTS5 finds itself consistent.
    let (ix, note) = Index::open(&index).unwrap();
    assert_eq!(note, None);
    drop(ix);
    rusqlite::Connection::open(&index)
        .unwrap()
        .execute("INSERT INTO fts(fts) VALUES ('integrity-check')", [])
        .unwrap();
    // The next run picks up where the killed one stopped, and answers like a scan.
    let out = run().wait_with_output().unwrap();
    assert!(out.status.success());
    let n: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(rows(&index, "fts_docs"), total);
    assert_eq!(rows(&index, "fts_pending"), 0);
    let c = search_corpus::Corpus {
        caches: search_corpus::caches(dir.path(), &index),
        folders: folders
            .iter()
            .map(|(a, f, _)| (a.clone(), f.clone()))
            .collect(),
        index: index.clone(),
        dir,
    };
    let q = Query::parse("kernel").unwrap();
    let want = search_corpus::docs(&c)
        .iter()
        .filter(|d| search_corpus::brute(q.expr.as_ref().unwrap(), d, 0))
        .count();
    assert_eq!(n, want);
}

#[test]
fn the_indexer_follows_an_index_rebuilt_under_it() {
    let (dir, folders) = search_corpus::write(40, 4);
    let index = dir.path().join("index.sqlite");
    search_corpus::scan(&index, &folders);
    let caches = search_corpus::caches(dir.path(), &index);
    let mut ix = posthorn::run::indexer::TextIndexer::open(&index, &caches).unwrap();
    ix.run_to_end(&mut |_| {}).unwrap();
    // An account finds the file damaged, moves it aside and starts a new one.
    let (mut w, _) = Index::open(&index).unwrap();
    w.heal("test").unwrap();
    drop(w);
    search_corpus::scan(&index, &folders);
    assert_eq!(rows(&index, "fts_pending"), 40);
    ix.run_to_end(&mut |_| {}).unwrap();
    assert_eq!(rows(&index, "fts_docs"), 40, "written into the new file");
    assert!(count(&index, "kernel OR walnut OR zephyr") > 0);
}

#[test]
fn envelopes_without_a_body_are_searched_by_headers_until_the_body_arrives() {
    use posthorn::core::envelope::HeaderFields;
    use posthorn::store::index::{FolderChanges, NewEnvelope};
    // What an IMAP or NNTP sync writes: an envelope with no cached file yet.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("mail");
    let inbox = posthorn::store::Maildir::create(&root).unwrap();
    let index = dir.path().join("index.sqlite");
    let id = AccountId("remote".into());
    let (mut ix, _) = Index::open(&index).unwrap();
    let folder_id = ix.folder_id(&id, &FolderPath::inbox()).unwrap();
    let fields = HeaderFields {
        date: 1_700_000_000,
        from: "Grace Hopper".into(),
        from_addr: "grace@example.org".into(),
        subject: "Compiler notes".into(),
        ..Default::default()
    };
    ix.apply(
        folder_id,
        &FolderChanges {
            added: vec![NewEnvelope {
                uid: "u1".into(),
                file_name: None,
                size: 10,
                flags: Flags::empty(),
                fields,
            }],
            ..Default::default()
        },
    )
    .unwrap();
    let caches = [posthorn::account::CacheView::new(
        id.clone(),
        Some(MaildirTree::open(&root).unwrap()),
        &index,
    )];
    search_corpus::index_text(&index, &caches);
    assert_eq!(find(&index, "compiler from:grace").len(), 1);
    assert_eq!(find(&index, "body:nanoseconds").len(), 0);
    // The body is fetched into the cache: the index queues the message again.
    let e = inbox
        .deliver(
            b"From: Grace Hopper <grace@example.org>\nSubject: Compiler notes\n\nnanoseconds\n",
            Flags::empty(),
        )
        .unwrap();
    ix.set_file(
        &id,
        &FolderPath::inbox(),
        &LocalId("u1".into()),
        &e.file_name,
        e.flags,
    )
    .unwrap();
    assert_eq!(rows(&index, "fts_pending"), 1);
    search_corpus::index_text(&index, &caches);
    assert_eq!(find(&index, "body:nanoseconds").len(), 1);
    assert_eq!(count(&index, "compiler"), 1, "indexed once");
}
