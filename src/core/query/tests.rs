//! Parser and envelope-matching tests.

use super::*;
use crate::core::{AccountId, Flags, FolderPath, LocalId};

fn env() -> Envelope {
    Envelope {
        account: AccountId("a".into()),
        folder: FolderPath::inbox(),
        id: LocalId("1".into()),
        date: 1_700_000_000, // 2023-11-14
        from: "Zoë Müller".into(),
        from_addr: "zoe@example.org".into(),
        to: "Bob <bob@example.net>".into(),
        subject: "Quarterly REPORT draft".into(),
        message_id: String::new(),
        in_reply_to: String::new(),
        references: String::new(),
        size: 10,
        flags: Flags::FLAGGED,
        has_attachments: true,
    }
}

fn m(q: &str) -> bool {
    Query::parse(q)
        .unwrap()
        .matches_envelope(&env(), &NoContext)
}

fn e(q: &str) -> String {
    Query::parse(q).unwrap_err().0
}

#[test]
fn fields_words_and_negation() {
    assert!(m("from:zoe subject:report"));
    assert!(m("from:müller"));
    assert!(m("quarterly is:unread is:flagged has:attachment"));
    assert!(!m("-is:flagged"));
    assert!(m("to:bob -from:alice"));
    assert!(m("\"quarterly report\""));
    assert!(!m("subject:invoice"));
}

#[test]
fn dates_bound_the_range() {
    assert!(m("after:2023-11-01 before:2023-12-01"));
    assert!(!m("before:2023-11-14"));
    assert!(m("after:2023-11-14"));
    assert!(m("date:2023-11"));
    assert!(m("date:2023-10..2023-11"));
    assert!(!m("date:2023-12..2024"));
    assert!(m("date:..2023"));
}

#[test]
fn relative_dates_use_the_callers_clock() {
    struct At(i64);
    impl MatchContext for At {
        fn is_tagged(&self, _: &Envelope) -> bool {
            false
        }
        fn now(&self) -> i64 {
            self.0
        }
    }
    let q = Query::parse("date:7d..").unwrap();
    assert!(q.matches_envelope(&env(), &At(1_700_000_000 + 6 * 86_400)));
    assert!(!q.matches_envelope(&env(), &At(1_700_000_000 + 8 * 86_400)));
}

#[test]
fn boolean_operators_and_precedence() {
    assert!(m("from:alice OR from:zoe"));
    assert!(!m("from:alice OR subject:invoice"));
    // AND binds tighter than OR: (alice AND report) OR zoe.
    assert!(m("from:alice report OR from:zoe"));
    assert!(!m("from:alice (report OR from:zoe)"));
    assert!(m("NOT from:alice"));
    assert!(m("not from:alice and subject:draft"));
    assert!(!m("-(from:zoe OR from:alice)"));
    assert!(m("-(from:zoe AND from:alice)"));
}

#[test]
fn words_fold_case_and_diacritics_and_match_prefixes() {
    assert!(m("from:ZOË"));
    assert!(m("from:muller"));
    assert!(m("subject:quart"), "a word of 3+ letters is a prefix");
    assert!(!m("subject:\"quart\""), "a quoted word is exact");
    assert!(m("subject:qu*"), "* asks for a prefix");
    assert!(!m("subject:qu"), "a short word is exact");
    assert!(!m("subject:port"), "words, not substrings");
    assert!(
        m("from:zoe@example.org"),
        "an address is a phrase of its words"
    );
}

#[test]
fn terms_the_envelope_cannot_answer_are_unknown() {
    let q = Query::parse("body:invoice").unwrap();
    assert!(q.needs_index());
    assert_eq!(q.eval(&env(), &NoContext), None);
    // OR with a true header term is true without the body; AND with a false one false.
    let q = Query::parse("from:zoe OR body:invoice").unwrap();
    assert_eq!(q.eval(&env(), &NoContext), Some(true));
    let q = Query::parse("from:alice body:invoice").unwrap();
    assert_eq!(q.eval(&env(), &NoContext), Some(false));
    // A plain word found in a header is a match; not found, the body may have it.
    let q = Query::parse("quarterly").unwrap();
    assert!(q.needs_index());
    assert_eq!(q.eval(&env(), &NoContext), Some(true));
    assert_eq!(
        Query::parse("zyzzyva").unwrap().eval(&env(), &NoContext),
        None
    );
    assert!(!Query::parse("from:zoe is:unread").unwrap().needs_index());
}

#[test]
fn folder_and_account_terms() {
    assert!(m("folder:inbox account:a"));
    assert!(!m("folder:Archive"));
    assert!(!m("account:b"));
}

#[test]
fn errors_say_where() {
    assert_eq!(e("from:alice \"open"), "column 12: unclosed \"");
    assert_eq!(e("subject:x OR"), "column 11: OR needs a term after it");
    assert_eq!(e("(from:a"), "column 1: this ( is never closed");
    assert_eq!(e("a)"), "column 2: ) has no matching (");
    assert_eq!(e("AND a"), "column 1: AND needs a term before it");
    assert_eq!(e("a ()"), "column 3: empty ( )");
    assert_eq!(e("from:"), "column 1: `from:` needs a value");
    assert_eq!(
        e("x date:2026-13"),
        "column 8: `2026-13` is not a date (use YYYY-MM-DD, YYYY-MM, YYYY or an age such as 7d, 2w, 3m, 1y)"
    );
    assert!(e("before:yesterday").contains("not a date"));
    assert!(e("is:bogus").contains("unknown"));
    assert!(e("...").contains("no letters or digits"));
    // Columns count characters, not bytes.
    assert_eq!(e("zoë \"x"), "column 5: unclosed \"");
    // The Display form used on the status line.
    assert_eq!(
        Query::parse("\"").unwrap_err().to_string(),
        "query: column 1: unclosed \""
    );
}

#[test]
fn empty_and_whitespace_queries_match_everything() {
    assert!(Query::parse("   ").unwrap().is_empty());
    assert!(m(""));
}

#[test]
fn highlights_are_the_positive_words() {
    let q = Query::parse("kernel -body:spam subject:\"build log\"").unwrap();
    let h = q.highlights();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0], (Field::Any, vec!["kernel".to_string()], true));
    assert_eq!(
        h[1],
        (Field::Subject, vec!["build".into(), "log".into()], false)
    );
}

#[test]
fn imap_search_keys() {
    let line = |q: &str| {
        Query::parse(q)
            .unwrap()
            .imap_search(0)
            .and_then(|s| s.to_line())
    };
    assert_eq!(
        line("from:alice is:unread").as_deref(),
        Some("(FROM \"alice\" UNSEEN)")
    );
    assert_eq!(
        line("subject:a OR subject:b OR body:\"x y\"").as_deref(),
        Some("OR SUBJECT \"a\" OR SUBJECT \"b\" BODY \"x y\"")
    );
    assert_eq!(
        line("-is:flagged date:2026-01..2026-02").as_deref(),
        Some("(NOT FLAGGED (SENTSINCE 1-Jan-2026 SENTBEFORE 1-Mar-2026))")
    );
    assert_eq!(line("kernel is:tagged"), None, "tags are local");
    let s = Query::parse("from:zoë").unwrap().imap_search(0).unwrap();
    assert!(s.utf8);
    assert_eq!(s.to_line(), None, "8-bit strings go as literals");
}
