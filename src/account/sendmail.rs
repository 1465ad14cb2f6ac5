//! Sending through a sendmail-compatible command (`/usr/sbin/sendmail -oi -t`, msmtp, a
//! script): run through `sh -c`, the message on its stdin, success is exit status 0.
//! Anything else is an error with the exit status and what the command printed on
//! stderr (sanitised), and the message stays in the outbox.
//!
//! Recipients: with `-t` among the command's words, sendmail reads them from To, Cc and
//! Bcc and removes the Bcc lines itself, so it gets the message as kept (Bcc included);
//! otherwise it gets the sent bytes (no Bcc), and the envelope is in the environment as
//! `POSTHORN_FROM` and `POSTHORN_RECIPIENTS` (space-separated) for scripts.
//!
//! Depends on `core` and tokio's process support only.

use super::{AccountError, AccountErrorKind, Outgoing};
use crate::core::AccountId;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// A command that has not finished after this is killed.
const TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Clone, Debug)]
pub struct SendmailSubmitter {
    account: AccountId,
    command: String,
}

impl SendmailSubmitter {
    pub fn new(account: AccountId, command: String) -> Self {
        SendmailSubmitter { account, command }
    }

    /// Whether the command takes its recipients from the headers (`sendmail -t`).
    pub fn reads_headers(&self) -> bool {
        self.command
            .split_whitespace()
            .any(|w| matches!(w, "-t" | "-ti" | "-it"))
    }

    fn error(&self, message: String) -> AccountError {
        AccountError {
            account: self.account.clone(),
            kind: AccountErrorKind::Rejected,
            message,
        }
    }

    /// Pipes `msg.bytes` (or `kept` for a `-t` command) to the command.
    pub async fn send(&self, msg: &Outgoing, kept: &[u8]) -> Result<(), AccountError> {
        let input = if self.reads_headers() {
            kept.to_vec()
        } else {
            msg.bytes.clone()
        };
        let cmd = &self.command;
        let mut child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .env("POSTHORN_FROM", &msg.from)
            .env("POSTHORN_RECIPIENTS", msg.recipients.join(" "))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| self.error(format!("sendmail command `{cmd}`: cannot start: {e}")))?;
        let mut stdin = child.stdin.take();
        let feed = async move {
            if let Some(s) = stdin.as_mut() {
                // A command that exits without reading all of it is judged by its status.
                let _ = s.write_all(&input).await;
                let _ = s.shutdown().await;
            }
            drop(stdin);
        };
        let run = async {
            let ((), out) = tokio::join!(feed, child.wait_with_output());
            out
        };
        let out = match tokio::time::timeout(TIMEOUT, run).await {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => return Err(self.error(format!("sendmail command `{cmd}`: {e}"))),
            Err(_) => {
                return Err(AccountError {
                    kind: AccountErrorKind::Timeout,
                    ..self.error(format!(
                        "sendmail command `{cmd}` did not finish within {} s",
                        TIMEOUT.as_secs()
                    ))
                });
            }
        };
        if out.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stderr = crate::core::sanitize::line(stderr.trim()).into_owned();
        let status = match out.status.code() {
            Some(c) => format!("exit status {c}"),
            None => "killed by a signal".to_string(),
        };
        Err(self.error(format!(
            "sendmail command `{cmd}` failed ({status}){}{stderr}",
            if stderr.is_empty() { "" } else { ": " }
        )))
    }
}
