//! `posthorn send` and `posthorn outbox` as a user runs them: exit 0 when the server
//! accepted the message (with a copy in the account's Sent folder), non-zero with the
//! server's reply when it did not (the message then stays in the outbox, `outbox` lists
//! it, and `outbox --flush` sends it once the account is fixed).

mod common;
mod send_support;

use common::testbed::testbed;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let mail = dir.path().join("mail");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(mail.join(sub)).unwrap();
        }
        Env { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// A local Maildir account `a` sending through `sending` (a TOML table body).
    fn write_config(&self, sending: &str) {
        let d = self.dir.path();
        let text = format!(
            "[general]\nindex = \"{}\"\n\n[accounts.a]\nfrom = \"Alice <alice@example.test>\"\n[accounts.a.maildir]\npath = \"{}\"\n{sending}\n",
            d.join("index.sqlite").display(),
            d.join("mail").display(),
        );
        std::fs::write(self.config(), text).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(self.config(), std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    fn smtp(&self, password: &str) {
        let tb = testbed();
        self.write_config(&format!(
            "[accounts.a.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\nuser = \"alice\"\npassword = \"{password}\"\nca-file = \"{}\"\n",
            tb.submission_port,
            tb.ca_file.display()
        ));
    }

    fn run(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_posthorn"))
            .arg("--config")
            .arg(self.config())
            .args(args)
            .env("HOME", self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    }

    fn outbox(&self) -> PathBuf {
        self.dir.path().join("outbox")
    }

    fn sent_copies(&self) -> Vec<Vec<u8>> {
        let cur = self.dir.path().join("mail/.Sent/cur");
        files_in(&cur)
    }
}

fn files_in(dir: &Path) -> Vec<Vec<u8>> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| std::fs::read(e.path()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn message(tag: &str) -> (String, Vec<u8>) {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mid = format!("<cli-{tag}.{n}@example.test>");
    let m = format!(
        "From: Alice <alice@example.test>\nTo: Bob <bob@example.test>\nBcc: carol@example.test\nSubject: cli {tag}\nMessage-ID: {mid}\n\nSent from the command line.\n"
    );
    (mid, m.into_bytes())
}

#[test]
fn send_exits_0_once_accepted_and_files_a_sent_copy() {
    let tb = testbed();
    let env = Env::new();
    env.smtp("alicepw");
    let (mid, msg) = message("ok");
    let o = env.run(&["send"], &msg);
    assert!(o.status.success(), "stderr: {}", text(&o.stderr));
    assert!(text(&o.stdout).contains("sent to bob@example.test"));
    assert_eq!(send_support::entry_count(&env.outbox()), 0);
    let got = send_support::fetch_by_message_id(tb, &tb.user("bob"), &mid);
    let got = text(&got);
    assert!(got.contains("Sent from the command line."));
    assert!(got.contains("Date: "), "a Date was added");
    assert!(!got.contains("Bcc"), "{got}");
    let carols = send_support::fetch_by_message_id(tb, &tb.user("carol"), &mid);
    assert!(!text(&carols).contains("Bcc"));
    let sent = env.sent_copies();
    assert_eq!(sent.len(), 1, "one copy in Sent");
    assert!(text(&sent[0]).contains(&mid));
    assert!(
        text(&sent[0]).contains("Bcc: carol@example.test"),
        "the copy keeps the Bcc"
    );
}

#[test]
fn send_fails_with_the_server_reply_and_the_message_waits_for_a_flush() {
    let _ = testbed();
    let env = Env::new();
    env.smtp("wrong-password-77");
    let (_, msg) = message("fail");
    let o = env.run(&["send"], &msg);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(err.contains("535"), "the server's reply: {err}");
    assert!(err.contains("stays in the outbox"), "{err}");
    assert!(!err.contains("wrong-password-77"), "{err}");
    assert_eq!(send_support::entry_count(&env.outbox()), 1);
    assert!(
        env.sent_copies().is_empty(),
        "no Sent copy of an unsent message"
    );

    let o = env.run(&["outbox"], b"");
    assert!(o.status.success());
    let listing = text(&o.stdout);
    assert!(
        listing.contains("cli fail") && listing.contains("attempts 1"),
        "{listing}"
    );
    assert!(listing.contains("535"), "{listing}");

    // Still wrong: the flush fails too.
    let o = env.run(&["outbox", "--flush"], b"");
    assert!(!o.status.success(), "{}", text(&o.stdout));
    assert_eq!(send_support::entry_count(&env.outbox()), 1);

    env.smtp("alicepw");
    let o = env.run(&["outbox", "--flush"], b"");
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(send_support::entry_count(&env.outbox()), 0);
    assert_eq!(env.sent_copies().len(), 1);
    let o = env.run(&["outbox"], b"");
    assert!(text(&o.stdout).contains("empty"));
}

#[test]
fn send_refuses_a_message_without_recipients_and_queues_nothing() {
    let env = Env::new();
    env.write_config("[accounts.a.sendmail]\ncommand = \"cat > /dev/null\"\n");
    let o = env.run(&["send"], b"From: alice@example.test\nSubject: x\n\nbody\n");
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("no recipients"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(send_support::entry_count(&env.outbox()), 0);
}

#[test]
fn a_failing_sendmail_command_gives_a_non_zero_status() {
    let env = Env::new();
    env.write_config(
        "[accounts.a.sendmail]\ncommand = \"cat > /dev/null; echo refused >&2; exit 3\"\n",
    );
    let o = env.run(
        &["send"],
        b"From: alice@example.test\nTo: b@example.test\n\nbody\n",
    );
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(
        err.contains("exit status 3") && err.contains("refused"),
        "{err}"
    );
    assert_eq!(send_support::entry_count(&env.outbox()), 1);
}

#[test]
fn an_imap_account_appends_its_sent_copy_to_the_servers_sent_folder() {
    let tb = testbed();
    let env = Env::new();
    let d = env.dir.path();
    let config = format!(
        "[general]\nindex = \"{ix}\"\n\n[accounts.w]\nfrom = \"Alice <alice@example.test>\"\n\
         [accounts.w.imap]\nhost = \"127.0.0.1\"\nport = {imaps}\nuser = \"alice\"\npassword = \"alicepw\"\n\
         ca-file = \"{ca}\"\ncache = \"{cache}\"\n\
         [accounts.w.smtp]\nhost = \"127.0.0.1\"\nport = {sub}\ntls = \"starttls\"\nuser = \"alice\"\n\
         password = \"alicepw\"\nca-file = \"{ca}\"\n",
        ix = d.join("index.sqlite").display(),
        imaps = tb.imaps_port,
        sub = tb.submission_port,
        ca = tb.ca_file.display(),
        cache = d.join("cache").display(),
    );
    std::fs::write(env.config(), config).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(env.config(), std::fs::Permissions::from_mode(0o600)).unwrap();
    let (mid, msg) = message("imap-sent");
    let o = env.run(&["send"], &msg);
    assert!(o.status.success(), "stderr: {}", text(&o.stderr));
    assert!(!text(&o.stderr).contains("warning"), "{}", text(&o.stderr));
    let copy = send_support::fetch_from(tb, &tb.user("alice"), "Sent", &mid);
    assert!(
        text(&copy).contains("Bcc: carol@example.test"),
        "the copy keeps the Bcc"
    );
    send_support::fetch_by_message_id(tb, &tb.user("bob"), &mid);
}

#[test]
fn a_failed_sent_copy_is_a_warning_not_a_resend() {
    let env = Env::new();
    let piped = env.dir.path().join("piped");
    env.write_config(&format!(
        "[accounts.a.sendmail]\ncommand = \"cat >> '{}'\"\n",
        piped.display()
    ));
    // A file where the Sent folder would go: the copy cannot be made.
    std::fs::write(env.dir.path().join("mail/.Sent"), b"in the way").unwrap();
    let o = env.run(
        &["send"],
        b"From: alice@example.test\nTo: b@example.test\nSubject: once\n\nbody\n",
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("sent, but the copy in Sent failed"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(
        send_support::entry_count(&env.outbox()),
        0,
        "not queued again"
    );
    let o = env.run(&["outbox", "--flush"], b"");
    assert!(o.status.success());
    let piped = std::fs::read_to_string(&piped).unwrap();
    assert_eq!(
        piped.matches("Subject: once").count(),
        1,
        "sent exactly once"
    );
}
