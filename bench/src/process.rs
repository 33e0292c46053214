//! The servers under test, started as child processes and killed at the end.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::process::{Child, Command};

pub struct Server {
    pub name: &'static str,
    pub addr: SocketAddr,
    pub pid: u32,
    child: Child,
    log: PathBuf,
}

/// A free port on 127.0.0.1 (bound and released; the server binds it right after).
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Server {
    /// `samverkan serve --demo` on a fresh SQLite file in `dir`, or on the PostgreSQL
    /// database `postgres` (seeded with the demo set if empty; a further node finds it seeded).
    pub async fn samverkan(
        bin: &Path,
        dir: &Path,
        postgres: Option<&str>,
        http: &reqwest::Client,
    ) -> anyhow::Result<Self> {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let database = match postgres {
            Some(url) => url.to_owned(),
            None => format!("sqlite://{}", dir.join("db.sqlite").display()),
        };
        let log = dir.join(format!("samverkan-{}.log", addr.port()));
        let child = Command::new(bin)
            .args(["serve", "--demo"])
            .env("SAMVERKAN_DATABASE__URL", database)
            .env("SAMVERKAN_SERVER__BIND", addr.to_string())
            .env("SAMVERKAN_AUTH__TOKEN_TTL_MINUTES", "240")
            .env("SAMVERKAN_LOG__FILTER", "warn")
            // glibc otherwise raises its mmap threshold after the first freed argon2 buffer
            // (19 MiB) and keeps later ones in its arenas: hundreds of MiB from setting up
            // users, returned at random times, would drown the per-connection figure.
            .env("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=131072")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "starting {} (build it with `cargo build --release -p samverkan`)",
                    bin.display()
                )
            })?;
        Self::ready("samverkan", child, addr, log, "/readyz", http).await
    }

    /// `node broadcast.js PORT`, the transport-only baseline.
    pub async fn node(
        node: &str,
        script: &Path,
        dir: &Path,
        http: &reqwest::Client,
    ) -> anyhow::Result<Self> {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let log = dir.join("node.log");
        let child = Command::new(node)
            .arg(script)
            .arg(addr.port().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "starting {node} {} (run `npm ci` in bench/node)",
                    script.display()
                )
            })?;
        Self::ready("node ws", child, addr, log, "/healthz", http).await
    }

    async fn ready(
        name: &'static str,
        mut child: Child,
        addr: SocketAddr,
        log: PathBuf,
        path: &str,
        http: &reqwest::Client,
    ) -> anyhow::Result<Self> {
        let pid = child.id().context("the child has no pid")?;
        let url = format!("http://{addr}{path}");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "{name} exited with {status} before it was ready:\n{}",
                    tail(&log)
                );
            }
            if let Ok(reply) = http.get(&url).send().await {
                if reply.status().is_success() {
                    return Ok(Self {
                        name,
                        addr,
                        pid,
                        child,
                        log,
                    });
                }
            }
            if Instant::now() > deadline {
                bail!("{name} was not ready within 120 s:\n{}", tail(&log));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Resident memory (VmRSS) of the server process, in bytes.
    pub fn rss(&self) -> anyhow::Result<u64> {
        rss_of(self.pid)
    }

    /// Fails if the server died (with the end of its log).
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} exited with {status}:\n{}", self.name, tail(&self.log));
        }
        Ok(())
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }
}

/// The hub under test: one process, or several nodes on one PostgreSQL database.
pub struct Cluster {
    pub nodes: Vec<Server>,
}

impl Cluster {
    pub fn one(server: Server) -> Self {
        Self {
            nodes: vec![server],
        }
    }

    pub fn pids(&self) -> Vec<u32> {
        self.nodes.iter().map(|n| n.pid).collect()
    }

    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.nodes.iter().map(|n| n.addr).collect()
    }

    /// Resident memory of all nodes together, in bytes.
    pub fn rss(&self) -> anyhow::Result<u64> {
        self.nodes.iter().map(Server::rss).sum()
    }

    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        self.nodes.iter_mut().try_for_each(Server::check_alive)
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        for node in self.nodes {
            node.stop().await?;
        }
        Ok(())
    }
}

pub fn rss_of(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS line")?;
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .context("no VmRSS value")?
        .parse()?;
    Ok(kib * 1024)
}

fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
