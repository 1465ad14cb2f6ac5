//! The NNTP config keys (a contract): host, user, password, tls, ca-file, newsrc,
//! score-file and from parse; newsrc, score-file and from are refused for other
//! protocols; the port follows `tls` (563 implicit, 119 otherwise); an NNTP account is no
//! longer "not available", and the .newsrc defaults to the cache.

use posthorn::account::nntp::settings;
use posthorn::config::{Source, parse_config};
use posthorn::net::TlsMode;
use std::path::Path;

fn nntp(text: &str) -> posthorn::config::ServerConfig {
    let c = parse_config(Path::new("c.toml"), text).unwrap_or_else(|e| panic!("{e:?}"));
    match &c.accounts["news"].source {
        Source::Nntp(s) => s.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_key_of_the_issue_parses() {
    let s = nntp(
        r#"[accounts.news.nntp]
host = "news.example.org"
user = "alice"
password = { command = "pass show news" }
tls = "implicit"
ca-file = "/etc/ssl/private-ca.pem"
newsrc = "~/.newsrc"
score-file = "~/.config/posthorn/score"
from = "Alice <alice@example.org>"
"#,
    );
    assert_eq!(s.newsrc.as_deref(), Some(Path::new("~/.newsrc")));
    assert_eq!(
        s.score_file.as_deref(),
        Some(Path::new("~/.config/posthorn/score"))
    );
    assert_eq!(s.from.as_deref(), Some("Alice <alice@example.org>"));
    let srv = settings(&s);
    assert_eq!((srv.port, srv.tls), (563, TlsMode::Implicit));
    assert_eq!(srv.user.as_deref(), Some("alice"));
    let srv = settings(&nntp(
        "[accounts.news.nntp]\nhost = \"h\"\ntls = \"starttls\"\n",
    ));
    assert_eq!(
        (srv.port, srv.tls, srv.user),
        (119, TlsMode::Starttls, None)
    );
    let srv = settings(&nntp(
        "[accounts.news.nntp]\nhost = \"h\"\ntls = \"none\"\nport = 1119\n",
    ));
    assert_eq!(srv.port, 1119);
}

#[test]
fn nntp_keys_are_refused_elsewhere() {
    for (text, want) in [
        (
            "[accounts.news.imap]\nhost = \"h\"\nnewsrc = \"x\"\n",
            "[imap] newsrc: only NNTP accounts use it",
        ),
        (
            "[accounts.news.pop3]\nhost = \"h\"\nscore-file = \"x\"\n",
            "[pop3] score-file: only NNTP accounts use it",
        ),
        (
            "[accounts.news.imap]\nhost = \"h\"\nfrom = \"a@b\"\n",
            "[imap] from: only NNTP accounts use it",
        ),
    ] {
        let errs = parse_config(Path::new("c.toml"), text).unwrap_err();
        let shown: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert!(shown.iter().any(|e| e.contains(want)), "{text}: {shown:?}");
    }
}

#[test]
fn check_config_no_longer_calls_nntp_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "[general]\nindex = \"{}\"\n[accounts.news.nntp]\nhost = \"h\"\ncache = \"{}\"\n",
            dir.path().join("ix.sqlite").display(),
            dir.path().join("cache").display()
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
