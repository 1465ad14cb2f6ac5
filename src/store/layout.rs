//! Folder layouts of a Maildir tree: Maildir++ (the root is INBOX, subfolders are
//! `.A.B` directories marked with a `maildirfolder` file) and nested (each directory that
//! holds cur/, new/ and tmp/ is a folder named by its relative path).
//!
//! Real trees are messy: symlink loops are cut by remembering the (device, inode) of
//! every directory visited; a directory that cannot be read is skipped with a warning
//! for the caller; names that are not UTF-8 are carried in the reversible form of
//! `names`. In Maildir++ a `.` inside a name component is written as `\2e` (and `\`
//! as `\5c`), the escaping of Dovecot's listescape plugin, so `v1.2` is `.v1\2e2` on
//! disk and not the folder `v1/2`.

use super::{Maildir, StoreError, names};
use crate::core::FolderPath;
use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
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

    /// Every folder, INBOX first, then by name (unreadable folders left out; see
    /// `folders_with_warnings`).
    pub fn folders(&self) -> Result<Vec<FolderDir>, StoreError> {
        self.folders_with_warnings().map(|(f, _)| f)
    }

    /// Every folder, plus a warning for each directory that could not be read (it is
    /// skipped). Only an unreadable root is an error.
    pub fn folders_with_warnings(&self) -> Result<(Vec<FolderDir>, Vec<String>), StoreError> {
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        match self.layout {
            Layout::MaildirPlusPlus => {
                out.push(FolderDir {
                    path: FolderPath::inbox(),
                    dir: self.root.clone(),
                });
                for (name, dir) in read_dirs(&self.root)? {
                    let Some(rest) = name.strip_prefix('.') else {
                        continue;
                    };
                    if rest.is_empty() || rest == "." {
                        continue;
                    }
                    if let Err(e) = fs::read_dir(&dir) {
                        warnings.push(format!("skipped folder {}: {e}", dir.display()));
                        continue;
                    }
                    if Maildir::is_maildir(&dir) {
                        let path = rest.split('.').map(unescape_component).collect::<Vec<_>>();
                        out.push(FolderDir {
                            path: FolderPath(path.join("/")),
                            dir,
                        });
                    }
                }
            }
            Layout::Nested => {
                let mut visited = HashSet::new();
                if let Ok(m) = fs::metadata(&self.root) {
                    visited.insert((m.dev(), m.ino()));
                }
                let mut walk = Walk {
                    out: &mut out,
                    warnings: &mut warnings,
                    visited,
                };
                walk.nested(&self.root, "", 0, true)?;
            }
        }
        out.sort_by(|a, b| {
            (!a.path.is_inbox(), a.path.0.to_lowercase())
                .cmp(&(!b.path.is_inbox(), b.path.0.to_lowercase()))
        });
        Ok((out, warnings))
    }

    /// The directory of a folder (which may not exist yet).
    pub fn folder_dir(&self, path: &FolderPath) -> PathBuf {
        match self.layout {
            Layout::MaildirPlusPlus if path.is_inbox() => self.root.clone(),
            Layout::MaildirPlusPlus => {
                let parts: Vec<String> = path.0.split('/').map(escape_component).collect();
                self.root
                    .join(names::decode(&format!(".{}", parts.join("."))))
            }
            Layout::Nested => {
                if path.is_inbox()
                    && let Ok(found) = self.folders()
                    && let Some(f) = found.into_iter().find(|f| f.path.is_inbox())
                {
                    return f.dir;
                }
                path.0
                    .split('/')
                    .fold(self.root.clone(), |p, c| p.join(names::decode(c)))
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
            return Ok(Maildir::open(dir));
        }
        let reason = match fs::read_dir(&dir) {
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                format!("folder {path}: permission denied")
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                format!("folder {path} does not exist")
            }
            Err(e) => format!("folder {path}: {e}"),
            Ok(_) => format!("folder {path} is not a Maildir (no cur/ and new/)"),
        };
        Err(StoreError::Invalid { path: dir, reason })
    }
}

/// Maildir++ name component -> disk form: `\` and `.` as `\NN` hex (Dovecot listescape).
fn escape_component(c: &str) -> String {
    c.replace('\\', "\\5c").replace('.', "\\2e")
}

/// Disk form -> name component: `\NN` hex back to its byte; anything else kept.
fn unescape_component(c: &str) -> String {
    let bytes = names::decode_bytes(c);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(h) = std::str::from_utf8(hex)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    names::encode_bytes(&out)
}

/// Subdirectories of `dir` (following symlinks), names in the `names` form.
fn read_dirs(dir: &Path) -> Result<Vec<(String, PathBuf)>, StoreError> {
    let mut out = Vec::new();
    for ent in fs::read_dir(dir).map_err(StoreError::io("read directory", dir))? {
        let ent = ent.map_err(StoreError::io("read directory", dir))?;
        let p = ent.path();
        if p.is_dir() {
            out.push((names::encode(&ent.file_name()), p));
        }
    }
    Ok(out)
}

/// The nested walk: folders found, warnings, and directories already seen (by device
/// and inode, so `loop -> .` or `up -> ..` is entered once at most).
struct Walk<'a> {
    out: &'a mut Vec<FolderDir>,
    warnings: &'a mut Vec<String>,
    visited: HashSet<(u64, u64)>,
}

impl Walk<'_> {
    fn nested(
        &mut self,
        dir: &Path,
        prefix: &str,
        depth: usize,
        top: bool,
    ) -> Result<(), StoreError> {
        if depth > 32 {
            self.warnings.push(format!(
                "{}: nested deeper than 32 levels; not listed",
                dir.display()
            ));
            return Ok(());
        }
        let entries = match read_dirs(dir) {
            Ok(e) => e,
            Err(e) if top => return Err(e),
            Err(e) => {
                self.warnings.push(format!("skipped {e}"));
                return Ok(());
            }
        };
        let dir_is_maildir = Maildir::is_maildir(dir);
        for (name, p) in entries {
            if name.starts_with('.')
                || (dir_is_maildir && matches!(name.as_str(), "cur" | "new" | "tmp"))
            {
                continue;
            }
            match fs::metadata(&p) {
                Ok(m) if !self.visited.insert((m.dev(), m.ino())) => continue,
                Ok(_) => {}
                Err(e) => {
                    self.warnings.push(format!("skipped {}: {e}", p.display()));
                    continue;
                }
            }
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            if let Err(e) = fs::read_dir(&p) {
                self.warnings.push(format!("skipped folder {rel}: {e}"));
                continue;
            }
            if Maildir::is_maildir(&p) {
                let path = if prefix.is_empty() && name.eq_ignore_ascii_case("inbox") {
                    FolderPath::inbox()
                } else {
                    FolderPath(rel.clone())
                };
                self.out.push(FolderDir {
                    path,
                    dir: p.clone(),
                });
            }
            self.nested(&p, &rel, depth + 1, false)?;
        }
        Ok(())
    }
}
