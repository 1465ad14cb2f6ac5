//! RFC 3676 format=flowed decoding.

/// Joins soft-broken lines of a format=flowed body (RFC 3676 §4.1–4.5).
///
/// A line ending in a space continues on the next line with the same quote depth;
/// space-stuffing (§4.4) is removed; the signature separator `-- ` stays a hard break;
/// with `delsp` the trailing space of a soft break is deleted (§4.5).
pub fn unflow(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut para = String::new();
    let mut para_depth: Option<usize> = None;

    let flush = |out: &mut String, para: &mut String, depth: &mut Option<usize>| {
        if let Some(d) = depth.take() {
            if d > 0 {
                out.push_str(&">".repeat(d));
                out.push(' ');
            }
            out.push_str(if para == "-- " {
                para
            } else {
                para.trim_end_matches(' ')
            });
            out.push('\n');
            para.clear();
        }
    };

    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let depth = line.chars().take_while(|&c| c == '>').count();
        let mut content = &line[depth..];
        if content.starts_with(' ') {
            content = &content[1..]; // space-stuffing or the space after quote marks
        }
        if para_depth.is_some() && para_depth != Some(depth) {
            flush(&mut out, &mut para, &mut para_depth);
        }
        let soft = content.ends_with(' ') && content != "-- ";
        if para_depth.is_none() {
            para_depth = Some(depth);
        }
        if soft {
            let piece = if delsp {
                &content[..content.len() - 1]
            } else {
                content
            };
            para.push_str(piece);
        } else {
            para.push_str(content);
            flush(&mut out, &mut para, &mut para_depth);
        }
    }
    flush(&mut out, &mut para, &mut para_depth);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_breaks_join_and_quotes_stay() {
        let t = "Hello this is \r\na flowed line.\r\n> quoted \r\n> text\r\n-- \r\nsig\r\n";
        assert_eq!(
            unflow(t, false),
            "Hello this is a flowed line.\n> quoted text\n-- \nsig\n"
        );
    }

    #[test]
    fn delsp_and_stuffing() {
        assert_eq!(
            unflow("abc \r\ndef\r\n  From me\r\n", true),
            "abcdef\n From me\n"
        );
    }
}
