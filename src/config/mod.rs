//! Configuration: the TOML model, discovery through `directories` (XDG on Linux), and a
//! validator that reports every problem with the file, the line, the key and the reason.
//!
//! Depends on `core` only. Secrets are not part of this accounts; when they come
//! they are read here and never printed.

mod model;
mod paths;
mod schema;
mod secret;
mod validate;

pub use model::{
    AccountConfig, BodyPolicy, Config, FileStoreConfig, General, MaildirConfig, SOURCE_KINDS,
    Secret, Sending, SendmailConfig, ServerConfig, Source, Tls, parse_body_policy, parse_interval,
};
pub use paths::{default_config_path, default_data_dir, expand_tilde};
pub use validate::{Checked, ConfigError, LineIndex, check, parse_config};

use std::path::Path;

/// Reads and validates a config file.
pub fn load(path: &Path) -> Result<Config, Vec<ConfigError>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![ConfigError {
            path: path.to_path_buf(),
            line: None,
            key: String::new(),
            reason: format!("cannot read: {e}"),
        }]
    })?;
    parse_config(path, &text)
}
