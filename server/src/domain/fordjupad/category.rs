//! The progressionsplan's action categories (000 Bilaga 1) and who acts on and follows up an
//! action of each: in categories 1–2 the social worker acts and the biträdande enhetschef
//! follows up (a finished category 1 is reassessed); in 3–5 the social worker and the
//! rehabansvarig act together and the rehabansvarig follows up. Categories 4 and 5 carry steps
//! of their own.

use serde::{Deserialize, Serialize};

use crate::domain::kinds::code_enum;
use crate::domain::Role;

/// An action's category, 1–5 on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "u8")]
pub enum ActionCategory {
    /// 1: more mapping or evidence.
    Kartlaggning,
    /// 2: simple measures.
    EnklaAtgarder,
    /// 3: collaboration with care or Jobbtorg.
    SamverkanVardJobbtorg,
    /// 4: förtroendeläkare.
    Fortroendelakare,
    /// 5: AFU (aktivitetsförmågeutredning).
    Afu,
}

impl ActionCategory {
    pub const ALL: &'static [ActionCategory] = &[
        ActionCategory::Kartlaggning,
        ActionCategory::EnklaAtgarder,
        ActionCategory::SamverkanVardJobbtorg,
        ActionCategory::Fortroendelakare,
        ActionCategory::Afu,
    ];

    pub fn number(self) -> u8 {
        match self {
            ActionCategory::Kartlaggning => 1,
            ActionCategory::EnklaAtgarder => 2,
            ActionCategory::SamverkanVardJobbtorg => 3,
            ActionCategory::Fortroendelakare => 4,
            ActionCategory::Afu => 5,
        }
    }

    pub fn from_number(n: u8) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.number() == n)
    }

    pub fn label(self) -> &'static str {
        match self {
            ActionCategory::Kartlaggning => "Mer kartläggning eller underlag",
            ActionCategory::EnklaAtgarder => "Enkla åtgärder",
            ActionCategory::SamverkanVardJobbtorg => "Samverkan med vården eller Jobbtorg",
            ActionCategory::Fortroendelakare => "Förtroendeläkare",
            ActionCategory::Afu => "AFU",
        }
    }

    /// Who holds the follow-up responsibility for an action of this category.
    pub fn follow_up_holder(self) -> FollowUpHolder {
        match self {
            ActionCategory::Kartlaggning | ActionCategory::EnklaAtgarder => {
                FollowUpHolder::BitradandeEnhetschef
            }
            ActionCategory::SamverkanVardJobbtorg
            | ActionCategory::Fortroendelakare
            | ActionCategory::Afu => FollowUpHolder::Rehabansvarig,
        }
    }

    /// The roles that act on an action of this category.
    pub fn actors(self) -> &'static [Role] {
        match self.follow_up_holder() {
            FollowUpHolder::BitradandeEnhetschef => &[Role::Socialsekreterare],
            FollowUpHolder::Rehabansvarig => &[Role::Socialsekreterare, Role::Rehabansvarig],
        }
    }

    /// A finished action of this category is reassessed rather than closed (category 1).
    pub fn reassessed_when_done(self) -> bool {
        self == ActionCategory::Kartlaggning
    }

    /// The steps an action of this category carries, in order.
    pub fn steps(self) -> &'static [CategoryStep] {
        match self {
            ActionCategory::Fortroendelakare => &[
                CategoryStep::ReferralWithConsent,
                CategoryStep::RecommendationsReceived,
            ],
            ActionCategory::Afu => &[
                CategoryStep::OrderWithConsent,
                CategoryStep::TimesOffered,
                CategoryStep::InterpreterBooked,
                CategoryStep::RecommendationsReceived,
            ],
            _ => &[],
        }
    }
}

impl TryFrom<u8> for ActionCategory {
    type Error = String;

    fn try_from(n: u8) -> Result<Self, Self::Error> {
        Self::from_number(n).ok_or_else(|| format!("category must be 1–5, not {n}"))
    }
}

/// JSON Schema counts `1` and `1.0` as the same integer, so a client generated from the
/// document may send either; a fraction or a number outside 1–5 is refused.
impl TryFrom<f64> for ActionCategory {
    type Error = String;

    fn try_from(n: f64) -> Result<Self, Self::Error> {
        if n.fract() != 0.0 || !(0.0..=255.0).contains(&n) {
            return Err(format!("category must be 1–5, not {n}"));
        }
        Self::try_from(n as u8)
    }
}

impl From<ActionCategory> for u8 {
    fn from(c: ActionCategory) -> u8 {
        c.number()
    }
}

impl utoipa::PartialSchema for ActionCategory {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(1))
            .maximum(Some(5))
            .description(Some(
                "1 more mapping or evidence; 2 simple measures; 3 collaboration with care or \
                 Jobbtorg; 4 förtroendeläkare; 5 AFU",
            ))
            .into()
    }
}

impl utoipa::ToSchema for ActionCategory {}

code_enum! {
    /// Who follows up an action.
    FollowUpHolder {
        Rehabansvarig = "rehabansvarig",
        BitradandeEnhetschef = "bitradande_enhetschef",
    }
}

impl FollowUpHolder {
    pub fn role(self) -> Role {
        match self {
            FollowUpHolder::Rehabansvarig => Role::Rehabansvarig,
            FollowUpHolder::BitradandeEnhetschef => Role::BitradandeEnhetschef,
        }
    }
}

code_enum! {
    /// The steps of a category 4 or 5 action (000 Avsnitt 1).
    CategoryStep {
        /// Förtroendeläkare: referral sent with the individual's consent.
        ReferralWithConsent = "referral_with_consent",
        /// AFU: ordered with record authority and consent.
        OrderWithConsent = "order_with_consent",
        /// AFU: the supplier offered times (within 2 weeks of the order).
        TimesOffered = "times_offered",
        /// AFU: an interpreter booked (when one is needed).
        InterpreterBooked = "interpreter_booked",
        /// Written recommendations received; an avstämning is then due within a month.
        RecommendationsReceived = "recommendations_received",
    }
}

/// The AFU supplier offers times within this many days of the order.
pub const AFU_OFFER_WITHIN_DAYS: i64 = 14;

/// The last day the AFU supplier may offer times for an order placed on `ordered_on`.
pub fn afu_offer_due(ordered_on: chrono::NaiveDate) -> chrono::NaiveDate {
    ordered_on + chrono::Duration::days(AFU_OFFER_WITHIN_DAYS)
}
