//! Who may read figures (group statistics), and over which of the hub's data.
//!
//! Figures are read by those who steer the work, not by every caseworker: the unit's leads
//! (biträdande enhetschef, rehabansvarig), the förbund's Finsam coordinator (whose role exists
//! only at a samordningsförbund and who reports its figures to the board), and the
//! `statistik` reader an organisation's admin grants to an analyst or manager who should see
//! figures and nothing else. A socialsekreterare, a clinic's rehabkoordinator or an admin sees
//! no figures: the table is a management tool, and fewer readers means fewer small groups
//! looked at. A figure never names a person; each read is audited as `statistics.read`.
//!
//! What an organisation may count is its own data: the [`StatisticsScope`] the rule hands out
//! carries the caller's organisation and pushes the SQL predicate that keeps each count to
//! it, so a figures query cannot be written without it.

use super::Actor;
use crate::domain::audit::{AuditEntry, Outcome};
use crate::domain::{AuditAction, InquiryState, OrganisationId, Role};
use crate::error::AppError;
use crate::sql::Sql;

/// The roles that read figures (see the module doc for why these).
pub const STATISTICS_ROLES: &[Role] = &[
    Role::BitradandeEnhetschef,
    Role::Rehabansvarig,
    Role::Finsamkoordinator,
    Role::Statistik,
];

/// May the actor read their organisation's figures?
pub fn may_read_statistics(actor: &Actor) -> bool {
    actor.roles.iter().any(|r| STATISTICS_ROLES.contains(r))
}

/// Proof that the actor may read figures, and the organisation whose data they count. Only
/// [`require_statistics_reader`] makes one.
#[derive(Clone, Debug)]
pub struct StatisticsScope {
    organisation: OrganisationId,
}

/// Refuses (403 `role_not_allowed`, the attempt audited as a denied `statistics.read`) anyone
/// outside [`STATISTICS_ROLES`]; otherwise the scope their figures are counted in.
pub fn require_statistics_reader(actor: &Actor) -> Result<StatisticsScope, AppError> {
    if may_read_statistics(actor) {
        return Ok(StatisticsScope {
            organisation: actor.organisation_id,
        });
    }
    Err(AppError::Refused {
        code: "role_not_allowed",
        detail: "Statistik läses av enhetschefer, rehabansvariga, Finsam-koordinatorer och \
                 användare med rollen statistik.",
        entry: Box::new(actor.audit(AuditAction::StatisticsRead, Outcome::Denied)),
    })
}

impl StatisticsScope {
    pub fn organisation(&self) -> OrganisationId {
        self.organisation
    }

    /// The audit row for the read (it names no individual or case).
    pub fn audit(&self, actor: &Actor) -> AuditEntry {
        actor.audit(AuditAction::StatisticsRead, Outcome::Allowed)
    }

    /// Pushes a boolean expression over `inquiries q`: an inquiry the organisation sent, or
    /// received (sent to it, so no draft of another's). Counting needs no consent, since no
    /// row leaves the query; the organisation counts only what it took part in.
    pub(crate) fn push_own_inquiries(&self, sql: &mut Sql) {
        let org = self.organisation.to_string();
        sql.push("(q.sender_organisation_id = ")
            .bind(org.as_str())
            .push(" OR (q.recipient_organisation_id = ")
            .bind(org)
            .push(" AND q.state <> ")
            .bind(InquiryState::Draft.code())
            .push("))");
    }
}

impl StatisticsScope {
    /// Pushes a boolean expression over `fordjupad_cases f`: a case of the organisation's
    /// caseload (its own; partners count none of it).
    pub(crate) fn push_own_fordjupad(&self, sql: &mut Sql) {
        sql.push("f.owner_organisation_id = ")
            .bind(self.organisation.to_string());
    }

    /// Pushes a boolean expression over `finsam_referrals r`: a referral sent to the
    /// organisation's team (it is the förbund; drafts are the referrer's own). Every other
    /// organisation counts none, not even the ones it referred: these are the förbund's figures.
    pub(crate) fn push_own_finsam(&self, sql: &mut Sql) {
        sql.push("(r.forbund_organisation_id = ")
            .bind(self.organisation.to_string())
            .push(" AND r.state <> ")
            .bind(crate::domain::finsam::ReferralState::Draft.code())
            .push(")");
    }
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
    fn leads_the_finsam_coordinator_and_the_statistics_reader_read_figures() {
        for role in STATISTICS_ROLES {
            let who = actor(&[*role]);
            let scope = require_statistics_reader(&who);
            assert!(
                scope.is_ok_and(|s| s.organisation() == who.organisation_id),
                "{role:?}"
            );
        }
        assert!(may_read_statistics(&actor(&[
            Role::Socialsekreterare,
            Role::Statistik
        ])));
    }

    #[test]
    fn caseworkers_and_admins_are_refused_and_the_attempt_audited() {
        for role in [
            Role::Socialsekreterare,
            Role::Rehabkoordinator,
            Role::Handlaggare,
            Role::Arbetsformedlare,
            Role::Jobbcoach,
            Role::OrgAdmin,
        ] {
            let who = actor(&[role]);
            assert!(!may_read_statistics(&who), "{role:?}");
            let refused = require_statistics_reader(&who);
            assert!(
                matches!(&refused, Err(AppError::Refused { code: "role_not_allowed", entry, .. })
                    if entry.action == AuditAction::StatisticsRead
                        && entry.outcome == Outcome::Denied),
                "{role:?}: {refused:?}"
            );
        }
    }

    #[test]
    fn the_statistics_reader_works_no_cases() {
        assert!(!actor(&[Role::Statistik]).works_cases());
        assert!(actor(&[Role::Statistik, Role::Rehabansvarig]).works_cases());
    }

    #[test]
    fn the_inquiry_predicate_keeps_to_the_organisations_own_inquiries() {
        let who = actor(&[Role::Statistik]);
        let scope = require_statistics_reader(&who).ok();
        let mut sql = Sql::new("");
        if let Some(scope) = scope {
            scope.push_own_inquiries(&mut sql);
        }
        let (text, args) = sql.parts();
        assert_eq!(
            text,
            "(q.sender_organisation_id = $1 OR (q.recipient_organisation_id = $2 AND q.state <> $3))"
        );
        let org = who.organisation_id.to_string();
        assert!(matches!(&args[0], crate::sql::Arg::Text(t) if *t == org));
        assert!(matches!(&args[2], crate::sql::Arg::Text(t) if t == "draft"));
    }

    #[test]
    fn the_caseload_figures_count_only_the_organisations_own_cases() {
        let who = actor(&[Role::Rehabansvarig]);
        let scope = require_statistics_reader(&who).ok();
        let mut sql = Sql::new("");
        if let Some(scope) = &scope {
            scope.push_own_fordjupad(&mut sql);
        }
        let (text, args) = sql.parts();
        assert_eq!(text, "f.owner_organisation_id = $1");
        assert!(
            matches!(&args[0], crate::sql::Arg::Text(t) if *t == who.organisation_id.to_string())
        );
    }

    #[test]
    fn the_finsam_figures_count_only_referrals_sent_to_the_callers_forbund() {
        let who = actor(&[Role::Finsamkoordinator]);
        let scope = require_statistics_reader(&who).ok();
        let mut sql = Sql::new("");
        if let Some(scope) = &scope {
            scope.push_own_finsam(&mut sql);
        }
        let (text, args) = sql.parts();
        assert_eq!(text, "(r.forbund_organisation_id = $1 AND r.state <> $2)");
        assert!(
            matches!(&args[0], crate::sql::Arg::Text(t) if *t == who.organisation_id.to_string())
        );
        assert!(matches!(&args[1], crate::sql::Arg::Text(t) if t == "draft"));
    }
}
