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
