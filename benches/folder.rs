//! Folder benchmark (run by scripts/bench.sh through `cargo bench --bench folder -- CMD`):
//!
//! - `gen DIR N`: writes N realistic messages (threads, names, multipart, ~3 KB) into a
//!   Maildir at DIR;
//! - `cold DIR INDEX`: builds the envelope index from nothing;
//! - `warm DIR INDEX`: from an existing index to the first drawn envelope list (index
//!   load, threading, render), then the re-render after a keypress at the end of the
//!   list, and the peak RSS.
//!
//! Without a command (as `cargo test --benches` runs it) it does a 2,000-message smoke run.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use posthorn::app::{AppEvent, AppState, Effect, Key, KeyCode, Keymap, Settings, update};
use posthorn::core::{AccountId, Folder, FolderPath};
use posthorn::store::{Index, Maildir, scan_folder};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const FIRST: &[&str] = &[
    "Anna", "Ben", "Chloé", "Dmitri", "Eva", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kaito",
    "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor",
    "Wen", "Yusuf", "Zoë",
];
const LAST: &[&str] = &[
    "Schmidt", "Nguyen", "García", "Okafor", "Larsen", "Kowalski", "Tanaka", "Rossi", "Dubois",
    "Singh", "Müller", "Silva", "Cohen", "Novak", "Haddad",
];
const WORDS: &[&str] = &[
    "release",
    "build",
    "meeting",
    "invoice",
    "draft",
    "review",
    "schedule",
    "budget",
    "server",
    "migration",
    "report",
    "design",
    "question",
    "update",
    "holiday",
    "contract",
    "feedback",
    "deadline",
    "lunch",
    "tickets",
    "photos",
    "outage",
    "patch",
    "roadmap",
    "hiring",
    "travel",
    "conference",
    "minutes",
    "proposal",
    "backup",
];
const LOREM: &str = "Thanks for the notes from yesterday. I went through the numbers again and I think we can keep the plan as it is, provided the vendor confirms the delivery date. Could you check with them before Thursday? If anything slips we should tell the others early rather than late. ";

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn generate(dir: &Path, n: usize) {
    Maildir::create(dir).expect("create maildir");
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let base: i64 = 1_790_000_000;
    let mut threads: Vec<(String, String, Vec<String>)> = Vec::new();
    for i in 0..n {
        let date = base + (i as i64) * 300 + rng.below(200) as i64;
        let name = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
        let addr = name
            .to_lowercase()
            .replace(' ', ".")
            .replace(['é', 'ë', 'ü', 'í'], "e");
        let id = format!("<{i}.{}@bench.example>", rng.next() % 100_000);
        let reply = !threads.is_empty() && rng.below(100) < 55;
        let (subject, refs) = if reply {
            let t = (threads.len() as u64 - 1 - rng.below(threads.len().min(400) as u64)) as usize;
            let (subj, parent, mut refs) = threads[t].clone();
            refs.push(parent);
            if refs.len() > 12 {
                refs.remove(0);
            }
            threads[t].1 = id.clone();
            threads[t].2 = refs.clone();
            (format!("Re: {subj}"), refs)
        } else {
            let subj = format!(
                "{} {} {}",
                rng.pick(WORDS),
                rng.pick(WORDS),
                rng.pick(WORDS)
            );
            threads.push((subj.clone(), id.clone(), vec![]));
            (subj, vec![])
        };
        let date_s = chrono::DateTime::from_timestamp(date, 0)
            .map(|d| d.to_rfc2822())
            .unwrap_or_default();
        let mut msg = format!(
            "Return-Path: <{addr}@example.org>\nReceived: from mx.example.org by mail.example.net with ESMTPS id {i}; {date_s}\nFrom: {name} <{addr}@example.org>\nTo: Robin Post <robin@example.net>\nSubject: {subject}\nDate: {date_s}\nMessage-ID: {id}\nMIME-Version: 1.0\n"
        );
        if !refs.is_empty() {
            msg.push_str(&format!(
                "In-Reply-To: {}\nReferences: {}\n",
                refs.last().map(String::as_str).unwrap_or(""),
                refs.join(" ")
            ));
        }
        let paras = 4 + rng.below(8) as usize;
        let body: String = (0..paras).map(|_| LOREM).collect::<Vec<_>>().join("\n\n");
        if rng.below(100) < 15 {
            msg.push_str("Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain; charset=utf-8\n\n");
            msg.push_str(&body);
            msg.push_str("\n--b\nContent-Type: application/pdf; name=\"doc.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQKJcTl8uXrp/Og0MTGCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9nPj4KZW5kb2JqCg==\n--b--\n");
        } else {
            msg.push_str(
                "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n",
            );
            msg.push_str(&body);
            msg.push('\n');
        }
        let flags = if i + 200 < n { "S" } else { "" };
        let file = dir
            .join("cur")
            .join(format!("{date}.M{i}P1Q{i}.bench,S={}:2,{flags}", msg.len()));
        std::fs::write(&file, msg.as_bytes()).expect("write message");
        if i % 10_000 == 0 {
            eprint!("\rgenerated {i}/{n}");
        }
    }
    eprintln!("\rgenerated {n}/{n} messages in {}", dir.display());
}

fn cold(dir: &Path, index_path: &Path) -> Duration {
    let _ = std::fs::remove_file(index_path);
    let _ = std::fs::remove_file(index_path.with_extension("sqlite-wal"));
    let _ = std::fs::remove_file(index_path.with_extension("sqlite-shm"));
    let t = Instant::now();
    let (mut index, _) = Index::open(index_path).expect("open index");
    let md = Maildir::open(dir);
    let r = scan_folder(
        &mut index,
        &AccountId("bench".into()),
        &FolderPath::inbox(),
        &md,
        posthorn::mime::header_fields,
        &mut |p| {
            eprint!("\rindexing {}/{}", p.done, p.total);
        },
    )
    .expect("scan");
    let d = t.elapsed();
    eprintln!();
    println!(
        "cold index build: {} messages in {:.3} s",
        r.added,
        d.as_secs_f64()
    );
    d
}

fn render(t: &mut Terminal<TestBackend>, s: &AppState) {
    t.draw(|f| posthorn::ui::render(f, s)).expect("draw");
}

fn key(s: &mut AppState, code: KeyCode) {
    let fx = update(s, AppEvent::Key(Key::plain(code)));
    assert!(fx.iter().all(|e| !matches!(e, Effect::Quit)));
}

fn warm(index_path: &Path) {
    let t0 = Instant::now();
    let index = posthorn::store::IndexReader::open(index_path).expect("open index");
    let (a, f) = (AccountId("bench".into()), FolderPath::inbox());
    let mut folder = Folder::mail(a.clone(), f.clone());
    (folder.total, folder.unread) = index.view().counts(&a, &f).expect("counts");
    // As the TUI does: two read-only connections in parallel.
    let envs = posthorn::store::index::envelopes_parallel(index_path, &a, &f, 2).expect("load");
    let t_load = t0.elapsed();
    let mut s = AppState::new(Keymap::default(), Settings::default());
    (s.width, s.height) = (160, 48);
    s.now = 1_800_000_000;
    let fx = update(
        &mut s,
        AppEvent::Folders {
            account: a,
            folders: vec![folder],
        },
    );
    let req = fx
        .iter()
        .find_map(|e| {
            if let Effect::LoadEnvelopes { req, .. } = e {
                Some(*req)
            } else {
                None
            }
        })
        .expect("load effect");
    let n = envs.len();
    update(
        &mut s,
        AppEvent::EnvelopesLoaded {
            req,
            envelopes: envs,
        },
    );
    let t_thread = t0.elapsed();
    let mut term = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
    render(&mut term, &s);
    let t_frame = t0.elapsed();
    println!(
        "warm start to first frame: {:.3} s ({n} envelopes: index load {:.3} s, threading {:.3} s, render {:.4} s)",
        t_frame.as_secs_f64(),
        t_load.as_secs_f64(),
        (t_thread - t_load).as_secs_f64(),
        (t_frame - t_thread).as_secs_f64()
    );
    key(&mut s, KeyCode::End);
    render(&mut term, &s);
    let mut times = Vec::new();
    for i in 0..200 {
        let t = Instant::now();
        key(
            &mut s,
            if i % 2 == 0 {
                KeyCode::Up
            } else {
                KeyCode::Down
            },
        );
        render(&mut term, &s);
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "keypress re-render at the end of the list: median {:.3} ms, max {:.3} ms (200 keys)",
        times[100].as_secs_f64() * 1e3,
        times[199].as_secs_f64() * 1e3
    );
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
        })
        .and_then(|k| k.parse::<u64>().ok())
        .unwrap_or(0);
    println!("peak RSS: {:.1} MB", hwm as f64 / 1024.0);
    let _ = std::io::stdout().flush();
}

fn main() {
    // As the binary does (src/main.rs).
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gen", dir, n] => generate(Path::new(dir), n.parse().expect("N")),
        ["cold", dir, index] => {
            cold(Path::new(dir), Path::new(index));
        }
        ["warm", index] => warm(Path::new(index)),
        [] => {
            let tmp = tempfile::tempdir().expect("tempdir");
            let dir: PathBuf = tmp.path().join("m");
            generate(&dir, 2000);
            let ix = tmp.path().join("index.sqlite");
            cold(&dir, &ix);
            warm(&ix);
        }
        other => {
            eprintln!("usage: folder gen DIR N | cold DIR INDEX | warm INDEX (got {other:?})");
            std::process::exit(2);
        }
    }
}
