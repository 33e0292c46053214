//! The live fan-out hub. One sequencer task per process puts committed events in order
//! (they arrive from this process's commits and, on PostgreSQL, from every node's commits
//! via LISTEN/NOTIFY; gaps are filled from the table) and hands each to the subscribers
//! allowed to see it *now*, by the policy. Per-connection queues are bounded: a subscriber
//! whose queue is full is disconnected, never allowed to grow memory or stall the others.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus_client::metrics::counter::Counter;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use super::mailbox::{self, mailbox};
pub use super::mailbox::{Delivery, End};
use super::{visible_to, Audience, Event, EventKind};
use crate::access::policy::CaseFacts;
use crate::access::Actor;
use crate::domain::{CaseId, OrganisationId, SessionId, Timestamp, UserId};
use crate::store::{self, Store, StoreResult};

/// How long an out-of-order event waits for the ones before it before they are read from
/// the table.
const GAP_WAIT: Duration = Duration::from_millis(25);
const BATCH: i64 = 500;
const FACTS_CACHE_LIMIT: usize = 50_000;

/// A message for one connection: pre-serialised once and shared (reference-counted, never
/// copied) between all its recipients.
pub type Outbound = axum::extract::ws::Utf8Bytes;

struct Subscriber {
    actor: Actor,
    /// The sign-in session the stream was opened in.
    session: Option<SessionId>,
    queue: mailbox::Sender<Outbound>,
}

#[derive(Default)]
struct Registry {
    subscribers: HashMap<u64, Subscriber>,
    by_org: HashMap<OrganisationId, HashSet<u64>>,
    by_user: HashMap<UserId, HashSet<u64>>,
}

impl Registry {
    fn insert(&mut self, id: u64, subscriber: Subscriber) {
        self.by_org
            .entry(subscriber.actor.organisation_id)
            .or_default()
            .insert(id);
        self.by_user
            .entry(subscriber.actor.user_id)
            .or_default()
            .insert(id);
        self.subscribers.insert(id, subscriber);
    }

    fn remove(&mut self, id: u64) -> Option<Subscriber> {
        let subscriber = self.subscribers.remove(&id)?;
        let org = subscriber.actor.organisation_id;
        if let Some(ids) = self.by_org.get_mut(&org) {
            ids.remove(&id);
            if ids.is_empty() {
                self.by_org.remove(&org);
            }
        }
        let user = subscriber.actor.user_id;
        if let Some(ids) = self.by_user.get_mut(&user) {
            ids.remove(&id);
            if ids.is_empty() {
                self.by_user.remove(&user);
            }
        }
        Some(subscriber)
    }
}

struct Inner {
    store: Store,
    registry: Mutex<Registry>,
    next_id: AtomicU64,
    /// Every event up to here has been fanned out (or skipped) by the sequencer.
    delivered: AtomicI64,
    queue_capacity: usize,
    shutdown: CancellationToken,
    connections: AtomicU64,
    /// Connections given up on because their queue was full (`/metrics`).
    drops: Counter,
}

#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

/// A live subscription. Dropping it unregisters the connection.
pub struct Subscription {
    hub: Hub,
    id: u64,
    /// Events after `from` will arrive on `queue`; everything up to it must be read from
    /// the table.
    pub from: i64,
    /// Also says when the hub gives up on this connection (queue full), shuts down, or the
    /// sign-in session the stream was opened in ends.
    pub queue: mailbox::Receiver<Outbound>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.unregister(self.id);
    }
}

impl Hub {
    /// Starts the sequencer. `postgres_url` adds a LISTEN for other nodes' commits.
    pub async fn start(
        store: Store,
        postgres_url: Option<String>,
        queue_capacity: usize,
    ) -> anyhow::Result<Self> {
        let mut tx = store.read().await?;
        let head = store::events::head(&mut tx).await?;
        drop(tx);
        let inner = Arc::new(Inner {
            store: store.clone(),
            registry: Mutex::new(Registry::default()),
            next_id: AtomicU64::new(1),
            delivered: AtomicI64::new(head),
            queue_capacity,
            shutdown: CancellationToken::new(),
            connections: AtomicU64::new(0),
            drops: Counter::default(),
        });
        let hub = Hub { inner };
        let (remote_tx, remote_rx) = mpsc::unbounded_channel::<i64>();
        if let Some(url) = postgres_url {
            tokio::spawn(listen_postgres(url, remote_tx, hub.inner.shutdown.clone()));
        }
        tokio::spawn(sequence(hub.clone(), store.subscribe(), remote_rx, head));
        Ok(hub)
    }

    pub fn shutdown_token(&self) -> CancellationToken {
        self.inner.shutdown.clone()
    }

    pub fn shutdown(&self) {
        self.inner.shutdown.cancel();
        let registry = self
            .inner
            .registry
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for subscriber in registry.subscribers.values() {
            subscriber.queue.end(End::Kicked);
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Open connections in this process.
    pub fn connections(&self) -> u64 {
        self.inner.connections.load(Ordering::Relaxed)
    }

    /// Connections disconnected since the start because they did not keep up.
    pub fn drops(&self) -> Counter {
        self.inner.drops.clone()
    }

    /// Registers a connection; from the returned `from` on, its events come on the queue.
    pub fn subscribe(&self, actor: Actor, session: Option<SessionId>) -> Subscription {
        let (queue_tx, queue) = mailbox(self.inner.queue_capacity);
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let mut registry = self
            .inner
            .registry
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // Read under the lock the sequencer fans out under: nothing falls between.
        let from = self.inner.delivered.load(Ordering::Acquire);
        // Under the lock `shutdown` ends every mailbox under, after cancelling.
        if self.inner.shutdown.is_cancelled() {
            queue_tx.end(End::Kicked);
        }
        registry.insert(
            id,
            Subscriber {
                actor,
                session,
                queue: queue_tx,
            },
        );
        drop(registry);
        self.inner.connections.fetch_add(1, Ordering::Relaxed);
        Subscription {
            hub: self.clone(),
            id,
            from,
            queue,
        }
    }

    fn unregister(&self, id: u64) {
        let mut registry = self
            .inner
            .registry
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if registry.remove(id).is_some() {
            self.inner.connections.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Hands one event to every subscriber allowed to see it; kicks those whose queue is full.
    fn fan_out(&self, event: &Event, facts: Option<&CaseFacts>) {
        let now = Timestamp::now();
        let message = Outbound::from(event.client_json());
        let mut registry = self
            .inner
            .registry
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let registry = &mut *registry;
        if event.kind == EventKind::SessionEnded {
            end_session_streams(registry, event);
            self.inner.delivered.store(event.seq, Ordering::Release);
            return;
        }
        let orgs: Vec<OrganisationId> = match (&event.audience, facts) {
            (Audience::Revoked(orgs), _) | (Audience::Organisations(orgs), Some(_)) => orgs.clone(),
            (Audience::Case, Some(facts)) => {
                let mut orgs: Vec<_> = facts
                    .consents
                    .iter()
                    .flat_map(|c| c.organisations.iter().copied())
                    .collect();
                orgs.push(facts.owner);
                orgs.sort();
                orgs.dedup();
                orgs
            }
            (Audience::Case | Audience::Organisations(_), None) | (Audience::Users(_), _) => {
                Vec::new()
            }
        };
        let mut users: Vec<UserId> = match &event.audience {
            Audience::Users(users) => users.clone(),
            _ => Vec::new(),
        };
        users.sort();
        users.dedup();
        let candidates = orgs
            .iter()
            .filter_map(|org| registry.by_org.get(org))
            .chain(users.iter().filter_map(|user| registry.by_user.get(user)))
            .flatten();
        let mut kicked = Vec::new();
        for id in candidates {
            let Some(subscriber) = registry.subscribers.get(id) else {
                continue;
            };
            if visible_to(event, &subscriber.actor, facts, now)
                && subscriber.queue.push(message.clone()).is_err()
            {
                kicked.push(*id);
            }
        }
        for id in kicked {
            if let Some(subscriber) = registry.remove(id) {
                subscriber.queue.end(End::Kicked);
                self.inner.connections.fetch_sub(1, Ordering::Relaxed);
                self.inner.drops.inc();
                tracing::info!(connection = id, "stream subscriber too slow; disconnected");
            }
        }
        self.inner.delivered.store(event.seq, Ordering::Release);
    }
}

/// Tells the streams opened in the session that ended to close.
fn end_session_streams(registry: &Registry, event: &Event) {
    let Audience::Users(users) = &event.audience else {
        return;
    };
    let ids = users
        .iter()
        .filter_map(|user| registry.by_user.get(user))
        .flatten();
    for id in ids {
        if let Some(subscriber) = registry.subscribers.get(id) {
            let opened_in = subscriber.session.map(|s| s.to_string());
            if opened_in.is_some() && opened_in == event.subject_id {
                subscriber.queue.end(End::SessionEnded);
            }
        }
    }
}

/// Case facts as of now, cached between events that cannot change them.
#[derive(Default)]
struct FactsCache {
    cases: HashMap<CaseId, Option<Arc<CaseFacts>>>,
}

impl FactsCache {
    async fn get(&mut self, store: &Store, case_id: CaseId) -> StoreResult<Option<Arc<CaseFacts>>> {
        if let Some(found) = self.cases.get(&case_id) {
            return Ok(found.clone());
        }
        let mut tx = store.read().await?;
        let facts = store::cases::facts(&mut tx, case_id).await?.map(Arc::new);
        drop(tx);
        if self.cases.len() >= FACTS_CACHE_LIMIT {
            self.cases.clear();
        }
        self.cases.insert(case_id, facts.clone());
        Ok(facts)
    }

    /// Forgets what an event may have changed: consents and cases touch the rule's facts.
    fn invalidate(&mut self, event: &Event) {
        if !event.kind.touches_access_rule() {
            return;
        }
        match event.individual_id {
            Some(individual) => self
                .cases
                .retain(|_, f| f.as_ref().is_some_and(|f| f.individual_id != individual)),
            None => self.cases.clear(),
        }
        if let Some(case) = event.case_id {
            self.cases.remove(&case);
        }
    }
}

/// Puts events in sequence and fans them out, one at a time, in order.
async fn sequence(
    hub: Hub,
    mut local: broadcast::Receiver<Arc<Vec<Event>>>,
    mut remote: mpsc::UnboundedReceiver<i64>,
    head: i64,
) {
    let shutdown = hub.inner.shutdown.clone();
    let mut next = head + 1;
    let mut known_max = head;
    let mut pending: BTreeMap<i64, Event> = BTreeMap::new();
    let mut gap_since: Option<Instant> = None;
    let mut cache = FactsCache::default();
    let mut tick = tokio::time::interval(GAP_WAIT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            received = local.recv() => match received {
                Ok(batch) => {
                    for event in batch.iter() {
                        known_max = known_max.max(event.seq);
                        if event.seq >= next {
                            pending.insert(event.seq, event.clone());
                        }
                    }
                }
                // Missed some: the table has them.
                Err(broadcast::error::RecvError::Lagged(_)) => known_max = i64::MAX,
                Err(broadcast::error::RecvError::Closed) => return,
            },
            Some(seq) = remote.recv() => known_max = known_max.max(seq),
            _ = tick.tick() => {}
        }
        // Deliver what is in order.
        while let Some(event) = pending.remove(&next) {
            deliver(&hub, &mut cache, &event).await;
            next += 1;
        }
        if known_max < next {
            gap_since = None;
            continue;
        }
        // Something later is known but not here: wait a moment, then read the table.
        let since = *gap_since.get_or_insert_with(Instant::now);
        if !pending.is_empty() && known_max != i64::MAX && since.elapsed() < GAP_WAIT {
            continue;
        }
        match read_from(&hub.inner.store, next - 1).await {
            Ok(events) => {
                if events.is_empty() && known_max == i64::MAX {
                    known_max = next - 1;
                }
                for event in events {
                    if event.seq == next {
                        deliver(&hub, &mut cache, &event).await;
                        next += 1;
                    }
                }
                pending.retain(|seq, _| *seq >= next);
                gap_since = None;
            }
            Err(err) => {
                tracing::warn!(error = %err, "event hub could not read the event log; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

async fn read_from(store: &Store, after: i64) -> StoreResult<Vec<Event>> {
    let mut tx = store.read().await?;
    store::events::since(&mut tx, after, BATCH).await
}

async fn deliver(hub: &Hub, cache: &mut FactsCache, event: &Event) {
    cache.invalidate(event);
    let facts = match event.case_id {
        Some(case_id) => match cache.get(&hub.inner.store, case_id).await {
            Ok(facts) => facts,
            Err(err) => {
                // Deny by default: without facts nobody gets the event live; clients resume.
                tracing::warn!(error = %err, seq = event.seq, "no case facts for an event; not pushed");
                None
            }
        },
        None => None,
    };
    hub.fan_out(event, facts.as_deref());
}

/// Pokes the sequencer whenever any node commits events (PostgreSQL only).
///
/// sqlx's `PgListener::recv` reconnects silently when the connection drops, and a
/// notification sent while no LISTEN was in place is lost: events another node commits in
/// that gap would reach this node's clients only with some later event. So the listener uses
/// `try_recv`, which reports the drop, reconnects itself, and once LISTEN is in place again
/// makes the sequencer read the table for whatever was committed meanwhile.
async fn listen_postgres(
    url: String,
    pokes: mpsc::UnboundedSender<i64>,
    shutdown: CancellationToken,
) {
    // Retry quickly at first: a restarted server is usually back within a second.
    let mut backoff = Duration::from_millis(100);
    loop {
        let attempt = async {
            let mut listening = false;
            let outcome = async {
                let mut listener = sqlx::postgres::PgListener::connect(&url).await?;
                listener.listen(store::events::CHANNEL).await?;
                listening = true;
                // Listening (again): anything committed while we were not is in the table.
                if pokes.send(i64::MAX).is_err() {
                    return anyhow::Ok(());
                }
                loop {
                    let Some(notification) = listener.try_recv().await? else {
                        anyhow::bail!("the LISTEN connection was closed");
                    };
                    if let Ok(seq) = notification.payload().parse::<i64>() {
                        if pokes.send(seq).is_err() {
                            return anyhow::Ok(());
                        }
                    }
                }
            }
            .await;
            (listening, outcome)
        };
        tokio::select! {
            () = shutdown.cancelled() => return,
            (listening, outcome) = attempt => {
                // Ok: the sequencer is gone, so is the hub.
                let Err(err) = outcome else { return };
                tracing::warn!(error = %err, "event listener lost PostgreSQL; reconnecting");
                if listening {
                    backoff = Duration::from_millis(100);
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
}
