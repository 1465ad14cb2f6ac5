//! Interoperability with Python's `mailbox` module (python3 is on every machine):
//! mailboxes Python writes are read by posthorn with the same messages and flags, and
//! mailboxes posthorn writes are read by Python the same way; Python's locks keep
//! posthorn out and posthorn's keep Python out.
//!
//! Flags are compared through Python's own conversions to `MaildirMessage` (the
//! mapping every format's message class defines), so "the same flags" means what
//! Python, mutt and Emacs would show.

use posthorn::core::Flags;
use posthorn::store::Maildir;
use posthorn::store::formats::{ConvertOptions, Format, convert, header};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The helper: `write FORMAT PATH` reads [[hex, flags], ...] on stdin and adds each
/// message (as Python converts a MaildirMessage with those flags); `read FORMAT PATH`
/// prints [[hex, maildir flags, labels], ...] of what Python reads.
const HELPER: &str = r#"
import json, mailbox, sys
mode, fmt, path = sys.argv[1:4]
cls = {'mbox': (mailbox.mbox, mailbox.mboxMessage), 'mmdf': (mailbox.MMDF, mailbox.MMDFMessage),
       'mh': (mailbox.MH, mailbox.MHMessage), 'babyl': (mailbox.Babyl, mailbox.BabylMessage),
       'maildir': (mailbox.Maildir, mailbox.MaildirMessage)}[fmt]
box = cls[0](path, create=(mode == 'write'))
if mode == 'write':
    box.lock()
    for hexbytes, flags in json.load(sys.stdin):
        md = mailbox.MaildirMessage(bytes.fromhex(hexbytes))
        md.set_subdir('cur'); md.set_flags(flags)
        box.add(cls[1](md))
    box.flush(); box.unlock(); box.close()
else:
    out = []
    for key in box.keys():
        raw = box.get_bytes(key)
        msg = box.get_message(key)
        labels = []
        if fmt == 'babyl':
            # Python 3 reads labels as bytes (and then maps none of them): decode.
            labels = [l.decode() if isinstance(l, bytes) else l for l in msg.get_labels()]
            msg.set_labels(labels)
        out.append([raw.hex(), ''.join(sorted(mailbox.MaildirMessage(msg).get_flags())), labels])
    print(json.dumps(out))
"#;

fn python(args: &[&str], stdin: &str) -> String {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(HELPER)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|c| format!("{c:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn messages() -> Vec<(Vec<u8>, &'static str)> {
    vec![
        (
            b"From: Ann <ann@example.org>\nSubject: plain\nMessage-ID: <1@t>\n\nHello.\n".to_vec(),
            "S",
        ),
        (
            b"From: b@example.org\nSubject: from lines\nMessage-ID: <2@t>\n\nFrom the start\n>From quoted\nend\n".to_vec(),
            "FR",
        ),
        (
            "From: J\u{f6}rg <j@example.org>\nSubject: Gr\u{fc}\u{df}e\nMessage-ID: <3@t>\n\n\u{c4}pfel.\n"
                .as_bytes()
                .to_vec(),
            "PST",
        ),
        (
            b"From: c@example.org\nSubject: no end\nMessage-ID: <4@t>\n\nno newline".to_vec(),
            "",
        ),
        (b"".to_vec(), "S"),
    ]
}

/// The messages as Python reads them: (bytes, maildir flags, labels).
fn python_read(fmt: &str, path: &Path) -> Vec<(Vec<u8>, String, Vec<String>)> {
    let out = python(&["read", fmt, path.to_str().unwrap()], "");
    let v: Vec<(String, String, Vec<String>)> = serde_json::from_str(&out).unwrap();
    v.into_iter().map(|(h, f, l)| (unhex(&h), f, l)).collect()
}

/// What posthorn reads: converted to a Maildir, (bytes, flags) in file order of the
/// Maildir names (the conversion keeps the source order).
fn posthorn_read(from: &str, path: &Path, dir: &Path) -> Vec<(Vec<u8>, String)> {
    let out = dir.join(format!("read-{from}"));
    let o = ConvertOptions {
        from: Some(Format::parse(from).unwrap()),
        to: Some(Format::Maildir),
        ..Default::default()
    };
    convert(path, &out, &o, &mut |_| {}).unwrap();
    let md = Maildir::open(&out);
    let mut entries = md.list().unwrap();
    // Unique names carry a per-process counter (Q...): sort by it for file order.
    entries.sort_by_key(|e| {
        let q = e.id.0.split('Q').nth(1).unwrap_or("0");
        q.split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap_or("0")
            .parse::<u64>()
            .unwrap_or(0)
    });
    entries
        .into_iter()
        .map(|e| (md.read(&e).unwrap(), e.flags.to_maildir()))
        .collect()
}

/// The Message-ID of a message ("" when it has none): the order to compare in (a
/// Maildir has none of its own).
fn mid(b: &[u8]) -> String {
    let hend = header::header_end(b).unwrap_or(b.len());
    header::value(&b[..hend], "Message-ID")
        .map(|v| String::from_utf8_lossy(&v).into_owned())
        .unwrap_or_default()
}

fn strip_status(b: &[u8]) -> Vec<u8> {
    let hend = header::header_end(b).unwrap_or(b.len());
    let mut out = header::without(&b[..hend], &["status", "x-status"]);
    out.extend_from_slice(&b[hend..]);
    out
}

/// `>From ` lines lose one `>` (how an mboxo body reads).
fn unquote_o(b: &[u8]) -> Vec<u8> {
    let s = String::from_utf8_lossy(b).into_owned();
    let mut out = String::new();
    for (i, l) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(
            l.strip_prefix(">From ")
                .map(|r| format!("From {r}"))
                .as_deref()
                .unwrap_or(l),
        );
    }
    out.into_bytes()
}

fn payload() -> String {
    let v: Vec<(String, String)> = messages()
        .into_iter()
        .map(|(b, f)| (hex(&b), f.to_string()))
        .collect();
    serde_json::to_string(&v).unwrap()
}

#[test]
fn mailboxes_python_writes_read_the_same_in_posthorn() {
    let dir = tempfile::tempdir().unwrap();
    for (fmt, read_as) in [
        ("mbox", "mboxo"),
        ("mmdf", "mmdf"),
        ("mh", "mh"),
        ("maildir", "maildir"),
    ] {
        let path = dir.path().join(format!("py.{fmt}"));
        python(&["write", fmt, path.to_str().unwrap()], &payload());
        let mut theirs = python_read(fmt, &path);
        let mut ours = posthorn_read(read_as, &path, dir.path());
        theirs.sort_by_key(|t| mid(&t.0));
        ours.sort_by_key(|o| mid(&o.0));
        assert_eq!(ours.len(), theirs.len(), "{fmt}");
        for (i, ((ob, of), (tb, tf, _))) in ours.iter().zip(&theirs).enumerate() {
            // Python's mbox reader leaves the quoting on `From ` lines; posthorn reads
            // the mboxo file Python wrote without it.
            let want = if fmt == "mbox" {
                unquote_o(tb)
            } else {
                tb.clone()
            };
            assert_eq!(
                String::from_utf8_lossy(&strip_status(ob)),
                String::from_utf8_lossy(&strip_status(&want)),
                "{fmt} message {i}"
            );
            assert_eq!(of, tf, "{fmt} message {i} flags");
        }
    }
}

#[test]
fn babyl_python_writes_with_labels_reads_in_posthorn() {
    // Python 3's Babyl writes no visible-header copy for its own BabylMessage (and then
    // cannot read the file back); posthorn still reads every message and label.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("py.babyl");
    python(&["write", "babyl", path.to_str().unwrap()], &payload());
    let mut ours = posthorn_read("babyl", &path, dir.path());
    assert_eq!(ours.len(), messages().len());
    ours.sort_by_key(|o| mid(&o.0));
    let mut orig = messages();
    orig.sort_by_key(|o| mid(&o.0));
    for (i, ((ob, of), (orig, flags))) in ours.iter().zip(orig).enumerate() {
        let mut want = orig.clone();
        if want.is_empty() {
            want = b"\n".to_vec();
        }
        assert_eq!(
            String::from_utf8_lossy(ob),
            String::from_utf8_lossy(&want),
            "babyl message {i}"
        );
        // Babyl keeps seen (no `unseen`), answered, forwarded, deleted; not flagged.
        let kept: String = flags.chars().filter(|c| "SRPT".contains(*c)).collect();
        let mut k: Vec<char> = kept.chars().collect();
        k.sort();
        assert_eq!(
            *of,
            k.into_iter().collect::<String>(),
            "babyl message {i} flags"
        );
    }
}

#[test]
fn mailboxes_posthorn_writes_read_the_same_in_python() {
    let dir = tempfile::tempdir().unwrap();
    let orig = Maildir::create(dir.path().join("orig")).unwrap();
    for (b, f) in messages() {
        orig.deliver(&b, Flags::from_maildir(f)).unwrap();
    }
    for (to, py_fmt) in [
        ("mboxo", "mbox"),
        ("mboxrd", "mbox"),
        ("mmdf", "mmdf"),
        ("mh", "mh"),
        ("babyl", "babyl"),
    ] {
        let path = dir.path().join(format!("ph.{to}"));
        let o = ConvertOptions {
            from: Some(Format::Maildir),
            to: Some(Format::parse(to).unwrap()),
            ..Default::default()
        };
        convert(orig.path(), &path, &o, &mut |_| {}).unwrap();
        let mut theirs = python_read(py_fmt, &path);
        assert_eq!(theirs.len(), messages().len(), "{to}");
        theirs.sort_by_key(|t| mid(&t.0));
        let mut orig = messages();
        orig.sort_by_key(|o| mid(&o.0));
        let kept = Format::parse(to).unwrap().kept_flags();
        for (i, ((tb, tf, labels), (ob, of))) in theirs.iter().zip(orig).enumerate() {
            let mut want = ob.clone();
            if want.is_empty() && to != "mh" {
                want = b"\n".to_vec();
            }
            if matches!(to, "mboxo" | "mboxrd") && !want.ends_with(b"\n") {
                want.push(b'\n');
            }
            // Python does not unquote: the body keeps the quoting of the variant.
            let want = String::from_utf8_lossy(&want).into_owned();
            let want = match to {
                "mboxo" => want.replace("\nFrom the", "\n>From the"),
                "mboxrd" => want
                    .replace("\n>From quoted", "\n>>From quoted")
                    .replace("\nFrom the", "\n>From the"),
                _ => want,
            };
            assert_eq!(
                String::from_utf8_lossy(&strip_status(tb)),
                want,
                "{to} message {i}"
            );
            let mut expect = Flags::from_bits(Flags::from_maildir(of).bits() & kept.bits());
            if to == "babyl" {
                // Python maps no Babyl label to flagged; posthorn writes the label.
                assert_eq!(
                    labels.iter().any(|l| l == "flagged"),
                    expect.contains(Flags::FLAGGED),
                    "{to} message {i} labels {labels:?}"
                );
                expect.remove(Flags::FLAGGED);
            }
            assert_eq!(*tf, expect.to_maildir(), "{to} message {i} flags");
        }
    }
}

#[test]
fn python_and_posthorn_lock_each_other_out() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("locked.mbox");
    python(&["write", "mbox", mbox.to_str().unwrap()], &payload());
    // Python holds the mailbox locked while posthorn tries to append to it.
    let mut holder = Command::new("python3")
        .arg("-c")
        .arg(
            "import mailbox, sys, time\nb = mailbox.mbox(sys.argv[1]); b.lock(); print('locked', flush=True); sys.stdin.read(); b.unlock()",
        )
        .arg(&mbox)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "locked");
    let before = std::fs::read(&mbox).unwrap();
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&mbox)
        .unwrap();
    let err = posthorn::store::formats::lock::MailLock::acquire(
        &mbox,
        &f,
        std::time::Duration::from_millis(300),
    )
    .err()
    .expect("posthorn must not get the lock Python holds")
    .to_string();
    assert!(err.contains("locked by another program"), "{err}");
    drop(holder.stdin.take());
    assert!(holder.wait().unwrap().success());
    assert_eq!(std::fs::read(&mbox).unwrap(), before);
    // And the other way: posthorn holds it, Python's lock() fails.
    let held = posthorn::store::formats::lock::MailLock::acquire(
        &mbox,
        &f,
        std::time::Duration::from_secs(5),
    )
    .unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg("import mailbox, sys\ntry:\n    mailbox.mbox(sys.argv[1]).lock(); print('got it')\nexcept mailbox.ExternalClashError as e:\n    print('clash', e)")
        .arg(&mbox)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("clash"), "{said}");
    drop(held);
}

#[test]
fn each_kind_of_lock_alone_keeps_posthorn_out() {
    // An MDA may take only one of them: fcntl (procmail, Python's lockf), flock
    // (Dovecot, mutt) or a dot-lock.
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("box");
    std::fs::write(&mbox, b"From a@b Mon Jan  1 00:00:00 2024\n\nx\n").unwrap();
    for how in ["lockf", "flock", "dotlock"] {
        let take = match how {
            "lockf" => "fcntl.lockf(f, fcntl.LOCK_EX)",
            "flock" => "fcntl.flock(f, fcntl.LOCK_EX)",
            _ => "open(sys.argv[1] + '.lock', 'x').close()",
        };
        let script = format!(
            "import fcntl, sys\nf = open(sys.argv[1], 'r+')\n{take}\nprint('held', flush=True)\nsys.stdin.read()"
        );
        let mut holder = Command::new("python3")
            .arg("-c")
            .arg(&script)
            .arg(&mbox)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(line.trim(), "held", "{how}");
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&mbox)
            .unwrap();
        let got = posthorn::store::formats::lock::MailLock::acquire(
            &mbox,
            &f,
            std::time::Duration::from_millis(200),
        );
        assert!(
            got.is_err(),
            "posthorn took the mailbox while {how} was held"
        );
        drop(holder.stdin.take());
        assert!(holder.wait().unwrap().success());
        let _ = std::fs::remove_file(dir.path().join("box.lock"));
        assert!(
            posthorn::store::formats::lock::MailLock::acquire(
                &mbox,
                &f,
                std::time::Duration::from_millis(200)
            )
            .is_ok(),
            "{how} released"
        );
    }
}
