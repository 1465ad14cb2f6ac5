//! Printing envelopes and messages for the headless commands.
//!
//! Text output is sanitised like the TUI's (`core::sanitize`): a file, folder or header
//! holding `ESC ] 0 ; title BEL` cannot retitle or repaint the terminal, and a newline
//! or tab in a name cannot split a tab-separated record. JSON output keeps the exact
//! strings, with every control character (C0, DEL, C1) and the bidi and line-separator
//! characters written as `\uXXXX` escapes, so it is valid JSON and inert on a terminal.

use super::CliError;
use crate::core::Envelope;
use crate::core::sanitize;
use crate::mime::{BodyMode, MessageView};
use serde::Serialize;
use std::io::Write;

/// Writes to stdout; a closed pipe (`posthorn list | head`) ends output quietly.
pub(super) fn emit(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError(format!("writing output: {e}")))
        }
        _ => Ok(()),
    }
}

#[derive(Serialize)]
struct JsonEnvelope<'a> {
    id: &'a str,
    account: &'a str,
    folder: &'a str,
    date: Option<String>,
    from: &'a str,
    from_addr: &'a str,
    to: &'a str,
    subject: &'a str,
    message_id: &'a str,
    flags: String,
    unread: bool,
    size: u64,
    has_attachments: bool,
}

fn iso(ts: i64) -> Option<String> {
    (ts != 0)
        .then(|| chrono::DateTime::from_timestamp(ts, 0).map(|d| d.to_rfc3339()))
        .flatten()
}

pub fn print_envelopes(envs: &[Envelope], json: bool) -> Result<(), CliError> {
    if json {
        let out: Vec<JsonEnvelope> = envs
            .iter()
            .map(|e| JsonEnvelope {
                id: &e.id.0,
                account: &e.account.0,
                folder: &e.folder.0,
                date: iso(e.date),
                from: &e.from,
                from_addr: &e.from_addr,
                to: &e.to,
                subject: &e.subject,
                message_id: &e.message_id,
                flags: e.flags.to_maildir(),
                unread: e.is_unread(),
                size: e.size,
                has_attachments: e.has_attachments,
            })
            .collect();
        let s = serde_json::to_string_pretty(&out).map_err(|e| CliError(e.to_string()))?;
        return emit(&(escape_json_controls(&s) + "\n"));
    }
    let mut text = String::new();
    for e in envs {
        let date = chrono::DateTime::from_timestamp(e.date, 0)
            .filter(|_| e.date != 0)
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "????-??-?? ??:??".into());
        let flag = if e.is_unread() { 'N' } else { ' ' };
        text.push_str(&format!(
            "{}\t{flag}\t{date}\t{}\t{}\n",
            sanitize::line(&e.id.0),
            sanitize::line(&e.from),
            sanitize::line(&e.subject)
        ));
    }
    emit(&text)
}

pub fn print_message(v: &MessageView) -> Result<(), CliError> {
    let l = |s: &str| sanitize::line(s).into_owned();
    let mut s = format!("From: {}\nTo: {}\n", l(&v.from), l(&v.to));
    if !v.cc.is_empty() {
        s.push_str(&format!("Cc: {}\n", l(&v.cc)));
    }
    s.push_str(&format!(
        "Date: {}\nSubject: {}\n",
        l(&v.date),
        l(&v.subject)
    ));
    for a in &v.attachments {
        s.push_str(&format!(
            "Attachment: {} ({}, {} bytes)\n",
            l(&a.name),
            l(&a.mime_type),
            a.size
        ));
    }
    s.push('\n');
    s.push_str(&sanitize::text(&v.body_text(BodyMode::Plain)));
    s.push('\n');
    for p in &v.problems {
        warn(&p.to_string());
    }
    emit(&s)
}

/// A warning on stderr, sanitised: it may quote a file or folder name.
pub fn warn(msg: &str) {
    eprintln!("warning: {}", sanitize::line(msg));
}

/// Rewrites the characters serde_json leaves raw but a terminal acts on (DEL, C1,
/// bidi controls, line separators) as `\uXXXX`. They can only occur inside JSON
/// strings, where the escape means the same character: the data stays exact.
pub fn escape_json_controls(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        // serde_json already escapes C0 inside strings; C0 outside them is layout.
        let c0 = c < ' ';
        if !c0 && (sanitize::is_hostile(c) || matches!(c, '\u{2028}' | '\u{2029}')) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}
