//! Who is asking (authentication) and what they may see (the policy).

mod current_user;
pub mod password;
pub mod policy;
pub mod throttle;
pub mod token;

pub use current_user::{CurrentUser, SignedIn, BACKGROUND_HEADER};

use crate::domain::AuditAction;
use crate::domain::{OrganisationId, Role, Timestamp, UserId};
use crate::store::audit::{AuditEntry, Outcome};

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
    /// The user as one who acts (or would act) now; `request_id` ties audit rows to a request.
    pub fn of(user: &crate::store::users::User, request_id: Option<String>) -> Self {
        Actor {
            user_id: user.id,
            organisation_id: user.organisation_id,
            roles: user.roles.clone(),
            request_id,
        }
    }

    pub fn works_cases(&self) -> bool {
        self.roles.iter().any(|r| r.works_cases())
    }

    pub fn is_lead(&self) -> bool {
        self.roles.iter().any(|r| r.is_lead())
    }

    pub fn is_admin(&self) -> bool {
        self.roles.contains(&Role::OrgAdmin)
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
