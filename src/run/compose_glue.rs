//! The one place the TUI's compose runtime calls the compose library (the editor file,
//! new drafts, replies and forwards, building, resuming, the address book). Each
//! function is a thin adapter, so a change of that API is fixed here alone; the outbox
//! is reached through `compose_send`.
//!
//! Must not hold compose logic of its own: what it does is what `compose` does.

use crate::app::compose::ComposeHow;
use crate::compose::{BuildOptions, Draft, ReplyKind};
use crate::config::AccountConfig;

/// The editor file of a draft: headers at the top, a blank line, the body.
pub fn render(d: &Draft) -> String {
    crate::compose::editfile::render(d)
}

/// A draft from the editor file; `base` gives what the file does not hold.
pub fn parse(text: &str, base: &Draft) -> Result<Draft, String> {
    crate::compose::editfile::parse(text, base).map_err(|e| e.to_string())
}

/// A new message from `account`: its From and signature.
pub fn new_draft(account: &str, cfg: Option<&AccountConfig>) -> Result<Draft, String> {
    match cfg {
        Some(cfg) => Draft::new(account, cfg).map_err(|e| e.to_string()),
        None => Ok(Draft {
            account: account.to_string(),
            ..Draft::default()
        }),
    }
}

/// A new article to `group` from the NNTP account `account`.
pub fn new_article(
    account: &str,
    cfg: Option<&AccountConfig>,
    group: &str,
) -> Result<Draft, String> {
    let fallback = AccountConfig::maildir(std::path::PathBuf::new());
    crate::compose::new_article(account, cfg.unwrap_or(&fallback), group).map_err(|e| e.to_string())
}

/// A reply, forward, resumed draft or cancel from the original's bytes, with a note
/// for the user when the answer goes another way than asked (a follow-up that is a
/// mail reply). On an NNTP account `r` is a follow-up (`compose::follow_up`) and `w`
/// a reply by mail to the author.
pub fn from_original(
    how: ComposeHow,
    account: &str,
    cfg: Option<&AccountConfig>,
    bytes: &[u8],
) -> Result<(Draft, Option<String>), String> {
    let fallback = AccountConfig::maildir(std::path::PathBuf::new());
    let news = cfg.is_some_and(|c| matches!(c.source, crate::config::Source::Nntp(_)));
    let c = cfg.unwrap_or(&fallback);
    let err = |e: crate::compose::ComposeError| e.to_string();
    match how {
        ComposeHow::Cancel => {
            return Ok((
                crate::compose::cancel(bytes, account, c).map_err(err)?,
                None,
            ));
        }
        ComposeHow::Reply if news => {
            return match crate::compose::follow_up(bytes, account, c).map_err(err)? {
                crate::compose::FollowUp::Post(d) => Ok((d, None)),
                crate::compose::FollowUp::Mail(d) => Ok((
                    d,
                    Some(mail_note(
                        "The author asked for answers by mail (Followup-To: poster): replying by mail",
                        c,
                    )),
                )),
            };
        }
        ComposeHow::ReplyAll if news => {
            let d = crate::compose::respond(bytes, ReplyKind::Reply, account, c).map_err(err)?;
            return Ok((d, Some(mail_note("Replying by mail to the author", c))));
        }
        _ => {}
    }
    from_original_mail(how, account, cfg, bytes).map(|d| (d, None))
}

/// Says which way a mail reply from a news account leaves.
fn mail_note(what: &str, cfg: &AccountConfig) -> String {
    if cfg.sending.is_some() {
        format!("{what}, through the account's [smtp] or [sendmail]")
    } else {
        format!("{what}; this account has no [smtp] or [sendmail] table, so sending will fail")
    }
}

fn from_original_mail(
    how: ComposeHow,
    account: &str,
    cfg: Option<&AccountConfig>,
    bytes: &[u8],
) -> Result<Draft, String> {
    let kind = match how {
        ComposeHow::New | ComposeHow::Cancel => return new_draft(account, cfg),
        ComposeHow::Resume => {
            let mut d = crate::compose::from_message(bytes).map_err(|e| e.to_string())?;
            d.account = account.to_string();
            return Ok(d);
        }
        ComposeHow::Reply => ReplyKind::Reply,
        ComposeHow::ReplyAll => ReplyKind::ReplyAll,
        ComposeHow::ListReply => ReplyKind::ListReply,
        ComposeHow::Forward => ReplyKind::ForwardInline,
        ComposeHow::ForwardAttached => ReplyKind::ForwardAttached,
    };
    let fallback = AccountConfig::maildir(std::path::PathBuf::new());
    let cfg = cfg.unwrap_or(&fallback);
    crate::compose::respond(bytes, kind, account, cfg).map_err(|e| e.to_string())
}

/// The finished message, to send (`sent` has no Bcc; `kept` has it).
pub fn build(d: &Draft) -> Result<crate::compose::Built, String> {
    crate::compose::build(d, &BuildOptions::default()).map_err(|e| e.to_string())
}

/// The message to keep in Drafts: built even with no recipient yet.
pub fn build_draft(d: &Draft) -> Result<crate::compose::Built, String> {
    let opts = BuildOptions {
        allow_no_recipients: true,
        ..BuildOptions::default()
    };
    crate::compose::build(d, &opts).map_err(|e| e.to_string())
}

/// Address-book entries completing `prefix`, as `Name <addr>`, from every account's
/// cached mail.
pub fn complete(index: &std::path::Path, prefix: &str, limit: usize) -> Vec<String> {
    let Ok(reader) = crate::store::IndexReader::open(index) else {
        return Vec::new();
    };
    match crate::compose::AddressBook::load(&reader.view(), None) {
        Ok(book) => book
            .complete(prefix, limit)
            .into_iter()
            .map(|e| e.display())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn news() -> AccountConfig {
        let text = "[accounts.news]\nfrom = \"Alice <alice@example.test>\"\n\
[accounts.news.nntp]\nhost = \"127.0.0.1\"\n";
        crate::config::parse_config(std::path::Path::new("t.toml"), text)
            .map(|c| c.accounts["news"].clone())
            .unwrap_or_else(|_| panic!("the test config parses"))
    }

    const ART: &[u8] = b"From: Zoe <zoe@example.org>\r\nNewsgroups: test.misc\r\n\
Subject: Plans\r\nMessage-ID: <z1@example.org>\r\n\r\nbody\r\n";

    #[test]
    fn on_a_news_account_r_follows_up_and_w_mails_the_author() {
        let cfg = news();
        let (d, note) = from_original(ComposeHow::Reply, "news", Some(&cfg), ART).unwrap();
        assert_eq!(d.extra_header("Newsgroups"), Some("test.misc"));
        assert!(d.to.is_empty() && note.is_none());
        let poster = [b"Followup-To: poster\r\n".as_slice(), ART].concat();
        let (d, note) = from_original(ComposeHow::Reply, "news", Some(&cfg), &poster).unwrap();
        assert_eq!(d.to, vec!["Zoe <zoe@example.org>"]);
        assert!(note.is_some_and(|n| n.contains("poster") && n.contains("no [smtp]")));
        let (d, note) = from_original(ComposeHow::ReplyAll, "news", Some(&cfg), ART).unwrap();
        assert_eq!(d.to, vec!["Zoe <zoe@example.org>"]);
        assert_eq!(d.extra_header("Newsgroups"), None);
        assert!(note.is_some_and(|n| n.starts_with("Replying by mail")));
        // Someone else's article cannot be cancelled.
        let e = from_original(ComposeHow::Cancel, "news", Some(&cfg), ART).unwrap_err();
        assert!(e.contains("only your own"), "{e}");
        // On a mail account r is a mail reply, as before.
        let mail = AccountConfig::maildir(std::path::PathBuf::new());
        let (d, _) = from_original(ComposeHow::Reply, "m", Some(&mail), ART).unwrap();
        assert_eq!(d.to, vec!["Zoe <zoe@example.org>"]);
    }
}
