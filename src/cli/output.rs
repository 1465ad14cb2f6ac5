//! Printing envelopes and messages for the headless commands.

use super::CliError;
use crate::core::Envelope;
use crate::mime::{BodyMode, MessageView};
use serde::Serialize;
use std::io::Write;

/// Writes to stdout; a closed pipe (`posthorn list | head`) ends output quietly.
fn emit(text: &str) -> Result<(), CliError> {
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
        return emit(&(s + "\n"));
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
            e.id, e.from, e.subject
        ));
    }
    emit(&text)
}

pub fn print_message(v: &MessageView) -> Result<(), CliError> {
    let mut s = format!("From: {}\nTo: {}\n", v.from, v.to);
    if !v.cc.is_empty() {
        s.push_str(&format!("Cc: {}\n", v.cc));
    }
    s.push_str(&format!("Date: {}\nSubject: {}\n", v.date, v.subject));
    for a in &v.attachments {
        s.push_str(&format!(
            "Attachment: {} ({}, {} bytes)\n",
            a.name, a.mime_type, a.size
        ));
    }
    s.push('\n');
    s.push_str(&v.body_text(BodyMode::Plain));
    s.push('\n');
    for p in &v.problems {
        eprintln!("warning: {p}");
    }
    emit(&s)
}
