//! The text file handed to $EDITOR: `render` writes a draft as editable headers (From,
//! To, Cc, Bcc, Subject, then any extra headers, one `Attach: PATH` per file), a blank
//! line and the body; `parse` reads the edited text back into a draft.
//!
//! Headers follow RFC 5322 §2.2 loosely: a line starting with white space continues the
//! previous one (§2.2.3 unfolding); address lists are split at top-level commas, so a
//! quoted name may hold a comma. Unknown headers are kept in `extra`. Errors name the
//! line. Pure apart from checking that an attached file exists; no terminal, no editor.

use super::address::split_list;
use super::draft::{Attachment, AttachmentData, Draft};
use super::error::ComposeError;
use std::path::{Path, PathBuf};

/// The header that attaches a file in the editor text.
pub const ATTACH: &str = "Attach";

/// The draft as editor text (LF line ends).
pub fn render(d: &Draft) -> String {
    let mut out = String::new();
    let mut line = |name: &str, value: &str| {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(&one_line(value));
        out.push('\n');
    };
    // A news draft shows where it goes first (Newsgroups, Followup-To).
    let news =
        |n: &str| n.eq_ignore_ascii_case("Newsgroups") || n.eq_ignore_ascii_case("Followup-To");
    let newsy = d.extra.iter().any(|(n, _)| news(n));
    line("From", &d.from);
    for (n, v) in d.extra.iter().filter(|(n, _)| news(n)) {
        line(n, v);
    }
    if newsy
        && !d
            .extra
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("Followup-To"))
    {
        // Offered empty so the user can redirect answers (RFC 5536 §3.2.6).
        line("Followup-To", "");
    }
    line("To", &d.to.join(", "));
    line("Cc", &d.cc.join(", "));
    line("Bcc", &d.bcc.join(", "));
    line("Subject", &d.subject);
    for (n, v) in d.extra.iter().filter(|(n, _)| !news(n)) {
        line(n, v);
    }
    for a in &d.attachments {
        if let AttachmentData::File(p) = &a.data {
            line(ATTACH, &p.to_string_lossy());
        }
    }
    out.push('\n');
    out.push_str(&d.body);
    out
}

/// A header value on one line: a line break inside it would end the header block.
fn one_line(v: &str) -> String {
    if v.contains(['\n', '\r']) {
        v.split(['\n', '\r'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        v.to_string()
    }
}

/// Reads edited text back into a draft. Everything not in the text (account, In-Reply-To
/// and References unless written, attachments already in memory) comes from `base`; the
/// file attachments are exactly the `Attach:` lines.
pub fn parse(text: &str, base: &Draft) -> Result<Draft, ComposeError> {
    let text = text.replace("\r\n", "\n");
    let mut d = base.clone();
    d.from.clear();
    d.to.clear();
    d.cc.clear();
    d.bcc.clear();
    d.subject.clear();
    d.extra.clear();
    d.attachments
        .retain(|a| !matches!(a.data, AttachmentData::File(_)));
    // (line number, name, value) after unfolding.
    let mut fields: Vec<(usize, String, String)> = Vec::new();
    let mut body_start = None;
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let n = i + 1;
        offset += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        if line.trim().is_empty() {
            body_start = Some(offset);
            break;
        }
        if line.starts_with([' ', '\t']) {
            match fields.last_mut() {
                Some((_, _, v)) => v.push_str(line),
                None => {
                    return Err(ComposeError::EditFile {
                        line: n,
                        reason: "a continuation line before any header".into(),
                    });
                }
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(ComposeError::EditFile {
                line: n,
                reason: format!(
                    "not a header (no colon): {line:?}; a blank line must come before the body"
                ),
            });
        };
        let name = name.trim_end();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
            return Err(ComposeError::EditFile {
                line: n,
                reason: format!("{name:?} is not a header name"),
            });
        }
        fields.push((n, name.to_string(), value.to_string()));
    }
    d.body = body_start
        .map(|s| text[s..].to_string())
        .unwrap_or_default();
    for (n, name, value) in fields {
        let value = value.trim().to_string();
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "from" => d.from = value,
            "to" => d.to = split_list(&value),
            "cc" => d.cc = split_list(&value),
            "bcc" => d.bcc = split_list(&value),
            "subject" => d.subject = value,
            "in-reply-to" => d.in_reply_to = (!value.is_empty()).then_some(value),
            "references" => d.references = value.split_whitespace().map(String::from).collect(),
            "attach" => {
                if value.is_empty() {
                    continue;
                }
                d.attachments.push(attach_file(n, &value)?);
            }
            // An empty header (the Followup-To offered in a news draft) is left out.
            _ if value.is_empty() => {}
            _ => d.extra.push((name, value)),
        }
    }
    Ok(d)
}

/// An attachment for a file named in the editor text (`~/` is the home directory).
fn attach_file(line: usize, value: &str) -> Result<Attachment, ComposeError> {
    let path = crate::config::expand_tilde(Path::new(value));
    if !path.is_file() {
        return Err(ComposeError::EditFile {
            line,
            reason: format!("no such file to attach: {}", path.display()),
        });
    }
    Ok(file_attachment(path))
}

/// An attachment for a file, named after it, its type guessed from the name.
pub fn file_attachment(path: PathBuf) -> Attachment {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".into());
    Attachment {
        content_type: guess_type(&name),
        name,
        data: AttachmentData::File(path),
    }
}

/// `type/subtype` for a file name (mime_guess), `application/octet-stream` when unknown.
pub fn guess_type(name: &str) -> String {
    mime_guess::from_path(name)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_lines_quoted_commas_and_unknown_headers() {
        let text = "From: Me <me@x.org>\nTo: \"Doe, John\" <j@x.org>,\n  b@y.org\nCc:\nBcc: c@z.org\nSubject: a long\n subject\nNewsgroups: comp.lang.rust\n\nbody\n\nmore\n";
        let d = parse(text, &Draft::default()).unwrap();
        assert_eq!(d.to, vec!["\"Doe, John\" <j@x.org>", "b@y.org"]);
        assert!(d.cc.is_empty());
        assert_eq!(d.bcc, vec!["c@z.org"]);
        assert_eq!(d.subject, "a long subject");
        assert_eq!(
            d.extra,
            vec![("Newsgroups".into(), "comp.lang.rust".into())]
        );
        assert_eq!(d.body, "body\n\nmore\n");
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse(
            "From: a@b\nTo: c@d\nthis is not a header\n\nbody",
            &Draft::default(),
        )
        .unwrap_err();
        assert!(matches!(e, ComposeError::EditFile { line: 3, .. }), "{e}");
        let e = parse(" cont\n\nbody", &Draft::default()).unwrap_err();
        assert!(matches!(e, ComposeError::EditFile { line: 1, .. }), "{e}");
        let e = parse(
            "From: a@b\nAttach: /no/such/file.pdf\n\n",
            &Draft::default(),
        )
        .unwrap_err();
        assert!(matches!(e, ComposeError::EditFile { line: 2, .. }), "{e}");
        assert!(e.to_string().contains("/no/such/file.pdf"));
    }
}
