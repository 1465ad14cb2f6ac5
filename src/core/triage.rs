//! Triage operations: the changes a user makes to messages of one account (flags,
//! moves, restoring from Trash). Shared by the app, which asks for them, and the
//! accounts, which carry them out.

use super::flags::FlagOp;
use super::ids::{AccountId, FolderPath, MessageRef};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TriageOp {
    SetFlags {
        folder: FolderPath,
        ids: Vec<MessageRef>,
        op: FlagOp,
    },
    Move {
        from: FolderPath,
        ids: Vec<MessageRef>,
        to: FolderPath,
    },
    /// Out of Trash, back where each message came from.
    Restore {
        from: FolderPath,
        ids: Vec<MessageRef>,
    },
    /// Mark for removal (see `Account::delete`).
    Delete {
        folder: FolderPath,
        ids: Vec<MessageRef>,
    },
    /// Into a folder of another account: stored there (with its flags), then removed
    /// here. Sent to the source account; the executor carries it out step by step.
    Transfer {
        from: FolderPath,
        ids: Vec<MessageRef>,
        to_account: AccountId,
        to: FolderPath,
    },
}
