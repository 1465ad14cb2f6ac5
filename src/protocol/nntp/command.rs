//! NNTP commands (RFC 3977 §5-8, RFC 2980 XOVER/XHDR, RFC 4642 STARTTLS, RFC 4643
//! AUTHINFO) and their wire form. Arguments are checked before anything is sent: a CR,
//! LF or NUL inside one (a group name from a .newsrc, a password from a command) would
//! smuggle a second command onto the line; a space inside a single-word argument would
//! shift the others. Debug output never shows a password or a SASL payload.

use super::NntpError;
use std::fmt;

/// RFC 3977 §3.1: a command line is at most 512 octets including its CRLF.
const MAX_COMMAND: usize = 510;

/// A range of article numbers (RFC 3977 §1.2.2 / §8.3): `n`, `n-` or `n-m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NntpRange {
    One(u64),
    From(u64),
    Between(u64, u64),
}

impl fmt::Display for NntpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NntpRange::One(n) => write!(f, "{n}"),
            NntpRange::From(n) => write!(f, "{n}-"),
            NntpRange::Between(a, b) => write!(f, "{a}-{b}"),
        }
    }
}

/// Which article: by number in the selected group, or by message-id (RFC 3977 §6.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NntpArticleId {
    Number(u64),
    MessageId(String),
    /// The current article of the selected group.
    Current,
}

/// One command to the server.
#[derive(Clone, PartialEq, Eq)]
pub enum NntpCommand {
    Capabilities,
    ModeReader,
    StartTls,
    AuthUser(Vec<u8>),
    AuthPass(Vec<u8>),
    /// AUTHINFO SASL mechanism with an initial response (base64), RFC 4643 §2.4.
    AuthSasl(String, Option<String>),
    /// A line answering a SASL challenge (base64, or `*` to cancel).
    SaslResponse(String),
    /// LIST ACTIVE [wildmat] (RFC 3977 §7.6.3).
    ListActive(Option<String>),
    /// LIST NEWSGROUPS [wildmat] (RFC 3977 §7.6.6).
    ListNewsgroups(Option<String>),
    /// LIST OVERVIEW.FMT (RFC 3977 §8.4).
    ListOverviewFmt,
    /// Plain LIST: the RFC 977 form of LIST ACTIVE for old servers.
    List,
    Group(String),
    ListGroup(Option<String>, Option<NntpRange>),
    Over(NntpRange),
    /// RFC 2980 §2.8: XOVER, for servers without OVER.
    Xover(NntpRange),
    Hdr(String, NntpRange),
    /// RFC 2980 §2.6: XHDR.
    Xhdr(String, NntpRange),
    Article(NntpArticleId),
    Head(NntpArticleId),
    Body(NntpArticleId),
    Stat(NntpArticleId),
    /// NEWNEWS wildmat yyyymmdd hhmmss GMT (RFC 3977 §7.4).
    NewNews(String, String),
    /// NEWGROUPS yyyymmdd hhmmss GMT (RFC 3977 §7.3).
    NewGroups(String),
    Date,
    Quit,
    /// POST (RFC 3977 §6.3.1): 340 asks for the article, which the session sends with
    /// `NntpSession::send_article`; its 240/441 comes back as a second reply to POST.
    Post,
}

/// How a positive reply continues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NntpBody {
    /// Single line only.
    None,
    /// A dot-terminated list of lines (LIST, OVER, CAPABILITIES...).
    Lines,
    /// A dot-terminated article (ARTICLE, HEAD, BODY): decoded as bytes.
    Article,
}

impl NntpCommand {
    /// RFC 3977 §3.4.1: whether the reply with `code` to this command is multi-line.
    pub fn body_for(&self, code: u16) -> NntpBody {
        use NntpCommand as C;
        match (self, code) {
            (C::Capabilities, 101) => NntpBody::Lines,
            (C::ListActive(_) | C::ListNewsgroups(_) | C::ListOverviewFmt | C::List, 215) => {
                NntpBody::Lines
            }
            (C::ListGroup(..), 211) => NntpBody::Lines,
            (C::Over(_) | C::Xover(_), 224) => NntpBody::Lines,
            (C::Hdr(..), 225) => NntpBody::Lines,
            // RFC 2980 §2.6: XHDR answers 221 with a list.
            (C::Xhdr(..), 221) => NntpBody::Lines,
            (C::NewNews(..), 230) => NntpBody::Lines,
            (C::NewGroups(_), 231) => NntpBody::Lines,
            (C::Article(_), 220) | (C::Head(_), 221) | (C::Body(_), 222) => NntpBody::Article,
            _ => NntpBody::None,
        }
    }

    /// The command word, for messages ("ARTICLE 12"), never with a secret in it.
    pub fn name(&self) -> String {
        use NntpCommand as C;
        let id = |a: &NntpArticleId| match a {
            NntpArticleId::Number(n) => format!(" {n}"),
            NntpArticleId::MessageId(m) => format!(" {}", crate::core::sanitize::line(m)),
            NntpArticleId::Current => String::new(),
        };
        match self {
            C::Capabilities => "CAPABILITIES".into(),
            C::ModeReader => "MODE READER".into(),
            C::StartTls => "STARTTLS".into(),
            C::AuthUser(_) => "AUTHINFO USER".into(),
            C::AuthPass(_) => "AUTHINFO PASS".into(),
            C::AuthSasl(m, _) => format!("AUTHINFO SASL {m}"),
            C::SaslResponse(_) => "AUTHINFO SASL response".into(),
            C::ListActive(_) => "LIST ACTIVE".into(),
            C::ListNewsgroups(_) => "LIST NEWSGROUPS".into(),
            C::ListOverviewFmt => "LIST OVERVIEW.FMT".into(),
            C::List => "LIST".into(),
            C::Group(g) => format!("GROUP {}", crate::core::sanitize::line(g)),
            C::ListGroup(..) => "LISTGROUP".into(),
            C::Over(r) => format!("OVER {r}"),
            C::Xover(r) => format!("XOVER {r}"),
            C::Hdr(h, r) => format!("HDR {} {r}", crate::core::sanitize::line(h)),
            C::Xhdr(h, r) => format!("XHDR {} {r}", crate::core::sanitize::line(h)),
            C::Article(a) => format!("ARTICLE{}", id(a)),
            C::Head(a) => format!("HEAD{}", id(a)),
            C::Body(a) => format!("BODY{}", id(a)),
            C::Stat(a) => format!("STAT{}", id(a)),
            C::NewNews(..) => "NEWNEWS".into(),
            C::NewGroups(_) => "NEWGROUPS".into(),
            C::Date => "DATE".into(),
            C::Quit => "QUIT".into(),
            C::Post => "POST".into(),
        }
    }

    /// Whether the command carries a secret (its line must never be logged).
    pub fn is_secret(&self) -> bool {
        matches!(
            self,
            NntpCommand::AuthPass(_)
                | NntpCommand::AuthSasl(_, Some(_))
                | NntpCommand::SaslResponse(_)
        )
    }

    /// Appends the command line (with CRLF) to `out`; on an error nothing is appended.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), NntpError> {
        let start = out.len();
        let r = self.encode_line(out, start);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    fn encode_line(&self, out: &mut Vec<u8>, start: usize) -> Result<(), NntpError> {
        use NntpCommand as C;
        let bad = |why: &str| NntpError::BadArgument(format!("{}: {why}", self.name()));
        // A word: no whitespace, no control bytes (RFC 3977 §3.1: arguments are
        // separated by spaces; a group name or wildmat never holds one).
        let word = |w: &[u8]| -> Result<(), NntpError> {
            if w.is_empty() {
                return Err(bad("an empty argument"));
            }
            if w.iter().any(|&b| b <= b' ' || b == 0x7f) {
                return Err(bad("a space or control byte in an argument"));
            }
            Ok(())
        };
        let id = |a: &NntpArticleId| -> Result<Option<Vec<u8>>, NntpError> {
            match a {
                NntpArticleId::Number(n) => Ok(Some(n.to_string().into_bytes())),
                NntpArticleId::MessageId(m) => {
                    // RFC 3977 §3.6: "<" ... ">", printable US-ASCII without ">" inside.
                    let b = m.as_bytes();
                    let inner_ok = b.len() >= 3
                        && b[0] == b'<'
                        && b[b.len() - 1] == b'>'
                        && b[1..b.len() - 1]
                            .iter()
                            .all(|&c| (0x21..0x7f).contains(&c) && c != b'>');
                    if !inner_ok {
                        return Err(bad("not a message-id"));
                    }
                    Ok(Some(b.to_vec()))
                }
                NntpArticleId::Current => Ok(None),
            }
        };
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut p = |s: &[u8]| parts.push(s.to_vec());
        match self {
            C::Capabilities => p(b"CAPABILITIES"),
            C::ModeReader => p(b"MODE READER"),
            C::StartTls => p(b"STARTTLS"),
            C::AuthUser(u) => {
                word(u)?;
                p(b"AUTHINFO USER");
                p(u);
            }
            C::AuthPass(pw) => {
                // RFC 4643 §2.3: the password is one argument; a space would be
                // taken as its end by some servers, so it is refused rather than cut.
                word(pw)?;
                p(b"AUTHINFO PASS");
                p(pw);
            }
            C::AuthSasl(m, ir) => {
                word(m.as_bytes())?;
                p(b"AUTHINFO SASL");
                p(m.as_bytes());
                if let Some(ir) = ir {
                    // RFC 4643 §2.4.2: an empty initial response is "=".
                    let ir = if ir.is_empty() { "=" } else { ir.as_str() };
                    word(ir.as_bytes())?;
                    p(ir.as_bytes());
                }
            }
            C::SaslResponse(r) => {
                word(r.as_bytes())?;
                p(r.as_bytes());
            }
            C::ListActive(w) | C::ListNewsgroups(w) => {
                p(if matches!(self, C::ListActive(_)) {
                    b"LIST ACTIVE"
                } else {
                    b"LIST NEWSGROUPS"
                });
                if let Some(w) = w {
                    word(w.as_bytes())?;
                    p(w.as_bytes());
                }
            }
            C::ListOverviewFmt => p(b"LIST OVERVIEW.FMT"),
            C::List => p(b"LIST"),
            C::Group(g) => {
                word(g.as_bytes())?;
                p(b"GROUP");
                p(g.as_bytes());
            }
            C::ListGroup(g, r) => {
                p(b"LISTGROUP");
                if let Some(g) = g {
                    word(g.as_bytes())?;
                    p(g.as_bytes());
                    if let Some(r) = r {
                        p(r.to_string().as_bytes());
                    }
                }
            }
            C::Over(r) => {
                p(b"OVER");
                p(r.to_string().as_bytes());
            }
            C::Xover(r) => {
                p(b"XOVER");
                p(r.to_string().as_bytes());
            }
            C::Hdr(h, r) | C::Xhdr(h, r) => {
                word(h.as_bytes())?;
                p(if matches!(self, C::Hdr(..)) {
                    b"HDR"
                } else {
                    b"XHDR"
                });
                p(h.as_bytes());
                p(r.to_string().as_bytes());
            }
            C::Article(a) | C::Head(a) | C::Body(a) | C::Stat(a) => {
                p(match self {
                    C::Article(_) => b"ARTICLE",
                    C::Head(_) => b"HEAD",
                    C::Body(_) => b"BODY",
                    _ => b"STAT",
                });
                if let Some(a) = id(a)? {
                    p(&a);
                }
            }
            C::NewNews(w, when) => {
                word(w.as_bytes())?;
                check_when(when).map_err(&bad)?;
                p(b"NEWNEWS");
                p(w.as_bytes());
                p(when.as_bytes());
                p(b"GMT");
            }
            C::NewGroups(when) => {
                check_when(when).map_err(&bad)?;
                p(b"NEWGROUPS");
                p(when.as_bytes());
                p(b"GMT");
            }
            C::Date => p(b"DATE"),
            C::Quit => p(b"QUIT"),
            C::Post => p(b"POST"),
        }
        out.extend_from_slice(&parts.join(&b' '));
        if out.len() - start > MAX_COMMAND {
            return Err(bad("the command is longer than 512 bytes"));
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }
}

/// RFC 3977 §7.3.2: "yyyymmdd hhmmss" (two words).
fn check_when(when: &str) -> Result<(), &'static str> {
    let ok = when.len() == 15
        && when.as_bytes()[8] == b' '
        && when
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 8 || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err("the time is not \"yyyymmdd hhmmss\"")
    }
}

impl fmt::Debug for NntpCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NntpCommand::AuthUser(u) => {
                write!(f, "AUTHINFO USER {}", String::from_utf8_lossy(u))
            }
            c if c.is_secret() => write!(f, "{} <redacted>", c.name()),
            c => f.write_str(&c.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(c: NntpCommand) -> Result<Vec<u8>, NntpError> {
        let mut out = b"x".to_vec();
        c.encode(&mut out).map(|_| out[1..].to_vec())
    }

    #[test]
    fn wire_forms() {
        assert_eq!(
            enc(NntpCommand::Over(NntpRange::Between(3, 9))).unwrap(),
            b"OVER 3-9\r\n"
        );
        assert_eq!(
            enc(NntpCommand::Article(NntpArticleId::MessageId(
                "<a@b>".into()
            )))
            .unwrap(),
            b"ARTICLE <a@b>\r\n"
        );
        assert_eq!(
            enc(NntpCommand::NewGroups("20261123 101500".into())).unwrap(),
            b"NEWGROUPS 20261123 101500 GMT\r\n"
        );
        assert_eq!(
            enc(NntpCommand::AuthSasl("PLAIN".into(), Some(String::new()))).unwrap(),
            b"AUTHINFO SASL PLAIN =\r\n"
        );
    }

    #[test]
    fn smuggling_is_refused_and_secrets_are_redacted() {
        assert!(enc(NntpCommand::Group("a\r\nQUIT".into())).is_err());
        assert!(enc(NntpCommand::Group("a b".into())).is_err());
        assert!(enc(NntpCommand::AuthPass(b"pw\nQUIT".to_vec())).is_err());
        assert!(
            enc(NntpCommand::Article(NntpArticleId::MessageId(
                "<a> b>".into()
            )))
            .is_err()
        );
        assert!(enc(NntpCommand::NewGroups("yesterday".into())).is_err());
        let d = format!("{:?}", NntpCommand::AuthPass(b"hunter2".to_vec()));
        assert!(!d.contains("hunter2"), "{d}");
        let mut out = b"keep".to_vec();
        assert!(NntpCommand::Group("x\0".into()).encode(&mut out).is_err());
        assert_eq!(out, b"keep", "nothing appended on an error");
    }
}
