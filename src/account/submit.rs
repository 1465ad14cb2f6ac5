//! `Submitter`: an account's way out, built from its `Sending` config (`[smtp]` or
//! `[sendmail]`), with one call that hands a finished message over. It is separate from
//! the `Account` actor on purpose: sending must not wait behind a sync, and a message
//! waits in the outbox (`compose::outbox`), not in an account.
//!
//! An NNTP account's submitter posts (`nntp::post`): a message with a Newsgroups header
//! goes out with POST, and a message for mail recipients (a reply by mail to a news
//! article) through the account's `[smtp]` or `[sendmail]` when it has one.
//!
//! Depends on `config`, `core` and the transports; never on the UI.

use super::nntp::NntpPoster;
use super::sendmail::SendmailSubmitter;
use super::smtp::SmtpSubmitter;
use super::{AccountError, AccountErrorKind, Outgoing};
use crate::config::{AccountConfig, Sending, Source};
use crate::core::{AccountId, SubmitKind};
use std::collections::BTreeMap;

// One per account: the size of the SMTP settings (a `ServerConfig`) does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Submitter {
    Smtp(SmtpSubmitter),
    Sendmail(SendmailSubmitter),
    /// An NNTP account: POST for articles, `mail` (its `[smtp]`/`[sendmail]`, if any)
    /// for mail recipients.
    Nntp {
        post: NntpPoster,
        mail: Option<Box<Submitter>>,
    },
}

impl Submitter {
    pub fn from_config(account: &AccountId, sending: &Sending) -> Submitter {
        match sending {
            Sending::Smtp(s) => Submitter::Smtp(SmtpSubmitter::new(account.clone(), s.clone())),
            Sending::Sendmail(s) => {
                Submitter::Sendmail(SendmailSubmitter::new(account.clone(), s.command.clone()))
            }
        }
    }

    /// The account's submitter; None when it has no `[smtp]` or `[sendmail]` table
    /// and is not an NNTP account.
    pub fn for_account(account: &AccountId, cfg: &AccountConfig) -> Option<Submitter> {
        let mail = cfg
            .sending
            .as_ref()
            .map(|s| Submitter::from_config(account, s));
        match &cfg.source {
            Source::Nntp(server) => Some(Submitter::Nntp {
                post: NntpPoster::new(account.clone(), server),
                mail: mail.map(Box::new),
            }),
            _ => mail,
        }
    }

    /// Every configured account that can send, by name (what the background sender and
    /// `posthorn send` take).
    pub fn all<'a>(
        accounts: impl IntoIterator<Item = (&'a String, &'a AccountConfig)>,
    ) -> BTreeMap<AccountId, Submitter> {
        accounts
            .into_iter()
            .filter_map(|(name, cfg)| {
                let id = AccountId(name.clone());
                Submitter::for_account(&id, cfg).map(|s| (id, s))
            })
            .collect()
    }

    pub fn kind(&self) -> SubmitKind {
        match self {
            Submitter::Smtp(_) => SubmitKind::Smtp,
            Submitter::Sendmail(_) => SubmitKind::Sendmail,
            Submitter::Nntp { .. } => SubmitKind::NntpPost,
        }
    }

    /// Hands the message over; Ok once the server (or command) accepted it. `msg.bytes`
    /// are the bytes to send (no Bcc); `kept` is the message as kept, for a
    /// `sendmail -t` that finds the Bcc recipients in it.
    ///
    /// For an NNTP account: a message with Newsgroups is posted; one with mail
    /// recipients is (also) mailed, after the post was accepted.
    pub async fn submit(&self, msg: &Outgoing, kept: &[u8]) -> Result<(), AccountError> {
        self.submit_tracked(msg, kept, &mut Vec::new()).await
    }

    /// `submit`; on failure, `accepted` holds the recipients the server already took
    /// the message for (SMTP sends in batches of recipients), who must not get it again.
    /// A sendmail command is all or nothing.
    pub async fn submit_tracked(
        &self,
        msg: &Outgoing,
        kept: &[u8],
        accepted: &mut Vec<String>,
    ) -> Result<(), AccountError> {
        match self {
            Submitter::Smtp(s) => s.send_tracked(msg, accepted).await,
            Submitter::Sendmail(s) => s.send(msg, kept).await,
            Submitter::Nntp { post, mail } => {
                let article = super::nntp::newsgroups(&msg.bytes).is_some();
                if article {
                    post.post(&msg.bytes).await?;
                }
                if msg.recipients.is_empty() && article {
                    return Ok(());
                }
                match mail {
                    Some(m) => Box::pin(m.submit(msg, kept)).await,
                    None => Err(AccountError {
                        account: post.account().clone(),
                        kind: AccountErrorKind::Unsupported,
                        message: if article {
                            "the article was posted, but its mail recipients need an [smtp] or [sendmail] table for this account".into()
                        } else {
                            "mail from a news account needs an [smtp] or [sendmail] table for it (this message has no Newsgroups to post to)".into()
                        },
                    }),
                }
            }
        }
    }
}
