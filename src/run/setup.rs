//! Finding what to open: `--demo`, `--config`, the XDG config file, or `~/Maildir` /
//! `$MAIL` when there is no config; the index; one `LocalAccount` per account.

use crate::account::LocalAccount;
use crate::config::{self, Config, ConfigError};
use crate::core::AccountId;
use crate::store::{Index, MaildirTree, SharedIndex};
use std::path::{Path, PathBuf};

pub struct Setup {
    pub config: Config,
    pub accounts: Vec<LocalAccount>,
    pub index: SharedIndex,
    /// Keeps the demo's private copy alive (and removes it at exit).
    _demo: Option<tempfile::TempDir>,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Config(Vec<ConfigError>),
    #[error("{0}")]
    NoAccount(String),
    #[error("{0}")]
    Other(String),
}

pub const HOW_TO_CONFIGURE: &str = "posthorn found no configuration and no ~/Maildir.

Try the bundled sample mailbox:   posthorn --demo
Or create ~/.config/posthorn/config.toml with an account, for example:

    [accounts.home.maildir]
    path = \"~/Maildir\"

config.example.toml in the source tree documents every key; `posthorn check-config`
validates a config file.";

impl Setup {
    /// Resolves what to open: an explicit config, the default config, or ~/Maildir.
    pub fn find(config_arg: Option<&Path>) -> Result<Setup, SetupError> {
        if let Some(p) = config_arg {
            let c = config::load(p).map_err(SetupError::Config)?;
            return Setup::from_config(c);
        }
        if let Some(p) = config::default_config_path().filter(|p| p.exists()) {
            let c = config::load(&p).map_err(SetupError::Config)?;
            return Setup::from_config(c);
        }
        let home_maildir = std::env::var_os("HOME").map(|h| PathBuf::from(h).join("Maildir"));
        let mail_env = std::env::var_os("MAIL").map(PathBuf::from);
        for candidate in [home_maildir, mail_env].into_iter().flatten() {
            if candidate.is_dir() {
                let mut c = Config::default();
                c.accounts
                    .insert("local".into(), config::AccountConfig::maildir(candidate));
                return Setup::from_config(c);
            }
        }
        Err(SetupError::NoAccount(HOW_TO_CONFIGURE.into()))
    }

    pub fn from_config(config: Config) -> Result<Setup, SetupError> {
        let index_path = match &config.general.index {
            Some(p) => p.clone(),
            None => config::default_data_dir()
                .ok_or_else(|| {
                    SetupError::Other(
                        "cannot find a data directory for the index (is $HOME set?)".into(),
                    )
                })?
                .join("index.sqlite"),
        };
        Setup::with_index(config, &index_path, None)
    }

    fn with_index(
        config: Config,
        index_path: &Path,
        demo: Option<tempfile::TempDir>,
    ) -> Result<Setup, SetupError> {
        let index = Index::open(index_path)
            .map_err(|e| SetupError::Other(e.to_string()))?
            .shared();
        let mut accounts = Vec::new();
        for (name, acc) in &config.accounts {
            if let Some(m) = acc.as_maildir() {
                let tree = MaildirTree::open(&m.path)
                    .map_err(|e| SetupError::Other(format!("account {name}: {e}")))?;
                accounts.push(LocalAccount::new(
                    AccountId(name.clone()),
                    tree,
                    index.clone(),
                ));
            }
        }
        if accounts.is_empty() {
            return Err(SetupError::NoAccount(format!(
                "the config has no accounts\n\n{HOW_TO_CONFIGURE}"
            )));
        }
        Ok(Setup {
            config,
            accounts,
            index,
            _demo: demo,
        })
    }

    /// Unpacks the bundled sample mailbox into a private temporary directory.
    pub fn demo() -> Result<Setup, SetupError> {
        let dir = tempfile::Builder::new()
            .prefix("posthorn-demo-")
            .tempdir()
            .map_err(|e| SetupError::Other(format!("cannot create a temporary directory: {e}")))?;
        let names = super::demo::unpack(&dir.path().join("mail")).map_err(SetupError::Other)?;
        let mut config = Config::default();
        for name in names {
            config.accounts.insert(
                name.clone(),
                config::AccountConfig::maildir(dir.path().join("mail").join(&name)),
            );
        }
        let index_path = dir.path().join("index.sqlite");
        Setup::with_index(config, &index_path, Some(dir))
    }

    pub fn account(&self, id: &AccountId) -> Option<&LocalAccount> {
        self.accounts
            .iter()
            .find(|a| crate::account::Account::id(*a) == id)
    }
}
