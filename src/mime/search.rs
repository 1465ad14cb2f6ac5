//! The text body search looks at: the same bounded parse the reader uses (HTML shown
//! flat when too deep or too large, header decoding capped) over at most
//! `SEARCH_MAX_BYTES` of the raw message, so one pathological message never stalls a
//! search.

use super::model::BodyMode;
use super::parse::parse_message;

/// Bytes of a raw message that body search examines.
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
