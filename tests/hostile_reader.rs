//! The reader on large bodies: laid out once in `update`, wrapped only as far as the
//! screen needs (work counted in lines indexed), and scrolling clamped in `update`.

mod common;

use common::*;
use posthorn::app::state::Reader;
use posthorn::app::{AppEvent, AppState, update};
use posthorn::mime::{Section, parse_message};

fn open_with(body: &str, w: u16, h: u16) -> AppState {
    let mut s = state_with(vec![env("a", "Big", "Ann", NOW - 100)], w, h);
    let fx = press(&mut s, &["enter"]);
    let raw = format!("Subject: Big\nFrom: a@x\n\n{body}");
    update(
        &mut s,
        AppEvent::MessageLoaded {
            req: req_of(&fx).unwrap(),
            result: Ok(parse_message(raw.as_bytes())),
        },
    );
    s
}

fn reader(s: &AppState) -> &Reader {
    s.reader.as_ref().unwrap()
}

fn numbered(n: usize) -> String {
    (0..n).map(|i| format!("line {i}\n")).collect()
}

#[test]
fn bottom_then_up_moves_one_line() {
    let mut s = open_with(&numbered(100), 80, 24);
    press(&mut s, &["G"]);
    let l = reader(&s).layout.as_ref().unwrap();
    assert!(l.body.complete());
    let bottom = reader(&s).scroll;
    // Headers (From, To, Date, Subject), a blank line, 100 body lines; 22 rows shown.
    assert_eq!(bottom, l.known() - 22);
    assert!(bottom < 100);
    press(&mut s, &["k"]);
    assert_eq!(reader(&s).scroll, bottom - 1);
    press(&mut s, &["j", "j", "j"]);
    assert_eq!(reader(&s).scroll, bottom, "j stops at the last screen");
}

#[test]
fn a_large_body_is_wrapped_only_as_far_as_shown() {
    // 200,000 lines; opening and paging must index about a screen per step.
    let mut s = open_with(&numbered(200_000), 80, 24);
    let known = |s: &AppState| reader(s).layout.as_ref().unwrap().body.known();
    assert!(known(&s) <= 24, "opening indexed {} lines", known(&s));
    press(&mut s, &["j"]);
    assert!(known(&s) <= 25, "one j indexed up to {} lines", known(&s));
    press(&mut s, &["space"]);
    assert!(known(&s) <= 50, "a page indexed up to {} lines", known(&s));
    // The body text is held once, by the layout, not also by the view.
    let l = reader(&s).layout.as_ref().unwrap();
    assert_eq!(l.body.line(0), Some(("line 0", false)));
    let in_view: usize = reader(&s)
        .view
        .as_ref()
        .unwrap()
        .sections
        .iter()
        .map(|x| match x {
            Section::Text(t) => t.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(in_view, 0);
    // Switching modes (no HTML here) or the headers keeps the one copy and the body.
    press(&mut s, &["v", "H", "v", "H"]);
    let l = reader(&s).layout.as_ref().unwrap();
    assert_eq!(l.body.text().len(), numbered(200_000).len());
    press(&mut s, &["G"]);
    assert_eq!(known(&s), 200_000);
}

#[test]
fn a_resize_rewraps_and_keeps_scroll_in_range() {
    let long = "word ".repeat(400); // 2000 columns: 25 lines at 80, 50 at 40
    let mut s = open_with(&long, 80, 24);
    press(&mut s, &["G"]);
    let at80 = reader(&s).scroll;
    update(&mut s, AppEvent::Resize(40, 24));
    let l = reader(&s).layout.as_ref().unwrap();
    assert_eq!(l.body.width(), 40);
    assert!(reader(&s).scroll <= l.known().saturating_sub(22));
    press(&mut s, &["G"]);
    assert!(reader(&s).scroll > at80, "narrower means more lines");
}

#[test]
fn switching_to_html_lays_out_the_html_part() {
    let mut s = state_with(vec![env("a", "Alt", "Ann", NOW - 100)], 80, 24);
    let fx = press(&mut s, &["enter"]);
    let raw = "Subject: Alt\nContent-Type: multipart/alternative; boundary=A\n\n\
--A\nContent-Type: text/plain\n\nplain words\n--A\nContent-Type: text/html\n\n<p>html words</p>\n--A--\n";
    update(
        &mut s,
        AppEvent::MessageLoaded {
            req: req_of(&fx).unwrap(),
            result: Ok(parse_message(raw.as_bytes())),
        },
    );
    let body = |s: &AppState| reader(s).layout.as_ref().unwrap().body.text().to_string();
    assert!(body(&s).contains("plain words"));
    press(&mut s, &["v"]);
    assert!(body(&s).contains("html words"), "{}", body(&s));
    press(&mut s, &["v"]);
    assert!(body(&s).contains("plain words"));
}

#[test]
fn a_preview_then_the_full_view_keeps_the_place() {
    let raw = format!("Subject: Big\nFrom: a@x\n\n{}", numbered(200_000));
    let preview = posthorn::mime::parse_preview(raw.as_bytes()).unwrap();
    assert!(parse_preview_is_none_for_small());
    let mut s = state_with(vec![env("a", "Big", "Ann", NOW - 100)], 80, 24);
    let req = req_of(&press(&mut s, &["enter"])).unwrap();
    update(
        &mut s,
        AppEvent::MessageLoaded {
            req,
            result: Ok(preview),
        },
    );
    press(&mut s, &["space", "space", "j"]);
    let at = reader(&s).scroll;
    assert!(at > 0);
    let l = reader(&s).layout.as_ref().unwrap();
    assert!(l.body.text().contains("rest is loading"));
    update(
        &mut s,
        AppEvent::MessageLoaded {
            req,
            result: Ok(parse_message(raw.as_bytes())),
        },
    );
    assert_eq!(reader(&s).scroll, at);
    let l = reader(&s).layout.as_ref().unwrap();
    assert_eq!(l.body.text().len(), numbered(200_000).len());
}

fn parse_preview_is_none_for_small() -> bool {
    posthorn::mime::parse_preview(b"Subject: s\n\nsmall").is_none()
}
