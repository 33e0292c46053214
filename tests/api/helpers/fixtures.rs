//! Fixtures: organisations, users signed in, the usual `World`, and the individuals, cases,
//! consents, inquiries and meetings tests build on.

use std::sync::OnceLock;

use reqwest::StatusCode;
use samverkan::domain::{OrganisationId, OrganisationKind, Role, UserId};
use samverkan::store::users::User;
use samverkan::store::{organisations, sessions, users};
use serde_json::{json, Value};

use super::{Reply, TestApp};

pub const PASSWORD: &str = "rätt-lösenord-123";

/// One password hash for every fixture user: argon2 is slow on purpose.
fn fixture_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| samverkan::access::password::hash(PASSWORD).expect("hashing works"))
}

#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: UserId,
    pub token: String,
}

#[derive(Clone, Debug)]
pub struct TestOrg {
    pub id: OrganisationId,
}

/// A typical set-up: social services with a caseworker, a colleague, a rehab lead and an
/// admin; a clinic with a rehab coordinator and an admin; another clinic's coordinator; Jobbtorg.
pub struct World {
    pub social: TestOrg,
    pub clinic: TestOrg,
    pub jobbtorg: TestOrg,
    pub social_worker: TestUser,
    pub colleague: TestUser,
    pub rehab_lead: TestUser,
    pub social_admin: TestUser,
    pub coordinator: TestUser,
    pub clinic_admin: TestUser,
    pub other_coordinator: TestUser,
}

impl TestApp {
    pub async fn organisation(
        &self,
        name: &str,
        kind: OrganisationKind,
    ) -> anyhow::Result<TestOrg> {
        let id = OrganisationId::new();
        let mut tx = self.store.begin().await?;
        let org = organisations::Organisation {
            id,
            name: name.into(),
            kind,
            functional_email: None,
        };
        organisations::insert(&mut tx, &org).await?;
        tx.commit().await?;
        Ok(TestOrg { id })
    }

    pub async fn user(
        &self,
        org: &TestOrg,
        username: &str,
        roles: &[Role],
    ) -> anyhow::Result<TestUser> {
        let user = User {
            id: UserId::new(),
            organisation_id: org.id,
            username: username.into(),
            display_name: format!("Test {username}"),
            email: format!("{username}@example.se"),
            active: true,
            roles: roles.to_vec(),
        };
        let mut tx = self.store.begin().await?;
        users::insert(&mut tx, &user, fixture_hash()).await?;
        tx.commit().await?;
        self.signed_in(user.id).await
    }

    /// A day-long sign-in session for a user already stored.
    pub async fn signed_in(&self, id: UserId) -> anyhow::Result<TestUser> {
        let mut tx = self.store.begin().await?;
        let session = sessions::start(&mut tx, id, 86_400_000_000).await?;
        tx.commit().await?;
        let (token, _) = self
            .state
            .tokens
            .issue(id, session.id, session.expires_at)?;
        Ok(TestUser { id, token })
    }

    pub async fn world(&self) -> anyhow::Result<World> {
        let social = self
            .organisation("Socialtjänsten Test", OrganisationKind::Socialtjanst)
            .await?;
        let clinic = self
            .organisation("Vårdcentral Alfa", OrganisationKind::Vardcentral)
            .await?;
        let other_clinic = self
            .organisation("Vårdcentral Beta", OrganisationKind::Vardcentral)
            .await?;
        let jobbtorg = self
            .organisation("Jobbtorg Test", OrganisationKind::Jobbtorg)
            .await?;
        Ok(World {
            social_worker: self.user(&social, "sw", &[Role::Socialsekreterare]).await?,
            colleague: self
                .user(&social, "colleague", &[Role::Socialsekreterare])
                .await?,
            rehab_lead: self.user(&social, "lead", &[Role::Rehabansvarig]).await?,
            social_admin: self.user(&social, "socadmin", &[Role::OrgAdmin]).await?,
            coordinator: self.user(&clinic, "rk", &[Role::Rehabkoordinator]).await?,
            clinic_admin: self.user(&clinic, "vcadmin", &[Role::OrgAdmin]).await?,
            other_coordinator: self
                .user(&other_clinic, "rk2", &[Role::Rehabkoordinator])
                .await?,
            social,
            clinic,
            jobbtorg,
        })
    }

    /// Registers an individual and returns its id.
    pub async fn register(
        &self,
        user: &TestUser,
        personnummer: &str,
        name: &str,
    ) -> anyhow::Result<String> {
        let reply = self
            .post(
                user,
                "/api/individuals",
                json!({"personnummer": personnummer, "name": name}),
            )
            .await?;
        reply.ensure_status(StatusCode::CREATED, "register")?;
        Ok(reply.id())
    }

    /// Registers an individual, opens a case for them; returns (individual id, case id).
    pub async fn case_for(
        &self,
        user: &TestUser,
        personnummer: &str,
        name: &str,
    ) -> anyhow::Result<(String, String)> {
        let individual = self.register(user, personnummer, name).await?;
        let reply = self
            .post(
                user,
                "/api/cases",
                json!({"individual_id": individual, "title": "Stöd mot arbete"}),
            )
            .await?;
        reply.ensure_status(StatusCode::CREATED, "open case")?;
        Ok((individual, reply.id()))
    }

    /// Records a consent on the case naming `orgs` for `purposes`, valid 90 days; returns its id.
    pub async fn consent(
        &self,
        user: &TestUser,
        case_id: &str,
        orgs: &[&TestOrg],
        purposes: &[&str],
    ) -> anyhow::Result<String> {
        let until = chrono::Utc::now() + chrono::Duration::days(90);
        let body = json!({
            "organisation_ids": orgs.iter().map(|o| o.id.to_string()).collect::<Vec<_>>(),
            "purposes": purposes,
            "forms": ["muntligt"],
            "valid_until": until.to_rfc3339(),
        });
        let reply = self
            .post(user, &format!("/api/cases/{case_id}/consents"), body)
            .await?;
        reply.ensure_status(StatusCode::CREATED, "consent")?;
        Ok(reply.id())
    }

    pub async fn end_consent(&self, user: &TestUser, consent_id: &str) -> anyhow::Result<Reply> {
        self.post(
            user,
            &format!("/api/consents/{consent_id}/end"),
            json!({"reason": "Personen återkallade muntligt"}),
        )
        .await
    }

    /// An organisation created by `world()`, found by name.
    pub async fn org_named(&self, name: &str) -> anyhow::Result<TestOrg> {
        let mut tx = self.store.begin().await?;
        let org = organisations::find_by_name(&mut tx, name)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no organisation {name}"))?;
        Ok(TestOrg { id: org.id })
    }

    /// A valid sender part for an inquiry to `recipient`.
    pub fn inquiry_body(recipient: &TestOrg) -> Value {
        json!({
            "recipient_organisation_id": recipient.id,
            "activities": ["Jobbtorg", "arbetsträning"],
            "questions": "Kan personen delta i arbetsträning 50 %? Vad behöver anpassas?",
            "contact": {"name": "Sara Lind", "phone": "08-123 456 78", "email": "sara.lind@example.se"},
        })
    }

    /// Writes a draft inquiry on the case; returns its id.
    pub async fn inquiry_draft(
        &self,
        user: &TestUser,
        case_id: &str,
        recipient: &TestOrg,
    ) -> anyhow::Result<String> {
        let reply = self
            .post(
                user,
                &format!("/api/cases/{case_id}/inquiries"),
                Self::inquiry_body(recipient),
            )
            .await?;
        reply.ensure_status(StatusCode::CREATED, "draft")?;
        Ok(reply.id())
    }

    /// Writes and sends an inquiry (a consent covering `recipient` must exist); returns its id.
    pub async fn sent_inquiry(
        &self,
        user: &TestUser,
        case_id: &str,
        recipient: &TestOrg,
    ) -> anyhow::Result<String> {
        let id = self.inquiry_draft(user, case_id, recipient).await?;
        let reply = self
            .post_empty(user, &format!("/api/inquiries/{id}/send"))
            .await?;
        reply.ensure_status(StatusCode::OK, "send")?;
        Ok(id)
    }

    /// A valid meeting body: `kind`, `hours_ahead` from now for an hour, at a neutral place.
    pub fn meeting_body(
        case_id: Option<&str>,
        kind: &str,
        hours_ahead: i64,
        participants: &[&TestUser],
    ) -> Value {
        let start =
            (chrono::Utc::now() + chrono::Duration::hours(hours_ahead)).with_nanosecond_zeroed();
        json!({
            "case_id": case_id,
            "kind": kind,
            "starts_at": start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "ends_at": (start + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "place": "Stadsdelsförvaltningen, rum 3",
            "participant_user_ids": participants.iter().map(|u| u.id.to_string()).collect::<Vec<_>>(),
        })
    }

    /// A case of the social worker's with a consent covering the clinic for SIP meetings.
    pub async fn sip_case(
        &self,
        w: &World,
        pnr_eleven: &str,
        name: &str,
    ) -> anyhow::Result<String> {
        let (_, case) = self
            .case_for(&w.social_worker, &pnr(pnr_eleven), name)
            .await?;
        self.consent(&w.social_worker, &case, &[&w.clinic], &["sip"])
            .await?;
        Ok(case)
    }

    /// Books a meeting (the consent must cover the participants); returns its id.
    pub async fn meeting(
        &self,
        organiser: &TestUser,
        case_id: Option<&str>,
        kind: &str,
        participants: &[&TestUser],
    ) -> anyhow::Result<String> {
        let body = Self::meeting_body(case_id, kind, 48, participants);
        let reply = self.post(organiser, "/api/meetings", body).await?;
        reply.ensure_status(StatusCode::CREATED, "meeting")?;
        Ok(reply.id())
    }
}

/// A valid personnummer from eleven digits, for fixtures.
pub fn pnr(first_eleven: &str) -> String {
    samverkan::domain::Personnummer::complete(first_eleven)
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default()
}

/// Whole seconds, as meeting times are stored.
pub trait WholeSeconds {
    fn with_nanosecond_zeroed(self) -> Self;
}

impl WholeSeconds for chrono::DateTime<chrono::Utc> {
    fn with_nanosecond_zeroed(self) -> Self {
        use chrono::Timelike as _;
        self.with_nanosecond(0).unwrap_or(self)
    }
}
