//! Pure domain types shared by every layer: identifiers, flags, envelopes, folders,
//! threading, sorting, the search query language and terminal sanitising.
//!
//! This module owns no I/O and imports nothing else of posthorn's; every other layer
//! may depend on it.

pub mod envelope;
pub mod flags;
pub mod folder;
pub mod ids;
pub mod query;
pub mod sanitize;
pub mod score;
pub mod sort;
pub mod status;
pub mod thread;
pub mod triage;

pub use envelope::Envelope;
pub use flags::{FlagOp, Flags};
pub use folder::{Folder, FolderKind, FolderOp, FolderRole};
pub use ids::{AccountId, FolderPath, LocalId, MessageRef, RemoteRef, RequestId};
pub use status::{AccountState, Capabilities, ErrorKind, Failure, SubmitKind};
pub use triage::TriageOp;
