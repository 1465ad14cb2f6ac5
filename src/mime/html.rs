//! HTML to text inside the program (no external viewer, no network): html2text with
//! numbered link references listed at the end.
//!
//! html2text's cost grows faster than linearly with nesting depth (100,000 nested
//! elements took half a minute), so a linear pre-scan counts tag depth, elements and
//! bytes first; HTML over any limit is shown flat (tags stripped) with a note instead.
//! Depends on nothing of ours.

/// Deepest element nesting handed to html2text.
pub const HTML_MAX_DEPTH: usize = 200;
/// Most elements handed to html2text.
pub const HTML_MAX_ELEMENTS: usize = 20_000;
/// Most bytes handed to html2text.
pub const HTML_MAX_BYTES: usize = 512 << 10;

/// What the pre-scan found: the deepest nesting (void and self-closing elements and
/// those the parser closes by itself, like `<p>` and `<li>`, do not nest) and the number
/// of start tags. The scan stops counting once a limit is passed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HtmlShape {
    pub max_depth: usize,
    pub elements: usize,
    /// Bytes the scan looked at (it stops early once a limit is passed).
    pub scanned: usize,
}

impl HtmlShape {
    fn over(&self) -> bool {
        self.max_depth > HTML_MAX_DEPTH || self.elements > HTML_MAX_ELEMENTS
    }
}

/// One linear pass over the tags of `html`.
pub fn html_shape(html: &[u8]) -> HtmlShape {
    let mut s = HtmlShape::default();
    let mut depth = 0usize;
    let mut i = 0;
    while i < html.len() {
        let Some(off) = html[i..].iter().position(|&b| b == b'<') else {
            break;
        };
        i += off + 1;
        let closing = html.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let end = start
            + html[start..]
                .iter()
                .position(|b| !b.is_ascii_alphanumeric())
                .unwrap_or(html.len() - start);
        if end == start {
            continue; // `<!--`, `<!DOCTYPE`, `<?`, a stray `<`
        }
        let name = html[start..end].to_ascii_lowercase();
        let gt = html[end..].iter().position(|&b| b == b'>');
        let self_closing = gt.is_some_and(|g| g > 0 && html[end + g - 1] == b'/');
        i = gt.map_or(html.len(), |g| end + g + 1);
        if closing {
            if nests(&name) {
                depth = depth.saturating_sub(1);
            }
            continue;
        }
        s.elements += 1;
        if nests(&name) && !self_closing {
            depth += 1;
            s.max_depth = s.max_depth.max(depth);
        }
        if s.over() {
            break;
        }
    }
    s.scanned = i.min(html.len());
    s
}

fn nests(name: &[u8]) -> bool {
    !matches!(
        name,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
            | b"p"
            | b"li"
            | b"dt"
            | b"dd"
            | b"tr"
            | b"td"
            | b"th"
            | b"option"
    )
}

/// Renders HTML to plain text at `width` columns. Links become `[text][N]` with
/// `[N]: url` footnotes. Never fails: unparseable HTML falls back to its tag-stripped
/// source.
pub fn html_to_text(html: &[u8], width: usize) -> String {
    html_to_text_bounded(html, width).0
}

/// Like `html_to_text`, but also says why the HTML was shown flat when it was too
/// deep, too large or had too many elements for the HTML renderer.
pub fn html_to_text_bounded(html: &[u8], width: usize) -> (String, Option<String>) {
    let shape = html_shape(html);
    let why = if shape.max_depth > HTML_MAX_DEPTH {
        Some(format!(
            "the HTML part is nested deeper than {HTML_MAX_DEPTH} levels; shown without formatting"
        ))
    } else if shape.elements > HTML_MAX_ELEMENTS {
        Some(format!(
            "the HTML part has more than {HTML_MAX_ELEMENTS} elements; shown without formatting"
        ))
    } else if html.len() > HTML_MAX_BYTES {
        Some(format!(
            "the HTML part is larger than {} KiB; shown without formatting",
            HTML_MAX_BYTES >> 10
        ))
    } else {
        None
    };
    if why.is_some() {
        return (flatten(html), why);
    }
    let text = match html2text::config::plain()
        .link_footnotes(true)
        .string_from_read(html, width.max(20))
    {
        Ok(s) => s,
        Err(_) => flatten(html),
    };
    (text, None)
}

/// Tag-stripped text in one linear pass: script and style contents dropped, the
/// common entities decoded, block tags turned into line breaks.
pub fn flatten(html: &[u8]) -> String {
    let s = String::from_utf8_lossy(html);
    let mut out = String::with_capacity(s.len() / 2);
    let mut rest: &str = &s;
    while let Some(lt) = rest.find('<') {
        push_entities(&mut out, &rest[..lt]);
        rest = &rest[lt + 1..];
        let name_end = rest
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '/')
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        let gt = rest.find('>').map_or(rest.len(), |g| g + 1);
        rest = &rest[gt..];
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            // Case-insensitive search without copying the whole rest.
            let mut cut = rest.len();
            for (i, _) in rest.match_indices("</") {
                if rest[i..]
                    .get(..close.len())
                    .is_some_and(|t| t.eq_ignore_ascii_case(&close))
                {
                    cut = i;
                    break;
                }
            }
            rest = &rest[cut..];
        } else if matches!(
            name.trim_start_matches('/'),
            "br" | "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
        ) && !out.ends_with('\n')
        {
            out.push('\n');
        }
    }
    push_entities(&mut out, rest);
    out
}

fn push_entities(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let semi = rest[..rest.len().min(10)].find(';');
        let rep = semi.and_then(|e| match &rest[1..e] {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            _ => None,
        });
        match (rep, semi) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
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

    #[test]
    fn shape_counts_depth_and_elements() {
        let s = html_shape(b"<div><div><p>a<p>b<br><img src=x/></div></div><div></div>");
        assert_eq!(s.max_depth, 2);
        assert_eq!(s.elements, 7);
        let deep = "<div>".repeat(HTML_MAX_DEPTH + 1);
        assert!(html_shape(deep.as_bytes()).max_depth > HTML_MAX_DEPTH);
    }

    #[test]
    fn too_deep_is_flat_with_a_reason() {
        let mut h = "<div>".repeat(5_000);
        h.push_str("deep &amp; text<script>evil()</SCRIPT>");
        let (t, why) = html_to_text_bounded(h.as_bytes(), 78);
        assert!(why.is_some_and(|w| w.contains("nested deeper")));
        assert!(t.contains("deep & text"), "{t}");
        assert!(!t.contains("evil"), "{t}");
    }
}
