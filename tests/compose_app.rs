//! Composing in the app, without a terminal: key -> effect -> event -> state for the
//! compose screen (send, edit again, attach/detach, identity, postpone, abort asks
//! first), the keys that start composing, address completion, leftovers of an earlier
//! session, and the outbox view.

mod common;

use common::*;
use posthorn::app::compose::{
    ComposeEffect, ComposeEvent, ComposeHow, ComposePrompt, EntryState, OutboxEntry, OutboxEvent,
};
use posthorn::app::state::PromptKind;
use posthorn::app::{AppEvent, AppState, Effect, update};
use posthorn::compose::{Attachment, AttachmentData, Draft};
use posthorn::core::{AccountId, FolderPath, FolderRole};
use std::path::PathBuf;

fn compose_fx(fx: &[Effect]) -> Vec<ComposeEffect> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Compose(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn state() -> AppState {
    let mut s = state_with(
        vec![
            env("1", "Lunch?", "Ann", NOW - 100),
            env("2", "Report", "Bob", NOW - 50),
        ],
        80,
        24,
    );
    s.compose.identities.insert(
        AccountId("home".into()),
        vec![
            "Robin <robin@example.net>".into(),
            "Robin Work <robin@work.example>".into(),
        ],
    );
    s
}

fn draft() -> Draft {
    Draft {
        account: "home".into(),
        from: "Robin <robin@example.net>".into(),
        to: vec!["ann@example.org".into()],
        subject: "Hi".into(),
        body: "Hello\n".into(),
        ..Draft::default()
    }
}

fn file() -> PathBuf {
    PathBuf::from("/data/compose/home/1.eml")
}

/// The compose screen after the editor returned `d`.
fn ready(s: &mut AppState, d: Draft) -> Vec<Effect> {
    update(
        s,
        AppEvent::Compose(ComposeEvent::Ready {
            file: file(),
            draft: Box::new(d),
            sizes: Vec::new(),
            replaces: None,
            error: None,
        }),
    )
}

fn status(s: &AppState) -> String {
    s.status
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

#[test]
fn keys_start_composing_from_the_list_and_the_reader() {
    let mut s = state();
    let fx = compose_fx(&press(&mut s, &["c"]));
    assert_eq!(
        fx,
        vec![ComposeEffect::Start {
            how: ComposeHow::New,
            account: AccountId("home".into()),
            original: None
        }]
    );
    let current = s.current().cloned().unwrap();
    for (k, how) in [
        ("r", ComposeHow::Reply),
        ("w", ComposeHow::ReplyAll),
        ("M", ComposeHow::ListReply),
        ("f", ComposeHow::Forward),
        ("ctrl-f", ComposeHow::ForwardAttached),
    ] {
        let fx = compose_fx(&press(&mut s, &[k]));
        assert_eq!(
            fx,
            vec![ComposeEffect::Start {
                how,
                account: AccountId("home".into()),
                original: Some(Box::new(current.clone()))
            }],
            "{k}"
        );
    }
    // In the reader the same keys answer the open message.
    press(&mut s, &["j", "enter"]);
    let open = s.reader.as_ref().unwrap().env.clone();
    let fx = compose_fx(&press(&mut s, &["r"]));
    assert!(
        matches!(&fx[..], [ComposeEffect::Start { how: ComposeHow::Reply, original: Some(e), .. }] if **e == open),
        "{fx:?}"
    );
}

#[test]
fn reply_without_a_message_says_so() {
    let mut s = state_with(Vec::new(), 80, 24);
    let fx = press(&mut s, &["r"]);
    assert!(compose_fx(&fx).is_empty());
    assert_eq!(status(&s), "No message selected");
}

#[test]
fn resume_only_from_a_drafts_folder() {
    let mut s = state();
    let fx = press(&mut s, &["E"]);
    assert!(compose_fx(&fx).is_empty());
    assert!(status(&s).contains("Drafts"), "{}", status(&s));
    // A message in the folder whose role is Drafts (any name) can be resumed.
    let mut e = env("9", "Half written", "Robin", NOW);
    e.folder = FolderPath("Entwürfe".into());
    let mut s = state_with(vec![e.clone()], 80, 24);
    let mut f = posthorn::core::Folder::mail(e.account.clone(), e.folder.clone());
    f.role = Some(FolderRole::Drafts);
    s.folders.push(f);
    let fx = compose_fx(&press(&mut s, &["E"]));
    assert_eq!(
        fx,
        vec![ComposeEffect::Start {
            how: ComposeHow::Resume,
            account: e.account.clone(),
            original: Some(Box::new(e))
        }]
    );
}

#[test]
fn the_compose_screen_takes_the_keys() {
    let mut s = state();
    ready(&mut s, draft());
    let c = s.compose.screen.as_ref().unwrap();
    assert_eq!(c.identity, 0);
    // `d` would delete a message in the list; here it is not bound.
    let fx = press(&mut s, &["d"]);
    assert!(fx.is_empty(), "{fx:?}");
    assert!(s.compose.screen.is_some());
    // e: edit again, with the draft as it is now.
    let fx = compose_fx(&press(&mut s, &["e"]));
    assert_eq!(
        fx,
        vec![ComposeEffect::Edit {
            file: file(),
            draft: draft()
        }]
    );
}

#[test]
fn abort_asks_first() {
    let mut s = state();
    ready(&mut s, draft());
    let fx = press(&mut s, &["q"]);
    assert!(compose_fx(&fx).is_empty(), "nothing is thrown away yet");
    assert!(matches!(
        s.prompt.as_ref().map(|p| &p.kind),
        Some(PromptKind::Compose(ComposePrompt::ConfirmAbort))
    ));
    press(&mut s, &["n"]);
    assert!(s.compose.screen.is_some(), "n keeps the message");
    assert!(s.prompt.is_none());
    let fx = compose_fx(&press(&mut s, &["q", "y"]));
    assert_eq!(fx, vec![ComposeEffect::Discard { file: file() }]);
    assert!(s.compose.screen.is_none());
}

#[test]
fn identity_cycles_through_the_accounts_identities() {
    let mut s = state();
    ready(&mut s, draft());
    let fx = compose_fx(&press(&mut s, &["i"]));
    let c = s.compose.screen.as_ref().unwrap();
    assert_eq!(c.draft.from, "Robin Work <robin@work.example>");
    // The file follows, so a crash keeps the choice.
    assert!(matches!(&fx[..], [ComposeEffect::Save { draft, .. }] if draft.from == c.draft.from));
    press(&mut s, &["i"]);
    assert_eq!(
        s.compose.screen.as_ref().unwrap().draft.from,
        "Robin <robin@example.net>"
    );
}

#[test]
fn a_reply_identity_not_in_the_list_is_offered_first() {
    let mut s = state();
    let mut d = draft();
    d.from = "Robin <ROBIN@work.example>".into();
    ready(&mut s, d);
    // Matched by address, case-insensitively.
    assert_eq!(s.compose.screen.as_ref().unwrap().identity, 1);
    let mut d = draft();
    d.from = "R <r@lists.example>".into();
    ready(&mut s, d);
    let c = s.compose.screen.as_ref().unwrap();
    assert_eq!(c.identities.len(), 3);
    assert_eq!(c.identities[c.identity], "R <r@lists.example>");
}

#[test]
fn attach_and_detach() {
    let mut s = state();
    ready(&mut s, draft());
    press(&mut s, &["a"]);
    typed(&mut s, "/tmp/repo");
    let fx = compose_fx(&press(&mut s, &["tab"]));
    assert_eq!(
        fx,
        vec![ComposeEffect::CompletePath {
            input: "/tmp/repo".into()
        }]
    );
    update(
        &mut s,
        AppEvent::Compose(ComposeEvent::Completions {
            input: "/tmp/repo".into(),
            list: vec!["/tmp/report.pdf".into(), "/tmp/reports/".into()],
        }),
    );
    assert_eq!(s.prompt.as_ref().unwrap().input, "/tmp/report");
    let fx = compose_fx(&press(&mut s, &["tab", "enter"]));
    assert_eq!(
        fx,
        vec![ComposeEffect::Attach {
            path: "/tmp/report.pdf".into()
        }]
    );
    let a = Attachment {
        name: "report.pdf".into(),
        content_type: "application/pdf".into(),
        data: AttachmentData::File("/tmp/report.pdf".into()),
    };
    let fx = compose_fx(&update(
        &mut s,
        AppEvent::Compose(ComposeEvent::Attached(Ok((a.clone(), 12345)))),
    ));
    let c = s.compose.screen.as_ref().unwrap();
    assert_eq!(c.draft.attachments, vec![a]);
    assert_eq!(c.sizes, vec![12345]);
    assert!(matches!(&fx[..], [ComposeEffect::Save { .. }]));
    let fx = compose_fx(&press(&mut s, &["D"]));
    assert!(
        s.compose
            .screen
            .as_ref()
            .unwrap()
            .draft
            .attachments
            .is_empty()
    );
    assert!(matches!(&fx[..], [ComposeEffect::Save { .. }]));
    // An unreadable file is an error; nothing is attached.
    update(
        &mut s,
        AppEvent::Compose(ComposeEvent::Attached(Err("cannot attach /x: gone".into()))),
    );
    assert!(s.status.as_ref().unwrap().error);
}

#[test]
fn address_completion_replaces_the_last_address() {
    let mut s = state();
    ready(&mut s, draft());
    press(&mut s, &["t"]);
    assert_eq!(s.prompt.as_ref().unwrap().input, "ann@example.org");
    typed(&mut s, ", bo");
    let fx = compose_fx(&press(&mut s, &["tab"]));
    let input = "ann@example.org, bo".to_string();
    assert_eq!(
        fx,
        vec![ComposeEffect::CompleteAddress {
            input: input.clone()
        }]
    );
    update(
        &mut s,
        AppEvent::Compose(ComposeEvent::Completions {
            input,
            list: vec!["\"Bob, Jr\" <bob@example.org>".into()],
        }),
    );
    let fx = compose_fx(&press(&mut s, &["enter"]));
    assert_eq!(
        s.compose.screen.as_ref().unwrap().draft.to,
        vec!["ann@example.org", "\"Bob, Jr\" <bob@example.org>"]
    );
    assert!(matches!(&fx[..], [ComposeEffect::Save { .. }]));
}

#[test]
fn send_hands_over_and_returns_to_the_list() {
    let mut s = state();
    let mut d = draft();
    d.to.clear();
    ready(&mut s, d);
    let fx = press(&mut s, &["y"]);
    assert!(compose_fx(&fx).is_empty(), "no recipients: nothing sent");
    assert!(s.status.as_ref().unwrap().error);
    ready(&mut s, draft());
    let fx = compose_fx(&press(&mut s, &["y"]));
    assert_eq!(
        fx,
        vec![ComposeEffect::Send {
            file: file(),
            draft: draft()
        }]
    );
    assert!(s.compose.screen.is_none(), "back to the list at once");
    assert_eq!(status(&s), "Sending 1…");
    let entry = OutboxEntry {
        id: "q1".into(),
        account: AccountId("home".into()),
        to: "ann@example.org".into(),
        subject: "Hi".into(),
        attempts: 0,
        error: None,
        state: EntryState::Queued,
    };
    let ob = |s: &mut AppState, e| update(s, AppEvent::Compose(ComposeEvent::Outbox(e)));
    ob(&mut s, OutboxEvent::Queued(entry.clone()));
    ob(
        &mut s,
        OutboxEvent::Sending {
            id: "q1".into(),
            account: AccountId("home".into()),
        },
    );
    assert_eq!(status(&s), "Sending 1…");
    let mut sent =
        posthorn::core::Folder::mail(AccountId("home".into()), FolderPath("Gesendet".into()));
    sent.role = Some(FolderRole::Sent);
    s.folders.push(sent);
    let fx = ob(
        &mut s,
        OutboxEvent::Sent {
            id: "q1".into(),
            account: AccountId("home".into()),
            copy: b"Bcc: x\r\n\r\nhi".to_vec(),
        },
    );
    assert_eq!(status(&s), "Sent “Hi”");
    // The copy goes to the account's Sent folder.
    assert_eq!(
        compose_fx(&fx),
        vec![ComposeEffect::FileSent {
            account: AccountId("home".into()),
            folder: FolderPath("Gesendet".into()),
            copy: b"Bcc: x\r\n\r\nhi".to_vec()
        }]
    );
    assert!(s.compose.outbox.is_empty());
    // A failure shows the server's answer, in the notices too.
    ob(&mut s, OutboxEvent::Queued(entry));
    ob(
        &mut s,
        OutboxEvent::Failed {
            id: "q1".into(),
            error: "535 5.7.8 authentication failed".into(),
        },
    );
    let n = s.status.clone().unwrap();
    assert!(n.error && n.text.contains("535 5.7.8"), "{n:?}");
    assert!(s.notices.iter().any(|x| x.text.contains("535 5.7.8")));
    assert_eq!(s.compose.outbox[0].state, EntryState::Failed);
}

#[test]
fn postpone_keeps_the_message_until_drafts_has_it() {
    let mut s = state();
    let mut f =
        posthorn::core::Folder::mail(AccountId("home".into()), FolderPath("Brouillons".into()));
    f.role = Some(FolderRole::Drafts);
    s.folders.push(f);
    ready(&mut s, draft());
    let fx = compose_fx(&press(&mut s, &["P"]));
    assert_eq!(
        fx,
        vec![ComposeEffect::Postpone {
            file: file(),
            draft: draft(),
            folder: FolderPath("Brouillons".into())
        }]
    );
    // While it is saved, keys wait (no second postpone, no send).
    assert!(compose_fx(&press(&mut s, &["y", "P"])).is_empty());
    update(
        &mut s,
        AppEvent::Compose(ComposeEvent::DraftSaved {
            file: file(),
            result: Err("NO [TRYCREATE] no such mailbox".into()),
        }),
    );
    assert!(
        s.compose.screen.is_some(),
        "a failed save keeps the message"
    );
    assert!(status(&s).contains("TRYCREATE"));
    press(&mut s, &["P"]);
    update(
        &mut s,
        AppEvent::Compose(ComposeEvent::DraftSaved {
            file: file(),
            result: Ok(()),
        }),
    );
    assert!(s.compose.screen.is_none());
    assert_eq!(status(&s), "Saved to Drafts");
}

#[test]
fn a_resumed_draft_is_removed_once_the_new_one_is_queued() {
    let mut s = state();
    let old = s.current().cloned().unwrap();
    update(
        &mut s,
        AppEvent::Compose(ComposeEvent::Ready {
            file: file(),
            draft: Box::new(draft()),
            sizes: Vec::new(),
            replaces: Some(Box::new(old.clone())),
            error: None,
        }),
    );
    // Editing again keeps what it replaces.
    ready(&mut s, draft());
    let fx = press(&mut s, &["y"]);
    let deleted = fx.iter().any(|e| {
        matches!(e, Effect::Triage { op: posthorn::core::TriageOp::Delete { ids, .. }, .. }
            if ids[0].id == old.id)
    });
    assert!(deleted, "{fx:?}");
}

#[test]
fn leftovers_are_shown_one_after_another() {
    let mut s = state();
    let a = PathBuf::from("/d/compose/home/1.eml");
    let b = PathBuf::from("/d/compose/home/2.eml");
    let fx = compose_fx(&update(
        &mut s,
        AppEvent::Compose(ComposeEvent::Leftovers(vec![a.clone(), b.clone()])),
    ));
    assert_eq!(fx, vec![ComposeEffect::Resume { file: a.clone() }]);
    assert!(status(&s).contains("2 unsent"));
    update(
        &mut s,
        AppEvent::Compose(ComposeEvent::Ready {
            file: a.clone(),
            draft: Box::new(draft()),
            sizes: Vec::new(),
            replaces: None,
            error: None,
        }),
    );
    let fx = compose_fx(&press(&mut s, &["q", "y"]));
    assert_eq!(
        fx,
        vec![
            ComposeEffect::Discard { file: a },
            ComposeEffect::Resume { file: b }
        ]
    );
}

#[test]
fn outbox_view_retries_and_deletes_after_asking() {
    let mut s = state();
    let fx = compose_fx(&press(&mut s, &["ctrl-o"]));
    assert_eq!(fx, vec![ComposeEffect::OutboxList]);
    assert!(s.compose.outbox_open);
    let entry = |id: &str| OutboxEntry {
        id: id.into(),
        account: AccountId("home".into()),
        to: "ann@example.org".into(),
        subject: format!("S{id}"),
        attempts: 2,
        error: Some("421 try later".into()),
        state: EntryState::Failed,
    };
    update(
        &mut s,
        AppEvent::Compose(ComposeEvent::Outbox(OutboxEvent::List(vec![
            entry("a"),
            entry("b"),
        ]))),
    );
    let fx = compose_fx(&press(&mut s, &["j", "r"]));
    assert_eq!(fx, vec![ComposeEffect::OutboxRetry { id: "b".into() }]);
    let fx = compose_fx(&press(&mut s, &["d"]));
    assert!(fx.is_empty(), "delete asks first");
    let fx = compose_fx(&press(&mut s, &["n"]));
    assert!(fx.is_empty());
    let fx = compose_fx(&press(&mut s, &["d", "y"]));
    assert_eq!(fx, vec![ComposeEffect::OutboxDelete { id: "b".into() }]);
    // Only the sender's answer takes it off the list.
    assert_eq!(s.compose.outbox.len(), 2);
    update(
        &mut s,
        AppEvent::Compose(ComposeEvent::Outbox(OutboxEvent::Deleted {
            id: "b".into(),
        })),
    );
    assert_eq!(s.compose.outbox.len(), 1);
    assert_eq!(status(&s), "Deleted “Sb” from the outbox");
    press(&mut s, &["q"]);
    assert!(!s.compose.outbox_open);
}

#[test]
fn compose_keys_can_be_rebound() {
    let mut o = std::collections::BTreeMap::new();
    o.insert("compose:S".to_string(), "send".to_string());
    o.insert("reader:ctrl-r".to_string(), "reply".to_string());
    o.insert("x".to_string(), "send".to_string());
    let (map, problems) = posthorn::app::Keymap::with_overrides(&o);
    use posthorn::app::{Action, Context, Key};
    assert_eq!(
        map.lookup(Context::Compose, Key::ch('S')),
        Some(Action::Send)
    );
    assert_eq!(
        map.lookup(Context::Reader, Key::ctrl('r')),
        Some(Action::Reply)
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].1.contains("compose:"), "{problems:?}");
}

/// The screen as text (trailing blanks trimmed), after checking no cell holds a
/// control character.
fn draw(s: &AppState) -> String {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let mut t = Terminal::new(TestBackend::new(s.width, s.height)).unwrap();
    t.draw(|f| posthorn::ui::render(f, s)).unwrap();
    let buf = t.backend().buffer();
    let mut text = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            let sym = buf[(x, y)].symbol();
            assert!(!sym.chars().any(char::is_control), "control at {x},{y}");
            line.push_str(sym);
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

fn full_draft() -> Draft {
    let mut d = draft();
    d.to = vec![
        "Ann Example <ann@example.org>".into(),
        "\"Bob, Jr\" <bob@example.org>".into(),
    ];
    d.cc = vec!["carol@example.org".into()];
    d.bcc = vec!["archive@example.net".into()];
    d.subject = "Quarterly report — figures\x1b[31m attached".into();
    d.body = "Hi all,\n\nthe figures are attached.\n\n> On Monday, Ann wrote:\n> can you send them?\n\n-- \nRobin\n"
        .into();
    d.attachments = vec![
        Attachment {
            name: "report-Q3.pdf".into(),
            content_type: "application/pdf".into(),
            data: AttachmentData::File("/home/robin/work/report-Q3.pdf".into()),
        },
        Attachment {
            name: "Übersicht.xlsx".into(),
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                .into(),
            data: AttachmentData::Bytes(vec![0; 10]),
        },
    ];
    d
}

fn compose_screen(w: u16, h: u16) -> AppState {
    let mut s = state();
    update(&mut s, AppEvent::Resize(w, h));
    update(
        &mut s,
        AppEvent::Compose(ComposeEvent::Ready {
            file: file(),
            draft: Box::new(full_draft()),
            sizes: vec![245_760, 18_000],
            replaces: None,
            error: None,
        }),
    );
    press(&mut s, &["j"]);
    s
}

#[test]
fn compose_screen_80x24() {
    let s = compose_screen(80, 24);
    insta::assert_snapshot!(draw(&s));
}

#[test]
fn compose_screen_200x50() {
    let s = compose_screen(200, 50);
    insta::assert_snapshot!(draw(&s));
}

#[test]
fn compose_abort_question_80x24() {
    let mut s = compose_screen(80, 24);
    press(&mut s, &["q"]);
    let screen = draw(&s);
    assert!(
        screen
            .lines()
            .nth(23)
            .unwrap()
            .contains("Throw this message away? (y/n)"),
        "{screen}"
    );
}

fn outbox_screen(w: u16, h: u16) -> AppState {
    let mut s = state();
    update(&mut s, AppEvent::Resize(w, h));
    press(&mut s, &["ctrl-o"]);
    let e =
        |id: &str, subject: &str, st: EntryState, attempts: u32, error: Option<&str>| OutboxEntry {
            id: id.into(),
            account: AccountId("home".into()),
            to: "Ann Example <ann@example.org>, bob@example.org".into(),
            subject: subject.into(),
            attempts,
            error: error.map(str::to_string),
            state: st,
        };
    update(
        &mut s,
        AppEvent::Compose(ComposeEvent::Outbox(OutboxEvent::List(vec![
            e(
                "1",
                "Quarterly report",
                EntryState::Failed,
                3,
                Some(
                    "535 5.7.8 Error: authentication failed: authentication failure (the password for alice was refused by smtp.example.org:587)",
                ),
            ),
            e("2", "Lunch on Friday?", EntryState::Sending, 0, None),
            e(
                "3",
                "Re: \x1b]52;c;aGk=\x07clipboard",
                EntryState::Queued,
                0,
                None,
            ),
        ]))),
    );
    s
}

#[test]
fn outbox_80x24() {
    insta::assert_snapshot!(draw(&outbox_screen(80, 24)));
}

#[test]
fn outbox_200x50() {
    insta::assert_snapshot!(draw(&outbox_screen(200, 50)));
}

#[test]
fn help_lists_the_compose_keys() {
    let mut s = compose_screen(100, 120);
    press(&mut s, &["?"]);
    let screen = draw(&s);
    for want in [
        "Composing (after the editor)",
        "send the message",
        "The outbox (ctrl-o)",
        "reply to the mailing list",
    ] {
        assert!(screen.contains(want), "{want}:\n{screen}");
    }
}

/// The original of a reply is marked answered (a forward's: passed) once the reply is
/// handed to the outbox, not before; an aborted reply marks nothing.
#[test]
fn a_sent_reply_marks_its_original_answered_and_a_forward_passed() {
    use posthorn::core::{FlagOp, Flags, TriageOp};
    let flagged = |fx: &[Effect]| -> Vec<FlagOp> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Triage {
                    op: TriageOp::SetFlags { op, .. },
                    ..
                } => Some(*op),
                _ => None,
            })
            .collect()
    };
    for (key, flag) in [("r", Flags::REPLIED), ("f", Flags::PASSED)] {
        let mut s = state();
        let original = s.current().cloned().unwrap();
        let fx = press(&mut s, &[key]);
        assert!(flagged(&fx).is_empty(), "nothing is marked before sending");
        assert!(!compose_fx(&fx).is_empty(), "{fx:?}");
        ready(&mut s, draft());
        // Editing again keeps what it answers.
        ready(&mut s, draft());
        let fx = press(&mut s, &["y"]);
        assert_eq!(flagged(&fx), vec![FlagOp::Add(flag)], "{key}: {fx:?}");
        let shown = s.envelopes.iter().find(|e| e.id == original.id).unwrap();
        assert!(shown.flags.contains(flag));
    }
    // Abort: nothing marked, and the next new message answers nothing.
    let mut s = state();
    press(&mut s, &["r"]);
    ready(&mut s, draft());
    press(&mut s, &["q"]);
    press(&mut s, &["y"]);
    press(&mut s, &["c"]);
    ready(&mut s, draft());
    let fx = press(&mut s, &["y"]);
    assert!(flagged(&fx).is_empty(), "{fx:?}");
}
