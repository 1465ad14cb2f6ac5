//! A draft built into its `kept` bytes and read back (compose::resume) is the same draft:
//! headers, Bcc, body and attachments with names and types.

use posthorn::compose::{Attachment, AttachmentData, BuildOptions, Draft, build, from_message};

fn draft() -> Draft {
    Draft {
        account: String::new(),
        from: "Zoë Müller <zoe@example.test>".into(),
        to: vec![
            "\"Doe, John\" <john@example.test>".into(),
            "bob@example.test".into(),
        ],
        cc: vec!["Ünal <unal@example.test>".into()],
        bcc: vec!["secret@example.test".into()],
        subject: "Grüße — draft".into(),
        in_reply_to: Some("<orig@example.test>".into()),
        references: vec!["<a@x>".into(), "<orig@example.test>".into()],
        extra: vec![
            ("Newsgroups".into(), "comp.lang.rust".into()),
            ("X-Note".into(), "ünïcode value".into()),
        ],
        body: "Hallo,\n\nzweite Zeile ünd mehr.\n\n-- \nZoë\n".into(),
        attachments: vec![
            Attachment {
                name: "Bericht über Öl.pdf".into(),
                content_type: "application/pdf".into(),
                data: AttachmentData::Bytes((0..=255u8).cycle().take(3000).collect()),
            },
            Attachment {
                name: "notes.txt".into(),
                content_type: "text/plain".into(),
                data: AttachmentData::Bytes(b"one\ntwo\n".to_vec()),
            },
            Attachment {
                name: "fwd.eml".into(),
                content_type: "message/rfc822".into(),
                data: AttachmentData::Bytes(
                    b"From: a@b\r\nSubject: inner\r\n\r\ninner body\r\n".to_vec(),
                ),
            },
        ],
    }
}

#[test]
fn build_then_resume_is_the_same_draft() {
    let d = draft();
    let b = build(&d, &BuildOptions::default()).unwrap();
    let back = from_message(&b.kept).unwrap();
    assert_eq!(back, d);
}

#[test]
fn resume_without_attachments_and_flowed() {
    let mut d = draft();
    d.attachments.clear();
    d.body = format!("{}\nshort\n", "long words ".repeat(20).trim_end());
    for flowed in [false, true] {
        let opts = BuildOptions {
            flowed,
            ..Default::default()
        };
        let back = from_message(&build(&d, &opts).unwrap().kept).unwrap();
        assert_eq!(back, d, "flowed={flowed}");
    }
}

#[test]
fn an_empty_postponed_draft_resumes() {
    let d = Draft {
        from: "me@example.test".into(),
        ..Draft::default()
    };
    let opts = BuildOptions {
        allow_no_recipients: true,
        ..Default::default()
    };
    let back = from_message(&build(&d, &opts).unwrap().kept).unwrap();
    assert_eq!(back, d);
}
