//! Identities: the From addresses an account may write as (`from` first, then
//! `identities`), which one answers a received message (the one it was sent to), and a
//! new draft with From and the signature filled in.
//!
//! Reads the signature file and nothing else; depends on `config` for the account keys.

use super::address::{format_mailbox, mailboxes};
use super::draft::Draft;
use super::error::ComposeError;
use crate::config::AccountConfig;

/// One From choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub name: Option<String>,
    pub address: String,
}

impl Identity {
    /// Parses `Name <addr>` or `addr`; None when there is no address in the text.
    pub fn parse(text: &str) -> Option<Identity> {
        let (name, address) = mailboxes(text).into_iter().next()?;
        address.contains('@').then(|| Identity {
            name: name.filter(|n| !n.trim().is_empty()),
            address,
        })
    }

    /// `Name <addr>` as the From of a draft.
    pub fn display(&self) -> String {
        format_mailbox(self.name.as_deref(), &self.address)
    }

    /// Whether `addr` is this identity's address (case-insensitive).
    pub fn is(&self, addr: &str) -> bool {
        self.address.eq_ignore_ascii_case(addr.trim())
    }
}

/// The account's identities: `from` first (the default), then `identities`, without
/// repeats. Entries without an address are left out (config validation reports them).
///
/// An NNTP account's own `from` (its `[nntp]` table) comes first: the From of articles.
pub fn identities(cfg: &AccountConfig) -> Vec<Identity> {
    let mut out: Vec<Identity> = Vec::new();
    let news_from = match &cfg.source {
        crate::config::Source::Nntp(s) => s.from.as_ref(),
        _ => None,
    };
    for text in news_from
        .into_iter()
        .chain(&cfg.from)
        .chain(&cfg.identities)
    {
        if let Some(id) = Identity::parse(text)
            && !out.iter().any(|o| o.is(&id.address))
        {
            out.push(id);
        }
    }
    out
}

/// Headers that say where a message was delivered, in the order they are trusted.
const SENT_TO: &[&str] = &["To", "Cc", "Delivered-To", "X-Original-To"];

/// The identity a reply to a message with these (decoded) headers should come from:
/// the one whose address the message was sent to (To, Cc, Delivered-To, X-Original-To,
/// compared case-insensitively), else the default. None only when the account has no
/// identity at all.
pub fn for_reply(ids: &[Identity], headers: &[(String, String)]) -> Option<Identity> {
    for name in SENT_TO {
        for (_, value) in headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
            for (_, addr) in mailboxes(value) {
                if let Some(id) = ids.iter().find(|i| i.is(&addr)) {
                    return Some(id.clone());
                }
            }
        }
    }
    ids.first().cloned()
}

/// The signature block that ends a new message: "\n-- \n" and the file's text. None when
/// the account has no `signature`; a file that cannot be read is an error naming it.
pub fn signature(cfg: &AccountConfig) -> Result<Option<String>, ComposeError> {
    let Some(path) = &cfg.signature else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|source| ComposeError::Signature {
        path: path.clone(),
        source,
    })?;
    Ok(Some(signature_block(&text)))
}

/// "\n-- \n" + the text (the separator is not doubled when the file has it), ending in
/// a line end.
pub fn signature_block(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let text = text.strip_prefix("-- \n").unwrap_or(&text);
    let mut out = format!("\n-- \n{text}");
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

impl Draft {
    /// A new, empty message for `account`: From is the default identity, the body is
    /// the signature block (if any).
    pub fn new(account: &str, cfg: &AccountConfig) -> Result<Draft, ComposeError> {
        let from = identities(cfg)
            .first()
            .map(Identity::display)
            .unwrap_or_default();
        Ok(Draft {
            account: account.to_string(),
            from,
            body: signature(cfg)?.unwrap_or_default(),
            ..Draft::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> AccountConfig {
        let mut c = AccountConfig::maildir("/tmp/none".into());
        c.from = Some("Alice Example <alice@example.test>".into());
        c.identities = vec![
            "Alice <alice@work.example>".into(),
            "a@lists.example".into(),
            "ALICE@example.test".into(),
        ];
        c
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn identities_from_first_without_repeats() {
        let ids = identities(&cfg());
        let shown: Vec<String> = ids.iter().map(Identity::display).collect();
        assert_eq!(
            shown,
            vec![
                "Alice Example <alice@example.test>",
                "Alice <alice@work.example>",
                "a@lists.example"
            ]
        );
    }

    #[test]
    fn reply_identity_is_the_address_written_to() {
        let ids = identities(&cfg());
        let pick = |hs: &[(&str, &str)]| for_reply(&ids, &h(hs)).map(|i| i.address);
        assert_eq!(
            pick(&[("To", "Bob <bob@x>, Alice <ALICE@Work.Example>")]).as_deref(),
            Some("alice@work.example")
        );
        assert_eq!(
            pick(&[("To", "list@x"), ("cc", "a@LISTS.example")]).as_deref(),
            Some("a@lists.example")
        );
        assert_eq!(
            pick(&[("To", "list@x"), ("Delivered-To", "a@lists.example")]).as_deref(),
            Some("a@lists.example")
        );
        assert_eq!(
            pick(&[("X-Original-To", "alice@work.example")]).as_deref(),
            Some("alice@work.example")
        );
        assert_eq!(
            pick(&[("To", "someone@else")]).as_deref(),
            Some("alice@example.test")
        );
        assert_eq!(for_reply(&[], &h(&[("To", "a@b")])), None);
    }

    #[test]
    fn new_draft_has_from_and_signature() {
        let dir = tempfile::tempdir().unwrap();
        let sig = dir.path().join("sig");
        std::fs::write(&sig, "Alice\nExample Corp").unwrap();
        let mut c = cfg();
        c.signature = Some(sig);
        let d = Draft::new("work", &c).unwrap();
        assert_eq!(d.from, "Alice Example <alice@example.test>");
        assert_eq!(d.body, "\n-- \nAlice\nExample Corp\n");
        assert_eq!(d.account, "work");
        c.signature = Some(dir.path().join("missing-sig"));
        let e = Draft::new("work", &c).unwrap_err();
        assert!(e.to_string().contains("missing-sig"), "{e}");
    }
}
