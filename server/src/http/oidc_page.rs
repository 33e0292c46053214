//! The Swedish page a person sees when a sign-in through their identity provider fails:
//! what happened and what to do, with the stable code for support. Nothing personal in it
//! (and nothing personal in the URL that led here).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::access::oidc::Failure;

/// The page's status, heading, what happened, and what to do.
fn text(failure: Failure) -> (StatusCode, &'static str, &'static str, &'static str) {
    match failure {
        Failure::StateInvalid => (
            StatusCode::FORBIDDEN,
            "Inloggningen kunde inte slutföras",
            "Inloggningen hade gått ut, hade redan använts eller startades i en annan webbläsare.",
            "Börja om från inloggningssidan i samma webbläsare och slutför inloggningen inom tio minuter.",
        ),
        Failure::AccessDenied => (
            StatusCode::FORBIDDEN,
            "Inloggningen avbröts",
            "Inloggningen avbröts eller nekades hos din organisations identitetsleverantör.",
            "Försök igen. Om det inte går, kontakta din organisations IT-support.",
        ),
        Failure::ProviderError => (
            StatusCode::BAD_GATEWAY,
            "Identitetsleverantören svarade inte som väntat",
            "Samverkan kunde inte slutföra inloggningen hos din organisations identitetsleverantör.",
            "Försök igen om en stund. Om felet kvarstår, kontakta din organisations IT-support.",
        ),
        Failure::TokenExpired => (
            StatusCode::UNAUTHORIZED,
            "Inloggningen har gått ut",
            "Intyget från identitetsleverantören hade gått ut eller var daterat i framtiden. \
             Det kan bero på att en klocka går fel, hos dig eller hos leverantören.",
            "Kontrollera att datorns klocka och tidszon är rätt och logga in igen. Om felet \
             kvarstår, kontakta din organisations IT-support.",
        ),
        Failure::TokenInvalid => (
            StatusCode::UNAUTHORIZED,
            "Inloggningen kunde inte kontrolleras",
            "Intyget från identitetsleverantören gick inte att kontrollera.",
            "Logga in igen. Om felet kvarstår, kontakta din organisations IT-support.",
        ),
        Failure::AcrTooLow => (
            StatusCode::FORBIDDEN,
            "Inloggningen har för låg tillitsnivå",
            "Samverkan hanterar personuppgifter och kräver inloggning på den tillitsnivå din \
             organisation har bestämt (tillitsnivå 3), till exempel med SITHS-kort.",
            "Logga in igen och välj SITHS-kort eller en annan inloggning på tillitsnivå 3.",
        ),
        Failure::UnknownUser => (
            StatusCode::FORBIDDEN,
            "Du har inget konto i Samverkan",
            "Inloggningen hos din organisation lyckades, men ingen användare i Samverkan är \
             kopplad till din identitet.",
            "Be din organisations administratör i Samverkan att lägga upp dig med din identitet \
             (till exempel ditt HSA-id), och logga sedan in igen.",
        ),
        Failure::AccountInactive => (
            StatusCode::FORBIDDEN,
            "Ditt konto är inte aktivt",
            "Ditt konto i Samverkan är avstängt.",
            "Kontakta din organisations administratör i Samverkan.",
        ),
    }
}

/// The failure page, as a whole HTML response.
pub fn render(failure: Failure) -> Response {
    let (status, heading, what, todo) = text(failure);
    let code = failure.code();
    let body = format!(
        "<!doctype html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{heading} – Samverkan</title>\n<link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n\
         <body>\n<header class=\"top\"><p class=\"brand\">Samverkan</p></header>\n\
         <main id=\"innehall\" class=\"narrow\">\n<h1>{heading}</h1>\n<p>{what}</p>\n\
         <h2>Så gör du</h2>\n<p>{todo}</p>\n\
         <p><a href=\"/\">Till inloggningen</a></p>\n\
         <p class=\"hint\">Felkod för IT-supporten: <code id=\"felkod\">{code}</code></p>\n</main>\n\
         <footer><p>Samverkan – ett nav för samverkan kring rehabilitering.</p></footer>\n</body>\n</html>\n"
    );
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'self'; frame-ancestors 'none'"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_has_its_own_code_and_a_swedish_heading() {
        let all = [
            Failure::StateInvalid,
            Failure::AccessDenied,
            Failure::ProviderError,
            Failure::TokenExpired,
            Failure::TokenInvalid,
            Failure::AcrTooLow,
            Failure::UnknownUser,
            Failure::AccountInactive,
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(|f| f.code()).collect();
        assert_eq!(codes.len(), all.len());
        for failure in all {
            let (status, heading, what, todo) = text(failure);
            assert!(status.is_client_error() || status.is_server_error());
            assert!(!heading.is_empty() && !what.is_empty() && !todo.is_empty());
        }
    }
}
