//! The closed vocabularies: organisation kinds, roles, consent purposes and forms, statuses.
//! Each is stored and sent as its stable snake_case code.

use serde::{Deserialize, Serialize};

macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $code)] $variant),*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),* }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)* _ => None }
            }
        }

        /// The schema lists the wire codes, exactly as sent and accepted.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($code),*]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

/// For other closed vocabularies of the hub (e.g. notification kinds).
pub(crate) use code_enum;

code_enum! {
    /// The kind of an organisation.
    OrganisationKind {
        /// Socialtjänsten, enhet för ekonomiskt bistånd.
        Socialtjanst = "socialtjanst",
        /// Vårdcentral (primary care clinic).
        Vardcentral = "vardcentral",
        /// Psykiatrisk mottagning.
        Psykiatri = "psykiatri",
        /// Jobbtorg, the municipal labour-market unit.
        Jobbtorg = "jobbtorg",
        /// Försäkringskassan.
        Forsakringskassan = "forsakringskassan",
        /// Arbetsförmedlingen.
        Arbetsformedlingen = "arbetsformedlingen",
        /// Samordningsförbund (Finsam).
        Samordningsforbund = "samordningsforbund",
    }
}

code_enum! {
    /// A role a user holds in their organisation.
    Role {
        Socialsekreterare = "socialsekreterare",
        /// Rehab lead (rehabansvarig / samordnare rehabärenden).
        Rehabansvarig = "rehabansvarig",
        BitradandeEnhetschef = "bitradande_enhetschef",
        Rehabkoordinator = "rehabkoordinator",
        Finsamkoordinator = "finsamkoordinator",
        /// Handläggare at Försäkringskassan.
        Handlaggare = "handlaggare",
        Arbetsformedlare = "arbetsformedlare",
        Jobbcoach = "jobbcoach",
        /// Manages the organisation's users and reads its audit log; sees no case content.
        OrgAdmin = "org_admin",
        /// Reads the organisation's figures (group statistics) only; sees no case content.
        Statistik = "statistik",
    }
}

impl Role {
    /// Roles that work with cases (everything but administration and statistics).
    pub fn works_cases(self) -> bool {
        !matches!(self, Role::OrgAdmin | Role::Statistik)
    }

    /// Leads who may see every case of their unit, protected identities included.
    pub fn is_lead(self) -> bool {
        matches!(self, Role::Rehabansvarig | Role::BitradandeEnhetschef)
    }
}

code_enum! {
    /// What a consent allows information to be shared for (ändamål).
    Purpose {
        Informationsutbyte = "informationsutbyte",
        Rehabiliteringsforfragan = "rehabiliteringsforfragan",
        Sip = "sip",
        Finsamteam = "finsamteam",
        FordjupadSamverkan = "fordjupad_samverkan",
    }
}

impl Purpose {
    /// The purpose as a Swedish reader knows it (in messages; the API sends the code).
    pub fn label(self) -> &'static str {
        match self {
            Purpose::Informationsutbyte => "informationsutbyte",
            Purpose::Rehabiliteringsforfragan => "rehabiliteringsförfrågan",
            Purpose::Sip => "SIP",
            Purpose::Finsamteam => "Finsamteam",
            Purpose::FordjupadSamverkan => "fördjupad samverkan",
        }
    }
}

code_enum! {
    /// How consent was given.
    ConsentForm {
        Muntligt = "muntligt",
        Skriftligt = "skriftligt",
    }
}

code_enum! {
    /// active; ended (återkallat, kept as history); annulled (makulerat, entered in error).
    ConsentStatus {
        Active = "active",
        Ended = "ended",
        Annulled = "annulled",
    }
}

code_enum! {
    /// A case is open while the collaboration goes on.
    CaseStatus {
        Open = "open",
        Closed = "closed",
    }
}

code_enum! {
    /// Why a case was closed (avslutsorsak).
    CloseReason {
        /// Målet med samverkan är nått (e.g. in work or studies).
        GoalReached = "goal_reached",
        /// Another body (huvudman) or effort takes over.
        Transferred = "transferred",
        /// The person no longer wants the collaboration.
        PersonDeclined = "person_declined",
        /// The person moved out of the area.
        Moved = "moved",
        /// Something else; say what in the text.
        Other = "other",
    }
}

code_enum! {
    /// Where a rehab inquiry (rehabiliteringsförfrågan) is in its life; see `domain::inquiry`.
    InquiryState {
        /// Being written by the sender; invisible to the recipient.
        Draft = "draft",
        /// In the recipient organisation's shared inbox, not yet opened there.
        Sent = "sent",
        /// Opened by someone at the recipient organisation.
        Received = "received",
        /// Given to a rehab coordinator (rehabkoordinator) of the recipient.
        Assigned = "assigned",
        Answered = "answered",
        /// Done: the sender has taken in the answer.
        Closed = "closed",
        Declined = "declined",
        /// Taken back by the sender.
        Withdrawn = "withdrawn",
    }
}

code_enum! {
    /// Why a recipient declines an inquiry.
    DeclineReason {
        /// The person is not listed at this clinic.
        PersonNotListedHere = "person_not_listed_here",
        ConsentInsufficient = "consent_insufficient",
        WrongUnit = "wrong_unit",
        /// Explained in the accompanying text, which is then required.
        Other = "other",
    }
}

code_enum! {
    /// Which side of the inquiry exchange a list shows: what my organisation received or sent.
    InquiryBox {
        Inbox = "inbox",
        Outbox = "outbox",
    }
}

code_enum! {
    /// The kind of a meeting (möte); the Swedish name is `label()`, see `domain::meeting`.
    MeetingKind {
        /// SIP-möte (samordnad individuell plan).
        SipMote = "sip_mote",
        /// Finsamteam-möte.
        FinsamteamMote = "finsamteam_mote",
        /// Trepartsmöte: the individual, a jobbcoach and a social worker.
        Trepartsmote = "trepartsmote",
        /// Avstämningsmöte: the individual, care and social services.
        Avstamningsmote = "avstamningsmote",
        /// Gemensam kartläggning (Arbetsförmedlingen and Försäkringskassan).
        GemensamKartlaggning = "gemensam_kartlaggning",
        /// Uppföljningsmöte i fördjupad samverkan.
        UppfoljningFordjupadSamverkan = "uppfoljning_fordjupad_samverkan",
        Other = "other",
    }
}

code_enum! {
    /// A meeting is scheduled until it is cancelled (inställt).
    MeetingStatus {
        Scheduled = "scheduled",
        Cancelled = "cancelled",
    }
}

code_enum! {
    /// A participant's answer to an invitation (iCalendar PARTSTAT).
    MeetingAnswer {
        Accepted = "accepted",
        Declined = "declined",
        Tentative = "tentative",
    }
}
