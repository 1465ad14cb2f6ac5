//! Header block helpers shared by the formats (RFC 5322 §2.2: a field is a line that
//! does not start with white space plus its continuation lines; the block ends at the
//! first empty line), the content id of a message, and the flag mapping of mbox and
//! MMDF (`Status` R/O and `X-Status` D/F/A, as Python's `mboxMessage` and mutt read
//! them).
//!
//! Works on bytes (headers may hold 8-bit text and CRLF line ends); pure functions.

use crate::core::Flags;
use memchr::memmem;

/// Fields a writer changes without changing the message: left out of the content id.
const VOLATILE: &[&str] = &[
    "status",
    "x-status",
    "content-length",
    "lines",
    "x-uid",
    "x-keywords",
    "x-imap",
    "x-imapbase",
];

/// Where the header block ends: the offset just after its empty line (`\n\n` or
/// `\r\n\r\n`), or None when the bytes hold no empty line.
pub fn header_end(b: &[u8]) -> Option<usize> {
    if b.starts_with(b"\n") {
        return Some(1);
    }
    if b.starts_with(b"\r\n") {
        return Some(2);
    }
    let lf = memmem::find(b, b"\n\n").map(|p| p + 2);
    let crlf = memmem::find(b, b"\n\r\n").map(|p| p + 3);
    match (lf, crlf) {
        (Some(a), Some(c)) => Some(a.min(c)),
        (a, c) => a.or(c),
    }
}

/// The fields of a header block: (name, the whole field including continuation lines
/// and its line end). Stops at the empty line.
pub fn fields(header: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < header.len() {
        let line_end = |from: usize| {
            memchr::memchr(b'\n', &header[from..]).map_or(header.len(), |p| from + p + 1)
        };
        if header[i] == b'\n' || header[i..].starts_with(b"\r\n") {
            break;
        }
        let start = i;
        let mut end = line_end(i);
        while end < header.len() && (header[end] == b' ' || header[end] == b'\t') {
            end = line_end(end);
        }
        let field = &header[start..end];
        let name = match memchr::memchr(b':', field) {
            Some(c) => trim_ascii(&field[..c]),
            None => &field[..0],
        };
        out.push((name, field));
        i = end;
    }
    out
}

/// The value of the first field named `name` (case-insensitive), unfolded and trimmed.
pub fn value(header: &[u8], name: &str) -> Option<Vec<u8>> {
    fields(header)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, f)| {
            let v = memchr::memchr(b':', f).map_or(&f[..0], |c| &f[c + 1..]);
            let unfolded: Vec<u8> = v
                .iter()
                .copied()
                .filter(|&c| c != b'\r' && c != b'\n')
                .collect();
            trim_ascii(&unfolded).to_vec()
        })
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &b[start..end.max(start)]
}

/// The header block with the named fields removed (names lower-case).
pub fn without(header: &[u8], names: &[&str]) -> Vec<u8> {
    let fs = fields(header);
    let body_start: usize = fs.iter().map(|(_, f)| f.len()).sum();
    let mut out = Vec::with_capacity(header.len());
    for (n, f) in fs {
        if !names.iter().any(|x| n.eq_ignore_ascii_case(x.as_bytes())) {
            out.extend_from_slice(f);
        }
    }
    out.extend_from_slice(&header[body_start.min(header.len())..]);
    out
}

/// The line end a header block uses (`\r\n` when its first line ends so).
pub fn line_end(header: &[u8]) -> &'static [u8] {
    match memchr::memchr(b'\n', header) {
        Some(p) if p > 0 && header[p - 1] == b'\r' => b"\r\n",
        _ => b"\n",
    }
}

/// Inserts `lines` (each without its line end) at the end of the field list, before
/// the empty line.
pub fn with_fields(header: &[u8], lines: &[Vec<u8>]) -> Vec<u8> {
    let eol = line_end(header);
    let fs = fields(header);
    let fields_len: usize = fs.iter().map(|(_, f)| f.len()).sum();
    let fields_len = fields_len.min(header.len());
    let mut out = Vec::with_capacity(header.len() + 64);
    out.extend_from_slice(&header[..fields_len]);
    // A last field cut off without its line end (a message that is only a header).
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.extend_from_slice(eol);
    }
    for l in lines {
        out.extend_from_slice(l);
        out.extend_from_slice(eol);
    }
    out.extend_from_slice(&header[fields_len..]);
    out
}

/// FNV-1a, 64 bits: stable across releases and platforms (ids live in the index).
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, b: &[u8]) {
        for &c in b {
            self.0 ^= u64::from(c);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The content id of a message: a hash of its header block without the fields writers
/// change (`Status`, `X-Status`, `Content-Length`, ...), line ends normalised to LF. The
/// same message has the same id in every format; `IdAssigner` makes duplicates unique.
pub fn content_hash(header: &[u8]) -> u64 {
    let mut h = Fnv::new();
    for (name, field) in fields(header) {
        if VOLATILE
            .iter()
            .any(|v| name.eq_ignore_ascii_case(v.as_bytes()))
        {
            continue;
        }
        for part in field.split(|&c| c == b'\r') {
            h.write(part);
        }
    }
    h.0
}

/// Gives each message of one folder its id: the content hash in hex, and for the n-th
/// message with the same hash (n >= 2) the suffix `-n`, in file order.
#[derive(Default)]
pub struct IdAssigner {
    seen: std::collections::HashMap<u64, u32>,
}

impl IdAssigner {
    pub fn assign(&mut self, hash: u64) -> String {
        let n = self.seen.entry(hash).or_insert(0);
        *n += 1;
        if *n == 1 {
            format!("{hash:016x}")
        } else {
            format!("{hash:016x}-{n}")
        }
    }

    /// Counts an id as taken (one already known in this folder).
    pub fn reserve(&mut self, id: &str) {
        let hash = id.split('-').next().unwrap_or(id);
        let n: u32 = id
            .split_once('-')
            .and_then(|(_, n)| n.parse().ok())
            .unwrap_or(1);
        if let Ok(h) = u64::from_str_radix(hash, 16) {
            let e = self.seen.entry(h).or_insert(0);
            *e = (*e).max(n);
        }
    }
}

/// Flags from mbox/MMDF `Status` and `X-Status` (letters of both count, as Python's
/// `mboxMessage.get_flags` reads them): R seen, A answered, F flagged, D deleted.
pub fn status_flags(header: &[u8]) -> Flags {
    let mut letters = value(header, "Status").unwrap_or_default();
    letters.extend(value(header, "X-Status").unwrap_or_default());
    let mut f = Flags::empty();
    for c in letters {
        match c {
            b'R' => f.insert(Flags::SEEN),
            b'A' => f.insert(Flags::REPLIED),
            b'F' => f.insert(Flags::FLAGGED),
            b'D' => f.insert(Flags::TRASHED),
            _ => {}
        }
    }
    f
}

/// The header block with `Status`/`X-Status` set for `flags`, keeping letters we do not
/// model (`O` stays, and is added once a message is seen, as mutt does).
pub fn with_status(header: &[u8], flags: Flags) -> Vec<u8> {
    let old_status = value(header, "Status").unwrap_or_default();
    let old_x = value(header, "X-Status").unwrap_or_default();
    let mut status = Vec::new();
    if flags.contains(Flags::SEEN) {
        status.push(b'R');
    }
    if flags.contains(Flags::SEEN) || old_status.contains(&b'O') {
        status.push(b'O');
    }
    status.extend(
        old_status
            .iter()
            .filter(|c| c.is_ascii_alphabetic() && !b"ROADF".contains(c)),
    );
    let mut x = Vec::new();
    for (flag, letter) in [
        (Flags::TRASHED, b'D'),
        (Flags::FLAGGED, b'F'),
        (Flags::REPLIED, b'A'),
    ] {
        if flags.contains(flag) {
            x.push(letter);
        }
    }
    x.extend(
        old_x
            .iter()
            .filter(|c| c.is_ascii_alphabetic() && !b"ROADF".contains(c)),
    );
    let base = without(header, &["status", "x-status"]);
    let mut lines = Vec::new();
    if !status.is_empty() {
        lines.push([b"Status: ".as_slice(), &status].concat());
    }
    if !x.is_empty() {
        lines.push([b"X-Status: ".as_slice(), &x].concat());
    }
    with_fields(&base, &lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_continuations_and_stop_at_the_empty_line() {
        let h = b"A: 1\nB: two\n  more\nC: 3\n\nbody: no\n";
        let f = fields(h);
        assert_eq!(f.len(), 3);
        assert_eq!(f[1], (&b"B"[..], &b"B: two\n  more\n"[..]));
        assert_eq!(value(h, "b").unwrap(), b"two  more");
        assert_eq!(header_end(h), Some(h.len() - 9));
    }

    #[test]
    fn status_round_trip_keeps_unknown_letters() {
        let h = b"Subject: x\r\nStatus: OU\r\nX-Status: T\r\n\r\n";
        let n = with_status(h, Flags::SEEN.union(Flags::FLAGGED));
        assert_eq!(
            n,
            b"Subject: x\r\nStatus: ROU\r\nX-Status: FT\r\n\r\n".to_vec()
        );
        assert_eq!(status_flags(&n), Flags::SEEN.union(Flags::FLAGGED));
        let none = with_status(b"S: 1\n\n", Flags::empty());
        assert_eq!(none, b"S: 1\n\n");
    }

    #[test]
    fn content_hash_ignores_status_and_line_ends() {
        let a = content_hash(b"From: a\nStatus: R\nSubject: s\n\n");
        let b = content_hash(b"From: a\r\nSubject: s\r\nX-Status: F\r\n\r\n");
        assert_eq!(a, b);
        assert_ne!(a, content_hash(b"From: b\nSubject: s\n\n"));
        let mut ids = IdAssigner::default();
        assert_eq!(ids.assign(5), "0000000000000005");
        assert_eq!(ids.assign(5), "0000000000000005-2");
        let mut r = IdAssigner::default();
        r.reserve("0000000000000005-2");
        assert_eq!(r.assign(5), "0000000000000005-3");
    }
}
