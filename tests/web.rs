//! The web interface in a real browser: starts the hub in-process on port 0 with the demo
//! data, then runs the Node test runner in `tests/browser/` (playwright-core driving Debian's
//! headless Chromium, axe-core checking WCAG 2.1 AA) against it.
//!
//! What it needs it installs: `npm ci` when `tests/browser/node_modules` is missing, Debian's
//! `chromium` package with apt-get when `/usr/bin/chromium` is missing and we may. When node
//! or Chromium cannot be had it fails and says why; it never skips silently.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

mod demo_hub;
use demo_hub::DemoHub;

// The two test identity providers of tests/oidc, shared with the API tests.
#[allow(dead_code)]
#[path = "api/oidc/provider.rs"]
mod provider;

const LOA3: &str = "http://id.elegnamnden.se/loa/1.0/loa3";

/// The journey of sign-in through identity providers (9-identity-provider.test.js): the
/// region's IdP for Rinkeby vårdcentral (HSA-id, LoA 3), the municipality's for the social
/// services (employee number). Their accounts are chosen on the provider's test page.
fn with_identity_providers(settings: &mut samverkan::config::Settings, idp: &provider::Providers) {
    use samverkan::config::{OidcIssuer, OidcOrganisation};
    let issuer = |name: &str, display: &str, url: &str| OidcIssuer {
        name: name.into(),
        display_name: display.into(),
        issuer_url: url.into(),
        client_id: format!("samverkan-{name}"),
        client_secret: provider::CLIENT_SECRET.into(),
        scopes: vec!["profile".into()],
    };
    settings.server.public_url = "http://127.0.0.1:0".into();
    settings.oidc.issuers = vec![
        issuer("region", "SITHS (Region Test)", &idp.region),
        issuer("kommun", "Järva kommun-inloggning", &idp.kommun),
    ];
    settings.oidc.organisations = vec![
        OidcOrganisation {
            organisation: "Rinkeby vårdcentral".into(),
            issuers: vec!["region".into()],
            claim: "hsa_id".into(),
            acr: LOA3.into(),
            oidc_only: false,
            create_users: false,
            default_roles: vec![],
        },
        OidcOrganisation {
            organisation: "Socialtjänsten Järva, ekonomiskt bistånd".into(),
            issuers: vec!["kommun".into()],
            claim: "employee_id".into(),
            acr: String::new(),
            oidc_only: false,
            create_users: false,
            default_roles: vec![],
        },
    ];
}

/// Journey 14 (14-fordjupad.test.js) sees the avstämning rule fire for real without moving a
/// clock: written recommendations call for an avstämning the same day (flagged and escalated
/// to the biträdande enhetschef at once), and the scheduler runs a round every second.
fn with_fordjupad_rule_due_at_once(settings: &mut samverkan::config::Settings) {
    settings.fordjupad.avstamning_within_days = 0;
    settings.notifications.scheduler_interval_seconds = 1;
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser")
}

async fn run(program: &str, args: &[&str], dir: &Path) -> anyhow::Result<bool> {
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .status()
        .await;
    Ok(matches!(status, Ok(s) if s.success()))
}

async fn ensure_node() -> anyhow::Result<()> {
    let dir = browser_dir();
    if !run("node", &["--version"], &dir).await? || !run("npm", &["--version"], &dir).await? {
        anyhow::bail!(
            "The browser tests need Node.js 18+ and npm (Debian: `apt-get install -y nodejs npm`). \
             Install them and run `cargo test` again."
        );
    }
    if !dir.join("node_modules").join("playwright-core").exists()
        && !run("npm", &["ci", "--no-audit", "--no-fund"], &dir).await?
    {
        anyhow::bail!("`npm ci` in tests/browser failed; see its output above.");
    }
    Ok(())
}

/// The Chromium to drive: `SAMVERKAN_CHROMIUM`, else Debian's, installed if missing.
async fn ensure_chromium() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("SAMVERKAN_CHROMIUM") {
        return Ok(path.into());
    }
    let debian = PathBuf::from("/usr/bin/chromium");
    if !debian.exists() {
        let dir = browser_dir();
        eprintln!(
            "tests/web.rs: /usr/bin/chromium is missing; installing Debian's chromium package"
        );
        let _ = run("apt-get", &["update", "-qq"], &dir).await?;
        let _ = run("apt-get", &["install", "-y", "-qq", "chromium"], &dir).await?;
    }
    if !debian.exists() {
        anyhow::bail!(
            "The browser tests need Debian's Chromium at /usr/bin/chromium and could not install it \
             (run `apt-get update && apt-get install -y chromium` as root), or set SAMVERKAN_CHROMIUM \
             to a Chromium binary. No browser is downloaded from elsewhere."
        );
    }
    Ok(debian)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_interface_works_in_a_real_browser() -> anyhow::Result<()> {
    ensure_node().await?;
    let chromium = ensure_chromium().await?;

    let idp = provider::Providers::start(
        serde_json::json!({
            "maria-siths": {"acr": LOA3, "claims": {"hsa_id": "SE2321000016-RKBY1"}},
            "kommun-anstalld": {"claims": {"employee_id": "70001"}},
        }),
        0,
    )
    .await?;
    let hub = DemoHub::start_with(|s| {
        with_identity_providers(s, &idp);
        with_fordjupad_rule_due_at_once(s);
    })
    .await?;
    idp.register(&idp.region, "samverkan-region", &hub.url())
        .await?;
    idp.register(&idp.kommun, "samverkan-kommun", &hub.url())
        .await?;

    let status = Command::new("node")
        .args(["--test", "--test-concurrency=1", "journeys/"])
        .current_dir(browser_dir())
        .env("SAMVERKAN_URL", hub.url())
        .env("SAMVERKAN_CHROMIUM", &chromium)
        .stdin(Stdio::null())
        .status()
        .await?;

    hub.stop().await?;
    assert!(
        status.success(),
        "the browser tests failed (see the node test runner's output above; screenshots are in tests/browser/screenshots/)"
    );
    Ok(())
}
