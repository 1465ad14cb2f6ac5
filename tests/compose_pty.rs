//! End to end in a pseudo-terminal (80x24): `c` hands a compose file to $EDITOR (a
//! shell script that fills in To, Subject and the body), the TUI comes back intact with
//! the compose screen, `y` sends through the account's `sendmail` command (a script that
//! writes its stdin to a file), and the list is back. Also: a kill while composing
//! leaves the text, and the next start offers it again.

use expectrl::Session;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Screen {
    session: Session,
    parser: vt100::Parser,
}

impl Screen {
    fn start(dir: &Path, editor: &Path) -> Screen {
        Screen::start_with(dir, Some(editor))
    }

    /// With `editor` None, neither VISUAL nor EDITOR is set: the built-in editor runs.
    fn start_with(dir: &Path, editor: Option<&Path>) -> Screen {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_posthorn"));
        cmd.arg("--config")
            .arg(dir.join("config.toml"))
            .env("TERM", "xterm-256color")
            .env("HOME", dir)
            .env("TZ", "UTC")
            .env_remove("VISUAL")
            .env_remove("EDITOR");
        if let Some(e) = editor {
            cmd.env("EDITOR", e);
        }
        let mut session = Session::spawn(cmd).expect("spawn posthorn in a pty");
        session.get_process_mut().set_window_size(80, 24).unwrap();
        Screen {
            session,
            parser: vt100::Parser::new(24, 80, 0),
        }
    }

    fn pump(&mut self) {
        let mut buf = [0u8; 65536];
        while let Ok(n) = self.session.try_read(&mut buf) {
            if n == 0 {
                break;
            }
            self.parser.process(&buf[..n]);
            // Answer cursor-position queries (ESC [ 6 n) as a real terminal does.
            if buf[..n].windows(4).any(|w| w == b"\x1b[6n") {
                let (row, col) = self.parser.screen().cursor_position();
                self.session
                    .send(format!("\x1b[{};{}R", row + 1, col + 1))
                    .unwrap();
            }
        }
    }

    fn text(&self) -> String {
        self.parser.screen().contents()
    }

    /// Waits (a hang guard, not a speed check) until the screen satisfies `pred`.
    fn wait(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.pump();
            let t = self.text();
            if pred(&t) {
                return t;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{t}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn keys(&mut self, k: &str) {
        self.session.send(k).unwrap();
    }

    fn quit(mut self) {
        self.keys("\x03");
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.session.is_alive().unwrap_or(false) {
            self.pump();
            assert!(Instant::now() < deadline, "posthorn did not exit on ctrl-c");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A Maildir account with one message, sending through a script that keeps what it
/// was given in `sent.eml` (and its arguments in `args`).
fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(d.join("Maildir").join(sub)).unwrap();
    }
    std::fs::write(
        d.join("Maildir/cur/1700000000.1.host:2,S"),
        "From: Ann <ann@example.org>\nTo: robin@example.net\nSubject: Lunch\n\
         Message-ID: <lunch@example.org>\nDate: Mon, 20 Nov 2023 10:00:00 +0000\n\nShall we?\n",
    )
    .unwrap();
    let sendmail = d.join("fake-sendmail.sh");
    std::fs::write(
        &sendmail,
        format!(
            "#!/bin/sh\necho \"$@\" > '{0}/args'\ncat > '{0}/sent.tmp' && mv '{0}/sent.tmp' '{0}/sent.eml'\n",
            d.display()
        ),
    )
    .unwrap();
    let editor = d.join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\n\
         f=\"$1\"\n\
         sed -e 's/^To:.*$/To: Bob <bob@example.test>/' \
             -e 's/^Bcc:.*$/Bcc: carol@example.test/' \
             -e 's/^Subject:.*$/Subject: Hello from the pty/' \"$f\" > \"$f.new\"\n\
         printf 'Body line written by the editor.\\n' >> \"$f.new\"\n\
         mv \"$f.new\" \"$f\"\n",
    )
    .unwrap();
    for f in [&sendmail, &editor] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::write(
        d.join("config.toml"),
        format!(
            "[general]\nindex = \"{0}/data/index.sqlite\"\n\n\
             [accounts.home]\nfrom = \"Robin <robin@example.net>\"\n\n\
             [accounts.home.maildir]\npath = \"{0}/Maildir\"\n\n\
             [accounts.home.sendmail]\ncommand = \"{1}\"\n",
            d.display(),
            sendmail.display()
        ),
    )
    .unwrap();
    (dir, editor)
}

#[test]
fn editor_round_trip_then_send_through_sendmail() {
    let (dir, editor) = setup();
    let mut s = Screen::start(dir.path(), &editor);
    s.wait("the list", |t| t.contains("Lunch"));
    s.keys("c");
    // Waits for the key line: the frame is written top to bottom.
    let t = s.wait("the compose screen", |t| {
        t.contains("Compose — home") && t.contains("y send")
    });
    assert!(t.contains("Subject: Hello from the pty"), "{t}");
    assert!(t.contains("To:      Bob <bob@example.test>"), "{t}");
    // Nothing of the list is left behind (its folder pane border, its rows).
    assert!(!t.contains('│') && !t.contains("Lunch"), "{t}");
    assert!(t.contains("From:    Robin <robin@example.net>"), "{t}");
    assert!(t.contains("Body line written by the editor."), "{t}");
    // The compose file is durable beside the index while the screen shows it.
    let files = compose_files(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");

    s.keys("y");
    let t = s.wait("the list again", |t| {
        t.contains("Lunch") && !t.contains("Compose —")
    });
    let sent = dir.path().join("sent.eml");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sent.exists() {
        s.pump();
        assert!(
            Instant::now() < deadline,
            "sendmail was never run; screen:\n{}",
            s.text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let t2 = s.wait("Sent", |t| t.contains("Sent"));
    let bytes = std::fs::read_to_string(&sent).unwrap();
    assert!(bytes.contains("Subject: Hello from the pty"), "{bytes}");
    assert!(
        bytes.contains("Body line written by the editor."),
        "{bytes}"
    );
    assert!(bytes.contains("bob@example.test"), "{bytes}");
    assert!(
        !bytes.contains("carol@example.test"),
        "Bcc reached the sent bytes: {bytes}"
    );
    // The copy in Sent keeps the Bcc.
    let sent_dir = dir.path().join("Maildir/.Sent");
    let deadline = Instant::now() + Duration::from_secs(20);
    let copy = loop {
        if let Some(f) = maildir_files(&sent_dir).first() {
            break std::fs::read_to_string(f).unwrap();
        }
        s.pump();
        assert!(Instant::now() < deadline, "no copy in Sent");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(copy.contains("Subject: Hello from the pty"), "{copy}");
    assert!(copy.contains("carol@example.test"), "{copy}");
    assert!(t.contains("Lunch") && t2.contains("Lunch"), "{t2}");
    assert!(
        compose_files(dir.path()).is_empty(),
        "the compose file goes once the message is queued"
    );
    s.quit();
}

fn compose_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(accounts) = std::fs::read_dir(dir.join("data/compose")) else {
        return out;
    };
    for a in accounts.flatten() {
        for f in std::fs::read_dir(a.path()).unwrap().flatten() {
            if f.path().extension().is_some_and(|e| e == "eml") {
                out.push(f.path());
            }
        }
    }
    out
}

#[test]
fn a_kill_while_composing_leaves_the_text_for_the_next_start() {
    let (dir, editor) = setup();
    let mut s = Screen::start(dir.path(), &editor);
    s.wait("the list", |t| t.contains("Lunch"));
    s.keys("c");
    s.wait("the compose screen", |t| t.contains("Hello from the pty"));
    // Killed on the compose screen: nothing was sent or saved.
    let pid = s.session.get_process().pid().to_string();
    let killed = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.session.is_alive().unwrap_or(false) {
        s.pump();
        assert!(Instant::now() < deadline, "posthorn outlived SIGKILL");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(s);
    assert_eq!(compose_files(dir.path()).len(), 1);

    let mut s = Screen::start(dir.path(), &editor);
    let t = s.wait("the leftover offered", |t| {
        t.contains("Compose — home") && t.contains("Hello from the pty")
    });
    assert!(t.contains("Body line written by the editor."), "{t}");
    s.keys("q");
    s.wait("the question", |t| {
        t.contains("Throw this message away? (y/n)")
    });
    s.keys("y");
    s.wait("the list", |t| {
        t.contains("Lunch") && !t.contains("Compose —")
    });
    assert!(compose_files(dir.path()).is_empty());
    s.quit();
}

#[test]
fn the_built_in_editor_saves_as_you_type() {
    let (dir, _) = setup();
    let mut s = Screen::start_with(dir.path(), None);
    s.wait("the list", |t| t.contains("Lunch"));
    s.keys("c");
    s.wait("the built-in editor", |t| {
        t.contains("posthorn editor") && t.contains("then the text")
    });
    // The cursor starts at the end of the empty To line.
    s.keys("carol@example.test");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let files = compose_files(dir.path());
        let text = files
            .first()
            .map(|f| std::fs::read_to_string(f).unwrap_or_default())
            .unwrap_or_default();
        if text.contains("carol@example.test") {
            break;
        }
        s.pump();
        assert!(
            Instant::now() < deadline,
            "the typing never reached the compose file: {text:?}\n{}",
            s.text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // ctrl-s: done; the compose screen shows what was typed.
    s.keys("\x13");
    let t = s.wait("the compose screen", |t| {
        t.contains("Compose — home") && t.contains("y send")
    });
    assert!(t.contains("To:      carol@example.test"), "{t}");
    assert!(!t.contains("posthorn editor"), "{t}");
    s.quit();
}

#[test]
fn keys_typed_while_the_editor_runs_do_not_reach_posthorn() {
    let (dir, _) = setup();
    let d = dir.path();
    // An editor that fills the file, says it runs, and waits to be let go.
    let editor = d.join("slow-editor.sh");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\n\
             sed -e 's/^To:.*$/To: bob@example.test/' \"$1\" > \"$1.new\" && mv \"$1.new\" \"$1\"\n\
             touch '{0}/editing'\n\
             while [ ! -e '{0}/go' ]; do sleep 0.05; done\n",
            d.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut s = Screen::start(d, &editor);
    s.wait("the list", |t| t.contains("Lunch"));
    s.keys("c");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !d.join("editing").exists() {
        s.pump();
        assert!(Instant::now() < deadline, "the editor never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Meant for the editor: on the compose screen q would ask to throw the message away.
    // (Enter ends the line, so the terminal hands it on even in its line mode.)
    s.keys("q\r");
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(d.join("go"), "").unwrap();
    let t = s.wait("the compose screen", |t| {
        t.contains("Compose — home") && t.contains("y send")
    });
    assert!(t.contains("bob@example.test"), "{t}");
    // Give a leaked key time to arrive.
    std::thread::sleep(Duration::from_millis(500));
    s.pump();
    let t = s.text();
    assert!(!t.contains("Throw this message away"), "{t}");
    s.quit();
}

/// The files of a Maildir folder's cur/ and new/.
fn maildir_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
            out.extend(rd.flatten().map(|e| e.path()));
        }
    }
    out.sort();
    out
}

#[test]
fn postpone_to_drafts_then_resume_with_e() {
    let (dir, editor) = setup();
    let drafts = dir.path().join("Maildir/.Drafts");
    let mut s = Screen::start(dir.path(), &editor);
    s.wait("the list", |t| t.contains("Lunch"));
    s.keys("c");
    s.wait("the compose screen", |t| {
        t.contains("Compose — home") && t.contains("y send")
    });
    s.keys("P");
    s.wait("saved", |t| t.contains("Saved to Drafts"));
    let saved = maildir_files(&drafts);
    assert_eq!(saved.len(), 1, "{saved:?}");
    let text = std::fs::read_to_string(&saved[0]).unwrap();
    assert!(text.contains("Subject: Hello from the pty"), "{text}");
    assert!(text.contains("Body line written by the editor."), "{text}");
    assert!(
        compose_files(dir.path()).is_empty(),
        "saved: the compose file goes"
    );

    // To the Drafts folder, and E edits the draft again.
    s.keys("\t");
    s.wait("Drafts in the folder pane", |t| {
        t.lines().any(|l| l.trim_start().starts_with("Drafts"))
    });
    s.keys("j\r");
    s.wait("the Drafts list", |t| t.contains("home/Drafts"));
    s.wait("the draft listed", |t| t.contains("Hello from the pty"));
    s.keys("E");
    let t = s.wait("the resumed draft", |t| {
        t.contains("Compose — home") && t.contains("y send")
    });
    assert!(t.contains("Subject: Hello from the pty"), "{t}");
    assert!(t.contains("To:      Bob <bob@example.test>"), "{t}");
    // Saved again: the new draft is stored and the old one is marked deleted.
    s.keys("P");
    s.wait("saved again", |t| t.contains("Saved to Drafts"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let files = maildir_files(&drafts);
        let marked = files
            .iter()
            .filter(|f| {
                f.to_string_lossy()
                    .rsplit(',')
                    .next()
                    .is_some_and(|fl| fl.contains('T'))
            })
            .count();
        if files.len() == 2 && marked == 1 {
            break;
        }
        s.pump();
        assert!(Instant::now() < deadline, "drafts now: {files:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    s.quit();
}

#[test]
fn a_failed_postpone_keeps_the_message() {
    let (dir, editor) = setup();
    // A file where the Drafts folder would go: it cannot be created.
    std::fs::write(dir.path().join("Maildir/.Drafts"), "in the way").unwrap();
    let mut s = Screen::start(dir.path(), &editor);
    s.wait("the list", |t| t.contains("Lunch"));
    s.keys("c");
    s.wait("the compose screen", |t| {
        t.contains("Compose — home") && t.contains("y send")
    });
    s.keys("P");
    let t = s.wait("the error", |t| t.contains("Not saved to Drafts"));
    assert!(t.contains("Compose — home"), "the screen stays: {t}");
    assert_eq!(compose_files(dir.path()).len(), 1, "the text is kept");
    s.quit();
}

#[test]
fn reply_from_the_list() {
    let (dir, _) = setup();
    let mut s = Screen::start(dir.path(), Path::new("true"));
    s.wait("the list", |t| t.contains("Lunch"));
    s.keys("r");
    let t = s.wait("the reply", |t| {
        t.contains("Compose — home") && t.contains("y send")
    });
    assert!(t.contains("To:      Ann <ann@example.org>"), "{t}");
    assert!(t.contains("Subject: Re: Lunch"), "{t}");
    assert!(t.contains("> Shall we?"), "{t}");
    s.quit();
}

#[test]
fn an_account_without_a_way_out_keeps_the_message() {
    let (dir, editor) = setup();
    let cfg = dir.path().join("config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    let cut = text.find("[accounts.home.sendmail]").unwrap();
    std::fs::write(&cfg, &text[..cut]).unwrap();
    let mut s = Screen::start(dir.path(), &editor);
    s.wait("the list", |t| t.contains("Lunch"));
    s.keys("c");
    s.wait("the compose screen", |t| {
        t.contains("Compose — home") && t.contains("y send")
    });
    s.keys("y");
    let t = s.wait("the reason", |t| t.contains("no way to send"));
    let t = if t.contains("Compose — home") {
        t
    } else {
        s.wait("the compose screen back", |t| t.contains("Compose — home"))
    };
    assert!(t.contains("Hello from the pty"), "{t}");
    assert_eq!(compose_files(dir.path()).len(), 1, "the text is kept");
    s.quit();
}
