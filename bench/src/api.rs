//! A thin HTTP client of the Samverkan REST API and the data the scenarios need.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context};
use chrono::{Days, NaiveDate, SecondsFormat, Utc};
use futures_util::{stream, StreamExt, TryStreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Password of every demo account.
const DEMO_PASSWORD: &str = "samverkan-demo";
/// Password of the users the generator creates.
const LOAD_PASSWORD: &str = "samverkan-load-password";
/// Requests in flight while setting up (SQLite has one writer anyway).
const SETUP_CONCURRENCY: usize = 4;
/// The demo clinics' rehab coordinators (one per clinic).
const CLINIC_COORDINATORS: &[&str] = &["vc.rinkeby", "vc.tensta", "vc.husby", "psyk.jarva"];

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    pub fn new(http: reqwest::Client, addr: SocketAddr) -> Self {
        Self {
            http,
            base: format!("http://{addr}"),
        }
    }

    /// A request; fails unless the answer is 2xx, with the problem body in the error.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let reply = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = reply.status();
        let text = reply.text().await?;
        if !status.is_success() {
            bail!("{method} {path}: {status} {text}");
        }
        if status == StatusCode::NO_CONTENT || text.is_empty() {
            return Ok(Value::Null);
        }
        Ok(serde_json::from_str(&text)?)
    }

    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<Login> {
        let body = json!({"username": username, "password": password});
        let reply = self
            .call(Method::POST, "/api/auth/login", None, Some(&body))
            .await?;
        Ok(Login {
            token: text(&reply["access_token"])?,
            organisation_id: text(&reply["user"]["organisation_id"])?,
        })
    }

    /// A one-time stream ticket for the token's user.
    pub async fn ticket(&self, token: &str) -> anyhow::Result<String> {
        let reply = self
            .call(
                Method::POST,
                "/api/ws-ticket",
                Some(token),
                Some(&json!({})),
            )
            .await?;
        text(&reply["ticket"])
    }
}

pub struct Login {
    pub token: String,
    pub organisation_id: String,
}

fn text(value: &Value) -> anyhow::Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("expected a string, got {value}"))
}

/// A twelve-digit personnummer with a correct Luhn check digit, distinct for each `n`
/// and from the demo set's.
pub fn personnummer(n: usize) -> anyhow::Result<String> {
    let base = NaiveDate::from_ymd_opt(1950, 1, 1).context("date")?;
    let day = base
        .checked_add_days(Days::new(u64::try_from(n)? * 2))
        .context("date out of range")?;
    let first = format!("{}234", day.format("%Y%m%d"));
    Ok(format!("{first}{}", luhn(&first[2..])))
}

/// The check digit over the ten digits ÅÅMMDDNNN (9 of them) of a personnummer.
fn luhn(digits: &str) -> u32 {
    let sum: u32 = digits
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            d / 10 + d % 10
        })
        .sum();
    (10 - sum % 10) % 10
}

/// A case of the inquiry scenario: protected identity, so of social services only its
/// responsible user sees it; consent for one clinic; one sent inquiry whose thread takes
/// the changes.
pub struct InquiryCase {
    pub case_id: String,
    pub inquiry_id: String,
    /// Index into `World::users`: the responsible social worker, who also posts.
    pub user: usize,
}

/// Everything the scenarios use on our server.
pub struct World {
    /// The node every change is made through (the first).
    pub api: Api,
    /// Every node of the hub, the first included.
    pub nodes: Vec<Api>,
    /// soc.sara, who changes the fan-out case.
    pub sara: String,
    /// Tokens of the social workers the generator created.
    pub users: Vec<String>,
    /// Tokens of the clinics' rehab coordinators.
    pub clinics: Vec<String>,
    /// A case every social worker of the organisation sees.
    pub fanout_case: String,
    pub inquiry_cases: Vec<InquiryCase>,
}

impl World {
    /// The API of node `node` (the first node when there is one).
    pub fn node(&self, node: usize) -> &Api {
        self.nodes.get(node).unwrap_or(&self.api)
    }

    /// Creates `users` social workers and `cases` inquiry cases through the API of the
    /// first of `nodes`.
    pub async fn set_up(nodes: Vec<Api>, users: usize, cases: usize) -> anyhow::Result<Self> {
        let api = nodes.first().context("no node")?.clone();
        let admin = api.login("soc.admin", DEMO_PASSWORD).await?.token;
        let sara = api.login("soc.sara", DEMO_PASSWORD).await?.token;
        let mut clinics = Vec::new();
        let mut clinic_orgs = Vec::new();
        for username in CLINIC_COORDINATORS.iter().take(crate::target::CLINICS) {
            let login = api.login(username, DEMO_PASSWORD).await?;
            clinics.push(login.token);
            clinic_orgs.push(login.organisation_id);
        }

        let user_tokens: Vec<String> = stream::iter(0..users)
            .map(|i| {
                let (api, admin) = (api.clone(), admin.clone());
                async move {
                    let username = format!("load.user{i:04}");
                    let body = json!({
                        "username": username,
                        "display_name": format!("Lasttest {i}"),
                        "email": format!("load.user{i}@example.se"),
                        "password": LOAD_PASSWORD,
                        "roles": ["socialsekreterare"],
                    });
                    api.call(Method::POST, "/api/users", Some(&admin), Some(&body))
                        .await?;
                    anyhow::Ok(api.login(&username, LOAD_PASSWORD).await?.token)
                }
            })
            .buffered(SETUP_CONCURRENCY)
            .try_collect()
            .await?;
        anyhow::ensure!(!user_tokens.is_empty(), "at least one user is needed");

        let individual = api
            .call(
                Method::POST,
                "/api/individuals",
                Some(&sara),
                Some(&json!({"personnummer": "198112189876", "name": "Fanny Utsson"})),
            )
            .await?;
        let case = api
            .call(
                Method::POST,
                "/api/cases",
                Some(&sara),
                Some(&json!({"individual_id": individual["id"], "title": "Runda 0"})),
            )
            .await?;
        let fanout_case = text(&case["id"])?;

        let valid_until = (Utc::now() + Duration::from_secs(180 * 86_400))
            .to_rfc3339_opts(SecondsFormat::Secs, true);
        let inquiry_cases: Vec<InquiryCase> = stream::iter(0..cases)
            .map(|i| {
                let api = api.clone();
                let (user, clinic) = crate::target::assignment(i, user_tokens.len());
                let token = user_tokens[user].clone();
                let clinic_org = clinic_orgs[clinic].clone();
                let valid_until = valid_until.clone();
                async move {
                    let token = Some(token.as_str());
                    let body = json!({"personnummer": personnummer(i)?, "name": format!("Person {i}"), "protected_identity": true});
                    let individual = api.call(Method::POST, "/api/individuals", token, Some(&body)).await?;
                    let body = json!({"individual_id": individual["id"], "title": format!("Rehabilitering {i}")});
                    let case_id = text(&api.call(Method::POST, "/api/cases", token, Some(&body)).await?["id"])?;
                    let body = json!({
                        "organisation_ids": [clinic_org],
                        "purposes": ["rehabiliteringsforfragan", "informationsutbyte"],
                        "forms": ["muntligt"],
                        "valid_until": valid_until,
                    });
                    api.call(Method::POST, &format!("/api/cases/{case_id}/consents"), token, Some(&body)).await?;
                    let body = json!({
                        "recipient_organisation_id": clinic_org,
                        "activities": ["arbetsträning"],
                        "questions": "Finns det en rehabiliteringsplan?",
                        "contact": {"name": format!("Lasttest {user}"), "email": "rehab.load@example.se"},
                    });
                    let inquiry = api.call(Method::POST, &format!("/api/cases/{case_id}/inquiries"), token, Some(&body)).await?;
                    let inquiry_id = text(&inquiry["id"])?;
                    api.call(Method::POST, &format!("/api/inquiries/{inquiry_id}/send"), token, None).await?;
                    anyhow::Ok(InquiryCase { case_id, inquiry_id, user })
                }
            })
            .buffered(SETUP_CONCURRENCY)
            .try_collect()
            .await?;

        Ok(Self {
            api,
            nodes,
            sara,
            users: user_tokens,
            clinics,
            fanout_case,
            inquiry_cases,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_personnummer_have_a_valid_check_digit() -> anyhow::Result<()> {
        assert_eq!(luhn("811218987"), 6, "Skatteverket's example 198112189876");
        let first = personnummer(0)?;
        assert_eq!(first.len(), 12);
        assert!(first.starts_with("19500101234"));
        assert_ne!(personnummer(1)?, first);
        Ok(())
    }
}
