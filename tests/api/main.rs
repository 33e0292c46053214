//! Black-box tests: each starts the real server on port 0 and speaks HTTP to it. One module
//! per resource; every storage test runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod abuse;
mod audit;
mod audit_anchor;
mod auth;
mod cases;
mod consent_secrecy;
mod consents;
mod contract;
mod cross_organisation;
mod document_rules;
mod event_rules;
mod finsam;
mod fordjupad;
mod handover;
mod idempotency;
mod individuals;
mod inquiries;
mod inquiry_inbox;
mod logs;
mod mail;
mod mail_order;
mod meetings;
mod messages;
mod metrics;
mod migration;
mod notifications;
mod oidc;
mod pg_restart;
mod plans;
mod policy_adversarial;
mod policy_model;
mod policy_stored;
mod retention;
mod sessions;
mod sip_calls;
mod smtp;
mod statistics;
mod store;
mod stream;
mod users;
mod web_links;
