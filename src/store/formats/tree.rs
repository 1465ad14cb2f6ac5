//! The folders of one configured path, for mbox, MMDF, Babyl and MH accounts:
//!
//! - a single file (mbox, MMDF, Babyl) is the account's INBOX and its only folder;
//! - a directory of such files: each file is a folder named by its relative path
//!   (subdirectories group folders, as in mutt); a file named `inbox` (any case) at the
//!   top is INBOX. Lock files, dot files and files that are not of the format are
//!   skipped (those with a warning);
//! - MH: each directory is a folder named by its relative path; the root is INBOX when
//!   it holds messages itself (as Python's `MH(path)` sees it), else its `inbox`
//!   directory (nmh's layout). `context` and other files are left alone.
//!
//! Symlink loops are cut by (device, inode); names are carried in the reversible form
//! of `names`.

use super::frame::{self, Framing};
use super::mh::{self, MhFolder};
use super::single::{Locator, SingleFile};
use super::{Format, Mail, MboxVariant};
use crate::core::FolderPath;
use crate::store::{FolderDir, StoreError, names};
use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// One folder of a tree.
#[derive(Clone, Debug)]
pub enum FormatFolder {
    Single(SingleFile),
    Mh(MhFolder),
}

impl FormatFolder {
    pub fn path(&self) -> &Path {
        match self {
            FormatFolder::Single(s) => s.path(),
            FormatFolder::Mh(m) => m.path(),
        }
    }

    /// Reads message `id`, trying the index's locator `hint` first.
    pub fn read(&self, id: &str, hint: Option<&str>) -> Result<Mail, StoreError> {
        match self {
            FormatFolder::Single(s) => s.read(id, hint.and_then(Locator::parse)),
            FormatFolder::Mh(m) => {
                let n = match hint.and_then(|h| h.parse::<u32>().ok()) {
                    Some(n) if m.holds(n, id) => n,
                    _ => m.number_of(id)?,
                };
                let seqs = m.sequences()?;
                Ok(Mail {
                    bytes: m.read(n)?,
                    flags: seqs.flags(n),
                    from_line: None,
                })
            }
        }
    }

    /// Whether the folder holds any message (without reading it all).
    pub fn holds_mail(&self) -> bool {
        match self {
            FormatFolder::Single(s) => fs::metadata(s.path()).is_ok_and(|m| {
                let prefix_only = s.framing() == Framing::Babyl
                    && m.len() <= super::codec::babyl_prefix().len() as u64;
                m.len() > 0 && !prefix_only
            }),
            FormatFolder::Mh(m) => m.numbers().is_ok_and(|n| !n.is_empty()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct FileTree {
    pub root: PathBuf,
    pub format: Format,
    /// The configured mbox variant (None: mboxrd for writing, detected for reading).
    pub variant: Option<MboxVariant>,
}

impl FileTree {
    /// A tree at `root`, which must exist.
    pub fn open(
        root: impl Into<PathBuf>,
        format: Format,
        variant: Option<MboxVariant>,
    ) -> Result<FileTree, StoreError> {
        let root = root.into();
        let meta = fs::metadata(&root).map_err(|e| StoreError::Invalid {
            path: root.clone(),
            reason: match e.kind() {
                std::io::ErrorKind::NotFound => "no such file or directory".into(),
                _ => e.to_string(),
            },
        })?;
        if format == Format::Mh && !meta.is_dir() {
            return Err(StoreError::Invalid {
                path: root,
                reason: "an MH path must be a directory".into(),
            });
        }
        if format.framing().is_none() && format != Format::Mh {
            return Err(StoreError::Invalid {
                path: root,
                reason: format!("{} is not a format of this tree", format.name()),
            });
        }
        Ok(FileTree {
            root,
            format,
            variant,
        })
    }

    /// One file: the account's INBOX and only folder.
    pub fn is_single(&self) -> bool {
        self.format != Format::Mh && !self.root.is_dir()
    }

    fn framing(&self) -> Option<Framing> {
        self.format.framing()
    }

    pub fn folders(&self) -> Result<Vec<FolderDir>, StoreError> {
        self.folders_with_warnings().map(|(f, _)| f)
    }

    /// Every folder (INBOX first, then by name), and a warning for everything skipped.
    pub fn folders_with_warnings(&self) -> Result<(Vec<FolderDir>, Vec<String>), StoreError> {
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        if self.is_single() {
            out.push(FolderDir {
                path: FolderPath::inbox(),
                dir: self.root.clone(),
            });
            return Ok((out, warnings));
        }
        let mut visited = HashSet::new();
        if let Ok(m) = fs::metadata(&self.root) {
            visited.insert((m.dev(), m.ino()));
        }
        // The root holds messages itself (Python's `MH(path)`), unless it is only the
        // parent of an `inbox` folder (nmh's ~/Mail; Python leaves a .mh_sequences).
        let root_is_inbox = self.format == Format::Mh
            && (mh::has_messages(&self.root)
                || (mh::is_mh(&self.root) && !self.root.join("inbox").is_dir()));
        if root_is_inbox {
            out.push(FolderDir {
                path: FolderPath::inbox(),
                dir: self.root.clone(),
            });
        }
        let mut walk = Walk {
            tree: self,
            out: &mut out,
            warnings: &mut warnings,
            visited,
            root_is_inbox,
        };
        walk.dir(&self.root, "", 0)?;
        out.sort_by(|a, b| {
            (!a.path.is_inbox(), a.path.0.to_lowercase())
                .cmp(&(!b.path.is_inbox(), b.path.0.to_lowercase()))
        });
        Ok((out, warnings))
    }

    /// Where a folder is (or would be).
    pub fn folder_path(&self, path: &FolderPath) -> PathBuf {
        if self.is_single() {
            return self.root.clone();
        }
        if path.is_inbox() {
            if let Ok(found) = self.folders()
                && let Some(f) = found.into_iter().find(|f| f.path.is_inbox())
            {
                return f.dir;
            }
            return self.root.join(if self.format == Format::Mh {
                "inbox"
            } else {
                "INBOX"
            });
        }
        path.0
            .split('/')
            .fold(self.root.clone(), |p, c| p.join(names::decode(c)))
    }

    fn make(&self, at: PathBuf) -> FormatFolder {
        match self.framing() {
            Some(f) => FormatFolder::Single(SingleFile::new(at, f, self.variant)),
            None => FormatFolder::Mh(MhFolder::new(at)),
        }
    }

    /// An existing folder.
    pub fn folder(&self, path: &FolderPath) -> Result<FormatFolder, StoreError> {
        if self.is_single() && !path.is_inbox() {
            return Err(StoreError::Invalid {
                path: self.root.clone(),
                reason: format!("folder {path} does not exist (this account is one file)"),
            });
        }
        let at = self.folder_path(path);
        let ok = match self.format {
            Format::Mh => at.is_dir(),
            _ => at.is_file(),
        };
        if !ok {
            return Err(StoreError::Invalid {
                path: at,
                reason: format!("folder {path} does not exist"),
            });
        }
        Ok(self.make(at))
    }

    /// A folder, created when it is missing.
    pub fn ensure_folder(&self, path: &FolderPath) -> Result<FormatFolder, StoreError> {
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
        if let Ok(f) = self.folder(path) {
            return Ok(f);
        }
        if self.is_single() {
            return Err(StoreError::Invalid {
                path: self.root.clone(),
                reason: format!(
                    "cannot create folder {path}: this account is one file (point `path` at a directory for more folders)"
                ),
            });
        }
        let f = self.make(self.folder_path(path));
        match &f {
            FormatFolder::Single(s) => s.create()?,
            FormatFolder::Mh(m) => m.create()?,
        }
        Ok(f)
    }
}

struct Walk<'a> {
    tree: &'a FileTree,
    out: &'a mut Vec<FolderDir>,
    warnings: &'a mut Vec<String>,
    visited: HashSet<(u64, u64)>,
    root_is_inbox: bool,
}

impl Walk<'_> {
    fn dir(&mut self, dir: &Path, prefix: &str, depth: usize) -> Result<(), StoreError> {
        if depth > 32 {
            self.warnings.push(format!(
                "{}: nested deeper than 32 levels; not listed",
                dir.display()
            ));
            return Ok(());
        }
        let rd = match fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) if depth == 0 => return Err(StoreError::io("read directory", dir)(e)),
            Err(e) => {
                self.warnings
                    .push(format!("skipped {}: {e}", dir.display()));
                return Ok(());
            }
        };
        let mut entries: Vec<(String, PathBuf)> = rd
            .filter_map(|e| e.ok())
            .map(|e| (names::encode(&e.file_name()), e.path()))
            .collect();
        entries.sort();
        for (name, p) in entries {
            if name.starts_with('.') || name.starts_with(',') || name.contains(".lock") {
                continue;
            }
            let meta = match fs::metadata(&p) {
                Ok(m) => m,
                Err(e) => {
                    self.warnings.push(format!("skipped {}: {e}", p.display()));
                    continue;
                }
            };
            if meta.is_dir() && !self.visited.insert((meta.dev(), meta.ino())) {
                continue;
            }
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let top_inbox = prefix.is_empty() && name.eq_ignore_ascii_case("inbox");
            let path = if top_inbox {
                FolderPath::inbox()
            } else {
                FolderPath(rel.clone())
            };
            match self.tree.framing() {
                None if meta.is_dir() => {
                    if top_inbox && self.root_is_inbox {
                        self.warnings.push(format!(
                            "skipped {}: the MH root itself is INBOX",
                            p.display()
                        ));
                    } else {
                        self.out.push(FolderDir {
                            path,
                            dir: p.clone(),
                        });
                    }
                    self.dir(&p, &rel, depth + 1)?;
                }
                None => {}
                Some(_) if meta.is_dir() => self.dir(&p, &rel, depth + 1)?,
                Some(framing) if meta.is_file() => {
                    match frame::detect_file(&p) {
                        Ok(Some(f)) if f == framing => {}
                        Ok(None) if meta.len() == 0 => {}
                        Ok(_) => {
                            self.warnings.push(format!(
                                "skipped {}: not {} file",
                                p.display(),
                                match framing {
                                    Framing::Mbox => "an mbox",
                                    Framing::Mmdf => "an MMDF",
                                    Framing::Babyl => "a Babyl",
                                }
                            ));
                            continue;
                        }
                        Err(e) => {
                            self.warnings.push(format!("skipped {}: {e}", p.display()));
                            continue;
                        }
                    }
                    self.out.push(FolderDir { path, dir: p });
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}
