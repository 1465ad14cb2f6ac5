//! Text helpers for drawing: display-width truncation, padding, word wrapping and
//! dates.
//!
//! Widths are measured one code point at a time, as terminals draw them, on text that
//! went through `core::sanitize` first (`fit`, `pad` and `wrap` sanitise what they are
//! given), so a row is never wider or narrower on screen than computed here.

use crate::core::sanitize;
use unicode_width::UnicodeWidthChar;

/// Display width as a terminal advances the cursor: the sum of the code points' widths.
pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Cuts `s` to at most `width` columns, ending with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    let s = sanitize::line(s);
    if self::width(&s) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// `fit`, then padded with spaces to exactly `width` columns.
pub fn pad(s: &str, width: usize) -> String {
    let mut out = fit(s, width);
    let w = self::width(&out);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    out
}

/// Word-wraps one line to `width` columns (long words are split).
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let line = sanitize::line(line);
    if self::width(&line) <= width {
        return vec![line.to_string()];
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0;
    for word in line.split_inclusive(' ') {
        let ww = self::width(word);
        // A trailing space may hang past the edge; it is trimmed from the line.
        if cur_w + self::width(word.trim_end()) > width && !cur.is_empty() {
            out.push(std::mem::take(&mut cur).trim_end().to_string());
            cur_w = 0;
        }
        if ww > width {
            for c in word.chars() {
                let cw = c.width().unwrap_or(0);
                if cur_w + cw > width {
                    out.push(std::mem::take(&mut cur));
                    cur_w = 0;
                }
                cur.push(c);
                cur_w += cw;
            }
        } else {
            cur.push_str(word);
            cur_w += ww;
        }
    }
    if !cur.is_empty() {
        out.push(cur.trim_end().to_string());
    }
    out
}

/// A compact date for the list: time today, month and day this year, else the date.
pub fn short_date(ts: i64, now: i64, tz_offset: i32) -> String {
    if ts == 0 {
        return "?".into();
    }
    let local =
        |t: i64| chrono::DateTime::from_timestamp(t + tz_offset as i64, 0).map(|d| d.naive_utc());
    let (Some(d), Some(n)) = (local(ts), local(now)) else {
        return "?".into();
    };
    if d.date() == n.date() {
        d.format("%H:%M").to_string()
    } else if d.format("%Y").to_string() == n.format("%Y").to_string() {
        d.format("%b %d").to_string()
    } else {
        d.format("%Y-%m-%d").to_string()
    }
}

/// A size in B / K / M.
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b}B"),
        b if b < 1024 * 1024 => format!("{}K", b.div_ceil(1024)),
        b => format!("{:.1}M", b as f64 / (1024.0 * 1024.0)),
    }
}

/// `text` as spans in `style`, with the byte ranges in `marks` (sorted, not
/// overlapping, on character boundaries) in `mark` patched over it.
pub fn marked<'a>(
    text: String,
    marks: &[std::ops::Range<usize>],
    style: ratatui::style::Style,
    mark: ratatui::style::Style,
) -> Vec<ratatui::text::Span<'a>> {
    use ratatui::text::Span;
    if marks.is_empty() {
        return vec![Span::styled(text, style)];
    }
    let mut out = Vec::with_capacity(marks.len() * 2 + 1);
    let mut at = 0;
    for r in marks {
        if r.start < at || r.end > text.len() {
            continue;
        }
        if r.start > at {
            out.push(Span::styled(text[at..r.start].to_string(), style));
        }
        out.push(Span::styled(
            text[r.start..r.end].to_string(),
            style.patch(mark),
        ));
        at = r.end;
    }
    if at < text.len() {
        out.push(Span::styled(text[at..].to_string(), style));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_and_wrap_respect_display_width() {
        assert_eq!(fit("héllo wörld", 6), "héllo…");
        assert_eq!(pad("日本", 6), "日本  ");
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
    }

    #[test]
    fn dates_are_relative_to_now() {
        let now = 1_700_000_000; // 2023-11-14 22:13 UTC
        assert_eq!(short_date(now - 60, now, 0), "22:12");
        assert_eq!(short_date(now - 86_400 * 30, now, 0), "Oct 15");
        assert_eq!(short_date(now - 86_400 * 400, now, 0), "2022-10-10");
        assert_eq!(short_date(0, now, 0), "?");
    }
}
