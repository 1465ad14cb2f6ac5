//! Evaluating a query against one envelope, in three-valued logic: `Some(true)` and
//! `Some(false)` when the envelope decides, `None` when the answer depends on text only
//! the full-text index holds (the body, Cc, attachment names). AND and OR follow
//! Kleene's rules, so `from:ann OR body:x` is true for Ann's mail without the body.

use super::{Expr, Field, Term, Text, fold};
use crate::core::envelope::Envelope;
use crate::core::flags::Flags;

/// Facts about a message that are not in its envelope, and the clock.
pub trait MatchContext {
    fn is_tagged(&self, env: &Envelope) -> bool;
    /// Seconds since the epoch, for relative dates (`date:7d..`).
    fn now(&self) -> i64 {
        0
    }
}

/// Nothing tagged, the clock at the epoch (for queries without relative dates).
pub struct NoContext;
impl MatchContext for NoContext {
    fn is_tagged(&self, _: &Envelope) -> bool {
        false
    }
}

pub fn eval(e: &Expr, env: &Envelope, ctx: &dyn MatchContext) -> Option<bool> {
    match e {
        Expr::And(v) => {
            let mut all = Some(true);
            for x in v {
                match eval(x, env, ctx) {
                    Some(false) => return Some(false),
                    None => all = None,
                    Some(true) => {}
                }
            }
            all
        }
        Expr::Or(v) => {
            let mut any = Some(false);
            for x in v {
                match eval(x, env, ctx) {
                    Some(true) => return Some(true),
                    None => any = None,
                    Some(false) => {}
                }
            }
            any
        }
        Expr::Not(x) => eval(x, env, ctx).map(|b| !b),
        Expr::Term(t) => term(t, env, ctx),
    }
}

fn has(text: &str, t: &Text) -> bool {
    fold::contains_words(text, &t.words, t.prefix)
}

/// The sender as the index holds it: the name, then the address.
fn from_matches(env: &Envelope, t: &Text) -> bool {
    if t.words.len() == 1 {
        has(&env.from, t) || has(&env.from_addr, t)
    } else {
        has(&format!("{} {}", env.from, env.from_addr), t)
    }
}

fn term(t: &Term, env: &Envelope, ctx: &dyn MatchContext) -> Option<bool> {
    let flag = |f: Flags| Some(env.flags.contains(f));
    match t {
        Term::Text(t) => match t.field {
            Field::From => Some(from_matches(env, t)),
            Field::To => Some(has(&env.to, t)),
            Field::Subject => Some(has(&env.subject, t)),
            // Found in a header: true; not found: the body may still have it.
            Field::Any => {
                (from_matches(env, t) || has(&env.to, t) || has(&env.subject, t)).then_some(true)
            }
            Field::Cc | Field::Body | Field::Attachment => None,
        },
        Term::Unread => Some(!env.flags.contains(Flags::SEEN)),
        Term::Flagged => flag(Flags::FLAGGED),
        Term::Replied => flag(Flags::REPLIED),
        Term::Draft => flag(Flags::DRAFT),
        Term::Passed => flag(Flags::PASSED),
        Term::Trashed => flag(Flags::TRASHED),
        Term::Tagged => Some(ctx.is_tagged(env)),
        Term::HasAttachment => Some(env.has_attachments),
        Term::Date(r) => Some(r.contains(env.date, ctx.now())),
        Term::Folder(f) => Some(folder_is(&env.folder.0, f)),
        Term::Account(a) => Some(env.account.0 == *a),
    }
}

/// `folder:` compares paths without regard to case.
pub fn folder_is(path: &str, wanted: &str) -> bool {
    path.eq_ignore_ascii_case(wanted) || path.to_lowercase() == wanted.to_lowercase()
}
