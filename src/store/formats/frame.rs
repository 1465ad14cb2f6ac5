//! Framing of single-file mailboxes: where each message record starts and ends, found
//! by one sequential pass through a sliding window (a 1 GB file never sits in memory).
//!
//! - mbox: a record starts at a line beginning with `From ` (as Python's `mailbox.mbox`
//!   reads it; RFC 4155 §2); a `Content-Length` header is honoured when it ends exactly
//!   at the next `From ` line or the end of the file (mboxcl, mboxcl2), so unquoted
//!   `From ` lines inside such a body do not split it;
//! - MMDF: a record is everything from a `^A^A^A^A` line to the next one;
//! - Babyl: the file starts with a `BABYL OPTIONS:` block ending in `^_`; each record
//!   runs from `^L` to the next `^_`.
//!
//! Bytes outside any record (garbage before the first `From ` line, between MMDF records)
//! are kept as `Junk` pieces, reported with their byte offset and copied unchanged when
//! the file is rewritten. A record cut off by the end of the file is still a record,
//! with a problem naming its offset.

use super::{MboxVariant, Problem, header};
use memchr::memmem;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

const CHUNK: usize = 1 << 20;
/// Header blocks longer than this are cut for parsing (the message itself is kept).
pub const MAX_HEADER: u64 = 256 * 1024;
pub const MMDF_SEP: &[u8] = b"\x01\x01\x01\x01";
pub const BABYL_MAGIC: &[u8] = b"BABYL OPTIONS:";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Framing {
    Mbox,
    Mmdf,
    Babyl,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PieceKind {
    /// Babyl's options block at the start of the file.
    Prefix,
    /// Bytes that belong to no message.
    Junk,
    Message,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    pub start: u64,
    pub len: u64,
    pub kind: PieceKind,
}

impl Piece {
    pub fn end(&self) -> u64 {
        self.start + self.len
    }
}

/// Something the window can read at any offset (a file, or bytes in tests).
pub trait Source {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
}

impl Source for File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buf, offset)
    }
}

impl Source for &[u8] {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let start = (offset as usize).min(self.len());
        let n = buf.len().min(self.len() - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

/// A sliding window over a source: bytes from `base` on, read in chunks, released once
/// the caller no longer needs them; a jump backwards or far ahead starts it anew.
struct Window<R> {
    src: R,
    buf: Vec<u8>,
    base: u64,
    limit: u64,
    eof: bool,
}

impl<R: Source> Window<R> {
    fn end(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// Reads one more chunk; false at the end (or at `limit`).
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof || self.end() >= self.limit {
            return Ok(false);
        }
        let want = CHUNK.min((self.limit - self.end()) as usize);
        let old = self.buf.len();
        self.buf.resize(old + want, 0);
        let mut got = 0;
        while got < want {
            let at = self.base + (old + got) as u64;
            match self.src.read_at(&mut self.buf[old + got..], at) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(e);
                }
            }
        }
        self.buf.truncate(old + got);
        if got < want {
            // The file ended before the limit (it shrank meanwhile).
            self.eof = true;
        }
        Ok(got > 0)
    }

    /// Starts the window anew at `at`.
    fn reset(&mut self, at: u64) {
        self.buf.clear();
        self.base = at;
        self.eof = false;
    }

    fn ensure(&mut self, upto: u64) -> io::Result<()> {
        while self.end() < upto && self.fill()? {}
        Ok(())
    }

    /// Bytes `a..b` (cut at the end of the data).
    fn get(&mut self, a: u64, b: u64) -> io::Result<&[u8]> {
        if a < self.base {
            self.reset(a);
        }
        self.ensure(b)?;
        let lo = ((a - self.base) as usize).min(self.buf.len());
        let hi = ((b.min(self.end()) - self.base) as usize).clamp(lo, self.buf.len());
        Ok(&self.buf[lo..hi])
    }

    /// The first `pat` at or after `from`, as an absolute offset. With `release`, the
    /// bytes already searched are dropped as the search goes on.
    fn find(
        &mut self,
        from: u64,
        pat: &memmem::Finder<'_>,
        release: bool,
    ) -> io::Result<Option<u64>> {
        let n = pat.needle().len() as u64;
        if from < self.base {
            self.reset(from);
        }
        let mut at = from;
        loop {
            let lo = ((at - self.base) as usize).min(self.buf.len());
            if let Some(p) = pat.find(&self.buf[lo..]) {
                return Ok(Some(at + p as u64));
            }
            at = at.max(self.end().saturating_sub(n - 1));
            if release {
                self.release(at);
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Drops the bytes before `to` (in large steps, so the copy stays cheap).
    fn release(&mut self, to: u64) {
        if to <= self.base {
            return;
        }
        let k = ((to - self.base) as usize).min(self.buf.len());
        if k >= CHUNK || k * 2 >= self.buf.len().max(CHUNK) {
            self.buf.drain(..k);
            self.base += k as u64;
        }
    }
}

/// Finds the pieces of one single-file mailbox, in file order.
pub struct Scanner<R> {
    win: Window<R>,
    framing: Framing,
    pos: u64,
    /// Keep whole records in the window (to read them) or only their header blocks.
    keep_records: bool,
    /// The start of the last message record, up to the end of its first header block.
    head: Vec<u8>,
    pub problems: Vec<Problem>,
    from_line: memmem::Finder<'static>,
    mmdf_close: memmem::Finder<'static>,
    babyl_end: memmem::Finder<'static>,
}

impl Scanner<File> {
    /// Scans `file` from `start` up to `limit` (its size when the scan began: mail
    /// appended meanwhile is left for the next scan).
    pub fn open(
        file: File,
        framing: Framing,
        start: u64,
        limit: u64,
        keep_records: bool,
    ) -> Scanner<File> {
        Scanner::new(file, framing, start, limit, keep_records)
    }
}

impl<R: Source> Scanner<R> {
    pub fn new(src: R, framing: Framing, start: u64, limit: u64, keep_records: bool) -> Self {
        Scanner {
            win: Window {
                src,
                buf: Vec::with_capacity(CHUNK),
                base: start,
                limit,
                eof: false,
            },
            framing,
            pos: start,
            keep_records,
            head: Vec::new(),
            problems: Vec::new(),
            from_line: memmem::Finder::new(b"\nFrom "),
            mmdf_close: memmem::Finder::new(b"\n\x01\x01\x01\x01"),
            babyl_end: memmem::Finder::new(b"\x1f"),
        }
    }

    /// Where the next piece starts.
    pub fn position(&self) -> u64 {
        self.pos
    }

    pub fn limit(&self) -> u64 {
        self.win.limit
    }

    /// Bytes `a..b` of the file (with `keep_records`, a whole record after `next_piece`
    /// returned it is in the window already).
    pub fn bytes(&mut self, a: u64, b: u64) -> io::Result<&[u8]> {
        self.win.get(a, b)
    }

    /// The first bytes of the last message record: its framing lines and its header
    /// block (at most `MAX_HEADER`), never past the record's end.
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    fn problem(&mut self, at: u64, what: impl Into<String>) {
        self.problems.push(Problem {
            at: format!("byte {at}"),
            what: what.into(),
        });
    }

    /// The next piece, or None at the end.
    pub fn next_piece(&mut self) -> io::Result<Option<Piece>> {
        let start = self.pos;
        self.win.release(start);
        if start >= self.win.limit {
            return Ok(None);
        }
        let first = self.win.get(start, start + 16)?.to_vec();
        if first.is_empty() {
            return Ok(None);
        }
        let piece = match self.framing {
            Framing::Mbox => self.mbox_piece(start, &first)?,
            Framing::Mmdf => self.mmdf_piece(start, &first)?,
            Framing::Babyl => self.babyl_piece(start, &first)?,
        };
        if piece.kind == PieceKind::Message {
            self.head.truncate(piece.len as usize);
        }
        self.pos = piece.end();
        Ok(Some(piece))
    }

    /// Keeps the record's first bytes up to the end of its first header block.
    fn take_head(&mut self, start: u64) -> io::Result<()> {
        let mut want = 64 * 1024;
        loop {
            let b = self.win.get(start, start + want)?;
            let end = header::header_end(b);
            if end.is_some() || (b.len() as u64) < want || want >= MAX_HEADER {
                let n = end.unwrap_or(b.len());
                self.head.clear();
                self.head.extend_from_slice(&b[..n]);
                return Ok(());
            }
            want = MAX_HEADER;
        }
    }

    fn data_end(&mut self) -> io::Result<u64> {
        // The file may be shorter than the limit (it shrank meanwhile).
        if !self.keep_records {
            let end = self.win.end();
            self.win.release(end);
        }
        while self.win.fill()? {
            if !self.keep_records {
                let end = self.win.end();
                self.win.release(end);
            }
        }
        Ok(self.win.end().min(self.win.limit))
    }

    fn junk_until(&mut self, start: u64, next: Option<u64>, what: &str) -> io::Result<Piece> {
        let end = match next {
            Some(e) => e,
            None => self.data_end()?,
        };
        let blank = self
            .win
            .get(start, end.min(start + 4096))?
            .iter()
            .all(|c| c.is_ascii_whitespace());
        if !blank || end - start > 4096 {
            self.problem(start, what);
        }
        Ok(Piece {
            start,
            len: end - start,
            kind: PieceKind::Junk,
        })
    }

    fn mbox_piece(&mut self, start: u64, first: &[u8]) -> io::Result<Piece> {
        let release = !self.keep_records;
        if !first.starts_with(b"From ") {
            let finder = self.from_line.clone();
            let next = self.win.find(start, &finder, release)?.map(|p| p + 1);
            return self.junk_until(
                start,
                next,
                "not the start of a message (expected a \"From \" line); these bytes are kept as they are",
            );
        }
        self.take_head(start)?;
        let from_end = memchr::memchr(b'\n', &self.head).map_or(self.head.len(), |p| p + 1);
        // Content-Length (mboxcl, mboxcl2): honoured when it lands on a boundary, and
        // then the body is not even read.
        let hdr = &self.head[from_end..];
        let claimed = header::header_end(hdr).and_then(|hend| {
            let cl = header::value(&hdr[..hend], "Content-Length")?;
            let cl = std::str::from_utf8(&cl).ok()?.trim().parse::<u64>().ok()?;
            Some((start + (from_end + hend) as u64, cl))
        });
        if let Some((body_start, cl)) = claimed {
            let at = body_start.saturating_add(cl);
            match self.boundary_at(at)? {
                Boundary::Next(e) => {
                    return Ok(Piece {
                        start,
                        len: e - start,
                        kind: PieceKind::Message,
                    });
                }
                Boundary::PastEnd(end) => self.problem(
                    start,
                    format!(
                        "Content-Length says {cl} bytes but the file ends {} bytes into the body (cut off?)",
                        end.saturating_sub(body_start)
                    ),
                ),
                Boundary::No => {}
            }
        }
        let finder = self.from_line.clone();
        let search = (start + from_end as u64).saturating_sub(1).max(start);
        let next = self.win.find(search, &finder, release)?.map(|p| p + 1);
        let end = match next {
            Some(e) => e,
            None => self.data_end()?,
        };
        Ok(Piece {
            start,
            len: end - start,
            kind: PieceKind::Message,
        })
    }

    /// Whether a record may end at `at`: at most one line end, then `From ` or the end
    /// of the file.
    fn boundary_at(&mut self, at: u64) -> io::Result<Boundary> {
        if at > self.win.limit {
            let end = self.data_end()?;
            return Ok(Boundary::PastEnd(end));
        }
        if !self.keep_records && at > self.win.end() {
            self.win.reset(at);
        }
        let b = self.win.get(at, at + 8)?.to_vec();
        let skip = if b.starts_with(b"\r\n") {
            2
        } else if b.starts_with(b"\n") {
            1
        } else {
            0
        };
        let rest = &b[skip..];
        if rest.is_empty() {
            let end = at + skip as u64;
            if end >= self.win.limit {
                return Ok(Boundary::Next(self.win.limit));
            }
            // The file is shorter than the scan's limit.
            return Ok(Boundary::PastEnd(self.win.end()));
        }
        Ok(if rest.starts_with(b"From ") {
            Boundary::Next(at + skip as u64)
        } else {
            Boundary::No
        })
    }

    fn mmdf_piece(&mut self, start: u64, first: &[u8]) -> io::Result<Piece> {
        let release = !self.keep_records;
        let open_len = if first.starts_with(b"\x01\x01\x01\x01\n") {
            5
        } else if first.starts_with(b"\x01\x01\x01\x01\r\n") {
            6
        } else {
            let f = memmem::Finder::new(b"\n\x01\x01\x01\x01\n");
            let next = self.win.find(start, &f, release)?.map(|p| p + 1);
            return self.junk_until(
                start,
                next,
                "not the start of a message (expected a ^A^A^A^A line); these bytes are kept as they are",
            );
        };
        self.take_head(start)?;
        let close = self.mmdf_close.clone();
        let mut from = start + open_len - 1;
        loop {
            match self.win.find(from, &close, release)? {
                Some(p) => {
                    let after = self.win.get(p + 5, p + 7)?.to_vec();
                    let eol = if after.starts_with(b"\n") {
                        Some(1)
                    } else if after.starts_with(b"\r\n") {
                        Some(2)
                    } else if after.is_empty() {
                        Some(0)
                    } else {
                        None
                    };
                    match eol {
                        Some(n) => {
                            return Ok(Piece {
                                start,
                                len: p + 5 + n - start,
                                kind: PieceKind::Message,
                            });
                        }
                        None => from = p + 1,
                    }
                }
                None => {
                    let end = self.data_end()?;
                    self.problem(
                        start,
                        "message has no closing ^A^A^A^A line (the file was cut off?)",
                    );
                    return Ok(Piece {
                        start,
                        len: end - start,
                        kind: PieceKind::Message,
                    });
                }
            }
        }
    }

    fn babyl_piece(&mut self, start: u64, first: &[u8]) -> io::Result<Piece> {
        let release = !self.keep_records;
        let end_finder = self.babyl_end.clone();
        if start == 0 && first.starts_with(BABYL_MAGIC) {
            let end = match self.win.find(0, &end_finder, release)? {
                Some(p) => p + 1,
                None => {
                    self.problem(0, "the BABYL OPTIONS block never ends (no ^_)");
                    self.data_end()?
                }
            };
            return Ok(Piece {
                start,
                len: end,
                kind: PieceKind::Prefix,
            });
        }
        if start == 0 {
            self.problem(0, "no \"BABYL OPTIONS:\" block at the start of the file");
        }
        if !(first.starts_with(b"\x0c\n") || first.starts_with(b"\x0c\r\n")) {
            let f = memmem::Finder::new(b"\x1f\x0c");
            let next = self.win.find(start, &f, release)?.map(|p| p + 1);
            return self.junk_until(
                start,
                next,
                "not the start of a message (expected ^L); these bytes are kept as they are",
            );
        }
        self.take_head(start)?;
        match self.win.find(start + 1, &end_finder, release)? {
            Some(p) => Ok(Piece {
                start,
                len: p + 1 - start,
                kind: PieceKind::Message,
            }),
            None => {
                let end = self.data_end()?;
                self.problem(start, "message has no closing ^_ (the file was cut off?)");
                Ok(Piece {
                    start,
                    len: end - start,
                    kind: PieceKind::Message,
                })
            }
        }
    }
}

enum Boundary {
    /// A record may end here; the next one starts at this offset.
    Next(u64),
    /// The offset is past the end of the data (which ends here).
    PastEnd(u64),
    No,
}

/// The framing of a file, from its first bytes; None for an empty file; an error for
/// one that is none of the three.
pub fn detect_file(path: &Path) -> io::Result<Option<Framing>> {
    let mut f = File::open(path)?;
    let mut head = vec![0u8; 64 * 1024];
    let mut n = 0;
    // The first bytes tell a sound file (the folder poller asks every two seconds);
    // only a damaged one is searched further.
    let mut want = 16;
    while n < want {
        match f.read(&mut head[n..want])? {
            0 => break,
            k => n += k,
        }
        let h = &head[..n];
        let magic = h.starts_with(b"From ")
            || h.starts_with(MMDF_SEP)
            || h.starts_with(BABYL_MAGIC)
            || h.starts_with(b"\x0c\n");
        if n == want && !magic && want < head.len() {
            want = head.len();
        }
    }
    let head = &head[..n];
    Ok(if head.is_empty() {
        None
    } else if head.starts_with(b"From ") {
        Some(Framing::Mbox)
    } else if head.starts_with(MMDF_SEP) {
        Some(Framing::Mmdf)
    } else if head.starts_with(BABYL_MAGIC) || head.starts_with(b"\x0c\n") {
        Some(Framing::Babyl)
    } else if memmem::find(head, b"\n\x01\x01\x01\x01\n").is_some() {
        // Damaged at the start: junk, then records (kept, and reported, as junk).
        Some(Framing::Mmdf)
    } else if memmem::find(head, b"\x1f\x0c\n").is_some() {
        Some(Framing::Babyl)
    } else if memmem::find(head, b"\nFrom ").is_some() {
        Some(Framing::Mbox)
    } else {
        None
    })
}

/// The mbox variant a file looks written in, from its first messages: Content-Length on
/// every one of them makes it mboxcl (mboxcl2 when a body holds an unquoted `From `
/// line), else mboxrd. Reads at most 8 MB.
pub fn detect_variant(path: &Path) -> io::Result<MboxVariant> {
    let f = File::open(path)?;
    let size = f.metadata()?.len().min(8 << 20);
    // Reads at most `size` bytes: the last record may be cut (it is skipped).
    let mut sc = Scanner::new(f, Framing::Mbox, 0, size, true);
    let (mut total, mut with_cl, mut unquoted) = (0, 0, false);
    while let Some(p) = sc.next_piece()? {
        if p.kind != PieceKind::Message || p.end() >= size {
            continue;
        }
        total += 1;
        let rec = sc.bytes(p.start, p.end())?;
        let body_from = memchr::memchr(b'\n', rec).map_or(rec.len(), |i| i + 1);
        if let Some(h) = header::header_end(&rec[body_from..]) {
            let hdr = &rec[body_from..body_from + h];
            if header::value(hdr, "Content-Length").is_some() {
                with_cl += 1;
                if memmem::find(&rec[body_from + h..], b"\nFrom ").is_some()
                    || rec[body_from + h..].starts_with(b"From ")
                {
                    unquoted = true;
                }
            }
        }
        if total >= 50 {
            break;
        }
    }
    Ok(if total > 0 && with_cl == total {
        if unquoted {
            MboxVariant::Mboxcl2
        } else {
            MboxVariant::Mboxcl
        }
    } else {
        MboxVariant::Mboxrd
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(framing: Framing, data: &[u8]) -> (Vec<(u64, u64, PieceKind)>, Vec<Problem>) {
        let mut sc = Scanner::new(data, framing, 0, data.len() as u64, false);
        let mut out = Vec::new();
        while let Some(p) = sc.next_piece().unwrap() {
            out.push((p.start, p.len, p.kind));
        }
        (out, sc.problems)
    }

    #[test]
    fn mbox_records_split_at_from_lines() {
        let d = b"From a\nS: 1\n\nx\n\nFrom b\nS: 2\n\ny\n";
        let (p, probs) = pieces(Framing::Mbox, d);
        assert_eq!(
            p,
            vec![(0, 16, PieceKind::Message), (16, 15, PieceKind::Message)]
        );
        assert!(probs.is_empty());
    }

    #[test]
    fn mbox_content_length_spans_unquoted_from_lines() {
        let d = b"From a\nContent-Length: 13\n\nFrom inside\n\n\nFrom b\n\ny\n";
        let (p, _) = pieces(Framing::Mbox, d);
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[1].0, 41);
        // A wrong Content-Length is ignored.
        let d = b"From a\nContent-Length: 3\n\nabcdef\n\nFrom b\n\ny\n";
        let (p, probs) = pieces(Framing::Mbox, d);
        assert_eq!(p.len(), 2);
        assert!(probs.is_empty());
    }

    #[test]
    fn junk_and_cut_off_records_are_reported_with_offsets() {
        let d = b"garbage\nFrom a\n\nx\n";
        let (p, probs) = pieces(Framing::Mbox, d);
        assert_eq!(p[0], (0, 8, PieceKind::Junk));
        assert_eq!(probs[0].at, "byte 0");
        let d = b"\x01\x01\x01\x01\nA: 1\n\nx\n\x01\x01\x01\x01\n\x01\x01\x01\x01\nB: 2\n";
        let (p, probs) = pieces(Framing::Mmdf, d);
        assert_eq!(p.len(), 2);
        assert_eq!(probs.len(), 1);
        assert!(probs[0].what.contains("no closing"), "{probs:?}");
        assert_eq!(probs[0].at, "byte 18");
    }

    #[test]
    fn babyl_prefix_and_records() {
        let d = b"BABYL OPTIONS:\nVersion: 5\n\x1f\x0c\n1,,\nA: 1\n\n*** EOOH ***\nA: 1\n\nx\n\x1f\x0c\n1,,\n\x1f";
        let (p, probs) = pieces(Framing::Babyl, d);
        assert_eq!(p[0], (0, 27, PieceKind::Prefix));
        assert_eq!(p.len(), 3);
        assert_eq!(p[2].2, PieceKind::Message);
        assert!(probs.is_empty());
    }

    #[test]
    fn small_window_steps_find_the_same_records() {
        // Records far larger than one chunk.
        let mut d = Vec::new();
        for i in 0..3 {
            d.extend_from_slice(format!("From x{i}\nA: {i}\n\n").as_bytes());
            d.extend(std::iter::repeat_n(b'a', CHUNK + 17));
            d.extend_from_slice(b"\n\n");
        }
        let (p, _) = pieces(Framing::Mbox, &d);
        assert_eq!(p.len(), 3);
        assert_eq!(p.iter().map(|x| x.1).sum::<u64>(), d.len() as u64);
    }
}
