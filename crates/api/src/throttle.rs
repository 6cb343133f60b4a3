//! Throttles of the public doors (logins, applications, password resets), counted in the database
//! so that every instance of the API shares them: attempts per key in fixed windows. A login is
//! counted against its client address first; only an attempt the client's limit lets through
//! counts against the account, so a stranger over their own limit cannot keep an owner out,
//! and once a window is over the owner's password works again. Checked before any hashing, so a
//! flood of guesses costs one statement each.

use chrono::{DateTime, Duration, DurationRound, Utc};
use mentorship_store::{Store, accounts};

use crate::error::ApiError;

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
    fn name(self) -> &'static str {
        match self {
            Door::Login => "login",
            Door::Application => "application",
            Door::PasswordReset => "password_reset",
        }
    }
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

    /// Counts one attempt at `door` by `client` (an address) and, when it passes, on `account`
    /// (an email; `None` for doors that name no account). `Err` is the 429 to answer.
    pub async fn attempt(
        &self,
        store: &Store,
        door: Door,
        client: &str,
        account: Option<&str>,
    ) -> Result<(), ApiError> {
        let (start, retry_after_secs) = self.window(Utc::now());
        let over = |attempts: i64, limit: u32| attempts > i64::from(limit);
        let client_key = format!("{}:client:{client}", door.name());
        if over(
            accounts::count_attempt(store, &client_key, start).await?,
            self.limits.per_client,
        ) {
            return Err(ApiError::TooManyRequests { retry_after_secs });
        }
        if let Some(account) = account {
            let account_key = format!("{}:account:{account}", door.name());
            if over(
                accounts::count_attempt(store, &account_key, start).await?,
                self.limits.per_account,
            ) {
                return Err(ApiError::TooManyRequests { retry_after_secs });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
