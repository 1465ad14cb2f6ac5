//! `Draft`: a message being written, before it is turned into bytes. The composer, the
//! reply and forward builders, the editor file and the outbox all speak in this type, so
//! a news posting (Newsgroups, Followup-To) and a mail share one compose path.

use std::path::PathBuf;

/// A message being written. Addresses are kept as the user typed them
/// (`Name <addr>` or `addr`); building checks and encodes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Draft {
    /// The account the draft belongs to (its identities, Drafts folder and way out).
    pub account: String,
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    /// The Message-ID this answers, with angle brackets.
    pub in_reply_to: Option<String>,
    /// The thread's Message-IDs, oldest first, with angle brackets.
    pub references: Vec<String>,
    /// Further headers the user or a builder set (Newsgroups, Followup-To, Reply-To...),
    /// in order, names as written.
    pub extra: Vec<(String, String)>,
    /// The text the user writes (UTF-8, LF line ends).
    pub body: String,
    pub attachments: Vec<Attachment>,
}

/// A file carried with a draft.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// The file name the recipient sees (may be non-ASCII; RFC 2231 encodes it).
    pub name: String,
    /// `type/subtype`, guessed from the name when the user attaches a file.
    pub content_type: String,
    pub data: AttachmentData,
}

/// Where an attachment's bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachmentData {
    /// A file on disk, read when the message is built.
    File(PathBuf),
    /// Bytes already in hand (a forwarded message, a part of a resumed draft).
    Bytes(Vec<u8>),
}

impl Draft {
    /// Every envelope recipient: To, Cc and Bcc, in that order.
    pub fn recipients(&self) -> impl Iterator<Item = &String> {
        self.to.iter().chain(&self.cc).chain(&self.bcc)
    }

    /// The value of an extra header, by name, case-insensitively.
    pub fn extra_header(&self, name: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
