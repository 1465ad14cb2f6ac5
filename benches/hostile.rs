//! Hostile-message benchmark: `cargo bench --bench hostile` (add `full` for the sizes
//! of the bug reports: 200 MB bodies and attachments, 100,000/200,000-deep HTML).
//!
//! Prints, per case, the time to parse a message into its view (what opening costs on
//! the loader thread), the time of the reader's `update` on open, `j`, `G`, `k` and of
//! one drawn frame, the time to list and stream-save a large attachment, the time of
//! `searchable_text`, and the peak RSS. Without `full` it runs small sizes as a smoke
//! test (as `cargo test --benches` does).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use posthorn::app::{AppEvent, AppState, Effect, Key, KeyCode, Keymap, Settings, update};
use posthorn::core::{AccountId, Envelope, Flags, Folder, FolderPath, LocalId};
use posthorn::mime::{header_fields, parse_message, searchable_text, write_attachment};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};

fn ms(d: Duration) -> String {
    format!("{:>9.2} ms", d.as_secs_f64() * 1e3)
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed())
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn html_nested(depth: usize) -> Vec<u8> {
    let mut m = String::from("From: a@x\nSubject: deep\nContent-Type: text/html\n\n");
    m.push_str(&"<div>".repeat(depth));
    m.push_str("bottom");
    m.push_str(&"</div>".repeat(depth));
    m.into_bytes()
}

fn encoded_subject(words: usize) -> Vec<u8> {
    let mut m = b"From: a@x\r\nSubject:".to_vec();
    for _ in 0..words {
        m.extend_from_slice(b" =?UTF-8?Q?ab?=");
    }
    m.extend_from_slice(b"\r\n\r\nbody\r\n");
    m
}

fn text_message(bytes: usize) -> Vec<u8> {
    let mut m = Vec::with_capacity(bytes + 256);
    m.extend_from_slice(b"From: a@x\nSubject: big\nContent-Type: text/plain\n\n");
    let line = b"The quick brown fox jumps over the lazy dog, again and again and again.\n";
    while m.len() < bytes {
        m.extend_from_slice(line);
    }
    m
}

fn html_message(bytes: usize) -> Vec<u8> {
    let mut m = b"From: a@x\nSubject: big html\nContent-Type: text/html\n\n<html><body>".to_vec();
    while m.len() < bytes {
        m.extend_from_slice(
            b"<p>Some <b>bold</b> and <a href=\"https://x.example/\">a link</a>.</p>\n",
        );
    }
    m
}

fn attachment_message(bytes: usize) -> Vec<u8> {
    let mut m = Vec::with_capacity(bytes + 512);
    m.extend_from_slice(
        b"From: a@x\r\nSubject: file\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n\
--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--B\r\n\
Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=big.bin\r\n\
Content-Transfer-Encoding: base64\r\n\r\n",
    );
    let line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\r\n";
    while m.len() < bytes {
        m.extend_from_slice(line);
    }
    m.extend_from_slice(b"--B--\r\n");
    m
}

fn parse_case(name: &str, raw: &[u8]) {
    let (v, t) = timed(|| parse_message(raw));
    let (_, th) = timed(|| header_fields(raw));
    let (_, ts) = timed(|| searchable_text(raw));
    println!(
        "{name:<34} {:>8} KB  parse {}  index fields {}  search text {}  problems {}",
        raw.len() / 1024,
        ms(t),
        ms(th),
        ms(ts),
        v.problems.len()
    );
}

fn key(s: &mut AppState, code: KeyCode) -> Vec<Effect> {
    update(s, AppEvent::Key(Key::plain(code)))
}

fn reader_case(raw: Vec<u8>) {
    let mut s = AppState::new(Keymap::default(), Settings::default());
    (s.width, s.height) = (120, 40);
    let (a, f) = (AccountId("bench".into()), FolderPath::inbox());
    let fx = update(
        &mut s,
        AppEvent::Folders {
            account: a.clone(),
            folders: vec![Folder::mail(a.clone(), f.clone())],
        },
    );
    let Some(req) = fx.iter().find_map(|e| match e {
        Effect::LoadEnvelopes { req, .. } => Some(*req),
        _ => None,
    }) else {
        return;
    };
    let env = Envelope {
        account: a,
        folder: f,
        id: LocalId("big".into()),
        date: 0,
        from: "a".into(),
        from_addr: "a@x".into(),
        to: String::new(),
        subject: "big".into(),
        message_id: String::new(),
        in_reply_to: String::new(),
        references: String::new(),
        size: raw.len() as u64,
        flags: Flags::SEEN,
        has_attachments: false,
    };
    update(
        &mut s,
        AppEvent::EnvelopesLoaded {
            req,
            envelopes: vec![env],
        },
    );
    let fx = key(&mut s, KeyCode::Enter);
    let Some(req) = fx.iter().find_map(|e| match e {
        Effect::LoadMessage { req, .. } => Some(*req),
        _ => None,
    }) else {
        return;
    };
    let size = raw.len();
    let (view, t_parse) = timed(|| parse_message(&raw));
    drop(raw);
    let (_, t_open) = timed(|| {
        update(
            &mut s,
            AppEvent::MessageLoaded {
                req,
                result: Ok(view),
            },
        )
    });
    let Ok(mut term) = Terminal::new(TestBackend::new(120, 40));
    let mut draw = |s: &AppState| timed(|| term.draw(|f| posthorn::ui::render(f, s))).1;
    let t_first = draw(&s);
    let n = 100;
    let (_, t_j) = timed(|| {
        for _ in 0..n {
            key(&mut s, KeyCode::Char('j'));
        }
    });
    let t_frame = draw(&s);
    let (_, t_g) = timed(|| key(&mut s, KeyCode::Char('G')));
    let (_, t_k) = timed(|| key(&mut s, KeyCode::Char('k')));
    let t_frame_end = draw(&s);
    println!(
        "reader {:>6} MB: parse {}  open (update) {}  first frame {}  j {} each  frame {}  G {}  k {}  frame at end {}  peak RSS {:.0} MB",
        size >> 20,
        ms(t_parse),
        ms(t_open),
        ms(t_first),
        ms(t_j / n),
        ms(t_frame),
        ms(t_g),
        ms(t_k),
        ms(t_frame_end),
        peak_rss_mb()
    );
}

fn attachment_case(mb: usize) {
    let raw = attachment_message(mb << 20);
    let (v, t_list) = timed(|| parse_message(&raw));
    let mut sink = std::io::sink();
    let (n, t_save) = timed(|| write_attachment(&raw, 0, &mut sink));
    println!(
        "attachment {mb:>4} MB: listed ({} B) in {}  streamed {:?} B in {}  peak RSS {:.0} MB",
        v.attachments.first().map_or(0, |a| a.size),
        ms(t_list),
        n.as_ref().ok(),
        ms(t_save),
        peak_rss_mb()
    );
}

/// html2text itself, unbounded, on shapes near the limits: the figures the limits
/// were chosen from.
fn html2text_probe(name: &str, html: &[u8]) {
    let shape = posthorn::mime::html_shape(html);
    let (_, t) = timed(|| {
        html2text::config::plain()
            .link_footnotes(true)
            .string_from_read(html, 78)
    });
    println!(
        "html2text alone: {name:<28} {:>6} KB depth {:>5} elements {:>7}  {}",
        html.len() / 1024,
        shape.max_depth,
        shape.elements,
        ms(t)
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "full");
    let (deep, words, big, mb) = if full {
        (vec![100_000, 200_000], 100_000, 10 << 20, 200)
    } else {
        (vec![10_000], 10_000, 1 << 20, 4)
    };
    for d in deep {
        parse_case(&format!("HTML nested {d} deep"), &html_nested(d));
    }
    parse_case(
        &format!("Subject of {words} encoded words"),
        &encoded_subject(words),
    );
    parse_case(&format!("text/plain {} MB", big >> 20), &text_message(big));
    parse_case(&format!("text/html {} MB", big >> 20), &html_message(big));
    parse_case("HTML 200 KB (rendered, not flat)", &html_message(200 << 10));
    if std::env::args().any(|a| a == "probe") {
        let para = "<p>Some <b>bold</b> and <a href=\"https://x.example/\">a link</a>.</p>\n";
        html2text_probe("shallow 1 MB", para.repeat(16_000).as_bytes());
        html2text_probe("shallow 4 MB", para.repeat(64_000).as_bytes());
        let d = |n: usize| format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
        html2text_probe("200 deep x 100", d(200).repeat(100).as_bytes());
        html2text_probe("200 deep x 1000", d(200).repeat(1000).as_bytes());
        html2text_probe("1000 deep", d(1000).as_bytes());
        html2text_probe("5000 deep", d(5000).as_bytes());
    }
    if std::env::args().any(|a| a == "attachment") {
        attachment_case(mb);
    } else {
        // One large case per process, so the peak RSS is its own.
        reader_case(text_message(mb << 20));
    }
}
