//! Users of the caller's own organisation; administrators create and change them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{rfc3339, ApiPath, Source, ValidJson};
use crate::access::{password, policy, Actor, CurrentUser, SignedIn};
use crate::app::AppState;
use crate::domain::{OrganisationId, Role, Timestamp, UserId};
use crate::error::{AppError, AppResult};
use crate::http::rules::TextLine;
use crate::store::organisations::{self, Organisation};
use crate::store::sessions;
use crate::store::users::{self, User};
use crate::store::StoreError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
}

#[derive(Serialize, ToSchema)]
pub struct UserResponse {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub active: bool,
    pub roles: Vec<Role>,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    /// When the user last signed in; `null` if never (filled in by the users API).
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// The user's identifier at the organisation's identity provider (the configured claim's
    /// value, e.g. an HSA-id); `null`: none (filled in by the users API).
    pub oidc_identifier: Option<String>,
}

impl UserResponse {
    pub fn new(user: User, organisation: &Organisation) -> Self {
        Self {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            email: user.email,
            active: user.active,
            roles: user.roles,
            organisation_id: organisation.id,
            organisation_name: organisation.name.clone(),
            last_sign_in_at: None,
            oidc_identifier: None,
        }
    }

    fn signed_in(mut self, last: &HashMap<UserId, Timestamp>) -> Self {
        self.last_sign_in_at = last.get(&self.id).copied().map(rfc3339);
        self
    }
}

fn valid_username(value: &str) -> Result<(), validator::ValidationError> {
    let ok = (3..=64).contains(&value.len())
        && value.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if ok {
        return Ok(());
    }
    let mut err = validator::ValidationError::new("invalid_username");
    err.message = Some("3–64 tecken: a–z, 0–9, punkt, understreck, bindestreck".into());
    Err(err)
}

fn valid_roles(roles: &[Role]) -> Result<(), validator::ValidationError> {
    if roles.is_empty() {
        let mut err = validator::ValidationError::new("required");
        err.message = Some("ange minst en roll".into());
        return Err(err);
    }
    Ok(())
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[validate(custom(function = "valid_username"))]
    #[schema(pattern = r"^[a-z0-9._-]{3,64}$")]
    pub username: String,
    #[validate(nested)]
    #[schema(inline)]
    pub display_name: TextLine<200>,
    #[validate(
        email(message = "ogiltig e-postadress"),
        length(max = 254, message = "högst 254 tecken")
    )]
    #[schema(format = Email, max_length = 254, pattern = "$email")]
    pub email: String,
    /// The password to sign in with here. Left out, the user signs in only through the
    /// organisation's identity provider, and `oidc_identifier` is then required.
    #[validate(length(min = 12, max = 200, message = "lösenordet ska ha 12–200 tecken"))]
    #[schema(min_length = 12, max_length = 200, pattern = "$no_nul")]
    pub password: Option<String>,
    #[validate(custom(function = "valid_roles"))]
    #[schema(min_items = 1)]
    pub roles: Vec<Role>,
    /// The user's identifier at the organisation's identity provider; blank: none.
    #[serde(default)]
    #[validate(
        length(max = 200, message = "högst 200 tecken"),
        custom(function = "super::rules::blank_or_line")
    )]
    #[schema(max_length = 200, pattern = "$line_or_blank")]
    pub oidc_identifier: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[validate(nested)]
    #[schema(inline)]
    pub display_name: Option<TextLine<200>>,
    #[validate(
        email(message = "ogiltig e-postadress"),
        length(max = 254, message = "högst 254 tecken")
    )]
    #[schema(format = Email, max_length = 254, pattern = "$email")]
    pub email: Option<String>,
    pub active: Option<bool>,
    #[validate(custom(function = "valid_roles"))]
    #[schema(min_items = 1)]
    pub roles: Option<Vec<Role>>,
    /// A new password; ends every session of the user. Changing one's own needs
    /// `current_password` too.
    #[validate(length(min = 12, max = 200, message = "lösenordet ska ha 12–200 tecken"))]
    #[schema(min_length = 12, max_length = 200, pattern = "$no_nul")]
    pub password: Option<String>,
    /// The caller's present password: required when `password` changes the caller's own.
    #[validate(length(max = 200, message = "högst 200 tecken"))]
    #[schema(max_length = 200, pattern = "$no_nul")]
    pub current_password: Option<String>,
    /// The user's identifier at the organisation's identity provider; blank removes it.
    #[validate(
        length(max = 200, message = "högst 200 tecken"),
        custom(function = "super::rules::blank_or_line")
    )]
    #[schema(max_length = 200, pattern = "$line_or_blank")]
    pub oidc_identifier: Option<String>,
}

/// A user of the caller's own organisation; others are not found.
async fn own_user(tx: &mut impl crate::store::Reads, actor: &Actor, id: UserId) -> AppResult<User> {
    match users::get(tx, id).await {
        Ok(user) if policy::sees_user(actor, user.organisation_id) => Ok(user),
        Ok(_) | Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(err) => Err(err.into()),
    }
}

/// The rules of changing one's own password that no schema states (x-field-rules).
pub const OWN_PASSWORD_RULES: &[super::rules::FieldRule] = &[
    super::rules::FieldRule::new(
        "current_password",
        "required",
        "when the password changed is the caller's own, the present password must be given",
    ),
    super::rules::FieldRule::new(
        "current_password",
        "wrong_password",
        "the present password given must be the caller's present password",
    ),
];

/// Checks the password a user gives for their own account before it is changed: a field
/// error on `current_password` when it is missing or wrong. Failures count towards the
/// login throttle, so a stolen token cannot be used to guess the password.
pub(super) async fn check_current_password(
    state: &AppState,
    user: &User,
    source: Option<std::net::IpAddr>,
    current: Option<String>,
) -> AppResult<()> {
    let Some(current) = current.filter(|c| !c.is_empty()) else {
        return Err(AppError::field(
            "current_password",
            "required",
            "ange ditt nuvarande lösenord",
        ));
    };
    if let Err(retry_after_seconds) = state.throttle.check(&user.username, source) {
        return Err(AppError::TooManyRequests {
            retry_after_seconds,
        });
    }
    let mut tx = state.store.read().await?;
    let stored = users::credentials(&mut tx, &user.username).await?;
    drop(tx);
    let Some(stored) = stored else {
        return Err(AppError::NotFound);
    };
    let matches =
        tokio::task::spawn_blocking(move || password::verify(&current, &stored.password_hash))
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
    if !matches {
        state.throttle.record_failure(&user.username, source);
        return Err(AppError::field(
            "current_password",
            "wrong_password",
            "lösenordet stämmer inte",
        ));
    }
    Ok(())
}

pub(super) async fn hash_password(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(AppError::Internal)
}

/// The users of my organisation.
#[utoipa::path(get, path = "/api/users", tag = "organisations",
    responses((status = 200, body = Vec<UserResponse>), crate::http::CommonErrors))]
async fn list_users(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> AppResult<Json<Vec<UserResponse>>> {
    let mut tx = state.store.read().await?;
    let organisation = organisations::get(&mut tx, actor.organisation_id).await?;
    let list = users::list_by_organisation(&mut tx, actor.organisation_id).await?;
    let last = users::last_sign_ins(&mut tx, actor.organisation_id).await?;
    let ids = crate::store::oidc::identifiers(&mut tx, actor.organisation_id).await?;
    Ok(Json(
        list.into_iter()
            .map(|u| {
                super::oidc::identified(UserResponse::new(u, &organisation).signed_in(&last), &ids)
            })
            .collect(),
    ))
}

/// The rule of creating a user that no schema states (x-field-rules).
pub const CREATE_USER_RULES: &[super::rules::FieldRule] = &[super::rules::FieldRule::new(
    "password",
    "password_or_identity",
    "a user without a password must have an oidc_identifier (they sign in only through the identity provider)",
)];

/// Creates a user in my organisation (organisation admin): with a password, an identity at
/// the organisation's identity provider, or both.
#[utoipa::path(post, path = "/api/users", tag = "organisations",
    extensions(("x-field-rules" = json!(CREATE_USER_RULES))), request_body = CreateUser, responses(
    (status = 201, body = UserResponse),
    crate::http::problem::AdminOnly,
    crate::http::problem::UsernameOrIdentityTaken,
    crate::http::CommonErrors,
))]
async fn create_user(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ValidJson(body): ValidJson<CreateUser>,
) -> AppResult<(StatusCode, Json<UserResponse>)> {
    policy::require_administrator(&actor)?;
    let identified = body
        .oidc_identifier
        .as_deref()
        .is_some_and(|id| !id.trim().is_empty());
    let password = match body.password {
        Some(password) => password,
        // Only through the identity provider: a hash of a secret nobody is given, so a
        // password sign-in fails as for a wrong password, taking as long.
        None if identified => password::unguessable(),
        None => {
            return Err(AppError::field(
                "password",
                "password_or_identity",
                "ange ett lösenord, eller användarens identitet hos organisationens inloggning",
            ))
        }
    };
    let password_hash = hash_password(password).await?;
    let mut tx = state.store.begin().await?;
    if users::username_taken(&mut tx, &body.username).await? {
        return Err(AppError::Conflict {
            code: "username_taken",
            detail: "Användarnamnet är upptaget.".into(),
        });
    }
    let mut roles = body.roles;
    roles.sort();
    roles.dedup();
    let user = User {
        id: UserId::new(),
        organisation_id: actor.organisation_id,
        username: body.username,
        display_name: body.display_name.trim().to_owned(),
        email: body.email,
        active: true,
        roles,
    };
    users::insert(&mut tx, &user, &password_hash).await?;
    let identifier =
        super::oidc::set_identifier(&mut tx, &user, body.oidc_identifier.as_deref()).await?;
    let organisation = organisations::get(&mut tx, actor.organisation_id).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "user created");
    let mut response = UserResponse::new(user, &organisation);
    response.oidc_identifier = identifier;
    Ok((StatusCode::CREATED, Json(response)))
}

/// One user of my organisation.
#[utoipa::path(get, path = "/api/users/{id}", tag = "organisations", params(("id" = UserId, Path)),
    responses((status = 200, body = UserResponse), crate::http::CommonErrors))]
async fn get_user(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<UserId>,
) -> AppResult<Json<UserResponse>> {
    let mut tx = state.store.read().await?;
    let user = own_user(&mut tx, &actor, id).await?;
    let organisation = organisations::get(&mut tx, actor.organisation_id).await?;
    let last = users::last_sign_ins(&mut tx, actor.organisation_id).await?;
    let ids = crate::store::oidc::identifiers(&mut tx, actor.organisation_id).await?;
    Ok(Json(super::oidc::identified(
        UserResponse::new(user, &organisation).signed_in(&last),
        &ids,
    )))
}

/// Changes a user of my organisation: name, e-mail, roles, active, password (organisation admin).
#[utoipa::path(patch, path = "/api/users/{id}", tag = "organisations",
    extensions(("x-field-rules" = json!(OWN_PASSWORD_RULES))), params(("id" = UserId, Path)), request_body = UpdateUser,
    responses(
        (status = 200, body = UserResponse),
        crate::http::problem::AdminOnly,
        crate::http::problem::LastAdminOrIdentityTaken,
        crate::http::problem::TooManyOwnPasswordAttempts,
        crate::http::CommonErrors,
    ))]
async fn update_user(
    State(state): State<AppState>,
    source: Source,
    SignedIn(actor, session, me): SignedIn,
    ApiPath(id): ApiPath<UserId>,
    ValidJson(body): ValidJson<UpdateUser>,
) -> AppResult<Json<UserResponse>> {
    policy::require_administrator(&actor)?;
    let own = id == actor.user_id;
    if own && body.password.is_some() {
        check_current_password(&state, &me, source.0, body.current_password).await?;
    }
    let password_hash = match body.password {
        Some(password) => Some(hash_password(password).await?),
        None => None,
    };
    let mut tx = state.store.begin().await?;
    let mut user = own_user(&mut tx, &actor, id).await?;
    let before = (user.active, user.roles.clone());
    if let Some(name) = body.display_name {
        user.display_name = name.trim().to_owned();
    }
    if let Some(email) = body.email {
        user.email = email;
    }
    if let Some(active) = body.active {
        user.active = active;
    }
    if let Some(mut roles) = body.roles {
        roles.sort();
        roles.dedup();
        user.roles = roles;
    }
    if user.id == actor.user_id && !policy::keeps_administration(user.active, &user.roles) {
        return Err(AppError::Conflict {
            code: "last_admin_lockout",
            detail: "Du kan inte ta bort din egen administratörsbehörighet.".into(),
        });
    }
    users::update_profile(&mut tx, &user).await?;
    if let Some(identifier) = body.oidc_identifier.as_deref() {
        super::oidc::set_identifier(&mut tx, &user, Some(identifier)).await?;
    }
    let password_changed = password_hash.is_some();
    if let Some(hash) = password_hash {
        users::set_password_hash(&mut tx, user.id, &hash).await?;
    }
    // A new password, a deactivation or other roles: every session ends (and with it its
    // streams), so nothing issued before the change outlives it, reactivation included.
    // Changing one's own account keeps the session that made the change.
    if password_changed || !user.active || before.1 != user.roles {
        let keep = own.then_some(session.id);
        sessions::end_all(&mut tx, user.id, keep, Timestamp::now()).await?;
    }
    let organisation = organisations::get(&mut tx, actor.organisation_id).await?;
    let last = users::last_sign_ins(&mut tx, actor.organisation_id).await?;
    let ids = crate::store::oidc::identifiers(&mut tx, actor.organisation_id).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "user updated");
    Ok(Json(super::oidc::identified(
        UserResponse::new(user, &organisation).signed_in(&last),
        &ids,
    )))
}
