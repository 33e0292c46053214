//! The rule for a samordningsförbund's insatskatalog (its Finsam efforts): data of the
//! förbund, no personal data. Every user of the förbund reads it; its org admins maintain it.

use super::super::Actor;
use crate::domain::audit::{AuditEntry, Outcome};
use crate::domain::{AuditAction, OrganisationId, OrganisationKind, Role};
use crate::error::AppError;

/// Proof that the actor may read (or, `maintain`, change) its förbund's insatskatalog.
#[derive(Clone, Debug)]
pub struct EffortCatalogue {
    forbund: OrganisationId,
}

impl EffortCatalogue {
    pub fn forbund(&self) -> OrganisationId {
        self.forbund
    }
    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        actor.audit(action, Outcome::Allowed)
    }
}

/// May `actor`, of an organisation of `kind`, read its insatskatalog (any user of a
/// förbund), or with `maintain` change it (its org admins)? 403 `role_not_allowed` otherwise,
/// audited.
pub fn effort_catalogue(
    actor: &Actor,
    kind: OrganisationKind,
    maintain: bool,
    action: AuditAction,
) -> Result<EffortCatalogue, AppError> {
    let allowed = kind == OrganisationKind::Samordningsforbund
        && (!maintain || actor.roles.contains(&Role::OrgAdmin));
    if allowed {
        return Ok(EffortCatalogue {
            forbund: actor.organisation_id,
        });
    }
    Err(AppError::Refused {
        code: "role_not_allowed",
        detail: if maintain {
            "Insatskatalogen underhålls av förbundets administratör."
        } else {
            "Insatskatalogen finns hos samordningsförbunden."
        },
        entry: Box::new(actor.audit(action, Outcome::Denied)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;

    fn actor(roles: &[Role]) -> Actor {
        Actor {
            user_id: UserId::new(),
            organisation_id: OrganisationId::new(),
            roles: roles.to_vec(),
            request_id: None,
        }
    }

    #[test]
    fn the_forbund_reads_its_catalogue_and_its_admins_maintain_it() {
        let a = AuditAction::FinsamEffortCreate;
        let admin = actor(&[Role::OrgAdmin]);
        let coordinator = actor(&[Role::Finsamkoordinator]);
        let forbund = OrganisationKind::Samordningsforbund;
        assert!(effort_catalogue(&admin, forbund, true, a).is_ok());
        assert!(effort_catalogue(&coordinator, forbund, false, a).is_ok());
        assert!(effort_catalogue(&coordinator, forbund, true, a).is_err());
        let social = OrganisationKind::Socialtjanst;
        assert!(effort_catalogue(&admin, social, true, a).is_err());
        assert!(effort_catalogue(&actor(&[Role::Socialsekreterare]), social, false, a).is_err());
    }
}
