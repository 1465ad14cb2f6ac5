//! Local-format benchmark (run by `scripts/bench.sh formats` through
//! `cargo bench --bench formats -- CMD`):
//!
//! - `gen FILE MB`: writes an mbox (mboxrd) of about MB megabytes of realistic mail:
//!   mostly short text messages, some longer ones, a few with base64 attachments, half
//!   of them read, some with `From ` lines in their bodies;
//! - `index FILE INDEX`: indexes the mbox from nothing into INDEX as an mbox account's
//!   sync does (the stepwise scan), printing the time, the message count and the peak
//!   RSS; then the time until the first 50 envelopes of the list can be drawn.
//!
//! - `flag FILE`: sets a flag on the first message of FILE (a copy: it is rewritten),
//!   timing the table of contents and the rewrite through a new file.
//!
//! Without a command (as `cargo test --benches` runs it) it does a 4 MB smoke run.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use posthorn::core::{AccountId, FolderPath};
use posthorn::store::Index;
use posthorn::store::formats::{FileTree, Format, FormatScan, MboxVariant};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

const NAMES: &[&str] = &[
    "Anna Schmidt",
    "Ben Nguyen",
    "Chloé García",
    "Dmitri Okafor",
    "Eva Larsen",
    "Farid Kowalski",
    "Grace Tanaka",
    "Hiro Rossi",
    "Ines Dubois",
    "Jonas Singh",
];
const WORDS: &[&str] = &[
    "release",
    "build",
    "meeting",
    "invoice",
    "review",
    "budget",
    "server",
    "migration",
    "report",
    "design",
    "update",
    "contract",
    "deadline",
    "patch",
    "roadmap",
    "backup",
];
const LOREM: &str = "Thanks for the notes from yesterday. I went through the numbers again and I think we can keep the plan as it is, provided the vendor confirms the delivery date. Could you check with them before Thursday?\n";

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

fn generate(path: &Path, mb: u64) -> std::io::Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let target = mb << 20;
    let (mut written, mut n) = (0u64, 0u64);
    let b64: String = (0..76)
        .map(|i| (b'A' + (i % 26) as u8) as char)
        .collect::<String>()
        + "\n";
    while written < target {
        n += 1;
        let from = rng.pick(NAMES);
        let addr: String = from
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '.' })
            .collect();
        let day = 1 + rng.below(28);
        let mut m = format!(
            "From {addr}@example.org Mon Mar {day:2} 10:{:02}:00 2025\n\
             Return-Path: <{addr}@example.org>\n\
             Received: from mail.example.org (mail.example.org [192.0.2.1])\n\tby mx.example.net with ESMTPS id {n:x}\n\tfor <robin@example.net>; Mon, {day} Mar 2025 10:00:00 +0000\n\
             From: {from} <{addr}@example.org>\nTo: Robin <robin@example.net>\n\
             Subject: {} {} #{n}\nDate: Mon, {day} Mar 2025 10:{:02}:00 +0100\n\
             Message-ID: <{n}.{}@example.org>\n",
            rng.below(60),
            rng.pick(WORDS),
            rng.pick(WORDS),
            rng.below(60),
            rng.next() % 100_000
        );
        if n > 1 && rng.below(3) == 0 {
            m.push_str(&format!("In-Reply-To: <{}.0@example.org>\n", rng.below(n)));
        }
        if rng.below(2) == 0 {
            m.push_str("Status: RO\n");
        }
        let kind = rng.below(100);
        if kind < 3 {
            m.push_str("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n");
            m.push_str(LOREM);
            m.push_str("--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n");
            for _ in 0..(500 + rng.below(5_500)) {
                m.push_str(&b64);
            }
            m.push_str("--b--\n");
        } else {
            m.push_str("Content-Type: text/plain; charset=utf-8\n\n");
            let lines = if kind < 28 {
                20 + rng.below(180)
            } else {
                3 + rng.below(27)
            };
            for i in 0..lines {
                if i == 3 && rng.below(10) == 0 {
                    // A quoted `From ` line, as mboxrd writes one.
                    m.push_str(">From the desk of the editor\n");
                }
                m.push_str(LOREM);
            }
        }
        m.push('\n');
        out.write_all(m.as_bytes())?;
        written += m.len() as u64;
    }
    out.flush()?;
    Ok(n)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn index(file: &Path, index_path: &Path) -> Result<(), String> {
    let _ = std::fs::remove_file(index_path);
    let t0 = Instant::now();
    let tree =
        FileTree::open(file, Format::Mbox(MboxVariant::Mboxrd), None).map_err(|e| e.to_string())?;
    let account = AccountId("bench".into());
    let folder = FolderPath::inbox();
    let ff = tree.folder(&folder).map_err(|e| e.to_string())?;
    let (mut ix, _) = Index::open(index_path).map_err(|e| e.to_string())?;
    let mut job = FormatScan::start(&ix, &account, &folder, &ff, posthorn::mime::header_fields)
        .map_err(|e| e.to_string())?;
    let mut first_step = None;
    while !job
        .step(&mut ix, &account, &folder, 2000)
        .map_err(|e| e.to_string())?
    {
        first_step.get_or_insert(t0.elapsed());
    }
    let took = t0.elapsed();
    let n = job.report().added;
    let t1 = Instant::now();
    let reader = posthorn::store::IndexReader::open(index_path).map_err(|e| e.to_string())?;
    let mut envs = reader
        .view()
        .envelopes(&account, &folder)
        .map_err(|e| e.to_string())?;
    envs.sort_by_key(|e| std::cmp::Reverse(e.date));
    let list = t1.elapsed();
    println!(
        "index: {n} messages in {:.2} s ({:.0} MB/s), first step committed after {} ms; warm list of {} envelopes in {} ms; peak RSS {:.1} MB",
        took.as_secs_f64(),
        std::fs::metadata(file).map(|m| m.len()).unwrap_or(0) as f64
            / (1 << 20) as f64
            / took.as_secs_f64(),
        first_step.unwrap_or(took).as_millis(),
        envs.len(),
        list.as_millis(),
        peak_rss_mb()
    );
    Ok(())
}

fn flag(file: &Path) -> Result<(), String> {
    use posthorn::core::{FlagOp, Flags};
    use posthorn::store::formats::frame::Framing;
    use posthorn::store::formats::single::Changes;
    let sf = posthorn::store::formats::SingleFile::new(file, Framing::Mbox, None);
    let t0 = Instant::now();
    let toc = sf.toc().map_err(|e| e.to_string())?;
    let scanned = t0.elapsed();
    let first = toc.messages.first().ok_or("no messages")?.id.clone();
    let mut changes = Changes::default();
    changes.flags.insert(first, FlagOp::Add(Flags::FLAGGED));
    let t1 = Instant::now();
    sf.rewrite(Some(toc), &changes).map_err(|e| e.to_string())?;
    println!(
        "flag change: table of contents {} ms, rewrite through a new file (copy, fsync, rename) {} ms; peak RSS {:.1} MB",
        scanned.as_millis(),
        t1.elapsed().as_millis(),
        peak_rss_mb()
    );
    Ok(())
}

fn main() {
    // As the binary does (src/main.rs).
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let r = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gen", file, mb] => generate(Path::new(file), mb.parse().unwrap_or(1024))
            .map(|n| println!("{n} messages"))
            .map_err(|e| e.to_string()),
        ["index", file, ix] => index(Path::new(file), Path::new(ix)),
        ["flag", file] => flag(Path::new(file)),
        _ => {
            // Smoke run.
            let dir = std::env::temp_dir().join(format!("posthorn-formats-{}", std::process::id()));
            let _ = std::fs::create_dir_all(&dir);
            let f = dir.join("smoke.mbox");
            let r = generate(&f, 4)
                .map_err(|e| e.to_string())
                .and_then(|_| index(&f, &dir.join("ix.sqlite")));
            let _ = std::fs::remove_dir_all(&dir);
            r
        }
    };
    if let Err(e) = r {
        eprintln!("formats bench: {e}");
        std::process::exit(1);
    }
}
