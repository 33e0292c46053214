//! The event log: every state change appends a thin event (type, ids, sequence, time; never
//! health content) in the same transaction as the change and its audit row.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{CaseId, IndividualId, OrganisationId, Purpose, Timestamp, UserId};

/// Who an event is for. Delivery always re-checks the policy at delivery time, except for
/// `Revoked`, which tells an organisation that it has just lost sight of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Everyone who may see the case for the event's purpose.
    Case,
    /// Those of these organisations who may see the case for the event's purpose.
    Organisations(Vec<OrganisationId>),
    /// These organisations, without a case check (`access_revoked`).
    Revoked(Vec<OrganisationId>),
    /// These users (a notification, an invitation); if the event has a case, only while they
    /// may see it for the event's purpose.
    Users(Vec<UserId>),
}

/// An event to append; the store gives it its sequence number at commit.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// Stable dotted code, e.g. `inquiry.sent`, `consent.ended`, `access_revoked`.
    pub kind: &'static str,
    pub case_id: Option<CaseId>,
    pub individual_id: Option<IndividualId>,
    /// The id of the thing that changed (inquiry, message, consent ...).
    pub subject_id: Option<String>,
    /// The purpose the content is shared for; `None` for the case itself.
    pub purpose: Option<Purpose>,
    pub audience: Audience,
}

/// A committed event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub seq: i64,
    pub at: Timestamp,
    pub kind: String,
    pub case_id: Option<CaseId>,
    pub individual_id: Option<IndividualId>,
    pub subject_id: Option<String>,
    pub purpose: Option<Purpose>,
    pub audience: Audience,
}

/// What a client receives: no individual id, no content.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientEvent<'a> {
    pub seq: i64,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub at: DateTime<Utc>,
    pub case_id: Option<CaseId>,
    pub subject_id: Option<&'a str>,
}

impl Event {
    pub fn client_json(&self) -> String {
        let event = ClientEvent {
            seq: self.seq,
            kind: &self.kind,
            at: self.at.to_datetime(),
            case_id: self.case_id,
            subject_id: self.subject_id.as_deref(),
        };
        serde_json::to_string(&event).unwrap_or_default()
    }
}

pub mod hub;

/// A sign-in session ended (`subject_id`: the session). Never sent to a client: the hub
/// closes the streams opened in that session instead.
pub const SESSION_ENDED: &str = "session.ended";

/// May `actor` receive `event`, given the case's facts as of now? The one delivery rule,
/// for live fan-out and for resumption alike.
pub fn visible_to(
    event: &Event,
    actor: &crate::access::Actor,
    facts: Option<&crate::access::policy::CaseFacts>,
    now: Timestamp,
) -> bool {
    use crate::access::policy::{decide_case, Need};
    if event.kind == SESSION_ENDED {
        return false;
    }
    let need = event.purpose.map_or(Need::Case, Need::Purpose);
    match (&event.audience, facts) {
        (Audience::Revoked(orgs), _) => orgs.contains(&actor.organisation_id),
        (Audience::Users(users), facts) if users.contains(&actor.user_id) => match facts {
            Some(facts) => decide_case(actor, facts, need, now).is_some(),
            None => event.case_id.is_none(),
        },
        (Audience::Users(_), _) => false,
        (Audience::Organisations(orgs), Some(facts)) => {
            orgs.contains(&actor.organisation_id) && decide_case(actor, facts, need, now).is_some()
        }
        (Audience::Case, Some(facts)) => decide_case(actor, facts, need, now).is_some(),
        (_, None) => false,
    }
}
