//! The overview database (RFC 3977 §8.1, §8.4; RFC 2980 §2.8 XOVER): the field order a
//! server announces in LIST OVERVIEW.FMT (or the default one when it cannot say), and
//! the parsing of one OVER line into an article's summary.
//!
//! Fields stay bytes: headers in overview data may be 8-bit (raw UTF-8 or Latin-1) or
//! RFC 2047 encoded; decoding them for display is the caller's business. Tabs separate
//! fields; RFC 3977 §8.3.2 says CR, LF and TAB inside a header are each replaced by a
//! space, so a field never holds one.

use super::NntpError;
use super::reply::preview;

/// Which overview field holds what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NntpOverviewFmt {
    /// Names of fields 1.. (after the article number), lower-cased, without their ":"
    /// ("subject", "from", "date", "message-id", "references", "bytes", "lines",
    /// "xref"), with `full` when the server sends "Name: value".
    fields: Vec<(String, bool)>,
}

impl Default for NntpOverviewFmt {
    /// RFC 3977 §8.4.2 (and RFC 2980 §2.1.7): the seven fields every server has, in
    /// this order, for servers without LIST OVERVIEW.FMT.
    fn default() -> Self {
        NntpOverviewFmt {
            fields: [
                "subject",
                "from",
                "date",
                "message-id",
                "references",
                "bytes",
                "lines",
            ]
            .iter()
            .map(|n| (n.to_string(), false))
            .collect(),
        }
    }
}

impl NntpOverviewFmt {
    /// From the lines of LIST OVERVIEW.FMT: "Subject:", ":bytes", "Xref:full"...
    /// (RFC 2980 wrote "Bytes:" and "Lines:" for the metadata; both forms are taken.)
    pub fn from_lines(lines: &[Vec<u8>]) -> NntpOverviewFmt {
        let fields: Vec<(String, bool)> = lines
            .iter()
            .map(|l| {
                let t = String::from_utf8_lossy(l).trim().to_ascii_lowercase();
                let (name, full) = match t.strip_suffix(":full") {
                    Some(n) => (n.to_string(), true),
                    None => (t.clone(), false),
                };
                let name = name.trim_start_matches(':').trim_end_matches(':');
                (name.to_string(), full)
            })
            .collect();
        if fields.is_empty() {
            NntpOverviewFmt::default()
        } else {
            NntpOverviewFmt { fields }
        }
    }

    fn index_of(&self, name: &str) -> Option<(usize, bool)> {
        self.fields
            .iter()
            .position(|(n, _)| n == name)
            .map(|i| (i, self.fields[i].1))
    }

    /// Parses one OVER/XOVER line.
    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<NntpOverview<'a>, NntpError> {
        let mut parts = line.split(|&b| b == b'\t');
        let number = parts
            .next()
            .and_then(|n| std::str::from_utf8(n).ok())
            .and_then(|n| n.trim().parse::<u64>().ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                NntpError::Malformed(format!(
                    "an overview line without an article number: {}",
                    preview(line)
                ))
            })?;
        let values: Vec<&[u8]> = parts.collect();
        let get = |name: &str| -> &'a [u8] {
            let Some((i, full)) = self.index_of(name) else {
                return b"";
            };
            let v = values.get(i).copied().unwrap_or(b"");
            if full {
                // "Xref: host group:n": the header name is part of the field.
                strip_name(v)
            } else {
                v
            }
        };
        let num = |v: &[u8]| {
            std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        Ok(NntpOverview {
            number,
            subject: get("subject"),
            from: get("from"),
            date: get("date"),
            message_id: get("message-id"),
            references: get("references"),
            bytes: num(get("bytes")),
            lines: num(get("lines")),
            xref: get("xref"),
        })
    }
}

/// "Name: value" -> "value" (a full field); a field without its name stays as it is.
fn strip_name(v: &[u8]) -> &[u8] {
    match v.iter().position(|&b| b == b':') {
        Some(i)
            if v[..i]
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            let rest = &v[i + 1..];
            &rest[rest.iter().take_while(|&&b| b == b' ').count()..]
        }
        _ => v,
    }
}

/// One article's overview: borrowed from the line it was parsed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NntpOverview<'a> {
    pub number: u64,
    pub subject: &'a [u8],
    pub from: &'a [u8],
    pub date: &'a [u8],
    pub message_id: &'a [u8],
    pub references: &'a [u8],
    pub bytes: u64,
    pub lines: u64,
    pub xref: &'a [u8],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inn_format_with_full_xref() {
        let fmt = NntpOverviewFmt::from_lines(&[
            b"Subject:".to_vec(),
            b"From:".to_vec(),
            b"Date:".to_vec(),
            b"Message-ID:".to_vec(),
            b"References:".to_vec(),
            b":bytes".to_vec(),
            b":lines".to_vec(),
            b"Xref:full".to_vec(),
        ]);
        let o = fmt
            .parse(b"3\tRe: caf\xc3\xa9\tAnn <a@x>\tMon, 23 Nov 2026 19:10:23 +0000\t<3@x>\t<1@x> <2@x>\t596\t2\tXref: news.example.test test.general:3")
            .unwrap();
        assert_eq!(o.number, 3);
        assert_eq!(o.subject, "Re: café".as_bytes());
        assert_eq!(o.references, b"<1@x> <2@x>");
        assert_eq!((o.bytes, o.lines), (596, 2));
        assert_eq!(o.xref, b"news.example.test test.general:3");
    }

    #[test]
    fn default_order_short_lines_and_garbage() {
        let fmt = NntpOverviewFmt::default();
        let o = fmt.parse(b"7\tS\tF\tD\t<m@x>").unwrap();
        assert_eq!(
            (o.message_id, o.references, o.bytes),
            (&b"<m@x>"[..], &b""[..], 0)
        );
        assert!(fmt.parse(b"x\tS").is_err());
        assert!(fmt.parse(b"0\tS").is_err());
        assert!(fmt.parse(b"").is_err());
    }
}
