//! Building: a `Draft` becomes the bytes of an RFC 5322 message with lettre's builder
//! (RFC 2045-2047 MIME, RFC 2231 attachment names), with a Message-ID and a Date always;
//! and `prepare_raw` readies a finished message read from a file (`posthorn send <
//! file.eml`) the way `sendmail -t` would. Two renderings come out: `sent` without Bcc
//! (what goes to the server) and `kept` with it (for Sent and Drafts).
//!
//! Pure apart from reading attached files; no network, no terminal.

use super::address::{bare, mailboxes, msg_ids};
use super::draft::{AttachmentData, Draft};
use super::editfile::guess_type;
use super::error::ComposeError;
use super::outbox::to_crlf;
use lettre::message::header::{self, ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Body, Mailbox, Mailboxes, MultiPart, SinglePart};

/// How the body is written.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// text/plain; format=flowed (RFC 3676): long lines are sent as soft-broken lines the
    /// recipient's reader may rewrap.
    pub flowed: bool,
    /// Build even with no recipient (postponing a draft).
    pub allow_no_recipients: bool,
}

/// A built message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Built {
    /// The bytes handed to the server: no Bcc header. CRLF line ends.
    pub sent: Vec<u8>,
    /// The same message with its Bcc header, for the Sent and Drafts folders.
    pub kept: Vec<u8>,
    /// The bare address of From (or Sender) for SMTP MAIL FROM.
    pub envelope_from: String,
    /// Bare addresses of To, Cc and Bcc, first spelling kept, without repeats
    /// (compared case-insensitively).
    pub recipients: Vec<String>,
    /// With angle brackets.
    pub message_id: String,
}

/// Headers the draft's own fields write; the same names in `extra` are ignored so the
/// message never carries two of them (and resuming a draft keeps only the others there).
pub(super) const OWN: &[&str] = &[
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
];

/// Turns a draft into message bytes.
pub fn build(d: &Draft, opts: &BuildOptions) -> Result<Built, ComposeError> {
    if d.from.trim().is_empty() {
        return Err(ComposeError::NoIdentity);
    }
    let from = mailbox("From", &d.from)?;
    let mut b = lettre::Message::builder().from(from.clone());
    let mut recipients: Vec<lettre::Address> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (name, list) in [("To", &d.to), ("Cc", &d.cc), ("Bcc", &d.bcc)] {
        for text in list {
            let m = mailbox(name, text)?;
            let key = m.email.to_string().to_lowercase();
            if !seen.contains(&key) {
                seen.push(key);
                recipients.push(m.email.clone());
            }
            b = match name {
                "To" => b.to(m),
                "Cc" => b.cc(m),
                _ => b.bcc(m),
            };
        }
    }
    let news = d.extra_header("Newsgroups").is_some();
    if recipients.is_empty() && !opts.allow_no_recipients && !news {
        return Err(ComposeError::NoRecipients);
    }
    let message_id = new_message_id(from.email.as_ref());
    b = b.message_id(Some(message_id.clone()));
    if !d.subject.is_empty() {
        b = b.subject(d.subject.clone());
    }
    if let Some(irt) = d.in_reply_to.as_ref().filter(|s| !s.trim().is_empty()) {
        b = b.in_reply_to(irt.trim().to_string());
    }
    if !d.references.is_empty() {
        b = b.references(d.references.join(" "));
    }
    for (name, value) in &d.extra {
        if OWN.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        if name.eq_ignore_ascii_case("Reply-To") {
            b = b.header(header::ReplyTo::from(mailbox_list("Reply-To", value)?));
            continue;
        }
        let hn = HeaderName::new_from_ascii(name.clone()).map_err(|_| ComposeError::BadHeader {
            name: name.clone(),
            reason: "not a valid header name".into(),
        })?;
        b = b.raw_header(HeaderValue::new(hn, value.clone()));
    }
    // lettre wants an envelope with a recipient; a postponed draft without one gets a
    // placeholder that is never used (the envelope is not part of the bytes).
    let env_to = if recipients.is_empty() {
        vec![
            lettre::Address::new("draft", "invalid")
                .map_err(|e| ComposeError::Build(e.to_string()))?,
        ]
    } else {
        recipients.clone()
    };
    let envelope = lettre::address::Envelope::new(Some(from.email.clone()), env_to)
        .map_err(|e| ComposeError::Build(e.to_string()))?;
    b = b.envelope(envelope).keep_bcc();

    let text = text_part(&d.body, opts.flowed);
    let mut message = if d.attachments.is_empty() {
        b.singlepart(text)
    } else {
        let mut mp = MultiPart::mixed().singlepart(text);
        for a in &d.attachments {
            let bytes = match &a.data {
                AttachmentData::Bytes(v) => v.clone(),
                AttachmentData::File(p) => {
                    std::fs::read(p).map_err(|source| ComposeError::Attachment {
                        path: p.clone(),
                        source,
                    })?
                }
            };
            mp = mp.singlepart(attachment_part(&a.name, &a.content_type, bytes));
        }
        b.multipart(mp)
    }
    .map_err(|e| ComposeError::Build(e.to_string()))?;
    let kept = message.formatted();
    message.headers_mut().remove::<header::Bcc>();
    let sent = message.formatted();
    Ok(Built {
        sent,
        kept,
        envelope_from: from.email.to_string(),
        recipients: recipients.iter().map(|a| a.to_string()).collect(),
        message_id,
    })
}

/// One mailbox as typed, checked by lettre; the error names the header and the text.
fn mailbox(header: &str, text: &str) -> Result<Mailbox, ComposeError> {
    text.trim()
        .parse::<Mailbox>()
        .map_err(|_| ComposeError::BadAddress {
            header: header.into(),
            text: text.into(),
        })
}

fn mailbox_list(header: &str, value: &str) -> Result<Mailboxes, ComposeError> {
    let mut out = Mailboxes::new();
    for m in super::address::split_list(value) {
        out.push(mailbox(header, &m)?);
    }
    Ok(out)
}

fn text_part(body: &str, flowed: bool) -> SinglePart {
    let (ct, text) = if flowed {
        ("text/plain; charset=utf-8; format=flowed", to_flowed(body))
    } else {
        ("text/plain; charset=utf-8", body.to_string())
    };
    let ct = ContentType::parse(ct).unwrap_or(ContentType::TEXT_PLAIN);
    SinglePart::builder().header(ct).body(text)
}

fn attachment_part(name: &str, content_type: &str, bytes: Vec<u8>) -> SinglePart {
    let wanted = if content_type.trim().is_empty() {
        guess_type(name)
    } else {
        content_type.trim().to_string()
    };
    let ct = ContentType::parse(&wanted)
        .or_else(|_| ContentType::parse(&guess_type(name)))
        .unwrap_or_else(|_| {
            ContentType::parse("application/octet-stream").unwrap_or(ContentType::TEXT_PLAIN)
        });
    let is_message = wanted.eq_ignore_ascii_case("message/rfc822");
    // RFC 2046 §5.2.1: a message/rfc822 part may only be 7bit, 8bit or binary.
    let body = if is_message {
        match String::from_utf8(bytes) {
            Ok(s) => Body::new_with_encoding(s, header::ContentTransferEncoding::EightBit)
                .unwrap_or_else(Body::new),
            Err(e) => Body::new(e.into_bytes()),
        }
    } else {
        Body::new(bytes)
    };
    Attachment::new(name.to_string()).body(body, ct)
}

/// RFC 3676 §4: long unquoted lines are broken after a space (the trailing space marks
/// the soft break), trailing spaces of hard lines are removed (except the signature
/// separator "-- "), and lines starting with a space or "From " are space-stuffed.
pub fn to_flowed(text: &str) -> String {
    const WIDTH: usize = 76;
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line == "-- " {
            out.push_str(line);
            continue;
        }
        let line = line.trim_end_matches(' ');
        if line.starts_with('>') {
            out.push_str(line);
            continue;
        }
        let mut rest = line;
        let mut first = true;
        loop {
            if !first {
                out.push('\n');
            }
            first = false;
            let cut = if rest.chars().count() > WIDTH {
                let limit = rest
                    .char_indices()
                    .nth(WIDTH)
                    .map(|(i, _)| i)
                    .unwrap_or(rest.len());
                rest[..limit].rfind(' ').map(|s| s + 1).filter(|&s| s > 1)
            } else {
                None
            };
            let (seg, tail) = match cut {
                Some(c) => rest.split_at(c),
                None => (rest, ""),
            };
            if seg.starts_with(' ') || seg.starts_with("From ") || seg.starts_with('>') {
                out.push(' ');
            }
            out.push_str(seg);
            if tail.is_empty() {
                break;
            }
            rest = tail;
        }
    }
    out
}

/// `<random@domain-of-from>` (RFC 5322 §3.6.4).
pub fn new_message_id(from: &str) -> String {
    let domain = bare(from)
        .rsplit_once('@')
        .map(|(_, d)| d.trim().to_string())
        .filter(|d| {
            !d.is_empty()
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-[]:".contains(c))
        })
        .unwrap_or_else(|| "localhost".into());
    format!("<{}@{domain}>", random_token())
}

/// 128 bits from the standard library's randomly seeded hasher, the time, the process
/// and a counter: unique enough for a Message-ID without a random-number crate.
fn random_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut parts = [0u64; 2];
    for (i, p) in parts.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u64(n);
        h.write_u32(std::process::id());
        h.write_usize(i);
        *p = h.finish();
    }
    format!("{:016x}{:016x}", parts[0], parts[1])
}

/// Readies a finished message (`posthorn send < file.eml`), like `sendmail -t`: the
/// envelope sender from From (or Sender), recipients from To, Cc and Bcc, Date and
/// Message-ID added when missing, Bcc removed from `sent`; the body bytes are untouched
/// apart from LF becoming CRLF.
pub fn prepare_raw(raw: &[u8]) -> Result<Built, ComposeError> {
    // An mbox "From " separator line is not a header (Postfix's sendmail drops it too).
    let raw = match raw.strip_prefix(b"From ") {
        Some(rest) => rest
            .iter()
            .position(|&b| b == b'\n')
            .map(|p| &rest[p + 1..])
            .unwrap_or(&[]),
        None => raw,
    };
    // A lone CR in the header block (RFC 5322 §2.2 allows CR only in CRLF) is a line
    // end here, as many readers take it: left inside a field, "X: a<CR>Bcc: b" would
    // pass as one field, b would get nothing and every recipient would see the Bcc.
    let (head0, body0) = split_head(raw);
    let normalised;
    let raw = if has_lone_cr(head0) {
        let mut v = lone_cr_to_crlf(head0);
        v.extend_from_slice(body0);
        normalised = v;
        &normalised[..]
    } else {
        raw
    };
    let (head, body) = split_head(raw);
    let fields = header_fields(head);
    let value = |name: &str| -> Option<String> {
        fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| decode_value(f.raw))
    };
    let sender_text = value("From")
        .or_else(|| value("Sender"))
        .unwrap_or_default();
    let envelope_from = mailboxes(&sender_text)
        .into_iter()
        .map(|(_, a)| a)
        .next()
        .filter(|a| a.contains('@') && !has_control(a))
        .ok_or_else(|| ComposeError::BadAddress {
            header: "From".into(),
            text: sender_text.clone(),
        })?;
    let mut recipients: Vec<String> = Vec::new();
    for f in fields
        .iter()
        .filter(|f| ["to", "cc", "bcc"].contains(&f.name.to_ascii_lowercase().as_str()))
    {
        for (_, a) in mailboxes(&decode_value(f.raw)) {
            // No way out takes it (SMTP, RFC 5321 §4.1.2; a command's environment):
            // refused now rather than queued to fail on every retry.
            if has_control(&a) {
                return Err(ComposeError::BadAddress {
                    header: f.name.clone(),
                    text: a,
                });
            }
            if !recipients.iter().any(|r| r.eq_ignore_ascii_case(&a)) {
                recipients.push(a);
            }
        }
    }
    // A news article (RFC 5536 §3.1.4: Newsgroups) needs no mail recipient.
    if recipients.is_empty() && value("Newsgroups").is_none_or(|v| v.trim().is_empty()) {
        return Err(ComposeError::NoRecipients);
    }
    let mut added = Vec::new();
    if value("Date").is_none() {
        added.extend_from_slice(
            format!("Date: {}\r\n", chrono::Local::now().to_rfc2822()).as_bytes(),
        );
    }
    let message_id = match value("Message-ID") {
        Some(v) => msg_ids(&v)
            .into_iter()
            .next()
            .unwrap_or_else(|| v.trim().to_string()),
        None => {
            let id = new_message_id(&envelope_from);
            added.extend_from_slice(format!("Message-ID: {id}\r\n").as_bytes());
            id
        }
    };
    let mut kept = Vec::with_capacity(raw.len() + 128);
    let mut sent = Vec::with_capacity(raw.len() + 128);
    kept.extend_from_slice(&added);
    sent.extend_from_slice(&added);
    for f in &fields {
        let crlf = to_crlf(f.whole);
        kept.extend_from_slice(&crlf);
        if !f.name.eq_ignore_ascii_case("Bcc") && !f.name.eq_ignore_ascii_case("Resent-Bcc") {
            sent.extend_from_slice(&crlf);
        }
    }
    if !head.ends_with(b"\n\n") && !head.ends_with(b"\n\r\n") {
        // No empty line: the whole input was headers; end the block.
        kept.extend_from_slice(b"\r\n");
        sent.extend_from_slice(b"\r\n");
    }
    let body = to_crlf(body);
    kept.extend_from_slice(&body);
    sent.extend_from_slice(&body);
    Ok(Built {
        sent,
        kept,
        envelope_from,
        recipients,
        message_id,
    })
}

/// One header field of a raw header block: its name, its value bytes (folded) and the
/// whole field with its line ends.
struct RawField<'a> {
    name: String,
    raw: &'a [u8],
    whole: &'a [u8],
}

/// The header block (up to and including the empty line) and the body.
fn split_head(raw: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    while i < raw.len() {
        let end = raw[i..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|p| i + p + 1)
            .unwrap_or(raw.len());
        let line = &raw[i..end];
        if line == b"\n" || line == b"\r\n" {
            return (&raw[..end], &raw[end..]);
        }
        i = end;
    }
    (raw, &[])
}

fn header_fields<'a>(head: &'a [u8]) -> Vec<RawField<'a>> {
    let mut out: Vec<RawField<'a>> = Vec::new();
    let mut i = 0;
    let mut start: Option<usize> = None;
    let finish = |out: &mut Vec<RawField<'a>>, s: usize, e: usize| {
        let whole = &head[s..e];
        // A line without a colon is kept as it is (it is the sender's bytes).
        let c = whole.iter().position(|&b| b == b':').unwrap_or(0);
        out.push(RawField {
            name: String::from_utf8_lossy(&whole[..c]).trim().to_string(),
            raw: whole.get(c + 1..).unwrap_or(&[]),
            whole,
        });
    };
    while i < head.len() {
        let end = head[i..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|p| i + p + 1)
            .unwrap_or(head.len());
        let line = &head[i..end];
        if line == b"\n" || line == b"\r\n" {
            if let Some(s) = start.take() {
                finish(&mut out, s, i);
            }
            // The empty line itself is kept as a field-less piece.
            out.push(RawField {
                name: String::new(),
                raw: &[],
                whole: line,
            });
            break;
        }
        if !line.starts_with(b" ") && !line.starts_with(b"\t") {
            if let Some(s) = start.take() {
                finish(&mut out, s, i);
            }
            start = Some(i);
        }
        i = end;
    }
    if let Some(s) = start {
        finish(&mut out, s, head.len().min(i));
    }
    out
}

/// A header value decoded (RFC 2047) and unfolded.
fn decode_value(raw: &[u8]) -> String {
    let mut line = b"X: ".to_vec();
    line.extend_from_slice(raw);
    match mailparse::parse_header(&line) {
        Ok((h, _)) => h.get_value(),
        Err(_) => String::from_utf8_lossy(raw).trim().to_string(),
    }
}

/// A control character (NUL, CR, LF, ESC, ...) in an address.
fn has_control(a: &str) -> bool {
    a.chars().any(char::is_control)
}

fn has_lone_cr(b: &[u8]) -> bool {
    b.iter()
        .enumerate()
        .any(|(i, &c)| c == b'\r' && b.get(i + 1) != Some(&b'\n'))
}

/// Every CR that is not followed by LF becomes CRLF.
fn lone_cr_to_crlf(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() + 16);
    for (i, &c) in b.iter().enumerate() {
        out.push(c);
        if c == b'\r' && b.get(i + 1) != Some(&b'\n') {
            out.push(b'\n');
        }
    }
    out
}
