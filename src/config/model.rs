//! The typed config model. Every key here is documented, with its default, in
//! `config.example.toml`; `validate.rs` holds the matching schema for error reports.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    #[serde(default)]
    pub general: General,
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountConfig>,
    /// Key overrides: key -> action name (`"ctrl-d" = "page-down"`).
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct General {
    /// date | sender | subject | size | thread-activity
    pub sort: String,
    /// Newest (or largest, or last) first.
    pub reverse: bool,
    pub threaded: bool,
    /// Folder that delete moves messages to.
    pub trash: String,
    /// Folder that archive moves messages to.
    pub archive: String,
    pub mark_read_on_open: bool,
    /// Where the envelope index lives; default: the XDG data dir.
    pub index: Option<PathBuf>,
}

impl Default for General {
    fn default() -> Self {
        General {
            sort: "thread-activity".into(),
            reverse: true,
            threaded: true,
            trash: "Trash".into(),
            archive: "Archive".into(),
            mark_read_on_open: true,
            index: None,
        }
    }
}

/// One account: exactly one protocol table.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AccountConfig {
    pub maildir: Option<MaildirConfig>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MaildirConfig {
    pub path: PathBuf,
}
