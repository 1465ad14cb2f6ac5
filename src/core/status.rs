//! What the app knows about an account beyond its folders: its connection state, what it
//! can do (`Capabilities`), and failures that keep their kind (`Failure`) from the
//! account layer all the way to the screen.
//!
//! Pure types, no I/O. The account layer produces them; the app and UI read them.

use super::ids::FolderPath;
use serde::Serialize;
use std::fmt;

/// Why something failed, so the screen can say what to do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum ErrorKind {
    /// The server refused the credentials.
    Auth,
    /// The link failed (refused, reset, DNS, TLS).
    Network,
    /// The server or the disk did not answer in time.
    Timeout,
    /// The server said something we do not understand.
    Protocol,
    /// The server understood and said no (quota, permission, bad recipient).
    Rejected,
    /// The account cannot do this at all (see `Capabilities`).
    Unsupported,
    /// The local cache failed (disk full, permissions, a damaged index).
    Store,
    /// The message or folder is no longer where it was (another program moved it).
    Gone,
}

impl ErrorKind {
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::Auth => "login failed",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Protocol => "server error",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Unsupported => "not supported",
            ErrorKind::Store => "local store",
            ErrorKind::Gone => "gone",
        }
    }
}

/// An error as the app sees it: its kind and a message that names what and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: ErrorKind,
    pub message: String,
}

impl Failure {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
        }
    }
    pub fn store(message: impl Into<String>) -> Self {
        Failure::new(ErrorKind::Store, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The state an account's actor reports; the folder pane shows it next to the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountState {
    Connecting,
    Online,
    /// Not reachable; `retry_at` is the Unix time of the next attempt, if one is planned.
    Offline {
        retry_at: Option<i64>,
        reason: String,
    },
    /// Working through a folder (`total` 0 while the amount is not known yet).
    Syncing {
        folder: FolderPath,
        done: usize,
        total: usize,
        /// Message bytes fetched so far (0 when nothing is downloaded).
        bytes: u64,
    },
    Error(Failure),
}

/// How an account sends mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SubmitKind {
    None,
    Smtp,
    NntpPost,
    Sendmail,
}

/// What an account can do; the UI says why an action is unavailable instead of failing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// More than one folder; folders can be created (moves, archive, Trash).
    pub folders: bool,
    /// Flags are stored (read, flagged, replied).
    pub server_flags: bool,
    /// Messages can be removed on the server.
    pub server_delete: bool,
    /// Changes made elsewhere show up without a rescan.
    pub push: bool,
    pub submit: SubmitKind,
}

impl Capabilities {
    /// A local Maildir tree: everything but sending.
    pub const LOCAL: Capabilities = Capabilities {
        folders: true,
        server_flags: true,
        server_delete: true,
        push: true,
        submit: SubmitKind::None,
    };
}
