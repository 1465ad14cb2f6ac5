//! IMAP system flags (RFC 3501 §2.3.2) and keywords to and from the Maildir letters the
//! cache uses, and UID sets (RFC 3501 §9 `sequence-set`) written compactly.

use crate::core::Flags;

/// Maildir letter <-> IMAP flag. `P` (passed) is the `$Forwarded` keyword (RFC 5788).
const MAP: [(Flags, &str); 6] = [
    (Flags::SEEN, "\\Seen"),
    (Flags::REPLIED, "\\Answered"),
    (Flags::FLAGGED, "\\Flagged"),
    (Flags::TRASHED, "\\Deleted"),
    (Flags::DRAFT, "\\Draft"),
    (Flags::PASSED, "$Forwarded"),
];

/// The flags a server reported (case-insensitive: servers differ).
pub fn from_imap(names: &[String]) -> Flags {
    let mut out = Flags::empty();
    for n in names {
        if let Some((f, _)) = MAP.iter().find(|(_, name)| name.eq_ignore_ascii_case(n)) {
            out.insert(*f);
        }
    }
    out
}

/// `(\Seen \Flagged)` for a STORE or APPEND.
pub fn to_imap(flags: Flags) -> String {
    let names: Vec<&str> = MAP
        .iter()
        .filter(|(f, _)| flags.contains(*f))
        .map(|(_, n)| *n)
        .collect();
    format!("({})", names.join(" "))
}

/// A sorted, compact UID set: `1:5,7,9:12`.
pub fn uid_set(uids: &[u32]) -> String {
    let mut v = uids.to_vec();
    v.sort_unstable();
    v.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < v.len() {
        let start = v[i];
        let mut end = start;
        while i + 1 < v.len() && v[i + 1] == end + 1 {
            i += 1;
            end = v[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_map_both_ways_whatever_the_case() {
        let f = from_imap(&[
            "\\SEEN".into(),
            "\\flagged".into(),
            "$forwarded".into(),
            "x".into(),
        ]);
        assert_eq!(f, Flags::SEEN.union(Flags::FLAGGED).union(Flags::PASSED));
        assert_eq!(to_imap(f), "(\\Seen \\Flagged $Forwarded)");
        assert_eq!(to_imap(Flags::empty()), "()");
    }

    #[test]
    fn uid_sets_are_compact_and_sorted() {
        assert_eq!(uid_set(&[9, 1, 2, 3, 7, 10, 11, 3]), "1:3,7,9:11");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[]), "");
    }
}
