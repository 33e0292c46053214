//! Typed identifiers, so a `CaseId` can never be passed where a `ConsentId` belongs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Uuid,
                    )))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    )*};
}

typed_id! {
    /// An organisation (myndighet, enhet, vårdcentral ...).
    OrganisationId,
    /// A user account of one organisation.
    UserId,
    /// A sign-in session; every access token names one.
    SessionId,
    /// An individual (klient, patient, deltagare).
    IndividualId,
    /// A case (ärende).
    CaseId,
    /// A consent record (samtycke).
    ConsentId,
    /// A rehab inquiry (rehabiliteringsförfrågan).
    InquiryId,
    /// A post in an inquiry's follow-up thread.
    InquiryPostId,
    /// A secure message in a case.
    MessageId,
    /// A meeting (möte).
    MeetingId,
    /// An external attendee of a meeting (the individual, a relative), invited by e-mail.
    AttendeeId,
    /// A joint plan (samverkansplan) of a case, of any kind.
    PlanId,
    /// A goal (huvudmål or delmål) of a plan; stable across the plan's versions.
    PlanGoalId,
    /// An action (insats) of a plan; stable across the plan's versions.
    PlanActionId,
    /// A call to a SIP (kallelse till SIP).
    SipCallId,
    /// A referral to a samordningsförbund's Finsamteam (anmälan till Finsam-team).
    FinsamReferralId,
    /// An individual (a referral) on a Finsamteam meeting's agenda.
    FinsamAgendaItemId,
    /// An effort (insats) of a samordningsförbund's insatskatalog.
    FinsamEffortId,
}
