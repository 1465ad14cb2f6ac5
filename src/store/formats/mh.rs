//! An MH folder (nmh(7), mh-sequence(5)): a directory whose messages are files named by
//! number, and `.mh_sequences` with lines `name: 1-3 7`. Flags live in the sequences
//! Python's `MHMessage` knows: `unseen` (not seen), `replied`, `flagged`. Every other
//! sequence and line (`cur`, private ones, lines we cannot parse) is kept as it is; the
//! profile and `context` files are never touched.
//!
//! Writes: a new message goes to a dot file, is fsynced and hard-linked to the next
//! free number (a link never replaces a file), then the directory is fsynced;
//! `.mh_sequences` is rewritten through a new file renamed into place, under the same
//! locks Python takes on it (fcntl + dot-lock, plus flock).

use super::codec;
use super::header::{self, IdAssigner};
use super::lock::{self, MailLock};
use super::{Mail, Problem};
use crate::core::Flags;
use crate::store::StoreError;
use crate::store::delivery::{fsync_dir, remove_if_present};
use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);
const SEQUENCES: &str = ".mh_sequences";

/// Whether a directory looks like an MH folder (numbered files or `.mh_sequences`).
pub fn is_mh(dir: &Path) -> bool {
    dir.join(SEQUENCES).is_file() || numbers_in(dir).is_ok_and(|n| !n.is_empty())
}

/// Whether a directory holds numbered message files.
pub fn has_messages(dir: &Path) -> bool {
    numbers_in(dir).is_ok_and(|n| !n.is_empty())
}

fn numbers_in(dir: &Path) -> io::Result<Vec<u32>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.is_empty()
            && name.bytes().all(|c| c.is_ascii_digit())
            && let Ok(n) = name.parse::<u32>()
            && n > 0
            && e.file_type().is_ok_and(|t| t.is_file())
        {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// One line of `.mh_sequences`: a sequence, or something kept as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum SeqLine {
    Seq { name: String, keys: BTreeSet<u32> },
    Other(String),
}

/// The sequences of a folder, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sequences {
    lines: Vec<SeqLine>,
}

impl Sequences {
    pub fn parse(text: &str) -> Sequences {
        // A line starting with white space continues the one before (as nmh reads it).
        let mut logical: Vec<String> = Vec::new();
        for l in text.lines() {
            match logical.last_mut() {
                Some(prev) if l.starts_with([' ', '\t']) => {
                    prev.push(' ');
                    prev.push_str(l.trim());
                }
                _ => logical.push(l.to_string()),
            }
        }
        let lines = logical
            .into_iter()
            .map(|l| {
                let parsed = l.split_once(':').and_then(|(name, specs)| {
                    let name = name.trim();
                    if name.is_empty() || name.contains(char::is_whitespace) {
                        return None;
                    }
                    let mut keys = BTreeSet::new();
                    for spec in specs.split_whitespace() {
                        match spec.split_once('-') {
                            Some((a, b)) => {
                                let (a, b) = (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?);
                                if b < a || b - a > 10_000_000 {
                                    return None;
                                }
                                keys.extend(a..=b);
                            }
                            None => {
                                keys.insert(spec.parse().ok()?);
                            }
                        }
                    }
                    Some(SeqLine::Seq {
                        name: name.to_string(),
                        keys,
                    })
                });
                parsed.unwrap_or(SeqLine::Other(l))
            })
            .collect();
        Sequences { lines }
    }

    pub fn contains(&self, name: &str, n: u32) -> bool {
        self.lines
            .iter()
            .any(|l| matches!(l, SeqLine::Seq { name: s, keys } if s == name && keys.contains(&n)))
    }

    fn set(&mut self, name: &str, n: u32, on: bool) {
        for l in &mut self.lines {
            if let SeqLine::Seq { name: s, keys } = l
                && s == name
            {
                if on {
                    keys.insert(n);
                } else {
                    keys.remove(&n);
                }
                return;
            }
        }
        if on {
            self.lines.push(SeqLine::Seq {
                name: name.to_string(),
                keys: [n].into_iter().collect(),
            });
        }
    }

    /// Takes message `n` out of every sequence (it was removed).
    pub fn forget(&mut self, n: u32) {
        for l in &mut self.lines {
            if let SeqLine::Seq { keys, .. } = l {
                keys.remove(&n);
            }
        }
    }

    pub fn flags(&self, n: u32) -> Flags {
        let mut f = Flags::empty();
        if !self.contains("unseen", n) {
            f.insert(Flags::SEEN);
        }
        if self.contains("replied", n) {
            f.insert(Flags::REPLIED);
        }
        if self.contains("flagged", n) {
            f.insert(Flags::FLAGGED);
        }
        f
    }

    pub fn set_flags(&mut self, n: u32, f: Flags) {
        self.set("unseen", n, !f.contains(Flags::SEEN));
        self.set("replied", n, f.contains(Flags::REPLIED));
        self.set("flagged", n, f.contains(Flags::FLAGGED));
    }

    /// The file text (`name: 1-3 7`, empty sequences left out, as Python writes them).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            match l {
                SeqLine::Other(t) => {
                    out.push_str(t);
                    out.push('\n');
                }
                SeqLine::Seq { name, keys } if !keys.is_empty() => {
                    out.push_str(name);
                    out.push(':');
                    let v: Vec<u32> = keys.iter().copied().collect();
                    let mut i = 0;
                    while i < v.len() {
                        let mut j = i;
                        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
                            j += 1;
                        }
                        if j > i {
                            out.push_str(&format!(" {}-{}", v[i], v[j]));
                        } else {
                            out.push_str(&format!(" {}", v[i]));
                        }
                        i = j + 1;
                    }
                    out.push('\n');
                }
                SeqLine::Seq { .. } => {}
            }
        }
        out
    }
}

/// One message of an MH folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MhMessage {
    pub number: u32,
    pub id: String,
    pub hash: u64,
    pub flags: Flags,
    pub size: u64,
    /// Its header block (for the envelope fields).
    pub header: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct MhFolder {
    dir: PathBuf,
}

impl MhFolder {
    pub fn new(dir: impl Into<PathBuf>) -> MhFolder {
        MhFolder { dir: dir.into() }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Creates the directory (0700) and an empty `.mh_sequences`, as Python does.
    pub fn create(&self) -> Result<(), StoreError> {
        fs::create_dir_all(&self.dir).map_err(StoreError::io("create directory", &self.dir))?;
        let _ = fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700));
        let seq = self.dir.join(SEQUENCES);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&seq)
        {
            Ok(_) => fsync_dir(&self.dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(StoreError::io("create", &seq)(e)),
        }
    }

    pub fn numbers(&self) -> Result<Vec<u32>, StoreError> {
        numbers_in(&self.dir).map_err(StoreError::io("read directory", &self.dir))
    }

    pub fn sequences(&self) -> Result<Sequences, StoreError> {
        let p = self.dir.join(SEQUENCES);
        match fs::read(&p) {
            Ok(b) => Ok(Sequences::parse(&String::from_utf8_lossy(&b))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Sequences::default()),
            Err(e) => Err(StoreError::io("read", &p)(e)),
        }
    }

    pub fn file(&self, n: u32) -> PathBuf {
        self.dir.join(n.to_string())
    }

    /// The bytes of message `n`.
    pub fn read(&self, n: u32) -> Result<Vec<u8>, StoreError> {
        let p = self.file(n);
        fs::read(&p).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => StoreError::NotFound {
                path: self.dir.clone(),
                id: n.to_string(),
            },
            _ => StoreError::io("read", &p)(e),
        })
    }

    /// The header block of message `n` (at most `frame::MAX_HEADER`) and its size.
    pub fn head(&self, n: u32) -> io::Result<(Vec<u8>, u64)> {
        let mut f = File::open(self.file(n))?;
        let size = f.metadata()?.len();
        let mut buf = Vec::with_capacity(8192);
        let mut chunk = [0u8; 8192];
        loop {
            let k = f.read(&mut chunk)?;
            if k == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..k]);
            if let Some(e) = header::header_end(&buf) {
                buf.truncate(e);
                break;
            }
            if buf.len() as u64 >= super::frame::MAX_HEADER {
                break;
            }
        }
        Ok((buf, size))
    }

    /// Every message with its id and flags; files that cannot be read are problems.
    pub fn list(&self) -> Result<(Vec<MhMessage>, Vec<Problem>), StoreError> {
        let seqs = self.sequences()?;
        let mut ids = IdAssigner::default();
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for n in self.numbers()? {
            match self.head(n) {
                Ok((h, size)) => {
                    let hash = header::content_hash(&h);
                    out.push(MhMessage {
                        number: n,
                        id: ids.assign(hash),
                        hash,
                        flags: seqs.flags(n),
                        size,
                        header: h,
                    });
                }
                Err(e) => problems.push(Problem {
                    at: format!("message {n}"),
                    what: e.to_string(),
                }),
            }
        }
        Ok((out, problems))
    }

    /// The number of the message with content id `id` (reads the folder's headers).
    pub fn number_of(&self, id: &str) -> Result<u32, StoreError> {
        let (list, _) = self.list()?;
        list.into_iter()
            .find(|m| m.id == id)
            .map(|m| m.number)
            .ok_or_else(|| StoreError::NotFound {
                path: self.dir.clone(),
                id: id.to_string(),
            })
    }

    /// Whether message `n` still has the content id `id`.
    pub fn holds(&self, n: u32, id: &str) -> bool {
        let hash = id.split('-').next().unwrap_or(id);
        self.head(n)
            .is_ok_and(|(h, _)| format!("{:016x}", header::content_hash(&h)) == hash)
    }

    fn lock(&self) -> Result<(File, MailLock), StoreError> {
        let p = self.dir.join(SEQUENCES);
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&p)
            .map_err(StoreError::io("open for writing", &p))?;
        let l = MailLock::acquire(&p, &f, lock::WAIT)?;
        Ok((f, l))
    }

    fn write_sequences(&self, s: &Sequences) -> Result<(), StoreError> {
        let p = self.dir.join(SEQUENCES);
        let tmp = self.dir.join(format!(
            ".mh_sequences.posthorn-{}-{}",
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let mode = fs::metadata(&p)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o600);
        let write = || -> io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(s.render().as_bytes())?;
            f.sync_all()?;
            fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))?;
            fs::rename(&tmp, &p)
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(StoreError::io("write", &p)(e));
        }
        fsync_dir(&self.dir)
    }

    /// Sets the flags of messages (by number) in `.mh_sequences`.
    pub fn set_flags(&self, changes: &[(u32, Flags)]) -> Result<(), StoreError> {
        let (_f, _lock) = self.lock()?;
        let mut s = self.sequences()?;
        let before = s.clone();
        for (n, flags) in changes {
            if !self.file(*n).exists() {
                return Err(StoreError::NotFound {
                    path: self.dir.clone(),
                    id: n.to_string(),
                });
            }
            s.set_flags(*n, *flags);
        }
        if s != before {
            self.write_sequences(&s)?;
        }
        Ok(())
    }

    /// Adds messages durably; returns their numbers.
    pub fn add(&self, mails: &[Mail]) -> Result<Vec<u32>, StoreError> {
        if !self.dir.is_dir() {
            self.create()?;
        }
        let (_f, _lock) = self.lock()?;
        let mut next = self.numbers()?.last().copied().unwrap_or(0) + 1;
        let mut out = Vec::with_capacity(mails.len());
        for m in mails {
            let tmp = self.dir.join(format!(
                ".posthorn-tmp-{}-{}",
                std::process::id(),
                TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            let write = || -> io::Result<()> {
                let mut f = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&tmp)?;
                f.write_all(&codec::plain(&m.bytes))?;
                f.sync_all()
            };
            if let Err(e) = write() {
                let _ = fs::remove_file(&tmp);
                return Err(StoreError::io("write", &tmp)(e));
            }
            loop {
                match fs::hard_link(&tmp, self.file(next)) {
                    Ok(()) => break,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => next += 1,
                    Err(e) => {
                        let _ = fs::remove_file(&tmp);
                        return Err(StoreError::io("link", self.file(next))(e));
                    }
                }
            }
            remove_if_present(&tmp)?;
            out.push(next);
            next += 1;
        }
        fsync_dir(&self.dir)?;
        let mut s = self.sequences()?;
        for (n, m) in out.iter().zip(mails) {
            s.set_flags(*n, m.flags);
        }
        self.write_sequences(&s)?;
        Ok(out)
    }

    /// Removes messages (their files, and them from every sequence).
    pub fn remove(&self, numbers: &[u32]) -> Result<(), StoreError> {
        let (_f, _lock) = self.lock()?;
        for n in numbers {
            remove_if_present(&self.file(*n))?;
        }
        fsync_dir(&self.dir)?;
        let mut s = self.sequences()?;
        for n in numbers {
            s.forget(*n);
        }
        self.write_sequences(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_parse_and_render_like_python() {
        let mut s = Sequences::parse("cur: 4\nunseen: 1-3 5\n  7\nbogus line\nflagged: 2\n");
        assert!(s.contains("unseen", 7) && s.contains("unseen", 2) && !s.contains("unseen", 4));
        assert_eq!(s.flags(2), Flags::FLAGGED);
        assert_eq!(s.flags(4), Flags::SEEN);
        s.set_flags(2, Flags::SEEN.union(Flags::REPLIED));
        assert_eq!(
            s.render(),
            "cur: 4\nunseen: 1 3 5 7\nbogus line\nreplied: 2\n"
        );
    }
}
