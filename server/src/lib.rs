//! Samverkan: a hub where Swedish agencies coordinate one person's rehabilitation, showing
//! each agency only what the person's recorded consent (samtycke) allows.
#![forbid(unsafe_code)]

/// Authentication (`CurrentUser`, tokens, passwords) and the one policy module.
pub mod access;
/// `samverkan admin …`: organisations, users, the audit chain check.
pub mod admin;
/// `AppState`, `router()`, `Application::build` and `run_until_stopped`.
pub mod app;
/// `admin backup` and `admin restore` of the SQLite store.
pub mod backup;
/// Layered settings: defaults, file, `SAMVERKAN_*` environment.
pub mod config;
/// Demo organisations, users, individuals, cases and consents for `serve --demo`.
pub mod demo;
/// Typed ids, personnummer, and the hub's vocabularies.
pub mod domain;
/// `AppError` and RFC 9457 problem+json.
pub mod error;
/// The event log, the live fan-out hub and its cross-node bus.
pub mod events;
/// One module per API resource, the WebSocket stream, and the OpenAPI document.
pub mod http;
/// The module graph has no circle (a test over the source).
#[cfg(test)]
mod import_graph;
/// E-mail: neutral templates, the SMTP outbox worker, calendar invitations.
pub mod mail;
/// Operator metrics (`/metrics`, Prometheus text format) and the audit head anchor.
pub mod metrics;
/// Notifications (notiser), their e-mail preferences, and the reminder scheduler.
pub mod notifications;
/// Retention (gallring): the daily purge and `admin purge`.
pub mod retention;
/// The HTTP/1.1 connection loop with header read timeouts.
pub mod serve;
/// SQL text with numbered placeholders, written by the store and the policy's list filters.
pub mod sql;
/// The storage port over SQLite and PostgreSQL, and its migrations.
pub mod store;
/// Tracing set-up that never logs personal data.
pub mod telemetry;
