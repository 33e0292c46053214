//! kill -9 during keyed writes: the real binary (`samverkan serve --demo`) takes messages
//! from several clients at once, each with its own `Idempotency-Key`, and is killed mid-flight;
//! restarted on the same store, every write that was not acknowledged is retried with its key.
//! Then every acknowledged write is there once, and every retried key names one message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::timeout;

/// Clients writing at once, over these demo users (each may write in its organisation's cases).
const CLIENTS: usize = 9;
const USERS: [&str; 3] = ["soc.sara", "soc.rehab", "soc.chef"];
/// Acknowledged writes after which the hub is killed.
const KILL_AFTER: usize = 150;

mod hub;
use hub::{login, Hub};

/// One write as the client sent it.
#[derive(Clone, Debug)]
struct Write {
    token: String,
    case: String,
    key: String,
    body: String,
}

impl Write {
    async fn send(&self, http: &reqwest::Client, base: &str) -> anyhow::Result<(u16, Value)> {
        let response = http
            .post(format!("{base}/api/cases/{}/messages", self.case))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", format!("\"{}\"", self.key))
            .json(&json!({ "body": self.body }))
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await?))
    }
}

/// What one client saw: acknowledged (key -> message id), and the write it never heard back on.
struct Outcome {
    acknowledged: HashMap<String, String>,
    unanswered: Option<Write>,
}

/// One client: a user's token and the case it writes in.
struct Writer {
    /// Names its keys and bodies: `r{round}-klient-{n}`.
    name: String,
    base: String,
    token: String,
    case: String,
}

impl Writer {
    /// Writes until the hub stops answering.
    async fn run(self, acks: Arc<AtomicUsize>) -> anyhow::Result<Outcome> {
        let http = reqwest::Client::new();
        let mut acknowledged = HashMap::new();
        for i in 0.. {
            let key = format!("{}-skrivning-{i}", self.name);
            let write = Write {
                token: self.token.clone(),
                case: self.case.clone(),
                body: body_of(&key),
                key,
            };
            match write.send(&http, &self.base).await {
                Ok((201, reply)) => {
                    let id = reply["id"].as_str().unwrap_or_default().to_owned();
                    acknowledged.insert(write.key, id);
                    acks.fetch_add(1, Ordering::SeqCst);
                }
                Ok((status, reply)) => anyhow::bail!("{}: {status} {reply}", self.name),
                Err(_) => {
                    return Ok(Outcome {
                        acknowledged,
                        unanswered: Some(write),
                    })
                }
            }
        }
        Ok(Outcome {
            acknowledged,
            unanswered: None,
        })
    }
}

/// Kill rounds at most: another round runs (on the same store) while no round has caught a
/// committed write unanswered, so the test most likely covers that case (it reports how often).
const ROUNDS: usize = 3;

async fn kill_during_writes_then_retry(db_url: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let mut acknowledged = HashMap::new();
    let mut unanswered = Vec::new();
    let mut retried = HashMap::new();
    let mut committed_unanswered = 0;
    let mut hub = Hub::start(db_url)?;
    for round in 0..ROUNDS {
        let (acked, lost) = write_until_killed(hub, db_url, round).await?;
        assert!(acked.len() >= KILL_AFTER);
        assert_eq!(lost.len(), CLIENTS, "every client had a write in flight");
        let store = sqlx::AnyPool::connect(db_url).await?;
        for write in &lost {
            committed_unanswered += bodies(&store, &write.body).await?.len();
        }
        store.close().await;

        hub = Hub::start(db_url)?;
        for write in &lost {
            let (status, reply) =
                timeout(Duration::from_secs(10), write.send(&http, &hub.base)).await??;
            assert_eq!(status, 201, "retry of {}: {reply}", write.key);
            retried.insert(
                write.key.clone(),
                reply["id"].as_str().unwrap_or_default().to_owned(),
            );
            // A second retry is answered from the store too.
            let (_, again) = write.send(&http, &hub.base).await?;
            assert_eq!(again, reply);
        }
        acknowledged.extend(acked);
        unanswered.extend(lost);
        if committed_unanswered > 0 {
            break;
        }
    }
    hub.kill()?;

    let store = sqlx::AnyPool::connect(db_url).await?;
    for (key, id) in &acknowledged {
        let body = body_of(key);
        assert_eq!(
            bodies(&store, &body).await?,
            vec![id.clone()],
            "acknowledged {key}"
        );
        assert_eq!(created_events(&store, id).await?, 1, "one event for {key}");
    }
    for write in &unanswered {
        let id = &retried[&write.key];
        assert_eq!(
            bodies(&store, &write.body).await?,
            vec![id.clone()],
            "retried {}",
            write.key
        );
        assert_eq!(
            created_events(&store, id).await?,
            1,
            "one event for {}",
            write.key
        );
    }
    let all = kill9_messages(&store).await?;
    assert_eq!(
        all as usize,
        acknowledged.len() + unanswered.len(),
        "no stray message"
    );
    let (keys,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM idempotency_keys")
        .fetch_one(&store)
        .await?;
    assert_eq!(keys as usize, all as usize, "one stored key per write");
    store.close().await;
    eprintln!(
        "kill -9: {} round(s), {} acknowledged, {} in flight at the kills of which {} had \
         committed unacknowledged; every one present once after retries",
        unanswered.len() / CLIENTS,
        acknowledged.len(),
        unanswered.len(),
        committed_unanswered
    );
    Ok(())
}

/// Starts the clients on `hub`, kills it mid-flight, and returns what they were answered
/// (key -> message id) and the writes they never heard back on.
async fn write_until_killed(
    hub: Hub,
    db_url: &str,
    round: usize,
) -> anyhow::Result<(HashMap<String, String>, Vec<Write>)> {
    let http = reqwest::Client::new();
    let watcher = sqlx::AnyPool::connect(db_url).await?;
    let before = kill9_messages(&watcher).await?;
    let mut clients = Vec::new();
    let acks = Arc::new(AtomicUsize::new(0));
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
        let case = items[n % items.len()]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let writer = Writer {
            name: format!("r{round}-klient-{n}"),
            base: hub.base.clone(),
            token,
            case,
        };
        clients.push(tokio::spawn(writer.run(acks.clone())));
    }
    timeout(Duration::from_secs(20), async {
        while acks.load(Ordering::SeqCst) < KILL_AFTER {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await?;
    // Kill at a moment when more writes have committed than the clients have heard of, so
    // that (most likely) some committed write's answer is still on its way.
    let _ = timeout(Duration::from_secs(5), async {
        loop {
            let committed = kill9_messages(&watcher).await? - before;
            if committed > acks.load(Ordering::SeqCst) as i64 {
                break;
            }
        }
        anyhow::Ok(())
    })
    .await;
    hub.kill()?;
    watcher.close().await;

    let mut acknowledged = HashMap::new();
    let mut unanswered = Vec::new();
    for task in clients {
        let outcome = timeout(Duration::from_secs(10), task).await???;
        acknowledged.extend(outcome.acknowledged);
        unanswered.extend(outcome.unanswered);
    }
    Ok((acknowledged, unanswered))
}

fn body_of(key: &str) -> String {
    // r{round}-klient-{n}-skrivning-{i} -> kill-9 r{round} klient {n} skrivning {i}
    format!("kill-9 {}", key.replace('-', " "))
}

async fn kill9_messages(store: &sqlx::AnyPool) -> anyhow::Result<i64> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM case_messages WHERE body LIKE 'kill-9 %'")
            .fetch_one(store)
            .await?;
    Ok(n)
}

/// Ids of the messages with exactly this body.
async fn bodies(store: &sqlx::AnyPool, body: &str) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM case_messages WHERE body = $1")
        .bind(body)
        .fetch_all(store)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

async fn created_events(store: &sqlx::AnyPool, id: &str) -> anyhow::Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM events WHERE kind = 'message.created' AND subject_id = $1",
    )
    .bind(id)
    .fetch_one(store)
    .await?;
    Ok(n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_every_acknowledged_write_once_every_retried_key_once() -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("kill.db").display());
    timeout(Duration::from_secs(60), kill_during_writes_then_retry(&url)).await?
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_every_acknowledged_write_once_every_retried_key_once() -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    hub::on_own_postgres("crash", Duration::from_secs(60), |url| async move {
        kill_during_writes_then_retry(&url).await
    })
    .await
}
