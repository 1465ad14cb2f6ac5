//! The text search looks at: the same bounded parse the reader uses (HTML shown flat
//! when too deep or too large, header decoding capped) over at most
//! `SEARCH_MAX_BYTES` of the raw message, so one pathological message never stalls
//! the indexer or a search.

use super::model::BodyMode;
use super::parse::parse_message;

/// Bytes of a raw message that search examines.
pub const SEARCH_MAX_BYTES: usize = 2 << 20;

/// The plain body followed by the HTML rendering (when the message has one), of the
/// first `SEARCH_MAX_BYTES` of `raw`. Work is linear in at most that many bytes.
pub fn searchable_text(raw: &[u8]) -> String {
    let view = parse_message(&raw[..raw.len().min(SEARCH_MAX_BYTES)]);
    let mut text = view.body_text(BodyMode::Plain);
    if view.has_html() {
        text.push('\n');
        text.push_str(&view.body_text(BodyMode::Html));
    }
    text
}

/// What the full-text index holds of a message beyond its envelope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchDocument {
    /// The Cc header, decoded.
    pub cc: String,
    /// The text a reader sees: each plain part, or the HTML rendered to text where
    /// there is no plain alternative; forwarded messages inline.
    pub body: String,
    /// Attachment file names (not their contents), separated by newlines.
    pub attachments: String,
}

/// The index's text of the first `SEARCH_MAX_BYTES` of `raw`.
pub fn search_document(raw: &[u8]) -> SearchDocument {
    let view = parse_message(&raw[..raw.len().min(SEARCH_MAX_BYTES)]);
    let names: Vec<&str> = view.attachments.iter().map(|a| a.name.as_str()).collect();
    SearchDocument {
        body: view.body_text(BodyMode::Plain),
        attachments: names.join("\n"),
        cc: view.cc,
    }
}
