//! Push for INBOX: IDLE (RFC 2177) on a second connection, so the main one stays free
//! for the user's commands. Any EXISTS, EXPUNGE, FETCH or VANISHED in INBOX becomes a
//! `PushEvent` and the actor syncs INBOX. The IDLE is renewed every 25 minutes (the RFC
//! asks clients to do so before 29). When the link dies the task ends; the account sees
//! it finished and checks its main connection.

use super::conn::{ImapConn, ImapSettings, quoted};
use super::resp::Resp;
use crate::account::PushEvent;
use crate::core::FolderPath;
use crate::net::NetError;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const RENEW: Duration = Duration::from_secs(25 * 60);

pub struct IdleTask {
    handle: JoinHandle<()>,
}

impl IdleTask {
    pub fn start(s: ImapSettings, inbox: String, tx: mpsc::UnboundedSender<PushEvent>) -> Self {
        let handle = tokio::spawn(async move {
            let err_tx = tx.clone();
            if let Err(e) = run(&s, &inbox, tx).await {
                let _ = err_tx.send(PushEvent::Error(format!(
                    "new mail will show after the next check: IDLE stopped ({e})"
                )));
            }
        });
        IdleTask { handle }
    }

    pub fn finished(&self) -> bool {
        self.handle.is_finished()
    }

    pub fn stop(self) {
        self.handle.abort();
    }
}

impl Drop for IdleTask {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

fn is_change(r: &Resp) -> bool {
    matches!(
        r,
        Resp::Exists(_) | Resp::Expunge(_) | Resp::Fetch(_) | Resp::Vanished { .. }
    )
}

async fn run(
    s: &ImapSettings,
    inbox: &str,
    tx: mpsc::UnboundedSender<PushEvent>,
) -> Result<(), NetError> {
    let mut c = ImapConn::open(s).await?;
    c.run(&format!("EXAMINE {}", quoted(inbox)), |_| {}).await?;
    loop {
        let tag = c.idle_start().await?;
        let mut changed = false;
        let until = tokio::time::Instant::now() + RENEW;
        loop {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            match c.idle_wait(left).await? {
                None => break,
                Some(r) if is_change(&r) => {
                    changed = true;
                    break;
                }
                Some(_) => {}
            }
        }
        c.idle_done(&tag, |r| changed |= is_change(&r)).await?;
        if changed && tx.send(PushEvent::Folder(FolderPath::inbox())).is_err() {
            return Ok(());
        }
    }
}
