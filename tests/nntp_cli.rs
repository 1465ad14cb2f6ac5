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
