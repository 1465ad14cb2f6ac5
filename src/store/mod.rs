//! The local store: Maildir folders (the cache every account writes into, readable by
//! mutt, notmuch and Python's `mailbox`) and the SQLite envelope index that lets a folder
//! open without parsing its messages.
//!
//! Depends only on `core` (and `mime` for header parsing); no tokio, no terminal, no
//! sockets. Every function here is blocking and is called from blocking threads.

pub mod batch;
pub mod delivery;
mod error;
pub mod folder;
pub mod formats;
pub mod index;
pub mod journal;
pub mod layout;
pub mod maildir;
pub mod names;
pub mod newsrc;
pub mod roles;
pub mod scan;
pub mod watch;

pub use batch::BatchItem;
pub use delivery::Delivery;
pub use error::StoreError;
pub use folder::LocalFolder;
pub use index::{Index, IndexReader, OpenNote, UidlRow, UidlState};
pub use journal::RecoveryReport;
pub use layout::{FolderDir, Layout, MaildirTree};
pub use maildir::{Maildir, MaildirEntry, Subdir};
pub use scan::{ScanJob, ScanProgress, ScanReport, scan_folder};
pub use watch::{FolderWatcher, WatchEvent};
