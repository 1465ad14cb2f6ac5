//! Folder roles a server gave (IMAP SPECIAL-USE), kept beside a cache as
//! `.posthorn-roles` (`role<TAB>path` lines) so that whoever lists the cache's folders
//! (the UI, headless commands) sees the server's Sent or Trash even when it is named
//! `Gesendet` or `Papierkorb`, offline too. Without the file, roles come from names.

use super::StoreError;
use crate::core::{FolderPath, FolderRole};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

const FILE: &str = ".posthorn-roles";

/// The roles of a cache's folders; None when no server said (no file).
pub fn load(root: &Path) -> Option<HashMap<FolderPath, FolderRole>> {
    let text = std::fs::read_to_string(root.join(FILE)).ok()?;
    Some(
        text.lines()
            .filter_map(|l| {
                let (role, path) = l.split_once('\t')?;
                Some((FolderPath(path.to_string()), FolderRole::parse(role)?))
            })
            .collect(),
    )
}

/// Replaces the roles file durably (tmp, fsync, rename).
pub fn save(root: &Path, roles: &[(FolderPath, FolderRole)]) -> Result<(), StoreError> {
    let tmp = root.join(format!("{FILE}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        for (path, role) in roles {
            writeln!(f, "{}\t{}", role.name(), path.0.replace(['\n', '\t'], " "))?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, root.join(FILE))
    };
    write().map_err(StoreError::io("write", root.join(FILE)))
}

/// The folders an account shows, when it decides rather than its cache directories
/// (a news account: its subscribed groups; an unsubscribed group keeps its cached
/// articles but leaves the list). Kept as `.posthorn-folders`, one path per line.
const LISTED: &str = ".posthorn-folders";

/// The folders to show; None when every cache folder shows (no file).
pub fn load_listed(root: &Path) -> Option<std::collections::HashSet<FolderPath>> {
    let text = std::fs::read_to_string(root.join(LISTED)).ok()?;
    Some(
        text.lines()
            .filter(|l| !l.is_empty())
            .map(|l| FolderPath(l.to_string()))
            .collect(),
    )
}

/// Replaces the list of folders to show durably (tmp, fsync, rename).
pub fn save_listed(root: &Path, folders: &[FolderPath]) -> Result<(), StoreError> {
    let tmp = root.join(format!("{LISTED}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        for path in folders {
            writeln!(f, "{}", path.0.replace('\n', " "))?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, root.join(LISTED))
    };
    write().map_err(StoreError::io("write", root.join(LISTED)))
}
