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
