//! The transport floor: the same fan-out with no server logic at all. One thread writes one
//! 120-byte message to each of N loopback TCP connections (blocking sockets, one `write`
//! each, nothing else); the generator reads them as it reads the servers' streams, a tokio
//! task per connection. Whatever this takes on the machine, no WebSocket server can beat.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use tokio::io::AsyncReadExt;
use tokio::net::TcpSocket;

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

struct Shared {
    base: Instant,
    /// When the current round's first write started, in nanoseconds after `base`.
    round_start: AtomicU64,
    round: AtomicUsize,
    delivered: AtomicUsize,
}

pub async fn measure(clients: usize, rounds: usize, sources: u8) -> anyhow::Result<Floor> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let acceptor = std::thread::spawn(move || -> std::io::Result<Vec<std::net::TcpStream>> {
        let mut accepted = Vec::with_capacity(clients);
        while accepted.len() < clients {
            let (stream, _) = listener.accept()?;
            stream.set_nodelay(true)?;
            accepted.push(stream);
        }
        Ok(accepted)
    });
    let shared = Arc::new(Shared {
        base: Instant::now(),
        round_start: AtomicU64::new(0),
        round: AtomicUsize::new(0),
        delivered: AtomicUsize::new(0),
    });
    let mut readers = Vec::with_capacity(clients);
    for i in 0..clients {
        let source = IpAddr::V4(Ipv4Addr::new(
            127,
            0,
            0,
            2 + (i % usize::from(sources.max(1))) as u8,
        ));
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(source, 0))?;
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
    let mut accepted = tokio::task::spawn_blocking(move || acceptor.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the accepting thread panicked"))??;
    let writer_shared = shared.clone();
    let total = WARMUP_ROUNDS + rounds;
    let writer = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let message = [b'x'; MESSAGE];
        for round in 0..total {
            std::thread::sleep(ROUND_GAP);
            writer_shared.round.store(round, Ordering::Release);
            let start = writer_shared.base.elapsed();
            writer_shared.round_start.store(
                u64::try_from(start.as_nanos()).unwrap_or(u64::MAX),
                Ordering::Release,
            );
            for stream in &mut accepted {
                stream.write_all(&message)?;
            }
            let waited = Instant::now();
            while writer_shared.delivered.load(Ordering::Acquire) < (round + 1) * clients
                && waited.elapsed() < ROUND_WAIT
            {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        drop(accepted);
        Ok(())
    });
    writer.await??;
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
    #[tokio::test]
    async fn every_client_gets_every_measured_round_once() -> anyhow::Result<()> {
        let floor = super::measure(40, 2, 2).await?;
        assert_eq!((floor.delivered, floor.expected), (80, 80));
        assert_eq!(floor.last_delivery.len(), 2);
        assert!(floor.last_delivery.iter().all(|d| !d.is_zero()));
        assert_eq!(floor.latency.len(), 80);
        Ok(())
    }
}
