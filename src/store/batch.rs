//! Delivering many messages at once with the same durability as one at a time, but
//! without paying a full fsync round trip per message: every message is written to tmp/,
//! all of them are fsynced together (on several threads, so the file system commits
//! them in shared journal transactions), then each is linked into cur/ or new/ under the
//! unique name the caller chose, and each directory is fsynced once at the end. Nothing
//! counts as delivered before that last fsync returns.
//!
//! A name that is already taken by a file with the same bytes is that message, kept as
//! it is: a sync that was killed after delivering and runs again makes no duplicate.
//!
//! Blocking, no tokio (store layer).

use super::maildir::{Maildir, MaildirEntry, Subdir};
use super::{Delivery, StoreError};
use crate::core::Flags;
use std::io::Write;

/// Threads that fsync in parallel (fsync waits on the disk, not the CPU).
const SYNC_THREADS: usize = 16;

/// One message of a batch.
pub struct BatchItem<'a> {
    /// The Maildir unique name to deliver under (no `:` or `/`).
    pub unique: &'a str,
    pub bytes: &'a [u8],
    pub flags: Flags,
}

impl Maildir {
    /// Delivers every item durably; the entries come back in the items' order.
    pub fn deliver_batch(&self, items: &[BatchItem<'_>]) -> Result<Vec<MaildirEntry>, StoreError> {
        let mut pending: Vec<Delivery> = Vec::with_capacity(items.len());
        for it in items {
            let mut d = self.delivery()?;
            d.write_all(it.bytes)
                .map_err(|e| StoreError::io("write", self.path())(e))?;
            d.defer_dir_sync();
            pending.push(d);
        }
        fsync_all(&mut pending)?;
        let mut out = Vec::with_capacity(items.len());
        let (mut used_new, mut used_cur) = (false, false);
        for (d, it) in pending.into_iter().zip(items) {
            let (subdir, suffix) = if it.flags.is_empty() {
                used_new = true;
                (Subdir::New, String::new())
            } else {
                used_cur = true;
                (Subdir::Cur, format!(":2,{}", it.flags.to_maildir()))
            };
            out.push(d.commit_as(subdir, it.unique, &suffix, true)?);
        }
        if used_new {
            self.sync_dir(Subdir::New)?;
        }
        if used_cur {
            self.sync_dir(Subdir::Cur)?;
        }
        Ok(out)
    }
}

fn fsync_all(pending: &mut [Delivery]) -> Result<(), StoreError> {
    if pending.len() <= 2 {
        return pending.iter_mut().try_for_each(Delivery::fsync);
    }
    let per = pending.len().div_ceil(SYNC_THREADS);
    std::thread::scope(|s| {
        let workers: Vec<_> = pending
            .chunks_mut(per)
            .map(|chunk| s.spawn(move || chunk.iter_mut().try_for_each(Delivery::fsync)))
            .collect();
        let mut first = Ok(());
        for w in workers {
            let r = w.join().unwrap_or_else(|_| {
                Err(StoreError::Invalid {
                    path: std::path::PathBuf::new(),
                    reason: "an fsync worker failed".into(),
                })
            });
            if first.is_ok() {
                first = r;
            }
        }
        first
    })
}
