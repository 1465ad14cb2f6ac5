//! mbox, MH and Babyl accounts through the `Account` trait: a scan fills the index,
//! flags and moves change the files (the way Python then reads them) and the index
//! together, an undo brings a message back under the same id, mail another program
//! appends meanwhile is never overwritten and is found, and corrupt or empty files
//! still show every readable message.

use posthorn::account::file_store::FileStoreAccount;
use posthorn::account::{Account, CacheView, PushEvent};
use posthorn::core::{AccountId, FlagOp, Flags, FolderPath, LocalId, MessageRef};
use posthorn::store::IndexReader;
use posthorn::store::formats::{FileTree, Format, MboxVariant};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn py(script: &str, args: &[&Path]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const WRITE_MBOX: &str = r#"
import mailbox, sys
b = mailbox.mbox(sys.argv[1]); b.lock()
for i, f in enumerate(['RO', '', 'RA']):
    m = mailbox.mboxMessage(f"From: u{i}@example.org\nSubject: m{i}\nMessage-ID: <{i}@t>\n\nbody {i}\nFrom a line\n".encode())
    m.set_flags(f); b.add(m)
b.flush(); b.unlock()
"#;

/// Prints `subject flags` of every message, as Python sees them.
const READ_MBOX: &str = r#"
import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    print(m['subject'], ''.join(sorted(m.get_flags())))
"#;

fn id(s: &str) -> AccountId {
    AccountId(s.into())
}

fn account(dir: &Path, root: &Path, format: Format) -> (FileStoreAccount, CacheView) {
    let tree = FileTree::open(root, format, None).unwrap();
    let ix = dir.join("index.sqlite");
    let acc = FileStoreAccount::open(id("old"), tree.clone(), &ix).unwrap();
    (acc, CacheView::files(id("old"), tree, &ix))
}

/// (id, subject, flags) of a folder's envelopes, by subject.
fn envelopes(dir: &Path, folder: &str) -> Vec<(LocalId, String, Flags)> {
    let r = IndexReader::open(&dir.join("index.sqlite")).unwrap();
    let mut v: Vec<_> = r
        .view()
        .envelopes(&id("old"), &FolderPath(folder.into()))
        .unwrap()
        .into_iter()
        .map(|e| (e.id, e.subject, e.flags))
        .collect();
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

fn refs(ids: &[&LocalId]) -> Vec<MessageRef> {
    ids.iter()
        .map(|i| MessageRef::local((*i).clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_mbox_directory_account_triages_like_maildir() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("mail");
    std::fs::create_dir(&root).unwrap();
    let inbox_file = root.join("inbox");
    py(WRITE_MBOX, &[&inbox_file]);
    std::fs::set_permissions(&inbox_file, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::write(root.join("Archive"), b"").unwrap();
    std::fs::write(root.join("notes.txt"), b"not mail\n").unwrap();
    let (mut acc, cache) = account(dir.path(), &root, Format::Mbox(MboxVariant::Mboxrd));
    let names: Vec<String> = acc
        .list_folders()
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.path.0)
        .collect();
    assert_eq!(names, ["INBOX", "Archive"]);
    assert!(
        acc.take_notes()
            .iter()
            .any(|n| n.contains("notes.txt: not an mbox file"))
    );
    let inbox = FolderPath::inbox();
    let r = acc.sync_folder(&inbox, &mut |_| {}).await.unwrap();
    assert_eq!((r.added, r.unreadable.len()), (3, 0));
    let env = envelopes(dir.path(), "INBOX");
    let flags: Vec<Flags> = env.iter().map(|e| e.2).collect();
    assert_eq!(
        flags,
        [
            Flags::SEEN,
            Flags::empty(),
            Flags::SEEN.union(Flags::REPLIED)
        ]
    );
    // Reading goes through the locator; the body is unquoted.
    let raw = cache.read(&inbox, &env[1].0).unwrap().unwrap();
    assert!(String::from_utf8_lossy(&raw).contains("body 1\nFrom a line\n"));

    // A flag: the file is rewritten (permissions kept), Python sees it, ids stay.
    acc.set_flags(&inbox, &refs(&[&env[1].0]), FlagOp::Add(Flags::FLAGGED))
        .await
        .unwrap();
    assert_eq!(py(READ_MBOX, &[&inbox_file]), "m0 OR\nm1 F\nm2 AR\n");
    let mode = std::fs::metadata(&inbox_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let after = envelopes(dir.path(), "INBOX");
    assert_eq!(after[1].0, env[1].0);
    assert_eq!(after[1].2, Flags::FLAGGED);
    assert!(!root.join("inbox.lock").exists());

    // Delete = move to Trash (created), and undo = move back: the same id.
    let trash = FolderPath("Trash".into());
    acc.move_to(&inbox, &refs(&[&env[0].0]), &trash)
        .await
        .unwrap();
    assert_eq!(py(READ_MBOX, &[&root.join("Trash")]), "m0 OR\n");
    assert_eq!(py(READ_MBOX, &[&inbox_file]), "m1 F\nm2 AR\n");
    let in_trash = envelopes(dir.path(), "Trash");
    assert_eq!(in_trash.len(), 1);
    assert_eq!(in_trash[0].0, env[0].0);
    let back = acc.restore_targets(&refs(&[&env[0].0])).await;
    assert_eq!(back[0].0, inbox);
    acc.move_to(&trash, &refs(&[&env[0].0]), &inbox)
        .await
        .unwrap();
    assert_eq!(py(READ_MBOX, &[&inbox_file]), "m1 F\nm2 AR\nm0 OR\n");
    let env2 = envelopes(dir.path(), "INBOX");
    assert_eq!(
        env2.iter().map(|e| &e.0).collect::<Vec<_>>(),
        env.iter().map(|e| &e.0).collect::<Vec<_>>()
    );
    // Every locator still reads its message.
    for (i, s, _) in &env2 {
        let raw = cache.read(&inbox, i).unwrap().unwrap();
        assert!(String::from_utf8_lossy(&raw).contains(&format!("Subject: {s}\n")));
    }
    // The index is in step with the files: a rescan finds nothing to do.
    let r = acc.sync_folder(&inbox, &mut |_| {}).await.unwrap();
    assert!(!r.changed_anything(), "{r:?}");
}

const APPEND: &str = r#"
import mailbox, sys, time
n = int(sys.argv[2])
for i in range(n):
    while True:
        b = mailbox.mbox(sys.argv[1])
        try:
            b.lock()
        except mailbox.ExternalClashError:
            time.sleep(0.005); continue
        b.add(f"From: late@example.org\nSubject: late{i}\nMessage-ID: <late{i}@t>\n\nbody\n".encode())
        b.flush(); b.unlock(); b.close()
        break
"#;

#[tokio::test(flavor = "multi_thread")]
async fn mail_appended_meanwhile_is_found_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("INBOX.mbox");
    py(WRITE_MBOX, &[&file]);
    let (mut acc, _) = account(dir.path(), &file, Format::Mbox(MboxVariant::Mboxrd));
    acc.connect().await.unwrap();
    let mut push = acc.take_push().unwrap();
    let inbox = FolderPath::inbox();
    acc.sync_folder(&inbox, &mut |_| {}).await.unwrap();
    let env = envelopes(dir.path(), "INBOX");
    // One message appended by another program while the account holds its table of
    // contents: the next change reads the file again first.
    let n = Path::new("1");
    py(APPEND, &[&file, n]);
    acc.set_flags(&inbox, &refs(&[&env[1].0]), FlagOp::Add(Flags::SEEN))
        .await
        .unwrap();
    assert_eq!(py(READ_MBOX, &[&file]), "m0 OR\nm1 OR\nm2 AR\nlate0 \n");
    // ... and the account rescans it (asked through push), finding the new message.
    let ev = tokio::time::timeout(std::time::Duration::from_secs(10), push.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev, PushEvent::Folder(inbox.clone()));
    let r = acc.sync_folder(&inbox, &mut |_| {}).await.unwrap();
    assert_eq!(r.added, 1);
    // Another process appends 30 messages while posthorn keeps rewriting the file.
    let appender = std::thread::spawn({
        let file = file.clone();
        move || py(APPEND, &[&file, Path::new("30")])
    });
    for k in 0..30 {
        let op = if k % 2 == 0 {
            FlagOp::Add(Flags::FLAGGED)
        } else {
            FlagOp::Remove(Flags::FLAGGED)
        };
        acc.set_flags(&inbox, &refs(&[&env[0].0]), op)
            .await
            .unwrap();
    }
    appender.join().unwrap();
    let seen = py(READ_MBOX, &[&file]);
    assert_eq!(seen.lines().count(), 4 + 30, "{seen}");
    for i in 0..30 {
        assert!(
            seen.contains(&format!("late{i} \n")),
            "late{i} lost:\n{seen}"
        );
    }
    assert!(seen.starts_with("m0 OR\n"), "{seen}");
    acc.sync_folder(&inbox, &mut |_| {}).await.unwrap();
    assert_eq!(envelopes(dir.path(), "INBOX").len(), 34);
    // Another program removes both `late0` (the first append and the first of the 30:
    // the same header, so the same content hash, told apart by `-2`), rewriting the
    // file: the rescan drops them.
    py(
        r#"
import mailbox, sys
b = mailbox.mbox(sys.argv[1]); b.lock()
for k, m in b.items():
    if m['subject'] == 'late0': b.remove(k)
b.flush(); b.unlock()
"#,
        &[&file],
    );
    let r = acc.sync_folder(&inbox, &mut |_| {}).await.unwrap();
    assert_eq!((r.added, r.removed), (0, 2), "{r:?}");
    let left = envelopes(dir.path(), "INBOX");
    assert_eq!(left.len(), 32);
    assert!(!left.iter().any(|e| e.1 == "late0"));
}

#[tokio::test(flavor = "multi_thread")]
async fn corrupt_and_empty_files_show_every_readable_message() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("mail");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(
        root.join("inbox"),
        b"garbage line\nFrom a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n\nFrom a@b Mon Jan  1 00:00:00 2024\nSubject: two\nContent-Length: 900\n\ncut off",
    )
    .unwrap();
    std::fs::write(root.join("empty"), b"").unwrap();
    let (mut acc, cache) = account(dir.path(), &root, Format::Mbox(MboxVariant::Mboxrd));
    let r = acc
        .sync_folder(&FolderPath::inbox(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(r.added, 2);
    let problems: Vec<String> = r
        .unreadable
        .iter()
        .map(|(at, what)| format!("{at}: {what}"))
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("byte 0: not the start of a message"));
    assert!(
        problems[1].starts_with("byte 67: Content-Length says 900"),
        "{problems:?}"
    );
    let env = envelopes(dir.path(), "INBOX");
    assert_eq!(
        env.iter().map(|e| e.1.as_str()).collect::<Vec<_>>(),
        ["one", "two"]
    );
    assert!(
        cache
            .read(&FolderPath::inbox(), &env[1].0)
            .unwrap()
            .unwrap()
            .ends_with(b"cut off")
    );
    let r = acc
        .sync_folder(&FolderPath("empty".into()), &mut |_| {})
        .await
        .unwrap();
    assert_eq!((r.added, r.unreadable.len()), (0, 0));
    assert!(!cache.holds_mail(&FolderPath("empty".into())));
    // A flag change keeps the junk (bytes nobody understood are never dropped).
    acc.set_flags(
        &FolderPath::inbox(),
        &refs(&[&env[0].0]),
        FlagOp::Add(Flags::SEEN),
    )
    .await
    .unwrap();
    assert!(
        std::fs::read(root.join("inbox"))
            .unwrap()
            .starts_with(b"garbage line\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_mh_account_keeps_its_sequences_and_context() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Mail");
    py(
        r#"
import mailbox, sys
root = mailbox.MH(sys.argv[1])
inbox = root.add_folder('inbox')
for i, seqs in enumerate([['unseen'], ['flagged', 'replied'], []]):
    m = mailbox.MHMessage(f"From: u{i}@example.org\nSubject: m{i}\nMessage-ID: <{i}@t>\n\nbody {i}\n".encode())
    for s in seqs: m.add_sequence(s)
    inbox.add(m)
root.add_folder('lists').add_folder('rust')
with open(sys.argv[1] + '/inbox/.mh_sequences', 'a') as f: f.write('cur: 2\n')
"#,
        &[&root],
    );
    std::fs::write(root.join("context"), b"Current-Folder: inbox\n").unwrap();
    let ctx_before = std::fs::metadata(root.join("context"))
        .unwrap()
        .modified()
        .unwrap();
    let (mut acc, cache) = account(dir.path(), &root, Format::Mh);
    let names: Vec<String> = acc
        .list_folders()
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.path.0)
        .collect();
    assert_eq!(names, ["INBOX", "lists", "lists/rust"]);
    let inbox = FolderPath::inbox();
    acc.sync_folder(&inbox, &mut |_| {}).await.unwrap();
    let env = envelopes(dir.path(), "INBOX");
    assert_eq!(
        env.iter().map(|e| e.2).collect::<Vec<_>>(),
        [
            Flags::empty(),
            Flags::SEEN.union(Flags::FLAGGED).union(Flags::REPLIED),
            Flags::SEEN
        ]
    );
    acc.set_flags(&inbox, &refs(&[&env[0].0]), FlagOp::Add(Flags::SEEN))
        .await
        .unwrap();
    let seq = std::fs::read_to_string(root.join("inbox/.mh_sequences")).unwrap();
    assert!(!seq.contains("unseen"), "{seq}");
    assert!(
        seq.contains("cur: 2\n") && seq.contains("flagged: 2\n"),
        "{seq}"
    );
    let rust = FolderPath("lists/rust".into());
    acc.move_to(&inbox, &refs(&[&env[1].0]), &rust)
        .await
        .unwrap();
    assert!(!root.join("inbox/2").exists() && root.join("lists/rust/1").exists());
    let seq = std::fs::read_to_string(root.join("lists/rust/.mh_sequences")).unwrap();
    assert_eq!(seq, "replied: 1\nflagged: 1\n");
    let moved = envelopes(dir.path(), "lists/rust");
    assert_eq!(moved[0].0, env[1].0);
    assert!(
        cache
            .read(&rust, &env[1].0)
            .unwrap()
            .unwrap()
            .ends_with(b"body 1\n")
    );
    assert_eq!(
        std::fs::read(root.join("context")).unwrap(),
        b"Current-Folder: inbox\n"
    );
    assert_eq!(
        std::fs::metadata(root.join("context"))
            .unwrap()
            .modified()
            .unwrap(),
        ctx_before
    );
    let r = acc.sync_folder(&inbox, &mut |_| {}).await.unwrap();
    assert!(!r.changed_anything(), "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_babyl_account_keeps_its_labels() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("RMAIL");
    std::fs::write(
        &file,
        b"BABYL OPTIONS:\nVersion: 5\nLabels: work\n\x1f\x0c\n1, edited,, work,\nFrom: a@b\nSubject: one\n\n*** EOOH ***\nFrom: a@b\nSubject: one\n\nbody one\n\x1f\x0c\n0, unseen,,\n*** EOOH ***\nFrom: c@d\nSubject: two\n\nbody two\n\x1f",
    )
    .unwrap();
    let (mut acc, cache) = account(dir.path(), &file, Format::Babyl);
    let inbox = FolderPath::inbox();
    let r = acc.sync_folder(&inbox, &mut |_| {}).await.unwrap();
    assert_eq!((r.added, r.unreadable.len()), (2, 0));
    let env = envelopes(dir.path(), "INBOX");
    assert_eq!(env[0].2, Flags::SEEN);
    assert_eq!(env[1].2, Flags::empty());
    assert_eq!(
        cache.read(&inbox, &env[1].0).unwrap().unwrap(),
        b"From: c@d\nSubject: two\n\nbody two"
    );
    acc.set_flags(&inbox, &refs(&[&env[0].0]), FlagOp::Add(Flags::REPLIED))
        .await
        .unwrap();
    acc.set_flags(&inbox, &refs(&[&env[1].0]), FlagOp::Add(Flags::FLAGGED))
        .await
        .unwrap();
    let text = String::from_utf8(std::fs::read(&file).unwrap()).unwrap();
    assert!(
        text.contains("\x0c\n1, edited, answered,, work,\n"),
        "{text:?}"
    );
    assert!(text.contains("\x0c\n0, unseen,, flagged,\n"), "{text:?}");
    // Single-file accounts have no other folders to move to.
    assert!(!acc.capabilities().folders);
}
