//! Pure `update` tests of the newsreader keys: the group browser (ctrl-n: list,
//! filter, subscribe, close), catch-up (C, asks first), mark thread read (K, undo
//! brings it back) and next unread across folders (n). Key -> effect -> state.

mod common;

use common::*;
use posthorn::app::news::{GroupInfo, NewsEffect, NewsEvent};
use posthorn::app::state::PromptKind;
use posthorn::app::{AppEvent, AppState, Effect, TriageOp, update};
use posthorn::core::{
    AccountId, Envelope, ErrorKind, Failure, FlagOp, Flags, FolderOp, FolderPath, RequestId,
};

fn home() -> AccountId {
    AccountId("home".into())
}

fn unread(mut e: Envelope) -> Envelope {
    e.flags = Flags::empty();
    e
}

fn reply(id: &str, to: &str, date: i64) -> Envelope {
    let mut e = env(id, "Re: Plan", "Bob", date);
    e.in_reply_to = format!("<{to}@t>");
    e.references = format!("<{to}@t>");
    e
}

fn group(name: &str, description: &str, subscribed: bool, new: bool) -> GroupInfo {
    GroupInfo {
        name: name.into(),
        description: description.into(),
        count: 3,
        subscribed,
        new,
    }
}

fn list_req(fx: &[Effect]) -> RequestId {
    fx.iter()
        .find_map(|e| match e {
            Effect::News(NewsEffect::ListGroups { req, account }) => {
                assert_eq!(account, &home());
                Some(*req)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no ListGroups in {fx:?}"))
}

/// The browser open with these groups arrived.
fn browser(groups: Vec<GroupInfo>) -> AppState {
    let mut s = state_with(vec![env("a", "Plan", "Ann", NOW - 3000)], 80, 24);
    let fx = press(&mut s, &["ctrl-n"]);
    let req = list_req(&fx);
    let b = s.news.browser.as_ref().expect("the browser is open");
    assert!(b.groups.is_none(), "loading until the list arrives");
    update(
        &mut s,
        AppEvent::News(NewsEvent::Groups {
            req,
            result: Ok(groups),
        }),
    );
    s
}

fn shown(s: &AppState) -> Vec<String> {
    let b = s.news.browser.as_ref().expect("browser open");
    let g = b.groups.as_ref().expect("groups arrived");
    b.matches.iter().map(|&i| g[i].name.clone()).collect()
}

fn sample() -> Vec<GroupInfo> {
    vec![
        group("comp.lang.rust", "The Rust language", true, false),
        group("alt.test", "Testing", false, false),
        group("comp.mail.misc", "General discussion of MAIL", false, false),
        group("local.fresh", "", false, true),
    ]
}

#[test]
fn browser_lists_new_groups_first_then_by_name() {
    let s = browser(sample());
    assert_eq!(
        shown(&s),
        [
            "local.fresh",
            "alt.test",
            "comp.lang.rust",
            "comp.mail.misc"
        ]
    );
}

#[test]
fn typing_filters_by_name_or_description_ignoring_case() {
    let mut s = browser(sample());
    typed(&mut s, "MAIL");
    assert_eq!(shown(&s), ["comp.mail.misc"]);
    press(
        &mut s,
        &["backspace", "backspace", "backspace", "backspace"],
    );
    typed(&mut s, "rust");
    assert_eq!(shown(&s), ["comp.lang.rust"]);
    // Esc clears the filter first, then closes.
    press(&mut s, &["esc"]);
    assert_eq!(shown(&s).len(), 4);
    let fx = press(&mut s, &["esc"]);
    assert!(s.news.browser.is_none());
    assert!(fx.is_empty(), "{fx:?}");
}

#[test]
fn a_list_answered_after_closing_is_dropped() {
    let mut s = state_with(vec![env("a", "Plan", "Ann", NOW - 3000)], 80, 24);
    let req = list_req(&press(&mut s, &["ctrl-n"]));
    press(&mut s, &["esc"]);
    update(
        &mut s,
        AppEvent::News(NewsEvent::Groups {
            req,
            result: Ok(sample()),
        }),
    );
    assert!(s.news.browser.is_none());
}

#[test]
fn a_failed_list_is_shown_in_the_browser_and_the_status() {
    let mut s = state_with(vec![env("a", "Plan", "Ann", NOW - 3000)], 80, 24);
    let req = list_req(&press(&mut s, &["ctrl-n"]));
    update(
        &mut s,
        AppEvent::News(NewsEvent::Groups {
            req,
            result: Err(Failure::new(
                ErrorKind::Unsupported,
                "this account cannot list newsgroups (it is not a news account)",
            )),
        }),
    );
    let b = s.news.browser.as_ref().unwrap();
    assert!(b.error.as_ref().unwrap().contains("not a news account"));
    assert!(s.status.as_ref().unwrap().error);
}

#[test]
fn enter_subscribes_and_a_failure_flips_it_back() {
    let mut s = browser(sample());
    typed(&mut s, "alt.");
    let fx = press(&mut s, &["enter"]);
    let (req, op) = fx
        .iter()
        .find_map(|e| match e {
            Effect::FolderOp { req, account, op } if account == &home() => Some((*req, op.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no subscribe in {fx:?}"));
    assert_eq!(
        op,
        FolderOp::Subscribe {
            folder: FolderPath("alt.test".into()),
            on: true
        }
    );
    let sub = |s: &AppState| {
        let b = s.news.browser.as_ref().unwrap();
        b.groups.as_ref().unwrap()[b.matches[0]].subscribed
    };
    assert!(sub(&s), "shown subscribed at once");
    let fx = update(
        &mut s,
        AppEvent::FolderOpDone {
            req,
            result: Err(Failure::new(ErrorKind::Network, "link down")),
        },
    );
    assert!(!sub(&s), "the failure shows it as it was");
    assert!(fx.contains(&Effect::LoadFolders { account: home() }));
    // Again, and this time it works: the folder pane is reloaded.
    let fx = press(&mut s, &["enter"]);
    let req = fx
        .iter()
        .find_map(|e| match e {
            Effect::FolderOp { req, .. } => Some(*req),
            _ => None,
        })
        .unwrap();
    let fx = update(
        &mut s,
        AppEvent::FolderOpDone {
            req,
            result: Ok(()),
        },
    );
    assert!(sub(&s));
    assert!(fx.contains(&Effect::LoadFolders { account: home() }));
}

#[test]
fn unsubscribing_in_the_browser_takes_the_group_off_the_folder_pane() {
    let mut s = browser(vec![group("Lists/rust", "", true, false)]);
    let fx = press(&mut s, &["enter"]);
    let req = fx
        .iter()
        .find_map(|e| match e {
            Effect::FolderOp { req, .. } => Some(*req),
            _ => None,
        })
        .unwrap();
    update(
        &mut s,
        AppEvent::FolderOpDone {
            req,
            result: Ok(()),
        },
    );
    let has = |s: &AppState| s.folders.iter().any(|f| f.path.0 == "Lists/rust");
    assert!(!has(&s));
    // The reloaded list (read from the cache, which still has it) keeps it out.
    let folders = ["INBOX", "Lists/rust"]
        .iter()
        .map(|p| posthorn::core::Folder::mail(home(), FolderPath(p.to_string())))
        .collect();
    update(
        &mut s,
        AppEvent::Folders {
            account: home(),
            folders,
        },
    );
    assert!(!has(&s));
    assert!(s.folders.iter().any(|f| f.path.is_inbox()));
}

#[test]
fn ten_thousand_groups_filter_and_page() {
    let many: Vec<GroupInfo> = (0..10_000)
        .map(|i| group(&format!("big.group{i:05}"), "", false, false))
        .collect();
    let mut s = browser(many);
    assert_eq!(shown(&s).len(), 10_000);
    press(&mut s, &["end"]);
    let b = s.news.browser.as_ref().unwrap();
    assert_eq!(b.cursor, 9_999);
    assert!(b.scroll + posthorn::app::news::browser_rows(&s) > 9_999);
    typed(&mut s, "group0999");
    assert_eq!(shown(&s).len(), 10);
}

#[test]
fn catch_up_asks_first_and_then_reloads() {
    let mut s = state_with(vec![unread(env("a", "Plan", "Ann", NOW - 3000))], 80, 24);
    let fx = press(&mut s, &["C"]);
    assert!(fx.is_empty(), "{fx:?}");
    assert!(matches!(
        s.prompt.as_ref().map(|p| &p.kind),
        Some(PromptKind::Confirm { .. })
    ));
    let fx = press(&mut s, &["n"]);
    assert!(fx.is_empty(), "no means nothing is sent: {fx:?}");
    press(&mut s, &["C"]);
    let fx = press(&mut s, &["y"]);
    let req = fx
        .iter()
        .find_map(|e| match e {
            Effect::News(NewsEffect::CatchUp {
                req,
                account,
                folder,
            }) => {
                assert_eq!((account, folder), (&home(), &FolderPath::inbox()));
                Some(*req)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no CatchUp in {fx:?}"));
    let fx = update(
        &mut s,
        AppEvent::News(NewsEvent::CaughtUp {
            req,
            result: Ok(()),
        }),
    );
    assert!(fx.iter().any(|e| matches!(e, Effect::LoadEnvelopes { .. })));
    assert!(fx.contains(&Effect::LoadFolders { account: home() }));
    assert_eq!(s.status.as_ref().unwrap().text, "Caught up home/INBOX");
}

fn thread_state() -> AppState {
    // Newest thread activity first: the Plan thread (root + reply), then Lunch.
    state_with(
        vec![
            unread(env("root", "Plan", "Ann", NOW - 5000)),
            unread(reply("re1", "root", NOW - 100)),
            unread(env("lunch", "Lunch", "Cy", NOW - 3000)),
        ],
        80,
        24,
    )
}

fn set_flag_ops(fx: &[Effect]) -> Vec<(Vec<String>, FlagOp)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Triage {
                op: TriageOp::SetFlags { ids, op, .. },
                ..
            } => Some((ids.iter().map(|r| format!("{r:?}")).collect(), *op)),
            _ => None,
        })
        .collect()
}

#[test]
fn mark_thread_read_flags_the_whole_thread_and_undo_restores_it() {
    let mut s = thread_state();
    let first = s.current().unwrap().id.0.clone();
    assert!(
        first == "root" || first == "re1",
        "the Plan thread is on top"
    );
    press(&mut s, &["j"]); // on the reply: the thread is still the whole thread
    let fx = press(&mut s, &["K"]);
    let ops = set_flag_ops(&fx);
    assert_eq!(ops.len(), 1, "{fx:?}");
    assert_eq!(ops[0].1, FlagOp::Add(Flags::SEEN));
    let ids = ops[0].0.join(" ");
    assert!(ids.contains("root") && ids.contains("re1") && !ids.contains("lunch"));
    let read = |s: &AppState, id: &str| {
        s.envelopes
            .iter()
            .find(|e| e.id.0 == id)
            .unwrap()
            .flags
            .contains(Flags::SEEN)
    };
    assert!(read(&s, "root") && read(&s, "re1") && !read(&s, "lunch"));
    let fx = press(&mut s, &["u"]);
    let ops = set_flag_ops(&fx);
    assert_eq!(ops.len(), 1, "{fx:?}");
    assert_eq!(ops[0].1, FlagOp::Remove(Flags::SEEN));
}

#[test]
fn next_unread_opens_the_next_unread_article_here() {
    let mut s = thread_state();
    let mut e = s.envelopes.clone();
    for x in &mut e {
        if x.id.0 == "root" || x.id.0 == "re1" {
            x.flags = Flags::SEEN;
        }
    }
    s.envelopes = e;
    let fx = press(&mut s, &["n"]);
    let opened = fx.iter().find_map(|e| match e {
        Effect::LoadMessage { env, .. } => Some(env.id.0.clone()),
        _ => None,
    });
    assert_eq!(opened.as_deref(), Some("lunch"));
    assert!(s.reader.is_some());
}

#[test]
fn next_unread_in_the_reader_goes_on_from_the_open_article() {
    let mut s = thread_state();
    s.settings.mark_read_on_open = false;
    // Open the second row, then move the cursor away (a reload can do that).
    press(&mut s, &["j", "enter"]);
    let open = s.reader.as_ref().unwrap().env.id.0.clone();
    s.cursor = 0;
    let fx = press(&mut s, &["n"]);
    let opened = fx.iter().find_map(|e| match e {
        Effect::LoadMessage { env, .. } => Some(env.id.0.clone()),
        _ => None,
    });
    let third = s.envelopes[s.rows[2].index].id.0.clone();
    assert_ne!(opened.as_deref(), Some(open.as_str()));
    assert_eq!(opened, Some(third));
}

#[test]
fn next_unread_goes_on_to_the_next_folder_with_unread_articles() {
    let mut s = state_with(vec![env("a", "Plan", "Ann", NOW - 3000)], 80, 24);
    // Lists/rust has unread articles; Archive has none.
    s.folders[2].unread = 2;
    s.folders[2].total = 2;
    let fx = press(&mut s, &["n"]);
    let req = fx
        .iter()
        .find_map(|e| match e {
            Effect::LoadEnvelopes { req, folders } => {
                assert_eq!(folders, &[(home(), FolderPath("Lists/rust".into()))]);
                Some(*req)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("Lists/rust is not opened: {fx:?}"));
    let mut art = unread(env("r1", "Borrowing", "Dee", NOW - 60));
    art.folder = FolderPath("Lists/rust".into());
    let fx = update(
        &mut s,
        AppEvent::EnvelopesLoaded {
            req,
            envelopes: vec![env("r0", "Old", "Dee", NOW - 900), art],
        },
    );
    let opened = fx.iter().find_map(|e| match e {
        Effect::LoadMessage { env, .. } => Some(env.id.0.clone()),
        _ => None,
    });
    assert_eq!(opened.as_deref(), Some("r1"));
}

#[test]
fn next_unread_with_nothing_left_says_so() {
    let mut s = state_with(vec![env("a", "Plan", "Ann", NOW - 3000)], 80, 24);
    let fx = press(&mut s, &["n"]);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::LoadMessage { .. })),
        "{fx:?}"
    );
    assert_eq!(s.status.as_ref().unwrap().text, "No unread articles left");
}

#[test]
fn ctrl_r_lists_the_same_account_again() {
    let mut s = browser(sample());
    let before = s.news.browser.as_ref().unwrap().req;
    let fx = press(&mut s, &["ctrl-r"]);
    let req = list_req(&fx);
    assert_ne!(req, before);
    assert!(s.news.browser.as_ref().unwrap().groups.is_none());
}

#[test]
fn the_news_keys_rebind_in_the_list_and_the_reader() {
    use posthorn::app::{Action, Context, Key, Keymap};
    let mut o = std::collections::BTreeMap::new();
    o.insert("B".to_string(), "group-browser".to_string());
    o.insert("reader:x".to_string(), "next-unread".to_string());
    o.insert("reader:y".to_string(), "catch-up".to_string());
    let (map, problems) = Keymap::with_overrides(&o);
    assert_eq!(
        map.lookup(Context::List, Key::ch('B')),
        Some(Action::GroupBrowser)
    );
    assert_eq!(
        map.lookup(Context::Reader, Key::ch('x')),
        Some(Action::NextUnread)
    );
    // Catch-up asks about the open folder: a list key only.
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "reader:y");
}
