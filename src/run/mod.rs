//! The runtime: builds the accounts from the config (or the demo), runs the UI event loop
//! and carries out the effects `update` asks for. This is the only place where the pure
//! app meets tokio, the store and the terminal.

pub mod compose;
mod compose_glue;
mod compose_send;
pub mod demo;
pub mod editor;
pub mod effects;
pub mod indexer;
mod news;
pub mod outbox;
pub mod save;
pub mod search;
pub mod server_search;
pub mod setup;
mod tui;

pub use setup::{Setup, SetupError};
pub use tui::run_tui;
