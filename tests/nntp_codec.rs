//! Transcript tests of the sans-IO NNTP session on literal bytes: split reads, dot
//! lines, 8-bit headers in overview data, LISTGROUP's multi-line 211 against GROUP's
//! one-line 211, pipelined articles, a 500 to OVER (one line, so the caller can try
//! XOVER), a 480 (one line, so the caller can log in), SASL challenges, and garbage.

use posthorn::protocol::nntp::{
    NntpArticleId, NntpCommand, NntpError, NntpEvent, NntpGroupInfo, NntpOverviewFmt, NntpRange,
    NntpSession,
};

/// Feeds `input` in pieces of `step` bytes and collects every event (article bytes
/// gathered per End).
fn run(
    s: &mut NntpSession,
    input: &[u8],
    step: usize,
) -> Result<Vec<(NntpEvent, Vec<u8>)>, NntpError> {
    let mut events = Vec::new();
    let mut data = Vec::new();
    for chunk in input.chunks(step.max(1)) {
        s.feed(chunk);
        while let Some(ev) = s.poll(&mut data)? {
            match ev {
                NntpEvent::Data => {}
                NntpEvent::End { .. } => events.push((ev, std::mem::take(&mut data))),
                ev => events.push((ev, Vec::new())),
            }
        }
    }
    Ok(events)
}

fn greeted() -> NntpSession {
    let mut s = NntpSession::new();
    s.feed(b"200 news.example.test ready (posting ok)\r\n");
    let ev = s.poll(&mut Vec::new()).unwrap();
    assert!(matches!(ev, Some(NntpEvent::Greeting(g)) if g.code == 200));
    s
}

const SERVER: &[u8] = b"211 3 1 3 test.general\r\n\
224 Overview information follows\r\n\
1\tcaf\xc3\xa9 \xe9t\xe9\tAnn <a@x>\tMon, 23 Nov 2026 19:10:23 +0000\t<1@x>\t\t100\t2\r\n\
2\t..dots\tBob <b@x>\tMon, 23 Nov 2026 19:11:23 +0000\t<2@x>\t<1@x>\t120\t3\r\n\
.\r\n\
220 1 <1@x> article\r\n\
Subject: caf\xc3\xa9\r\n\
\r\n\
..leading dot\r\n\
.\r\n\
222 2 <2@x> body\r\n\
second\r\n\
.\r\n";

#[test]
fn pipelined_replies_in_every_split() {
    for step in [1, 2, 3, 7, 64, SERVER.len()] {
        let mut s = greeted();
        s.send(NntpCommand::Group("test.general".into())).unwrap();
        s.send(NntpCommand::Over(NntpRange::Between(1, 3))).unwrap();
        s.send(NntpCommand::Article(NntpArticleId::Number(1)))
            .unwrap();
        s.send(NntpCommand::Body(NntpArticleId::MessageId("<2@x>".into())))
            .unwrap();
        assert_eq!(
            s.take_output(),
            b"GROUP test.general\r\nOVER 1-3\r\nARTICLE 1\r\nBODY <2@x>\r\n"
        );
        let evs = run(&mut s, SERVER, step).unwrap();
        let kinds: Vec<String> = evs
            .iter()
            .map(|(e, _)| match e {
                NntpEvent::Status { status, .. } => format!("S{}", status.code),
                NntpEvent::Line(_) => "L".into(),
                NntpEvent::End { cmd } => format!("E:{}", cmd.name()),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "S211",
                "S224",
                "L",
                "L",
                "E:OVER 1-3",
                "S220",
                "E:ARTICLE 1",
                "S222",
                "E:BODY <2@x>"
            ],
            "step {step}"
        );
        let NntpEvent::Status { status, .. } = &evs[0].0 else {
            unreachable!()
        };
        let g = NntpGroupInfo::parse(status).unwrap();
        assert_eq!((g.count, g.low, g.high), (3, 1, 3));
        let NntpEvent::Line(l1) = &evs[2].0 else {
            unreachable!()
        };
        let NntpEvent::Line(l2) = &evs[3].0 else {
            unreachable!()
        };
        let fmt = NntpOverviewFmt::default();
        let o1 = fmt.parse(l1).unwrap();
        // 8-bit header bytes pass through untouched (UTF-8 and Latin-1 alike).
        assert_eq!(o1.subject, b"caf\xc3\xa9 \xe9t\xe9");
        let o2 = fmt.parse(l2).unwrap();
        assert_eq!(
            o2.subject, b"..dots",
            "dots inside a line are data, not stuffing"
        );
        assert_eq!(o2.references, b"<1@x>");
        assert_eq!(evs[6].1, b"Subject: caf\xc3\xa9\n\n.leading dot\n");
        assert_eq!(evs[8].1, b"second\n");
        assert_eq!(s.awaiting(), 0);
    }
}

#[test]
fn listgroup_211_is_a_list_group_211_is_not() {
    let mut s = greeted();
    s.send(NntpCommand::ListGroup(Some("g".into()), None))
        .unwrap();
    s.send(NntpCommand::Group("g".into())).unwrap();
    let evs = run(
        &mut s,
        b"211 2 4 5 g list\r\n4\r\n5\r\n.\r\n211 2 4 5 g\r\n",
        5,
    )
    .unwrap();
    assert_eq!(evs.len(), 5, "{evs:?}");
    assert!(matches!(&evs[3].0, NntpEvent::End { .. }));
    assert!(matches!(&evs[4].0, NntpEvent::Status { status, .. } if status.code == 211));
}

#[test]
fn a_500_to_over_and_a_480_are_single_lines() {
    let mut s = greeted();
    s.send(NntpCommand::Over(NntpRange::From(1))).unwrap();
    s.send(NntpCommand::Xover(NntpRange::From(1))).unwrap();
    s.send(NntpCommand::Group("g".into())).unwrap();
    let evs = run(
        &mut s,
        b"500 What?\r\n224 data\r\n1\ts\tf\td\t<m@x>\t\t1\t1\r\n.\r\n480 Authentication required\r\n",
        4,
    )
    .unwrap();
    assert!(
        matches!(&evs[0].0, NntpEvent::Status { cmd: NntpCommand::Over(_), status } if status.code == 500)
    );
    assert!(
        matches!(&evs[1].0, NntpEvent::Status { cmd: NntpCommand::Xover(_), status } if status.code == 224)
    );
    assert!(matches!(
        &evs[3].0,
        NntpEvent::End {
            cmd: NntpCommand::Xover(_)
        }
    ));
    assert!(
        matches!(&evs[4].0, NntpEvent::Status { cmd: NntpCommand::Group(_), status } if status.code == 480)
    );
}

#[test]
fn sasl_challenge_then_success() {
    let mut s = greeted();
    s.send(NntpCommand::AuthSasl("PLAIN".into(), None)).unwrap();
    let evs = run(&mut s, b"383 \r\n", 3).unwrap();
    assert!(matches!(&evs[0].0, NntpEvent::Challenge(c) if c.is_empty()));
    s.send(NntpCommand::SaslResponse("AGFsaWNlAHB3".into()))
        .unwrap();
    assert_eq!(s.take_output(), b"AUTHINFO SASL PLAIN\r\nAGFsaWNlAHB3\r\n");
    let evs = run(&mut s, b"281 Authentication accepted\r\n", 100).unwrap();
    assert!(matches!(&evs[0].0, NntpEvent::Status { status, .. } if status.code == 281));
    assert!(
        NntpCommand::SaslResponse("x".into())
            .encode(&mut Vec::new())
            .is_ok()
    );
    assert!(
        s.send(NntpCommand::SaslResponse("x".into())).is_err(),
        "no SASL in flight"
    );
}

#[test]
fn garbage_is_an_error_never_empty() {
    for bad in [
        &b"HTTP/1.1 400 Bad Request\r\n"[..],
        b"2x1 hi\r\n",
        b"+OK pop3\r\n",
        b"2000 x\r\n",
    ] {
        let mut s = greeted();
        s.send(NntpCommand::Date).unwrap();
        assert!(
            run(&mut s, bad, 3).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    // A greeting that is not a status line.
    let mut s = NntpSession::new();
    s.feed(b"* OK IMAP4rev1\r\n");
    assert!(s.poll(&mut Vec::new()).is_err());
    // A reply nobody asked for.
    let mut s = greeted();
    s.feed(b"211 1 1 1 g\r\n");
    assert!(matches!(
        s.poll(&mut Vec::new()),
        Err(NntpError::Unexpected(_))
    ));
}

#[test]
fn article_limit_and_cut_replies() {
    let mut s = greeted();
    s.send_limited(NntpCommand::Article(NntpArticleId::Number(1)), 10)
        .unwrap();
    let r = run(&mut s, b"220 1 <a@b>\r\n0123456789abcdef\r\n.\r\n", 4);
    assert!(matches!(r, Err(NntpError::TooLarge { .. })), "{r:?}");
    // Half a list is no End: the caller sees the connection close before the end.
    let mut s = greeted();
    s.send(NntpCommand::ListActive(None)).unwrap();
    let evs = run(&mut s, b"215 list\r\ntest.general 3 1 y\r\n", 5).unwrap();
    assert!(evs.iter().all(|(e, _)| !matches!(e, NntpEvent::End { .. })));
    assert_eq!(s.awaiting(), 1);
}

/// A small deterministic generator (xorshift), so the fuzz loop below is repeatable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Hostile server bytes never panic the session or the parsers: every outcome is an
/// event or an error. Inputs are built from fragments of real replies, so they reach
/// deep states (multi-line bodies, articles, challenges), plus random bytes.
#[test]
fn hostile_bytes_never_panic() {
    use posthorn::protocol::nntp::{NntpCaps, parse_active_line, parse_newsgroups_line};
    use posthorn::store::newsrc::Newsrc;
    let pieces: [&[u8]; 14] = [
        b"200 hi\r\n",
        b"211 3 1 3 g\r\n",
        b"224 ov\r\n",
        b"220 1 <a@b>\r\n",
        b"383 \r\n",
        b"1\ts\tf\td\t<m>\t\t1\t1\r\n",
        b".\r\n",
        b"..x\r\n",
        b"\r\n",
        b"\n",
        b"\r",
        b".",
        b"480 auth\r\n",
        b"\xff\xfe\x00\t\t",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let mut input = Vec::new();
        for _ in 0..rng.below(20) {
            if rng.below(4) == 0 {
                input.extend((0..rng.below(30)).map(|_| rng.next() as u8));
            } else {
                input.extend_from_slice(pieces[rng.below(pieces.len())]);
            }
        }
        let mut s = NntpSession::new();
        for _ in 0..rng.below(6) {
            let cmd = match rng.below(5) {
                0 => NntpCommand::Group("g".into()),
                1 => NntpCommand::Over(NntpRange::From(1)),
                2 => NntpCommand::Article(NntpArticleId::Number(1)),
                3 => NntpCommand::AuthSasl("PLAIN".into(), None),
                _ => NntpCommand::ListGroup(Some("g".into()), None),
            };
            let _ = s.send_limited(cmd, 64);
        }
        let _ = run(&mut s, &input, 1 + rng.below(9));
        let fmt = NntpOverviewFmt::default();
        for line in input.split(|&b| b == b'\n') {
            let _ = fmt.parse(line);
            let _ = parse_active_line(line);
            let _ = parse_newsgroups_line(line);
            NntpCaps::default().add_line(line);
        }
        let text = String::from_utf8_lossy(&input);
        let n = Newsrc::parse(&text);
        assert_eq!(
            Newsrc::parse(&n.to_text()),
            n,
            "a .newsrc survives a round trip"
        );
        let _ = posthorn::account::nntp::score::ScoreFile::parse(&text);
    }
}
