//! Pure `update` tests of the folder keys: new, rename, delete, subscribe, empty
//! Trash. Key -> prompt -> effect; a declined or cancelled confirmation sends nothing;
//! answers become info lines or errors in the words of the account.

mod common;

use common::*;
use posthorn::app::folder_ops::Confirmed;
use posthorn::app::state::{Focus, PromptKind};
use posthorn::app::{Action, AppEvent, AppState, Context, Effect, Key, Keymap, TriageOp, update};
use posthorn::core::{
    AccountId, ErrorKind, Failure, FlagOp, Flags, FolderOp, FolderPath, LocalId, MessageRef,
    RequestId,
};
use std::collections::BTreeMap;

fn home() -> AccountId {
    AccountId("home".into())
}

fn state() -> AppState {
    state_with(vec![env("a", "Plan", "Ann", NOW - 3000)], 80, 24)
}

/// The folder effects among `fx`.
fn folder_ops(fx: &[Effect]) -> Vec<(RequestId, AccountId, FolderOp)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::FolderOp { req, account, op } => Some((*req, account.clone(), op.clone())),
            _ => None,
        })
        .collect()
}

/// Nothing goes to an account (loading from the index is fine).
fn sends_nothing(fx: &[Effect]) -> bool {
    !fx.iter()
        .any(|e| matches!(e, Effect::FolderOp { .. } | Effect::Triage { .. }))
}

/// Folder pane focused, cursor on the `i`th folder (INBOX, Archive, Lists/rust, Trash).
fn select(s: &mut AppState, i: usize) {
    press(s, &["tab"]);
    assert_eq!(s.focus, Focus::Folders);
    press(s, &["g"]);
    for _ in 0..i {
        press(s, &["j"]);
    }
}

fn status(s: &AppState) -> (bool, String) {
    let n = s.status.clone().expect("a status line");
    (n.error, n.text)
}

#[test]
fn new_folder_prompt_sends_create_and_success_reloads_the_folders() {
    let mut s = state();
    press(&mut s, &["+"]);
    assert!(matches!(
        s.prompt.as_ref().map(|p| &p.kind),
        Some(PromptKind::FolderName { rename: None, .. })
    ));
    typed(&mut s, "Lists/go");
    let fx = press(&mut s, &["enter"]);
    let ops = folder_ops(&fx);
    assert_eq!(ops.len(), 1, "{fx:?}");
    let (req, account, op) = ops[0].clone();
    assert_eq!(account, home());
    assert_eq!(op, FolderOp::Create(FolderPath("Lists/go".into())));
    assert!(s.prompt.is_none());
    let fx = update(
        &mut s,
        AppEvent::FolderOpDone {
            req,
            result: Ok(()),
        },
    );
    assert!(fx.contains(&Effect::LoadFolders { account: home() }));
    assert_eq!(status(&s), (false, "Created home/Lists/go".into()));
}

#[test]
fn a_bad_or_existing_name_keeps_the_prompt_and_sends_nothing() {
    let mut s = state();
    press(&mut s, &["+"]);
    typed(&mut s, "a//b");
    let fx = press(&mut s, &["enter"]);
    assert!(sends_nothing(&fx));
    assert!(s.prompt.is_some());
    press(&mut s, &["ctrl-u"]);
    typed(&mut s, "Archive");
    let fx = press(&mut s, &["enter"]);
    assert!(sends_nothing(&fx));
    assert!(status(&s).1.contains("already exists"), "{:?}", s.status);
    let fx = press(&mut s, &["esc"]);
    assert!(sends_nothing(&fx) && s.prompt.is_none());
}

#[test]
fn rename_is_prefilled_with_the_selected_folder() {
    let mut s = state();
    select(&mut s, 2);
    press(&mut s, &["ctrl-r"]);
    let p = s.prompt.clone().expect("a prompt");
    assert_eq!(p.input, "Lists/rust");
    press(
        &mut s,
        &["backspace", "backspace", "backspace", "backspace"],
    );
    typed(&mut s, "go");
    let fx = press(&mut s, &["enter"]);
    assert_eq!(
        folder_ops(&fx)
            .into_iter()
            .map(|(_, a, op)| (a, op))
            .collect::<Vec<_>>(),
        vec![(
            home(),
            FolderOp::Rename {
                from: FolderPath("Lists/rust".into()),
                to: FolderPath("Lists/go".into()),
            }
        )]
    );
}

#[test]
fn delete_asks_naming_the_folder_and_its_count_and_only_yes_sends() {
    let mut s = state();
    select(&mut s, 0);
    press(&mut s, &["D"]);
    match s.prompt.as_ref().map(|p| &p.kind) {
        Some(PromptKind::Confirm { question, yes }) => {
            assert!(question.contains("home/INBOX"), "{question}");
            assert!(question.contains("1 message"), "{question}");
            assert_eq!(
                *yes,
                Confirmed::DeleteFolder {
                    account: home(),
                    folder: FolderPath::inbox()
                }
            );
        }
        other => panic!("no confirmation: {other:?}"),
    }
    // Other keys leave the question up.
    let fx = press(&mut s, &["j", "enter"]);
    assert!(sends_nothing(&fx) && s.prompt.is_some());
    let fx = press(&mut s, &["n"]);
    assert!(sends_nothing(&fx) && s.prompt.is_none());
    press(&mut s, &["D"]);
    let fx = press(&mut s, &["esc"]);
    assert!(sends_nothing(&fx) && s.prompt.is_none());
    assert_eq!(status(&s).1, "Cancelled");
    press(&mut s, &["D"]);
    let fx = press(&mut s, &["y"]);
    let ops = folder_ops(&fx);
    assert_eq!(ops.len(), 1);
    assert_eq!(
        (&ops[0].1, &ops[0].2),
        (&home(), &FolderOp::Delete(FolderPath::inbox()))
    );
}

#[test]
fn a_failure_shows_the_accounts_words_in_the_status_line_and_the_notices() {
    let mut s = state();
    select(&mut s, 1);
    let fx = press(&mut s, &["D", "y"]);
    let req = folder_ops(&fx)[0].0;
    let fx = update(
        &mut s,
        AppEvent::FolderOpDone {
            req,
            result: Err(Failure::new(
                ErrorKind::Rejected,
                "NO [CANNOT] Mailbox is busy",
            )),
        },
    );
    let (error, text) = status(&s);
    assert!(error);
    assert!(text.contains("Could not delete Archive"), "{text}");
    assert!(text.contains("NO [CANNOT] Mailbox is busy"), "{text}");
    assert!(s.notices.iter().any(|n| n.error && n.text == text));
    assert!(fx.contains(&Effect::LoadFolders { account: home() }));
}

#[test]
fn subscribe_toggles() {
    let mut s = state();
    select(&mut s, 2);
    let fx = press(&mut s, &["S"]);
    let (req, _, op) = folder_ops(&fx)[0].clone();
    let rust = FolderPath("Lists/rust".into());
    assert_eq!(
        op,
        FolderOp::Subscribe {
            folder: rust.clone(),
            on: false
        }
    );
    update(
        &mut s,
        AppEvent::FolderOpDone {
            req,
            result: Ok(()),
        },
    );
    assert_eq!(
        status(&s),
        (false, "Unsubscribed from home/Lists/rust".into())
    );
    let fx = press(&mut s, &["S"]);
    assert_eq!(
        folder_ops(&fx)[0].2,
        FolderOp::Subscribe {
            folder: rust,
            on: true
        }
    );
}

/// Trash open and listed with two messages, one of them already marked deleted.
fn trash_listed() -> AppState {
    let mut s = state();
    select(&mut s, 3);
    let fx = press(&mut s, &["X"]);
    assert!(sends_nothing(&fx), "the Trash is listed first");
    let req = req_of(&fx).expect("Trash is opened");
    let trash = FolderPath("Trash".into());
    let mut a = env("t1", "Old", "Ann", NOW - 5000);
    a.folder = trash.clone();
    let mut b = env("t2", "Older", "Bob", NOW - 6000);
    b.folder = trash;
    b.flags = Flags::SEEN.union(Flags::TRASHED);
    update(
        &mut s,
        AppEvent::EnvelopesLoaded {
            req,
            envelopes: vec![a, b],
        },
    );
    s
}

#[test]
fn empty_trash_only_on_a_trash_folder() {
    let mut s = state();
    select(&mut s, 1);
    let fx = press(&mut s, &["X"]);
    assert!(sends_nothing(&fx) && s.prompt.is_none());
    assert!(status(&s).1.contains("not a Trash folder"));
}

#[test]
fn empty_trash_asks_and_declining_sends_nothing() {
    let mut s = trash_listed();
    press(&mut s, &["X"]);
    match s.prompt.as_ref().map(|p| &p.kind) {
        Some(PromptKind::Confirm { question, .. }) => {
            assert!(
                question.contains("remove 2 messages for good?"),
                "{question}"
            );
        }
        other => panic!("no confirmation: {other:?}"),
    }
    let fx = press(&mut s, &["n"]);
    assert!(sends_nothing(&fx) && s.prompt.is_none());
    press(&mut s, &["X"]);
    let fx = press(&mut s, &["esc"]);
    assert!(sends_nothing(&fx) && s.prompt.is_none());
}

#[test]
fn empty_trash_marks_then_expunges_and_reloads() {
    let mut s = trash_listed();
    let trash = FolderPath("Trash".into());
    let fx = press(&mut s, &["X", "y"]);
    // Only the message not yet marked is marked.
    let (req, account, op) = match &fx[..] {
        [Effect::Triage { req, account, op }] => (*req, account.clone(), op.clone()),
        other => panic!("expected one mark: {other:?}"),
    };
    assert_eq!(account, home());
    assert_eq!(
        op,
        TriageOp::Delete {
            folder: trash.clone(),
            ids: vec![MessageRef::local(LocalId("t1".into()))]
        }
    );
    let fx = update(
        &mut s,
        AppEvent::TriageDone {
            req,
            result: Ok(()),
        },
    );
    let ops = folder_ops(&fx);
    assert_eq!(ops.len(), 1, "{fx:?}");
    assert_eq!((&ops[0].1, &ops[0].2), (&home(), &FolderOp::Expunge(trash)));
    let fx = update(
        &mut s,
        AppEvent::FolderOpDone {
            req: ops[0].0,
            result: Ok(()),
        },
    );
    assert_eq!(status(&s), (false, "Emptied home/Trash".into()));
    assert!(fx.iter().any(|e| matches!(e, Effect::LoadEnvelopes { .. })));
    assert!(fx.contains(&Effect::LoadFolders { account: home() }));
}

#[test]
fn a_refused_expunge_is_shown_and_the_marks_it_added_are_taken_back() {
    let mut s = trash_listed();
    let fx = press(&mut s, &["X", "y"]);
    let req = req_of(&fx).unwrap();
    let fx = update(
        &mut s,
        AppEvent::TriageDone {
            req,
            result: Ok(()),
        },
    );
    let req = folder_ops(&fx)[0].0;
    let fx = update(
        &mut s,
        AppEvent::FolderOpDone {
            req,
            result: Err(Failure::new(
                ErrorKind::Unsupported,
                "this account cannot do that to its folders",
            )),
        },
    );
    let (error, text) = status(&s);
    assert!(
        error && text.contains("cannot do that to its folders"),
        "{text}"
    );
    assert!(
        fx.iter().any(|e| matches!(e, Effect::Triage {
            op: TriageOp::SetFlags { ids, op: FlagOp::Remove(Flags::TRASHED), .. }, ..
        } if ids == &vec![MessageRef::local(LocalId("t1".into()))])),
        "{fx:?}"
    );
}

#[test]
fn folder_keys_are_configurable_and_in_the_help() {
    let mut o = BTreeMap::new();
    o.insert("x".to_string(), "empty-trash".to_string());
    o.insert("ctrl-n".to_string(), "new-folder".to_string());
    let (map, problems) = Keymap::with_overrides(&o);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        map.lookup(Context::List, Key::ch('x')),
        Some(Action::EmptyTrash)
    );
    assert_eq!(
        map.lookup(Context::List, Key::parse("ctrl-n").unwrap()),
        Some(Action::NewFolder)
    );
    let help = Keymap::default().help(Context::List);
    for name in [
        "new-folder",
        "rename-folder",
        "delete-folder",
        "toggle-subscribe",
        "empty-trash",
    ] {
        let a = Action::from_name(name).expect(name);
        assert!(
            help.iter().any(|(_, h)| *h == a.help()),
            "{name} not in help"
        );
    }
}
