//! Building drafts into bytes (compose::build) and reading them back with mailparse:
//! decoded subject and names, attachment names and bytes, Bcc only in `kept`,
//! Message-ID and Date always; `prepare_raw` for `posthorn send < file.eml`.

use mailparse::{MailHeaderMap, parse_mail};
use posthorn::compose::{
    Attachment, AttachmentData, BuildOptions, ComposeError, Draft, build, editfile, prepare_raw,
};

fn draft() -> Draft {
    Draft {
        account: "work".into(),
        from: "Zoë Müller <zoe@example.test>".into(),
        to: vec![
            "\"Doe, John\" <john@example.test>".into(),
            "bob@example.test".into(),
        ],
        cc: vec!["Carol <carol@example.test>".into()],
        bcc: vec!["secret@example.test".into(), "BOB@example.test".into()],
        subject: "Grüße aus Köln — ünïcödé".into(),
        in_reply_to: Some("<orig@example.test>".into()),
        references: vec!["<a@x>".into(), "<orig@example.test>".into()],
        extra: vec![("X-Mailer-Note".into(), "hello".into())],
        body: "Hallo Welt,\nZeile zwei ünd drei.\n".into(),
        attachments: vec![],
    }
}

fn att(name: &str, ct: &str, bytes: &[u8]) -> Attachment {
    Attachment {
        name: name.into(),
        content_type: ct.into(),
        data: AttachmentData::Bytes(bytes.to_vec()),
    }
}

#[test]
fn headers_decode_and_bcc_is_only_kept() {
    let b = build(&draft(), &BuildOptions::default()).unwrap();
    for bytes in [&b.sent, &b.kept] {
        let m = parse_mail(bytes).unwrap();
        let h = &m.headers;
        assert_eq!(
            h.get_first_value("Subject").unwrap(),
            "Grüße aus Köln — ünïcödé"
        );
        assert!(h.get_first_value("From").unwrap().contains("Zoë Müller"));
        let to = mailparse::addrparse_header(h.get_first_header("To").unwrap()).unwrap();
        match &to[0] {
            mailparse::MailAddr::Single(s) => {
                assert_eq!(s.display_name.as_deref(), Some("Doe, John"));
                assert_eq!(s.addr, "john@example.test");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(h.get_first_value("Message-ID").unwrap(), b.message_id);
        assert!(h.get_first_value("Date").is_some());
        assert_eq!(
            h.get_first_value("In-Reply-To").unwrap(),
            "<orig@example.test>"
        );
        assert_eq!(
            h.get_first_value("References").unwrap(),
            "<a@x> <orig@example.test>"
        );
        assert_eq!(h.get_first_value("X-Mailer-Note").unwrap(), "hello");
        assert_eq!(
            m.get_body().unwrap().replace("\r\n", "\n").trim_end(),
            draft().body.trim_end()
        );
        assert!(m.ctype.mimetype == "text/plain" && m.ctype.charset == "utf-8");
        // CRLF only.
        assert!(!bytes.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'));
    }
    let sent = parse_mail(&b.sent).unwrap();
    assert!(sent.headers.get_first_value("Bcc").is_none());
    assert!(!String::from_utf8_lossy(&b.sent).contains("secret@"));
    let kept = parse_mail(&b.kept).unwrap();
    assert!(
        kept.headers
            .get_first_value("Bcc")
            .unwrap()
            .contains("secret@example.test")
    );
    assert!(b.message_id.starts_with('<') && b.message_id.ends_with("@example.test>"));
    assert_eq!(b.envelope_from, "zoe@example.test");
    assert_eq!(
        b.recipients,
        vec![
            "john@example.test",
            "bob@example.test",
            "carol@example.test",
            "secret@example.test"
        ]
    );
    // Two builds, two Message-IDs.
    let again = build(&draft(), &BuildOptions::default()).unwrap();
    assert_ne!(again.message_id, b.message_id);
}

#[test]
fn attachments_keep_names_types_and_bytes() {
    let mut d = draft();
    let binary: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    d.attachments = vec![
        att("Bericht über Ölpreise.pdf", "", &binary),
        att("notes.txt", "", b"plain\nlines\n"),
        att("data.bin", "application/x-thing", b"\x00\x01\x02"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("résumé.odt");
    std::fs::write(&path, b"file bytes").unwrap();
    d.attachments.push(editfile::file_attachment(path));
    let b = build(&d, &BuildOptions::default()).unwrap();
    let m = parse_mail(&b.sent).unwrap();
    assert_eq!(m.ctype.mimetype, "multipart/mixed");
    assert_eq!(m.subparts.len(), 5);
    let got: Vec<(String, String, Vec<u8>)> = m.subparts[1..]
        .iter()
        .map(|p| {
            let cd = p.get_content_disposition();
            (
                cd.params.get("filename").cloned().unwrap_or_default(),
                p.ctype.mimetype.clone(),
                p.get_body_raw().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got[0],
        (
            "Bericht über Ölpreise.pdf".into(),
            "application/pdf".into(),
            binary
        )
    );
    assert_eq!(
        got[1],
        (
            "notes.txt".into(),
            "text/plain".into(),
            b"plain\nlines\n".to_vec()
        )
    );
    assert_eq!(got[2].1, "application/x-thing");
    assert_eq!(got[3].0, "résumé.odt");
    assert_eq!(got[3].1, "application/vnd.oasis.opendocument.text");
    assert_eq!(got[3].2, b"file bytes");
    // The non-ASCII name is RFC 2231-encoded, not raw UTF-8 in the header.
    let text = String::from_utf8_lossy(&b.sent);
    assert!(text.contains("filename*"), "{text}");
}

#[test]
fn errors_name_header_text_and_path() {
    let mut d = draft();
    d.cc = vec!["not an address".into()];
    let e = build(&d, &BuildOptions::default()).unwrap_err();
    assert!(
        matches!(&e, ComposeError::BadAddress { header, text } if header == "Cc" && text == "not an address"),
        "{e}"
    );
    assert!(e.to_string().contains("Cc") && e.to_string().contains("not an address"));

    let mut d = draft();
    d.from.clear();
    assert!(matches!(
        build(&d, &BuildOptions::default()),
        Err(ComposeError::NoIdentity)
    ));

    let mut d = draft();
    d.to.clear();
    d.cc.clear();
    d.bcc.clear();
    assert!(matches!(
        build(&d, &BuildOptions::default()),
        Err(ComposeError::NoRecipients)
    ));
    let postponed = BuildOptions {
        allow_no_recipients: true,
        ..Default::default()
    };
    assert!(build(&d, &postponed).is_ok());

    let mut d = draft();
    d.attachments.push(Attachment {
        name: "gone.pdf".into(),
        content_type: String::new(),
        data: AttachmentData::File("/nonexistent/gone.pdf".into()),
    });
    let e = build(&d, &BuildOptions::default()).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/gone.pdf"), "{e}");
}

#[test]
fn flowed_bodies_rewrap_on_the_other_side() {
    let mut d = draft();
    let long = "word ".repeat(40).trim_end().to_string();
    d.body = format!("{long}\n> quoted line stays\nFrom here\n-- \nsig\n");
    let opts = BuildOptions {
        flowed: true,
        ..Default::default()
    };
    let b = build(&d, &opts).unwrap();
    let m = parse_mail(&b.sent).unwrap();
    assert_eq!(
        m.ctype.params.get("format").map(String::as_str),
        Some("flowed")
    );
    let body = m.get_body().unwrap().replace("\r\n", "\n");
    assert!(body.lines().all(|l| l.chars().count() <= 78), "{body}");
    assert!(body.contains("\n From here\n"), "space-stuffed: {body}");
    assert_eq!(posthorn::mime::unflow(&body, false), d.body);
}

#[test]
fn prepare_raw_is_like_sendmail_t() {
    let raw = b"From: Alice <alice@example.test>\nTo: bob@example.test\nBcc: Hidden <hidden@example.test>,\n  other@example.test\nResent-Bcc: r@example.test\nSubject: raw\n\nbody line\n\xff binary-ish\n";
    let b = prepare_raw(raw).unwrap();
    assert_eq!(b.envelope_from, "alice@example.test");
    assert_eq!(
        b.recipients,
        vec![
            "bob@example.test",
            "hidden@example.test",
            "other@example.test"
        ]
    );
    let sent = parse_mail(&b.sent).unwrap();
    assert!(sent.headers.get_first_value("Bcc").is_none());
    assert!(!String::from_utf8_lossy(&b.sent).contains("other@"));
    assert!(!String::from_utf8_lossy(&b.sent).contains("r@example"));
    assert_eq!(
        sent.headers.get_first_value("Message-ID").unwrap(),
        b.message_id
    );
    assert!(sent.headers.get_first_value("Date").is_some());
    assert!(
        b.sent
            .ends_with(b"\r\n\r\nbody line\r\n\xff binary-ish\r\n")
    );
    let kept = parse_mail(&b.kept).unwrap();
    assert!(
        kept.headers
            .get_first_value("Bcc")
            .unwrap()
            .contains("other@example.test")
    );

    // Date and Message-ID present: kept, not added twice.
    let raw = b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <x@y>\r\nSender: s@example.test\r\nCc: c@example.test\r\n\r\nhi\r\n";
    let b = prepare_raw(raw).unwrap();
    assert_eq!(b.sent, raw.to_vec());
    assert_eq!(b.message_id, "<x@y>");
    assert_eq!(b.envelope_from, "s@example.test");

    let mboxed = prepare_raw(b"From alice@example.test Mon Jan  1 00:00:00 2024\nFrom: alice@example.test\nTo: b@example.test\n\nx\n").unwrap();
    assert!(
        mboxed
            .sent
            .ends_with(b"From: alice@example.test\r\nTo: b@example.test\r\n\r\nx\r\n")
    );
    assert!(!mboxed.sent.starts_with(b"From "));
    assert!(matches!(
        prepare_raw(b"From: a@example.test\r\nSubject: x\r\n\r\n"),
        Err(ComposeError::NoRecipients)
    ));
    assert!(matches!(
        prepare_raw(b"To: b@example.test\r\n\r\n"),
        Err(ComposeError::BadAddress { .. })
    ));
}

#[test]
fn editfile_round_trip() {
    let mut d = draft();
    d.extra.push(("Newsgroups".into(), "comp.lang.rust".into()));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan, v2.pdf");
    std::fs::write(&path, b"%PDF").unwrap();
    d.attachments.push(editfile::file_attachment(path.clone()));
    // An attachment already in memory is not in the text but survives the edit.
    d.attachments
        .push(att("fwd.eml", "message/rfc822", b"Subject: x\r\n\r\ny"));
    let text = editfile::render(&d);
    // A news draft shows where it goes right under From (an empty Followup-To offered).
    assert!(text.starts_with("From: Zoë Müller <zoe@example.test>\nNewsgroups: comp.lang.rust\nFollowup-To: \nTo: \"Doe, John\" <john@example.test>, bob@example.test\nCc: Carol <carol@example.test>\nBcc: secret@example.test, BOB@example.test\nSubject: Grüße"));
    assert!(text.contains(&format!("\nAttach: {}\n", path.display())));
    let back = editfile::parse(&text, &d).unwrap();
    let mut want = d.clone();
    // File attachments come from the text, after the ones in memory.
    want.attachments.rotate_left(1);
    // Newsgroups comes back first, as the file shows it.
    want.extra.sort_by_key(|(n, _)| n != "Newsgroups");
    assert_eq!(back, want);
    // Editing twice changes nothing.
    assert_eq!(
        editfile::parse(&editfile::render(&back), &back).unwrap(),
        back
    );
    // Windows line ends from an editor are fine.
    assert_eq!(
        editfile::parse(&text.replace('\n', "\r\n"), &d).unwrap(),
        want
    );
}

#[test]
fn line_breaks_in_fields_cannot_add_headers() {
    let mut d = draft();
    d.subject = "hi\r\nBcc: injected@evil.test\r\n\r\nbody".into();
    d.extra = vec![("X-Note".into(), "a\nTo: injected2@evil.test".into())];
    let long_name = format!("{}ä.pdf", "Überlanger Dateiname mit Umlauten ".repeat(6));
    d.attachments = vec![att(&long_name, "", b"x")];
    let b = build(&d, &BuildOptions::default()).unwrap();
    let m = parse_mail(&b.sent).unwrap();
    assert!(m.headers.get_first_value("Bcc").is_none());
    assert_eq!(m.headers.get_all_values("To").len(), 1);
    assert!(!b.recipients.iter().any(|r| r.contains("evil")));
    let att = &m.subparts[1];
    assert_eq!(
        att.get_content_disposition().params.get("filename"),
        Some(&long_name)
    );
    // Every header line stays within the RFC 5322 §2.1.1 limit.
    let head = String::from_utf8_lossy(&b.sent);
    assert!(head.lines().all(|l| l.len() <= 998));
}
