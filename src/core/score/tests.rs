//! Score file tests: slrn's syntax, AND and OR rules, absolute scores, negation, group
//! sections with wildcards and exclusions, expiry, and warnings that name the line.

use super::*;

struct Art<'a> {
    from: &'a str,
    subject: &'a str,
    refs: &'a str,
    xref: &'a str,
}

impl Scored for Art<'_> {
    fn header(&self, h: Header) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(match h {
            Header::From => self.from,
            Header::Subject => self.subject,
            Header::MessageId => "<m1@example.org>",
            Header::References => self.refs,
            Header::Xref => self.xref,
            Header::Newsgroups => "comp.mail.misc",
        })
    }
}

fn art<'a>(from: &'a str, subject: &'a str) -> Art<'a> {
    Art {
        from,
        subject,
        refs: "",
        xref: "",
    }
}

const DAY: i64 = 20_000;

const SLRN: &str = "\
% an slrn score file
[comp.mail.*, news.software.readers]
Score: -9999
  Subject: make money fast
Score: 50
  From: torvalds
  ~Subject: ^re:
Score:: 20
  Subject: mutt
  Subject: posthorn
[*]
Score: =100
  From: alice@example\\.org
Score: -30
  Xref: alt\\.binaries
";

#[test]
fn rules_add_up_and_all_conditions_must_match() {
    let (f, w) = ScoreFile::parse(SLRN);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(
        f.score("comp.mail.misc", &art("x@y", "MAKE MONEY FAST now"), DAY),
        -9999
    );
    assert_eq!(
        f.score(
            "comp.mail.misc",
            &art("Linus Torvalds <t@l>", "kernel"),
            DAY
        ),
        50
    );
    // The negated condition fails: no score.
    assert_eq!(
        f.score("comp.mail.misc", &art("torvalds", "Re: kernel"), DAY),
        0
    );
    // `Score::` needs one of its conditions.
    assert_eq!(
        f.score("comp.mail.misc", &art("x", "posthorn 1.0"), DAY),
        20
    );
    assert_eq!(
        f.score("comp.mail.misc", &art("torvalds", "mutt vs posthorn"), DAY),
        70
    );
}

#[test]
fn sections_pick_groups_and_absolute_scores_stop() {
    let (f, _) = ScoreFile::parse(SLRN);
    // Not a comp.mail group: only the [*] section applies.
    assert_eq!(f.score("rec.food", &art("torvalds", "posthorn"), DAY), 0);
    assert_eq!(
        f.score("rec.food", &art("Alice <alice@example.org>", "x"), DAY),
        100
    );
    // `=100` sets the score and stops, whatever came before.
    assert_eq!(
        f.score("comp.mail.misc", &art("alice@example.org", "posthorn"), DAY),
        100
    );
    let bin = Art {
        xref: "news.example.org alt.binaries.misc:12",
        ..art("x", "y")
    };
    assert_eq!(f.score("rec.food", &bin, DAY), -30);
    let (f, _) = ScoreFile::parse("[comp.*, !comp.mail.*]\nScore: 5\n Subject: .\n");
    assert_eq!(f.score("comp.lang.rust", &art("a", "b"), DAY), 5);
    assert_eq!(f.score("comp.mail.misc", &art("a", "b"), DAY), 0);
    // A group named like a role is just a name: the dots are literal.
    assert_eq!(f.score("compXlang", &art("a", "b"), DAY), 0);
}

#[test]
fn expired_rules_stop_applying() {
    let text = "Score: -10\n Expires: 2024-01-31\n From: spam\nScore: -1\n Expires: 01/31/2100\n From: spam\n";
    let (f, w) = ScoreFile::parse(text);
    assert!(w.is_empty(), "{w:?}");
    let day = |y, m, d| {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp()
            / 86_400
    };
    assert_eq!(f.score("any", &art("spam", ""), day(2024, 1, 31)), -11);
    assert_eq!(f.score("any", &art("spam", ""), day(2024, 2, 1)), -1);
}

#[test]
fn bad_lines_are_skipped_with_their_line_number() {
    let text = "[comp.*\nScore: lots\nScore: 5\n  Lines: 100\n  Subject: (unclosed\n  From: ok\nnonsense\n";
    let (f, w) = ScoreFile::parse(text);
    let lines: Vec<usize> = w.iter().map(|w| w.line).collect();
    assert_eq!(lines, vec![1, 2, 4, 5, 7], "{w:?}");
    assert!(w[0].message.contains("`]`"));
    assert!(w[1].message.contains("`lots`"));
    assert!(w[2].message.contains("`Lines`"));
    assert!(w[3].message.contains("bad pattern"));
    assert_eq!(w[0].to_string(), format!("line 1: {}", w[0].message));
    // The good condition of the rule still counts.
    assert_eq!(f.score("comp.x", &art("ok", ""), DAY), 5);
}

#[test]
fn a_rule_without_conditions_scores_nothing() {
    let (f, w) = ScoreFile::parse("Score: -9999\n");
    assert!(f.is_empty());
    assert_eq!(w.len(), 1);
    assert_eq!(f.score("any", &art("a", "b"), DAY), 0);
    let (f, _) = ScoreFile::parse("");
    assert!(f.is_empty());
}

#[test]
fn the_threshold_hides_and_a_bad_one_is_a_warning() {
    let (f, w) = ScoreFile::parse("Threshold: -100\nScore: -500\n From: spam\n");
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(f.threshold, -100);
    assert!(f.hides("any", &art("spam@x", ""), DAY));
    assert!(!f.hides("any", &art("ham@x", ""), DAY));
    let (f, w) = ScoreFile::parse("Threshold: low\n");
    assert_eq!(f.threshold, 0);
    assert_eq!(w[0].line, 1);
    // No rules: nothing is hidden, whatever the threshold.
    let (f, _) = ScoreFile::parse("Threshold: 100\n");
    assert!(!f.hides("any", &art("a", "b"), DAY));
}
