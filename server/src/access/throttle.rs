//! Login throttling: after `max_failures` failed logins for one username *from one source
//! address* within the window, every attempt for that username from that address (right or
//! wrong) gets 429 until the window has passed. Counting per username and address keeps
//! brute force slow without letting anyone lock a user out: five anonymous requests lock
//! out only the address they came from, and the user signs in from their own. IPv6 sources
//! are counted per /64, which one client can easily hop within. Counts failures, not
//! attempts, so people who type right are never slowed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A username (lower case) and the source it was tried from.
type Key = (String, Option<IpAddr>);

pub struct LoginThrottle {
    max_failures: u32,
    window: Duration,
    /// Failures so far and when the first of them came.
    failures: Mutex<HashMap<Key, (u32, Instant)>>,
}

impl LoginThrottle {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn key(username: &str, source: Option<IpAddr>) -> Key {
        let source = source.map(|ip| match ip {
            IpAddr::V4(_) => ip,
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(prefix.into())
            }
        });
        (username.trim().to_lowercase(), source)
    }

    /// `Err(seconds to wait)` while the username is locked out for this source.
    pub fn check(&self, username: &str, source: Option<IpAddr>) -> Result<(), u64> {
        let now = Instant::now();
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match failures.get(&Self::key(username, source)) {
            Some((count, since)) if now.duration_since(*since) < self.window => {
                if *count >= self.max_failures {
                    Err((self.window - now.duration_since(*since)).as_secs().max(1))
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    pub fn record_failure(&self, username: &str, source: Option<IpAddr>) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() > 100_000 {
            failures.retain(|_, (_, since)| now.duration_since(*since) < self.window);
        }
        let entry = failures
            .entry(Self::key(username, source))
            .or_insert((0, now));
        if now.duration_since(entry.1) >= self.window {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn record_success(&self, username: &str, source: Option<IpAddr>) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&Self::key(username, source));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn locks_after_max_failures_and_not_before() {
        let throttle = LoginThrottle::new(3, Duration::from_secs(60));
        let here = ip("10.0.0.1");
        for _ in 0..2 {
            throttle.record_failure("Anna", here);
        }
        assert!(throttle.check("anna", here).is_ok());
        throttle.record_failure("anna ", here);
        assert!(throttle.check("ANNA", here).is_err());
        assert!(throttle.check("bertil", here).is_ok());
    }

    #[test]
    fn a_lockout_holds_only_for_the_source_that_failed() {
        let throttle = LoginThrottle::new(2, Duration::from_secs(60));
        for _ in 0..2 {
            throttle.record_failure("anna", ip("10.0.0.1"));
        }
        assert!(throttle.check("anna", ip("10.0.0.1")).is_err());
        assert!(throttle.check("anna", ip("10.0.0.2")).is_ok());
        // One IPv6 client cannot step around it within its /64.
        for _ in 0..2 {
            throttle.record_failure("anna", ip("2001:db8::1"));
        }
        assert!(throttle.check("anna", ip("2001:db8::ffff:1")).is_err());
        assert!(throttle.check("anna", ip("2001:db8:0:1::1")).is_ok());
    }

    #[test]
    fn a_success_before_the_limit_clears_the_count() {
        let throttle = LoginThrottle::new(2, Duration::from_secs(60));
        throttle.record_failure("anna", None);
        throttle.record_success("anna", None);
        throttle.record_failure("anna", None);
        assert!(throttle.check("anna", None).is_ok());
    }
}
