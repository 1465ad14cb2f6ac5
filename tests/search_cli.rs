//! Search headless and in the runtime: `posthorn search` with --output count|files,
//! --json, --account and --folder; query errors with their column; the runtime's
//! search sends the first screen then every match; saved-search counts change when new
//! mail arrives and is indexed.

mod search_corpus;

use posthorn::app::AppEvent;
use posthorn::core::query::Query;
use posthorn::core::{Flags, RequestId};
use std::path::Path;
use std::process::{Command, Output};

fn config(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("config.toml");
    std::fs::write(
        &p,
        format!(
            "[general]\nindex = \"{}\"\n[accounts.personal.maildir]\npath = \"{}\"\n[accounts.work.maildir]\npath = \"{}\"\n",
            dir.join("index.sqlite").display(),
            dir.join("personal").display(),
            dir.join("work").display()
        ),
    )
    .unwrap();
    p
}

fn posthorn(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_posthorn"))
        .arg("--config")
        .arg(config(dir))
        .args(args)
        .env("HOME", dir)
        .output()
        .unwrap()
}

fn out(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn search_counts_lists_and_prints_files_like_a_scan() {
    let (dir, _) = search_corpus::write(120, 21);
    let d = dir.path();
    // Nothing indexed yet: the command scans and indexes first.
    let n: usize = out(&posthorn(
        d,
        &["search", "--output", "count", "kernel OR walnut"],
    ))
    .trim()
    .parse()
    .unwrap();
    let lines = out(&posthorn(d, &["search", "kernel OR walnut"]));
    assert_eq!(lines.lines().count(), n);
    assert!(n > 5 && n < 120, "{n}");
    let files = out(&posthorn(
        d,
        &["search", "--output", "files", "kernel OR walnut"],
    ));
    let paths: Vec<&str> = files.lines().collect();
    assert_eq!(paths.len(), n);
    for p in &paths {
        let text = std::fs::read_to_string(p).unwrap().to_lowercase();
        assert!(text.contains("kernel") || text.contains("walnut"), "{p}");
    }
    // JSON: newest first, with account and folder.
    let json = out(&posthorn(d, &["search", "--json", "kernel OR walnut"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), n);
    let dates: Vec<&str> = arr.iter().filter_map(|e| e["date"].as_str()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]));
    // --account and --folder narrow it.
    let work: usize = out(&posthorn(
        d,
        &[
            "search",
            "--output",
            "count",
            "--account",
            "work",
            "kernel OR walnut",
        ],
    ))
    .trim()
    .parse()
    .unwrap();
    let archive: usize = out(&posthorn(
        d,
        &[
            "search",
            "--output",
            "count",
            "--folder",
            "Archive",
            "kernel OR walnut",
        ],
    ))
    .trim()
    .parse()
    .unwrap();
    assert!(
        work > 0 && archive > 0 && work + archive < n,
        "{work} {archive} {n}"
    );
    let archived = out(&posthorn(
        d,
        &["search", "--json", "--folder", "Archive", "kernel"],
    ));
    let v: serde_json::Value = serde_json::from_str(&archived).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|e| e["folder"] == "Archive")
    );
}

#[test]
fn query_errors_name_the_column_and_fail() {
    let (dir, _) = search_corpus::write(3, 1);
    let o = posthorn(dir.path(), &["search", "from:ann", "(kernel"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("query: column 10: this ( is never closed"),
        "{err}"
    );
    let o = posthorn(dir.path(), &["search", "--folder", "Nowhere", "kernel"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("Nowhere"));
}

#[test]
fn cached_answers_from_the_index_as_it_is() {
    let (dir, folders) = search_corpus::write(40, 5);
    let d = dir.path();
    let before = out(&posthorn(d, &["search", "--output", "count", "zephyr"]));
    // A new message with the word: --cached does not see it until a normal run.
    let (_, _, md) = &folders[0];
    md.deliver(
        b"From: Zed <z@example.org>\nSubject: breeze\nMessage-ID: <new@t>\n\nzephyr\n",
        Flags::empty(),
    )
    .unwrap();
    let cached = out(&posthorn(
        d,
        &["search", "--cached", "--output", "count", "zephyr"],
    ));
    assert_eq!(cached, before);
    let after = out(&posthorn(d, &["search", "--output", "count", "zephyr"]));
    assert_eq!(
        after.trim().parse::<usize>().unwrap(),
        before.trim().parse::<usize>().unwrap() + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtime_sends_the_first_screen_then_every_match() {
    let c = search_corpus::build(500, 77);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let q = Query::parse("is:read OR kernel").unwrap();
    posthorn::run::search::search(tx, c.index.clone(), RequestId(9), q, Vec::new());
    let mut got = Vec::new();
    while let Some(ev) = rx.recv().await {
        if let AppEvent::SearchResults {
            req,
            result,
            done,
            complete,
        } = ev
        {
            assert_eq!(req, RequestId(9));
            assert!(complete);
            got.push((result.unwrap().len(), done));
            if done {
                break;
            }
        }
    }
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0], (posthorn::run::search::FIRST_SCREEN, false));
    assert!(got[1].0 > got[0].0 && got[1].1);
}

#[test]
fn saved_search_counts_follow_new_mail() {
    let (dir, folders) = search_corpus::write(60, 8);
    let index = dir.path().join("index.sqlite");
    search_corpus::scan(&index, &folders);
    let caches = search_corpus::caches(dir.path(), &index);
    search_corpus::index_text(&index, &caches);
    let saved = [
        Query::parse("body:zephyr").unwrap(),
        Query::parse("from:quentin").unwrap(),
    ];
    let before = posthorn::run::search::count_saved(&index, &saved);
    assert_eq!(before[1], (0, 0));
    let (_, _, md) = &folders[0];
    md.deliver(
        b"From: Quentin <q@example.org>\nSubject: hello\nMessage-ID: <q@t>\n\nzephyr again\n",
        Flags::empty(),
    )
    .unwrap();
    search_corpus::scan(&index, &folders);
    // Queued but not indexed yet: the header search already counts it.
    let queued = posthorn::run::search::count_saved(&index, &saved);
    assert_eq!(queued[1], (1, 1));
    search_corpus::index_text(&index, &caches);
    let after = posthorn::run::search::count_saved(&index, &saved);
    assert_eq!(after[0].0, before[0].0 + 1);
    assert_eq!(after[0].1, before[0].1 + 1, "the new message is unread");
    assert_eq!(after[1], (1, 1));
}
