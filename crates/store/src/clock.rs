//! The store's clock: the instant every write records (`created_at`, `status_at`, an audit
//! row's `at`, a referral's qualification). It is the system's, except inside [`as_of`], where
//! the caller sets it and moves it forward: `mentorship seed-demo` builds weeks of history
//! through the store's own functions, each change recorded at the instant it happened.
//!
//! The rules' "now" (booking only into the future, notes late, a month over) is the `now`
//! argument those functions take; whoever sets the clock passes the same instant to them.

use std::cell::Cell;
use std::future::Future;

use chrono::{DateTime, SubsecRound, Utc};

tokio::task_local! {
    /// The instant set by [`as_of`] for the work it runs.
    static SET: Cell<DateTime<Utc>>;
}

/// Runs `work` with the clock at `start`; [`set`] moves it within.
pub async fn as_of<F: Future>(start: DateTime<Utc>, work: F) -> F::Output {
    SET.scope(Cell::new(start.trunc_subsecs(6)), work).await
}

/// Moves the clock set by [`as_of`] to `at`. Outside `as_of` it does nothing and answers
/// `false`: the system clock is never moved.
pub fn set(at: DateTime<Utc>) -> bool {
    SET.try_with(|clock| clock.set(at.trunc_subsecs(6))).is_ok()
}

/// The current instant at the precision both databases keep (microseconds), so what a write
/// returns equals what a later read returns.
pub fn now() -> DateTime<Utc> {
    SET.try_with(Cell::get)
        .unwrap_or_else(|_| Utc::now().trunc_subsecs(6))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[tokio::test]
    async fn the_clock_is_the_systems_outside_as_of_and_the_callers_within() {
        let start = Utc.with_ymd_and_hms(2026, 10, 5, 9, 0, 0).unwrap();
        let later = start + chrono::Duration::hours(3);
        let (first, second) = as_of(start, async {
            let first = now();
            assert!(set(later));
            (first, now())
        })
        .await;
        assert_eq!((first, second), (start, later));
        assert!(!set(start), "the system clock is not moved");
        assert!(now() > later, "outside as_of the clock is the system's");
    }
}
