//! The test identity providers: `tests/oidc/provider.mjs` (the certified `oidc-provider`
//! package) started as two issuers, `region` and `kommun`, and a browser-like client that
//! walks the authorization code flow through them.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use reqwest::{StatusCode, Url};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const CLIENT_SECRET: &str = "test-client-secret-long-enough-0123456789";

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc")
}

/// `npm ci` once when the provider's packages are missing; fails clearly without Node.
async fn ensure_installed() -> anyhow::Result<()> {
    static INSTALL: tokio::sync::Mutex<bool> = tokio::sync::Mutex::const_new(false);
    let mut done = INSTALL.lock().await;
    if *done || dir().join("node_modules").join("oidc-provider").exists() {
        *done = true;
        return Ok(());
    }
    let ok = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir())
        .stdin(Stdio::null())
        .status()
        .await
        .map(|s| s.success())
        .unwrap_or(false);
    anyhow::ensure!(
        ok,
        "The OIDC tests need Node.js 18+ and npm (Debian: `apt-get install -y nodejs npm`); \
         `npm ci` in tests/oidc failed, see its output above."
    );
    *done = true;
    Ok(())
}

/// The two issuers, running until dropped.
pub struct Providers {
    pub region: String,
    pub kommun: String,
    _child: Child,
}

impl Providers {
    /// Starts both issuers with `accounts` ({id: {acr, claims}}), their clocks running
    /// `clock_offset` seconds ahead of this machine's.
    pub async fn start(accounts: Value, clock_offset: i64) -> anyhow::Result<Self> {
        ensure_installed().await?;
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(dir())
            .env("OIDC_ISSUERS", "region,kommun")
            .env("OIDC_ACCOUNTS", accounts.to_string())
            .env("OIDC_CLOCK_OFFSET", clock_offset.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await??
            .ok_or_else(|| anyhow::anyhow!("the test provider printed nothing"))?;
        // Keep reading (its notices) so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let issuers: Value = serde_json::from_str(&first)?;
        Ok(Self {
            region: issuers["region"].as_str().unwrap_or_default().to_owned(),
            kommun: issuers["kommun"].as_str().unwrap_or_default().to_owned(),
            _child: child,
        })
    }

    /// Registers the hub at `hub` as client `client_id` of `issuer`.
    pub async fn register(&self, issuer: &str, client_id: &str, hub: &str) -> anyhow::Result<()> {
        let reply = reqwest::Client::new()
            .post(format!("{issuer}/__test/clients"))
            .json(&json!({
                "client_id": client_id,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [format!("{hub}/auth/oidc/callback")],
                "post_logout_redirect_uris": [format!("{hub}/")],
            }))
            .send()
            .await?;
        anyhow::ensure!(
            reply.status() == StatusCode::NO_CONTENT,
            "register: {}",
            reply.status()
        );
        Ok(())
    }
}

/// A browser: keeps cookies, follows redirects by hand so each step can be looked at.
pub struct Browser {
    pub client: reqwest::Client,
}

/// Where a walk through the provider ended: the callback URL on the hub.
pub struct Callback {
    pub url: String,
}

impl Browser {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
        })
    }

    /// Starts at `start` (a hub URL), signs in at the provider as `account` (by login_hint)
    /// and stops at the hub's callback URL without calling it.
    pub async fn to_callback(&self, start: &str, account: &str) -> anyhow::Result<Callback> {
        let first = self.client.get(start).send().await?;
        anyhow::ensure!(
            first.status() == StatusCode::SEE_OTHER,
            "start: {}",
            first.status()
        );
        let mut url = Url::parse(location(&first)?)?;
        url.query_pairs_mut().append_pair("login_hint", account);
        for _ in 0..10 {
            let reply = self.client.get(url.clone()).send().await?;
            anyhow::ensure!(
                reply.status().is_redirection(),
                "at {url}: {}",
                reply.status()
            );
            let next = url.join(location(&reply)?)?;
            if next.path() == "/auth/oidc/callback" {
                return Ok(Callback {
                    url: next.to_string(),
                });
            }
            url = next;
        }
        anyhow::bail!("no callback after ten redirects")
    }

    /// Calls the hub's callback: its status, Location and body.
    pub async fn callback(
        &self,
        callback: &Callback,
    ) -> anyhow::Result<(StatusCode, String, String)> {
        let reply = self.client.get(&callback.url).send().await?;
        let status = reply.status();
        let location = location(&reply).unwrap_or_default().to_owned();
        Ok((status, location, reply.text().await?))
    }
}

fn location(reply: &reqwest::Response) -> anyhow::Result<&str> {
    Ok(reply
        .headers()
        .get("location")
        .ok_or_else(|| anyhow::anyhow!("no Location ({})", reply.status()))?
        .to_str()?)
}
