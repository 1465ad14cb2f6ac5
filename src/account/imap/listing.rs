//! The account's folder list: LIST (with LIST-STATUS or STATUS counts) from the server,
//! remembered beside the cache with its roles, and the same list from the cache when
//! offline. Counts are the server's where it gave them, else the index's.

use super::folders::{self, FolderMap};
use super::{Disk, ImapAccount, conn, resp, utf7};
use crate::account::{AccountError, AccountErrorKind};
use crate::core::{Folder, FolderPath};

impl ImapAccount {
    /// The server's folders (LIST, with STATUS counts), remembered beside the cache.
    pub(super) async fn list_remote(&mut self) -> Result<Vec<Folder>, AccountError> {
        let conn = self.conn().await?;
        let list_status = conn.has("LIST-STATUS");
        let cmd = if list_status {
            "LIST \"\" \"*\" RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN))"
        } else {
            "LIST \"\" \"*\""
        };
        let mut entries = Vec::new();
        let mut status = Vec::new();
        let r = conn
            .run(cmd, |r| match r {
                resp::Resp::List(l) => entries.push(l),
                resp::Resp::Status(s) => status.push(s),
                _ => {}
            })
            .await;
        if let Err(e) = r {
            return Err(self.failed(e));
        }
        let map = FolderMap::from_list(&entries);
        if !list_status {
            for f in map.folders.iter().filter(|f| f.selectable) {
                let cmd = format!("STATUS {} (MESSAGES UNSEEN)", conn::quoted(&f.name));
                let conn = self.conn().await?;
                let r = conn
                    .run(&cmd, |r| {
                        if let resp::Resp::Status(s) = r {
                            status.push(s)
                        }
                    })
                    .await;
                if let Err(e) = r {
                    // A folder that cannot report counts still shows.
                    if e.kind == AccountErrorKind::Rejected {
                        continue;
                    }
                    return Err(self.failed(e));
                }
            }
        }
        self.folders = map.clone();
        let counts: Vec<(String, u32, u32)> = status
            .iter()
            .map(|s| {
                (
                    s.mailbox.clone(),
                    s.messages.unwrap_or(0),
                    s.unseen.unwrap_or(0),
                )
            })
            .collect();
        self.disk(move |d| {
            for f in map.folders.iter().filter(|f| f.selectable) {
                d.tree.ensure_folder(&FolderPath(f.path.clone()))?;
            }
            if let Err(e) = map.save(&d.tree.root) {
                d.note(format!("cannot remember the folder list: {e}"));
            }
            let roles: Vec<(FolderPath, crate::core::FolderRole)> = map
                .folders
                .iter()
                .filter_map(|f| {
                    let role = crate::core::FolderRole::parse(f.role.as_deref()?)?;
                    Some((FolderPath(f.path.clone()), role))
                })
                .collect();
            if let Err(e) = crate::store::roles::save(&d.tree.root, &roles) {
                d.note(format!("cannot remember the folder roles: {e}"));
            }
            Ok(folder_list(d, &map, &counts))
        })
        .await
    }

    /// The folders as last seen, from the cache (offline).
    pub(super) async fn list_cached(&mut self) -> Result<Vec<Folder>, AccountError> {
        let map = self.folders.clone();
        self.disk(move |d| {
            let map = if map.folders.is_empty() {
                // Never listed: the cache's own directories.
                let dirs = d.tree.folders()?;
                FolderMap {
                    delimiter: None,
                    folders: dirs
                        .into_iter()
                        .map(|f| folders::RemoteFolder {
                            name: utf7::encode(&f.path.0),
                            path: f.path.0,
                            role: None,
                            selectable: true,
                        })
                        .collect(),
                }
            } else {
                map
            };
            Ok(folder_list(d, &map, &[]))
        })
        .await
    }
}

/// Folders with roles and counts: the server's (STATUS) where known, else the index's.
fn folder_list(d: &Disk, map: &FolderMap, counts: &[(String, u32, u32)]) -> Vec<Folder> {
    let ix = d.index();
    let view = ix.reader();
    map.folders
        .iter()
        .filter(|f| f.selectable)
        .map(|f| {
            let path = FolderPath(f.path.clone());
            let mut folder = Folder::mail(d.id.clone(), path.clone());
            folder.role = map.role(&path);
            if let Some((_, t, u)) = counts.iter().find(|(n, _, _)| *n == f.name) {
                (folder.total, folder.unread) = (*t, *u);
            } else if let Ok((t, u)) = view.counts(&d.id, &path) {
                (folder.total, folder.unread) = (t, u);
            }
            folder
        })
        .collect()
}
