//! posthorn: a terminal mail and news client. The library holds every layer; the
//! binary (`main.rs`) only parses the command line and calls in.
//!
//! Layers (see `tests/layering.rs`): `core` <- `mime`, `store` <- `config`, `account`
//! <- `app` <- `ui` <- `run`, `cli`.
#![forbid(unsafe_code)]

pub mod core;
pub mod mime;
pub mod store;
pub mod config;
pub mod account;
pub mod app;
pub mod ui;
pub mod cli;
pub mod run;
pub mod terminal;
