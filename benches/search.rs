//! Search benchmark (run by `scripts/bench.sh search` through `cargo bench --bench
//! search -- CMD`):
//!
//! - `gen DIR N`: writes N messages with a realistic spread of words into a Maildir:
//!   a Zipf-distributed vocabulary of 30,000 words plus English function words, quoted
//!   replies in threads, accented names and words, HTML alternatives, HTML-only mail and
//!   base64 attachments; the benchmark's words at known rates (`zyzzyva` in 20
//!   messages, `latency` in a quarter, the phrase "deployment window", `kernel`
//!   subjects, `budget`).
//! - `build DIR INDEX`: the envelope index and then the full-text index from nothing;
//!   prints both times, the file size and the size of the mail.
//! - `queries INDEX`: for each query kind, the median of 20 runs of the first screen
//!   (from the Enter at the search prompt to the drawn list of the newest matches,
//!   threaded), of the first-screen query alone, and of the full count; tab-separated.
//! - `list`: the query kinds, tab-separated (name, posthorn query, notmuch query).
//! - `query INDEX Q`: one query's first screen and count (for a quick look).
//!
//! Without a command (as `cargo test --benches` runs it) it does a 2,000-message smoke
//! run.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use posthorn::account::CacheView;
use posthorn::core::query::Query;
use posthorn::core::{AccountId, FolderPath};
use posthorn::run::indexer::{HEADLESS_STORE, TextIndexer};
use posthorn::store::index::{Scope, SearchContext};
use posthorn::store::{Index, IndexReader, Maildir, MaildirTree, scan_folder};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// (name, posthorn query, notmuch query): what `scripts/bench.sh search` compares.
pub const QUERIES: &[(&str, &str, &str)] = &[
    ("rare word", "zyzzyva", "zyzzyva"),
    ("common word", "latency", "latency"),
    ("phrase", "\"deployment window\"", "\"deployment window\""),
    (
        "from:+subject:",
        "from:grace subject:kernel",
        "from:grace subject:kernel",
    ),
    (
        "date range + word",
        "date:2025-03..2025-04 budget",
        "date:2025-03-01..2025-04-30 budget",
    ),
];

const FIRST: &[&str] = &[
    "Anna", "Ben", "Chloé", "Dmitri", "Eva", "Farid", "Grace", "Hiro", "Inès", "Jonas", "Kaito",
    "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor",
    "Wen", "Yusuf", "Zoë",
];
const LAST: &[&str] = &[
    "Schmidt", "Nguyen", "García", "Okafor", "Larsen", "Kowalski", "Tanaka", "Rossi", "Dubois",
    "Singh", "Müller", "Silva", "Cohen", "Novák", "Haddad",
];
const FUNCTION: &[&str] = &[
    "the", "to", "and", "of", "a", "in", "is", "that", "for", "it", "we", "on", "this", "be",
    "with", "you", "not", "are", "have", "as", "can", "at", "will", "if", "but", "so", "from",
    "or", "was", "by", "an", "do", "all", "they", "there", "would", "our", "which", "about",
    "when",
];
const SUBJECT: &[&str] = &[
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
    "kernel",
    "tickets",
    "outage",
    "patch",
    "roadmap",
    "hiring",
    "travel",
    "conference",
    "minutes",
    "proposal",
    "backup",
    "pipeline",
];
const ACCENTED: &[&str] = &[
    "café",
    "résumé",
    "naïve",
    "déjà",
    "über",
    "Straße",
    "façade",
    "Ærø",
    "señor",
    "Łódź",
    "crème",
    "brûlée",
    "Zürich",
    "São",
    "Paulo",
    "smörgåsbord",
];
const SYLLABLES: &[&str] = &[
    "ka", "ri", "mon", "ter", "lo", "vi", "sen", "da", "pre", "con", "tu", "mi", "ble", "qua",
    "ro", "ne", "sta", "gi", "pa", "lu", "dor", "fe", "ni", "zo", "ber", "cal", "po", "ti", "gra",
    "ve", "mar", "sol", "en", "is", "ul", "ox", "har", "pen", "dil", "wu", "jo", "kri", "ste",
    "bra", "mo", "tan", "el", "ur", "sa", "fi",
];

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
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(1000) < percent * 10
    }
}

/// A Zipf-distributed vocabulary: function words first, then made-up words.
struct Vocab {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Vocab {
    fn new(rng: &mut Rng) -> Vocab {
        let mut words: Vec<String> = FUNCTION.iter().map(|s| s.to_string()).collect();
        let mut seen: HashSet<String> = words.iter().cloned().collect();
        while words.len() < 30_000 + FUNCTION.len() {
            let n = 2 + rng.below(3);
            let w: String = (0..n).map(|_| rng.pick(SYLLABLES)).collect();
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let mut total = 0.0;
        let cumulative = (0..words.len())
            .map(|r| {
                total += 1.0 / ((r + 2) as f64).powf(1.05);
                total
            })
            .collect::<Vec<_>>();
        let cumulative = cumulative.iter().map(|c| c / total).collect();
        Vocab { words, cumulative }
    }

    fn word(&self, rng: &mut Rng) -> &str {
        let u = rng.unit();
        let i = self.cumulative.partition_point(|c| *c < u);
        &self.words[i.min(self.words.len() - 1)]
    }
}

/// A paragraph of `n` words, wrapped at 72 columns.
fn paragraph(v: &Vocab, rng: &mut Rng, n: usize, extra: &[&str]) -> String {
    let mut words: Vec<String> = (0..n).map(|_| v.word(rng).to_string()).collect();
    for (i, x) in extra.iter().enumerate() {
        let at = (rng.below(n as u64) as usize + i).min(words.len());
        words.insert(at, x.to_string());
    }
    if rng.chance(10) {
        let at = rng.below(words.len() as u64) as usize;
        words.insert(at, rng.pick(ACCENTED).to_string());
    }
    let mut out = String::new();
    let mut col = 0;
    let mut sentence_start = true;
    for (i, w) in words.iter().enumerate() {
        let mut w = w.clone();
        if sentence_start {
            let mut c = w.chars();
            w = c
                .next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default();
        }
        sentence_start = false;
        if rng.chance(8) || i + 1 == words.len() {
            w.push('.');
            sentence_start = true;
        } else if rng.chance(6) {
            w.push(',');
        }
        if col + w.len() + 1 > 72 {
            out.push('\n');
            col = 0;
        } else if col > 0 {
            out.push(' ');
            col += 1;
        }
        col += w.len();
        out.push_str(&w);
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, c) in bytes.chunks(3).enumerate() {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= c.len() {
                out.push(T[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
        if i % 19 == 18 {
            out.push('\n');
        }
    }
    out
}

fn html(text: &str) -> String {
    let paras: Vec<String> = text
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", p.replace('&', "&amp;").replace('<', "&lt;")))
        .collect();
    format!(
        "<html><head><style>p {{ margin: 0 }}</style></head><body>\n{}\n</body></html>\n",
        paras.join("\n")
    )
}

pub fn generate(dir: &Path, n: usize) {
    Maildir::create(dir).expect("create maildir");
    let mut rng = Rng(0x2545f4914f6cdd1d);
    let vocab = Vocab::new(&mut rng);
    // 2024-06-01, then a message about every 10 minutes (100,000 cover two years).
    let base: i64 = 1_717_200_000;
    let step = 630;
    let rare: HashSet<usize> = (0..20).map(|k| (k * n / 20 + 7) % n.max(1)).collect();
    let mut threads: Vec<(String, String, Vec<String>, String)> = Vec::new();
    for i in 0..n {
        let date = base + (i as i64) * step + rng.below(step as u64) as i64;
        let first = rng.pick(FIRST);
        let name = format!("{first} {}", rng.pick(LAST));
        let addr: String = name
            .to_lowercase()
            .chars()
            .map(|c| match c {
                ' ' => '.',
                'é' | 'è' | 'ë' => 'e',
                'ü' => 'u',
                'í' => 'i',
                'á' => 'a',
                c => c,
            })
            .collect();
        let id = format!("<{i}.{}@bench.example>", rng.below(1_000_000));
        let reply = !threads.is_empty() && rng.chance(55);
        let mut extra: Vec<&str> = Vec::new();
        if rng.chance(25) {
            extra.push("latency");
        }
        if rng.chance(8) {
            extra.push("budget");
        }
        if rng.chance(3) {
            extra.push("deployment window");
        } else if rng.chance(10) {
            extra.push(if rng.chance(50) {
                "deployment"
            } else {
                "window"
            });
        }
        if rare.contains(&i) {
            extra.push("zyzzyva");
        }
        let paras = 2 + rng.below(6) as usize;
        let mut body: Vec<String> = (0..paras)
            .map(|k| {
                let words = 30 + rng.below(60) as usize;
                let mine = if k == 0 { extra.as_slice() } else { &[] };
                paragraph(&vocab, &mut rng, words, mine)
            })
            .collect();
        let (subject, refs, quote) = if reply {
            let t = threads.len() - 1 - rng.below(threads.len().min(400) as u64) as usize;
            let (subj, parent, mut refs, parent_text) = threads[t].clone();
            refs.push(parent);
            if refs.len() > 12 {
                refs.remove(0);
            }
            let quote: String = parent_text
                .lines()
                .take(3 + rng.below(6) as usize)
                .map(|l| format!("> {l}\n"))
                .collect();
            threads[t].1 = id.clone();
            threads[t].2 = refs.clone();
            threads[t].3 = body[0].clone();
            (format!("Re: {subj}"), refs, Some(quote))
        } else {
            let subj = format!(
                "{} {} {}",
                rng.pick(SUBJECT),
                vocab.word(&mut rng),
                rng.pick(SUBJECT)
            );
            threads.push((subj.clone(), id.clone(), vec![], body[0].clone()));
            (subj, vec![], None)
        };
        if let Some(q) = quote {
            body.insert(0, format!("On an earlier day, someone wrote:\n{q}"));
        }
        body.push(format!("-- \n{name}\n{} team", rng.pick(SUBJECT)));
        let text = body.join("\n\n");
        let date_s = chrono::DateTime::from_timestamp(date, 0)
            .map(|d| d.to_rfc2822())
            .unwrap_or_default();
        let mut msg = format!(
            "Return-Path: <{addr}@example.org>\nReceived: from mx{}.example.org (mx.example.org [192.0.2.{}])\n\tby mail.example.net with ESMTPS id {i:x}\n\tfor <robin@example.net>; {date_s}\nFrom: {name} <{addr}@example.org>\nTo: Robin Post <robin@example.net>\n",
            i % 7,
            i % 250
        );
        if rng.chance(30) {
            msg.push_str(&format!(
                "Cc: {} {} <cc{}@example.com>\n",
                rng.pick(FIRST),
                rng.pick(LAST),
                i % 97
            ));
        }
        msg.push_str(&format!(
            "Subject: {subject}\nDate: {date_s}\nMessage-ID: {id}\nMIME-Version: 1.0\n"
        ));
        if !refs.is_empty() {
            msg.push_str(&format!(
                "In-Reply-To: {}\nReferences: {}\n",
                refs.last().map(String::as_str).unwrap_or(""),
                refs.join("\n ")
            ));
        }
        let kind = rng.below(100);
        if kind < 15 {
            let size = 1500 + rng.below(9000) as usize;
            let bytes: Vec<u8> = (0..size).map(|_| rng.next() as u8).collect();
            let file = format!("{}-{}.pdf", rng.pick(SUBJECT), vocab.word(&mut rng));
            msg.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{text}\n--b{i}\nContent-Type: application/pdf; name=\"{file}\"\nContent-Disposition: attachment; filename=\"{file}\"\nContent-Transfer-Encoding: base64\n\n{}\n--b{i}--\n",
                base64(&bytes)
            ));
        } else if kind < 25 {
            msg.push_str(&format!(
                "Content-Type: multipart/alternative; boundary=\"a{i}\"\n\n--a{i}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{text}\n--a{i}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{}\n--a{i}--\n",
                html(&text)
            ));
        } else if kind < 30 {
            msg.push_str(&format!(
                "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{}",
                html(&text)
            ));
        } else {
            msg.push_str(&format!(
                "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{text}\n"
            ));
        }
        let flags = if i + 300 < n { "S" } else { "" };
        let file = dir
            .join("cur")
            .join(format!("{date}.M{i}P2Q{i}.bench,S={}:2,{flags}", msg.len()));
        std::fs::write(&file, msg.as_bytes()).expect("write message");
        if i % 10_000 == 0 {
            eprint!("\rgenerated {i}/{n}");
        }
    }
    eprintln!("\rgenerated {n}/{n} messages in {}", dir.display());
}

fn account() -> AccountId {
    AccountId("bench".into())
}

fn du(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if meta.is_dir() {
        std::fs::read_dir(path)
            .map(|rd| rd.flatten().map(|e| du(&e.path())).sum())
            .unwrap_or(0)
    } else {
        use std::os::unix::fs::MetadataExt;
        meta.blocks() * 512
    }
}

fn index_size(index: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .map(|s| du(&PathBuf::from(format!("{}{s}", index.display()))))
        .sum()
}

fn build(dir: &Path, index_path: &Path) {
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", index_path.display()));
    }
    let t = Instant::now();
    let (mut index, _) = Index::open(index_path).expect("open index");
    let md = Maildir::open(dir);
    let r = scan_folder(
        &mut index,
        &account(),
        &FolderPath::inbox(),
        &md,
        posthorn::mime::header_fields,
        &mut |p| eprint!("\renvelopes {}/{}", p.done, p.total),
    )
    .expect("scan");
    let scan = t.elapsed();
    eprintln!();
    drop(index);
    let tree = MaildirTree::open(dir).expect("tree");
    let cache = CacheView::new(account(), Some(tree), index_path);
    let t = Instant::now();
    let mut ix = TextIndexer::open(index_path, &[cache]).expect("indexer");
    // As `posthorn search` builds it: nobody waits on the index, longer transactions.
    ix.store_target = HEADLESS_STORE;
    ix.run_to_end(&mut |p| eprint!("\rtext {}/{}", p.indexed, p.indexed + p.pending))
        .expect("index");
    let text = t.elapsed();
    let (extract, store) = ix.spent;
    let t = Instant::now();
    let mut merges = 0;
    while ix.tidy().expect("merge") {
        merges += 1;
    }
    let tidy = t.elapsed();
    eprintln!();
    drop(ix);
    let size = index_size(index_path);
    let mail = du(dir);
    println!(
        "index build: envelopes {:.1} s ({} messages), full text {:.1} s, merging {:.1} s ({merges} steps); total {:.1} s",
        scan.as_secs_f64(),
        r.added,
        text.as_secs_f64(),
        tidy.as_secs_f64(),
        (scan + text + tidy).as_secs_f64()
    );
    println!(
        "  full text: reading and extracting {:.1} s, writing the index {:.1} s",
        extract.as_secs_f64(),
        store.as_secs_f64()
    );
    println!(
        "index file: {:.1} MB for {:.1} MB of mail ({:.0}%)",
        size as f64 / 1e6,
        mail as f64 / 1e6,
        size as f64 * 100.0 / mail.max(1) as f64
    );
}

/// Rows a first screen asks the index for: enough to fill a tall terminal with
/// threads kept together.
const FIRST_SCREEN: usize = 200;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// From the Enter that submits a search at the `\\` prompt to the first drawn screen
/// of results: the app's update (parse, effect), the runtime's first-screen query, the
/// update that threads the results, and the render at 160x48.
fn time_screen(index: &IndexReader, q: &str, runs: usize) -> (Duration, usize) {
    use posthorn::app::{AppEvent, AppState, Effect, Key, KeyCode, Keymap, Settings, update};
    use posthorn::core::Folder;
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..runs {
        let mut s = AppState::new(Keymap::default(), Settings::default());
        (s.width, s.height) = (160, 48);
        s.now = 1_800_000_000;
        update(
            &mut s,
            AppEvent::Folders {
                account: account(),
                folders: vec![Folder::mail(account(), FolderPath::inbox())],
            },
        );
        update(&mut s, AppEvent::Key(Key::plain(KeyCode::Char('\\'))));
        for c in q.chars() {
            update(&mut s, AppEvent::Key(Key::plain(KeyCode::Char(c))));
        }
        let mut term =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).expect("terminal");
        let t = Instant::now();
        let fx = update(&mut s, AppEvent::Key(Key::plain(KeyCode::Enter)));
        let Some((req, query)) = fx.iter().find_map(|e| match e {
            Effect::Search { req, query, .. } => Some((*req, query.clone())),
            _ => None,
        }) else {
            panic!("no search for {q}");
        };
        let tagged = HashSet::new();
        let ctx = SearchContext {
            now: 1_800_000_000,
            tagged: &tagged,
        };
        let first = index
            .view()
            .search(
                query.expr.as_ref(),
                &Scope::default(),
                &ctx,
                Some(posthorn::run::search::FIRST_SCREEN),
            )
            .expect("search");
        let done = first.envelopes.len() < posthorn::run::search::FIRST_SCREEN;
        update(
            &mut s,
            AppEvent::SearchResults {
                req,
                result: Ok(first.envelopes),
                done,
                complete: first.complete,
            },
        );
        term.draw(|f| posthorn::ui::render(f, &s)).expect("draw");
        times.push(t.elapsed());
        rows = s.rows.len();
    }
    (median(times), rows)
}

/// Loading every match (what replaces the first screen in the list).
fn time_all(index: &IndexReader, q: &str, runs: usize) -> Duration {
    let tagged = HashSet::new();
    let ctx = SearchContext {
        now: 1_800_000_000,
        tagged: &tagged,
    };
    let query = Query::parse(q).expect("query");
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                index
                    .view()
                    .search(query.expr.as_ref(), &Scope::default(), &ctx, None)
                    .expect("search");
                t.elapsed()
            })
            .collect(),
    )
}

fn time_query(index: &IndexReader, q: &str, runs: usize) -> (Duration, Duration, usize, usize) {
    let tagged = HashSet::new();
    let ctx = SearchContext {
        now: 1_800_000_000,
        tagged: &tagged,
    };
    let (mut first, mut count) = (Vec::new(), Vec::new());
    let (mut shown, mut total) = (0, 0);
    for _ in 0..runs {
        let t = Instant::now();
        let query = Query::parse(q).expect("query");
        let found = index
            .view()
            .search(
                query.expr.as_ref(),
                &Scope::default(),
                &ctx,
                Some(FIRST_SCREEN),
            )
            .expect("search");
        shown = found.envelopes.len();
        first.push(t.elapsed());
        let t = Instant::now();
        total = index
            .view()
            .count(query.expr.as_ref(), &Scope::default(), &ctx)
            .expect("count");
        count.push(t.elapsed());
    }
    (median(first), median(count), shown, total)
}

/// One line per query kind: `NAME<TAB>drawn ms<TAB>query ms<TAB>count ms<TAB>count
/// <TAB>rows on the first screen<TAB>ms to load every match`.
fn queries(index_path: &Path, runs: usize) {
    let index = IndexReader::open(index_path).expect("open index");
    for (name, q, _) in QUERIES {
        let (first, count, _, total) = time_query(&index, q, runs);
        let (drawn, rows) = time_screen(&index, q, runs);
        let all = time_all(&index, q, runs.min(5));
        println!(
            "{name}\t{:.2}\t{:.2}\t{:.2}\t{total}\t{rows}\t{:.1}",
            drawn.as_secs_f64() * 1e3,
            first.as_secs_f64() * 1e3,
            count.as_secs_f64() * 1e3,
            all.as_secs_f64() * 1e3
        );
    }
    let _ = std::io::stdout().flush();
}

fn main() {
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
        ["build", dir, index] => build(Path::new(dir), Path::new(index)),
        ["queries", index] => queries(Path::new(index), 20),
        ["optimize", index] => {
            // How much a full merge of the index's segments would save.
            let before = index_size(Path::new(index));
            let t = Instant::now();
            let c = rusqlite::Connection::open(index).expect("open");
            c.execute_batch("INSERT INTO fts(fts) VALUES('optimize'); VACUUM;")
                .expect("optimize");
            drop(c);
            println!(
                "optimize: {:.1} MB -> {:.1} MB in {:.1} s",
                before as f64 / 1e6,
                index_size(Path::new(index)) as f64 / 1e6,
                t.elapsed().as_secs_f64()
            );
        }
        ["list"] => {
            for (name, q, nm) in QUERIES {
                println!("{name}\t{q}\t{nm}");
            }
        }
        ["query", index, q] => {
            let index = IndexReader::open(Path::new(index)).expect("open index");
            let (first, count, shown, total) = time_query(&index, q, 5);
            println!(
                "{q}: first screen {:.2} ms ({shown} rows), count {:.2} ms ({total})",
                first.as_secs_f64() * 1e3,
                count.as_secs_f64() * 1e3
            );
        }
        [] => {
            let tmp = tempfile::tempdir().expect("tempdir");
            let dir = tmp.path().join("m");
            generate(&dir, 2000);
            let ix = tmp.path().join("index.sqlite");
            build(&dir, &ix);
            queries(&ix, 3);
        }
        other => {
            eprintln!(
                "usage: search gen DIR N | build DIR INDEX | queries INDEX | query INDEX Q (got {other:?})"
            );
            std::process::exit(2);
        }
    }
}
