//! Pure `update` tests: key -> action -> effect -> state, no terminal, no disk.

mod common;

use common::*;
use posthorn::app::state::{Focus, Pending};
use posthorn::app::{AppEvent, Effect, MouseKind, TriageOp, update};
use posthorn::core::{FlagOp, Flags, FolderPath};
use std::collections::HashSet;

fn three() -> Vec<posthorn::core::Envelope> {
    let mut a = env("a", "Plan", "Ann", NOW - 3000);
    let mut b = env("b", "Re: Plan", "Bob", NOW - 2000);
    b.references = "<a@t>".into();
    let mut c = env("c", "Lunch", "Zoë", NOW - 1000);
    c.flags = Flags::empty();
    a.has_attachments = true;
    vec![a, b, c]
}

/// A rescan of home/INBOX that found changes, and the reload it asks for.
fn rescan_and_reload(s: &mut posthorn::app::AppState, envelopes: Vec<posthorn::core::Envelope>) {
    let fx = update(
        s,
        AppEvent::ScanDone {
            account: posthorn::core::AccountId("home".into()),
            folder: FolderPath::inbox(),
            changed: true,
            result: Ok(()),
        },
    );
    update(
        s,
        AppEvent::EnvelopesLoaded {
            req: req_of(&fx).unwrap(),
            envelopes,
        },
    );
}

fn subject_at(s: &posthorn::app::AppState, i: usize) -> &str {
    &s.envelopes[s.rows[i].index].subject
}

#[test]
fn opening_a_folder_loads_and_scans_it() {
    let s = state_with(three(), 80, 24);
    assert_eq!(s.rows.len(), 3);
    // Threads newest first: Lunch, then Plan with its reply.
    assert_eq!(subject_at(&s, 0), "Lunch");
    assert_eq!((subject_at(&s, 1), s.rows[2].depth), ("Plan", 1));
}

#[test]
fn navigation_keys_move_the_cursor() {
    let mut s = state_with(three(), 80, 24);
    press(&mut s, &["j", "j", "j"]);
    assert_eq!(s.cursor, 2, "stops at the end");
    press(&mut s, &["g"]);
    assert_eq!(s.cursor, 0);
    press(&mut s, &["G", "k"]);
    assert_eq!(s.cursor, 1);
}

#[test]
fn stale_envelope_answers_are_dropped() {
    let mut s = state_with(three(), 80, 24);
    update(
        &mut s,
        AppEvent::EnvelopesLoaded {
            req: posthorn::core::RequestId(999),
            envelopes: vec![],
        },
    );
    assert_eq!(s.rows.len(), 3);
}

#[test]
fn open_marks_read_and_loads_the_message() {
    let mut s = state_with(three(), 80, 24);
    let fx = press(&mut s, &["enter"]);
    assert!(matches!(&fx[0], Effect::LoadMessage { env, .. } if env.subject == "Lunch"));
    assert!(fx.iter().any(|e| matches!(e, Effect::Triage { op: TriageOp::SetFlags { op: FlagOp::Add(f), .. }, .. } if *f == Flags::SEEN)));
    assert_eq!(s.focus, Focus::Reader);
    assert!(
        !s.envelopes
            .iter()
            .find(|e| e.subject == "Lunch")
            .unwrap()
            .is_unread()
    );
    let req = req_of(&fx).unwrap();
    update(
        &mut s,
        AppEvent::MessageLoaded {
            req,
            result: Ok(posthorn::mime::parse_message(b"Subject: Lunch\n\nnoon?")),
        },
    );
    assert!(s.reader.as_ref().unwrap().view.is_some());
    press(&mut s, &["q"]);
    assert_eq!(s.focus, Focus::List);
    assert!(!s.quit, "q in the reader closes it, not the program");
}

#[test]
fn delete_then_undo_restores_through_the_account() {
    let mut s = state_with(three(), 80, 24);
    let fx = press(&mut s, &["d"]);
    let Effect::Triage {
        req,
        op: TriageOp::Move { from, ids, to },
        ..
    } = &fx[0]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(
        (from.0.as_str(), to.0.as_str(), ids.len()),
        ("INBOX", "Trash", 1)
    );
    assert_eq!(s.rows.len(), 2, "gone from the list at once");
    update(
        &mut s,
        AppEvent::TriageDone {
            req: *req,
            result: Ok(()),
        },
    );

    let fx = press(&mut s, &["u"]);
    let Effect::Triage {
        req,
        op: TriageOp::Move { from, to, .. },
        ..
    } = &fx[0]
    else {
        panic!("{fx:?}")
    };
    assert_eq!((from.0.as_str(), to.0.as_str()), ("Trash", "INBOX"));
    assert!(matches!(
        s.pending.get(req),
        Some(Pending::Triage {
            reload: true,
            undo: Some(_),
            ..
        })
    ));
    assert!(
        !s.status.as_ref().unwrap().text.starts_with("Undone"),
        "not undone before the account says so"
    );
    let fx = update(
        &mut s,
        AppEvent::TriageDone {
            req: *req,
            result: Ok(()),
        },
    );
    assert!(
        fx.iter().any(|e| matches!(e, Effect::LoadEnvelopes { .. })),
        "the list reloads after undo"
    );
}

#[test]
fn undo_has_several_levels_in_reverse_order() {
    let mut s = state_with(three(), 80, 24);
    press(&mut s, &["F"]); // flag Lunch
    press(&mut s, &["j", "a"]); // archive Plan
    press(&mut s, &["N"]); // toggle read on the next one
    assert_eq!(s.undo.len(), 3);
    let ops: Vec<TriageOp> = (0..3)
        .flat_map(|_| press(&mut s, &["u"]))
        .filter_map(|e| match e {
            Effect::Triage { op, .. } => Some(op),
            _ => None,
        })
        .collect();
    assert!(
        matches!(&ops[0], TriageOp::SetFlags { op: FlagOp::Add(f), .. } if *f == Flags::SEEN),
        "{ops:?}"
    );
    assert!(
        matches!(&ops[1], TriageOp::Move { from, to, .. } if from.0 == "Archive" && to.0 == "INBOX")
    );
    assert!(
        matches!(&ops[2], TriageOp::SetFlags { op: FlagOp::Remove(f), .. } if *f == Flags::FLAGGED)
    );
    press(&mut s, &["u"]);
    assert_eq!(s.status.as_ref().unwrap().text, "Nothing to undo");
}

#[test]
fn tagged_messages_are_acted_on_together() {
    let mut s = state_with(three(), 80, 24);
    press(&mut s, &["t", "t"]);
    assert_eq!(s.tagged.len(), 2);
    let fx = press(&mut s, &["a"]);
    let moves: Vec<_> = fx
        .iter()
        .filter(|e| matches!(e, Effect::Triage { .. }))
        .collect();
    assert_eq!(moves.len(), 1, "one move per folder");
    let Effect::Triage {
        op: TriageOp::Move { ids, to, .. },
        ..
    } = moves[0]
    else {
        panic!()
    };
    assert_eq!((ids.len(), to.0.as_str()), (2, "Archive"));
    assert!(s.tagged.is_empty());
    assert_eq!(s.rows.len(), 1);
}

#[test]
fn tag_thread_tags_the_whole_thread() {
    let mut s = state_with(three(), 80, 24);
    press(&mut s, &["j", "ctrl-t"]);
    assert_eq!(s.tagged.len(), 2);
}

#[test]
fn limit_filters_and_reports_bad_queries() {
    let mut s = state_with(three(), 80, 24);
    press(&mut s, &["/"]);
    typed(&mut s, "from:zoë");
    press(&mut s, &["enter"]);
    assert_eq!(s.rows.len(), 1);
    assert!(s.prompt.is_none());
    press(&mut s, &["esc"]);
    assert_eq!(s.rows.len(), 3);

    press(&mut s, &["/"]);
    typed(&mut s, "before:tomorrow");
    press(&mut s, &["enter"]);
    assert!(s.status.as_ref().unwrap().error);
    assert!(s.prompt.is_some(), "the prompt stays open to fix the query");
    press(&mut s, &["esc"]);

    press(&mut s, &["/"]);
    typed(&mut s, "is:unread");
    press(&mut s, &["enter"]);
    assert_eq!(s.rows.len(), 1);
}

#[test]
fn body_search_goes_to_the_runtime_and_filters_on_return() {
    let mut s = state_with(three(), 80, 24);
    press(&mut s, &["/"]);
    typed(&mut s, "body:invoice");
    let fx = press(&mut s, &["enter"]);
    let Effect::BodySearch { req, folders, .. } = &fx[0] else {
        panic!("{fx:?}")
    };
    // The index answers for the folder the list shows.
    assert_eq!(
        folders,
        &[(
            posthorn::core::AccountId("home".into()),
            FolderPath::inbox()
        )]
    );
    let mut m = HashSet::new();
    let a = &s.envelopes[0];
    m.insert((a.account.clone(), a.id.clone()));
    update(
        &mut s,
        AppEvent::BodySearchDone {
            req: *req,
            matches: m,
        },
    );
    assert_eq!(s.rows.len(), 1);
}

#[test]
fn move_prompt_completes_folder_names() {
    let mut s = state_with(three(), 80, 24);
    press(&mut s, &["m"]);
    typed(&mut s, "ru");
    assert_eq!(s.prompt.as_ref().unwrap().completions, ["Lists/rust"]);
    press(&mut s, &["tab"]);
    let fx = press(&mut s, &["enter"]);
    assert!(
        matches!(&fx[0], Effect::Triage { op: TriageOp::Move { to, .. }, .. } if to.0 == "Lists/rust")
    );
}

#[test]
fn trash_folder_rules() {
    let mut envs = three();
    for e in &mut envs {
        e.folder = FolderPath("Trash".into());
    }
    let mut s = state_with(envs, 80, 24);
    let fx = press(&mut s, &["d"]);
    assert!(fx.is_empty());
    assert!(s.status.as_ref().unwrap().text.contains("Already in Trash"));
    let fx = press(&mut s, &["U"]);
    assert!(matches!(
        &fx[0],
        Effect::Triage {
            op: TriageOp::Restore { .. },
            ..
        }
    ));
}

#[test]
fn failed_triage_is_shown_and_the_list_reloaded() {
    let mut s = state_with(three(), 80, 24);
    let fx = press(&mut s, &["d"]);
    let req = req_of(&fx).unwrap();
    let fx = update(
        &mut s,
        AppEvent::TriageDone {
            req,
            result: Err(posthorn::core::Failure::store("disk full")),
        },
    );
    assert!(
        s.status.as_ref().unwrap().error && s.status.as_ref().unwrap().text.contains("disk full")
    );
    assert!(fx.iter().any(|e| matches!(e, Effect::LoadEnvelopes { .. })));
}

#[test]
fn mouse_clicks_select_and_open_wheel_scrolls() {
    let mut s = state_with(three(), 80, 24);
    // The list starts below its header line, right of the 20-column folder pane.
    update(
        &mut s,
        AppEvent::Mouse {
            kind: MouseKind::Click,
            column: 40,
            row: 2,
        },
    );
    assert_eq!(s.cursor, 1);
    let fx = update(
        &mut s,
        AppEvent::Mouse {
            kind: MouseKind::Click,
            column: 40,
            row: 2,
        },
    );
    assert!(
        matches!(fx[0], Effect::LoadMessage { .. }),
        "a second click opens"
    );
    update(
        &mut s,
        AppEvent::Mouse {
            kind: MouseKind::ScrollDown,
            column: 40,
            row: 5,
        },
    );
    assert_eq!(s.reader.as_ref().unwrap().scroll, 3);
    press(&mut s, &["q"]);
    // Clicking a folder opens it.
    let fx = update(
        &mut s,
        AppEvent::Mouse {
            kind: MouseKind::Click,
            column: 3,
            row: 2,
        },
    );
    assert!(matches!(&fx[0], Effect::LoadEnvelopes { folders, .. } if folders[0].1.0 == "Archive"));
}

#[test]
fn help_overlay_opens_and_closes_without_quitting() {
    let mut s = state_with(three(), 80, 24);
    press(&mut s, &["?"]);
    assert!(s.help);
    press(&mut s, &["q"]);
    assert!(!s.help && !s.quit);
    let fx = press(&mut s, &["q"]);
    assert!(s.quit && fx.contains(&Effect::Quit));
}

#[test]
fn unbound_keys_say_so() {
    let mut s = state_with(three(), 80, 24);
    press(&mut s, &["ctrl-y"]); // ctrl-x cancels a news article now
    assert!(s.status.as_ref().unwrap().text.contains("not bound"));
}

#[test]
fn reader_toggles_and_saves_attachments_with_a_safe_name() {
    let (_dir, envs, _acc) = demo_inbox();
    let mut s = state_with(envs, 80, 24);
    press(&mut s, &["/"]);
    typed(&mut s, "subject:factur");
    press(&mut s, &["enter"]);
    let fx = press(&mut s, &["enter"]);
    let req = req_of(&fx).unwrap();
    let raw = _acc
        .read(
            &s.reader.as_ref().unwrap().env.folder,
            &s.reader.as_ref().unwrap().env.id,
        )
        .unwrap()
        .unwrap();
    update(
        &mut s,
        AppEvent::MessageLoaded {
            req,
            result: Ok(posthorn::mime::parse_message(&raw)),
        },
    );
    press(&mut s, &["A", "j", "j"]);
    assert_eq!(s.reader.as_ref().unwrap().attachment_cursor, 2);
    press(&mut s, &["s"]);
    assert_eq!(
        s.prompt.as_ref().unwrap().input,
        "bashrc",
        "../../.bashrc is made safe"
    );
    let fx = press(&mut s, &["enter"]);
    assert!(
        matches!(&fx[0], Effect::SaveAttachment { index: 2, dest, .. } if dest.to_str() == Some("bashrc"))
    );
    press(&mut s, &["v"]);
    assert!(s.status.as_ref().unwrap().text.contains("no HTML"));
}

#[test]
fn sort_and_thread_toggles_rebuild_the_rows() {
    let mut s = state_with(three(), 80, 24);
    press(&mut s, &["z"]);
    assert!(s.rows.iter().all(|r| r.depth == 0));
    press(&mut s, &["o", "o"]); // thread-activity -> date -> sender
    assert_eq!(s.sort.name(), "sender");
    assert_eq!(subject_at(&s, 0), "Lunch", "Zoë sorts last, reversed first");
    press(&mut s, &["O"]);
    assert_eq!(subject_at(&s, 0), "Plan");
}

#[test]
fn the_rescan_waits_until_the_list_is_on_screen() {
    use posthorn::app::{AppState, Keymap, Settings};
    use posthorn::core::{AccountId, Folder};
    let mut s = AppState::new(Keymap::default(), Settings::default());
    let a = AccountId("home".into());
    let fx = update(
        &mut s,
        AppEvent::Folders {
            account: a.clone(),
            folders: vec![Folder::mail(a, FolderPath::inbox())],
        },
    );
    assert!(
        fx.iter().all(|e| !matches!(e, Effect::Scan { .. })),
        "{fx:?}"
    );
    let req = req_of(&fx).unwrap();
    let fx = update(
        &mut s,
        AppEvent::EnvelopesLoaded {
            req,
            envelopes: three(),
        },
    );
    assert!(
        matches!(&fx[..], [Effect::Scan { folder, .. }] if folder.is_inbox()),
        "{fx:?}"
    );
    // A reload of the same folder does not rescan again.
    let fx = update(
        &mut s,
        AppEvent::ScanDone {
            account: AccountId("home".into()),
            folder: FolderPath::inbox(),
            changed: true,
            result: Ok(()),
        },
    );
    let req = req_of(&fx).unwrap();
    let fx = update(
        &mut s,
        AppEvent::EnvelopesLoaded {
            req,
            envelopes: three(),
        },
    );
    assert!(fx.is_empty(), "{fx:?}");
}

#[test]
fn unified_inbox_picks_up_an_account_that_answers_later() {
    use posthorn::app::{AppState, Keymap, Settings, ViewSource};
    use posthorn::core::{AccountId, Folder};
    let mut s = AppState::new(Keymap::default(), Settings::default());
    let (a, b) = (AccountId("a".into()), AccountId("b".into()));
    s.accounts = vec![a.clone(), b.clone()];
    let fx = update(
        &mut s,
        AppEvent::Folders {
            account: a.clone(),
            folders: vec![Folder::mail(a, FolderPath::inbox())],
        },
    );
    assert_eq!(s.source, Some(ViewSource::UnifiedInbox));
    assert!(matches!(&fx[0], Effect::LoadEnvelopes { folders, .. } if folders.len() == 1));
    let fx = update(
        &mut s,
        AppEvent::Folders {
            account: b.clone(),
            folders: vec![Folder::mail(b, FolderPath::inbox())],
        },
    );
    assert!(
        matches!(&fx[0], Effect::LoadEnvelopes { folders, .. } if folders.len() == 2),
        "{fx:?}"
    );
    // The counts arriving again for the same folders change nothing.
    let fx = update(
        &mut s,
        AppEvent::Folders {
            account: AccountId("b".into()),
            folders: vec![Folder::mail(AccountId("b".into()), FolderPath::inbox())],
        },
    );
    assert!(fx.is_empty(), "{fx:?}");
}

#[test]
fn a_list_loaded_during_a_move_is_reloaded_after_it() {
    let mut s = state_with(three(), 80, 24);
    let fx = press(&mut s, &["d"]);
    let move_req = req_of(&fx).unwrap();
    // Another reload lands before the account has moved the file: the index still has it.
    rescan_and_reload(&mut s, three());
    assert_eq!(
        s.rows.len(),
        3,
        "the stale list shows the message again for now"
    );
    let fx = update(
        &mut s,
        AppEvent::TriageDone {
            req: move_req,
            result: Ok(()),
        },
    );
    assert!(
        fx.iter().any(|e| matches!(e, Effect::LoadEnvelopes { .. })),
        "reloaded once the move is done: {fx:?}"
    );
}

#[test]
fn the_cursor_stays_at_the_top_when_the_list_grows() {
    let mut s = state_with(three(), 80, 24);
    let mut more = three();
    more.push(env("d", "Newest", "Dee", NOW));
    rescan_and_reload(&mut s, more.clone());
    assert_eq!((s.cursor, subject_at(&s, 0)), (0, "Newest"));
    // Away from the top, the cursor follows its message.
    press(&mut s, &["j", "j"]);
    let before = subject_at(&s, s.cursor).to_string();
    more.push(env("e", "Even newer", "Eve", NOW + 1));
    rescan_and_reload(&mut s, more);
    assert_eq!(subject_at(&s, s.cursor), before);
}

#[test]
fn reader_keys_say_when_the_message_is_still_loading() {
    let mut s = state_with(three(), 80, 24);
    press(&mut s, &["enter"]);
    for k in ["A", "s"] {
        press(&mut s, &[k]);
        assert_eq!(
            s.status.as_ref().unwrap().text,
            "The message is still loading",
            "{k}"
        );
    }
}

#[test]
fn an_account_without_folders_is_explained_once() {
    use posthorn::app::{AppState, Keymap, Settings};
    let mut s = AppState::new(Keymap::default(), Settings::default());
    let a = posthorn::core::AccountId("home".into());
    for _ in 0..2 {
        update(
            &mut s,
            AppEvent::Folders {
                account: a.clone(),
                folders: vec![],
            },
        );
    }
    assert_eq!(s.notices.len(), 1, "{:?}", s.notices);
    assert!(s.notices[0].error && s.notices[0].text.contains("home: no mail folders found"));
}

fn triage_reqs(fx: &[Effect]) -> Vec<posthorn::core::RequestId> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Triage { req, .. } => Some(*req),
            _ => None,
        })
        .collect()
}

fn done(s: &mut posthorn::app::AppState, req: posthorn::core::RequestId) -> Vec<Effect> {
    update(
        s,
        AppEvent::TriageDone {
            req,
            result: Ok(()),
        },
    )
}

#[test]
fn quitting_waits_for_a_pending_undo() {
    let mut s = state_with(three(), 80, 24);
    let fx = press(&mut s, &["d"]);
    done(&mut s, triage_reqs(&fx)[0]);
    let undo = triage_reqs(&press(&mut s, &["u"]))[0];
    // q right after the undo: nothing may be dropped.
    let fx = press(&mut s, &["q"]);
    assert!(!s.quit && !fx.contains(&Effect::Quit), "{fx:?}");
    assert_eq!(
        s.status.as_ref().unwrap().text,
        "Finishing 1 change… (posthorn quits when they are saved)"
    );
    // Keys while waiting do not start anything new.
    assert!(press(&mut s, &["d", "q"]).is_empty());
    let fx = done(&mut s, undo);
    assert!(s.quit && fx.contains(&Effect::Quit), "{fx:?}");
    assert!(s.notices.iter().any(|n| n.text.starts_with("Undone:")));
}

#[test]
fn an_error_while_quitting_is_shown_and_the_next_q_quits() {
    let mut s = state_with(three(), 80, 24);
    let req = triage_reqs(&press(&mut s, &["d"]))[0];
    press(&mut s, &["ctrl-c"]);
    assert!(!s.quit);
    let fx = update(
        &mut s,
        AppEvent::TriageDone {
            req,
            result: Err(posthorn::core::Failure::store("disk full")),
        },
    );
    assert!(!s.quit && !fx.contains(&Effect::Quit));
    let st = s.status.clone().unwrap();
    assert!(
        st.error && st.text.contains("home: local store: disk full"),
        "{st:?}"
    );
    let fx = press(&mut s, &["q"]);
    assert!(s.quit && fx.contains(&Effect::Quit));
}

#[test]
fn undone_is_said_only_when_the_undo_happened() {
    let mut s = state_with(three(), 80, 24);
    let fx = press(&mut s, &["a"]);
    done(&mut s, triage_reqs(&fx)[0]);
    let undo = triage_reqs(&press(&mut s, &["u"]))[0];
    assert!(!s.notices.iter().any(|n| n.text.starts_with("Undone")));
    update(
        &mut s,
        AppEvent::TriageDone {
            req: undo,
            result: Err(posthorn::core::Failure::new(
                posthorn::core::ErrorKind::Gone,
                "the message is no longer in Archive",
            )),
        },
    );
    assert!(
        !s.notices.iter().any(|n| n.text.starts_with("Undone")),
        "{:?}",
        s.notices
    );
    let st = s.status.clone().unwrap();
    assert!(
        st.error
            && st
                .text
                .starts_with("Undo failed: Moved 1 message to Archive: home: gone:")
    );
}

#[test]
fn ctrl_c_quits_even_with_q_unbound_and_in_a_prompt() {
    let mut s = state_with(three(), 80, 24);
    let mut o = std::collections::BTreeMap::new();
    o.insert("q".to_string(), "none".to_string());
    s.keymap = posthorn::app::Keymap::with_overrides(&o).0;
    press(&mut s, &["q"]);
    assert!(!s.quit, "q is unbound");
    press(&mut s, &["/"]);
    let fx = press(&mut s, &["ctrl-c"]);
    assert!(s.quit && fx.contains(&Effect::Quit));
}
