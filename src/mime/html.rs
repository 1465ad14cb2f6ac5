//! HTML to text inside the program (no external viewer, no network): html2text with
//! numbered link references listed at the end.

/// Renders HTML to plain text at `width` columns. Links become `[text][N]` with
/// `[N]: url` footnotes. Never fails: unparseable HTML falls back to its tag-stripped
/// source.
pub fn html_to_text(html: &[u8], width: usize) -> String {
    match html2text::config::plain()
        .link_footnotes(true)
        .string_from_read(html, width.max(20))
    {
        Ok(s) => s,
        Err(_) => strip_tags(&String::from_utf8_lossy(html)),
    }
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_numbered() {
        let t = html_to_text(
            b"<p>See <a href=\"https://example.org/a\">the plan</a> and <b>bold</b>.</p><script>evil()</script>",
            78,
        );
        assert!(t.contains("[the plan][1]"), "{t}");
        assert!(t.contains("[1]: https://example.org/a"), "{t}");
        assert!(!t.contains("evil"), "{t}");
    }
}
