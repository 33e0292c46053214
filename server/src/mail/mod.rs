//! Outgoing mail: calendar invitations for meetings.

pub mod calendar;
