//! Finsamteam meetings with an agenda of several individuals. The förbund's coordinator books
//! the meeting through the meeting machinery (`meetings::book`: calendar invitations to the
//! users of the team's member organisations), puts accepted referrals on its agenda, orders
//! them, publishes the agenda (participants are told it is there, never who is on it) and at
//! the meeting records per item the decision, the parties that take part and the next step.
//!
//! Each participant sees an item's person and content only while the referral's written
//! consent covers their organisation (`policy::agenda_item_view`); otherwise the item is
//! `withheld`, with no identity. Events name the meeting only.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use super::lost;
use crate::access::policy::{self, FinsamMeetingAccess, MeetingSide};
use crate::access::{authorize, Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::finsam::agenda::{check_record, is_reordering, AgendaDecision};
use crate::domain::finsam::{ReferralState, ReferralStep};
use crate::domain::{
    AuditAction, CaseId, EventKind, FinsamAgendaItemId, FinsamReferralId, MeetingId, MeetingKind,
    OrganisationId, Purpose, Timestamp,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::http::meetings::{book, booking_body, booking_rules, MeetingResponse, NewMeetingBody};
use crate::http::rules::FieldRule;
use crate::http::{rfc3339, ApiPath, ApiQuery, Page, Paging, ValidJson};
use crate::store::finsam::agenda::{self, Record};
use crate::store::finsam::{self as referrals, Change};
use crate::store::{meetings, users, Audits, Reads, StoreError, Tx};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_meeting, list_meetings))
        .routes(routes!(get_meeting))
        .routes(routes!(add_to_agenda, order_agenda))
        .routes(routes!(remove_from_agenda))
        .routes(routes!(publish_agenda))
        .routes(routes!(record_item))
}

booking_body! {
    /// A Finsamteam meeting to book. I (a coordinator) organise it and take part.
    NewFinsamMeetingBody {}
    /// Where (a place or a video link is required). Shown in calendar invitations: name
    /// nothing about anyone on the agenda.
    place,
    video_link,
    /// Users of the förbund and its team's member organisations (422 `not_team_member`).
    participant_user_ids,
}

pub const NEW_FINSAM_MEETING_RULES: &[FieldRule] = booking_rules![FieldRule::new(
    "participant_user_ids[i]",
    "not_team_member",
    "a user of the förbund or of one of its team's member organisations",
)];

/// A referral to put last on the agenda: accepted, to my förbund.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinsamAgendaAddBody {
    pub referral_id: FinsamReferralId,
}

pub const ADD_RULES: &[FieldRule] = &[FieldRule::new(
    "referral_id",
    "other_forbund",
    "a referral to the meeting's förbund",
)];

/// The agenda's new order: every item, each once.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinsamAgendaOrderBody {
    #[validate(length(max = 100, message = "högst 100 punkter"))]
    #[schema(max_items = 100)]
    pub item_ids: Vec<FinsamAgendaItemId>,
}

pub const ORDER_RULES: &[FieldRule] = &[FieldRule::new(
    "item_ids",
    "not_a_reordering",
    "exactly the agenda's items, each once",
)];

/// What the team decided for one item at the meeting.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinsamAgendaRecordBody {
    pub decision: AgendaDecision,
    /// The organisations that take part (the förbund or its team's members); at least one
    /// with `start_plan`.
    #[serde(default)]
    #[validate(length(max = 20, message = "högst 20 parter"))]
    #[schema(max_items = 20)]
    pub party_organisation_ids: Vec<OrganisationId>,
    /// The next step (never in e-mail).
    #[validate(length(max = 2000, message = "högst 2000 tecken"))]
    #[schema(min_length = 1, max_length = 2000, pattern = "$text")]
    pub next_step: String,
}

pub const RECORD_RULES: &[FieldRule] = &[
    FieldRule::new(
        "party_organisation_ids",
        "required",
        "with decision start_plan",
    ),
    FieldRule::new(
        "party_organisation_ids[i]",
        "not_team_member",
        "the förbund or one of its team's member organisations",
    ),
    FieldRule::new("next_step", "required", "not blank"),
];

/// Paging of the meeting list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FinsamMeetingListQuery {
    /// At most this many items (1-200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Skip this many items (default 0).
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<i64>,
}

/// A referral on the agenda as a reader its consent covers sees it.
#[derive(Serialize, ToSchema)]
pub struct FinsamAgendaReferral {
    pub referral_id: FinsamReferralId,
    pub case_id: CaseId,
    pub individual_name: String,
    pub referrer_organisation_id: OrganisationId,
    pub referrer_organisation_name: String,
    pub state: ReferralState,
    pub why_coordination: String,
    pub own_goal: String,
    pub practical_needs: String,
    /// What the team recorded (none yet: null).
    pub decision: Option<AgendaDecision>,
    pub party_organisation_ids: Vec<OrganisationId>,
    pub next_step: Option<String>,
    pub recorded_at: Option<DateTime<Utc>>,
}

/// One item of the agenda. `withheld`: the person's consent does not cover your
/// organisation ("ärende utan samtycke för er organisation"); then `referral` is absent and
/// nothing tells who it is about.
#[derive(Serialize, ToSchema)]
pub struct FinsamAgendaItem {
    pub id: FinsamAgendaItemId,
    pub position: i64,
    pub withheld: bool,
    /// The team has recorded its decision for the item.
    pub recorded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referral: Option<FinsamAgendaReferral>,
}

/// A Finsamteam meeting with its agenda.
#[derive(Serialize, ToSchema)]
pub struct FinsamMeetingResponse {
    pub meeting: MeetingResponse,
    pub forbund_organisation_id: OrganisationId,
    /// When the agenda was sent to the participants; null: not yet.
    pub published_at: Option<DateTime<Utc>>,
    /// I am a coordinator of the förbund and manage the agenda.
    pub coordinator: bool,
    /// The agenda in order; empty for participants until it is published.
    pub agenda: Vec<FinsamAgendaItem>,
}

/// A Finsamteam meeting as listed (no agenda: nothing about anyone on it).
#[derive(Serialize, ToSchema)]
pub struct FinsamMeetingSummary {
    pub meeting_id: MeetingId,
    pub forbund_organisation_id: OrganisationId,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
    /// How many items its agenda has.
    pub items: i64,
}

/// The thin event of an agenda change for the meeting's participants: the meeting's id only,
/// no case and no individual.
fn agenda_event(kind: EventKind, access: &FinsamMeetingAccess) -> NewEvent {
    NewEvent {
        kind,
        case_id: None,
        individual_id: None,
        subject_id: Some(access.meeting_id().to_string()),
        purpose: Some(Purpose::Finsamteam),
        audience: Audience::Users(access.participants().to_vec()),
        detail: Detail::None,
    }
}

async fn authorize_meeting(
    tx: &mut impl Reads,
    actor: &Actor,
    id: MeetingId,
    action: AuditAction,
) -> AppResult<FinsamMeetingAccess> {
    let facts = agenda::meeting_facts(tx, id).await?;
    policy::finsam_meeting_access(actor, facts, action, Timestamp::now())
}

/// The meeting and its agenda as the actor sees it: one audit row for the meeting and one
/// per item shown with its person.
async fn respond(
    tx: &mut impl Audits,
    actor: &Actor,
    access: &FinsamMeetingAccess,
    action: AuditAction,
) -> AppResult<FinsamMeetingResponse> {
    let meeting = meetings::get(tx, access.meeting()).await?;
    let now = Timestamp::now();
    let mut agenda = Vec::new();
    if access.shows_agenda() {
        for (row, facts) in agenda::items(tx, access.meeting_id()).await? {
            let view = facts
                .as_ref()
                .and_then(|f| policy::agenda_item_view(actor, f, row.consent_id, now));
            let mut referral = None;
            if let Some(view) = view {
                if let Some(person) = agenda::item_person(tx, &view, row.referral_id).await? {
                    tx.audit(view.audit(actor, action));
                    referral = Some(FinsamAgendaReferral {
                        referral_id: row.referral_id,
                        case_id: view.case_id(),
                        individual_name: person.individual_name,
                        referrer_organisation_id: person.referrer_organisation_id,
                        referrer_organisation_name: person.referrer_organisation_name,
                        state: row.referral_state,
                        why_coordination: person.why_coordination,
                        own_goal: person.own_goal,
                        practical_needs: person.practical_needs,
                        decision: row.decision,
                        party_organisation_ids: row.parties.clone(),
                        next_step: row.next_step.clone(),
                        recorded_at: row.recorded_at.map(rfc3339),
                    });
                }
            }
            agenda.push(FinsamAgendaItem {
                id: row.id,
                position: row.position,
                withheld: referral.is_none(),
                recorded: row.recorded_at.is_some(),
                referral,
            });
        }
    }
    tx.audit(access.audit(actor, action));
    Ok(FinsamMeetingResponse {
        meeting: MeetingResponse::from(meeting),
        forbund_organisation_id: access.forbund(),
        published_at: access.published_at().map(rfc3339),
        coordinator: access.side() == MeetingSide::Coordinator,
        agenda,
    })
}

/// 422 `not_team_member` for each of `orgs` outside the förbund and its team.
async fn check_team(
    tx: &mut Tx,
    forbund: OrganisationId,
    orgs: &[(String, OrganisationId)],
) -> AppResult<()> {
    let members = referrals::team_members(tx, forbund).await?;
    let errors: Vec<FieldError> = orgs
        .iter()
        .filter(|(_, org)| !policy::in_team(forbund, &members, *org))
        .map(|(field, _)| {
            FieldError::new(
                field.clone(),
                "not_team_member",
                "ska tillhöra förbundet eller en organisation i dess Finsamteam",
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Books a Finsamteam meeting for my förbund (a coordinator): calendar invitations go to the
/// participants, users of the förbund or its team's member organisations.
#[utoipa::path(post, path = "/api/finsam/meetings",
    extensions(("x-field-rules" = json!(NEW_FINSAM_MEETING_RULES))), tag = "finsam", request_body = NewFinsamMeetingBody,
    responses(
        (status = 201, body = FinsamMeetingResponse),
        crate::http::problem::CoordinatorOnly,
        crate::http::CommonErrors,
    ))]
async fn create_meeting(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ValidJson(body): ValidJson<NewFinsamMeetingBody>,
) -> AppResult<(StatusCode, Json<FinsamMeetingResponse>)> {
    let action = AuditAction::FinsamMeetingCreate;
    let mut tx = state.store.begin().await?;
    let permit = policy::finsam_meeting_book(&actor, action)?;
    let mut orgs = Vec::new();
    for (index, id) in body.participant_user_ids.iter().enumerate() {
        match users::get(&mut tx, *id).await {
            Ok(user) => orgs.push((
                format!("participant_user_ids[{index}]"),
                user.organisation_id,
            )),
            // Unknown users are named by the meeting's own check.
            Err(StoreError::NotFound) => {}
            Err(err) => return Err(err.into()),
        }
    }
    check_team(&mut tx, permit.forbund(), &orgs).await?;
    let meeting = NewMeetingBody {
        case_id: None,
        kind: MeetingKind::FinsamteamMote,
        purpose: Some(Purpose::Finsamteam),
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        place: body.place,
        video_link: body.video_link,
        participant_user_ids: body.participant_user_ids,
        external_attendees: Vec::new(),
    };
    let booked = book(&mut tx, &actor, meeting).await?;
    agenda::insert_meeting(&mut tx, &permit, booked.id, Timestamp::now()).await?;
    let access = authorize_meeting(&mut tx, &actor, booked.id, action).await?;
    let mut response = respond(&mut tx, &actor, &access, action).await?;
    response.meeting.warnings = booked.warnings;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(response)))
}

/// The Finsamteam meetings I see, earliest first: my förbund's (a coordinator) and those I
/// am invited to. No agenda here.
#[utoipa::path(get, path = "/api/finsam/meetings", tag = "finsam", params(FinsamMeetingListQuery),
    responses((status = 200, body = Page<FinsamMeetingSummary>), crate::http::CommonErrors))]
async fn list_meetings(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(query): ApiQuery<FinsamMeetingListQuery>,
) -> AppResult<Json<Page<FinsamMeetingSummary>>> {
    let paging = Paging {
        limit: query.limit,
        offset: query.offset,
    };
    let (limit, offset) = (paging.limit()?, paging.offset()?);
    let Some(filter) = policy::finsam_meeting_filter(&actor) else {
        return Ok(Json(Page {
            items: Vec::new(),
            limit,
            offset,
        }));
    };
    let mut tx = state.store.audited_read().await?;
    let rows = agenda::list_meetings(&mut tx, &filter, limit, offset).await?;
    let mut entry = actor.audit(
        AuditAction::FinsamMeetingList,
        crate::domain::audit::Outcome::Allowed,
    );
    entry.purpose = Some(Purpose::Finsamteam);
    tx.audit(entry);
    tx.commit().await?;
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|r| FinsamMeetingSummary {
                meeting_id: r.meeting_id,
                forbund_organisation_id: r.forbund_organisation_id,
                starts_at: rfc3339(r.starts_at),
                ends_at: rfc3339(r.ends_at),
                status: r.status,
                published_at: r.published_at.map(rfc3339),
                items: r.items,
            })
            .collect(),
        limit,
        offset,
    }))
}

/// The meeting with its agenda. An item whose person's consent does not cover my
/// organisation is `withheld`: no identity, no content.
#[utoipa::path(get, path = "/api/finsam/meetings/{id}", tag = "finsam", params(("id" = MeetingId, Path)),
    responses((status = 200, body = FinsamMeetingResponse), crate::http::CommonErrors))]
async fn get_meeting(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<MeetingId>,
) -> AppResult<Json<FinsamMeetingResponse>> {
    let action = AuditAction::FinsamMeetingRead;
    let mut tx = state.store.audited_read().await?;
    let access = authorize_meeting(&mut tx, &actor, id, action).await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// The coordinator's meeting access for a change, with the meeting open.
async fn managing(
    tx: &mut Tx,
    actor: &Actor,
    id: MeetingId,
    action: AuditAction,
) -> AppResult<FinsamMeetingAccess> {
    let access = authorize_meeting(tx, actor, id, action).await?;
    access.require_coordinator(actor, action)?;
    Ok(access)
}

/// Moves the referral by `step` with `change`, as the coordinator; its own event goes to its
/// referrer and the förbund (each re-checked on delivery).
async fn move_referral(
    tx: &mut Tx,
    actor: &Actor,
    referral: FinsamReferralId,
    step: ReferralStep,
    change: Change<'_>,
    action: AuditAction,
) -> AppResult<policy::ReferralAccess> {
    let access = authorize::authorize_finsam_referral(tx, actor, referral, action).await?;
    let to = access.step(actor, step, action)?;
    if !referrals::apply(tx, &access, to, &change, Timestamp::now()).await? {
        return Err(lost(tx, &access, step).await);
    }
    tx.audit(access.audit(actor, action));
    Ok(access)
}

/// Puts an accepted referral of my förbund last on the agenda (a coordinator).
#[utoipa::path(post, path = "/api/finsam/meetings/{id}/agenda",
    extensions(("x-field-rules" = json!(ADD_RULES))), tag = "finsam", params(("id" = MeetingId, Path)), request_body = FinsamAgendaAddBody,
    responses(
        (status = 200, body = FinsamMeetingResponse),
        crate::http::problem::CoordinatorOnly,
        crate::http::problem::AgendaConflict,
        crate::http::CommonErrors,
    ))]
async fn add_to_agenda(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<MeetingId>,
    ValidJson(body): ValidJson<FinsamAgendaAddBody>,
) -> AppResult<Json<FinsamMeetingResponse>> {
    let action = AuditAction::FinsamAgendaAdd;
    let mut tx = state.store.begin().await?;
    let access = managing(&mut tx, &actor, id, action).await?;
    let referral =
        authorize::authorize_finsam_referral(&mut tx, &actor, body.referral_id, action).await?;
    if referral.forbund() != access.forbund() {
        return Err(AppError::field(
            "referral_id",
            "other_forbund",
            "anmälan gäller ett annat förbund",
        ));
    }
    let change = Change::PutOnAgenda { meeting: id };
    move_referral(
        &mut tx,
        &actor,
        body.referral_id,
        ReferralStep::PutOnAgenda,
        change,
        action,
    )
    .await?;
    agenda::add_item(
        &mut tx,
        &access,
        FinsamAgendaItemId::new(),
        body.referral_id,
        Timestamp::now(),
    )
    .await?;
    tx.event(agenda_event(EventKind::FinsamAgendaChanged, &access));
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

fn already_recorded() -> AppError {
    AppError::Conflict {
        code: "already_recorded",
        detail: "Punkten är redan protokollförd.".into(),
    }
}

/// Takes an item the team has not recorded off the agenda (a coordinator); its referral is
/// accepted again.
#[utoipa::path(delete, path = "/api/finsam/meetings/{id}/agenda/{item}", tag = "finsam",
    params(("id" = MeetingId, Path), ("item" = FinsamAgendaItemId, Path)),
    responses(
        (status = 200, body = FinsamMeetingResponse),
        crate::http::problem::CoordinatorOnly,
        crate::http::problem::AgendaConflict,
        crate::http::CommonErrors,
    ))]
async fn remove_from_agenda(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath((id, item)): ApiPath<(MeetingId, FinsamAgendaItemId)>,
) -> AppResult<Json<FinsamMeetingResponse>> {
    let action = AuditAction::FinsamAgendaRemove;
    let mut tx = state.store.begin().await?;
    let access = managing(&mut tx, &actor, id, action).await?;
    let Some((referral, recorded)) = agenda::item_of(&mut tx, id, item).await? else {
        return Err(AppError::NotFound);
    };
    if recorded || !agenda::remove_item(&mut tx, &access, item).await? {
        return Err(already_recorded());
    }
    move_referral(
        &mut tx,
        &actor,
        referral,
        ReferralStep::TakeOffAgenda,
        Change::TakeOffAgenda,
        action,
    )
    .await?;
    tx.event(agenda_event(EventKind::FinsamAgendaChanged, &access));
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Puts the agenda in a new order (a coordinator): every item, each once.
#[utoipa::path(put, path = "/api/finsam/meetings/{id}/agenda",
    extensions(("x-field-rules" = json!(ORDER_RULES))), tag = "finsam", params(("id" = MeetingId, Path)), request_body = FinsamAgendaOrderBody,
    responses(
        (status = 200, body = FinsamMeetingResponse),
        crate::http::problem::CoordinatorOnly,
        crate::http::problem::MeetingCancelled,
        crate::http::CommonErrors,
    ))]
async fn order_agenda(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<MeetingId>,
    ValidJson(body): ValidJson<FinsamAgendaOrderBody>,
) -> AppResult<Json<FinsamMeetingResponse>> {
    let action = AuditAction::FinsamAgendaOrder;
    let mut tx = state.store.begin().await?;
    let access = managing(&mut tx, &actor, id, action).await?;
    let current: Vec<FinsamAgendaItemId> = agenda::items(&mut tx, id)
        .await?
        .into_iter()
        .map(|(row, _)| row.id)
        .collect();
    if !is_reordering(&current, &body.item_ids) {
        return Err(AppError::field(
            "item_ids",
            "not_a_reordering",
            "ange dagordningens alla punkter, var och en en gång",
        ));
    }
    agenda::reorder(&mut tx, &access, &body.item_ids).await?;
    tx.event(agenda_event(EventKind::FinsamAgendaChanged, &access));
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Sends the agenda to the participants in advance (a coordinator): each is told, in the hub
/// and by e-mail as they prefer, that it is there — never who is on it. May be sent again
/// after a change.
#[utoipa::path(post, path = "/api/finsam/meetings/{id}/publish", tag = "finsam", params(("id" = MeetingId, Path)),
    responses(
        (status = 200, body = FinsamMeetingResponse),
        crate::http::problem::CoordinatorOnly,
        crate::http::problem::MeetingCancelled,
        crate::http::CommonErrors,
    ))]
async fn publish_agenda(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<MeetingId>,
) -> AppResult<Json<FinsamMeetingResponse>> {
    let action = AuditAction::FinsamAgendaPublish;
    let mut tx = state.store.begin().await?;
    let access = managing(&mut tx, &actor, id, action).await?;
    agenda::publish(&mut tx, &access, Timestamp::now()).await?;
    // Everyone invited but the coordinator who sends it.
    let mut event = agenda_event(EventKind::FinsamAgendaPublished, &access);
    if let Audience::Users(users) = &mut event.audience {
        users.retain(|u| *u != actor.user_id);
    }
    tx.event(event);
    let access = authorize_meeting(&mut tx, &actor, id, action).await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Records the team's decision for an item at the meeting (a coordinator): the decision, the
/// parties that take part and the next step. `more_information` and `postponed` put the
/// referral back to accepted, for a later meeting.
#[utoipa::path(post, path = "/api/finsam/meetings/{id}/agenda/{item}/record",
    extensions(("x-field-rules" = json!(RECORD_RULES))), tag = "finsam",
    params(("id" = MeetingId, Path), ("item" = FinsamAgendaItemId, Path)), request_body = FinsamAgendaRecordBody,
    responses(
        (status = 200, body = FinsamMeetingResponse),
        crate::http::problem::CoordinatorOnly,
        crate::http::problem::AgendaConflict,
        crate::http::CommonErrors,
    ))]
async fn record_item(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath((id, item)): ApiPath<(MeetingId, FinsamAgendaItemId)>,
    ValidJson(body): ValidJson<FinsamAgendaRecordBody>,
) -> AppResult<Json<FinsamMeetingResponse>> {
    let action = AuditAction::FinsamAgendaRecord;
    let mut tx = state.store.begin().await?;
    let access = managing(&mut tx, &actor, id, action).await?;
    let Some((referral, recorded)) = agenda::item_of(&mut tx, id, item).await? else {
        return Err(AppError::NotFound);
    };
    let next_step = body.next_step.trim();
    let mut parties = body.party_organisation_ids.clone();
    parties.sort();
    parties.dedup();
    let problems = check_record(body.decision, parties.len(), next_step);
    AppError::unless_none(
        problems
            .iter()
            .map(|p| FieldError::new(p.field(), p.code(), p.to_string())),
    )?;
    let named: Vec<(String, OrganisationId)> = body
        .party_organisation_ids
        .iter()
        .enumerate()
        .map(|(i, org)| (format!("party_organisation_ids[{i}]"), *org))
        .collect();
    check_team(&mut tx, access.forbund(), &named).await?;
    if recorded {
        return Err(already_recorded());
    }
    // The coordinator must still see the referral (its consent covers the förbund).
    let seen = authorize::authorize_finsam_referral(&mut tx, &actor, referral, action).await?;
    if body.decision.back_to_accepted() {
        move_referral(
            &mut tx,
            &actor,
            referral,
            ReferralStep::TakeOffAgenda,
            Change::TakeOffAgenda,
            action,
        )
        .await?;
    } else {
        tx.audit(seen.audit(&actor, action));
    }
    let record = Record {
        decision: body.decision,
        parties: &parties,
        next_step,
        by: actor.user_id,
    };
    if !agenda::record(&mut tx, &access, item, &record, Timestamp::now()).await? {
        return Err(already_recorded());
    }
    tx.event(agenda_event(EventKind::FinsamAgendaChanged, &access));
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}
