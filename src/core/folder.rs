//! Folders: a mailbox of an account, a newsgroup, or a virtual view such as the unified
//! inbox.

use super::ids::{AccountId, FolderPath};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum FolderKind {
    Mail,
    Newsgroup,
    /// A view computed over other folders (the unified inbox).
    Virtual,
}

/// The special purpose of a folder (RFC 6154 SPECIAL-USE names, plus Inbox).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum FolderRole {
    Inbox,
    Sent,
    Drafts,
    Trash,
    Archive,
    Junk,
}

impl FolderRole {
    /// Guesses a role from a folder name, for stores without SPECIAL-USE.
    pub fn from_name(name: &str) -> Option<FolderRole> {
        let leaf = name
            .rsplit(['/', '.'])
            .next()
            .unwrap_or(name)
            .to_ascii_lowercase();
        Some(match leaf.as_str() {
            "inbox" => FolderRole::Inbox,
            "sent" | "sent mail" | "sent items" | "sent messages" => FolderRole::Sent,
            "drafts" | "draft" => FolderRole::Drafts,
            "trash" | "deleted" | "deleted items" | "deleted messages" | "bin" => FolderRole::Trash,
            "archive" | "archives" => FolderRole::Archive,
            "junk" | "spam" => FolderRole::Junk,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Folder {
    pub account: AccountId,
    pub path: FolderPath,
    pub kind: FolderKind,
    pub role: Option<FolderRole>,
    pub total: u32,
    pub unread: u32,
}

impl Folder {
    pub fn mail(account: AccountId, path: FolderPath) -> Self {
        let role = FolderRole::from_name(&path.0);
        Folder {
            account,
            path,
            kind: FolderKind::Mail,
            role,
            total: 0,
            unread: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_from_names() {
        assert_eq!(FolderRole::from_name("INBOX"), Some(FolderRole::Inbox));
        assert_eq!(FolderRole::from_name("Archive"), Some(FolderRole::Archive));
        assert_eq!(
            FolderRole::from_name("Lists/Trash"),
            Some(FolderRole::Trash)
        );
        assert_eq!(FolderRole::from_name("Lists/rust"), None);
    }
}
