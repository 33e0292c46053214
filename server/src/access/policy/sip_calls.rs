//! The rule for SIP calls (kallelse till SIP), built on the case rule.
//!
//! The case's owning organisation calls (its caseworkers, as for any change of the case).
//! Every called organisation must be covered by an in-force consent for `sip` that the case
//! owner recorded, or the call is refused naming who is not covered. A called organisation
//! sees the call only while that holds: when the consent ends, the call is gone for it. The
//! caller books and cancels; each called organisation answers for itself.

use super::{case_access, case_filter, denied, Actor, CaseAccess, CaseFacts, CaseFilter, Need};
use crate::domain::audit::{AuditEntry, Outcome};
use crate::domain::sip::{CallBox, CallState};
use crate::domain::AuditAction;
use crate::domain::{
    CaseId, ConsentId, IndividualId, OrganisationId, Purpose, SipCallId, Timestamp,
};
use crate::error::AppError;
use crate::sql::Sql;

const SIP_NEED: Need = Need::Purpose(Purpose::Sip);

/// From which side an organisation sees a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SipSide {
    /// The case owner, which called.
    Caller,
    /// One of the called organisations.
    Called,
}

/// What the rule reads about one call. Not for display.
#[derive(Clone, Debug)]
pub struct SipCallFacts {
    pub case_id: CaseId,
    pub caller: OrganisationId,
    pub parties: Vec<OrganisationId>,
    pub state: CallState,
}

/// Proof that the actor may see one call, and from which side. Only `sip_call_access` makes
/// one.
#[derive(Clone, Debug)]
pub struct SipCallAccess {
    case: CaseAccess,
    call_id: SipCallId,
    side: SipSide,
    state: CallState,
    caller: OrganisationId,
    parties: Vec<OrganisationId>,
}

impl SipCallAccess {
    pub fn call_id(&self) -> SipCallId {
        self.call_id
    }
    pub fn case(&self) -> &CaseAccess {
        &self.case
    }
    pub fn side(&self) -> SipSide {
        self.side
    }
    /// The state when access was granted; changes are made conditional on it.
    pub fn state(&self) -> CallState {
        self.state
    }
    pub fn caller(&self) -> OrganisationId {
        self.caller
    }
    pub fn parties(&self) -> &[OrganisationId] {
        &self.parties
    }
    /// The caller and every called organisation: who a call's events are for.
    pub fn organisations(&self) -> Vec<OrganisationId> {
        let mut all = vec![self.caller];
        all.extend(self.parties.iter().copied());
        all
    }

    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        self.case.audit(actor, action)
    }

    /// Refuses (403 `wrong_party`, audited) what only the other side does.
    pub fn require_side(
        &self,
        actor: &Actor,
        side: SipSide,
        action: AuditAction,
    ) -> Result<(), AppError> {
        if self.side == side {
            return Ok(());
        }
        let mut entry = self.audit(actor, action);
        entry.outcome = Outcome::Denied;
        Err(AppError::Refused {
            code: "wrong_party",
            detail: match side {
                SipSide::Caller => "Det här görs av den organisation som kallade till SIP.",
                SipSide::Called => "Det här görs av de kallade organisationerna.",
            },
            entry: Box::new(entry),
        })
    }
}

/// May `actor` see the call, given its facts and its case's as loaded (`None`: no such call)?
/// The caller sees it as it sees the case; a called organisation only while a consent for
/// `sip` the case owner recorded names it. Unknown and forbidden look the same.
pub fn sip_call_access(
    actor: &Actor,
    id: SipCallId,
    facts: Option<SipCallFacts>,
    case_facts: Option<CaseFacts>,
    action: AuditAction,
    now: Timestamp,
) -> Result<SipCallAccess, AppError> {
    let side = facts.as_ref().and_then(|f| {
        if f.caller == actor.organisation_id {
            Some(SipSide::Caller)
        } else if f.parties.contains(&actor.organisation_id) {
            Some(SipSide::Called)
        } else {
            None
        }
    });
    let case_id = facts.as_ref().map(|f| f.case_id);
    let (Some(facts), Some(side)) = (facts, side) else {
        return Err(denied(actor, action, |e| {
            e.purpose = SIP_NEED.purpose();
            e.case_id = case_id;
        }));
    };
    let case = case_access(actor, facts.case_id, case_facts, SIP_NEED, action, now)?;
    Ok(SipCallAccess {
        case,
        call_id: id,
        side,
        state: facts.state,
        caller: facts.caller,
        parties: facts.parties,
    })
}

/// Proof that the actor may call a SIP in the case: a caseworker of its owning organisation.
#[derive(Clone, Debug)]
pub struct SipCallWrite(CaseAccess);

impl SipCallWrite {
    pub fn case(&self) -> &CaseAccess {
        &self.0
    }
    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        self.0.audit(actor, action)
    }
}

/// What checking a new call found: it may be made, or these called organisations lack an
/// in-force consent for `sip` recorded by the case owner (a 409 `consent_missing`).
pub enum SipCallCheck {
    Allowed(SipCallWrite),
    Uncovered(Vec<OrganisationId>),
}

/// May `actor` call `called` to a SIP in the case, given its facts as loaded?
pub fn sip_call_write(
    actor: &Actor,
    case_id: CaseId,
    facts: Option<CaseFacts>,
    called: &[OrganisationId],
    action: AuditAction,
    now: Timestamp,
) -> Result<SipCallCheck, AppError> {
    let uncovered: Vec<OrganisationId> = match &facts {
        Some(f) => called
            .iter()
            .copied()
            .filter(|org| {
                !f.consents
                    .iter()
                    .any(|c| c.bridges(*org, f.owner, SIP_NEED, now))
            })
            .collect(),
        None => Vec::new(),
    };
    let access = case_access(actor, case_id, facts, SIP_NEED, action, now)?;
    if !access.is_owner() {
        let mut entry = access.audit(actor, action);
        entry.outcome = Outcome::Denied;
        return Err(AppError::Refused {
            code: "not_case_owner",
            detail: "Bara den organisation som äger ärendet kan kalla till SIP i det.",
            entry: Box::new(entry),
        });
    }
    Ok(if uncovered.is_empty() {
        SipCallCheck::Allowed(SipCallWrite(access))
    } else {
        SipCallCheck::Uncovered(uncovered)
    })
}

/// The call-list filter: the actor's organisation's inbox (calls to it), its sent calls, or
/// both (`None`), and within them only calls whose case the actor sees for `sip`, as SQL
/// over `sip_calls s JOIN cases c ON c.id = s.case_id JOIN individual_records i ON
/// i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id`.
#[derive(Clone, Debug)]
pub struct SipCallFilter {
    cases: CaseFilter,
    organisation: OrganisationId,
    mailbox: Option<CallBox>,
}

pub fn sip_call_filter(
    actor: &Actor,
    mailbox: Option<CallBox>,
    now: Timestamp,
) -> Option<SipCallFilter> {
    case_filter(actor, SIP_NEED, now).map(|cases| SipCallFilter {
        cases,
        organisation: actor.organisation_id,
        mailbox,
    })
}

impl SipCallFilter {
    pub fn organisation(&self) -> OrganisationId {
        self.organisation
    }

    fn push_called(&self, sql: &mut Sql) {
        sql.push("EXISTS (SELECT 1 FROM sip_call_parties pp WHERE pp.call_id = s.id AND pp.organisation_id = ")
            .bind(self.organisation.to_string())
            .push(")");
    }

    fn push_caller(&self, sql: &mut Sql) {
        sql.push("s.caller_organisation_id = ")
            .bind(self.organisation.to_string());
    }

    /// Pushes a boolean expression: the row `s` is in the box and visible.
    pub(crate) fn push_visible(&self, sql: &mut Sql) {
        sql.push("((");
        match self.mailbox {
            Some(CallBox::Inbox) => self.push_called(sql),
            Some(CallBox::Sent) => self.push_caller(sql),
            None => {
                self.push_caller(sql);
                sql.push(" OR ");
                self.push_called(sql);
            }
        }
        sql.push(") AND ");
        self.cases.push_visible(sql);
        sql.push(")");
    }

    /// Pushes: my organisation is called in `s`, has not answered, and the call is open.
    pub(crate) fn push_awaiting_my_answer(&self, sql: &mut Sql) {
        sql.push("EXISTS (SELECT 1 FROM sip_call_parties pa WHERE pa.call_id = s.id AND pa.organisation_id = ")
            .bind(self.organisation.to_string())
            .push(" AND pa.answer = 'pending') AND s.state IN (")
            .bind(CallState::Called.code())
            .push(", ")
            .bind(CallState::Booked.code())
            .push(")");
    }

    /// Pushes an expression naming the consent that grants access (NULL for the owner).
    pub(crate) fn push_grant(&self, sql: &mut Sql) {
        self.cases.push_grant(sql);
    }

    /// A listed row is itself proof of access to that case.
    pub fn access_for(
        &self,
        case_id: CaseId,
        individual_id: IndividualId,
        owner: OrganisationId,
        via: Option<ConsentId>,
    ) -> CaseAccess {
        self.cases.access_for(case_id, individual_id, owner, via)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use crate::access::policy::{ConsentFacts, Grant};
    use crate::domain::{ConsentStatus, Role, UserId};

    fn actor(organisation: OrganisationId) -> Actor {
        Actor {
            user_id: UserId::new(),
            organisation_id: organisation,
            roles: vec![Role::Socialsekreterare],
            request_id: None,
        }
    }

    fn consent(owner: OrganisationId, names: &[OrganisationId], purpose: Purpose) -> ConsentFacts {
        let now = Timestamp::now();
        ConsentFacts {
            id: ConsentId::new(),
            recorded_by_organisation: owner,
            status: ConsentStatus::Active,
            valid_from: now.plus_days(-1),
            valid_until: now.plus_days(30),
            organisations: names.to_vec(),
            purposes: vec![purpose],
        }
    }

    fn case(owner: OrganisationId, consents: Vec<ConsentFacts>) -> CaseFacts {
        CaseFacts {
            case_id: CaseId::new(),
            individual_id: IndividualId::new(),
            owner,
            responsible: UserId::new(),
            protected_identity: false,
            consents,
        }
    }

    fn call(facts: &CaseFacts, parties: &[OrganisationId]) -> SipCallFacts {
        SipCallFacts {
            case_id: facts.case_id,
            caller: facts.owner,
            parties: parties.to_vec(),
            state: CallState::Called,
        }
    }

    #[test]
    fn every_called_organisation_must_be_covered_for_sip_by_the_owners_consent() {
        let (owner, clinic, af) = (
            OrganisationId::new(),
            OrganisationId::new(),
            OrganisationId::new(),
        );
        let facts = case(
            owner,
            vec![
                consent(owner, &[clinic], Purpose::Sip),
                // Covers AF, but for another purpose.
                consent(owner, &[af], Purpose::Informationsutbyte),
                // Covers AF for sip, but recorded by the clinic: lifts the clinic's secrecy only.
                consent(clinic, &[af], Purpose::Sip),
            ],
        );
        let now = Timestamp::now();
        let check = sip_call_write(
            &actor(owner),
            facts.case_id,
            Some(facts.clone()),
            &[clinic, af],
            AuditAction::SipCallCreate,
            now,
        );
        assert!(matches!(check, Ok(SipCallCheck::Uncovered(ref orgs)) if orgs == &[af]));
        let check = sip_call_write(
            &actor(owner),
            facts.case_id,
            Some(facts.clone()),
            &[clinic],
            AuditAction::SipCallCreate,
            now,
        );
        assert!(matches!(check, Ok(SipCallCheck::Allowed(_))));
    }

    #[test]
    fn only_the_case_owner_calls() {
        let (owner, clinic) = (OrganisationId::new(), OrganisationId::new());
        let facts = case(owner, vec![consent(owner, &[clinic], Purpose::Sip)]);
        let check = sip_call_write(
            &actor(clinic),
            facts.case_id,
            Some(facts.clone()),
            &[],
            AuditAction::SipCallCreate,
            Timestamp::now(),
        );
        assert!(matches!(
            check,
            Err(AppError::Refused {
                code: "not_case_owner",
                ..
            })
        ));
        let unknown = sip_call_write(
            &actor(owner),
            CaseId::new(),
            None,
            &[clinic],
            AuditAction::SipCallCreate,
            Timestamp::now(),
        );
        assert!(matches!(unknown, Err(AppError::Denied(_))));
    }

    #[test]
    fn a_called_organisation_sees_the_call_only_while_covered() {
        let (owner, clinic, stranger) = (
            OrganisationId::new(),
            OrganisationId::new(),
            OrganisationId::new(),
        );
        let covered = case(
            owner,
            vec![consent(owner, &[clinic, stranger], Purpose::Sip)],
        );
        let id = SipCallId::new();
        let now = Timestamp::now();
        let read = |who: OrganisationId, facts: &CaseFacts| {
            sip_call_access(
                &actor(who),
                id,
                Some(call(facts, &[clinic])),
                Some(facts.clone()),
                AuditAction::SipCallRead,
                now,
            )
        };
        let seen = read(clinic, &covered).expect("covered");
        assert_eq!(seen.side(), SipSide::Called);
        assert!(matches!(seen.case().grant(), Grant::Consent(_)));
        assert_eq!(
            read(owner, &covered).map(|a| a.side()).ok(),
            Some(SipSide::Caller)
        );
        // Covered by the consent, but not called.
        assert!(read(stranger, &covered).is_err());
        let mut ended = covered.clone();
        ended.consents[0].status = ConsentStatus::Ended;
        assert!(matches!(read(clinic, &ended), Err(AppError::Denied(_))));
        assert!(read(owner, &ended).is_ok(), "the caller keeps its own call");
    }

    #[test]
    fn each_side_does_only_its_own_steps() {
        let (owner, clinic) = (OrganisationId::new(), OrganisationId::new());
        let facts = case(owner, vec![consent(owner, &[clinic], Purpose::Sip)]);
        let clinic_user = actor(clinic);
        let access = sip_call_access(
            &clinic_user,
            SipCallId::new(),
            Some(call(&facts, &[clinic])),
            Some(facts.clone()),
            AuditAction::SipCallBook,
            Timestamp::now(),
        )
        .expect("covered");
        assert!(access
            .require_side(&clinic_user, SipSide::Called, AuditAction::SipCallAnswer)
            .is_ok());
        let refused = access.require_side(&clinic_user, SipSide::Caller, AuditAction::SipCallBook);
        assert!(
            matches!(refused, Err(AppError::Refused { code: "wrong_party", ref entry, .. }) if entry.outcome == Outcome::Denied)
        );
    }

    #[test]
    fn the_filter_reads_the_box_and_the_case_rule() {
        let org = OrganisationId::new();
        let render = |mailbox| {
            let filter =
                sip_call_filter(&actor(org), mailbox, Timestamp::now()).expect("works cases");
            let mut sql = Sql::new("");
            filter.push_visible(&mut sql);
            sql.parts().0.to_owned()
        };
        assert!(render(Some(CallBox::Inbox)).contains("sip_call_parties pp"));
        assert!(!render(Some(CallBox::Inbox)).contains("s.caller_organisation_id"));
        assert!(render(Some(CallBox::Sent)).contains("s.caller_organisation_id"));
        assert!(!render(Some(CallBox::Sent)).contains("sip_call_parties"));
        let both = render(None);
        assert!(both.contains("sip_call_parties") && both.contains("consent_purposes"));
        let admin = Actor {
            roles: vec![Role::OrgAdmin],
            ..actor(org)
        };
        assert!(sip_call_filter(&admin, None, Timestamp::now()).is_none());
    }
}
