//! The account's folders as the server names them: LIST entries (RFC 3501 §7.2.2)
//! mapped to `/`-separated UTF-8 paths, with roles from SPECIAL-USE attributes
//! (RFC 6154; any case) or, failing those, from the name. The map is kept beside the
//! cache (`.posthorn-imap.json`), so the folder list, roles and server names are known
//! offline and across restarts.

use super::resp::ListEntry;
use super::utf7;
use crate::core::{FolderPath, FolderRole};
use serde::{Deserialize, Serialize};
use std::path::Path;

const STATE_FILE: &str = ".posthorn-imap.json";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteFolder {
    /// `/`-separated, UTF-8: what the user sees and the cache directory's name.
    pub path: String,
    /// The server's name, modified UTF-7, exactly as LIST sent it.
    pub name: String,
    /// inbox | sent | drafts | trash | archive | junk
    pub role: Option<String>,
    pub selectable: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderMap {
    pub delimiter: Option<String>,
    pub folders: Vec<RemoteFolder>,
}

fn role_name(r: FolderRole) -> &'static str {
    match r {
        FolderRole::Inbox => "inbox",
        FolderRole::Sent => "sent",
        FolderRole::Drafts => "drafts",
        FolderRole::Trash => "trash",
        FolderRole::Archive => "archive",
        FolderRole::Junk => "junk",
    }
}

pub fn role_from_name(s: &str) -> Option<FolderRole> {
    Some(match s {
        "inbox" => FolderRole::Inbox,
        "sent" => FolderRole::Sent,
        "drafts" => FolderRole::Drafts,
        "trash" => FolderRole::Trash,
        "archive" => FolderRole::Archive,
        "junk" => FolderRole::Junk,
        _ => return None,
    })
}

/// A role from SPECIAL-USE attributes (RFC 6154 §2), whatever their case.
fn special_use(attrs: &[String]) -> Option<FolderRole> {
    attrs.iter().find_map(|a| {
        Some(match a.to_ascii_lowercase().as_str() {
            "\\sent" => FolderRole::Sent,
            "\\drafts" => FolderRole::Drafts,
            "\\trash" => FolderRole::Trash,
            "\\archive" => FolderRole::Archive,
            "\\junk" => FolderRole::Junk,
            _ => return None,
        })
    })
}

/// The user's path for a server name.
pub fn path_for(name: &str, delimiter: Option<&str>) -> String {
    if name.eq_ignore_ascii_case("INBOX") {
        return "INBOX".into();
    }
    let decoded = utf7::decode(name);
    let mut out = match delimiter {
        Some(d) if !d.is_empty() && d != "/" => decoded.replace(d, "/"),
        _ => decoded,
    };
    // INBOX's children keep INBOX spelled the canonical way.
    if out.len() > 6 && out[..6].eq_ignore_ascii_case("INBOX/") {
        out.replace_range(..5, "INBOX");
    }
    out
}

impl FolderMap {
    pub fn from_list(entries: &[ListEntry]) -> FolderMap {
        let delimiter = entries.iter().find_map(|e| e.delimiter.clone());
        let mut folders: Vec<RemoteFolder> = entries
            .iter()
            .map(|e| {
                let path = path_for(&e.name, e.delimiter.as_deref());
                let role = if path == "INBOX" {
                    Some(FolderRole::Inbox)
                } else {
                    special_use(&e.attributes)
                };
                RemoteFolder {
                    role: role.map(|r| role_name(r).to_string()),
                    selectable: !e.attributes.iter().any(|a| {
                        a.eq_ignore_ascii_case("\\Noselect")
                            || a.eq_ignore_ascii_case("\\NonExistent")
                    }),
                    path,
                    name: e.name.clone(),
                }
            })
            .collect();
        // The name fallback, only for roles no folder claimed by SPECIAL-USE.
        for i in 0..folders.len() {
            if folders[i].role.is_some() {
                continue;
            }
            if let Some(r) = FolderRole::from_name(&folders[i].path) {
                let name = role_name(r);
                if !folders.iter().any(|f| f.role.as_deref() == Some(name)) {
                    folders[i].role = Some(name.to_string());
                }
            }
        }
        folders.sort_by(|a, b| (a.path != "INBOX", &a.path).cmp(&(b.path != "INBOX", &b.path)));
        folders.dedup_by(|a, b| a.path == b.path);
        FolderMap { delimiter, folders }
    }

    pub fn load(cache_root: &Path) -> FolderMap {
        std::fs::read(cache_root.join(STATE_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Writes the map durably (tmp, fsync, rename).
    pub fn save(&self, cache_root: &Path) -> std::io::Result<()> {
        use std::io::Write;
        let tmp = cache_root.join(format!("{STATE_FILE}.tmp"));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?)?;
        f.sync_all()?;
        std::fs::rename(&tmp, cache_root.join(STATE_FILE))
    }

    pub fn get(&self, path: &FolderPath) -> Option<&RemoteFolder> {
        self.folders.iter().find(|f| f.path == path.0)
    }

    /// The server's name for a path: the one LIST gave, else encoded with the
    /// server's delimiter (a folder about to be created).
    pub fn server_name(&self, path: &FolderPath) -> String {
        if let Some(f) = self.get(path) {
            return f.name.clone();
        }
        let d = self.delimiter.as_deref().unwrap_or("/");
        utf7::encode(&path.0.replace('/', d))
    }

    pub fn role(&self, path: &FolderPath) -> Option<FolderRole> {
        self.get(path)
            .and_then(|f| f.role.as_deref())
            .and_then(role_from_name)
            .or_else(|| FolderRole::from_name(&path.0))
    }

    /// The folder that has a role (Trash, Sent...).
    pub fn with_role(&self, role: FolderRole) -> Option<FolderPath> {
        let name = role_name(role);
        self.folders
            .iter()
            .find(|f| f.role.as_deref() == Some(name))
            .map(|f| FolderPath(f.path.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(attrs: &[&str], name: &str) -> ListEntry {
        ListEntry {
            attributes: attrs.iter().map(|s| s.to_string()).collect(),
            delimiter: Some(".".into()),
            name: name.into(),
        }
    }

    #[test]
    fn roles_come_from_special_use_in_any_case_then_from_names() {
        let m = FolderMap::from_list(&[
            entry(&["\\HasNoChildren"], "INBOX"),
            entry(&["\\sent"], "Gesendet"),
            entry(&["\\HasNoChildren"], "Sent"),
            entry(&["\\HasNoChildren"], "Trash"),
            entry(&["\\Noselect"], "Lists"),
            entry(&[], "Lists.rust"),
            entry(&[], "Entw&APw-rfe"),
            entry(&[], "comp.mail"),
        ]);
        let role = |p: &str| m.role(&FolderPath(p.into()));
        assert_eq!(role("Gesendet"), Some(FolderRole::Sent));
        // "Sent" lost the role to the SPECIAL-USE folder (still a Sent by name alone
        // when asked directly, but not the account's Sent).
        assert_eq!(
            m.with_role(FolderRole::Sent),
            Some(FolderPath("Gesendet".into()))
        );
        assert_eq!(
            m.with_role(FolderRole::Trash),
            Some(FolderPath("Trash".into()))
        );
        assert!(m.get(&FolderPath("Entwürfe".into())).is_some());
        assert!(m.get(&FolderPath("Lists/rust".into())).is_some());
        assert!(!m.get(&FolderPath("Lists".into())).unwrap().selectable);
        assert_eq!(
            m.server_name(&FolderPath("Entwürfe".into())),
            "Entw&APw-rfe"
        );
        assert_eq!(m.server_name(&FolderPath("New/Sub".into())), "New.Sub");
        assert_eq!(m.folders[0].path, "INBOX");
    }
}
