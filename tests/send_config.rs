//! The `[smtp]` and `[sendmail]` tables: what check-config accepts (no more "sending is
//! not available" warning), what it refuses with the key named, and the port defaults.

use posthorn::account::smtp::SmtpSubmitter;
use posthorn::config::{ServerConfig, check};
use posthorn::core::AccountId;
use std::path::Path;

fn checked(table: &str) -> (Result<(), Vec<String>>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[accounts.a.maildir]\npath = \"{}\"\n{table}\n",
        dir.path().display()
    );
    let c = check(Path::new("c.toml"), &text);
    let warnings = c.warnings.iter().map(|w| w.to_string()).collect();
    let result = c
        .config
        .map(|_| ())
        .map_err(|e| e.iter().map(|e| e.to_string()).collect());
    (result, warnings)
}

#[test]
fn smtp_and_sendmail_tables_are_accepted_without_a_warning() {
    for table in [
        "[accounts.a.smtp]\nhost = \"smtp.example.org\"\ntls = \"starttls\"\nuser = \"ann\"\npassword = { command = \"pass show x\" }\nauth = \"xoauth2\"",
        "[accounts.a.smtp]\nhost = \"smtp.example.org\"\nauth = \"login\"\nuser = \"u\"",
        "[accounts.a.smtp]\nhost = \"localhost\"\ntls = \"none\"",
        "[accounts.a.sendmail]\ncommand = \"/usr/sbin/sendmail -oi -t\"",
    ] {
        let (r, warnings) = checked(table);
        assert_eq!(r, Ok(()), "{table}");
        assert!(warnings.is_empty(), "{table}: {warnings:?}");
    }
}

#[test]
fn smtp_keys_that_make_no_sense_are_refused_by_name() {
    for (table, want) in [
        (
            "[accounts.a.smtp]\nhost = \"h\"\nuser = \"u\"\nauth = \"apop\"",
            "[smtp] auth: SMTP logs in with \"plain\", \"login\" or \"xoauth2\"",
        ),
        (
            "[accounts.a.smtp]\nhost = \"h\"\nauth = \"plain\"",
            "[smtp] auth: needs a user",
        ),
        (
            "[accounts.a.smtp]\nhost = \"h\"\ntunnel = \"ssh x\"",
            "[smtp] tunnel",
        ),
        (
            "[accounts.a.smtp]\nhost = \"h\"\nbodies = \"all\"",
            "[smtp] bodies",
        ),
        ("[accounts.a.smtp]\nport = 587", "[smtp] host: missing"),
        (
            "[accounts.a.sendmail]\ncommand = \" \"",
            "[sendmail] command: empty",
        ),
    ] {
        let (r, _) = checked(table);
        let errs = r.expect_err(table);
        assert!(
            errs.iter()
                .any(|e| e.contains("accounts.a") && e.contains(want)),
            "{table}: {errs:?}"
        );
    }
}

#[test]
fn smtp_ports_default_by_tls() {
    for (tls, port) in [("implicit", 465), ("starttls", 587), ("none", 25)] {
        let cfg: ServerConfig = toml::from_str(&format!("host = \"h\"\ntls = \"{tls}\"")).unwrap();
        assert_eq!(SmtpSubmitter::new(AccountId("a".into()), cfg).port(), port);
    }
    let cfg: ServerConfig = toml::from_str("host = \"h\"\nport = 2525").unwrap();
    assert_eq!(SmtpSubmitter::new(AccountId("a".into()), cfg).port(), 2525);
}

#[test]
fn logging_in_without_tls_is_a_warning() {
    let (r, warnings) = checked(
        "[accounts.a.smtp]\nhost = \"h\"\ntls = \"none\"\nuser = \"u\"\npassword = { command = \"x\" }",
    );
    assert_eq!(r, Ok(()));
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("accounts.a.smtp.tls") && w.contains("in the clear")),
        "{warnings:?}"
    );
}
