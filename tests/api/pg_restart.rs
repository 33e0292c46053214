//! Two hub nodes on a private PostgreSQL cluster that the test starts (initdb on a free port,
//! never the machine's own service) and restarts with `pg_ctl restart -m immediate`: an event
//! committed through node B right after the restart reaches a stream client on node A
//! promptly and once, with no later event to carry it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::stream::StreamClient;

/// How long "promptly" may take: the listener's reconnect backoff starts at 100 ms.
const PROMPTLY: Duration = Duration::from_secs(5);

/// A PostgreSQL cluster of the test's own, stopped when dropped.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

/// Debian's server binaries (`postgresql` package); the newest version there.
fn server_binaries() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop()
}

/// Runs a server binary; as root it runs as `postgres`, since PostgreSQL refuses root.
fn run(bin: &Path, tool: &str, args: &[&str]) -> anyhow::Result<()> {
    let program = bin.join(tool);
    // /proc/self belongs to the process's effective user.
    let as_root = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false);
    let output = if as_root {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&program)
            .args(args)
            .output()?
    } else {
        Command::new(&program).args(args).output()?
    };
    anyhow::ensure!(
        output.status.success(),
        "{tool} {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

impl Cluster {
    fn start() -> anyhow::Result<Self> {
        let bin = server_binaries().ok_or_else(|| {
            anyhow::anyhow!(
                "this test starts a PostgreSQL cluster of its own and needs the server binaries \
                 (initdb, pg_ctl) under /usr/lib/postgresql/*/bin: apt-get install postgresql"
            )
        })?;
        let dir = tempfile::tempdir()?;
        // The server runs as `postgres` when we are root: it must own its directory.
        let _ = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status();
        let data = dir.path().join("data");
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        run(
            &bin,
            "initdb",
            &[
                "-D",
                &data.to_string_lossy(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
            ],
        )?;
        let cluster = Self {
            bin,
            data,
            port,
            _dir: dir,
        };
        cluster.pg_ctl(&["-w", "start"])?;
        Ok(cluster)
    }

    fn pg_ctl(&self, action: &[&str]) -> anyhow::Result<()> {
        let socket_dir = self.data.parent().unwrap_or(&self.data).to_string_lossy();
        let options = format!(
            "-p {} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port
        );
        let log = self.data.with_file_name("server.log");
        let data = self.data.to_string_lossy();
        let log = log.to_string_lossy();
        let mut args = vec!["-D", &data, "-l", &log, "-o", &options];
        args.extend_from_slice(action);
        run(&self.bin, "pg_ctl", &args)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["-w", "stop", "-m", "immediate"]);
    }
}

/// Changes the case's title through `node`, retrying while the node's pool reconnects.
async fn retitle(node: &TestApp, user: &TestUser, case: &str, title: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = node
            .patch(
                user,
                &format!("/api/cases/{case}"),
                json!({ "title": title }),
            )
            .await?;
        if reply.status == StatusCode::OK {
            return Ok(());
        }
        anyhow::ensure!(
            reply.status == StatusCode::SERVICE_UNAVAILABLE && Instant::now() < deadline,
            "retitle through the other node: {} {}",
            reply.status,
            reply.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A change through node B reaches the client on node A promptly and exactly once.
async fn arrives_once(
    b: &TestApp,
    world: &World,
    case: &str,
    on_a: &mut StreamClient,
    title: &str,
) -> anyhow::Result<()> {
    retitle(b, &world.social_worker, case, title).await?;
    let committed = Instant::now();
    let after = on_a
        .until(PROMPTLY, |e| e["type"] == "case.updated")
        .await?;
    let updates = after.iter().filter(|e| e["type"] == "case.updated").count();
    anyhow::ensure!(
        updates == 1,
        "{title}: the change committed through node B reached node A {updates} times within \
         {PROMPTLY:?} (waited {:?}): {after:?}",
        committed.elapsed()
    );
    // Once: nothing repeats it, though the listener poked the sequencer on reconnecting.
    let more = on_a.until(Duration::from_secs(2), |_| false).await?;
    anyhow::ensure!(
        more.iter().all(|e| e["type"] != "case.updated"),
        "{title}: delivered twice: {more:?}"
    );
    Ok(())
}

#[tokio::test]
async fn after_a_postgres_restart_an_event_of_the_other_node_arrives_promptly_and_once(
) -> anyhow::Result<()> {
    // Like every PostgreSQL test, this runs when the suite is asked to prove PostgreSQL.
    if postgres_url().is_none() {
        return Ok(());
    }
    let cluster = Cluster::start()?;
    let settings = test_settings(cluster.url())?;
    let a = spawn_with_settings(settings.clone(), tempfile::tempdir()?).await?;
    let b = spawn_with_settings(settings, tempfile::tempdir()?).await?;
    let world = a.world().await?;
    let (_, case) = a
        .case_for(&world.social_worker, &pnr("19850312123"), "Amina")
        .await?;
    a.consent(&world.social_worker, &case, &[&world.clinic], &["sip"])
        .await?;
    let mut on_a = StreamClient::connect(&a, &world.coordinator, None).await?;
    // Before the restart, node B's change reaches node A (the cross-node path works at all).
    arrives_once(&b, &world, &case, &mut on_a, "Före omstart").await?;

    // As the defect was found: a restart, and the change right after it.
    cluster.pg_ctl(&["-w", "restart", "-m", "immediate"])?;
    arrives_once(&b, &world, &case, &mut on_a, "Efter omstart").await?;
    // A longer outage, and node B commits the moment the server is back (it retries from
    // before the start), while node A's listener is surely still reconnecting.
    cluster.pg_ctl(&["-w", "stop", "-m", "immediate"])?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.pg_ctl(&["-W", "start"])?;
    arrives_once(&b, &world, &case, &mut on_a, "Efter avbrott").await?;
    on_a.close().await;
    Ok(())
}
