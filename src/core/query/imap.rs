//! The seam to IMAP server search: a query as the search keys of RFC 3501 §6.4.4
//! (`UID SEARCH`), for messages whose bodies are not cached. The IMAP account sends it
//! (with `CHARSET UTF-8` and literals when `utf8` says so, RFC 3501 §6.4.4 and §4.3);
//! nothing here talks to a server.
//!
//! Server matching is by substring and by day, so the keys ask for a superset of what
//! the query matches locally (a prefix word, a date range that ends mid-day). Terms a
//! server cannot answer (`tag:tagged`, `has:attachment`, `attachment:`, `folder:`,
//! `account:`) make the whole query unanswerable there: `None`.

use super::{Expr, Field, Term, Text};

/// One argument of a SEARCH command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImapArg {
    /// A search key or a date, sent as is (`UNSEEN`, `SENTSINCE`, `1-Feb-2026`, `(`).
    Atom(String),
    /// A string argument: quoted when it is 7-bit, else a literal.
    Str(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImapSearch {
    pub args: Vec<ImapArg>,
    /// Some string is not ASCII: send `CHARSET UTF-8` and the string as a literal.
    pub utf8: bool,
}

impl ImapSearch {
    /// The keys as one line with quoted strings (RFC 3501 §4.3), when every string is
    /// 7-bit and free of CR and LF; None when literals are needed.
    pub fn to_line(&self) -> Option<String> {
        let mut out = Vec::with_capacity(self.args.len());
        for a in &self.args {
            match a {
                ImapArg::Atom(s) => out.push(s.clone()),
                ImapArg::Str(s) => {
                    if !s.is_ascii() || s.contains(['\r', '\n']) {
                        return None;
                    }
                    out.push(format!(
                        "\"{}\"",
                        s.replace('\\', "\\\\").replace('"', "\\\"")
                    ));
                }
            }
        }
        Some(out.join(" ").replace("( ", "(").replace(" )", ")"))
    }
}

/// The search keys for `expr` at time `now` (relative dates), or None when a server
/// cannot answer it.
pub fn imap_search(expr: &Expr, now: i64) -> Option<ImapSearch> {
    let mut args = Vec::new();
    keys(expr, now, &mut args)?;
    let utf8 = args
        .iter()
        .any(|a| matches!(a, ImapArg::Str(s) if !s.is_ascii()));
    Some(ImapSearch { args, utf8 })
}

fn atom(s: &str) -> ImapArg {
    ImapArg::Atom(s.to_string())
}

fn keys(e: &Expr, now: i64, out: &mut Vec<ImapArg>) -> Option<()> {
    match e {
        Expr::And(v) => {
            // A parenthesised list is an AND of its keys.
            out.push(atom("("));
            for x in v {
                keys(x, now, out)?;
            }
            out.push(atom(")"));
        }
        Expr::Or(v) => {
            // OR takes two keys: OR a (OR b c).
            let (last, rest) = v.split_last()?;
            for x in rest {
                out.push(atom("OR"));
                keys(x, now, out)?;
            }
            keys(last, now, out)?;
        }
        Expr::Not(x) => {
            out.push(atom("NOT"));
            keys(x, now, out)?;
        }
        Expr::Term(t) => term(t, now, out)?,
    }
    Some(())
}

fn text(t: &Text, out: &mut Vec<ImapArg>) -> Option<()> {
    let key = match t.field {
        Field::Any => "TEXT",
        Field::From => "FROM",
        Field::To => "TO",
        Field::Cc => "CC",
        Field::Subject => "SUBJECT",
        Field::Body => "BODY",
        Field::Attachment => return None,
    };
    out.push(atom(key));
    out.push(ImapArg::Str(t.raw.trim().to_string()));
    Some(())
}

/// RFC 3501 date: `1-Feb-2026`.
fn day(ts: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.format("%-d-%b-%Y").to_string())
}

fn term(t: &Term, now: i64, out: &mut Vec<ImapArg>) -> Option<()> {
    let key = match t {
        Term::Text(x) => return text(x, out),
        Term::Unread => "UNSEEN",
        Term::Flagged => "FLAGGED",
        Term::Replied => "ANSWERED",
        Term::Draft => "DRAFT",
        Term::Trashed => "DELETED",
        Term::Passed => {
            out.push(atom("KEYWORD"));
            out.push(atom("$Forwarded"));
            return Some(());
        }
        Term::Date(r) => {
            out.push(atom("("));
            if let Some(lo) = r.lo {
                out.push(atom("SENTSINCE"));
                out.push(ImapArg::Atom(day(lo.resolve(now))?));
            }
            if let Some(hi) = r.hi {
                // SENTBEFORE is by whole days: round up so nothing wanted is missed.
                let t = hi.resolve(now);
                let t = if t.rem_euclid(86_400) == 0 {
                    t
                } else {
                    t + 86_400
                };
                out.push(atom("SENTBEFORE"));
                out.push(ImapArg::Atom(day(t)?));
            }
            if r.lo.is_none() && r.hi.is_none() {
                out.push(atom("ALL"));
            }
            out.push(atom(")"));
            return Some(());
        }
        Term::Tagged | Term::HasAttachment | Term::Folder(_) | Term::Account(_) => return None,
    };
    out.push(atom(key));
    Some(())
}
