//! `ComposeError`: everything that can go wrong while turning a draft into bytes or a
//! received message into a draft. Each variant names what and where (the header and its
//! text, the file path, the line of the editor file), never a secret.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("{header}: not a valid address: {text:?}")]
    BadAddress { header: String, text: String },
    #[error("the message has no recipients (To, Cc and Bcc are empty)")]
    NoRecipients,
    #[error("cannot read the attachment {}: {source}", path.display())]
    Attachment {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the signature file {}: {source}", path.display())]
    Signature {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("line {line} of the message file: {reason}")]
    EditFile { line: usize, reason: String },
    #[error("header {name:?}: {reason}")]
    BadHeader { name: String, reason: String },
    #[error("the message has no List-Post address to reply to")]
    NoListPost,
    #[error("the message has no From address (set `from` in the account's config)")]
    NoIdentity,
    #[error("the message cannot be read: {0}")]
    Unreadable(String),
    #[error("the message cannot be built: {0}")]
    Build(String),
    #[error("only your own articles can be cancelled (this one is from {0:?})")]
    NotYours(String),
}
