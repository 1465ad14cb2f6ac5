//! Score files for newsgroups, in the format slrn reads (so an slrn user's file works as
//! it is): `[group, pattern.*]` sections, `Score: N` rules whose indented conditions
//! must all match (`Score:: N`: any one), `Score: =N` that sets the score and stops,
//! `~Header:` negating a condition, `Expires:` dates, `%` and `#` comments. Conditions
//! are case-insensitive regular expressions on From, Subject, Message-ID, References,
//! Xref and Newsgroups. A kill is a score: an article scoring below the threshold
//! (`Threshold: N` anywhere in the file, default 0; posthorn's own line) is hidden.
//!
//! Pure: text in, scores out; reading the file and noticing changes is the caller's.

use regex::{Regex, RegexBuilder};

/// A parsed score file.
#[derive(Clone, Debug, Default)]
pub struct ScoreFile {
    /// Articles scoring below this are hidden.
    pub threshold: i64,
    sections: Vec<Section>,
}

#[derive(Clone, Debug)]
struct Section {
    /// Group patterns (`comp.mail.*`, `*`); a leading `!` excludes.
    groups: Vec<(bool, Regex)>,
    rules: Vec<Rule>,
}

#[derive(Clone, Debug)]
struct Rule {
    value: i64,
    /// `Score: =N`: the score becomes N and later rules are skipped.
    absolute: bool,
    /// `Score:: N`: any condition suffices (else all must match).
    any: bool,
    /// Unix day after which the rule no longer applies.
    expires: Option<i64>,
    conditions: Vec<Condition>,
    line: usize,
}

#[derive(Clone, Debug)]
struct Condition {
    header: Header,
    negated: bool,
    pattern: Regex,
}

/// The headers a condition can test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Header {
    From,
    Subject,
    MessageId,
    References,
    Xref,
    Newsgroups,
}

impl Header {
    fn parse(name: &str) -> Option<Header> {
        Some(match name.to_ascii_lowercase().as_str() {
            "from" => Header::From,
            "subject" => Header::Subject,
            "message-id" => Header::MessageId,
            "references" => Header::References,
            "xref" => Header::Xref,
            "newsgroups" => Header::Newsgroups,
            _ => return None,
        })
    }
}

/// A line the parser skipped, with why (shown to the user; the rest still applies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoreWarning {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ScoreWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// What an article offers to the rules (raw header values; 8-bit text is matched as
/// UTF-8 where it is, byte for byte as Latin-1 otherwise).
pub trait Scored {
    fn header(&self, h: Header) -> std::borrow::Cow<'_, str>;
}

/// A group pattern (`comp.*`, `*.linux`) as an anchored, case-insensitive regex.
fn group_pattern(p: &str) -> Option<Regex> {
    let mut re = String::from("^");
    for c in p.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    RegexBuilder::new(&re).case_insensitive(true).build().ok()
}

/// `YYYY-MM-DD`, `MM/DD/YYYY` or `DD-MM-YYYY` (slrn's forms) as a Unix day.
fn expiry_day(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.trim().split(['-', '/']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (y, m, d): (i32, u32, u32) = if a.len() == 4 {
        (a.parse().ok()?, b.parse().ok()?, c.parse().ok()?)
    } else if s.contains('/') {
        (c.parse().ok()?, a.parse().ok()?, b.parse().ok()?)
    } else {
        (c.parse().ok()?, b.parse().ok()?, a.parse().ok()?)
    };
    let date = chrono::NaiveDate::from_ymd_opt(y, m, d)?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp() / 86_400)
}

impl ScoreFile {
    /// Parses `text`; bad lines are skipped with a warning naming the line.
    pub fn parse(text: &str) -> (ScoreFile, Vec<ScoreWarning>) {
        let mut file = ScoreFile::default();
        let mut warnings = Vec::new();
        let mut warn = |line: usize, message: String| warnings.push(ScoreWarning { line, message });
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('%') || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let Some(list) = rest.strip_suffix(']') else {
                    warn(n, "a group line must end with `]`".into());
                    continue;
                };
                let mut groups = Vec::new();
                for p in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let (neg, p) = match p.strip_prefix('!') {
                        Some(rest) => (true, rest),
                        None => (false, p),
                    };
                    match group_pattern(p) {
                        Some(re) => groups.push((neg, re)),
                        None => warn(n, format!("bad group pattern `{p}`")),
                    }
                }
                file.sections.push(Section {
                    groups,
                    rules: Vec::new(),
                });
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                warn(
                    n,
                    "expected `Header: pattern`, `Score: N` or `[groups]`".into(),
                );
                continue;
            };
            let key = key.trim();
            if key.eq_ignore_ascii_case("threshold") {
                match value.split_whitespace().next().map(str::parse::<i64>) {
                    Some(Ok(t)) => file.threshold = t,
                    _ => warn(
                        n,
                        format!("`{}` is not a threshold (a whole number)", value.trim()),
                    ),
                }
                continue;
            }
            if key.eq_ignore_ascii_case("score") {
                let (any, value) = match value.strip_prefix(':') {
                    Some(v) => (true, v.trim()),
                    None => (false, value.trim()),
                };
                let (absolute, value) = match value.strip_prefix('=') {
                    Some(v) => (true, v.trim()),
                    None => (false, value),
                };
                // slrn allows a trailing comment after the number.
                let number = value.split_whitespace().next().unwrap_or("");
                let Ok(value) = number.trim_start_matches('+').parse::<i64>() else {
                    warn(n, format!("`{number}` is not a score (a whole number)"));
                    continue;
                };
                if file.sections.is_empty() {
                    // Rules before any [group] line apply everywhere.
                    file.sections.push(Section {
                        groups: vec![(false, group_pattern("*").expect("constant"))],
                        rules: Vec::new(),
                    });
                }
                if let Some(s) = file.sections.last_mut() {
                    s.rules.push(Rule {
                        value,
                        absolute,
                        any,
                        expires: None,
                        conditions: Vec::new(),
                        line: n,
                    });
                }
                continue;
            }
            let Some(rule) = file.sections.last_mut().and_then(|s| s.rules.last_mut()) else {
                warn(n, format!("`{key}:` before any `Score:` line"));
                continue;
            };
            if key.eq_ignore_ascii_case("expires") {
                match expiry_day(value) {
                    Some(d) => rule.expires = Some(d),
                    None => warn(n, format!("`{}` is not a date", value.trim())),
                }
                continue;
            }
            let (negated, name) = match key.strip_prefix('~') {
                Some(k) => (true, k),
                None => (false, key),
            };
            let Some(header) = Header::parse(name) else {
                warn(
                    n,
                    format!(
                        "`{name}` cannot be scored here (From, Subject, Message-ID, References, Xref, Newsgroups)"
                    ),
                );
                continue;
            };
            let pattern = value.trim();
            match RegexBuilder::new(pattern)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
            {
                Ok(re) => rule.conditions.push(Condition {
                    header,
                    negated,
                    pattern: re,
                }),
                Err(e) => warn(n, format!("bad pattern `{pattern}`: {e}")),
            }
        }
        // A rule left without a condition would score everything: drop it, loudly.
        for s in &mut file.sections {
            s.rules.retain(|r| {
                if r.conditions.is_empty() {
                    warn(r.line, "a `Score:` without conditions is ignored".into());
                }
                !r.conditions.is_empty()
            });
        }
        warnings.sort_by_key(|w| w.line);
        (file, warnings)
    }

    /// Whether the article is hidden: its score is below the threshold.
    pub fn hides(&self, group: &str, article: &dyn Scored, today: i64) -> bool {
        !self.is_empty() && self.score(group, article, today) < self.threshold
    }

    /// True when no rule could change any score.
    pub fn is_empty(&self) -> bool {
        self.sections.iter().all(|s| s.rules.is_empty())
    }

    /// The article's score in `group` on Unix day `today`.
    pub fn score(&self, group: &str, article: &dyn Scored, today: i64) -> i64 {
        let mut total = 0i64;
        for s in &self.sections {
            if !s.applies_to(group) {
                continue;
            }
            for r in &s.rules {
                if r.expires.is_some_and(|d| today > d) {
                    continue;
                }
                let hit =
                    |c: &Condition| c.pattern.is_match(&article.header(c.header)) != c.negated;
                let matched = if r.any {
                    r.conditions.iter().any(hit)
                } else {
                    r.conditions.iter().all(hit)
                };
                if !matched {
                    continue;
                }
                if r.absolute {
                    return r.value;
                }
                total = total.saturating_add(r.value);
            }
        }
        total
    }
}

impl Section {
    fn applies_to(&self, group: &str) -> bool {
        let mut yes = false;
        for (neg, re) in &self.groups {
            if re.is_match(group) {
                if *neg {
                    return false;
                }
                yes = true;
            }
        }
        yes
    }
}

#[cfg(test)]
mod tests;
