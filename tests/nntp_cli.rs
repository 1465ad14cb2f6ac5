//! The headless commands on an NNTP account against the real INN: `posthorn sync
//! --account news` fetches the overviews of the subscribed groups (a group named
//! comp.mail.archive is one of them, not an Archive), `list --folder GROUP --json`
//! shows them with the read state of the .newsrc, `read ID --raw` fetches the article.

mod common;

use common::testbed::testbed;
use std::process::{Command, Output};

fn posthorn(home: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_posthorn"))
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .output()
        .unwrap()
}

#[test]
fn sync_list_and_read_a_group() {
    let tb = testbed();
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[accounts.news.nntp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nnewsrc = \"~/.newsrc\"\n",
            tb.nntp_port
        ),
    )
    .unwrap();
    std::fs::write(
        home.path().join(".newsrc"),
        "comp.mail.archive: 1-2\ntest.misc!\n",
    )
    .unwrap();
    let c = cfg.to_str().unwrap();
    let o = posthorn(home.path(), &["--config", c, "sync", "--account", "news"]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("news/comp.mail.archive:"), "{out}");
    assert!(!out.contains("test.misc"), "only subscribed groups: {out}");
    let o = posthorn(
        home.path(),
        &[
            "--config",
            c,
            "list",
            "--account",
            "news",
            "--folder",
            "comp.mail.archive",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert!(arr.len() >= 2);
    let one = arr
        .iter()
        .find(|e| e["id"].as_str().unwrap().ends_with(".1.nntp"))
        .unwrap();
    assert_eq!(one["unread"], false, "article 1 is read in the .newsrc");
    let newest = arr[0]["id"].as_str().unwrap().to_string();
    assert_eq!(arr[0]["unread"], true);
    let o = posthorn(home.path(), &["--config", c, "read", &newest, "--raw"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let raw = String::from_utf8_lossy(&o.stdout);
    assert!(raw.contains("Newsgroups:") && raw.contains(arr[0]["message_id"].as_str().unwrap()));
}

/// A new user's .newsrc: before any sync (and with no server at all), the subscribed
/// groups are the account's folders, so the folder pane lists them at once.
#[test]
fn subscribed_groups_are_folders_before_the_first_sync() {
    use posthorn::account::CacheView;
    use posthorn::config::{Source, parse_config};
    use posthorn::core::AccountId;
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join("cache");
    std::fs::write(
        home.path().join("newsrc"),
        "test.general: \ncomp.mail.archive: 1-5\nalt.gone! 1-3\n",
    )
    .unwrap();
    // Port 9 on loopback: nothing answers; the folders must not need the server.
    let text = format!(
        "[accounts.news.nntp]\nhost = \"127.0.0.1\"\nport = 9\ntls = \"none\"\nnewsrc = \"{}\"\ncache = \"{}\"\n",
        home.path().join("newsrc").display(),
        cache.display()
    );
    let cfg = parse_config(std::path::Path::new("c.toml"), &text).unwrap();
    let Source::Nntp(server) = &cfg.accounts["news"].source else {
        panic!()
    };
    let index = home.path().join("index.sqlite");
    let id = AccountId("news".into());
    let mut acc = posthorn::account::nntp::from_config(id.clone(), server, &index).unwrap();
    let names = || {
        let tree = posthorn::store::MaildirTree::open(&cache).unwrap();
        let view = CacheView::new(id.clone(), Some(tree), &index);
        let mut names: Vec<String> = view
            .folder_names()
            .unwrap()
            .into_iter()
            .map(|f| f.path.0)
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(), vec!["comp.mail.archive", "test.general"]);
    // Unsubscribing takes the group off the list for good (a restart included); its
    // cached articles stay, and subscribing again brings it back.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(acc.subscribe("comp.mail.archive", false))
        .unwrap();
    drop(acc);
    let mut acc = posthorn::account::nntp::from_config(id.clone(), server, &index).unwrap();
    assert_eq!(names(), vec!["test.general"]);
    assert!(cache.join("comp.mail.archive").is_dir() || cache.join(".comp.mail.archive").is_dir());
    rt.block_on(acc.subscribe("comp.mail.archive", true))
        .unwrap();
    assert_eq!(names(), vec!["comp.mail.archive", "test.general"]);
}
