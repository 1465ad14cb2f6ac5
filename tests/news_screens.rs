//! Snapshots of the group browser (ratatui TestBackend) at 80x24 and 200x50: loading,
//! a filtered list with new and subscribed groups, a server with thousands of groups
//! scrolled to the end, and a description carrying escape sequences (neutralised).

mod common;

use common::*;
use posthorn::app::news::{GroupInfo, NewsEffect, NewsEvent};
use posthorn::app::{AppEvent, AppState, Effect, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;

/// The screen's text, then a line per row marking reversed cells (`r`), so the cursor
/// row is checked too.
fn draw(state: &AppState) -> String {
    let mut t = Terminal::new(TestBackend::new(state.width, state.height)).unwrap();
    t.draw(|f| posthorn::ui::render(f, state)).unwrap();
    let buf = t.backend().buffer();
    let mut text = String::new();
    let mut rev = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut codes = String::new();
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            assert!(
                !cell.symbol().chars().any(char::is_control),
                "control character at {x},{y}"
            );
            line.push_str(cell.symbol());
            codes.push(if cell.modifier.contains(Modifier::REVERSED) {
                'r'
            } else {
                '.'
            });
        }
        text.push_str(line.trim_end());
        text.push('\n');
        rev.push_str(codes.trim_end_matches('.'));
        rev.push('\n');
    }
    format!("{text}--- reversed cells ---\n{rev}")
}

fn g(name: &str, description: &str, count: u64, subscribed: bool, new: bool) -> GroupInfo {
    GroupInfo {
        name: name.into(),
        description: description.into(),
        count,
        subscribed,
        new,
    }
}

fn open(w: u16, h: u16) -> (AppState, posthorn::core::RequestId) {
    let mut s = state_with(vec![env("a", "Plan", "Ann", NOW - 3000)], w, h);
    let fx = press(&mut s, &["ctrl-n"]);
    let req = fx
        .iter()
        .find_map(|e| match e {
            Effect::News(NewsEffect::ListGroups { req, .. }) => Some(*req),
            _ => None,
        })
        .unwrap();
    (s, req)
}

fn arrive(s: &mut AppState, req: posthorn::core::RequestId, groups: Vec<GroupInfo>) {
    update(
        s,
        AppEvent::News(NewsEvent::Groups {
            req,
            result: Ok(groups),
        }),
    );
}

fn sample() -> Vec<GroupInfo> {
    vec![
        g(
            "comp.lang.rust",
            "The Rust programming language",
            4821,
            true,
            false,
        ),
        g(
            "comp.mail.misc",
            "General discussions about mail",
            312,
            false,
            false,
        ),
        g(
            "comp.mail.mutt",
            "The mutt mail user agent",
            97,
            true,
            false,
        ),
        g("alt.test", "Testing", 12, false, false),
        g("local.announce", "Announcements", 0, false, true),
        g(
            "news.software.readers",
            "Discussion of software used to read news",
            1530,
            false,
            false,
        ),
        g("comp.mail.archive", "", 5, false, false),
    ]
}

#[test]
fn group_browser_loading_80x24() {
    let (s, _) = open(80, 24);
    insta::assert_snapshot!(draw(&s));
}

#[test]
fn group_browser_filtered_80x24() {
    let (mut s, req) = open(80, 24);
    arrive(&mut s, req, sample());
    typed(&mut s, "mail");
    press(&mut s, &["down"]);
    insta::assert_snapshot!(draw(&s));
}

#[test]
fn group_browser_200x50() {
    let (mut s, req) = open(200, 50);
    let mut groups = sample();
    groups.push(g(
        "alt.evil",
        "bad \u{1b}[2J\u{1b}]0;owned\u{7} description",
        1,
        false,
        true,
    ));
    groups.extend((0..5000).map(|i| {
        g(
            &format!("big.group{i:04}"),
            "A generated group",
            i,
            false,
            false,
        )
    }));
    arrive(&mut s, req, groups);
    press(&mut s, &["end", "up"]);
    insta::assert_snapshot!(draw(&s));
}

#[test]
fn group_browser_unfiltered_80x24() {
    let (mut s, req) = open(80, 24);
    let mut groups = sample();
    groups.push(g(
        "alt.evil",
        "bad \u{1b}[2J\u{1b}]0;owned\u{7} description",
        1,
        false,
        false,
    ));
    arrive(&mut s, req, groups);
    insta::assert_snapshot!(draw(&s));
}
