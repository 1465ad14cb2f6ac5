//! `Submitter`: an account's way out, built from its `Sending` config (`[smtp]` or
//! `[sendmail]`), with one call that hands a finished message over. It is separate from
//! the `Account` actor on purpose: sending must not wait behind a sync, and a message
//! waits in the outbox (`compose::outbox`), not in an account.
//!
//! Depends on `config`, `core` and the two transports; never on the UI.

use super::sendmail::SendmailSubmitter;
use super::smtp::SmtpSubmitter;
use super::{AccountError, Outgoing};
use crate::config::{AccountConfig, Sending};
use crate::core::{AccountId, SubmitKind};
use std::collections::BTreeMap;

// One per account: the size of the SMTP settings (a `ServerConfig`) does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Submitter {
    Smtp(SmtpSubmitter),
    Sendmail(SendmailSubmitter),
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

    /// The account's submitter; None when it has no `[smtp]` or `[sendmail]` table.
    pub fn for_account(account: &AccountId, cfg: &AccountConfig) -> Option<Submitter> {
        cfg.sending
            .as_ref()
            .map(|s| Submitter::from_config(account, s))
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
        }
    }

    /// Hands the message over; Ok once the server (or command) accepted it. `msg.bytes`
    /// are the bytes to send (no Bcc); `kept` is the message as kept, for a
    /// `sendmail -t` that finds the Bcc recipients in it.
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
        }
    }
}
