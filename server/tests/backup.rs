//! `admin backup` under write load and `admin restore` into a new store, as the real binary:
//! the hub (`samverkan serve --demo`) takes messages from several clients at once while the
//! backup runs; the restored store's audit chain checks and holds every message whose
//! acknowledgement arrived before the backup started.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::timeout;

const CLIENTS: usize = 6;
const USERS: [&str; 3] = ["soc.sara", "soc.rehab", "soc.chef"];

mod hub;
use hub::{login, Hub};

fn admin(db_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_samverkan"))
        .arg("admin")
        .args(args)
        .env("SAMVERKAN_DATABASE__URL", db_url)
        .env("SAMVERKAN_LOG__FILTER", "warn")
        .output()
        .expect("the binary runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Posts messages until `stop`, noting each acknowledged body in `acknowledged`.
async fn write_messages(
    base: String,
    token: String,
    case: String,
    name: String,
    acknowledged: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let mut i = 0;
    while !stop.load(Ordering::SeqCst) {
        let body = format!("backup {name} skrivning {i}");
        let response = http
            .post(format!("{base}/api/cases/{case}/messages"))
            .bearer_auth(&token)
            .json(&json!({ "body": body }))
            .send()
            .await?;
        anyhow::ensure!(response.status() == 201, "{name}: {}", response.status());
        acknowledged.lock().unwrap().push(body);
        i += 1;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restores_with_every_acknowledged_write_and_a_sound_chain(
) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir()?;
    let live = format!("sqlite://{}", dir.path().join("live.db").display());
    let backup_file = dir.path().join("kopia.db");
    let restored = format!(
        "sqlite://{}",
        dir.path().join("ny").join("restored.db").display()
    );
    let hub = Hub::start(&live)?;
    let http = reqwest::Client::new();
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for n in 0..CLIENTS {
        let token = login(&http, &hub.base, USERS[n % USERS.len()]).await?;
        let cases: Value = http
            .get(format!("{}/api/cases", hub.base))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        let case = cases["items"][0]["id"].as_str().unwrap().to_owned();
        clients.push(tokio::spawn(write_messages(
            hub.base.clone(),
            token,
            case,
            format!("klient {n}"),
            acknowledged.clone(),
            stop.clone(),
        )));
    }
    timeout(Duration::from_secs(30), async {
        while acknowledged.lock().unwrap().len() < 300 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await?;

    // Every write acknowledged before the backup starts must be in it; writes go on meanwhile.
    let before: Vec<String> = acknowledged.lock().unwrap().clone();
    let url = live.clone();
    let file = backup_file.clone();
    let out = tokio::task::spawn_blocking(move || admin(&url, &["backup", file.to_str().unwrap()]))
        .await?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("audit chain intact"), "{}", text(&out));
    let during = acknowledged.lock().unwrap().len() - before.len();

    // Restoring over the store the hub is serving is refused, and changes nothing.
    let refused = admin(&live, &["restore", backup_file.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("is in use"), "{}", text(&refused));

    stop.store(true, Ordering::SeqCst);
    for client in clients {
        timeout(Duration::from_secs(10), client).await???;
    }
    drop(hub);

    let out = admin(&restored, &["restore", backup_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let verify = admin(&restored, &["verify-audit"]);
    assert!(verify.status.success(), "{}", text(&verify));

    let store = sqlx::AnyPool::connect(&format!("{restored}?mode=ro")).await?;
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT body FROM case_messages WHERE body LIKE 'backup %'")
            .fetch_all(&store)
            .await?;
    let present: std::collections::HashSet<String> = rows.into_iter().map(|(b,)| b).collect();
    let missing: Vec<&String> = before.iter().filter(|b| !present.contains(*b)).collect();
    assert!(missing.is_empty(), "missing after restore: {missing:?}");
    // Each message's creation is audited: the restored chain covers them.
    let (audited,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = 'message.create'")
            .fetch_one(&store)
            .await?;
    assert!(audited >= before.len() as i64, "{audited} audit rows");
    store.close().await;
    eprintln!(
        "backup: {} writes acknowledged before it, {during} during it, {} in the copy",
        before.len(),
        present.len()
    );
    Ok(())
}

#[test]
fn backup_and_restore_on_postgres_point_to_pg_dump_and_pg_restore() {
    let url = "postgres://postgres@127.0.0.1:5432/ingen";
    for command in ["backup", "restore"] {
        let out = admin(url, &[command, "/tmp/samverkan-ingen-kopia.db"]);
        assert!(!out.status.success());
        assert!(text(&out).contains("pg_dump"), "{}", text(&out));
    }
}

#[tokio::test]
async fn a_backup_whose_audit_chain_was_changed_is_not_restored() {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let url = format!("sqlite://{}", db.display());
    let org = admin(
        &url,
        &[
            "create-organisation",
            "--name",
            "Vc",
            "--kind",
            "vardcentral",
        ],
    );
    assert!(org.status.success(), "{}", text(&org));
    let copy = dir.path().join("kopia.db");
    assert!(admin(&url, &["backup", copy.to_str().unwrap()])
        .status
        .success());
    // A forged audit row in the copy.
    let forger = sqlx::AnyPool::connect(&format!("sqlite://{}", copy.display()))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO audit_log VALUES \
         (1, 0, NULL, NULL, '', 'x', 'allowed', NULL, NULL, NULL, NULL, NULL, '0', '0')",
    )
    .execute(&forger)
    .await
    .unwrap();
    sqlx::query("UPDATE audit_head SET last_seq = 1")
        .execute(&forger)
        .await
        .unwrap();
    forger.close().await;
    let target = format!("sqlite://{}", dir.path().join("b.db").display());
    let out = admin(&target, &["restore", copy.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out).contains("was not restored"), "{}", text(&out));
    assert!(!dir.path().join("b.db").exists());
}
