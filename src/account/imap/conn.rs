//! One IMAP connection, driven with raw commands over async-imap's framing and parser.
//!
//! async-imap's `Session` is not used: it has no timeouts, drops unsolicited responses
//! past a small channel, cannot start from a PREAUTH greeting and turns an unparseable
//! reply into silent empty results (../shared/CRATES.md). Here every command is written
//! by us, every response is read by us with a deadline, and any early end, parse failure
//! or BYE is an error that poisons the connection: the caller drops it and reconnects.
//!
//! Security rules (RFC 3501 §6.2.1, RFC 2595, RFC 8314): with `tls = starttls` there is
//! no way on to LOGIN without STARTTLS succeeding; capabilities are asked again after
//! TLS (those sent before it may have been forged) and again after authentication. The
//! password is only ever written to the socket: never into an error or a log.

use super::resp::{Code, ImapStatus, Resp, own};
use crate::core::ErrorKind;
use crate::core::sanitize;
use crate::net::{self, NetError, NetStream, TlsMode, TlsSettings, Tunnel};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Everything needed to open a connection; the password already read from its command.
#[derive(Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub tls_settings: TlsSettings,
    /// Speak IMAP over this command's stdio instead of host/port.
    pub tunnel: Option<String>,
    pub user: String,
    pub password: Option<String>,
    /// The deadline for each step of a command (connect, one response).
    pub timeout: Duration,
}

impl std::fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("tunnel", &self.tunnel)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The completion of a command that succeeded.
#[derive(Clone, Debug)]
pub struct Done {
    pub code: Option<Code>,
    pub text: String,
}

/// A part of a command line: text, or a literal (RFC 3501 §4.3).
pub enum Part<'a> {
    Text(Cow<'a, str>),
    Literal(&'a [u8]),
}

impl<'a> Part<'a> {
    pub fn text(s: &'a str) -> Part<'a> {
        Part::Text(Cow::Borrowed(s))
    }
}

pub struct ImapConn {
    client: async_imap::Client<NetStream>,
    next_tag: u32,
    pub caps: BTreeSet<String>,
    pub limit: Duration,
    /// Set after any failure: the connection's state is unknown, drop it.
    pub broken: bool,
    /// A tunnel's stderr, for errors.
    tunnel: bool,
}

fn err(kind: ErrorKind, message: impl Into<String>) -> NetError {
    NetError::new(kind, message)
}

/// Server text, made safe to show.
fn shown(text: &str) -> String {
    sanitize::line(text.trim()).chars().take(300).collect()
}

impl ImapConn {
    /// Connects, secures, logs in (unless PREAUTH) and reads the capabilities.
    pub async fn open(s: &ImapSettings) -> Result<ImapConn, NetError> {
        let where_ = match &s.tunnel {
            Some(t) => format!("tunnel `{t}`"),
            None => format!("{}:{}", s.host, s.port),
        };
        let stream = match (&s.tunnel, s.tls) {
            (Some(cmd), _) => NetStream::tunnel(Tunnel::spawn(cmd)?),
            (None, TlsMode::Implicit) => {
                let ep = net::Endpoint {
                    host: s.host.clone(),
                    port: s.port,
                    tls: s.tls_settings.clone(),
                };
                net::connect_tls(&ep, s.timeout).await?
            }
            (None, _) => net::connect_plain(&s.host, s.port, s.timeout).await?,
        };
        let mut c = ImapConn {
            tunnel: stream.is_tunnel(),
            client: async_imap::Client::new(stream),
            next_tag: 0,
            caps: BTreeSet::new(),
            limit: s.timeout,
            broken: false,
        };
        let preauth = c.greeting(&where_).await?;
        if s.tunnel.is_none() && s.tls == TlsMode::Starttls {
            if preauth {
                return Err(err(
                    ErrorKind::Network,
                    format!(
                        "{where_}: the server logged us in before STARTTLS (PREAUTH); refusing to use a plaintext connection (tls = \"starttls\")"
                    ),
                ));
            }
            c = c.start_tls(s, &where_).await?;
        }
        if !preauth {
            c.login(s, &where_).await?;
        }
        if c.caps.is_empty() {
            c.capability().await?;
        }
        Ok(c)
    }

    /// Reads the greeting (RFC 3501 §7.1.1-7.1.5); true for PREAUTH.
    async fn greeting(&mut self, where_: &str) -> Result<bool, NetError> {
        let first = match self.next().await {
            Ok(r) => r,
            Err(e) => {
                let diag = if self.tunnel {
                    let d = self.client.get_ref().diagnostics();
                    if d.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", shown(&d))
                    }
                } else {
                    String::new()
                };
                return Err(err(
                    e.kind,
                    format!("{where_}: no IMAP greeting: {e}{diag}"),
                ));
            }
        };
        match first {
            Resp::Untagged { status, code, text } => {
                if let Some(Code::Capabilities(c)) = code {
                    self.caps = c.into_iter().collect();
                }
                match status {
                    ImapStatus::Ok => Ok(false),
                    ImapStatus::PreAuth => Ok(true),
                    ImapStatus::Bye => Err(err(
                        ErrorKind::Network,
                        format!(
                            "{where_}: the server refused the connection: {}",
                            shown(&text)
                        ),
                    )),
                    _ => Err(err(
                        ErrorKind::Protocol,
                        format!("{where_}: unexpected greeting: {}", shown(&text)),
                    )),
                }
            }
            other => Err(err(
                ErrorKind::Protocol,
                format!("{where_}: not an IMAP greeting: {other:?}"),
            )),
        }
    }

    /// STARTTLS (RFC 3501 §6.2.1): offered and accepted, or an error; then the
    /// capabilities again, over TLS.
    async fn start_tls(mut self, s: &ImapSettings, where_: &str) -> Result<ImapConn, NetError> {
        if self.caps.is_empty() {
            self.capability().await?;
        }
        if !self.caps.contains("STARTTLS") {
            return Err(err(
                ErrorKind::Network,
                format!(
                    "{where_}: the server does not offer STARTTLS; refusing to log in over plaintext (tls = \"starttls\")"
                ),
            ));
        }
        self.run("STARTTLS", |_| {}).await.map_err(|e| {
            err(
                ErrorKind::Network,
                format!("{where_}: STARTTLS failed ({e}); refusing to go on in plaintext"),
            )
        })?;
        // Anything the server sent after its OK was sent in plaintext: dropped with the
        // old framing (RFC 3501 §6.2.1: no pipelined plaintext).
        let plain = self.client.into_inner();
        let tls = plain.start_tls(&s.host, &s.tls_settings, s.timeout).await?;
        let mut c = ImapConn {
            client: async_imap::Client::new(tls),
            next_tag: self.next_tag,
            caps: BTreeSet::new(),
            limit: self.limit,
            broken: false,
            tunnel: false,
        };
        c.capability().await?;
        Ok(c)
    }

    /// AUTHENTICATE PLAIN (RFC 4616; SASL-IR where offered, RFC 4959), else LOGIN.
    async fn login(&mut self, s: &ImapSettings, where_: &str) -> Result<(), NetError> {
        if self.caps.is_empty() {
            self.capability().await?;
        }
        let Some(password) = &s.password else {
            return Err(err(
                ErrorKind::Auth,
                format!("{where_}: no password configured for {}", s.user),
            ));
        };
        let denied = |e: NetError| {
            let kind = if e.kind == ErrorKind::Rejected || e.kind == ErrorKind::Protocol {
                ErrorKind::Auth
            } else {
                e.kind
            };
            err(
                kind,
                format!("{where_}: login as {} failed: {}", s.user, e.message),
            )
        };
        let done = if self.caps.contains("AUTH=PLAIN") {
            let token = base64(format!("\0{}\0{}", s.user, password).as_bytes());
            if self.caps.contains("SASL-IR") {
                let tag = self.tag();
                let line = format!("{tag} AUTHENTICATE PLAIN {token}\r\n");
                self.write(line.as_bytes()).await?;
                self.finish(&tag, &mut |_| {}).await.map_err(denied)?
            } else {
                let tag = self.tag();
                self.write(format!("{tag} AUTHENTICATE PLAIN\r\n").as_bytes())
                    .await?;
                self.expect_continue(&tag).await.map_err(denied)?;
                self.write(format!("{token}\r\n").as_bytes()).await?;
                self.finish(&tag, &mut |_| {}).await.map_err(denied)?
            }
        } else if !self.caps.contains("LOGINDISABLED") {
            self.run_parts(
                &[
                    Part::text("LOGIN "),
                    astring(&s.user),
                    Part::text(" "),
                    astring(password),
                ],
                |_| {},
            )
            .await
            .map_err(denied)?
        } else {
            return Err(err(
                ErrorKind::Auth,
                format!("{where_}: the server offers neither AUTH=PLAIN nor LOGIN"),
            ));
        };
        self.caps.clear();
        if let Some(Code::Capabilities(c)) = done.code {
            self.caps = c.into_iter().collect();
        }
        Ok(())
    }

    pub async fn capability(&mut self) -> Result<(), NetError> {
        let mut caps = BTreeSet::new();
        self.run("CAPABILITY", |r| {
            if let Resp::Capabilities(c) = r {
                caps.extend(c);
            }
        })
        .await?;
        self.caps = caps;
        Ok(())
    }

    pub fn has(&self, cap: &str) -> bool {
        self.caps.contains(cap)
    }

    fn tag(&mut self) -> String {
        self.next_tag += 1;
        format!("p{}", self.next_tag)
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), NetError> {
        let limit = self.limit;
        let stream = self.client.get_mut();
        let r = net::deadline(limit, "sending a command", async {
            stream
                .write_all(bytes)
                .await
                .map_err(|e| NetError::io("sending a command", &e))?;
            stream
                .flush()
                .await
                .map_err(|e| NetError::io("sending a command", &e))
        })
        .await;
        if r.is_err() {
            self.broken = true;
        }
        r
    }

    /// The next response, within the connection's deadline.
    pub async fn next(&mut self) -> Result<Resp, NetError> {
        self.next_within(self.limit).await
    }

    /// The next response, waiting at most `limit` (IDLE waits longer).
    pub async fn next_within(&mut self, limit: Duration) -> Result<Resp, NetError> {
        let r = match tokio::time::timeout(limit, self.client.read_response()).await {
            Err(_) => Err(err(
                ErrorKind::Timeout,
                format!("no answer from the server within {} s", limit.as_secs()),
            )),
            Ok(Err(e)) => Err(if e.kind() == std::io::ErrorKind::Other {
                // async-imap's parser failed: the reply is not IMAP we understand.
                err(
                    ErrorKind::Protocol,
                    format!(
                        "unparseable reply from the server: {}",
                        shown(&e.to_string())
                    ),
                )
            } else {
                NetError::io("reading from the server", &e)
            }),
            Ok(Ok(None)) => Err(err(ErrorKind::Network, "the server closed the connection")),
            Ok(Ok(Some(data))) => Ok(own(data.parsed())),
        };
        if r.is_err() {
            self.broken = true;
        }
        r
    }

    async fn expect_continue(&mut self, tag: &str) -> Result<(), NetError> {
        loop {
            match self.next().await? {
                Resp::Continue(_) => return Ok(()),
                Resp::Done {
                    tag: t,
                    status,
                    text,
                    ..
                } if t == tag => {
                    return Err(err(
                        if status == ImapStatus::No {
                            ErrorKind::Rejected
                        } else {
                            ErrorKind::Protocol
                        },
                        shown(&text),
                    ));
                }
                r => self.check_bye(&r)?,
            }
        }
    }

    fn check_bye(&mut self, r: &Resp) -> Result<(), NetError> {
        if let Resp::Untagged {
            status: ImapStatus::Bye,
            text,
            ..
        } = r
        {
            self.broken = true;
            return Err(err(
                ErrorKind::Network,
                format!("the server ended the session: {}", shown(text)),
            ));
        }
        Ok(())
    }

    /// Reads until the completion of `tag`, handing every other response to `each`.
    async fn finish(
        &mut self,
        tag: &str,
        each: &mut (dyn FnMut(Resp) + Send),
    ) -> Result<Done, NetError> {
        loop {
            let r = self.next().await?;
            match r {
                Resp::Done {
                    tag: t,
                    status,
                    code,
                    text,
                } if t == tag => {
                    return match status {
                        ImapStatus::Ok => Ok(Done { code, text }),
                        ImapStatus::No => Err(err(ErrorKind::Rejected, shown(&text))),
                        _ => Err(err(
                            ErrorKind::Protocol,
                            format!("the server rejected the command: {}", shown(&text)),
                        )),
                    };
                }
                Resp::Done { tag: t, .. } => {
                    self.broken = true;
                    return Err(err(
                        ErrorKind::Protocol,
                        format!("a reply for a command we did not send ({t})"),
                    ));
                }
                Resp::Untagged {
                    status: ImapStatus::Bye,
                    ..
                } => self.check_bye(&r)?,
                other => each(other),
            }
        }
    }

    /// Runs a command made of plain text.
    pub async fn run(
        &mut self,
        cmd: &str,
        mut each: impl FnMut(Resp) + Send,
    ) -> Result<Done, NetError> {
        if self.broken {
            return Err(err(ErrorKind::Network, "the connection was lost"));
        }
        let tag = self.tag();
        self.write(format!("{tag} {cmd}\r\n").as_bytes()).await?;
        self.finish(&tag, &mut each).await
    }

    /// Runs a command with literals (LITERAL+ where offered, RFC 7888; else waiting for
    /// the server's continuation after each).
    pub async fn run_parts(
        &mut self,
        parts: &[Part<'_>],
        mut each: impl FnMut(Resp) + Send,
    ) -> Result<Done, NetError> {
        if self.broken {
            return Err(err(ErrorKind::Network, "the connection was lost"));
        }
        let plus = self.has("LITERAL+");
        let tag = self.tag();
        let mut line: Vec<u8> = format!("{tag} ").into_bytes();
        for p in parts {
            match p {
                Part::Text(t) => line.extend_from_slice(t.as_bytes()),
                Part::Literal(data) => {
                    let marker = if plus {
                        format!("{{{}+}}\r\n", data.len())
                    } else {
                        format!("{{{}}}\r\n", data.len())
                    };
                    line.extend_from_slice(marker.as_bytes());
                    self.write(&line).await?;
                    line.clear();
                    if !plus {
                        self.expect_continue(&tag).await?;
                    }
                    self.write(data).await?;
                }
            }
        }
        line.extend_from_slice(b"\r\n");
        self.write(&line).await?;
        self.finish(&tag, &mut each).await
    }

    /// Starts IDLE (RFC 2177); returns once the server accepted it.
    pub async fn idle_start(&mut self) -> Result<String, NetError> {
        let tag = self.tag();
        self.write(format!("{tag} IDLE\r\n").as_bytes()).await?;
        self.expect_continue(&tag).await?;
        Ok(tag)
    }

    /// Waits for what the server says during IDLE: `None` when `limit` passed quietly
    /// (not an error: the caller renews the IDLE).
    pub async fn idle_wait(&mut self, limit: Duration) -> Result<Option<Resp>, NetError> {
        match tokio::time::timeout(limit, self.client.read_response()).await {
            Err(_) => Ok(None),
            Ok(_) if self.broken => Err(err(ErrorKind::Network, "the connection was lost")),
            Ok(Ok(Some(data))) => {
                let r = own(data.parsed());
                self.check_bye(&r)?;
                Ok(Some(r))
            }
            Ok(Ok(None)) => {
                self.broken = true;
                Err(err(ErrorKind::Network, "the server closed the connection"))
            }
            Ok(Err(e)) => {
                self.broken = true;
                Err(NetError::io("reading from the server", &e))
            }
        }
    }

    /// Ends IDLE and reads its completion, handing what comes before it to `each`.
    pub async fn idle_done(
        &mut self,
        tag: &str,
        mut each: impl FnMut(Resp) + Send,
    ) -> Result<(), NetError> {
        self.write(b"DONE\r\n").await?;
        self.finish(tag, &mut each).await.map(|_| ())
    }

    /// LOGOUT, best effort.
    pub async fn logout(mut self) {
        let _ = self.run("LOGOUT", |_| {}).await;
    }
}

/// An astring (RFC 3501 §4.3): a quoted string when it can be one, else a literal.
pub fn astring(s: &str) -> Part<'_> {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) && s.len() < 1000 {
        Part::Text(Cow::Owned(quoted(s)))
    } else {
        Part::Literal(s.as_bytes())
    }
}

/// `"..."` with `\` and `"` escaped. Only for ASCII without CR/LF.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Standard base64 (RFC 4648 §4), for SASL.
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
