//! Parsing what an NNTP server says: status lines (RFC 3977 §3.2: three digits, then
//! text), the capability list (§5.2), the GROUP reply (§6.1.1), LIST ACTIVE and LIST
//! NEWSGROUPS lines (§7.6.3, §7.6.6), DATE (§7.1) and the article numbers of LISTGROUP.
//! Everything works on bytes; text is decoded lossily only to be shown, and then passes
//! `core::sanitize`.

use super::NntpError;

/// A reply's status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NntpStatus {
    pub code: u16,
    pub text: Vec<u8>,
}

impl NntpStatus {
    /// Parses "NNN text". Anything else (no three digits, a first digit outside 1-5,
    /// a fourth character that is not a space) is malformed.
    pub fn parse(line: &[u8]) -> Result<NntpStatus, NntpError> {
        let bad = || {
            NntpError::Malformed(format!(
                "a status line that is not \"NNN text\": {}",
                preview(line)
            ))
        };
        if line.len() < 3 || !line[..3].iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        if !(b'1'..=b'5').contains(&line[0]) {
            return Err(bad());
        }
        let rest = &line[3..];
        if !rest.is_empty() && rest[0] != b' ' {
            return Err(bad());
        }
        let code = u16::from(line[0] - b'0') * 100
            + u16::from(line[1] - b'0') * 10
            + u16::from(line[2] - b'0');
        Ok(NntpStatus {
            code,
            text: rest.strip_prefix(b" ").unwrap_or(rest).to_vec(),
        })
    }

    /// 1xx-3xx: the command worked (or wants more).
    pub fn ok(&self) -> bool {
        self.code < 400
    }

    /// The reply text, decoded lossily and made safe to show.
    pub fn text(&self) -> String {
        preview(&self.text)
    }

    /// "NNN text" for messages.
    pub fn shown(&self) -> String {
        format!("{} {}", self.code, self.text())
    }
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

/// What the server said it can do (RFC 3977 §5.2). Unknown capabilities are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NntpCaps {
    pub version2: bool,
    pub reader: bool,
    pub mode_reader: bool,
    pub over: bool,
    pub hdr: bool,
    pub newnews: bool,
    pub post: bool,
    pub starttls: bool,
    /// RFC 4643 §2.2: AUTHINFO USER offered.
    pub authinfo_user: bool,
    /// SASL mechanisms, upper-cased.
    pub sasl: Vec<String>,
    /// LIST variants, upper-cased ("ACTIVE", "NEWSGROUPS", "OVERVIEW.FMT"...).
    pub list: Vec<String>,
}

impl NntpCaps {
    /// Adds one capability line.
    pub fn add_line(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let mut words = text.split_ascii_whitespace();
        let Some(tag) = words.next() else {
            return;
        };
        let upper = |w: &str| w.to_ascii_uppercase();
        match upper(tag).as_str() {
            "VERSION" => self.version2 = words.any(|w| w == "2"),
            "READER" => self.reader = true,
            "MODE-READER" => self.mode_reader = true,
            "OVER" => self.over = true,
            "HDR" => self.hdr = true,
            "NEWNEWS" => self.newnews = true,
            "POST" => self.post = true,
            "STARTTLS" => self.starttls = true,
            "AUTHINFO" => {
                for w in words {
                    if w.eq_ignore_ascii_case("USER") {
                        self.authinfo_user = true;
                    }
                }
            }
            "SASL" => self.sasl.extend(words.map(upper)),
            "LIST" => self.list.extend(words.map(upper)),
            _ => {}
        }
    }

    pub fn has_sasl(&self, mech: &str) -> bool {
        self.sasl.iter().any(|m| m.eq_ignore_ascii_case(mech))
    }

    pub fn has_list(&self, what: &str) -> bool {
        self.list.iter().any(|m| m.eq_ignore_ascii_case(what))
    }
}

/// The GROUP reply "211 count low high group" (RFC 3977 §6.1.1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NntpGroupInfo {
    pub count: u64,
    pub low: u64,
    pub high: u64,
    pub name: String,
}

impl NntpGroupInfo {
    pub fn parse(status: &NntpStatus) -> Result<NntpGroupInfo, NntpError> {
        let text = String::from_utf8_lossy(&status.text);
        let mut w = text.split_ascii_whitespace();
        let num = |s: Option<&str>| s.and_then(|s| s.parse::<u64>().ok());
        match (num(w.next()), num(w.next()), num(w.next()), w.next()) {
            (Some(count), Some(low), Some(high), Some(name)) => Ok(NntpGroupInfo {
                count,
                low,
                high,
                name: name.to_string(),
            }),
            _ => Err(NntpError::Malformed(format!(
                "a GROUP reply without count, low, high and name: {}",
                status.shown()
            ))),
        }
    }

    /// RFC 3977 §6.1.1.2: an empty group may report high = low - 1 (or 0 0 0).
    pub fn is_empty(&self) -> bool {
        self.count == 0 || self.high < self.low
    }
}

/// One LIST ACTIVE line: "group high low status" (RFC 3977 §7.6.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NntpActive {
    pub name: String,
    pub high: u64,
    pub low: u64,
    /// "y" posting allowed, "n" not, "m" moderated, others as sent.
    pub status: String,
}

pub fn parse_active_line(line: &[u8]) -> Result<NntpActive, NntpError> {
    let text = String::from_utf8_lossy(line);
    let mut w = text.split_ascii_whitespace();
    let num = |s: Option<&str>| s.and_then(|s| s.parse::<u64>().ok());
    match (w.next(), num(w.next()), num(w.next()), w.next()) {
        (Some(name), Some(high), Some(low), status) if !name.contains('\u{fffd}') => {
            Ok(NntpActive {
                name: name.to_string(),
                high,
                low,
                status: status.unwrap_or("y").to_string(),
            })
        }
        _ => Err(NntpError::Malformed(format!(
            "a LIST ACTIVE line that is not \"group high low status\": {}",
            preview(line)
        ))),
    }
}

/// One LIST NEWSGROUPS line: "group<whitespace>description" (RFC 3977 §7.6.6). The
/// description is decoded lossily (it is often Latin-1 or raw UTF-8) and sanitised.
pub fn parse_newsgroups_line(line: &[u8]) -> Option<(String, String)> {
    let split = line.iter().position(|&b| b == b' ' || b == b'\t')?;
    let name = std::str::from_utf8(&line[..split]).ok()?;
    if name.is_empty() {
        return None;
    }
    let desc = String::from_utf8_lossy(&line[split..]);
    Some((
        name.to_string(),
        crate::core::sanitize::line(desc.trim()).into_owned(),
    ))
}

/// DATE's "111 yyyymmddhhmmss" (RFC 3977 §7.1.2): the 14 digits.
pub fn parse_date(status: &NntpStatus) -> Result<String, NntpError> {
    let text = String::from_utf8_lossy(&status.text);
    match text.split_ascii_whitespace().next() {
        Some(d) if d.len() == 14 && d.bytes().all(|b| b.is_ascii_digit()) => Ok(d.to_string()),
        _ => Err(NntpError::Malformed(format!(
            "a DATE reply without yyyymmddhhmmss: {}",
            status.shown()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        let s = NntpStatus::parse(b"211 3 1 3 test.general").unwrap();
        assert_eq!(s.code, 211);
        let g = NntpGroupInfo::parse(&s).unwrap();
        assert_eq!(
            (g.count, g.low, g.high, g.name.as_str()),
            (3, 1, 3, "test.general")
        );
        assert_eq!(NntpStatus::parse(b"205").unwrap().code, 205);
        for bad in [
            &b"OK"[..],
            b"20",
            b"2000 x",
            b"abc def",
            b"600 x",
            b"",
            b"+OK hi",
        ] {
            assert!(NntpStatus::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn caps_and_lists() {
        let mut c = NntpCaps::default();
        for l in [
            &b"VERSION 2"[..],
            b"READER",
            b"OVER MSGID",
            b"AUTHINFO USER",
            b"SASL PLAIN",
            b"LIST ACTIVE NEWSGROUPS OVERVIEW.FMT",
            b"X-\xff junk",
        ] {
            c.add_line(l);
        }
        assert!(c.version2 && c.reader && c.over && c.authinfo_user && !c.starttls);
        assert!(c.has_sasl("plain") && c.has_list("overview.fmt"));
        let a = parse_active_line(b"comp.mail.archive 0000000015 0000000001 y").unwrap();
        assert_eq!((a.high, a.low, a.status.as_str()), (15, 1, "y"));
        assert!(parse_active_line(b"onlyname").is_err());
        assert_eq!(
            parse_newsgroups_line(b"test.described\tA group\x1b[2J here"),
            Some(("test.described".into(), "A group\u{241b}[2J here".into()))
        );
        let d = NntpStatus::parse(b"111 20261123204504").unwrap();
        assert_eq!(parse_date(&d).unwrap(), "20261123204504");
    }
}
