//! Protocol codecs and session state machines, sans-IO: bytes in, events and bytes out.
//! The account layer drives them over `net` streams; tests drive them with literal
//! transcripts.
//!
//! Depends on `core` only: no tokio, no sockets, no files, no store (enforced by
//! tests/layering.rs).

pub mod lines;
pub mod nntp;
pub mod pop3;
