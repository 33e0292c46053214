//! The follow-up booked as a meeting in one step: the plan's kind gives the meeting's kind
//! and consent purpose, the people the plan names (responsible for an action, the overall
//! responsible) are invited through the meeting machinery (invitations, Outlook ICS). And
//! the follow-up dates, for the calendar.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use crate::access::authorize;
use crate::access::policy::plan_filter;
use crate::access::CurrentUser;
use crate::app::AppState;
use crate::domain::plan::{PlanKind, PlanState};
use crate::domain::{AuditAction, CaseId, MeetingKind, PlanId, Timestamp, UserId};
use crate::error::{AppError, AppResult};
use crate::http::meetings::{self, book, MeetingResponse, NewMeetingBody};
use crate::http::rules::FieldRule;
use crate::http::{rules, ApiPath, ApiQuery, ValidJson};
use crate::store::plans::{self, reminders};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(book_follow_up))
        .routes(routes!(list_follow_ups))
}

/// Most follow-ups one calendar query shows.
const MAX_FOLLOW_UPS: i64 = 500;

/// The calendar's window: from and to (both included), at most a year apart.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FollowUpQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A live plan's joint follow-up, for the calendar.
#[derive(Serialize, ToSchema)]
pub struct FollowUpResponse {
    pub plan_id: PlanId,
    pub case_id: CaseId,
    pub plan_kind: PlanKind,
    pub follow_up_on: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct FollowUpList {
    pub items: Vec<FollowUpResponse>,
}

/// The follow-up dates of the adopted plans I may see (my organisation's and those naming
/// it under consent) between two dates, for the calendar.
#[utoipa::path(get, path = "/api/plan-follow-ups", tag = "plans", params(FollowUpQuery),
    extensions(("x-field-rules" = json!([FieldRule::new("to", "invalid_range", "from..to, at most 366 days")]))),
    responses((status = 200, body = FollowUpList), crate::http::CommonErrors))]
async fn list_follow_ups(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(query): ApiQuery<FollowUpQuery>,
) -> AppResult<Json<FollowUpList>> {
    let days = (query.to - query.from).num_days();
    if !(0..=366).contains(&days) {
        return Err(AppError::field(
            "to",
            "invalid_range",
            "till-datum från och med från-datum, högst ett år senare",
        ));
    }
    let mut items = Vec::new();
    let Some(filter) = plan_filter(&actor, Timestamp::now()) else {
        return Ok(Json(FollowUpList { items }));
    };
    let mut tx = state.store.begin().await?;
    let found =
        reminders::follow_ups_between(&mut tx, &filter, query.from, query.to, MAX_FOLLOW_UPS)
            .await?;
    for f in found {
        tx.audit(f.access.audit(&actor, AuditAction::PlanList));
        items.push(FollowUpResponse {
            plan_id: f.plan_id,
            case_id: f.case_id,
            plan_kind: f.kind,
            follow_up_on: f.follow_up_on,
        });
    }
    tx.commit().await?;
    Ok(Json(FollowUpList { items }))
}

/// When and where the follow-up meets.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpMeetingBody {
    pub starts_at: DateTime<Utc>,
    /// After `starts_at`, at most 10 hours later.
    pub ends_at: DateTime<Utc>,
    /// Where. Shown in calendar invitations: name nothing about the person.
    #[validate(
        length(max = 200, message = "högst 200 tecken"),
        custom(function = "rules::blank_or_line")
    )]
    #[schema(max_length = 200, pattern = "$line_or_blank")]
    pub location: Option<String>,
    /// An https link to the video meeting.
    #[validate(
        length(max = 500, message = "högst 500 tecken"),
        custom(function = "rules::valid_video_link")
    )]
    #[schema(max_length = 500, pattern = "$video_link")]
    pub video_link: Option<String>,
}

/// What booking the follow-up needs beyond its schema.
pub const FOLLOW_UP_RULES: &[FieldRule] = &[
    meetings::END_AFTER_START,
    meetings::AT_MOST_TEN_HOURS,
    meetings::NOT_IN_THE_PAST,
    meetings::WITHIN_TWO_YEARS,
    FieldRule::new(
        "location",
        "location_required",
        "a location or a video link",
    ),
];

/// The meeting kind a plan's follow-up is booked as.
fn meeting_kind(kind: PlanKind) -> MeetingKind {
    match kind {
        PlanKind::Sip => MeetingKind::SipMote,
        PlanKind::Finsam => MeetingKind::FinsamteamMote,
        PlanKind::Progressionsplan | PlanKind::Rehabplan => {
            MeetingKind::UppfoljningFordjupadSamverkan
        }
    }
}

/// Books the adopted plan's joint follow-up as a meeting of the case (the owner
/// organisation), inviting the people the plan names whose organisation is still covered.
#[utoipa::path(post, path = "/api/plans/{id}/follow-up-meeting",
    extensions(("x-field-rules" = json!(FOLLOW_UP_RULES))), tag = "plans",
    params(("id" = PlanId, Path)), request_body = FollowUpMeetingBody,
    responses(
        (status = 201, body = MeetingResponse),
        crate::http::problem::OwnerOnly,
        crate::http::problem::WrongStateOrConsentMissing,
        crate::http::CommonErrors,
    ))]
async fn book_follow_up(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<PlanId>,
    ValidJson(body): ValidJson<FollowUpMeetingBody>,
) -> AppResult<(StatusCode, Json<MeetingResponse>)> {
    let action = AuditAction::PlanFollowUpBook;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_plan(&mut tx, &actor, id, action).await?;
    access.require_owner(&actor, action)?;
    if !matches!(access.state(), PlanState::Adopted | PlanState::Revising) {
        return Err(AppError::Conflict {
            code: "invalid_transition",
            detail: format!(
                "Planen har status {} och har ingen fastställd uppföljning att boka.",
                access.state()
            ),
        });
    }
    let plan = plans::get(&mut tx, &access).await?;
    let content = plan.adopted.map(|a| a.content).unwrap_or_default();
    let named: Vec<_> = content
        .actions
        .iter()
        .map(|a| a.responsible)
        .chain(content.overall)
        .collect();
    let uncovered = authorize::plan_uncovered(
        &mut tx,
        access.case(),
        access.kind(),
        named.iter().map(|r| r.organisation),
        Timestamp::now(),
    )
    .await?;
    let mut people: Vec<UserId> = named
        .iter()
        .filter(|r| !uncovered.contains(&r.organisation))
        .filter_map(|r| r.person)
        .filter(|p| *p != actor.user_id)
        .collect();
    people.sort();
    people.dedup();
    let meeting = NewMeetingBody {
        case_id: Some(access.case().case_id()),
        kind: meeting_kind(access.kind()),
        purpose: Some(access.kind().purpose()),
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        place: body.location,
        video_link: body.video_link,
        participant_user_ids: people,
        external_attendees: Vec::new(),
    };
    // The meeting's own checks name its `place`; here it is the `location`.
    let response = book(&mut tx, &actor, meeting)
        .await
        .map_err(|err| match err {
            AppError::Validation(errors) => AppError::Validation(
                errors
                    .into_iter()
                    .map(|mut e| {
                        if e.field == "place" {
                            e.field = "location".to_owned();
                        }
                        e
                    })
                    .collect(),
            ),
            other => other,
        })?;
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(response)))
}
