//! Who acts: the signed-in user with their organisation and roles, as the rule reads them.

use crate::domain::audit::{AuditAction, AuditEntry, Outcome};
use crate::domain::{OrganisationId, Role, Timestamp, UserId};

/// The signed-in user a request acts as: loaded fresh from the store on every request, so a
/// deactivated account or a changed role takes effect at once.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: UserId,
    pub organisation_id: OrganisationId,
    pub roles: Vec<Role>,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn works_cases(&self) -> bool {
        self.roles.iter().any(|r| r.works_cases())
    }

    pub fn is_lead(&self) -> bool {
        self.roles.iter().any(|r| r.is_lead())
    }

    /// An audit entry for this actor; fill in what was touched with the builder methods.
    pub fn audit(&self, action: AuditAction, outcome: Outcome) -> AuditEntry {
        AuditEntry {
            at: Timestamp::now(),
            user_id: Some(self.user_id),
            organisation_id: Some(self.organisation_id),
            roles: self
                .roles
                .iter()
                .map(|r| r.code())
                .collect::<Vec<_>>()
                .join(","),
            action,
            outcome,
            individual_id: None,
            case_id: None,
            purpose: None,
            consent_id: None,
            request_id: self.request_id.clone(),
        }
    }
}
