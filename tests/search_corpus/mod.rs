//! A small generated corpus for the search tests: two accounts, three folders, words
//! from a short vocabulary (so terms co-occur and phrases repeat), accented names and
//! words, Cc headers, attachments, HTML-only and alternative bodies, flags and distinct
//! dates; plus a brute-force evaluator of the query language over the messages' text.
#![allow(dead_code)]

use posthorn::account::CacheView;
use posthorn::core::query::{Expr, Field, Term, fold};
use posthorn::core::{AccountId, Envelope, Flags, FolderPath};
use posthorn::mime::{SearchDocument, search_document};
use posthorn::run::indexer::TextIndexer;
use posthorn::store::{Index, Maildir, MaildirTree, scan_folder};
use std::path::{Path, PathBuf};

pub const VOCAB: &[&str] = &[
    "apricot", "budget", "café", "deploy", "ember", "façade", "granite", "harbor", "island",
    "jasmine", "kernel", "lantern", "meadow", "naïve", "orbit", "pepper", "quarry", "résumé",
    "saffron", "timber", "Übermut", "velvet", "walnut", "zephyr", "Zoë",
];
pub const NAMES: &[&str] = &[
    "Ann Lee",
    "Zoë Müller",
    "José García",
    "Grace Hopper",
    "Ærin Ødegård",
    "Łukasz Żak",
];

pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
    pub fn words(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| self.pick(VOCAB))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// 2024-01-01: messages are 1,000 seconds or more apart (no two share an id slice).
pub const BASE_DATE: i64 = 1_704_067_200;

/// The raw text of message `i`.
pub fn message(rng: &mut Rng, i: usize) -> (Vec<u8>, Flags) {
    let date = BASE_DATE + i as i64 * 86_400 / 3 + rng.below(500) as i64;
    let name = rng.pick(NAMES);
    let addr = format!("user{}@example.org", rng.below(5));
    let date_s = chrono::DateTime::from_timestamp(date, 0)
        .map(|d| d.to_rfc2822())
        .unwrap_or_default();
    let n = 2 + rng.below(3) as usize;
    let subject = rng.words(n);
    let mut m = format!(
        "From: {name} <{addr}>\nTo: Robin <robin@example.net>\nSubject: {subject}\nDate: {date_s}\nMessage-ID: <{i}@t>\nMIME-Version: 1.0\n"
    );
    if rng.below(5) == 0 {
        m.push_str(&format!("Cc: {} <cc@example.com>\n", rng.pick(NAMES)));
    }
    let (n1, n2) = (8 + rng.below(20) as usize, 5 + rng.below(10) as usize);
    let body = format!("{}.\n\n{}", rng.words(n1), rng.words(n2));
    match rng.below(7) {
        0 => {
            let file = format!("{}-{}.pdf", rng.pick(VOCAB), i);
            m.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain; charset=utf-8\n\n{body}\n--b\nContent-Type: application/pdf; name=\"{file}\"\nContent-Disposition: attachment; filename=\"{file}\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b--\n"
            ));
        }
        1 => m.push_str(&format!(
            "Content-Type: text/html; charset=utf-8\n\n<html><body><p>{}</p></body></html>\n",
            body.replace("\n\n", "</p><p>")
        )),
        2 => m.push_str(&format!(
            "Content-Type: multipart/alternative; boundary=\"a\"\n\n--a\nContent-Type: text/plain; charset=utf-8\n\n{body}\n--a\nContent-Type: text/html; charset=utf-8\n\n<p>{}</p>\n--a--\n",
            rng.words(6)
        )),
        _ => m.push_str(&format!(
            "Content-Type: text/plain; charset=utf-8\n\n{body}\n"
        )),
    }
    let mut flags = Flags::empty();
    for (f, p) in [(Flags::SEEN, 2), (Flags::FLAGGED, 5), (Flags::REPLIED, 4)] {
        if rng.below(p) == 0 {
            flags.insert(f);
        }
    }
    (m.into_bytes(), flags)
}

/// The corpus on disk, indexed (envelopes and full text).
pub struct Corpus {
    pub dir: tempfile::TempDir,
    pub index: PathBuf,
    pub caches: Vec<CacheView>,
    /// (account, folder) of every folder.
    pub folders: Vec<(AccountId, FolderPath)>,
}

pub fn account_roots(dir: &Path) -> Vec<(AccountId, PathBuf, Vec<&'static str>)> {
    vec![
        (
            AccountId("personal".into()),
            dir.join("personal"),
            vec!["INBOX", "Archive"],
        ),
        (AccountId("work".into()), dir.join("work"), vec!["INBOX"]),
    ]
}

/// Writes `n` messages spread over the folders (nothing indexed yet).
pub fn write(n: usize, seed: u64) -> (tempfile::TempDir, Vec<(AccountId, FolderPath, Maildir)>) {
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    for (a, root, folders) in account_roots(dir.path()) {
        for f in folders {
            let path = if f == "INBOX" {
                root.clone()
            } else {
                root.join(format!(".{f}"))
            };
            let md = Maildir::create(&path).unwrap();
            if f != "INBOX" {
                std::fs::write(path.join("maildirfolder"), b"").unwrap();
            }
            out.push((a.clone(), FolderPath(f.into()), md));
        }
    }
    let mut rng = Rng(seed);
    for i in 0..n {
        let (raw, flags) = message(&mut rng, i);
        let k = rng.below(out.len() as u64) as usize;
        out[k].2.deliver(&raw, flags).unwrap();
    }
    (dir, out)
}

/// Scans every folder into the index (envelopes only).
pub fn scan(index: &Path, folders: &[(AccountId, FolderPath, Maildir)]) {
    let (mut ix, _) = Index::open(index).unwrap();
    for (a, f, md) in folders {
        scan_folder(
            &mut ix,
            a,
            f,
            md,
            posthorn::mime::header_fields,
            &mut |_| {},
        )
        .unwrap();
    }
}

pub fn caches(dir: &Path, index: &Path) -> Vec<CacheView> {
    account_roots(dir)
        .into_iter()
        .map(|(a, root, _)| CacheView::new(a, Some(MaildirTree::open(root).unwrap()), index))
        .collect()
}

/// Brings the full-text index up to date.
pub fn index_text(index: &Path, caches: &[CacheView]) {
    let mut ix = TextIndexer::open(index, caches).unwrap();
    ix.run_to_end(&mut |_| {}).unwrap();
}

pub fn build(n: usize, seed: u64) -> Corpus {
    let (dir, folders) = write(n, seed);
    let index = dir.path().join("index.sqlite");
    scan(&index, &folders);
    let caches = caches(dir.path(), &index);
    index_text(&index, &caches);
    Corpus {
        folders: folders
            .iter()
            .map(|(a, f, _)| (a.clone(), f.clone()))
            .collect(),
        dir,
        index,
        caches,
    }
}

/// A message as the brute force sees it: its envelope and the text of its file.
pub struct Doc {
    pub env: Envelope,
    pub text: SearchDocument,
}

pub fn docs(c: &Corpus) -> Vec<Doc> {
    let r = posthorn::store::IndexReader::open(&c.index).unwrap();
    let mut out = Vec::new();
    for (a, f) in &c.folders {
        let cache = c.caches.iter().find(|x| x.account == *a).unwrap();
        for env in r.view().envelopes(a, f).unwrap() {
            let raw = cache.read(f, &env.id).unwrap().unwrap();
            out.push(Doc {
                text: search_document(&raw),
                env,
            });
        }
    }
    out
}

/// Consecutive words, the last one as a prefix when asked: written here again, apart
/// from the code under test.
fn has_phrase(text: &str, words: &[String], prefix: bool) -> bool {
    let have = fold::words(text);
    if words.is_empty() || have.len() < words.len() {
        return false;
    }
    have.windows(words.len()).any(|w| {
        w.iter().zip(words).enumerate().all(|(k, (h, q))| {
            if prefix && k + 1 == words.len() {
                h.starts_with(q.as_str())
            } else {
                h == q
            }
        })
    })
}

/// What the query language says about one message, knowing all of its text.
pub fn brute(e: &Expr, d: &Doc, now: i64) -> bool {
    match e {
        Expr::And(v) => v.iter().all(|x| brute(x, d, now)),
        Expr::Or(v) => v.iter().any(|x| brute(x, d, now)),
        Expr::Not(x) => !brute(x, d, now),
        Expr::Term(t) => {
            let env = &d.env;
            match t {
                Term::Text(t) => {
                    let sender = format!("{} {}", env.from, env.from_addr);
                    let fields: Vec<&str> = match t.field {
                        Field::From => vec![&sender],
                        Field::To => vec![&env.to],
                        Field::Cc => vec![&d.text.cc],
                        Field::Subject => vec![&env.subject],
                        Field::Body => vec![&d.text.body],
                        Field::Attachment => vec![&d.text.attachments],
                        Field::Any => vec![
                            &sender,
                            &env.to,
                            &d.text.cc,
                            &env.subject,
                            &d.text.body,
                            &d.text.attachments,
                        ],
                    };
                    fields.iter().any(|f| has_phrase(f, &t.words, t.prefix))
                }
                Term::Unread => !env.flags.contains(Flags::SEEN),
                Term::Flagged => env.flags.contains(Flags::FLAGGED),
                Term::Replied => env.flags.contains(Flags::REPLIED),
                Term::Draft => env.flags.contains(Flags::DRAFT),
                Term::Passed => env.flags.contains(Flags::PASSED),
                Term::Trashed => env.flags.contains(Flags::TRASHED),
                Term::Tagged => false,
                Term::HasAttachment => env.has_attachments,
                Term::Date(r) => r.contains(env.date, now),
                Term::Folder(f) => env.folder.0.eq_ignore_ascii_case(f),
                Term::Account(a) => env.account.0 == *a,
            }
        }
    }
}
