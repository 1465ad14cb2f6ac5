//! The application model: `AppState`, the events that reach it, the effects it asks
//! for, the keymap, and the pure `update` function that connects them.
//!
//! Depends on `core`, `mime` (the message view type) and `config`; never on tokio,
//! ratatui, the store or the network. Everything here is tested without a terminal.

pub mod accounts;
pub mod action;
pub mod compose;
mod compose_events;
mod compose_news;
mod compose_outbox;
mod compose_prompt;
pub mod count;
pub mod event;
pub mod folder_ops;
pub mod key;
pub mod keymap;
pub mod layout;
mod mouse;
pub mod news;
mod prompt;
mod quit;
mod reader;
pub mod search;
pub mod state;
mod triage;
pub mod update;
mod view;

pub use action::{Action, Context};
pub use event::{AppEvent, Effect, MouseKind, ServerFound, TriageOp};
pub use key::{Key, KeyCode};
pub use keymap::Keymap;
pub use state::{AppState, Focus, Notice, SavedSearch, Settings, ViewSource};
pub use update::update;
