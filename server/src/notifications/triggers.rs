//! How each rule finds its recipients and tells them: called by `rules` at commit, over the
//! transaction's events, and by the `scheduler` for reminders. Never by a handler.

use crate::access::policy::Need;
use crate::config::Settings;
use crate::domain::event::MeetingChange;
use crate::domain::inquiry::Step;
use crate::domain::{
    CaseId, ConsentId, InquiryId, MeetingId, MessageId, OrganisationId, Purpose, Role, SipCallId,
    UserId,
};
use crate::store::meetings;
use crate::store::notifications as stored;
use crate::store::organisations;
use crate::store::sip_calls::chase as sip;
use crate::store::{cases, StoreResult, Tx};

use super::{notify, notify_address, Notice, NotificationKind};

const INQUIRY_NEED: Need = Need::Purpose(Purpose::Rehabiliteringsforfragan);

/// After an inquiry step: sent → the clinic's rehab coordinators and its shared inbox;
/// assigned → the assignee; answered or declined → the sender and the case's responsible.
pub(super) async fn inquiry_step(
    tx: &mut Tx,
    settings: &Settings,
    id: InquiryId,
    step: Step,
) -> StoreResult<()> {
    let people = stored::inquiry_people(tx, id).await?;
    let (kind, users) = match step {
        Step::Send => {
            if let Some(address) = people.recipient_functional_email.as_deref() {
                let path = format!("/forfragningar/{id}");
                notify_address(
                    tx,
                    settings,
                    NotificationKind::InquiryReceived,
                    &path,
                    address,
                    None,
                )
                .await?;
            }
            let coordinators =
                stored::users_with_role(tx, people.recipient, Role::Rehabkoordinator).await?;
            (NotificationKind::InquiryReceived, coordinators)
        }
        Step::Assign => (
            NotificationKind::InquiryAssigned,
            people.assignee.into_iter().collect(),
        ),
        Step::Answer => (
            NotificationKind::InquiryAnswered,
            vec![people.sender_user, people.responsible_user],
        ),
        Step::Decline => (
            NotificationKind::InquiryDeclined,
            vec![people.sender_user, people.responsible_user],
        ),
        _ => return Ok(()),
    };
    let notice = Notice {
        kind,
        case_id: Some(people.case_id),
        subject_id: Some(id.to_string()),
        need: Some(INQUIRY_NEED),
        calendar: None,
    };
    notify(tx, settings, &notice, &users).await?;
    Ok(())
}

/// An inquiry past its answer date: whoever should answer it (the assignee, or else the
/// clinic's rehab coordinators) and its sender.
pub(super) async fn inquiry_overdue(
    tx: &mut Tx,
    settings: &Settings,
    id: InquiryId,
) -> StoreResult<()> {
    let people = stored::inquiry_people(tx, id).await?;
    let mut users = match people.assignee {
        Some(user) => vec![user],
        None => stored::users_with_role(tx, people.recipient, Role::Rehabkoordinator).await?,
    };
    users.push(people.sender_user);
    let notice = Notice {
        kind: NotificationKind::InquiryOverdue,
        case_id: Some(people.case_id),
        subject_id: Some(id.to_string()),
        need: Some(INQUIRY_NEED),
        calendar: None,
    };
    notify(tx, settings, &notice, &users).await?;
    Ok(())
}

/// A new case message: the users of the other organisations in the case who may read it.
/// In the owning organisation that is the responsible user; in a partner organisation those
/// who have taken part in the case, or, when nobody has yet, its case workers.
pub(super) async fn message_created(
    tx: &mut Tx,
    settings: &Settings,
    case_id: CaseId,
    message: MessageId,
    author_organisation: OrganisationId,
) -> StoreResult<()> {
    let Some(facts) = cases::facts(tx, case_id).await? else {
        return Ok(());
    };
    let mut organisations: Vec<OrganisationId> = facts
        .consents
        .iter()
        .filter(|c| c.recorded_by_organisation == facts.owner)
        .flat_map(|c| c.organisations.iter().copied())
        .filter(|org| *org != author_organisation && *org != facts.owner)
        .collect();
    organisations.sort();
    organisations.dedup();
    let mut users = Vec::new();
    if facts.owner != author_organisation {
        users.push(facts.responsible);
    }
    let whom = stored::Whom {
        users: &users,
        involved_in: Some((case_id, &organisations)),
    };
    let notice = Notice {
        kind: NotificationKind::MessageReceived,
        case_id: Some(case_id),
        subject_id: Some(message.to_string()),
        need: Some(Need::Purpose(Purpose::Informationsutbyte)),
        calendar: None,
    };
    super::notify_under(tx, settings, &notice, whom, Some(&facts)).await?;
    Ok(())
}

/// Organisations that lost sight of a case: the users there who had taken part in it.
/// No case check: they can no longer see it, which is the news.
pub(super) async fn access_revoked(
    tx: &mut Tx,
    settings: &Settings,
    case_id: CaseId,
    organisations: &[OrganisationId],
    consent: ConsentId,
) -> StoreResult<()> {
    let mut users = Vec::new();
    for org in organisations {
        users.extend(stored::involved_users(tx, case_id, *org).await?);
    }
    let notice = Notice {
        kind: NotificationKind::AccessRevoked,
        case_id: Some(case_id),
        subject_id: Some(consent.to_string()),
        need: None,
        calendar: None,
    };
    notify(tx, settings, &notice, &users).await?;
    Ok(())
}

/// A consent ending soon: who recorded it and the case's responsible user.
pub(super) async fn consent_ending(
    tx: &mut Tx,
    settings: &Settings,
    consent: &stored::EndingConsent,
) -> StoreResult<()> {
    let mut users = vec![consent.recorded_by];
    users.extend(consent.responsible);
    let notice = Notice {
        kind: NotificationKind::ConsentEnding,
        case_id: consent.case_id,
        subject_id: Some(consent.id.to_string()),
        need: consent.case_id.map(|_| Need::Case),
        calendar: None,
    };
    notify(tx, settings, &notice, &users).await?;
    Ok(())
}

/// A consent ended or annulled by someone other than its recorder (ending may be recorded by
/// any organisation the consent names): its recorder is told.
pub(super) async fn consent_changed(
    tx: &mut Tx,
    settings: &Settings,
    consent: ConsentId,
    case_id: Option<CaseId>,
    by: UserId,
) -> StoreResult<()> {
    let recorder = stored::consent_recorder(tx, consent).await?;
    if recorder == by {
        return Ok(());
    }
    let notice = Notice {
        kind: NotificationKind::ConsentChanged,
        case_id,
        subject_id: Some(consent.to_string()),
        need: None,
        calendar: None,
    };
    notify(tx, settings, &notice, &[recorder]).await?;
    Ok(())
}

/// A case handed over: its new responsible is told (if they may see the case).
pub(super) async fn case_handed_over(
    tx: &mut Tx,
    settings: &Settings,
    case_id: CaseId,
    to: UserId,
) -> StoreResult<()> {
    let notice = Notice {
        kind: NotificationKind::CaseHandedOver,
        case_id: Some(case_id),
        subject_id: Some(case_id.to_string()),
        need: Some(Need::Case),
        calendar: None,
    };
    notify(tx, settings, &notice, &[to]).await?;
    Ok(())
}

/// A meeting's invitation, change or cancellation: each participant (the organiser left
/// out) is notified with the iCalendar part, and external attendees get the e-mail with
/// the calendar part and a link to the meeting, nothing else.
pub(super) async fn meeting(
    tx: &mut Tx,
    settings: &Settings,
    id: MeetingId,
    change: &MeetingChange,
) -> StoreResult<()> {
    let Some(invitation) = meetings::invitation(tx, id).await? else {
        return Ok(());
    };
    let everyone_users = || -> Vec<UserId> {
        invitation
            .recipients
            .iter()
            .filter_map(|r| r.user_id)
            .collect()
    };
    let (kind, users, attendees): (NotificationKind, Vec<UserId>, Vec<String>) = match change {
        MeetingChange::Invited { users, attendees } => (
            NotificationKind::MeetingInvitation,
            users
                .iter()
                .copied()
                .filter(|u| *u != invitation.organiser_user_id)
                .collect(),
            invitation
                .recipients
                .iter()
                .filter(|r| r.attendee_id.is_some_and(|a| attendees.contains(&a)))
                .map(|r| r.email.clone())
                .collect(),
        ),
        MeetingChange::Changed | MeetingChange::Cancelled => (
            if matches!(change, MeetingChange::Changed) {
                NotificationKind::MeetingChanged
            } else {
                NotificationKind::MeetingCancelled
            },
            everyone_users(),
            invitation
                .recipients
                .iter()
                .filter(|r| r.attendee_id.is_some())
                .map(|r| r.email.clone())
                .collect(),
        ),
    };
    let notice = Notice {
        kind,
        case_id: invitation.case_id,
        subject_id: Some(id.to_string()),
        need: invitation
            .case_id
            .map(|_| Need::Purpose(invitation.purpose)),
        calendar: Some(invitation.clone()),
    };
    notify(tx, settings, &notice, &users).await?;
    let path = format!("/moten/{id}");
    for address in attendees {
        notify_address(tx, settings, kind, &path, &address, Some(&invitation)).await?;
    }
    Ok(())
}

/// A meeting starts within a day: its participants who have not declined, organiser too.
pub(super) async fn meeting_reminder(
    tx: &mut Tx,
    settings: &Settings,
    id: MeetingId,
) -> StoreResult<()> {
    let Some(invitation) = meetings::invitation(tx, id).await? else {
        return Ok(());
    };
    let users = stored::meeting_attending_users(tx, id).await?;
    let notice = Notice {
        kind: NotificationKind::MeetingReminder,
        case_id: invitation.case_id,
        subject_id: Some(id.to_string()),
        need: invitation
            .case_id
            .map(|_| Need::Purpose(invitation.purpose)),
        calendar: None,
    };
    notify(tx, settings, &notice, &users).await?;
    Ok(())
}

const SIP_NEED: Need = Need::Purpose(Purpose::Sip);

/// A SIP call's called organisations (or only `only`, when chasing one): each one's case
/// workers, and its shared inbox address by e-mail, as with an inquiry to a clinic. Each is
/// told only while a consent for `sip` covers it.
pub(super) async fn sip_call_parties(
    tx: &mut Tx,
    settings: &Settings,
    id: SipCallId,
    kind: NotificationKind,
    only: Option<OrganisationId>,
) -> StoreResult<()> {
    let Some(people) = sip::people(tx, id).await? else {
        return Ok(());
    };
    let facts = cases::facts(tx, people.case_id).await?;
    let now = crate::domain::Timestamp::now();
    let mut users = Vec::new();
    for org in people.parties {
        if only.is_some_and(|o| o != org) {
            continue;
        }
        let covered = facts.as_ref().is_some_and(|f| {
            f.consents
                .iter()
                .any(|c| c.bridges(org, f.owner, SIP_NEED, now))
        });
        if !covered {
            continue;
        }
        let organisation = organisations::get(tx, org).await?;
        if let Some(address) = organisation.functional_email.as_deref() {
            let path = format!("/sip/{id}");
            notify_address(tx, settings, kind, &path, address, None).await?;
        }
        users.extend(stored::case_workers(tx, org).await?);
    }
    let notice = Notice {
        kind,
        case_id: Some(people.case_id),
        subject_id: Some(id.to_string()),
        need: Some(SIP_NEED),
        calendar: None,
    };
    notify(tx, settings, &notice, &users).await?;
    Ok(())
}

/// A called organisation answered: who made the call and the case's responsible.
pub(super) async fn sip_call_answered(
    tx: &mut Tx,
    settings: &Settings,
    id: SipCallId,
) -> StoreResult<()> {
    let Some(people) = sip::people(tx, id).await? else {
        return Ok(());
    };
    let notice = Notice {
        kind: NotificationKind::SipCallAnswered,
        case_id: Some(people.case_id),
        subject_id: Some(id.to_string()),
        need: Some(SIP_NEED),
        calendar: None,
    };
    notify(
        tx,
        settings,
        &notice,
        &[people.caller_user, people.responsible_user],
    )
    .await?;
    Ok(())
}
