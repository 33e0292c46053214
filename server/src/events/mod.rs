//! The event log: every state change appends a thin event (type, ids, sequence, time; never
//! health content) in the same transaction as the change and its audit row. The event types
//! themselves are `domain::event`; here are the hub, the stream and the delivery rule.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{CaseId, Timestamp};

pub use crate::domain::event::{Audience, Detail, Event, EventKind, MeetingChange, NewEvent};

/// What a client receives: no individual id, no content.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientEvent<'a> {
    pub seq: i64,
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    pub case_id: Option<CaseId>,
    pub subject_id: Option<&'a str>,
}

impl Event {
    pub fn client_json(&self) -> String {
        let event = ClientEvent {
            seq: self.seq,
            kind: self.kind,
            at: self.at.to_datetime(),
            case_id: self.case_id,
            subject_id: self.subject_id.as_deref(),
        };
        serde_json::to_string(&event).unwrap_or_default()
    }
}

pub mod hub;
mod mailbox;

/// May `actor` receive `event`, given the case's facts as of now? The one delivery rule,
/// for live fan-out and for resumption alike.
pub fn visible_to(
    event: &Event,
    actor: &crate::access::Actor,
    facts: Option<&crate::access::policy::CaseFacts>,
    now: Timestamp,
) -> bool {
    use crate::access::policy::{decide_case, Need};
    if event.kind == EventKind::SessionEnded {
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
