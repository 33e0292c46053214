//! The rule for what is exchanged inside a case, built on the case rule.
//!
//! A rehab inquiry (rehabiliteringsförfrågan) is seen by its two organisations only: the
//! sender (the case owner) as the case rule allows, the recipient clinic once it is sent and
//! only while a consent for `rehabiliteringsforfragan` bridges the clinic and the owner.
//! Case messages are seen by everyone who sees the case for `informationsutbyte`.

use super::{case_access, case_filter, denied, Actor, CaseAccess, CaseFacts, CaseFilter, Need};
use crate::domain::audit::{AuditEntry, Outcome};
use crate::domain::inquiry::{Party, Step};
use crate::domain::AuditAction;
use crate::domain::{
    CaseId, ConsentId, IndividualId, InquiryBox, InquiryId, InquiryState, MessageId,
    OrganisationId, Purpose, Timestamp,
};
use crate::error::AppError;
use crate::sql::Sql;

const INQUIRY_NEED: Need = Need::Purpose(Purpose::Rehabiliteringsforfragan);
const MESSAGE_NEED: Need = Need::Purpose(Purpose::Informationsutbyte);

/// Proof that the actor may see one inquiry, and from which side. Only `authorize_inquiry`
/// makes one.
#[derive(Clone, Debug)]
pub struct InquiryAccess {
    case: CaseAccess,
    inquiry_id: InquiryId,
    party: Party,
    state: InquiryState,
    sender: OrganisationId,
    recipient: OrganisationId,
}

impl InquiryAccess {
    pub fn inquiry_id(&self) -> InquiryId {
        self.inquiry_id
    }
    pub fn case(&self) -> &CaseAccess {
        &self.case
    }
    pub fn party(&self) -> Party {
        self.party
    }
    /// The state when access was granted; changes are made conditional on it.
    pub fn state(&self) -> InquiryState {
        self.state
    }
    pub fn sender(&self) -> OrganisationId {
        self.sender
    }
    pub fn recipient(&self) -> OrganisationId {
        self.recipient
    }

    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        self.case.audit(actor, action)
    }

    /// Refuses (403, audited) a step that is the other side's to take.
    pub fn require_party(
        &self,
        actor: &Actor,
        step: Step,
        action: AuditAction,
    ) -> Result<(), AppError> {
        if step.allowed_for(self.party) {
            return Ok(());
        }
        let mut entry = self.audit(actor, action);
        entry.outcome = Outcome::Denied;
        Err(AppError::Refused {
            code: "wrong_party",
            detail: match self.party {
                Party::Sender => "Det här görs av den mottagande organisationen.",
                Party::Recipient => "Det här görs av den organisation som skickade förfrågan.",
            },
            entry: Box::new(entry),
        })
    }
}

/// What the policy needs to decide on one inquiry. Not for display.
#[derive(Clone, Copy, Debug)]
pub struct InquiryFacts {
    pub case_id: CaseId,
    pub sender: OrganisationId,
    pub recipient: OrganisationId,
    pub state: InquiryState,
}

/// May `actor` see the inquiry, given its facts and its case's as loaded (`None`: no such
/// inquiry)? Unknown and forbidden look the same.
pub fn inquiry_access(
    actor: &Actor,
    id: InquiryId,
    facts: Option<InquiryFacts>,
    case_facts: Option<CaseFacts>,
    action: AuditAction,
    now: Timestamp,
) -> Result<InquiryAccess, AppError> {
    let party = facts.as_ref().and_then(|f| {
        if f.sender == actor.organisation_id {
            Some(Party::Sender)
        } else if f.recipient == actor.organisation_id && f.state != InquiryState::Draft {
            Some(Party::Recipient)
        } else {
            None
        }
    });
    let (Some(facts), Some(party)) = (facts, party) else {
        // The case is named so that its owner sees the attempt in its audit and loggutdrag.
        return Err(denied(actor, action, |e| {
            e.purpose = INQUIRY_NEED.purpose();
            e.case_id = facts.map(|f| f.case_id);
        }));
    };
    let case = case_access(actor, facts.case_id, case_facts, INQUIRY_NEED, action, now)?;
    Ok(InquiryAccess {
        case,
        inquiry_id: id,
        party,
        state: facts.state,
        sender: facts.sender,
        recipient: facts.recipient,
    })
}

/// The consent that would let `recipient` see the case for a rehab inquiry now: active, in
/// its period, naming the recipient and the case owner, covering the purpose.
/// `facts` are the case's, as loaded.
pub fn bridging_consent(
    facts: Option<&CaseFacts>,
    recipient: OrganisationId,
    now: Timestamp,
) -> Option<ConsentId> {
    facts.and_then(|f| {
        f.consents
            .iter()
            .filter(|c| c.bridges(recipient, f.owner, INQUIRY_NEED, now))
            .map(|c| c.id)
            .min()
    })
}

/// The inquiry-list filter: one box of the actor's organisation, and within it only
/// inquiries whose case the actor may see for the purpose, as SQL over
/// `inquiries q JOIN cases c ON c.id = q.case_id JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id`.
#[derive(Clone, Debug)]
pub struct InquiryFilter {
    cases: CaseFilter,
    organisation: OrganisationId,
    mailbox: InquiryBox,
}

pub fn inquiry_filter(actor: &Actor, mailbox: InquiryBox, now: Timestamp) -> Option<InquiryFilter> {
    case_filter(actor, INQUIRY_NEED, now).map(|cases| InquiryFilter {
        cases,
        organisation: actor.organisation_id,
        mailbox,
    })
}

impl InquiryFilter {
    pub fn organisation(&self) -> OrganisationId {
        self.organisation
    }
    pub fn mailbox(&self) -> InquiryBox {
        self.mailbox
    }

    /// Pushes a boolean expression: the row `q` is in the box and visible.
    pub(crate) fn push_visible(&self, sql: &mut Sql) {
        let org = self.organisation.to_string();
        match self.mailbox {
            InquiryBox::Inbox => {
                sql.push("(q.recipient_organisation_id = ")
                    .bind(org)
                    .push(" AND q.state <> ")
                    .bind(InquiryState::Draft.code());
            }
            InquiryBox::Outbox => {
                sql.push("(q.sender_organisation_id = ").bind(org);
            }
        }
        sql.push(" AND ");
        self.cases.push_visible(sql);
        sql.push(")");
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

/// Proof that the actor may read and write a case's messages: they see the case for
/// `informationsutbyte` (the owner always, others under a consent covering that purpose).
#[derive(Clone, Debug)]
pub struct MessagesAccess(CaseAccess);

impl MessagesAccess {
    pub fn case(&self) -> &CaseAccess {
        &self.0
    }
    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        self.0.audit(actor, action)
    }
}

/// May `actor` read and write the case's messages, given its facts as loaded?
pub fn messages_access(
    actor: &Actor,
    case_id: CaseId,
    facts: Option<CaseFacts>,
    action: AuditAction,
    now: Timestamp,
) -> Result<MessagesAccess, AppError> {
    case_access(actor, case_id, facts, MESSAGE_NEED, action, now).map(MessagesAccess)
}

/// Proof that the actor may see one message.
#[derive(Clone, Debug)]
pub struct MessageAccess {
    messages: MessagesAccess,
    message_id: MessageId,
}

impl MessageAccess {
    pub fn messages(&self) -> &MessagesAccess {
        &self.messages
    }
    pub fn message_id(&self) -> MessageId {
        self.message_id
    }
}

/// May `actor` see the message, given the case it was written in and that case's facts as
/// loaded (`None`: no such message)?
pub fn message_access(
    actor: &Actor,
    id: MessageId,
    case: Option<(CaseId, Option<CaseFacts>)>,
    action: AuditAction,
    now: Timestamp,
) -> Result<MessageAccess, AppError> {
    match case {
        Some((case_id, facts)) => Ok(MessageAccess {
            messages: messages_access(actor, case_id, facts, action, now)?,
            message_id: id,
        }),
        None => Err(denied(actor, action, |e| {
            e.purpose = MESSAGE_NEED.purpose()
        })),
    }
}
