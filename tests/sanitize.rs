//! Characters that break terminal layout (a trailing ZWJ, emoji ZWJ sequences, flags,
//! variation selectors, U+2028) are made plain before drawing, so every list row drawn
//! with ratatui's `TestBackend` is exactly as wide on a terminal as ratatui placed it,
//! and the next row starts at column 0.

mod common;

use common::*;
use posthorn::ui::text::{fit, pad, width, wrap};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use unicode_width::UnicodeWidthStr;

const NASTY: &[&str] = &[
    "ship it \u{1f44d}\u{200d}",
    "trip \u{1f1e9}\u{1f1ea} and \u{1f1eb}",
    "line\u{2028}separator\u{2029}end",
    "\u{2764}\u{fe0f} love",
    "family \u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467} and \u{1f44b}\u{1f3fd}",
    "tagged \u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f} flag",
];

/// Code points whose width terminals disagree on: none may reach the screen.
fn ambiguous(c: char) -> bool {
    matches!(c,
        '\u{200d}' | '\u{2028}' | '\u{2029}' | '\u{fe00}'..='\u{fe0f}'
        | '\u{1f1e6}'..='\u{1f1ff}' | '\u{1f3fb}'..='\u{1f3ff}' | '\u{e0000}'..='\u{e007f}')
}

#[test]
fn every_row_is_as_wide_on_a_terminal_as_ratatui_drew_it() {
    for w in [60u16, 80, 97] {
        let envs = NASTY
            .iter()
            .enumerate()
            .map(|(i, s)| {
                env(
                    &format!("m{i}"),
                    &s.repeat(4),
                    "Zed \u{1f1ec}\u{1f1e7}\u{200d}",
                    NOW - 60 * i as i64,
                )
            })
            .collect();
        let state = state_with(envs, w, 16);
        let mut t = Terminal::new(TestBackend::new(w, 16)).unwrap();
        t.draw(|f| posthorn::ui::render(f, &state)).unwrap();
        let buf = t.backend().buffer();
        for y in 0..buf.area.height {
            // What a terminal does with the row: the backend writes each cell that a
            // wide symbol does not cover; the terminal advances by each code point.
            let (mut x, mut col) = (0u16, 0usize);
            while x < buf.area.width {
                let sym = buf[(x, y)].symbol();
                assert!(!sym.chars().any(ambiguous), "row {y}: {sym:?}");
                let placed = sym.width().max(1);
                assert_eq!(width(sym).max(1), placed, "row {y} col {x}: {sym:?}");
                col += width(sym).max(1);
                x += placed as u16;
            }
            assert_eq!(
                col, w as usize,
                "row {y} fills exactly the width, the next starts at 0"
            );
        }
    }
}

#[test]
fn fit_pad_and_wrap_measure_what_the_terminal_draws() {
    for s in NASTY {
        for w in [5, 12, 30] {
            let p = pad(s, w);
            assert_eq!(width(&p), w, "{p:?}");
            assert_eq!(p.width(), w, "{p:?}");
            assert!(!p.chars().any(ambiguous), "{p:?}");
            assert!(width(&fit(s, w)) <= w);
            for part in wrap(s, w) {
                assert!(
                    width(&part) <= w && !part.chars().any(ambiguous),
                    "{part:?}"
                );
            }
        }
    }
}
