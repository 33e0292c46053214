//! The problem+json responses operations name in their OpenAPI `responses(...)`, each a
//! status with the description the document shows, stated once. An operation lists the
//! ones it can give beside [`super::CommonErrors`]: `responses((status = 200, body = X),
//! problem::SenderOnly, problem::WrongState, CommonErrors)`.

use std::collections::BTreeMap;

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{Ref, RefOr};
use utoipa::ToSchema;

use crate::error::Problem;

/// Declares one `IntoResponses` type per problem response: `Name = (status, "description")`.
macro_rules! problems {
    ($($name:ident = ($status:literal, $description:literal),)*) => {$(
        #[doc = concat!("`", $status, "`: ", $description, ".")]
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                problem($status, $description)
            }
        }
    )*};
}

/// One status answered with a problem+json body, the `Problem` schema by reference.
fn problem(status: u16, description: &str) -> BTreeMap<String, RefOr<Response>> {
    let body = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(Problem::name())))
        .build();
    let response = ResponseBuilder::new()
        .description(description)
        .content("application/problem+json", body)
        .build();
    BTreeMap::from([(status.to_string(), response.into())])
}

problems! {
    // 401, 429, 503
    WrongCredentials = (401, "Fel användarnamn eller lösenord"),
    SignInCodeInvalid = (401, "Koden är okänd, använd eller för gammal"),
    TooManyAttempts = (429, "För många misslyckade försök"),
    TooManyOwnPasswordAttempts = (429, "För många fel nuvarande lösenord (eget lösenord)"),
    StoreDown = (503, "Lagringen svarar inte"),
    // The live stream's handshake
    NotWebSocket = (400, "Ingen WebSocket-begäran"),
    TicketInvalid = (401, "Ogiltig eller använd biljett"),
    OriginRefused = (403, "Otillåtet ursprung (Origin)"),
    InvalidParameters = (422, "Felaktiga parametrar"),
    // 403: who may
    NotCaseWork = (403, "Rollen arbetar inte med ärenden"),
    AdminOnly = (403, "Kräver administratör"),
    StatisticsReadersOnly = (403, "Kräver en roll som läser statistik (role_not_allowed)"),
    OidcRequired = (403, "Organisationen loggar bara in via sin identitetsleverantör (oidc_required)"),
    OwnerOnly = (403, "Bara ägande organisation"),
    OwnerWithRole = (403, "Bara ägande organisation och rätt roll"),
    OwnerManagersOnly = (403, "Bara ägande organisations ansvariga chefer och administratörer"),
    RecorderOnly = (403, "Bara organisationen som registrerade samtycket"),
    NotConfirmable = (403, "Samtycket är ert eget (`consent_recorded_by_you`) eller gäller inte er organisation nu (`consent_not_confirmable`)"),
    SenderOnly = (403, "Bara avsändaren"),
    RecipientOnly = (403, "Bara mottagaren"),
    RecipientCoordinatorOnly = (403, "Bara mottagarens rehabkoordinator"),
    OrganiserOnly = (403, "Bara den som kallat"),
    InviteesOnly = (403, "Bara kallade deltagare"),
    CallerOnly = (403, "Bara den organisation som kallade till SIP (wrong_party)"),
    CalledOnly = (403, "Bara de kallade organisationerna (wrong_party)"),
    CoordinatorOnly = (403, "Bara förbundets Finsam-koordinator (not_coordinator)"),
    CoordinatorStep = (403, "Steget tas av förbundets Finsam-koordinator (wrong_party)"),
    // 409: not now
    UsernameOrIdentityTaken = (409, "Användarnamnet eller OIDC-identiteten är upptagen"),
    LastAdminOrIdentityTaken = (409, "Skulle lämna organisationen utan administratör, eller OIDC-identiteten är upptagen"),
    ConsentNotActive = (409, "Samtycket är inte aktivt"),
    AlreadyConfirmed = (409, "Redan registrerat för er del (`consent_already_confirmed`)"),
    AlreadyAnnulled = (409, "Redan makulerat"),
    NotDraft = (409, "Inte ett utkast (invalid_transition)"),
    WrongState = (409, "Fel status (invalid_transition)"),
    WrongStateOrConsentMissing = (409, "Fel status (invalid_transition) eller samtycke saknas (consent_missing)"),
    ThreadClosed = (409, "Tråden är stängd (invalid_transition)"),
    ParticipantConsentMissing = (409, "Samtycke saknas för en deltagares organisation (consent_missing)"),
    MeetingCancelled = (409, "Mötet är inställt (meeting_cancelled)"),
    ConsentMissingOrCancelled = (409, "Samtycke saknas (consent_missing) eller mötet är inställt (meeting_cancelled)"),
    AlreadyCancelled = (409, "Redan inställt (meeting_cancelled)"),
    AlreadyBrought = (409, "Ärendet är redan lyft till rehabansvarig (already_brought)"),
    AgendaConflict = (409, "Mötet är inställt (meeting_cancelled), anmälan har fel status (invalid_transition), är redan på dagordningen (already_on_agenda) eller punkten är redan protokollförd (already_recorded)"),
    AlreadyCleared = (409, "Uppföljningen är redan övertagen (already_cleared)"),
    CalledConsentMissing = (409, "Samtycke för SIP saknas för en kallad organisation (consent_missing)"),
}
