//! The envelope: what the list shows for one message, kept in the index so a folder
//! opens without parsing its messages.

use super::flags::Flags;
use super::ids::{AccountId, FolderPath, LocalId};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Envelope {
    pub account: AccountId,
    pub folder: FolderPath,
    pub id: LocalId,
    /// Seconds since the epoch (UTC); 0 when the Date header could not be read.
    pub date: i64,
    /// Display name of the sender, or the address when there is no name.
    pub from: String,
    /// The sender's address (lower-cased), for search and sorting.
    pub from_addr: String,
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub in_reply_to: String,
    /// Message-IDs from References, oldest first, separated by spaces (one string, so
    /// loading 100,000 envelopes does not allocate per reference).
    pub references: String,
    pub size: u64,
    pub flags: Flags,
    pub has_attachments: bool,
}

impl Envelope {
    pub fn is_unread(&self) -> bool {
        !self.flags.contains(Flags::SEEN)
    }

    /// The References message-IDs, oldest first.
    pub fn refs(&self) -> impl DoubleEndedIterator<Item = &str> + Clone {
        self.references.split_ascii_whitespace()
    }
}

/// The envelope fields read from a message's header block (by `mime`), before the
/// store adds where the message lives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderFields {
    pub date: i64,
    pub from: String,
    pub from_addr: String,
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub in_reply_to: String,
    pub references: Vec<String>,
    pub has_attachments: bool,
}
