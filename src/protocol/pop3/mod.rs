//! Our own POP3 client protocol, sans-IO: commands and their wire form, reply parsing,
//! capabilities, login methods and the session state machine. RFC 1939 (the protocol,
//! APOP), RFC 2449 (CAPA, response codes, PIPELINING), RFC 2595 (STLS), RFC 5034 (SASL
//! AUTH), RFC 6856 (UTF8).
//!
//! Depends on `core` and `protocol::lines` only: no tokio, no sockets, no files. The
//! account layer (`account::pop3`) drives a session over a `net::NetStream`.

mod auth;
mod command;
mod md5;
mod reply;
mod session;

pub use auth::{Pop3Auth, Pop3Login, SaslClient, SaslMech, apop_digest, choose_login};
pub use command::Pop3Command;
pub use md5::md5_hex;
pub use reply::{Pop3Caps, Pop3Status, parse_scan_line, parse_stat, parse_uidl_line, preview};
pub use session::{DEFAULT_BODY_LIMIT, LINE_LIMIT, Pop3Event, Pop3Session, Pop3State};

use crate::protocol::lines::LineError;

/// Something in the conversation broke the protocol (the server's side, or a command
/// we refused to send). Messages never contain a secret; server text in them is
/// sanitised.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Pop3Error {
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
