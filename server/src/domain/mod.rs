//! Domain values: typed ids, the personnummer, the enumerations the hub speaks in.

pub mod audit;
mod ids;
pub mod inquiry;
pub(crate) mod kinds;
pub mod meeting;
mod personnummer;
pub mod plan;
pub mod sip;
mod time;

pub use ids::*;
pub use kinds::*;
pub use personnummer::{Personnummer, PersonnummerError};
pub use time::Timestamp;
