//! A SIP plan and the call it comes from: the plan names its call when it is started, and
//! adopting it holds the call (WORKFLOWS.md §2: the SIP plan is drawn up at the meeting).

use crate::access::{authorize, Actor};
use crate::domain::plan::PlanKind;
use crate::domain::{AuditAction, CaseId, PlanId, SipCallId};
use crate::error::{AppError, AppResult};
use crate::store::{sip_calls, Tx};

/// A SIP plan drawn up from a call: the call must be one of this case's that the caller's
/// organisation made (422 `unknown_sip_call` otherwise, the same for a call it cannot see).
pub(super) async fn check_sip_call(
    tx: &mut Tx,
    actor: &Actor,
    case_id: CaseId,
    kind: PlanKind,
    call: SipCallId,
) -> AppResult<()> {
    let field = |code: &str, message: &str| AppError::field("sip_call_id", code, message);
    if kind != PlanKind::Sip {
        return Err(field(
            "not_a_sip_plan",
            "Bara en SIP kan upprättas från en kallelse till SIP.",
        ));
    }
    let unknown = || {
        field(
            "unknown_sip_call",
            "Kallelsen finns inte i det här ärendet.",
        )
    };
    let access =
        match authorize::authorize_sip_call(tx, actor, call, AuditAction::SipCallRead).await {
            Ok(access) => access,
            Err(AppError::NotFound | AppError::Denied(_) | AppError::Forbidden { .. }) => {
                return Err(unknown())
            }
            Err(err) => return Err(err),
        };
    if access.case().case_id() != case_id || access.caller() != actor.organisation_id {
        return Err(unknown());
    }
    Ok(())
}

/// The SIP plan adopted from its call's meeting: the call is held (a call already held or
/// cancelled stays as it is), audited on the call's case.
pub(super) async fn hold_sip_call(
    tx: &mut Tx,
    actor: &Actor,
    call: SipCallId,
    plan: PlanId,
) -> AppResult<()> {
    let action = AuditAction::SipCallHold;
    let Ok(access) = authorize::authorize_sip_call(tx, actor, call, action).await else {
        return Ok(());
    };
    if sip_calls::mark_held(tx, call, plan).await? {
        tx.audit(access.audit(actor, action));
    }
    Ok(())
}
