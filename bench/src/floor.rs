//! The transport floor: the same fan-out with no server logic at all. A child process (this
//! binary with `--floor-writer N`) holds N loopback TCP connections and, on each line it reads
//! from its stdin, writes one 120-byte message to each from one thread per core (blocking
//! sockets, one `write` each, nothing else); the generator reads them as it reads the
//! servers' streams, a tokio task per connection, timing from the moment it asks for the
//! round. A WebSocket server does at least this much work per subscriber.

use std::io::{BufRead, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpSocket;
use tokio::process::Command;

use crate::tracker;

const MESSAGE: usize = 120;
const WARMUP_ROUNDS: usize = 3;
const ROUND_GAP: Duration = Duration::from_millis(150);
const ROUND_WAIT: Duration = Duration::from_secs(5);

pub struct Floor {
    pub clients: usize,
    pub rounds: usize,
    pub latency: Histogram<u64>,
    /// Per measured round: when the last client had the message.
    pub last_delivery: Vec<Duration>,
    pub delivered: u64,
    pub expected: u64,
}

/// The child's part: accept `clients` connections, print the port first, then write one
/// message to every connection for each line on stdin, until stdin ends.
pub fn serve_writer(clients: usize) -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "PORT {}", listener.local_addr()?.port())?;
    stdout.flush()?;
    let mut accepted = Vec::with_capacity(clients);
    while accepted.len() < clients {
        let (stream, _) = listener.accept()?;
        stream.set_nodelay(true)?;
        accepted.push(stream);
    }
    let message = [b'x'; MESSAGE];
    // One writing thread per core, each with its share of the connections.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let share = clients.div_ceil(threads).max(1);
    for line in std::io::stdin().lock().lines() {
        line?;
        std::thread::scope(|scope| {
            let writers: Vec<_> = accepted
                .chunks_mut(share)
                .map(|chunk| {
                    scope.spawn(move || -> std::io::Result<()> {
                        for stream in chunk {
                            stream.write_all(&message)?;
                        }
                        Ok(())
                    })
                })
                .collect();
            writers.into_iter().try_for_each(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("a writer panicked")))
            })
        })?;
    }
    Ok(())
}

struct Shared {
    base: Instant,
    /// When the current round was asked for, in nanoseconds after `base`.
    round_start: AtomicU64,
    round: AtomicUsize,
    delivered: AtomicUsize,
}

/// How to start the writer process: this binary with `--floor-writer N`.
pub fn writer_command(clients: usize) -> anyhow::Result<Command> {
    let mut command = Command::new(std::env::current_exe()?);
    command.args(["--floor-writer", &clients.to_string()]);
    Ok(command)
}

pub async fn measure(
    mut writer: Command,
    clients: usize,
    rounds: usize,
    sources: u8,
) -> anyhow::Result<Floor> {
    let mut child = writer
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting the floor's writer process")?;
    let mut stdin = child.stdin.take().context("the writer's stdin")?;
    let mut lines = BufReader::new(child.stdout.take().context("the writer's stdout")?).lines();
    let port = loop {
        let line = lines
            .next_line()
            .await?
            .context("the writer ended before naming its port")?;
        if let Some(port) = line.strip_prefix("PORT ") {
            break port.trim().parse::<u16>()?;
        }
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let shared = Arc::new(Shared {
        base: Instant::now(),
        round_start: AtomicU64::new(0),
        round: AtomicUsize::new(0),
        delivered: AtomicUsize::new(0),
    });
    let sources = usize::from(sources.max(1));
    let mut readers = Vec::with_capacity(clients);
    for i in 0..clients {
        let last_octet = u8::try_from(2 + i % sources).unwrap_or(2);
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, last_octet)),
            0,
        ))?;
        let mut stream = socket.connect(addr).await.context("connecting")?;
        stream.set_nodelay(true)?;
        let shared = shared.clone();
        readers.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut buf = [0u8; 4 * MESSAGE];
            let mut have = 0;
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let at = shared.base.elapsed();
                        have += n;
                        while have >= MESSAGE {
                            have -= MESSAGE;
                            let start =
                                Duration::from_nanos(shared.round_start.load(Ordering::Acquire));
                            seen.push((
                                shared.round.load(Ordering::Acquire),
                                at.saturating_sub(start),
                            ));
                            shared.delivered.fetch_add(1, Ordering::AcqRel);
                        }
                    }
                }
            }
            seen
        }));
    }
    for round in 0..WARMUP_ROUNDS + rounds {
        tokio::time::sleep(ROUND_GAP).await;
        shared.round.store(round, Ordering::Release);
        let start = u64::try_from(shared.base.elapsed().as_nanos()).unwrap_or(u64::MAX);
        shared.round_start.store(start, Ordering::Release);
        stdin.write_all(b"go\n").await?;
        stdin.flush().await?;
        let waited = Instant::now();
        while shared.delivered.load(Ordering::Acquire) < (round + 1) * clients
            && waited.elapsed() < ROUND_WAIT
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    drop(stdin);
    child.wait().await?;
    let mut latency = tracker::histogram()?;
    let mut last = vec![Duration::ZERO; rounds];
    let mut delivered = 0;
    for reader in readers {
        for (round, took) in reader.await? {
            if round >= WARMUP_ROUNDS {
                tracker::record(&mut latency, took);
                delivered += 1;
                let slot = &mut last[round - WARMUP_ROUNDS];
                *slot = (*slot).max(took);
            }
        }
    }
    Ok(Floor {
        clients,
        rounds,
        latency,
        last_delivery: last,
        delivered,
        expected: (clients * rounds) as u64,
    })
}

#[cfg(test)]
mod tests {
    /// Set for the copy of this test binary that plays the writer.
    const WRITER_ENV: &str = "SAMVERKAN_LOAD_FLOOR_WRITER";

    /// Does nothing unless started by the test below as its writer process.
    #[test]
    fn floor_writer_child() -> anyhow::Result<()> {
        match std::env::var(WRITER_ENV) {
            Ok(clients) => super::serve_writer(clients.parse()?),
            Err(_) => Ok(()),
        }
    }

    #[tokio::test]
    async fn every_client_gets_every_measured_round_once() -> anyhow::Result<()> {
        let mut writer = tokio::process::Command::new(std::env::current_exe()?);
        writer
            .args(["floor::tests::floor_writer_child", "--exact", "--nocapture"])
            .env(WRITER_ENV, "40");
        let floor = super::measure(writer, 40, 2, 2).await?;
        assert_eq!((floor.delivered, floor.expected), (80, 80));
        assert_eq!(floor.last_delivery.len(), 2);
        assert!(floor.last_delivery.iter().all(|d| !d.is_zero()));
        assert_eq!(floor.latency.len(), 80);
        Ok(())
    }
}
