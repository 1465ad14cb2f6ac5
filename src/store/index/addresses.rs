//! The address-book query: how often each sender and each recipient list occurs in the
//! envelopes table, in one pass with GROUP BY and no message file read. The index keeps
//! From as a name and a lower-cased address, To as one display string (`to_list`,
//! "Name <addr>, addr"), and no Cc; splitting `to_list` into mailboxes is the caller's
//! (compose::addressbook), as store knows no address syntax beyond what it was given.

use super::err;
use super::read::ReadView;
use crate::core::AccountId;
use crate::store::StoreError;
use rusqlite::params;

/// How often something was seen, as the index has it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenAddresses {
    /// (display name or address, lower-cased address, messages) per sender spelling.
    pub senders: Vec<(String, String, u64)>,
    /// (`to_list` text, messages) per distinct To list.
    pub recipients: Vec<(String, u64)>,
}

const QUERY: &str = "
SELECT 0, e.from_name, e.from_addr, COUNT(*) FROM envelopes e JOIN folders f ON f.id = e.folder_id
    WHERE e.from_addr <> '' AND (?1 IS NULL OR f.account = ?1) GROUP BY e.from_addr, e.from_name
UNION ALL
SELECT 1, e.to_list, '', COUNT(*) FROM envelopes e JOIN folders f ON f.id = e.folder_id
    WHERE e.to_list <> '' AND (?1 IS NULL OR f.account = ?1) GROUP BY e.to_list";

impl ReadView<'_> {
    /// Senders and To lists with their counts, over one account or (None) all.
    pub fn seen_addresses(&self, account: Option<&AccountId>) -> Result<SeenAddresses, StoreError> {
        let op = "read the address book";
        let mut st = self
            .conn
            .prepare_cached(QUERY)
            .map_err(|e| err(op, self.path, e))?;
        let rows = st
            .query_map(params![account.map(|a| a.0.as_str())], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .map_err(|e| err(op, self.path, e))?;
        let mut out = SeenAddresses::default();
        for row in rows {
            let (kind, text, addr, n) = row.map_err(|e| err(op, self.path, e))?;
            let n = u64::try_from(n).unwrap_or(0);
            if kind == 0 {
                out.senders.push((text, addr, n));
            } else {
                out.recipients.push((text, n));
            }
        }
        Ok(out)
    }
}
