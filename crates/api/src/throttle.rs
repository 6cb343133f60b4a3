//! Throttles of the public doors (logins, applications, password resets), counted in the database
//! so that every instance of the API shares them: attempts per key in fixed windows. A login is
//! counted against its client address first; only an attempt the client's limit lets through
//! counts against the account, so a stranger over their own limit cannot keep an owner out,
//! and once a window is over the owner's password works again. Checked before any hashing, so a
//! flood of guesses costs one statement each.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpRequest};
use chrono::{DateTime, Duration, DurationRound, Utc};
use mentorship_store::{Store, accounts};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::routes::client_of;

/// Limits per key and window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_account: u32,
    pub per_client: u32,
    pub window: std::time::Duration,
}

/// What a throttled door is, in the keys of its counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Login,
    Application,
    PasswordReset,
}

impl Door {
    pub const ALL: [Door; 3] = [Door::Login, Door::Application, Door::PasswordReset];

    fn name(self) -> &'static str {
        match self {
            Door::Login => "login",
            Door::Application => "application",
            Door::PasswordReset => "password_reset",
        }
    }
}

/// The key of an account's counts at a door. The email is hashed: the counts of a login tried
/// on any address are kept for their window, and need not hold the address itself.
pub fn account_key(door: Door, account: &str) -> String {
    let hash: String = Sha256::digest(account.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{}:account:{hash}", door.name())
}

/// The keys of every count an account (an email) may have: an erasure deletes them.
pub fn keys_of_account(account: &str) -> Vec<String> {
    Door::ALL
        .into_iter()
        .map(|door| account_key(door, account))
        .collect()
}

/// The throttle of the API's public doors.
pub struct Throttle {
    limits: Limits,
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Throttle { limits }
    }

    /// The window `now` falls in: its start, and the seconds until it ends (at least 1).
    fn window(&self, now: DateTime<Utc>) -> (DateTime<Utc>, u64) {
        let length = Duration::from_std(self.limits.window).unwrap_or(Duration::minutes(1));
        let start = now.duration_trunc(length).unwrap_or(now);
        let left = (start + length - now).num_milliseconds();
        let seconds = u64::try_from(left).unwrap_or(0).div_ceil(1000).max(1);
        (start, seconds)
    }

    /// Counts one attempt at `door` by the request's client (its address) and, when it passes,
    /// on `account` (an email; `None` for doors that name no account). `Err` is the 429 to
    /// answer. Either way the request keeps its [`Quota`], which the answer's headers tell.
    pub async fn attempt(
        &self,
        store: &Store,
        req: &HttpRequest,
        door: Door,
        account: Option<&str>,
    ) -> Result<(), ApiError> {
        let (start, reset_secs) = self.window(Utc::now());
        let mut quota = Quota {
            limits: self.limits,
            policy: "client",
            remaining: 0,
            reset_secs,
            per_account: account.is_some(),
        };
        let client_key = format!("{}:client:{}", door.name(), client_of(req));
        let attempts = accounts::count_attempt(store, &client_key, start).await?;
        quota.remaining = left(attempts, self.limits.per_client);
        let mut over = attempts > i64::from(self.limits.per_client);
        if let (false, Some(account)) = (over, account) {
            let account_key = account_key(door, account);
            let attempts = accounts::count_attempt(store, &account_key, start).await?;
            let remaining = left(attempts, self.limits.per_account);
            if remaining < quota.remaining {
                quota.policy = "account";
                quota.remaining = remaining;
            }
            over = attempts > i64::from(self.limits.per_account);
        }
        req.extensions_mut().insert(quota);
        if over {
            return Err(ApiError::TooManyRequests {
                retry_after_secs: reset_secs,
            });
        }
        Ok(())
    }
}

/// Attempts still allowed in the window after `attempts` against `limit`.
fn left(attempts: i64, limit: u32) -> u32 {
    u32::try_from(i64::from(limit) - attempts).unwrap_or(0)
}

/// What a throttled request may still do, told in the `RateLimit` and `RateLimit-Policy`
/// headers of the IETF draft (draft-ietf-httpapi-ratelimit-headers): the policies (`client`,
/// and `account` for doors that name one) with their quota and window, and the one closest to
/// its limit with the attempts left and the seconds until its window ends.
#[derive(Debug, Clone, Copy)]
pub struct Quota {
    limits: Limits,
    policy: &'static str,
    remaining: u32,
    reset_secs: u64,
    per_account: bool,
}

pub const RATE_LIMIT: HeaderName = HeaderName::from_static("ratelimit");
pub const RATE_LIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

impl Quota {
    /// The two headers, as (name, value).
    pub fn headers(&self) -> [(HeaderName, HeaderValue); 2] {
        let window = self.limits.window.as_secs();
        let mut policies = format!("\"client\";q={};w={window}", self.limits.per_client);
        if self.per_account {
            let account = format!(", \"account\";q={};w={window}", self.limits.per_account);
            policies.push_str(&account);
        }
        let state = format!(
            "\"{}\";r={};t={}",
            self.policy, self.remaining, self.reset_secs
        );
        let value =
            |text: String| HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static(""));
        [
            (RATE_LIMIT, value(state)),
            (RATE_LIMIT_POLICY, value(policies)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_name_the_policy_closest_to_its_limit() {
        let quota = Quota {
            limits: Limits {
                per_account: 10,
                per_client: 50,
                window: std::time::Duration::from_secs(900),
            },
            policy: "account",
            remaining: 3,
            reset_secs: 120,
            per_account: true,
        };
        let [(_, state), (_, policies)] = quota.headers();
        assert_eq!(state, "\"account\";r=3;t=120");
        assert_eq!(policies, "\"client\";q=50;w=900, \"account\";q=10;w=900");
        assert_eq!(left(12, 10), 0);
        assert_eq!(left(7, 10), 3);
    }

    #[test]
    fn windows_are_aligned_and_say_when_they_end() {
        let throttle = Throttle::new(Limits {
            per_account: 1,
            per_client: 1,
            window: std::time::Duration::from_secs(60),
        });
        let now: DateTime<Utc> = "2026-11-30T10:15:42.300Z".parse().unwrap();
        let (start, left) = throttle.window(now);
        assert_eq!(
            start,
            "2026-11-30T10:15:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(left, 18);
    }
}
