//! The NNTP account against the real INN on 127.0.0.1 (scripts/testbed.sh): list every
//! group and subscribe; a seeded thread read from the overview and threaded by its
//! References; bodies fetched on open and then served from the cache; a .newsrc written
//! the way slrn writes it read and written back with its ranges; AUTHINFO on the port
//! that requires it; NNTPS; STARTTLS on the reader port.

mod common;

use common::testbed::testbed;
use posthorn::account::Account;
use posthorn::account::nntp::{NntpAccount, NntpServer};
use posthorn::config::Secret;
use posthorn::core::{
    AccountId, FlagOp, Flags, FolderKind, FolderPath, MessageRef, sort::SortKey, thread::thread,
};
use posthorn::net::{TlsMode, TlsSettings};
use posthorn::store::IndexReader;
use std::path::Path;
use std::time::Duration;

struct Fixture {
    dir: tempfile::TempDir,
    account: NntpAccount,
}

impl Fixture {
    fn newsrc(&self) -> std::path::PathBuf {
        self.dir.path().join("newsrc")
    }
    fn index(&self) -> std::path::PathBuf {
        self.dir.path().join("index.db")
    }
}

fn server(port: u16, tls: TlsMode, user: Option<&str>) -> NntpServer {
    NntpServer {
        host: "127.0.0.1".into(),
        port,
        tls,
        tls_settings: TlsSettings {
            ca_file: Some(testbed().ca_file.clone()),
        },
        user: user.map(str::to_string),
        timeout: Duration::from_secs(20),
    }
}

fn fixture(s: NntpServer, password: Option<&str>, newsrc: Option<&str>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    if let Some(text) = newsrc {
        std::fs::write(dir.path().join("newsrc"), text).unwrap();
    }
    let account = NntpAccount::open(
        AccountId("news".into()),
        s,
        password.map(|p| Secret::Plain(p.into())),
        &dir.path().join("cache"),
        &dir.path().join("newsrc"),
        &dir.path().join("index.db"),
    )
    .unwrap();
    Fixture { dir, account }
}

fn plain() -> Fixture {
    fixture(server(testbed().nntp_port, TlsMode::None, None), None, None)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A seed no earlier run used (innd refuses a Message-ID it has seen).
fn fresh_seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    t.as_secs() * 1000 + u64::from(t.subsec_millis()) + u64::from(std::process::id())
}

fn envelopes(index: &Path, group: &str) -> Vec<posthorn::core::Envelope> {
    IndexReader::open(index)
        .unwrap()
        .view()
        .envelopes(&AccountId("news".into()), &FolderPath(group.into()))
        .unwrap()
}

#[test]
fn list_every_group_and_subscribe() {
    let rt = rt();
    let mut f = plain();
    rt.block_on(async {
        f.account.connect().await.unwrap();
        let all = f.account.all_groups().await.unwrap();
        let names: Vec<&str> = all.iter().map(|g| g.name.as_str()).collect();
        for g in [
            "test.general",
            "test.misc",
            "comp.mail.archive",
            "test.described",
        ] {
            assert!(names.contains(&g), "{g} missing from {names:?}");
        }
        let described = all.iter().find(|g| g.name == "test.described").unwrap();
        assert!(
            described.description.contains("description"),
            "{described:?}"
        );
        assert!(all.iter().all(|g| !g.subscribed));
        assert!(f.account.list_folders().await.unwrap().is_empty());
        f.account
            .subscribe("comp.mail.archive", true)
            .await
            .unwrap();
        f.account.subscribe("test.general", true).await.unwrap();
        let folders = f.account.list_folders().await.unwrap();
        let paths: Vec<&str> = folders.iter().map(|f| f.path.0.as_str()).collect();
        assert_eq!(paths, ["comp.mail.archive", "test.general"]);
        for folder in &folders {
            assert_eq!(folder.kind, FolderKind::Newsgroup);
            assert_eq!(folder.role, None, "a group named like a role is no role");
        }
        let all = f.account.all_groups().await.unwrap();
        assert!(all.iter().any(|g| g.name == "test.general" && g.subscribed));
        f.account.subscribe("test.general", false).await.unwrap();
        assert_eq!(f.account.list_folders().await.unwrap().len(), 1);
        assert!(f.account.subscribe("bad name", true).await.is_err());
        // NEWGROUPS: the first call remembers the server's clock, the next asks since.
        assert!(f.account.new_groups().await.unwrap().is_empty());
        assert!(f.account.new_groups().await.unwrap().is_empty());
    });
    let text = std::fs::read_to_string(f.newsrc()).unwrap();
    assert_eq!(text, "comp.mail.archive:\ntest.general!\n");
}

#[test]
fn a_seeded_thread_reads_threaded_and_bodies_are_cached() {
    let tb = testbed();
    let seed = fresh_seed();
    tb.seed_news("test.misc", 30, seed);
    let rt = rt();
    let mut f = fixture(
        server(tb.nntp_port, TlsMode::None, None),
        None,
        Some("test.misc:\n"),
    );
    let group = FolderPath("test.misc".into());
    rt.block_on(async {
        f.account.connect().await.unwrap();
        let report = f.account.sync_folder(&group, &mut |_| {}).await.unwrap();
        assert!(report.added >= 30, "{report:?}");
        // A second sync adds only what other tests seeded into the group meanwhile.
        let before = envelopes(&f.index(), "test.misc").len();
        let again = f.account.sync_folder(&group, &mut |_| {}).await.unwrap();
        let after = envelopes(&f.index(), "test.misc").len();
        assert_eq!(before + again.added, after, "{again:?}");
    });
    let envs = envelopes(&f.index(), "test.misc");
    let tag = format!(".s{seed}.");
    let ours: Vec<usize> = (0..envs.len())
        .filter(|&i| envs[i].message_id.contains(&tag))
        .collect();
    assert_eq!(ours.len(), 30);
    let rows = thread(&envs, &ours, SortKey::Date, false);
    assert_eq!(rows.len(), 30);
    assert!(
        rows.iter().any(|r| r.depth > 0),
        "replies thread under their parents"
    );
    for r in rows.iter().filter(|r| r.depth > 0) {
        assert!(!envs[r.index].references.is_empty());
    }
    // Non-ASCII From names arrive decoded from RFC 2047.
    assert!(envs.iter().all(|e| !e.from.contains("=?utf-8?")));
    // Open one: fetched from the server, then cached.
    let first = envs[ours[0]].clone();
    let cache = posthorn::account::CacheView::new(
        AccountId("news".into()),
        Some(f.account.tree().clone()),
        &f.index(),
    );
    assert_eq!(cache.read(&group, &first.id).unwrap(), None);
    let bytes = rt
        .block_on(
            f.account
                .fetch(&group, &MessageRef::local(first.id.clone())),
        )
        .unwrap();
    let text = String::from_utf8_lossy(&bytes.0);
    assert!(text.contains(&first.message_id), "{text}");
    assert!(text.contains("I tried the suggestion"));
    assert_eq!(
        cache.read(&group, &first.id).unwrap(),
        Some(bytes.0.clone())
    );
    // Many at once, pipelined.
    let ids: Vec<_> = ours.iter().map(|&i| envs[i].id.clone()).collect();
    let got = rt.block_on(f.account.fetch_many(&group, &ids)).unwrap();
    assert!(got.iter().all(Option::is_some));
    for (i, b) in ours.iter().zip(&got) {
        let text = String::from_utf8_lossy(b.as_ref().unwrap()).into_owned();
        assert!(text.contains(&envs[*i].message_id));
    }
}

#[test]
fn newsrc_written_like_slrn_round_trips_with_ranges() {
    let tb = testbed();
    tb.seed_news("test.general", 12, fresh_seed());
    // slrn's form: "group: ranges", unsubscribed with "!", other lines kept.
    let slrn = "comp.mail.archive! 1-3\ntest.general: 1-5,8\n# a comment slrn never wrote\n";
    let rt = rt();
    let mut f = fixture(server(tb.nntp_port, TlsMode::None, None), None, Some(slrn));
    let group = FolderPath("test.general".into());
    rt.block_on(async {
        f.account.connect().await.unwrap();
        let folders = f.account.list_folders().await.unwrap();
        assert_eq!(folders.len(), 1, "only the subscribed group");
        f.account.sync_folder(&group, &mut |_| {}).await.unwrap();
    });
    let envs = envelopes(&f.index(), "test.general");
    let number = |e: &posthorn::core::Envelope| -> u64 {
        e.id.0.split('.').nth(1).unwrap().parse().unwrap()
    };
    for e in &envs {
        let n = number(e);
        let read = (1..=5).contains(&n) || n == 8;
        assert_eq!(e.flags.contains(Flags::SEEN), read, "article {n}");
    }
    let by_number = |n: u64| {
        let e = envs.iter().find(|e| number(e) == n).unwrap();
        MessageRef::local(e.id.clone())
    };
    rt.block_on(async {
        f.account
            .set_flags(
                &group,
                &[by_number(6), by_number(7)],
                FlagOp::Add(Flags::SEEN),
            )
            .await
            .unwrap();
        f.account
            .set_flags(&group, &[by_number(2)], FlagOp::Remove(Flags::SEEN))
            .await
            .unwrap();
        // A flag that is not read state stays out of the .newsrc.
        f.account
            .set_flags(&group, &[by_number(9)], FlagOp::Add(Flags::FLAGGED))
            .await
            .unwrap();
    });
    let text = std::fs::read_to_string(f.newsrc()).unwrap();
    assert_eq!(
        text,
        "comp.mail.archive! 1-3\ntest.general: 1,3-8\n# a comment slrn never wrote\n"
    );
    // Another reader changes the file; the next sync takes its read state.
    std::fs::write(f.newsrc(), "test.general: 1-3\ncomp.mail.archive! 1-3\n").unwrap();
    rt.block_on(f.account.sync_folder(&group, &mut |_| {}))
        .unwrap();
    let envs = envelopes(&f.index(), "test.general");
    for e in &envs {
        let n = number(e);
        assert_eq!(e.flags.contains(Flags::SEEN), n <= 3, "article {n}");
    }
    // Catch-up marks everything read, in the index and the file.
    rt.block_on(f.account.catch_up(&group)).unwrap();
    let envs = envelopes(&f.index(), "test.general");
    assert!(envs.iter().all(|e| e.flags.contains(Flags::SEEN)));
    let text = std::fs::read_to_string(f.newsrc()).unwrap();
    let high = envs.iter().map(number).max().unwrap();
    assert_eq!(
        text,
        format!("test.general: 1-{high}\ncomp.mail.archive! 1-3\n")
    );
}

#[test]
fn authinfo_on_the_port_that_requires_it() {
    let tb = testbed();
    let alice = tb.user("alice");
    let group = FolderPath("test.general".into());
    let rt = rt();
    // With user and password: AUTHINFO USER/PASS, then reading works.
    let mut f = fixture(
        server(tb.nntp_auth_port, TlsMode::None, Some("alice")),
        Some(&alice.password),
        Some("test.general:\n"),
    );
    let r = rt.block_on(f.account.sync_folder(&group, &mut |_| {}));
    assert!(r.unwrap().added > 0);
    // Without a user: the server's 480 becomes an Auth error that says what to set.
    let mut f = fixture(
        server(tb.nntp_auth_port, TlsMode::None, None),
        None,
        Some("test.general:\n"),
    );
    let e = rt
        .block_on(f.account.sync_folder(&group, &mut |_| {}))
        .unwrap_err();
    assert_eq!(e.kind, posthorn::core::ErrorKind::Auth, "{e:?}");
    assert!(e.message.contains("user"), "{}", e.message);
    // A wrong password is an Auth error naming the user, never the password.
    let mut f = fixture(
        server(tb.nntp_auth_port, TlsMode::None, Some("alice")),
        Some("not-the-password"),
        Some("test.general:\n"),
    );
    let e = rt
        .block_on(f.account.sync_folder(&group, &mut |_| {}))
        .unwrap_err();
    assert_eq!(e.kind, posthorn::core::ErrorKind::Auth, "{e:?}");
    assert!(e.message.contains("alice") && !e.message.contains("not-the-password"));
}

#[test]
fn nntps_and_starttls() {
    let tb = testbed();
    let group = FolderPath("test.general".into());
    let rt = rt();
    for (port, tls) in [
        (tb.nntps_port, TlsMode::Implicit),
        (tb.nntp_port, TlsMode::Starttls),
    ] {
        let mut f = fixture(server(port, tls, None), None, Some("test.general:\n"));
        let r = rt.block_on(f.account.sync_folder(&group, &mut |_| {}));
        assert!(r.unwrap().added > 0, "{tls:?}");
        let envs = envelopes(&f.index(), "test.general");
        let b = rt
            .block_on(
                f.account
                    .fetch(&group, &MessageRef::local(envs[0].id.clone())),
            )
            .unwrap();
        assert!(!b.0.is_empty());
    }
    // The CA is checked: without it the handshake fails, and nothing falls back.
    let mut s = server(tb.nntps_port, TlsMode::Implicit, None);
    s.tls_settings.ca_file = None;
    let mut f = fixture(s, None, Some("test.general:\n"));
    let e = rt
        .block_on(f.account.sync_folder(&group, &mut |_| {}))
        .unwrap_err();
    assert!(e.message.contains("TLS"), "{}", e.message);
}

#[test]
fn the_score_file_hides_articles_and_is_read_again_when_it_changes() {
    let tb = testbed();
    let seed = fresh_seed();
    tb.seed_news("test.misc", 20, seed);
    let rt = rt();
    let mut f = fixture(
        server(tb.nntp_port, TlsMode::None, None),
        None,
        Some("test.misc:\n"),
    );
    let score = f.dir.path().join("score");
    let write = |text: &str, age: u64| {
        std::fs::write(&score, text).unwrap();
        // A distinct modification time for each version, however fast the test runs.
        let t = std::time::SystemTime::now() - Duration::from_secs(age);
        std::fs::File::options()
            .write(true)
            .open(&score)
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    let ours = |index: &Path| -> Vec<posthorn::core::Envelope> {
        envelopes(index, "test.misc")
            .into_iter()
            .filter(|e| e.message_id.contains(&format!(".s{seed}.")))
            .collect()
    };
    write(
        &format!("% kill this run's articles\n[test.*]\nScore: -9999\n  Message-ID: .s{seed}.\n"),
        30,
    );
    f.account.set_score_file(Some(score.clone()));
    let group = FolderPath("test.misc".into());
    rt.block_on(f.account.sync_folder(&group, &mut |_| {}))
        .unwrap();
    assert!(ours(&f.index()).is_empty(), "all hidden");
    assert!(
        f.account
            .take_notes()
            .iter()
            .any(|n| n.contains("hidden by the score file"))
    );
    // Only those from five of the seed's ten senders now (both conditions must match;
    // with 20 articles, one sender alone may not be among them).
    write(
        &format!(
            "[test.misc]\nScore: -9999\n  Message-ID: .s{seed}.\n  From: <(ann|bob|chlo|dmitri|grete)@\n"
        ),
        20,
    );
    rt.block_on(f.account.sync_folder(&group, &mut |_| {}))
        .unwrap();
    let shown = ours(&f.index());
    assert!(!shown.is_empty() && shown.len() < 20, "{}", shown.len());
    let hidden = ["ann@", "bob@", "chlo@", "dmitri@", "grete@"];
    assert!(
        shown
            .iter()
            .all(|e| !hidden.iter().any(|h| e.from_addr.starts_with(h)))
    );
    // Below the threshold only: raising the threshold's floor shows everything again.
    write(
        "Threshold: -10000\n[test.misc]\nScore: -9999\n  From: .\n",
        10,
    );
    rt.block_on(f.account.sync_folder(&group, &mut |_| {}))
        .unwrap();
    assert_eq!(ours(&f.index()).len(), 20);
    // A broken file scores nothing and says why.
    write("Score: lots\n", 5);
    rt.block_on(f.account.sync_folder(&group, &mut |_| {}))
        .unwrap();
    assert_eq!(ours(&f.index()).len(), 20);
    assert!(f.account.take_notes().iter().any(|n| n.contains("line 1")));
}

#[test]
fn a_sync_of_many_ranges_records_every_article_once() {
    let tb = testbed();
    let seed = fresh_seed();
    // A group no other test reads articles of: their seeding would change it mid-sync.
    tb.seed_news("test.described", 250, seed);
    let rt = rt();
    let mut f = plain();
    // Ranges of 10, then 40: the fetch / decode / write pipeline runs all its stages
    // (the whole production path, only with smaller OVER requests).
    f.account.set_overview_ranges(10, 40);
    let group = FolderPath("test.described".into());
    let report = rt
        .block_on(f.account.sync_folder(&group, &mut |_| {}))
        .unwrap();
    let ours = |index: &Path| -> Vec<String> {
        let mut ids: Vec<String> = envelopes(index, "test.described")
            .into_iter()
            .filter(|e| e.message_id.contains(&format!(".s{seed}.")))
            .map(|e| e.message_id)
            .collect();
        ids.sort();
        ids
    };
    let ids = ours(&f.index());
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids.len(), 250, "every seeded article is in the index");
    assert_eq!(unique.len(), 250, "none twice");
    let all = envelopes(&f.index(), "test.described").len();
    assert_eq!(report.added, all, "{report:?}");
    // The whole group, not just the newest articles: the same as one OVER of it all.
    let mut whole = plain();
    whole
        .account
        .set_overview_ranges(u64::MAX / 2, u64::MAX / 2);
    rt.block_on(whole.account.sync_folder(&group, &mut |_| {}))
        .unwrap();
    let every = |index: &Path| -> Vec<String> {
        let mut ids: Vec<String> = envelopes(index, "test.described")
            .into_iter()
            .map(|e| e.message_id)
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(every(&f.index()), every(&whole.index()));
    let again = rt
        .block_on(f.account.sync_folder(&group, &mut |_| {}))
        .unwrap();
    assert_eq!(again.added, 0, "{again:?}");
    assert_eq!(ours(&f.index()).len(), 250);
}
