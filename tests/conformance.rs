//! The OpenAPI document against the running hub: schemathesis generates requests valid by
//! `/api/openapi.json` and checks that none gets a 5xx, every status and body is one the
//! document declares, and none is refused for a rule the document does not state
//! (`refusals_are_documented` in `conformance/hooks.py`).
//!
//! It starts the hub in-process on port 0 with the demo data, signs in as the demo social
//! worker (every operation) and the demo organisation admin (the admin operations), and runs
//! schemathesis once for each, bounded by examples per operation and a time limit. Schemathesis
//! is installed when missing, pinned, in a venv under `target/` with pip; when that fails the
//! test fails and says what to install.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::process::Command;

mod demo_hub;
use demo_hub::DemoHub;

const SCHEMATHESIS: &str = "schemathesis==4.32.5";
/// Examples per operation and run; with both runs about 2,500 requests.
const EXAMPLES: &str = "30";
/// A run that takes longer than this fails (each takes about a minute on 2 cores).
const RUN_LIMIT: Duration = Duration::from_secs(150);

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

/// Runs a command quietly; whether it ran and succeeded.
fn succeeds(command: &mut std::process::Command) -> bool {
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The `schemathesis` command, installed once into `target/schemathesis-venv` if needed.
fn schemathesis() -> anyhow::Result<PathBuf> {
    static INSTALLED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/schemathesis-venv");
            let command = venv.join("bin/schemathesis");
            let works = |command: &Path| {
                succeeds(std::process::Command::new(command).arg("--version"))
            };
            if works(&command) {
                return Ok(command);
            }
            eprintln!("tests/conformance.rs: installing {SCHEMATHESIS} into {}", venv.display());
            if succeeds(std::process::Command::new("python3").arg("-m").arg("venv").arg(&venv))
                && succeeds(
                    std::process::Command::new(venv.join("bin/pip"))
                        .args(["install", "--quiet", SCHEMATHESIS]),
                )
                && works(&command)
            {
                return Ok(command);
            }
            Err(format!(
                "the conformance run needs schemathesis, and installing it failed (tried: \
                 `python3 -m venv target/schemathesis-venv` and `pip install {SCHEMATHESIS}` in it). \
                 Install Python 3 with venv and pip (Debian: `apt-get install -y python3-venv`) \
                 and run again."
            ))
        })
        .clone()
        .map_err(|e| anyhow::anyhow!(e))
}

async fn token(hub: &DemoHub, username: &str) -> anyhow::Result<String> {
    let reply: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/auth/login", hub.url()))
        .json(&serde_json::json!({"username": username, "password": "samverkan-demo"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    reply["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no token for {username}"))
}

/// One schemathesis run; its output goes to the terminal. Returns whether it passed and how
/// many requests it made.
async fn conformance_run(
    command: &Path,
    hub: &DemoHub,
    token: &str,
    operations: &[&str],
) -> anyhow::Result<(bool, usize)> {
    let config = conformance_dir().join("schemathesis.toml");
    let report = tempfile::tempdir()?;
    let mut schemathesis = Command::new(command);
    schemathesis
        .arg("--config-file")
        .arg(&config)
        .arg("--no-color")
        .args(["run", &format!("{}/api/openapi.json", hub.url())])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--mode",
            "positive",
            "--max-examples",
            EXAMPLES,
            "--workers",
            "2",
        ])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance,refusals_are_documented",
        ])
        // Signing out would end the session the run uses, so every later request would be
        // 401; tests/api/auth.rs covers it.
        .args(["--exclude-path", "/api/auth/logout"])
        .args(["--exclude-path", "/api/auth/oidc/logout"])
        .args(operations)
        .arg("--report")
        .arg("ndjson")
        .arg("--report-dir")
        .arg(report.path())
        .env(
            "SCHEMATHESIS_HOOKS",
            conformance_dir().join("hooks.py").display().to_string(),
        )
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let status = tokio::time::timeout(RUN_LIMIT, schemathesis.status())
        .await
        .map_err(|_| anyhow::anyhow!("schemathesis took longer than {RUN_LIMIT:?}"))??;
    Ok((status.success(), requests_in(report.path())?))
}

/// Counts the requests a run made: the interactions each finished scenario recorded in the
/// ndjson report.
fn requests_in(dir: &Path) -> anyhow::Result<usize> {
    let mut requests = 0;
    for entry in std::fs::read_dir(dir)? {
        for line in std::fs::read_to_string(entry?.path())?.lines() {
            let event: serde_json::Value = serde_json::from_str(line)?;
            requests += match &event["ScenarioFinished"]["recorder"]["interactions"] {
                serde_json::Value::Object(map) => map.len(),
                serde_json::Value::Array(items) => items.len(),
                _ => 0,
            };
        }
    }
    Ok(requests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_valid_by_the_openapi_document_is_answered_as_it_says() -> anyhow::Result<()>
{
    let command = schemathesis()?;
    let hub = DemoHub::start().await?;
    let worker = token(&hub, "soc.sara").await?;
    let admin = token(&hub, "soc.admin").await?;
    // Figures answer a lead (the worker gets the documented 403).
    let lead = token(&hub, "soc.chef").await?;

    let everything = conformance_run(&command, &hub, &worker, &[]).await?;
    let admin_only = conformance_run(
        &command,
        &hub,
        &admin,
        &[
            "--include-path-regex",
            "^/api/(users|audit|individuals/[^/]+/access-log)",
        ],
    )
    .await?;
    let lead_only = conformance_run(
        &command,
        &hub,
        &lead,
        &["--include-path-regex", "^/api/statistics"],
    )
    .await?;
    hub.stop().await?;

    assert!(
        everything.0 && admin_only.0 && lead_only.0,
        "schemathesis found requests valid by the OpenAPI document that the hub answers otherwise \
         than it says (see its report above)"
    );
    let requests = everything.1 + admin_only.1 + lead_only.1;
    eprintln!("conformance run: {requests} requests");
    assert!(
        requests >= 2000,
        "the conformance run made only {requests} requests"
    );
    Ok(())
}
