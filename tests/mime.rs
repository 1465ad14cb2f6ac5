//! MIME display model on fixtures (good, broken and hostile) and on CPython's
//! test_email corpus: every message becomes a view without panicking.

use posthorn::mime::{BodyMode, Section, attachment_bytes, parse_message};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/mime")
            .join(name),
    )
    .unwrap()
}

#[test]
fn alternative_prefers_plain_and_switches_to_html() {
    let v = parse_message(&fixture("alternative.eml"));
    assert_eq!(v.subject, "Café menu");
    assert_eq!(v.from, "Zoë Müller <zoe@example.org>");
    assert!(v.has_html());
    assert!(v.body_text(BodyMode::Plain).contains("soup €4"));
    let html = v.body_text(BodyMode::Html);
    assert!(
        html.contains("[see it][1]") && html.contains("[1]: https://cafe.example/menu"),
        "{html}"
    );
    assert!(v.problems.is_empty(), "{:?}", v.problems);
}

#[test]
fn nested_message_is_shown_inline_and_its_attachments_listed() {
    let raw = fixture("nested.eml");
    let v = parse_message(&raw);
    assert!(matches!(v.sections[1], Section::Nested { .. }));
    let text = v.body_text(BodyMode::Plain);
    assert!(
        text.contains("See below.")
            && text.contains("Subject: Quarterly report")
            && text.contains("The numbers are attached."),
        "{text}"
    );
    let names: Vec<&str> = v.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["report.eml", "résumé.csv"]);
    assert_eq!(v.attachments[1].size, 8);
    let (name, bytes) = attachment_bytes(&raw, 1).unwrap();
    assert_eq!(
        (name.as_str(), bytes.as_slice()),
        ("résumé.csv", b"a,b\n1,2\n".as_slice())
    );
}

#[test]
fn broken_messages_still_show() {
    let v = parse_message(&fixture("bad-charset.eml"));
    assert!(v.body_text(BodyMode::Plain).contains("hello"));
    let v = parse_message(&fixture("truncated.eml"));
    assert!(v.body_text(BodyMode::Plain).contains("first part only"));
    let v = parse_message(b"\x00\x01 not a message at all \xff");
    assert!(!v.body_text(BodyMode::Plain).contains('\u{0}'));
    let v = parse_message(b"");
    assert!(v.sections.len() <= 1);
}

/// Every string of a view that reaches the screen, each on its own (no Debug
/// formatting: that escapes control characters and would hide them from the checks).
fn displayed(v: &posthorn::mime::MessageView) -> Vec<String> {
    let mut all = vec![
        v.subject.clone(),
        v.from.clone(),
        v.to.clone(),
        v.cc.clone(),
        v.date.clone(),
        v.body_text(BodyMode::Plain),
        v.body_text(BodyMode::Html),
    ];
    for (k, val) in &v.headers {
        all.push(k.clone());
        all.push(val.clone());
    }
    for a in &v.attachments {
        all.push(a.name.clone());
        all.push(a.mime_type.clone());
    }
    all.extend(v.problems.iter().cloned());
    all
}

#[test]
fn hostile_content_is_neutralised() {
    let raw = b"From: \x1b[31mEvil\x1b[0m <e@x>\nSubject: a\x1b]0;title\x07b\xe2\x80\xaec\nX-Evil: q\x1b[2Jr\nContent-Type: text/html\n\n<p>x\x1b[2Jy</p><script>alert(1)</script>";
    let v = parse_message(raw);
    let all = displayed(&v);
    for bad in ['\u{1b}', '\u{7}', '\u{202e}'] {
        for s in &all {
            assert!(!s.contains(bad), "{bad:?} got through in {s}");
        }
    }
    let evil = v.headers.iter().find(|(k, _)| k == "X-Evil").unwrap();
    assert_eq!(evil.1, "q␛[2Jr");
    assert!(v.from.contains("␛[31mEvil"), "{}", v.from);
    assert!(!v.body_text(BodyMode::Html).contains("alert"));
}

#[test]
fn c1_controls_are_neutralised() {
    let raw = fixture("hostile-c1.eml");
    // The fixture really yields C1 characters once decoded (UTF-8 encoded words and an
    // 8bit UTF-8 body), so the checks below have something to catch.
    let mail = mailparse::parse_mail(&raw).unwrap();
    let is_c1 = |c: char| ('\u{80}'..='\u{9f}').contains(&c);
    let subject = mailparse::MailHeaderMap::get_first_value(&mail.headers[..], "Subject").unwrap();
    assert!(subject.chars().any(is_c1), "{subject:?}");
    assert!(mail.subparts[0].get_body().unwrap().chars().any(is_c1));

    let v = parse_message(&raw);
    for s in displayed(&v) {
        assert!(!s.chars().any(is_c1), "a C1 control got through in {s:?}");
    }
    assert_eq!(v.subject, "a\u{fffd}b\u{fffd}31mc\u{fffd}");
    assert!(v.body_text(BodyMode::Plain).contains("done"));
    assert_eq!(v.attachments.len(), 1);
    let f = posthorn::mime::header_fields(&raw);
    for s in [&f.subject, &f.from, &f.to] {
        assert!(!s.chars().any(is_c1), "a C1 control got through in {s:?}");
    }
}

#[test]
fn deep_nesting_is_bounded() {
    let mut raw =
        String::from("From: x@y\nSubject: deep\nContent-Type: multipart/mixed; boundary=b0\n\n");
    for i in 0..40 {
        raw.push_str(&format!(
            "--b{i}\nContent-Type: multipart/mixed; boundary=b{}\n\n",
            i + 1
        ));
    }
    raw.push_str("--b40\nContent-Type: text/plain\n\ndeep text\n");
    let v = parse_message(raw.as_bytes());
    assert!(v.body_text(BodyMode::Plain).contains("nested deeper than"));
}

fn cpython_corpus() -> PathBuf {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import test.test_email, os; print(os.path.dirname(test.test_email.__file__))",
        ])
        .output()
        .expect("python3 is on every machine of this kind");
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("data");
    assert!(
        dir.is_dir(),
        "CPython's test_email corpus is missing at {}",
        dir.display()
    );
    dir
}

#[test]
fn cpython_test_email_corpus_parses() {
    let mut n = 0;
    for e in std::fs::read_dir(cpython_corpus()).unwrap().flatten() {
        let p = e.path();
        if !p.file_name().unwrap().to_string_lossy().starts_with("msg_") {
            continue;
        }
        let raw = std::fs::read(&p).unwrap();
        let v = parse_message(&raw);
        let _ = v.body_text(BodyMode::Plain);
        let _ = v.body_text(BodyMode::Html);
        let f = posthorn::mime::header_fields(&raw);
        assert!(!f.subject.contains('\u{1b}'));
        n += 1;
    }
    assert!(n >= 40, "only {n} corpus messages found");
}
