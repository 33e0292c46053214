//! What the Finsam referral routes take and give.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::policy::ReferralAccess;
use crate::domain::finsam::{
    OtherRoute, Outcome, ReferralBox, ReferralDeclineReason, ReferralState, ReferralStep,
};
use crate::domain::{
    CaseId, ConsentId, FinsamEffortId, FinsamReferralId, OrganisationId, PlanId, UserId,
};
use crate::http::rules::FieldRule;
use crate::http::{not_blank, rfc3339};

use crate::store::finsam::{Referral, ReferralContent};

/// One referral content with the fields `extra` before them: the body of an update, and with
/// the förbund the body of a new draft (written out, not flattened, so that the document
/// states one closed object for each).
macro_rules! referral_body {
    ($(#[$meta:meta])* $name:ident { $($extra:tt)* }) => {
        $(#[$meta])*
        #[derive(Clone, Deserialize, Validate, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($extra)*
            /// Why coordination is needed.
            #[serde(default)]
            #[validate(length(max = 4000, message = "högst 4000 tecken"))]
            #[schema(max_length = 4000, pattern = "$text")]
            pub why_coordination: String,
            /// What has been tried so far.
            #[serde(default)]
            #[validate(length(max = 4000, message = "högst 4000 tecken"))]
            #[schema(max_length = 4000, pattern = "$text")]
            pub tried_so_far: String,
            /// Which parties are involved today.
            #[serde(default)]
            #[validate(length(max = 2000, message = "högst 2000 tecken"))]
            #[schema(max_length = 2000, pattern = "$text")]
            pub parties_today: String,
            /// The person's own goal and wishes.
            #[serde(default)]
            #[validate(length(max = 4000, message = "högst 4000 tecken"))]
            #[schema(max_length = 4000, pattern = "$text")]
            pub own_goal: String,
            /// Practical needs: interpreter, accessibility.
            #[serde(default)]
            #[validate(length(max = 2000, message = "högst 2000 tecken"))]
            #[schema(max_length = 2000, pattern = "$text")]
            pub practical_needs: String,
        }

        impl $name {
            pub fn content(&self) -> ReferralContent {
                ReferralContent {
                    why_coordination: self.why_coordination.trim().to_owned(),
                    tried_so_far: self.tried_so_far.trim().to_owned(),
                    parties_today: self.parties_today.trim().to_owned(),
                    own_goal: self.own_goal.trim().to_owned(),
                    practical_needs: self.practical_needs.trim().to_owned(),
                }
            }
        }
    };
}

referral_body! {
    /// The referral's content (anmälan till Finsam-team). Every field may be empty in a draft;
    /// sending needs `why_coordination` and `own_goal`.
    ReferralContentBody {}
}

referral_body! {
    /// A new draft in the case, to the förbund's team, with its content.
    NewReferralBody {
        /// The samordningsförbund (organisation kind `samordningsforbund`).
        pub forbund_organisation_id: OrganisationId,
    }
}

/// The coordinator's question when returning for completion.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    #[validate(
        length(min = 1, max = 2000, message = "1–2000 tecken"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 2000, pattern = "$text")]
    pub question: String,
}

/// The referrer's answer to the question, with the content as completed; resends.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    #[validate(
        length(min = 1, max = 2000, message = "1–2000 tecken"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 2000, pattern = "$text")]
    pub answer: String,
    /// The content as completed; omitted: unchanged.
    #[validate(nested)]
    pub content: Option<ReferralContentBody>,
}

/// The coordinator's decline.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineBody {
    pub reason: ReferralDeclineReason,
    /// Required with `other_route`, not allowed otherwise.
    pub other_route: Option<OtherRoute>,
    /// The explanation to the referrer.
    #[validate(length(max = 2000, message = "högst 2000 tecken"))]
    #[schema(min_length = 1, max_length = 2000, pattern = "$text")]
    pub text: String,
}

pub const SEND_RULES: &[FieldRule] = &[
    FieldRule::new("why_coordination", "required", "not blank when sending"),
    FieldRule::new("own_goal", "required", "not blank when sending"),
];

pub const NEW_RULES: &[FieldRule] = &[FieldRule::new(
    "forbund_organisation_id",
    "not_a_forbund",
    "an organisation of kind samordningsforbund",
)];

pub const DECLINE_RULES: &[FieldRule] = &[
    FieldRule::new("other_route", "required", "with reason other_route"),
    FieldRule::new("other_route", "not_allowed", "only with reason other_route"),
    FieldRule::new("text", "required", "not blank"),
];

/// Which box and state to list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReferralListQuery {
    /// `inbox` (to my förbund; coordinators only) or `sent` (by my organisation). Default `sent`.
    #[serde(rename = "box")]
    #[param(rename = "box")]
    pub mailbox: Option<ReferralBox>,
    pub state: Option<ReferralState>,
    /// Only the referrals of this case (the case page's own, without the rest of the box).
    pub case_id: Option<CaseId>,
    /// At most this many items (1-200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Skip this many items (default 0).
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<i64>,
}

/// The inbox counts behind the menu's badge.
#[derive(Serialize, ToSchema)]
pub struct ReferralCounts {
    /// Sent or completed, waiting for the coordinator's decision.
    pub new: i64,
    /// Returned for completion, waiting for the referrer.
    pub waiting: i64,
}

/// The coordinator's decline as shown.
#[derive(Serialize, ToSchema)]
pub struct DeclineResponse {
    pub reason: ReferralDeclineReason,
    pub other_route: Option<OtherRoute>,
    pub text: String,
}

/// A referral.
#[derive(Serialize, ToSchema)]
pub struct ReferralResponse {
    pub id: FinsamReferralId,
    pub case_id: CaseId,
    pub individual_name: String,
    pub referrer_organisation_id: OrganisationId,
    pub referrer_organisation_name: String,
    pub referrer_user_id: UserId,
    pub referrer_user_name: String,
    pub forbund_organisation_id: OrganisationId,
    pub forbund_organisation_name: String,
    pub state: ReferralState,
    pub why_coordination: String,
    pub tried_so_far: String,
    pub parties_today: String,
    pub own_goal: String,
    pub practical_needs: String,
    /// The written consent it was sent under.
    pub consent_id: Option<ConsentId>,
    pub question: Option<String>,
    pub answer: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decline: Option<DeclineResponse>,
    pub sent_at: Option<DateTime<Utc>>,
    /// The team's joint plan (kind `finsam`), once adopted.
    pub plan_id: Option<PlanId>,
    /// The next follow-up, while the plan runs.
    pub follow_up_due_at: Option<DateTime<Utc>>,
    /// How it ended, once closed.
    pub outcome: Option<Outcome>,
    /// The effort of the förbund's insatskatalog, with outcome `finsam_effort`.
    pub outcome_effort_id: Option<FinsamEffortId>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The steps I may take now (empty in lists).
    pub steps: Vec<ReferralStep>,
}

impl ReferralResponse {
    pub fn new(r: Referral, access: Option<&ReferralAccess>) -> Self {
        Self {
            id: r.id,
            case_id: r.case_id,
            individual_name: r.individual_name,
            referrer_organisation_id: r.referrer_organisation_id,
            referrer_organisation_name: r.referrer_organisation_name,
            referrer_user_id: r.referrer_user_id,
            referrer_user_name: r.referrer_user_name,
            forbund_organisation_id: r.forbund_organisation_id,
            forbund_organisation_name: r.forbund_organisation_name,
            state: r.state,
            why_coordination: r.content.why_coordination,
            tried_so_far: r.content.tried_so_far,
            parties_today: r.content.parties_today,
            own_goal: r.content.own_goal,
            practical_needs: r.content.practical_needs,
            consent_id: r.consent_id,
            question: r.question,
            answer: r.answer,
            decided_at: r.decided_at.map(rfc3339),
            decline: r.decline.map(|d| DeclineResponse {
                reason: d.reason,
                other_route: d.other_route,
                text: d.text,
            }),
            sent_at: r.sent_at.map(rfc3339),
            plan_id: r.plan_id,
            follow_up_due_at: r.follow_up_due_at.map(rfc3339),
            outcome: r.outcome,
            outcome_effort_id: r.outcome_effort_id,
            closed_at: r.closed_at.map(rfc3339),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            steps: access
                .filter(|a| a.state() == r.state)
                .map(|a| a.steps())
                .unwrap_or_default(),
        }
    }
}
