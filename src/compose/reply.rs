//! Replies and forwards: a received message's raw bytes become a Draft for Reply,
//! ReplyAll, ListReply (RFC 2369 List-Post), ForwardInline or ForwardAttached, with the
//! threading headers of RFC 5322 §3.6.4 and the identity chosen by `identity`.
//!
//! Works on any bytes: a message without Message-ID, From or even a parseable header
//! block still gives a draft. Header values are decoded but not sanitised (the draft is
//! what will be sent; the screen sanitises what it shows). The quoted text comes from
//! the `mime` display model (the plain part, or the HTML rendered to text).

use super::address::{format_mailbox, mailboxes, msg_ids};
use super::draft::{Attachment, AttachmentData, Draft};
use super::error::ComposeError;
use super::identity::{Identity, for_reply, identities, signature};
use crate::config::AccountConfig;
use crate::mime::{BodyMode, attachment_bytes, parse_message, safe_file_name};

/// What kind of answer to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyKind {
    Reply,
    ReplyAll,
    ListReply,
    ForwardInline,
    ForwardAttached,
}

/// The line that starts an inline forward.
pub const FORWARD_MARK: &str = "---------- Forwarded message ----------";

/// A draft answering `raw` for `account`, with its identities and signature.
pub fn respond(
    raw: &[u8],
    kind: ReplyKind,
    account: &str,
    cfg: &AccountConfig,
) -> Result<Draft, ComposeError> {
    let ids = identities(cfg);
    let sig = signature(cfg)?;
    let mut d = respond_as(raw, kind, &ids, sig.as_deref())?;
    d.account = account.to_string();
    Ok(d)
}

/// The same with the identities and the signature block given (`identity::signature`).
pub fn respond_as(
    raw: &[u8],
    kind: ReplyKind,
    ids: &[Identity],
    signature: Option<&str>,
) -> Result<Draft, ComposeError> {
    let orig = Original::read(raw);
    let mut d = Draft {
        from: for_reply(ids, &orig.headers)
            .map(|i| i.display())
            .unwrap_or_default(),
        ..Draft::default()
    };
    let own = |addr: &str| ids.iter().any(|i| i.is(addr));
    let sig = signature.unwrap_or("");
    match kind {
        ReplyKind::Reply | ReplyKind::ReplyAll | ReplyKind::ListReply => {
            d.subject = reply_subject(&orig.get("Subject"));
            d.in_reply_to = orig.message_id.clone();
            d.references = orig.references();
            d.body = format!("{}\n{}\n{sig}", orig.attribution(), quote(&orig.text()));
        }
        ReplyKind::ForwardInline | ReplyKind::ForwardAttached => {
            d.subject = forward_subject(&orig.get("Subject"));
        }
    }
    match kind {
        ReplyKind::Reply => {
            d.to = orig.reply_targets(&own);
        }
        ReplyKind::ReplyAll => {
            let mut to = Vec::new();
            let mut seen = Vec::new();
            let mut add = |list: &mut Vec<String>, (name, addr): (Option<String>, String)| {
                let key = addr.to_lowercase();
                if !own(&addr) && !seen.contains(&key) {
                    seen.push(key);
                    list.push(format_mailbox(name.as_deref(), &addr));
                }
            };
            for m in orig.reply_mailboxes(&own) {
                add(&mut to, m);
            }
            for m in orig.mailboxes("To") {
                add(&mut to, m);
            }
            let mut cc = Vec::new();
            for m in orig.mailboxes("Cc") {
                add(&mut cc, m);
            }
            d.to = to;
            d.cc = cc;
        }
        ReplyKind::ListReply => {
            let post = orig.list_post().ok_or(ComposeError::NoListPost)?;
            d.to = vec![post];
        }
        ReplyKind::ForwardInline => {
            let mut block = format!("\n\n{FORWARD_MARK}\n");
            for name in ["From", "Date", "Subject", "To"] {
                let v = orig.get(name);
                if !v.is_empty() {
                    block.push_str(&format!("{name}: {v}\n"));
                }
            }
            block.push('\n');
            block.push_str(&orig.text());
            if !block.ends_with('\n') {
                block.push('\n');
            }
            d.body = format!("{block}{sig}");
            d.attachments = orig.attachments();
        }
        ReplyKind::ForwardAttached => {
            let subject = orig.get("Subject");
            let stem = if subject.trim().is_empty() {
                "message".to_string()
            } else {
                safe_file_name(subject.trim())
            };
            d.body = sig.to_string();
            d.attachments = vec![Attachment {
                name: format!("{stem}.eml"),
                content_type: "message/rfc822".into(),
                data: AttachmentData::Bytes(raw.to_vec()),
            }];
        }
    }
    Ok(d)
}

/// `Re: ` once before the subject, whatever reply prefixes it had (`Re:`, `RE:`,
/// `Re[2]:`, `Re(3):`, repeated).
pub fn reply_subject(subject: &str) -> String {
    format!("Re: {}", strip_prefixes(subject, &["re"]))
}

/// `Fwd: ` once before the subject.
pub fn forward_subject(subject: &str) -> String {
    format!("Fwd: {}", strip_prefixes(subject, &["fwd", "fw"]))
}

fn strip_prefixes<'a>(subject: &'a str, words: &[&str]) -> &'a str {
    let mut s = subject.trim();
    'outer: loop {
        for w in words {
            let Some(head) = s.get(..w.len()) else {
                continue;
            };
            if !head.eq_ignore_ascii_case(w) {
                continue;
            }
            let mut rest = &s[w.len()..];
            // An optional counter: [2] or (2).
            for (open, close) in [('[', ']'), ('(', ')')] {
                if let Some(r) = rest.strip_prefix(open)
                    && let Some(end) = r.find(close)
                    && r[..end].chars().all(|c| c.is_ascii_digit())
                {
                    rest = &r[end + 1..];
                }
            }
            if let Some(r) = rest.strip_prefix(':') {
                s = r.trim_start();
                continue 'outer;
            }
        }
        return s;
    }
}

/// Every line with "> " before it (">" before an empty or already quoted line).
pub fn quote(text: &str) -> String {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let mut out = String::with_capacity(text.len() + text.len() / 16 + 2);
    for line in text.split('\n') {
        if line.is_empty() || line.starts_with('>') {
            out.push('>');
        } else {
            out.push_str("> ");
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// What a reply needs from the original.
struct Original<'a> {
    raw: &'a [u8],
    /// Decoded, unfolded, in order.
    headers: Vec<(String, String)>,
    message_id: Option<String>,
}

impl<'a> Original<'a> {
    fn read(raw: &'a [u8]) -> Original<'a> {
        let headers: Vec<(String, String)> = match mailparse::parse_headers(raw) {
            Ok((hs, _)) => hs.iter().map(|h| (h.get_key(), h.get_value())).collect(),
            Err(_) => Vec::new(),
        };
        let mut o = Original {
            raw,
            headers,
            message_id: None,
        };
        o.message_id = msg_ids(&o.get("Message-ID")).into_iter().next();
        o
    }

    fn get(&self, name: &str) -> String {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }

    fn mailboxes(&self, name: &str) -> Vec<(Option<String>, String)> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| mailboxes(v))
            .collect()
    }

    /// Reply-To, else From; for a message the user sent (From is theirs, no Reply-To),
    /// its To, as a reply to one's own message goes to its recipients.
    fn reply_mailboxes(&self, own: &dyn Fn(&str) -> bool) -> Vec<(Option<String>, String)> {
        let reply_to = self.mailboxes("Reply-To");
        if !reply_to.is_empty() {
            return reply_to;
        }
        let from = self.mailboxes("From");
        if !from.is_empty() && from.iter().all(|(_, a)| own(a)) {
            let to = self.mailboxes("To");
            if !to.is_empty() {
                return to;
            }
        }
        from
    }

    fn reply_targets(&self, own: &dyn Fn(&str) -> bool) -> Vec<String> {
        self.reply_mailboxes(own)
            .into_iter()
            .map(|(n, a)| format_mailbox(n.as_deref(), &a))
            .collect()
    }

    /// References + Message-ID (RFC 5322 §3.6.4); In-Reply-To when there is no
    /// References.
    fn references(&self) -> Vec<String> {
        let mut refs = msg_ids(&self.get("References"));
        if refs.is_empty() {
            refs = msg_ids(&self.get("In-Reply-To"));
            refs.truncate(1);
        }
        if let Some(id) = &self.message_id
            && !refs.contains(id)
        {
            refs.push(id.clone());
        }
        refs
    }

    /// "On <date>, <name> wrote:".
    fn attribution(&self) -> String {
        let who = self
            .mailboxes("From")
            .into_iter()
            .next()
            .map(|(n, a)| n.filter(|n| !n.trim().is_empty()).unwrap_or(a))
            .unwrap_or_else(|| {
                let raw = self.get("From");
                if raw.is_empty() {
                    "someone".into()
                } else {
                    raw
                }
            });
        let date = self.get("Date");
        if date.is_empty() {
            format!("{who} wrote:")
        } else {
            format!("On {date}, {who} wrote:")
        }
    }

    /// The readable text: the plain part, or the HTML rendered to text.
    fn text(&self) -> String {
        parse_message(self.raw)
            .body_text(BodyMode::Plain)
            .replace("\r\n", "\n")
    }

    /// The first mailto: address of List-Post (RFC 2369 §3.4); None for "NO" or none.
    fn list_post(&self) -> Option<String> {
        let v = self.get("List-Post");
        let mut rest = v.as_str();
        while let Some(l) = rest.find('<') {
            let r = rest[l..].find('>')? + l;
            let uri = rest[l + 1..r].trim();
            if uri
                .get(..7)
                .is_some_and(|p| p.eq_ignore_ascii_case("mailto:"))
            {
                let addr = uri[7..].split('?').next().unwrap_or("").trim();
                if addr.contains('@') {
                    return Some(addr.to_string());
                }
            }
            rest = &rest[r + 1..];
        }
        None
    }

    /// The original's attachments, as bytes with their names and types.
    fn attachments(&self) -> Vec<Attachment> {
        let view = parse_message(self.raw);
        view.attachments
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                let (name, bytes) = attachment_bytes(self.raw, i)?;
                Some(Attachment {
                    name,
                    content_type: a.mime_type.clone(),
                    data: AttachmentData::Bytes(bytes),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn re_once() {
        for s in [
            "hello",
            "Re: hello",
            "RE: Re: hello",
            "Re[2]: hello",
            "re(3):RE: hello",
            "  Re:hello",
        ] {
            assert_eq!(reply_subject(s), "Re: hello", "{s}");
        }
        assert_eq!(reply_subject("Regarding: x"), "Re: Regarding: x");
        assert_eq!(reply_subject(""), "Re: ");
        assert_eq!(forward_subject("Fwd: FW: x"), "Fwd: x");
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a\n\n> b\n"), "> a\n>\n>> b\n");
    }
}
