//! Folding text for search: words are runs of letters and digits, compared in lower
//! case with the diacritics of Latin letters removed (`Zoë` and `zoe` are one word).
//!
//! This is the same rule the full-text index applies (SQLite FTS5's `unicode61`
//! tokenizer with `remove_diacritics 2`), so a query matched in memory (the `/` limit,
//! highlighting, a message not indexed yet) and one answered by the index agree; a test
//! in `tests/search_fold.rs` holds the two together for Latin-1 and Latin Extended-A.
//! Letters without a canonical decomposition (ø, ł, đ, æ, ß) stay as they are, as
//! they do in the index. Pure; no I/O.

/// The base letter of a lower-case Latin letter with diacritics (U+00E0..U+017F).
fn strip(c: char) -> char {
    match c as u32 {
        0xE0..=0xE5 => 'a',
        0xE7 => 'c',
        0xE8..=0xEB => 'e',
        0xEC..=0xEF => 'i',
        0xF1 => 'n',
        0xF2..=0xF6 => 'o',
        0xF9..=0xFC => 'u',
        0xFD | 0xFF => 'y',
        0x100..=0x105 => 'a',
        0x106..=0x10D => 'c',
        0x10E..=0x10F => 'd',
        0x112..=0x11B => 'e',
        0x11C..=0x123 => 'g',
        0x124..=0x125 => 'h',
        0x128..=0x130 => 'i',
        0x134..=0x135 => 'j',
        0x136..=0x137 => 'k',
        0x139..=0x13E => 'l',
        0x143..=0x148 => 'n',
        0x14C..=0x151 => 'o',
        0x154..=0x159 => 'r',
        0x15A..=0x161 => 's',
        0x162..=0x165 => 't',
        0x168..=0x173 => 'u',
        0x174..=0x175 => 'w',
        0x176..=0x178 => 'y',
        0x179..=0x17E => 'z',
        // The long s folds to s, as Unicode case folding (and the index) has it.
        0x17F => 's',
        _ => c,
    }
}

/// One character folded: lower case (its first character where lower-casing makes
/// several), then without its diacritic.
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let lower = c.to_lowercase().next().unwrap_or(c);
    strip(lower)
}

/// A combining mark: dropped from words, as the index does.
fn is_mark(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

/// Whether `c` belongs to a word.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// The folded words of `text`, in order.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    each_word(text, |_, w| out.push(w.to_string()));
    out
}

/// Calls `f(byte range in text, folded word)` for every word of `text`, in order.
pub fn each_word(text: &str, mut f: impl FnMut(std::ops::Range<usize>, &str)) {
    let mut cur = String::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if is_word_char(c) {
            start.get_or_insert(i);
            cur.push(fold_char(c));
        } else if is_mark(c) && start.is_some() {
            // Part of the word, but not of its folded form.
        } else if let Some(s) = start.take() {
            f(s..i, &cur);
            cur.clear();
        }
    }
    if let Some(s) = start {
        f(s..text.len(), &cur);
    }
}

/// Whether the words of `text` contain `pattern` as consecutive words (the last one
/// as a prefix when `prefix`). Streams the words; no allocation for one-word patterns.
pub fn contains_words(text: &str, pattern: &[String], prefix: bool) -> bool {
    let n = pattern.len();
    if n == 0 {
        return false;
    }
    // Cheap rejection: a word that is not even a substring cannot be a word of it.
    if text.is_ascii() && pattern[0].is_ascii() && !contains_ascii_ci(text, &pattern[0]) {
        return false;
    }
    let matches = |k: usize, w: &str| {
        if k + 1 == n && prefix {
            w.starts_with(pattern[k].as_str())
        } else {
            w == pattern[k]
        }
    };
    let mut found = false;
    if n == 1 {
        each_word(text, |_, w| found = found || matches(0, w));
        return found;
    }
    let mut window: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    each_word(text, |_, w| {
        if found {
            return;
        }
        if window.len() == n {
            window.pop_front();
        }
        window.push_back(w.to_string());
        found = window.len() == n && window.iter().enumerate().all(|(k, w)| matches(k, w));
    });
    found
}

fn contains_ascii_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// The index in `have` where `pattern` starts, if it occurs.
pub fn find_words(have: &[String], pattern: &[String], prefix: bool) -> Option<usize> {
    let n = pattern.len();
    if n == 0 || have.len() < n {
        return None;
    }
    (0..=have.len() - n).find(|&i| {
        pattern.iter().enumerate().all(|(k, p)| {
            let w = &have[i + k];
            if k + 1 == n && prefix {
                w.starts_with(p.as_str())
            } else {
                w == p
            }
        })
    })
}

/// Byte ranges of the words of `text` that one of `wanted` (folded words, whether the
/// last may be a prefix) names: every word of a wanted phrase is marked wherever it
/// occurs, which is what a reader needs to spot the match.
pub fn marked_words(text: &str, wanted: &[(&[String], bool)]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    if wanted.is_empty() {
        return out;
    }
    each_word(text, |range, w| {
        let hit = wanted.iter().any(|(words, prefix)| {
            words.iter().enumerate().any(|(k, p)| {
                w == p || (*prefix && k + 1 == words.len() && w.starts_with(p.as_str()))
            })
        });
        if hit {
            out.push(range);
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_and_split_on_everything_else() {
        assert_eq!(
            words("Zoë MÜLLER <zoe.mueller@example.org>"),
            ["zoe", "muller", "zoe", "mueller", "example", "org"]
        );
        assert_eq!(words("Ærøskøbing łódź"), ["ærøskøbing", "łodz"]);
        assert_eq!(words("e\u{301}te\u{301}"), ["ete"]);
        assert!(words("--- ...").is_empty());
    }

    #[test]
    fn consecutive_words_and_prefixes() {
        let p = |s: &str| words(s);
        assert!(contains_words(
            "The quarterly report",
            &p("quarterly report"),
            false
        ));
        assert!(!contains_words(
            "report quarterly",
            &p("quarterly report"),
            false
        ));
        assert!(contains_words("Facture 2024", &p("factur"), true));
        assert!(!contains_words("Facture 2024", &p("factur"), false));
        assert!(!contains_words("anything", &[], true));
    }

    #[test]
    fn marked_words_are_byte_ranges_of_matches() {
        let k = words("kern");
        let r = marked_words("Re: Kernel build – kernels, Kern", &[(&k, true)]);
        assert_eq!(r, [4..10, 21..28, 30..34]);
        let exact = words("kern");
        assert_eq!(marked_words("Kernel Kern", &[(&exact, false)]), vec![7..11]);
    }
}
