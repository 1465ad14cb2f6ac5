//! The query parser: a lexer that keeps each token's column, then recursive descent
//! (OR of ANDs of unary terms). Every error names the column where the problem starts,
//! counted in characters from 1.

use super::date::{self, Bound, DateRange};
use super::{Expr, Field, QueryError, Term, Text, fold};

#[derive(Clone, Debug)]
enum Tok {
    Open(usize),
    Close(usize),
    And(usize),
    Or(usize),
    Not(usize),
    Term(Raw),
}

/// A term as written: `-field:"value"*`.
#[derive(Clone, Debug)]
struct Raw {
    col: usize,
    neg: bool,
    field: Option<String>,
    value: String,
    quoted: bool,
    star: bool,
}

const FIELDS: &[&str] = &[
    "from",
    "to",
    "cc",
    "subject",
    "body",
    "attachment",
    "is",
    "tag",
    "has",
    "date",
    "before",
    "after",
    "folder",
    "account",
];

fn err(col: usize, msg: impl std::fmt::Display) -> QueryError {
    QueryError(format!("column {col}: {msg}"))
}

/// Parses a whole query; None when it holds no terms.
pub fn parse(input: &str) -> Result<Option<Expr>, QueryError> {
    let toks = lex(input)?;
    if toks.is_empty() {
        return Ok(None);
    }
    let end = input.chars().count() + 1;
    let mut p = Parser { toks, i: 0, end };
    let e = p.or()?;
    match p.toks.get(p.i) {
        None => Ok(Some(e)),
        Some(Tok::Close(c)) => Err(err(*c, ") has no matching (")),
        Some(_) => Err(err(p.col(), "unexpected text")),
    }
}

fn lex(input: &str) -> Result<Vec<Tok>, QueryError> {
    let cs: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                out.push(Tok::Open(col));
                i += 1;
                continue;
            }
            ')' => {
                out.push(Tok::Close(col));
                i += 1;
                continue;
            }
            _ => {}
        }
        let mut neg = false;
        if c == '-'
            && cs
                .get(i + 1)
                .is_some_and(|n| !n.is_whitespace() && *n != ')')
        {
            neg = true;
            i += 1;
            if cs[i] == '(' {
                out.push(Tok::Not(col));
                continue;
            }
        }
        if cs[i] == '"' {
            let (value, next) = quoted(&cs, i)?;
            let star = cs.get(next) == Some(&'*');
            i = next + usize::from(star);
            out.push(Tok::Term(Raw {
                col,
                neg,
                field: None,
                value,
                quoted: true,
                star,
            }));
            continue;
        }
        let start = i;
        while i < cs.len() && !cs[i].is_whitespace() && !matches!(cs[i], '(' | ')' | '"') {
            i += 1;
        }
        let chunk: String = cs[start..i].iter().collect();
        if !neg {
            let op = match chunk.to_ascii_lowercase().as_str() {
                "and" => Some(Tok::And(col)),
                "or" => Some(Tok::Or(col)),
                "not" => Some(Tok::Not(col)),
                _ => None,
            };
            if let Some(op) = op {
                out.push(op);
                continue;
            }
        }
        let known = chunk
            .split_once(':')
            .map(|(f, v)| (f.to_ascii_lowercase(), v.to_string()))
            .filter(|(f, _)| FIELDS.contains(&f.as_str()));
        let raw = match known {
            // `field:"a quoted value"`
            Some((f, v)) if v.is_empty() && cs.get(i) == Some(&'"') => {
                let (value, next) = quoted(&cs, i)?;
                let star = cs.get(next) == Some(&'*');
                i = next + usize::from(star);
                Raw {
                    col,
                    neg,
                    field: Some(f),
                    value,
                    quoted: true,
                    star,
                }
            }
            Some((f, v)) => {
                let (v, star) = strip_star(v);
                Raw {
                    col,
                    neg,
                    field: Some(f),
                    value: v,
                    quoted: false,
                    star,
                }
            }
            None => {
                let (v, star) = strip_star(chunk);
                Raw {
                    col,
                    neg,
                    field: None,
                    value: v,
                    quoted: false,
                    star,
                }
            }
        };
        out.push(Tok::Term(raw));
    }
    Ok(out)
}

fn strip_star(mut v: String) -> (String, bool) {
    if v.len() > 1 && v.ends_with('*') {
        v.pop();
        (v, true)
    } else {
        (v, false)
    }
}

/// The text of a quoted string opening at `cs[at]`, and the index after its close.
fn quoted(cs: &[char], at: usize) -> Result<(String, usize), QueryError> {
    match cs[at + 1..].iter().position(|c| *c == '"') {
        Some(n) => Ok((cs[at + 1..at + 1 + n].iter().collect(), at + 2 + n)),
        None => Err(err(at + 1, "unclosed \"")),
    }
}

struct Parser {
    toks: Vec<Tok>,
    i: usize,
    /// The column just past the end of the input.
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i)
    }

    fn col(&self) -> usize {
        match self.peek() {
            Some(Tok::Open(c) | Tok::Close(c) | Tok::And(c) | Tok::Or(c) | Tok::Not(c)) => *c,
            Some(Tok::Term(r)) => r.col,
            None => self.end,
        }
    }

    fn starts_term(&self) -> bool {
        matches!(self.peek(), Some(Tok::Open(_) | Tok::Not(_) | Tok::Term(_)))
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut items = vec![self.and()?];
        while let Some(Tok::Or(c)) = self.peek() {
            let c = *c;
            self.i += 1;
            if !self.starts_term() {
                return Err(err(c, "OR needs a term after it"));
            }
            items.push(self.and()?);
        }
        Ok(one_or(items, Expr::Or))
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut items = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(Tok::And(c)) => {
                    let c = *c;
                    self.i += 1;
                    if !self.starts_term() {
                        return Err(err(c, "AND needs a term after it"));
                    }
                    items.push(self.unary()?);
                }
                Some(Tok::Open(_) | Tok::Not(_) | Tok::Term(_)) => items.push(self.unary()?),
                _ => break,
            }
        }
        Ok(one_or(items, Expr::And))
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        let Some(tok) = self.toks.get(self.i).cloned() else {
            return Err(err(self.end, "the query ends where a term was expected"));
        };
        self.i += 1;
        match tok {
            Tok::Not(c) => {
                if !self.starts_term() {
                    return Err(err(c, "NOT needs a term after it"));
                }
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Tok::Open(c) => {
                if let Some(Tok::Close(_)) = self.peek() {
                    return Err(err(c, "empty ( )"));
                }
                let e = self.or()?;
                match self.peek() {
                    Some(Tok::Close(_)) => {
                        self.i += 1;
                        Ok(e)
                    }
                    _ => Err(err(c, "this ( is never closed")),
                }
            }
            Tok::Close(c) => Err(err(c, ") has no matching (")),
            Tok::And(c) => Err(err(c, "AND needs a term before it")),
            Tok::Or(c) => Err(err(c, "OR needs a term before it")),
            Tok::Term(raw) => {
                let neg = raw.neg;
                let e = term(raw)?;
                Ok(if neg { Expr::Not(Box::new(e)) } else { e })
            }
        }
    }
}

fn one_or(mut items: Vec<Expr>, many: fn(Vec<Expr>) -> Expr) -> Expr {
    if items.len() == 1 {
        items.remove(0)
    } else {
        many(items)
    }
}

fn text(field: Field, r: &Raw) -> Result<Expr, QueryError> {
    let words = fold::words(&r.value);
    let Some(last) = words.last() else {
        return Err(err(
            r.col,
            format!("`{}` has no letters or digits to search for", r.value),
        ));
    };
    // Short words match only themselves: `a` as a prefix would match half the index.
    let prefix = r.star || (!r.quoted && last.chars().count() >= 3);
    Ok(Expr::Term(Term::Text(Text {
        field,
        words,
        prefix,
        raw: r.value.clone(),
    })))
}

fn term(r: Raw) -> Result<Expr, QueryError> {
    let Some(field) = r.field.as_deref() else {
        return text(Field::Any, &r);
    };
    if r.value.trim().is_empty() {
        return Err(err(r.col, format!("`{field}:` needs a value")));
    }
    let lc = r.value.to_lowercase();
    let t = |t: Term| Ok(Expr::Term(t));
    match field {
        "from" => text(Field::From, &r),
        "to" => text(Field::To, &r),
        "cc" => text(Field::Cc, &r),
        "subject" => text(Field::Subject, &r),
        "body" => text(Field::Body, &r),
        "attachment" => text(Field::Attachment, &r),
        "is" | "tag" => match lc.as_str() {
            "unread" | "new" => t(Term::Unread),
            "read" | "seen" => Ok(Expr::Not(Box::new(Expr::Term(Term::Unread)))),
            "flagged" | "starred" => t(Term::Flagged),
            "replied" | "answered" => t(Term::Replied),
            "draft" | "drafts" => t(Term::Draft),
            "passed" | "forwarded" => t(Term::Passed),
            "trashed" | "deleted" => t(Term::Trashed),
            "tagged" => t(Term::Tagged),
            other => Err(err(
                r.col,
                format!(
                    "unknown `{field}:{other}` (unread, read, flagged, replied, draft, passed, trashed, tagged)"
                ),
            )),
        },
        "has" if lc.starts_with("attachment") => t(Term::HasAttachment),
        "has" => Err(err(r.col, format!("unknown `has:{lc}` (has:attachment)"))),
        "date" => date::parse_range(&r.value)
            .map(|d| Expr::Term(Term::Date(d)))
            .map_err(|e| err(r.col + field.len() + 1, e)),
        "before" | "after" => {
            let day = date::parse_day(&r.value).map_err(|e| err(r.col + field.len() + 1, e))?;
            let range = if field == "before" {
                DateRange {
                    lo: None,
                    hi: Some(Bound::At(day)),
                }
            } else {
                DateRange {
                    lo: Some(Bound::At(day)),
                    hi: None,
                }
            };
            t(Term::Date(range))
        }
        "folder" => t(Term::Folder(r.value.trim_matches('/').to_string())),
        "account" => t(Term::Account(r.value)),
        _ => text(Field::Any, &r),
    }
}
