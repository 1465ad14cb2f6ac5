//! POP3 commands (RFC 1939 §4-7, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH,
//! RFC 6856 UTF8) and their wire form. Arguments are checked before anything is sent: a
//! CR, LF or NUL inside one would let a value (a user name, a password from a command)
//! smuggle a second command onto the line. Debug output never shows a password or a
//! SASL payload.

use super::Pop3Error;
use std::fmt;

/// RFC 2449 §4: a command line is at most 255 octets (we allow the CRLF on top). Only
/// PASS and SASL responses may be longer (RFC 5034 §4 lifts the limit for AUTH).
const MAX_COMMAND: usize = 255;

/// One command to the server.
#[derive(Clone, PartialEq, Eq)]
pub enum Pop3Command {
    Capa,
    Stls,
    Utf8,
    User(Vec<u8>),
    Pass(Vec<u8>),
    /// User name and the hex MD5 digest (RFC 1939 §7).
    Apop(Vec<u8>, String),
    /// A SASL mechanism and an optional initial response (already base64).
    Auth(String, Option<String>),
    /// A line answering a SASL challenge (base64, or `*` to cancel).
    SaslResponse(String),
    Stat,
    List(Option<u32>),
    Uidl(Option<u32>),
    Retr(u32),
    Top(u32, u32),
    Dele(u32),
    Rset,
    Noop,
    Quit,
}

impl Pop3Command {
    /// Whether a positive reply carries a multi-line body.
    pub fn is_multiline(&self) -> bool {
        matches!(
            self,
            Pop3Command::Capa
                | Pop3Command::List(None)
                | Pop3Command::Uidl(None)
                | Pop3Command::Retr(_)
                | Pop3Command::Top(..)
        )
    }

    /// The command word, for messages ("RETR 12"), never with a secret in it.
    pub fn name(&self) -> String {
        match self {
            Pop3Command::Capa => "CAPA".into(),
            Pop3Command::Stls => "STLS".into(),
            Pop3Command::Utf8 => "UTF8".into(),
            Pop3Command::User(_) => "USER".into(),
            Pop3Command::Pass(_) => "PASS".into(),
            Pop3Command::Apop(..) => "APOP".into(),
            Pop3Command::Auth(m, _) => format!("AUTH {m}"),
            Pop3Command::SaslResponse(_) => "AUTH response".into(),
            Pop3Command::Stat => "STAT".into(),
            Pop3Command::List(None) => "LIST".into(),
            Pop3Command::List(Some(n)) => format!("LIST {n}"),
            Pop3Command::Uidl(None) => "UIDL".into(),
            Pop3Command::Uidl(Some(n)) => format!("UIDL {n}"),
            Pop3Command::Retr(n) => format!("RETR {n}"),
            Pop3Command::Top(n, l) => format!("TOP {n} {l}"),
            Pop3Command::Dele(n) => format!("DELE {n}"),
            Pop3Command::Rset => "RSET".into(),
            Pop3Command::Noop => "NOOP".into(),
            Pop3Command::Quit => "QUIT".into(),
        }
    }

    /// Whether the command carries a secret (its line must never be logged).
    pub fn is_secret(&self) -> bool {
        matches!(
            self,
            Pop3Command::Pass(_)
                | Pop3Command::Apop(..)
                | Pop3Command::Auth(_, Some(_))
                | Pop3Command::SaslResponse(_)
        )
    }

    /// Appends the command line (with CRLF) to `out`; on an error nothing is appended.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), Pop3Error> {
        let start = out.len();
        let r = self.encode_line(out, start);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    fn encode_line(&self, out: &mut Vec<u8>, start: usize) -> Result<(), Pop3Error> {
        let mut push = |parts: &[&[u8]]| -> Result<(), Pop3Error> {
            for (i, p) in parts.iter().enumerate() {
                if p.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0) {
                    return Err(Pop3Error::BadArgument(format!(
                        "{}: a CR, LF or NUL byte in an argument",
                        self.name()
                    )));
                }
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(p);
            }
            Ok(())
        };
        let num = |n: &u32| n.to_string().into_bytes();
        match self {
            Pop3Command::Capa => push(&[b"CAPA"])?,
            Pop3Command::Stls => push(&[b"STLS"])?,
            Pop3Command::Utf8 => push(&[b"UTF8"])?,
            Pop3Command::User(u) => {
                // RFC 1939 §7: the name is one argument (a space would split it).
                if u.is_empty() || u.contains(&b' ') {
                    return Err(Pop3Error::BadArgument(
                        "USER: the user name is empty or contains a space".into(),
                    ));
                }
                push(&[b"USER", u])?
            }
            // RFC 1939 §7: the server may treat the rest of the line as the password,
            // spaces included.
            Pop3Command::Pass(p) => push(&[b"PASS", p])?,
            Pop3Command::Apop(u, digest) => {
                if u.is_empty() || u.contains(&b' ') {
                    return Err(Pop3Error::BadArgument(
                        "APOP: the user name is empty or contains a space".into(),
                    ));
                }
                push(&[b"APOP", u, digest.as_bytes()])?
            }
            Pop3Command::Auth(m, None) => push(&[b"AUTH", m.as_bytes()])?,
            Pop3Command::Auth(m, Some(ir)) => {
                // RFC 5034 §4: an empty initial response is sent as "=".
                let ir = if ir.is_empty() { "=" } else { ir.as_str() };
                push(&[b"AUTH", m.as_bytes(), ir.as_bytes()])?
            }
            Pop3Command::SaslResponse(r) => push(&[r.as_bytes()])?,
            Pop3Command::Stat => push(&[b"STAT"])?,
            Pop3Command::List(None) => push(&[b"LIST"])?,
            Pop3Command::List(Some(n)) => push(&[b"LIST", &num(n)])?,
            Pop3Command::Uidl(None) => push(&[b"UIDL"])?,
            Pop3Command::Uidl(Some(n)) => push(&[b"UIDL", &num(n)])?,
            Pop3Command::Retr(n) => push(&[b"RETR", &num(n)])?,
            Pop3Command::Top(n, l) => push(&[b"TOP", &num(n), &num(l)])?,
            Pop3Command::Dele(n) => push(&[b"DELE", &num(n)])?,
            Pop3Command::Rset => push(&[b"RSET"])?,
            Pop3Command::Noop => push(&[b"NOOP"])?,
            Pop3Command::Quit => push(&[b"QUIT"])?,
        }
        let long_ok = matches!(
            self,
            Pop3Command::Pass(_) | Pop3Command::Auth(..) | Pop3Command::SaslResponse(_)
        );
        if !long_ok && out.len() - start > MAX_COMMAND {
            return Err(Pop3Error::BadArgument(format!(
                "{}: the command is longer than {MAX_COMMAND} bytes",
                self.name()
            )));
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }
}

impl fmt::Debug for Pop3Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pop3Command::User(u) => write!(f, "USER {}", String::from_utf8_lossy(u)),
            Pop3Command::Apop(u, _) => write!(f, "APOP {} <redacted>", String::from_utf8_lossy(u)),
            c if c.is_secret() => write!(f, "{} <redacted>", c.name()),
            c => f.write_str(&c.name()),
        }
    }
}
