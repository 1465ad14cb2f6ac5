//! Store errors: every one names the operation and the path it failed on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("index {path}: {op}: {source}")]
    Index {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path}: message {id} not found")]
    NotFound { path: PathBuf, id: String },
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

impl StoreError {
    pub fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Io { op, path, source }
    }
}

impl StoreError {
    /// The index file is corrupt or not ours: heal it (`Index::heal`) and rescan.
    pub fn is_index_damaged(&self) -> bool {
        matches!(self, StoreError::Index { source, .. } if super::index::is_damage(source))
    }
}
