//! Pure `update` tests for what the accounts report: their state and failures on screen,
//! their capabilities ruling actions out, and answers that arrive late (a stale body
//! search, a damaged message's notice once another message is open).

mod common;

use common::*;
use posthorn::app::{AppEvent, AppState, Effect, update};
use posthorn::core::{
    AccountId, AccountState, Capabilities, Envelope, ErrorKind, Failure, Flags, FolderPath,
};
use std::collections::HashSet;

fn three() -> Vec<Envelope> {
    let mut c = env("c", "Lunch", "Zoë", NOW - 1000);
    c.flags = Flags::empty();
    vec![
        env("a", "Plan", "Ann", NOW - 3000),
        env("b", "Budget", "Bob", NOW - 2000),
        c,
    ]
}

fn home() -> AccountId {
    AccountId("home".into())
}

fn caps(s: &mut AppState, folders: bool, server_flags: bool) {
    let caps = Capabilities {
        folders,
        server_flags,
        ..Capabilities::LOCAL
    };
    update(
        s,
        AppEvent::Capabilities {
            account: home(),
            caps,
        },
    );
}

fn status(s: &AppState) -> String {
    s.status
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

fn limit(s: &mut AppState, q: &str) -> Vec<Effect> {
    press(s, &["/"]);
    typed(s, q);
    press(s, &["enter"])
}

#[test]
fn a_stale_body_search_does_not_replace_the_latest() {
    let mut s = state_with(three(), 80, 24);
    let old = req_of(&limit(&mut s, "body:invoice")).unwrap();
    let new = req_of(&limit(&mut s, "body:lunch")).unwrap();
    let only = |id: &str| -> HashSet<_> { [(home(), posthorn::core::LocalId(id.into()))].into() };
    update(
        &mut s,
        AppEvent::BodySearchDone {
            req: new,
            matches: only("c"),
        },
    );
    assert_eq!(s.rows.len(), 1);
    assert_eq!(status(&s), "1 message matches (esc shows all)");
    // The older search answers last: it belongs to a limit no longer shown.
    update(
        &mut s,
        AppEvent::BodySearchDone {
            req: old,
            matches: only("a"),
        },
    );
    assert_eq!(s.body_matches, Some(only("c")));
    assert_eq!(s.envelopes[s.rows[0].index].subject, "Lunch");
}

#[test]
fn an_account_error_reaches_the_status_line_and_the_log_with_its_kind() {
    let mut s = state_with(three(), 80, 24);
    let err = AccountState::Error(Failure::new(ErrorKind::Auth, "the server said no"));
    for _ in 0..2 {
        update(
            &mut s,
            AppEvent::AccountState {
                account: home(),
                state: err.clone(),
            },
        );
    }
    assert_eq!(status(&s), "home: login failed: the server said no");
    assert!(s.status.as_ref().unwrap().error);
    let logged = s.notices.iter().filter(|n| n.text.contains("login failed"));
    assert_eq!(logged.count(), 1, "the same state twice is one notice");
}

#[test]
fn failures_of_scans_and_messages_say_their_kind() {
    let mut s = state_with(three(), 80, 24);
    update(
        &mut s,
        AppEvent::ScanDone {
            account: home(),
            folder: FolderPath::inbox(),
            changed: false,
            result: Err(Failure::new(ErrorKind::Timeout, "no answer in 30 s")),
        },
    );
    assert_eq!(
        status(&s),
        "home: timed out: scanning INBOX failed: no answer in 30 s"
    );
    let req = req_of(&press(&mut s, &["enter"])).unwrap();
    update(
        &mut s,
        AppEvent::MessageLoaded {
            req,
            result: Err(Failure::new(ErrorKind::Gone, "moved by another program")),
        },
    );
    assert_eq!(status(&s), "home: gone: moved by another program");
}

#[test]
fn moves_are_refused_with_a_reason_on_an_account_without_folders() {
    let mut s = state_with(three(), 80, 24);
    caps(&mut s, false, true);
    // (`d` marks deleted there instead: tests/formats_delete.rs.)
    for k in ["a", "m"] {
        let fx = press(&mut s, &[k]);
        assert!(fx.is_empty(), "{k}: {fx:?}");
        assert_eq!(status(&s), "account home has no folders to move to", "{k}");
        assert!(s.prompt.is_none());
    }
    assert_eq!(s.rows.len(), 3, "nothing left the list");
}

#[test]
fn flags_are_refused_with_a_reason_on_an_account_without_server_flags() {
    let mut s = state_with(three(), 80, 24);
    caps(&mut s, true, false);
    let fx = press(&mut s, &["F"]);
    assert!(fx.is_empty(), "{fx:?}");
    assert!(status(&s).starts_with("account home does not keep flags"));
    // Opening an unread message does not try to mark it read.
    let fx = press(&mut s, &["enter"]);
    assert!(
        fx.iter().all(|e| !matches!(e, Effect::Triage { .. })),
        "{fx:?}"
    );
}

#[test]
fn without_reported_capabilities_actions_work_as_before() {
    let mut s = state_with(three(), 80, 24);
    let fx = press(&mut s, &["F"]);
    assert!(fx.iter().any(|e| matches!(e, Effect::Triage { .. })));
    let fx = press(&mut s, &["d"]);
    assert!(fx.iter().any(|e| matches!(e, Effect::Triage { .. })));
}

#[test]
fn a_damaged_message_notice_leaves_the_status_line_when_another_is_opened() {
    let mut s = state_with(three(), 80, 24);
    let req = req_of(&press(&mut s, &["enter"])).unwrap();
    let mut view = posthorn::mime::parse_message(b"Subject: Lunch\n\nnoon?");
    view.problems = vec!["a part ends early".into()];
    update(
        &mut s,
        AppEvent::MessageLoaded {
            req,
            result: Ok(view),
        },
    );
    assert!(status(&s).contains("This message is damaged"));
    // Scrolling the same message keeps it.
    press(&mut s, &["j"]);
    assert!(status(&s).contains("This message is damaged"));
    press(&mut s, &["J"]);
    assert!(!status(&s).contains("damaged"), "{:?}", s.status);
    assert!(s.notices.iter().any(|n| n.text.contains("damaged")));
}

#[test]
fn ctrl_g_stops_the_running_scan() {
    use posthorn::app::{AppEvent, Effect, update};
    use posthorn::core::{AccountId, FolderPath};
    let (_dir, envs, _acc) = common::demo_inbox();
    let mut s = common::state_with(envs, 80, 24);
    let fx = common::press(&mut s, &["ctrl-g"]);
    assert!(fx.is_empty());
    update(
        &mut s,
        AppEvent::ScanProgress {
            account: AccountId("personal".into()),
            folder: FolderPath::inbox(),
            done: 10,
            total: 100,
        },
    );
    let fx = common::press(&mut s, &["ctrl-g"]);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::CancelScan { folder, .. } if folder.is_inbox())),
        "{fx:?}"
    );
}

#[test]
fn progress_says_syncing_for_a_server_account_and_indexing_for_a_local_one() {
    let mut s = state_with(three(), 80, 24);
    let progress = |s: &mut AppState| {
        update(
            s,
            AppEvent::ScanProgress {
                account: home(),
                folder: FolderPath::inbox(),
                done: 1,
                total: 10,
            },
        );
        s.progress.values().next().map(|p| p.label.clone()).unwrap()
    };
    assert_eq!(progress(&mut s), "Indexing home/INBOX");
    update(
        &mut s,
        AppEvent::AccountState {
            account: home(),
            state: AccountState::Online,
        },
    );
    assert_eq!(progress(&mut s), "Syncing home/INBOX");
}
