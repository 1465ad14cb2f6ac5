//! Finding what to open: `--demo`, `--config`, the XDG config file, or `~/Maildir` /
//! `$MAIL` when there is no config; the index (upgraded or healed once, before any
//! account opens its own writer); every account through the account factory.

use crate::account::{Account, AnyAccount, CacheView, build_accounts};
use crate::config::{self, Config, ConfigError};
use crate::core::AccountId;
use crate::store::Index;
use std::path::{Path, PathBuf};

pub struct Setup {
    pub config: Config,
    /// Each account, for its actor (or a headless command), in config order.
    pub accounts: Vec<AnyAccount>,
    /// What may be read of each account without its actor, in the same order.
    pub caches: Vec<CacheView>,
    pub index_path: PathBuf,
    /// Said once at start (the index was upgraded or rebuilt).
    pub notes: Vec<String>,
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
        if config.accounts.is_empty() {
            return Err(SetupError::NoAccount(format!(
                "the config has no accounts\n\n{HOW_TO_CONFIGURE}"
            )));
        }
        // Migrate or heal once here, so the accounts' writers open a sound file.
        let (_, note) = Index::open(index_path).map_err(|e| SetupError::Other(e.to_string()))?;
        let (accounts, caches) = build_accounts(&config.accounts, index_path)
            .into_iter()
            .unzip();
        Ok(Setup {
            config,
            accounts,
            caches,
            index_path: index_path.to_path_buf(),
            notes: note.map(|n| n.to_string()).into_iter().collect(),
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
            let mut account = config::AccountConfig::maildir(dir.path().join("mail").join(&name));
            // The sample's owner, so composing works; "sending" goes nowhere (the copy
            // is filed in Sent as usual), so trying it cannot mail anyone.
            account.from = Some(match name.as_str() {
                "work" => "Robin Post <r.post@corp.example>".into(),
                _ => "Robin Post <robin@example.net>".into(),
            });
            account.sending = Some(config::Sending::Sendmail(config::SendmailConfig {
                command: "cat > /dev/null".into(),
            }));
            config.accounts.insert(name.clone(), account);
        }
        let index_path = dir.path().join("index.sqlite");
        Setup::with_index(config, &index_path, Some(dir))
    }

    /// The index (position) of a named account.
    pub fn position(&self, id: &AccountId) -> Option<usize> {
        self.accounts.iter().position(|a| a.id() == id)
    }

    pub fn cache(&self, id: &AccountId) -> Option<&CacheView> {
        self.caches.iter().find(|c| c.account == *id)
    }
}
