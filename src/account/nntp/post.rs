//! Posting: an NNTP account's way out. `NntpPoster` opens a fresh connection with the
//! account's own settings (NNTPS, or STARTTLS with no way back to plaintext, and
//! AUTHINFO as the account reads; `conn.rs`), sends POST (RFC 3977 §6.3.1) and hangs up.
//! A fresh connection keeps a post from waiting behind a sync on the reading one.
//!
//! Before anything is sent the article is checked for the headers a news server needs
//! (RFC 5536 §3.1: From, Newsgroups, Subject, Message-ID, Date; the compose path and
//! `prepare_raw` add Message-ID and Date). A refusal (440 posting not permitted, 441
//! posting failed) is an `AccountError` of kind Rejected carrying the server's text,
//! so the outbox keeps the article with that text as its last error.
//!
//! Depends on `config`, `core` and this account's connection; never on the UI.

use super::conn::NntpConn;
use super::{NntpServer, settings};
use crate::account::{AccountError, AccountErrorKind};
use crate::config::{Secret, ServerConfig};
use crate::core::AccountId;
use crate::protocol::nntp::{NntpArticleId, NntpCommand};

/// Headers every article must carry (RFC 5536 §3.1; Path is the server's to add).
const REQUIRED: &[&str] = &["From", "Newsgroups", "Subject", "Message-ID", "Date"];

/// Posts articles to an NNTP account's server.
#[derive(Clone, Debug)]
pub struct NntpPoster {
    account: AccountId,
    server: NntpServer,
    secret: Option<Secret>,
}

impl NntpPoster {
    pub fn new(account: AccountId, cfg: &ServerConfig) -> NntpPoster {
        NntpPoster {
            account,
            server: settings(cfg),
            secret: cfg.password.clone(),
        }
    }

    /// A poster for `server` (tests point it at a fake).
    pub fn with_server(
        account: AccountId,
        server: NntpServer,
        secret: Option<Secret>,
    ) -> NntpPoster {
        NntpPoster {
            account,
            server,
            secret,
        }
    }

    pub fn account(&self) -> &AccountId {
        &self.account
    }

    fn error(&self, kind: AccountErrorKind, message: impl Into<String>) -> AccountError {
        AccountError {
            account: self.account.clone(),
            kind,
            message: message.into(),
        }
    }

    /// Posts `article` (CRLF or LF line ends; dot-stuffing is done on the way out).
    /// Ok once the server answered 240.
    pub async fn post(&self, article: &[u8]) -> Result<(), AccountError> {
        if let Some(why) = missing_headers(article) {
            return Err(self.error(AccountErrorKind::Rejected, why));
        }
        let mut password = None;
        if let Some(secret) = self.secret.clone() {
            match tokio::task::spawn_blocking(move || secret.reveal()).await {
                Ok(Ok(p)) => password = Some(p),
                Ok(Err(why)) => return Err(self.error(AccountErrorKind::Auth, why)),
                Err(e) => return Err(self.error(AccountErrorKind::Auth, e.to_string())),
            }
        }
        let mut conn = NntpConn::open(&self.server, password.as_deref())
            .await
            .map_err(|f| self.error(f.kind, f.message))?;
        // A retry of an article the server already has (accepted, but the outbox never
        // heard so: a cut link, a crash) must not be posted twice: STAT by its
        // Message-ID first (RFC 3977 §6.2.4; 223: it is there).
        let already = match message_id(article) {
            Some(mid) => conn
                .call_auth(NntpCommand::Stat(NntpArticleId::MessageId(mid)))
                .await
                .map(|r| r.status.code == 223),
            None => Ok(false),
        };
        let result = match already {
            Ok(true) => Ok(None),
            Ok(false) => conn.post(article).await,
            Err(f) => Err(f),
        };
        conn.quit().await;
        match result {
            Ok(None) => Ok(()),
            Ok(Some(st)) => {
                let kind = match st.code {
                    480 | 481 | 483 => AccountErrorKind::Auth,
                    _ => AccountErrorKind::Rejected,
                };
                let what = match st.code {
                    440 => "does not allow posting",
                    441 => "refused the article",
                    _ => "refused POST",
                };
                Err(self.error(kind, format!("{} {what}: {}", self.server.host, st.shown())))
            }
            Err(f) => Err(self.error(f.kind, f.message)),
        }
    }
}

/// The header block of a message (up to the first empty line), parsed; None when it
/// cannot be parsed.
fn headers(bytes: &[u8]) -> Option<Vec<(String, String)>> {
    let (hs, _) = mailparse::parse_headers(bytes).ok()?;
    Some(
        hs.iter()
            .map(|h| (h.get_key(), h.get_value()))
            .collect::<Vec<_>>(),
    )
}

/// The Newsgroups of a message, None when it has none (or it is empty): such a message
/// is mail, not an article.
pub fn newsgroups(bytes: &[u8]) -> Option<String> {
    headers(bytes)?
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Newsgroups"))
        .map(|(_, v)| v.split_whitespace().collect::<String>())
        .filter(|v| !v.is_empty())
}

/// The article's Message-ID, when it has one that can be sent in a command.
fn message_id(bytes: &[u8]) -> Option<String> {
    let mid = headers(bytes)?
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Message-ID"))
        .map(|(_, v)| v.trim().to_string())?;
    let ok = mid.len() >= 3
        && mid.starts_with('<')
        && mid.ends_with('>')
        && mid[1..mid.len() - 1]
            .bytes()
            .all(|c| (0x21..0x7f).contains(&c) && c != b'>');
    ok.then_some(mid)
}

/// Which required headers are missing or empty, said as a sentence; None when none.
pub fn missing_headers(bytes: &[u8]) -> Option<String> {
    let Some(hs) = headers(bytes) else {
        return Some("the article's header block cannot be read".into());
    };
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|name| {
            !hs.iter()
                .any(|(k, v)| k.eq_ignore_ascii_case(name) && !v.trim().is_empty())
        })
        .collect();
    if missing.is_empty() {
        None
    } else {
        Some(format!(
            "the article cannot be posted without {}",
            missing.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_headers_are_checked() {
        let full = b"From: a@x.test\r\nNewsgroups: test.misc\r\nSubject: s\r\nMessage-ID: <1@x>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nbody\r\n";
        assert_eq!(missing_headers(full), None);
        let no_subject =
            b"From: a@x.test\nNewsgroups: test.misc\nSubject:  \nMessage-ID: <1@x>\n\nbody\n";
        assert_eq!(
            missing_headers(no_subject).as_deref(),
            Some("the article cannot be posted without Subject, Date")
        );
        assert_eq!(
            newsgroups(b"Newsgroups: a.b,\r\n c.d\r\n\r\n").as_deref(),
            Some("a.b,c.d")
        );
        assert_eq!(newsgroups(b"To: x@y\r\n\r\nNewsgroups: no\r\n"), None);
    }
}
