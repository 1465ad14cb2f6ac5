//! Transcript tests of POST (RFC 3977 §6.3.1) in the sans-IO session, on literal bytes:
//! 340 then the article dot-stuffed and CRLF-ended, 240 accepted; 440 (posting not
//! permitted) leaves no article to send; 441 after the article carries the server's
//! text; an article without a 340 in front is refused and nothing is written.

use posthorn::protocol::nntp::{NntpCommand, NntpError, NntpEvent, NntpSession};

fn greeted() -> NntpSession {
    let mut s = NntpSession::new();
    s.feed(b"200 news.example.test ready (posting ok)\r\n");
    let ev = s.poll(&mut Vec::new()).unwrap();
    assert!(matches!(ev, Some(NntpEvent::Greeting(g)) if g.code == 200));
    s
}

/// Feeds `input` byte by byte (the worst split) and returns the status events.
fn statuses(s: &mut NntpSession, input: &[u8]) -> Vec<(NntpCommand, u16, String)> {
    let mut out = Vec::new();
    let mut data = Vec::new();
    for b in input {
        s.feed(std::slice::from_ref(b));
        while let Some(ev) = s.poll(&mut data).unwrap() {
            match ev {
                NntpEvent::Status { cmd, status } => out.push((cmd, status.code, status.text())),
                other => panic!("unexpected event {other:?}"),
            }
        }
    }
    out
}

const ARTICLE: &[u8] = b"From: Ann <a@x>\nNewsgroups: test.misc\nSubject: dots\n\n.leading dot\n..two\n.\nlast line without newline";

#[test]
fn post_sends_the_article_dot_stuffed_after_340_and_reads_240() {
    let mut s = greeted();
    s.send(NntpCommand::Post).unwrap();
    assert_eq!(s.take_output(), b"POST\r\n");
    let st = statuses(&mut s, b"340 Ok, recommended message-ID <x@y>\r\n");
    assert_eq!(
        st,
        vec![(
            NntpCommand::Post,
            340,
            "Ok, recommended message-ID <x@y>".into()
        )]
    );
    s.send_article(ARTICLE).unwrap();
    assert_eq!(
        s.take_output(),
        b"From: Ann <a@x>\r\nNewsgroups: test.misc\r\nSubject: dots\r\n\r\n\
..leading dot\r\n...two\r\n..\r\nlast line without newline\r\n.\r\n"
            .to_vec()
    );
    assert_eq!(s.awaiting(), 1);
    let st = statuses(&mut s, b"240 Article received <x@y>\r\n");
    assert_eq!(
        st,
        vec![(NntpCommand::Post, 240, "Article received <x@y>".into())]
    );
    assert_eq!(s.awaiting(), 0);
    // A second article needs a second 340.
    assert!(matches!(
        s.send_article(b"x\n"),
        Err(NntpError::WrongState(_))
    ));
}

#[test]
fn post_440_leaves_nothing_to_send() {
    let mut s = greeted();
    s.send(NntpCommand::Post).unwrap();
    s.take_output();
    let st = statuses(&mut s, b"440 Posting not permitted\r\n");
    assert_eq!(
        st,
        vec![(NntpCommand::Post, 440, "Posting not permitted".into())]
    );
    assert!(matches!(
        s.send_article(ARTICLE),
        Err(NntpError::WrongState(_))
    ));
    assert!(!s.has_output(), "no article bytes after a 440");
}

#[test]
fn post_441_after_the_article_carries_the_server_text() {
    let mut s = greeted();
    s.send(NntpCommand::Post).unwrap();
    s.take_output();
    statuses(&mut s, b"340 send it\r\n");
    s.send_article(b"Subject: x\r\n\r\nbody\r\n").unwrap();
    assert_eq!(s.take_output(), b"Subject: x\r\n\r\nbody\r\n.\r\n");
    let st = statuses(&mut s, b"441 435 Unwanted newsgroup \"no.such\"\r\n");
    assert_eq!(
        st,
        vec![(
            NntpCommand::Post,
            441,
            "435 Unwanted newsgroup \"no.such\"".into()
        )]
    );
}

#[test]
fn article_without_post_is_refused() {
    let mut s = greeted();
    assert!(matches!(
        s.send_article(ARTICLE),
        Err(NntpError::WrongState(_))
    ));
    s.send(NntpCommand::Date).unwrap();
    s.take_output();
    // A 340 to anything but POST does not open the way either.
    statuses(&mut s, b"340 odd\r\n");
    assert!(matches!(
        s.send_article(ARTICLE),
        Err(NntpError::WrongState(_))
    ));
    assert!(!s.has_output());
}
