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
    /// The role's name in files and configs: "inbox", "sent", "drafts"...
    pub fn name(self) -> &'static str {
        match self {
            FolderRole::Inbox => "inbox",
            FolderRole::Sent => "sent",
            FolderRole::Drafts => "drafts",
            FolderRole::Trash => "trash",
            FolderRole::Archive => "archive",
            FolderRole::Junk => "junk",
        }
    }

    /// The role a `name()` names.
    pub fn parse(name: &str) -> Option<FolderRole> {
        [
            FolderRole::Inbox,
            FolderRole::Sent,
            FolderRole::Drafts,
            FolderRole::Trash,
            FolderRole::Archive,
            FolderRole::Junk,
        ]
        .into_iter()
        .find(|r| r.name() == name)
    }

    /// Guesses a role from a folder name, for stores without SPECIAL-USE. Only the last
    /// `/` component counts: a dot is part of a name (`alt.trash` is a newsgroup-style
    /// name, not Trash), since store layouts translate their own separators to `/`.
    pub fn from_name(name: &str) -> Option<FolderRole> {
        let leaf = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
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
    /// A newsgroup: never has a role (`alt.trash` is a group to read, not a Trash).
    pub fn newsgroup(account: AccountId, path: FolderPath) -> Self {
        Folder {
            account,
            path,
            kind: FolderKind::Newsgroup,
            role: None,
            total: 0,
            unread: 0,
        }
    }

    /// The role a folder of `kind` named `path` gets: none for newsgroups and views.
    pub fn role_for(kind: FolderKind, path: &FolderPath) -> Option<FolderRole> {
        match kind {
            FolderKind::Mail => FolderRole::from_name(&path.0),
            FolderKind::Newsgroup | FolderKind::Virtual => None,
        }
    }

    pub fn mail(account: AccountId, path: FolderPath) -> Self {
        let role = Folder::role_for(FolderKind::Mail, &path);
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

    #[test]
    fn dotted_names_and_newsgroups_get_no_role() {
        assert_eq!(FolderRole::from_name("alt.trash"), None);
        assert_eq!(FolderRole::from_name("comp.mail.archive"), None);
        assert_eq!(FolderRole::from_name("news/alt.trash"), None);
        let account = AccountId("news".into());
        let group = Folder::newsgroup(account.clone(), FolderPath("trash".into()));
        assert_eq!(group.role, None);
        assert_eq!(
            Folder::role_for(FolderKind::Newsgroup, &FolderPath("Trash".into())),
            None
        );
        assert_eq!(
            Folder::mail(account, FolderPath("Trash".into())).role,
            Some(FolderRole::Trash)
        );
    }
}

/// Work on whole folders (the server's, for remote accounts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FolderOp {
    Create(FolderPath),
    Rename {
        from: FolderPath,
        to: FolderPath,
    },
    /// Removes the folder and everything in it.
    Delete(FolderPath),
    Subscribe {
        folder: FolderPath,
        on: bool,
    },
    /// Removes the messages marked deleted (emptying Trash: mark all, then expunge).
    Expunge(FolderPath),
}

impl FolderOp {
    /// What it does, for messages: "create", "rename", "delete", "subscribe to", "expunge".
    pub fn verb(&self) -> &'static str {
        match self {
            FolderOp::Create(_) => "create",
            FolderOp::Rename { .. } => "rename",
            FolderOp::Delete(_) => "delete",
            FolderOp::Subscribe { on: true, .. } => "subscribe to",
            FolderOp::Subscribe { on: false, .. } => "unsubscribe from",
            FolderOp::Expunge(_) => "expunge",
        }
    }
}
