//! The `.newsrc` file: which newsgroups a user reads and which articles of each are
//! read, in the format every Unix newsreader shares (rn, trn, slrn, tin):
//!
//! ```text
//! comp.mail.misc: 1-1043,1047,1050-1052
//! alt.test! 1-20
//! ```
//!
//! `:` means subscribed, `!` unsubscribed; the ranges list read article numbers. Lines
//! this module does not understand (rn's `options` line, comments, blank lines) are kept
//! as they are and written back in place, and the groups keep their order, so a file
//! another reader wrote survives a round trip. Writing is atomic (a temporary file in
//! the same directory, fsync, rename, fsync of the directory): a crash leaves the old
//! file or the new one, never half of either.
//!
//! Pure data plus file I/O; depends on nothing but `store::StoreError`.

use super::StoreError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Read article numbers as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArticleSet {
    ranges: Vec<(u64, u64)>,
}

impl ArticleSet {
    /// Parses "1-10,12,15-20"; pieces that are not numbers are skipped (as slrn does).
    pub fn parse(text: &str) -> ArticleSet {
        let mut s = ArticleSet::default();
        for piece in text.split(',') {
            let piece = piece.trim();
            let (a, b) = match piece.split_once('-') {
                Some((a, b)) => (a.trim().parse::<u64>(), b.trim().parse::<u64>()),
                None => (piece.parse::<u64>(), piece.parse::<u64>()),
            };
            if let (Ok(a), Ok(b)) = (a, b)
                && a <= b
            {
                s.insert_range(a, b);
            }
        }
        s
    }

    pub fn contains(&self, n: u64) -> bool {
        let i = self.ranges.partition_point(|r| r.1 < n);
        self.ranges.get(i).is_some_and(|r| r.0 <= n)
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn ranges(&self) -> &[(u64, u64)] {
        &self.ranges
    }

    pub fn insert(&mut self, n: u64) {
        self.insert_range(n, n);
    }

    /// Adds `a..=b`, merging with touching or overlapping ranges.
    pub fn insert_range(&mut self, a: u64, b: u64) {
        if a > b {
            return;
        }
        let start = self.ranges.partition_point(|r| r.1.saturating_add(1) < a);
        let mut end = start;
        let (mut lo, mut hi) = (a, b);
        while end < self.ranges.len() && self.ranges[end].0 <= hi.saturating_add(1) {
            lo = lo.min(self.ranges[end].0);
            hi = hi.max(self.ranges[end].1);
            end += 1;
        }
        self.ranges.splice(start..end, [(lo, hi)]);
    }

    pub fn remove(&mut self, n: u64) {
        let i = self.ranges.partition_point(|r| r.1 < n);
        let Some(&(a, b)) = self.ranges.get(i) else {
            return;
        };
        if n < a {
            return;
        }
        let mut repl = Vec::with_capacity(2);
        if a < n {
            repl.push((a, n - 1));
        }
        if n < b {
            repl.push((n + 1, b));
        }
        self.ranges.splice(i..=i, repl);
    }

    /// How many of `low..=high` are not in the set.
    pub fn unread_in(&self, low: u64, high: u64) -> u64 {
        if high < low {
            return 0;
        }
        let read: u64 = self
            .ranges
            .iter()
            .map(|&(a, b)| {
                let (a, b) = (a.max(low), b.min(high));
                if a <= b { b - a + 1 } else { 0 }
            })
            .sum();
        (high - low + 1).saturating_sub(read)
    }
}

impl std::fmt::Display for ArticleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (a, b)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if a == b {
                write!(f, "{a}")?;
            } else {
                write!(f, "{a}-{b}")?;
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Line {
    Group {
        name: String,
        subscribed: bool,
        read: ArticleSet,
    },
    /// Anything else, kept verbatim.
    Other(String),
}

/// A whole .newsrc.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Newsrc {
    lines: Vec<Line>,
}

impl Newsrc {
    pub fn parse(text: &str) -> Newsrc {
        let lines = text
            .split_terminator('\n')
            .map(|l| {
                // The group name ends at the first ':' or '!' (names hold neither).
                let Some(i) = l.find([':', '!']) else {
                    return Line::Other(l.to_string());
                };
                let name = &l[..i];
                if name.is_empty() || name.contains(char::is_whitespace) {
                    return Line::Other(l.to_string());
                }
                Line::Group {
                    name: name.to_string(),
                    subscribed: l.as_bytes()[i] == b':',
                    read: ArticleSet::parse(&l[i + 1..]),
                }
            })
            .collect();
        Newsrc { lines }
    }

    /// Reads a file; a missing file is an empty .newsrc (a new reader).
    pub fn load(path: &Path) -> Result<Newsrc, StoreError> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Newsrc::parse(&String::from_utf8_lossy(&bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Newsrc::default()),
            Err(e) => Err(StoreError::io("read", path)(e)),
        }
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            match l {
                Line::Other(s) => out.push_str(s),
                Line::Group {
                    name,
                    subscribed,
                    read,
                } => {
                    out.push_str(name);
                    out.push(if *subscribed { ':' } else { '!' });
                    if !read.is_empty() {
                        out.push(' ');
                        out.push_str(&read.to_string());
                    }
                }
            }
            out.push('\n');
        }
        out
    }

    /// Writes the file atomically (tmp, fsync, rename, fsync of the directory).
    pub fn save(&self, path: &Path) -> Result<(), StoreError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(StoreError::io("create", &dir))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "newsrc".into());
        let tmp = dir.join(format!(".{name}.posthorn-{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(self.to_text().as_bytes())?;
            f.sync_all()?;
            // Keep the permissions of the file it replaces (a .newsrc may be private).
            if let Ok(meta) = std::fs::metadata(path) {
                std::fs::set_permissions(&tmp, meta.permissions())?;
            }
            std::fs::rename(&tmp, path)?;
            std::fs::File::open(&dir)?.sync_all()
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            StoreError::io("write", path)(e)
        })
    }

    fn group(&self, name: &str) -> Option<(bool, &ArticleSet)> {
        self.lines.iter().find_map(|l| match l {
            Line::Group {
                name: n,
                subscribed,
                read,
            } if n == name => Some((*subscribed, read)),
            _ => None,
        })
    }

    /// The read set of a group, the group added (unsubscribed) at the end when the
    /// file does not have it yet. None only if that failed, which it cannot.
    fn group_mut(&mut self, name: &str) -> Option<&mut ArticleSet> {
        let has = |l: &Line| matches!(l, Line::Group { name: n, .. } if n == name);
        if !self.lines.iter().any(has) {
            self.lines.push(Line::Group {
                name: name.to_string(),
                subscribed: false,
                read: ArticleSet::default(),
            });
        }
        self.lines.iter_mut().find_map(|l| match l {
            Line::Group { name: n, read, .. } if n == name => Some(read),
            _ => None,
        })
    }

    /// The subscribed groups, in file order.
    pub fn subscribed(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter_map(|l| match l {
                Line::Group {
                    name,
                    subscribed: true,
                    ..
                } => Some(name.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn is_subscribed(&self, name: &str) -> bool {
        self.group(name).is_some_and(|(s, _)| s)
    }

    /// Subscribes (a group not in the file is added at its end) or unsubscribes;
    /// the read articles stay either way.
    pub fn set_subscribed(&mut self, name: &str, on: bool) {
        self.group_mut(name);
        for l in &mut self.lines {
            if let Line::Group {
                name: n,
                subscribed,
                ..
            } = l
                && n == name
            {
                *subscribed = on;
            }
        }
    }

    pub fn read_set(&self, name: &str) -> ArticleSet {
        self.group(name).map(|(_, r)| r.clone()).unwrap_or_default()
    }

    pub fn is_read(&self, name: &str, n: u64) -> bool {
        self.group(name).is_some_and(|(_, r)| r.contains(n))
    }

    pub fn mark(&mut self, name: &str, n: u64, read: bool) {
        if let Some(set) = self.group_mut(name) {
            if read {
                set.insert(n);
            } else {
                set.remove(n);
            }
        }
    }

    /// Catch-up: everything up to `high` is read.
    pub fn catch_up(&mut self, name: &str, high: u64) {
        if high >= 1
            && let Some(set) = self.group_mut(name)
        {
            set.insert_range(1, high);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_split_and_print() {
        let mut s = ArticleSet::parse("1-10, 12,15-20,bogus,9-3");
        assert_eq!(s.to_string(), "1-10,12,15-20");
        s.insert(11);
        assert_eq!(s.to_string(), "1-12,15-20");
        s.remove(5);
        s.remove(20);
        s.remove(99);
        assert_eq!(s.to_string(), "1-4,6-12,15-19");
        s.insert_range(13, 14);
        assert_eq!(s.to_string(), "1-4,6-19");
        assert!(s.contains(6) && !s.contains(5) && !s.contains(20));
        assert_eq!(s.unread_in(1, 25), 7);
    }

    #[test]
    fn unknown_lines_and_order_survive() {
        let text = "options -n all !comp.all\ncomp.mail.misc: 1-1043,1047\n\nalt.test! 1-20\nnews.answers:\n";
        let mut n = Newsrc::parse(text);
        assert_eq!(n.to_text(), text);
        assert_eq!(n.subscribed(), ["comp.mail.misc", "news.answers"]);
        n.mark("news.answers", 3, true);
        n.set_subscribed("alt.test", true);
        n.set_subscribed("new.group", true);
        assert_eq!(
            n.to_text(),
            "options -n all !comp.all\ncomp.mail.misc: 1-1043,1047\n\nalt.test: 1-20\nnews.answers: 3\nnew.group:\n"
        );
    }
}
