//! Header decoding: the fields the index keeps, with fallbacks so that a date or an
//! address mailparse rejects never drops the message.

pub use crate::core::envelope::HeaderFields;
use crate::core::sanitize;
use mailparse::{MailAddr, MailHeader};

/// Most raw bytes of one header value that are decoded; the rest is cut with `…`.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Most RFC 2047 encoded words decoded in one header value (mailparse's decoding
/// slows down badly with many: 100,000 took 26 s).
pub const MAX_ENCODED_WORDS: usize = 256;

/// Decodes one header value (RFC 2047 words, charsets) with bounded work: a value longer
/// than `MAX_HEADER_BYTES` or with more than `MAX_ENCODED_WORDS` encoded words is cut at
/// the last whitespace before the limit and ends in `…`. Not yet sanitised.
pub fn header_value(h: &MailHeader) -> String {
    let raw = h.get_value_raw();
    let mut cut = raw.len().min(MAX_HEADER_BYTES);
    if let Some(nth) = raw[..cut]
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w == b"=?")
        .map(|(i, _)| i)
        .nth(MAX_ENCODED_WORDS)
    {
        cut = nth;
    }
    if cut == raw.len() {
        return h.get_value();
    }
    // Never split an encoded word: back off to whitespace.
    if let Some(ws) = raw[..cut].iter().rposition(|b| b.is_ascii_whitespace()) {
        cut = ws;
    }
    let mut line = b"X: ".to_vec();
    line.extend_from_slice(&raw[..cut]);
    let mut v = match mailparse::parse_header(&line) {
        Ok((h, _)) => h.get_value(),
        Err(_) => String::from_utf8_lossy(&raw[..cut]).into_owned(),
    };
    v.push_str(" …");
    v
}

/// The bounded, decoded value of the first header called `name` (case-insensitive).
pub fn first_value(headers: &[MailHeader], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|h| h.get_key_ref().eq_ignore_ascii_case(name))
        .map(header_value)
}

/// Parses a header block (the bytes up to the first empty line; more is fine).
/// Never fails: an unparseable block yields the fields that could be read.
pub fn header_fields(raw: &[u8]) -> HeaderFields {
    let headers = match mailparse::parse_headers(raw) {
        Ok((h, _)) => h,
        Err(_) => {
            return HeaderFields {
                subject: "(unreadable headers)".into(),
                ..Default::default()
            };
        }
    };
    let get = |name: &str| first_value(&headers, name).unwrap_or_default();
    let (from, from_addr) = first_address(&get("From"));
    let to = address_list_display(&get("To"));
    let message_id = msg_ids(&get("Message-ID"))
        .into_iter()
        .next()
        .unwrap_or_default();
    let in_reply_to = msg_ids(&get("In-Reply-To"))
        .into_iter()
        .next()
        .unwrap_or_default();
    let references = msg_ids(&get("References"));
    let ctype = get("Content-Type").to_ascii_lowercase();
    let has_attachments = ctype.starts_with("multipart/mixed") || ctype.starts_with("application/");
    HeaderFields {
        date: parse_date(&get("Date")).unwrap_or(0),
        from,
        from_addr,
        to,
        subject: sanitize::line(get("Subject").trim()).into_owned(),
        message_id,
        in_reply_to,
        references,
        has_attachments,
    }
}

/// Some header values of a message without its header block (an NNTP overview line,
/// RFC 3977 §8.3: tabs and line ends already replaced by spaces).
#[derive(Clone, Copy, Debug, Default)]
pub struct KnownValues<'a> {
    pub subject: &'a [u8],
    pub from: &'a [u8],
    pub date: &'a [u8],
    pub message_id: &'a [u8],
    pub references: &'a [u8],
}

/// The index fields of `v`: what `header_fields` gives for a block of just these
/// headers, without building and parsing one. A plain ASCII value (nearly every value
/// of a news overview) is taken as it is; any other goes through the same decoder.
pub fn known_fields(v: &KnownValues<'_>) -> HeaderFields {
    let (from, from_addr) = first_address(&known_value(v.from));
    HeaderFields {
        date: parse_date(&known_value(v.date)).unwrap_or(0),
        from,
        from_addr,
        to: String::new(),
        subject: sanitize::line(known_value(v.subject).trim()).into_owned(),
        message_id: msg_ids(&known_value(v.message_id))
            .into_iter()
            .next()
            .unwrap_or_default(),
        in_reply_to: String::new(),
        references: msg_ids(&known_value(v.references)),
        has_attachments: false,
    }
}

/// One value decoded as `first_value` decodes it in a header block.
fn known_value(raw: &[u8]) -> String {
    let raw = raw.trim_ascii();
    let plain = raw.len() <= MAX_HEADER_BYTES
        && raw.iter().all(|b| (0x20..0x7f).contains(b))
        && !raw.windows(2).any(|w| w == b"=?");
    if plain {
        return String::from_utf8_lossy(raw).into_owned();
    }
    let mut line = Vec::with_capacity(raw.len() + 4);
    line.extend_from_slice(b"X: ");
    line.extend_from_slice(raw);
    line.push(b'\n');
    match mailparse::parse_header(&line) {
        Ok((h, _)) => header_value(&h),
        Err(_) => String::from_utf8_lossy(raw).into_owned(),
    }
}

/// Parses an RFC 5322 §3.3 date into seconds since the epoch: mailparse first, then
/// chrono's RFC 2822 parser (which keeps the zone), else None.
pub fn parse_date(value: &str) -> Option<i64> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc2822(v) {
        return Some(d.timestamp());
    }
    mailparse::dateparse(v).ok()
}

/// The display name (or address) and the lower-cased address of the first mailbox.
/// Falls back to the raw header text when mailparse rejects it (`MAILER-DAEMON <>`).
pub fn first_address(value: &str) -> (String, String) {
    if let Ok(list) = mailparse::addrparse(value) {
        for a in list.iter() {
            let single = match a {
                MailAddr::Single(s) => Some(s),
                MailAddr::Group(g) => g.addrs.first(),
            };
            if let Some(s) = single {
                let addr = s.addr.to_lowercase();
                let name = s.display_name.clone().filter(|n| !n.trim().is_empty());
                return (clean(&name.unwrap_or_else(|| s.addr.clone())), clean(&addr));
            }
        }
    }
    let raw = value.trim();
    let addr = raw
        .rfind('<')
        .and_then(|l| {
            raw[l + 1..]
                .find('>')
                .map(|r| raw[l + 1..l + 1 + r].to_lowercase())
        })
        .unwrap_or_default();
    let name = raw
        .split('<')
        .next()
        .unwrap_or(raw)
        .trim()
        .trim_matches('"')
        .trim();
    let shown = if name.is_empty() {
        if addr.is_empty() { raw } else { &addr }
    } else {
        name
    };
    (clean(shown), clean(&addr))
}

/// A one-line display of an address list.
pub fn address_list_display(value: &str) -> String {
    match mailparse::addrparse(value) {
        Ok(list) => {
            let parts: Vec<String> = list
                .iter()
                .map(|a| match a {
                    MailAddr::Single(s) => match &s.display_name {
                        Some(n) if !n.trim().is_empty() => format!("{n} <{}>", s.addr),
                        _ => s.addr.clone(),
                    },
                    MailAddr::Group(g) => g.group_name.clone(),
                })
                .collect();
            clean(&parts.join(", "))
        }
        Err(_) => clean(value.trim()),
    }
}

fn clean(s: &str) -> String {
    sanitize::line(s).into_owned()
}

/// Extracts `<...>` message identifiers (RFC 5322 §3.6.4), in order.
pub fn msg_ids(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(l) = rest.find('<') {
        let Some(r) = rest[l..].find('>') else { break };
        let id = &rest[l..l + r + 1];
        if id.len() > 2 && !id.contains(char::is_whitespace) {
            out.push(id.to_string());
        }
        rest = &rest[l + r + 1..];
    }
    if out.is_empty() {
        let bare = value.trim();
        if !bare.is_empty() && !bare.contains(char::is_whitespace) {
            out.push(format!("<{}>", bare.trim_matches(['<', '>'])));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `known_fields` against `header_fields` of the block the values would make.
    fn via_block(v: &KnownValues<'_>) -> HeaderFields {
        let mut h = Vec::new();
        for (name, val) in [
            (&b"Subject: "[..], v.subject),
            (b"From: ", v.from),
            (b"Date: ", v.date),
            (b"Message-ID: ", v.message_id),
            (b"References: ", v.references),
        ] {
            if !val.is_empty() {
                h.extend_from_slice(name);
                h.extend_from_slice(val);
                h.push(b'\n');
            }
        }
        h.push(b'\n');
        header_fields(&h)
    }

    #[test]
    fn known_values_decode_as_a_header_block_does() {
        let samples: &[&[u8]] = &[
            b"",
            b" ",
            b"Re: plain  subject ",
            b"  leading",
            b"=?UTF-8?Q?Zo=C3=AB?= <zoe@example.org>",
            b"=?ISO-8859-1?Q?R=E9union?= =?ISO-8859-1?Q?_b?=",
            b"\"Doe, John\" <JD@Example.ORG> (comment)",
            b"jd@example.org (John Doe)",
            b"MAILER-DAEMON <>",
            b"Caf\xc3\xa9 8-bit utf-8",
            b"Caf\xe9 latin-1",
            b"Tue, 14 Nov 2023 22:13:20 +0100",
            b"14 Nov 2023 22:13 GMT",
            b"<a@x> <b@y>  <c@z>",
            b"bare@id",
            b"=? not encoded",
            b"\x1b[31mred\x1b[0m",
            b"a\x7fdel",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let alphabet = b"ab <>@.\"(),:;=?_QBqb\\ \xc3\xa9\x1b";
        let mut random = Vec::new();
        for _ in 0..3000 {
            let n = (seed % 24) as usize;
            let mut v = Vec::new();
            for _ in 0..n {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                v.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            random.push(v);
        }
        let all = samples
            .iter()
            .map(|s| s.to_vec())
            .chain(random)
            .collect::<Vec<_>>();
        for v in &all {
            for k in 0..5 {
                let mut kv = KnownValues::default();
                *[
                    &mut kv.subject,
                    &mut kv.from,
                    &mut kv.date,
                    &mut kv.message_id,
                    &mut kv.references,
                ][k] = v;
                assert_eq!(
                    known_fields(&kv),
                    via_block(&kv),
                    "field {k} of {:?}",
                    String::from_utf8_lossy(v)
                );
            }
        }
    }

    #[test]
    fn fields_from_a_header_block() {
        let raw = b"From: =?UTF-8?Q?Zo=C3=AB_M=C3=BCller?= <Zoe@Example.org>\r\n\
To: bob@example.net, \"Carol C\" <carol@example.net>\r\n\
Subject: =?ISO-8859-1?Q?R=E9union?=\r\n\
Date: Tue, 14 Nov 2023 22:13:20 +0100\r\n\
Message-ID: <m1@example.org>\r\n\
In-Reply-To: <m0@example.org>\r\n\
References: <a@x> <m0@example.org>\r\n\
Content-Type: multipart/mixed; boundary=x\r\n\r\nbody";
        let f = header_fields(raw);
        assert_eq!(f.from, "Zoë Müller");
        assert_eq!(f.from_addr, "zoe@example.org");
        assert_eq!(f.subject, "Réunion");
        assert_eq!(f.date, 1_699_996_400);
        assert_eq!(f.references, vec!["<a@x>", "<m0@example.org>"]);
        assert_eq!(f.in_reply_to, "<m0@example.org>");
        assert!(f.to.contains("Carol C <carol@example.net>"));
        assert!(f.has_attachments);
    }

    #[test]
    fn bad_dates_and_addresses_fall_back() {
        let f =
            header_fields(b"From: MAILER-DAEMON <>\r\nDate: someday soon\r\nSubject: x\r\n\r\n");
        assert_eq!(f.date, 0);
        assert_eq!(f.from, "MAILER-DAEMON");
        let f = header_fields(b"From: just a name\r\n\r\n");
        assert_eq!(f.from, "just a name");
    }

    #[test]
    fn hostile_subject_is_sanitised() {
        let f = header_fields(b"Subject: hi\x1b[2J\x1b]0;pwned\x07\r\n\r\n");
        assert!(!f.subject.contains('\u{1b}'));
        assert!(!f.subject.contains('\u{7}'));
    }
}
