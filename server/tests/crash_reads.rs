//! kill -9 during a flood of audited reads: the real binary (`samverkan serve --demo`) answers
//! case reads and case lists from many clients at once, each request with its own
//! `x-request-id`, and is killed mid-flight. Restarted on the same store (which is how the
//! store is next opened), every request that was answered 200 has its audit rows (one
//! `case.read` row for a case, one `case.list` row per case listed), and
//! `samverkan admin verify-audit` finds one unbroken chain.
//!
//! A kill -9 keeps what the process wrote into the kernel's cache, so this proves the order
//! (the audit rows are committed before the answer leaves); that a commit is also on disk
//! before it is acknowledged is the job of the WAL sync the answer waits for (`WalSync`,
//! shared with the writes' group commit; PostgreSQL's own COMMIT).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::time::timeout;

mod hub;
use hub::{login, Hub};

/// Clients reading at once, over these demo users.
const CLIENTS: usize = 16;
const USERS: [&str; 3] = ["soc.sara", "soc.rehab", "soc.chef"];
/// Answered reads after which the hub is killed.
const KILL_AFTER: usize = 400;

/// What a client was answered 200 to: request id -> audit rows the answer stands for.
type Answered = HashMap<String, (&'static str, usize)>;

struct Reader {
    name: String,
    base: String,
    token: String,
    case: String,
}

impl Reader {
    /// Reads (a case, then the case list, and again) until the hub stops answering.
    async fn run(self, answered_so_far: Arc<AtomicUsize>) -> anyhow::Result<Answered> {
        let http = reqwest::Client::new();
        let mut answered = Answered::new();
        for i in 0.. {
            let id = format!("{}-las-{i}", self.name);
            let list = i % 2 == 1;
            let url = if list {
                format!("{}/api/cases", self.base)
            } else {
                format!("{}/api/cases/{}", self.base, self.case)
            };
            let sent = http
                .get(url)
                .bearer_auth(&self.token)
                .header("x-request-id", &id)
                .send()
                .await;
            let Ok(response) = sent else { break };
            let status = response.status().as_u16();
            let Ok(body) = response.json::<Value>().await else {
                break;
            };
            anyhow::ensure!(status == 200, "{id}: {status} {body}");
            let rows = if list {
                ("case.list", body["items"].as_array().map_or(0, Vec::len))
            } else {
                anyhow::ensure!(body["id"] == self.case.as_str(), "{id}: {body}");
                ("case.read", 1)
            };
            answered.insert(id, rows);
            answered_so_far.fetch_add(1, Ordering::SeqCst);
        }
        Ok(answered)
    }
}

async fn kill_during_reads(db_url: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let hub = Hub::start(db_url)?;
    let mut readers = Vec::new();
    let answered_so_far = Arc::new(AtomicUsize::new(0));
    for n in 0..CLIENTS {
        let token = login(&http, &hub.base, USERS[n % USERS.len()]).await?;
        let cases: Value = http
            .get(format!("{}/api/cases", hub.base))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        let items = cases["items"].as_array().cloned().unwrap_or_default();
        anyhow::ensure!(!items.is_empty(), "the demo user sees no case");
        let reader = Reader {
            name: format!("klient-{n}"),
            base: hub.base.clone(),
            token,
            case: items[n % items.len()]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        };
        readers.push(tokio::spawn(reader.run(answered_so_far.clone())));
    }
    timeout(Duration::from_secs(30), async {
        while answered_so_far.load(Ordering::SeqCst) < KILL_AFTER {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await?;
    hub.kill()?;
    let mut answered = Answered::new();
    for reader in readers {
        answered.extend(timeout(Duration::from_secs(10), reader).await???);
    }
    assert!(answered.len() >= KILL_AFTER);

    // Restarted on the same store, then stopped: the store as the next start finds it.
    Hub::start(db_url)?.kill()?;
    let store = sqlx::AnyPool::connect(db_url).await?;
    let mut rows_checked = 0;
    for (id, (action, rows)) in &answered {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM audit_log WHERE request_id = $1 AND action = $2 \
             AND outcome = 'allowed'",
        )
        .bind(id)
        .bind(*action)
        .fetch_one(&store)
        .await?;
        assert_eq!(n as usize, *rows, "audit rows of {id} ({action})");
        rows_checked += rows;
    }
    let (in_flight,): (i64,) = sqlx::query_as(
        "SELECT COUNT(DISTINCT request_id) FROM audit_log WHERE request_id LIKE 'klient-%'",
    )
    .fetch_one(&store)
    .await?;
    store.close().await;

    let verify = Command::new(env!("CARGO_BIN_EXE_samverkan"))
        .args(["admin", "verify-audit"])
        .env("SAMVERKAN_DATABASE__URL", db_url)
        .env("SAMVERKAN_LOG__FILTER", "warn")
        .output()?;
    let said = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success() && said.contains("intact"),
        "verify-audit: {said} {}",
        String::from_utf8_lossy(&verify.stderr)
    );
    eprintln!(
        "kill -9 during reads: {} answered with {rows_checked} audit rows, all present; \
         {} requests audited but not answered before the kill; {}",
        answered.len(),
        in_flight - answered.len() as i64,
        said.trim()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_every_answered_read_has_its_audit_rows_after_kill_9() -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("kill-reads.db").display());
    timeout(Duration::from_secs(90), kill_during_reads(&url)).await?
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_every_answered_read_has_its_audit_rows_after_kill_9() -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    hub::on_own_postgres("crash_reads", Duration::from_secs(90), |url| async move {
        kill_during_reads(&url).await
    })
    .await
}
