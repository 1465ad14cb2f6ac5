//! End to end: the real binary in a pseudo-terminal (80x24) on `--demo`: open, move,
//! open a message, delete, undo, read the hostile message, quit with ctrl-c — checking
//! the screen text a user would see and the bytes written to the terminal.

use expectrl::Session;
use std::process::Command;
use std::time::{Duration, Instant};

struct Screen {
    session: Session,
    parser: vt100::Parser,
    /// Every byte posthorn wrote to the terminal.
    raw: Vec<u8>,
}

impl Screen {
    fn start() -> Screen {
        let home = std::env::temp_dir().join(format!("posthorn-e2e-home-{}", std::process::id()));
        std::fs::create_dir_all(&home).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_posthorn"));
        cmd.arg("--demo")
            .env("TERM", "xterm-256color")
            .env("HOME", &home)
            .env("TZ", "UTC");
        let mut session = Session::spawn(cmd).expect("spawn posthorn in a pty");
        session.get_process_mut().set_window_size(80, 24).unwrap();
        Screen {
            session,
            parser: vt100::Parser::new(24, 80, 0),
            raw: Vec::new(),
        }
    }

    fn pump(&mut self) {
        let mut buf = [0u8; 65536];
        while let Ok(n) = self.session.try_read(&mut buf) {
            if n == 0 {
                break;
            }
            self.parser.process(&buf[..n]);
            self.raw.extend_from_slice(&buf[..n]);
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

    /// Waits until the first indexing of the demo is over: no progress shown and the
    /// screen unchanged for half a second.
    fn settle(&mut self) {
        let mut last = String::new();
        let mut since = Instant::now();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.pump();
            let t = self.text();
            if t != last || t.contains("Indexing") {
                last = t;
                since = Instant::now();
            } else if since.elapsed() > Duration::from_millis(500) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never settled:\n{last}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn keys(&mut self, k: &str) {
        self.session.send(k).unwrap();
    }

    fn row(&self, r: u16) -> String {
        self.parser.screen().contents_between(r, 0, r, 80)
    }
}

#[test]
fn demo_open_move_read_delete_undo_quit() {
    let mut s = Screen::start();
    let t = s.wait("the envelope list", |t| {
        t.contains("All inboxes —") && t.contains("Festival newsletter")
    });
    s.settle();
    assert!(
        t.contains("personal/INBOX") && t.contains("work/INBOX"),
        "{t}"
    );

    // Move down two rows and open: the reader shows the headers of that message.
    s.keys("jj");
    s.keys("\r");
    let t = s.wait("the reader", |t| {
        t.contains("From: ") && t.contains("Subject: ")
    });
    let title = s.row(0).trim().to_string();
    assert!(!title.is_empty(), "{t}");
    let subject = title
        .trim_end_matches(" [plain]")
        .trim_end_matches(" [HTML]")
        .to_string();

    // Back to the list, delete it: it leaves the list and the status says so.
    s.keys("q");
    s.wait("the list again", |t| t.contains("All inboxes —"));
    s.keys("d");
    let t = s.wait("the delete notice", |t| {
        t.contains("Moved 1 message to Trash")
    });
    let count_after_delete = t.lines().next().unwrap_or("").to_string();

    // Undo brings it back from Trash.
    s.keys("u");
    let t = s.wait("the undo", |t| {
        t.contains("Undone: Moved 1 message to Trash")
    });
    let _ = t;
    let t = s.wait("the message back in the list", |t| {
        t.lines().next().unwrap_or("") != count_after_delete
            && t.contains(subject.split_whitespace().next().unwrap_or(""))
    });
    assert!(t.contains("All inboxes —"), "{t}");

    // The message whose subject and body carry terminal escapes (OSC 52 writes the
    // clipboard): shown, but no escape of it reaches the terminal.
    s.keys("/from:mallory\r");
    s.wait("the limit", |t| t.contains("1 message matches"));
    s.keys("\r");
    s.wait("the hostile message", |t| {
        t.contains("From: ") && t.contains("Mallory")
    });
    s.keys("q");
    s.wait("the list again", |t| t.contains("All inboxes —"));
    // Alone, so it is not read as alt plus the next key.
    s.keys("\x1b");
    s.wait("the limit cleared", |t| {
        t.contains("All inboxes —") && !t.contains("matching")
    });
    let osc52 = s.raw.windows(4).filter(|w| w == b"\x1b]52").count();
    assert_eq!(osc52, 0, "an OSC 52 sequence reached the terminal");
    assert!(
        !s.raw.contains(&0x07),
        "a BEL (which ends OSC sequences) reached the terminal"
    );

    // Help overlay, then quit with ctrl-c (it quits whatever the bindings).
    s.keys("?");
    s.wait("the help", |t| t.contains("Keys (j/k scroll"));
    s.keys("q");
    s.wait("help closed", |t| !t.contains("Keys (j/k scroll"));
    s.keys("\x03");
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.session.is_alive().unwrap_or(false) {
        s.pump();
        assert!(Instant::now() < deadline, "posthorn did not exit on ctrl-c");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn no_config_explains_how_to_configure() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_posthorn"))
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("cfg"))
        .env_remove("MAIL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("posthorn --demo") && err.contains("[accounts.home.maildir]"),
        "{err}"
    );
}
