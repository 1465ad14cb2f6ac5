//! Parsing what a POP3 server says: status lines (RFC 1939 §3) with their RFC 2449 §8
//! response codes, the APOP timestamp of the greeting (RFC 1939 §7), CAPA lines
//! (RFC 2449 §5-6, RFC 2595 STLS, RFC 5034 SASL, RFC 6856 UTF8), and the lines of
//! STAT, LIST and UIDL. Everything works on bytes; text is decoded lossily only to be
//! shown, and then passes `core::sanitize`.

use super::Pop3Error;

/// A reply's status line: positive or negative, an optional response code and the
/// rest of the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pop3Status {
    pub ok: bool,
    /// RFC 2449 §8 code, upper-cased: "IN-USE", "LOGIN-DELAY", "SYS/TEMP", "AUTH"...
    pub code: Option<String>,
    pub text: Vec<u8>,
}

impl Pop3Status {
    /// Parses "+OK ..." or "-ERR ..." (case-insensitively, as some servers differ).
    pub fn parse(line: &[u8]) -> Result<Pop3Status, Pop3Error> {
        let (ok, rest) = if starts_with_ci(line, b"+OK") {
            (true, &line[3..])
        } else if starts_with_ci(line, b"-ERR") {
            (false, &line[4..])
        } else {
            return Err(Pop3Error::Malformed(format!(
                "a reply that is neither +OK nor -ERR: {}",
                preview(line)
            )));
        };
        // "+OKAY" is not "+OK": the status word ends at a space or the line's end.
        if !rest.is_empty() && rest[0] != b' ' {
            return Err(Pop3Error::Malformed(format!(
                "a reply that is neither +OK nor -ERR: {}",
                preview(line)
            )));
        }
        let text = rest.strip_prefix(b" ").unwrap_or(rest);
        let (code, text) = response_code(text);
        Ok(Pop3Status {
            ok,
            code,
            text: text.to_vec(),
        })
    }

    /// The reply text, decoded lossily and made safe to show.
    pub fn text(&self) -> String {
        preview(&self.text)
    }

    /// RFC 1939 §7: the greeting's timestamp, `<...>` with an `@` inside, for APOP.
    pub fn apop_timestamp(&self) -> Option<Vec<u8>> {
        let start = self.text.iter().position(|&b| b == b'<')?;
        let len = self.text[start..].iter().position(|&b| b == b'>')?;
        let stamp = &self.text[start..=start + len];
        (stamp.contains(&b'@') && stamp.iter().all(|&b| (0x21..0x7f).contains(&b)))
            .then(|| stamp.to_vec())
    }
}

/// Splits "[CODE] text" (RFC 2449 §8) into the code and the text.
fn response_code(text: &[u8]) -> (Option<String>, &[u8]) {
    let Some(inner) = text.strip_prefix(b"[") else {
        return (None, text);
    };
    let Some(end) = inner.iter().position(|&b| b == b']') else {
        return (None, text);
    };
    let code = &inner[..end];
    let valid = !code.is_empty()
        && code
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/');
    if !valid {
        return (None, text);
    }
    let rest = &inner[end + 1..];
    (
        Some(String::from_utf8_lossy(code).to_ascii_uppercase()),
        rest.strip_prefix(b" ").unwrap_or(rest),
    )
}

fn starts_with_ci(line: &[u8], prefix: &[u8]) -> bool {
    line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Up to 100 bytes of server text, decoded lossily and sanitised, for a message.
pub fn preview(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(100)];
    let s = String::from_utf8_lossy(cut);
    let s = crate::core::sanitize::line(s.trim());
    if bytes.len() > 100 {
        format!("{s}…")
    } else {
        s.into_owned()
    }
}

/// What the server said it can do (RFC 2449 CAPA). Unknown capabilities are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pop3Caps {
    pub top: bool,
    pub user: bool,
    pub uidl: bool,
    pub pipelining: bool,
    pub resp_codes: bool,
    pub stls: bool,
    /// RFC 6856: UTF8 mode; `utf8_user` when user names and passwords may be UTF-8.
    pub utf8: bool,
    pub utf8_user: bool,
    /// SASL mechanisms, upper-cased (RFC 5034 §3).
    pub sasl: Vec<String>,
    /// RFC 2449 §6.7: "NEVER", or days (0: messages are removed after retrieval).
    pub expire: Option<String>,
    pub login_delay: Option<u32>,
}

impl Pop3Caps {
    /// Adds one CAPA line.
    pub fn add_line(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let mut words = text.split_ascii_whitespace();
        let Some(tag) = words.next() else {
            return;
        };
        match tag.to_ascii_uppercase().as_str() {
            "TOP" => self.top = true,
            "USER" => self.user = true,
            "UIDL" => self.uidl = true,
            "PIPELINING" => self.pipelining = true,
            "RESP-CODES" => self.resp_codes = true,
            "STLS" => self.stls = true,
            "UTF8" => {
                self.utf8 = true;
                self.utf8_user = words.any(|w| w.eq_ignore_ascii_case("USER"));
            }
            "SASL" => self
                .sasl
                .extend(words.map(|w| w.to_ascii_uppercase()).filter(|w| {
                    w.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                })),
            "EXPIRE" => self.expire = words.next().map(str::to_ascii_uppercase),
            "LOGIN-DELAY" => self.login_delay = words.next().and_then(|w| w.parse().ok()),
            _ => {}
        }
    }

    pub fn has_sasl(&self, mech: &str) -> bool {
        self.sasl.iter().any(|m| m.eq_ignore_ascii_case(mech))
    }
}

/// STAT's "+OK count size" (RFC 1939 §5).
pub fn parse_stat(status: &Pop3Status) -> Result<(u32, u64), Pop3Error> {
    let text = String::from_utf8_lossy(&status.text);
    let mut w = text.split_ascii_whitespace();
    match (
        w.next().and_then(|n| n.parse().ok()),
        w.next().and_then(|n| n.parse().ok()),
    ) {
        (Some(n), Some(s)) => Ok((n, s)),
        _ => Err(Pop3Error::Malformed(format!(
            "a STAT reply without a count and size: {}",
            status.text()
        ))),
    }
}

/// One line of LIST: "msg size" (RFC 1939 §5; anything after the size is ignored).
/// The single-message form "+OK msg size" parses the same way from the status text.
pub fn parse_scan_line(line: &[u8]) -> Result<(u32, u64), Pop3Error> {
    let text = String::from_utf8_lossy(line);
    let mut w = text.split_ascii_whitespace();
    match (
        w.next().and_then(|n| n.parse::<u32>().ok()),
        w.next().and_then(|n| n.parse::<u64>().ok()),
    ) {
        (Some(n), Some(s)) if n > 0 => Ok((n, s)),
        _ => Err(Pop3Error::Malformed(format!(
            "a LIST line that is not \"number size\": {}",
            preview(line)
        ))),
    }
}

/// One line of UIDL: "msg unique-id" (RFC 1939 §7: 1 to 70 characters in 0x21-0x7E).
/// Longer ids (up to 512) are accepted, since some servers exceed the limit; control
/// characters, spaces inside and non-ASCII bytes are not.
pub fn parse_uidl_line(line: &[u8]) -> Result<(u32, String), Pop3Error> {
    let bad = || {
        Pop3Error::Malformed(format!(
            "a UIDL line that is not \"number unique-id\": {}",
            preview(line)
        ))
    };
    let line = trim_ascii_end(line);
    let sp = line.iter().position(|&b| b == b' ').ok_or_else(bad)?;
    let n: u32 = std::str::from_utf8(&line[..sp])
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|n| *n > 0)
        .ok_or_else(bad)?;
    let id = &line[sp + 1..];
    let id = &id[id.iter().take_while(|&&b| b == b' ').count()..];
    if id.is_empty() || id.len() > 512 || !id.iter().all(|&b| (0x21..0x7f).contains(&b)) {
        return Err(bad());
    }
    Ok((n, String::from_utf8_lossy(id).into_owned()))
}

fn trim_ascii_end(b: &[u8]) -> &[u8] {
    let end = b.len() - b.iter().rev().take_while(|c| **c == b' ').count();
    &b[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        let s =
            Pop3Status::parse(b"-ERR [IN-USE] Do you have another POP session running?").unwrap();
        assert!(!s.ok);
        assert_eq!(s.code.as_deref(), Some("IN-USE"));
        assert_eq!(s.text, b"Do you have another POP session running?");
        assert!(Pop3Status::parse(b"+OK").unwrap().ok);
        assert!(Pop3Status::parse(b"+ok fine").unwrap().ok);
        assert!(Pop3Status::parse(b"+OKAY").is_err());
        assert!(Pop3Status::parse(b"* OK imap").is_err());
        let g = Pop3Status::parse(b"+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>").unwrap();
        assert_eq!(
            g.apop_timestamp().unwrap(),
            b"<1896.697170952@dbc.mtview.ca.us>"
        );
        assert_eq!(
            Pop3Status::parse(b"+OK ready").unwrap().apop_timestamp(),
            None
        );
    }

    #[test]
    fn capa_lines_unknown_ones_ignored() {
        let mut c = Pop3Caps::default();
        for l in [
            &b"TOP"[..],
            b"UIDL",
            b"SASL PLAIN LOGIN XOAUTH2 X-UNKNOWN-MECH",
            b"UTF8 USER",
            b"X-SOMETHING 1 2 3",
            b"PIPELINING",
            b"EXPIRE NEVER",
            b"IMPLEMENTATION \xff\xfe weird",
        ] {
            c.add_line(l);
        }
        assert!(c.top && c.uidl && c.pipelining && c.utf8 && c.utf8_user && !c.stls);
        assert!(c.has_sasl("plain") && c.has_sasl("X-UNKNOWN-MECH"));
        assert_eq!(c.expire.as_deref(), Some("NEVER"));
    }

    #[test]
    fn listing_lines() {
        assert_eq!(parse_scan_line(b"2 200").unwrap(), (2, 200));
        assert_eq!(parse_scan_line(b"2 200 extra").unwrap(), (2, 200));
        assert!(parse_scan_line(b"two 200").is_err());
        assert!(parse_scan_line(b"0 200").is_err());
        assert_eq!(
            parse_uidl_line(b"1 whqtswO00WBw418f9t5JxYwZ").unwrap(),
            (1, "whqtswO00WBw418f9t5JxYwZ".to_string())
        );
        assert!(parse_uidl_line(b"1 ").is_err());
        assert!(parse_uidl_line(b"1 a\x01b").is_err());
        assert!(parse_uidl_line(b"1 caf\xc3\xa9").is_err());
    }
}
