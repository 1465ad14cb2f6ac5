//! Line framing shared by the dot-terminated text protocols (POP3, RFC 1939 §3; NNTP,
//! RFC 3977 §3.1.1): lines end in CRLF, and a multi-line block is a run of lines ended
//! by a line holding a lone ".", with every line that starts with "." sent with one more
//! "." in front ("dot-stuffing").
//!
//! Sans-IO and protocol-neutral: bytes in, lines or decoded bytes out. Lines are bytes,
//! never assumed to be UTF-8. Servers in the wild send bare LF now and then; it is
//! accepted wherever CRLF is. Nothing here holds a whole block: `DotDecoder` streams, and
//! `LineBuffer` refuses a line longer than the caller's limit instead of growing
//! without bound. Depends on nothing else of ours.

/// Bytes received but not yet taken out as lines or block data.
#[derive(Debug, Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
    start: usize,
}

/// A line or block that breaks the framing rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("a line longer than {limit} bytes")]
    TooLong { limit: usize },
}

impl LineBuffer {
    pub fn new() -> Self {
        LineBuffer::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        // Reclaim the consumed front before growing (amortised: at most one move of the
        // unconsumed tail per push).
        if self.start > 0 && (self.start == self.buf.len() || self.start >= self.buf.len() / 2) {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The bytes not taken out yet.
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.buf.len()
    }

    /// Marks `n` pending bytes as taken.
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.buf.len());
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    /// Takes one line, without its CRLF (or bare LF). `Ok(None)`: no whole line yet. A
    /// line (or the part of one received so far) longer than `limit` is an error.
    pub fn take_line(&mut self, limit: usize) -> Result<Option<Vec<u8>>, LineError> {
        let pending = self.pending();
        match memchr::memchr(b'\n', pending) {
            Some(i) => {
                let end = if i > 0 && pending[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                if end > limit {
                    return Err(LineError::TooLong { limit });
                }
                let line = pending[..end].to_vec();
                self.consume(i + 1);
                Ok(Some(line))
            }
            None if pending.len() > limit + 1 => Err(LineError::TooLong { limit }),
            None => Ok(None),
        }
    }

    /// Decodes block data from the pending bytes into `out` (see `DotDecoder`).
    /// Returns true when the block's terminating "." line was taken.
    pub fn take_block(&mut self, dec: &mut DotDecoder, out: &mut Vec<u8>) -> bool {
        let (used, done) = dec.decode(self.pending(), out);
        self.consume(used);
        done
    }
}

/// The line ending a decoder writes for every line of a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eol {
    /// `\n`, as Maildir files on Unix hold messages.
    Lf,
    /// `\r\n`, the network form.
    Crlf,
}

impl Eol {
    fn bytes(self) -> &'static [u8] {
        match self {
            Eol::Lf => b"\n",
            Eol::Crlf => b"\r\n",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DecodeState {
    /// At the first byte of a line.
    LineStart,
    /// Saw "." at the start of a line.
    Dot,
    /// Saw ".\r" at the start of a line.
    DotCr,
    /// Inside a line; `cr` when its last byte so far was a CR not yet written (it may
    /// be the CR of the line's CRLF).
    Mid {
        cr: bool,
    },
    Done,
}

/// Streams a dot-terminated block: undoes dot-stuffing, ends every line with `eol`
/// (CRLF or a bare LF in the input), and stops after the terminating "." line, leaving
/// whatever follows it (the next pipelined reply) unread. Lines of any length pass
/// through without being buffered whole. A CR that is not part of a line ending is
/// kept as it is.
#[derive(Clone, Debug)]
pub struct DotDecoder {
    eol: Eol,
    state: DecodeState,
    written: u64,
}

impl DotDecoder {
    pub fn new(eol: Eol) -> Self {
        DotDecoder {
            eol,
            state: DecodeState::LineStart,
            written: 0,
        }
    }

    /// Whether the terminating line has been seen.
    pub fn is_done(&self) -> bool {
        self.state == DecodeState::Done
    }

    /// Bytes written to `out` so far, over all calls (for a size limit).
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Decodes as much of `input` as possible into `out`. Returns how many bytes of
    /// `input` were used and whether the block ended; after the end nothing more is
    /// used.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> (usize, bool) {
        let before = out.len();
        let mut i = 0;
        while i < input.len() {
            match self.state {
                DecodeState::Done => break,
                DecodeState::LineStart => {
                    if input[i] == b'.' {
                        self.state = DecodeState::Dot;
                        i += 1;
                    } else {
                        self.state = DecodeState::Mid { cr: false };
                    }
                }
                DecodeState::Dot => match input[i] {
                    b'\r' => {
                        self.state = DecodeState::DotCr;
                        i += 1;
                    }
                    b'\n' => {
                        // A lone "." ended by a bare LF.
                        self.state = DecodeState::Done;
                        i += 1;
                    }
                    _ => {
                        // ".." is a stuffed "."; a "." before anything else was not
                        // stuffed by the sender: kept (RFC 1939 §3 lets us be lenient).
                        if input[i] == b'.' {
                            i += 1;
                        }
                        out.push(b'.');
                        self.state = DecodeState::Mid { cr: false };
                    }
                },
                DecodeState::DotCr => {
                    if input[i] == b'\n' {
                        self.state = DecodeState::Done;
                        i += 1;
                    } else {
                        // ".\r" then more: a line that starts with "." and a stray CR.
                        out.push(b'.');
                        self.state = DecodeState::Mid { cr: true };
                    }
                }
                DecodeState::Mid { cr } => {
                    let rest = &input[i..];
                    match memchr::memchr(b'\n', rest) {
                        Some(n) => {
                            let line = &rest[..n];
                            // The CR of a CRLF is dropped (and a held one, when the LF
                            // comes first in this chunk).
                            let (body, held) = match (line.last(), cr) {
                                (Some(b'\r'), _) => (&line[..line.len() - 1], cr),
                                (None, true) => (line, false),
                                (_, held) => (line, held),
                            };
                            if held {
                                out.push(b'\r');
                            }
                            out.extend_from_slice(body);
                            out.extend_from_slice(self.eol.bytes());
                            self.state = DecodeState::LineStart;
                            i += n + 1;
                        }
                        None => {
                            if cr {
                                out.push(b'\r');
                            }
                            let (body, ends_cr) = match rest.last() {
                                Some(b'\r') => (&rest[..rest.len() - 1], true),
                                _ => (rest, false),
                            };
                            out.extend_from_slice(body);
                            self.state = DecodeState::Mid { cr: ends_cr };
                            i = input.len();
                        }
                    }
                }
            }
        }
        self.written += (out.len() - before) as u64;
        (i, self.state == DecodeState::Done)
    }
}

/// Streams a block for sending: every line ending (LF or CRLF) becomes CRLF, a line
/// that starts with "." gets one more, and `finish` ends the last line and adds the
/// terminating "." line.
#[derive(Clone, Debug)]
pub struct DotEncoder {
    at_line_start: bool,
    /// The previous chunk ended in a CR (it may be half of a CRLF).
    cr: bool,
}

impl Default for DotEncoder {
    fn default() -> Self {
        DotEncoder {
            at_line_start: true,
            cr: false,
        }
    }
}

impl DotEncoder {
    pub fn new() -> Self {
        DotEncoder::default()
    }

    pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &b in input {
            match b {
                b'\n' => {
                    out.extend_from_slice(b"\r\n");
                    self.cr = false;
                    self.at_line_start = true;
                    continue;
                }
                _ if self.cr => {
                    // A CR that was not followed by LF: kept as data.
                    out.push(b'\r');
                    self.cr = false;
                    self.at_line_start = false;
                }
                _ => {}
            }
            if b == b'\r' {
                self.cr = true;
                continue;
            }
            if self.at_line_start && b == b'.' {
                out.push(b'.');
            }
            out.push(b);
            self.at_line_start = false;
        }
    }

    /// Ends the block: a last line without an ending gets CRLF, then ".\r\n".
    pub fn finish(mut self, out: &mut Vec<u8>) {
        if self.cr {
            out.extend_from_slice(b"\r\n");
            self.cr = false;
            self.at_line_start = true;
        }
        if !self.at_line_start {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8], eol: Eol) -> (Vec<u8>, usize, bool) {
        let mut d = DotDecoder::new(eol);
        let mut out = Vec::new();
        let (n, done) = d.decode(input, &mut out);
        (out, n, done)
    }

    #[test]
    fn stuffed_dots_and_the_terminator() {
        let (out, n, done) = decode_all(b"a\r\n..b\r\n.\r\nNEXT", Eol::Lf);
        assert_eq!(out, b"a\n.b\n");
        assert!(done);
        assert_eq!(n, 11, "stops right after the terminator");
    }

    #[test]
    fn a_lone_dot_with_bare_lf_ends_the_block() {
        assert_eq!(
            decode_all(b"x\n.\n", Eol::Crlf),
            (b"x\r\n".to_vec(), 4, true)
        );
    }

    #[test]
    fn unstuffed_leading_dot_is_kept() {
        assert_eq!(decode_all(b".x\r\n.\r\n", Eol::Lf).0, b".x\n");
    }

    #[test]
    fn stray_cr_is_data() {
        assert_eq!(decode_all(b"a\rb\r\n.\r\n", Eol::Lf).0, b"a\rb\n");
        assert_eq!(decode_all(b".\rb\r\n.\r\n", Eol::Lf).0, b".\rb\n");
    }

    #[test]
    fn encoder_stuffs_and_terminates() {
        let mut e = DotEncoder::new();
        let mut out = Vec::new();
        e.encode(b".a\nb\r\n..c", &mut out);
        e.finish(&mut out);
        assert_eq!(out, b"..a\r\nb\r\n...c\r\n.\r\n");
        let (back, _, done) = decode_all(&out, Eol::Lf);
        assert!(done);
        assert_eq!(back, b".a\nb\n..c\n");
    }

    #[test]
    fn take_line_limits_and_bare_lf() {
        let mut b = LineBuffer::new();
        b.push(b"+OK hi\r\n-ERR x\nrest");
        assert_eq!(b.take_line(100).unwrap().unwrap(), b"+OK hi");
        assert_eq!(b.take_line(100).unwrap().unwrap(), b"-ERR x");
        assert_eq!(b.take_line(100).unwrap(), None);
        assert_eq!(b.pending(), b"rest");
        b.push(&[b'x'; 200]);
        assert_eq!(b.take_line(100), Err(LineError::TooLong { limit: 100 }));
    }
}
