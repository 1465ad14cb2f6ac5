//! MIME: parses raw messages (with mailparse) into the display model the reader shows,
//! and header blocks into the fields the index stores.
//!
//! Depends only on `core`. Every string this module hands out is already sanitised for
//! the terminal (`core::sanitize`), and nothing here fails on bad input: a message that
//! cannot be parsed still becomes a view, with the problem listed.

mod decode;
mod flowed;
mod headers;
mod html;
mod lines;
mod model;
mod parse;
mod preview;
mod save;
mod search;

pub use flowed::unflow;
pub use headers::{
    HeaderFields, KnownValues, MAX_ENCODED_WORDS, MAX_HEADER_BYTES, header_fields, header_value,
    known_fields, msg_ids, parse_date,
};
pub use html::{
    HTML_MAX_BYTES, HTML_MAX_DEPTH, HTML_MAX_ELEMENTS, HtmlShape, html_shape, html_to_text,
    html_to_text_bounded,
};
pub use lines::BodyLines;
pub use model::{Attachment, BodyMode, MessageView, Section};
pub use parse::parse_message;
pub use preview::{PREVIEW_BYTES, parse_preview};
pub use save::{SaveError, attachment_bytes, attachment_info, safe_file_name, write_attachment};
pub use search::{SEARCH_MAX_BYTES, SearchDocument, search_document, searchable_text};

/// Nested multiparts and message/rfc822 parts deeper than this are listed, not opened.
pub const MAX_DEPTH: usize = 16;
