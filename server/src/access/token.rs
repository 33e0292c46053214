//! Access tokens. Local accounts get a short-lived HS256 JWT. Verification goes through the
//! `TokenVerifier` trait, so an OIDC verifier (e.g. SITHS/Inera IdP tokens checked against a
//! JWKS) can be added beside it without touching a handler.

use chrono::{Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::AuthSettings;
use crate::domain::{SessionId, Timestamp, UserId};

/// Who a verified token speaks for. A federated verifier would map its subject (e.g. an
/// HSA-id) to a local user and return the same value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub user_id: UserId,
    /// The sign-in session the token belongs to; its limits are checked on every request.
    pub session_id: SessionId,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token invalid")]
    Invalid,
}

pub trait TokenVerifier: Send + Sync {
    fn verify(&self, token: &str) -> Result<Identity, TokenError>;
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    aud: String,
    iat: i64,
    /// Not before: checked, so a token minted for later is refused until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    exp: i64,
    jti: String,
    sid: String,
}

/// Issues and verifies the hub's own tokens.
pub struct LocalTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl LocalTokens {
    pub fn new(settings: &AuthSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_audience(&[settings.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 0;
        Self {
            encoding: EncodingKey::from_secret(settings.jwt_secret.as_bytes()),
            decoding: DecodingKey::from_secret(settings.jwt_secret.as_bytes()),
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ttl: Duration::minutes(settings.token_ttl_minutes),
        }
    }

    /// A signed token for `user` in `session` and when it expires: after the configured
    /// lifetime, but never after `not_after` (the session's own end).
    pub fn issue(
        &self,
        user: UserId,
        session: SessionId,
        not_after: Timestamp,
    ) -> anyhow::Result<(String, Timestamp)> {
        let now = Utc::now();
        let expires = (now + self.ttl).min(not_after.to_datetime());
        let claims = Claims {
            sub: user.to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now.timestamp(),
            nbf: Some(now.timestamp()),
            exp: expires.timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
            sid: session.to_string(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, Timestamp::from_datetime(expires)))
    }
}

impl TokenVerifier for LocalTokens {
    fn verify(&self, token: &str) -> Result<Identity, TokenError> {
        let data =
            decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
                match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                    _ => TokenError::Invalid,
                }
            })?;
        let user_id = data.claims.sub.parse().map_err(|_| TokenError::Invalid)?;
        let session_id = data.claims.sid.parse().map_err(|_| TokenError::Invalid)?;
        Ok(Identity {
            user_id,
            session_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;
    use crate::config::Settings;

    fn tokens(secret: &str) -> anyhow::Result<LocalTokens> {
        let mut settings = Settings::defaults()?.auth;
        settings.jwt_secret = secret.into();
        Ok(LocalTokens::new(&settings))
    }

    fn far() -> Timestamp {
        Timestamp::now().plus_days(1)
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    #[test]
    fn signs_and_verifies_a_real_token() -> anyhow::Result<()> {
        let tokens = tokens("a-secret-long-enough-for-hs256-signing")?;
        let (user, session) = (UserId::new(), SessionId::new());
        let (token, expires) = tokens.issue(user, session, far())?;
        assert_eq!(token.split('.').count(), 3);
        assert!(expires > Timestamp::now());
        assert_eq!(
            tokens.verify(&token),
            Ok(Identity {
                user_id: user,
                session_id: session
            })
        );
        Ok(())
    }

    #[test]
    fn a_token_never_outlives_its_session() -> anyhow::Result<()> {
        let tokens = tokens("a-secret-long-enough-for-hs256-signing")?;
        let soon = Timestamp::from_micros(Timestamp::now().micros() + 60_000_000);
        let (_, expires) = tokens.issue(UserId::new(), SessionId::new(), soon)?;
        assert!(expires <= soon);
        Ok(())
    }

    #[test]
    fn rejects_a_token_signed_with_another_key() -> anyhow::Result<()> {
        let (token, _) = tokens("the-attackers-own-secret-of-some-length")?.issue(
            UserId::new(),
            SessionId::new(),
            far(),
        )?;
        assert_eq!(
            tokens("a-secret-long-enough-for-hs256-signing")?.verify(&token),
            Err(TokenError::Invalid)
        );
        Ok(())
    }

    /// A token signed with `secret` over hand-made times.
    fn hand_made(secret: &str, iat: i64, nbf: Option<i64>, exp: i64) -> anyhow::Result<String> {
        let claims = Claims {
            sub: UserId::new().to_string(),
            iss: "samverkan".into(),
            aud: "samverkan-api".into(),
            iat,
            nbf,
            exp,
            jti: "x".into(),
            sid: SessionId::new().to_string(),
        };
        Ok(encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )?)
    }

    #[test]
    fn rejects_an_expired_token() -> anyhow::Result<()> {
        let secret = "a-secret-long-enough-for-hs256-signing";
        let now = Utc::now().timestamp();
        let token = hand_made(secret, now - 3600, None, now - 60)?;
        assert_eq!(tokens(secret)?.verify(&token), Err(TokenError::Expired));
        Ok(())
    }

    #[test]
    fn rejects_a_token_that_is_not_yet_valid() -> anyhow::Result<()> {
        let secret = "a-secret-long-enough-for-hs256-signing";
        let now = Utc::now().timestamp();
        let early = hand_made(secret, now, Some(now + 3600), now + 7200)?;
        assert_eq!(tokens(secret)?.verify(&early), Err(TokenError::Invalid));
        let valid = hand_made(secret, now, Some(now - 1), now + 7200)?;
        assert!(tokens(secret)?.verify(&valid).is_ok());
        Ok(())
    }

    #[test]
    fn rejects_alg_none_and_tampered_tokens() -> anyhow::Result<()> {
        let tokens = tokens("a-secret-long-enough-for-hs256-signing")?;
        let (token, _) = tokens.issue(UserId::new(), SessionId::new(), far())?;
        let payload = token.split('.').nth(1).unwrap_or_default();
        let unsigned = format!("{}.{payload}.", b64(br#"{"alg":"none","typ":"JWT"}"#));
        assert_eq!(tokens.verify(&unsigned), Err(TokenError::Invalid));

        let other_payload = b64(format!(
            r#"{{"sub":"{}","iss":"samverkan","aud":"samverkan-api","iat":0,"exp":9999999999,"jti":"x"}}"#,
            UserId::new()
        ).as_bytes());
        let signature = token.split('.').nth(2).unwrap_or_default();
        let header = token.split('.').next().unwrap_or_default();
        assert_eq!(
            tokens.verify(&format!("{header}.{other_payload}.{signature}")),
            Err(TokenError::Invalid)
        );
        Ok(())
    }
}
