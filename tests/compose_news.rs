//! News drafts in the compose layer (compose::news): a new article carries the group;
//! a follow-up goes to Followup-To (else Newsgroups) with References kept and extended
//! and "Re:" once; Followup-To: poster turns it into a mail reply to the author; a cancel
//! is a Control: cancel message, refused for someone else's article; the editor file
//! shows Newsgroups and Followup-To at the top; `prepare_raw` takes an article without
//! mail recipients.

use posthorn::compose::{
    BuildOptions, ComposeError, FollowUp, build, cancel, editfile, follow_up, new_article,
    prepare_raw,
};
use posthorn::config::AccountConfig;
use std::path::Path;

fn news_cfg() -> AccountConfig {
    let text = "[accounts.news]\nfrom = \"Alice Mail <alice@example.test>\"\n\
identities = [\"Alice <alice@work.example>\"]\n\
[accounts.news.nntp]\nhost = \"127.0.0.1\"\nfrom = \"Alice News <alice@news.example>\"\n";
    let cfg = posthorn::config::parse_config(Path::new("t.toml"), text).unwrap();
    cfg.accounts["news"].clone()
}

const ART: &[u8] = b"From: Zoe <zoe@example.org>\r\n\
Newsgroups: test.misc, test.general\r\n\
Subject: Re: RE: Plans\r\n\
Date: Tue, 14 Nov 2023 22:13:20 +0100\r\n\
Message-ID: <a2@example.org>\r\n\
References: <a0@example.org>\r\n <a1@example.org>\r\n\
Path: news!not-for-mail\r\n\
\r\n\
Line one\r\n";

fn with_header(name: &str, value: &str) -> Vec<u8> {
    let mut v = format!("{name}: {value}\r\n").into_bytes();
    v.extend_from_slice(ART);
    v
}

#[test]
fn follow_up_goes_to_newsgroups_with_references_extended() {
    let FollowUp::Post(d) = follow_up(ART, "news", &news_cfg()).unwrap() else {
        panic!("a post");
    };
    assert_eq!(d.extra_header("Newsgroups"), Some("test.misc,test.general"));
    assert!(d.to.is_empty() && d.cc.is_empty(), "no mail recipients");
    assert_eq!(d.subject, "Re: Plans");
    assert_eq!(
        d.references,
        vec!["<a0@example.org>", "<a1@example.org>", "<a2@example.org>"]
    );
    assert_eq!(d.from, "Alice News <alice@news.example>", "the [nntp] from");
    assert!(d.body.contains("> Line one"));
    let b = build(&d, &BuildOptions::default()).unwrap();
    let text = String::from_utf8_lossy(&b.sent);
    assert!(
        text.contains("Newsgroups: test.misc,test.general\r\n"),
        "{text}"
    );
    assert!(
        text.contains("References: <a0@example.org> <a1@example.org> <a2@example.org>"),
        "{text}"
    );
    assert!(b.recipients.is_empty());
}

#[test]
fn follow_up_honours_followup_to() {
    let raw = with_header("Followup-To", "test.general");
    let FollowUp::Post(d) = follow_up(&raw, "news", &news_cfg()).unwrap() else {
        panic!("a post");
    };
    assert_eq!(d.extra_header("Newsgroups"), Some("test.general"));
}

#[test]
fn followup_to_poster_is_a_mail_reply_to_the_author() {
    let raw = with_header("Followup-To", " Poster ");
    let FollowUp::Mail(d) = follow_up(&raw, "news", &news_cfg()).unwrap() else {
        panic!("a mail reply");
    };
    assert_eq!(d.to, vec!["Zoe <zoe@example.org>"]);
    assert_eq!(d.extra_header("Newsgroups"), None, "not posted");
    assert_eq!(d.subject, "Re: Plans");
    assert_eq!(d.in_reply_to.as_deref(), Some("<a2@example.org>"));
}

#[test]
fn follow_up_without_groups_is_an_error() {
    let raw = b"From: z@example.org\r\nSubject: x\r\n\r\nbody\r\n";
    assert!(follow_up(raw, "news", &news_cfg()).is_err());
}

#[test]
fn new_article_carries_the_group_and_the_editor_shows_it_first() {
    let d = new_article("news", &news_cfg(), "comp.mail.archive").unwrap();
    assert_eq!(d.extra_header("Newsgroups"), Some("comp.mail.archive"));
    let text = editfile::render(&d);
    let lines: Vec<&str> = text.lines().take(3).collect();
    assert_eq!(
        lines,
        vec![
            "From: Alice News <alice@news.example>",
            "Newsgroups: comp.mail.archive",
            "Followup-To: "
        ]
    );
    // Read back: the empty Followup-To is left out, Newsgroups kept.
    let back = editfile::parse(&text.replace("Subject: ", "Subject: hello"), &d).unwrap();
    assert_eq!(
        back.extra,
        vec![("Newsgroups".to_string(), "comp.mail.archive".to_string())]
    );
    // Built with no recipient: it is an article.
    let b = build(&back, &BuildOptions::default()).unwrap();
    assert!(String::from_utf8_lossy(&b.sent).contains("Newsgroups: comp.mail.archive\r\n"));
}

#[test]
fn cancel_own_article_only() {
    let mine = b"From: Alice <ALICE@work.example>\r\nNewsgroups: test.misc\r\nSubject: oops\r\nMessage-ID: <m1@work.example>\r\n\r\nx\r\n";
    let d = cancel(mine, "news", &news_cfg()).unwrap();
    assert_eq!(d.extra_header("Control"), Some("cancel <m1@work.example>"));
    assert_eq!(d.extra_header("Newsgroups"), Some("test.misc"));
    assert_eq!(d.from, "Alice <alice@work.example>");
    assert_eq!(d.subject, "cmsg cancel <m1@work.example>");
    let b = build(&d, &BuildOptions::default()).unwrap();
    assert!(String::from_utf8_lossy(&b.sent).contains("Control: cancel <m1@work.example>\r\n"));
    match cancel(ART, "news", &news_cfg()) {
        Err(ComposeError::NotYours(from)) => assert!(from.contains("zoe@example.org")),
        other => panic!("refused expected: {other:?}"),
    }
}

#[test]
fn prepare_raw_takes_an_article_without_recipients() {
    let b =
        prepare_raw(b"From: a@example.test\nNewsgroups: test.misc\nSubject: x\n\nbody\n").unwrap();
    assert!(b.recipients.is_empty());
    let text = String::from_utf8_lossy(&b.sent);
    assert!(
        text.contains("Message-ID: <") && text.contains("Date: "),
        "{text}"
    );
    assert!(matches!(
        prepare_raw(b"From: a@example.test\nNewsgroups: \nSubject: x\n\nbody\n"),
        Err(ComposeError::NoRecipients)
    ));
}
