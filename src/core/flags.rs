//! Message flags, in the Maildir vocabulary (D F P R S T), and flag operations.
//!
//! The Maildir info suffix `:2,` lists the flags in ASCII order; `Flags` converts both
//! ways and ignores letters it does not know (they are kept by the store, not here).

use serde::Serialize;

/// A set of standard message flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Flags(u8);

impl Flags {
    pub const DRAFT: Flags = Flags(1);
    pub const FLAGGED: Flags = Flags(2);
    pub const PASSED: Flags = Flags(4);
    pub const REPLIED: Flags = Flags(8);
    pub const SEEN: Flags = Flags(16);
    pub const TRASHED: Flags = Flags(32);

    const LETTERS: [(char, Flags); 6] = [
        ('D', Flags::DRAFT),
        ('F', Flags::FLAGGED),
        ('P', Flags::PASSED),
        ('R', Flags::REPLIED),
        ('S', Flags::SEEN),
        ('T', Flags::TRASHED),
    ];

    pub const fn empty() -> Self {
        Flags(0)
    }
    pub const fn bits(self) -> u8 {
        self.0
    }
    pub const fn from_bits(bits: u8) -> Self {
        Flags(bits & 63)
    }
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
    pub fn insert(&mut self, other: Flags) {
        self.0 |= other.0;
    }
    pub fn remove(&mut self, other: Flags) {
        self.0 &= !other.0;
    }
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parses the letters after `:2,` (RFC-less Maildir convention, cr.yp.to/proto/maildir).
    pub fn from_maildir(letters: &str) -> Self {
        let mut flags = Flags::empty();
        for c in letters.chars() {
            if let Some((_, f)) = Self::LETTERS.iter().find(|(l, _)| *l == c) {
                flags.insert(*f);
            }
        }
        flags
    }

    /// The letters for a `:2,` suffix, in ASCII order as Maildir requires.
    pub fn to_maildir(self) -> String {
        Self::LETTERS
            .iter()
            .filter(|(_, f)| self.contains(*f))
            .map(|(l, _)| *l)
            .collect()
    }

    /// Applies an operation and returns the result.
    pub fn apply(self, op: FlagOp) -> Flags {
        let mut out = self;
        match op {
            FlagOp::Add(f) => out.insert(f),
            FlagOp::Remove(f) => out.remove(f),
        }
        out
    }
}

/// Add or remove flags on a set of messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagOp {
    Add(Flags),
    Remove(Flags),
}

impl FlagOp {
    /// The operation that undoes this one on messages where it changed something.
    pub fn inverse(self) -> FlagOp {
        match self {
            FlagOp::Add(f) => FlagOp::Remove(f),
            FlagOp::Remove(f) => FlagOp::Add(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maildir_letters_round_trip_in_ascii_order() {
        let f = Flags::from_maildir("STFR");
        assert_eq!(f.to_maildir(), "FRST");
        assert!(f.contains(Flags::SEEN) && f.contains(Flags::TRASHED));
        assert!(!f.contains(Flags::DRAFT));
        assert_eq!(Flags::from_maildir("xyzS"), Flags::SEEN);
    }

    #[test]
    fn apply_and_inverse() {
        let f = Flags::SEEN;
        let op = FlagOp::Add(Flags::FLAGGED);
        let g = f.apply(op);
        assert_eq!(g.to_maildir(), "FS");
        assert_eq!(g.apply(op.inverse()), f);
    }
}
