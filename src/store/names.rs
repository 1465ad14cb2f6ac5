//! Reversible names: file and folder names on disk are bytes, `LocalId` and
//! `FolderPath` are Strings. A name that is not UTF-8 is still listed and acted on:
//! each byte that is not part of valid UTF-8 becomes the private-use code point
//! U+F700 + byte, and a real U+F700..=U+F7FF character in a name is escaped the same way
//! (each of its three UTF-8 bytes), so `decode(encode(x)) == x` for every byte string
//! and the encoded form shows lossily but readably.
//!
//! Pure functions over bytes; depends on nothing else in the crate.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

const BASE: u32 = 0xF700;

fn escaped(b: u8) -> char {
    char::from_u32(BASE + u32::from(b)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

fn is_escape(c: char) -> bool {
    (BASE..=BASE + 0xFF).contains(&u32::from(c))
}

/// The String form of a name from the disk.
pub fn encode(name: &OsStr) -> String {
    encode_bytes(name.as_bytes())
}

/// The String form of raw name bytes.
pub fn encode_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if is_escape(c) {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push(escaped(b));
                }
            } else {
                out.push(c);
            }
        }
        for &b in chunk.invalid() {
            out.push(escaped(b));
        }
    }
    out
}

/// The bytes on disk for an encoded name.
pub fn decode_bytes(name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    for c in name.chars() {
        if is_escape(c) {
            // The range check above makes this fit in a byte.
            out.push((u32::from(c) - BASE) as u8);
        } else {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    out
}

/// The OS name for an encoded name.
pub fn decode(name: &str) -> OsString {
    OsString::from_vec(decode_bytes(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_kind_of_byte_string() {
        let cases: Vec<Vec<u8>> = vec![
            b"plain".to_vec(),
            vec![b'a', 0xFF, b'b'],
            vec![0xC3],
            "caf\u{e9} \u{F7FF}\u{F700}x".as_bytes().to_vec(),
            vec![0xEF, 0x9C, 0x80, 0xFF],
            (0u8..=255).collect(),
        ];
        for c in cases {
            let s = encode_bytes(&c);
            assert_eq!(decode_bytes(&s), c, "{s:?}");
        }
        assert_eq!(encode_bytes(b"plain"), "plain");
        assert_eq!(encode_bytes(&[b'x', 0xFF]), "x\u{F7FF}");
        // A real private-use character is escaped, so it cannot be confused with a byte.
        assert_ne!(encode_bytes("\u{F7FF}".as_bytes()), "\u{F7FF}");
    }
}
