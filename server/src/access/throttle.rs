//! Login throttling: after `max_failures` failed logins for one username within the
//! window, every attempt (right or wrong) gets 429 until the window has passed.
//! Counts failures, not attempts, so people who type right are never slowed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginThrottle {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn key(username: &str) -> String {
        username.trim().to_lowercase()
    }

    /// `Err(seconds to wait)` while the username is locked out.
    pub fn check(&self, username: &str) -> Result<(), u64> {
        let now = Instant::now();
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match failures.get(&Self::key(username)) {
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

    pub fn record_failure(&self, username: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() > 100_000 {
            failures.retain(|_, (_, since)| now.duration_since(*since) < self.window);
        }
        let entry = failures.entry(Self::key(username)).or_insert((0, now));
        if now.duration_since(entry.1) >= self.window {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn record_success(&self, username: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&Self::key(username));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_and_not_before() {
        let throttle = LoginThrottle::new(3, Duration::from_secs(60));
        for _ in 0..2 {
            throttle.record_failure("Anna");
        }
        assert!(throttle.check("anna").is_ok());
        throttle.record_failure("anna ");
        assert!(throttle.check("ANNA").is_err());
        assert!(throttle.check("bertil").is_ok());
    }

    #[test]
    fn a_success_before_the_limit_clears_the_count() {
        let throttle = LoginThrottle::new(2, Duration::from_secs(60));
        throttle.record_failure("anna");
        throttle.record_success("anna");
        throttle.record_failure("anna");
        assert!(throttle.check("anna").is_ok());
    }
}
