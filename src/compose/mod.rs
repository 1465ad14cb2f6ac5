//! Composing mail: the draft being written, the text file handed to $EDITOR, replies and
//! forwards built from a received message, MIME building with lettre's builder, the
//! address book, and the durable outbox a message waits in until a server accepted it.
//!
//! This layer knows nothing about how a message leaves (SMTP, sendmail or NNTP POST live
//! in `account`) nor about the screen (`app`, `ui`). It may use `core`, `mime`, `store` and
//! `config`, and the file system for drafts and the outbox; never tokio or ratatui.

pub mod draft;
pub mod outbox;

pub use draft::{Attachment, AttachmentData, Draft};

pub mod address;
pub mod addressbook;
pub mod build;
pub mod editfile;
pub mod error;
pub mod identity;
pub mod news;
pub mod reply;
pub mod resume;

pub use addressbook::{AddressBook, Entry};
pub use build::{BuildOptions, Built, build, prepare_raw};
pub use error::ComposeError;
pub use identity::{Identity, for_reply, identities};
pub use news::{FollowUp, cancel, follow_up, new_article};
pub use reply::{ReplyKind, respond, respond_as};
pub use resume::from_message;
