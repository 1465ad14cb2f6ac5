//! Local mailbox formats besides Maildir, the way Python's `mailbox` module reads and
//! writes them: mbox (mboxo, mboxrd, mboxcl, mboxcl2), MMDF and Babyl (one file holds
//! a folder) and MH (a directory of numbered files plus `.mh_sequences`).
//!
//! - `frame`: finding the messages of a single file without holding it in memory;
//! - `codec`: one stored record <-> one RFC 5322 message (quoting, Content-Length,
//!   Babyl's label line and visible-header copy), `header`: the header block helpers
//!   and the flag mapping of each format;
//! - `single`: a single-file folder (locking, table of contents, rewrite through a new
//!   file renamed into place, append); `mh`: an MH folder; `lock`: dot-lock + flock +
//!   fcntl as Python's `mailbox` locks;
//! - `tree`: the folders of one configured path; `scan`: bringing the index up to date
//!   from a folder; `convert`: between any two formats (and Maildir), writing through
//!   `sink`.
//!
//! A message of these formats is named by a content id (a hash of its header block
//! without the fields writers change, see `header::content_id`), so flag changes,
//! rewrites and moves between folders keep its id; where it is now (an offset and a
//! length, an MH number) is its locator, kept in the index's `file_name` column.
//!
//! Depends only on `core` and the store's own types; blocking, no tokio.

pub mod codec;
pub mod convert;
pub mod frame;
pub mod header;
pub mod lock;
pub mod mh;
pub mod scan;
pub mod single;
mod sink;
pub mod tree;

pub use convert::{ConvertOptions, ConvertProgress, ConvertReport, convert};
pub use frame::Framing;
pub use scan::FormatScan;
pub use single::{Locator, SingleFile, Stamp};
pub use tree::{FileTree, FormatFolder};

use crate::core::Flags;
use std::path::Path;

/// The written variant of mbox: how `From ` lines in bodies are quoted and whether a
/// Content-Length header delimits the body (see RFC 4155 and the mbox(5) man pages).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MboxVariant {
    /// `From ` lines become `>From `; `>From ` stays (lossy).
    Mboxo,
    /// Every `>*From ` line gets one more `>` (reversible).
    Mboxrd,
    /// mboxo quoting plus a Content-Length header.
    Mboxcl,
    /// No quoting; the Content-Length header delimits the body.
    Mboxcl2,
}

impl MboxVariant {
    pub fn name(self) -> &'static str {
        match self {
            MboxVariant::Mboxo => "mboxo",
            MboxVariant::Mboxrd => "mboxrd",
            MboxVariant::Mboxcl => "mboxcl",
            MboxVariant::Mboxcl2 => "mboxcl2",
        }
    }

    pub fn parse(s: &str) -> Option<MboxVariant> {
        Some(match s {
            "mboxo" => MboxVariant::Mboxo,
            "mboxrd" => MboxVariant::Mboxrd,
            "mboxcl" => MboxVariant::Mboxcl,
            "mboxcl2" => MboxVariant::Mboxcl2,
            _ => return None,
        })
    }

    pub fn has_content_length(self) -> bool {
        matches!(self, MboxVariant::Mboxcl | MboxVariant::Mboxcl2)
    }
}

/// A mailbox format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Maildir,
    /// mbox, with the variant new messages are written in.
    Mbox(MboxVariant),
    Mmdf,
    Mh,
    Babyl,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Maildir => "maildir",
            Format::Mbox(v) => v.name(),
            Format::Mmdf => "mmdf",
            Format::Mh => "mh",
            Format::Babyl => "babyl",
        }
    }

    /// A format named on the command line (`mbox` writes mboxrd).
    pub fn parse(s: &str) -> Option<Format> {
        let s = s.to_ascii_lowercase();
        Some(match s.as_str() {
            "maildir" => Format::Maildir,
            "mbox" => Format::Mbox(MboxVariant::Mboxrd),
            "mmdf" => Format::Mmdf,
            "mh" => Format::Mh,
            "babyl" | "rmail" => Format::Babyl,
            v => Format::Mbox(MboxVariant::parse(v)?),
        })
    }

    /// The framing of a single-file format (None for directory formats).
    pub fn framing(self) -> Option<Framing> {
        match self {
            Format::Mbox(_) => Some(Framing::Mbox),
            Format::Mmdf => Some(Framing::Mmdf),
            Format::Babyl => Some(Framing::Babyl),
            Format::Maildir | Format::Mh => None,
        }
    }

    /// The flags a message keeps in this format (the rest are lost, as in Python's
    /// message classes).
    pub fn kept_flags(self) -> Flags {
        let all = Flags::from_bits(63);
        match self {
            Format::Maildir => all,
            Format::Mbox(_) | Format::Mmdf => Flags::SEEN
                .union(Flags::FLAGGED)
                .union(Flags::REPLIED)
                .union(Flags::TRASHED),
            Format::Mh => Flags::SEEN.union(Flags::FLAGGED).union(Flags::REPLIED),
            Format::Babyl => Flags::SEEN
                .union(Flags::FLAGGED)
                .union(Flags::REPLIED)
                .union(Flags::TRASHED)
                .union(Flags::PASSED),
        }
    }
}

/// Looks at a path and tells its format: a directory with `cur/` and `new/` is a
/// Maildir, one with numbered files or `.mh_sequences` is MH; a file is told by its
/// first bytes. None for an empty file, an empty directory or anything else.
pub fn detect(path: &Path) -> Option<Format> {
    if path.is_dir() {
        if crate::store::Maildir::is_maildir(path) {
            return Some(Format::Maildir);
        }
        if mh::is_mh(path) {
            return Some(Format::Mh);
        }
        return None;
    }
    let framing = frame::detect_file(path).ok()??;
    Some(match framing {
        Framing::Mbox => Format::Mbox(frame::detect_variant(path).unwrap_or(MboxVariant::Mboxrd)),
        Framing::Mmdf => Format::Mmdf,
        Framing::Babyl => Format::Babyl,
    })
}

/// A problem found while reading a folder: where (a byte offset, a line, a file) and
/// what. The readable messages around it are still listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub at: String,
    pub what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.what)
    }
}

/// One message on its way between folders: its bytes (an RFC 5322 message, without
/// any framing), its flags, and the mbox `From ` line it had (without `From ` and the
/// line end), kept when it goes to mbox or MMDF again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub bytes: Vec<u8>,
    pub flags: Flags,
    pub from_line: Option<Vec<u8>>,
}
