//! The real binary serving (`samverkan serve --demo`) for the tests that drive it from outside.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `samverkan serve` and the address it listens on.
pub struct Hub {
    pub child: Child,
    pub base: String,
}

impl Hub {
    pub fn start(db_url: &str) -> anyhow::Result<Hub> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_samverkan"))
            .args(["serve", "--demo"])
            .env("SAMVERKAN_DATABASE__URL", db_url)
            .env("SAMVERKAN_SERVER__BIND", "127.0.0.1:0")
            .env("SAMVERKAN_LOG__FILTER", "error")
            .env("SAMVERKAN_MAIL__ENABLED", "false")
            .env("SAMVERKAN_NOTIFICATIONS__SCHEDULER_ENABLED", "false")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        // The hub prints its address once it listens (after the demo logins).
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let Some(line) = lines.next() else {
                anyhow::bail!("the hub exited before listening");
            };
            if let Some(at) = line?.strip_prefix("Samverkan kör på ") {
                break at.trim().to_owned();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Hub { child, base })
    }

    #[allow(dead_code)] // not every test binary kills its hub
    /// SIGKILL: no graceful shutdown, no drained requests.
    pub fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Signs a demo user in (password `samverkan-demo`) and returns the access token.
pub async fn login(http: &reqwest::Client, base: &str, username: &str) -> anyhow::Result<String> {
    let reply: serde_json::Value = http
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"username": username, "password": "samverkan-demo"}))
        .send()
        .await?
        .json()
        .await?;
    reply["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("login failed: {reply}"))
}

/// Runs `run` against a PostgreSQL database of its own, created under
/// `SAMVERKAN_TEST_POSTGRES_URL` and dropped afterwards, bounded by `limit`; without that
/// variable it says what did not run and passes, as the API suite's PostgreSQL variants do.
/// `what` names the test in that line and in the database's name (never `samverkan_t_…`,
/// which the API suite drops as leftovers when it starts).
#[allow(dead_code)] // the kill -9 tests use it, the backup test does not
pub async fn on_own_postgres<F, Fut>(
    what: &str,
    limit: std::time::Duration,
    run: F,
) -> anyhow::Result<()>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let Some(base) = std::env::var("SAMVERKAN_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("SAMVERKAN_TEST_POSTGRES_URL is not set: the PostgreSQL {what} test did not run");
        return Ok(());
    };
    let name = format!("samverkan_{what}_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::AnyPool::connect(&base).await?;
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&admin)
        .await?;
    let (prefix, _) = base
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("postgres url needs a database"))?;
    let result = tokio::time::timeout(limit, run(format!("{prefix}/{name}"))).await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&admin)
        .await;
    result?
}
