//! SMTP submission with lettre (`AsyncSmtpTransport<Tokio1Executor>`): a finished message
//! goes out with `send_raw`, over implicit TLS (RFC 8314 §3, port 465), STARTTLS that is
//! required (RFC 3207; no plaintext fallback: a server that does not offer it is left
//! before AUTH), or plain TCP (port 25). Certificates are verified against the system
//! roots plus the account's `ca-file`. AUTH PLAIN/LOGIN (RFC 4954) with the account's
//! password, or XOAUTH2 with a token the password command prints.
//!
//! Errors keep the server's reply (`535 5.7.8 ...`) and never the password; they map to
//! the account error kinds (Auth, Network, Timeout, Rejected). Depends on `config`,
//! `core` and lettre; never on the UI.

use super::{AccountError, AccountErrorKind, Outgoing};
use crate::config::{AuthMethod, ServerConfig, Tls};
use crate::core::AccountId;
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls as LettreTls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// Each SMTP command (connect, a reply) must answer within this.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// Recipients per SMTP transaction: the number every server must take (RFC 5321
/// §4.5.3.1.8).
pub const BATCH: usize = 100;

/// Sends through one account's `[smtp]` table.
#[derive(Clone, Debug)]
pub struct SmtpSubmitter {
    account: AccountId,
    cfg: ServerConfig,
    timeout: Duration,
}

impl SmtpSubmitter {
    pub fn new(account: AccountId, cfg: ServerConfig) -> Self {
        SmtpSubmitter {
            account,
            cfg,
            timeout: COMMAND_TIMEOUT,
        }
    }

    /// Shorter waits (tests of dead servers).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The configured port, else the one for the chosen TLS: 465 implicit (RFC 8314),
    /// 587 STARTTLS (RFC 6409), 25 plain.
    pub fn port(&self) -> u16 {
        self.cfg.port.unwrap_or(match self.cfg.tls {
            Tls::Implicit => 465,
            Tls::Starttls => 587,
            Tls::None => 25,
        })
    }

    fn where_(&self) -> String {
        format!("smtp {}:{}", self.cfg.host, self.port())
    }

    fn error(&self, kind: AccountErrorKind, message: String) -> AccountError {
        AccountError {
            account: self.account.clone(),
            kind,
            message,
        }
    }

    /// Submits `msg` (its bytes as they should arrive; LF becomes CRLF here).
    pub async fn send(&self, msg: &Outgoing) -> Result<(), AccountError> {
        self.send_tracked(msg, &mut Vec::new()).await
    }

    /// `send`, in transactions of at most `BATCH` recipients each (RFC 5321
    /// §4.5.3.1.8: a server must take 100 per message, and may refuse more with 452
    /// (§4.5.3.1.10), as Postfix does past `smtpd_recipient_limit`). The recipients of
    /// every transaction the server accepted are pushed to `accepted`, also when a later
    /// one fails: those must not get the message again on a retry.
    pub async fn send_tracked(
        &self,
        msg: &Outgoing,
        accepted: &mut Vec<String>,
    ) -> Result<(), AccountError> {
        // Every address is checked before anything goes out.
        self.envelope(&msg.from, &msg.recipients)?;
        let transport = self.transport().await?;
        let mut bytes = crate::compose::outbox::to_crlf(&msg.bytes);
        // lettre always ends the DATA with CRLF "." CRLF (RFC 5321 §4.1.1.4): a message
        // that already ends in CRLF would gain an empty last line.
        if bytes.ends_with(b"\r\n") {
            bytes.truncate(bytes.len() - 2);
        }
        // The whole exchange is bounded too: per-command timeouts alone let a server
        // that trickles bytes hold a send for ever.
        let overall = self.timeout * 4 + Duration::from_secs(bytes.len() as u64 / 20_000);
        for batch in msg.recipients.chunks(BATCH) {
            let envelope = self.envelope(&msg.from, batch)?;
            match tokio::time::timeout(overall, transport.send_raw(&envelope, &bytes)).await {
                Ok(Ok(_)) => accepted.extend(batch.iter().cloned()),
                Ok(Err(e)) => return Err(self.map_error(&e)),
                Err(_) => {
                    return Err(self.error(
                        AccountErrorKind::Timeout,
                        format!(
                            "{}: no answer within {} s",
                            self.where_(),
                            overall.as_secs()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn envelope(&self, from: &str, recipients: &[String]) -> Result<Envelope, AccountError> {
        let bad = |what: &str, a: &str| {
            self.error(
                AccountErrorKind::Rejected,
                format!("{what} {:?} is not a valid address", a),
            )
        };
        let from: Address = from.trim().parse().map_err(|_| bad("the sender", from))?;
        let to = recipients
            .iter()
            .map(|r| r.trim().parse::<Address>().map_err(|_| bad("recipient", r)))
            .collect::<Result<Vec<_>, _>>()?;
        Envelope::new(Some(from), to).map_err(|e| {
            self.error(
                AccountErrorKind::Rejected,
                format!("cannot send: {e} (no recipients?)"),
            )
        })
    }

    async fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, AccountError> {
        let cfg = &self.cfg;
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(cfg.host.clone())
            .port(self.port())
            .timeout(Some(self.timeout));
        b = match cfg.tls {
            Tls::Implicit => b.tls(LettreTls::Wrapper(self.tls_parameters()?)),
            Tls::Starttls => b.tls(LettreTls::Required(self.tls_parameters()?)),
            Tls::None => b.tls(LettreTls::None),
        };
        if let Some(user) = &cfg.user {
            let password = match &cfg.password {
                Some(secret) => {
                    let secret = secret.clone();
                    tokio::task::spawn_blocking(move || secret.reveal())
                        .await
                        .map_err(|e| self.error(AccountErrorKind::Auth, e.to_string()))?
                        .map_err(|e| self.error(AccountErrorKind::Auth, e))?
                }
                None => {
                    return Err(self.error(
                        AccountErrorKind::Auth,
                        format!("[smtp] user {user:?} is set but no password"),
                    ));
                }
            };
            let mechanisms = match cfg.auth.unwrap_or_default() {
                AuthMethod::Plain => vec![Mechanism::Plain],
                AuthMethod::Login => vec![Mechanism::Login],
                AuthMethod::Xoauth2 => vec![Mechanism::Xoauth2],
                // check-config refuses user/apop for SMTP; auto tries PLAIN, then LOGIN.
                _ => vec![Mechanism::Plain, Mechanism::Login],
            };
            b = b
                .credentials(Credentials::new(user.clone(), password))
                .authentication(mechanisms);
        }
        Ok(b.build())
    }

    fn tls_parameters(&self) -> Result<TlsParameters, AccountError> {
        let mut p = TlsParameters::builder(self.cfg.host.clone());
        if let Some(ca) = &self.cfg.ca_file {
            let pem = std::fs::read(ca).map_err(|e| {
                self.error(
                    AccountErrorKind::Network,
                    format!("ca-file {}: {e}", ca.display()),
                )
            })?;
            let cert = Certificate::from_pem(&pem).map_err(|e| {
                self.error(
                    AccountErrorKind::Network,
                    format!("ca-file {}: not a PEM certificate: {e}", ca.display()),
                )
            })?;
            p = p.add_root_certificate(cert);
        }
        p.build().map_err(|e| {
            self.error(
                AccountErrorKind::Network,
                format!("{}: TLS setup: {e}", self.where_()),
            )
        })
    }

    /// The server's reply kept word for word; the kind from its code (RFC 4954 §6 for
    /// the AUTH codes, RFC 5321 §4.2.1 for 4yz/5yz).
    fn map_error(&self, e: &lettre::transport::smtp::Error) -> AccountError {
        let text = std::error::Error::source(e)
            .map(|s| s.to_string())
            .unwrap_or_default();
        let at = self.where_();
        if let Some(code) = e.status() {
            let n: u16 = code.to_string().parse().unwrap_or(0);
            let kind = match n {
                530 | 534 | 535 | 538 | 454 => AccountErrorKind::Auth,
                _ => AccountErrorKind::Rejected,
            };
            let what = if kind == AccountErrorKind::Auth {
                "login refused"
            } else if e.is_transient() {
                "temporarily refused"
            } else {
                "refused"
            };
            return self.error(kind, format!("{at}: {what}: {n} {}", text.trim()));
        }
        if e.is_timeout() {
            return self.error(
                AccountErrorKind::Timeout,
                format!("{at}: no answer within {} s", self.timeout.as_secs()),
            );
        }
        if e.is_tls() {
            return self.error(AccountErrorKind::Network, format!("{at}: TLS: {text}"));
        }
        if e.is_client() && text.contains("STARTTLS") {
            // Tls::Required: the server did not offer STARTTLS, so nothing (no AUTH,
            // no message) was sent in the clear.
            return self.error(
                AccountErrorKind::Network,
                format!("{at}: {text}; refusing to continue without TLS"),
            );
        }
        if e.is_client() && text.contains("authentication mechanism") {
            return self.error(
                AccountErrorKind::Auth,
                format!("{at}: the server offers no login method posthorn may use ({text})"),
            );
        }
        if e.is_client() || e.is_response() {
            return self.error(AccountErrorKind::Protocol, format!("{at}: {e}"));
        }
        self.error(AccountErrorKind::Network, format!("{at}: {e}"))
    }
}
