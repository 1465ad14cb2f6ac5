//! One stored record <-> one message, per framing:
//!
//! - mbox: `From ` line, message, one empty line. Bodies are quoted by the variant
//!   (mboxrd: every `>*From ` line gets one more `>`, and reading takes one off; mboxo
//!   and mboxcl: only `From ` lines, reading takes `>` off `>From `; mboxcl2: none) and
//!   mboxcl/mboxcl2 add `Content-Length`. A record framed by its Content-Length is read
//!   as mboxcl2 when its body holds an unquoted `From ` line, else as mboxcl. Flags are
//!   `Status`/`X-Status`, as in Python's `mboxMessage`.
//! - MMDF: a `^A^A^A^A` line, the `From ` line Python writes, the message, an empty
//!   line and the closing `^A^A^A^A` line; no quoting; flags as mbox.
//! - Babyl: `^L`, the label line (`1, attributes,, user labels,`), the original header,
//!   `*** EOOH ***`, the visible-header copy, the body and `^_`. Attributes map to flags
//!   as Python's `BabylMessage` maps them (unseen, deleted, answered, forwarded); the
//!   user label `flagged` carries the flagged mark, which Babyl has no attribute for.
//!
//! Reading strips exactly the separator a writer adds, so a message written here reads
//! back byte for byte (mboxo/mboxrd add a final newline when a message has none, as
//! every mbox writer must). Pure functions over bytes.

use super::frame::Framing;
use super::header;
use super::{Mail, MboxVariant};
use crate::core::Flags;
use memchr::memmem;
use std::borrow::Cow;
use std::sync::LazyLock;

/// How `From ` lines in an mbox body are unquoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unquote {
    /// mboxrd: `>+From ` loses one `>`.
    Rd,
    /// mboxo/mboxcl: `>From ` loses its `>`.
    O,
    /// mboxcl2 (and MMDF, Babyl): nothing.
    None,
}

/// How this account reads mbox bodies: the configured variant decides for records
/// without a usable Content-Length (mboxo or mboxrd) and, when it names one, for records
/// with one (mboxcl or mboxcl2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ReadPref {
    pub variant: Option<MboxVariant>,
}

impl ReadPref {
    fn plain(self) -> Unquote {
        match self.variant {
            Some(MboxVariant::Mboxo) | Some(MboxVariant::Mboxcl) => Unquote::O,
            _ => Unquote::Rd,
        }
    }
}

/// What the head of a record tells: its content hash, flags and `From ` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadInfo {
    pub hash: u64,
    pub flags: Flags,
    pub from_line: Option<Vec<u8>>,
    /// The message's header block (for the envelope fields).
    pub header: Vec<u8>,
}

fn line(b: &[u8], at: usize) -> (&[u8], usize) {
    let end = memchr::memchr(b'\n', &b[at.min(b.len())..]).map_or(b.len(), |p| at + p + 1);
    (&b[at.min(b.len())..end], end)
}

fn strip_eol(l: &[u8]) -> &[u8] {
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l)
}

fn header_of(b: &[u8]) -> &[u8] {
    &b[..header::header_end(b).unwrap_or(b.len())]
}

/// Reads the head of a record (its first bytes, at least up to the end of the header
/// block; a whole record does too).
pub fn head_info(framing: Framing, head: &[u8]) -> HeadInfo {
    let (from_line, hdr, flags) = match framing {
        Framing::Mbox => {
            let (l, next) = line(head, 0);
            let hdr = header_of(&head[next..]);
            (from_of(l), hdr, header::status_flags(hdr))
        }
        Framing::Mmdf => {
            let (_, next) = line(head, 0);
            let (l, after) = line(head, next);
            let (from, start) = match from_of(l) {
                Some(f) => (Some(f), after),
                None => (None, next),
            };
            let hdr = header_of(&head[start..]);
            (from, hdr, header::status_flags(hdr))
        }
        Framing::Babyl => {
            let parts = babyl_parts(head);
            let hdr = if parts.original.is_empty() {
                header_of(parts.visible)
            } else {
                parts.original
            };
            (None, hdr, labels_flags(&parts.labels))
        }
    };
    HeadInfo {
        hash: header::content_hash(hdr),
        flags,
        from_line,
        header: hdr.to_vec(),
    }
}

fn from_of(l: &[u8]) -> Option<Vec<u8>> {
    strip_eol(l).strip_prefix(b"From ").map(<[u8]>::to_vec)
}

/// The message a whole record holds.
pub fn decode(framing: Framing, record: &[u8], pref: ReadPref) -> Mail {
    let d = decode_ref(framing, record, pref);
    Mail {
        bytes: d.bytes.into_owned(),
        flags: d.flags,
        from_line: d.from_line,
    }
}

/// A record's message, borrowed from the record where nothing had to change.
pub struct Decoded<'a> {
    pub bytes: Cow<'a, [u8]>,
    pub flags: Flags,
    pub from_line: Option<Vec<u8>>,
}

/// The message a whole record holds, without copying it when it can be borrowed.
pub fn decode_ref(framing: Framing, record: &[u8], pref: ReadPref) -> Decoded<'_> {
    match framing {
        Framing::Mbox => decode_mbox(record, pref),
        Framing::Mmdf => {
            let (_, next) = line(record, 0);
            let (l, after) = line(record, next);
            let (from_line, start) = match from_of(l) {
                Some(f) => (Some(f), after),
                None => (None, next),
            };
            let mut end = record.len();
            let close = &record[start.min(end)..];
            if let Some(p) = memmem::rfind(close, b"\x01\x01\x01\x01") {
                let at = start + p;
                if at == start || record[at - 1] == b'\n' {
                    end = at;
                }
            }
            let msg = strip_one_eol(&record[start.min(end)..end]);
            Decoded {
                flags: header::status_flags(header_of(msg)),
                bytes: Cow::Borrowed(msg),
                from_line,
            }
        }
        Framing::Babyl => {
            let p = babyl_parts(record);
            let mut body = p.body;
            body = body.strip_suffix(b"\x1f").unwrap_or(body);
            body = strip_one_eol(body);
            let mut bytes = Vec::with_capacity(record.len());
            if p.original.is_empty() {
                bytes.extend_from_slice(p.visible);
            } else {
                bytes.extend_from_slice(p.original);
                if header::header_end(p.original).is_none() {
                    bytes.extend_from_slice(b"\n");
                }
            }
            bytes.extend_from_slice(body);
            Decoded {
                bytes: Cow::Owned(bytes),
                flags: labels_flags(&p.labels),
                from_line: None,
            }
        }
    }
}

fn strip_one_eol(b: &[u8]) -> &[u8] {
    if let Some(s) = b.strip_suffix(b"\r\n") {
        s
    } else {
        b.strip_suffix(b"\n").unwrap_or(b)
    }
}

fn decode_mbox(record: &[u8], pref: ReadPref) -> Decoded<'_> {
    let (l, from_end) = line(record, 0);
    let from_line = from_of(l);
    let rest = &record[from_end..];
    let hend = header::header_end(rest);
    let cl = hend.and_then(|h| {
        let v = header::value(&rest[..h], "Content-Length")?;
        std::str::from_utf8(&v).ok()?.trim().parse::<usize>().ok()
    });
    // Framed by Content-Length when the body is exactly that long (plus the separator).
    let framed = match (hend, cl) {
        (Some(h), Some(cl)) if h.checked_add(cl).is_some_and(|e| e <= rest.len()) => {
            let tail = &rest[h + cl..];
            (tail.is_empty() || tail == b"\n" || tail == b"\r\n").then_some(h + cl)
        }
        _ => None,
    };
    let (msg, mode) = match framed {
        Some(end) => {
            let h = hend.unwrap_or(0);
            let body = &rest[h..end];
            let mode = match pref.variant {
                Some(MboxVariant::Mboxcl2) => Unquote::None,
                Some(MboxVariant::Mboxcl) => Unquote::O,
                _ if has_from_line(body) => Unquote::None,
                _ => Unquote::O,
            };
            // The Content-Length was framing, not part of the message: it goes (it
            // would be wrong once the body is unquoted or stored elsewhere).
            let mut bytes = header::without(&rest[..h], &["content-length"]);
            bytes.extend_from_slice(&unquote(body, mode));
            return Decoded {
                flags: header::status_flags(header_of(&bytes)),
                bytes: Cow::Owned(bytes),
                from_line,
            };
        }
        None => {
            let m = if rest.ends_with(b"\r\n\r\n") {
                &rest[..rest.len() - 2]
            } else if rest.ends_with(b"\n\n") {
                &rest[..rest.len() - 1]
            } else {
                rest
            };
            (m, pref.plain())
        }
    };
    Decoded {
        flags: header::status_flags(header_of(msg)),
        bytes: unquote(msg, mode),
        from_line,
    }
}

/// Whether a body holds a line starting with `From ` (unquoted).
fn has_from_line(body: &[u8]) -> bool {
    static FROM_LINE: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(b"\nFrom "));
    body.starts_with(b"From ") || FROM_LINE.find(body).is_some()
}

/// Takes the quoting off `From ` lines.
pub fn unquote(msg: &[u8], mode: Unquote) -> Cow<'_, [u8]> {
    if mode == Unquote::None {
        return Cow::Borrowed(msg);
    }
    // Built once: a conversion unquotes every message.
    static QUOTED: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(b">From "));
    let mut out: Option<Vec<u8>> = None;
    let mut last = 0;
    for p in QUOTED.find_iter(msg) {
        let mut s = p;
        while s > 0 && msg[s - 1] == b'>' {
            s -= 1;
        }
        if !(s == 0 || msg[s - 1] == b'\n') || (mode == Unquote::O && s != p) {
            continue;
        }
        let o = out.get_or_insert_with(|| Vec::with_capacity(msg.len()));
        o.extend_from_slice(&msg[last..s]);
        last = s + 1;
    }
    match out {
        None => Cow::Borrowed(msg),
        Some(mut o) => {
            o.extend_from_slice(&msg[last..]);
            Cow::Owned(o)
        }
    }
}

/// Quotes `From ` lines for a variant (mboxrd also `>From `, `>>From `, ...).
pub fn quote(msg: &[u8], variant: MboxVariant) -> Cow<'_, [u8]> {
    if variant == MboxVariant::Mboxcl2 {
        return Cow::Borrowed(msg);
    }
    let rd = variant == MboxVariant::Mboxrd;
    let mut out: Option<Vec<u8>> = None;
    let mut last = 0;
    for p in memmem::find_iter(msg, b"From ") {
        let mut s = p;
        if rd {
            while s > 0 && msg[s - 1] == b'>' {
                s -= 1;
            }
        }
        if !(s == 0 || msg[s - 1] == b'\n') {
            continue;
        }
        let o = out.get_or_insert_with(|| Vec::with_capacity(msg.len() + 64));
        o.extend_from_slice(&msg[last..s]);
        o.push(b'>');
        last = s;
    }
    match out {
        None => Cow::Borrowed(msg),
        Some(mut o) => {
            o.extend_from_slice(&msg[last..]);
            Cow::Owned(o)
        }
    }
}

/// The fields a format keeps its own flags in, left out when a message is stored in
/// any format (the target writes its own).
const FLAG_FIELDS: &[&str] = &["status", "x-status"];

/// The message with its header's flag fields (and, for mbox, Content-Length) removed:
/// (header block, body).
fn split_clean(msg: &[u8], drop_length: bool) -> (Vec<u8>, &[u8]) {
    let hend = header::header_end(msg).unwrap_or(msg.len());
    let names: &[&str] = if drop_length {
        &["status", "x-status", "content-length"]
    } else {
        FLAG_FIELDS
    };
    (header::without(&msg[..hend], names), &msg[hend..])
}

/// The message as a file of a directory format (Maildir, MH): its flag fields removed.
pub fn plain(msg: &[u8]) -> Cow<'_, [u8]> {
    match plain_parts(msg) {
        (Cow::Borrowed(h), body) if h.len() + body.len() == msg.len() => Cow::Borrowed(msg),
        (h, body) => Cow::Owned([&h[..], body].concat()),
    }
}

/// `plain` as (header block, body), so a writer can write the two without joining
/// them (a copy of every message that had a Status field).
pub fn plain_parts(msg: &[u8]) -> (Cow<'_, [u8]>, &[u8]) {
    let hend = header::header_end(msg).unwrap_or(msg.len());
    let hdr = &msg[..hend];
    if header::fields(hdr).iter().any(|(n, _)| {
        FLAG_FIELDS
            .iter()
            .any(|f| n.eq_ignore_ascii_case(f.as_bytes()))
    }) {
        let (h, body) = split_clean(msg, false);
        (Cow::Owned(h), body)
    } else {
        (Cow::Borrowed(hdr), &msg[hend..])
    }
}

/// A record for `mail` in an mbox of `variant`, appended to `out`.
pub fn encode_mbox(mail: &Mail, variant: MboxVariant, out: &mut Vec<u8>) {
    out.extend_from_slice(b"From ");
    match &mail.from_line {
        Some(f) => out.extend_from_slice(f),
        None => out.extend_from_slice(&make_from_line(&mail.bytes)),
    }
    out.push(b'\n');
    let (hdr, body) = split_clean(&mail.bytes, true);
    let quoted = quote(body, variant);
    let mut hdr = header::with_status(&hdr, mail.flags);
    if variant.has_content_length() {
        let cl = format!("Content-Length: {}", quoted.len()).into_bytes();
        hdr = header::with_fields(&hdr, &[cl]);
    }
    out.extend_from_slice(&quote(&hdr, variant));
    if header::header_end(&hdr).is_none() {
        // A message that is only a header: the empty line that ends it.
        out.extend_from_slice(header::line_end(&hdr));
    }
    out.extend_from_slice(&quoted);
    if !variant.has_content_length() && !quoted.is_empty() && !quoted.ends_with(b"\n") {
        out.push(b'\n');
    }
    out.push(b'\n');
}

/// A record for `mail` in an MMDF file, appended to `out`.
pub fn encode_mmdf(mail: &Mail, out: &mut Vec<u8>) {
    out.extend_from_slice(b"\x01\x01\x01\x01\nFrom ");
    match &mail.from_line {
        Some(f) => out.extend_from_slice(f),
        None => out.extend_from_slice(&make_from_line(&mail.bytes)),
    }
    out.push(b'\n');
    let (hdr, body) = split_clean(&mail.bytes, false);
    let hdr = header::with_status(&hdr, mail.flags);
    out.extend_from_slice(&hdr);
    if header::header_end(&hdr).is_none() {
        out.extend_from_slice(header::line_end(&hdr));
    }
    out.extend_from_slice(body);
    out.extend_from_slice(b"\n\x01\x01\x01\x01\n");
}

/// The `BABYL OPTIONS:` block a new Babyl file starts with.
pub fn babyl_prefix() -> &'static [u8] {
    b"BABYL OPTIONS:\nVersion: 5\nLabels:\nNote:   This is the header of an rmail file.\nNote:   If you are seeing it in rmail,\nNote:    it means the file has no messages in it.\n\x1f"
}

/// Fields copied into Babyl's visible header (what Rmail shows).
const VISIBLE: &[&str] = &["date", "from", "to", "cc", "subject", "reply-to"];

/// A record for `mail` in a Babyl file, appended to `out`.
pub fn encode_babyl(mail: &Mail, out: &mut Vec<u8>) {
    let (mut hdr, body) = split_clean(&mail.bytes, false);
    if header::header_end(&hdr).is_none() {
        hdr.extend_from_slice(header::line_end(&hdr));
    }
    let labels = Labels::default().with_flags(mail.flags);
    out.extend_from_slice(b"\x0c\n");
    out.extend_from_slice(&labels.line());
    out.push(b'\n');
    out.extend_from_slice(&hdr);
    out.extend_from_slice(b"*** EOOH ***\n");
    for (name, field) in header::fields(&hdr) {
        if VISIBLE
            .iter()
            .any(|v| name.eq_ignore_ascii_case(v.as_bytes()))
        {
            out.extend_from_slice(field);
        }
    }
    out.extend_from_slice(header::line_end(&hdr));
    out.extend_from_slice(body);
    out.extend_from_slice(b"\n\x1f");
}

/// The same record with new flags: only the flag fields (mbox, MMDF) or the label line
/// (Babyl) change; the body is copied as it is.
pub fn reflag(framing: Framing, record: &[u8], flags: Flags) -> Vec<u8> {
    match framing {
        Framing::Mbox | Framing::Mmdf => {
            let (_, mut start) = line(record, 0);
            if framing == Framing::Mmdf {
                let (l, after) = line(record, start);
                if l.starts_with(b"From ") {
                    start = after;
                }
            }
            let rest = &record[start..];
            let hend = header::header_end(rest).unwrap_or(rest.len());
            let hdr = header::with_status(&rest[..hend], flags);
            [&record[..start], hdr.as_slice(), &rest[hend..]].concat()
        }
        Framing::Babyl => {
            let (_, lstart) = line(record, 0);
            let (l, lend) = line(record, lstart);
            let labels = Labels::parse(strip_eol(l)).with_flags(flags);
            let eol: &[u8] = if l.ends_with(b"\r\n") { b"\r\n" } else { b"\n" };
            [&record[..lstart], &labels.line(), eol, &record[lend..]].concat()
        }
    }
}

/// A Babyl label line: the leading digit, then attributes and user labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels {
    pub reformatted: Option<u8>,
    pub attributes: Vec<String>,
    pub user: Vec<String>,
}

const ATTRIBUTES: &[&str] = &[
    "unseen",
    "deleted",
    "filed",
    "answered",
    "forwarded",
    "edited",
    "resent",
];
const FLAGGED_LABEL: &str = "flagged";

impl Labels {
    /// Parses `1, unseen, answered,, work, later,` (labels sorted into attributes and
    /// user labels by name, as Python does).
    pub fn parse(l: &[u8]) -> Labels {
        let text = String::from_utf8_lossy(l);
        let mut chars = text.chars();
        let reformatted = match chars.next() {
            Some(c @ ('0' | '1')) => Some(c as u8),
            _ => None,
        };
        let rest = if reformatted.is_some() {
            chars.as_str()
        } else {
            &text
        };
        let mut out = Labels {
            reformatted,
            ..Default::default()
        };
        for label in rest.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if ATTRIBUTES.contains(&label) {
                out.attributes.push(label.to_string());
            } else {
                out.user.push(label.to_string());
            }
        }
        out
    }

    fn has(&self, a: &str) -> bool {
        self.attributes.iter().any(|x| x == a)
    }

    fn set(list: &mut Vec<String>, name: &str, on: bool) {
        let present = list.iter().any(|x| x == name);
        if on && !present {
            list.push(name.to_string());
        } else if !on {
            list.retain(|x| x != name);
        }
    }

    /// The same labels with the flag-carrying ones set for `flags`.
    pub fn with_flags(mut self, flags: Flags) -> Labels {
        Self::set(&mut self.attributes, "unseen", !flags.contains(Flags::SEEN));
        Self::set(
            &mut self.attributes,
            "deleted",
            flags.contains(Flags::TRASHED),
        );
        Self::set(
            &mut self.attributes,
            "answered",
            flags.contains(Flags::REPLIED),
        );
        Self::set(
            &mut self.attributes,
            "forwarded",
            flags.contains(Flags::PASSED),
        );
        Self::set(
            &mut self.user,
            FLAGGED_LABEL,
            flags.contains(Flags::FLAGGED),
        );
        self
    }

    /// `1, a, b,, x, y,` as Python writes it.
    pub fn line(&self) -> Vec<u8> {
        let mut s = String::new();
        s.push(char::from(self.reformatted.unwrap_or(b'1')));
        for a in &self.attributes {
            s.push_str(", ");
            s.push_str(a);
        }
        s.push_str(",,");
        for u in &self.user {
            s.push(' ');
            s.push_str(u);
            s.push(',');
        }
        s.into_bytes()
    }
}

fn labels_flags(l: &Labels) -> Flags {
    let mut f = Flags::empty();
    if !l.has("unseen") {
        f.insert(Flags::SEEN);
    }
    if l.has("deleted") {
        f.insert(Flags::TRASHED);
    }
    if l.has("answered") {
        f.insert(Flags::REPLIED);
    }
    if l.has("forwarded") {
        f.insert(Flags::PASSED);
    }
    if l.user.iter().any(|u| u == FLAGGED_LABEL) {
        f.insert(Flags::FLAGGED);
    }
    f
}

/// The parts of a Babyl record (any of them may be empty in a damaged one).
pub struct BabylParts<'a> {
    pub labels: Labels,
    pub original: &'a [u8],
    pub visible: &'a [u8],
    pub body: &'a [u8],
}

pub fn babyl_parts(record: &[u8]) -> BabylParts<'_> {
    let (_, lstart) = line(record, 0);
    let (l, hstart) = line(record, lstart);
    let labels = Labels::parse(strip_eol(l));
    let rest = &record[hstart.min(record.len())..];
    let eooh = if rest.starts_with(b"*** EOOH ***") {
        Some(0)
    } else {
        memmem::find(rest, b"\n*** EOOH ***").map(|p| p + 1)
    };
    match eooh {
        Some(e) => {
            let (_, vstart) = line(rest, e);
            // Python's `Babyl` writes no visible header for its own `BabylMessage`s
            // (the body follows the EOOH line): a first line that is no header field
            // means there is none.
            let (first, _) = line(rest, vstart);
            let vis_len = if looks_like_field(first) {
                header::header_end(&rest[vstart..]).unwrap_or(rest.len() - vstart)
            } else {
                0
            };
            BabylParts {
                labels,
                original: &rest[..e],
                visible: &rest[vstart..vstart + vis_len],
                body: &rest[vstart + vis_len..],
            }
        }
        None => BabylParts {
            labels,
            original: &rest[..0],
            visible: &rest[..0],
            body: rest,
        },
    }
}

/// Whether a line starts a header field (`Name:` with a printable name) or is the
/// empty line that ends a header.
fn looks_like_field(l: &[u8]) -> bool {
    if l == b"\n" || l == b"\r\n" {
        return true;
    }
    match memchr::memchr(b':', l) {
        Some(c) if c > 0 => l[..c].iter().all(|b| b.is_ascii_graphic()),
        _ => false,
    }
}

/// A `From ` line (without `From `) for a message that has none: the envelope sender
/// (Return-Path, else the From address, else MAILER-DAEMON) and the Date in asctime
/// form (else now), as mutt and Python write them.
pub fn make_from_line(msg: &[u8]) -> Vec<u8> {
    let hdr = header_of(msg);
    let addr = |name: &str| -> Option<String> {
        let v = String::from_utf8_lossy(&header::value(hdr, name)?).into_owned();
        let inner = match (v.rfind('<'), v.rfind('>')) {
            (Some(a), Some(b)) if a < b => v[a + 1..b].to_string(),
            _ => v.split_whitespace().find(|w| w.contains('@'))?.to_string(),
        };
        let inner = inner.trim().to_string();
        (!inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '<' && c != '>'))
        .then_some(inner)
    };
    let sender = addr("Return-Path")
        .or_else(|| addr("From"))
        .unwrap_or_else(|| "MAILER-DAEMON".into());
    let date = header::value(hdr, "Date")
        .and_then(|d| chrono::DateTime::parse_from_rfc2822(String::from_utf8_lossy(&d).trim()).ok())
        .map(|d| d.with_timezone(&chrono::Utc))
        .unwrap_or_else(chrono::Utc::now);
    format!("{sender} {}", date.format("%a %b %e %H:%M:%S %Y")).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(b: &[u8], flags: Flags) -> Mail {
        Mail {
            bytes: b.to_vec(),
            flags,
            from_line: Some(b"a@b Mon Nov 23 18:34:48 2026".to_vec()),
        }
    }

    const MSG: &[u8] = b"From: a@b\nSubject: s\n\nFrom here\n>From there\n>>From deep\nend";

    #[test]
    fn every_mbox_variant_round_trips() {
        for v in [
            MboxVariant::Mboxo,
            MboxVariant::Mboxrd,
            MboxVariant::Mboxcl,
            MboxVariant::Mboxcl2,
        ] {
            let m = mail(MSG, Flags::SEEN.union(Flags::REPLIED));
            let mut rec = Vec::new();
            encode_mbox(&m, v, &mut rec);
            let back = decode(Framing::Mbox, &rec, ReadPref { variant: Some(v) });
            assert_eq!(back.flags, m.flags, "{v:?}");
            assert_eq!(back.from_line, m.from_line);
            let body = &back.bytes[header::header_end(&back.bytes).unwrap()..];
            let want: &[u8] = match v {
                // Lossy: `>From there` comes back as `From there`.
                MboxVariant::Mboxo | MboxVariant::Mboxcl => {
                    b"From here\nFrom there\n>>From deep\nend"
                }
                _ => b"From here\n>From there\n>>From deep\nend",
            };
            let want: Vec<u8> = match v {
                MboxVariant::Mboxo | MboxVariant::Mboxrd => [want, b"\n"].concat(),
                _ => want.to_vec(),
            };
            assert_eq!(
                String::from_utf8_lossy(body),
                String::from_utf8_lossy(&want),
                "{v:?}: {}",
                String::from_utf8_lossy(&rec)
            );
        }
    }

    #[test]
    fn mmdf_and_babyl_round_trip_exactly() {
        let m = mail(MSG, Flags::SEEN.union(Flags::FLAGGED).union(Flags::TRASHED));
        let mut rec = Vec::new();
        encode_mmdf(&m, &mut rec);
        let back = decode(Framing::Mmdf, &rec, ReadPref::default());
        assert_eq!(back.flags, m.flags);
        assert_eq!(header::without(&back.bytes, &["status", "x-status"]), MSG);
        let mut rec = Vec::new();
        let m = mail(
            MSG,
            Flags::REPLIED.union(Flags::FLAGGED).union(Flags::PASSED),
        );
        encode_babyl(&m, &mut rec);
        let back = decode(Framing::Babyl, &rec, ReadPref::default());
        assert_eq!(back.bytes, MSG);
        assert_eq!(back.flags, m.flags);
        let info = head_info(Framing::Babyl, &rec);
        assert_eq!(
            info.hash,
            header::content_hash(b"From: a@b\nSubject: s\n\n")
        );
        assert!(rec.starts_with(b"\x0c\n1, unseen, answered, forwarded,, flagged,\n"));
    }

    #[test]
    fn reflag_changes_only_the_flag_fields() {
        let mut rec = Vec::new();
        encode_mbox(&mail(MSG, Flags::empty()), MboxVariant::Mboxrd, &mut rec);
        let n = reflag(Framing::Mbox, &rec, Flags::SEEN);
        assert_eq!(
            decode(Framing::Mbox, &n, ReadPref::default()).flags,
            Flags::SEEN
        );
        assert_eq!(n.len(), rec.len() + b"Status: RO\n".len());
        let l = Labels::parse(b"1, unseen, edited,, work,");
        assert_eq!(
            l.clone().with_flags(Flags::SEEN).line(),
            b"1, edited,, work,"
        );
    }

    #[test]
    fn quoting_rules() {
        let b = b"From a\n>From b\nx From c\n";
        assert_eq!(
            &*quote(b, MboxVariant::Mboxrd),
            b">From a\n>>From b\nx From c\n"
        );
        assert_eq!(
            &*quote(b, MboxVariant::Mboxo),
            b">From a\n>From b\nx From c\n"
        );
        assert_eq!(
            &*unquote(b">>From a\n>From b\n", Unquote::Rd),
            b">From a\nFrom b\n"
        );
        assert_eq!(
            &*unquote(b">>From a\n>From b\n", Unquote::O),
            b">>From a\nFrom b\n"
        );
    }

    #[test]
    fn from_line_made_from_sender_and_date() {
        let l = make_from_line(b"From: A <a@b.c>\nDate: Tue, 1 Jul 2003 10:52:37 +0200\n\n");
        assert_eq!(l, b"a@b.c Tue Jul  1 08:52:37 2003");
    }
}
