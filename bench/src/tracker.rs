//! Matches every delivered event to the REST call that caused it and records the latency.
//!
//! Sends to one key (a case, or a Node topic) are strictly sequential, and the server hands
//! a connection its events in order, so the n-th event a connection gets for a key belongs
//! to the n-th send to that key. That needs no payload of ours in the event.
//!
//! An event that reaches a connection twice (the same `seq`, the event's id in the hub's
//! log) is counted as a duplicate and not matched again; one that never comes shows as
//! delivered < expected. With several hub nodes, connection `i` is on node `i % nodes` and
//! the changes are made through node 0, so latencies are also kept per node.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Deserialize;

/// Latencies are recorded in microseconds, up to a minute.
pub fn histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 60_000_000, 3)?)
}

pub fn record(histogram: &mut Histogram<u64>, latency: Duration) {
    let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    histogram.saturating_record(micros.max(1));
}

struct Send {
    at: Instant,
    /// Warm-up sends are matched but not recorded.
    record: bool,
    delivered: u32,
    /// Latency of the latest delivery so far.
    last: Duration,
}

#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    case_id: Option<&'a str>,
    seq: Option<i64>,
}

struct Inner {
    keys: HashMap<String, usize>,
    sends: Vec<Vec<Send>>,
    /// How many events of each key a connection has had.
    seen: HashMap<(u32, usize), usize>,
    /// Event ids each connection has had, to find duplicates.
    ids: HashSet<(u32, i64)>,
    latency: Histogram<u64>,
    /// The same, per node of the connection.
    by_node: Vec<Histogram<u64>>,
    delivered: u64,
    /// Events of our kind that no send accounts for.
    unmatched: u64,
    /// Events a connection had already had.
    duplicates: u64,
    /// Hello and events of other kinds.
    other: u64,
}

pub struct Tracker {
    kind: String,
    nodes: usize,
    inner: Mutex<Inner>,
}

/// What a tracker saw.
pub struct Tally {
    pub latency: Histogram<u64>,
    pub by_node: Vec<Histogram<u64>>,
    pub delivered: u64,
    pub unmatched: u64,
    pub duplicates: u64,
    /// Recorded sends per key.
    pub recorded_sends: Vec<u64>,
    /// Per recorded send of the first key: when its last delivery came.
    pub last_delivery: Vec<Duration>,
}

impl Tracker {
    /// Tracks events of type `kind` whose `case_id` is one of `keys`, for connections
    /// spread over `nodes` hub nodes.
    pub fn new(kind: &str, keys: &[String], nodes: usize) -> anyhow::Result<Self> {
        let nodes = nodes.max(1);
        Ok(Self {
            kind: kind.to_owned(),
            nodes,
            inner: Mutex::new(Inner {
                keys: keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| (k.clone(), i))
                    .collect(),
                sends: keys.iter().map(|_| Vec::new()).collect(),
                seen: HashMap::new(),
                ids: HashSet::new(),
                latency: histogram()?,
                by_node: (0..nodes).map(|_| histogram()).collect::<Result<_, _>>()?,
                delivered: 0,
                unmatched: 0,
                duplicates: 0,
                other: 0,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes a send to `key` made at `at`; returns its index for `cancel` and `delivered`.
    pub fn sent(&self, key: usize, at: Instant, record: bool) -> usize {
        let mut inner = self.lock();
        let Some(sends) = inner.sends.get_mut(key) else {
            return usize::MAX;
        };
        sends.push(Send {
            at,
            record,
            delivered: 0,
            last: Duration::ZERO,
        });
        sends.len() - 1
    }

    /// Forgets a send that failed (no event will come for it). Only the last send of a key
    /// can fail, since sends to one key are sequential.
    pub fn cancel(&self, key: usize, index: usize) {
        let mut inner = self.lock();
        if let Some(sends) = inner.sends.get_mut(key) {
            if sends.len() == index + 1 {
                sends.pop();
            }
        }
    }

    /// Deliveries so far of one send.
    pub fn delivered(&self, key: usize, index: usize) -> u32 {
        let inner = self.lock();
        inner
            .sends
            .get(key)
            .and_then(|s| s.get(index))
            .map_or(0, |s| s.delivered)
    }

    /// A text frame that connection `client` received at `at`.
    pub fn deliver(&self, client: u32, text: &str, at: Instant) {
        let parsed: Option<Incoming<'_>> = serde_json::from_str(text).ok();
        let mut inner = self.lock();
        let Some(event) = parsed.filter(|e| e.kind == self.kind) else {
            inner.other += 1;
            return;
        };
        let Some(key) = event.case_id.and_then(|c| inner.keys.get(c).copied()) else {
            inner.unmatched += 1;
            return;
        };
        if let Some(seq) = event.seq {
            if !inner.ids.insert((client, seq)) {
                inner.duplicates += 1;
                return;
            }
        }
        let n = {
            let count = inner.seen.entry((client, key)).or_insert(0);
            *count += 1;
            *count - 1
        };
        let Inner {
            sends,
            latency,
            by_node,
            delivered,
            unmatched,
            ..
        } = &mut *inner;
        let node = client as usize % self.nodes;
        match sends.get_mut(key).and_then(|s| s.get_mut(n)) {
            Some(send) => {
                send.delivered += 1;
                let took = at.saturating_duration_since(send.at);
                send.last = send.last.max(took);
                if send.record {
                    record(latency, took);
                    if let Some(h) = by_node.get_mut(node) {
                        record(h, took);
                    }
                    *delivered += 1;
                }
            }
            None => *unmatched += 1,
        }
    }

    pub fn tally(&self) -> Tally {
        let inner = self.lock();
        Tally {
            latency: inner.latency.clone(),
            by_node: inner.by_node.clone(),
            delivered: inner.delivered,
            unmatched: inner.unmatched,
            duplicates: inner.duplicates,
            recorded_sends: inner
                .sends
                .iter()
                .map(|s| s.iter().filter(|s| s.record).count() as u64)
                .collect(),
            last_delivery: inner
                .sends
                .first()
                .map(|s| s.iter().filter(|s| s.record).map(|s| s.last).collect())
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nth_event_of_a_connection_belongs_to_the_nth_send() -> anyhow::Result<()> {
        let tracker = Tracker::new("case.updated", &["a".into(), "b".into()], 1)?;
        let t0 = Instant::now();
        let first = tracker.sent(0, t0, true);
        let second = tracker.sent(0, t0 + Duration::from_millis(10), true);
        let event = r#"{"seq":7,"type":"case.updated","at":"x","case_id":"a","subject_id":null}"#;
        let next = r#"{"seq":8,"type":"case.updated","at":"x","case_id":"a","subject_id":null}"#;
        tracker.deliver(1, event, t0 + Duration::from_millis(12));
        tracker.deliver(2, event, t0 + Duration::from_millis(13));
        tracker.deliver(1, next, t0 + Duration::from_millis(15));
        tracker.deliver(1, r#"{"type":"hello","seq":1}"#, t0);
        assert_eq!(tracker.delivered(0, first), 2);
        assert_eq!(tracker.delivered(0, second), 1);
        let tally = tracker.tally();
        assert_eq!((tally.delivered, tally.unmatched), (3, 0));
        assert_eq!(tally.latency.max() / 1000, 13);
        assert_eq!(tally.recorded_sends, [2, 0]);
        Ok(())
    }

    #[test]
    fn a_cancelled_send_takes_no_event() -> anyhow::Result<()> {
        let tracker = Tracker::new("t", &["a".into()], 1)?;
        let t0 = Instant::now();
        let failed = tracker.sent(0, t0, true);
        tracker.cancel(0, failed);
        let ok = tracker.sent(0, t0, false);
        tracker.deliver(1, r#"{"type":"t","case_id":"a"}"#, t0);
        tracker.deliver(1, r#"{"type":"t","case_id":"a"}"#, t0);
        assert_eq!(tracker.delivered(0, ok), 1);
        let tally = tracker.tally();
        assert_eq!((tally.delivered, tally.unmatched), (0, 1));
        Ok(())
    }

    #[test]
    fn an_event_twice_on_one_connection_is_a_duplicate_and_kept_per_node() -> anyhow::Result<()> {
        let tracker = Tracker::new("t", &["a".into()], 2)?;
        let t0 = Instant::now();
        tracker.sent(0, t0, true);
        tracker.sent(0, t0, true);
        let first = r#"{"type":"t","case_id":"a","seq":5}"#;
        let second = r#"{"type":"t","case_id":"a","seq":6}"#;
        tracker.deliver(0, first, t0 + Duration::from_millis(1));
        tracker.deliver(1, first, t0 + Duration::from_millis(3));
        tracker.deliver(1, first, t0 + Duration::from_millis(4));
        tracker.deliver(1, second, t0 + Duration::from_millis(5));
        let tally = tracker.tally();
        assert_eq!(
            (tally.delivered, tally.duplicates, tally.unmatched),
            (3, 1, 0)
        );
        assert_eq!(tally.by_node[0].len(), 1);
        assert_eq!(tally.by_node[1].len(), 2);
        assert_eq!(tally.by_node[1].max() / 1000, 5);
        Ok(())
    }
}
