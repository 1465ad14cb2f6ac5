//! Dates in queries: `date:2026-01..2026-03` (from the start of the first period to
//! the end of the last), `date:2026-01-15`, `date:2026`, relative ages (`date:7d..`,
//! `date:..2w`; units h, d, w, m = 30 days, y = 365 days), and the older
//! `before:YYYY-MM-DD` (exclusive) and `after:YYYY-MM-DD` (inclusive). Days are UTC.
//!
//! A relative bound stays relative in the parsed query and is resolved against the
//! caller's clock when the query runs, so a saved search keeps meaning "the last week".

use chrono::NaiveDate;

/// One end of a date range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// Seconds since the epoch.
    At(i64),
    /// This many seconds before now.
    Ago(i64),
}

impl Bound {
    pub fn resolve(self, now: i64) -> i64 {
        match self {
            Bound::At(t) => t,
            Bound::Ago(s) => now.saturating_sub(s),
        }
    }
}

/// A date range: `lo` inclusive, `hi` exclusive; a missing end is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateRange {
    pub lo: Option<Bound>,
    pub hi: Option<Bound>,
}

impl DateRange {
    /// (lo, hi) in seconds, open ends as the extremes.
    pub fn resolve(&self, now: i64) -> (i64, i64) {
        (
            self.lo.map_or(i64::MIN, |b| b.resolve(now)),
            self.hi.map_or(i64::MAX, |b| b.resolve(now)),
        )
    }

    pub fn contains(&self, date: i64, now: i64) -> bool {
        let (lo, hi) = self.resolve(now);
        date >= lo && date < hi
    }
}

/// Why a date did not parse.
pub const DATE_HELP: &str = "use YYYY-MM-DD, YYYY-MM, YYYY or an age such as 7d, 2w, 3m, 1y";

/// Parses the value of `date:`.
pub fn parse_range(value: &str) -> Result<DateRange, String> {
    let (a, b) = match value.split_once("..") {
        Some((a, b)) => (a, b),
        None => {
            // One period: that day, month or year; an age means "since then".
            let (lo, hi) = period(value)?;
            return Ok(DateRange { lo: Some(lo), hi });
        }
    };
    if a.is_empty() && b.is_empty() {
        return Err(format!("`{value}` has no date on either side of `..`"));
    }
    let lo = if a.is_empty() {
        None
    } else {
        Some(period(a)?.0)
    };
    let hi = if b.is_empty() {
        None
    } else {
        let (start, end) = period(b)?;
        // An absolute period ends after its last day; an age is a point in time.
        Some(end.unwrap_or(start))
    };
    Ok(DateRange { lo, hi })
}

/// A period's start and (for absolute periods) its exclusive end.
fn period(s: &str) -> Result<(Bound, Option<Bound>), String> {
    if let Some(ago) = age(s) {
        return Ok((Bound::Ago(ago), None));
    }
    let bad = || format!("`{s}` is not a date ({DATE_HELP})");
    let parts: Vec<&str> = s.split('-').collect();
    let num = |p: &str, len: usize| -> Result<u32, String> {
        if p.len() == len && p.bytes().all(|b| b.is_ascii_digit()) {
            p.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let day = |y: i32, m: u32, d: u32| -> Result<i64, String> {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp())
            .ok_or_else(bad)
    };
    let (start, end) = match parts.as_slice() {
        [y] => {
            let y = num(y, 4)? as i32;
            (day(y, 1, 1)?, day(y + 1, 1, 1)?)
        }
        [y, m] => {
            let (y, m) = (num(y, 4)? as i32, num(m, 2)?);
            let next = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            (day(y, m, 1)?, day(next.0, next.1, 1)?)
        }
        [y, m, d] => {
            let t = day(num(y, 4)? as i32, num(m, 2)?, num(d, 2)?)?;
            (t, t + 86_400)
        }
        _ => return Err(bad()),
    };
    Ok((Bound::At(start), Some(Bound::At(end))))
}

/// `7d`, `12h`, `2w`, `3m`, `1y`: seconds.
fn age(s: &str) -> Option<i64> {
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    let secs = match unit {
        'h' => 3_600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        'm' => 30 * 86_400,
        'y' => 365 * 86_400,
        _ => return None,
    };
    (n >= 0).then(|| n.saturating_mul(secs))
}

/// `YYYY-MM-DD` at 00:00 UTC (for `before:` and `after:`).
pub fn parse_day(value: &str) -> Result<i64, String> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
        .ok_or_else(|| format!("`{value}` is not a date (use YYYY-MM-DD)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        parse_day(s).unwrap()
    }

    #[test]
    fn months_run_to_the_end_of_the_last() {
        let r = parse_range("2026-01..2026-03").unwrap();
        assert_eq!(r.resolve(0), (ts("2026-01-01"), ts("2026-04-01")));
        let r = parse_range("2025-12").unwrap();
        assert_eq!(r.resolve(0), (ts("2025-12-01"), ts("2026-01-01")));
        let r = parse_range("2026-02-28").unwrap();
        assert_eq!(r.resolve(0), (ts("2026-02-28"), ts("2026-03-01")));
        let r = parse_range("2024").unwrap();
        assert_eq!(r.resolve(0), (ts("2024-01-01"), ts("2025-01-01")));
    }

    #[test]
    fn ages_are_relative_to_the_clock() {
        let r = parse_range("7d..").unwrap();
        assert_eq!(r.lo, Some(Bound::Ago(7 * 86_400)));
        assert_eq!(r.resolve(1_000_000).0, 1_000_000 - 7 * 86_400);
        assert!(r.hi.is_none());
        assert_eq!(parse_range("2w").unwrap().lo, Some(Bound::Ago(14 * 86_400)));
        let r = parse_range("..1y").unwrap();
        assert_eq!((r.lo, r.hi), (None, Some(Bound::Ago(365 * 86_400))));
    }

    #[test]
    fn bad_dates_say_how_to_write_one() {
        for bad in [
            "2026-13",
            "26-01",
            "yesterday",
            "..",
            "2026-02-30",
            "7x",
            "-3d",
        ] {
            let e = parse_range(bad).unwrap_err();
            assert!(e.contains("YYYY") || e.contains("no date"), "{bad}: {e}");
        }
    }
}
