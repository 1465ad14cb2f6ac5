//! Streaming Content-Transfer-Encoding decoding (RFC 2045 §6.7 quoted-printable, §6.8
//! base64): bytes go from the encoded body into a writer through a fixed-size buffer,
//! so a 200 MB attachment is measured or saved without holding it decoded in memory.
//! Both decoders are lenient like mailparse's: characters outside the alphabet are
//! skipped, a malformed `=` escape is kept as written.

use mailparse::body::Body;
use std::io::{self, Write};

const CHUNK: usize = 64 * 1024;

/// A writer that only counts what it is given: a decoded size without the bytes.
#[derive(Debug, Default)]
pub struct Counter(pub u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Decodes `body` into `out`; returns the number of decoded bytes written.
pub fn decode_into(body: &Body, out: &mut dyn Write) -> io::Result<u64> {
    match body {
        Body::Base64(b) => base64(b.get_raw(), out),
        Body::QuotedPrintable(b) => quoted_printable(b.get_raw(), out),
        Body::SevenBit(b) | Body::EightBit(b) => copy(b.get_raw(), out),
        Body::Binary(b) => copy(b.get_raw(), out),
    }
}

fn copy(raw: &[u8], out: &mut dyn Write) -> io::Result<u64> {
    for c in raw.chunks(CHUNK) {
        out.write_all(c)?;
    }
    Ok(raw.len() as u64)
}

fn sextet(b: u8) -> Option<u32> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    } as u32)
}

/// Base64 in one pass; stops at the first `=` (padding).
pub fn base64(raw: &[u8], out: &mut dyn Write) -> io::Result<u64> {
    let mut buf = Vec::with_capacity(CHUNK);
    let mut total = 0u64;
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in raw {
        if b == b'=' {
            break;
        }
        let Some(v) = sextet(b) else { continue };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            buf.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
            if buf.len() == CHUNK {
                out.write_all(&buf)?;
                total += buf.len() as u64;
                buf.clear();
            }
        }
    }
    out.write_all(&buf)?;
    Ok(total + buf.len() as u64)
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Quoted-printable in one pass: `=XX` escapes, `=` soft line breaks.
pub fn quoted_printable(raw: &[u8], out: &mut dyn Write) -> io::Result<u64> {
    let mut buf = Vec::with_capacity(CHUNK);
    let mut total = 0u64;
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'=' {
            match (raw.get(i + 1), raw.get(i + 2)) {
                (Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                    buf.push((hex(h).unwrap_or(0) << 4) | hex(l).unwrap_or(0));
                    i += 3;
                }
                (Some(b'\r'), Some(b'\n')) => i += 3,
                (Some(b'\n'), _) => i += 2,
                _ => {
                    buf.push(b'=');
                    i += 1;
                }
            }
        } else {
            buf.push(b);
            i += 1;
        }
        if buf.len() >= CHUNK {
            out.write_all(&buf)?;
            total += buf.len() as u64;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    Ok(total + buf.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_across_lines_and_chunks() {
        let mut v = Vec::new();
        assert_eq!(base64(b"aGVs\r\nbG8g\nd29y bGQ=\r\n", &mut v).unwrap(), 11);
        assert_eq!(v, b"hello world");
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let abc = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut enc = String::new();
        for (n, c) in big.chunks(3).enumerate() {
            let w = c.iter().fold(0u32, |a, &b| (a << 8) | b as u32) << (8 * (3 - c.len()));
            for k in 0..=c.len() {
                enc.push(abc[(w >> (18 - 6 * k) & 63) as usize] as char);
            }
            if n % 19 == 18 {
                enc.push_str("\r\n");
            }
        }
        let mut v = Vec::new();
        base64(enc.as_bytes(), &mut v).unwrap();
        assert_eq!(v, big);
    }

    #[test]
    fn quoted_printable_escapes_and_soft_breaks() {
        let mut v = Vec::new();
        quoted_printable(b"caf=C3=A9 =\r\nau lait=\n ok =ZZ", &mut v).unwrap();
        assert_eq!(v, "café au lait ok =ZZ".as_bytes());
    }
}
