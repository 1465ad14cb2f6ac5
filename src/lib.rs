//! posthorn: a terminal mail and news client. The library holds every layer; the
//! binary (`main.rs`) only parses the command line and calls in.
//!
//! Layers (see `tests/layering.rs`): `core` <- `mime`, `store` <- `config`, `account`
//! <- `app` <- `ui` <- `run`, `cli`.
#![forbid(unsafe_code)]

pub mod account;
pub mod app;
pub mod cli;
pub mod compose;
pub mod config;
pub mod core;
pub mod mime;
pub mod net;
pub mod protocol;
pub mod run;
pub mod store;
pub mod terminal;
pub mod ui;
