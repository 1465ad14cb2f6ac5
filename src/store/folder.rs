//! `LocalFolder`: what a local mail folder can do, whatever its format. `Maildir`
//! implements it now; mbox, MH, Babyl and MMDF will implement it later, so account code
//! written against this trait works for all of them.
//!
//! Synchronous on purpose: the store has no tokio; callers run it on blocking threads.

use super::{Maildir, MaildirEntry, StoreError};
use crate::core::Flags;

/// A folder of messages on the local disk.
pub trait LocalFolder {
    /// How the folder names one message (a Maildir entry; an offset for mbox...).
    type Entry: Clone;

    /// Every message, each with its own id.
    fn list(&self) -> Result<Vec<Self::Entry>, StoreError>;
    /// The raw bytes of a message.
    fn read(&self, entry: &Self::Entry) -> Result<Vec<u8>, StoreError>;
    /// Replaces the flags; returns the entry as it is now (its id may have changed).
    fn set_flags(&self, entry: &Self::Entry, flags: Flags) -> Result<Self::Entry, StoreError>;
    /// Moves a message into `dest`; returns it as it is there (use the returned id).
    fn move_to(&self, entry: &Self::Entry, dest: &Self) -> Result<Self::Entry, StoreError>;
    /// Stores a new message durably.
    fn deliver(&self, bytes: &[u8], flags: Flags) -> Result<Self::Entry, StoreError>;
}

impl LocalFolder for Maildir {
    type Entry = MaildirEntry;

    fn list(&self) -> Result<Vec<MaildirEntry>, StoreError> {
        Maildir::list(self)
    }

    fn read(&self, entry: &MaildirEntry) -> Result<Vec<u8>, StoreError> {
        Maildir::read(self, entry)
    }

    fn set_flags(&self, entry: &MaildirEntry, flags: Flags) -> Result<MaildirEntry, StoreError> {
        Maildir::set_flags(self, entry, flags)
    }

    fn move_to(&self, entry: &MaildirEntry, dest: &Maildir) -> Result<MaildirEntry, StoreError> {
        Maildir::move_to(self, entry, dest)
    }

    fn deliver(&self, bytes: &[u8], flags: Flags) -> Result<MaildirEntry, StoreError> {
        Maildir::deliver(self, bytes, flags)
    }
}
