//! Login throttling per account and per client, checked before any password hashing so that a
//! flood of guesses costs the server nothing but a map lookup.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A token bucket: `capacity` attempts at once, refilled evenly over a minute.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A rate limit per key (an account, a client address): token buckets refilled over a minute.
pub struct Buckets {
    capacity: f64,
    map: Mutex<HashMap<String, Bucket>>,
}

const WINDOW: Duration = Duration::from_secs(60);
/// Past this many keys, full buckets are dropped: they hold nothing a new bucket would not.
const PRUNE_AT: usize = 10_000;

impl Buckets {
    pub fn new(per_minute: u32) -> Self {
        Buckets {
            capacity: f64::from(per_minute),
            map: Mutex::new(HashMap::new()),
        }
    }

    fn refill_rate(&self) -> f64 {
        self.capacity / WINDOW.as_secs_f64()
    }

    /// Takes one attempt for `key`, or says how many seconds until one is available.
    pub fn take(&self, key: &str, now: Instant) -> Result<(), u64> {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > PRUNE_AT {
            let (capacity, rate) = (self.capacity, self.refill_rate());
            map.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < capacity);
        }
        let bucket = map.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.capacity,
            at: now,
        });
        let refilled = now.duration_since(bucket.at).as_secs_f64() * self.refill_rate();
        bucket.tokens = (bucket.tokens + refilled).min(self.capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = Duration::from_secs_f64((1.0 - bucket.tokens) / self.refill_rate());
            // Whole seconds for Retry-After, rounded up: never 0, never too early.
            Err((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
        }
    }
}

/// The login throttle of one API instance.
pub struct LoginThrottle {
    accounts: Buckets,
    clients: Buckets,
}

impl LoginThrottle {
    pub fn new(per_account_per_minute: u32, per_client_per_minute: u32) -> Self {
        LoginThrottle {
            accounts: Buckets::new(per_account_per_minute),
            clients: Buckets::new(per_client_per_minute),
        }
    }

    /// Counts one attempt by `client` on `account`; `Err(seconds)` when either is over its limit.
    pub fn attempt(&self, account: &str, client: &str, now: Instant) -> Result<(), u64> {
        self.clients.take(client, now)?;
        self.accounts.take(account, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_throttled_after_its_burst_and_recovers() {
        let throttle = LoginThrottle::new(3, 100);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(throttle.attempt("a@example.com", "c1", t0).is_ok());
        }
        let wait = throttle.attempt("a@example.com", "c2", t0).unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert!(throttle.attempt("b@example.com", "c1", t0).is_ok());
        assert!(
            throttle
                .attempt("a@example.com", "c1", t0 + Duration::from_secs(21))
                .is_ok()
        );
    }

    #[test]
    fn a_client_is_throttled_across_accounts() {
        let throttle = LoginThrottle::new(100, 2);
        let t0 = Instant::now();
        assert!(throttle.attempt("a", "c", t0).is_ok());
        assert!(throttle.attempt("b", "c", t0).is_ok());
        assert!(throttle.attempt("c", "c", t0).is_err());
        assert!(throttle.attempt("c", "other", t0).is_ok());
    }
}
