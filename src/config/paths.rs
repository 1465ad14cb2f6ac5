//! Where config and data live (XDG through `directories`), and `~` expansion.

use directories::ProjectDirs;
use std::path::{Path, PathBuf};

fn dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "posthorn")
}

/// `$XDG_CONFIG_HOME/posthorn/config.toml` on Linux.
pub fn default_config_path() -> Option<PathBuf> {
    dirs().map(|d| d.config_dir().join("config.toml"))
}

/// `$XDG_DATA_HOME/posthorn` on Linux: the index lives here.
pub fn default_data_dir() -> Option<PathBuf> {
    dirs().map(|d| d.data_dir().to_path_buf())
}

/// Expands a leading `~/` to the home directory.
pub fn expand_tilde(p: &Path) -> PathBuf {
    match p.to_str().and_then(|s| s.strip_prefix("~/")) {
        Some(rest) => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(rest),
            None => p.to_path_buf(),
        },
        None => p.to_path_buf(),
    }
}
