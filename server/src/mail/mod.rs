//! E-mail: neutral Swedish templates, the outbox worker that sends over SMTP, and (for
//! meetings) calendar invitations.

pub mod templates;
pub mod worker;
