//! News drafts: a new article for a group, a follow-up to an article, and the cancel of
//! one's own article. A follow-up (RFC 5536 §3.2.6, RFC 5537 §3.4.4) goes to the
//! original's Followup-To, else its Newsgroups; References are kept and extended with
//! the original's Message-ID; the Subject gets "Re: " once. Followup-To: `poster` means
//! the author asked for answers by mail: the follow-up becomes a mail reply to them.
//! A cancel (RFC 5537 §5.3) is a control message `Control: cancel <mid>` to the
//! original's Newsgroups, allowed only when the original's From is one of the user's
//! identities.
//!
//! Pure: bytes and config in, `Draft` out; how an article leaves (NNTP POST) lives in
//! `account`. Depends on `config`, `core` and this layer.

use super::address::{mailboxes, msg_ids};
use super::draft::Draft;
use super::error::ComposeError;
use super::identity::identities;
use super::reply::{ReplyKind, respond};
use crate::config::AccountConfig;

/// What `follow_up` made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowUp {
    /// An article to post (Newsgroups set).
    Post(Draft),
    /// Followup-To: poster: a mail reply to the author instead.
    Mail(Draft),
}

/// A new article to `group`: the account's identity and signature, Newsgroups set.
pub fn new_article(account: &str, cfg: &AccountConfig, group: &str) -> Result<Draft, ComposeError> {
    let mut d = Draft::new(account, cfg)?;
    d.extra.push(("Newsgroups".into(), group.to_string()));
    Ok(d)
}

/// The (decoded, trimmed) value of a header of `raw`; empty when missing.
fn header(raw: &[u8], name: &str) -> String {
    mailparse::parse_headers(raw)
        .ok()
        .and_then(|(hs, _)| {
            hs.iter()
                .find(|h| h.get_key().eq_ignore_ascii_case(name))
                .map(|h| h.get_value())
        })
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// A newsgroups list as it goes into a header: comma-separated, no white space
/// (RFC 5536 §3.1.4).
fn group_list(value: &str) -> String {
    value
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

/// A follow-up to the article `raw`, for `account`.
pub fn follow_up(raw: &[u8], account: &str, cfg: &AccountConfig) -> Result<FollowUp, ComposeError> {
    let followup_to = group_list(&header(raw, "Followup-To"));
    if followup_to.eq_ignore_ascii_case("poster") {
        // RFC 5536 §3.2.6: "poster": answers go to the author by mail.
        let d = respond(raw, ReplyKind::Reply, account, cfg)?;
        return Ok(FollowUp::Mail(d));
    }
    let groups = if followup_to.is_empty() {
        group_list(&header(raw, "Newsgroups"))
    } else {
        followup_to
    };
    if groups.is_empty() {
        return Err(ComposeError::Unreadable(
            "the article has no Newsgroups (or Followup-To) to follow up to".into(),
        ));
    }
    let mut d = respond(raw, ReplyKind::Reply, account, cfg)?;
    d.to.clear();
    d.cc.clear();
    d.bcc.clear();
    d.extra.push(("Newsgroups".into(), groups));
    Ok(FollowUp::Post(d))
}

/// The cancel of one's own article `raw` (RFC 5537 §5.3): Control: cancel, the
/// original's Newsgroups, From the identity that wrote it. Refused when the article's
/// From is none of the account's identities.
pub fn cancel(raw: &[u8], account: &str, cfg: &AccountConfig) -> Result<Draft, ComposeError> {
    let mid = msg_ids(&header(raw, "Message-ID"))
        .into_iter()
        .next()
        .ok_or_else(|| ComposeError::Unreadable("the article has no Message-ID".into()))?;
    let groups = group_list(&header(raw, "Newsgroups"));
    if groups.is_empty() {
        return Err(ComposeError::Unreadable(
            "the article has no Newsgroups".into(),
        ));
    }
    let from = header(raw, "From");
    let ids = identities(cfg);
    let mine = mailboxes(&from)
        .into_iter()
        .find_map(|(_, addr)| ids.iter().find(|i| i.is(&addr)).cloned());
    let Some(me) = mine else {
        return Err(ComposeError::NotYours(from));
    };
    Ok(Draft {
        account: account.to_string(),
        from: me.display(),
        subject: format!("cmsg cancel {mid}"),
        extra: vec![
            ("Newsgroups".into(), groups),
            ("Control".into(), format!("cancel {mid}")),
        ],
        body: "This article was cancelled by its author.\n".into(),
        ..Draft::default()
    })
}
