//! POP3 benchmark helper (scripts/bench/pop3.sh runs it through `cargo bench --bench
//! pop3 -- CMD`):
//!
//! - `raw HOST PORT USER PASS`: logs in (plaintext, USER/PASS), lists, and reads every
//!   RETR reply, pipelined, decoding and discarding the bytes: the floor set by the
//!   server and the codec, with no disk at all;
//! - no command (as `cargo test --benches` runs it): decodes a synthetic 2,000-message
//!   transcript in memory and prints the codec's throughput.

use posthorn::protocol::pop3::{Pop3Command, Pop3Event, Pop3Session, parse_scan_line};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["raw", host, port, user, pass] => raw(host, port.parse().expect("port"), user, pass),
        [] => codec(),
        other => {
            eprintln!("usage: pop3 raw HOST PORT USER PASS | (nothing); got {other:?}");
            std::process::exit(2);
        }
    }
}

/// Everything available, decoded; returns the events.
fn drain(s: &mut Pop3Session, data: &mut Vec<u8>) -> Vec<Pop3Event> {
    let mut evs = Vec::new();
    while let Some(ev) = s.poll(data).expect("a valid transcript") {
        evs.push(ev);
    }
    evs
}

fn codec() {
    let n = 2000;
    let mut server = b"+OK ready\r\n+OK\r\n+OK\r\n".to_vec();
    let mut msg = Vec::new();
    for l in 0..60 {
        msg.extend_from_slice(
            format!("line {l} of a message, some words to fill it up\r\n").as_bytes(),
        );
        if l % 10 == 0 {
            msg.extend_from_slice(b"..a stuffed dot line\r\n");
        }
    }
    for _ in 0..n {
        server.extend_from_slice(b"+OK\r\n");
        server.extend_from_slice(&msg);
        server.extend_from_slice(b".\r\n");
    }
    let t = Instant::now();
    let mut s = Pop3Session::new();
    let mut data = Vec::new();
    s.feed(&server[..11]);
    drain(&mut s, &mut data);
    s.send(Pop3Command::User(b"u".to_vec())).expect("USER");
    s.send(Pop3Command::Pass(b"p".to_vec())).expect("PASS");
    s.feed(&server[11..21]);
    drain(&mut s, &mut data);
    for i in 1..=n {
        s.send(Pop3Command::Retr(i as u32)).expect("RETR");
    }
    let mut ends = 0;
    for chunk in server[21..].chunks(64 * 1024) {
        s.feed(chunk);
        for ev in drain(&mut s, &mut data) {
            if matches!(ev, Pop3Event::End { .. }) {
                ends += 1;
                data.clear();
            }
        }
    }
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(ends, n);
    println!(
        "codec: {n} RETR replies, {:.1} MB decoded in {:.3} s ({:.0} MB/s)",
        server.len() as f64 / 1e6,
        secs,
        server.len() as f64 / 1e6 / secs
    );
}

fn raw(host: &str, port: u16, user: &str, pass: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let t = Instant::now();
        let mut sock = tokio::net::TcpStream::connect((host, port))
            .await
            .expect("connect");
        sock.set_nodelay(true).expect("nodelay");
        let mut s = Pop3Session::new();
        let mut data = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        // Reads until `want` events of the kind `is` have come.
        async fn until(
            sock: &mut tokio::net::TcpStream,
            s: &mut Pop3Session,
            data: &mut Vec<u8>,
            buf: &mut [u8],
            mut each: impl FnMut(Pop3Event, &mut Vec<u8>) -> bool,
        ) {
            loop {
                let out = s.take_output();
                if !out.is_empty() {
                    sock.write_all(&out).await.expect("write");
                }
                while let Some(ev) = s.poll(data).expect("protocol") {
                    if each(ev, data) {
                        return;
                    }
                }
                let n = sock.read(buf).await.expect("read");
                assert!(n > 0, "the server closed the connection");
                s.feed(&buf[..n]);
            }
        }
        until(&mut sock, &mut s, &mut data, &mut buf, |ev, _| {
            matches!(ev, Pop3Event::Greeting(_))
        })
        .await;
        s.send(Pop3Command::User(user.as_bytes().to_vec())).expect("USER");
        s.send(Pop3Command::Pass(pass.as_bytes().to_vec())).expect("PASS");
        let mut seen = 0;
        until(&mut sock, &mut s, &mut data, &mut buf, |ev, _| {
            if let Pop3Event::Status { status, .. } = ev {
                assert!(status.ok, "login refused");
                seen += 1;
            }
            seen == 2
        })
        .await;
        s.send(Pop3Command::List(None)).expect("LIST");
        let mut msgs = Vec::new();
        until(&mut sock, &mut s, &mut data, &mut buf, |ev, _| match ev {
            Pop3Event::Line(l) => {
                msgs.push(parse_scan_line(&l).expect("LIST line").0);
                false
            }
            ev => matches!(ev, Pop3Event::End { .. }),
        })
        .await;
        let listed = t.elapsed().as_secs_f64();
        let (mut next, mut done, mut bytes) = (0usize, 0usize, 0u64);
        let total = msgs.len();
        while done < total {
            while next < total && next - done < 32 {
                s.send(Pop3Command::Retr(msgs[next])).expect("RETR");
                next += 1;
            }
            let mut ended = false;
            until(&mut sock, &mut s, &mut data, &mut buf, |ev, d| {
                if matches!(ev, Pop3Event::Data | Pop3Event::End { .. }) {
                    bytes += d.len() as u64;
                    d.clear();
                }
                ended = matches!(ev, Pop3Event::End { .. });
                ended
            })
            .await;
            if ended {
                done += 1;
            }
        }
        s.send(Pop3Command::Quit).expect("QUIT");
        let _ = sock.write_all(&s.take_output()).await;
        println!(
            "raw read: {total} RETR replies ({:.1} MB) in {:.2} s (login and LIST {:.2} s), no disk",
            bytes as f64 / 1e6,
            t.elapsed().as_secs_f64(),
            listed
        );
    });
}
