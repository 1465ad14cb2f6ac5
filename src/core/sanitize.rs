//! Terminal sanitising: every string that reaches the screen passes through here.
//!
//! ESC, all C0 and C1 control characters, DEL, and the Unicode bidirectional overrides
//! and isolates (which can reorder what the user sees, CVE-2021-42574) are replaced by
//! visible stand-ins. Tabs become spaces. Nothing here can emit an escape sequence.

use std::borrow::Cow;

/// Whether a character can drive or reorder the terminal (controls, bidi).
pub fn is_hostile(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// Sanitises one line of text (a header, a file or folder name): newlines become spaces.
pub fn line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hostile) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_safe(&mut out, c, true);
    }
    Cow::Owned(out)
}

/// Sanitises a block of text (a body), keeping `\n` line breaks.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\n' {
            out.push('\n');
        } else if c == '\r' {
            continue;
        } else {
            push_safe(&mut out, c, false);
        }
    }
    out
}

fn push_safe(out: &mut String, c: char, single_line: bool) {
    match c {
        '\t' => out.push_str(if single_line { " " } else { "    " }),
        '\n' | '\r' if single_line => out.push(' '),
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
    fn clean_text_is_borrowed_and_newlines_kept_in_bodies() {
        assert!(matches!(line("plain Ünïcode"), Cow::Borrowed(_)));
        assert_eq!(text("a\r\nb\tc"), "a\nb    c");
        assert_eq!(line("a\nb"), "a b");
    }
}
