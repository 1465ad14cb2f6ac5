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
fn empty_accounts_and_unknown_sections() {
    assert_eq!(
        problems("unsupported.toml"),
        [
            "unsupported.toml:4: accounts.empty: no account type (expected one of: maildir, imap, pop3, nntp, mbox, mh, babyl, mmdf)",
            "unsupported.toml:6: extra: unknown key (expected one of: general, accounts, keys, searches)",
        ]
    );
}

fn check(cfg: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_posthorn"))
        .args(["check-config", "--config"])
        .arg(cfg)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn reserved_account_keys_are_valid_with_warnings() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::copy(fixture("reserved.toml"), &cfg).unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (ok, out, err) = check(&cfg);
    assert!(ok, "{err}");
    assert!(out.contains("OK (7 account(s))"), "{out}");
    assert!(
        err.lines().all(|l| l.starts_with("warning: ")),
        "only warnings: {err}"
    );
    // IMAP accounts open now: no warning for them.
    assert!(!err.contains("accounts.work.imap:"), "{err}");
    // Local mailbox formats (mbox, MH, Babyl, MMDF) are available.
    assert!(
        !err.contains("mmdf accounts are not available")
            && !err.contains("mbox accounts are not available"),
        "{err}"
    );
    assert!(
        err.contains(":15: accounts.work.smtp.password: a password written in a file that group or others can read"),
        "{err}"
    );
    assert!(!err.contains("hunter2") && !out.contains("hunter2"));
    // Only the file's owner can read it: no password warning.
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (ok, _, err) = check(&cfg);
    assert!(ok && !err.contains("password"), "{err}");
    let c = parse_config(&cfg, &std::fs::read_to_string(&cfg).unwrap()).unwrap();
    assert!(!format!("{c:?}").contains("hunter2"));
}

#[test]
fn two_sources_or_two_senders_name_the_account() {
    assert_eq!(
        problems("conflicts.toml"),
        [
            "conflicts.toml:1: accounts.two: an account reads from one source, found imap and pop3",
            "conflicts.toml:6: accounts.both: an account sends through smtp or sendmail, not both",
            "conflicts.toml:15: accounts.bad.mbox.variant: \"mboxz\" is not one of: mboxo, mboxrd, mboxcl, mboxcl2",
            "conflicts.toml:16: accounts.bad.imap.tls: expected one of: implicit, starttls, none, found table",
        ]
    );
}

#[test]
fn server_keys_are_checked_per_protocol() {
    let cases = [
        (
            "[accounts.a.imap]\nuser = \"x\"\n",
            "accounts.a: [imap] host: missing (or give a tunnel command)",
        ),
        (
            "[accounts.a.pop3]\nhost = \"h\"\ntunnel = \"ssh h imapd\"\n",
            "accounts.a: [pop3] tunnel: only IMAP accounts can use a tunnel",
        ),
        (
            "[accounts.a.imap]\nhost = \"h\"\nbodies = \"sometimes\"\n",
            "`sometimes`: expected \"all\", \"none\" or a number of days like \"30d\"",
        ),
        (
            "[accounts.a.imap]\nhost = \"h\"\ncheck-every = \"5 fortnights\"\n",
            "`5 fortnights`: unknown unit `fortnights` (use s, m, h or d)",
        ),
    ];
    for (text, want) in cases {
        let errs = parse_config(std::path::Path::new("c.toml"), text).unwrap_err();
        let shown: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert!(shown.iter().any(|e| e.contains(want)), "{text}: {shown:?}");
    }
    let ok = "[accounts.a.imap]\ntunnel = \"ssh h /usr/lib/dovecot/imap\"\nbodies = \"30d\"\ncheck-every = \"90s\"\n";
    let c = parse_config(std::path::Path::new("c.toml"), ok).unwrap();
    let posthorn::config::Source::Imap(s) = &c.accounts["a"].source else {
        panic!()
    };
    assert_eq!(
        s.bodies,
        Some(posthorn::config::BodyPolicy::NewerThanDays(30))
    );
    assert_eq!(s.check_every, Some(std::time::Duration::from_secs(90)));
    assert_eq!(s.tunnel.as_deref(), Some("ssh h /usr/lib/dovecot/imap"));
}

#[test]
fn an_index_that_cannot_be_written_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    for (index, why) in [
        (dir.path().to_path_buf(), "is a directory"),
        (file.join("index.sqlite"), "is not a directory"),
    ] {
        let text = format!("[general]\nindex = {:?}\n", index.display().to_string());
        let errs = parse_config(Path::new("c.toml"), &text).expect_err("invalid index");
        assert_eq!(errs.len(), 1, "{errs:?}");
        let e = errs[0].to_string();
        assert!(e.starts_with("c.toml:2: general.index: "), "{e}");
        assert!(e.contains(why), "{e}");
    }
    let ok = format!(
        "[general]\nindex = {:?}\n",
        dir.path()
            .join("new/dir/index.sqlite")
            .display()
            .to_string()
    );
    assert!(parse_config(Path::new("c.toml"), &ok).is_ok());
}

#[test]
fn every_binding_problem_is_reported_with_its_line() {
    let (ok, _, err) = check(&fixture("many-bad-keys.toml"));
    assert!(!ok);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(lines[0].ends_with("many-bad-keys.toml:4: keys.x: unknown action \"explode\" (see `?` in posthorn for the list)"), "{err}");
    assert!(
        lines[1].ends_with("many-bad-keys.toml:5: keys.q: expected a string, found integer"),
        "{err}"
    );
    assert!(
        lines[2].contains(":6: keys.ctrl-: \"ctrl-\" is not a key name"),
        "{err}"
    );
    assert!(
        lines[3].contains(":7: keys.reader:v: \"delete\" is a list action"),
        "{err}"
    );
}

#[test]
fn forty_thousand_unknown_keys_are_all_reported() {
    // Linear by construction: one spanned parse and one line index (the old code
    // rescanned the text for every key and took 38 s here).
    let mut text = String::from("[general]\n");
    for i in 0..40_000 {
        text.push_str(&format!("k{i} = 1\n"));
    }
    let errs = parse_config(Path::new("c.toml"), &text).expect_err("invalid");
    assert_eq!(errs.len(), 40_000);
    assert_eq!(errs[39_999].line, Some(40_001));
    assert!(
        errs[0]
            .to_string()
            .starts_with("c.toml:2: general.k0: unknown key")
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

#[test]
fn every_commented_key_in_the_example_is_a_real_key() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join("Maildir")).unwrap();
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml"))
            .unwrap();
    // Uncomment every `# [table]` and `# key = value` line.
    let mut uncommented = String::new();
    let mut n = 0;
    for line in text.lines() {
        let body = line.strip_prefix("# ").unwrap_or("");
        let is_key = body.starts_with('[')
            || body
                .split_once(" = ")
                .is_some_and(|(k, _)| !k.is_empty() && !k.contains(' '));
        if is_key {
            n += 1;
            uncommented.push_str(body);
        } else {
            uncommented.push_str(line);
        }
        uncommented.push('\n');
    }
    assert!(n > 30, "found only {n} commented keys");
    let text = uncommented.replace(
        "~/Maildir",
        &home.path().join("Maildir").display().to_string(),
    );
    let text = text.replace(
        "~/.local/share/posthorn/index.sqlite",
        &home.path().join("ix.sqlite").display().to_string(),
    );
    let c = parse_config(Path::new("config.example.toml"), &text)
        .unwrap_or_else(|e| panic!("{e:#?}\n{text}"));
    assert_eq!(c.accounts.len(), 8);
    assert_eq!(c.keys.len(), 2);
}

#[test]
fn saved_searches_must_be_queries_that_parse() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    std::fs::write(
        &p,
        format!(
            "[accounts.home.maildir]\npath = \"{}\"\n[searches]\nok = \"from:ann is:unread\"\nbad = \"from:ann (report\"\nempty = \" \"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    let checked = posthorn::config::check(&p, &text);
    let errs: Vec<String> = checked
        .config
        .unwrap_err()
        .iter()
        .map(|e| e.to_string().replace(&format!("{}:", p.display()), ""))
        .collect();
    assert_eq!(
        errs,
        [
            "5: searches.bad: query: column 10: this ( is never closed",
            "6: searches.empty: the query is empty",
        ]
    );
    std::fs::write(
        &p,
        text.replace("\"from:ann (report\"", "\"x\"")
            .replace("\" \"", "\"y\""),
    )
    .unwrap();
    let ok = posthorn::config::load(&p).unwrap();
    assert_eq!(
        ok.searches.get("ok").map(String::as_str),
        Some("from:ann is:unread")
    );
}
