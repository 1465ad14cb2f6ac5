//! One NNTP connection: drives the sans-IO `protocol::nntp::NntpSession` over a
//! `net::NetStream` with a deadline on every read and write. Connects (NNTPS, or plain
//! then STARTTLS with no way back to plaintext, RFC 4642), asks for capabilities (again
//! after TLS and after login, RFC 3977 §5.2 / RFC 4643 §2.3.2), switches a mode-switching
//! server to reader mode (§5.3), logs in when a user is configured or the server answers
//! 480 (RFC 4643 §2.1), and runs the reading commands: GROUP, OVER (XOVER when OVER is
//! unknown), ARTICLE pipelined (RFC 3977 §3.5), the LIST variants, NEWGROUPS, DATE.
//!
//! Nothing here touches the disk.

use crate::core::ErrorKind;
use crate::net::{self, Endpoint, NetError, NetStream, TlsMode, TlsSettings, deadline};
use crate::protocol::nntp::{
    NntpActive, NntpArticleId, NntpCaps, NntpCommand, NntpError, NntpEvent, NntpGroupInfo,
    NntpOverviewFmt, NntpRange, NntpSession, NntpStatus, parse_active_line, parse_date,
    parse_newsgroups_line, sasl_plain,
};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How to reach and log in to an NNTP server.
#[derive(Clone, Debug)]
pub struct NntpServer {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub tls_settings: TlsSettings,
    /// AUTHINFO is sent when this is set, or when the server answers 480.
    pub user: Option<String>,
    /// For each connect, read and write.
    pub timeout: Duration,
}

/// A failure on the connection, with the kind the user sees.
#[derive(Clone, Debug)]
pub struct Fail {
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

impl From<NntpError> for Fail {
    fn from(e: NntpError) -> Self {
        Fail::new(ErrorKind::Protocol, e.to_string())
    }
}

/// Articles in flight at once when many are fetched.
const WINDOW: usize = 32;

/// A reply with its body, if it had one.
pub struct Reply {
    pub status: NntpStatus,
    pub lines: Vec<Vec<u8>>,
    pub data: Vec<u8>,
}

pub struct NntpConn {
    stream: NetStream,
    session: NntpSession,
    caps: NntpCaps,
    host: String,
    timeout: Duration,
    rbuf: Vec<u8>,
    data: Vec<u8>,
    user: Option<String>,
    password: Option<String>,
    authed: bool,
    /// The server said OVER is unknown: XOVER from now on (RFC 2980).
    xover: bool,
    fmt: Option<NntpOverviewFmt>,
    group: Option<String>,
    /// The greeting said posting is allowed (200, not 201).
    pub posting: bool,
}

impl NntpConn {
    /// Connects, secures and logs in as `s` says.
    pub async fn open(s: &NntpServer, password: Option<&str>) -> Result<NntpConn, Fail> {
        let stream = match s.tls {
            TlsMode::Implicit => {
                let ep = Endpoint {
                    host: s.host.clone(),
                    port: s.port,
                    tls: s.tls_settings.clone(),
                };
                net::connect_tls(&ep, s.timeout).await?
            }
            _ => net::connect_plain(&s.host, s.port, s.timeout).await?,
        };
        let mut c = NntpConn {
            stream,
            session: NntpSession::new(),
            caps: NntpCaps::default(),
            host: s.host.clone(),
            timeout: s.timeout,
            rbuf: vec![0; 64 * 1024],
            data: Vec::new(),
            user: s.user.clone(),
            password: password.map(str::to_string),
            authed: false,
            xover: false,
            fmt: None,
            group: None,
            posting: false,
        };
        let greeting = match c.event("the greeting").await? {
            NntpEvent::Greeting(g) => g,
            _ => return Err(c.protocol("something else than a greeting")),
        };
        // RFC 3977 §5.1.1: 200 posting allowed, 201 not; 400 and 502 refuse service.
        if !matches!(greeting.code, 200 | 201) {
            return Err(Fail::new(
                ErrorKind::Rejected,
                format!("{} refused the connection: {}", c.host, greeting.shown()),
            ));
        }
        c.posting = greeting.code == 200;
        c.capabilities().await?;
        if s.tls == TlsMode::Starttls {
            c = c.starttls(s).await?;
        }
        // §5.3: a mode-switching server lists MODE-READER until it is asked.
        if c.caps.mode_reader && !c.caps.reader {
            let st = c.call(NntpCommand::ModeReader).await?.status;
            if matches!(st.code, 200 | 201) {
                c.posting = st.code == 200;
                c.capabilities().await?;
            }
        }
        // RFC 4643 §2.1: log in when the server offers it; a server that does not say
        // (no CAPABILITIES, or AUTHINFO shown only later) asks with 480 (`call_auth`).
        if c.user.is_some() && (c.caps.authinfo_user || !c.caps.sasl.is_empty()) {
            c.login().await?;
        }
        Ok(c)
    }

    /// RFC 4642 §2.2: STARTTLS must be offered, then the handshake; capabilities again
    /// (those learned in plaintext may have been forged). No fallback to plaintext, and
    /// nothing about the login is sent before TLS is up.
    async fn starttls(mut self, s: &NntpServer) -> Result<NntpConn, Fail> {
        if !self.caps.starttls {
            return Err(Fail::new(
                ErrorKind::Network,
                format!(
                    "{} does not offer STARTTLS; not logging in without TLS (tls = \"starttls\")",
                    self.host
                ),
            ));
        }
        let st = self.call(NntpCommand::StartTls).await?.status;
        if st.code != 382 {
            return Err(Fail::new(
                ErrorKind::Network,
                format!(
                    "{} refused STARTTLS ({}); not logging in without TLS (tls = \"starttls\")",
                    self.host,
                    st.shown()
                ),
            ));
        }
        if self.session.buffered() > 0 {
            return Err(Fail::new(
                ErrorKind::Protocol,
                format!(
                    "{} sent data after accepting STARTTLS, before TLS began (it could have been injected by someone in between); disconnected",
                    self.host
                ),
            ));
        }
        let NntpConn {
            stream,
            host,
            timeout,
            rbuf,
            user,
            password,
            posting,
            ..
        } = self;
        let stream = stream.start_tls(&host, &s.tls_settings, timeout).await?;
        // The session's state ends with the plaintext: a fresh one, past the greeting.
        let mut c = NntpConn {
            stream,
            session: NntpSession::after_greeting(),
            caps: NntpCaps::default(),
            host,
            timeout,
            rbuf,
            data: Vec::new(),
            user,
            password,
            authed: false,
            xover: false,
            fmt: None,
            group: None,
            posting,
        };
        c.capabilities().await?;
        Ok(c)
    }

    /// CAPABILITIES (RFC 3977 §5.2); a server without it (500/501/480) keeps defaults.
    async fn capabilities(&mut self) -> Result<(), Fail> {
        let r = self.call(NntpCommand::Capabilities).await?;
        let mut caps = NntpCaps::default();
        if r.status.code == 101 {
            for l in &r.lines {
                caps.add_line(l);
            }
        }
        self.caps = caps;
        Ok(())
    }

    pub fn caps(&self) -> &NntpCaps {
        &self.caps
    }

    pub fn is_tls(&self) -> bool {
        self.stream.is_tls()
    }

    /// RFC 4643: SASL PLAIN over TLS when offered, else AUTHINFO USER/PASS.
    async fn login(&mut self) -> Result<(), Fail> {
        let Some(user) = self.user.clone() else {
            return Err(Fail::new(
                ErrorKind::Auth,
                format!(
                    "{} requires a login (480); set user and password in the [nntp] table",
                    self.host
                ),
            ));
        };
        let Some(pw) = self.password.clone() else {
            return Err(Fail::new(
                ErrorKind::Auth,
                format!("{} requires a login; no password configured", self.host),
            ));
        };
        let shown = crate::core::sanitize::line(&user).into_owned();
        let refused = |host: &str, what: &str, st: &NntpStatus| {
            Fail::new(
                ErrorKind::Auth,
                format!(
                    "{host} refused the login ({what} as {shown}): {}",
                    st.shown()
                ),
            )
        };
        if self.caps.has_sasl("PLAIN") && self.stream.is_tls() {
            let ir = sasl_plain(user.as_bytes(), pw.as_bytes());
            let st = self
                .call(NntpCommand::AuthSasl("PLAIN".into(), Some(ir)))
                .await?
                .status;
            if !matches!(st.code, 281 | 283) {
                return Err(refused(&self.host, "AUTHINFO SASL PLAIN", &st));
            }
        } else {
            let st = self
                .call(NntpCommand::AuthUser(user.as_bytes().to_vec()))
                .await?
                .status;
            match st.code {
                281 => {}
                381 => {
                    let st = self
                        .call(NntpCommand::AuthPass(pw.as_bytes().to_vec()))
                        .await?
                        .status;
                    if st.code != 281 {
                        return Err(refused(&self.host, "AUTHINFO PASS", &st));
                    }
                }
                _ => return Err(refused(&self.host, "AUTHINFO USER", &st)),
            }
        }
        self.authed = true;
        // RFC 4643 §2.3.2: capabilities may change after authentication.
        self.capabilities().await
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
    async fn event(&mut self, what: &str) -> Result<NntpEvent, Fail> {
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
            // INN sends a status line and its article in two writes; without this the
            // second waits for our delayed ACK (40 ms a reply, one after another).
            self.stream.quickack();
        }
    }

    fn protocol(&self, what: &str) -> Fail {
        Fail::new(ErrorKind::Protocol, format!("{} sent {what}", self.host))
    }

    /// Reads the rest of a reply whose status came: its lines or article bytes.
    async fn finish(&mut self, status: NntpStatus, what: &str) -> Result<Reply, Fail> {
        let mut reply = Reply {
            status,
            lines: Vec::new(),
            data: Vec::new(),
        };
        loop {
            match self.event(what).await? {
                NntpEvent::Line(l) => reply.lines.push(l),
                NntpEvent::Data => {}
                NntpEvent::End { .. } => {
                    reply.data = std::mem::take(&mut self.data);
                    return Ok(reply);
                }
                _ => return Err(self.protocol(&format!("a new reply inside the reply to {what}"))),
            }
        }
    }

    /// One command and its whole reply (a 4xx/5xx is returned, not an error).
    pub async fn call(&mut self, cmd: NntpCommand) -> Result<Reply, Fail> {
        let what = cmd.name();
        let multi =
            |c: &NntpCommand, code| c.body_for(code) != crate::protocol::nntp::NntpBody::None;
        self.session.send(cmd.clone())?;
        loop {
            match self.event(&what).await? {
                NntpEvent::Status { status, cmd: c } if multi(&c, status.code) => {
                    return self.finish(status, &what).await;
                }
                NntpEvent::Status { status, .. } => {
                    return Ok(Reply {
                        status,
                        lines: Vec::new(),
                        data: Vec::new(),
                    });
                }
                NntpEvent::Challenge(_) => {
                    // PLAIN needs no challenge: cancel (RFC 4643 §2.4.1).
                    self.session.send(NntpCommand::SaslResponse("*".into()))?;
                }
                _ => return Err(self.protocol(&format!("something unexpected to {what}"))),
            }
        }
    }

    /// `call`, logging in and trying again once when the server answers 480.
    pub async fn call_auth(&mut self, cmd: NntpCommand) -> Result<Reply, Fail> {
        let r = self.call(cmd.clone()).await?;
        if r.status.code == 480 && !self.authed {
            self.login().await?;
            if let Some(g) = self.group.clone() {
                // The group selected before the login may have been refused.
                self.call(NntpCommand::Group(g)).await?;
            }
            return self.call(cmd).await;
        }
        Ok(r)
    }

    /// GROUP (RFC 3977 §6.1.1). 411: the group does not exist (Gone).
    pub async fn select(&mut self, name: &str) -> Result<NntpGroupInfo, Fail> {
        let r = self.call_auth(NntpCommand::Group(name.to_string())).await?;
        match r.status.code {
            211 => {
                let info = NntpGroupInfo::parse(&r.status)?;
                self.group = Some(name.to_string());
                Ok(info)
            }
            411 => Err(Fail::new(
                ErrorKind::Gone,
                format!(
                    "{} has no group {}",
                    self.host,
                    crate::core::sanitize::line(name)
                ),
            )),
            _ => Err(self.refused("GROUP", &r.status)),
        }
    }

    fn refused(&self, what: &str, st: &NntpStatus) -> Fail {
        let kind = match st.code {
            480 | 481 | 483 => ErrorKind::Auth,
            _ => ErrorKind::Rejected,
        };
        Fail::new(
            kind,
            format!("{} refused {what}: {}", self.host, st.shown()),
        )
    }

    /// The overview field order (LIST OVERVIEW.FMT, or the default when refused).
    pub async fn overview_fmt(&mut self) -> Result<NntpOverviewFmt, Fail> {
        if let Some(f) = &self.fmt {
            return Ok(f.clone());
        }
        let r = self.call_auth(NntpCommand::ListOverviewFmt).await?;
        let fmt = if r.status.code == 215 {
            NntpOverviewFmt::from_lines(&r.lines)
        } else {
            NntpOverviewFmt::default()
        };
        self.fmt = Some(fmt.clone());
        Ok(fmt)
    }

    /// Overview lines of `range` in the selected group: OVER, or XOVER when the server
    /// does not know OVER (500/501; RFC 2980 §2.8). 423: no articles in the range.
    pub async fn over(&mut self, range: NntpRange) -> Result<Vec<Vec<u8>>, Fail> {
        if !self.xover {
            let r = self.call_auth(NntpCommand::Over(range)).await?;
            match r.status.code {
                224 => return Ok(r.lines),
                423 | 420 => return Ok(Vec::new()),
                500 | 501 => self.xover = true,
                _ => return Err(self.refused("OVER", &r.status)),
            }
        }
        let r = self.call_auth(NntpCommand::Xover(range)).await?;
        match r.status.code {
            224 => Ok(r.lines),
            423 | 420 => Ok(Vec::new()),
            _ => Err(self.refused("XOVER", &r.status)),
        }
    }

    /// Articles, pipelined (up to `WINDOW` requests in flight): each one's bytes (LF
    /// line ends), or None when the server no longer has it (423, 430).
    pub async fn articles(
        &mut self,
        ids: &[NntpArticleId],
        limit: u64,
    ) -> Result<Vec<Option<Vec<u8>>>, Fail> {
        let mut out = Vec::with_capacity(ids.len());
        let mut next = 0;
        let mut retried_auth = false;
        while out.len() < ids.len() {
            while next < ids.len() && next - out.len() < WINDOW {
                self.session
                    .send_limited(NntpCommand::Article(ids[next].clone()), limit)?;
                next += 1;
            }
            let what = NntpCommand::Article(ids[out.len()].clone()).name();
            match self.event(&what).await? {
                NntpEvent::Status { status, .. } if status.code == 220 => {
                    let r = self.finish(status, &what).await?;
                    out.push(Some(r.data));
                }
                NntpEvent::Status { status, .. } if matches!(status.code, 423 | 430) => {
                    out.push(None)
                }
                NntpEvent::Status { status, .. } if status.code == 480 && !retried_auth => {
                    // Drain the rest of the window (all 480 too), log in, go again.
                    for _ in out.len() + 1..next {
                        let _ = self.event(&what).await?;
                    }
                    retried_auth = true;
                    self.login().await?;
                    if let Some(g) = self.group.clone() {
                        self.call(NntpCommand::Group(g)).await?;
                    }
                    next = out.len();
                }
                NntpEvent::Status { status, .. } => {
                    return Err(self.refused(&what, &status));
                }
                _ => return Err(self.protocol(&format!("something unexpected to {what}"))),
            }
        }
        Ok(out)
    }

    /// LIST ACTIVE (plain LIST on servers that refuse the keyword).
    pub async fn list_active(&mut self) -> Result<Vec<NntpActive>, Fail> {
        let mut r = self.call_auth(NntpCommand::ListActive(None)).await?;
        if matches!(r.status.code, 500 | 501) {
            r = self.call_auth(NntpCommand::List).await?;
        }
        if r.status.code != 215 {
            return Err(self.refused("LIST ACTIVE", &r.status));
        }
        r.lines
            .iter()
            .map(|l| parse_active_line(l).map_err(Fail::from))
            .collect()
    }

    /// LIST NEWSGROUPS: descriptions by group (empty when the server has none).
    pub async fn list_newsgroups(&mut self) -> Result<Vec<(String, String)>, Fail> {
        let r = self.call_auth(NntpCommand::ListNewsgroups(None)).await?;
        if r.status.code != 215 {
            return Ok(Vec::new());
        }
        Ok(r.lines
            .iter()
            .filter_map(|l| parse_newsgroups_line(l))
            .collect())
    }

    /// NEWGROUPS since `when` ("yyyymmdd hhmmss", GMT): the new groups' names.
    pub async fn newgroups(&mut self, when: &str) -> Result<Vec<NntpActive>, Fail> {
        let r = self
            .call_auth(NntpCommand::NewGroups(when.to_string()))
            .await?;
        if r.status.code != 231 {
            return Err(self.refused("NEWGROUPS", &r.status));
        }
        r.lines
            .iter()
            .map(|l| parse_active_line(l).map_err(Fail::from))
            .collect()
    }

    /// The server's clock (DATE, RFC 3977 §7.1): "yyyymmddhhmmss".
    pub async fn date(&mut self) -> Result<String, Fail> {
        let r = self.call(NntpCommand::Date).await?;
        if r.status.code != 111 {
            return Err(self.refused("DATE", &r.status));
        }
        Ok(parse_date(&r.status)?)
    }

    /// POST (RFC 3977 §6.3.1): 340, then the article (dot-stuffed by the session),
    /// then 240. Ok(None) when posted; Ok(Some(status)) when the server refused it
    /// (440 before the article, 441 after it, or anything else), with its text.
    /// A 480 before the article logs in and asks again (RFC 4643 §2.1).
    pub async fn post(&mut self, article: &[u8]) -> Result<Option<NntpStatus>, Fail> {
        let first = self.call_auth(NntpCommand::Post).await?.status;
        if first.code != 340 {
            return Ok(Some(first));
        }
        self.session.send_article(article)?;
        match self.event("the reply to the posted article").await? {
            NntpEvent::Status { status, .. } if status.code == 240 => Ok(None),
            NntpEvent::Status { status, .. } => Ok(Some(status)),
            _ => Err(self.protocol("something unexpected after the posted article")),
        }
    }

    /// QUIT; the answer does not matter.
    pub async fn quit(mut self) {
        if self.session.send(NntpCommand::Quit).is_ok() {
            let _ = self.event("QUIT").await;
        }
        let _ = self.stream.shutdown().await;
    }
}
