//! Replies and forwards built from raw messages (compose::reply): recipients, subject,
//! threading headers, quoting, identity choice, list replies and both kinds of forward.

use posthorn::compose::{
    AttachmentData, BuildOptions, ComposeError, Identity, ReplyKind, build, respond, respond_as,
};

fn ids() -> Vec<Identity> {
    [
        "Alice Example <alice@example.test>",
        "Alice <alice@work.example>",
    ]
    .iter()
    .filter_map(|s| Identity::parse(s))
    .collect()
}

const SIG: &str = "\n-- \nAlice\n";

const ORIG: &[u8] = b"From: =?UTF-8?Q?Zo=C3=AB_M=C3=BCller?= <zoe@example.org>\r\n\
To: Bob <bob@example.net>, Alice <ALICE@work.example>, \"Doe, John\" <john@example.net>\r\n\
Cc: carol@example.net, alice@example.test, bob@example.net\r\n\
Subject: Re: RE: Plans\r\n\
Date: Tue, 14 Nov 2023 22:13:20 +0100\r\n\
Message-ID: <m2@example.org>\r\n\
References: <m0@example.org>\r\n <m1@example.org>\r\n\
List-Post: <mailto:plans@lists.example?subject=hi>\r\n\
\r\n\
Line one\r\n\
\r\n\
> earlier quote\r\n";

#[test]
fn reply_to_sender_with_threading_and_quote() {
    let d = respond_as(ORIG, ReplyKind::Reply, &ids(), Some(SIG)).unwrap();
    assert_eq!(d.to, vec!["Zoë Müller <zoe@example.org>"]);
    assert!(d.cc.is_empty());
    assert_eq!(d.subject, "Re: Plans");
    assert_eq!(d.in_reply_to.as_deref(), Some("<m2@example.org>"));
    assert_eq!(
        d.references,
        vec!["<m0@example.org>", "<m1@example.org>", "<m2@example.org>"]
    );
    // Sent to alice@work.example: that identity answers.
    assert_eq!(d.from, "Alice <alice@work.example>");
    assert_eq!(
        d.body,
        "On Tue, 14 Nov 2023 22:13:20 +0100, Zoë Müller wrote:\n> Line one\n>\n>> earlier quote\n\n\n-- \nAlice\n"
    );
    // The draft builds.
    build(&d, &BuildOptions::default()).unwrap();
}

#[test]
fn reply_goes_to_reply_to() {
    let raw = b"From: a@example.org\r\nReply-To: \"List, The\" <list@example.org>\r\nSubject: x\r\n\r\nhi\r\n";
    let d = respond_as(raw, ReplyKind::Reply, &ids(), None).unwrap();
    assert_eq!(d.to, vec!["\"List, The\" <list@example.org>"]);
    // Not sent to any identity: the default one.
    assert_eq!(d.from, "Alice Example <alice@example.test>");
}

#[test]
fn reply_all_drops_own_addresses_and_repeats() {
    let d = respond_as(ORIG, ReplyKind::ReplyAll, &ids(), None).unwrap();
    assert_eq!(
        d.to,
        vec![
            "Zoë Müller <zoe@example.org>",
            "Bob <bob@example.net>",
            "\"Doe, John\" <john@example.net>"
        ]
    );
    assert_eq!(d.cc, vec!["carol@example.net"]);
    assert_eq!(d.subject, "Re: Plans");
}

#[test]
fn list_reply_uses_list_post() {
    let d = respond_as(ORIG, ReplyKind::ListReply, &ids(), None).unwrap();
    assert_eq!(d.to, vec!["plans@lists.example"]);
    assert!(d.cc.is_empty());
    let no_list = b"From: a@example.org\r\nSubject: x\r\n\r\nhi\r\n";
    assert!(matches!(
        respond_as(no_list, ReplyKind::ListReply, &ids(), None),
        Err(ComposeError::NoListPost)
    ));
    let closed = b"From: a@example.org\r\nList-Post: NO (posting not allowed)\r\n\r\nhi\r\n";
    assert!(respond_as(closed, ReplyKind::ListReply, &ids(), None).is_err());
}

const WITH_ATTACHMENT: &[u8] = b"From: Zoe <zoe@example.org>\r\n\
To: alice@example.test\r\n\
Subject: Report\r\n\
Date: Tue, 14 Nov 2023 22:13:20 +0100\r\n\
Message-ID: <r1@example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=XX\r\n\
\r\n\
--XX\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>See <b>attached</b></p>\r\n\
--XX\r\n\
Content-Type: application/pdf; name=\"r.pdf\"\r\n\
Content-Disposition: attachment; filename=\"r.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQK\r\n\
--XX--\r\n";

#[test]
fn forward_inline_carries_headers_text_and_attachments() {
    let d = respond_as(WITH_ATTACHMENT, ReplyKind::ForwardInline, &ids(), Some(SIG)).unwrap();
    assert_eq!(d.subject, "Fwd: Report");
    assert!(d.to.is_empty());
    assert_eq!(d.in_reply_to, None);
    assert!(d.body.contains(
        "---------- Forwarded message ----------\nFrom: Zoe <zoe@example.org>\nDate: Tue, 14 Nov 2023 22:13:20 +0100\nSubject: Report\nTo: alice@example.test\n\n"
    ), "{}", d.body);
    assert!(
        d.body.contains("See") && d.body.contains("attached") && !d.body.contains("<p>"),
        "HTML rendered to text: {}",
        d.body
    );
    assert!(d.body.ends_with(SIG));
    assert_eq!(d.attachments.len(), 1);
    assert_eq!(d.attachments[0].name, "r.pdf");
    assert_eq!(d.attachments[0].content_type, "application/pdf");
    assert_eq!(
        d.attachments[0].data,
        AttachmentData::Bytes(b"%PDF-1.4\n".to_vec())
    );
    assert_eq!(d.from, "Alice Example <alice@example.test>");
}

#[test]
fn forward_attached_is_one_rfc822_part() {
    let d = respond_as(WITH_ATTACHMENT, ReplyKind::ForwardAttached, &ids(), None).unwrap();
    assert_eq!(d.subject, "Fwd: Report");
    assert_eq!(d.attachments.len(), 1);
    assert_eq!(d.attachments[0].content_type, "message/rfc822");
    assert_eq!(d.attachments[0].name, "Report.eml");
    assert_eq!(
        d.attachments[0].data,
        AttachmentData::Bytes(WITH_ATTACHMENT.to_vec())
    );
    let mut d = d;
    d.to = vec!["bob@example.net".into()];
    let b = build(&d, &BuildOptions::default()).unwrap();
    let m = mailparse::parse_mail(&b.sent).unwrap();
    assert_eq!(m.subparts[1].ctype.mimetype, "message/rfc822");
    assert_eq!(m.subparts[1].get_body_raw().unwrap(), WITH_ATTACHMENT);
}

#[test]
fn broken_input_still_gives_a_draft() {
    for raw in [
        &b""[..],
        b"no headers at all",
        b"Subject: only a subject\r\n\r\nbody",
        b"From: \r\nMessage-ID:\r\n\r\n",
        b"\xff\xfe\x00garbage\r\n\r\n\xff",
        b"From: MAILER-DAEMON <>\r\nReferences: <unterminated\r\n\r\nx",
    ] {
        for kind in [
            ReplyKind::Reply,
            ReplyKind::ReplyAll,
            ReplyKind::ForwardInline,
            ReplyKind::ForwardAttached,
        ] {
            let d = respond_as(raw, kind, &ids(), None).unwrap();
            assert!(d.subject.starts_with("Re: ") || d.subject.starts_with("Fwd: "));
            assert_eq!(d.in_reply_to, None);
        }
    }
}

#[test]
fn respond_reads_identities_and_signature_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let sig = dir.path().join("sig");
    std::fs::write(&sig, "-- \nA.\n").unwrap();
    let mut cfg = posthorn::config::AccountConfig::maildir(dir.path().join("m"));
    cfg.from = Some("Alice Example <alice@example.test>".into());
    cfg.identities = vec!["Alice <alice@work.example>".into()];
    cfg.signature = Some(sig);
    let d = respond(ORIG, ReplyKind::Reply, "work", &cfg).unwrap();
    assert_eq!(d.account, "work");
    assert_eq!(d.from, "Alice <alice@work.example>");
    assert!(d.body.ends_with("\n\n-- \nA.\n"), "{:?}", d.body);
}

#[test]
fn reply_to_own_message_goes_to_its_recipients() {
    let raw = b"From: Alice <alice@work.example>\r\nTo: Bob <bob@example.net>\r\nCc: carol@example.net\r\nSubject: mine\r\nMessage-ID: <own@x>\r\n\r\nhi\r\n";
    let d = respond_as(raw, ReplyKind::Reply, &ids(), None).unwrap();
    assert_eq!(d.to, vec!["Bob <bob@example.net>"]);
    let d = respond_as(raw, ReplyKind::ReplyAll, &ids(), None).unwrap();
    assert_eq!(d.to, vec!["Bob <bob@example.net>"]);
    assert_eq!(d.cc, vec!["carol@example.net"]);
}
