//! The headless commands on the demo: list, read, search (text and JSON), and clear
//! errors with a non-zero exit status for bad arguments and missing folders.

use std::process::{Command, Output};

fn posthorn(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_posthorn"))
        .args(args)
        .env("HOME", home.path())
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn list_json_is_newest_first_with_flags() {
    let o = posthorn(&["--demo", "list", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 110, "the personal INBOX of the demo");
    let dates: Vec<&str> = arr.iter().filter_map(|e| e["date"].as_str()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert!(arr.iter().any(|e| e["unread"] == true) && arr.iter().any(|e| e["flags"] == "S"));
    let hostile = arr.iter().find(|e| e["from"] == "Mallory").unwrap();
    assert!(!hostile["subject"].as_str().unwrap().contains('\u{1b}'));
}

#[test]
fn list_other_account_and_folder() {
    let o = posthorn(&[
        "--demo",
        "list",
        "--account",
        "work",
        "--folder",
        "Projects/Migration",
    ]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.lines().count() >= 6, "{text}");
    assert!(
        text.contains("Release 4.2") || text.contains("Office move"),
        "{text}"
    );
}

#[test]
fn read_prints_a_message_by_its_id() {
    let o = posthorn(&["--demo", "search", "subject:Flowed"]);
    let id = stdout(&o)
        .lines()
        .next()
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_string();
    let o = posthorn(&["--demo", "read", &id]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    assert!(text.contains("Subject: Flowed text example"));
    assert!(
        text.contains("soft line breaks that the sender's client inserted are joined"),
        "{text}"
    );
    let raw = posthorn(&["--demo", "read", "--raw", &id]);
    assert!(stdout(&raw).contains("format=flowed"));
}

#[test]
fn search_covers_every_folder_and_bodies() {
    let o = posthorn(&["--demo", "search", "--json", "from:amelie"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let folders: std::collections::BTreeSet<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["folder"].as_str())
        .collect();
    assert!(folders.len() >= 2, "{folders:?}");
    let o = posthorn(&["--demo", "search", "body:festival"]);
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
}

#[test]
fn errors_are_clear_and_fail() {
    let o = posthorn(&["--demo", "list", "--folder", "Nope"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("account personal has no folder \"Nope\" (folders: INBOX, Archive"),
        "{err}"
    );

    let o = posthorn(&["--demo", "list", "--account", "nobody"]);
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("no account named \"nobody\" (accounts: personal, work)")
    );
    assert_eq!(o.status.code(), Some(1));

    let o = posthorn(&["--demo", "search", "before:someday"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a date"));
    assert_eq!(o.status.code(), Some(1));

    let o = posthorn(&["--demo", "read", "no-such-id"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no message with id \"no-such-id\""));

    let o = posthorn(&["list", "--bogus"]);
    assert_eq!(o.status.code(), Some(2), "clap rejects unknown flags");
}

#[test]
fn an_empty_folder_name_is_an_error_not_the_inbox() {
    let o = posthorn(&["--demo", "list", "--folder", ""]);
    assert!(!o.status.success());
    assert!(stdout(&o).is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("folder name is empty"));
}

#[test]
fn an_ambiguous_id_reports_every_match_not_the_first_ten() {
    let o = posthorn(&["--demo", "read", "1"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    // The demo has 251 messages, all with ids starting "17...".
    assert!(err.contains("ambiguous (251 messages)"), "{err}");
}
