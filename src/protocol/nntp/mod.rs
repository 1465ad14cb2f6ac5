//! Our own NNTP client protocol, sans-IO: commands and their wire form, reply parsing,
//! capabilities, the overview format and the session state machine. RFC 3977 (the
//! protocol), RFC 2980 (XOVER, XHDR, the old LIST forms), RFC 4642 (STARTTLS), RFC 4643
//! (AUTHINFO USER/PASS and SASL).
//!
//! Depends on `core` and `protocol::lines` only: no tokio, no sockets, no files. The
//! account layer (`account::nntp`) drives a session over a `net::NetStream`.

mod command;
mod overview;
mod reply;
mod session;

pub use command::{NntpArticleId, NntpBody, NntpCommand, NntpRange};
pub use overview::{NntpOverview, NntpOverviewFmt};
pub use reply::{
    NntpActive, NntpCaps, NntpGroupInfo, NntpStatus, parse_active_line, parse_date,
    parse_newsgroups_line, preview,
};
pub use session::{DEFAULT_ARTICLE_LIMIT, LINE_LIMIT, NntpEvent, NntpSession};

use crate::protocol::lines::LineError;

/// Something in the conversation broke the protocol (the server's side, or a command
/// we refused to send). Messages never contain a secret; server text in them is
/// sanitised.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NntpError {
    #[error("the server sent {0}")]
    Malformed(String),
    #[error("the server sent a reply nobody asked for: {0}")]
    Unexpected(String),
    #[error("the server sent {0}")]
    Line(#[from] LineError),
    #[error("the reply to {what} is larger than {limit} bytes")]
    TooLarge { what: String, limit: u64 },
    #[error("{0}")]
    BadArgument(String),
    #[error("{0}")]
    WrongState(String),
}

/// RFC 4616 PLAIN initial response (authzid empty), base64: for AUTHINFO SASL PLAIN.
pub fn sasl_plain(user: &[u8], password: &[u8]) -> String {
    use base64::Engine;
    let mut raw = Vec::with_capacity(user.len() + password.len() + 2);
    raw.push(0);
    raw.extend_from_slice(user);
    raw.push(0);
    raw.extend_from_slice(password);
    base64::engine::general_purpose::STANDARD.encode(raw)
}
