//! `spawn_app()`: the real server on port 0 over a fresh store, with typed client helpers
//! and fixtures. Every storage-touching test runs on SQLite and, when
//! `SAMVERKAN_TEST_POSTGRES_URL` is set, on PostgreSQL in a database of its own.

mod app;
mod client;
mod fixtures;
mod macros;
mod mail;
mod rows;

pub use app::*;
pub use client::*;
pub use fixtures::*;
pub use mail::*;
pub use rows::*;
