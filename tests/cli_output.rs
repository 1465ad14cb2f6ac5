//! Terminal safety of the headless commands, checked on the real binary's stdout bytes:
//! a file name or folder name holding `ESC ] 0 ; title BEL` (or a newline) comes out
//! sanitised in text and as exact, valid JSON with every control escaped.

use std::path::Path;
use std::process::{Command, Output};

const TITLE: &str = "\u{1b}]0;pwned\u{7}";

/// A Maildir++ tree with a hostile message file name in INBOX and a hostile folder.
fn hostile_tree(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("mail");
    let msg = "From: Eve <eve@example.org>\nSubject: hi\u{9b}31m there\nDate: Mon, 2 Jan 2023 10:00:00 +0000\nMessage-ID: <a@b>\n\nbody \u{1b}[2J text\n";
    for folder in [root.clone(), root.join(format!(".Evil{TITLE}"))] {
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(folder.join(sub)).unwrap();
        }
    }
    let name = format!("1700000000.M1P1{TITLE}x\ny\u{85}z.host:2,S");
    std::fs::write(root.join("cur").join(name), msg).unwrap();
    std::fs::write(
        root.join(format!(".Evil{TITLE}"))
            .join("cur")
            .join("1700000001.M2P2.host:2,"),
        msg,
    )
    .unwrap();
    let cfg = dir.join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "[general]\nindex = {:?}\n[accounts.a.maildir]\npath = {:?}\n",
            dir.join("ix.sqlite").display().to_string(),
            root.display().to_string()
        ),
    )
    .unwrap();
    cfg
}

fn run(dir: &Path, cfg: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_posthorn"))
        .arg("--config")
        .arg(cfg)
        .args(args)
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn no_controls(bytes: &[u8], what: &str) {
    let s = String::from_utf8(bytes.to_vec()).unwrap();
    let bad: Vec<char> = s
        .chars()
        .filter(|&c| (c < ' ' && c != '\n' && c != '\t') || ('\u{7f}'..='\u{9f}').contains(&c))
        .collect();
    assert!(bad.is_empty(), "{what}: raw controls {bad:?} in {s:?}");
}

#[test]
fn list_and_search_text_are_sanitised_one_record_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = hostile_tree(dir.path());
    for args in [
        &["list"][..],
        &["list", "--folder", &format!("Evil{TITLE}")],
        &["search", "from:eve"],
    ] {
        let out = run(dir.path(), &cfg, args);
        let s = String::from_utf8(out.stdout.clone()).unwrap();
        no_controls(s.as_bytes(), &format!("{args:?}").replace('\u{1b}', "ESC"));
        // Tabs are the field separator: each record still has exactly five fields.
        for line in s.lines() {
            assert_eq!(line.split('\t').count(), 5, "{line:?}");
        }
        no_controls(&out.stderr, "stderr");
    }
    let s = String::from_utf8(run(dir.path(), &cfg, &["list"]).stdout).unwrap();
    assert_eq!(
        s.lines().count(),
        1,
        "a newline in a file name splits no record: {s:?}"
    );
    assert!(s.contains("␛]0;pwned␇x y"), "{s:?}");
}

#[test]
fn json_is_exact_valid_and_escapes_every_control() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = hostile_tree(dir.path());
    for args in [&["list", "--json"][..], &["search", "--json", "from:eve"]] {
        let out = run(dir.path(), &cfg, args);
        no_controls(&out.stdout, "json");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let ids: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["id"].as_str())
            .collect();
        assert!(
            ids.iter()
                .any(|id| id.contains(&format!("{TITLE}x\ny\u{85}z"))),
            "the id is exact after decoding: {ids:?}"
        );
        let raw = String::from_utf8(out.stdout).unwrap();
        assert!(raw.contains("\\u001b]0;pwned\\u0007x\\ny\\u0085z"), "{raw}");
    }
}

#[test]
fn read_is_sanitised() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = hostile_tree(dir.path());
    let out = run(dir.path(), &cfg, &["read", "1700000001"]);
    no_controls(&out.stdout, "read");
    no_controls(&out.stderr, "read stderr");
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("Subject: hi"), "{s}");
}
