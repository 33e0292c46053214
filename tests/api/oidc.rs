//! Sign-in through organisations' identity providers, against a real OpenID Connect
//! provider (two issuers): provisioned and unknown users, created users' roles, assurance
//! level, state and code replay, OIDC-only organisations, the session, sign-out.

mod provider;

use reqwest::{Method, StatusCode};
use samverkan::config::{OidcIssuer, OidcOrganisation, Settings};
use samverkan::domain::{OrganisationKind, Role};
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Backend, TestApp, TestOrg, TestUser, PASSWORD};
use provider::{Browser, Providers, CLIENT_SECRET};

const LOA3: &str = "http://id.elegnamnden.se/loa/1.0/loa3";
const LOA2: &str = "http://id.elegnamnden.se/loa/1.0/loa2";

/// The provider's accounts: a regional user at LoA 3 and the same person at LoA 2, a
/// stranger, and municipal staff known by employee number (one with a `roles` claim that
/// must never count).
fn accounts() -> Value {
    json!({
        "anna": {"acr": LOA3, "claims": {"hsa_id": "SE2321000016-A1B2", "name": "Anna Andersson"}},
        "anna-weak": {"acr": LOA2, "claims": {"hsa_id": "SE2321000016-A1B2"}},
        "stranger": {"acr": LOA3, "claims": {"hsa_id": "SE2321000016-ZZZZ"}},
        "kalle": {"claims": {"employee_id": "4711", "email": "kalle@kommun.test", "name": "Kalle Karlsson"}},
        "newcomer": {"claims": {"employee_id": "9001", "email": "ny@kommun.test", "name": "Nora Ny", "roles": ["org_admin"]}},
    })
}

pub struct Setup {
    pub app: TestApp,
    pub idp: Providers,
    pub region: TestOrg,
    pub kommun: TestOrg,
    pub region_admin: TestUser,
    pub kommun_admin: TestUser,
}

fn issuer(name: &str, display: &str, url: &str) -> OidcIssuer {
    OidcIssuer {
        name: name.into(),
        display_name: display.into(),
        issuer_url: url.into(),
        client_id: format!("samverkan-{name}"),
        client_secret: CLIENT_SECRET.into(),
        scopes: vec!["profile".into(), "email".into()],
    }
}

/// Region Test signs in through `region` by HSA-id at LoA 3, OIDC only, provisioned users;
/// Kommun Test through `kommun` by employee number, passwords too, users created at first
/// sign-in as socialsekreterare.
pub async fn setup(
    backend: Backend,
    clock_offset: i64,
    configure: impl FnOnce(&mut Settings),
) -> anyhow::Result<Option<Setup>> {
    let idp = Providers::start(accounts(), clock_offset).await?;
    let (region_url, kommun_url) = (idp.region.clone(), idp.kommun.clone());
    let Some(app) = spawn_app_with(backend, |s| {
        s.server.public_url = "http://127.0.0.1:0".into();
        s.oidc.issuers = vec![
            issuer("region", "Region Test (SITHS)", &region_url),
            issuer("kommun", "Kommun Test", &kommun_url),
        ];
        s.oidc.organisations = vec![
            OidcOrganisation {
                organisation: "Region Test".into(),
                issuers: vec!["region".into()],
                claim: "hsa_id".into(),
                acr: LOA3.into(),
                oidc_only: true,
                create_users: false,
                default_roles: vec![],
            },
            OidcOrganisation {
                organisation: "Kommun Test".into(),
                issuers: vec!["kommun".into()],
                claim: "employee_id".into(),
                acr: String::new(),
                oidc_only: false,
                create_users: true,
                default_roles: vec![Role::Socialsekreterare],
            },
        ];
        configure(s);
    })
    .await?
    else {
        return Ok(None);
    };
    let hub = app.url("");
    idp.register(&idp.region, "samverkan-region", &hub).await?;
    idp.register(&idp.kommun, "samverkan-kommun", &hub).await?;
    let region = app
        .organisation("Region Test", OrganisationKind::Vardcentral)
        .await?;
    let kommun = app
        .organisation("Kommun Test", OrganisationKind::Socialtjanst)
        .await?;
    let region_admin = app.user(&region, "region-admin", &[Role::OrgAdmin]).await?;
    let kommun_admin = app.user(&kommun, "kommun-admin", &[Role::OrgAdmin]).await?;
    Ok(Some(Setup {
        app,
        idp,
        region,
        kommun,
        region_admin,
        kommun_admin,
    }))
}

macro_rules! with_providers {
    ($(async fn $name:ident($s:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($s: Setup) -> anyhow::Result<()> $body
            #[tokio::test]
            async fn sqlite() -> anyhow::Result<()> {
                run(setup(Backend::Sqlite, 0, |_| {}).await?.expect("sqlite always runs")).await
            }
            #[tokio::test]
            async fn postgres() -> anyhow::Result<()> {
                match setup(Backend::Postgres, 0, |_| {}).await? {
                    Some(s) => run(s).await,
                    None => Ok(()),
                }
            }
        }
    )*};
}

impl Setup {
    fn start_url(&self, issuer: &str, org: &TestOrg) -> String {
        self.app.url(&format!(
            "/auth/oidc/{issuer}/start?organisation={}",
            org.id
        ))
    }

    /// An admin provisions a user with an OIDC identifier through the users API.
    async fn provision(
        &self,
        admin: &TestUser,
        username: &str,
        identifier: &str,
        roles: &[&str],
    ) -> anyhow::Result<String> {
        let reply = self
            .app
            .post(
                admin,
                "/api/users",
                json!({
            "username": username, "display_name": format!("Test {username}"),
            "email": format!("{username}@example.se"), "password": PASSWORD,
            "roles": roles, "oidc_identifier": identifier}),
            )
            .await?;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(reply.body["oidc_identifier"], identifier);
        Ok(reply.id())
    }

    /// The whole flow as `account`: the callback's status, Location and body.
    async fn sign_in(
        &self,
        issuer: &str,
        org: &TestOrg,
        account: &str,
    ) -> anyhow::Result<(StatusCode, String, String)> {
        let browser = Browser::new()?;
        let callback = browser
            .to_callback(&self.start_url(issuer, org), account)
            .await?;
        browser.callback(&callback).await
    }

    /// Exchanges the one-time code from a callback's Location for the session.
    async fn take_session(&self, location: &str) -> anyhow::Result<crate::helpers::Reply> {
        let code = location.strip_prefix("/#/inloggning/").unwrap_or_default();
        self.app
            .anonymous(
                Method::POST,
                "/api/auth/oidc/session",
                Some(json!({"code": code})),
            )
            .await
    }

    async fn metric(&self, outcome: &str) -> anyhow::Result<u64> {
        let Some(addr) = self.app.metrics_addr else {
            return Ok(0);
        };
        let text = reqwest::get(format!("http://{addr}/metrics"))
            .await?
            .text()
            .await?;
        let outcome = format!("outcome=\"{outcome}\"");
        Ok(text
            .lines()
            .filter(|l| {
                l.starts_with("samverkan_sign_ins_total{")
                    && l.contains("method=\"oidc\"")
                    && l.contains(&outcome)
            })
            .find_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .map_or(0, |v| v as u64))
    }
}

/// A failure page: Swedish, says what to do, carries its code, and nothing personal.
fn assert_page(status: StatusCode, body: &str, expected: StatusCode, code: &str) {
    assert_eq!(status, expected, "{body}");
    assert!(body.contains("<html lang=\"sv\">"), "{body}");
    assert!(body.contains("Så gör du"), "{body}");
    assert!(
        body.contains(&format!("<code id=\"felkod\">{code}</code>")),
        "{body}"
    );
    for personal in ["SE2321000016", "Anna", "4711", "kommun.test"] {
        assert!(!body.contains(personal), "{personal} in {body}");
    }
}

with_providers! {
    async fn a_provisioned_user_signs_in_through_each_organisations_issuer_and_the_session_works(s) {
        let anna = s.provision(&s.region_admin, "anna", "SE2321000016-A1B2", &["rehabkoordinator"]).await?;
        let kalle = s.provision(&s.kommun_admin, "kalle", "4711", &["socialsekreterare"]).await?;

        let providers = s.app.anonymous(Method::GET, "/api/auth/providers", None).await?;
        assert_eq!(providers.status, StatusCode::OK);
        let labels: Vec<_> = providers.body.as_array().unwrap().iter()
            .map(|p| (p["organisation_name"].as_str().unwrap().to_owned(), p["issuer"].as_str().unwrap().to_owned())).collect();
        assert!(labels.contains(&("Region Test".into(), "region".into())), "{labels:?}");
        assert!(labels.contains(&("Kommun Test".into(), "kommun".into())), "{labels:?}");

        for (issuer, org, account, user) in [("region", &s.region, "anna", &anna), ("kommun", &s.kommun, "kalle", &kalle)] {
            let (status, location, _) = s.sign_in(issuer, org, account).await?;
            assert_eq!(status, StatusCode::SEE_OTHER);
            // The web app gets a one-time code in the fragment: no token, no query, nothing personal.
            assert!(location.starts_with("/#/inloggning/") && !location.contains('?'), "{location}");
            let taken = s.take_session(&location).await?;
            assert_eq!(taken.status, StatusCode::OK, "{}", taken.body);
            assert_eq!(taken.body["user"]["id"], user.as_str());
            assert_eq!(taken.body["token_type"], "Bearer");
            assert_eq!(taken.body["session"]["idle_minutes"], 15);
            let token = taken.body["access_token"].as_str().unwrap().to_owned();
            let me = s.app.raw(s.app.client.get(s.app.url("/api/me")).bearer_auth(&token)).await?;
            assert_eq!(me.status, StatusCode::OK);
            assert_eq!(me.body["id"], user.as_str());
            // The code works once.
            let again = s.take_session(&location).await?;
            assert_eq!(again.status, StatusCode::UNAUTHORIZED);
            assert_eq!(again.body["code"], "oidc_code_invalid");

            // Signing out ends the hub session and offers the provider's end-session.
            let out = s.app.raw(s.app.client.post(s.app.url("/api/auth/oidc/logout")).bearer_auth(&token)).await?;
            assert_eq!(out.status, StatusCode::OK, "{}", out.body);
            let issuer_url = if issuer == "region" { &s.idp.region } else { &s.idp.kommun };
            let end = out.body["end_session_url"].as_str().unwrap();
            assert!(end.starts_with(&format!("{issuer_url}/session/end?")), "{end}");
            assert!(end.contains(&format!("client_id=samverkan-{issuer}")), "{end}");
            assert!(end.contains("post_logout_redirect_uri="), "{end}");
            let after = s.app.raw(s.app.client.get(s.app.url("/api/me")).bearer_auth(&token)).await?;
            assert_eq!(after.status, StatusCode::UNAUTHORIZED);
        }
        // The admin sees who signed in.
        let listed = s.app.get(&s.region_admin, &format!("/api/users/{anna}")).await?;
        assert!(listed.body["last_sign_in_at"].is_string(), "{}", listed.body);
        assert!(s.metric("success").await? >= 2);
        Ok(())
    }

    async fn an_unknown_user_is_refused_unless_the_organisation_creates_users_and_then_with_its_roles_only(s) {
        let (status, location, body) = s.sign_in("region", &s.region, "stranger").await?;
        assert!(location.is_empty());
        assert_page(status, &body, StatusCode::FORBIDDEN, "unknown_user");
        assert!(body.contains("administratör"));
        assert_eq!(s.metric("unknown_user").await?, 1);

        // Kommun Test creates users: as socialsekreterare, whatever the token's `roles` says.
        let (status, location, _) = s.sign_in("kommun", &s.kommun, "newcomer").await?;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let taken = s.take_session(&location).await?;
        assert_eq!(taken.status, StatusCode::OK, "{}", taken.body);
        assert_eq!(taken.body["user"]["roles"], json!(["socialsekreterare"]));
        assert_eq!(taken.body["user"]["organisation_id"], s.kommun.id.to_string());
        assert_eq!(taken.body["user"]["display_name"], "Nora Ny");
        let id = taken.body["user"]["id"].as_str().unwrap().to_owned();
        let seen = s.app.get(&s.kommun_admin, &format!("/api/users/{id}")).await?;
        assert_eq!(seen.body["oidc_identifier"], "9001");
        // The second time it is the same user.
        let (_, location, _) = s.sign_in("kommun", &s.kommun, "newcomer").await?;
        let again = s.take_session(&location).await?;
        assert_eq!(again.body["user"]["id"], id.as_str());
        Ok(())
    }

    async fn a_lower_assurance_level_is_refused_with_its_swedish_page(s) {
        s.provision(&s.region_admin, "anna", "SE2321000016-A1B2", &["rehabkoordinator"]).await?;
        let (status, _, body) = s.sign_in("region", &s.region, "anna-weak").await?;
        assert_page(status, &body, StatusCode::FORBIDDEN, "acr_too_low");
        assert!(body.contains("tillitsnivå"), "{body}");
        assert_eq!(s.metric("acr_too_low").await?, 1);
        Ok(())
    }

    async fn state_is_single_use_and_bound_to_the_browser_that_started(s) {
        s.provision(&s.region_admin, "anna", "SE2321000016-A1B2", &["rehabkoordinator"]).await?;
        let browser = Browser::new()?;
        let callback = browser.to_callback(&s.start_url("region", &s.region), "anna").await?;
        // Another browser bringing the same URL (login CSRF): refused, and the state is spent.
        let (status, _, body) = Browser::new()?.callback(&callback).await?;
        assert_page(status, &body, StatusCode::FORBIDDEN, "state_invalid");
        let (status, _, body) = browser.callback(&callback).await?;
        assert_page(status, &body, StatusCode::FORBIDDEN, "state_invalid");

        // A good one, then the same URL again (replay): refused.
        let callback = browser.to_callback(&s.start_url("region", &s.region), "anna").await?;
        let (status, _, _) = browser.callback(&callback).await?;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _, body) = browser.callback(&callback).await?;
        assert_page(status, &body, StatusCode::FORBIDDEN, "state_invalid");

        // A made-up state, and none.
        for path in ["/auth/oidc/callback?state=made-up&code=x", "/auth/oidc/callback"] {
            let reply = browser.client.get(s.app.url(path)).send().await?;
            let status = reply.status();
            assert_page(status, &reply.text().await?, StatusCode::FORBIDDEN, "state_invalid");
        }
        // Only a stored state's row is gone: the table holds nothing from these sign-ins.
        let mut tx = s.app.store.begin().await?;
        assert_eq!(samverkan::store::oidc::take_login(&mut tx, "made-up").await?, None);
        tx.commit().await?;
        Ok(())
    }

    async fn a_refusal_at_the_provider_gets_its_page(s) {
        let (status, _, body) = s.sign_in("region", &s.region, "deny").await?;
        assert_page(status, &body, StatusCode::FORBIDDEN, "access_denied");
        assert_eq!(s.metric("access_denied").await?, 1);
        Ok(())
    }

    async fn an_oidc_only_organisation_refuses_passwords_and_others_keep_them(s) {
        s.provision(&s.region_admin, "anna", "SE2321000016-A1B2", &["rehabkoordinator"]).await?;
        s.provision(&s.kommun_admin, "kalle", "4711", &["socialsekreterare"]).await?;
        let refused = s.app.anonymous(Method::POST, "/api/auth/login", Some(json!({"username": "anna", "password": PASSWORD}))).await?;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert_eq!(refused.body["code"], "oidc_required");
        // A wrong password still says only that.
        let wrong = s.app.anonymous(Method::POST, "/api/auth/login", Some(json!({"username": "anna", "password": "fel-lösenord-999"}))).await?;
        assert_eq!(wrong.body["code"], "invalid_credentials");
        let kept = s.app.anonymous(Method::POST, "/api/auth/login", Some(json!({"username": "kalle", "password": PASSWORD}))).await?;
        assert_eq!(kept.status, StatusCode::OK);
        // Signing out of a password session offers no provider.
        let token = kept.body["access_token"].as_str().unwrap();
        let out = s.app.raw(s.app.client.post(s.app.url("/api/auth/oidc/logout")).bearer_auth(token)).await?;
        assert_eq!(out.body["end_session_url"], Value::Null);
        Ok(())
    }

    async fn identifiers_are_unique_per_organisation_and_set_only_by_its_admin(s) {
        let anna = s.provision(&s.region_admin, "anna", "SE2321000016-A1B2", &["rehabkoordinator"]).await?;
        let taken = s.app.post(&s.region_admin, "/api/users", json!({
            "username": "anna2", "display_name": "Anna 2", "email": "a2@example.se",
            "password": PASSWORD, "roles": ["rehabkoordinator"], "oidc_identifier": "SE2321000016-A1B2"})).await?;
        assert_eq!(taken.status, StatusCode::CONFLICT);
        assert_eq!(taken.body["code"], "oidc_identifier_taken");
        // Another organisation may use the same value for its own user.
        s.provision(&s.kommun_admin, "kalle", "SE2321000016-A1B2", &["socialsekreterare"]).await?;
        // Another organisation's admin cannot reach the user; a non-admin may not set it.
        let other = s.app.patch(&s.kommun_admin, &format!("/api/users/{anna}"), json!({"oidc_identifier": "x"})).await?;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
        let worker = s.app.user(&s.region, "worker", &[Role::Rehabkoordinator]).await?;
        let refused = s.app.patch(&worker, &format!("/api/users/{anna}"), json!({"oidc_identifier": "x"})).await?;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        // Blank removes it: the provider's user is then unknown.
        let cleared = s.app.patch(&s.region_admin, &format!("/api/users/{anna}"), json!({"oidc_identifier": ""})).await?;
        assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.body);
        assert_eq!(cleared.body["oidc_identifier"], Value::Null);
        let (status, _, body) = s.sign_in("region", &s.region, "anna").await?;
        assert_page(status, &body, StatusCode::FORBIDDEN, "unknown_user");
        Ok(())
    }

    async fn a_deactivated_user_is_refused(s) {
        let anna = s.provision(&s.region_admin, "anna", "SE2321000016-A1B2", &["rehabkoordinator"]).await?;
        s.app.patch(&s.region_admin, &format!("/api/users/{anna}"), json!({"active": false})).await?;
        let (status, _, body) = s.sign_in("region", &s.region, "anna").await?;
        assert_page(status, &body, StatusCode::FORBIDDEN, "account_inactive");
        Ok(())
    }
}

/// An ID token whose times do not fit the hub's clock (the provider's clock two hours
/// ahead, far past the allowed skew) is refused with the page about clocks.
#[tokio::test]
async fn an_id_token_from_a_skewed_clock_is_refused_with_the_clock_page() -> anyhow::Result<()> {
    let s = setup(Backend::Sqlite, 7200, |_| {})
        .await?
        .expect("sqlite always runs");
    s.provision(
        &s.region_admin,
        "anna",
        "SE2321000016-A1B2",
        &["rehabkoordinator"],
    )
    .await?;
    let (status, _, body) = s.sign_in("region", &s.region, "anna").await?;
    assert_page(status, &body, StatusCode::UNAUTHORIZED, "token_expired");
    assert!(body.contains("klocka"), "{body}");
    assert_eq!(s.metric("token_expired").await?, 1);
    Ok(())
}
