//! Folder layouts of a Maildir tree: Maildir++ (the root is INBOX, subfolders are
//! `.A.B` directories marked with a `maildirfolder` file) and nested (each directory that
//! holds cur/, new/ and tmp/ is a folder named by its relative path).

use super::{Maildir, StoreError};
use crate::core::FolderPath;
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    MaildirPlusPlus,
    Nested,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderDir {
    pub path: FolderPath,
    pub dir: PathBuf,
}

/// A Maildir tree: the folders of one local account.
#[derive(Clone, Debug)]
pub struct MaildirTree {
    pub root: PathBuf,
    pub layout: Layout,
}

impl MaildirTree {
    /// Looks at `root` and decides its layout (Maildir++ when the root itself is a
    /// Maildir).
    pub fn open(root: impl Into<PathBuf>) -> Result<MaildirTree, StoreError> {
        let root = root.into();
        if !root.is_dir() {
            return Err(StoreError::Invalid {
                path: root,
                reason: "no such directory".into(),
            });
        }
        let layout = if Maildir::is_maildir(&root) {
            Layout::MaildirPlusPlus
        } else {
            Layout::Nested
        };
        Ok(MaildirTree { root, layout })
    }

    /// Every folder, INBOX first, then by name.
    pub fn folders(&self) -> Result<Vec<FolderDir>, StoreError> {
        let mut out = Vec::new();
        match self.layout {
            Layout::MaildirPlusPlus => {
                out.push(FolderDir {
                    path: FolderPath::inbox(),
                    dir: self.root.clone(),
                });
                for (name, dir) in read_dirs(&self.root)? {
                    if let Some(rest) = name.strip_prefix('.')
                        && !rest.is_empty()
                        && rest != "."
                        && Maildir::is_maildir(&dir)
                    {
                        out.push(FolderDir {
                            path: FolderPath(rest.replace('.', "/")),
                            dir,
                        });
                    }
                }
            }
            Layout::Nested => walk_nested(&self.root, "", &mut out, 0)?,
        }
        out.sort_by(|a, b| {
            (!a.path.is_inbox(), a.path.0.to_lowercase())
                .cmp(&(!b.path.is_inbox(), b.path.0.to_lowercase()))
        });
        Ok(out)
    }

    /// The directory of a folder (which may not exist yet).
    pub fn folder_dir(&self, path: &FolderPath) -> PathBuf {
        match self.layout {
            Layout::MaildirPlusPlus if path.is_inbox() => self.root.clone(),
            Layout::MaildirPlusPlus => self.root.join(format!(".{}", path.0.replace('/', "."))),
            Layout::Nested => {
                if path.is_inbox()
                    && let Ok(found) = self.folders()
                    && let Some(f) = found.into_iter().find(|f| f.path.is_inbox())
                {
                    return f.dir;
                }
                path.0.split('/').fold(self.root.clone(), |p, c| p.join(c))
            }
        }
    }

    /// Opens a folder, creating it (as the layout requires) when it is missing.
    pub fn ensure_folder(&self, path: &FolderPath) -> Result<Maildir, StoreError> {
        if path
            .0
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == ".." || c.starts_with('.'))
        {
            return Err(StoreError::Invalid {
                path: self.root.clone(),
                reason: format!("bad folder name {:?}", path.0),
            });
        }
        let dir = self.folder_dir(path);
        if Maildir::is_maildir(&dir) {
            return Ok(Maildir::open(dir));
        }
        let md = Maildir::create(&dir)?;
        if self.layout == Layout::MaildirPlusPlus && !path.is_inbox() {
            let marker = dir.join("maildirfolder");
            fs::write(&marker, b"").map_err(StoreError::io("create", &marker))?;
        }
        Ok(md)
    }

    /// Opens an existing folder.
    pub fn folder(&self, path: &FolderPath) -> Result<Maildir, StoreError> {
        let dir = self.folder_dir(path);
        if Maildir::is_maildir(&dir) {
            Ok(Maildir::open(dir))
        } else {
            Err(StoreError::Invalid {
                path: dir,
                reason: format!("folder {path} does not exist"),
            })
        }
    }
}

fn read_dirs(dir: &Path) -> Result<Vec<(String, PathBuf)>, StoreError> {
    let mut out = Vec::new();
    for ent in fs::read_dir(dir).map_err(StoreError::io("read directory", dir))? {
        let ent = ent.map_err(StoreError::io("read directory", dir))?;
        let p = ent.path();
        if let (Some(name), true) = (ent.file_name().to_str(), p.is_dir()) {
            out.push((name.to_string(), p));
        }
    }
    Ok(out)
}

fn walk_nested(
    dir: &Path,
    prefix: &str,
    out: &mut Vec<FolderDir>,
    depth: usize,
) -> Result<(), StoreError> {
    if depth > 32 {
        return Ok(());
    }
    for (name, p) in read_dirs(dir)? {
        if name.starts_with('.')
            || (Maildir::is_maildir(dir) && matches!(name.as_str(), "cur" | "new" | "tmp"))
        {
            continue;
        }
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        if Maildir::is_maildir(&p) {
            let path = if prefix.is_empty() && name.eq_ignore_ascii_case("inbox") {
                FolderPath::inbox()
            } else {
                FolderPath(rel.clone())
            };
            out.push(FolderDir {
                path,
                dir: p.clone(),
            });
        }
        walk_nested(&p, &rel, out, depth + 1)?;
    }
    Ok(())
}
