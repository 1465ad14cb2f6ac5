//! Modified UTF-7 mailbox names (RFC 3501 §5.1.3): printable ASCII stands for itself
//! except `&`, written `&-`; anything else is UTF-16BE in a modified base64 (`,` for
//! `/`, no padding) between `&` and `-`. Servers send names this way and expect them
//! back the same; the user sees UTF-8.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// UTF-8 -> modified UTF-7.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let chars = chunk.len() + 1;
            for i in 0..chars {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// Modified UTF-7 -> UTF-8. A name that is not valid modified UTF-7 (some servers send
/// raw UTF-8) is returned as it came: showing it beats losing the folder.
pub fn decode(name: &str) -> String {
    decode_strict(name).unwrap_or_else(|| name.to_string())
}

fn decode_strict(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find('-')?;
        let b64 = &after[..end];
        if b64.is_empty() {
            out.push('&');
        } else {
            let mut bits: u32 = 0;
            let mut nbits = 0;
            let mut bytes = Vec::new();
            for c in b64.bytes() {
                let v = ALPHABET.iter().position(|&a| a == c)? as u32;
                bits = (bits << 6) | v;
                nbits += 6;
                if nbits >= 8 {
                    nbits -= 8;
                    bytes.push((bits >> nbits) as u8);
                    bits &= (1 << nbits) - 1;
                }
            }
            // Leftover bits must be padding (fewer than 6, all zero), and UTF-16 comes
            // in pairs of bytes.
            if nbits >= 6 || bits != 0 || bytes.is_empty() || bytes.len() % 2 != 0 {
                return None;
            }
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            out.push_str(&String::from_utf16(&units).ok()?);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_examples_round_trip() {
        // RFC 3501 §5.1.3's example, and the names users actually have.
        let cases = [
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("Entwürfe", "Entw&APw-rfe"),
            ("A&B", "A&-B"),
            ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
            ("plain", "plain"),
            ("😀", "&2D3eAA-"),
        ];
        for (utf8, utf7) in cases {
            assert_eq!(encode(utf8), utf7, "encode {utf8}");
            assert_eq!(decode(utf7), utf8, "decode {utf7}");
        }
    }

    #[test]
    fn broken_names_come_back_unchanged() {
        for bad in ["a&bc", "&A-", "&*-", "Entwürfe"] {
            assert_eq!(decode(bad), bad);
        }
    }
}
