//! Helpers for the sending tests: a small raw IMAP reader (find a delivered message by
//! its Message-ID in a testbed user's INBOX), a loopback TCP proxy that can be switched
//! off and on ("the server stopped"), and submitters for the testbed's Postfix.

#![allow(dead_code)]

use posthorn::account::Submitter;
use posthorn::config::{Secret, Sending, ServerConfig, Tls};
use posthorn::core::AccountId;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::testbed::{MailUser, Testbed, base64};

/// An `[smtp]` table for the testbed's submission port (STARTTLS required, AUTH).
pub fn smtp_config(tb: &Testbed, user: &str, password: &str, port: u16) -> ServerConfig {
    let mut cfg: ServerConfig = toml::from_str(&format!(
        "host = \"127.0.0.1\"\nport = {port}\ntls = \"starttls\"\nuser = \"{user}\""
    ))
    .unwrap();
    cfg.password = Some(Secret::Plain(password.to_string()));
    cfg.ca_file = Some(tb.ca_file.clone());
    cfg.tls = Tls::Starttls;
    cfg
}

pub fn submitter(account: &str, cfg: ServerConfig) -> Submitter {
    Submitter::from_config(&AccountId(account.into()), &Sending::Smtp(cfg))
}

/// Waits (up to a minute: delivery is asynchronous) for the message with this
/// Message-ID in `user`'s INBOX and returns its bytes, read over IMAPS.
pub fn fetch_by_message_id(tb: &Testbed, user: &MailUser, message_id: &str) -> Vec<u8> {
    fetch_from(tb, user, "INBOX", message_id)
}

/// Like `fetch_by_message_id`, from another folder.
pub fn fetch_from(tb: &Testbed, user: &MailUser, folder: &str, message_id: &str) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(m) = try_fetch(tb, user, folder, message_id) {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "{message_id} never reached {}'s {folder}",
            user.name
        );
        thread::sleep(Duration::from_millis(100));
    }
}

fn try_fetch(tb: &Testbed, user: &MailUser, folder: &str, message_id: &str) -> Option<Vec<u8>> {
    let tcp = TcpStream::connect(("127.0.0.1", tb.imaps_port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let tls = tb.tls_connector().connect("127.0.0.1", tcp).unwrap();
    let mut s = BufReader::new(tls);
    let mut line = String::new();
    s.read_line(&mut line).unwrap();
    // RFC 4959 SASL-IR: AUTHENTICATE PLAIN with the initial response (UTF-8 passwords).
    let plain = base64(format!("\0{}\0{}", user.name, user.password).as_bytes());
    cmd(&mut s, "a", &format!("AUTHENTICATE PLAIN {plain}"));
    cmd(&mut s, "b", &format!("SELECT \"{folder}\""));
    let found = cmd(
        &mut s,
        "c",
        &format!("UID SEARCH HEADER Message-ID \"{message_id}\""),
    );
    let uid = found
        .iter()
        .find_map(|l| l.strip_prefix("* SEARCH "))
        .and_then(|rest| rest.split_whitespace().next().map(str::to_string))?;
    write!(s.get_mut(), "d UID FETCH {uid} BODY.PEEK[]\r\n").unwrap();
    // `* n FETCH (UID u BODY[] {len}` then len bytes.
    let mut head = String::new();
    s.read_line(&mut head).unwrap();
    let len: usize = head
        .trim_end()
        .rsplit_once('{')
        .and_then(|(_, n)| n.strip_suffix('}'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected FETCH reply: {head}"));
    let mut body = vec![0; len];
    s.read_exact(&mut body).unwrap();
    let _ = read_until_tagged(&mut s, "d");
    let _ = write!(s.get_mut(), "e LOGOUT\r\n");
    Some(body)
}

fn cmd<S: Read + Write>(s: &mut BufReader<S>, tag: &str, command: &str) -> Vec<String> {
    write!(s.get_mut(), "{tag} {command}\r\n").unwrap();
    let lines = read_until_tagged(s, tag);
    let last = lines.last().cloned().unwrap_or_default();
    assert!(last.starts_with(&format!("{tag} OK")), "{command}: {last}");
    lines
}

fn read_until_tagged<S: Read>(s: &mut BufReader<S>, tag: &str) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let mut l = String::new();
        if s.read_line(&mut l).unwrap() == 0 {
            panic!("IMAP server closed the connection");
        }
        let l = l.trim_end().to_string();
        let done = l.starts_with(&format!("{tag} "));
        out.push(l);
        if done {
            return out;
        }
    }
}

/// A loopback TCP proxy to `target` that can be turned off (its port refuses
/// connections, open ones are cut) and on again, on the same port.
pub struct Proxy {
    pub addr: SocketAddr,
    target: SocketAddr,
    on: Arc<AtomicBool>,
    listener: Mutex<Option<thread::JoinHandle<()>>>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    pub fn start(target: SocketAddr) -> Proxy {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let p = Proxy {
            addr,
            target,
            on: Arc::new(AtomicBool::new(false)),
            listener: Mutex::new(None),
            conns: Arc::new(Mutex::new(Vec::new())),
        };
        p.serve(l);
        p
    }

    fn serve(&self, l: TcpListener) {
        self.on.store(true, Ordering::SeqCst);
        let (on, target, conns) = (self.on.clone(), self.target, self.conns.clone());
        l.set_nonblocking(true).unwrap();
        let h = thread::spawn(move || {
            while on.load(Ordering::SeqCst) {
                match l.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect(target) else {
                            continue;
                        };
                        let mut c = conns.lock().unwrap();
                        c.push(client.try_clone().unwrap());
                        c.push(server.try_clone().unwrap());
                        pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                        pipe(server, client);
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
            // Dropping `l` here closes the port.
        });
        *self.listener.lock().unwrap() = Some(h);
    }

    /// The port refuses connections from now on, and open ones are cut.
    pub fn off(&self) {
        self.on.store(false, Ordering::SeqCst);
        if let Some(h) = self.listener.lock().unwrap().take() {
            h.join().unwrap();
        }
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Listening again, on the same port.
    pub fn on(&self) {
        let l = TcpListener::bind(self.addr).unwrap();
        self.serve(l);
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

/// Whether a path holds an outbox entry's files.
pub fn entry_count(outbox: &Path) -> usize {
    std::fs::read_dir(outbox)
        .map(|d| {
            d.flatten()
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .count()
        })
        .unwrap_or(0)
}

/// The sender's next event; a minute without one fails the test instead of hanging it.
pub async fn next_event(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<posthorn::run::outbox::OutboxEvent>,
) -> posthorn::run::outbox::OutboxEvent {
    match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
        Ok(Some(ev)) => ev,
        Ok(None) => panic!("the outbox sender stopped"),
        Err(_) => panic!("no outbox event within a minute"),
    }
}
