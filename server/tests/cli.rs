//! The `samverkan admin` commands, run as the real binary against a SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use samverkan::config::Settings;
use samverkan::store::Store;

fn samverkan(db_url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_samverkan"))
        .args(args)
        .env("SAMVERKAN_DATABASE__URL", db_url)
        .env("SAMVERKAN_LOG__FILTER", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn admin_commands_create_accounts_and_verify_audit_reports_tampering() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());

    let org = samverkan(
        &url,
        &[
            "admin",
            "create-organisation",
            "--name",
            "Vårdcentral Test",
            "--kind",
            "vardcentral",
        ],
        "",
    );
    assert!(
        org.status.success(),
        "{}",
        String::from_utf8_lossy(&org.stderr)
    );
    let user = samverkan(
        &url,
        &[
            "admin",
            "create-user",
            "--organisation",
            "Vårdcentral Test",
            "--username",
            "rk.test",
            "--display-name",
            "RK",
            "--email",
            "rk@example.se",
            "--role",
            "rehabkoordinator",
        ],
        "ett-långt-lösenord\n",
    );
    assert!(
        user.status.success(),
        "{}",
        String::from_utf8_lossy(&user.stderr)
    );
    let short = samverkan(
        &url,
        &[
            "admin",
            "create-user",
            "--organisation",
            "Vårdcentral Test",
            "--username",
            "kort",
            "--display-name",
            "K",
            "--email",
            "k@example.se",
            "--role",
            "jobbcoach",
        ],
        "kort\n",
    );
    assert!(!short.status.success());

    // Some audited traffic, written through the library.
    let mut settings = Settings::defaults()?;
    settings.database.url = url.clone();
    let store = Store::connect(&settings.database).await?;
    let mut tx = store.begin().await?;
    for action in ["case.read", "case.list", "consent.read"] {
        tx.audit(samverkan::store::audit::AuditEntry {
            at: samverkan::domain::Timestamp::now(),
            user_id: None,
            organisation_id: None,
            roles: "test".into(),
            action,
            outcome: samverkan::store::audit::Outcome::Allowed,
            individual_id: None,
            case_id: None,
            purpose: None,
            consent_id: None,
            request_id: None,
        });
    }
    tx.commit().await?;

    let intact = samverkan(&url, &["admin", "verify-audit"], "");
    assert!(intact.status.success());
    assert_eq!(
        String::from_utf8_lossy(&intact.stdout).trim(),
        "audit log intact: 3 rows"
    );

    let mut tx = store.begin().await?;
    sqlx::query("UPDATE audit_log SET action = 'nothing.here' WHERE seq = 2")
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    store.close().await;
    let tampered = samverkan(&url, &["admin", "verify-audit"], "");
    assert!(!tampered.status.success());
    assert!(
        String::from_utf8_lossy(&tampered.stderr).contains("audit log row 2 has been changed"),
        "{}",
        String::from_utf8_lossy(&tampered.stderr)
    );
    Ok(())
}

#[test]
fn serve_refuses_the_development_secret_outside_demo_mode() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("x.db").display());
    let out = samverkan(&url, &["serve"], "");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("jwt_secret"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
