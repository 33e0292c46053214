//! E-mail: neutral Swedish templates, the outbox worker that sends over SMTP, and calendar
//! invitations (iCalendar) for meetings.

pub mod calendar;
pub mod templates;
pub mod worker;
