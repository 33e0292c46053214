//! Who is asking (authentication) and what they may see (the policy).

pub mod authorize;
mod current_user;
pub mod oidc;
pub mod password;
pub mod policy;
pub mod throttle;
pub mod token;

pub use current_user::{CurrentUser, SignedIn, BACKGROUND_HEADER};

pub use policy::Actor;

impl Actor {
    /// The user as one who acts (or would act) now; `request_id` ties audit rows to a request.
    pub fn of(user: &crate::store::users::User, request_id: Option<String>) -> Self {
        Actor {
            user_id: user.id,
            organisation_id: user.organisation_id,
            roles: user.roles.clone(),
            request_id,
        }
    }
}
