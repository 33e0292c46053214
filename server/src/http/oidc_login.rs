//! Finishing a provider sign-in: the state taken once from the store (and checked against
//! the browser that started it), the code exchanged, the ID token verified, and the user
//! found by the organisation's identifying claim, or created when the organisation allows
//! it, with the organisation's configured roles only (never roles from a claim).

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::access::oidc::{Failure, Verified};
use crate::app::AppState;
use crate::config::OidcOrganisation;
use crate::domain::{OrganisationId, Timestamp, UserId};
use crate::error::AppResult;
use crate::store::users::{self, User};
use crate::store::{oidc, organisations, Tx};

/// What a created user's password hash is: no password ever matches it.
const NO_PASSWORD: &str = "!oidc-only";

/// The signed-in user and the issuer, or why not.
pub async fn finish(
    state: &AppState,
    params: &HashMap<String, String>,
    browser: Option<String>,
) -> AppResult<Result<(UserId, String), Failure>> {
    let Some(state_param) = params.get("state").filter(|s| !s.is_empty()) else {
        return Ok(Err(Failure::StateInvalid));
    };
    let mut tx = state.store.begin().await?;
    let login = oidc::take_login(&mut tx, state_param).await?;
    tx.commit().await?;
    let Some(login) = login else {
        return Ok(Err(Failure::StateInvalid));
    };
    let browser_hash = browser.map(|b| hex::encode(Sha256::digest(b.as_bytes())));
    if login.expires_at <= Timestamp::now() || browser_hash.as_deref() != Some(&login.browser_hash)
    {
        return Ok(Err(Failure::StateInvalid));
    }
    if params.contains_key("error") {
        return Ok(Err(Failure::AccessDenied));
    }
    let Some(issuer) = state.oidc.issuer(&login.issuer).cloned() else {
        return Ok(Err(Failure::StateInvalid));
    };
    // RFC 9207: when the provider names itself, it must be the issuer this sign-in went to.
    if let Some(iss) = params.get("iss") {
        if iss.trim_end_matches('/') != issuer.issuer_url.trim_end_matches('/') {
            return Ok(Err(Failure::TokenInvalid));
        }
    }
    let Some(code) = params.get("code").filter(|c| !c.is_empty()) else {
        return Ok(Err(Failure::ProviderError));
    };
    let verified = match state
        .oidc
        .exchange(&issuer, code, &login.pkce_verifier, &login.nonce)
        .await
    {
        Ok(v) => v,
        Err(failure) => return Ok(Err(failure)),
    };
    let mut tx = state.store.begin().await?;
    let candidates = candidates(state, &mut tx, &issuer.name, login.organisation_id).await?;
    let result = match_user(&mut tx, &candidates, &verified).await?;
    tx.commit().await?;
    Ok(result.map(|user| (user, issuer.name)))
}

/// The organisations bound to `issuer` (only `chosen` if the sign-in named one), with ids.
async fn candidates(
    state: &AppState,
    tx: &mut Tx,
    issuer: &str,
    chosen: Option<OrganisationId>,
) -> AppResult<Vec<(OrganisationId, OidcOrganisation)>> {
    let mut out = Vec::new();
    for bound in state.oidc.organisations() {
        if !bound.issuers.iter().any(|i| i == issuer) {
            continue;
        }
        if let Some(org) = organisations::find_by_name(tx, &bound.organisation).await? {
            if chosen.is_none_or(|c| c == org.id) {
                out.push((org.id, bound.clone()));
            }
        }
    }
    Ok(out)
}

fn acr_ok(settings: &OidcOrganisation, verified: &Verified) -> bool {
    settings.acr.is_empty() || verified.acr.as_deref() == Some(settings.acr.as_str())
}

async fn match_user(
    tx: &mut Tx,
    candidates: &[(OrganisationId, OidcOrganisation)],
    verified: &Verified,
) -> AppResult<Result<UserId, Failure>> {
    for (org, settings) in candidates {
        let Some(identifier) = verified.claim(&settings.claim) else {
            continue;
        };
        if let Some(user_id) = oidc::find_user(tx, *org, &identifier).await? {
            if !acr_ok(settings, verified) {
                return Ok(Err(Failure::AcrTooLow));
            }
            let user = users::get(tx, user_id).await?;
            if !user.active {
                return Ok(Err(Failure::AccountInactive));
            }
            return Ok(Ok(user.id));
        }
    }
    // Nobody has the identifier: create one where exactly one organisation allows it.
    let creators: Vec<_> = candidates
        .iter()
        .filter(|(_, s)| {
            s.create_users && !s.default_roles.is_empty() && verified.claim(&s.claim).is_some()
        })
        .collect();
    let [(org, settings)] = creators.as_slice() else {
        return Ok(Err(Failure::UnknownUser));
    };
    if !acr_ok(settings, verified) {
        return Ok(Err(Failure::AcrTooLow));
    }
    let identifier = verified.claim(&settings.claim).unwrap_or_default();
    let mut roles = settings.default_roles.clone();
    roles.sort();
    roles.dedup();
    let id = UserId::new();
    let display_name = verified
        .claim("name")
        .filter(|n| n.chars().count() <= 200 && !n.chars().any(char::is_control))
        .unwrap_or_else(|| identifier.clone());
    let user = User {
        id,
        organisation_id: *org,
        // Not a personal detail: a fresh name that only says how the account came about.
        username: format!("oidc-{}", id.to_string().replace('-', "")),
        display_name,
        email: verified
            .claim("email")
            .filter(|e| e.len() <= 254 && e.contains('@'))
            .unwrap_or_default(),
        active: true,
        roles,
    };
    users::insert(tx, &user, NO_PASSWORD).await?;
    oidc::set_identifier(tx, *org, user.id, Some(&identifier)).await?;
    tracing::info!(user_id = %user.id, "user created at first identity-provider sign-in");
    Ok(Ok(user.id))
}
