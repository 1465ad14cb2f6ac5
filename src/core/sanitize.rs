//! Terminal sanitising: every string that reaches the screen passes through here.
//!
//! ESC, all C0 and C1 control characters, DEL, and the Unicode bidirectional overrides
//! and isolates (which can reorder what the user sees, CVE-2021-42574) are replaced by
//! visible stand-ins. Tabs become spaces. Nothing here can emit an escape sequence.
//!
//! Characters whose width terminals disagree on are made plain, so a row is exactly as
//! wide as `ui::text` measures it: U+2028/U+2029 become a space (a newline in bodies);
//! variation selectors, skin-tone modifiers, tag characters and zero-width spaces are
//! dropped; a zero-width joiner is dropped unless it sits between two letters (where
//! scripts such as Devanagari use it); regional indicators become their ASCII letters
//! (a flag pair reads "DE"). What is left is measured the same way by every terminal:
//! one code point at a time.

use std::borrow::Cow;

/// Whether a character can drive or reorder the terminal (controls, bidi).
pub fn is_hostile(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// Characters whose rendered width depends on the terminal and its font.
fn is_ambiguous_layout(c: char) -> bool {
    matches!(c,
        '\u{2028}' | '\u{2029}' | '\u{200b}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
        | '\u{fe00}'..='\u{fe0f}' | '\u{e0100}'..='\u{e01ef}' | '\u{e0000}'..='\u{e007f}'
        | '\u{1f3fb}'..='\u{1f3ff}' | '\u{1f1e6}'..='\u{1f1ff}')
}

/// Sanitises one line of text (a header, a file or folder name): newlines become spaces.
pub fn line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_hostile(c) || is_ambiguous_layout(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut prev = None;
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        push_safe(&mut out, prev, c, it.peek().copied(), true);
        prev = Some(c);
    }
    Cow::Owned(out)
}

/// Sanitises a block of text (a body), keeping `\n` line breaks.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev = None;
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\n' || c == '\u{2028}' || c == '\u{2029}' {
            out.push('\n');
        } else if c != '\r' {
            push_safe(&mut out, prev, c, it.peek().copied(), false);
        }
        prev = Some(c);
    }
    out
}

/// A joiner is kept only between two characters of a script below U+2000 (letters and
/// their marks, as in Indic conjuncts); next to an emoji, or at either end, terminals
/// draw it differently.
fn joins_letters(prev: Option<char>, next: Option<char>) -> bool {
    let letter = |c: Option<char>| {
        c.is_some_and(|c| ('\u{80}'..'\u{2000}').contains(&c) && !c.is_whitespace())
    };
    letter(prev) && letter(next)
}

fn push_safe(out: &mut String, prev: Option<char>, c: char, next: Option<char>, single_line: bool) {
    match c {
        '\t' => out.push_str(if single_line { " " } else { "    " }),
        '\n' | '\r' if single_line => out.push(' '),
        '\u{2028}' | '\u{2029}' => out.push(' '),
        '\u{200d}' if joins_letters(prev, next) => out.push(c),
        '\u{1f1e6}'..='\u{1f1ff}' => {
            out.push(char::from(b'A' + (c as u32 - 0x1f1e6) as u8));
        }
        c if is_ambiguous_layout(c) => {}
        '\u{1b}' => out.push('␛'),
        c if ('\u{0}'..='\u{1f}').contains(&c) => {
            // Control pictures block: U+2400 + code point.
            out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'));
        }
        '\u{7f}' => out.push('␡'),
        c if is_hostile(c) => out.push('\u{fffd}'),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_neutralised() {
        let s = line("Hi \u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J there\u{9b}31m");
        assert!(!s.chars().any(is_hostile));
        assert!(s.contains("␛]52;c;ZXZpbA==␇␛[2J there"));
    }

    #[test]
    fn bidi_overrides_are_replaced() {
        let s = line("invoice\u{202e}fdp.exe");
        assert_eq!(s, "invoice\u{fffd}fdp.exe");
    }

    #[test]
    fn layout_breakers_are_made_plain() {
        assert_eq!(line("a\u{2028}b\u{2029}c"), "a b c");
        assert_eq!(text("a\u{2028}b"), "a\nb");
        assert_eq!(line("done \u{1f44d}\u{200d}"), "done \u{1f44d}");
        assert_eq!(
            line("\u{1f468}\u{200d}\u{1f469}\u{1f3fd}"),
            "\u{1f468}\u{1f469}"
        );
        assert_eq!(line("\u{1f1e9}\u{1f1ea} trip"), "DE trip");
        assert_eq!(line("\u{2764}\u{fe0f}"), "\u{2764}");
        // Devanagari keeps its joiner.
        assert_eq!(
            line("\u{0915}\u{094d}\u{200d}\u{0937}"),
            "\u{0915}\u{094d}\u{200d}\u{0937}"
        );
    }

    #[test]
    fn clean_text_is_borrowed_and_newlines_kept_in_bodies() {
        assert!(matches!(line("plain Ünïcode"), Cow::Borrowed(_)));
        assert_eq!(text("a\r\nb\tc"), "a\nb    c");
        assert_eq!(line("a\nb"), "a b");
    }
}
