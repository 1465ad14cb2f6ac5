//! Identifiers: accounts, folders, messages and requests.
//!
//! A `LocalId` is the Maildir unique name of a cached message (the file name without its
//! `:2,` info suffix); it stays the same when flags change or the file moves between
//! folders of one account. A `RemoteRef` names the same message on its server.

use serde::Serialize;
use std::fmt;

/// The name of an account as written in the config (`[accounts.NAME]`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct AccountId(pub String);

/// A folder inside one account, `/`-separated (`INBOX`, `Lists/rust`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FolderPath(pub String);

/// The Maildir unique name of a cached message.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct LocalId(pub String);

/// Tags a request from the UI so that its answer can be matched (and stale ones dropped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RequestId(pub u64);

/// Where a cached message lives on its server.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RemoteRef {
    Imap {
        uidvalidity: u32,
        uid: u32,
    },
    Pop3 {
        uidl: String,
    },
    Nntp {
        group: String,
        number: u64,
        message_id: String,
    },
}

/// One message as the account layer addresses it: always its cache id, and its server
/// reference when the account has a server.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MessageRef {
    pub id: LocalId,
    pub remote: Option<RemoteRef>,
}

impl MessageRef {
    pub fn local(id: LocalId) -> Self {
        MessageRef { id, remote: None }
    }
}

impl FolderPath {
    pub fn inbox() -> Self {
        FolderPath("INBOX".into())
    }
    pub fn is_inbox(&self) -> bool {
        self.0.eq_ignore_ascii_case("INBOX")
    }
    /// The last component, for display in a tree.
    pub fn leaf(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
    pub fn depth(&self) -> usize {
        self.0.matches('/').count()
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Display for FolderPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Display for LocalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
