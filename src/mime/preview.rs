//! A quick first view of a large message: the first `PREVIEW_BYTES` parsed (bounded
//! work), so the reader can show the first screens while the whole message is parsed.
//! The loader sends it as a first `MessageLoaded` and the full view as a second one for
//! the same request; the reader keeps its scroll position across the two.

use super::model::{MessageView, Section};
use super::parse::parse_message;

/// Messages larger than this get a preview first.
pub const PREVIEW_BYTES: usize = 1 << 20;

/// A view of the first `PREVIEW_BYTES` of `raw` with a note at the end, or None when
/// the message is small enough to parse whole at once.
pub fn parse_preview(raw: &[u8]) -> Option<MessageView> {
    if raw.len() <= PREVIEW_BYTES {
        return None;
    }
    let mut v = parse_message(&raw[..PREVIEW_BYTES]);
    v.sections.push(Section::Note(format!(
        "showing the first {} KiB of {} KiB; the rest is loading",
        PREVIEW_BYTES >> 10,
        raw.len() >> 10
    )));
    Some(v)
}
