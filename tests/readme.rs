//! The README's commands, taken from its text and run as a newcomer would run them.
//!
//! A command that works only in a copy of the README proves nothing, so every command here is
//! read from `README.md` at test time: the first command of the first code block (the hub on
//! SQLite with demo data), every command of the "Administration" block, and the benchmark's
//! commands with `--quick` added to the load generator. Each runs through `sh -c` in the
//! workspace root, exactly as written; only the environment points it at a temporary store and a
//! free port (the documented `SAMVERKAN_*` overrides), so a developer's own hub is never touched.

use std::collections::HashMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

fn readme() -> anyhow::Result<String> {
    std::fs::read_to_string(root().join("README.md")).context("reading README.md")
}

/// The shell commands of the first fenced code block after `heading` (or in the whole file):
/// continuation lines joined, comments and blank lines dropped.
fn commands_after(readme: &str, heading: Option<&str>) -> anyhow::Result<Vec<String>> {
    let text = match heading {
        Some(h) => {
            let at = readme
                .find(&format!("\n{h}\n"))
                .with_context(|| format!("README has no heading {h:?}"))?;
            &readme[at..]
        }
        None => readme,
    };
    let start = text.find("```sh\n").context("no ```sh block")? + "```sh\n".len();
    let len = text[start..].find("```").context("unclosed code block")?;
    let mut commands = Vec::new();
    let mut pending = String::new();
    for line in text[start..start + len].lines() {
        let line = strip_comment(line);
        let (body, continues) = match line.trim_end().strip_suffix('\\') {
            Some(body) => (body, true),
            None => (line.trim_end(), false),
        };
        pending.push_str(body.trim_start());
        if continues {
            pending.push(' ');
        } else if !pending.trim().is_empty() {
            commands.push(std::mem::take(&mut pending).trim().to_owned());
        } else {
            pending.clear();
        }
    }
    Ok(commands)
}

/// `line` up to a `#` that starts a shell comment (outside quotes, after white space).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if previous.is_whitespace() => return &line[..i],
            _ => {}
        }
        previous = c;
    }
    line
}

/// A word in backticks right after `marker` in the README's prose (`soc.sara`, the password).
fn backticked_after(readme: &str, marker: &str) -> anyhow::Result<String> {
    let at = readme
        .find(marker)
        .with_context(|| format!("README no longer says {marker:?}"))?;
    let rest = &readme[at + marker.len()..];
    let open = rest.find('`').context("no backticked word")? + 1;
    let close = rest[open..].find('`').context("unclosed backtick")?;
    Ok(rest[open..open + close].to_owned())
}

/// The value after `--flag` in a command (quotes removed).
fn flag_value(command: &str, flag: &str) -> Option<String> {
    let rest = command.split(&format!("{flag} ")).nth(1)?;
    let value = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next()?,
        None => rest.split_whitespace().next()?,
    };
    Some(value.to_owned())
}

/// `sh -c command` in the workspace root, with the outer cargo's own variables removed so the
/// inner cargo behaves as it would in a newcomer's shell.
fn shell(command: &str, env: &HashMap<&str, String>) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(command).current_dir(root());
    for (key, _) in std::env::vars() {
        if key.starts_with("CARGO_") && key != "CARGO_HOME" || key.starts_with("SAMVERKAN_") {
            cmd.env_remove(key);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    cmd
}

fn run(command: &str, env: &HashMap<&str, String>) -> anyhow::Result<Output> {
    let output = shell(command, env)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {command}"))?;
    if !output.status.success() {
        bail!(
            "README command failed ({}): {command}\nstdout:\n{}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(output)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The `samverkan` process in process group `group`, read from /proc.
fn hub_in_group(group: u32) -> anyhow::Result<u32> {
    for entry in std::fs::read_dir("/proc")? {
        let Ok(pid) = entry?.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp …; comm may hold spaces, so split after its ')'.
        let Some((head, tail)) = stat.rsplit_once(')') else {
            continue;
        };
        let pgrp = tail.split_whitespace().nth(2);
        if head.ends_with("(samverkan") && pgrp == Some(&group.to_string()) {
            return Ok(pid);
        }
    }
    bail!("no samverkan process in process group {group}")
}

fn wait_for_exit(child: &mut std::process::Child, limit: Duration) -> anyhow::Result<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            bail!("did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_command_starts_the_demo_hub_and_stops_on_sigterm() -> anyhow::Result<()> {
    let readme = readme()?;
    let commands = commands_after(&readme, None)?;
    let [serve, test] = &commands[..] else {
        bail!("the README must start with exactly two commands, found {commands:?}");
    };
    let ci = std::fs::read_to_string(root().join(".ci/run"))?;
    assert!(
        ci.lines().any(|l| l.trim() == test),
        ".ci/run must run the README's test command {test:?} exactly"
    );
    let username = backticked_after(&readme, "sign in with a demo login: ")?;
    let password = backticked_after(&readme, "password ")?;

    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let env = HashMap::from([
        ("SAMVERKAN_SERVER__BIND", format!("127.0.0.1:{port}")),
        (
            "SAMVERKAN_DATABASE__URL",
            format!("sqlite://{}", dir.path().join("demo.db").display()),
        ),
    ]);
    let stdout_path = dir.path().join("stdout.txt");
    let mut child = shell(serve, &env)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path)?)
        .process_group(0)
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    // It may have to compile first: allow minutes, and fail at once if it exits.
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if let Some(status) = child.try_wait()? {
            bail!(
                "`{serve}` exited with {status} before answering /readyz:\n{}",
                std::fs::read_to_string(&stdout_path)?
            );
        }
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            assert_eq!(r.status(), 200, "/readyz");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            bail!("`{serve}` did not answer /readyz within 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let printed = std::fs::read_to_string(&stdout_path)?;
    assert!(
        printed.contains("Demoinloggningar") && printed.contains(&username),
        "the demo logins are printed, {username} among them:\n{printed}"
    );

    let login: serde_json::Value = http
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({ "username": username, "password": password }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["access_token"].as_str().context("a token")?;
    let me: serde_json::Value = http
        .get(format!("{base}/api/me"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    assert_eq!(me["username"], username.as_str(), "{me}");
    assert!(
        me["roles"].as_array().is_some_and(|r| !r.is_empty()),
        "{me}"
    );

    // SIGTERM to the hub itself, as a service manager would send it; the shell and cargo
    // before it may or may not have exec'd, so find it in the command's process group.
    let hub = hub_in_group(child.id())?;
    let killed = Command::new("kill")
        .args(["-TERM", &hub.to_string()])
        .status()?;
    assert!(killed.success(), "sending SIGTERM");
    let status = wait_for_exit(&mut child, Duration::from_secs(30))?;
    assert!(status.success(), "stops cleanly on SIGTERM, got {status}");
    Ok(())
}

#[test]
fn the_administration_commands_work_as_written() -> anyhow::Result<()> {
    let commands = commands_after(&readme()?, Some("## Administration"))?;
    assert!(commands.len() >= 3, "{commands:?}");
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("admin.db");
    let env = HashMap::from([(
        "SAMVERKAN_DATABASE__URL",
        format!("sqlite://{}", db.display()),
    )]);
    let mut outputs = Vec::new();
    for command in &commands {
        outputs.push(run(command, &env)?);
    }

    // What the commands said they made is in the store.
    let db = stored_accounts(&db)?;
    for command in &commands {
        if let Some(name) = flag_value(command, "create-organisation --name") {
            assert!(db.organisations.contains(&name), "{name} in {db:?}");
        }
        if let Some(username) = flag_value(command, "--username") {
            assert!(db.usernames.contains(&username), "{username} in {db:?}");
        }
    }
    let last = outputs.last().context("a last command")?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&last.stdout),
        String::from_utf8_lossy(&last.stderr)
    );
    assert!(said.contains("intact"), "verify-audit reports: {said}");
    Ok(())
}

#[derive(Debug)]
struct Stored {
    organisations: Vec<String>,
    usernames: Vec<String>,
}

/// The organisation names and usernames in a SQLite store, read with sqlx.
fn stored_accounts(db: &Path) -> anyhow::Result<Stored> {
    let url = format!("sqlite://{}?mode=ro", db.display());
    tokio::runtime::Runtime::new()?.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&url).await?;
        let organisations = sqlx::query_scalar("SELECT name FROM organisations")
            .fetch_all(&mut conn)
            .await?;
        let usernames = sqlx::query_scalar("SELECT username FROM users")
            .fetch_all(&mut conn)
            .await?;
        Ok(Stored {
            organisations,
            usernames,
        })
    })
}

/// The benchmark's commands with `--quick` (1,000 clients, 5 rounds, 2 s paced): a release
/// build, `npm ci` for the Node baseline, one short run that writes its report.
#[test]
fn the_benchmark_commands_run_quickly() -> anyhow::Result<()> {
    let commands = commands_after(&readme()?, Some("## Benchmark: the live stream"))?;
    let dir = tempfile::tempdir()?;
    let report = dir.path().join("bench-report.md");
    let env = HashMap::new();
    for command in &commands {
        let command = if command.contains("samverkan-load ") && !command.contains("build") {
            let report_flag = flag_value(command, "--report").context("a --report")?;
            format!("{command} --quick").replace(
                &format!("--report {report_flag}"),
                &format!("--report {}", report.display()),
            )
        } else {
            command.clone()
        };
        run(&command, &env)?;
    }
    let written = std::fs::read_to_string(&report).context("the report is written")?;
    assert!(
        written.contains("fan-out") || written.contains("Fan-out"),
        "{written}"
    );
    Ok(())
}
