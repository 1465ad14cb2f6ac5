//! The address book: names and addresses seen in cached mail (senders and To lists from
//! the index, one GROUP BY, no message file read), one entry per address (compared
//! case-insensitively) with its most used name, most frequent first; and completion of
//! what the user typed against the start of the address or of any word of the name,
//! folded like search (case and Latin diacritics ignored: `zoe` finds `Zoë`).
//!
//! The index keeps no Cc, so Cc recipients are not counted. Pure apart from the query.

use super::address::{bare, format_mailbox, split_list};
use crate::core::AccountId;
use crate::core::query::fold;
use crate::store::StoreError;
use crate::store::index::SeenAddresses;
use crate::store::index::read::ReadView;
use std::collections::HashMap;

/// One address with its name and how many messages it was seen in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: Option<String>,
    /// Lower-cased.
    pub address: String,
    pub count: u64,
}

impl Entry {
    /// `Name <addr>` for a To line.
    pub fn display(&self) -> String {
        format_mailbox(self.name.as_deref(), &self.address)
    }
}

/// Entries, most frequent first, with their folded address for matching.
#[derive(Clone, Debug, Default)]
pub struct AddressBook {
    entries: Vec<Entry>,
    folded_addr: Vec<String>,
}

impl AddressBook {
    /// The address book of one account's cached mail, or (None) of every account's.
    pub fn load(
        view: &ReadView<'_>,
        account: Option<&AccountId>,
    ) -> Result<AddressBook, StoreError> {
        Ok(AddressBook::from_seen(&view.seen_addresses(account)?))
    }

    /// Merges the index's counts into entries.
    pub fn from_seen(seen: &SeenAddresses) -> AddressBook {
        // address -> (total, name -> count)
        let mut by_addr: HashMap<String, (u64, HashMap<String, u64>)> = HashMap::new();
        let mut add = |name: Option<&str>, addr: &str, n: u64| {
            let addr = addr.trim().to_lowercase();
            if !addr.contains('@') {
                return;
            }
            let e = by_addr.entry(addr.clone()).or_default();
            e.0 += n;
            if let Some(name) = name
                .map(str::trim)
                .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case(&addr))
            {
                *e.1.entry(name.to_string()).or_default() += n;
            }
        };
        for (name, addr, n) in &seen.senders {
            add(Some(name), addr, *n);
        }
        for (list, n) in &seen.recipients {
            for m in to_list_mailboxes(list) {
                add(name_part(&m).as_deref(), &bare(&m), *n);
            }
        }
        let mut entries: Vec<Entry> = by_addr
            .into_iter()
            .map(|(address, (count, names))| {
                let name = names
                    .into_iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                    .map(|(n, _)| n);
                Entry {
                    name,
                    address,
                    count,
                }
            })
            .collect();
        entries.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.address.cmp(&b.address))
        });
        let folded_addr = entries.iter().map(|e| fold_text(&e.address)).collect();
        AddressBook {
            entries,
            folded_addr,
        }
    }

    /// Every entry, most frequent first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// At most `limit` entries whose address starts with `prefix`, or one of whose name
    /// words does (several words: consecutive name words, the last as a prefix); most
    /// frequent first. Case and diacritics are ignored.
    pub fn complete(&self, prefix: &str, limit: usize) -> Vec<&Entry> {
        let p = fold_text(prefix.trim());
        let words = fold::words(prefix);
        self.entries
            .iter()
            .zip(&self.folded_addr)
            .filter(|(e, addr)| {
                p.is_empty()
                    || addr.starts_with(&p)
                    || (!words.is_empty()
                        && e.name
                            .as_deref()
                            .is_some_and(|n| fold::contains_words(n, &words, true)))
            })
            .map(|(e, _)| e)
            .take(limit)
            .collect()
    }
}

/// Lower case without Latin diacritics, character by character (`fold::fold_char`),
/// combining marks dropped.
fn fold_text(s: &str) -> String {
    s.chars()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .map(fold::fold_char)
        .collect()
}

/// The mailboxes of an index `to_list`: its names are not quoted ("Doe, John <j@x>"),
/// so a piece without an address belongs to the next one.
fn to_list_mailboxes(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for piece in split_list(list) {
        if piece.contains('@') {
            if pending.is_empty() {
                out.push(piece);
            } else {
                out.push(format!("{pending}, {piece}"));
                pending.clear();
            }
        } else {
            if !pending.is_empty() {
                pending.push_str(", ");
            }
            pending.push_str(&piece);
        }
    }
    out
}

/// The name before `<addr>`, without quotes.
fn name_part(m: &str) -> Option<String> {
    super::address::name_of(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquoted_commas_in_to_lists() {
        assert_eq!(
            to_list_mailboxes("Doe, John <j@x.org>, b@y.org, Group, Zoë <z@x>"),
            vec!["Doe, John <j@x.org>", "b@y.org", "Group, Zoë <z@x>"]
        );
    }
}
