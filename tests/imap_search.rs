//! Server search against the real Dovecot: with `bodies = "none"` nothing but envelopes
//! is cached, so a word that is only in a body is not found locally; `posthorn search
//! --server` asks the server (UID SEARCH, with CHARSET UTF-8 for non-ASCII words) and
//! shows the match from the index.

mod common;

use common::testbed::testbed;
use std::path::Path;
use std::process::{Command, Output};

fn posthorn(config: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_posthorn"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("HOME", home)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn msg(n: usize, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Sender {n} <s{n}@example.test>\r\nTo: x@example.test\r\nSubject: {subject}\r\nMessage-ID: <srv{n}@example.test>\r\nDate: Mon, 2 Mar 2026 10:0{n}:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

#[test]
fn a_body_word_that_is_not_cached_is_found_by_the_server() {
    let tb = testbed();
    let user = tb.claim_user();
    user.seed(
        "INBOX",
        &msg(1, "plain one", "nothing to see"),
        "",
        1_772_445_600,
    );
    user.seed(
        "INBOX",
        &msg(2, "plain two", "the zyzzyva hides here"),
        "",
        1_772_445_660,
    );
    user.seed(
        "INBOX",
        &msg(3, "plain three", "ein Grüßwort im Text"),
        "",
        1_772_445_720,
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = d.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[general]\nindex = \"{}\"\n[accounts.t.imap]\nhost = \"localhost\"\nport = {}\nuser = \"{}\"\npassword = \"{}\"\ntls = \"implicit\"\nca-file = \"{}\"\ncache = \"{}\"\nbodies = \"none\"\n",
            d.join("index.sqlite").display(),
            tb.imaps_port,
            user.name,
            user.password,
            tb.ca_file.display(),
            d.join("cache").display()
        ),
    )
    .unwrap();
    stdout(&posthorn(&config, d, &["sync", "--account", "t"]));

    // The body is not cached: the index alone does not know the word.
    let local = stdout(&posthorn(
        &config,
        d,
        &["search", "--output", "count", "zyzzyva"],
    ));
    assert_eq!(local.trim(), "0", "the body should not be cached");

    let server = stdout(&posthorn(&config, d, &["search", "--server", "zyzzyva"]));
    assert!(server.contains("plain two"), "{server}");
    assert!(!server.contains("plain one"), "{server}");
    let n = stdout(&posthorn(
        &config,
        d,
        &[
            "search",
            "--server",
            "--output",
            "count",
            "body:zyzzyva OR subject:three",
        ],
    ));
    assert_eq!(n.trim(), "2");

    // A non-ASCII word goes as a UTF-8 literal.
    let utf8 = stdout(&posthorn(&config, d, &["search", "--server", "Grüßwort"]));
    assert!(utf8.contains("plain three"), "{utf8}");

    // A term only the index can answer is refused with the reason.
    let o = posthorn(
        &config,
        d,
        &["search", "--server", "has:attachment zyzzyva"],
    );
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot be asked of an IMAP server"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The TUI's path: `Effect::ServerSearch` through the executor and the IMAP actor comes
/// back as one `ServerSearchDone` with the envelope from the index, and the app adds it
/// to the search's list once.
#[test]
fn the_runtime_asks_the_server_and_the_list_grows() {
    use posthorn::account::imap::ImapAccount;
    use posthorn::account::{Account, AccountManager, CacheView};
    use posthorn::app::{AppEvent, AppState, Effect, ViewSource};
    use posthorn::config::{Source, parse_config};
    use posthorn::core::query::Query;
    use posthorn::core::{AccountId, FolderPath};
    use posthorn::run::effects::Executor;
    use posthorn::store::{Maildir, MaildirTree};

    let tb = testbed();
    let user = tb.claim_user();
    user.seed(
        "INBOX",
        &msg(4, "quiet four", "a quokka lives here"),
        "",
        1_772_445_600,
    );
    user.seed("INBOX", &msg(5, "quiet five", "nothing"), "", 1_772_445_660);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = format!(
        "[accounts.t.imap]\nhost = \"localhost\"\nport = {}\nuser = \"{}\"\npassword = \"{}\"\ntls = \"implicit\"\nca-file = \"{}\"\nbodies = \"none\"\n",
        tb.imaps_port,
        user.name,
        user.password,
        tb.ca_file.display(),
    );
    let cfg = parse_config(Path::new("t.toml"), &text).unwrap();
    let Source::Imap(server) = &cfg.accounts["t"].source else {
        panic!()
    };
    let cache = d.join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    Maildir::create(&cache).unwrap();
    let tree = MaildirTree::open(&cache).unwrap();
    let index = d.join("index.sqlite");
    let id = AccountId("t".into());
    let mut account = ImapAccount::open(id.clone(), server, tree.clone(), &index).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        account
            .sync_folder(&FolderPath::inbox(), &mut |_| {})
            .await
            .unwrap();
        let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
        let (ntx, mut notices) = tokio::sync::mpsc::unbounded_channel();
        let mut m = AccountManager::new(ntx);
        m.spawn(account);
        let view = CacheView::new(id.clone(), Some(tree), &index);
        let mut exec = Executor::new(tx, index.clone(), vec![view], m);

        // The app: a search for the word shows nothing (the body is not cached).
        let mut state = AppState::new(
            posthorn::app::Keymap::default(),
            posthorn::app::Settings::default(),
        );
        state.folders = vec![posthorn::core::Folder::newsgroup(
            id.clone(),
            FolderPath::inbox(),
        )];
        state.source = Some(ViewSource::Search {
            query: Query::parse("quokka").unwrap(),
            name: None,
        });
        let fx = posthorn::app::update(&mut state, AppEvent::Key(posthorn::app::Key::ctrl('s')));
        let Some(Effect::ServerSearch {
            req,
            query,
            folders,
        }) = fx.into_iter().next()
        else {
            panic!("ctrl-s on a search should ask the servers")
        };
        assert_eq!(folders, vec![(id.clone(), FolderPath::inbox())]);
        exec.run(Effect::ServerSearch {
            req,
            query,
            folders,
        });
        let done = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            loop {
                let ev = tokio::select! {
                    Some(n) = notices.recv() => exec.on_notice(n),
                    Some(e) = events.recv() => Some(e),
                };
                if let Some(e @ AppEvent::ServerSearchDone { .. }) = ev {
                    return e;
                }
            }
        })
        .await
        .expect("no answer from the server search");
        let AppEvent::ServerSearchDone { req: r, result } = done else {
            unreachable!()
        };
        assert_eq!(r, req);
        let found = result.unwrap();
        let again = || AppEvent::ServerSearchDone {
            req,
            result: Ok(found.clone()),
        };
        assert_eq!(found.servers, 1);
        let subjects: Vec<_> = found.envelopes.iter().map(|e| e.subject.clone()).collect();
        assert_eq!(subjects, vec!["quiet four".to_string()]);
        // The list grows by it, once, even if the answer were to come twice.
        posthorn::app::update(&mut state, again());
        state.server_search_req = Some(req);
        posthorn::app::update(&mut state, again());
        assert_eq!(state.envelopes.len(), 1);
        assert_eq!(state.envelopes[0].subject, "quiet four");
    });
}
