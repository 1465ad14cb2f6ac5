//! What the group browser needs from an NNTP account: every group the server carries
//! with its description (LIST ACTIVE + LIST NEWSGROUPS, RFC 3977 §7.6.3 and §7.6.6),
//! the groups created since the last look (NEWGROUPS, §7.3, from the server's own clock
//! saved at the last look, so clock skew between us and the server does not matter),
//! subscribing and unsubscribing (the .newsrc), and catch-up (everything read).

use super::NntpAccount;
use crate::account::AccountError;
use crate::core::{Flags, FolderPath};

/// One group as the browser shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupListing {
    pub name: String,
    /// Sanitised; empty when the server has none.
    pub description: String,
    pub low: u64,
    pub high: u64,
    /// "y", "n" (no posting), "m" (moderated)...
    pub status: String,
    pub subscribed: bool,
}

/// Where the server's clock at the last NEWGROUPS is kept (in the cache directory).
const SINCE_FILE: &str = "newgroups-since";

impl NntpAccount {
    /// Every group on the server, by name, with descriptions and subscription state.
    pub async fn all_groups(&mut self) -> Result<Vec<GroupListing>, AccountError> {
        let r = self.conn().await?.list_active().await;
        let active = match r {
            Ok(a) => a,
            Err(f) => return Err(self.failed(f)),
        };
        let r = self.conn().await?.list_newsgroups().await;
        let described = match r {
            Ok(d) => d,
            Err(f) => return Err(self.failed(f)),
        };
        let descriptions: std::collections::HashMap<String, String> =
            described.into_iter().collect();
        let subscribed = self.disk(|d| Ok(d.newsrc()?.subscribed())).await?;
        let mut out: Vec<GroupListing> = active
            .into_iter()
            .map(|a| GroupListing {
                description: descriptions.get(&a.name).cloned().unwrap_or_default(),
                subscribed: subscribed.contains(&a.name),
                name: a.name,
                low: a.low,
                high: a.high,
                status: a.status,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Groups created since the last call (none the first time: that call only
    /// remembers the server's clock).
    pub async fn new_groups(&mut self) -> Result<Vec<GroupListing>, AccountError> {
        let path = self.disk.tree.root.join(SINCE_FILE);
        let p = path.clone();
        let since = self
            .disk(move |_| Ok(std::fs::read_to_string(&p).ok()))
            .await?
            .map(|s| s.trim().to_string())
            .filter(|s| s.len() == 14 && s.bytes().all(|b| b.is_ascii_digit()));
        let r = self.conn().await?.date().await;
        let now = match r {
            Ok(d) => d,
            Err(f) => return Err(self.failed(f)),
        };
        let mut out = Vec::new();
        if let Some(since) = since {
            let when = format!("{} {}", &since[..8], &since[8..]);
            let r = self.conn().await?.newgroups(&when).await;
            let found = match r {
                Ok(g) => g,
                Err(f) => return Err(self.failed(f)),
            };
            out = found
                .into_iter()
                .map(|a| GroupListing {
                    description: String::new(),
                    subscribed: false,
                    name: a.name,
                    low: a.low,
                    high: a.high,
                    status: a.status,
                })
                .collect();
        }
        self.disk(move |_| {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, format!("{now}\n"))
                .and_then(|_| std::fs::rename(&tmp, &path))
                .map_err(crate::store::StoreError::io("write", &path))
        })
        .await?;
        Ok(out)
    }

    /// Subscribes to a group (its folder appears) or unsubscribes (the folder goes from
    /// the list; the read state stays in the .newsrc, as other readers keep it).
    pub async fn subscribe(&mut self, group: &str, on: bool) -> Result<(), AccountError> {
        let path = FolderPath(group.to_string());
        if group.is_empty()
            || group.contains(|c: char| c.is_whitespace() || c == ':' || c == '!' || c == '/')
        {
            return Err(self.error(
                crate::core::ErrorKind::Unsupported,
                format!(
                    "{:?} is not a newsgroup name",
                    crate::core::sanitize::line(group)
                ),
            ));
        }
        self.disk(move |d| {
            if on {
                d.tree.ensure_folder(&path)?;
            }
            d.edit_newsrc(|n| n.set_subscribed(&path.0, on))?;
            let listed: Vec<FolderPath> = d
                .newsrc()?
                .subscribed()
                .into_iter()
                .map(FolderPath)
                .collect();
            crate::store::roles::save_listed(&d.tree.root, &listed)
        })
        .await
    }

    /// Catch-up: every article of the group up to its current high water mark is read
    /// (the server's when it answers, else the highest the index knows).
    pub async fn catch_up(&mut self, folder: &FolderPath) -> Result<(), AccountError> {
        let high = match self.conn().await {
            Ok(c) => match c.select(&folder.0).await {
                Ok(info) => Some(info.high),
                Err(f) => return Err(self.failed(f)),
            },
            Err(_) => None,
        };
        let f = folder.clone();
        self.disk(move |d| {
            let rows = d.index().nntp_rows(&d.id, &f)?;
            let top = high
                .unwrap_or(0)
                .max(rows.iter().map(|r| r.number).max().unwrap_or(0));
            d.edit_newsrc(|n| n.catch_up(&f.0, top))?;
            let reflag: Vec<_> = rows
                .into_iter()
                .filter(|r| !r.flags.contains(Flags::SEEN))
                .map(|r| (r.id, r.flags.union(Flags::SEEN)))
                .collect();
            d.index().set_flag_bits(&d.id, &f, &reflag)
        })
        .await
    }
}
