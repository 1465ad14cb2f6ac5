//! The move journal: a bulk move between folders of a tree records its intent in a small
//! fsynced file at the tree root (`.posthorn-moves-*`: a dot file, which Maildir readers
//! and our own folder listing ignore), moves, then removes it. `MaildirTree::recover`
//! (called at account start) replays any journal left by a kill: a message whose source
//! and destination copies are the same file (device and inode) or the same bytes under
//! the same unique name loses its source copy; a message found in one place only is left
//! alone. Replaying is idempotent, so a journal of a process still running is safe too.
//! One journal per bulk move (`.posthorn-moves-PID-N`), one line per message:
//! `move<TAB>from folder<TAB>to folder<TAB>unique name` (`\`, tab and newline escaped).
//!
//! Depends only on the store's own types; blocking, no tokio.

use super::delivery::{fsync_dir, remove_if_present, same_bytes};
use super::{MaildirEntry, MaildirTree, StoreError};
use crate::core::FolderPath;
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const PREFIX: &str = ".posthorn-moves-";
static JOURNAL_COUNTER: AtomicU64 = AtomicU64::new(0);

/// What `recover` did, for a notice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Journals found (interrupted bulk moves).
    pub journals: usize,
    /// Moves that had been half done and were finished (source copy removed).
    pub finished: usize,
    /// Messages that were in one place only (nothing to do).
    pub untouched: usize,
    /// Things recovery could not do (the journal is kept for the next try).
    pub problems: Vec<String>,
}

impl RecoveryReport {
    /// A line for the notices view, or None when there was nothing to recover.
    pub fn notice(&self) -> Option<String> {
        if self.journals == 0 {
            return None;
        }
        let mut s = format!(
            "recovered {} interrupted move(s): {} finished, {} untouched",
            self.journals, self.finished, self.untouched
        );
        for p in &self.problems {
            s.push_str("; ");
            s.push_str(p);
        }
        Some(s)
    }
}

struct Record {
    from: FolderPath,
    to: FolderPath,
    id: String,
}

impl MaildirTree {
    /// Moves `entries` from folder `from` to folder `to` (created if missing) under a
    /// journal, so a kill at any point loses and duplicates nothing once `recover` ran.
    /// Returns the moved entries as they are in `to` (ids may have changed).
    pub fn move_messages(
        &self,
        from: &FolderPath,
        entries: &[MaildirEntry],
        to: &FolderPath,
    ) -> Result<Vec<MaildirEntry>, StoreError> {
        let src = self.folder(from)?;
        let dest = self.ensure_folder(to)?;
        if entries.is_empty() || src.path() == dest.path() {
            return Ok(entries.to_vec());
        }
        let journal = self.write_journal(from, entries, to)?;
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            out.push(src.move_to(e, &dest)?);
        }
        remove_if_present(&journal)?;
        fsync_dir(&self.root)?;
        Ok(out)
    }

    fn write_journal(
        &self,
        from: &FolderPath,
        entries: &[MaildirEntry],
        to: &FolderPath,
    ) -> Result<PathBuf, StoreError> {
        let name = format!(
            "{PREFIX}{}-{}",
            std::process::id(),
            JOURNAL_COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = self.root.join(name);
        let mut text = String::new();
        for e in entries {
            text.push_str(&format!(
                "move\t{}\t{}\t{}\n",
                escape(&from.0),
                escape(&to.0),
                escape(&e.id.0)
            ));
        }
        let mut f = fs::File::create(&path).map_err(StoreError::io("create", &path))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(StoreError::io("write", &path))?;
        fsync_dir(&self.root)?;
        Ok(path)
    }

    /// Replays every journal left by an interrupted bulk move (see the module docs).
    pub fn recover(&self) -> Result<RecoveryReport, StoreError> {
        let mut report = RecoveryReport::default();
        let rd = fs::read_dir(&self.root).map_err(StoreError::io("read directory", &self.root))?;
        let mut journals: Vec<PathBuf> = rd
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(PREFIX))
            .map(|e| e.path())
            .collect();
        journals.sort();
        for j in journals {
            report.journals += 1;
            let text = match fs::read(&j) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => {
                    report.problems.push(format!("{}: {e}", j.display()));
                    continue;
                }
            };
            let records: Vec<Record> = text.lines().filter_map(parse).collect();
            match self.replay(&records, &mut report) {
                Ok(()) => {
                    remove_if_present(&j)?;
                    fsync_dir(&self.root)?;
                }
                Err(e) => report.problems.push(e.to_string()),
            }
        }
        Ok(report)
    }

    fn replay(&self, records: &[Record], report: &mut RecoveryReport) -> Result<(), StoreError> {
        let mut by_pair: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
        for r in records {
            by_pair
                .entry((r.from.0.as_str(), r.to.0.as_str()))
                .or_default()
                .push(&r.id);
        }
        for ((from, to), ids) in by_pair {
            let (src_dir, dest_dir) = (
                self.folder_dir(&FolderPath(from.into())),
                self.folder_dir(&FolderPath(to.into())),
            );
            if !super::Maildir::is_maildir(&src_dir) || !super::Maildir::is_maildir(&dest_dir) {
                report.untouched += ids.len();
                continue;
            }
            let (src, dest) = (
                super::Maildir::open(src_dir),
                super::Maildir::open(dest_dir),
            );
            let dest_entries = dest.list()?;
            let mut dest_by_id: HashMap<&str, Vec<&MaildirEntry>> = HashMap::new();
            let mut dest_by_key = HashMap::new();
            for d in &dest_entries {
                dest_by_id.entry(d.id.0.as_str()).or_default().push(d);
                if let Some(k) = dest.file_key(d) {
                    dest_by_key.insert(k, d);
                }
            }
            let src_entries = src.list()?;
            for id in ids {
                let mut done = false;
                for s in src_entries.iter().filter(|s| s.id.0 == id) {
                    let sp = src.file_path(s);
                    let twin_by_inode = src
                        .file_key(s)
                        .is_some_and(|k| dest_by_key.contains_key(&k));
                    let twin_by_bytes = dest_by_id.get(id).is_some_and(|ds| {
                        ds.iter()
                            .any(|d| same_bytes(&sp, &dest.file_path(d)).unwrap_or(false))
                    });
                    if twin_by_inode || twin_by_bytes {
                        remove_if_present(&sp)?;
                        src.sync_dir(s.subdir)?;
                        report.finished += 1;
                        done = true;
                    }
                }
                if !done {
                    report.untouched += 1;
                }
            }
        }
        Ok(())
    }

    /// True when a journal file is present (an interrupted move waits for `recover`).
    pub fn needs_recovery(&self) -> bool {
        journal_files(&self.root) > 0
    }
}

fn journal_files(root: &Path) -> usize {
    fs::read_dir(root).map_or(0, |rd| {
        rd.filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(PREFIX))
            .count()
    })
}

fn parse(line: &str) -> Option<Record> {
    let mut it = line.split('\t');
    if it.next()? != "move" {
        return None;
    }
    let (from, to, id) = (it.next()?, it.next()?, it.next()?);
    Some(Record {
        from: FolderPath(unescape(from)),
        to: FolderPath(unescape(to)),
        id: unescape(id),
    })
}

/// Names are Strings in the `names` form; tabs, newlines and backslashes are escaped
/// so a record stays one line.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips() {
        for s in ["a\tb\nc\\d", "plain", "\\t", "\u{F7FF}x"] {
            assert_eq!(unescape(&escape(s)), s);
        }
    }
}
