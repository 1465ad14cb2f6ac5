//! The full-text index: results equal a brute-force scan of the messages' text on a
//! generated corpus, for random queries; folding of accented letters agrees between
//! the index and the in-memory matcher; the index follows every change to the
//! envelopes (add, flag change, move, delete, changes made by other programs); an index
//! of schema 1 upgrades and queues every envelope.

mod search_corpus;

use posthorn::core::query::Query;
use posthorn::core::{AccountId, Flags, FolderPath};
use posthorn::store::index::{Scope, SearchContext};
use posthorn::store::{Index, IndexReader, Maildir, scan_folder};
use search_corpus::{Rng, VOCAB};
use std::collections::{BTreeSet, HashSet};

const NOW: i64 = 1_735_689_600; // 2025-01-01

fn keys(envs: &[posthorn::core::Envelope]) -> BTreeSet<(String, String)> {
    envs.iter()
        .map(|e| (e.account.0.clone(), e.id.0.clone()))
        .collect()
}

fn search(index: &std::path::Path, q: &str) -> Vec<posthorn::core::Envelope> {
    let r = IndexReader::open(index).unwrap();
    let tagged = HashSet::new();
    let ctx = SearchContext {
        now: NOW,
        tagged: &tagged,
    };
    let q = Query::parse(q).unwrap();
    r.view()
        .search(q.expr.as_ref(), &Scope::default(), &ctx, None)
        .unwrap()
        .envelopes
}

fn count(index: &std::path::Path, q: &str) -> usize {
    let r = IndexReader::open(index).unwrap();
    let tagged = HashSet::new();
    let ctx = SearchContext {
        now: NOW,
        tagged: &tagged,
    };
    let q = Query::parse(q).unwrap();
    r.view()
        .count(q.expr.as_ref(), &Scope::default(), &ctx)
        .unwrap()
}

/// A random query of the language, biased towards words that occur.
fn random_query(rng: &mut Rng, docs: &[search_corpus::Doc], depth: u32) -> String {
    let pick = rng.below(if depth == 0 { 10 } else { 14 });
    match pick {
        10 => format!(
            "({} OR {})",
            random_query(rng, docs, depth - 1),
            random_query(rng, docs, depth - 1)
        ),
        11 => format!(
            "{} {}",
            random_query(rng, docs, depth - 1),
            random_query(rng, docs, depth - 1)
        ),
        12 => format!("NOT {}", random_query(rng, docs, depth - 1)),
        13 => format!(
            "-({} AND {})",
            random_query(rng, docs, depth - 1),
            random_query(rng, docs, depth - 1)
        ),
        _ => random_term(rng, docs),
    }
}

fn random_term(rng: &mut Rng, docs: &[search_corpus::Doc]) -> String {
    let word = rng.pick(VOCAB).to_string();
    let prefix: String = word.chars().take(3 + rng.below(3) as usize).collect();
    match rng.below(16) {
        0 | 1 => word,
        2 => format!("{prefix}*"),
        3 => prefix,
        4 => {
            // Two words that follow each other somewhere.
            let d = &docs[rng.below(docs.len() as u64) as usize];
            let w: Vec<&str> = d.text.body.split_whitespace().collect();
            if w.len() < 2 {
                return word;
            }
            let i = rng.below(w.len() as u64 - 1) as usize;
            format!("\"{} {}\"", w[i], w[i + 1]).replace(['.', ','], "")
        }
        5 => format!("body:{word}"),
        6 => format!("subject:{prefix}"),
        7 => format!(
            "from:{}",
            rng.pick(&[
                "zoe", "Müller", "garcia", "grace", "ærin", "łukasz", "user3"
            ])
        ),
        8 => format!("cc:{}", rng.pick(&["ann", "hopper", "zoë", "example"])),
        9 => format!("attachment:{word}"),
        10 => rng
            .pick(&["is:unread", "is:flagged", "is:replied", "is:read"])
            .into(),
        11 => "has:attachment".into(),
        12 => rng
            .pick(&[
                "date:2024-01..2024-02",
                "date:2024-03",
                "date:..2024-02-15",
                "date:60d..",
            ])
            .into(),
        13 => rng
            .pick(&["folder:Archive", "folder:inbox", "account:work"])
            .into(),
        14 => format!("to:{}", rng.pick(&["robin", "example", "nobody"])),
        _ => format!("\"{word}\""),
    }
}

#[test]
fn results_equal_a_brute_force_scan() {
    let c = search_corpus::build(400, 0x5eed);
    let docs = search_corpus::docs(&c);
    assert_eq!(docs.len(), 400);
    let mut rng = Rng(0xfeed_beef);
    let mut nonempty = 0;
    for _ in 0..400 {
        let q = random_query(&mut rng, &docs, 2);
        let parsed = Query::parse(&q).unwrap_or_else(|e| panic!("{q}: {e}"));
        let expr = parsed.expr.as_ref().unwrap();
        let want: BTreeSet<(String, String)> = docs
            .iter()
            .filter(|d| search_corpus::brute(expr, d, NOW))
            .map(|d| (d.env.account.0.clone(), d.env.id.0.clone()))
            .collect();
        let got = search(&c.index, &q);
        let got_keys = keys(&got);
        assert_eq!(
            got_keys,
            want,
            "query {q:?}: index found {} messages, a scan of the text {}",
            got_keys.len(),
            want.len()
        );
        assert_eq!(got.len(), got_keys.len(), "{q}: a message twice");
        assert_eq!(count(&c.index, &q), want.len(), "count of {q:?}");
        nonempty += usize::from(!want.is_empty() && want.len() < docs.len());
    }
    assert!(nonempty > 150, "the queries must discriminate ({nonempty})");
}

#[test]
fn the_first_screen_is_the_newest_matches() {
    let c = search_corpus::build(300, 7);
    let r = IndexReader::open(&c.index).unwrap();
    let tagged = HashSet::new();
    let ctx = SearchContext {
        now: NOW,
        tagged: &tagged,
    };
    for q in [
        "kernel",
        "budget OR walnut",
        "is:unread",
        "date:2024-02 orbit",
        "-zephyr",
    ] {
        let q = Query::parse(q).unwrap();
        let all = r
            .view()
            .search(q.expr.as_ref(), &Scope::default(), &ctx, None)
            .unwrap()
            .envelopes;
        let first = r
            .view()
            .search(q.expr.as_ref(), &Scope::default(), &ctx, Some(20))
            .unwrap()
            .envelopes;
        let mut dates: Vec<i64> = all.iter().map(|e| e.date).collect();
        dates.sort_unstable_by(|a, b| b.cmp(a));
        dates.truncate(20);
        let got: Vec<i64> = first.iter().map(|e| e.date).collect();
        assert_eq!(got, dates, "{}", q.source);
    }
}

#[test]
fn scopes_narrow_to_accounts_and_folders() {
    let c = search_corpus::build(200, 11);
    let r = IndexReader::open(&c.index).unwrap();
    let tagged = HashSet::new();
    let ctx = SearchContext {
        now: NOW,
        tagged: &tagged,
    };
    let q = Query::parse("kernel OR budget").unwrap();
    let all = r
        .view()
        .search(q.expr.as_ref(), &Scope::default(), &ctx, None)
        .unwrap()
        .envelopes;
    let work = AccountId("work".into());
    let scoped = |scope: Scope| {
        r.view()
            .search(q.expr.as_ref(), &scope, &ctx, None)
            .unwrap()
            .envelopes
    };
    let only_work = scoped(Scope {
        accounts: Some(vec![work.clone()]),
        folders: None,
    });
    assert!(!only_work.is_empty() && only_work.len() < all.len());
    assert!(only_work.iter().all(|e| e.account == work));
    let archive = (AccountId("personal".into()), FolderPath("Archive".into()));
    let only_archive = scoped(Scope {
        accounts: None,
        folders: Some(vec![archive.clone()]),
    });
    assert!(!only_archive.is_empty());
    assert!(
        only_archive
            .iter()
            .all(|e| (e.account.clone(), e.folder.clone()) == archive)
    );
    let n = r
        .view()
        .count(
            q.expr.as_ref(),
            &Scope {
                accounts: None,
                folders: Some(vec![archive]),
            },
            &ctx,
        )
        .unwrap();
    assert_eq!(n, only_archive.len());
}

#[test]
fn accented_letters_fold_as_the_index_folds_them() {
    // One message per letter of Latin-1 and Latin Extended-A: "qXz" in its subject.
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("m")).unwrap();
    let letters: Vec<char> = ('\u{c0}'..='\u{17f}')
        .filter(|c| c.is_alphabetic())
        .collect();
    for (i, c) in letters.iter().enumerate() {
        let raw = format!(
            "Subject: =?utf-8?b?{}?=\nMessage-ID: <{i}@t>\n\nx\n",
            b64(format!("q{c}z").as_bytes())
        );
        md.deliver(raw.as_bytes(), Flags::empty()).unwrap();
    }
    let index = dir.path().join("index.sqlite");
    let a = AccountId("a".into());
    {
        let (mut ix, _) = Index::open(&index).unwrap();
        scan_folder(
            &mut ix,
            &a,
            &FolderPath::inbox(),
            &md,
            posthorn::mime::header_fields,
            &mut |_| {},
        )
        .unwrap();
    }
    let tree = posthorn::store::MaildirTree::open(dir.path().join("m")).unwrap();
    let caches = [posthorn::account::CacheView::new(a, Some(tree), &index)];
    search_corpus::index_text(&index, &caches);
    // The words the index holds (its own folding) must be exactly the folded words
    // of `core::query::fold`.
    let held: BTreeSet<String> = {
        let c = rusqlite::Connection::open(&index).unwrap();
        c.execute_batch("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, fts, 'row');")
            .unwrap();
        let mut st = c
            .prepare("SELECT term FROM temp.v WHERE term LIKE 'q%z'")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let mut wrong = Vec::new();
    for c in &letters {
        let folded = posthorn::core::query::fold::words(&format!("q{c}z")).join("");
        if !held.contains(&folded) {
            let near: Vec<&String> = held.iter().filter(|t| t.chars().count() == 3).collect();
            wrong.push(format!(
                "{c} (U+{:04X}) folds to {folded}, which the index does not hold ({} words)",
                *c as u32,
                near.len()
            ));
        }
    }
    for c in &letters {
        // Searching by the letter itself finds its message, in the index and in memory.
        let word = format!("q{c}z");
        let found = search(&index, &format!("subject:\"{word}\""));
        let Some(e) = found.iter().find(|e| e.subject == word) else {
            wrong.push(format!("{c}: not found by itself"));
            continue;
        };
        let q = Query::parse(&format!("subject:\"{word}\"")).unwrap();
        if !q.matches_envelope(e, &posthorn::core::query::NoContext) {
            wrong.push(format!("{c}: the in-memory match disagrees"));
        }
    }
    assert!(wrong.is_empty(), "folding differs:\n{}", wrong.join("\n"));
    // Case and accents fold both ways in queries too.
    assert_eq!(
        search(&index, "subject:QÉZ").len(),
        search(&index, "subject:qez").len()
    );
}

fn b64(bytes: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            out.push(if k <= c.len() {
                T[(n >> (18 - 6 * k) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}
