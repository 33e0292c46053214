//! The thin layer between the store and the policy: each function loads the facts one
//! decision reads, in the caller's unit of work, and hands them to the policy's pure
//! decision, which alone makes the capability. Nothing here decides anything.

use crate::access::policy::{
    self, Candidate, CaseAccess, CaseWrite, ConsentAccess, ExtractAccess, IndividualAccess,
    InquiryAccess, InviteeCheck, Invitees, LegalHoldAccess, MeetingAccess, MeetingScope,
    MessageAccess, MessagesAccess, Need, PlanAccess, SipCallAccess, SipCallCheck, SipCallWrite,
};
use crate::access::Actor;
use crate::domain::plan::PlanKind;
use crate::domain::AuditAction;
use crate::domain::{
    CaseId, ConsentId, IndividualId, InquiryId, MeetingId, MessageId, OrganisationId, PlanActionId,
    PlanId, Purpose, SipCallId, Timestamp, UserId,
};
use crate::error::AppError;
use crate::store::{self, Reads, StoreError, Tx};

/// Loads the case's facts and applies the rule; unknown and forbidden look the same.
pub async fn authorize_case(
    tx: &mut impl Reads,
    actor: &Actor,
    case_id: CaseId,
    need: Need,
    action: AuditAction,
) -> Result<CaseAccess, AppError> {
    authorize_case_at(tx, actor, case_id, need, action, Timestamp::now()).await
}

/// `authorize_case` at a given instant (tests drive the clock through this).
pub async fn authorize_case_at(
    tx: &mut impl Reads,
    actor: &Actor,
    case_id: CaseId,
    need: Need,
    action: AuditAction,
    now: Timestamp,
) -> Result<CaseAccess, AppError> {
    let facts = store::cases::facts(tx, case_id).await?;
    policy::case_access(actor, case_id, facts, need, action, now)
}

/// One case with the access that lets the actor see it, in one query when it is visible: the
/// policy's list predicate (`case_filter`, the same rule as `case_access`, checked against
/// the same model) narrowed to this case, as the case list reads. When that finds nothing
/// the case's facts go to `case_access`, which denies (audited by `record_denials`) or, if
/// the case became visible in between, grants and the case is read under that access.
pub async fn read_case(
    tx: &mut impl Reads,
    actor: &Actor,
    case_id: CaseId,
    need: Need,
    action: AuditAction,
) -> Result<(CaseAccess, store::cases::CaseView), AppError> {
    let now = Timestamp::now();
    if let Some(filter) = policy::case_filter(actor, need, now) {
        let query = store::cases::CaseQuery {
            case_id: Some(case_id),
            limit: 1,
            ..Default::default()
        };
        if let Some(view) = store::cases::list(tx, &filter, &query).await?.pop() {
            let access = filter.access_for(
                view.id,
                view.individual_id,
                view.owner_organisation_id,
                view.via_consent,
            );
            return Ok((access, view));
        }
    }
    let access = authorize_case_at(tx, actor, case_id, need, action, now).await?;
    let view = store::cases::get(tx, &access).await?;
    Ok((access, view))
}

/// Like `authorize_case`, but only for members of the owning organisation.
pub async fn authorize_case_write(
    tx: &mut impl Reads,
    actor: &Actor,
    case_id: CaseId,
    action: AuditAction,
) -> Result<CaseWrite, AppError> {
    let facts = store::cases::facts(tx, case_id).await?;
    policy::case_write(actor, case_id, facts, action, Timestamp::now())
}

/// Whether the actor's organisation registered the individual and, if not, the individual's
/// cases' facts.
async fn individual_facts(
    tx: &mut impl Reads,
    actor: &Actor,
    individual_id: IndividualId,
) -> Result<(bool, Vec<policy::CaseFacts>), AppError> {
    if store::individuals::registered_by(tx, individual_id, actor.organisation_id).await? {
        return Ok((true, Vec::new()));
    }
    Ok((
        false,
        store::cases::facts_for_individual(tx, individual_id).await?,
    ))
}

pub async fn authorize_individual(
    tx: &mut impl Reads,
    actor: &Actor,
    individual_id: IndividualId,
    action: AuditAction,
) -> Result<IndividualAccess, AppError> {
    let (registered, cases) = individual_facts(tx, actor, individual_id).await?;
    policy::individual_access(
        actor,
        individual_id,
        registered,
        &cases,
        action,
        Timestamp::now(),
    )
}

pub async fn authorize_access_extract(
    tx: &mut impl Reads,
    actor: &Actor,
    individual_id: IndividualId,
) -> Result<ExtractAccess, AppError> {
    let (registered, cases) = individual_facts(tx, actor, individual_id).await?;
    policy::extract_access(actor, individual_id, registered, &cases)
}

pub async fn authorize_consent(
    tx: &mut impl Reads,
    actor: &Actor,
    consent_id: ConsentId,
    action: AuditAction,
) -> Result<ConsentAccess, AppError> {
    let facts = store::consents::facts(tx, consent_id).await?;
    policy::consent_access(actor, consent_id, facts, action, Timestamp::now())
}

/// Loads the inquiry's facts and applies the rule; unknown and forbidden look the same.
pub async fn authorize_inquiry(
    tx: &mut impl Reads,
    actor: &Actor,
    id: InquiryId,
    action: AuditAction,
) -> Result<InquiryAccess, AppError> {
    let (facts, case_facts) = apart(store::inquiries::facts_with_case(tx, id).await?);
    policy::inquiry_access(actor, id, facts, case_facts, action, Timestamp::now())
}

/// The consent that would let `recipient` see the case for a rehab inquiry now: active, in
/// its period, naming the recipient and the case owner, covering the purpose.
pub async fn bridging_consent(
    tx: &mut impl Reads,
    case: &CaseAccess,
    recipient: OrganisationId,
    now: Timestamp,
) -> Result<Option<ConsentId>, AppError> {
    let facts = store::cases::facts(tx, case.case_id()).await?;
    Ok(policy::bridging_consent(facts.as_ref(), recipient, now))
}

pub async fn authorize_messages(
    tx: &mut impl Reads,
    actor: &Actor,
    case_id: CaseId,
    action: AuditAction,
) -> Result<MessagesAccess, AppError> {
    let facts = store::cases::facts(tx, case_id).await?;
    policy::messages_access(actor, case_id, facts, action, Timestamp::now())
}

pub async fn authorize_message(
    tx: &mut impl Reads,
    actor: &Actor,
    id: MessageId,
    action: AuditAction,
) -> Result<MessageAccess, AppError> {
    let case = match store::messages::case_of(tx, id).await? {
        Some(case_id) => Some((case_id, store::cases::facts(tx, case_id).await?)),
        None => None,
    };
    policy::message_access(actor, id, case, action, Timestamp::now())
}

/// May the actor organise a meeting for `purpose` in this case (or in none)?
pub async fn authorize_meeting_scope(
    tx: &mut impl Reads,
    actor: &Actor,
    case_id: Option<CaseId>,
    purpose: Purpose,
    action: AuditAction,
) -> Result<MeetingScope, AppError> {
    let case = match case_id {
        Some(id) => Some((id, store::cases::facts(tx, id).await?)),
        None => None,
    };
    policy::meeting_scope(actor, case, purpose, action, Timestamp::now())
}

/// Loads the users to invite and checks them against the scope (`authorize::check_invitees`);
/// organisations without a covering consent are named in a 409 `consent_missing`.
pub async fn check_invitees(
    tx: &mut impl Reads,
    scope: &MeetingScope,
    users: &[UserId],
    organiser: UserId,
    field: &str,
    now: Timestamp,
) -> Result<Invitees, AppError> {
    let facts = match scope.case() {
        Some(case) => store::cases::facts(tx, case.case_id()).await?,
        None => None,
    };
    let mut candidates = Vec::with_capacity(users.len());
    for id in users {
        candidates.push(match store::users::get(tx, *id).await {
            Ok(user) => Some(Candidate {
                user: Actor::of(&user, None),
                active: user.active,
            }),
            Err(StoreError::NotFound) => None,
            Err(err) => return Err(err.into()),
        });
    }
    match policy::check_invitees(
        scope,
        facts.as_ref(),
        users,
        &candidates,
        organiser,
        field,
        now,
    )? {
        InviteeCheck::Allowed(invitees) => Ok(invitees),
        InviteeCheck::Uncovered(organisations) => {
            let mut names = Vec::new();
            for org in organisations {
                names.push(store::organisations::get(tx, org).await?.name);
            }
            Err(AppError::consent_missing(&names, scope.purpose()))
        }
    }
}

/// Loads the meeting's facts and applies the rule; unknown and forbidden look the same.
pub async fn authorize_meeting(
    tx: &mut impl Reads,
    actor: &Actor,
    id: MeetingId,
    action: AuditAction,
) -> Result<MeetingAccess, AppError> {
    let facts = store::meetings::facts(tx, id).await?;
    let case_facts = match facts.as_ref().and_then(|f| f.case_id) {
        Some(case_id) => store::cases::facts(tx, case_id).await?,
        None => None,
    };
    policy::meeting_access(actor, facts, case_facts, action, Timestamp::now())
}

/// May `actor` set or clear `case_id`'s legal hold?
pub async fn authorize_legal_hold(
    tx: &mut impl Reads,
    actor: &Actor,
    case_id: CaseId,
    action: AuditAction,
) -> Result<LegalHoldAccess, AppError> {
    let facts = store::cases::facts(tx, case_id).await?;
    policy::legal_hold_access(actor, case_id, facts, action, Timestamp::now())
}

/// Loads the call's facts and applies the rule; unknown and forbidden look the same.
pub async fn authorize_sip_call(
    tx: &mut Tx,
    actor: &Actor,
    id: SipCallId,
    action: AuditAction,
) -> Result<SipCallAccess, AppError> {
    let (facts, case_facts) = apart(store::sip_calls::facts_with_case(tx, id).await?);
    policy::sip_call_access(actor, id, facts, case_facts, action, Timestamp::now())
}

/// May the actor call `called` to a SIP in the case? Called organisations without an
/// in-force consent for `sip` recorded by the case owner are named in a 409
/// `consent_missing`.
pub async fn authorize_sip_call_write(
    tx: &mut Tx,
    actor: &Actor,
    case_id: CaseId,
    called: &[OrganisationId],
    action: AuditAction,
) -> Result<SipCallWrite, AppError> {
    let facts = store::cases::facts(tx, case_id).await?;
    match policy::sip_call_write(actor, case_id, facts, called, action, Timestamp::now())? {
        SipCallCheck::Allowed(write) => Ok(write),
        SipCallCheck::Uncovered(organisations) => {
            let mut names = Vec::new();
            for org in organisations {
                names.push(store::organisations::get(tx, org).await?.name);
            }
            Err(AppError::consent_missing(&names, Purpose::Sip))
        }
    }
}

/// Loads the plan's facts and applies the rule; unknown and forbidden look the same.
pub async fn authorize_plan(
    tx: &mut Tx,
    actor: &Actor,
    id: PlanId,
    action: AuditAction,
) -> Result<PlanAccess, AppError> {
    let (facts, case_facts) = apart(store::plans::facts_with_case(tx, id).await?);
    policy::plan_access(actor, id, facts, case_facts, action, Timestamp::now())
}

/// The consent gate of a plan: every organisation in `organisations` other than the case's
/// owner must be covered by an in-force consent for the kind's purpose recorded by the
/// owner, else 409 `consent_missing` naming them and the purpose.
pub async fn check_plan_consent(
    tx: &mut Tx,
    case: &CaseAccess,
    kind: PlanKind,
    organisations: impl IntoIterator<Item = OrganisationId>,
    now: Timestamp,
) -> Result<(), AppError> {
    let Some(facts) = store::cases::facts(tx, case.case_id()).await? else {
        return Err(AppError::NotFound);
    };
    let uncovered = policy::uncovered_organisations(&facts, kind, organisations, now);
    if uncovered.is_empty() {
        return Ok(());
    }
    let mut names = Vec::new();
    for org in uncovered {
        names.push(store::organisations::get(tx, org).await?.name);
    }
    Err(AppError::consent_missing(&names, kind.purpose()))
}

/// The organisations among `organisations` no consent for the kind's purpose covers now.
pub async fn plan_uncovered(
    tx: &mut Tx,
    case: &CaseAccess,
    kind: PlanKind,
    organisations: impl IntoIterator<Item = OrganisationId>,
    now: Timestamp,
) -> Result<Vec<OrganisationId>, AppError> {
    Ok(match store::cases::facts(tx, case.case_id()).await? {
        Some(facts) => policy::uncovered_organisations(&facts, kind, organisations, now),
        None => Vec::new(),
    })
}

/// The plan's open actions whose responsible organisation has lost consent.
pub async fn plan_needs_new_responsible(
    tx: &mut Tx,
    case: &CaseAccess,
    kind: PlanKind,
    actions: &[(PlanActionId, OrganisationId, bool)],
    now: Timestamp,
) -> Result<Vec<PlanActionId>, AppError> {
    Ok(match store::cases::facts(tx, case.case_id()).await? {
        Some(facts) => policy::needs_new_responsible(&facts, kind, actions, now),
        None => Vec::new(),
    })
}

/// Loads the Finsam referral's facts and applies the rule; unknown and forbidden look the same.
pub async fn authorize_finsam_referral(
    tx: &mut Tx,
    actor: &Actor,
    id: crate::domain::FinsamReferralId,
    action: AuditAction,
) -> Result<policy::ReferralAccess, AppError> {
    let (facts, case_facts) = apart(store::finsam::facts_with_case(tx, id).await?);
    policy::referral_access(actor, id, facts, case_facts, action, Timestamp::now())
}

/// May the actor draft a Finsam referral in the case (its owning organisation)?
pub async fn authorize_finsam_referral_write(
    tx: &mut Tx,
    actor: &Actor,
    case_id: CaseId,
    action: AuditAction,
) -> Result<policy::ReferralWrite, AppError> {
    let facts = store::cases::facts(tx, case_id).await?;
    policy::referral_write(actor, case_id, facts, action, Timestamp::now())
}

/// Loads the case's facts for its fördjupad samverkan and applies the rule.
pub async fn authorize_fordjupad(
    tx: &mut Tx,
    actor: &Actor,
    case_id: CaseId,
    action: AuditAction,
) -> Result<policy::FordjupadAccess, AppError> {
    let facts = store::cases::facts(tx, case_id).await?;
    policy::fordjupad_access(actor, case_id, facts, action, Timestamp::now())
}

/// The case's fördjupad samverkan as it stands, once the case has been brought to the
/// rehabansvarig; 404 when it never was.
pub async fn brought(
    tx: &mut Tx,
    access: &policy::FordjupadAccess,
) -> Result<store::fordjupad::FordjupadCase, AppError> {
    store::fordjupad::get(tx, access)
        .await?
        .ok_or(AppError::NotFound)
}

/// A subject's facts and its case's, as found together, apart (neither when not found).
fn apart<S, C>(found: Option<(S, Option<C>)>) -> (Option<S>, Option<C>) {
    found.map_or((None, None), |(subject, case)| (Some(subject), case))
}
