//! The address book gathered from the index (store::index::addresses +
//! compose::addressbook): one entry per address, most frequent first, completion by
//! address or name word, ignoring case and diacritics.

use posthorn::compose::AddressBook;
use posthorn::core::envelope::HeaderFields;
use posthorn::core::{AccountId, Flags, FolderPath};
use posthorn::mime::header_fields;
use posthorn::store::index::{FolderChanges, NewEnvelope};
use posthorn::store::{Index, IndexReader};

fn envelope(n: usize, raw: &str) -> NewEnvelope {
    NewEnvelope {
        uid: format!("u{n}"),
        file_name: None,
        size: 10,
        flags: Flags::empty(),
        fields: header_fields(raw.as_bytes()),
    }
}

fn index_with(account: &str, msgs: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite");
    {
        let (mut ix, _) = Index::open(&path).unwrap();
        add(&mut ix, account, msgs);
    }
    (dir, path)
}

fn add(ix: &mut Index, account: &str, msgs: &[&str]) {
    let fid = ix
        .folder_id(&AccountId(account.into()), &FolderPath::inbox())
        .unwrap();
    let added = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| envelope(i, m))
        .collect();
    ix.apply(
        fid,
        &FolderChanges {
            added,
            ..Default::default()
        },
    )
    .unwrap();
}

const MSGS: &[&str] = &[
    "From: =?UTF-8?Q?Zo=C3=AB_M=C3=BCller?= <Zoe@Example.org>\r\nTo: \"Doe, John\" <john@example.net>, bob@example.net\r\n\r\n",
    "From: zoe@example.org\r\nTo: Bob Builder <BOB@example.net>\r\n\r\n",
    "From: Zoë Müller <zoe@example.org>\r\nTo: bob@example.net\r\nCc: cc-only@example.net\r\n\r\n",
    "From: Anna Ångström <anna@example.se>\r\nTo: Bob Builder <bob@example.net>\r\n\r\n",
    "From: MAILER-DAEMON <>\r\nTo: undisclosed-recipients:;\r\n\r\n",
];

#[test]
fn entries_deduplicated_most_frequent_first() {
    let (_d, path) = index_with("work", MSGS);
    let reader = IndexReader::open(&path).unwrap();
    let book = AddressBook::load(&reader.view(), None).unwrap();
    let shown: Vec<(String, u64)> = book
        .entries()
        .iter()
        .map(|e| (e.display(), e.count))
        .collect();
    assert_eq!(
        shown,
        vec![
            ("Bob Builder <bob@example.net>".to_string(), 4),
            ("Zoë Müller <zoe@example.org>".to_string(), 3),
            ("Anna Ångström <anna@example.se>".to_string(), 1),
            ("\"Doe, John\" <john@example.net>".to_string(), 1),
        ]
    );
    // The index has no Cc.
    assert!(
        book.entries()
            .iter()
            .all(|e| e.address != "cc-only@example.net")
    );
}

#[test]
fn completion_by_address_or_name_word_folded() {
    let (_d, path) = index_with("work", MSGS);
    let reader = IndexReader::open(&path).unwrap();
    let book = AddressBook::load(&reader.view(), None).unwrap();
    let addrs = |p: &str, limit: usize| -> Vec<String> {
        book.complete(p, limit)
            .into_iter()
            .map(|e| e.address.clone())
            .collect()
    };
    assert_eq!(addrs("zo", 10), vec!["zoe@example.org"]);
    assert_eq!(addrs("ZOË", 10), vec!["zoe@example.org"]);
    assert_eq!(addrs("mull", 10), vec!["zoe@example.org"]);
    assert_eq!(addrs("angst", 10), vec!["anna@example.se"]);
    assert_eq!(addrs("john", 10), vec!["john@example.net"]);
    assert_eq!(addrs("doe, j", 10), vec!["john@example.net"]);
    assert_eq!(addrs("builder", 10), vec!["bob@example.net"]);
    // Not the middle of a word or address.
    assert!(addrs("uller", 10).is_empty());
    assert!(addrs("example", 10).is_empty());
    // Most frequent first, limited.
    assert_eq!(addrs("", 2), vec!["bob@example.net", "zoe@example.org"]);
}

#[test]
fn one_account_or_all() {
    let (_d, path) = index_with("work", &MSGS[..1]);
    {
        let (mut ix, _) = Index::open(&path).unwrap();
        add(
            &mut ix,
            "home",
            &["From: Home Person <home@example.org>\r\nTo: x@example.org\r\n\r\n"],
        );
    }
    let reader = IndexReader::open(&path).unwrap();
    let all = AddressBook::load(&reader.view(), None).unwrap();
    assert!(
        all.entries()
            .iter()
            .any(|e| e.address == "home@example.org")
    );
    let work = AddressBook::load(&reader.view(), Some(&AccountId("work".into()))).unwrap();
    assert!(
        work.entries()
            .iter()
            .all(|e| e.address != "home@example.org")
    );
    assert_eq!(work.entries().len(), 3);
}

/// Prints how long the query and merge take over 100,000 envelopes; no threshold
/// (`cargo test --test compose_addressbook -- --ignored --nocapture`).
#[test]
#[ignore]
fn figure_for_100k_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite");
    let (mut ix, _) = Index::open(&path).unwrap();
    let fid = ix
        .folder_id(&AccountId("big".into()), &FolderPath::inbox())
        .unwrap();
    let added = (0..100_000)
        .map(|i| NewEnvelope {
            uid: format!("u{i}"),
            file_name: None,
            size: 10,
            flags: Flags::empty(),
            fields: HeaderFields {
                from: format!("Person {}", i % 3000),
                from_addr: format!("p{}@example.org", i % 3000),
                to: format!(
                    "Me <me@example.org>, Other {} <o{}@example.net>",
                    i % 500,
                    i % 500
                ),
                subject: "s".into(),
                ..Default::default()
            },
        })
        .collect();
    ix.apply(
        fid,
        &FolderChanges {
            added,
            ..Default::default()
        },
    )
    .unwrap();
    let reader = IndexReader::open(&path).unwrap();
    let t = std::time::Instant::now();
    let book = AddressBook::load(&reader.view(), None).unwrap();
    let loaded = t.elapsed();
    let t = std::time::Instant::now();
    let hits = book.complete("person 12", 10).len();
    println!(
        "100k envelopes: address book of {} entries in {loaded:?}; one completion ({hits} hits) in {:?}",
        book.entries().len(),
        t.elapsed()
    );
}
