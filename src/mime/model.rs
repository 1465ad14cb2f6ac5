//! The display model of one message: decoded headers, body sections and attachments.

use serde::Serialize;

/// Which alternative of a multipart/alternative the reader shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BodyMode {
    #[default]
    Plain,
    Html,
}

/// A part of the body, in message order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Section {
    /// A text/plain part, already decoded (and unflowed).
    Text(String),
    /// A text/html part, already rendered to text.
    Html(String),
    /// multipart/alternative: either side may be missing.
    Alternative {
        plain: Option<String>,
        html: Option<String>,
    },
    /// An attached or forwarded message/rfc822, shown inline.
    Nested {
        headers: Vec<(String, String)>,
        sections: Vec<Section>,
    },
    /// Something the reader should know about (a part that could not be decoded).
    Note(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// The sender's name for the file, sanitised for display (not yet safe as a path).
    pub name: String,
    pub mime_type: String,
    /// Decoded size in bytes.
    pub size: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageView {
    pub subject: String,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub date: String,
    /// Every header, decoded and sanitised, in order.
    pub headers: Vec<(String, String)>,
    pub sections: Vec<Section>,
    pub attachments: Vec<Attachment>,
    /// Problems found while parsing; the message is shown anyway.
    pub problems: Vec<String>,
}

impl MessageView {
    /// True when some part has an HTML rendering to switch to.
    pub fn has_html(&self) -> bool {
        fn any(s: &[Section]) -> bool {
            s.iter().any(|x| match x {
                Section::Html(_) => true,
                Section::Alternative { html, plain } => html.is_some() && plain.is_some(),
                Section::Nested { sections, .. } => any(sections),
                _ => false,
            })
        }
        any(&self.sections)
    }

    /// The body as text lines for the given mode.
    pub fn body_text(&self, mode: BodyMode) -> String {
        let mut out = String::new();
        render_sections(&self.sections, mode, &mut out);
        out
    }
}

fn render_sections(sections: &[Section], mode: BodyMode, out: &mut String) {
    for (i, s) in sections.iter().enumerate() {
        if i > 0 && !out.is_empty() && !out.ends_with("\n\n") {
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push('\n');
        }
        match s {
            Section::Text(t) | Section::Html(t) => out.push_str(t),
            Section::Alternative { plain, html } => {
                let pick = match mode {
                    BodyMode::Plain => plain.as_ref().or(html.as_ref()),
                    BodyMode::Html => html.as_ref().or(plain.as_ref()),
                };
                if let Some(t) = pick {
                    out.push_str(t);
                }
            }
            Section::Nested { headers, sections } => {
                out.push_str("──────── Attached message ────────\n");
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\n"));
                }
                out.push('\n');
                render_sections(sections, mode, out);
                if !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str("──────── End of attached message ────────\n");
            }
            Section::Note(n) => out.push_str(&format!("[{n}]\n")),
        }
    }
}
