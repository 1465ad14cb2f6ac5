//! NNTP benchmark helper (scripts/bench/nntp.sh runs it through `cargo bench --bench
//! nntp -- CMD`):
//!
//! - `overview HOST PORT TLS CA GROUP DIR`: syncs GROUP's overview into a fresh or
//!   existing cache in DIR (the index plus the .newsrc), then loads the group's
//!   envelopes from the index and threads them, as the group view does before it draws.
//!   Prints `first S` (the newest range is in the index: the list can draw), `sync S`,
//!   `view S` and `articles N` (seconds). Run on an empty DIR for the
//!   cold figure, again on the same DIR for the warm one.
//! - `articles HOST PORT GROUP N DIR`: on a synced DIR, fetches the N newest articles one
//!   after another (a request and its reply each, as a reader opening them does), then
//!   N others pipelined in one go. DIR must be a copy nothing was read from yet. Prints `one-by-one S` and `pipelined S`.
//! - no command (as `cargo test --benches` runs it): parses a synthetic 100,000-line
//!   overview in memory and prints the codec's throughput.

use posthorn::account::Account;
use posthorn::account::nntp::{NntpAccount, NntpServer};
use posthorn::core::{AccountId, FolderPath, MessageRef};
use posthorn::net::{TlsMode, TlsSettings};
use posthorn::protocol::nntp::NntpOverviewFmt;
use std::path::Path;
use std::time::{Duration, Instant};

/// The binary's allocator, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // As the binary does (src/main.rs).
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["overview", host, port, tls, ca, group, dir] => {
            overview(&server(host, port, tls, ca), group, Path::new(dir))
        }
        ["articles", host, port, group, n, dir] => articles(
            &server(host, port, "none", ""),
            group,
            n.parse().expect("N"),
            Path::new(dir),
        ),
        [] => codec(),
        other => {
            eprintln!(
                "usage: nntp overview HOST PORT TLS CA GROUP DIR | articles HOST PORT GROUP N DIR; got {other:?}"
            );
            std::process::exit(2);
        }
    }
}

fn server(host: &str, port: &str, tls: &str, ca: &str) -> NntpServer {
    NntpServer {
        host: host.into(),
        port: port.parse().expect("port"),
        tls: match tls {
            "implicit" => TlsMode::Implicit,
            "starttls" => TlsMode::Starttls,
            _ => TlsMode::None,
        },
        tls_settings: TlsSettings {
            ca_file: (!ca.is_empty()).then(|| ca.into()),
        },
        user: None,
        timeout: Duration::from_secs(120),
    }
}

fn open(s: &NntpServer, group: &str, dir: &Path) -> NntpAccount {
    let newsrc = dir.join("newsrc");
    if !newsrc.exists() {
        std::fs::create_dir_all(dir).expect("dir");
        std::fs::write(&newsrc, format!("{group}:\n")).expect("newsrc");
    }
    NntpAccount::open(
        AccountId("bench".into()),
        s.clone(),
        None,
        &dir.join("cache"),
        &newsrc,
        &dir.join("index.sqlite"),
    )
    .expect("open the account")
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn overview(s: &NntpServer, group: &str, dir: &Path) {
    let rt = rt();
    let t = Instant::now();
    let mut acc = open(s, group, dir);
    let folder = FolderPath(group.into());
    let mut first = None;
    let report = rt
        .block_on(acc.sync_folder(&folder, &mut |_| {
            // The first range (the newest articles) is in the index: the list can draw.
            first.get_or_insert(t.elapsed().as_secs_f64());
        }))
        .expect("sync");
    let sync = t.elapsed().as_secs_f64();
    let first = first.unwrap_or(sync);
    let t = Instant::now();
    let (n, rows) = view(dir, &folder);
    let view = t.elapsed().as_secs_f64();
    println!("first {first:.3}");
    println!("sync {sync:.3}");
    println!("view {view:.3}");
    println!("articles {n} (new {}, thread rows {rows})", report.added);
}

/// What the group view does before drawing: the envelopes from the index, threaded.
fn view(dir: &Path, folder: &FolderPath) -> (usize, usize) {
    let envs = posthorn::store::index::envelopes_parallel(
        &dir.join("index.sqlite"),
        &AccountId("bench".into()),
        folder,
        2,
    )
    .expect("envelopes");
    let all: Vec<usize> = (0..envs.len()).collect();
    let rows = posthorn::core::thread::thread(
        &envs,
        &all,
        posthorn::core::sort::SortKey::ThreadActivity,
        true,
    );
    (envs.len(), rows.len())
}

fn articles(s: &NntpServer, group: &str, n: usize, dir: &Path) {
    let rt = rt();
    let mut acc = open(s, group, dir);
    let folder = FolderPath(group.into());
    let reader = posthorn::store::IndexReader::open(&dir.join("index.sqlite")).expect("index");
    let mut envs = reader
        .view()
        .envelopes(&AccountId("bench".into()), &folder)
        .expect("envelopes");
    envs.sort_by_key(|e| std::cmp::Reverse(e.date));
    assert!(envs.len() >= 2 * n, "not enough articles: sync first");
    rt.block_on(acc.connect()).expect("connect");
    let t = Instant::now();
    for e in &envs[..n] {
        let b = rt
            .block_on(acc.fetch(&folder, &MessageRef::local(e.id.clone())))
            .expect("fetch");
        assert!(!b.0.is_empty());
    }
    let one = t.elapsed().as_secs_f64();
    let ids: Vec<_> = envs[n..2 * n].iter().map(|e| e.id.clone()).collect();
    let t = Instant::now();
    let got = rt
        .block_on(acc.fetch_many(&folder, &ids))
        .expect("fetch_many");
    assert!(got.iter().all(Option::is_some));
    let piped = t.elapsed().as_secs_f64();
    println!("one-by-one {one:.3}");
    println!("pipelined {piped:.3}");
}

fn codec() {
    let fmt = NntpOverviewFmt::default();
    let lines: Vec<Vec<u8>> = (1..=100_000u64)
        .map(|i| {
            format!(
                "{i}\tRe: a subject about threading {i}\tAnn Archer <ann@example.test>\tMon, 23 Nov 2026 10:00:00 +0000\t<{i}.s1@seed.example.test>\t<{}.s1@seed.example.test>\t1234\t20",
                i.saturating_sub(1)
            )
            .into_bytes()
        })
        .collect();
    let t = Instant::now();
    let mut n = 0u64;
    for l in &lines {
        n += fmt.parse(l).expect("a valid line").bytes;
    }
    let parse = t.elapsed();
    let t = Instant::now();
    for l in &lines[..20_000] {
        let o = fmt.parse(l).expect("a valid line");
        std::hint::black_box(posthorn::account::nntp::overview_fields(&o));
    }
    let fields = t.elapsed() * 5;
    println!(
        "overview: 100000 lines parsed in {:.3} s, decoded to index fields in ~{:.3} s ({n})",
        parse.as_secs_f64(),
        fields.as_secs_f64()
    );
}
