//! Walks a parsed MIME tree into a `MessageView` (RFC 2045–2049, RFC 2046 §5.1.4
//! multipart/alternative, RFC 2183 Content-Disposition, RFC 2231 parameters via
//! mailparse, RFC 3676 format=flowed).

use super::MAX_DEPTH;
use super::decode::{Counter, decode_into};
use super::flowed::unflow;
use super::headers::{address_list_display, first_value, header_value, parse_date};
use super::html::html_to_text_bounded;
use super::model::{Attachment, MessageView, Section};
use crate::core::sanitize;
use mailparse::{DispositionType, ParsedMail};
use std::io::{self, Write};

/// Most headers listed in the full-header view.
pub const MAX_HEADERS: usize = 1000;

/// Width HTML is rendered at; the reader wraps longer lines itself.
const HTML_WIDTH: usize = 78;

/// Parses a raw message into its display model. Never fails.
pub fn parse_message(raw: &[u8]) -> MessageView {
    let mut view = MessageView::default();
    let mail = match mailparse::parse_mail(raw) {
        Ok(m) => m,
        Err(e) => {
            view.problems
                .push(format!("could not parse the MIME structure: {e}"));
            view.subject = "(unparseable message)".into();
            view.sections
                .push(Section::Text(sanitize::text(&String::from_utf8_lossy(raw))));
            return view;
        }
    };
    let get = |n: &str| first_value(&mail.headers, n).unwrap_or_default();
    view.subject = sanitize::line(get("Subject").trim()).into_owned();
    view.from = address_list_display(&get("From"));
    view.to = address_list_display(&get("To"));
    view.cc = address_list_display(&get("Cc"));
    let date = get("Date");
    view.date = match parse_date(&date) {
        Some(_) => sanitize::line(date.trim()).into_owned(),
        None if date.trim().is_empty() => String::new(),
        None => {
            view.problems
                .push("the Date header could not be parsed; shown as sent".into());
            sanitize::line(date.trim()).into_owned()
        }
    };
    view.headers = all_headers(&mail);
    if mail.headers.len() > MAX_HEADERS {
        view.problems.push(format!(
            "the message has {} headers; the first {MAX_HEADERS} are listed",
            mail.headers.len()
        ));
    }
    let mut walker = Walker::new(None);
    view.sections = walker.walk(&mail, 0);
    view.attachments = walker.attachments;
    view.problems.extend(walker.problems);
    view
}

/// Walks `raw` without rendering any text, streaming the `index`th attachment (as
/// listed in the view) into `out`. Returns the attachment's listing and the number of
/// bytes written, or None when there is no such attachment.
pub(super) fn stream_attachment(
    raw: &[u8],
    index: usize,
    out: &mut dyn Write,
) -> Option<(Attachment, io::Result<u64>)> {
    let mail = mailparse::parse_mail(raw).ok()?;
    let mut walker = Walker::new(Some((index, out)));
    walker.walk(&mail, 0);
    let written = walker.written?;
    Some((walker.attachments.get(index)?.clone(), written))
}

fn all_headers(mail: &ParsedMail) -> Vec<(String, String)> {
    mail.headers
        .iter()
        .take(MAX_HEADERS)
        .map(|h| {
            (
                sanitize::line(&h.get_key()).into_owned(),
                sanitize::line(header_value(h).trim()).into_owned(),
            )
        })
        .collect()
}

/// Where an attachment's bytes come from.
enum Source<'a> {
    Encoded(mailparse::body::Body<'a>),
    Decoded(&'a [u8]),
}

struct Walker<'w> {
    attachments: Vec<Attachment>,
    problems: Vec<String>,
    /// Saving: the attachment wanted and where its bytes go; text is then not rendered.
    want: Option<(usize, &'w mut dyn Write)>,
    written: Option<io::Result<u64>>,
}

impl<'w> Walker<'w> {
    fn new(want: Option<(usize, &'w mut dyn Write)>) -> Self {
        Walker {
            attachments: Vec::new(),
            problems: Vec::new(),
            want,
            written: None,
        }
    }

    fn saving(&self) -> bool {
        self.want.is_some()
    }

    fn walk(&mut self, part: &ParsedMail, depth: usize) -> Vec<Section> {
        let mut out = Vec::new();
        if depth > MAX_DEPTH {
            out.push(Section::Note(format!(
                "parts nested deeper than {MAX_DEPTH} levels are not shown"
            )));
            return out;
        }
        let mime = part.ctype.mimetype.to_ascii_lowercase();
        let disposition = part.get_content_disposition();
        let is_attachment = disposition.disposition == DispositionType::Attachment;

        if mime.starts_with("multipart/") {
            if part.subparts.is_empty() {
                self.problems.push(format!(
                    "{mime} part without any subparts (missing boundary?)"
                ));
                out.push(Section::Text(self.text_of(part)));
            } else if mime == "multipart/alternative" {
                out.push(self.alternative(part, depth));
            } else {
                for sub in &part.subparts {
                    out.extend(self.walk(sub, depth + 1));
                }
            }
        } else if mime == "message/rfc822" || mime == "message/global" {
            let raw = part.get_body_raw().unwrap_or_default();
            let name = filename(part).unwrap_or_else(|| "forwarded-message.eml".into());
            self.add_attachment(name, &mime, Source::Decoded(&raw));
            match mailparse::parse_mail(&raw) {
                Ok(inner) => {
                    let headers = ["From", "Date", "Subject", "To"]
                        .iter()
                        .filter_map(|k| {
                            first_value(&inner.headers, k)
                                .map(|v| (k.to_string(), sanitize::line(v.trim()).into_owned()))
                        })
                        .collect();
                    let sections = self.walk(&inner, depth + 1);
                    out.push(Section::Nested { headers, sections });
                }
                Err(e) => self
                    .problems
                    .push(format!("attached message could not be parsed: {e}")),
            }
        } else if (mime == "text/plain" || mime == "text" || mime == "text/html")
            && !is_attachment
            && self.saving()
        {
            // Saving an attachment: body text is not needed.
        } else if (mime == "text/plain" || mime == "text") && !is_attachment {
            out.push(Section::Text(self.text_of(part)));
        } else if mime == "text/html" && !is_attachment {
            let html = self.decoded_string(part);
            out.push(Section::Html(self.html(&html)));
        } else {
            let name = filename(part).unwrap_or_else(|| {
                format!(
                    "part-{}.{}",
                    self.attachments.len() + 1,
                    extension_for(&mime)
                )
            });
            self.add_attachment(name, &mime, Source::Encoded(part.get_body_encoded()));
        }
        out
    }

    fn alternative(&mut self, part: &ParsedMail, depth: usize) -> Section {
        let mut plain = None;
        let mut html = None;
        for sub in &part.subparts {
            let mime = sub.ctype.mimetype.to_ascii_lowercase();
            if self.saving() && mime.starts_with("text/") {
                continue;
            }
            if mime == "text/plain" && plain.is_none() {
                plain = Some(self.text_of(sub));
            } else if mime == "text/html" {
                let h = self.decoded_string(sub);
                html = Some(self.html(&h));
            } else {
                // multipart/related and friends: take their text, keep their attachments.
                let inner = self.walk(sub, depth + 1);
                let mut text = String::new();
                for s in &inner {
                    if let Section::Html(t) | Section::Text(t) = s {
                        text.push_str(t);
                    }
                }
                if !text.is_empty() {
                    html = Some(text);
                }
            }
        }
        Section::Alternative { plain, html }
    }

    /// HTML rendered to sanitised text, flat (with a problem noted) when too hostile.
    fn html(&mut self, html: &str) -> String {
        let (text, why) = html_to_text_bounded(html.as_bytes(), HTML_WIDTH);
        self.problems.extend(why);
        sanitize::text(&text)
    }

    fn decoded_string(&mut self, part: &ParsedMail) -> String {
        match part.get_body() {
            Ok(s) => s,
            Err(e) => {
                self.problems.push(format!(
                    "{} part could not be decoded ({e}); shown as raw bytes",
                    part.ctype.mimetype
                ));
                String::from_utf8_lossy(&part.get_body_raw().unwrap_or_default()).into_owned()
            }
        }
    }

    fn text_of(&mut self, part: &ParsedMail) -> String {
        let body = self.decoded_string(part);
        let flowed = part
            .ctype
            .params
            .get("format")
            .is_some_and(|f| f.eq_ignore_ascii_case("flowed"));
        let body = if flowed {
            let delsp = part
                .ctype
                .params
                .get("delsp")
                .is_some_and(|d| d.eq_ignore_ascii_case("yes"));
            unflow(&body, delsp)
        } else {
            body
        };
        sanitize::text(&body)
    }

    /// Lists an attachment with its decoded size (measured by decoding into a counter,
    /// never held in memory) and, when it is the one being saved, streams it out.
    fn add_attachment(&mut self, name: String, mime: &str, src: Source) {
        let n = self.attachments.len();
        let sink: &mut dyn Write = match &mut self.want {
            Some((want, out)) if *want == n => &mut **out,
            _ => &mut Counter(0),
        };
        let written = match src {
            Source::Encoded(body) => decode_into(&body, sink),
            Source::Decoded(bytes) => sink.write_all(bytes).map(|()| bytes.len() as u64),
        };
        self.attachments.push(Attachment {
            name: sanitize::line(&name).into_owned(),
            mime_type: sanitize::line(mime).into_owned(),
            size: written.as_ref().map_or(0, |w| *w as usize),
        });
        if matches!(&self.want, Some((want, _)) if *want == n) {
            self.written = Some(written);
        }
    }
}

fn filename(part: &ParsedMail) -> Option<String> {
    let d = part.get_content_disposition();
    d.params
        .get("filename")
        .or_else(|| part.ctype.params.get("name"))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn extension_for(mime: &str) -> &'static str {
    match mime {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "text/calendar" => "ics",
        "text/html" => "html",
        "text/plain" => "txt",
        "application/zip" => "zip",
        _ => "bin",
    }
}
