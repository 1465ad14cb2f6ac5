//! Whole folders on the server (RFC 3501 §6.3.3-6.3.7): create (and subscribe), rename
//! (the cache directory and index rows follow, nothing is fetched again), delete (the
//! cached copy goes too), subscribe and unsubscribe, and expunge (RFC 3501 §6.4.3; how
//! Trash is emptied). All of them need the server: offline they fail and change nothing.

use super::ImapAccount;
use super::conn::quoted;
use crate::account::{AccountError, AccountErrorKind};
use crate::core::{FolderOp, FolderPath};

pub async fn folder_op(acc: &mut ImapAccount, op: &FolderOp) -> Result<(), AccountError> {
    let inbox = FolderPath::inbox();
    match op {
        FolderOp::Create(path) => {
            let name = acc.folders.server_name(path);
            run(acc, &format!("CREATE {}", quoted(&name))).await?;
            // Not every server subscribes new folders; a refusal here is harmless.
            let _ = run(acc, &format!("SUBSCRIBE {}", quoted(&name))).await;
            acc.list_remote().await?;
        }
        FolderOp::Rename { from, to } => {
            if *from == inbox {
                return Err(acc.error(
                    AccountErrorKind::Unsupported,
                    "INBOX cannot be renamed here (RFC 3501 moves its messages instead)",
                ));
            }
            let (old, new) = (acc.folders.server_name(from), acc.folders.server_name(to));
            run(acc, &format!("RENAME {} {}", quoted(&old), quoted(&new))).await?;
            let (f, t) = (from.clone(), to.clone());
            let children: Vec<FolderPath> = acc
                .folders
                .folders
                .iter()
                .map(|r| FolderPath(r.path.clone()))
                .filter(|p| *p == f || p.0.starts_with(&format!("{}/", f.0)))
                .collect();
            acc.disk(move |d| {
                for p in &children {
                    let moved = FolderPath(format!("{}{}", t.0, &p.0[f.0.len()..]));
                    let (a, b) = (d.tree.folder_dir(p), d.tree.folder_dir(&moved));
                    if a.exists() && !b.exists() {
                        std::fs::rename(&a, &b)
                            .map_err(crate::store::StoreError::io("rename", a.clone()))?;
                    }
                }
                d.index().rename_folder(&d.id, &f, &t)
            })
            .await?;
            acc.selected = None;
            acc.list_remote().await?;
        }
        FolderOp::Delete(path) => {
            if *path == inbox {
                return Err(acc.error(AccountErrorKind::Unsupported, "INBOX cannot be deleted"));
            }
            let name = acc.folders.server_name(path);
            if acc.selected.as_ref().is_some_and(|s| s.path == *path) {
                // A selected mailbox cannot be deleted on every server: leave it first.
                let _ = run(acc, "UNSELECT").await;
                acc.selected = None;
            }
            run(acc, &format!("DELETE {}", quoted(&name))).await?;
            let p = path.clone();
            acc.disk(move |d| {
                d.index().remove_folder(&d.id, &p)?;
                let dir = d.tree.folder_dir(&p);
                if dir.exists() && dir != d.tree.root {
                    std::fs::remove_dir_all(&dir)
                        .map_err(crate::store::StoreError::io("remove", dir.clone()))?;
                }
                Ok(())
            })
            .await?;
            acc.list_remote().await?;
        }
        FolderOp::Subscribe { folder, on } => {
            let name = acc.folders.server_name(folder);
            let verb = if *on { "SUBSCRIBE" } else { "UNSUBSCRIBE" };
            run(acc, &format!("{verb} {}", quoted(&name))).await?;
        }
        FolderOp::Expunge(path) => {
            acc.ensure_selected(path).await?;
            run(acc, "EXPUNGE").await?;
            // The cache follows at once: the removed messages leave it.
            let mut job = super::sync::begin(acc, path).await?;
            while let crate::account::SyncStep::More(j, _) = super::sync::step(acc, job).await? {
                job = j;
            }
        }
    }
    Ok(())
}

async fn run(acc: &mut ImapAccount, cmd: &str) -> Result<(), AccountError> {
    let conn = acc.conn().await?;
    match conn.run(cmd, |_| {}).await {
        Ok(_) => Ok(()),
        Err(e) => Err(acc.failed(e)),
    }
}
