//! The limit/search query language.
//!
//! Terms, all of which must match: `from:WORD`, `to:WORD`, `subject:WORD`, `body:WORD`,
//! `is:unread|read|flagged|unflagged|replied|draft|tagged`, `has:attachment`,
//! `before:YYYY-MM-DD`, `after:YYYY-MM-DD` (UTC days; `before` is exclusive, `after`
//! inclusive), and plain words (matched against sender and subject). A leading `-` negates
//! a term; `"double quotes"` group words; matching is case-insensitive.

use super::envelope::Envelope;
use super::flags::Flags;
use chrono::NaiveDate;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    From(String),
    To(String),
    Subject(String),
    Body(String),
    Word(String),
    Unread,
    Flagged,
    Replied,
    Draft,
    Tagged,
    HasAttachment,
    Before(i64),
    After(i64),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clause {
    pub negated: bool,
    pub term: Term,
}

/// A parsed query: a conjunction of clauses.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Query {
    pub clauses: Vec<Clause>,
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("query: {0}")]
pub struct QueryError(pub String);

/// Facts about a message that are not in its envelope.
pub trait MatchContext {
    fn is_tagged(&self, env: &Envelope) -> bool;
}

/// A context with nothing tagged (headless search).
pub struct NoContext;
impl MatchContext for NoContext {
    fn is_tagged(&self, _: &Envelope) -> bool {
        false
    }
}

impl Query {
    pub fn parse(input: &str) -> Result<Query, QueryError> {
        let mut clauses = Vec::new();
        for token in tokenize(input)? {
            let (negated, token) = match token.strip_prefix('-') {
                Some(rest) if !rest.is_empty() => (true, rest.to_string()),
                _ => (false, token),
            };
            clauses.push(Clause {
                negated,
                term: parse_term(&token)?,
            });
        }
        Ok(Query {
            clauses,
            source: input.trim().to_string(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// True when some clause needs the message body.
    pub fn needs_body(&self) -> bool {
        self.clauses.iter().any(|c| matches!(c.term, Term::Body(_)))
    }

    /// Matches everything but `body:` clauses (those are treated as matching).
    pub fn matches_envelope(&self, env: &Envelope, ctx: &dyn MatchContext) -> bool {
        self.clauses.iter().all(|c| match &c.term {
            Term::Body(_) => true,
            t => term_matches(t, env, ctx) != c.negated,
        })
    }

    /// Matches the `body:` clauses against a decoded body text.
    pub fn matches_body(&self, body: &str) -> bool {
        let lower = body.to_lowercase();
        self.clauses.iter().all(|c| match &c.term {
            Term::Body(w) => lower.contains(w.as_str()) != c.negated,
            _ => true,
        })
    }
}

fn tokenize(input: &str) -> Result<Vec<String>, QueryError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    for c in input.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            c if c.is_whitespace() && !in_quotes => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if in_quotes {
        return Err(QueryError("unterminated \" quote".into()));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

fn parse_term(token: &str) -> Result<Term, QueryError> {
    let Some((field, value)) = token.split_once(':') else {
        return Ok(Term::Word(token.to_lowercase()));
    };
    let value_lc = value.to_lowercase();
    let need = |v: &str| {
        if v.is_empty() {
            Err(QueryError(format!("`{field}:` needs a value")))
        } else {
            Ok(v.to_string())
        }
    };
    Ok(match field.to_ascii_lowercase().as_str() {
        "from" => Term::From(need(&value_lc)?),
        "to" => Term::To(need(&value_lc)?),
        "subject" => Term::Subject(need(&value_lc)?),
        "body" => Term::Body(need(&value_lc)?),
        "is" => match value_lc.as_str() {
            "unread" | "new" => Term::Unread,
            "flagged" | "starred" => Term::Flagged,
            "replied" | "answered" => Term::Replied,
            "draft" => Term::Draft,
            "tagged" => Term::Tagged,
            "read" | "seen" => return Err(QueryError("use `-is:unread` for read messages".into())),
            other => {
                return Err(QueryError(format!(
                    "unknown `is:{other}` (unread, flagged, replied, draft, tagged)"
                )));
            }
        },
        "has" if value_lc.starts_with("attachment") => Term::HasAttachment,
        "before" => Term::Before(parse_day(value)?),
        "after" => Term::After(parse_day(value)?),
        // Not a known field: a plain word that happens to contain a colon.
        _ => Term::Word(token.to_lowercase()),
    })
}

fn parse_day(value: &str) -> Result<i64, QueryError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
        .ok_or_else(|| QueryError(format!("`{value}` is not a date (use YYYY-MM-DD)")))
}

fn contains(hay: &str, needle: &str) -> bool {
    if hay.is_ascii() {
        hay.as_bytes()
            .windows(needle.len().max(1))
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
            && !needle.is_empty()
    } else {
        hay.to_lowercase().contains(needle)
    }
}

fn term_matches(term: &Term, env: &Envelope, ctx: &dyn MatchContext) -> bool {
    match term {
        Term::From(w) => contains(&env.from, w) || contains(&env.from_addr, w),
        Term::To(w) => contains(&env.to, w),
        Term::Subject(w) => contains(&env.subject, w),
        Term::Word(w) => {
            contains(&env.subject, w) || contains(&env.from, w) || contains(&env.from_addr, w)
        }
        Term::Body(_) => true,
        Term::Unread => !env.flags.contains(Flags::SEEN),
        Term::Flagged => env.flags.contains(Flags::FLAGGED),
        Term::Replied => env.flags.contains(Flags::REPLIED),
        Term::Draft => env.flags.contains(Flags::DRAFT),
        Term::Tagged => ctx.is_tagged(env),
        Term::HasAttachment => env.has_attachments,
        Term::Before(t) => env.date < *t,
        Term::After(t) => env.date >= *t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{AccountId, FolderPath, LocalId};

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
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(
            Query::parse("before:yesterday")
                .unwrap_err()
                .0
                .contains("not a date")
        );
        assert!(Query::parse("is:bogus").unwrap_err().0.contains("unknown"));
        assert!(Query::parse("\"open").is_err());
        assert!(Query::parse("from:").is_err());
    }

    #[test]
    fn body_terms_are_checked_separately() {
        let q = Query::parse("body:invoice -body:spam").unwrap();
        assert!(q.needs_body());
        assert!(q.matches_body("Your INVOICE is attached"));
        assert!(!q.matches_body("invoice spam"));
    }
}
