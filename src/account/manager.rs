//! The account manager: spawns one actor per account and routes commands to it without
//! ever waiting (a full queue is reported, not awaited).

use super::Account;
use super::actor::{AccountCommand, AccountNotice, run_actor};
use crate::core::AccountId;
use std::collections::BTreeMap;
use tokio::sync::mpsc;

const QUEUE: usize = 256;

struct Handle {
    interactive: mpsc::Sender<AccountCommand>,
    background: mpsc::Sender<AccountCommand>,
}

pub struct AccountManager {
    handles: BTreeMap<AccountId, Handle>,
    notices: mpsc::UnboundedSender<AccountNotice>,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("no account named {0}")]
    NoSuchAccount(AccountId),
    #[error("account {0} is busy; try again")]
    Busy(AccountId),
    #[error("account {0} has stopped")]
    Stopped(AccountId),
}

impl AccountManager {
    pub fn new(notices: mpsc::UnboundedSender<AccountNotice>) -> Self {
        AccountManager {
            handles: BTreeMap::new(),
            notices,
        }
    }

    /// Spawns the account's actor on the current tokio runtime.
    pub fn spawn<A: Account>(&mut self, account: A) {
        let id = account.id().clone();
        let (itx, irx) = mpsc::channel(QUEUE);
        let (btx, brx) = mpsc::channel(QUEUE);
        tokio::spawn(run_actor(account, irx, brx, self.notices.clone()));
        self.handles.insert(
            id,
            Handle {
                interactive: itx,
                background: btx,
            },
        );
    }

    pub fn send(&self, account: &AccountId, cmd: AccountCommand) -> Result<(), SendError> {
        let h = self
            .handles
            .get(account)
            .ok_or_else(|| SendError::NoSuchAccount(account.clone()))?;
        let q = if cmd.op.is_background() {
            &h.background
        } else {
            &h.interactive
        };
        q.try_send(cmd).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => SendError::Busy(account.clone()),
            mpsc::error::TrySendError::Closed(_) => SendError::Stopped(account.clone()),
        })
    }
}
