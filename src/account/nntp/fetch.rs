//! Opening articles: bodies fetched from the server by Message-ID (or number, after
//! GROUP), several pipelined in one go, and cached in the group's Maildir under the
//! article's stable cache name, with the index recording the file.

use super::{ARTICLE_LIMIT, Disk, NntpAccount};
use crate::account::AccountError;
use crate::core::{ErrorKind, Flags, FolderPath, LocalId};
use crate::protocol::nntp::NntpArticleId;
use crate::store::{BatchItem, StoreError};

impl NntpAccount {
    /// Fetches articles by their local ids (pipelined) and caches them; returns the
    /// bytes of each one found, in order.
    pub async fn fetch_many(
        &mut self,
        folder: &FolderPath,
        ids: &[LocalId],
    ) -> Result<Vec<Option<Vec<u8>>>, AccountError> {
        let (f, wanted) = (folder.clone(), ids.to_vec());
        let rows = self
            .disk(move |d| {
                let ix = d.index();
                wanted
                    .iter()
                    .map(|id| ix.nntp_row(&d.id, &f, id))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        let mut req = Vec::new();
        for (row, id) in rows.iter().zip(ids) {
            let Some(row) = row else {
                return Err(self.error(
                    ErrorKind::Gone,
                    format!("{folder}: article {} is not in the index", id.0),
                ));
            };
            // By Message-ID when it is a valid one (RFC 3977 §3.6): no GROUP needed,
            // and it survives renumbering; else by number.
            req.push(if valid_message_id(&row.message_id) {
                NntpArticleId::MessageId(row.message_id.clone())
            } else {
                NntpArticleId::Number(row.number)
            });
        }
        if req.iter().any(|r| matches!(r, NntpArticleId::Number(_))) {
            let g = folder.0.clone();
            let r = self.conn().await?.select(&g).await;
            if let Err(f) = r {
                return Err(self.failed(f));
            }
        }
        let r = self.conn().await?.articles(&req, ARTICLE_LIMIT).await;
        let got = match r {
            Ok(g) => g,
            Err(f) => return Err(self.failed(f)),
        };
        let items: Vec<(LocalId, Flags, Vec<u8>)> = rows
            .iter()
            .zip(&got)
            .filter_map(|(row, bytes)| {
                let row = row.as_ref()?;
                Some((row.id.clone(), row.flags, bytes.clone()?))
            })
            .collect();
        let f = folder.clone();
        self.disk(move |d| store_bodies(d, &f, &items)).await?;
        Ok(got)
    }
}

/// Delivers fetched articles under their cache names and records the files.
fn store_bodies(
    d: &Disk,
    folder: &FolderPath,
    items: &[(LocalId, Flags, Vec<u8>)],
) -> Result<(), StoreError> {
    if items.is_empty() {
        return Ok(());
    }
    let md = d.tree.ensure_folder(folder)?;
    let batch: Vec<BatchItem<'_>> = items
        .iter()
        .map(|(id, flags, b)| BatchItem {
            unique: &id.0,
            bytes: b,
            flags: *flags,
        })
        .collect();
    let entries = md.deliver_batch(&batch)?;
    let rows: Vec<_> = items
        .iter()
        .zip(entries)
        .map(|((id, flags, _), e)| (id.clone(), Some(e.file_name), *flags))
        .collect();
    d.index().set_files(&d.id, folder, &rows)
}

/// RFC 3977 §3.6: "<", printable US-ASCII without ">" inside, ">", at most 250 bytes.
fn valid_message_id(m: &str) -> bool {
    let b = m.as_bytes();
    b.len() >= 3
        && b.len() <= 250
        && b[0] == b'<'
        && b[b.len() - 1] == b'>'
        && b[1..b.len() - 1]
            .iter()
            .all(|&c| (0x21..0x7f).contains(&c) && c != b'>')
}
