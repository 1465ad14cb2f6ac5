//! IMAP accounts against the real Dovecot of the testbed (scripts/testbed.sh): a seeded
//! mailbox syncs completely and byte for byte, flags and changes go both ways, folder
//! roles and non-ASCII names come out right, and nothing is lost or duplicated.

mod common;

use common::testbed::{MailUser, testbed};
use posthorn::account::imap::ImapAccount;
use posthorn::account::{Account, CacheView, PushEvent};
use posthorn::config::{Source, parse_config};
use posthorn::core::{
    AccountId, AccountState, FlagOp, Flags, FolderOp, FolderPath, FolderRole, MessageRef,
};
use posthorn::store::{IndexReader, MaildirTree};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct Client {
    pub account: ImapAccount,
    pub cache: CacheView,
    pub dir: tempfile::TempDir,
}

/// An account for `user`, with `tls` and the port that goes with it.
pub fn account_for(user: &MailUser, tls: &str, extra: &str) -> Client {
    let tb = testbed();
    let port = match tls {
        "implicit" => tb.imaps_port,
        _ => tb.imap_port,
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let text = format!(
        "[accounts.t.imap]\nhost = \"localhost\"\nport = {port}\nuser = \"{}\"\npassword = \"{}\"\ntls = \"{tls}\"\nca-file = \"{}\"\ncache = \"{}\"\n{extra}",
        user.name,
        user.password,
        tb.ca_file.display(),
        cache.display()
    );
    let cfg = parse_config(Path::new("t.toml"), &text).unwrap();
    let Source::Imap(server) = &cfg.accounts["t"].source else {
        panic!()
    };
    std::fs::create_dir_all(&cache).unwrap();
    posthorn::store::Maildir::create(&cache).unwrap();
    let tree = MaildirTree::open(&cache).unwrap();
    let index = dir.path().join("index.sqlite");
    let account = ImapAccount::open(AccountId("t".into()), server, tree.clone(), &index).unwrap();
    Client {
        account,
        cache: CacheView::new(AccountId("t".into()), Some(tree), &index),
        dir,
    }
}

pub fn crlf(s: &str) -> Vec<u8> {
    s.replace("\r\n", "\n").replace('\n', "\r\n").into_bytes()
}

pub fn message(n: usize, subject: &str) -> Vec<u8> {
    crlf(&format!(
        "From: Sender {n} <s{n}@example.org>\nTo: t@example.test\nSubject: {subject}\nMessage-ID: <m{n}@example.org>\nDate: Mon, 2 Nov 2026 10:{:02}:00 +0000\n\nBody of message {n}.\nFrom here on, a line that starts with From.\n",
        n % 60
    ))
}

/// Every cached message of a folder: Message-ID -> bytes.
pub fn cached(c: &Client, folder: &str) -> BTreeMap<String, Vec<u8>> {
    let f = FolderPath(folder.into());
    let reader = IndexReader::open(&c.cache.index_path).unwrap();
    let envs = reader.view().envelopes(&c.cache.account, &f).unwrap();
    envs.iter()
        .filter_map(|e| {
            c.cache
                .read(&f, &e.id)
                .unwrap()
                .map(|b| (e.message_id.clone(), b))
        })
        .collect()
}

pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
            out.extend(rd.flatten().map(|e| e.path()));
        }
    }
    out
}

/// Runs Python's imaplib as another client of the same mailbox: `M` is logged in.
pub fn py_imap(user: &MailUser, script: &str) -> String {
    let tb = testbed();
    let prelude = format!(
        "import imaplib\nM = imaplib.IMAP4('127.0.0.1', {})\nM.login('{}', '{}')\n",
        tb.imap_port, user.name, user.password
    );
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(format!("{prelude}{script}\nM.logout()\n"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python imaplib: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The flags of every message in a server folder, by Message-ID (read with imaplib).
pub fn server_flags(user: &MailUser, folder: &str) -> BTreeMap<String, String> {
    let out = py_imap(
        user,
        &format!(
            "M.select('{folder}')\ntyp, data = M.uid('FETCH', '1:*', '(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])')\n\
             for d in data:\n    if isinstance(d, tuple): print(d[0].decode(), '|', d[1].decode().split(':',1)[1].strip())"
        ),
    );
    out.lines()
        .filter_map(|l| {
            let (meta, mid) = l.split_once(" | ")?;
            let flags = meta.split("FLAGS (").nth(1)?.split(')').next()?.to_string();
            Some((mid.trim().to_string(), flags))
        })
        .collect()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_seeded_mailbox_syncs_completely_over_implicit_tls_and_starttls() {
    for tls in ["implicit", "starttls"] {
        let user = testbed().claim_user();
        let mut seeded: BTreeMap<String, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
        let mut n = 0;
        for (folder, server_name, count, flags) in [
            ("INBOX", "INBOX", 5, "S"),
            ("Sent", "Sent", 2, "S"),
            ("Entwürfe", "Entwürfe", 2, ""),
            ("Lists/rust", "Lists.rust", 3, "F"),
        ] {
            for _ in 0..count {
                n += 1;
                let m = message(n, &format!("{folder} {n}"));
                user.seed(server_name, &m, flags, 1_793_000_000 + n as i64);
                seeded
                    .entry(folder.to_string())
                    .or_default()
                    .insert(format!("<m{n}@example.org>"), m);
            }
        }
        let mut c = account_for(&user, tls, "");
        let rt = rt();
        rt.block_on(async {
            c.account.connect().await.unwrap();
            let state = c.account.take_state();
            assert!(
                matches!(state, None | Some(AccountState::Online)),
                "online at once: {state:?}"
            );
            let folders = c.account.list_folders().await.unwrap();
            let role = |p: &str| {
                folders
                    .iter()
                    .find(|f| f.path.0 == p)
                    .unwrap_or_else(|| panic!("{p} in {folders:?}"))
                    .role
            };
            assert_eq!(role("INBOX"), Some(FolderRole::Inbox));
            assert_eq!(role("Sent"), Some(FolderRole::Sent));
            assert_eq!(role("Trash"), Some(FolderRole::Trash));
            assert_eq!(role("Entwürfe"), None);
            // What the UI lists from the cache carries the server's roles too.
            let cached_roles =
                std::fs::read_to_string(c.dir.path().join("cache/.posthorn-roles")).unwrap();
            assert!(cached_roles.contains("sent\tSent"), "{cached_roles}");
            let from_cache = c.cache.folder_names().unwrap();
            assert!(
                from_cache
                    .iter()
                    .any(|f| f.path.0 == "Trash" && f.role == Some(FolderRole::Trash))
            );
            for folder in seeded.keys() {
                let report = c
                    .account
                    .sync_folder(&FolderPath(folder.clone()), &mut |_| {})
                    .await
                    .unwrap();
                assert_eq!(report.added, seeded[folder].len(), "{tls} {folder}");
            }
        });
        for (folder, msgs) in &seeded {
            assert_eq!(&cached(&c, folder), msgs, "{tls}: {folder} byte for byte");
        }
        // Flags came along: INBOX is seen, Lists/rust flagged (in the cache file names).
        let reader = IndexReader::open(&c.cache.index_path).unwrap();
        let inbox = reader
            .view()
            .envelopes(&c.cache.account, &FolderPath::inbox())
            .unwrap();
        assert!(inbox.iter().all(|e| e.flags == Flags::SEEN), "{inbox:?}");
        let rust = reader
            .view()
            .envelopes(&c.cache.account, &FolderPath("Lists/rust".into()))
            .unwrap();
        assert!(rust.iter().all(|e| e.flags == Flags::FLAGGED));
        // The cache is a plain Maildir other programs read: Python's mailbox agrees.
        let py = std::process::Command::new("python3")
            .arg("-c")
            .arg("import mailbox,sys; m=mailbox.Maildir(sys.argv[1], factory=None); print(len(m), sorted(m.list_folders()))")
            .arg(c.dir.path().join("cache"))
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&py.stdout);
        assert!(
            out.starts_with("5 "),
            "{out} {}",
            String::from_utf8_lossy(&py.stderr)
        );
        // An unchanged resync changes nothing.
        rt.block_on(async {
            let r = c
                .account
                .sync_folder(&FolderPath::inbox(), &mut |_| {})
                .await
                .unwrap();
            assert!(!r.changed_anything(), "{r:?}");
        });
    }
}

fn envelope_id(c: &Client, folder: &str, mid: &str) -> MessageRef {
    let reader = IndexReader::open(&c.cache.index_path).unwrap();
    let envs = reader
        .view()
        .envelopes(&c.cache.account, &FolderPath(folder.into()))
        .unwrap();
    let e = envs
        .iter()
        .find(|e| e.message_id == mid)
        .unwrap_or_else(|| panic!("{mid} in {folder}: {envs:?}"));
    MessageRef::local(e.id.clone())
}

fn local_flags(c: &Client, folder: &str) -> BTreeMap<String, Flags> {
    let reader = IndexReader::open(&c.cache.index_path).unwrap();
    reader
        .view()
        .envelopes(&c.cache.account, &FolderPath(folder.into()))
        .unwrap()
        .into_iter()
        .map(|e| (e.message_id, e.flags))
        .collect()
}

#[test]
fn flags_moves_and_deletes_go_both_ways() {
    let user = testbed().claim_user();
    for n in 1..=4 {
        user.seed(
            "INBOX",
            &message(n, &format!("m{n}")),
            "",
            1_793_000_000 + n as i64,
        );
    }
    let mut c = account_for(&user, "implicit", "");
    let rt = rt();
    let inbox = FolderPath::inbox();
    rt.block_on(async {
        c.account.connect().await.unwrap();
        c.account.list_folders().await.unwrap();
        c.account.sync_folder(&inbox, &mut |_| {}).await.unwrap();
    });
    // Another client flags m1 on the server: it shows here after a resync.
    py_imap(
        &user,
        "M.select('INBOX')\ntyp, d = M.search(None, 'HEADER', 'Message-ID', 'm1@example.org')\nM.store(d[0].decode(), '+FLAGS', '(\\\\Flagged \\\\Seen)')",
    );
    rt.block_on(async {
        let r = c.account.sync_folder(&inbox, &mut |_| {}).await.unwrap();
        assert_eq!(r.changed, 1, "{r:?}");
    });
    assert_eq!(
        local_flags(&c, "INBOX")["<m1@example.org>"],
        Flags::SEEN.union(Flags::FLAGGED)
    );
    // The cached file carries them too (mutt and notmuch read them there).
    let files = files_in(&c.dir.path().join("cache"));
    assert!(
        files.iter().any(|p| p.to_string_lossy().ends_with(":2,FS")),
        "{files:?}"
    );

    // Flags set here reach the server.
    let m2 = envelope_id(&c, "INBOX", "<m2@example.org>");
    rt.block_on(async {
        c.account
            .set_flags(
                &inbox,
                std::slice::from_ref(&m2),
                FlagOp::Add(Flags::SEEN.union(Flags::REPLIED)),
            )
            .await
            .unwrap();
    });
    let f = server_flags(&user, "INBOX");
    assert!(
        f["<m2@example.org>"].contains("\\Seen") && f["<m2@example.org>"].contains("\\Answered"),
        "{f:?}"
    );

    // Move to Archive: gone from INBOX on the server, there in Archive, same bytes.
    let m3 = envelope_id(&c, "INBOX", "<m3@example.org>");
    let archive = FolderPath("Archive".into());
    rt.block_on(async {
        c.account
            .move_to(&inbox, std::slice::from_ref(&m3), &archive)
            .await
            .unwrap();
    });
    assert!(!server_flags(&user, "INBOX").contains_key("<m3@example.org>"));
    assert!(server_flags(&user, "Archive").contains_key("<m3@example.org>"));
    assert!(cached(&c, "Archive").contains_key("<m3@example.org>"));
    // Syncing both folders keeps exactly one copy of it, in Archive.
    rt.block_on(async {
        c.account.sync_folder(&inbox, &mut |_| {}).await.unwrap();
        c.account.sync_folder(&archive, &mut |_| {}).await.unwrap();
    });
    assert_eq!(cached(&c, "Archive")["<m3@example.org>"], message(3, "m3"));
    assert!(!cached(&c, "INBOX").contains_key("<m3@example.org>"));
    // Undo (the app moves it back): back in INBOX on the server.
    rt.block_on(async {
        c.account
            .move_to(&archive, std::slice::from_ref(&m3), &inbox)
            .await
            .unwrap();
        c.account.sync_folder(&inbox, &mut |_| {}).await.unwrap();
        c.account.sync_folder(&archive, &mut |_| {}).await.unwrap();
    });
    assert!(server_flags(&user, "INBOX").contains_key("<m3@example.org>"));
    assert!(!server_flags(&user, "Archive").contains_key("<m3@example.org>"));
    assert_eq!(cached(&c, "INBOX").len(), 4);

    // Delete: marked deleted on the server (expunged only by an explicit expunge).
    let m4 = envelope_id(&c, "INBOX", "<m4@example.org>");
    rt.block_on(async {
        c.account
            .delete(&inbox, std::slice::from_ref(&m4))
            .await
            .unwrap();
    });
    assert!(server_flags(&user, "INBOX")["<m4@example.org>"].contains("\\Deleted"));
    // Deleted on the server by another client: it leaves the cache at the next sync.
    py_imap(&user, "M.select('INBOX')\nM.expunge()");
    rt.block_on(async {
        let r = c.account.sync_folder(&inbox, &mut |_| {}).await.unwrap();
        assert_eq!(r.removed, 1, "{r:?}");
    });
    assert_eq!(cached(&c, "INBOX").len(), 3);
    assert_eq!(files_in(&c.dir.path().join("cache")).len(), 3);
}

#[test]
fn a_uidvalidity_change_refetches_the_folder_without_stale_messages() {
    let user = testbed().claim_user();
    for n in 1..=3 {
        user.seed("Box", &message(n, "old"), "S", 1_793_000_000 + n as i64);
    }
    let mut c = account_for(&user, "implicit", "");
    let rt = rt();
    let bx = FolderPath("Box".into());
    rt.block_on(async {
        c.account.connect().await.unwrap();
        c.account.list_folders().await.unwrap();
        c.account.sync_folder(&bx, &mut |_| {}).await.unwrap();
    });
    assert_eq!(cached(&c, "Box").len(), 3);
    // The folder is recreated on the server: a new UIDVALIDITY, other messages.
    py_imap(
        &user,
        &format!(
            "M.delete('Box')\nM.create('Box')\nM.append('Box', None, None, {:?}.encode())\nM.append('Box', None, None, {:?}.encode())",
            String::from_utf8(message(7, "new")).unwrap(),
            String::from_utf8(message(8, "new")).unwrap()
        ),
    );
    rt.block_on(async {
        c.account.sync_folder(&bx, &mut |_| {}).await.unwrap();
    });
    let now = cached(&c, "Box");
    assert_eq!(
        now.keys().cloned().collect::<Vec<_>>(),
        ["<m7@example.org>", "<m8@example.org>"]
    );
    assert_eq!(files_in(&c.dir.path().join("cache/.Box")).len(), 2);
    assert!(
        c.account
            .take_notes()
            .iter()
            .any(|n| n.contains("UIDVALIDITY"))
    );
}

#[test]
fn idle_reports_new_mail_without_a_key_press() {
    let user = testbed().claim_user();
    user.seed("INBOX", &message(1, "first"), "", 1_793_000_000);
    let mut c = account_for(&user, "implicit", "");
    let rt = rt();
    rt.block_on(async {
        let mut push = c.account.take_push().unwrap();
        c.account.connect().await.unwrap();
        // The folder list arrives first (a Tree event); then IDLE is up.
        while let Ok(Some(ev)) =
            tokio::time::timeout(std::time::Duration::from_millis(500), push.recv()).await
        {
            assert!(matches!(ev, PushEvent::Tree), "{ev:?}");
        }
        user.seed("INBOX", &message(2, "second"), "", 1_793_000_100);
        let ev = tokio::time::timeout(std::time::Duration::from_secs(30), push.recv())
            .await
            .expect("IDLE did not report the new message");
        assert_eq!(ev, Some(PushEvent::Folder(FolderPath::inbox())));
        let r = c
            .account
            .sync_folder(&FolderPath::inbox(), &mut |_| {})
            .await
            .unwrap();
        assert_eq!(r.added, 2);
    });
}

/// A TCP proxy to Dovecot that can be cut (a server that went away) and restored on
/// the same port.
struct Proxy {
    port: u16,
    target: u16,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    async fn start(target: u16) -> Proxy {
        let mut p = Proxy {
            port: 0,
            target,
            task: None,
        };
        p.up().await;
        p
    }

    async fn up(&mut self) {
        let l = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .unwrap();
        self.port = l.local_addr().unwrap().port();
        let target = self.target;
        self.task = Some(tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut a, _)) = l.accept().await {
                conns.spawn(async move {
                    if let Ok(mut b) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await {
                        let _ = tokio::io::copy_bidirectional(&mut a, &mut b).await;
                    }
                });
            }
        }));
    }

    /// Stops listening and cuts every open connection.
    fn down(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

#[test]
fn changes_made_while_the_server_is_away_are_replayed_when_it_is_back() {
    let user = testbed().claim_user();
    for n in 1..=2 {
        user.seed("INBOX", &message(n, "m"), "", 1_793_000_000 + n as i64);
    }
    let rt = rt();
    let mut proxy = rt.block_on(Proxy::start(testbed().imap_port));
    let mut c = account_for(&user, "starttls", "");
    // Point the account at the proxy.
    let text = format!(
        "[accounts.t.imap]\nhost = \"localhost\"\nport = {}\nuser = \"{}\"\npassword = \"{}\"\ntls = \"starttls\"\nca-file = \"{}\"\n",
        proxy.port,
        user.name,
        user.password,
        testbed().ca_file.display()
    );
    let cfg = parse_config(Path::new("t.toml"), &text).unwrap();
    let Source::Imap(server) = &cfg.accounts["t"].source else {
        panic!()
    };
    let tree = MaildirTree::open(c.dir.path().join("cache")).unwrap();
    c.account =
        ImapAccount::open(AccountId("t".into()), server, tree, &c.cache.index_path).unwrap();
    let inbox = FolderPath::inbox();
    rt.block_on(async {
        c.account.connect().await.unwrap();
        c.account.list_folders().await.unwrap();
        c.account.sync_folder(&inbox, &mut |_| {}).await.unwrap();
        c.account.take_state();
        proxy.down();
        let m1 = envelope_id(&c, "INBOX", "<m1@example.org>");
        let m2 = envelope_id(&c, "INBOX", "<m2@example.org>");
        // Done here at once, though the server is gone.
        c.account
            .set_flags(
                &inbox,
                std::slice::from_ref(&m1),
                FlagOp::Add(Flags::FLAGGED),
            )
            .await
            .unwrap();
        c.account
            .move_to(
                &inbox,
                std::slice::from_ref(&m2),
                &FolderPath("Archive".into()),
            )
            .await
            .unwrap();
        // A draft saved while offline is in the cache at once.
        c.account
            .append(
                &FolderPath("Drafts".into()),
                &message(5, "draft"),
                Flags::DRAFT,
            )
            .await
            .unwrap();
        assert!(cached(&c, "Drafts").contains_key("<m5@example.org>"));
        assert!(matches!(
            c.account.take_state(),
            Some(AccountState::Offline {
                retry_at: Some(_),
                ..
            })
        ));
        assert_eq!(local_flags(&c, "INBOX")["<m1@example.org>"], Flags::FLAGGED);
        assert!(cached(&c, "Archive").contains_key("<m2@example.org>"));
    });
    // Nothing reached the server yet.
    assert_eq!(server_flags(&user, "INBOX")["<m1@example.org>"], "");
    assert!(server_flags(&user, "INBOX").contains_key("<m2@example.org>"));
    rt.block_on(async {
        proxy.up().await;
        // The actor would sleep until wake_at and tick: do the same.
        for _ in 0..20 {
            let Some(at) = c.account.wake_at() else { break };
            tokio::time::sleep_until(at).await;
            c.account.tick().await;
            if matches!(c.account.take_state(), Some(AccountState::Online)) {
                break;
            }
        }
    });
    let inbox_now = server_flags(&user, "INBOX");
    assert!(
        inbox_now["<m1@example.org>"].contains("\\Flagged"),
        "{inbox_now:?}"
    );
    assert!(!inbox_now.contains_key("<m2@example.org>"), "{inbox_now:?}");
    assert!(server_flags(&user, "Archive").contains_key("<m2@example.org>"));
    assert!(server_flags(&user, "Drafts")["<m5@example.org>"].contains("\\Draft"));
}

#[test]
fn a_sync_killed_half_way_and_run_again_leaves_no_duplicate_and_no_loss() {
    let user = testbed().claim_user();
    testbed().seed_bulk(&user, "INBOX", 3000, 11);
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[general]\nindex = \"{}\"\n[accounts.t.imap]\nhost = \"localhost\"\nport = {}\nuser = \"{}\"\npassword = \"{}\"\nca-file = \"{}\"\ncache = \"{}\"\n",
            dir.path().join("index.sqlite").display(),
            testbed().imaps_port,
            user.name,
            user.password,
            testbed().ca_file.display(),
            cache.display()
        ),
    )
    .unwrap();
    let sync = || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_posthorn"));
        cmd.arg("--config")
            .arg(&config)
            .args(["sync", "--folder", "INBOX"]);
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd
    };
    let mut child = sync().spawn().unwrap();
    // Kill it once some bodies are on disk, before all of them are.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let n = files_in(&cache).len();
        if n > 0 || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let half = files_in(&cache).len();
    assert!(
        half < 3000,
        "killed too late to test anything ({half} files)"
    );
    let out = sync().output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = files_in(&cache);
    assert_eq!(files.len(), 3000, "after the kill at {half}");
    let mut ids = std::collections::HashSet::new();
    for f in &files {
        let text = std::fs::read(f).unwrap();
        let parsed = mailparse::parse_headers(&text).unwrap().0;
        let mid = parsed
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case("Message-ID"))
            .map(|h| h.get_value())
            .unwrap();
        assert!(ids.insert(mid), "duplicate in {}", f.display());
    }
    let reader = IndexReader::open(&dir.path().join("index.sqlite")).unwrap();
    let envs = reader
        .view()
        .envelopes(&AccountId("t".into()), &FolderPath::inbox())
        .unwrap();
    assert_eq!(envs.len(), 3000);
}

#[test]
fn a_preauth_tunnel_to_dovecot_needs_no_login() {
    let user = testbed().claim_user();
    user.seed("INBOX", &message(1, "tunnelled"), "S", 1_793_000_000);
    let tb = testbed();
    let tunnel = format!(
        "runuser -u mail -- env USER={} HOME={} /usr/lib/dovecot/imap -c {} 2>/dev/null",
        user.name,
        tb.mail_root.join(&user.name).display(),
        tb.state.join("dovecot/dovecot.conf").display()
    );
    let mut c = account_for(&user, "none", &format!("tunnel = \"{tunnel}\"\n"));
    let rt = rt();
    rt.block_on(async {
        c.account.connect().await.unwrap();
        c.account.list_folders().await.unwrap();
        let r = c
            .account
            .sync_folder(&FolderPath::inbox(), &mut |_| {})
            .await
            .unwrap();
        assert_eq!(r.added, 1);
    });
    assert_eq!(
        cached(&c, "INBOX")["<m1@example.org>"],
        message(1, "tunnelled")
    );
}

fn server_folders(user: &MailUser) -> String {
    py_imap(user, "typ, d = M.list()\nprint([x.decode() for x in d])")
}

#[test]
fn folders_are_created_renamed_deleted_and_trash_is_expunged_on_the_server() {
    let user = testbed().claim_user();
    user.seed("Trash", &message(1, "junk"), "", 1_793_000_000);
    let mut c = account_for(&user, "implicit", "");
    let rt = rt();
    let made = FolderPath("Projekte/Ärger".into());
    let renamed = FolderPath("Projekte/Ruhe".into());
    rt.block_on(async {
        c.account.connect().await.unwrap();
        c.account
            .folder_op(&FolderOp::Create(made.clone()))
            .await
            .unwrap();
    });
    // Modified UTF-7 on the wire, the server's delimiter for the hierarchy.
    assert!(
        server_folders(&user).contains("Projekte.&AMQ-rger"),
        "{}",
        server_folders(&user)
    );
    user.seed("Projekte.Ärger", &message(2, "keep me"), "S", 1_793_000_100);
    rt.block_on(async {
        c.account.sync_folder(&made, &mut |_| {}).await.unwrap();
        c.account
            .folder_op(&FolderOp::Rename {
                from: made.clone(),
                to: renamed.clone(),
            })
            .await
            .unwrap();
        // Renamed, not fetched again: the cached copy moved along.
        let r = c.account.sync_folder(&renamed, &mut |_| {}).await.unwrap();
        assert_eq!(r.added, 0, "{r:?}");
    });
    assert!(server_folders(&user).contains("Projekte.Ruhe"));
    assert_eq!(
        cached(&c, "Projekte/Ruhe")["<m2@example.org>"],
        message(2, "keep me")
    );
    rt.block_on(async {
        c.account
            .folder_op(&FolderOp::Delete(renamed.clone()))
            .await
            .unwrap();
    });
    assert!(!server_folders(&user).contains("Ruhe"));
    assert!(!c.dir.path().join("cache/.Projekte.Ruhe").exists());
    // Emptying Trash: mark everything deleted, then expunge.
    let trash = FolderPath("Trash".into());
    rt.block_on(async {
        c.account.sync_folder(&trash, &mut |_| {}).await.unwrap();
        let m1 = envelope_id(&c, "Trash", "<m1@example.org>");
        c.account.delete(&trash, &[m1]).await.unwrap();
        c.account
            .folder_op(&FolderOp::Expunge(trash.clone()))
            .await
            .unwrap();
    });
    assert!(server_flags(&user, "Trash").is_empty());
    assert!(cached(&c, "Trash").is_empty());
}

#[test]
fn a_non_ascii_password_logs_in_and_a_wrong_one_is_never_shown() {
    // carol's password is "pässwörd": AUTHENTICATE PLAIN carries it as UTF-8.
    let carol = testbed().user("carol");
    let mut c = account_for(&carol, "starttls", "");
    let rt = rt();
    rt.block_on(async {
        c.account.connect().await.unwrap();
        assert!(c.account.list_folders().await.is_ok());
    });
    let user = testbed().claim_user();
    let mut wrong = user.clone();
    wrong.password = "hunter2-wrong".into();
    let mut c = account_for(&wrong, "implicit", "");
    rt.block_on(async {
        let err = c.account.connect().await.unwrap_err();
        assert_eq!(err.kind, posthorn::core::ErrorKind::Auth, "{err:?}");
        assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
        assert!(err.message.contains("login as"), "{err:?}");
    });
}

#[test]
fn append_stores_in_sent_once_on_the_server_and_in_the_cache() {
    let user = testbed().claim_user();
    let mut c = account_for(&user, "implicit", "");
    let rt = rt();
    let sent = FolderPath("Sent".into());
    let raw = message(9, "a copy of what I sent");
    rt.block_on(async {
        c.account.connect().await.unwrap();
        c.account.list_folders().await.unwrap();
        c.account.append(&sent, &raw, Flags::SEEN).await.unwrap();
        let r = c.account.sync_folder(&sent, &mut |_| {}).await.unwrap();
        assert_eq!(
            r.added, 0,
            "the appended copy is known, not fetched again: {r:?}"
        );
    });
    let on_server = server_flags(&user, "Sent");
    assert_eq!(on_server.len(), 1, "{on_server:?}");
    assert!(on_server["<m9@example.org>"].contains("\\Seen"));
    assert_eq!(cached(&c, "Sent")["<m9@example.org>"], raw);
    assert_eq!(files_in(&c.dir.path().join("cache/.Sent")).len(), 1);
}
