//! An in-process fake POP3 server on 127.0.0.1 for what a real server will not do on
//! demand: no CAPA, no UIDL, a -ERR to any chosen command, a connection cut in the
//! middle of a RETR, bytes injected after STLS. It keeps a mailbox, applies DELE only at
//! QUIT (RFC 1939 §6) and logs every command (passwords included: it is a test).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
pub struct Msg {
    pub uidl: String,
    /// The message as stored (LF line endings); sent with CRLF and dot-stuffing.
    pub bytes: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Close the connection after this many bytes of the reply to RETR n.
    CloseDuringRetr { n: u32, after: usize },
    /// Answer -ERR to the first command starting with this word (e.g. "DELE", "PASS").
    Err(String),
    /// After "+OK" to STLS, send this too (a man in the middle injecting a reply).
    InjectAfterStls(String),
    /// Refuse STLS.
    NoStls,
}

#[derive(Clone, Debug)]
pub struct Opts {
    pub capa: bool,
    pub uidl: bool,
    pub top: bool,
    pub pipelining: bool,
    pub sasl: Vec<String>,
    pub apop_timestamp: bool,
    pub user: String,
    pub password: String,
    pub faults: Vec<Fault>,
    /// RFC 6856: offer "UTF8 USER" in CAPA and accept the UTF8 command.
    pub utf8: bool,
    /// LIST says every message is 10 bytes (a server that lies about sizes).
    pub lie_sizes: bool,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            capa: true,
            uidl: true,
            top: true,
            pipelining: true,
            sasl: vec!["PLAIN".into(), "LOGIN".into()],
            apop_timestamp: true,
            user: "alice".into(),
            password: "secret pw".into(),
            faults: Vec::new(),
            utf8: false,
            lie_sizes: false,
        }
    }
}

#[derive(Default)]
pub struct State {
    pub mailbox: Vec<Msg>,
    /// Every command line received, in order, one session after the other.
    pub log: Vec<String>,
    pub sessions: usize,
    pub quits: usize,
    pub opts: Opts,
}

#[derive(Clone)]
pub struct Fake {
    pub port: u16,
    pub state: Arc<Mutex<State>>,
}

pub fn message(i: usize, body: &str) -> Msg {
    Msg {
        uidl: format!("uid-{i:05}"),
        bytes: format!(
            "From: Sender {i} <s{i}@example.org>\nTo: alice@example.org\nSubject: message {i}\nMessage-ID: <{i}@fake>\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n\n{body}\n"
        )
        .into_bytes(),
    }
}

impl Fake {
    pub fn start(mailbox: Vec<Msg>, opts: Opts) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            mailbox,
            opts,
            ..Default::default()
        }));
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { break };
                let st = st.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, st);
                });
            }
        });
        Fake { port, state }
    }

    pub fn uidls(&self) -> Vec<String> {
        self.state
            .lock()
            .unwrap()
            .mailbox
            .iter()
            .map(|m| m.uidl.clone())
            .collect()
    }

    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn set_faults(&self, faults: Vec<Fault>) {
        self.state.lock().unwrap().opts.faults = faults;
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }
}

fn wire(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 64);
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

fn take_fault(st: &Arc<Mutex<State>>, f: impl Fn(&Fault) -> bool) -> Option<Fault> {
    let mut s = st.lock().unwrap();
    let i = s.opts.faults.iter().position(f)?;
    Some(s.opts.faults.remove(i))
}

fn serve(conn: TcpStream, st: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut out = conn.try_clone()?;
    let mut rd = BufReader::new(conn);
    let opts = {
        let mut s = st.lock().unwrap();
        s.sessions += 1;
        s.opts.clone()
    };
    let stamp = "<4242.1700000000@fake.example>";
    if opts.apop_timestamp {
        write!(out, "+OK fake POP3 ready {stamp}\r\n")?;
    } else {
        write!(out, "+OK fake POP3 ready\r\n")?;
    }
    let mut authed = false;
    let mut user: Option<String> = None;
    let mut deleted: Vec<u32> = Vec::new();
    // The maildrop as this session sees it (numbers fixed for the session).
    let mut drop: Vec<Msg> = Vec::new();
    let mut sasl: Option<(String, u32, Vec<String>)> = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        if rd.read_until(b'\n', &mut line)? == 0 {
            return Ok(()); // closed without QUIT: nothing is deleted
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        st.lock().unwrap().log.push(text.clone());
        if let Some((mech, step, got)) = sasl.as_mut() {
            got.push(text.clone());
            *step += 1;
            let done = match mech.as_str() {
                "LOGIN" if *step == 1 => {
                    write!(out, "+ UGFzc3dvcmQ6\r\n")?;
                    false
                }
                _ => true,
            };
            if done {
                let (mech, _, got) = sasl.take().unwrap();
                let ok = check_sasl(&mech, &got, &opts);
                if ok {
                    authed = true;
                    drop = st.lock().unwrap().mailbox.clone();
                    write!(out, "+OK logged in\r\n")?;
                } else {
                    write!(out, "-ERR [AUTH] authentication failed\r\n")?;
                }
            }
            continue;
        }
        let mut words = text.split(' ');
        let cmd = words.next().unwrap_or("").to_ascii_uppercase();
        let arg1 = words.next().map(str::to_string);
        let arg2 = words.next().map(str::to_string);
        if take_fault(
            &st,
            |f| matches!(f, Fault::Err(w) if w.eq_ignore_ascii_case(&cmd)),
        )
        .is_some()
        {
            write!(out, "-ERR [SYS/TEMP] fault injected for {cmd}\r\n")?;
            continue;
        }
        let num = |a: &Option<String>| a.as_deref().and_then(|s| s.parse::<u32>().ok());
        let get = |drop: &Vec<Msg>, deleted: &Vec<u32>, n: Option<u32>| -> Option<Msg> {
            let n = n?;
            if n == 0 || deleted.contains(&n) {
                return None;
            }
            drop.get(n as usize - 1).cloned()
        };
        match (cmd.as_str(), authed) {
            ("CAPA", _) if opts.capa => {
                let mut caps = String::from("+OK\r\nUSER\r\n");
                if opts.top {
                    caps += "TOP\r\n";
                }
                if opts.uidl {
                    caps += "UIDL\r\n";
                }
                if opts.pipelining {
                    caps += "PIPELINING\r\n";
                }
                if !opts.sasl.is_empty() {
                    caps += &format!("SASL {}\r\n", opts.sasl.join(" "));
                }
                if opts.utf8 {
                    caps += "UTF8 USER\r\n";
                }
                caps += "STLS\r\nX-UNKNOWN-CAP 1 2\r\n.\r\n";
                out.write_all(caps.as_bytes())?;
            }
            ("STLS", false) => {
                if take_fault(&st, |f| *f == Fault::NoStls).is_some() {
                    write!(out, "-ERR no TLS here\r\n")?;
                } else if let Some(Fault::InjectAfterStls(s)) =
                    take_fault(&st, |f| matches!(f, Fault::InjectAfterStls(_)))
                {
                    // One write, so both lines arrive together (as an attacker sends them).
                    out.write_all(format!("+OK begin TLS\r\n{s}\r\n").as_bytes())?;
                } else {
                    // No TLS in this fake: the client's handshake fails.
                    write!(out, "+OK begin TLS\r\n")?;
                }
            }
            ("UTF8", false) if opts.utf8 => write!(out, "+OK UTF8 enabled\r\n")?,
            ("USER", false) => {
                user = arg1;
                write!(out, "+OK\r\n")?;
            }
            ("PASS", false) => {
                let pw = text.get(5..).unwrap_or("");
                if user.as_deref() == Some(&opts.user) && pw == opts.password {
                    authed = true;
                    drop = st.lock().unwrap().mailbox.clone();
                    write!(out, "+OK logged in\r\n")?;
                } else {
                    write!(out, "-ERR [AUTH] bad user or password\r\n")?;
                }
            }
            ("APOP", false) => {
                let want = posthorn::protocol::pop3::md5_hex(
                    format!("{stamp}{}", opts.password).as_bytes(),
                );
                if arg1.as_deref() == Some(&opts.user) && arg2.as_deref() == Some(&want) {
                    authed = true;
                    drop = st.lock().unwrap().mailbox.clone();
                    write!(out, "+OK logged in\r\n")?;
                } else {
                    write!(out, "-ERR [AUTH] bad APOP\r\n")?;
                }
            }
            ("AUTH", false) => {
                let mech = arg1.unwrap_or_default().to_ascii_uppercase();
                match (mech.as_str(), arg2) {
                    ("PLAIN", Some(ir)) => {
                        if check_sasl("PLAIN", &[ir], &opts) {
                            authed = true;
                            drop = st.lock().unwrap().mailbox.clone();
                            write!(out, "+OK logged in\r\n")?;
                        } else {
                            write!(out, "-ERR [AUTH] authentication failed\r\n")?;
                        }
                    }
                    ("PLAIN", None) => {
                        sasl = Some(("PLAIN".into(), 0, Vec::new()));
                        write!(out, "+ \r\n")?;
                    }
                    ("LOGIN", _) => {
                        sasl = Some(("LOGIN".into(), 0, Vec::new()));
                        write!(out, "+ VXNlcm5hbWU6\r\n")?;
                    }
                    _ => write!(out, "-ERR unknown mechanism\r\n")?,
                }
            }
            ("STAT", true) => {
                let live: Vec<&Msg> = drop
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !deleted.contains(&(*i as u32 + 1)))
                    .map(|(_, m)| m)
                    .collect();
                let size: usize = live.iter().map(|m| wire(&m.bytes).len() - 3).sum();
                write!(out, "+OK {} {size}\r\n", live.len())?;
            }
            ("LIST", true) => {
                let mut r = String::from("+OK\r\n");
                for (i, m) in drop.iter().enumerate() {
                    let n = i as u32 + 1;
                    if !deleted.contains(&n) {
                        let size = if opts.lie_sizes {
                            10
                        } else {
                            wire(&m.bytes).len() - 3
                        };
                        r += &format!("{n} {size}\r\n");
                    }
                }
                r += ".\r\n";
                out.write_all(r.as_bytes())?;
            }
            ("UIDL", true) if opts.uidl => {
                let mut r = String::from("+OK\r\n");
                for (i, m) in drop.iter().enumerate() {
                    let n = i as u32 + 1;
                    if !deleted.contains(&n) {
                        r += &format!("{n} {}\r\n", m.uidl);
                    }
                }
                r += ".\r\n";
                out.write_all(r.as_bytes())?;
            }
            ("RETR", true) => match get(&drop, &deleted, num(&arg1)) {
                Some(m) => {
                    let n = num(&arg1).unwrap_or(0);
                    let mut reply = b"+OK message follows\r\n".to_vec();
                    reply.extend(wire(&m.bytes));
                    if let Some(Fault::CloseDuringRetr { after, .. }) = take_fault(
                        &st,
                        |f| matches!(f, Fault::CloseDuringRetr { n: k, .. } if *k == n),
                    ) {
                        out.write_all(&reply[..after.min(reply.len())])?;
                        out.flush()?;
                        return Ok(());
                    }
                    out.write_all(&reply)?;
                }
                None => write!(out, "-ERR no such message\r\n")?,
            },
            ("TOP", true) if opts.top => match get(&drop, &deleted, num(&arg1)) {
                Some(m) => {
                    let end = m
                        .bytes
                        .windows(2)
                        .position(|w| w == b"\n\n")
                        .map_or(m.bytes.len(), |p| p + 2);
                    let mut reply = b"+OK\r\n".to_vec();
                    reply.extend(wire(&m.bytes[..end]));
                    out.write_all(&reply)?;
                }
                None => write!(out, "-ERR no such message\r\n")?,
            },
            ("DELE", true) => match get(&drop, &deleted, num(&arg1)) {
                Some(_) => {
                    deleted.push(num(&arg1).unwrap_or(0));
                    write!(out, "+OK marked\r\n")?;
                }
                None => write!(out, "-ERR no such message\r\n")?,
            },
            ("RSET", true) => {
                deleted.clear();
                write!(out, "+OK\r\n")?;
            }
            ("NOOP", true) => write!(out, "+OK\r\n")?,
            ("QUIT", _) => {
                let mut s = st.lock().unwrap();
                s.quits += 1;
                let gone: Vec<String> = deleted
                    .iter()
                    .filter_map(|n| drop.get(*n as usize - 1).map(|m| m.uidl.clone()))
                    .collect();
                s.mailbox.retain(|m| !gone.contains(&m.uidl));
                drop_all(&mut deleted);
                write!(out, "+OK bye\r\n")?;
                return Ok(());
            }
            _ => write!(out, "-ERR unknown command or wrong state\r\n")?,
        }
    }
}

fn drop_all(v: &mut Vec<u32>) {
    v.clear();
}

fn check_sasl(mech: &str, got: &[String], opts: &Opts) -> bool {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let dec = |s: &str| b64.decode(s.trim()).unwrap_or_default();
    match mech {
        "PLAIN" => {
            let v = dec(got.first().map_or("", |s| s));
            let want = format!("\0{}\0{}", opts.user, opts.password);
            v == want.as_bytes()
        }
        "LOGIN" => {
            got.len() == 2
                && dec(&got[0]) == opts.user.as_bytes()
                && dec(&got[1]) == opts.password.as_bytes()
        }
        _ => false,
    }
}
