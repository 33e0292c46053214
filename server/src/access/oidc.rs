//! OpenID Connect relying party: the configured identity providers (issuers), their discovery
//! documents (read when first needed, refreshed hourly), the authorization request with PKCE,
//! nonce and state, the code exchange and the ID token checks (signature against the issuer's
//! JWKS, issuer, audience, expiry with the configured clock skew, nonce, and the
//! organisation's assurance level), and the end-session URL (RP-initiated logout).
//!
//! Which user a verified ID token is, and whether that user may sign in, is decided in
//! `http/oidc.rs` from the organisation settings here; roles never come from a claim.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope, TokenResponse,
};
use tokio::sync::RwLock;

use crate::config::{OidcIssuer, OidcOrganisation, Settings};

/// Why a provider sign-in failed; each has its own Swedish page (`http/oidc_page.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Unknown, used, expired state, or one started in another browser.
    StateInvalid,
    /// The provider answered with an error (the user cancelled, or was refused there).
    AccessDenied,
    /// The provider could not be reached or answered something unusable.
    ProviderError,
    /// The ID token's times do not fit the hub's clock (expired, or issued in the future).
    TokenExpired,
    /// Signature, issuer, audience or nonce wrong.
    TokenInvalid,
    /// The assurance level (`acr`) is not the one the organisation requires.
    AcrTooLow,
    /// No user of a bound organisation has the identifier, and none may be created.
    UnknownUser,
    /// The user's account is deactivated.
    AccountInactive,
}

impl Failure {
    /// The stable code (also the `outcome` label of the sign-in metric).
    pub fn code(self) -> &'static str {
        match self {
            Failure::StateInvalid => "state_invalid",
            Failure::AccessDenied => "access_denied",
            Failure::ProviderError => "provider_error",
            Failure::TokenExpired => "token_expired",
            Failure::TokenInvalid => "token_invalid",
            Failure::AcrTooLow => "acr_too_low",
            Failure::UnknownUser => "unknown_user",
            Failure::AccountInactive => "account_inactive",
        }
    }
}

/// A started authorization request: where to send the browser, and what to keep.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A verified ID token's claims (the whole payload) and its `acr`.
pub struct Verified {
    pub claims: serde_json::Map<String, serde_json::Value>,
    pub acr: Option<String>,
}

impl Verified {
    /// The claim's value as text (strings as they are, numbers written out); `None` if
    /// missing, empty or of another type.
    pub fn claim(&self, name: &str) -> Option<String> {
        match self.claims.get(name)? {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

struct Discovered {
    at: Instant,
    metadata: ProviderMetadataWithLogout,
}

/// The configured issuers and organisation bindings, with their discovery documents.
pub struct Providers {
    http: reqwest::Client,
    issuers: Vec<OidcIssuer>,
    organisations: Vec<OidcOrganisation>,
    public_url: String,
    clock_skew: chrono::Duration,
    discovered: RwLock<HashMap<String, Discovered>>,
}

const REDISCOVER_AFTER: Duration = Duration::from_secs(3600);

impl Providers {
    pub fn new(settings: &Settings) -> Self {
        // No redirects: a token endpoint that redirects could send the code elsewhere.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            http,
            issuers: settings.oidc.issuers.clone(),
            organisations: settings.oidc.organisations.clone(),
            public_url: settings.server.public_url.trim_end_matches('/').to_owned(),
            clock_skew: chrono::Duration::seconds(settings.oidc.clock_skew_seconds.max(0)),
            discovered: RwLock::new(HashMap::new()),
        }
    }

    pub fn issuer(&self, name: &str) -> Option<&OidcIssuer> {
        self.issuers.iter().find(|i| i.name == name)
    }

    pub fn issuers(&self) -> &[OidcIssuer] {
        &self.issuers
    }

    /// The settings of the organisation named `name`, if it signs in through a provider.
    pub fn organisation(&self, name: &str) -> Option<&OidcOrganisation> {
        self.organisations.iter().find(|o| o.organisation == name)
    }

    pub fn organisations(&self) -> &[OidcOrganisation] {
        &self.organisations
    }

    /// Where providers send the browser back to.
    pub fn redirect_url(&self) -> String {
        format!("{}/auth/oidc/callback", self.public_url)
    }

    async fn metadata(&self, issuer: &OidcIssuer) -> Result<ProviderMetadataWithLogout, Failure> {
        if let Some(found) = self.discovered.read().await.get(&issuer.name) {
            if found.at.elapsed() < REDISCOVER_AFTER {
                return Ok(found.metadata.clone());
            }
        }
        let url = IssuerUrl::new(issuer.issuer_url.clone()).map_err(|_| Failure::ProviderError)?;
        let metadata = ProviderMetadataWithLogout::discover_async(url, &self.http)
            .await
            .map_err(|err| {
                tracing::warn!(issuer = %issuer.name, error = %err, "OIDC discovery failed");
                Failure::ProviderError
            })?;
        self.discovered.write().await.insert(
            issuer.name.clone(),
            Discovered {
                at: Instant::now(),
                metadata: metadata.clone(),
            },
        );
        Ok(metadata)
    }

    /// The authorization request for `issuer`, asking for `acr` when one is required.
    pub async fn authorize(
        &self,
        issuer: &OidcIssuer,
        acr: Option<&str>,
    ) -> Result<Authorization, Failure> {
        let metadata = self.metadata(issuer).await?;
        let redirect = RedirectUrl::new(self.redirect_url()).map_err(|_| Failure::ProviderError)?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(issuer.client_id.clone()),
            Some(ClientSecret::new(issuer.client_secret.clone())),
        )
        .set_redirect_uri(redirect);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &issuer.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if let Some(acr) = acr.filter(|a| !a.is_empty()) {
            request = request.add_auth_context_value(AuthenticationContextClass::new(acr.into()));
        }
        let (url, state, nonce) = request.url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges `code` (with the PKCE verifier) and verifies the ID token against `nonce`.
    pub async fn exchange(
        &self,
        issuer: &OidcIssuer,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<Verified, Failure> {
        let metadata = self.metadata(issuer).await?;
        let redirect = RedirectUrl::new(self.redirect_url()).map_err(|_| Failure::ProviderError)?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(issuer.client_id.clone()),
            Some(ClientSecret::new(issuer.client_secret.clone())),
        )
        .set_redirect_uri(redirect);
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|_| Failure::ProviderError)?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|err| {
                tracing::warn!(issuer = %issuer.name, error = %err, "OIDC code exchange failed");
                Failure::ProviderError
            })?;
        let id_token = response.id_token().ok_or(Failure::TokenInvalid)?;
        let skew = self.clock_skew;
        let verifier = client
            .id_token_verifier()
            .set_time_fn(move || Utc::now() - skew)
            .set_issue_time_verifier_fn(move |iat| {
                if iat > Utc::now() + skew {
                    Err("issued in the future".into())
                } else {
                    Ok(())
                }
            });
        let nonce = Nonce::new(nonce.to_owned());
        let claims = id_token.claims(&verifier, &nonce).map_err(|err| {
            tracing::info!(issuer = %issuer.name, error = %err, "ID token refused");
            match err {
                ClaimsVerificationError::Expired(_) => Failure::TokenExpired,
                _ => Failure::TokenInvalid,
            }
        })?;
        let acr = claims.auth_context_ref().map(|a| a.as_str().to_owned());
        // The signature is verified above; the payload is read again for the claims that
        // are not standard (an HSA-id, an employee number).
        let payload = id_token
            .to_string()
            .split('.')
            .nth(1)
            .map(str::to_owned)
            .ok_or(Failure::TokenInvalid)?;
        let claims = decode_payload(&payload).ok_or(Failure::TokenInvalid)?;
        Ok(Verified { claims, acr })
    }

    /// The provider's end-session URL for signing out there too (RP-initiated logout), with
    /// the hub's start page to come back to; `None` when the provider has none.
    pub async fn end_session_url(&self, issuer: &OidcIssuer) -> Option<String> {
        let metadata = self.metadata(issuer).await.ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let back = PostLogoutRedirectUrl::new(format!("{}/", self.public_url)).ok()?;
        Some(
            LogoutRequest::from(endpoint)
                .set_client_id(ClientId::new(issuer.client_id.clone()))
                .set_post_logout_redirect_uri(back)
                .http_get_url()
                .to_string(),
        )
    }
}

fn decode_payload(payload: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_read_as_text_and_empty_ones_are_missing() {
        let claims = serde_json::json!({"hsa_id": " SE2321000016-1234 ", "employee_id": 4711, "email": "", "groups": ["a"]});
        let verified = Verified {
            claims: claims.as_object().cloned().unwrap_or_default(),
            acr: None,
        };
        assert_eq!(
            verified.claim("hsa_id").as_deref(),
            Some("SE2321000016-1234")
        );
        assert_eq!(verified.claim("employee_id").as_deref(), Some("4711"));
        assert_eq!(verified.claim("email"), None);
        assert_eq!(verified.claim("groups"), None);
        assert_eq!(verified.claim("missing"), None);
    }

    #[test]
    fn a_payload_decodes_from_base64url() {
        let claims = decode_payload("eyJzdWIiOiJhIiwiYWNyIjoibG9hMyJ9");
        assert_eq!(
            claims.and_then(|c| c.get("acr").cloned()),
            Some(serde_json::json!("loa3"))
        );
        assert!(decode_payload("!!").is_none());
    }
}
