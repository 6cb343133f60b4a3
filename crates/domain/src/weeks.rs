//! The weekly rhythm of sessions (RULES.md, "Sessions": "One session per student per week: the week
//! is the ISO week (Monday to Sunday) in the student's time zone", and the allowed weekdays).

use crate::calendar::local_date;
use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An ISO week (year and week number, e.g. `2026-W53`): the unit of "one session per student per week".
///
/// Ordered in time; written `YYYY-Www` in JSON and in the database's unique index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WeekKey {
    year: i32,
    week: u32,
}

impl WeekKey {
    /// RULES.md, Sessions: the ISO week of an instant in the student's IANA time zone.
    /// Correct across DST changes and year ends because it reads the local calendar date.
    pub fn of(instant: DateTime<Utc>, zone: Tz) -> WeekKey {
        let week = local_date(instant, zone).iso_week();
        WeekKey {
            year: week.year(),
            week: week.week(),
        }
    }

    /// The ISO year, which differs from the calendar year around 1 January.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The week number, 1..=53.
    pub fn week(self) -> u32 {
        self.week
    }

    /// The Monday that starts this week.
    pub fn monday(self) -> NaiveDate {
        // Every WeekKey is built from a real date or checked by `from_str`, so the Monday exists.
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or(NaiveDate::MIN)
    }
}

impl fmt::Display for WeekKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO week like 2026-W53")]
pub struct InvalidWeekKey(pub String);

impl FromStr for WeekKey {
    type Err = InvalidWeekKey;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidWeekKey(text.to_owned());
        let (year, week) = text.split_once("-W").ok_or_else(invalid)?;
        if year.len() != 4 || week.len() != 2 {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let week: u32 = week.parse().map_err(|_| invalid())?;
        // Only years with 53 weeks have a week 53.
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(invalid)?;
        Ok(WeekKey { year, week })
    }
}

impl Serialize for WeekKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WeekKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The weekday of an instant in a time zone (RULES.md: "The local weekday of the start, in the
/// student's time zone").
pub fn local_weekday(instant: DateTime<Utc>, zone: Tz) -> Weekday {
    local_date(instant, zone).weekday()
}

/// The lowercase English name of a weekday, as in JSON (`"monday"`).
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// The weekdays a student's funding allows sessions on (RULES.md, Students: "allowed weekdays ...
/// default all seven"). Never empty: a student with no day could never be booked.
///
/// JSON: a list of lowercase names in week order, `["monday", "thursday"]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AllowedWeekdays(u8);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowedWeekdaysError {
    #[error("at least one weekday must be allowed")]
    Empty,
    #[error("`{0}` is not a weekday (monday .. sunday)")]
    UnknownDay(String),
}

crate::refusal_codes!(AllowedWeekdaysError {
    Empty => "no_weekday_allowed", InvalidField("allowed_weekdays");
    UnknownDay => "unknown_weekday", InvalidField("allowed_weekdays");
});

impl AllowedWeekdays {
    /// All seven days, the default.
    pub const ALL: AllowedWeekdays = AllowedWeekdays(0b111_1111);

    pub fn new<I: IntoIterator<Item = Weekday>>(days: I) -> Result<Self, AllowedWeekdaysError> {
        let bits = days
            .into_iter()
            .fold(0u8, |bits, day| bits | 1 << day.num_days_from_monday());
        if bits == 0 {
            Err(AllowedWeekdaysError::Empty)
        } else {
            Ok(AllowedWeekdays(bits))
        }
    }

    /// The days as bits, Monday the lowest: what the store keeps.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// The days of stored bits; only the seven lowest count, and one must be set.
    pub fn from_bits(bits: u8) -> Result<Self, AllowedWeekdaysError> {
        match bits & 0b111_1111 {
            0 => Err(AllowedWeekdaysError::Empty),
            bits => Ok(AllowedWeekdays(bits)),
        }
    }

    /// Whether a weekday is allowed.
    pub fn allows(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    /// RULES.md, Sessions: whether the local weekday of `start` in the student's zone is allowed.
    pub fn allows_start(self, start: DateTime<Utc>, student_zone: Tz) -> bool {
        self.allows(local_weekday(start, student_zone))
    }

    /// The allowed days in week order.
    pub fn days(self) -> Vec<Weekday> {
        WEEK.into_iter().filter(|day| self.allows(*day)).collect()
    }
}

impl Default for AllowedWeekdays {
    fn default() -> Self {
        AllowedWeekdays::ALL
    }
}

impl Serialize for AllowedWeekdays {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.days().into_iter().map(weekday_name))
    }
}

impl<'de> Deserialize<'de> for AllowedWeekdays {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(deserializer)?;
        let days = names
            .iter()
            .map(|name| {
                WEEK.into_iter()
                    .find(|day| weekday_name(*day) == name)
                    .ok_or_else(|| AllowedWeekdaysError::UnknownDay(name.clone()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(serde::de::Error::custom)?;
        AllowedWeekdays::new(days).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn the_week_is_read_in_the_students_zone() {
        // Sunday evening in Los Angeles is already Monday in Paris.
        let instant = at("2026-11-30T00:15:00Z");
        assert_eq!(
            WeekKey::of(instant, chrono_tz::America::Los_Angeles).to_string(),
            "2026-W48"
        );
        assert_eq!(
            WeekKey::of(instant, chrono_tz::Europe::Paris).to_string(),
            "2026-W49"
        );
    }

    #[test]
    fn week_keys_parse_and_order() {
        let key: WeekKey = "2026-W53".parse().unwrap();
        assert_eq!((key.year(), key.week()), (2026, 53));
        assert_eq!(key.monday().to_string(), "2026-12-28");
        assert!("2027-W53".parse::<WeekKey>().is_err());
        assert!("2026-W00".parse::<WeekKey>().is_err());
        assert!("2026W01".parse::<WeekKey>().is_err());
        assert!(key < "2027-W01".parse().unwrap());
        assert_eq!(serde_json::to_string(&key).unwrap(), "\"2026-W53\"");
    }

    #[test]
    fn allowed_weekdays_are_checked_in_the_students_zone() {
        let thursdays = AllowedWeekdays::new([Weekday::Thu]).unwrap();
        let instant = at("2026-12-31T10:30:00Z");
        assert!(thursdays.allows_start(instant, chrono_tz::Europe::Paris));
        // Already Friday on Kiritimati.
        assert!(!thursdays.allows_start(instant, chrono_tz::Pacific::Kiritimati));
        assert_eq!(AllowedWeekdays::default().days().len(), 7);
        assert_eq!(AllowedWeekdays::new([]), Err(AllowedWeekdaysError::Empty));
    }

    #[test]
    fn allowed_weekdays_travel_as_names() {
        let days: AllowedWeekdays = serde_json::from_str(r#"["thursday","monday"]"#).unwrap();
        assert_eq!(
            serde_json::to_string(&days).unwrap(),
            r#"["monday","thursday"]"#
        );
        assert!(serde_json::from_str::<AllowedWeekdays>("[]").is_err());
        assert!(serde_json::from_str::<AllowedWeekdays>(r#"["Mon"]"#).is_err());
    }
}
