//! Sort keys for the envelope list.

use super::envelope::Envelope;
use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Date,
    Sender,
    Subject,
    Size,
    /// Threads ordered by their newest message (only meaningful when threaded).
    ThreadActivity,
}

impl SortKey {
    pub const ALL: [SortKey; 5] = [
        SortKey::Date,
        SortKey::Sender,
        SortKey::Subject,
        SortKey::Size,
        SortKey::ThreadActivity,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SortKey::Date => "date",
            SortKey::Sender => "sender",
            SortKey::Subject => "subject",
            SortKey::Size => "size",
            SortKey::ThreadActivity => "thread-activity",
        }
    }

    pub fn parse(s: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn next(self) -> SortKey {
        let i = SortKey::ALL.iter().position(|k| *k == self).unwrap_or(0);
        SortKey::ALL[(i + 1) % SortKey::ALL.len()]
    }

    /// Compares two envelopes by this key (ascending), ties broken by date.
    pub fn compare(self, a: &Envelope, b: &Envelope) -> Ordering {
        let primary = match self {
            SortKey::Date | SortKey::ThreadActivity => Ordering::Equal,
            SortKey::Sender => cmp_fold(&a.from, &b.from),
            SortKey::Subject => cmp_fold(base_subject(&a.subject), base_subject(&b.subject)),
            SortKey::Size => a.size.cmp(&b.size),
        };
        primary.then(a.date.cmp(&b.date))
    }
}

fn cmp_fold(a: &str, b: &str) -> Ordering {
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

/// The subject without reply/forward prefixes and list tags, for grouping and sorting
/// (RFC 5256 §2.1 "base subject", simplified).
pub fn base_subject(subject: &str) -> &str {
    let mut s = subject.trim();
    loop {
        let before = s;
        if s.starts_with('[')
            && let Some(end) = s.find(']')
            && end + 1 < s.len()
        {
            s = s[end + 1..].trim_start();
        }
        for prefix in ["re:", "fwd:", "fw:", "aw:", "sv:", "re :", "fwd :"] {
            if s.len() >= prefix.len()
                && s.is_char_boundary(prefix.len())
                && s[..prefix.len()].eq_ignore_ascii_case(prefix)
            {
                s = s[prefix.len()..].trim_start();
            }
        }
        if s == before {
            return s;
        }
    }
}

/// True when a subject carries a reply or forward prefix (after any list tag).
pub fn is_reply_subject(subject: &str) -> bool {
    let mut s = subject.trim();
    if s.starts_with('[')
        && let Some(end) = s.find(']')
    {
        s = s[end + 1..].trim_start();
    }
    base_subject(s).len() != s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_subject_strips_prefixes_and_tags() {
        assert_eq!(base_subject("Re: RE: Fwd: hello"), "hello");
        assert_eq!(base_subject("[rust-users] Re: borrowck"), "borrowck");
        assert_eq!(base_subject("Réunion"), "Réunion");
        assert!(is_reply_subject("Re: x"));
        assert!(!is_reply_subject("x"));
    }
}
