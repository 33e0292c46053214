//! Meetings (möten): SIP-möte, Finsamteam-möte, trepartsmöte and others, in a case or for a
//! partnership. The organiser invites users from the organisations the case's consent
//! covers for the meeting's purpose, and people outside the hub by e-mail; participants
//! answer; the organiser moves or cancels. A participant already booked at that time is a
//! warning, never a refusal. The rule for who sees a meeting is `policy::meetings`.

mod answers;
mod dto;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use dto::*;

use super::{ApiPath, ApiQuery, Page, Paging, ValidJson};
use crate::access::authorize;
use crate::access::policy::{self, MeetingAccess, Need};
use crate::access::{Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::event::{Audience, Detail, MeetingChange, NewEvent};
use crate::domain::AuditAction;
use crate::domain::EventKind;
use crate::domain::{CaseId, MeetingAnswer, MeetingId, MeetingStatus, Timestamp, UserId};
use crate::error::{AppError, AppResult};
use crate::store::meetings::{self, MeetingQuery, NewMeeting, Schedule, Target};
use crate::store::{Audits, Reads, Tx};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_my_meetings, create_meeting))
        .routes(routes!(get_meeting, update_meeting))
        .routes(routes!(invite_to_meeting))
        .routes(routes!(cancel_meeting))
        .routes(routes!(list_case_meetings))
        .merge(answers::router())
}

/// A thin event for the meeting's users; delivery re-checks the case. Never content.
fn meeting_event(access: &MeetingAccess, kind: EventKind, users: Vec<UserId>) -> NewEvent {
    NewEvent {
        kind,
        case_id: access.case().map(|c| c.case_id()),
        individual_id: access.case().map(|c| c.individual_id()),
        subject_id: Some(access.meeting_id().to_string()),
        purpose: Some(access.purpose()),
        audience: Audience::Users(users),
        detail: Detail::None,
    }
}

fn cancelled() -> AppError {
    AppError::Conflict {
        code: "meeting_cancelled",
        detail: "Mötet är inställt och kan inte ändras.".into(),
    }
}

/// Refuses a change to a cancelled meeting (409 `meeting_cancelled`).
fn require_scheduled(access: &MeetingAccess) -> AppResult<()> {
    match access.status() {
        MeetingStatus::Scheduled => Ok(()),
        MeetingStatus::Cancelled => Err(cancelled()),
    }
}

/// `double_booked` warnings for `users` booked elsewhere during `[starts_at, ends_at)`.
async fn double_bookings(
    tx: &mut impl Reads,
    actor: &Actor,
    meeting: MeetingId,
    users: &[UserId],
    (starts_at, ends_at): (Timestamp, Timestamp),
) -> AppResult<Vec<Warning>> {
    let clashes = meetings::clashes(tx, users, starts_at, ends_at, meeting, actor.user_id).await?;
    Ok(clashes
        .into_iter()
        .map(|c| Warning {
            code: "double_booked",
            user_id: c.user_id,
            meeting_id: c.asker_takes_part.then_some(c.meeting_id),
            message: "Deltagaren är redan bokad på ett annat möte den tiden.",
        })
        .collect())
}

/// The meeting as the actor sees it, audited, with `warnings`.
async fn respond(
    tx: &mut impl Audits,
    actor: &Actor,
    access: &MeetingAccess,
    action: AuditAction,
    warnings: Vec<Warning>,
) -> AppResult<MeetingResponse> {
    let meeting = meetings::get(tx, access).await?;
    tx.audit(access.audit(actor, action));
    let mut response = MeetingResponse::from(meeting);
    response.warnings = warnings;
    Ok(response)
}

/// Books a meeting in `tx` (the caller commits): checks the scope, the schedule and the
/// invitees, stores it and its invitations, and records its event. Also used to book a
/// plan's follow-up in one step.
pub(crate) async fn book(
    tx: &mut Tx,
    actor: &Actor,
    body: NewMeetingBody,
) -> AppResult<MeetingResponse> {
    let action = AuditAction::MeetingCreate;
    let now = Timestamp::now();
    let schedule = body.schedule();
    let purpose = body.purpose.unwrap_or(body.kind.default_purpose());
    let scope =
        authorize::authorize_meeting_scope(tx, actor, body.case_id, purpose, action).await?;
    check_schedule(&schedule, true, now)?;
    let invitees = authorize::check_invitees(
        tx,
        &scope,
        &body.participant_user_ids,
        actor.user_id,
        "participant_user_ids",
        now,
    )
    .await?;
    let id = MeetingId::new();
    let new = NewMeeting {
        id,
        kind: body.kind,
        starts_at: schedule.starts_at,
        ends_at: schedule.ends_at,
        place: schedule.place.clone(),
        video_link: schedule.video_link.clone(),
        organiser: actor.user_id,
        organiser_organisation: actor.organisation_id,
    };
    meetings::insert(tx, &scope, &new, now).await?;
    let target = Target::New(&scope, id);
    let invited = meetings::invite(tx, &target, &invitees, now).await?;
    let attendees = meetings::add_attendees(tx, &target, &body.attendees(), now).await?;
    let access = authorize::authorize_meeting(tx, actor, id, action).await?;
    let change = MeetingChange::Invited {
        users: invited,
        attendees,
    };
    let when = (schedule.starts_at, schedule.ends_at);
    let warnings = double_bookings(tx, actor, id, access.participants(), when).await?;
    tx.event(
        meeting_event(
            &access,
            EventKind::MeetingInvited,
            access.participants().to_vec(),
        )
        .with(Detail::Meeting(change)),
    );
    respond(tx, actor, &access, action, warnings).await
}

/// Books a meeting, in a case (participants need a consent covering the purpose) or for a
/// partnership (no case). I organise it and take part, accepted.
#[utoipa::path(post, path = "/api/meetings",
    extensions(("x-field-rules" = json!(dto::NEW_MEETING_RULES))), tag = "meetings", request_body = NewMeetingBody,
    responses(
        (status = 201, body = MeetingResponse),
        crate::http::problem::NotCaseWork,
        crate::http::problem::ParticipantConsentMissing,
        crate::http::CommonErrors,
    ))]
async fn create_meeting(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ValidJson(body): ValidJson<NewMeetingBody>,
) -> AppResult<(StatusCode, Json<MeetingResponse>)> {
    let mut tx = state.store.begin().await?;
    let response = book(&mut tx, &actor, body).await?;
    tx.commit().await?;
    tracing::info!(meeting_id = %response.id, "meeting booked");
    Ok((StatusCode::CREATED, Json(response)))
}

/// One meeting, with who has answered what.
#[utoipa::path(get, path = "/api/meetings/{id}", tag = "meetings", params(("id" = MeetingId, Path)),
    responses((status = 200, body = MeetingResponse), crate::http::CommonErrors))]
async fn get_meeting(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<MeetingId>,
) -> AppResult<Json<MeetingResponse>> {
    let mut tx = state.store.audited_read().await?;
    let access =
        authorize::authorize_meeting(&mut tx, &actor, id, AuditAction::MeetingRead).await?;
    let response = respond(
        &mut tx,
        &actor,
        &access,
        AuditAction::MeetingRead,
        Vec::new(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Moves the meeting or changes its place or video link (the organiser). Every real change
/// raises the sequence so calendars replace the earlier invitation.
#[utoipa::path(patch, path = "/api/meetings/{id}",
    extensions(("x-field-rules" = json!(dto::UPDATE_MEETING_RULES))), tag = "meetings", params(("id" = MeetingId, Path)), request_body = UpdateMeetingBody,
    responses(
        (status = 200, body = MeetingResponse),
        crate::http::problem::OrganiserOnly,
        crate::http::problem::MeetingCancelled,
        crate::http::CommonErrors,
    ))]
async fn update_meeting(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<MeetingId>,
    ValidJson(body): ValidJson<UpdateMeetingBody>,
) -> AppResult<Json<MeetingResponse>> {
    let action = AuditAction::MeetingUpdate;
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_meeting(&mut tx, &actor, id, action).await?;
    access.require_organiser(&actor, action)?;
    require_scheduled(&access)?;
    let current = meetings::get(&mut tx, &access).await?;
    // Who is booked by this meeting: everyone but those who declined it.
    let booked: Vec<UserId> = current
        .participants
        .iter()
        .filter(|p| p.answer != Some(MeetingAnswer::Declined))
        .map(|p| p.user_id)
        .collect();
    let before = Schedule {
        starts_at: current.starts_at,
        ends_at: current.ends_at,
        place: current.place,
        video_link: current.video_link,
    };
    let (after, moved) = body.apply(&before);
    check_schedule(&after, moved, now)?;
    let mut warnings = Vec::new();
    if after != before {
        if !meetings::reschedule(&mut tx, &access, &after, now).await? {
            return Err(cancelled());
        }
        if moved {
            let when = (after.starts_at, after.ends_at);
            warnings = double_bookings(&mut tx, &actor, id, &booked, when).await?;
        }
        tx.event(
            meeting_event(
                &access,
                EventKind::MeetingUpdated,
                access.participants().to_vec(),
            )
            .with(Detail::Meeting(MeetingChange::Changed)),
        );
    }
    let response = respond(&mut tx, &actor, &access, action, warnings).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Invites more users (covered by the consent, as when booking) and people outside the hub
/// (the organiser). Those already invited are left as they are.
#[utoipa::path(post, path = "/api/meetings/{id}/participants",
    extensions(("x-field-rules" = json!(dto::INVITE_RULES))), tag = "meetings", params(("id" = MeetingId, Path)), request_body = InviteBody,
    responses(
        (status = 200, body = MeetingResponse),
        crate::http::problem::OrganiserOnly,
        crate::http::problem::ConsentMissingOrCancelled,
        crate::http::CommonErrors,
    ))]
async fn invite_to_meeting(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<MeetingId>,
    ValidJson(body): ValidJson<InviteBody>,
) -> AppResult<Json<MeetingResponse>> {
    let action = AuditAction::MeetingInvite;
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_meeting(&mut tx, &actor, id, action).await?;
    access.require_organiser(&actor, action)?;
    require_scheduled(&access)?;
    let invitees = authorize::check_invitees(
        &mut tx,
        &access.scope(),
        &body.user_ids,
        actor.user_id,
        "user_ids",
        now,
    )
    .await?;
    let target = Target::Existing(&access);
    let added = meetings::invite(&mut tx, &target, &invitees, now).await?;
    let attendees = body.attendees();
    let new_attendees = meetings::add_attendees(&mut tx, &target, &attendees, now).await?;
    let mut warnings = Vec::new();
    if !added.is_empty() || !attendees.is_empty() {
        if !meetings::touch(&mut tx, &access, now).await? {
            return Err(cancelled());
        }
        let current = meetings::get(&mut tx, &access).await?;
        let when = (current.starts_at, current.ends_at);
        warnings = double_bookings(&mut tx, &actor, id, &added, when).await?;
        if !added.is_empty() {
            tx.event(meeting_event(
                &access,
                EventKind::MeetingInvited,
                added.clone(),
            ));
        }
        // The newly invited are told through this event, which carries who they are (also
        // external attendees, who have no event of their own).
        let change = MeetingChange::Invited {
            users: added,
            attendees: new_attendees,
        };
        tx.event(
            meeting_event(
                &access,
                EventKind::MeetingUpdated,
                access.participants().to_vec(),
            )
            .with(Detail::Meeting(change)),
        );
    }
    let response = respond(&mut tx, &actor, &access, action, warnings).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Cancels the meeting (the organiser); invitations are withdrawn with a raised sequence.
#[utoipa::path(post, path = "/api/meetings/{id}/cancel", tag = "meetings", params(("id" = MeetingId, Path)),
    responses(
        (status = 200, body = MeetingResponse),
        crate::http::problem::OrganiserOnly,
        crate::http::problem::AlreadyCancelled,
        crate::http::CommonErrors,
    ))]
async fn cancel_meeting(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<MeetingId>,
) -> AppResult<Json<MeetingResponse>> {
    let action = AuditAction::MeetingCancel;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_meeting(&mut tx, &actor, id, action).await?;
    access.require_organiser(&actor, action)?;
    require_scheduled(&access)?;
    if !meetings::cancel(&mut tx, &access, actor.user_id, Timestamp::now()).await? {
        return Err(cancelled());
    }
    tx.event(
        meeting_event(
            &access,
            EventKind::MeetingCancelled,
            access.participants().to_vec(),
        )
        .with(Detail::Meeting(MeetingChange::Cancelled)),
    );
    let response = respond(&mut tx, &actor, &access, action, Vec::new()).await?;
    tx.commit().await?;
    Ok(Json(response))
}

fn list_query(
    query: &MeetingListQuery,
    default_from: Option<Timestamp>,
) -> AppResult<MeetingQuery> {
    let paging = Paging {
        limit: query.limit,
        offset: query.offset,
    };
    let from = query.from.map(instant).or(default_from);
    let to = query.to.map(instant);
    if let (Some(from), Some(to)) = (from, to) {
        if to <= from {
            return Err(AppError::field(
                "to",
                "before_from",
                "to ska vara senare än from",
            ));
        }
    }
    Ok(MeetingQuery {
        from,
        to,
        include_cancelled: query.include_cancelled.unwrap_or(false),
        limit: paging.limit()?,
        offset: paging.offset()?,
    })
}

/// The meetings I organise or am invited to, earliest first: from now on unless `from` says
/// otherwise. A meeting in a case shows while I see the case for its purpose.
#[utoipa::path(get, path = "/api/meetings",
    extensions(("x-field-rules" = json!(dto::LIST_RULES))), tag = "meetings", params(MeetingListQuery),
    responses((status = 200, body = Page<MeetingResponse>), crate::http::CommonErrors))]
async fn list_my_meetings(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(query): ApiQuery<MeetingListQuery>,
) -> AppResult<Json<Page<MeetingResponse>>> {
    let now = Timestamp::now();
    let query = list_query(&query, Some(now))?;
    let (limit, offset) = (query.limit, query.offset);
    let Some(filter) = policy::my_meetings_filter(&actor, now) else {
        return Ok(Json(Page {
            items: Vec::new(),
            limit,
            offset,
        }));
    };
    let mut tx = state.store.audited_read().await?;
    let rows = meetings::list(&mut tx, &filter, &query).await?;
    for row in &rows {
        if let (Some(case), Some(individual), Some(owner)) =
            (row.case_id, row.individual_id, row.case_owner)
        {
            if let Some(access) =
                filter.access_for(row.purpose, case, individual, owner, row.via_consent)
            {
                tx.audit(access.audit(&actor, AuditAction::MeetingList));
            }
        }
    }
    tx.commit().await?;
    Ok(Json(Page {
        items: rows.into_iter().map(Into::into).collect(),
        limit,
        offset,
    }))
}

/// The case's meetings that I may see (those for purposes my organisation is covered for),
/// earliest first.
#[utoipa::path(get, path = "/api/cases/{id}/meetings",
    extensions(("x-field-rules" = json!(dto::LIST_RULES))), tag = "meetings", params(("id" = CaseId, Path), MeetingListQuery),
    responses((status = 200, body = Page<MeetingResponse>), crate::http::CommonErrors))]
async fn list_case_meetings(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
    ApiQuery(query): ApiQuery<MeetingListQuery>,
) -> AppResult<Json<Page<MeetingResponse>>> {
    let action = AuditAction::MeetingList;
    let now = Timestamp::now();
    let query = list_query(&query, None)?;
    let (limit, offset) = (query.limit, query.offset);
    let mut tx = state.store.audited_read().await?;
    let access = authorize::authorize_case(&mut tx, &actor, case_id, Need::Case, action).await?;
    let rows = match policy::case_meetings_filter(&actor, &access, now) {
        Some(filter) => meetings::list(&mut tx, &filter, &query).await?,
        None => Vec::new(),
    };
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    Ok(Json(Page {
        items: rows.into_iter().map(Into::into).collect(),
        limit,
        offset,
    }))
}
