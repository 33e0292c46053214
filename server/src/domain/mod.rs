//! Domain values: typed ids, the personnummer, the enumerations the hub speaks in.

pub mod audit;
pub mod event;
pub mod finsam;
pub mod fordjupad;
mod ids;
pub mod inquiry;
pub(crate) mod kinds;
pub mod meeting;
pub mod notification;
mod personnummer;
pub mod plan;
pub mod sip;
pub mod statistics;
mod time;

pub use audit::AuditAction;
pub use event::EventKind;
pub use ids::*;
pub use kinds::*;
pub use notification::{Delivery, NotificationKind};
pub use personnummer::{Personnummer, PersonnummerError};
pub use time::Timestamp;
