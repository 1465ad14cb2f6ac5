//! The POP3 config keys (a contract): auth, leave-on-server, delete-after-days, max-size
//! and check-every parse into the account's settings; they are refused for other
//! protocols and in combinations that make no sense; a POP3 account is no longer
//! "not available"; the port follows `tls`.

use posthorn::account::pop3::settings;
use posthorn::config::{AuthMethod, Source, parse_byte_size, parse_config};
use posthorn::net::TlsMode;
use posthorn::protocol::pop3::Pop3Auth;
use std::path::Path;
use std::time::Duration;

fn pop3(text: &str) -> posthorn::config::ServerConfig {
    let c = parse_config(Path::new("c.toml"), text).unwrap_or_else(|e| panic!("{e:?}"));
    match &c.accounts["home"].source {
        Source::Pop3(s) => s.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_key_of_the_issue_parses() {
    let s = pop3(
        r#"[accounts.home.pop3]
host = "pop.example.org"
user = "alice"
password = { command = "pass show home" }
tls = "implicit"
ca-file = "/etc/ssl/private-ca.pem"
auth = "apop"
leave-on-server = true
delete-after-days = 14
max-size = "5 MB"
check-every = "5m"
cache = "/tmp/x"
"#,
    );
    assert_eq!(s.auth, Some(AuthMethod::Apop));
    assert_eq!(s.leave_on_server, Some(true));
    assert_eq!(s.delete_after_days, Some(14));
    assert_eq!(s.max_size, Some(5_000_000));
    assert_eq!(s.check_every, Some(Duration::from_secs(300)));
    let (server, policy) = settings(&s).unwrap();
    assert_eq!((server.port, server.tls), (995, TlsMode::Implicit));
    assert_eq!(server.auth, Pop3Auth::Apop);
    assert_eq!(server.user, "alice");
    assert!(policy.leave_on_server);
    assert_eq!(policy.delete_after_days, Some(14));
    for (auth, want) in [
        ("auto", Pop3Auth::Auto),
        ("user", Pop3Auth::User),
        ("plain", Pop3Auth::Plain),
        ("login", Pop3Auth::Login),
        ("xoauth2", Pop3Auth::Xoauth2),
    ] {
        let s = pop3(&format!(
            "[accounts.home.pop3]\nhost = \"h\"\nuser = \"u\"\nauth = \"{auth}\"\ntls = \"starttls\"\n"
        ));
        let (server, policy) = settings(&s).unwrap();
        assert_eq!(server.auth, want);
        assert_eq!(server.port, 110, "starttls: the plain port");
        assert!(policy.leave_on_server, "leave-on-server defaults to true");
    }
}

#[test]
fn sizes_parse_with_their_units() {
    assert_eq!(parse_byte_size("5 MB"), Ok(5_000_000));
    assert_eq!(parse_byte_size("500KB"), Ok(500_000));
    assert_eq!(parse_byte_size("2 MiB"), Ok(2 << 20));
    assert_eq!(parse_byte_size("1000"), Ok(1000));
    assert!(parse_byte_size("0").is_err());
    assert!(parse_byte_size("5 parsecs").is_err());
    assert!(parse_byte_size("-5 MB").is_err());
}

#[test]
fn wrong_keys_and_combinations_are_refused_with_the_reason() {
    let cases = [
        (
            "[accounts.home.imap]\nhost = \"h\"\nleave-on-server = false\n",
            "[imap] leave-on-server: only POP3 accounts use it",
        ),
        (
            "[accounts.home.nntp]\nhost = \"h\"\nmax-size = \"1 MB\"\n",
            "[nntp] max-size: only POP3 accounts use it",
        ),
        (
            "[accounts.home.imap]\nhost = \"h\"\nauth = \"apop\"\n",
            "[imap] auth: only POP3 accounts use it",
        ),
        (
            "[accounts.home.pop3]\nhost = \"h\"\nleave-on-server = false\ndelete-after-days = 3\n",
            "delete-after-days: only with leave-on-server = true",
        ),
        (
            "[accounts.home.pop3]\nhost = \"h\"\ndelete-after-days = 0\n",
            "delete-after-days: must be at least 1",
        ),
        (
            "[accounts.home.pop3]\nhost = \"h\"\nmax-size = \"lots\"\n",
            "`lots`: expected a size like",
        ),
        (
            "[accounts.home.pop3]\nhost = \"h\"\nauth = \"kerberos\"\n",
            "kerberos",
        ),
    ];
    for (text, want) in cases {
        let errs = parse_config(Path::new("c.toml"), text).unwrap_err();
        let shown: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert!(shown.iter().any(|e| e.contains(want)), "{text}: {shown:?}");
    }
    // A POP3 table without a user cannot log in: the account says so.
    let s = pop3("[accounts.home.pop3]\nhost = \"h\"\n");
    assert_eq!(settings(&s).unwrap_err(), "[pop3] user: missing");
}

#[test]
fn check_config_no_longer_calls_pop3_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "[general]\nindex = \"{}\"\n[accounts.home.pop3]\nhost = \"h\"\nuser = \"u\"\npassword = {{ command = \"echo pw\" }}\n",
            dir.path().join("ix.sqlite").display()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_posthorn"))
        .args(["--config", &cfg.display().to_string(), "check-config"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("not available"), "{err}");
}
