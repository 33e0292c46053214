//! REST throughput (`--rest`): closed-loop clients, each on one keep-alive connection,
//! sending the same request again as soon as the answer is in, for a fixed time per request
//! kind. Every figure is also given as a ratio to `GET /api/me` (token, session, user: no
//! person's data, nothing audited) measured in the same run, so the machine's other load
//! weighs on both. The client is a minimal HTTP/1.1 writer and reader (prebuilt request
//! bytes, `Content-Length` bodies) so that the generator, on the same cores as the server,
//! takes as little of them as it can.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::api::World;
use crate::tracker;

/// The request kinds by name, to measure (or profile) some of them only (`--rest-kind`).
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindName {
    /// `GET /api/me`, the baseline.
    Me,
    /// `GET /api/cases/{id}`.
    Case,
    /// `GET /api/cases`.
    List,
    /// `POST /api/cases/{id}/messages`.
    Message,
    /// `GET /api/floor/read`: `/api/me` and one durable audit row (a hub built with
    /// `--features floors`; measured only when named).
    ReadFloor,
    /// `POST /api/floor/write`: a durable change with one event and one audit row and nothing
    /// to decide (`--features floors`; measured only when named).
    WriteFloor,
    /// `POST /api/floor/cases/{id}/write`: that change, decided on the policy's facts of the
    /// case read in its transaction (`--features floors`; measured only when named).
    DecidedFloor,
}

impl KindName {
    /// Whether the kind needs a hub built with `--features floors`.
    pub fn is_floor(self) -> bool {
        matches!(
            self,
            Self::ReadFloor | Self::WriteFloor | Self::DecidedFloor
        )
    }
}

/// One kind of request, as each client sends it (its own token, its own case).
pub struct Kind {
    pub name: KindName,
    pub label: &'static str,
    /// Per client: the raw request.
    pub requests: Vec<Vec<u8>>,
    pub expect: u16,
}

/// What one kind of request achieved.
pub struct Throughput {
    pub label: &'static str,
    pub requests: u64,
    pub seconds: f64,
    pub latency: Histogram<u64>,
    /// Answers with another status than expected (counted, not timed).
    pub unexpected: u64,
    /// The first unexpected answer, for the report.
    pub sample: Option<String>,
    /// CPU seconds the server, and every other process on the machine but this generator,
    /// spent while this was measured.
    pub server_cpu: f64,
    pub others_cpu: f64,
}

impl Throughput {
    fn add(&mut self, other: Throughput) -> anyhow::Result<()> {
        self.requests += other.requests;
        self.seconds += other.seconds;
        self.unexpected += other.unexpected;
        self.latency.add(&other.latency)?;
        self.server_cpu += other.server_cpu;
        self.others_cpu += other.others_cpu;
        if self.sample.is_none() {
            self.sample = other.sample;
        }
        Ok(())
    }

    pub fn per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }
}

fn request(method: &str, path: &str, host: SocketAddr, token: &str, body: Option<&str>) -> Vec<u8> {
    let mut text = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Accept: application/json\r\n"
    );
    if let Some(body) = body {
        let _ = write!(
            text,
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
    } else {
        text.push_str("\r\n");
    }
    text.into_bytes()
}

/// The request kinds measured, each client with its own user and case (`World` made one
/// inquiry case per user, the user responsible for it).
pub fn kinds(world: &World, addr: SocketAddr, clients: usize) -> anyhow::Result<Vec<Kind>> {
    anyhow::ensure!(
        world.users.len() >= clients && world.inquiry_cases.len() >= clients,
        "the world has fewer users or cases than clients"
    );
    let per_client = |f: &dyn Fn(usize) -> Vec<u8>| (0..clients).map(f).collect::<Vec<_>>();
    let token = |i: usize| world.users[world.inquiry_cases[i].user].as_str();
    let case = |i: usize| world.inquiry_cases[i].case_id.as_str();
    let message = r#"{"body":"Vi har bokat ett möte nästa vecka."}"#;
    Ok(vec![
        Kind {
            name: KindName::Me,
            label: "GET /api/me (baseline)",
            requests: per_client(&|i| request("GET", "/api/me", addr, token(i), None)),
            expect: 200,
        },
        Kind {
            name: KindName::Case,
            label: "GET /api/cases/{id} (policy + audit row)",
            requests: per_client(&|i| {
                request(
                    "GET",
                    &format!("/api/cases/{}", case(i)),
                    addr,
                    token(i),
                    None,
                )
            }),
            expect: 200,
        },
        Kind {
            name: KindName::List,
            label: "GET /api/cases (list + audit rows)",
            requests: per_client(&|i| request("GET", "/api/cases", addr, token(i), None)),
            expect: 200,
        },
        Kind {
            name: KindName::Message,
            label: "POST /api/cases/{id}/messages (write)",
            requests: per_client(&|i| {
                let path = format!("/api/cases/{}/messages", case(i));
                request("POST", &path, addr, token(i), Some(message))
            }),
            expect: 201,
        },
        Kind {
            name: KindName::ReadFloor,
            label: "GET /api/floor/read (/api/me + a durable audit row)",
            requests: per_client(&|i| request("GET", "/api/floor/read", addr, token(i), None)),
            expect: 200,
        },
        Kind {
            name: KindName::WriteFloor,
            label: "POST /api/floor/write (event + audit row, durable)",
            requests: per_client(&|i| request("POST", "/api/floor/write", addr, token(i), None)),
            expect: 201,
        },
        Kind {
            name: KindName::DecidedFloor,
            label: "POST /api/floor/cases/{id}/write (the same, decided on the case's facts)",
            requests: per_client(&|i| {
                let path = format!("/api/floor/cases/{}/write", case(i));
                request("POST", &path, addr, token(i), None)
            }),
            expect: 201,
        },
    ])
}

/// Runs `kind` with one connection per client: `warmup`, then `duration` measured.
pub async fn measure(
    server_pid: u32,
    addr: SocketAddr,
    kind: &Kind,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Throughput> {
    let start = Instant::now() + warmup;
    let end = start + duration;
    let mut tasks = Vec::new();
    for bytes in &kind.requests {
        let bytes = bytes.clone();
        let expect = kind.expect;
        tasks.push(tokio::spawn(async move {
            client(addr, bytes, expect, start, end).await
        }));
    }
    tokio::time::sleep_until(start.into()).await;
    let before = crate::cpu::Sample::take(&[server_pid])?;
    tokio::time::sleep_until(end.into()).await;
    let usage = crate::cpu::Sample::take(&[server_pid])?.usage_since(&before);
    let mut total = Throughput {
        label: kind.label,
        requests: 0,
        seconds: duration.as_secs_f64(),
        latency: tracker::histogram()?,
        unexpected: 0,
        sample: None,
        server_cpu: usage.server,
        others_cpu: usage.others,
    };
    for task in tasks {
        let one = task.await??;
        total.requests += one.requests;
        total.unexpected += one.unexpected;
        total.latency.add(&one.latency)?;
        if total.sample.is_none() {
            total.sample = one.sample;
        }
    }
    Ok(total)
}

async fn client(
    addr: SocketAddr,
    request: Vec<u8>,
    expect: u16,
    start: Instant,
    end: Instant,
) -> anyhow::Result<Throughput> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut buffer = Vec::with_capacity(16 * 1024);
    let mut out = Throughput {
        label: "",
        requests: 0,
        seconds: 0.0,
        latency: tracker::histogram()?,
        unexpected: 0,
        sample: None,
        server_cpu: 0.0,
        others_cpu: 0.0,
    };
    loop {
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        stream.write_all(&request).await?;
        let (status, body) = read_response(&mut stream, &mut buffer).await?;
        let done = Instant::now();
        if sent < start {
            continue;
        }
        if status == expect {
            out.requests += 1;
            tracker::record(&mut out.latency, done - sent);
        } else {
            out.unexpected += 1;
            if out.sample.is_none() {
                out.sample = Some(format!("{status} {}", String::from_utf8_lossy(&body)));
            }
        }
    }
    Ok(out)
}

/// Reads one response (status line, headers, a `Content-Length` body) from `stream`,
/// keeping whatever follows it in `buffer`.
async fn read_response(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> anyhow::Result<(u16, Vec<u8>)> {
    loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            let head = std::str::from_utf8(&buffer[..end]).context("a non-UTF-8 header")?;
            let status: u16 = head
                .split(' ')
                .nth(1)
                .context("no status")?
                .parse()
                .context("a bad status")?;
            let length = head
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                .map(|(_, value)| value.trim().parse::<usize>())
                .transpose()?
                .context("a response without Content-Length")?;
            let total = end + 4 + length;
            while buffer.len() < total {
                read_more(stream, buffer).await?;
            }
            let body = buffer[end + 4..total].to_vec();
            buffer.drain(..total);
            return Ok((status, body));
        }
        read_more(stream, buffer).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> anyhow::Result<()> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await?;
    if n == 0 {
        bail!("the server closed the connection");
    }
    buffer.extend_from_slice(&chunk[..n]);
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The markdown table of one store's run, each row also as a ratio to the first (the
/// baseline).
pub fn render(
    store: &str,
    clients: usize,
    results: &[Throughput],
    out: &mut String,
) -> std::fmt::Result {
    writeln!(out, "\n### {store}, {clients} clients\n")?;
    writeln!(
        out,
        "| request | req/s | ratio to /api/me | p50 | p99 | server CPU per request | ratio | others' CPU | unexpected answers |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    let cpu_per = |r: &Throughput| {
        if r.requests > 0 {
            r.server_cpu * 1e6 / r.requests as f64
        } else {
            0.0
        }
    };
    let baseline_cpu = results.first().map_or(0.0, cpu_per);
    let baseline = results.first().map_or(0.0, Throughput::per_second);
    for r in results {
        let ratio = if baseline > 0.0 {
            format!("{:.2}×", r.per_second() / baseline)
        } else {
            "–".into()
        };
        let (p50, p99) = if r.latency.is_empty() {
            ("–".to_owned(), "–".to_owned())
        } else {
            (
                format!("{:.2} ms", r.latency.value_at_quantile(0.5) as f64 / 1000.0),
                format!(
                    "{:.2} ms",
                    r.latency.value_at_quantile(0.99) as f64 / 1000.0
                ),
            )
        };
        let cpu_ratio = if cpu_per(r) > 0.0 {
            format!("{:.2}×", baseline_cpu / cpu_per(r))
        } else {
            "–".into()
        };
        writeln!(
            out,
            "| `{}` | {:.0} | {ratio} | {p50} | {p99} | {:.0} µs | {cpu_ratio} | {:.1} cores | {} |",
            r.label,
            r.per_second(),
            cpu_per(r),
            r.others_cpu / r.seconds.max(1e-9),
            r.unexpected
        )?;
    }
    for r in results {
        if let Some(sample) = &r.sample {
            writeln!(out, "\nFirst unexpected answer to `{}`: {sample}", r.label)?;
        }
    }
    Ok(())
}

/// How a `--rest` run is shaped.
pub struct Plan {
    pub clients: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// The measured time of each kind is split into this many slices, taken in turn.
    pub rounds: usize,
    /// `None`: a fresh SQLite file; `Some(url)`: a fresh database on that PostgreSQL server.
    pub stores: Vec<Option<String>>,
    /// Only these kinds (all when empty); the ratios are then to the first kind kept.
    pub only: Vec<KindName>,
}

/// Runs every request kind against each store in turn (a server of its own for each) and
/// returns the markdown report.
pub async fn run(
    bin: &std::path::Path,
    plan: &Plan,
    http: &reqwest::Client,
    command: &str,
    load_average: &dyn Fn() -> String,
) -> anyhow::Result<String> {
    let mut out = String::new();
    writeln!(
        out,
        "## REST throughput
"
    )?;
    writeln!(
        out,
        "Command: `{command}`
"
    )?;
    writeln!(
        out,
        "{} cores; load average at the start {}; {} clients, each on one keep-alive \
         connection with its own user and case; {:.1} s measured per request, in {} rounds that \
         take every request in turn (each after a warm-up).",
        std::thread::available_parallelism().map_or(0, usize::from),
        load_average(),
        plan.clients,
        plan.duration.as_secs_f64(),
        plan.rounds
    )?;
    for store in &plan.stores {
        let dir = tempfile::Builder::new()
            .prefix("samverkan-rest-")
            .tempdir()?;
        let fresh = store
            .as_deref()
            .map(crate::pgdb::FreshDatabase::create)
            .transpose()?;
        let name = if fresh.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        let url = fresh.as_ref().map(|f| f.url.as_str());
        let result = async {
            let mut server = crate::process::Server::samverkan(bin, dir.path(), url, http).await?;
            eprintln!(
                "[rest] {name}: pid {} on {}, setting up",
                server.pid, server.addr
            );
            let api = crate::api::Api::new(http.clone(), server.addr);
            let world = World::set_up(vec![api], plan.clients, plan.clients).await?;
            // Round by round, every kind in turn, so that a change in the machine's other
            // load falls on every kind alike.
            let mut kinds = kinds(&world, server.addr, plan.clients)?;
            kinds.retain(|k| {
                if plan.only.is_empty() {
                    !k.name.is_floor()
                } else {
                    plan.only.contains(&k.name)
                }
            });
            if kinds.iter().any(|k| k.name.is_floor()) {
                let answer = http
                    .get(format!("http://{}/api/floor/read", server.addr))
                    .send()
                    .await?;
                anyhow::ensure!(
                    answer.status() != reqwest::StatusCode::NOT_FOUND,
                    "the floors need a hub built with them: \
                     cargo build --release -p samverkan --features floors"
                );
            }
            let slice = plan.duration.div_f64(plan.rounds as f64);
            let mut results: Vec<Throughput> = Vec::new();
            // SQLite's write-ahead log, after each slice: it must not grow with the run.
            let wal = dir.path().join("db.sqlite-wal");
            let mut wal_sizes = Vec::new();
            for round in 0..plan.rounds {
                for (i, kind) in kinds.iter().enumerate() {
                    eprintln!("[rest] {name}: round {}, {}", round + 1, kind.label);
                    let warmup = if round == 0 {
                        plan.warmup
                    } else {
                        plan.warmup / 5
                    };
                    let one = measure(server.pid, server.addr, kind, warmup, slice).await?;
                    server.check_alive()?;
                    if let Ok(meta) = std::fs::metadata(&wal) {
                        wal_sizes.push(meta.len());
                    }
                    match results.get_mut(i) {
                        Some(sum) => sum.add(one)?,
                        None => results.push(one),
                    }
                }
            }
            server.stop().await?;
            anyhow::Ok((results, wal_sizes))
        }
        .await;
        if let Some(fresh) = fresh {
            fresh.drop_now()?;
        }
        let (results, wal_sizes) = result?;
        render(name, plan.clients, &results, &mut out)?;
        if let (Some(largest), Some(last)) = (wal_sizes.iter().max(), wal_sizes.last()) {
            let mb = |bytes: u64| bytes as f64 / 1e6;
            writeln!(
                out,
                "\nThe WAL file after each of the {} slices: at most {:.1} MB, {:.1} MB after the last.",
                wal_sizes.len(),
                mb(*largest),
                mb(*last)
            )?;
        }
    }
    writeln!(
        out,
        "
Load average at the end: {}.",
        load_average()
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_pipelined_responses_one_at_a_time() -> anyhow::Result<()> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await?;
            socket
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\n\
                      Content-Length: 0\r\n\r\n",
                )
                .await?;
            anyhow::Ok(())
        });
        let mut stream = TcpStream::connect(addr).await?;
        let mut buffer = Vec::new();
        assert_eq!(
            read_response(&mut stream, &mut buffer).await?,
            (200, b"ok".to_vec())
        );
        assert_eq!(
            read_response(&mut stream, &mut buffer).await?,
            (404, Vec::new())
        );
        server.await??;
        Ok(())
    }
}
