//! Hostile messages do bounded work: deep or huge HTML is shown flat with a note, header
//! decoding is capped, attachments are measured and saved by streaming, and body search
//! examines a bounded number of bytes. Bounds are checked by counting, never by timing.

use posthorn::mime::{
    BodyMode, HTML_MAX_DEPTH, MAX_ENCODED_WORDS, SEARCH_MAX_BYTES, SaveError, attachment_info,
    header_fields, html_shape, parse_message, searchable_text, write_attachment,
};
use std::io::{self, Write};

fn html_message(html: &str) -> Vec<u8> {
    format!("From: a@x\nSubject: h\nContent-Type: text/html; charset=utf-8\n\n{html}").into_bytes()
}

fn nested(depth: usize) -> String {
    let mut h = "<div>".repeat(depth);
    h.push_str("the bottom &amp; more");
    h.push_str(&"</div>".repeat(depth));
    h
}

#[test]
fn deep_html_is_flattened_with_a_note() {
    // 1,000 deep: html2text copes, slowly; over the limit it is never handed to it.
    for depth in [HTML_MAX_DEPTH + 1, 1_000, 100_000] {
        let v = parse_message(&html_message(&nested(depth)));
        assert!(
            v.problems.iter().any(|p| p.contains("nested deeper")),
            "{depth}: {:?}",
            v.problems
        );
        assert!(v.body_text(BodyMode::Html).contains("the bottom & more"));
    }
    // The pre-scan stops counting once the limit is passed: work bounded by it.
    let s = html_shape(nested(100_000).as_bytes());
    assert_eq!(s.max_depth, HTML_MAX_DEPTH + 1);
    assert!(s.scanned <= (HTML_MAX_DEPTH + 1) * 5);
}

#[test]
fn ordinary_html_still_renders() {
    let v = parse_message(&html_message(&nested(20)));
    assert!(v.problems.is_empty(), "{:?}", v.problems);
}

#[test]
fn many_elements_or_bytes_are_flattened() {
    let wide = "<span>x</span>".repeat(30_000);
    let v = parse_message(&html_message(&wide));
    assert!(v.problems.iter().any(|p| p.contains("elements")));
    let big = format!("<p>{}</p>", "word ".repeat(300_000));
    let v = parse_message(&html_message(&big));
    assert!(v.problems.iter().any(|p| p.contains("larger than")));
}

fn encoded_subject(words: usize) -> Vec<u8> {
    let mut raw = b"From: a@x\r\nSubject:".to_vec();
    for _ in 0..words {
        raw.extend_from_slice(b" =?UTF-8?Q?ab?=");
    }
    raw.extend_from_slice(b"\r\n\r\nbody\r\n");
    raw
}

#[test]
fn encoded_words_are_capped() {
    let raw = encoded_subject(5_000);
    let v = parse_message(&raw);
    // Adjacent encoded words join without spaces: "abab…".
    assert!(v.subject.ends_with('…'), "{}", &v.subject[..40]);
    let decoded = v.subject.matches("ab").count();
    assert!(decoded <= MAX_ENCODED_WORDS, "{decoded} words decoded");
    let f = header_fields(&raw);
    assert!(f.subject.matches("ab").count() <= MAX_ENCODED_WORDS);
    let (_, full) = v.headers.iter().find(|(k, _)| k == "Subject").unwrap();
    assert!(full.matches("ab").count() <= MAX_ENCODED_WORDS);
    // Under the cap nothing is cut.
    let v = parse_message(&encoded_subject(10));
    assert_eq!(v.subject, "ab".repeat(10));
}

#[test]
fn a_long_header_is_cut() {
    let raw = format!("Subject: {}\n\nx", "y ".repeat(100_000));
    let v = parse_message(raw.as_bytes());
    assert!(v.subject.len() <= posthorn::mime::MAX_HEADER_BYTES + 8);
    assert!(v.subject.ends_with('…'));
}

/// A writer that remembers the largest single write: streaming means bounded writes.
#[derive(Default)]
struct Probe {
    bytes: Vec<u8>,
    largest: usize,
}

impl Write for Probe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.largest = self.largest.max(buf.len());
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn b64(data: &[u8]) -> String {
    let abc = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (n, c) in data.chunks(3).enumerate() {
        let w = c.iter().fold(0u32, |a, &b| (a << 8) | b as u32) << (8 * (3 - c.len()));
        for k in 0..4 {
            out.push(if k <= c.len() {
                abc[(w >> (18 - 6 * k) & 63) as usize] as char
            } else {
                '='
            });
        }
        if n % 19 == 18 {
            out.push_str("\r\n");
        }
    }
    out
}

fn with_attachments(data: &[u8]) -> Vec<u8> {
    format!(
        "From: a@x\r\nSubject: files\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n\
--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
--B\r\nContent-Type: application/octet-stream; name=\"big.bin\"\r\n\
Content-Disposition: attachment; filename=\"big.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n\
--B\r\nContent-Type: text/plain; name=\"note.txt\"\r\nContent-Disposition: attachment; filename=note.txt\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =\r\nau lait\r\n--B--\r\n",
        b64(data)
    )
    .into_bytes()
}

#[test]
fn attachments_are_listed_and_saved_by_streaming() {
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let raw = with_attachments(&data);
    let v = parse_message(&raw);
    assert_eq!(v.attachments.len(), 2);
    assert_eq!(
        (v.attachments[0].name.as_str(), v.attachments[0].size),
        ("big.bin", data.len())
    );
    let info = attachment_info(&raw, 0).unwrap();
    assert_eq!(
        (info.mime_type.as_str(), info.size),
        ("application/octet-stream", data.len())
    );

    let mut p = Probe::default();
    let n = write_attachment(&raw, 0, &mut p).unwrap();
    assert_eq!(n as usize, data.len());
    assert!(p.bytes == data, "decoded bytes differ");
    assert!(p.largest <= 64 * 1024, "one write of {} bytes", p.largest);

    let mut p = Probe::default();
    write_attachment(&raw, 1, &mut p).unwrap();
    assert_eq!(p.bytes, "café au lait".as_bytes());
    assert!(matches!(
        write_attachment(&raw, 2, &mut Probe::default()),
        Err(SaveError::NotFound)
    ));
}

#[test]
fn search_text_is_bounded() {
    let v = searchable_text(&html_message(&nested(100_000)));
    assert!(v.contains("the bottom & more"));
    let huge = format!(
        "Subject: s\n\n{}needle",
        "hay ".repeat(SEARCH_MAX_BYTES / 2)
    );
    let t = searchable_text(huge.as_bytes());
    assert!(t.len() <= SEARCH_MAX_BYTES);
    assert!(!t.contains("needle"), "bytes past the cap are not examined");
    assert!(searchable_text(b"Subject: s\n\nfind the needle").contains("needle"));
}
