//! Logging in: which method to use (USER/PASS and APOP, RFC 1939 §7; SASL through
//! AUTH, RFC 5034, with PLAIN RFC 4616, LOGIN and XOAUTH2), the APOP digest, and the
//! SASL client side of each mechanism. Secrets pass through here and go nowhere else:
//! no error or Debug output contains one.

use super::md5::md5_hex;
use super::reply::Pop3Caps;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

/// The `auth` setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pop3Auth {
    #[default]
    Auto,
    User,
    Apop,
    Plain,
    Login,
    Xoauth2,
}

/// A SASL mechanism we can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaslMech {
    Plain,
    Login,
    Xoauth2,
}

impl SaslMech {
    pub fn name(self) -> &'static str {
        match self {
            SaslMech::Plain => "PLAIN",
            SaslMech::Login => "LOGIN",
            SaslMech::Xoauth2 => "XOAUTH2",
        }
    }
}

/// How this session logs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pop3Login {
    UserPass,
    /// APOP with the greeting's timestamp.
    Apop(Vec<u8>),
    Sasl(SaslMech),
}

/// Picks the login method. `caps` is None when the server has no CAPA; `secure` when
/// the connection is TLS (a password may then travel as it is).
///
/// `auto` prefers SASL PLAIN over TLS (it carries UTF-8 passwords unchanged), APOP on
/// a plaintext link when the greeting offers it (the password never crosses the wire),
/// then USER/PASS, then SASL LOGIN when the server says it has no USER.
pub fn choose_login(
    wanted: Pop3Auth,
    caps: Option<&Pop3Caps>,
    apop_timestamp: Option<&[u8]>,
    secure: bool,
) -> Result<Pop3Login, String> {
    let sasl = |m: &str| caps.is_some_and(|c| c.has_sasl(m));
    match wanted {
        Pop3Auth::User => Ok(Pop3Login::UserPass),
        Pop3Auth::Apop => apop_timestamp
            .map(|t| Pop3Login::Apop(t.to_vec()))
            .ok_or_else(|| {
                "auth = \"apop\", but the server's greeting has no APOP timestamp".to_string()
            }),
        Pop3Auth::Plain => Ok(Pop3Login::Sasl(SaslMech::Plain)),
        Pop3Auth::Login => Ok(Pop3Login::Sasl(SaslMech::Login)),
        Pop3Auth::Xoauth2 => Ok(Pop3Login::Sasl(SaslMech::Xoauth2)),
        Pop3Auth::Auto => {
            if secure && sasl("PLAIN") {
                return Ok(Pop3Login::Sasl(SaslMech::Plain));
            }
            if !secure && let Some(t) = apop_timestamp {
                return Ok(Pop3Login::Apop(t.to_vec()));
            }
            let user_ok = caps.is_none_or(|c| c.user || c.sasl.is_empty());
            if !user_ok && sasl("PLAIN") {
                return Ok(Pop3Login::Sasl(SaslMech::Plain));
            }
            if !user_ok && sasl("LOGIN") {
                return Ok(Pop3Login::Sasl(SaslMech::Login));
            }
            Ok(Pop3Login::UserPass)
        }
    }
}

/// RFC 1939 §7: the hex MD5 of the greeting's timestamp followed by the password.
pub fn apop_digest(timestamp: &[u8], password: &[u8]) -> String {
    let mut data = timestamp.to_vec();
    data.extend_from_slice(password);
    md5_hex(&data)
}

/// The client side of one SASL exchange.
pub struct SaslClient {
    mech: SaslMech,
    user: Vec<u8>,
    secret: Vec<u8>,
    /// Challenges answered so far.
    step: u32,
    /// The initial response went out with the AUTH command.
    sent_initial: bool,
}

impl std::fmt::Debug for SaslClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SaslClient({}, step {})", self.mech.name(), self.step)
    }
}

/// RFC 5034 §4: a command line is at most 255 octets; an initial response that does
/// not fit is sent after the server's empty challenge instead.
const MAX_AUTH_LINE: usize = 255;

impl SaslClient {
    pub fn new(mech: SaslMech, user: &[u8], secret: &[u8]) -> Self {
        SaslClient {
            mech,
            user: user.to_vec(),
            secret: secret.to_vec(),
            step: 0,
            sent_initial: false,
        }
    }

    fn initial(&self) -> Option<Vec<u8>> {
        match self.mech {
            // RFC 4616: authzid NUL authcid NUL passwd (authzid left empty).
            SaslMech::Plain => {
                let mut v = vec![0u8];
                v.extend_from_slice(&self.user);
                v.push(0);
                v.extend_from_slice(&self.secret);
                Some(v)
            }
            SaslMech::Xoauth2 => {
                let mut v = b"user=".to_vec();
                v.extend_from_slice(&self.user);
                v.extend_from_slice(b"\x01auth=Bearer ");
                v.extend_from_slice(&self.secret);
                v.extend_from_slice(b"\x01\x01");
                Some(v)
            }
            SaslMech::Login => None,
        }
    }

    /// The argument for `AUTH mech [initial-response]`, when it fits on the line.
    pub fn initial_response(&mut self) -> Option<String> {
        let ir = B64.encode(self.initial()?);
        if "AUTH ".len() + self.mech.name().len() + 1 + ir.len() > MAX_AUTH_LINE {
            return None;
        }
        self.sent_initial = true;
        Some(ir)
    }

    /// The answer to a "+ challenge" line (the challenge is base64; we do not need to
    /// read it). `*` cancels the exchange (RFC 5034 §4) when the mechanism has nothing
    /// more to say.
    pub fn respond(&mut self, _challenge: &[u8]) -> String {
        self.step += 1;
        match self.mech {
            SaslMech::Plain if !self.sent_initial && self.step == 1 => {
                self.initial().map(|v| B64.encode(v)).unwrap_or_default()
            }
            SaslMech::Xoauth2 if !self.sent_initial && self.step == 1 => {
                self.initial().map(|v| B64.encode(v)).unwrap_or_default()
            }
            // XOAUTH2 sends its error as a challenge; an empty line gets the -ERR.
            SaslMech::Xoauth2 => String::new(),
            SaslMech::Login if self.step == 1 => B64.encode(&self.user),
            SaslMech::Login if self.step == 2 => B64.encode(&self.secret),
            _ => "*".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_prefers_plain_over_tls_and_apop_in_the_clear() {
        let caps = Pop3Caps {
            sasl: vec!["PLAIN".into()],
            user: true,
            ..Default::default()
        };
        let ts = b"<1.2@host>";
        assert_eq!(
            choose_login(Pop3Auth::Auto, Some(&caps), Some(ts), true).unwrap(),
            Pop3Login::Sasl(SaslMech::Plain)
        );
        assert_eq!(
            choose_login(Pop3Auth::Auto, Some(&caps), Some(ts), false).unwrap(),
            Pop3Login::Apop(ts.to_vec())
        );
        assert_eq!(
            choose_login(Pop3Auth::Auto, None, None, true).unwrap(),
            Pop3Login::UserPass
        );
        assert!(choose_login(Pop3Auth::Apop, None, None, true).is_err());
    }

    #[test]
    fn sasl_payloads() {
        let mut p = SaslClient::new(SaslMech::Plain, b"tim", b"tanstaaftanstaaf");
        assert_eq!(
            p.initial_response().as_deref(),
            Some("AHRpbQB0YW5zdGFhZnRhbnN0YWFm")
        );
        assert_eq!(p.respond(b""), "*");
        let mut l = SaslClient::new(SaslMech::Login, b"tim", b"pw");
        assert_eq!(l.initial_response(), None);
        assert_eq!(l.respond(b"VXNlcm5hbWU6"), "dGlt");
        assert_eq!(l.respond(b"UGFzc3dvcmQ6"), "cHc=");
        let mut x = SaslClient::new(SaslMech::Xoauth2, b"u@x", &[b'a'; 300]);
        assert_eq!(x.initial_response(), None, "too long for the AUTH line");
        assert!(x.respond(b"").starts_with("dXNlcj11QHgBYXV0aD1CZWFyZXIg"));
        assert_eq!(x.respond(b"eyJzdGF0dXMiOiI0MDEifQ=="), "");
    }

    #[test]
    fn apop_digest_matches_rfc_1939() {
        assert_eq!(
            apop_digest(b"<1896.697170952@dbc.mtview.ca.us>", b"tanstaaf"),
            "c4c9334bac560ecc979e58001b3e22fb"
        );
    }
}
