//! Resuming a draft: the `kept` bytes of a postponed message (from the Drafts folder)
//! back into a `Draft` with its headers, Bcc, body text and attachments (as bytes, names
//! and types intact), so it can be edited and sent.
//!
//! Parses with mailparse; depends on nothing but the draft types. A message that cannot
//! be parsed is an error, never an empty draft.

use super::address::{format_mailbox, msg_ids};
use super::draft::{Attachment, AttachmentData, Draft};
use super::error::ComposeError;
use mailparse::{DispositionType, MailHeader, ParsedMail};

/// Headers the draft keeps in its own fields or that building writes anew (the list
/// `build` skips in `extra`); every other header goes to `extra`.
use super::build::OWN as NOT_EXTRA;

/// A stored draft back into a Draft (`account` is left empty for the caller to set).
pub fn from_message(raw: &[u8]) -> Result<Draft, ComposeError> {
    let mail = mailparse::parse_mail(raw).map_err(|e| ComposeError::Unreadable(e.to_string()))?;
    let mut d = Draft::default();
    for h in &mail.headers {
        let key = h.get_key();
        let lower = key.to_ascii_lowercase();
        match lower.as_str() {
            "from" => d.from = addresses(h).into_iter().next().unwrap_or_default(),
            "to" => d.to.extend(addresses(h)),
            "cc" => d.cc.extend(addresses(h)),
            "bcc" => d.bcc.extend(addresses(h)),
            "subject" => d.subject = h.get_value().trim().to_string(),
            "in-reply-to" => d.in_reply_to = msg_ids(&h.get_value()).into_iter().next(),
            "references" => d.references = msg_ids(&h.get_value()),
            _ if NOT_EXTRA.contains(&lower.as_str()) => {}
            _ => d.extra.push((key, h.get_value().trim().to_string())),
        }
    }
    let mut body = None;
    collect(&mail, true, &mut body, &mut d.attachments)?;
    d.body = body.unwrap_or_default();
    Ok(d)
}

/// The mailboxes of an address header, written back as `Name <addr>`.
fn addresses(h: &MailHeader) -> Vec<String> {
    match mailparse::addrparse_header(h) {
        Ok(list) => list
            .iter()
            .flat_map(|a| match a {
                mailparse::MailAddr::Single(s) => vec![s.clone()],
                mailparse::MailAddr::Group(g) => g.addrs.clone(),
            })
            .map(|s| format_mailbox(s.display_name.as_deref(), &s.addr))
            .collect(),
        Err(_) => super::address::split_list(&h.get_value()),
    }
}

/// Walks the parts: the first inline text/plain is the body, every other leaf an
/// attachment. `top` is true for the message's own (single) part.
fn collect(
    part: &ParsedMail,
    top: bool,
    body: &mut Option<String>,
    atts: &mut Vec<Attachment>,
) -> Result<(), ComposeError> {
    let mime = part.ctype.mimetype.to_ascii_lowercase();
    if mime.starts_with("multipart/") {
        for sub in &part.subparts {
            collect(sub, false, body, atts)?;
        }
        return Ok(());
    }
    let cd = part.get_content_disposition();
    let attached = cd.disposition == DispositionType::Attachment;
    if body.is_none() && !attached && mime == "text/plain" {
        let text = part
            .get_body()
            .map_err(|e| ComposeError::Unreadable(format!("the body text: {e}")))?;
        *body = Some(body_text(&text, part, top));
        return Ok(());
    }
    let name = cd
        .params
        .get("filename")
        .or_else(|| part.ctype.params.get("name"))
        .cloned()
        .unwrap_or_else(|| "attachment".into());
    let bytes = part
        .get_body_raw()
        .map_err(|e| ComposeError::Unreadable(format!("attachment {name:?}: {e}")))?;
    atts.push(Attachment {
        name,
        content_type: mime,
        data: AttachmentData::Bytes(bytes),
    });
    Ok(())
}

/// The body as the user wrote it: LF line ends, unflowed when sent flowed, without the
/// line end the builder adds after the text.
fn body_text(text: &str, part: &ParsedMail, top: bool) -> String {
    let mut t = text.replace("\r\n", "\n");
    // lettre ends a single-part message with a line end of its own; in a multipart
    // the line end before the boundary belongs to the boundary (RFC 2046 §5.1.1).
    if top && t.ends_with('\n') {
        t.pop();
    }
    if part
        .ctype
        .params
        .get("format")
        .map(|f| f.eq_ignore_ascii_case("flowed"))
        == Some(true)
    {
        let delsp = part
            .ctype
            .params
            .get("delsp")
            .map(|f| f.eq_ignore_ascii_case("yes"))
            == Some(true);
        t = crate::mime::unflow(&t, delsp);
    }
    t
}
