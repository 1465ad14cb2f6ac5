//! The search language, shared by the `/` limit, the global search, saved searches and
//! `posthorn search`:
//!
//! - words and `"quoted phrases"` anywhere (headers, body, attachment names); a word
//!   of three or more letters also matches longer words it starts (`factur` finds
//!   `Facture`), `word*` asks for that explicitly and a quoted word matches only
//!   itself;
//! - fields: `from: to: cc: subject: body: attachment:` (text), `is:`/`tag:` (`unread`,
//!   `read`, `flagged`, `replied`, `draft`, `passed`, `trashed`, `tagged`),
//!   `has:attachment`, `date:` ranges (see `date`), `before:`/`after:` days,
//!   `folder:` and `account:`;
//! - `AND` (or nothing), `OR`, `NOT` (or a leading `-`) and parentheses; NOT binds
//!   tightest, then AND, then OR;
//! - matching folds case and Latin diacritics (see `fold`).
//!
//! Errors name the column where the query goes wrong (`column 14: unclosed "`).
//!
//! The parsed form (`Expr`) is evaluated three ways: here against an envelope (the
//! limit, and messages the full-text index has not reached yet), by the store as SQL
//! over the FTS5 index, and by `imap` as an IMAP SEARCH string for the server. Pure;
//! no I/O (the clock comes from the caller).

pub mod date;
pub mod eval;
pub mod fold;
pub mod imap;
mod parse;

pub use date::{Bound, DateRange};
pub use eval::{MatchContext, NoContext};

use super::envelope::Envelope;

/// Which text a word is looked for in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// Everywhere: sender, recipients, subject, body and attachment names.
    Any,
    From,
    To,
    Cc,
    Subject,
    Body,
    /// Attachment file names.
    Attachment,
}

impl Field {
    /// Whether an envelope alone can answer it (the rest needs the full-text index).
    pub fn in_envelope(self) -> bool {
        matches!(self, Field::From | Field::To | Field::Subject)
    }
}

/// Words to find, one after the other, in a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub field: Field,
    /// Folded words (`fold::words`); never empty.
    pub words: Vec<String>,
    /// The last word may be the start of a longer one.
    pub prefix: bool,
    /// The value as typed (for a server search, which folds for itself).
    pub raw: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    Text(Text),
    Unread,
    Flagged,
    Replied,
    Draft,
    Passed,
    Trashed,
    /// Tagged in this session (the list's tags).
    Tagged,
    HasAttachment,
    Date(DateRange),
    /// A folder path (any account), compared without regard to case.
    Folder(String),
    Account(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Term(Term),
}

impl Expr {
    /// Calls `f` on every term with whether it sits under an odd number of NOTs.
    pub fn each_term(&self, f: &mut impl FnMut(&Term, bool)) {
        self.walk(false, f)
    }

    fn walk(&self, negated: bool, f: &mut impl FnMut(&Term, bool)) {
        match self {
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| e.walk(negated, f)),
            Expr::Not(e) => e.walk(!negated, f),
            Expr::Term(t) => f(t, negated),
        }
    }
}

/// A parsed query; `expr` is None for an empty one (which matches everything).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Query {
    pub expr: Option<Expr>,
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("query: {0}")]
pub struct QueryError(pub String);

/// Words to highlight: (field, folded words, last word is a prefix).
pub type Highlight = (Field, Vec<String>, bool);

impl Query {
    pub fn parse(input: &str) -> Result<Query, QueryError> {
        Ok(Query {
            expr: parse::parse(input)?,
            source: input.trim().to_string(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.expr.is_none()
    }

    /// True when some term needs the full-text index (words anywhere, `body:`,
    /// `cc:`, `attachment:`): an envelope alone cannot answer it.
    pub fn needs_index(&self) -> bool {
        let mut needs = false;
        if let Some(e) = &self.expr {
            e.each_term(&mut |t, _| {
                if let Term::Text(t) = t {
                    needs |= !t.field.in_envelope();
                }
            });
        }
        needs
    }

    /// The old name of `needs_index`.
    pub fn needs_body(&self) -> bool {
        self.needs_index()
    }

    /// True when the envelope certainly matches. A term the envelope cannot answer
    /// (see `needs_index`) does not match unless the rest of the query decides.
    pub fn matches_envelope(&self, env: &Envelope, ctx: &dyn MatchContext) -> bool {
        self.eval(env, ctx) == Some(true)
    }

    /// Three-valued: Some(true/false) when the envelope decides, None when the answer
    /// depends on text only the full-text index has.
    pub fn eval(&self, env: &Envelope, ctx: &dyn MatchContext) -> Option<bool> {
        match &self.expr {
            None => Some(true),
            Some(e) => eval::eval(e, env, ctx),
        }
    }

    /// The words a match was found by (terms not under a NOT), for highlighting.
    pub fn highlights(&self) -> Vec<Highlight> {
        let mut out = Vec::new();
        if let Some(e) = &self.expr {
            e.each_term(&mut |t, negated| {
                if let (Term::Text(t), false) = (t, negated) {
                    out.push((t.field, t.words.clone(), t.prefix));
                }
            });
        }
        out
    }

    /// The query as IMAP search keys (see `imap`), or None when a server cannot
    /// answer it.
    pub fn imap_search(&self, now: i64) -> Option<imap::ImapSearch> {
        imap::imap_search(self.expr.as_ref()?, now)
    }
}

#[cfg(test)]
mod tests;
