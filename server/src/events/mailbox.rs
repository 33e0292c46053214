//! A stream connection's bounded queue of outbound messages.
//!
//! Ten thousand connections each hold one, so its size matters: a tokio `mpsc` channel
//! allocates its first block of 32 slots (about 1 KiB for our messages) whether or not a
//! message is ever queued. A mailbox is one small allocation while empty; its deque grows
//! only while messages wait, up to the capacity, beyond which `push` refuses and the hub
//! disconnects the connection.
//!
//! It also carries why the connection is to end (the hub gave up on it, or its sign-in session
//! ended), so that a connection waits on one thing, not on a queue and two signals.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// Slots an emptied mailbox keeps, so that a steady trickle does not allocate per message.
const KEPT: usize = 4;

struct Shared<T> {
    state: Mutex<State<T>>,
    ready: Notify,
}

struct State<T> {
    items: VecDeque<T>,
    end: Option<End>,
}

/// Why a connection ends. `Kicked` and `SessionEnded` take precedence over queued messages;
/// after `Gone` what was queued is still delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The hub gave up on the connection (its mailbox was full) or is shutting down.
    Kicked,
    /// The sign-in session the connection was opened in has ended.
    SessionEnded,
    /// The hub's end was dropped: nothing more will come.
    Gone,
}

/// What a connection gets from its mailbox.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery<T> {
    Message(T),
    End(End),
}

/// The hub's end: push without waiting.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
    capacity: usize,
}

/// The connection's end.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

pub fn mailbox<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::new(),
            end: None,
        }),
        ready: Notify::new(),
    });
    (
        Sender {
            shared: shared.clone(),
            capacity,
        },
        Receiver { shared },
    )
}

impl<T> Shared<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks the end (the first reason given stands) and wakes the connection.
    fn end(&self, why: End) {
        let mut state = self.lock();
        if state.end.is_none() {
            state.end = Some(why);
            if why != End::Gone {
                // Ended for a reason: what is queued is not sent.
                state.items = VecDeque::new();
            }
        }
        drop(state);
        self.ready.notify_one();
    }
}

impl<T> Sender<T> {
    /// Queues `item`; `Err(item)` when the mailbox already holds `capacity` messages or the
    /// receiver is gone.
    pub fn push(&self, item: T) -> Result<(), T> {
        let mut state = self.shared.lock();
        if state.items.len() >= self.capacity
            || state.end.is_some()
            || Arc::strong_count(&self.shared) < 2
        {
            return Err(item);
        }
        state.items.push_back(item);
        drop(state);
        // One receiver: `notify_one` stores a permit when it is not waiting, so a wake-up
        // between its check and its wait is not lost.
        self.shared.ready.notify_one();
        Ok(())
    }
}

impl<T> Sender<T> {
    /// Tells the connection to end, for `why`.
    pub fn end(&self, why: End) {
        self.shared.end(why);
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.end(End::Gone);
    }
}

impl<T> Receiver<T> {
    /// The next message, or why the connection ends (from then on, always that).
    /// Cancel-safe: a message is taken only when this returns it.
    pub async fn recv(&mut self) -> Delivery<T> {
        loop {
            {
                let mut state = self.shared.lock();
                if let Some(why @ (End::Kicked | End::SessionEnded)) = state.end {
                    return Delivery::End(why);
                }
                if let Some(item) = state.items.pop_front() {
                    if state.items.is_empty() && state.items.capacity() > KEPT {
                        // Give back what a burst grew, so that an idle connection is small.
                        state.items.shrink_to(KEPT);
                    }
                    return Delivery::Message(item);
                }
                if let Some(why) = state.end {
                    return Delivery::End(why);
                }
            }
            self.shared.ready.notified().await;
        }
    }

    /// Resolves once the connection is to end (to give up a send the client does not read).
    pub async fn ended(&self) -> End {
        loop {
            if let Some(why) = self.shared.lock().end {
                return why;
            }
            self.shared.ready.notified().await;
        }
    }

    /// Ends the connection from its own side (its session was found ended).
    pub fn end(&self, why: End) {
        self.shared.end(why);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn delivers_in_order_refuses_beyond_capacity_and_ends_when_the_sender_goes() {
        let (tx, mut rx) = mailbox(2);
        assert_eq!(tx.push(1), Ok(()));
        assert_eq!(tx.push(2), Ok(()));
        assert_eq!(tx.push(3), Err(3), "a full mailbox refuses");
        assert_eq!(rx.recv().await, Delivery::Message(1));
        assert_eq!(tx.push(4), Ok(()), "room again once one is read");
        assert_eq!(rx.recv().await, Delivery::Message(2));
        assert_eq!(rx.recv().await, Delivery::Message(4));
        drop(tx);
        assert_eq!(rx.recv().await, Delivery::End(End::Gone));
        assert_eq!(rx.recv().await, Delivery::End(End::Gone), "and stays ended");
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken_by_a_push_from_another_task() {
        let (tx, mut rx) = mailbox(8);
        let waiting = tokio::spawn(async move { (rx.recv().await, rx.recv().await) });
        tokio::task::yield_now().await;
        tx.push("a").unwrap();
        tokio::task::yield_now().await;
        tx.push("b").unwrap();
        drop(tx);
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("woken")
            .unwrap();
        assert_eq!(got, (Delivery::Message("a"), Delivery::Message("b")));
    }

    #[tokio::test]
    async fn an_end_goes_before_queued_messages_and_the_first_reason_stands() {
        let (tx, mut rx) = mailbox(8);
        tx.push(1).unwrap();
        tx.end(End::SessionEnded);
        tx.end(End::Kicked);
        assert_eq!(rx.recv().await, Delivery::End(End::SessionEnded));
        assert_eq!(tx.push(2), Err(2), "nothing is queued after the end");
        assert_eq!(rx.ended().await, End::SessionEnded);
    }

    #[tokio::test]
    async fn a_send_waiting_on_ended_is_released_by_a_kick_from_another_task() {
        let (tx, rx) = mailbox::<u8>(8);
        let waiting = tokio::spawn(async move { rx.ended().await });
        tokio::task::yield_now().await;
        tx.push(1).unwrap();
        tokio::task::yield_now().await;
        tx.end(End::Kicked);
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("released")
            .unwrap();
        assert_eq!(got, End::Kicked);
    }

    #[tokio::test]
    async fn a_push_after_the_receiver_is_gone_is_refused() {
        let (tx, rx) = mailbox(8);
        drop(rx);
        assert_eq!(tx.push(1), Err(1));
    }

    #[tokio::test]
    async fn an_emptied_mailbox_gives_its_memory_back() {
        let (tx, mut rx) = mailbox(64);
        for i in 0..40 {
            tx.push(i).unwrap();
        }
        for i in 0..40 {
            assert_eq!(rx.recv().await, Delivery::Message(i));
        }
        assert!(tx.shared.lock().items.capacity() <= KEPT);
    }
}
