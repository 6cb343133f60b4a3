//! Pay for one session (RULES.md, Money: "Pay for a session").

use crate::money::Money;
use crate::policy::{OutcomeFactors, Percent};
use crate::sessions::{SessionLength, SessionStatus};
use rust_decimal::Decimal;

// The factors are policy numbers; which state takes which factor is a rule of pay, so it lives
// here, and the policies know nothing of sessions.
impl OutcomeFactors {
    /// The share of the session's price paid for a final state; `None` while it is still scheduled.
    pub fn factor(&self, status: SessionStatus) -> Option<Percent> {
        match status {
            SessionStatus::Scheduled | SessionStatus::Rescheduled => None,
            SessionStatus::Completed => Some(self.completed),
            SessionStatus::StudentNoShow => Some(self.student_no_show),
            SessionStatus::LateCancelledByStudent => Some(self.late_cancelled_by_student),
            SessionStatus::Cancelled => Some(self.cancelled),
            SessionStatus::LateCancelledByMentor => Some(self.late_cancelled_by_mentor),
        }
    }
}

/// RULES.md, Money: "Pay for a session = rate x minutes / 60 x outcome factor, rounded half away
/// from zero to the cent". `None` while the session is still scheduled (no outcome to pay).
pub fn session_pay(
    rate: Money,
    length: SessionLength,
    status: SessionStatus,
    factors: &OutcomeFactors,
) -> Option<Money> {
    let percent = factors.factor(status)?;
    // Multiply first and divide once, so the only inexact step is the final rounding.
    let exact = rate.amount() * Decimal::from(length.minutes()) * Decimal::from(percent.get())
        / Decimal::from(60 * 100);
    // The result never exceeds the rate, so it is always a valid amount.
    Money::round_to_cent(exact).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Money {
        text.parse().unwrap()
    }

    #[test]
    fn each_final_state_takes_its_factor() {
        let factors = OutcomeFactors::default();
        assert_eq!(
            factors.factor(SessionStatus::Completed),
            Some(Percent::FULL)
        );
        assert_eq!(
            factors.factor(SessionStatus::StudentNoShow),
            Some(Percent::HALF)
        );
        assert_eq!(factors.factor(SessionStatus::Scheduled), None);
    }

    #[test]
    fn pays_rate_times_minutes_times_factor() {
        let factors = OutcomeFactors::default();
        let pay = |rate: &str, length, status| session_pay(m(rate), length, status, &factors);
        assert_eq!(
            pay("25.00", SessionLength::Minutes45, SessionStatus::Completed),
            Some(m("18.75"))
        );
        // 9.375 rounds half away from zero.
        assert_eq!(
            pay(
                "25.00",
                SessionLength::Minutes45,
                SessionStatus::StudentNoShow
            ),
            Some(m("9.38"))
        );
        assert_eq!(
            pay(
                "32.50",
                SessionLength::Minutes60,
                SessionStatus::LateCancelledByStudent
            ),
            Some(m("16.25"))
        );
        assert_eq!(
            pay(
                "40.00",
                SessionLength::Minutes30,
                SessionStatus::LateCancelledByMentor
            ),
            Some(m("0.00"))
        );
        assert_eq!(
            pay("40.00", SessionLength::Minutes30, SessionStatus::Scheduled),
            None
        );
    }
}
