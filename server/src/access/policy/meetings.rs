//! The rule for meetings (möten), built on the case rule.
//!
//! A meeting in a case is seen by everyone who sees the case for the meeting's purpose (its
//! participants are invited only from organisations that do), and only while that holds: when
//! the consent ends, the meeting disappears for the organisations it covered. A meeting in no
//! case (a partnership's general meeting) is seen by its organiser and participants. Only the
//! organiser changes or cancels a meeting; each participant answers for themself.

use super::{
    case_access, case_filter, decide_case, denied, is_active_caseworker, require_works_cases,
    Actor, CaseAccess, CaseFacts, CaseFilter, Need,
};
use crate::domain::audit::{AuditAction, AuditEntry, Outcome};
use crate::domain::{
    CaseId, ConsentId, IndividualId, MeetingId, MeetingStatus, OrganisationId, Purpose, Timestamp,
    UserId,
};
use crate::error::{AppError, FieldError};
use crate::sql::Sql;

/// The facts the rule reads about one meeting.
#[derive(Clone, Debug)]
pub struct MeetingFacts {
    pub id: MeetingId,
    pub case_id: Option<CaseId>,
    pub purpose: Purpose,
    pub organiser: UserId,
    pub status: MeetingStatus,
    pub participants: Vec<UserId>,
}

/// Where a meeting is organised: in a case the organiser sees for the purpose, or in none.
/// Only `authorize_meeting_scope` and `MeetingAccess::scope` make one.
#[derive(Clone, Debug)]
pub struct MeetingScope {
    case: Option<CaseAccess>,
    purpose: Purpose,
}

impl MeetingScope {
    pub fn case(&self) -> Option<&CaseAccess> {
        self.case.as_ref()
    }
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }
    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        match &self.case {
            Some(case) => case.audit(actor, action),
            None => {
                let mut entry = actor.audit(action, Outcome::Allowed);
                entry.purpose = Some(self.purpose);
                entry
            }
        }
    }
}

/// May the actor organise a meeting for `purpose` in this case (or in none)? In a case they
/// must see it for the purpose; anyone who works with cases may call a general meeting.
/// `case` is the case named and its facts as loaded.
pub fn meeting_scope(
    actor: &Actor,
    case: Option<(CaseId, Option<CaseFacts>)>,
    purpose: Purpose,
    action: AuditAction,
    now: Timestamp,
) -> Result<MeetingScope, AppError> {
    require_works_cases(
        actor,
        "Din roll arbetar inte med ärenden och kan inte boka möten.",
    )?;
    let case = match case {
        Some((id, facts)) => Some(case_access(
            actor,
            id,
            facts,
            Need::Purpose(purpose),
            action,
            now,
        )?),
        None => None,
    };
    Ok(MeetingScope { case, purpose })
}

/// A user who may be invited: checked by `check_invitees` against the scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invitee {
    pub user_id: UserId,
    pub organisation_id: OrganisationId,
}

/// Proof that every one of these users may take part. Only `check_invitees` makes one.
#[derive(Clone, Debug)]
pub struct Invitees(Vec<Invitee>);

impl Invitees {
    pub fn users(&self) -> &[Invitee] {
        &self.0
    }
    pub fn ids(&self) -> Vec<UserId> {
        self.0.iter().map(|i| i.user_id).collect()
    }
}

/// A user someone wants to invite, as loaded (`None` in `check_invitees`: no such user).
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The user as they would act in the meeting.
    pub user: Actor,
    pub active: bool,
}

/// What checking the invitees found: all may take part, or these organisations lack a
/// consent covering the meeting's purpose (to be named in a 409 `consent_missing`).
pub enum InviteeCheck {
    Allowed(Invitees),
    Uncovered(Vec<OrganisationId>),
}

/// Checks the users to invite: each must be an active user who works with cases and, for a
/// meeting in a case, see the case for the meeting's purpose — which for another
/// organisation means a consent in force covering it (`Uncovered`, naming the organisations
/// without one). Unknown users are field errors under `field`. The organiser and repeats are
/// left out. `facts` are the scope's case's (required when the scope has a case);
/// `candidates` are the users as loaded, in the order of `users`.
pub fn check_invitees(
    scope: &MeetingScope,
    facts: Option<&CaseFacts>,
    users: &[UserId],
    candidates: &[Option<Candidate>],
    organiser: UserId,
    field: &str,
    now: Timestamp,
) -> Result<InviteeCheck, AppError> {
    if scope.case.is_some() && facts.is_none() {
        return Err(AppError::NotFound);
    }
    let need = Need::Purpose(scope.purpose);
    let mut errors = Vec::new();
    let mut uncovered: Vec<OrganisationId> = Vec::new();
    let mut invitees: Vec<Invitee> = Vec::new();
    for (index, (id, candidate)) in users.iter().zip(candidates).enumerate() {
        // The organiser takes part anyway; a repeat is invited once. Errors keep the
        // position the client sent.
        if *id == organiser || users[..index].contains(id) {
            continue;
        }
        let user = match candidate {
            Some(c) if is_active_caseworker(c.active, &c.user.roles) => &c.user,
            _ => {
                errors.push(FieldError::new(
                    format!("{field}[{index}]"),
                    "invalid_participant",
                    "ska vara en aktiv användare som arbetar med ärenden",
                ));
                continue;
            }
        };
        if let Some(facts) = facts {
            if decide_case(user, facts, need, now).is_none() {
                if user.organisation_id == facts.owner {
                    errors.push(FieldError::new(
                        format!("{field}[{index}]"),
                        "no_access_to_case",
                        "användaren har inte tillgång till ärendet (skyddade personuppgifter)",
                    ));
                } else if !uncovered.contains(&user.organisation_id) {
                    uncovered.push(user.organisation_id);
                }
                continue;
            }
        }
        invitees.push(Invitee {
            user_id: user.user_id,
            organisation_id: user.organisation_id,
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if !uncovered.is_empty() {
        return Ok(InviteeCheck::Uncovered(uncovered));
    }
    Ok(InviteeCheck::Allowed(Invitees(invitees)))
}

/// Proof that the actor may see one meeting. Only `authorize_meeting` makes one.
#[derive(Clone, Debug)]
pub struct MeetingAccess {
    facts: MeetingFacts,
    case: Option<CaseAccess>,
}

impl MeetingAccess {
    pub fn meeting_id(&self) -> MeetingId {
        self.facts.id
    }
    pub fn case(&self) -> Option<&CaseAccess> {
        self.case.as_ref()
    }
    pub fn purpose(&self) -> Purpose {
        self.facts.purpose
    }
    pub fn organiser(&self) -> UserId {
        self.facts.organiser
    }
    /// The status when access was granted; changes are made conditional on it.
    pub fn status(&self) -> MeetingStatus {
        self.facts.status
    }
    /// Participating users, the organiser among them.
    pub fn participants(&self) -> &[UserId] {
        &self.facts.participants
    }
    pub fn is_participant(&self, user: UserId) -> bool {
        self.facts.participants.contains(&user)
    }

    /// The scope new participants are checked against.
    pub fn scope(&self) -> MeetingScope {
        MeetingScope {
            case: self.case.clone(),
            purpose: self.facts.purpose,
        }
    }

    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        self.scope().audit(actor, action)
    }

    fn refuse(
        &self,
        actor: &Actor,
        action: AuditAction,
        code: &'static str,
        detail: &'static str,
    ) -> AppError {
        let mut entry = self.audit(actor, action);
        entry.outcome = Outcome::Denied;
        AppError::Refused {
            code,
            detail,
            entry: Box::new(entry),
        }
    }

    /// Refuses (403, audited) anyone but the organiser.
    pub fn require_organiser(&self, actor: &Actor, action: AuditAction) -> Result<(), AppError> {
        if actor.user_id == self.facts.organiser {
            return Ok(());
        }
        Err(self.refuse(
            actor,
            action,
            "not_organiser",
            "Bara den som har kallat till mötet kan ändra det.",
        ))
    }

    /// Refuses (403, audited) anyone who is not invited.
    pub fn require_participant(&self, actor: &Actor, action: AuditAction) -> Result<(), AppError> {
        if self.is_participant(actor.user_id) {
            return Ok(());
        }
        Err(self.refuse(
            actor,
            action,
            "not_participant",
            "Bara den som är kallad till mötet kan svara.",
        ))
    }
}

impl MeetingAccess {
    /// A meeting without a case seen by someone the caller's rule admits (a Finsamteam
    /// meeting's coordinators, `policy::finsam_meeting_access`).
    pub(super) fn partnership(facts: MeetingFacts) -> Option<MeetingAccess> {
        facts
            .case_id
            .is_none()
            .then_some(MeetingAccess { facts, case: None })
    }
}

/// Loads the meeting's facts and applies the rule; unknown and forbidden look the same.
/// May `actor` see the meeting, given its facts and (for a meeting in a case) the case's as
/// loaded? Unknown and forbidden look the same.
pub fn meeting_access(
    actor: &Actor,
    facts: Option<MeetingFacts>,
    case_facts: Option<CaseFacts>,
    action: AuditAction,
    now: Timestamp,
) -> Result<MeetingAccess, AppError> {
    let Some(facts) = facts else {
        return Err(denied(actor, action, |_| {}));
    };
    match facts.case_id {
        Some(case_id) => {
            let need = Need::Purpose(facts.purpose);
            let case = case_access(actor, case_id, case_facts, need, action, now)?;
            Ok(MeetingAccess {
                facts,
                case: Some(case),
            })
        }
        None if actor.works_cases() && facts.participants.contains(&actor.user_id) => {
            Ok(MeetingAccess { facts, case: None })
        }
        None => Err(denied(actor, action, |e| e.purpose = Some(facts.purpose))),
    }
}

/// The meeting-list filter, as SQL over `meetings m LEFT JOIN cases c ON c.id = m.case_id
/// LEFT JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id`: the meetings I take part in, or one
/// case's meetings; a meeting in a case only while I see the case for its purpose.
#[derive(Clone, Debug)]
pub struct MeetingFilter {
    user: UserId,
    case: Option<CaseId>,
    by_purpose: Vec<(Purpose, CaseFilter)>,
}

fn filters(actor: &Actor, now: Timestamp) -> Option<Vec<(Purpose, CaseFilter)>> {
    Purpose::ALL
        .iter()
        .map(|p| case_filter(actor, Need::Purpose(*p), now).map(|f| (*p, f)))
        .collect()
}

/// The meetings I organise or am invited to.
pub fn my_meetings_filter(actor: &Actor, now: Timestamp) -> Option<MeetingFilter> {
    filters(actor, now).map(|by_purpose| MeetingFilter {
        user: actor.user_id,
        case: None,
        by_purpose,
    })
}

/// The meetings of a case I see.
pub fn case_meetings_filter(
    actor: &Actor,
    case: &CaseAccess,
    now: Timestamp,
) -> Option<MeetingFilter> {
    filters(actor, now).map(|by_purpose| MeetingFilter {
        user: actor.user_id,
        case: Some(case.case_id()),
        by_purpose,
    })
}

impl MeetingFilter {
    /// Pushes the case rule for the row's own purpose.
    fn push_case_visible(&self, sql: &mut Sql) {
        sql.push("(");
        for (n, (purpose, filter)) in self.by_purpose.iter().enumerate() {
            sql.push(if n == 0 { "" } else { " OR " })
                .push("(m.purpose = ")
                .bind(purpose.code())
                .push(" AND ");
            filter.push_visible(sql);
            sql.push(")");
        }
        sql.push(")");
    }

    /// Pushes a boolean expression: the row `m` is listed and visible.
    pub(crate) fn push_visible(&self, sql: &mut Sql) {
        match self.case {
            Some(case) => {
                sql.push("(m.case_id = ")
                    .bind(case.to_string())
                    .push(" AND ");
                self.push_case_visible(sql);
                sql.push(")");
            }
            None => {
                sql.push("(EXISTS (SELECT 1 FROM meeting_participants mp WHERE mp.meeting_id = m.id AND mp.user_id = ")
                    .bind(self.user.to_string())
                    .push(") AND (m.case_id IS NULL OR ");
                self.push_case_visible(sql);
                sql.push("))");
            }
        }
    }

    /// Pushes an expression naming the consent that grants access (NULL for the owner and
    /// for meetings in no case).
    pub(crate) fn push_grant(&self, sql: &mut Sql) {
        sql.push("CASE");
        for (purpose, filter) in &self.by_purpose {
            sql.push(" WHEN c.id IS NOT NULL AND m.purpose = ")
                .bind(purpose.code())
                .push(" THEN (");
            filter.push_grant(sql);
            sql.push(")");
        }
        sql.push(" ELSE NULL END");
    }

    /// A listed row of a case is itself proof of access to that case for the purpose.
    pub fn access_for(
        &self,
        purpose: Purpose,
        case_id: CaseId,
        individual_id: IndividualId,
        owner: OrganisationId,
        via: Option<ConsentId>,
    ) -> Option<CaseAccess> {
        self.by_purpose
            .iter()
            .find(|(p, _)| *p == purpose)
            .map(|(_, f)| f.access_for(case_id, individual_id, owner, via))
    }
}
