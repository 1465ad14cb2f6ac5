//! The NNTP account's view of the score file (`score-file`): the rules of
//! `core::score` (slrn's format, regular expressions as slrn reads them) applied to an
//! article's overview fields. Lines the parser could not use are kept as warnings, which
//! the account shows once per change of the file; the rest of the file still applies.
//!
//! ```text
//! % comments start with % or #
//! Threshold: -100            # hide below this (default 0)
//! [comp.mail.*, !comp.mail.misc]
//! Score: -9999               # all conditions must match
//!   From: @spam\.example
//! Score:: 50                 # "::": any condition is enough
//!   Subject: posthorn
//!   References: <thread-i-started@
//! Score: =1000               # "=": the score is this, and no later rule counts
//!   ~Xref: alt\.binaries\.   # "~": the condition must not match
//! ```
//!
//! Pure: no I/O; the account reads the file and decides when to read it again.

use crate::core::score::{self, Header, Scored};
use std::borrow::Cow;

/// A parsed score file, with the warnings of the lines it skipped.
#[derive(Clone, Debug, Default)]
pub struct ScoreFile {
    pub threshold: i64,
    rules: score::ScoreFile,
    /// `line N: why` for every line that was skipped.
    pub warnings: Vec<String>,
}

/// What a rule is matched against: the article's header values (raw bytes).
pub struct ScoreInput<'a> {
    pub from: &'a [u8],
    pub subject: &'a [u8],
    pub message_id: &'a [u8],
    pub references: &'a [u8],
    pub xref: &'a [u8],
}

/// Bytes as text: UTF-8 where it is, else each byte as Latin-1 (8-bit headers of old
/// posts still match their letters).
fn text(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(b.iter().map(|&c| c as char).collect()),
    }
}

impl Scored for ScoreInput<'_> {
    fn header(&self, h: Header) -> Cow<'_, str> {
        match h {
            Header::From => text(self.from),
            Header::Subject => text(self.subject),
            Header::MessageId => text(self.message_id),
            Header::References => text(self.references),
            Header::Xref => text(self.xref),
            // Not in the overview: matched against the Xref's group list instead.
            Header::Newsgroups => text(self.xref),
        }
    }
}

/// Today as a Unix day (for `Expires:`).
fn today() -> i64 {
    chrono::Utc::now().timestamp() / 86_400
}

impl ScoreFile {
    /// Parses the text. Lines that make no sense are skipped and listed in `warnings`;
    /// Err only when nothing could be used at all although the file says something.
    pub fn parse(text: &str) -> Result<ScoreFile, String> {
        let (rules, warnings) = score::ScoreFile::parse(text);
        let warnings: Vec<String> = warnings
            .iter()
            .map(|w| crate::core::sanitize::line(&w.to_string()).into_owned())
            .collect();
        if rules.is_empty() && !warnings.is_empty() {
            return Err(warnings.join("; "));
        }
        Ok(ScoreFile {
            threshold: rules.threshold,
            rules,
            warnings,
        })
    }

    /// The article's score in `group`.
    pub fn score(&self, group: &str, a: &ScoreInput<'_>) -> i64 {
        self.rules.score(group, a, today())
    }

    /// Whether the article is hidden (its score is below the threshold).
    pub fn hides(&self, group: &str, a: &ScoreInput<'_>) -> bool {
        self.rules.hides(group, a, today())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn art<'a>(from: &'a str, subject: &'a str, xref: &'a str) -> ScoreInput<'a> {
        ScoreInput {
            from: from.as_bytes(),
            subject: subject.as_bytes(),
            message_id: b"<1@x>",
            references: b"",
            xref: xref.as_bytes(),
        }
    }

    #[test]
    fn an_slrn_file_scores_overview_fields() {
        let f = ScoreFile::parse(
            "% a comment\nThreshold: -100\n[comp.*, !comp.misc]\nScore: -9999\n  From: @spam\\.example\nScore:: 50\n  Subject: ^posthorn\n  References: <mine@x>\n[*]\nScore: =7\n  ~Xref: alt\\.\n",
        )
        .unwrap();
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        assert_eq!(f.threshold, -100);
        assert!(f.hides("comp.lang", &art("x@SPAM.example", "hi", "s alt.y:2")));
        // `=7` in [*] applies where its negated Xref condition holds, and is final.
        assert!(!f.hides("comp.lang", &art("x@SPAM.example", "hi", "")));
        assert!(!f.hides("comp.misc", &art("x@spam.example", "hi", "s alt.x:1")));
        assert_eq!(
            f.score("comp.lang", &art("a", "Posthorn 1.0", "s alt.x:1")),
            50
        );
        assert_eq!(f.score("rec.food", &art("a", "b", "s rec.food:3")), 7);
    }

    #[test]
    fn latin1_headers_match_their_letters_and_bad_lines_are_warnings() {
        let f = ScoreFile::parse("Score: 5\n Subject: grüße\n Lines: 3\n").unwrap();
        assert_eq!(f.warnings.len(), 1);
        assert!(f.warnings[0].starts_with("line 3:"), "{:?}", f.warnings);
        let subject = b"Gr\xfc\xdfe aus Wien";
        let a = ScoreInput {
            subject,
            ..art("a", "", "")
        };
        assert_eq!(f.score("any", &a), 5);
        assert!(
            ScoreFile::parse("Score: lots\n")
                .unwrap_err()
                .contains("line 1")
        );
    }
}
