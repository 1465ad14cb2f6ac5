//! One task per account. It owns the account (and its connections), takes commands from
//! two queues, interactive before background, and reports every result as an
//! `AccountNotice` tagged with the request id.

use super::{Account, AccountError, RawMessage, SyncReport, SyncSink};
use crate::core::{AccountId, Folder, FolderPath, MessageRef, RequestId, TriageOp};
use std::collections::BTreeMap;
use tokio::sync::mpsc;

#[derive(Clone, Debug)]
pub enum AccountOp {
    ListFolders,
    SyncFolder(FolderPath),
    Fetch {
        folder: FolderPath,
        id: MessageRef,
    },
    /// A change the user made (flags, move, restore, delete).
    Triage(TriageOp),
}

impl AccountOp {
    /// Background work waits behind anything the user is waiting for.
    pub fn is_background(&self) -> bool {
        matches!(self, AccountOp::SyncFolder(_) | AccountOp::ListFolders)
    }
}

#[derive(Clone, Debug)]
pub struct AccountCommand {
    pub req: RequestId,
    pub op: AccountOp,
}

#[derive(Debug)]
pub enum AccountReply {
    Folders(Vec<Folder>),
    Synced {
        folder: FolderPath,
        report: SyncReport,
    },
    Message(RawMessage),
    /// A triage op finished; `moved_to` lists the destinations of restored messages.
    Done {
        moved_to: Vec<FolderPath>,
    },
}

#[derive(Debug)]
pub enum AccountNotice {
    Reply {
        account: AccountId,
        req: RequestId,
        result: Result<AccountReply, AccountError>,
    },
    Progress {
        account: AccountId,
        folder: FolderPath,
        done: usize,
        total: usize,
    },
}

/// Runs an account until both its queues close.
pub async fn run_actor<A: Account>(
    mut account: A,
    mut interactive: mpsc::Receiver<AccountCommand>,
    mut background: mpsc::Receiver<AccountCommand>,
    out: mpsc::UnboundedSender<AccountNotice>,
) {
    let id = account.id().clone();
    if let Err(e) = account.connect().await {
        let _ = out.send(AccountNotice::Reply {
            account: id.clone(),
            req: RequestId(0),
            result: Err(e),
        });
    }
    loop {
        let cmd = tokio::select! {
            biased;
            Some(c) = interactive.recv() => c,
            Some(c) = background.recv() => c,
            else => break,
        };
        let result = execute(&mut account, &id, cmd.op, &out).await;
        if out
            .send(AccountNotice::Reply {
                account: id.clone(),
                req: cmd.req,
                result,
            })
            .is_err()
        {
            break;
        }
    }
}

async fn execute<A: Account>(
    account: &mut A,
    id: &AccountId,
    op: AccountOp,
    out: &mpsc::UnboundedSender<AccountNotice>,
) -> Result<AccountReply, AccountError> {
    match op {
        AccountOp::ListFolders => account.list_folders().await.map(AccountReply::Folders),
        AccountOp::SyncFolder(folder) => {
            let (tx, acc, f) = (out.clone(), id.clone(), folder.clone());
            let mut sink = SyncSink::new(move |p| {
                let _ = tx.send(AccountNotice::Progress {
                    account: acc.clone(),
                    folder: f.clone(),
                    done: p.done,
                    total: p.total,
                });
            });
            let report = account.sync_folder(&folder, &mut sink).await?;
            Ok(AccountReply::Synced { folder, report })
        }
        AccountOp::Fetch { folder, id } => {
            account.fetch(&folder, &id).await.map(AccountReply::Message)
        }
        AccountOp::Triage(TriageOp::SetFlags { folder, ids, op }) => account
            .set_flags(&folder, &ids, op)
            .await
            .map(|_| AccountReply::Done { moved_to: vec![] }),
        AccountOp::Triage(TriageOp::Move { from, ids, to }) => account
            .move_to(&from, &ids, &to)
            .await
            .map(|_| AccountReply::Done { moved_to: vec![to] }),
        AccountOp::Triage(TriageOp::Restore { from, ids }) => {
            let mut by_target: BTreeMap<FolderPath, Vec<MessageRef>> = BTreeMap::new();
            for (to, r) in account.restore_targets(&ids).await {
                by_target.entry(to).or_default().push(r);
            }
            let mut moved_to = Vec::new();
            for (to, ids) in by_target {
                account.move_to(&from, &ids, &to).await?;
                moved_to.push(to);
            }
            Ok(AccountReply::Done { moved_to })
        }
        AccountOp::Triage(TriageOp::Delete { folder, ids }) => account
            .delete(&folder, &ids)
            .await
            .map(|_| AccountReply::Done { moved_to: vec![] }),
    }
}
