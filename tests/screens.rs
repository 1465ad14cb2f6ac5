//! Snapshots of the main screens (ratatui TestBackend) at 80x24 and 160x48, on the
//! demo's personal INBOX with a fixed "now".
//!
//! Each snapshot has two layers: the text, then the styles of the same cells (see
//! `STYLE_KEY`), so the cursor row, unread lines and error bars are checked too. Every
//! drawn cell is also checked for control characters.

mod common;

use common::*;
use posthorn::app::{AppEvent, AppState, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;

const STYLE_KEY: &str =
    "--- styles: r reversed, b bold, u underlined, R reversed+bold, U underlined+bold ---";

/// One letter for a cell's modifiers ('.' for none).
fn style_code(m: Modifier) -> char {
    let bold = m.contains(Modifier::BOLD);
    match (
        m.contains(Modifier::REVERSED),
        m.contains(Modifier::UNDERLINED),
    ) {
        (true, _) if bold => 'R',
        (true, _) => 'r',
        (false, true) if bold => 'U',
        (false, true) => 'u',
        _ if bold => 'b',
        _ => '.',
    }
}

/// The cells holding a control character (ESC, BEL, …): none may reach the terminal.
fn control_cells(buf: &Buffer) -> Vec<(u16, u16, String)> {
    let mut bad = Vec::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let sym = buf[(x, y)].symbol();
            if sym.chars().any(char::is_control) {
                bad.push((x, y, sym.escape_debug().to_string()));
            }
        }
    }
    bad
}

fn draw(state: &AppState) -> String {
    let mut t = Terminal::new(TestBackend::new(state.width, state.height)).unwrap();
    t.draw(|f| posthorn::ui::render(f, state)).unwrap();
    let buf = t.backend().buffer();
    let bad = control_cells(buf);
    assert!(bad.is_empty(), "control characters in cells: {bad:?}");
    let mut text = String::new();
    let mut styles = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut codes = String::new();
        let mut x = 0;
        while x < buf.area.width {
            let cell = &buf[(x, y)];
            let sym = cell.symbol();
            line.push_str(sym);
            // A wide character covers the next cell too.
            let w = unicode_width::UnicodeWidthStr::width(sym).max(1);
            let code = style_code(cell.modifier);
            codes.extend(std::iter::repeat_n(code, w));
            x += w as u16;
        }
        text.push_str(line.trim_end());
        text.push('\n');
        styles.push_str(codes.trim_end_matches('.'));
        styles.push('\n');
    }
    format!("{text}{STYLE_KEY}\n{styles}")
}

fn demo_state(w: u16, h: u16) -> (tempfile::TempDir, AppState, posthorn::account::CacheView) {
    let (dir, envs, acc) = demo_inbox();
    let s = state_with(envs, w, h);
    (dir, s, acc)
}

fn open_subject(s: &mut AppState, acc: &posthorn::account::CacheView, query: &str) {
    press(s, &["/"]);
    typed(s, query);
    press(s, &["enter"]);
    let fx = press(s, &["enter"]);
    let req = req_of(&fx).unwrap();
    let env = s.reader.as_ref().unwrap().env.clone();
    let raw = acc.read(&env.folder, &env.id).unwrap().unwrap();
    update(
        s,
        AppEvent::MessageLoaded {
            req,
            result: Ok(posthorn::mime::parse_message(&raw)),
        },
    );
}

#[test]
fn list_80x24() {
    let (_d, s, _a) = demo_state(80, 24);
    insta::assert_snapshot!(draw(&s));
}

#[test]
fn list_160x48() {
    let (_d, mut s, _a) = demo_state(160, 48);
    press(&mut s, &["j", "j", "t", "j", "t"]);
    insta::assert_snapshot!(draw(&s));
}

#[test]
fn reader_html_80x24() {
    let (_d, mut s, a) = demo_state(80, 24);
    open_subject(&mut s, &a, "subject:festival");
    insta::assert_snapshot!("reader_plain_80x24", draw(&s));
    press(&mut s, &["v"]);
    insta::assert_snapshot!("reader_html_80x24", draw(&s));
}

#[test]
fn reader_attachments_160x48() {
    let (_d, mut s, a) = demo_state(160, 48);
    open_subject(&mut s, &a, "subject:facture");
    press(&mut s, &["A"]);
    insta::assert_snapshot!(draw(&s));
}

#[test]
fn hostile_subject_80x24() {
    let (_d, mut s, a) = demo_state(80, 24);
    open_subject(&mut s, &a, "from:mallory");
    // `draw` has checked every cell for control characters; the escape is shown as a
    // visible symbol instead.
    let screen = draw(&s);
    assert!(screen.contains("␛]52"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn help_80x24() {
    let (_d, mut s, _a) = demo_state(80, 24);
    press(&mut s, &["?"]);
    insta::assert_snapshot!(draw(&s));
}

#[test]
fn move_prompt_80x24() {
    let (_d, mut s, _a) = demo_state(80, 24);
    press(&mut s, &["m"]);
    typed(&mut s, "a");
    insta::assert_snapshot!(draw(&s));
}

#[test]
fn indexing_progress_80x24() {
    let mut s = state_with(vec![], 80, 24);
    update(
        &mut s,
        AppEvent::ScanProgress {
            account: posthorn::core::AccountId("home".into()),
            folder: posthorn::core::FolderPath::inbox(),
            done: 41_000,
            total: 100_000,
        },
    );
    // The first progress of a folder shown empty reloads it (a first sync shows its
    // first envelopes at once); here nothing is indexed yet, so it stays empty.
    let req = s
        .envelopes_req
        .expect("the list reloads on the first progress");
    update(
        &mut s,
        AppEvent::EnvelopesLoaded {
            req,
            envelopes: vec![],
        },
    );
    let screen = draw(&s);
    assert!(screen.contains("41000/100000 (41%)"), "{screen}");
    insta::assert_snapshot!(screen);
}

fn set_state(s: &mut AppState, account: &str, state: posthorn::core::AccountState) {
    let account = posthorn::core::AccountId(account.into());
    if !s.accounts.contains(&account) {
        s.accounts.push(account.clone());
    }
    update(s, AppEvent::AccountState { account, state });
}

#[test]
fn account_offline_80x24() {
    let (_d, mut s, _a) = demo_state(80, 24);
    set_state(
        &mut s,
        "personal",
        posthorn::core::AccountState::Offline {
            retry_at: Some(common::NOW + 30),
            reason: "connection refused".into(),
        },
    );
    let screen = draw(&s);
    assert!(screen.contains("personal   offline"), "{screen}");
    assert!(screen.contains("retry in 30s"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn account_states_160x48() {
    use posthorn::core::{AccountState, ErrorKind, Failure, FolderPath};
    let (_d, mut s, _a) = demo_state(160, 48);
    set_state(
        &mut s,
        "personal",
        AccountState::Syncing {
            folder: FolderPath::inbox(),
            done: 41,
            total: 100,
            bytes: 0,
        },
    );
    set_state(
        &mut s,
        "work",
        AccountState::Error(Failure::new(ErrorKind::Auth, "wrong password for robin")),
    );
    set_state(&mut s, "news", AccountState::Connecting);
    let screen = draw(&s);
    for want in [
        "INBOX ██░░░ 41/100",
        "login failed",
        "connecting…",
        "work: login failed: wrong password for robin",
    ] {
        assert!(screen.contains(want), "{want}: {screen}");
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn notices_wrap_80x24() {
    let (_d, mut s, _a) = demo_state(80, 24);
    update(
        &mut s,
        AppEvent::Error(format!(
            "work: network: {} END",
            "the connection to imap.example.org:993 was reset ".repeat(3)
        )),
    );
    press(&mut s, &["L"]);
    let screen = draw(&s);
    assert!(
        screen.contains("END"),
        "the end of a long notice is shown: {screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn delete_folder_confirmation_80x24() {
    let (_d, mut s, _a) = demo_state(80, 24);
    press(&mut s, &["tab", "D"]);
    insta::assert_snapshot!(draw(&s));
}
