//! The score file: rules a user writes as text that raise or lower articles by their
//! From, Subject, Message-ID, References or Xref, per group; articles whose score ends
//! below the threshold are hidden (a kill is just a low score). The syntax follows
//! slrn's score files, with glob patterns instead of regular expressions:
//!
//! ```text
//! % comments start with % or #
//! Threshold: -100            # hide below this (default 0)
//! [comp.mail.*, !comp.mail.misc]
//! Score: -9999               # all conditions must match
//!   From: *@spam.example
//! Score:: 50                 # "::": any condition is enough
//!   Subject: posthorn
//!   References: <thread-i-started@*>
//! Score: =1000               # "=": the score is this, and no later rule counts
//!   ~Xref: alt.binaries.*    # "~": the condition must not match
//! ```
//!
//! Patterns are case-insensitive globs (`*`, `?`) searched anywhere in the header
//! value. A line that cannot be understood is reported with its number, never ignored.
//! Pure: no I/O; the account reads the file and decides when to read it again.

/// Which header a condition looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoreHeader {
    From,
    Subject,
    MessageId,
    References,
    Xref,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Cond {
    header: ScoreHeader,
    pattern: Vec<u8>,
    negate: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    score: i64,
    absolute: bool,
    any: bool,
    conds: Vec<Cond>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Section {
    /// Group globs; a leading `!` excludes.
    groups: Vec<(bool, Vec<u8>)>,
    rules: Vec<Rule>,
}

/// A parsed score file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScoreFile {
    pub threshold: i64,
    sections: Vec<Section>,
}

/// What a rule is matched against: the article's header values (raw bytes).
pub struct ScoreInput<'a> {
    pub from: &'a [u8],
    pub subject: &'a [u8],
    pub message_id: &'a [u8],
    pub references: &'a [u8],
    pub xref: &'a [u8],
}

impl ScoreFile {
    /// Parses the text; Err names the first line that makes no sense.
    pub fn parse(text: &str) -> Result<ScoreFile, String> {
        let mut f = ScoreFile::default();
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('%') || line.starts_with('#') {
                continue;
            }
            let bad = |why: &str| format!("line {n}: {why}: {}", crate::core::sanitize::line(line));
            if let Some(inner) = line.strip_prefix('[') {
                let inner = inner
                    .strip_suffix(']')
                    .ok_or_else(|| bad("a [group] line without ]"))?;
                let groups = inner
                    .split(',')
                    .map(str::trim)
                    .filter(|g| !g.is_empty())
                    .map(|g| match g.strip_prefix('!') {
                        Some(rest) => (false, rest.to_ascii_lowercase().into_bytes()),
                        None => (true, g.to_ascii_lowercase().into_bytes()),
                    })
                    .collect();
                f.sections.push(Section {
                    groups,
                    rules: Vec::new(),
                });
                continue;
            }
            let (key, value) = line
                .split_once(':')
                .ok_or_else(|| bad("expected \"Name: value\""))?;
            let key_l = key.trim().to_ascii_lowercase();
            if key_l == "threshold" {
                f.threshold = value
                    .trim()
                    .parse()
                    .map_err(|_| bad("a threshold that is not a number"))?;
                continue;
            }
            if key_l == "score" {
                let (any, value) = match value.strip_prefix(':') {
                    Some(v) => (true, v),
                    None => (false, value),
                };
                let value = value.split('#').next().unwrap_or("").trim();
                let (absolute, num) = match value.strip_prefix('=') {
                    Some(v) => (true, v.trim()),
                    None => (false, value),
                };
                let score = num
                    .parse()
                    .map_err(|_| bad("a score that is not a number"))?;
                if f.sections.is_empty() {
                    // Rules before any [group] line apply everywhere.
                    f.sections.push(Section {
                        groups: vec![(true, b"*".to_vec())],
                        rules: Vec::new(),
                    });
                }
                if let Some(s) = f.sections.last_mut() {
                    s.rules.push(Rule {
                        score,
                        absolute,
                        any,
                        conds: Vec::new(),
                    });
                }
                continue;
            }
            let (negate, name) = match key_l.strip_prefix('~') {
                Some(k) => (true, k.trim()),
                None => (false, key_l.as_str()),
            };
            let header = match name {
                "from" => ScoreHeader::From,
                "subject" => ScoreHeader::Subject,
                "message-id" => ScoreHeader::MessageId,
                "references" => ScoreHeader::References,
                "xref" => ScoreHeader::Xref,
                _ => {
                    return Err(bad(
                        "a header scores cannot use (From, Subject, Message-ID, References, Xref)",
                    ));
                }
            };
            let pattern = value.trim().to_ascii_lowercase().into_bytes();
            let rule = f
                .sections
                .last_mut()
                .and_then(|s| s.rules.last_mut())
                .ok_or_else(|| bad("a condition before any Score: line"))?;
            rule.conds.push(Cond {
                header,
                pattern,
                negate,
            });
        }
        Ok(f)
    }

    /// The article's score in `group`.
    pub fn score(&self, group: &str, a: &ScoreInput<'_>) -> i64 {
        let group = group.to_ascii_lowercase();
        let mut total = 0i64;
        for s in &self.sections {
            let mut applies = false;
            for (include, g) in &s.groups {
                if glob(g, group.as_bytes(), false) {
                    applies = *include;
                }
            }
            if !applies {
                continue;
            }
            for r in &s.rules {
                if r.conds.is_empty() {
                    continue;
                }
                let test = |c: &Cond| {
                    let v = match c.header {
                        ScoreHeader::From => a.from,
                        ScoreHeader::Subject => a.subject,
                        ScoreHeader::MessageId => a.message_id,
                        ScoreHeader::References => a.references,
                        ScoreHeader::Xref => a.xref,
                    };
                    glob(&c.pattern, &v.to_ascii_lowercase(), true) != c.negate
                };
                let hit = if r.any {
                    r.conds.iter().any(test)
                } else {
                    r.conds.iter().all(test)
                };
                if hit {
                    if r.absolute {
                        return r.score;
                    }
                    total = total.saturating_add(r.score);
                }
            }
        }
        total
    }

    /// Whether the article is hidden (its score is below the threshold).
    pub fn hides(&self, group: &str, a: &ScoreInput<'_>) -> bool {
        !self.sections.is_empty() && self.score(group, a) < self.threshold
    }
}

/// Glob match (`*`, `?`); `anywhere`: the pattern may start and end anywhere in `s`.
/// Iterative with one backtrack point: linear-ish, never exponential.
fn glob(p: &[u8], s: &[u8], anywhere: bool) -> bool {
    if anywhere {
        let mut q = Vec::with_capacity(p.len() + 2);
        q.push(b'*');
        q.extend_from_slice(p);
        q.push(b'*');
        return glob(&q, s, false);
    }
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn art<'a>(from: &'a str, subject: &'a str, xref: &'a str) -> ScoreInput<'a> {
        ScoreInput {
            from: from.as_bytes(),
            subject: subject.as_bytes(),
            message_id: b"<1@x>",
            references: b"<0@x>",
            xref: xref.as_bytes(),
        }
    }

    #[test]
    fn rules_sections_and_threshold() {
        let f = ScoreFile::parse(
            "% a comment\nThreshold: -100\n[comp.*, !comp.misc]\nScore: -9999\n  From: *@spam.example\nScore:: 50\n  Subject: posthorn\n  References: <mine@x>\n[*]\nScore: =7\n  ~Xref: alt.*\n",
        )
        .unwrap();
        assert_eq!(f.threshold, -100);
        let spam = art("Bot <x@SPAM.example>", "buy", "alt.x:1");
        assert_eq!(f.score("comp.mail", &spam), -9999);
        assert!(f.hides("comp.mail", &spam));
        assert!(!f.hides("comp.misc", &spam), "excluded group");
        let good = art("Ann <a@x>", "About Posthorn", "alt.x:1");
        assert_eq!(f.score("comp.mail", &good), 50);
        // "=7" ends scoring for an article not in alt.*.
        assert_eq!(f.score("comp.mail", &art("a", "b", "comp.mail:3")), 7);
        assert!(
            ScoreFile::parse("Score: x\n")
                .unwrap_err()
                .contains("line 1")
        );
        assert!(ScoreFile::parse("Score: 1\n  Body: x\n").is_err());
        assert!(ScoreFile::parse("  From: x\n").is_err());
        assert!(
            !ScoreFile::default().hides("g", &spam),
            "no file hides nothing"
        );
    }

    #[test]
    fn globs() {
        assert!(glob(b"a*c", b"abbbc", false));
        assert!(!glob(b"a*c", b"abbbd", false));
        assert!(glob(b"b?d", b"xxbcdxx", true));
        assert!(glob(b"*", b"", false));
        let long = vec![b'a'; 5000];
        assert!(!glob(b"*a*a*a*a*b", &long, false));
    }
}
