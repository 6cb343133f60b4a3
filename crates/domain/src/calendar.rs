//! Local days and calendar months: the building blocks of the rules that speak of "today",
//! "the session's day", "3 calendar months" or "the month" in someone's time zone.

use chrono::{DateTime, Months, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// The calendar date of an instant in a time zone.
pub fn local_date(instant: DateTime<Utc>, zone: Tz) -> NaiveDate {
    instant.with_timezone(&zone).date_naive()
}

/// The first instant of a local day.
///
/// Midnight does not always exist: some zones skip it when DST starts (the day then starts when
/// the clocks resume), and Samoa skipped a whole day in 2011 (that day then has no length).
/// Transitions fall on quarter hours, so stepping by 15 minutes finds the first local time that exists.
pub fn start_of_day(date: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    (0..=2 * 24 * 4)
        .find_map(|quarter| {
            let local = midnight + TimeDelta::minutes(15 * quarter);
            zone.from_local_datetime(&local).earliest()
        })
        .map_or_else(|| midnight.and_utc(), |start| start.with_timezone(&Utc))
}

/// The instant a local day ends (exclusive): the start of the next day.
pub fn end_of_day(date: NaiveDate, zone: Tz) -> DateTime<Utc> {
    start_of_day(date.succ_opt().unwrap_or(NaiveDate::MAX), zone)
}

/// The same day `months` calendar months later, or that month's last day when it is shorter
/// (RULES.md: "the same day of the month, or the month's last day if shorter").
pub fn add_months_clamped(date: NaiveDate, months: u32) -> NaiveDate {
    // chrono clamps to the month's last day; only the end of its calendar (year 262143) can fail.
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_day_starts_at_local_midnight() {
        let start = start_of_day(day("2026-03-29"), chrono_tz::Europe::Paris);
        assert_eq!(start.to_rfc3339(), "2026-03-28T23:00:00+00:00");
        // The DST day is 23 hours long in Paris.
        let end = end_of_day(day("2026-03-29"), chrono_tz::Europe::Paris);
        assert_eq!((end - start).num_hours(), 23);
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_when_clocks_resume() {
        // Havana springs forward at 00:00 -> 01:00 (2026-03-08, UTC-5 -> UTC-4).
        let start = start_of_day(day("2026-03-08"), chrono_tz::America::Havana);
        assert_eq!(start.to_rfc3339(), "2026-03-08T05:00:00+00:00");
        assert_eq!(
            local_date(start, chrono_tz::America::Havana),
            day("2026-03-08")
        );
    }

    #[test]
    fn a_skipped_day_has_no_length() {
        // Samoa jumped from 2011-12-29 to 2011-12-31.
        let zone = chrono_tz::Pacific::Apia;
        assert_eq!(
            start_of_day(day("2011-12-30"), zone),
            start_of_day(day("2011-12-31"), zone)
        );
    }

    #[test]
    fn months_are_added_with_month_end_clamping() {
        assert_eq!(add_months_clamped(day("2026-01-31"), 3), day("2026-04-30"));
        assert_eq!(add_months_clamped(day("2027-11-30"), 3), day("2028-02-29"));
        assert_eq!(add_months_clamped(day("2026-05-15"), 3), day("2026-08-15"));
    }
}
