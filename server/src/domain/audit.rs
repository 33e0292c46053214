//! What an audit row records: who did what to whose data, and whether it was let through.

use super::{CaseId, ConsentId, IndividualId, OrganisationId, Purpose, Timestamp, UserId};

/// Whether the attempt was let through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    Denied,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
        }
    }
}

/// One access or change to record. `action` is a stable dotted code, e.g. `case.read`.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub user_id: Option<UserId>,
    pub organisation_id: Option<OrganisationId>,
    pub roles: String,
    pub action: &'static str,
    pub outcome: Outcome,
    pub individual_id: Option<IndividualId>,
    pub case_id: Option<CaseId>,
    pub purpose: Option<Purpose>,
    pub consent_id: Option<ConsentId>,
    pub request_id: Option<String>,
}
