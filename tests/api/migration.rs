//! Migration 0009 on data written before it: consents keep working where their recorder owns
//! the case, and stop opening other organisations' cases; names move to each registration.

use reqwest::StatusCode;
use samverkan::domain::UserId;
use sqlx::migrate::Migrator;
use uuid::Uuid;

use crate::helpers::*;
use crate::on_both_stores;

const BEFORE: i64 = 8;

fn id(n: u128) -> String {
    Uuid::from_u128(0x0900_0000 + n).to_string()
}

/// Rows as the schema of version 8 held them: social services (1), a clinic (2) and Jobbtorg
/// (3), one person with a case at each; consent 41 recorded by social services names all
/// three, consent 42 recorded by the clinic names the clinic and social services. The
/// clinic's and Jobbtorg's cases predate registrations being required.
fn legacy_rows() -> Vec<String> {
    let now = chrono::Utc::now().timestamp_micros();
    let until = now + 30 * 86_400_000_000;
    let mut sql = Vec::new();
    for (o, kind) in [(1, "socialtjanst"), (2, "vardcentral"), (3, "jobbtorg")] {
        sql.push(format!("INSERT INTO organisations (id, name, kind, created_at) VALUES ('{}', 'org {o}', '{kind}', {now})", id(o)));
        let role = if o == 2 {
            "rehabkoordinator"
        } else {
            "socialsekreterare"
        };
        sql.push(format!("INSERT INTO users (id, organisation_id, username, display_name, email, password_hash, active, created_at) VALUES ('{}', '{}', 'u{o}', 'U {o}', 'u{o}@example.se', 'x', 1, {now})", id(10 + o), id(o)));
        sql.push(format!(
            "INSERT INTO user_roles (user_id, role) VALUES ('{}', '{role}')",
            id(10 + o)
        ));
    }
    sql.push(format!("INSERT INTO individuals (id, personnummer, name, protected_identity, created_at) VALUES ('{}', '{}', 'Amina Gammal', 0, {now})", id(20), pnr("19850312123")));
    sql.push(format!("INSERT INTO individual_registrations (individual_id, organisation_id, registered_by, registered_at) VALUES ('{}', '{}', '{}', {now})", id(20), id(1), id(11)));
    for o in 1..=3 {
        sql.push(format!("INSERT INTO cases (id, individual_id, owner_organisation_id, responsible_user_id, title, status, created_at, updated_at) VALUES ('{}', '{}', '{}', '{}', 't', 'open', {now}, {now})", id(30 + o), id(20), id(o), id(10 + o)));
    }
    for (k, recorder, named) in [(41, 1, vec![1, 2, 3]), (42, 2, vec![1, 2])] {
        sql.push(format!("INSERT INTO consents (id, individual_id, case_id, recorded_by_user_id, recorded_by_organisation_id, form_oral, form_written, valid_from, valid_until, status, created_at) VALUES ('{}', '{}', '{}', '{}', '{}', 1, 0, {}, {until}, 'active', {now})", id(k), id(20), id(30 + recorder), id(10 + recorder), id(recorder), now - 1));
        for o in named {
            sql.push(format!("INSERT INTO consent_organisations (consent_id, organisation_id) VALUES ('{}', '{}')", id(k), id(o)));
        }
        sql.push(format!("INSERT INTO consent_purposes (consent_id, purpose) VALUES ('{}', 'informationsutbyte')", id(k)));
    }
    sql
}

async fn migrate_to_before(url: &str, folder: &str) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../server/migrations")
        .join(folder);
    let mut before = Migrator::new(path).await?;
    before.migrations = before
        .migrations
        .iter()
        .filter(|m| m.version <= BEFORE)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let options: sqlx::any::AnyConnectOptions = url.parse()?;
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    before.run(&pool).await?;
    for statement in legacy_rows() {
        sqlx::query(&statement).execute(&pool).await?;
    }
    pool.close().await;
    Ok(())
}

async fn stored_consents_keep_working_for_their_recorders_cases_after_migration(
    backend: Backend,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (url, folder) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display()),
            "sqlite",
        ),
        Backend::Postgres => match fresh_postgres_database().await? {
            Some(url) => (url, "postgres"),
            None => return Ok(()),
        },
    };
    migrate_to_before(&url, folder).await?;
    let app = spawn_with_settings(test_settings(url)?, dir).await?;
    let user = |n: u128| UserId(Uuid::from_u128(0x0900_0000 + n));
    let (social, clinic, jobbtorg) = (
        app.signed_in(user(11)).await?,
        app.signed_in(user(12)).await?,
        app.signed_in(user(13)).await?,
    );
    let case = |o: u128| format!("/api/cases/{}", id(30 + o));

    // Kept: each consent opens its recorder's own case to the others it names.
    let seen = app.get(&clinic, &case(1)).await?;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
    assert_eq!(seen.body["access"]["consent_id"], id(41));
    assert_eq!(seen.body["individual_name"], "Amina Gammal");
    let seen = app.get(&social, &case(2)).await?;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(
        seen.body["access"]["consent_id"],
        id(42),
        "the clinic's own consent, not social services'"
    );
    assert_eq!(
        seen.body["individual_name"], "Amina Gammal",
        "the clinic's repaired registration has the name"
    );
    assert_eq!(app.get(&jobbtorg, &case(1)).await?.status, StatusCode::OK);
    // Changed: social services' consent no longer opens Jobbtorg's case, nor the clinic's
    // consent social services' case to anyone it did not record for.
    assert_eq!(
        app.get(&social, &case(3)).await?.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&clinic, &case(3)).await?.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&jobbtorg, &case(2)).await?.status,
        StatusCode::NOT_FOUND
    );
    // Names live on the registrations now; each organisation reads its own.
    let own = app
        .get(&jobbtorg, &format!("/api/individuals/{}", id(20)))
        .await?;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.body["name"], "Amina Gammal");
    Ok(())
}

on_both_stores!(stored_consents_keep_working_for_their_recorders_cases_after_migration);
