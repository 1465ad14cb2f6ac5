//! A body held once with an index of where its word-wrapped lines start, built lazily:
//! only as far as someone has asked to see, so the first screen of a 200 MB body is
//! ready after wrapping one screen, and a scroll step costs work in proportion to the
//! lines it reveals. Wrapping follows `ui::text::wrap` (greedy by words, long words
//! split, trailing spaces hang) so the reader looks the same; the UI still `fit`s each
//! line it draws. Depends on nothing of ours.

use std::fmt;
use unicode_width::UnicodeWidthChar;

/// The high bit of a start offset marks a line inside a quote (`>` at its source line).
const QUOTED: usize = 1 << (usize::BITS - 1);

#[derive(Clone, PartialEq, Eq)]
pub struct BodyLines {
    text: String,
    width: usize,
    /// Byte offsets where the wrapped lines found so far start (bit `QUOTED` aside).
    starts: Vec<usize>,
    /// Byte offset of the first byte not yet wrapped.
    done: usize,
}

impl fmt::Debug for BodyLines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyLines")
            .field("bytes", &self.text.len())
            .field("width", &self.width)
            .field("lines_known", &self.starts.len())
            .field("complete", &self.complete())
            .finish()
    }
}

impl BodyLines {
    /// Takes the text; nothing is wrapped yet.
    pub fn new(text: String, width: usize) -> Self {
        BodyLines {
            text,
            width: width.max(1),
            starts: Vec::new(),
            done: 0,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Rewraps at a new width (the index is dropped and rebuilt on demand).
    pub fn set_width(&mut self, width: usize) {
        let width = width.max(1);
        if width != self.width {
            self.width = width;
            self.starts.clear();
            self.done = 0;
        }
    }

    /// Wraps until at least `n` lines are known or the text is used up. Work is in
    /// proportion to the bytes of the lines added.
    pub fn ensure(&mut self, n: usize) {
        while self.starts.len() < n && self.done < self.text.len() {
            let p = self.done;
            let quoted = match self.starts.last() {
                Some(&last) if p > 0 && self.text.as_bytes()[p - 1] != b'\n' => last & QUOTED,
                _ if self.text.as_bytes()[p] == b'>' => QUOTED,
                _ => 0,
            };
            self.starts.push(p | quoted);
            self.done = next_start(&self.text, p, self.width);
        }
    }

    /// Lines wrapped so far.
    pub fn known(&self) -> usize {
        self.starts.len()
    }

    /// True when the whole text is indexed (`known` is then the total).
    pub fn complete(&self) -> bool {
        self.done >= self.text.len()
    }

    /// The `i`th wrapped line (if indexed) and whether it is quoted.
    pub fn line(&self, i: usize) -> Option<(&str, bool)> {
        let s = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).map_or(self.done, |e| e & !QUOTED);
        let start = s & !QUOTED;
        let l = self.text.get(start..end)?;
        Some((
            l.trim_end_matches('\n').trim_end_matches(' '),
            s & QUOTED != 0,
        ))
    }

    /// Every line, wrapping the rest first (small texts: header values).
    pub fn all(mut self) -> Vec<String> {
        self.ensure(usize::MAX);
        (0..self.known())
            .filter_map(|i| self.line(i).map(|(l, _)| l.to_string()))
            .collect()
    }
}

/// Where the wrapped line that starts at `p` ends (the next line's start).
fn next_start(s: &str, p: usize, w: usize) -> usize {
    let mut cur_w = 0; // words and spaces already on the line
    let mut word_start = p;
    let mut word_w = 0;
    let mut in_word = false;
    for (i, c) in s[p..].char_indices() {
        let at = p + i;
        if c == '\n' {
            return at + 1;
        }
        let cw = c.width().unwrap_or(0);
        if c == ' ' {
            if in_word {
                cur_w += word_w;
                in_word = false;
            }
            cur_w += cw; // trailing spaces may hang past the edge
            continue;
        }
        if !in_word {
            in_word = true;
            word_start = at;
            word_w = 0;
        }
        if cur_w + word_w + cw > w {
            if word_start > p {
                return word_start;
            }
            if at > p {
                return at; // a word longer than the line is split
            }
        }
        word_w += cw;
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(s: &str, w: usize) -> Vec<String> {
        BodyLines::new(s.into(), w).all()
    }

    #[test]
    fn wraps_like_the_reader() {
        assert_eq!(all("aa bb cc\n\n> dd", 5), ["aa bb", "cc", "", "> dd"]);
        assert_eq!(all("abcdefgh ij", 3), ["abc", "def", "gh", "ij"]);
        assert_eq!(all("", 5), Vec::<String>::new());
        assert_eq!(all("x\n", 5), ["x"]);
        assert_eq!(all("日本語です", 4), ["日本", "語で", "す"]);
    }

    #[test]
    fn lazy_index_grows_on_demand_and_marks_quotes() {
        let text = "> quoted line that wraps\nplain\n".repeat(1000);
        let mut b = BodyLines::new(text, 10);
        b.ensure(3);
        assert_eq!(b.known(), 3);
        assert!(!b.complete());
        assert_eq!(b.line(0), Some(("> quoted", true)));
        assert_eq!(b.line(1), Some(("line that", true)));
        assert_eq!(b.line(2), Some(("wraps", true)));
        b.ensure(4);
        assert_eq!(b.line(3), Some(("plain", false)));
        b.ensure(usize::MAX);
        assert!(b.complete());
        assert_eq!(b.known(), 4000);
    }
}
