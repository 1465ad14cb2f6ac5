//! The one place the TUI's compose runtime calls the compose library (editor file,
//! replies and forwards, building, resuming, the address book) and the outbox sender.
//! Each function is a thin adapter, so a change of their APIs is fixed here alone.
//!
//! Must not hold compose logic of its own: what it does is what `compose` and the
//! outbox do.

use crate::app::compose::ComposeHow;
use crate::compose::Draft;
use crate::config::AccountConfig;

/// Until the compose library lands: what is missing says so.
fn missing(what: &str) -> String {
    format!("{what} is not in this build yet")
}

/// The editor file of a draft: headers at the top, a blank line, the body.
/// (Stand-in until `compose::editfile` lands: the same shape, fewer cases.)
pub fn render(d: &Draft) -> String {
    let mut s = String::new();
    s.push_str(&format!("From: {}\n", d.from));
    s.push_str(&format!("To: {}\n", d.to.join(", ")));
    s.push_str(&format!("Cc: {}\n", d.cc.join(", ")));
    s.push_str(&format!("Bcc: {}\n", d.bcc.join(", ")));
    s.push_str(&format!("Subject: {}\n", d.subject));
    for (n, v) in &d.extra {
        s.push_str(&format!("{n}: {v}\n"));
    }
    for a in &d.attachments {
        if let crate::compose::AttachmentData::File(p) = &a.data {
            s.push_str(&format!("Attach: {}\n", p.display()));
        }
    }
    s.push('\n');
    s.push_str(&d.body);
    s
}

/// A draft from the editor file; `base` gives what the file does not hold.
pub fn parse(text: &str, base: &Draft) -> Result<Draft, String> {
    let mut d = base.clone();
    d.extra.clear();
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b),
        None => (text.trim_end_matches('\n'), ""),
    };
    let mut files = Vec::new();
    for (i, line) in head.lines().enumerate() {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("line {}: not a header: {line:?}", i + 1));
        };
        let value = value.trim().to_string();
        let list = || crate::app::compose::split_addresses(&value);
        match name.trim().to_ascii_lowercase().as_str() {
            "from" => d.from = value.clone(),
            "to" => d.to = list(),
            "cc" => d.cc = list(),
            "bcc" => d.bcc = list(),
            "subject" => d.subject = value.clone(),
            "attach" => files.push(std::path::PathBuf::from(&value)),
            _ => d.extra.push((name.trim().to_string(), value.clone())),
        }
    }
    d.attachments
        .retain(|a| !matches!(a.data, crate::compose::AttachmentData::File(_)));
    for p in files {
        d.attachments.push(crate::compose::Attachment {
            name: p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            content_type: mime_guess::from_path(&p)
                .first_or_octet_stream()
                .essence_str()
                .to_string(),
            data: crate::compose::AttachmentData::File(p),
        });
    }
    d.body = body.to_string();
    Ok(d)
}

/// A new message from `account`: its From (and, with the library, the signature).
pub fn new_draft(account: &str, cfg: Option<&AccountConfig>) -> Result<Draft, String> {
    Ok(Draft {
        account: account.to_string(),
        from: cfg.and_then(|c| c.from.clone()).unwrap_or_default(),
        ..Draft::default()
    })
}

/// A reply, forward or resumed draft from the original's bytes.
pub fn from_original(
    how: ComposeHow,
    account: &str,
    cfg: Option<&AccountConfig>,
    _bytes: &[u8],
) -> Result<Draft, String> {
    match how {
        ComposeHow::New => new_draft(account, cfg),
        _ => Err(missing("replying and forwarding")),
    }
}

/// The finished message: `sent` without Bcc, `kept` with it.
#[allow(dead_code)] // stand-in until the compose library lands
pub struct Built {
    pub sent: Vec<u8>,
    pub kept: Vec<u8>,
    pub envelope_from: String,
    pub recipients: Vec<String>,
}

pub fn build(_d: &Draft) -> Result<Built, String> {
    Err(missing("building a message"))
}

/// Address-book entries completing `prefix`, as `Name <addr>`.
pub fn complete(_index: &std::path::Path, _prefix: &str, _limit: usize) -> Vec<String> {
    Vec::new()
}
