//! Search in the app (pure `update` and the screen): `\` searches every folder and
//! account, the first screen then every match arrive, triage works on the results in
//! each message's own account, saved searches are folders whose counts follow new mail
//! and the text indexer, the limit asks the index for words anywhere, matched words are
//! marked, and the indexer's progress shows.

mod common;

use common::*;
use posthorn::app::state::PromptKind;
use posthorn::app::{AppEvent, AppState, Effect, SavedSearch, ViewSource, update};
use posthorn::core::query::Query;
use posthorn::core::{AccountId, Envelope, Flags, FolderPath, RequestId, TriageOp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn mixed() -> Vec<Envelope> {
    let mut a = env("a", "Kernel build failed", "Ann", NOW - 3000);
    a.flags = Flags::empty();
    let mut b = env("b", "Re: Kernel build failed", "Bob", NOW - 2000);
    b.references = "<a@t>".into();
    b.account = AccountId("work".into());
    b.folder = FolderPath("Lists/kernel".into());
    let c = env("c", "Lunch", "Zoë", NOW - 1000);
    vec![a, b, c]
}

fn saved(name: &str, q: &str) -> SavedSearch {
    SavedSearch {
        name: name.into(),
        query: Query::parse(q).unwrap(),
        total: 0,
        unread: 0,
    }
}

/// The Search effect of `fx` (request and query text).
fn search_of(fx: &[Effect]) -> Option<(RequestId, String)> {
    fx.iter().find_map(|e| match e {
        Effect::Search { req, query, .. } => Some((*req, query.source.clone())),
        _ => None,
    })
}

fn answer(s: &mut AppState, req: RequestId, envs: Vec<Envelope>, done: bool) -> Vec<Effect> {
    update(
        s,
        AppEvent::SearchResults {
            req,
            result: Ok(envs),
            done,
            complete: true,
        },
    )
}

fn screen(s: &AppState) -> (Vec<String>, Vec<String>) {
    let mut t = Terminal::new(TestBackend::new(s.width, s.height)).unwrap();
    t.draw(|f| posthorn::ui::render(f, s)).unwrap();
    let buf = t.backend().buffer();
    let (mut text, mut marks) = (Vec::new(), Vec::new());
    for y in 0..buf.area.height {
        let (mut line, mut m) = (String::new(), String::new());
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            line.push_str(cell.symbol());
            let u = cell.modifier.contains(ratatui::style::Modifier::UNDERLINED)
                && cell.modifier.contains(ratatui::style::Modifier::BOLD);
            m.push(if u { 'U' } else { '.' });
        }
        text.push(line);
        marks.push(m);
    }
    (text, marks)
}

#[test]
fn backslash_searches_every_folder_first_screen_then_all() {
    let mut s = state_with(mixed(), 100, 24);
    press(&mut s, &["\\"]);
    assert_eq!(
        s.prompt.as_ref().map(|p| &p.kind),
        Some(&PromptKind::Search)
    );
    typed(&mut s, "kernel OR from:zoë");
    let fx = press(&mut s, &["enter"]);
    let (req, q) = search_of(&fx).expect("a search effect");
    assert_eq!(q, "kernel OR from:zoë");
    assert!(matches!(
        &s.source,
        Some(ViewSource::Search { name: None, .. })
    ));
    // The first screen: the list shows it and still waits for the rest.
    answer(&mut s, req, mixed()[2..].to_vec(), false);
    assert_eq!(s.rows.len(), 1);
    assert_eq!(s.envelopes_req, Some(req));
    let (text, _) = screen(&s);
    assert!(
        text[0].contains("Search “kernel OR from:zoë” — 1 message so far…"),
        "{}",
        text[0]
    );
    // Then every match.
    answer(&mut s, req, mixed(), true);
    assert_eq!(s.rows.len(), 3);
    assert_eq!(s.envelopes_req, None);
    assert!(
        s.status
            .as_ref()
            .unwrap()
            .text
            .starts_with("3 messages match")
    );
    // R searches again (a search has no folder to rescan).
    let fx = press(&mut s, &["R"]);
    assert_eq!(
        search_of(&fx).map(|x| x.1).as_deref(),
        Some("kernel OR from:zoë")
    );
    assert!(!fx.iter().any(|e| matches!(e, Effect::Scan { .. })));
    let (req, _) = search_of(&fx).unwrap();
    answer(&mut s, req, mixed(), true);
    // `\` again offers the same query to edit.
    press(&mut s, &["\\"]);
    assert_eq!(s.prompt.as_ref().unwrap().input, "kernel OR from:zoë");
}

#[test]
fn a_bad_search_keeps_the_prompt_and_says_where() {
    let mut s = state_with(mixed(), 80, 24);
    press(&mut s, &["\\"]);
    typed(&mut s, "kernel subject:\"build");
    let fx = press(&mut s, &["enter"]);
    assert!(search_of(&fx).is_none());
    let st = s.status.as_ref().unwrap();
    assert!(st.error);
    assert_eq!(st.text, "query: column 16: unclosed \"");
    assert!(s.prompt.is_some());
}

#[test]
fn an_old_search_answering_late_is_dropped() {
    let mut s = state_with(mixed(), 80, 24);
    press(&mut s, &["\\"]);
    typed(&mut s, "kernel");
    let (old, _) = search_of(&press(&mut s, &["enter"])).unwrap();
    press(&mut s, &["\\", "ctrl-u"]);
    typed(&mut s, "lunch");
    let (new, _) = search_of(&press(&mut s, &["enter"])).unwrap();
    answer(&mut s, new, mixed()[2..].to_vec(), true);
    answer(&mut s, old, mixed()[..2].to_vec(), true);
    assert_eq!(s.rows.len(), 1);
    assert_eq!(s.envelopes[0].subject, "Lunch");
}

#[test]
fn triage_on_results_goes_to_each_messages_account() {
    let mut s = state_with(mixed(), 80, 24);
    press(&mut s, &["\\"]);
    typed(&mut s, "kernel");
    let (req, _) = search_of(&press(&mut s, &["enter"])).unwrap();
    answer(&mut s, req, mixed()[..2].to_vec(), true);
    // The thread: Ann's message (home/INBOX), then Bob's reply (work/Lists/kernel).
    press(&mut s, &["j"]);
    let cur = s.current().unwrap().clone();
    assert_eq!(cur.account.0, "work");
    let fx = press(&mut s, &["F"]);
    let Some(Effect::Triage {
        req: t,
        account,
        op,
    }) = fx.iter().find(|e| matches!(e, Effect::Triage { .. }))
    else {
        panic!("{fx:?}")
    };
    assert_eq!(account.0, "work");
    let TriageOp::SetFlags { folder, ids, .. } = op else {
        panic!("{op:?}")
    };
    assert_eq!(
        (folder.0.as_str(), ids[0].id.0.as_str()),
        ("Lists/kernel", "b")
    );
    // Archiving from the results takes the message out of the list at once.
    let t = *t;
    update(
        &mut s,
        AppEvent::TriageDone {
            req: t,
            result: Ok(()),
        },
    );
    let fx = press(&mut s, &["a"]);
    let Some(Effect::Triage { account, op, .. }) =
        fx.iter().find(|e| matches!(e, Effect::Triage { .. }))
    else {
        panic!("{fx:?}")
    };
    assert_eq!(account.0, "work");
    assert!(matches!(op, TriageOp::Move { to, .. } if to.0 == "Archive"));
    assert_eq!(s.rows.len(), 1);
    assert_eq!(s.current().unwrap().id.0, "a");
}

#[test]
fn saved_searches_are_folders_whose_counts_follow_new_mail() {
    let mut s = state_with(mixed(), 80, 24);
    s.saved = vec![saved("kernel", "kernel"), saved("unread", "is:unread")];
    // After the unified inbox (none: one account) come the saved searches.
    assert_eq!(s.folder_entries(), 2 + 4);
    assert!(matches!(
        s.folder_entry_source(0),
        Some(ViewSource::Search { name: Some(n), .. }) if n == "kernel"
    ));
    assert!(matches!(
        s.folder_entry_source(2),
        Some(ViewSource::Folder(_, f)) if f.is_inbox()
    ));
    // New mail: the rescan that found it reloads folder counts, and the saved ones.
    let fx = update(
        &mut s,
        AppEvent::ScanDone {
            account: AccountId("home".into()),
            folder: FolderPath::inbox(),
            changed: true,
            result: Ok(()),
        },
    );
    let Some(Effect::CountSearches { queries }) = fx
        .iter()
        .find(|e| matches!(e, Effect::CountSearches { .. }))
    else {
        panic!("{fx:?}")
    };
    let sources: Vec<&str> = queries.iter().map(|q| q.source.as_str()).collect();
    assert_eq!(sources, ["kernel", "is:unread"]);
    update(
        &mut s,
        AppEvent::SearchCounts {
            counts: vec![(2, 1), (1, 1)],
        },
    );
    assert_eq!((s.saved[0].total, s.saved[0].unread), (2, 1));
    let (text, _) = screen(&s);
    assert!(
        text[1].contains("⌕ kernel") && text[1].contains("1/2"),
        "{}",
        text[1]
    );
    assert!(
        text[2].contains("⌕ unread") && text[2].contains("1/1"),
        "{}",
        text[2]
    );
    // Opening one searches; the indexer catching up with new mail recounts the saved
    // searches and reruns the one shown.
    let fx = press(&mut s, &["tab", "g", "enter"]);
    let (req, q) = search_of(&fx).unwrap();
    assert_eq!(q, "kernel");
    assert!(matches!(&s.source, Some(ViewSource::Search { name: Some(n), .. }) if n == "kernel"));
    answer(&mut s, req, mixed()[..2].to_vec(), true);
    let fx = update(
        &mut s,
        AppEvent::TextIndexed {
            indexed: 10,
            pending: 0,
            stored: 1,
        },
    );
    assert!(fx.iter().any(|e| matches!(e, Effect::CountSearches { .. })));
    assert_eq!(search_of(&fx).map(|x| x.1).as_deref(), Some("kernel"));
}

#[test]
fn the_list_opens_the_first_folder_not_a_saved_search() {
    let mut s = AppState::new(
        posthorn::app::Keymap::default(),
        posthorn::app::Settings::default(),
    );
    s.saved = vec![saved("kernel", "kernel")];
    let home = AccountId("home".into());
    let fx = update(
        &mut s,
        AppEvent::Folders {
            account: home.clone(),
            folders: vec![posthorn::core::Folder::mail(
                home.clone(),
                FolderPath::inbox(),
            )],
        },
    );
    assert_eq!(
        s.source,
        Some(ViewSource::Folder(home, FolderPath::inbox()))
    );
    assert_eq!(s.folder_cursor, 1);
    assert!(fx.iter().any(|e| matches!(e, Effect::LoadEnvelopes { .. })));
}

#[test]
fn the_limit_asks_the_index_for_words_anywhere() {
    let mut s = state_with(mixed(), 80, 24);
    press(&mut s, &["/"]);
    typed(&mut s, "lunch");
    let fx = press(&mut s, &["enter"]);
    let Some(Effect::BodySearch { folders, .. }) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(folders, &[(AccountId("home".into()), FolderPath::inbox())]);
    // Meanwhile the list shows what the headers alone match.
    assert_eq!(s.rows.len(), 1);
    // A query the envelope answers needs no index.
    press(&mut s, &["/", "ctrl-u"]);
    typed(&mut s, "from:zoe");
    let fx = press(&mut s, &["enter"]);
    assert!(!fx.iter().any(|e| matches!(e, Effect::BodySearch { .. })));
    assert_eq!(s.rows.len(), 1);
}

#[test]
fn matched_words_are_marked_in_the_subjects() {
    let mut s = state_with(mixed(), 100, 24);
    press(&mut s, &["\\"]);
    typed(&mut s, "kern -lunch");
    let (req, _) = search_of(&press(&mut s, &["enter"])).unwrap();
    answer(&mut s, req, mixed()[..2].to_vec(), true);
    let (text, marks) = screen(&s);
    let row = text
        .iter()
        .position(|l| l.contains("Kernel build failed"))
        .unwrap();
    let at = text[row].find("Kernel").unwrap();
    let col = text[row][..at].chars().count();
    assert_eq!(&marks[row][col..col + 6], "UUUUUU", "{}", text[row]);
    assert_eq!(&marks[row][col + 6..col + 12], "......", "only the word");
}

#[test]
fn the_text_indexers_progress_shows_until_it_is_done() {
    let mut s = state_with(mixed(), 120, 24);
    update(
        &mut s,
        AppEvent::TextIndexed {
            indexed: 40,
            pending: 60,
            stored: 40,
        },
    );
    let (text, _) = screen(&s);
    assert!(
        text[23].contains("Indexing text 40/100 (40%)"),
        "{}",
        text[23]
    );
    update(
        &mut s,
        AppEvent::TextIndexed {
            indexed: 100,
            pending: 0,
            stored: 60,
        },
    );
    let (text, _) = screen(&s);
    assert!(!text[23].contains("Indexing text"), "{}", text[23]);
}
