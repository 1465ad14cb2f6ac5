//! Answering a query from the index: `core::query::Expr` compiled to SQL over
//! `envelopes`, `folders` and the full-text index (`fts`).
//!
//! Text terms become one FTS5 MATCH per group of ANDed or ORed text terms; flags,
//! dates, folders and accounts are plain SQL on the envelope row. When the query has a
//! MATCH at its top level, that MATCH drives the search: results come newest first by
//! walking the index backwards (ids follow dates, see `fts::docid_base`), so the first
//! screen costs a few hundred rows however common the word. Messages the indexer has
//! not reached yet are matched on their envelopes in memory (`core::query::eval`).

use super::err;
use super::fts::{self, FtsProgress, SLOTS, docid_base};
use super::read::ReadView;
use crate::core::query::{Expr, Field, MatchContext, Term, Text};
use crate::core::{AccountId, Envelope, Flags, FolderPath, LocalId};
use crate::store::StoreError;
use rusqlite::types::Value;
use std::collections::HashSet;

/// Which messages a search looks at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Only these accounts (None: every account).
    pub accounts: Option<Vec<AccountId>>,
    /// Only these folders (None: every folder).
    pub folders: Option<Vec<(AccountId, FolderPath)>>,
}

/// What a search needs from its caller: the clock and the session's tags.
pub struct SearchContext<'a> {
    pub now: i64,
    pub tagged: &'a HashSet<(AccountId, LocalId)>,
}

impl MatchContext for SearchContext<'_> {
    fn is_tagged(&self, env: &Envelope) -> bool {
        self.tagged.contains(&(env.account.clone(), env.id.clone()))
    }
    fn now(&self) -> i64 {
        self.now
    }
}

/// The matches of a search.
#[derive(Clone, Debug, Default)]
pub struct Found {
    /// Newest first (by the index's order; dates decide among the first screen).
    pub envelopes: Vec<Envelope>,
    /// Whether the full-text index was complete for this search (false: messages not
    /// indexed yet were matched on their envelopes only).
    pub complete: bool,
}

/// SQL text with its parameters.
#[derive(Default)]
struct Sql {
    text: String,
    params: Vec<Value>,
}

/// The FTS5 query for a text term: `{columns}: "w1 w2"*`.
fn fts_text(t: &Text) -> String {
    let cols = match t.field {
        Field::Any => "",
        Field::From => "sender : ",
        Field::To => "recipients : ",
        Field::Cc => "cc : ",
        Field::Subject => "subject : ",
        Field::Body => "body : ",
        Field::Attachment => "attachments : ",
    };
    // Folded words are letters and digits only: nothing to escape inside the quotes.
    let words: Vec<&str> = t.words.iter().map(String::as_str).collect();
    format!(
        "{cols}\"{}\"{}",
        words.join(" "),
        if t.prefix { "*" } else { "" }
    )
}

/// The FTS5 expression for a subtree made only of text terms, when FTS5 can say it
/// (its NOT is binary: an AND needs a positive side).
fn fts_expr(e: &Expr) -> Option<String> {
    match e {
        Expr::Term(Term::Text(t)) => Some(fts_text(t)),
        Expr::Term(_) | Expr::Not(_) => None,
        Expr::Or(v) => {
            let parts: Option<Vec<String>> = v.iter().map(fts_expr).collect();
            Some(format!("({})", parts?.join(" OR ")))
        }
        Expr::And(v) => {
            let (pos, neg) = split_and(v);
            if pos.len() + neg.len() != v.len() || pos.is_empty() {
                return None;
            }
            and_match(&pos, &neg)
        }
    }
}

/// The children of an AND that FTS5 can take: positive text subtrees, and the
/// subtrees of NOTs over text.
fn split_and(v: &[Expr]) -> (Vec<String>, Vec<String>) {
    let (mut pos, mut neg) = (Vec::new(), Vec::new());
    for x in v {
        match x {
            Expr::Not(inner) => {
                if let Some(m) = fts_expr(inner) {
                    neg.push(m);
                }
            }
            other => {
                if let Some(m) = fts_expr(other) {
                    pos.push(m);
                }
            }
        }
    }
    (pos, neg)
}

fn and_match(pos: &[String], neg: &[String]) -> Option<String> {
    if pos.is_empty() {
        return None;
    }
    let mut m = format!("({})", pos.join(" AND "));
    if !neg.is_empty() {
        m = format!("{m} NOT ({})", neg.join(" OR "));
    }
    Some(m)
}

/// True when the subtree holds a text term (so rows need their `fts_docs` row).
fn has_text(e: &Expr) -> bool {
    let mut t = false;
    e.each_term(&mut |term, _| t |= matches!(term, Term::Text(_)));
    t
}

struct Compiler<'a> {
    ctx: &'a SearchContext<'a>,
}

impl Compiler<'_> {
    fn matches(&self, m: String, out: &mut Sql) {
        out.text
            .push_str("d.docid IN (SELECT rowid FROM fts WHERE fts MATCH ?)");
        out.params.push(Value::Text(m));
    }

    /// A SQL condition for `e` over the aliases e (envelope), f (folder), d (fts_docs).
    fn cond(&self, e: &Expr, out: &mut Sql) {
        if let Some(m) = fts_expr(e) {
            return self.matches(m, out);
        }
        match e {
            Expr::And(v) | Expr::Or(v) => {
                let and = matches!(e, Expr::And(_));
                let mut parts: Vec<Sql> = Vec::new();
                let rest: Vec<&Expr> = if and {
                    let (pos, neg) = split_and(v);
                    if let Some(m) = and_match(&pos, &neg) {
                        let mut s = Sql::default();
                        self.matches(m, &mut s);
                        parts.push(s);
                        v.iter()
                            .filter(|x| match x {
                                Expr::Not(i) => fts_expr(i).is_none(),
                                other => fts_expr(other).is_none(),
                            })
                            .collect()
                    } else {
                        v.iter().collect()
                    }
                } else {
                    let texts: Vec<String> = v.iter().filter_map(fts_expr).collect();
                    if !texts.is_empty() {
                        let mut s = Sql::default();
                        self.matches(texts.join(" OR "), &mut s);
                        parts.push(s);
                    }
                    v.iter().filter(|x| fts_expr(x).is_none()).collect()
                };
                for x in rest {
                    let mut s = Sql::default();
                    self.cond(x, &mut s);
                    parts.push(s);
                }
                let op = if and { " AND " } else { " OR " };
                out.text.push('(');
                for (i, p) in parts.into_iter().enumerate() {
                    if i > 0 {
                        out.text.push_str(op);
                    }
                    out.text.push_str(&p.text);
                    out.params.extend(p.params);
                }
                out.text.push(')');
            }
            Expr::Not(x) => {
                // Rows the index has not reached are left out of the SQL (see
                // `select`), so a text term here is never unknown.
                out.text.push_str("NOT ");
                self.cond(x, out);
            }
            Expr::Term(t) => self.term(t, out),
        }
    }

    fn term(&self, t: &Term, out: &mut Sql) {
        let flag = |f: Flags| format!("(e.flags & {}) != 0", f.bits());
        let text = match t {
            Term::Text(t) => return self.matches(fts_text(t), out),
            Term::Unread => format!("(e.flags & {}) = 0", Flags::SEEN.bits()),
            Term::Flagged => flag(Flags::FLAGGED),
            Term::Replied => flag(Flags::REPLIED),
            Term::Draft => flag(Flags::DRAFT),
            Term::Passed => flag(Flags::PASSED),
            Term::Trashed => flag(Flags::TRASHED),
            Term::HasAttachment => "e.has_att != 0".into(),
            Term::Date(r) => {
                let (lo, hi) = r.resolve(self.ctx.now);
                out.params.push(Value::Integer(lo));
                out.params.push(Value::Integer(hi));
                "(e.date >= ? AND e.date < ?)".into()
            }
            Term::Folder(f) => {
                out.params.push(Value::Text(f.clone()));
                "f.path = ? COLLATE NOCASE".into()
            }
            Term::Account(a) => {
                out.params.push(Value::Text(a.clone()));
                "f.account = ?".into()
            }
            Term::Tagged => {
                if self.ctx.tagged.is_empty() {
                    "0".into()
                } else {
                    let mut s = String::from("(f.account, e.uid) IN (VALUES ");
                    for (i, (a, id)) in self.ctx.tagged.iter().enumerate() {
                        s.push_str(if i == 0 { "(?, ?)" } else { ", (?, ?)" });
                        out.params.push(Value::Text(a.0.clone()));
                        out.params.push(Value::Text(id.0.clone()));
                    }
                    s.push(')');
                    s
                }
            }
        };
        out.text.push_str(&text);
    }
}

/// A query split for the planner: the MATCH that drives it (top-level text), the rest,
/// and the id range a top-level date term allows.
struct Plan {
    driver: Option<String>,
    rest: Vec<Expr>,
    ids: (i64, i64),
}

fn plan(e: &Expr, ctx: &SearchContext, spill: i64) -> Plan {
    let conjuncts: Vec<Expr> = match e {
        Expr::And(v) => v.clone(),
        other => vec![other.clone()],
    };
    let mut ids = (i64::MIN, i64::MAX);
    for c in &conjuncts {
        if let Expr::Term(Term::Date(r)) = c {
            let (lo, hi) = r.resolve(ctx.now);
            if lo > i64::MIN {
                ids.0 = ids.0.max(docid_base(lo));
            }
            if hi < i64::MAX {
                ids.1 = ids.1.min(docid_base(hi).saturating_add(SLOTS + spill));
            }
        }
    }
    let (pos, neg) = split_and(&conjuncts);
    match and_match(&pos, &neg) {
        Some(m) => Plan {
            driver: Some(m),
            rest: conjuncts
                .into_iter()
                .filter(|x| match x {
                    Expr::Not(i) => fts_expr(i).is_none(),
                    other => fts_expr(other).is_none(),
                })
                .collect(),
            ids,
        },
        None => Plan {
            driver: None,
            rest: conjuncts,
            ids,
        },
    }
}

const COLUMNS: &str = "f.account, f.path, e.uid, e.size, e.date, e.from_name, e.from_addr,
    e.to_list, e.subject, e.message_id, e.in_reply_to, e.refs, e.flags, e.has_att";

fn envelope(r: &rusqlite::Row) -> rusqlite::Result<Envelope> {
    Ok(Envelope {
        account: AccountId(r.get(0)?),
        folder: FolderPath(r.get(1)?),
        id: LocalId(r.get(2)?),
        size: r.get::<_, i64>(3)? as u64,
        date: r.get(4)?,
        from: r.get(5)?,
        from_addr: r.get(6)?,
        to: r.get(7)?,
        subject: r.get(8)?,
        message_id: r.get(9)?,
        in_reply_to: r.get(10)?,
        references: r.get(11)?,
        flags: Flags::from_bits(r.get(12)?),
        has_attachments: r.get(13)?,
    })
}

impl ReadView<'_> {
    /// How far the full-text indexer is.
    pub fn fts_progress(&self) -> Result<FtsProgress, StoreError> {
        fts::progress(self.conn, self.path)
    }

    /// How many messages wait for the full-text indexer (cheaper than `fts_progress`,
    /// which counts the indexed ones too).
    pub fn fts_pending(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM fts_pending", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| err("read indexing progress", self.path, e))
    }

    /// The folder ids of a scope's folders (missing folders are left out).
    fn scope_sql(&self, scope: &Scope, out: &mut Sql) -> Result<(), StoreError> {
        if let Some(accounts) = &scope.accounts {
            out.text.push_str(" AND f.account IN (");
            for (i, a) in accounts.iter().enumerate() {
                out.text.push_str(if i == 0 { "?" } else { ", ?" });
                out.params.push(Value::Text(a.0.clone()));
            }
            out.text.push(')');
        }
        if let Some(folders) = &scope.folders {
            let mut ids = Vec::new();
            for (a, f) in folders {
                if let Some(id) = self.folder(a, f)? {
                    ids.push(id.to_string());
                }
            }
            out.text
                .push_str(&format!(" AND e.folder_id IN ({})", ids.join(", ")));
        }
        Ok(())
    }

    /// Builds the SELECT (of `what`) for a query; `order` adds newest-first ordering.
    fn select(
        &self,
        e: Option<&Expr>,
        scope: &Scope,
        ctx: &SearchContext,
        what: &str,
        order: bool,
    ) -> Result<Sql, StoreError> {
        let spill = fts::max_spill(self.conn).map_err(|x| err("search", self.path, x))?;
        let p = match e {
            Some(e) => plan(e, ctx, spill),
            None => Plan {
                driver: None,
                rest: Vec::new(),
                ids: (i64::MIN, i64::MAX),
            },
        };
        let mut sql = Sql::default();
        let needs_docs = p.rest.iter().any(has_text);
        if let Some(m) = &p.driver {
            // CROSS JOIN keeps the index walk outermost, so ORDER BY rowid is free.
            sql.text = format!(
                "SELECT {what} FROM fts CROSS JOIN fts_docs d ON d.docid = fts.rowid
                 CROSS JOIN envelopes e ON e.folder_id = d.folder_id AND e.uid = d.uid
                 CROSS JOIN folders f ON f.id = e.folder_id
                 WHERE fts MATCH ?"
            );
            sql.params.push(Value::Text(m.clone()));
            if p.ids.0 > i64::MIN {
                sql.text.push_str(" AND fts.rowid >= ?");
                sql.params.push(Value::Integer(p.ids.0));
            }
            if p.ids.1 < i64::MAX {
                sql.text.push_str(" AND fts.rowid < ?");
                sql.params.push(Value::Integer(p.ids.1));
            }
        } else {
            sql.text = format!(
                "SELECT {what} FROM envelopes e JOIN folders f ON f.id = e.folder_id{} WHERE 1",
                if needs_docs {
                    " JOIN fts_docs d ON d.folder_id = e.folder_id AND d.uid = e.uid"
                } else {
                    ""
                }
            );
        }
        let c = Compiler { ctx };
        for x in &p.rest {
            sql.text.push_str(" AND ");
            c.cond(x, &mut sql);
        }
        self.scope_sql(scope, &mut sql)?;
        if order {
            sql.text.push_str(if p.driver.is_some() {
                " ORDER BY fts.rowid DESC"
            } else {
                " ORDER BY e.date DESC"
            });
        }
        Ok(sql)
    }

    /// Messages matching `query` in `scope`, newest first; at most `limit` when given
    /// (the first screen), all of them otherwise.
    pub fn search(
        &self,
        query: Option<&Expr>,
        scope: &Scope,
        ctx: &SearchContext,
        limit: Option<usize>,
    ) -> Result<Found, StoreError> {
        let e = |x| err("search", self.path, x);
        let mut sql = self.select(query, scope, ctx, COLUMNS, true)?;
        if let Some(n) = limit {
            sql.text.push_str(&format!(" LIMIT {n}"));
        }
        let mut st = self.conn.prepare(&sql.text).map_err(e)?;
        let mut envelopes: Vec<Envelope> = st
            .query_map(rusqlite::params_from_iter(sql.params), envelope)
            .map_err(e)?
            .collect::<Result<_, _>>()
            .map_err(e)?;
        let mut complete = true;
        if let Some(q) = query.filter(|q| has_text(q))
            && let Some(more) = self.unindexed(q, scope, ctx)?
        {
            complete = false;
            envelopes.extend(more);
        }
        envelopes.sort_by_key(|e| std::cmp::Reverse(e.date));
        if let Some(n) = limit {
            envelopes.truncate(n);
        }
        Ok(Found {
            envelopes,
            complete,
        })
    }

    /// How many messages match: what `search` would return, counted in the index.
    pub fn count(
        &self,
        query: Option<&Expr>,
        scope: &Scope,
        ctx: &SearchContext,
    ) -> Result<usize, StoreError> {
        let e = |x| err("count", self.path, x);
        let unindexed = match query.filter(|q| has_text(q)) {
            Some(q) => self.unindexed(q, scope, ctx)?.map_or(0, |v| v.len()),
            None => 0,
        };
        // A bare text query over everything: count in the index alone (the triggers
        // keep every FTS row tied to a live envelope).
        if let Some(q) = query
            && scope == &Scope::default()
            && let Some(m) = fts_expr(q)
        {
            let n: i64 = self
                .conn
                .query_row("SELECT count(*) FROM fts WHERE fts MATCH ?1", [m], |r| {
                    r.get(0)
                })
                .map_err(e)?;
            return Ok(n as usize + unindexed);
        }
        let sql = self.select(query, scope, ctx, "count(*)", false)?;
        let n: i64 = self
            .conn
            .query_row(&sql.text, rusqlite::params_from_iter(sql.params), |r| {
                r.get(0)
            })
            .map_err(e)?;
        Ok(n as usize + unindexed)
    }

    /// Queued messages that were never indexed, in scope, that match on their
    /// envelopes alone; None when no message waits. (A message queued again, after its
    /// body was fetched, is still found by its earlier text.)
    fn unindexed(
        &self,
        q: &Expr,
        scope: &Scope,
        ctx: &SearchContext,
    ) -> Result<Option<Vec<Envelope>>, StoreError> {
        let e = |x| err("search", self.path, x);
        let any: bool = self
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM fts_pending)", [], |r| {
                r.get(0)
            })
            .map_err(e)?;
        if !any {
            return Ok(None);
        }
        let mut sql = Sql {
            text: format!(
                "SELECT {COLUMNS} FROM fts_pending p
                 JOIN envelopes e ON e.folder_id = p.folder_id AND e.uid = p.uid
                 JOIN folders f ON f.id = e.folder_id
                 WHERE NOT EXISTS (SELECT 1 FROM fts_docs d
                                   WHERE d.folder_id = p.folder_id AND d.uid = p.uid)"
            ),
            params: Vec::new(),
        };
        self.scope_sql(scope, &mut sql)?;
        let mut st = self.conn.prepare(&sql.text).map_err(e)?;
        let rows = st
            .query_map(rusqlite::params_from_iter(sql.params), envelope)
            .map_err(e)?;
        let mut out = Vec::new();
        for r in rows {
            let env = r.map_err(e)?;
            if crate::core::query::eval::eval(q, &env, ctx) == Some(true) {
                out.push(env);
            }
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::query::Query;

    fn m(q: &str) -> Option<String> {
        fts_expr(Query::parse(q).unwrap().expr.as_ref().unwrap())
    }

    #[test]
    fn text_terms_become_one_match() {
        assert_eq!(m("kernel").as_deref(), Some("\"kernel\"*"));
        assert_eq!(
            m("from:grace subject:\"build log\"").as_deref(),
            Some("(sender : \"grace\"* AND subject : \"build log\")")
        );
        assert_eq!(
            m("a OR body:zoë*").as_deref(),
            Some("(\"a\" OR body : \"zoe\"*)")
        );
        assert_eq!(
            m("kernel -body:spam").as_deref(),
            Some("(\"kernel\"*) NOT (body : \"spam\"*)")
        );
        assert_eq!(m("-kernel"), None, "FTS5 has no unary NOT");
        assert_eq!(m("kernel is:unread"), None);
    }
}
