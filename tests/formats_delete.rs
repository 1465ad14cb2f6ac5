//! A single mbox, Babyl or MMDF file has no Trash: `d` marks a message deleted (the
//! format's own mark, so mutt, Emacs and Python agree), `u` or `U` clears it, and `X`
//! (after a y/n question) removes the marked messages from the file for good. The
//! account side is checked on a real file read back by Python's `mailbox`.

mod common;

use common::*;
use posthorn::account::Account;
use posthorn::account::file_store::FileStoreAccount;
use posthorn::app::{AppEvent, Effect, TriageOp, update};
use posthorn::core::{AccountId, Capabilities, FlagOp, Flags, FolderOp, FolderPath, MessageRef};
use posthorn::store::IndexReader;
use posthorn::store::formats::{FileTree, Format, MboxVariant};
use std::path::Path;
use std::process::Command;

fn py(script: &str, arg: &Path) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(arg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn marked_messages_leave_the_file_on_expunge_and_the_rest_stay() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mbox");
    py(
        r#"
import mailbox, sys
b = mailbox.mbox(sys.argv[1])
for i in range(3):
    b.add(mailbox.mboxMessage(f"From: u{i}@example.org\nSubject: m{i}\nMessage-ID: <{i}@t>\n\nbody {i}\nFrom a line\n".encode()))
b.flush()
"#,
        &file,
    );
    let tree = FileTree::open(&file, Format::Mbox(MboxVariant::Mboxrd), None).unwrap();
    let ix = dir.path().join("index.sqlite");
    let id = AccountId("old".into());
    let mut acc = FileStoreAccount::open(id.clone(), tree, &ix).unwrap();
    assert!(!acc.capabilities().folders);
    let inbox = FolderPath::inbox();
    acc.sync_folder(&inbox, &mut |_| {}).await.unwrap();
    let envs = IndexReader::open(&ix)
        .unwrap()
        .view()
        .envelopes(&id, &inbox)
        .unwrap();
    let m1 = envs.iter().find(|e| e.subject == "m1").unwrap().id.clone();

    // Nothing marked: expunge removes nothing.
    acc.folder_op(&FolderOp::Expunge(inbox.clone()))
        .await
        .unwrap();
    let read = "import mailbox, sys\nfor m in mailbox.mbox(sys.argv[1]): print(m['subject'], ''.join(sorted(m.get_flags())))";
    assert_eq!(py(read, &file).lines().count(), 3);

    acc.set_flags(
        &inbox,
        &[MessageRef::local(m1)],
        FlagOp::Add(Flags::TRASHED),
    )
    .await
    .unwrap();
    // Python sees the mark as mbox's D flag.
    assert!(py(read, &file).contains("m1 D"), "{}", py(read, &file));
    acc.folder_op(&FolderOp::Expunge(inbox.clone()))
        .await
        .unwrap();
    assert_eq!(py(read, &file), "m0 \nm2 \n");
    let left: Vec<_> = IndexReader::open(&ix)
        .unwrap()
        .view()
        .envelopes(&id, &inbox)
        .unwrap()
        .into_iter()
        .map(|e| e.subject)
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    // The body lines that look like separators survived the rewrite.
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches(">From a line").count(), 2, "{text}");
}

/// A state whose account is one file (no folders, flags kept).
fn single_file_state() -> posthorn::app::AppState {
    let mut s = state_with(
        vec![
            env("a", "Plan", "Ann", NOW - 3000),
            env("b", "Budget", "Bob", NOW - 2000),
        ],
        80,
        24,
    );
    update(
        &mut s,
        AppEvent::Capabilities {
            account: AccountId("home".into()),
            caps: Capabilities {
                folders: false,
                ..Capabilities::LOCAL
            },
        },
    );
    s
}

fn flag_ops(fx: &[Effect]) -> Vec<FlagOp> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Triage {
                op: TriageOp::SetFlags { op, .. },
                ..
            } => Some(*op),
            _ => None,
        })
        .collect()
}

#[test]
fn d_marks_u_unmarks_and_x_asks_then_expunges() {
    let mut s = single_file_state();
    let n = s.envelopes.len();
    let fx = press(&mut s, &["d"]);
    assert_eq!(flag_ops(&fx), vec![FlagOp::Add(Flags::TRASHED)], "{fx:?}");
    assert_eq!(s.envelopes.len(), n, "a marked message stays in the list");
    assert_eq!(
        s.envelopes
            .iter()
            .filter(|e| e.flags.contains(Flags::TRASHED))
            .count(),
        1
    );
    // Undo sends the inverse (the list follows when the account answers).
    let fx = press(&mut s, &["u"]);
    assert_eq!(
        flag_ops(&fx),
        vec![FlagOp::Remove(Flags::TRASHED)],
        "{fx:?}"
    );
    // U clears the mark at once.
    press(&mut s, &["d"]);
    let fx = press(&mut s, &["U"]);
    assert_eq!(
        flag_ops(&fx),
        vec![FlagOp::Remove(Flags::TRASHED)],
        "{fx:?}"
    );
    assert!(
        s.envelopes
            .iter()
            .all(|e| !e.flags.contains(Flags::TRASHED))
    );

    // X with nothing marked says so and sends nothing.
    let fx = press(&mut s, &["X"]);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::FolderOp { .. })),
        "{fx:?}"
    );
    assert!(s.prompt.is_none());

    press(&mut s, &["d"]);
    press(&mut s, &["X"]);
    assert!(s.prompt.is_some(), "X asks first");
    let fx = press(&mut s, &["n"]);
    assert!(!fx.iter().any(|e| matches!(e, Effect::FolderOp { .. })));
    press(&mut s, &["X"]);
    let fx = press(&mut s, &["y"]);
    let ops: Vec<_> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::FolderOp { op, .. } => Some(op.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ops, vec![FolderOp::Expunge(FolderPath::inbox())]);
}
