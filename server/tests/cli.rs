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
    use samverkan::domain::AuditAction;
    for action in [
        AuditAction::CaseRead,
        AuditAction::CaseList,
        AuditAction::ConsentRead,
    ] {
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

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn verify_audit_on_a_missing_sqlite_file_fails_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo").join("samverkan.db");
    let out = samverkan(
        &format!("sqlite://{}", typo.display()),
        &["admin", "verify-audit"],
        "",
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).trim().is_empty());
    assert!(
        !typo.exists() && !typo.parent().unwrap().exists(),
        "nothing created"
    );
}

#[test]
fn verify_audit_on_an_empty_sqlite_file_fails_and_leaves_it_empty() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let out = samverkan(
        &format!("sqlite://{}", empty.display()),
        &["admin", "verify-audit"],
        "",
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("is empty"), "{}", stderr(&out));
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0, "not migrated");
}

/// Run only when `SAMVERKAN_TEST_POSTGRES_URL` is set, as the API suite does.
#[tokio::test]
async fn verify_audit_on_an_empty_postgres_database_fails_and_migrates_nothing(
) -> anyhow::Result<()> {
    let Some(base) = std::env::var("SAMVERKAN_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return Ok(());
    };
    sqlx::any::install_default_drivers();
    let name = format!("samverkan_cli_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::AnyPool::connect(&base).await?;
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&admin)
        .await?;
    let (prefix, _) = base.rsplit_once('/').unwrap();
    let url = format!("{prefix}/{name}");
    let out = samverkan(&url, &["admin", "verify-audit"], "");
    let target = sqlx::AnyPool::connect(&url).await?;
    let (tables,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&target)
    .await?;
    target.close().await;
    // Once it is a store, the same command reads it (read-only) and reports the chain.
    let mut settings = Settings::defaults()?;
    settings.database.url = url.clone();
    Store::connect(&settings.database).await?.close().await;
    let intact = samverkan(&url, &["admin", "verify-audit"], "");
    let _ = sqlx::query(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .execute(&admin)
        .await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("is empty"), "{}", stderr(&out));
    assert_eq!(tables, 0, "nothing migrated");
    assert!(intact.status.success(), "{}", stderr(&intact));
    assert_eq!(
        String::from_utf8_lossy(&intact.stdout).trim(),
        "audit log intact: 0 rows"
    );
    Ok(())
}
