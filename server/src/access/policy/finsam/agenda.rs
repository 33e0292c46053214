//! The rule for Finsamteam meetings and their agenda of several individuals.
//!
//! A Finsamteam meeting is a meeting without a case (kind Finsamteam-möte) that names its
//! förbund. The förbund's coordinators (role `finsamkoordinator`) book it, see it and manage
//! its agenda; the users invited to it (from the förbund and its team's member organisations)
//! see it and, once it is published, its agenda.
//!
//! An agenda item shows its person and content to a viewer only if the referral's own written
//! consent for `finsamteam` — recorded by the referrer, the case's owner — is in force and
//! names the viewer's organisation (the referrer's own organisation sees its case as the case
//! rule says). For everyone else the item is withheld: its position and nothing that tells
//! who it is about. When the consent ends, the item is withheld at once.

use super::super::meetings::{MeetingAccess, MeetingFacts};
use super::super::{decide_case, denied, Actor, CaseFacts, Grant, Need};
use crate::domain::audit::{AuditEntry, Outcome};
use crate::domain::{
    AuditAction, CaseId, ConsentId, IndividualId, MeetingId, MeetingStatus, OrganisationId,
    Purpose, Role, Timestamp, UserId,
};
use crate::error::AppError;
use crate::sql::Sql;

const NEED: Need = Need::Purpose(Purpose::Finsamteam);

/// Is `actor` a coordinator of `forbund`?
fn coordinates(actor: &Actor, forbund: OrganisationId) -> bool {
    actor.organisation_id == forbund && actor.roles.contains(&Role::Finsamkoordinator)
}

/// Proof that the actor may book a Finsamteam meeting for its förbund: a coordinator. Only
/// `finsam_meeting_book` makes one.
#[derive(Clone, Debug)]
pub struct FinsamMeetingBook {
    forbund: OrganisationId,
}

impl FinsamMeetingBook {
    pub fn forbund(&self) -> OrganisationId {
        self.forbund
    }
}

fn not_coordinator(actor: &Actor, action: AuditAction) -> AppError {
    let mut entry = actor.audit(action, Outcome::Denied);
    entry.purpose = Some(Purpose::Finsamteam);
    AppError::Refused {
        code: "not_coordinator",
        detail: "Det här görs av förbundets Finsam-koordinator.",
        entry: Box::new(entry),
    }
}

/// May `actor` book a Finsamteam meeting? Only a Finsam coordinator, for its own förbund
/// (403 `not_coordinator`, audited).
pub fn finsam_meeting_book(
    actor: &Actor,
    action: AuditAction,
) -> Result<FinsamMeetingBook, AppError> {
    if actor.roles.contains(&Role::Finsamkoordinator) {
        Ok(FinsamMeetingBook {
            forbund: actor.organisation_id,
        })
    } else {
        Err(not_coordinator(actor, action))
    }
}

/// May a user of `organisation` take part in (or be a party of) the förbund's team work: the
/// förbund itself or one of its team's member organisations.
pub fn in_team(forbund: OrganisationId, members: &[OrganisationId], org: OrganisationId) -> bool {
    org == forbund || members.contains(&org)
}

/// What the rule reads about a Finsamteam meeting beyond the meeting's own facts.
#[derive(Clone, Debug)]
pub struct FinsamMeetingFacts {
    pub meeting: MeetingFacts,
    pub forbund: OrganisationId,
    pub published_at: Option<Timestamp>,
}

/// From which side the actor sees a Finsamteam meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeetingSide {
    /// A coordinator of its förbund: manages the agenda.
    Coordinator,
    /// Invited to it.
    Participant,
}

/// Proof that the actor may see one Finsamteam meeting. Only `finsam_meeting_access` makes
/// one.
#[derive(Clone, Debug)]
pub struct FinsamMeetingAccess {
    meeting: MeetingAccess,
    forbund: OrganisationId,
    published_at: Option<Timestamp>,
    side: MeetingSide,
}

impl FinsamMeetingAccess {
    pub fn meeting(&self) -> &MeetingAccess {
        &self.meeting
    }
    pub fn meeting_id(&self) -> MeetingId {
        self.meeting.meeting_id()
    }
    pub fn forbund(&self) -> OrganisationId {
        self.forbund
    }
    pub fn side(&self) -> MeetingSide {
        self.side
    }
    pub fn published_at(&self) -> Option<Timestamp> {
        self.published_at
    }
    /// Participating users, the organiser among them: who the meeting's events are for.
    pub fn participants(&self) -> &[UserId] {
        self.meeting.participants()
    }
    /// The coordinators see the agenda as it is being made; participants once published.
    pub fn shows_agenda(&self) -> bool {
        self.side == MeetingSide::Coordinator || self.published_at.is_some()
    }

    /// An audit row about the meeting itself (no case: it names no individual).
    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        let mut entry = actor.audit(action, Outcome::Allowed);
        entry.purpose = Some(Purpose::Finsamteam);
        entry
    }

    /// Refuses (403 `not_coordinator`, audited) a participant's attempt to change the agenda;
    /// 409 `meeting_cancelled` for a cancelled meeting.
    pub fn require_coordinator(&self, actor: &Actor, action: AuditAction) -> Result<(), AppError> {
        if self.side != MeetingSide::Coordinator {
            return Err(not_coordinator(actor, action));
        }
        match self.meeting.status() {
            MeetingStatus::Scheduled => Ok(()),
            MeetingStatus::Cancelled => Err(AppError::Conflict {
                code: "meeting_cancelled",
                detail: "Mötet är inställt och kan inte ändras.".into(),
            }),
        }
    }
}

/// May `actor` see the Finsamteam meeting (`None`: no such meeting)? Its förbund's
/// coordinators, and the users invited to it. Unknown and forbidden look the same.
pub fn finsam_meeting_access(
    actor: &Actor,
    facts: Option<FinsamMeetingFacts>,
    action: AuditAction,
    now: Timestamp,
) -> Result<FinsamMeetingAccess, AppError> {
    let Some(facts) = facts else {
        return Err(denied(actor, action, |e| {
            e.purpose = Some(Purpose::Finsamteam)
        }));
    };
    let (forbund, published_at) = (facts.forbund, facts.published_at);
    let (meeting, side) = if coordinates(actor, forbund) {
        let Some(meeting) = MeetingAccess::partnership(facts.meeting) else {
            return Err(denied(actor, action, |_| {}));
        };
        (meeting, MeetingSide::Coordinator)
    } else {
        let meeting = super::super::meeting_access(actor, Some(facts.meeting), None, action, now)?;
        if meeting.case().is_some() {
            return Err(denied(actor, action, |_| {}));
        }
        (meeting, MeetingSide::Participant)
    };
    Ok(FinsamMeetingAccess {
        meeting,
        forbund,
        published_at,
        side,
    })
}

/// Proof that the actor may see one agenda item's person and content, and under what. Only
/// `agenda_item_view` makes one.
#[derive(Clone, Debug)]
pub struct AgendaItemView {
    case_id: CaseId,
    individual_id: IndividualId,
    grant: Grant,
}

impl AgendaItemView {
    pub fn case_id(&self) -> CaseId {
        self.case_id
    }
    pub fn individual_id(&self) -> IndividualId {
        self.individual_id
    }
    /// The audit row of reading the item's person and content.
    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        let mut entry = actor.audit(action, Outcome::Allowed);
        entry.case_id = Some(self.case_id);
        entry.individual_id = Some(self.individual_id);
        entry.purpose = Some(Purpose::Finsamteam);
        if let Grant::Consent(id) = self.grant {
            entry.consent_id = Some(id);
        }
        entry
    }
}

/// May `actor` see the person and content of an agenda item whose referral's case has
/// `facts` and which was sent under `referral_consent`? The case's owner as the case rule
/// says; another organisation only while that very consent is in force, names it and covers
/// `finsamteam`. `None`: the item is withheld.
pub fn agenda_item_view(
    actor: &Actor,
    facts: &CaseFacts,
    referral_consent: Option<ConsentId>,
    now: Timestamp,
) -> Option<AgendaItemView> {
    let view = |grant| AgendaItemView {
        case_id: facts.case_id,
        individual_id: facts.individual_id,
        grant,
    };
    if !actor.works_cases() {
        return None;
    }
    if facts.owner == actor.organisation_id {
        return decide_case(actor, facts, NEED, now).map(view);
    }
    let consent = referral_consent?;
    facts
        .consents
        .iter()
        .find(|c| c.id == consent)
        .filter(|c| c.bridges(actor.organisation_id, facts.owner, NEED, now))
        .map(|c| view(Grant::Consent(c.id)))
}

/// The Finsamteam meetings `actor` may see, as SQL over `finsam_meetings fm`: its förbund's
/// (a coordinator) and those it is invited to.
#[derive(Clone, Debug)]
pub struct FinsamMeetingFilter {
    organisation: Option<OrganisationId>,
    user: UserId,
}

pub fn finsam_meeting_filter(actor: &Actor) -> Option<FinsamMeetingFilter> {
    actor.works_cases().then(|| FinsamMeetingFilter {
        organisation: actor
            .roles
            .contains(&Role::Finsamkoordinator)
            .then_some(actor.organisation_id),
        user: actor.user_id,
    })
}

impl FinsamMeetingFilter {
    /// Pushes a boolean expression: the meeting `fm` is one the actor sees.
    pub(crate) fn push_visible(&self, sql: &mut Sql) {
        sql.push("(");
        if let Some(org) = self.organisation {
            sql.push("fm.forbund_organisation_id = ")
                .bind(org.to_string())
                .push(" OR ");
        }
        sql.push(
            "EXISTS (SELECT 1 FROM meeting_participants mp WHERE mp.meeting_id = fm.meeting_id \
             AND mp.user_id = ",
        )
        .bind(self.user.to_string())
        .push("))");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::policy::ConsentFacts;
    use crate::domain::ConsentStatus;

    fn actor(org: OrganisationId, roles: &[Role]) -> Actor {
        Actor {
            user_id: UserId::new(),
            organisation_id: org,
            roles: roles.to_vec(),
            request_id: None,
        }
    }

    fn consent(
        recorder: OrganisationId,
        orgs: &[OrganisationId],
        purposes: &[Purpose],
    ) -> ConsentFacts {
        let now = Timestamp::now();
        ConsentFacts {
            id: ConsentId::new(),
            recorded_by_organisation: recorder,
            status: ConsentStatus::Active,
            valid_from: Timestamp::from_micros(now.micros() - 1_000_000),
            valid_until: Timestamp::from_micros(now.micros() + 86_400_000_000),
            organisations: orgs.to_vec(),
            purposes: purposes.to_vec(),
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

    #[test]
    fn an_item_shows_only_to_organisations_its_own_consent_names() {
        let (owner, forbund, af, fk) = (
            OrganisationId::new(),
            OrganisationId::new(),
            OrganisationId::new(),
            OrganisationId::new(),
        );
        let written = consent(owner, &[forbund, af], &[Purpose::Finsamteam]);
        let other = consent(owner, &[fk], &[Purpose::Finsamteam]);
        let facts = case(owner, vec![written.clone(), other]);
        let now = Timestamp::now();
        let sees = |org, roles: &[Role]| {
            agenda_item_view(&actor(org, roles), &facts, Some(written.id), now).is_some()
        };
        assert!(sees(owner, &[Role::Handlaggare]));
        assert!(sees(forbund, &[Role::Finsamkoordinator]));
        assert!(sees(af, &[Role::Handlaggare]));
        // Another consent for the purpose is not the referral's: FK's item is withheld.
        assert!(!sees(fk, &[Role::Handlaggare]));
        // No role that works cases, no identity.
        assert!(!sees(af, &[Role::Statistik]));
        // A consent of the wrong purpose, or ended, withholds it.
        let oral = consent(owner, &[af], &[Purpose::Sip]);
        let facts = case(owner, vec![oral.clone()]);
        assert!(
            agenda_item_view(&actor(af, &[Role::Handlaggare]), &facts, Some(oral.id), now)
                .is_none()
        );
        let mut ended = written.clone();
        ended.status = ConsentStatus::Ended;
        let facts = case(owner, vec![ended]);
        let view = agenda_item_view(
            &actor(af, &[Role::Handlaggare]),
            &facts,
            Some(written.id),
            now,
        );
        assert!(view.is_none());
        // A consent recorded by someone else never lifts the owner's secrecy.
        let foreign = consent(af, &[forbund], &[Purpose::Finsamteam]);
        let facts = case(owner, vec![foreign.clone()]);
        let coordinator = actor(forbund, &[Role::Finsamkoordinator]);
        assert!(agenda_item_view(&coordinator, &facts, Some(foreign.id), now).is_none());
    }

    #[test]
    fn the_audit_row_of_a_seen_item_names_its_consent() {
        let (owner, af) = (OrganisationId::new(), OrganisationId::new());
        let written = consent(owner, &[af], &[Purpose::Finsamteam]);
        let facts = case(owner, vec![written.clone()]);
        let viewer = actor(af, &[Role::Handlaggare]);
        let view = agenda_item_view(&viewer, &facts, Some(written.id), Timestamp::now());
        let entry = view.map(|v| v.audit(&viewer, AuditAction::FinsamMeetingRead));
        let entry = entry.as_ref();
        assert_eq!(entry.and_then(|e| e.consent_id), Some(written.id));
        assert_eq!(entry.and_then(|e| e.case_id), Some(facts.case_id));
    }

    fn meeting_facts(forbund: OrganisationId, participants: Vec<UserId>) -> FinsamMeetingFacts {
        FinsamMeetingFacts {
            meeting: MeetingFacts {
                id: MeetingId::new(),
                case_id: None,
                purpose: Purpose::Finsamteam,
                organiser: participants.first().copied().unwrap_or_else(UserId::new),
                status: MeetingStatus::Scheduled,
                participants,
            },
            forbund,
            published_at: None,
        }
    }

    #[test]
    fn coordinators_manage_the_meeting_and_participants_see_it_once_published() {
        let (forbund, af) = (OrganisationId::new(), OrganisationId::new());
        let coordinator = actor(forbund, &[Role::Finsamkoordinator]);
        let invited = actor(af, &[Role::Handlaggare]);
        let stranger = actor(af, &[Role::Handlaggare]);
        let facts = meeting_facts(forbund, vec![invited.user_id]);
        let action = AuditAction::FinsamMeetingRead;
        let now = Timestamp::now();
        let c = finsam_meeting_access(&coordinator, Some(facts.clone()), action, now);
        assert!(c
            .as_ref()
            .is_ok_and(|a| a.side() == MeetingSide::Coordinator && a.shows_agenda()));
        let p = finsam_meeting_access(&invited, Some(facts.clone()), action, now);
        let p = p.ok();
        assert!(p
            .as_ref()
            .is_some_and(|a| a.side() == MeetingSide::Participant));
        assert!(
            p.as_ref().is_some_and(|a| !a.shows_agenda()),
            "not before it is published"
        );
        assert!(p.is_some_and(|a| a.require_coordinator(&invited, action).is_err()));
        let mut published = facts.clone();
        published.published_at = Some(now);
        let p = finsam_meeting_access(&invited, Some(published), action, now);
        assert!(p.is_ok_and(|a| a.shows_agenda()));
        assert!(finsam_meeting_access(&stranger, Some(facts.clone()), action, now).is_err());
        // A coordinator of another förbund sees nothing.
        let elsewhere = actor(OrganisationId::new(), &[Role::Finsamkoordinator]);
        assert!(finsam_meeting_access(&elsewhere, Some(facts), action, now).is_err());
        assert!(finsam_meeting_book(&invited, AuditAction::FinsamMeetingCreate).is_err());
        let book = finsam_meeting_book(&coordinator, AuditAction::FinsamMeetingCreate);
        assert!(book.is_ok_and(|b| b.forbund() == forbund));
    }

    #[test]
    fn the_list_filter_names_the_forbund_only_for_its_coordinators() {
        let forbund = OrganisationId::new();
        let mut sql = Sql::new("");
        finsam_meeting_filter(&actor(forbund, &[Role::Finsamkoordinator]))
            .into_iter()
            .for_each(|f| f.push_visible(&mut sql));
        assert!(sql.parts().0.contains("fm.forbund_organisation_id"));
        let mut sql = Sql::new("");
        finsam_meeting_filter(&actor(forbund, &[Role::Handlaggare]))
            .into_iter()
            .for_each(|f| f.push_visible(&mut sql));
        assert!(!sql.parts().0.contains("fm.forbund_organisation_id"));
        assert!(sql.parts().0.contains("mp.user_id"));
        assert!(finsam_meeting_filter(&actor(forbund, &[Role::OrgAdmin])).is_none());
        assert!(in_team(forbund, &[], forbund));
    }
}
