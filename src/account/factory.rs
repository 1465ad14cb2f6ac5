//! The one place that turns configured accounts into running ones: every kind of
//! account becomes an `AnyAccount` (for its actor) and a `CacheView` (for reads).
//! `run/` and `cli/` go through this and the `Account` trait only, so a new protocol
//! plugs in here without touching them.

use super::cache::CacheView;
use super::file_store::FileStoreAccount;
use super::imap::ImapAccount;
use super::local::LocalAccount;
use super::nntp::NntpAccount;
use super::pop3::Pop3Account;
use super::unavailable::UnavailableAccount;
use super::{
    Account, AccountError, Capabilities, Outgoing, PushEvent, RawMessage, SyncReport, SyncStep,
};
use crate::config::{AccountConfig, Source};
use crate::core::LocalId;
use crate::core::{AccountId, FlagOp, Folder, FolderPath, MessageRef};
use crate::store::MaildirTree;
use crate::store::formats::{FileTree, Format, Mail, MboxVariant};
use std::path::Path;
use tokio::sync::mpsc;

/// Every kind of account behind one type (the trait is generic, not `dyn`).
pub enum AnyAccount {
    Local(LocalAccount),
    Imap(Box<ImapAccount>),
    Unavailable(UnavailableAccount),
    Pop3(Box<Pop3Account>),
    Files(FileStoreAccount),
    Nntp(Box<NntpAccount>),
}

/// A sync job of any account.
pub enum AnySync {
    Local(Box<<LocalAccount as Account>::Sync>),
    Imap(Box<<ImapAccount as Account>::Sync>),
    Unavailable,
    Pop3(Box<<Pop3Account as Account>::Sync>),
    Files(Box<<FileStoreAccount as Account>::Sync>),
    Nntp(Box<<NntpAccount as Account>::Sync>),
}

/// Builds every configured account. An account that cannot be opened still gets an
/// actor (reporting why), so it shows on screen with its error instead of vanishing.
pub fn build_accounts<'a>(
    accounts: impl IntoIterator<Item = (&'a String, &'a AccountConfig)>,
    index_path: &Path,
) -> Vec<(AnyAccount, CacheView)> {
    accounts
        .into_iter()
        .map(|(name, cfg)| build(AccountId(name.clone()), cfg, index_path))
        .collect()
}

fn build(id: AccountId, cfg: &AccountConfig, index_path: &Path) -> (AnyAccount, CacheView) {
    let unavailable = |why: String| {
        (
            AnyAccount::Unavailable(UnavailableAccount::new(id.clone(), why)),
            CacheView::new(id.clone(), None, index_path),
        )
    };
    match &cfg.source {
        Source::Maildir(m) => {
            let tree = match MaildirTree::open(&m.path) {
                Ok(t) => t,
                Err(e) => return unavailable(e.to_string()),
            };
            match LocalAccount::open(id.clone(), tree.clone(), index_path) {
                Ok(acc) => (
                    AnyAccount::Local(acc),
                    CacheView::new(id, Some(tree), index_path),
                ),
                Err(e) => unavailable(e.to_string()),
            }
        }
        Source::Mbox(c) | Source::Mh(c) | Source::Babyl(c) | Source::Mmdf(c) => {
            let format = match &cfg.source {
                Source::Mh(_) => Format::Mh,
                Source::Babyl(_) => Format::Babyl,
                Source::Mmdf(_) => Format::Mmdf,
                _ => Format::Mbox(MboxVariant::Mboxrd),
            };
            let variant = c.variant.as_deref().and_then(MboxVariant::parse);
            let path = crate::config::expand_tilde(&c.path);
            let tree = match FileTree::open(path, format, variant) {
                Ok(t) => t,
                Err(e) => return unavailable(e.to_string()),
            };
            match FileStoreAccount::open(id.clone(), tree.clone(), index_path) {
                Ok(acc) => (
                    AnyAccount::Files(acc),
                    CacheView::files(id, tree, index_path),
                ),
                Err(e) => unavailable(e.to_string()),
            }
        }
        Source::Imap(server) => {
            let root = match server.cache.as_ref() {
                Some(p) => crate::config::expand_tilde(p),
                None => match crate::config::default_data_dir() {
                    Some(d) => d.join("cache").join(&id.0),
                    None => return unavailable("no cache directory: set `cache` or HOME".into()),
                },
            };
            let tree =
                match crate::store::Maildir::create(&root).and_then(|_| MaildirTree::open(&root)) {
                    Ok(t) => t,
                    Err(e) => return unavailable(format!("cache {}: {e}", root.display())),
                };
            match ImapAccount::open(id.clone(), server, tree.clone(), index_path) {
                Ok(acc) => (
                    AnyAccount::Imap(Box::new(acc)),
                    CacheView::new(id, Some(tree), index_path),
                ),
                Err(e) => unavailable(e.to_string()),
            }
        }
        Source::Pop3(server) => match super::pop3::from_config(id.clone(), server, index_path) {
            Ok(acc) => {
                let tree = acc.tree().clone();
                (
                    AnyAccount::Pop3(Box::new(acc)),
                    CacheView::new(id, Some(tree), index_path),
                )
            }
            Err(why) => unavailable(why),
        },
        Source::Nntp(server) => match super::nntp::from_config(id.clone(), server, index_path) {
            Ok(acc) => {
                let tree = acc.tree().clone();
                (
                    AnyAccount::Nntp(Box::new(acc)),
                    CacheView::new(id, Some(tree), index_path),
                )
            }
            Err(why) => unavailable(why),
        },
    }
}

macro_rules! each {
    ($self:expr, $a:ident => $e:expr) => {
        match $self {
            AnyAccount::Local($a) => $e,
            AnyAccount::Imap($a) => $e,
            AnyAccount::Unavailable($a) => $e,
            AnyAccount::Pop3($a) => $e,
            AnyAccount::Files($a) => $e,
            AnyAccount::Nntp($a) => $e,
        }
    };
}

impl Account for AnyAccount {
    type Sync = AnySync;

    fn id(&self) -> &AccountId {
        each!(self, a => a.id())
    }
    fn capabilities(&self) -> Capabilities {
        each!(self, a => a.capabilities())
    }
    async fn connect(&mut self) -> Result<(), AccountError> {
        each!(self, a => a.connect().await)
    }
    async fn list_folders(&mut self) -> Result<Vec<Folder>, AccountError> {
        each!(self, a => a.list_folders().await)
    }
    async fn begin_sync(&mut self, folder: &FolderPath) -> Result<AnySync, AccountError> {
        match self {
            AnyAccount::Local(a) => a
                .begin_sync(folder)
                .await
                .map(|j| AnySync::Local(Box::new(j))),
            AnyAccount::Imap(a) => a
                .begin_sync(folder)
                .await
                .map(|j| AnySync::Imap(Box::new(j))),
            AnyAccount::Unavailable(a) => a.begin_sync(folder).await.map(|_| AnySync::Unavailable),
            AnyAccount::Pop3(a) => a
                .begin_sync(folder)
                .await
                .map(|j| AnySync::Pop3(Box::new(j))),
            AnyAccount::Files(a) => a
                .begin_sync(folder)
                .await
                .map(|j| AnySync::Files(Box::new(j))),
            AnyAccount::Nntp(a) => a
                .begin_sync(folder)
                .await
                .map(|j| AnySync::Nntp(Box::new(j))),
        }
    }
    async fn sync_step(&mut self, job: AnySync) -> Result<SyncStep<AnySync>, AccountError> {
        fn wrap<J>(s: SyncStep<J>, f: impl FnOnce(J) -> AnySync) -> SyncStep<AnySync> {
            match s {
                SyncStep::More(j, p) => SyncStep::More(f(j), p),
                SyncStep::Done(r) => SyncStep::Done(r),
            }
        }
        match (self, job) {
            (AnyAccount::Local(a), AnySync::Local(j)) => a
                .sync_step(*j)
                .await
                .map(|s| wrap(s, |j| AnySync::Local(Box::new(j)))),
            (AnyAccount::Files(a), AnySync::Files(j)) => a
                .sync_step(*j)
                .await
                .map(|s| wrap(s, |j| AnySync::Files(Box::new(j)))),
            (AnyAccount::Imap(a), AnySync::Imap(j)) => a
                .sync_step(*j)
                .await
                .map(|s| wrap(s, |j| AnySync::Imap(Box::new(j)))),
            (AnyAccount::Pop3(a), AnySync::Pop3(j)) => a
                .sync_step(*j)
                .await
                .map(|s| wrap(s, |j| AnySync::Pop3(Box::new(j)))),
            (AnyAccount::Nntp(a), AnySync::Nntp(j)) => a
                .sync_step(*j)
                .await
                .map(|s| wrap(s, |j| AnySync::Nntp(Box::new(j)))),
            (AnyAccount::Unavailable(a), _) => a
                .sync_step(())
                .await
                .map(|s| wrap(s, |_| AnySync::Unavailable)),
            (_, _) => Ok(SyncStep::Done(SyncReport::default())),
        }
    }
    async fn fetch(
        &mut self,
        folder: &FolderPath,
        id: &MessageRef,
    ) -> Result<RawMessage, AccountError> {
        each!(self, a => a.fetch(folder, id).await)
    }
    async fn set_flags(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
        op: FlagOp,
    ) -> Result<(), AccountError> {
        each!(self, a => a.set_flags(folder, ids, op).await)
    }
    async fn move_to(
        &mut self,
        from: &FolderPath,
        ids: &[MessageRef],
        to: &FolderPath,
    ) -> Result<(), AccountError> {
        each!(self, a => a.move_to(from, ids, to).await)
    }
    async fn delete(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
    ) -> Result<(), AccountError> {
        each!(self, a => a.delete(folder, ids).await)
    }
    async fn restore_targets(&mut self, ids: &[MessageRef]) -> Vec<(FolderPath, MessageRef)> {
        each!(self, a => a.restore_targets(ids).await)
    }
    async fn submit(&mut self, msg: &Outgoing) -> Result<(), AccountError> {
        each!(self, a => a.submit(msg).await)
    }
    async fn export(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
    ) -> Result<Vec<Mail>, AccountError> {
        each!(self, a => a.export(folder, ids).await)
    }
    async fn import(
        &mut self,
        folder: &FolderPath,
        mails: Vec<Mail>,
    ) -> Result<Vec<LocalId>, AccountError> {
        each!(self, a => a.import(folder, mails).await)
    }
    async fn remove(
        &mut self,
        folder: &FolderPath,
        ids: &[MessageRef],
    ) -> Result<(), AccountError> {
        each!(self, a => a.remove(folder, ids).await)
    }
    async fn append(
        &mut self,
        folder: &FolderPath,
        bytes: &[u8],
        flags: crate::core::Flags,
    ) -> Result<crate::core::LocalId, AccountError> {
        each!(self, a => a.append(folder, bytes, flags).await)
    }
    async fn folder_op(&mut self, op: &crate::core::FolderOp) -> Result<(), AccountError> {
        each!(self, a => a.folder_op(op).await)
    }
    fn take_push(&mut self) -> Option<mpsc::UnboundedReceiver<PushEvent>> {
        each!(self, a => a.take_push())
    }
    fn take_notes(&mut self) -> Vec<String> {
        each!(self, a => a.take_notes())
    }
    fn request_check(&mut self) {
        each!(self, a => a.request_check())
    }
    async fn server_search(
        &mut self,
        folder: &FolderPath,
        search: &crate::core::query::imap::ImapSearch,
    ) -> Result<Option<crate::account::ServerMatches>, AccountError> {
        each!(self, a => a.server_search(folder, search).await)
    }
    fn refresh_on_read(&self) -> bool {
        each!(self, a => a.refresh_on_read())
    }
    fn take_state(&mut self) -> Option<crate::core::AccountState> {
        each!(self, a => a.take_state())
    }
    fn wake_at(&self) -> Option<tokio::time::Instant> {
        each!(self, a => a.wake_at())
    }
    async fn tick(&mut self) {
        each!(self, a => a.tick().await)
    }
    async fn refresh_watch(&mut self) -> Vec<FolderPath> {
        each!(self, a => a.refresh_watch().await)
    }
    async fn list_groups(
        &mut self,
    ) -> Result<(Vec<crate::account::nntp::GroupListing>, Vec<String>), AccountError> {
        each!(self, a => a.list_groups().await)
    }
    async fn catch_up_folder(&mut self, folder: &FolderPath) -> Result<(), AccountError> {
        each!(self, a => a.catch_up_folder(folder).await)
    }
}
