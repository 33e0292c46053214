//! The measured scenarios, the same for both servers: idle connections (memory), one event
//! to every subscriber (fan-out), and a paced stream of changes each for a few recipients.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::Mutex;

use crate::clients::{connect_all, Connector, Pool};
use crate::cpu::{Sample, Usage};
use crate::process::Cluster;
use crate::target::{layout, Target, FANOUT_KIND, TOPIC_KIND};
use crate::tracker::{self, Tracker};

/// How long one fan-out round may take before the next starts anyway.
const ROUND_WAIT: Duration = Duration::from_secs(5);
const ROUND_GAP: Duration = Duration::from_millis(150);
const WARMUP_ROUNDS: usize = 3;
/// Time for stragglers after the last send.
const GRACE: Duration = Duration::from_secs(2);
/// Connections settle this long before memory is read.
const SETTLE: Duration = Duration::from_secs(3);

pub struct Plan {
    pub clients: usize,
    pub warmup_clients: usize,
    pub rounds: usize,
    pub users: usize,
    pub cases: usize,
    pub concurrency: usize,
}

/// Server memory (VmRSS) at the points of the fan-out scenario.
#[derive(Clone, Copy, Default)]
pub struct Memory {
    /// Right after start (ours: demo data seeded), before any setup through the API.
    pub started: u64,
    pub before: u64,
    pub after_warmup: u64,
    pub connected: u64,
    pub after_fanout: u64,
    pub connections: usize,
}

impl Memory {
    /// (connected − before) / connections, the headline figure.
    pub fn per_connection(&self) -> Option<f64> {
        (self.connections > 0)
            .then(|| (self.connected as f64 - self.before as f64) / self.connections as f64)
    }

    /// (connected − after warm-up) / connections: without what the first traffic allocates.
    pub fn per_connection_after_warmup(&self) -> Option<f64> {
        (self.connections > 0)
            .then(|| (self.connected as f64 - self.after_warmup as f64) / self.connections as f64)
    }
}

pub struct Outcome {
    pub label: String,
    pub clients: usize,
    pub expected: u64,
    pub delivered: u64,
    pub latency: Histogram<u64>,
    /// The same per node of the receiving connection (changes are made through node 0).
    pub by_node: Vec<Histogram<u64>>,
    /// Open connections per node.
    pub per_node: Vec<usize>,
    /// Events a connection got more than once.
    pub duplicates: u64,
    /// REST round trip of the calls that caused the events.
    pub rest: Histogram<u64>,
    pub sends: u64,
    pub send_errors: Errors,
    pub unmatched: u64,
    pub lost_connections: u64,
    pub connect_failures: Vec<String>,
    pub connect_took: Duration,
    /// Target and achieved send rate (paced scenario only).
    pub rate: Option<(f64, f64)>,
    /// Sends that started late because the previous one to the same case was still running.
    pub backlogged: u64,
    /// Fan-out: per round, REST round trip and when the last client had the event.
    pub per_round: Vec<(Duration, Duration)>,
    /// CPU over the measured sends.
    pub cpu: Usage,
}

fn failures(pool: &Pool) -> Vec<String> {
    pool.failures.clone()
}

/// Failed sends: how many, and the first few messages.
#[derive(Clone, Default)]
pub struct Errors {
    pub count: u64,
    pub samples: Vec<String>,
}

impl Errors {
    fn push(&mut self, err: &anyhow::Error) {
        self.count += 1;
        if self.samples.len() < 5 {
            self.samples.push(format!("{err:#}"));
        }
    }
}

/// Fan-out: warm up, connect `plan.clients`, read memory idle, then `plan.rounds` single
/// changes each seen by every client, one round at a time.
pub async fn fanout(
    target: &Target,
    server: &mut Cluster,
    connector: &Connector,
    plan: &Plan,
    started: u64,
) -> anyhow::Result<(Outcome, Memory)> {
    let mut memory = Memory {
        started,
        before: server.rss()?,
        ..Memory::default()
    };
    let keys = [target.fanout_key()];

    let warm = Arc::new(Tracker::new(FANOUT_KIND, &keys, connector.nodes())?);
    let specs = target.fanout_specs(plan.warmup_clients);
    let pool = connect_all(target, connector, &specs, &warm, plan.concurrency).await;
    let mut rest = tracker::histogram()?;
    let mut errors = Errors::default();
    rounds(
        target,
        &warm,
        pool.connected.len(),
        WARMUP_ROUNDS,
        false,
        &mut rest,
        &mut errors,
    )
    .await;
    drop(pool);
    tokio::time::sleep(Duration::from_secs(1)).await;
    server.check_alive()?;
    memory.after_warmup = server.rss()?;

    let tracker = Arc::new(Tracker::new(FANOUT_KIND, &keys, connector.nodes())?);
    let specs = target.fanout_specs(plan.clients);
    eprintln!("  connecting {} clients …", specs.len());
    let pool = connect_all(target, connector, &specs, &tracker, plan.concurrency).await;
    eprintln!(
        "  {} connected in {:.1} s ({} failed)",
        pool.connected.len(),
        pool.took.as_secs_f64(),
        pool.failures.len()
    );
    tokio::time::sleep(SETTLE).await;
    server.check_alive()?;
    memory.connected = server.rss()?;
    memory.connections = pool.connected.len();

    let mut rest = tracker::histogram()?;
    let mut errors = Errors::default();
    let cpu_start = Sample::take(&server.pids())?;
    let trips = rounds(
        target,
        &tracker,
        pool.connected.len(),
        plan.rounds,
        true,
        &mut rest,
        &mut errors,
    )
    .await;
    let cpu = Sample::take(&server.pids())?.usage_since(&cpu_start);
    tokio::time::sleep(Duration::from_millis(500)).await;
    memory.after_fanout = server.rss()?;
    let tally = tracker.tally();
    let sends: u64 = tally.recorded_sends.iter().sum();
    let outcome = Outcome {
        label: "fan-out: 1 event → all".into(),
        clients: pool.connected.len(),
        expected: sends * pool.connected.len() as u64,
        delivered: tally.delivered,
        latency: tally.latency,
        by_node: tally.by_node,
        per_node: pool.per_node.clone(),
        duplicates: tally.duplicates,
        rest,
        sends,
        send_errors: errors,
        unmatched: tally.unmatched,
        lost_connections: pool.lost.load(Ordering::Relaxed),
        connect_failures: failures(&pool),
        connect_took: pool.took,
        rate: None,
        backlogged: 0,
        per_round: trips.into_iter().zip(tally.last_delivery).collect(),
        cpu,
    };
    drop(pool);
    Ok((outcome, memory))
}

/// Sequential rounds: each waits until every client has the event (or `ROUND_WAIT`).
async fn rounds(
    target: &Target,
    tracker: &Tracker,
    clients: usize,
    count: usize,
    record: bool,
    rest: &mut Histogram<u64>,
    errors: &mut Errors,
) -> Vec<Duration> {
    let mut trips = Vec::new();
    let want = u32::try_from(clients).unwrap_or(u32::MAX);
    for round in 0..count {
        let t0 = Instant::now();
        let index = tracker.sent(0, t0, record);
        let result = target.fanout_send(round).await;
        tracker::record(rest, t0.elapsed());
        trips.push(t0.elapsed());
        if let Err(err) = result {
            tracker.cancel(0, index);
            errors.push(&err);
            continue;
        }
        while tracker.delivered(0, index) < want && t0.elapsed() < ROUND_WAIT {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(ROUND_GAP).await;
    }
    trips
}

struct Pacing {
    rest: Histogram<u64>,
    errors: Errors,
    backlogged: u64,
    last_done: Instant,
}

/// Paced changes: `rate` per second for `warmup` + `duration`, round-robin over the cases,
/// at most one in flight per case (open loop: a send that falls behind its slot is timed
/// from the slot).
pub async fn paced(
    target: &Arc<Target>,
    server: &mut Cluster,
    connector: &Connector,
    plan: &Plan,
    rate: f64,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Outcome> {
    let listeners = layout(plan.users, plan.cases);
    let specs = target.topic_specs(&listeners)?;
    let keys = target.topic_keys(plan.cases);
    let tracker = Arc::new(Tracker::new(TOPIC_KIND, &keys, connector.nodes())?);
    let pool = connect_all(target, connector, &specs, &tracker, plan.concurrency).await;
    let mut recipients = vec![0u64; keys.len()];
    for &index in &pool.connected {
        for &case in &listeners[index].cases {
            recipients[case] += 1;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let period = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let start = Instant::now() + Duration::from_millis(100);
    let measure_from = start + warmup;
    let total = ((warmup + duration).as_secs_f64() * rate).round() as u64;
    let pacing = Arc::new(Mutex::new(Pacing {
        rest: tracker::histogram()?,
        errors: Errors::default(),
        backlogged: 0,
        last_done: start,
    }));
    let cases = keys.len() as u64;
    let cpu_start = Sample::take(&server.pids())?;
    let mut tasks = Vec::new();
    for case in 0..keys.len() {
        let (target, tracker, pacing) = (target.clone(), tracker.clone(), pacing.clone());
        tasks.push(tokio::spawn(async move {
            let mut slot_number = case as u64;
            let mut previous_done = start;
            while slot_number < total {
                let slot = start + period.mul_f64(slot_number as f64);
                tokio::time::sleep_until(slot.into()).await;
                // On time, the clock starts just before the call; behind (the previous send
                // to this case was still running), it starts at the slot it should have had.
                let backlogged = previous_done > slot;
                let t0 = if backlogged { slot } else { Instant::now() };
                let record = slot >= measure_from;
                let index = tracker.sent(case, t0, record);
                let result = target.topic_send(case, slot_number).await;
                let done = Instant::now();
                if result.is_err() {
                    tracker.cancel(case, index);
                }
                let mut p = pacing.lock().await;
                if record {
                    tracker::record(&mut p.rest, done.saturating_duration_since(t0));
                    p.backlogged += u64::from(backlogged);
                    p.last_done = p.last_done.max(done);
                    if let Err(err) = &result {
                        p.errors.push(err);
                    }
                }
                drop(p);
                previous_done = done;
                slot_number += cases;
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let cpu = Sample::take(&server.pids())?.usage_since(&cpu_start);
    tokio::time::sleep(GRACE).await;
    server.check_alive()?;

    let tally = tracker.tally();
    let pacing = pacing.lock().await;
    let sends: u64 = tally.recorded_sends.iter().sum();
    let expected = tally
        .recorded_sends
        .iter()
        .zip(&recipients)
        .map(|(s, r)| s * r)
        .sum();
    let window = pacing
        .last_done
        .saturating_duration_since(measure_from)
        .as_secs_f64();
    let achieved = if window > 0.0 {
        sends as f64 / window
    } else {
        0.0
    };
    let outcome = Outcome {
        label: format!(
            "{rate:.0} changes/s → {} each",
            recipients.iter().max().copied().unwrap_or(0)
        ),
        clients: pool.connected.len(),
        expected,
        delivered: tally.delivered,
        latency: tally.latency,
        by_node: tally.by_node,
        per_node: pool.per_node.clone(),
        duplicates: tally.duplicates,
        rest: pacing.rest.clone(),
        sends,
        send_errors: pacing.errors.clone(),
        unmatched: tally.unmatched,
        lost_connections: pool.lost.load(Ordering::Relaxed),
        connect_failures: failures(&pool),
        connect_took: pool.took,
        rate: Some((rate, achieved)),
        backlogged: pacing.backlogged,
        per_round: Vec::new(),
        cpu,
    };
    drop(pool);
    Ok(outcome)
}
