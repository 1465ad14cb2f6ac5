//! Config: the example parses; invalid fixtures fail with messages that name the file,
//! the line, the key and the reason; `check-config` prints them all.

use posthorn::config::{Config, parse_config};
use std::path::Path;
use std::process::Command;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn problems(name: &str) -> Vec<String> {
    let p = fixture(name);
    let text = std::fs::read_to_string(&p).unwrap();
    let errs = parse_config(Path::new(name), &text).expect_err("fixture must be invalid");
    errs.iter().map(|e| e.to_string()).collect()
}

#[test]
fn example_config_parses_with_the_documented_defaults() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join("Maildir")).unwrap();
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml"))
            .unwrap();
    // The example's path is ~/Maildir: point it at a directory that exists.
    let text = text.replace(
        "~/Maildir",
        &home.path().join("Maildir").display().to_string(),
    );
    let c: Config = parse_config(Path::new("config.example.toml"), &text).unwrap();
    assert_eq!(
        c.general,
        posthorn::config::General::default(),
        "example values are the defaults"
    );
    assert_eq!(
        c.accounts["home"].as_maildir().unwrap().path,
        home.path().join("Maildir")
    );
    assert!(c.keys.is_empty());
}

#[test]
fn unknown_keys_are_named_with_their_line() {
    assert_eq!(
        problems("unknown-key.toml"),
        [
            "unknown-key.toml:3: general.colour: unknown key (expected one of: sort, reverse, threaded, trash, archive, mark-read-on-open, index)",
            "unknown-key.toml:5: accounts.home.maildir.path: missing (required)",
            "unknown-key.toml:6: accounts.home.maildir.pth: unknown key (expected one of: path)",
        ]
    );
}

#[test]
fn wrong_types_and_values_are_all_reported() {
    assert_eq!(
        problems("wrong-type.toml"),
        [
            "wrong-type.toml:2: general.threaded: expected true or false, found string",
            "wrong-type.toml:3: general.sort: \"random\" is not one of: date, sender, subject, size, thread-activity",
            "wrong-type.toml:4: general.trash: expected a string, found integer",
        ]
    );
}

#[test]
fn missing_paths_and_required_keys() {
    assert_eq!(
        problems("missing-path.toml"),
        [
            "missing-path.toml:2: accounts.home.maildir.path: path /nonexistent/posthorn-test/Maildir does not exist",
            "missing-path.toml:4: accounts.work.maildir.path: missing (required)",
        ]
    );
}

#[test]
fn syntax_errors_give_the_line() {
    let p = problems("bad-syntax.toml");
    assert_eq!(p.len(), 1);
    assert!(
        p[0].starts_with("bad-syntax.toml:2: TOML syntax:"),
        "{}",
        p[0]
    );
}

#[test]
fn unsupported_account_types_and_sections() {
    assert_eq!(
        problems("unsupported.toml"),
        [
            "unsupported.toml:1: accounts.office.imap: imap accounts are not supported by this version yet",
            "unsupported.toml:4: accounts.empty: no account type (expected one of: maildir)",
            "unsupported.toml:6: extra: unknown section (expected one of: general, accounts, keys)",
        ]
    );
}

#[test]
fn check_config_prints_every_problem_and_fails() {
    let out = Command::new(env!("CARGO_BIN_EXE_posthorn"))
        .args(["check-config", "--config"])
        .arg(fixture("wrong-type.toml"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 3, "{err}");
    assert!(
        err.contains("wrong-type.toml:2: general.threaded: expected true or false"),
        "{err}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_posthorn"))
        .args(["check-config", "--config"])
        .arg(fixture("bad-keys.toml"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("keys.x: unknown action \"explode\""), "{err}");
    assert!(
        err.contains("keys.ctrl-: \"ctrl-\" is not a key name"),
        "{err}"
    );
    assert!(
        err.contains("keys.reader:v: \"delete\" is a list action"),
        "{err}"
    );
}

#[test]
fn a_valid_config_checks_ok() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "[accounts.a.maildir]\npath = {:?}\n",
            dir.path().display().to_string()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_posthorn"))
        .args(["check-config", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("OK (1 account(s))"));
}
