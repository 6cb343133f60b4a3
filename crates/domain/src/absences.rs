//! Mentor absences (RULES.md, "Absences").

use crate::calendar::{end_of_day, local_date, start_of_day};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A declared absence: first and last day inclusive, in the mentor's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Absence {
    pub id: Uuid,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

/// Why an absence cannot be declared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbsenceRefusal {
    #[error("an absence is declared in advance: it must start after {today}")]
    NotInAdvance { today: NaiveDate },
    #[error("the last day ({last_day}) is before the first day ({first_day})")]
    LastDayBeforeFirstDay {
        first_day: NaiveDate,
        last_day: NaiveDate,
    },
}

crate::refusal_codes!(AbsenceRefusal {
    NotInAdvance => "absence_not_in_advance", InvalidField("first_day");
    LastDayBeforeFirstDay => "absence_last_day_before_first_day", InvalidField("last_day");
});

/// Why an absence cannot be withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WithdrawalRefusal {
    #[error("the absence started on {first_day}; only one not yet started can be withdrawn")]
    AlreadyStarted { first_day: NaiveDate },
    #[error("the absence is already withdrawn")]
    AlreadyWithdrawn,
}

crate::refusal_codes!(WithdrawalRefusal {
    AlreadyStarted => "absence_already_started", Conflict;
    AlreadyWithdrawn => "absence_withdrawn", Conflict;
});

/// An absence not yet started (its first day after today in the mentor's zone) can be
/// withdrawn, once.
pub fn check_withdrawal(
    absence: &Absence,
    withdrawn: bool,
    now: DateTime<Utc>,
    mentor_zone: Tz,
) -> Result<(), WithdrawalRefusal> {
    if withdrawn {
        return Err(WithdrawalRefusal::AlreadyWithdrawn);
    }
    if absence.first_day <= local_date(now, mentor_zone) {
        return Err(WithdrawalRefusal::AlreadyStarted {
            first_day: absence.first_day,
        });
    }
    Ok(())
}

/// RULES.md, Absences: "declared in advance: it must start after today" (today in the mentor's
/// zone), and the first day is not after the last. Returns every broken rule.
pub fn validate_absence(
    first_day: NaiveDate,
    last_day: NaiveDate,
    now: DateTime<Utc>,
    mentor_zone: Tz,
) -> Result<(), Vec<AbsenceRefusal>> {
    let today = local_date(now, mentor_zone);
    let mut refusals = Vec::new();
    if first_day <= today {
        refusals.push(AbsenceRefusal::NotInAdvance { today });
    }
    if last_day < first_day {
        refusals.push(AbsenceRefusal::LastDayBeforeFirstDay {
            first_day,
            last_day,
        });
    }
    crate::refusal::none_or_all(refusals)
}

impl Absence {
    /// Whether a local day of the mentor falls in the absence.
    pub fn covers_day(&self, day: NaiveDate) -> bool {
        (self.first_day..=self.last_day).contains(&day)
    }

    /// RULES.md, Sessions: "none may fall in a declared absence": whether the time span
    /// `[start, end)` touches any moment of the absent days in the mentor's zone.
    pub fn overlaps(&self, start: DateTime<Utc>, end: DateTime<Utc>, mentor_zone: Tz) -> bool {
        let absent_from = start_of_day(self.first_day, mentor_zone);
        let absent_until = end_of_day(self.last_day, mentor_zone);
        start < absent_until && absent_from < end
    }
}

/// Whether the mentor is absent on the local day of `now` (automatic assignment skips them).
pub fn is_absent_today(absences: &[Absence], now: DateTime<Utc>, mentor_zone: Tz) -> bool {
    let today = local_date(now, mentor_zone);
    absences.iter().any(|absence| absence.covers_day(today))
}

/// RULES.md, Absences: "sessions already inside are listed as needing a new date". Given the
/// mentor's scheduled sessions as `(id, start, end)`, the ids of those the absence touches.
pub fn sessions_needing_new_date(
    absence: &Absence,
    scheduled: &[(Uuid, DateTime<Utc>, DateTime<Utc>)],
    mentor_zone: Tz,
) -> Vec<Uuid> {
    scheduled
        .iter()
        .filter(|(_, start, end)| absence.overlaps(*start, *end, mentor_zone))
        .map(|(id, _, _)| *id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::Refusal;
    use chrono_tz::Europe::Paris;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn only_an_absence_not_yet_started_is_withdrawn_once() {
        let absence = Absence {
            id: Uuid::nil(),
            first_day: day("2026-06-11"),
            last_day: day("2026-06-12"),
        };
        // 22:30 UTC on the 10th is already the 11th in Paris: started.
        assert!(check_withdrawal(&absence, false, at("2026-06-10T21:59:00Z"), Paris).is_ok());
        assert_eq!(
            check_withdrawal(&absence, false, at("2026-06-10T22:30:00Z"), Paris),
            Err(WithdrawalRefusal::AlreadyStarted {
                first_day: day("2026-06-11")
            })
        );
        assert_eq!(
            check_withdrawal(&absence, true, at("2026-06-01T00:00:00Z"), Paris),
            Err(WithdrawalRefusal::AlreadyWithdrawn)
        );
    }

    #[test]
    fn an_absence_starts_after_today_in_the_mentors_zone() {
        // 23:30 UTC on the 9th is already the 10th in Paris.
        let now = at("2026-06-09T23:30:00Z");
        assert!(validate_absence(day("2026-06-11"), day("2026-06-12"), now, Paris).is_ok());
        let refusals =
            validate_absence(day("2026-06-10"), day("2026-06-09"), now, Paris).unwrap_err();
        let codes: Vec<_> = refusals.iter().map(Refusal::code).collect();
        assert_eq!(
            codes,
            [
                "absence_not_in_advance",
                "absence_last_day_before_first_day"
            ]
        );
        assert!(validate_absence(day("2026-06-11"), day("2026-06-11"), now, Paris).is_ok());
    }

    #[test]
    fn an_absence_covers_whole_local_days() {
        let absence = Absence {
            id: Uuid::nil(),
            first_day: day("2026-06-10"),
            last_day: day("2026-06-11"),
        };
        // 2026-06-09T22:00Z is midnight in Paris (UTC+2): the absence has begun.
        assert!(absence.overlaps(
            at("2026-06-09T22:00:00Z"),
            at("2026-06-09T23:00:00Z"),
            Paris
        ));
        assert!(!absence.overlaps(
            at("2026-06-09T21:00:00Z"),
            at("2026-06-09T22:00:00Z"),
            Paris
        ));
        assert!(absence.overlaps(
            at("2026-06-11T21:30:00Z"),
            at("2026-06-11T22:30:00Z"),
            Paris
        ));
        assert!(!absence.overlaps(
            at("2026-06-11T22:00:00Z"),
            at("2026-06-11T23:00:00Z"),
            Paris
        ));
        assert!(is_absent_today(
            &[absence],
            at("2026-06-10T12:00:00Z"),
            Paris
        ));
        assert!(!is_absent_today(
            &[absence],
            at("2026-06-12T12:00:00Z"),
            Paris
        ));
    }

    #[test]
    fn lists_the_sessions_inside() {
        let absence = Absence {
            id: Uuid::nil(),
            first_day: day("2026-06-10"),
            last_day: day("2026-06-10"),
        };
        let inside = Uuid::from_u128(1);
        let outside = Uuid::from_u128(2);
        let sessions = [
            (
                inside,
                at("2026-06-10T08:00:00Z"),
                at("2026-06-10T09:00:00Z"),
            ),
            (
                outside,
                at("2026-06-11T08:00:00Z"),
                at("2026-06-11T09:00:00Z"),
            ),
        ];
        assert_eq!(
            sessions_needing_new_date(&absence, &sessions, Paris),
            [inside]
        );
    }
}
