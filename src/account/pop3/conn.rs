//! One POP3 connection: drives the sans-IO `protocol::pop3::Pop3Session` over a
//! `net::NetStream` with a deadline on every read and write. Connects (POP3S, or plain
//! then STLS with no way back to plaintext, RFC 2595), asks for capabilities (again
//! after TLS), logs in, and runs the transaction commands, pipelined when the server
//! offers PIPELINING (RFC 2449 §6.6).
//!
//! Nothing here touches the disk: message bytes go to the caller's sink as they arrive.
//! Dropping a connection without `quit` sends no QUIT, so the server deletes nothing
//! (RFC 1939 §6: deletions happen in the UPDATE state only).

use crate::core::ErrorKind;
use crate::net::{self, Endpoint, NetError, NetStream, TlsMode, TlsSettings, deadline};
use crate::protocol::pop3::{
    Pop3Auth, Pop3Caps, Pop3Command, Pop3Error, Pop3Event, Pop3Login, Pop3Session, Pop3Status,
    SaslClient, apop_digest, choose_login, parse_scan_line, parse_uidl_line,
};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How to reach and log in to a POP3 server.
#[derive(Clone, Debug)]
pub struct Pop3Server {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub tls_settings: TlsSettings,
    pub user: String,
    pub auth: Pop3Auth,
    /// For each connect, read and write.
    pub timeout: Duration,
}

/// A failure on the connection, with the kind the user sees.
#[derive(Clone, Debug)]
pub(crate) struct Fail {
    pub kind: ErrorKind,
    pub message: String,
}

impl Fail {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Fail {
            kind,
            message: message.into(),
        }
    }
}

impl From<NetError> for Fail {
    fn from(e: NetError) -> Self {
        Fail::new(e.kind, e.message)
    }
}

impl From<Pop3Error> for Fail {
    fn from(e: Pop3Error) -> Self {
        Fail::new(ErrorKind::Protocol, e.to_string())
    }
}

/// Pieces of retrieved messages, in order: `Start`, any number of `Data`, `End`.
pub(crate) enum Piece {
    Start(u32),
    Data(Vec<u8>),
    End,
}

/// Message bytes are handed on in pieces of about this size (a message is never held
/// whole here).
const PIECE: usize = 256 * 1024;

pub(crate) struct Pop3Conn {
    stream: NetStream,
    session: Pop3Session,
    caps: Option<Pop3Caps>,
    apop_timestamp: Option<Vec<u8>>,
    host: String,
    timeout: Duration,
    rbuf: Vec<u8>,
    data: Vec<u8>,
}

impl Pop3Conn {
    /// Connects, secures and logs in.
    pub async fn open(s: &Pop3Server, password: &str) -> Result<Pop3Conn, Fail> {
        let stream = match s.tls {
            TlsMode::Implicit => {
                let ep = Endpoint {
                    host: s.host.clone(),
                    port: s.port,
                    tls: s.tls_settings.clone(),
                };
                net::connect_tls(&ep, s.timeout).await?
            }
            TlsMode::Starttls | TlsMode::None => {
                net::connect_plain(&s.host, s.port, s.timeout).await?
            }
        };
        let mut c = Pop3Conn {
            stream,
            session: Pop3Session::new(),
            caps: None,
            apop_timestamp: None,
            host: s.host.clone(),
            timeout: s.timeout,
            rbuf: vec![0; 64 * 1024],
            data: Vec::new(),
        };
        let greeting = match c.event("the greeting").await? {
            Pop3Event::Greeting(g) => g,
            other => return Err(c.unexpected(&other, "the greeting")),
        };
        if !greeting.ok {
            return Err(Fail::new(
                refusal_kind(&greeting, ErrorKind::Rejected),
                format!("{} refused the connection: {}", c.host, greeting.text()),
            ));
        }
        c.apop_timestamp = greeting.apop_timestamp();
        c.caps = c.capa().await?;
        if s.tls == TlsMode::Starttls {
            c = c.stls(s).await?;
        }
        if c.caps.as_ref().is_some_and(|k| k.utf8) {
            // RFC 6856 §2: UTF-8 user names, passwords and messages. A refusal only
            // means the server stays in its old mode.
            c.request(Pop3Command::Utf8).await?;
        }
        c.login(s, password).await?;
        Ok(c)
    }

    /// RFC 2595 §4: STLS, the handshake, then the capabilities again (those learned in
    /// plaintext may have been forged). No fallback to plaintext.
    async fn stls(mut self, s: &Pop3Server) -> Result<Pop3Conn, Fail> {
        let st = self.request(Pop3Command::Stls).await?;
        if !st.ok {
            return Err(Fail::new(
                ErrorKind::Network,
                format!(
                    "{} refused STLS ({}); not logging in without TLS (tls = \"starttls\")",
                    self.host,
                    st.text()
                ),
            ));
        }
        if self.session.buffered() > 0 {
            return Err(Fail::new(
                ErrorKind::Protocol,
                format!(
                    "{} sent data after accepting STLS, before TLS began (it could have been injected by someone in between); disconnected",
                    self.host
                ),
            ));
        }
        let Pop3Conn {
            stream,
            session,
            apop_timestamp,
            host,
            timeout,
            rbuf,
            data,
            ..
        } = self;
        let stream = stream.start_tls(&host, &s.tls_settings, timeout).await?;
        let mut c = Pop3Conn {
            stream,
            session,
            caps: None,
            apop_timestamp,
            host,
            timeout,
            rbuf,
            data,
        };
        c.caps = c.capa().await?;
        Ok(c)
    }

    async fn login(&mut self, s: &Pop3Server, password: &str) -> Result<(), Fail> {
        let secure = self.stream.is_tls();
        let how = choose_login(
            s.auth,
            self.caps.as_ref(),
            self.apop_timestamp.as_deref(),
            secure,
        )
        .map_err(|m| Fail::new(ErrorKind::Auth, m))?;
        let user = s.user.as_bytes().to_vec();
        let pw = password.as_bytes().to_vec();
        let refused = |c: &Pop3Conn, what: &str, st: &Pop3Status| {
            Fail::new(
                refusal_kind(st, ErrorKind::Auth),
                format!(
                    "{} refused the login ({what} as {}): {}",
                    c.host,
                    crate::core::sanitize::line(&s.user),
                    st.text()
                ),
            )
        };
        match how {
            Pop3Login::UserPass => {
                let st = self.request(Pop3Command::User(user)).await?;
                if !st.ok {
                    return Err(refused(self, "USER", &st));
                }
                let st = self.request(Pop3Command::Pass(pw)).await?;
                if !st.ok {
                    return Err(refused(self, "PASS", &st));
                }
            }
            Pop3Login::Apop(ts) => {
                let digest = apop_digest(&ts, &pw);
                let st = self.request(Pop3Command::Apop(user, digest)).await?;
                if !st.ok {
                    return Err(refused(self, "APOP", &st));
                }
            }
            Pop3Login::Sasl(mech) => {
                let mut sasl = SaslClient::new(mech, &user, &pw);
                let ir = sasl.initial_response();
                self.session
                    .send(Pop3Command::Auth(mech.name().into(), ir))?;
                let what = format!("AUTH {}", mech.name());
                loop {
                    match self.event(&what).await? {
                        Pop3Event::Challenge(c) => {
                            let answer = sasl.respond(&c);
                            self.session.send(Pop3Command::SaslResponse(answer))?;
                        }
                        Pop3Event::Status { status, .. } if status.ok => break,
                        Pop3Event::Status { status, .. } => {
                            return Err(refused(self, &what, &status));
                        }
                        other => return Err(self.unexpected(&other, &what)),
                    }
                }
            }
        }
        Ok(())
    }

    pub fn caps(&self) -> Option<&Pop3Caps> {
        self.caps.as_ref()
    }

    pub fn pipelining(&self) -> bool {
        self.caps.as_ref().is_some_and(|c| c.pipelining)
    }

    /// Sends what is queued.
    async fn flush(&mut self) -> Result<(), Fail> {
        if !self.session.has_output() {
            return Ok(());
        }
        let out = self.session.take_output();
        let stream = &mut self.stream;
        deadline(self.timeout, &format!("sending to {}", self.host), async {
            stream
                .write_all(&out)
                .await
                .map_err(|e| NetError::io("send", &e))?;
            stream.flush().await.map_err(|e| NetError::io("send", &e))
        })
        .await
        .map_err(Fail::from)
    }

    /// The next event, reading (and first sending what is queued) as needed. The end
    /// of the stream before an answer is an error: a reply cut short is never taken
    /// as complete.
    async fn event(&mut self, what: &str) -> Result<Pop3Event, Fail> {
        loop {
            if let Some(ev) = self.session.poll(&mut self.data)? {
                return Ok(ev);
            }
            self.flush().await?;
            let (stream, buf) = (&mut self.stream, &mut self.rbuf);
            let n = deadline(self.timeout, &format!("{what} from {}", self.host), async {
                stream
                    .read(buf)
                    .await
                    .map_err(|e| NetError::io(&format!("reading {what}"), &e))
            })
            .await?;
            if n == 0 {
                return Err(Fail::new(
                    ErrorKind::Network,
                    format!("{} closed the connection during {what}", self.host),
                ));
            }
            self.session.feed(&self.rbuf[..n]);
        }
    }

    fn unexpected(&self, ev: &Pop3Event, what: &str) -> Fail {
        let name = match ev {
            Pop3Event::Greeting(_) => "a greeting".to_string(),
            Pop3Event::Status { cmd, .. } => format!("a reply to {}", cmd.name()),
            Pop3Event::Line(_) | Pop3Event::Data => "listing data".into(),
            Pop3Event::End { .. } => "the end of a listing".into(),
            Pop3Event::Challenge(_) => "a SASL challenge".into(),
        };
        Fail::new(
            ErrorKind::Protocol,
            format!("{} sent {name} while we waited for {what}", self.host),
        )
    }

    /// A single-line command: its status (a -ERR is returned, not an error).
    pub async fn request(&mut self, cmd: Pop3Command) -> Result<Pop3Status, Fail> {
        let what = cmd.name();
        self.session.send(cmd)?;
        match self.event(&what).await? {
            Pop3Event::Status { status, .. } => Ok(status),
            other => Err(self.unexpected(&other, &what)),
        }
    }

    /// A multi-line listing; None when the server answers -ERR.
    async fn listing(&mut self, cmd: Pop3Command) -> Result<Option<Vec<Vec<u8>>>, Fail> {
        let what = cmd.name();
        self.session.send(cmd)?;
        match self.event(&what).await? {
            Pop3Event::Status { status, .. } if !status.ok => return Ok(None),
            Pop3Event::Status { .. } => {}
            other => return Err(self.unexpected(&other, &what)),
        }
        let mut lines = Vec::new();
        loop {
            match self.event(&what).await? {
                Pop3Event::Line(l) => lines.push(l),
                Pop3Event::End { .. } => return Ok(Some(lines)),
                other => return Err(self.unexpected(&other, &what)),
            }
        }
    }

    /// RFC 2449 CAPA; None for a server without it.
    async fn capa(&mut self) -> Result<Option<Pop3Caps>, Fail> {
        Ok(self.listing(Pop3Command::Capa).await?.map(|lines| {
            let mut caps = Pop3Caps::default();
            for l in &lines {
                caps.add_line(l);
            }
            caps
        }))
    }

    /// Every message's unique id; None when the server has no UIDL.
    pub async fn uidl(&mut self) -> Result<Option<Vec<(u32, String)>>, Fail> {
        // Asked even when CAPA does not list it: some servers have UIDL but say less.
        match self.listing(Pop3Command::Uidl(None)).await? {
            None => Ok(None),
            Some(lines) => lines
                .iter()
                .map(|l| parse_uidl_line(l).map_err(Fail::from))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
        }
    }

    /// Every message's size.
    pub async fn list(&mut self) -> Result<Vec<(u32, u64)>, Fail> {
        match self.listing(Pop3Command::List(None)).await? {
            None => Err(Fail::new(
                ErrorKind::Protocol,
                format!("{} refused LIST", self.host),
            )),
            Some(lines) => lines
                .iter()
                .map(|l| parse_scan_line(l).map_err(Fail::from))
                .collect(),
        }
    }

    /// A message's header (TOP n 0), at most `limit` bytes; None when refused.
    pub async fn top_header(&mut self, n: u32, limit: u64) -> Result<Option<Vec<u8>>, Fail> {
        let what = format!("TOP {n} 0");
        self.session.send_limited(Pop3Command::Top(n, 0), limit)?;
        match self.event(&what).await? {
            Pop3Event::Status { status, .. } if !status.ok => return Ok(None),
            Pop3Event::Status { .. } => {}
            other => return Err(self.unexpected(&other, &what)),
        }
        loop {
            match self.event(&what).await? {
                Pop3Event::Data => {}
                Pop3Event::End { .. } => return Ok(Some(std::mem::take(&mut self.data))),
                other => return Err(self.unexpected(&other, &what)),
            }
        }
    }

    /// Retrieves messages (number, size limit), up to `window` RETRs in flight, handing
    /// each one's bytes to `sink` as they arrive. A -ERR, a cut connection or a
    /// message over its limit is an error.
    pub async fn retrieve(
        &mut self,
        msgs: &[(u32, u64)],
        sink: &mut (dyn FnMut(Piece) -> Result<(), Fail> + Send),
    ) -> Result<(), Fail> {
        let window = if self.pipelining() { 32 } else { 1 };
        let (mut next, mut inflight, mut done) = (0, 0, 0);
        while done < msgs.len() {
            while inflight < window && next < msgs.len() {
                let (n, limit) = msgs[next];
                self.session.send_limited(Pop3Command::Retr(n), limit)?;
                next += 1;
                inflight += 1;
            }
            let what = format!("RETR {}", msgs[done].0);
            match self.event(&what).await? {
                Pop3Event::Status {
                    cmd: Pop3Command::Retr(n),
                    status,
                } => {
                    if !status.ok {
                        return Err(Fail::new(
                            refusal_kind(&status, ErrorKind::Rejected),
                            format!("{} refused RETR {n}: {}", self.host, status.text()),
                        ));
                    }
                    sink(Piece::Start(n))?;
                }
                Pop3Event::Data => {
                    if self.data.len() >= PIECE {
                        sink(Piece::Data(std::mem::take(&mut self.data)))?;
                    }
                }
                Pop3Event::End {
                    cmd: Pop3Command::Retr(_),
                } => {
                    if !self.data.is_empty() {
                        sink(Piece::Data(std::mem::take(&mut self.data)))?;
                    }
                    sink(Piece::End)?;
                    inflight -= 1;
                    done += 1;
                }
                other => return Err(self.unexpected(&other, &what)),
            }
        }
        Ok(())
    }

    /// Marks messages for deletion (pipelined when offered). Any -ERR is an error: the
    /// caller drops the connection, so nothing is deleted at all.
    pub async fn dele(&mut self, msgs: &[u32]) -> Result<(), Fail> {
        let window = if self.pipelining() { 64 } else { 1 };
        for chunk in msgs.chunks(window) {
            for n in chunk {
                self.session.send(Pop3Command::Dele(*n))?;
            }
            for n in chunk {
                let what = format!("DELE {n}");
                match self.event(&what).await? {
                    Pop3Event::Status { status, .. } if status.ok => {}
                    Pop3Event::Status { status, .. } => {
                        return Err(Fail::new(
                            refusal_kind(&status, ErrorKind::Rejected),
                            format!("{} refused DELE {n}: {}", self.host, status.text()),
                        ));
                    }
                    other => return Err(self.unexpected(&other, &what)),
                }
            }
        }
        Ok(())
    }

    /// QUIT: the server commits the deletions (RFC 1939 §6). Ok only when it said so.
    pub async fn quit(mut self) -> Result<(), Fail> {
        let st = self.request(Pop3Command::Quit).await?;
        if !st.ok {
            return Err(Fail::new(
                refusal_kind(&st, ErrorKind::Rejected),
                format!(
                    "{} refused QUIT ({}); messages marked for deletion may still be there",
                    self.host,
                    st.text()
                ),
            ));
        }
        let _ = self.stream.shutdown().await;
        Ok(())
    }
}

/// The kind of a -ERR: RFC 2449 §8 codes say whether it is the credentials or the
/// situation (another session holds the mailbox, logging in too often, a temporary
/// failure).
fn refusal_kind(st: &Pop3Status, otherwise: ErrorKind) -> ErrorKind {
    match st.code.as_deref() {
        Some("AUTH") => ErrorKind::Auth,
        Some("IN-USE" | "LOGIN-DELAY" | "SYS/TEMP" | "SYS/PERM") => ErrorKind::Rejected,
        _ => otherwise,
    }
}
