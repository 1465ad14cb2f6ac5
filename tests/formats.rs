//! Local mailbox formats through the store: round trips through every pair of formats
//! with their flags, the awkward messages (bodies with `From ` and `>From ` lines, no
//! final newline, CRLF, 8-bit headers, a message of 0 bytes), empty files, corrupt
//! files (every readable message still there, problems named by byte offset), and
//! conversion's promises (the source untouched, no writing into a folder that holds
//! mail without --append).

use posthorn::core::Flags;
use posthorn::store::Maildir;
use posthorn::store::formats::header;
use posthorn::store::formats::{ConvertOptions, Format, MboxVariant, convert};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// (bytes, flags) of the test messages.
fn originals() -> Vec<(Vec<u8>, Flags)> {
    let f = |s: &str| s.as_bytes().to_vec();
    vec![
        (
            f("From: Ann <ann@example.org>\nSubject: plain\nMessage-ID: <1@t>\n\nHello.\n"),
            Flags::SEEN,
        ),
        (
            f("From: b@example.org\nSubject: from lines\nMessage-ID: <2@t>\n\nFrom the start\n>From quoted\n>>From deep\nnot From here\n"),
            Flags::FLAGGED.union(Flags::REPLIED),
        ),
        (
            f("From: c@example.org\nSubject: no newline\nMessage-ID: <3@t>\n\nlast line without end"),
            Flags::empty(),
        ),
        (
            f("From: d@example.org\r\nSubject: crlf\r\nMessage-ID: <4@t>\r\n\r\nline one\r\nFrom two\r\n"),
            Flags::SEEN.union(Flags::TRASHED),
        ),
        (
            "From: Jörg Müller <j@example.org>\nSubject: Grüße aus Köln\nMessage-ID: <5@t>\n\nÄpfel.\n"
                .as_bytes()
                .to_vec(),
            Flags::SEEN.union(Flags::PASSED),
        ),
        (Vec::new(), Flags::DRAFT),
    ]
}

const FORMATS: &[&str] = &[
    "maildir", "mboxo", "mboxrd", "mboxcl", "mboxcl2", "mmdf", "mh", "babyl",
];

fn fmt(name: &str) -> Format {
    Format::parse(name).unwrap()
}

fn opts(from: &str, to: &str) -> ConvertOptions {
    ConvertOptions {
        from: Some(fmt(from)),
        to: Some(fmt(to)),
        append: false,
        recursive: false,
    }
}

fn write_originals(dir: &Path) -> PathBuf {
    let md = Maildir::create(dir.join("orig")).unwrap();
    for (b, f) in originals() {
        md.deliver(&b, f).unwrap();
    }
    md.path().to_path_buf()
}

/// Messages of a Maildir by Message-ID (the empty one under ""), status fields removed.
fn read_back(dir: &Path) -> BTreeMap<String, (Vec<u8>, Flags)> {
    let md = Maildir::open(dir);
    md.list()
        .unwrap()
        .into_iter()
        .map(|e| {
            let b = md.read(&e).unwrap();
            let hend = header::header_end(&b).unwrap_or(b.len());
            let id = header::value(&b[..hend], "Message-ID")
                .map(|v| String::from_utf8_lossy(&v).into_owned())
                .unwrap_or_default();
            (id, (b, e.flags))
        })
        .collect()
}

fn lossy_from(name: &str) -> bool {
    matches!(name, "mboxo" | "mboxcl")
}

/// What a message should look like after passing through `path` (formats in order).
fn expected(orig: &[u8], path: &[&str]) -> Vec<u8> {
    let single = path.iter().any(|p| !matches!(*p, "maildir" | "mh"));
    if orig.is_empty() {
        return if single { b"\n".to_vec() } else { Vec::new() };
    }
    let mut out = orig.to_vec();
    if path.iter().any(|p| lossy_from(p)) {
        // mboxo/mboxcl cannot tell a quoted `From ` from a `>From ` of the body.
        out = String::from_utf8(out)
            .unwrap()
            .replace("\n>From quoted", "\nFrom quoted")
            .into_bytes();
    }
    if path.iter().any(|p| matches!(*p, "mboxo" | "mboxrd")) && !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out
}

fn kept(path: &[&str]) -> Flags {
    path.iter().fold(Flags::from_bits(63), |acc, p| {
        Flags::from_bits(acc.bits() & fmt(p).kept_flags().bits())
    })
}

fn target(dir: &Path, name: &str, tag: &str) -> PathBuf {
    dir.join(format!("{tag}.{name}"))
}

#[test]
fn every_pair_of_formats_round_trips_messages_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let orig = write_originals(dir.path());
    let mut failures = Vec::new();
    for a in FORMATS {
        let pa = target(dir.path(), a, "a");
        convert(&orig, &pa, &opts("maildir", a), &mut |_| {}).unwrap();
        for b in FORMATS {
            let pb = target(dir.path(), b, &format!("b-{a}"));
            convert(&pa, &pb, &opts(a, b), &mut |_| {}).unwrap();
            let back = dir.path().join(format!("back-{a}-{b}"));
            convert(&pb, &back, &opts(b, "maildir"), &mut |_| {}).unwrap();
            let got = read_back(&back);
            let path = [*a, *b];
            for (bytes, flags) in originals() {
                let hend = header::header_end(&bytes).unwrap_or(bytes.len());
                let id = header::value(&bytes[..hend], "Message-ID")
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
                    .unwrap_or_default();
                let Some((gb, gf)) = got.get(&id) else {
                    failures.push(format!("{a}->{b}: message {id:?} missing"));
                    continue;
                };
                let want = expected(&bytes, &path);
                if *gb != want {
                    failures.push(format!(
                        "{a}->{b}: {id:?} differs:\n{:?}\nwanted\n{:?}",
                        String::from_utf8_lossy(gb),
                        String::from_utf8_lossy(&want)
                    ));
                }
                let wf = Flags::from_bits(flags.bits() & kept(&path).bits());
                if *gf != wf {
                    failures.push(format!("{a}->{b}: {id:?} flags {gf:?}, wanted {wf:?}"));
                }
            }
            if got.len() != originals().len() {
                failures.push(format!("{a}->{b}: {} messages", got.len()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn conversion_never_changes_the_source_and_refuses_a_full_destination() {
    let dir = tempfile::tempdir().unwrap();
    let orig = write_originals(dir.path());
    let mbox = dir.path().join("box");
    convert(&orig, &mbox, &opts("maildir", "mboxrd"), &mut |_| {}).unwrap();
    let before = std::fs::read(&mbox).unwrap();
    let meta = std::fs::metadata(&mbox).unwrap();
    let mh = dir.path().join("mh");
    convert(&mbox, &mh, &opts("mbox", "mh"), &mut |_| {}).unwrap();
    assert_eq!(std::fs::read(&mbox).unwrap(), before);
    assert_eq!(
        std::fs::metadata(&mbox).unwrap().modified().unwrap(),
        meta.modified().unwrap()
    );
    // No lock files were left next to the source.
    assert!(!dir.path().join("box.lock").exists());
    // A destination holding mail: refused, then added to with append.
    let again = convert(&mbox, &mh, &opts("mbox", "mh"), &mut |_| {}).unwrap_err();
    assert!(again.to_string().contains("--append"), "{again}");
    let mut o = opts("mbox", "mh");
    o.append = true;
    let r = convert(&mbox, &mh, &o, &mut |_| {}).unwrap();
    assert_eq!(r.messages, originals().len() as u64);
    assert_eq!(
        std::fs::read_dir(&mh).unwrap().count(),
        2 * originals().len() + 1
    );
    // Appending to an mbox keeps what it held.
    let mut o = opts("mh", "mboxrd");
    o.append = true;
    convert(&mh, &mbox, &o, &mut |_| {}).unwrap();
    let grown = std::fs::read(&mbox).unwrap();
    assert!(grown.starts_with(&before));
}

#[test]
fn formats_are_detected_and_an_empty_file_is_an_empty_folder() {
    let dir = tempfile::tempdir().unwrap();
    let orig = write_originals(dir.path());
    for name in ["mboxrd", "mboxcl2", "mmdf", "mh", "babyl"] {
        let p = dir.path().join(format!("d.{name}"));
        convert(&orig, &p, &opts("maildir", name), &mut |_| {}).unwrap();
        let found = posthorn::store::formats::detect(&p).unwrap();
        let want = match name {
            "mboxrd" => Format::Mbox(MboxVariant::Mboxrd),
            "mboxcl2" => Format::Mbox(MboxVariant::Mboxcl2),
            n => fmt(n),
        };
        assert_eq!(found, want, "{name}");
        // Converted without naming the source format.
        let back = dir.path().join(format!("auto-{name}"));
        let o = ConvertOptions {
            to: Some(Format::Maildir),
            ..Default::default()
        };
        let r = convert(&p, &back, &o, &mut |_| {}).unwrap();
        assert_eq!(r.messages, originals().len() as u64, "{name}");
    }
    let empty = dir.path().join("empty.mbox");
    std::fs::write(&empty, b"").unwrap();
    let err = convert(
        &empty,
        &dir.path().join("x"),
        &ConvertOptions::default(),
        &mut |_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("--from"), "{err}");
    let r = convert(
        &empty,
        &dir.path().join("x"),
        &opts("mbox", "maildir"),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(r.messages, 0);
    assert!(r.problems.is_empty());
}

#[test]
fn corrupt_files_keep_every_readable_message_and_name_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    // Junk before the first message, and an MMDF file cut off in its last message.
    let mbox = dir.path().join("junk.mbox");
    std::fs::write(
        &mbox,
        b"this is not mail\nFrom a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n\nFrom a@b Mon Jan  1 00:00:00 2024\nSubject: two\n\nbody\n",
    )
    .unwrap();
    let out = dir.path().join("out1");
    let r = convert(&mbox, &out, &opts("mbox", "maildir"), &mut |_| {}).unwrap();
    assert_eq!(r.messages, 2);
    assert_eq!(r.problems.len(), 1);
    assert!(
        r.problems[0].starts_with("byte 0: not the start of a message"),
        "{:?}",
        r.problems
    );
    let mmdf = dir.path().join("cut.mmdf");
    let mut data = b"\x01\x01\x01\x01\nSubject: one\n\nbody\n\x01\x01\x01\x01\n".to_vec();
    data.extend_from_slice(b"\x01\x01\x01\x01\nSubject: two\n\nbody cut o");
    std::fs::write(&mmdf, &data).unwrap();
    let out = dir.path().join("out2");
    let r = convert(&mmdf, &out, &opts("mmdf", "maildir"), &mut |_| {}).unwrap();
    assert_eq!(r.messages, 2);
    assert_eq!(
        r.problems,
        vec!["byte 29: message has no closing ^A^A^A^A line (the file was cut off?)".to_string()]
    );
    let got = read_back(&out);
    assert!(got.values().any(|(b, _)| b.ends_with(b"body cut o")));
    // A Content-Length that runs past the end of the file.
    let cl = dir.path().join("cl.mbox");
    std::fs::write(
        &cl,
        b"From a@b Mon Jan  1 00:00:00 2024\nSubject: one\nContent-Length: 500\n\nshort\n",
    )
    .unwrap();
    let r = convert(
        &cl,
        &dir.path().join("out3"),
        &opts("mbox", "maildir"),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(r.messages, 1);
    assert!(
        r.problems[0].starts_with("byte 0: Content-Length says 500"),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_recursive_conversion_keeps_the_folder_tree() {
    let dir = tempfile::tempdir().unwrap();
    let orig = write_originals(dir.path());
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("lists")).unwrap();
    convert(
        &orig,
        &tree.join("inbox"),
        &opts("maildir", "mboxrd"),
        &mut |_| {},
    )
    .unwrap();
    convert(
        &orig,
        &tree.join("lists/rust"),
        &opts("maildir", "mboxrd"),
        &mut |_| {},
    )
    .unwrap();
    let o = ConvertOptions {
        from: None,
        to: Some(Format::Mh),
        append: false,
        recursive: true,
    };
    let mh = dir.path().join("Mail");
    let r = convert(&tree, &mh, &o, &mut |_| {}).unwrap();
    assert_eq!(r.folders, 2);
    assert_eq!(r.messages, 2 * originals().len() as u64);
    assert!(mh.join("inbox/1").is_file() && mh.join("lists/rust/1").is_file());
    // And back into a Maildir++ tree.
    let o = ConvertOptions {
        from: None,
        to: Some(Format::Maildir),
        append: false,
        recursive: true,
    };
    let md = dir.path().join("md");
    let r = convert(&mh, &md, &o, &mut |_| {}).unwrap();
    // In MH every directory is a folder: `lists` (empty) too.
    assert_eq!(r.folders, 3);
    assert!(md.join("cur").is_dir() && md.join(".lists.rust/cur").is_dir());
    assert_eq!(read_back(&md.join(".lists.rust")).len(), originals().len());
}
