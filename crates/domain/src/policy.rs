//! The numbers RULES.md marks *(policy)*: defaults an admin may change (stored, versioned and
//! audited by the store). The rate card is versioned on its own (see [`crate::rates`]).

use chrono::TimeDelta;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A whole percentage, 0..=100 (an outcome factor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Percent(u8);

impl Percent {
    pub const ZERO: Percent = Percent(0);
    pub const HALF: Percent = Percent(50);
    pub const FULL: Percent = Percent(100);

    pub fn new(value: u8) -> Result<Percent, PolicyError> {
        if value <= 100 {
            Ok(Percent(value))
        } else {
            Err(PolicyError::PercentOutOfRange(value))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Percent {
    type Error = PolicyError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Percent::new(value)
    }
}

impl From<Percent> for u8 {
    fn from(percent: Percent) -> u8 {
        percent.0
    }
}

/// RULES.md, Money: "Outcome factors *(policy)*: completed (with notes) 100 %, student no-show 50 %,
/// late cancelled by student 50 %, cancelled 0 %, late cancelled by mentor 0 %."
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeFactors {
    pub completed: Percent,
    pub student_no_show: Percent,
    pub late_cancelled_by_student: Percent,
    pub cancelled: Percent,
    pub late_cancelled_by_mentor: Percent,
}

impl Default for OutcomeFactors {
    fn default() -> Self {
        OutcomeFactors {
            completed: Percent::FULL,
            student_no_show: Percent::HALF,
            late_cancelled_by_student: Percent::HALF,
            cancelled: Percent::ZERO,
            late_cancelled_by_mentor: Percent::ZERO,
        }
    }
}

/// Every *(policy)* number of RULES.md, with its default. Missing JSON fields take the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policies {
    /// Eligibility: years of professional experience at least this (default 4).
    pub min_professional_experience_years: u8,
    /// Eligibility: years of experience in the path's field at least this (default 2).
    pub min_field_experience_years: u8,
    /// Largest accepted onboarding document, in bytes (default 10 MiB).
    pub max_document_bytes: u64,
    /// Cancelling at least this many hours before the start is on time (default 24).
    pub cancellation_notice_hours: u32,
    /// Share of the price paid per outcome (default 100/50/50/0/0 %).
    pub outcome_factors: OutcomeFactors,
    /// The zone whose calendar months make statements and whose dates make rate cards effective
    /// (default Europe/Paris).
    #[serde(with = "zone_name")]
    pub platform_zone: Tz,
    /// The most students a mentor may ask for (default 50; 0 pauses new assignments).
    pub max_requested_students: u32,
    /// Notes are due by the end of the session's day in the mentor's zone plus this many days
    /// (default 0: the session's own day).
    pub notes_grace_days: u32,
}

impl Default for Policies {
    fn default() -> Self {
        Policies {
            min_professional_experience_years: 4,
            min_field_experience_years: 2,
            max_document_bytes: 10 * 1024 * 1024,
            cancellation_notice_hours: 24,
            outcome_factors: OutcomeFactors::default(),
            platform_zone: chrono_tz::Europe::Paris,
            max_requested_students: 50,
            notes_grace_days: 0,
        }
    }
}

impl Policies {
    /// How long before the start a cancellation is still on time.
    pub fn cancellation_notice(&self) -> TimeDelta {
        TimeDelta::hours(i64::from(self.cancellation_notice_hours))
    }

    /// Checks values an admin proposes; returns every problem found.
    pub fn validate(&self) -> Result<(), Vec<PolicyError>> {
        let mut problems = Vec::new();
        if self.max_document_bytes == 0 {
            problems.push(PolicyError::MaxDocumentBytesZero);
        }
        if self.max_document_bytes > MAX_DOCUMENT_BYTES_LIMIT {
            problems.push(PolicyError::MaxDocumentBytesTooLarge(
                self.max_document_bytes,
            ));
        }
        if self.min_professional_experience_years > 40 {
            problems.push(PolicyError::ProfessionalYearsTooMany(
                self.min_professional_experience_years,
            ));
        }
        if self.min_field_experience_years > 40 {
            problems.push(PolicyError::FieldYearsTooMany(
                self.min_field_experience_years,
            ));
        }
        if !(1..=MAX_REQUESTED_STUDENTS_LIMIT).contains(&self.max_requested_students) {
            problems.push(PolicyError::RequestedStudentsOutOfRange(
                self.max_requested_students,
            ));
        }
        // A week of notice is already more than a weekly rhythm allows; beyond is a typo.
        if self.cancellation_notice_hours > 7 * 24 {
            problems.push(PolicyError::CancellationNoticeTooLong(
                self.cancellation_notice_hours,
            ));
        }
        // The notes deadline must fall before the next weekly session could.
        if self.notes_grace_days > 6 {
            problems.push(PolicyError::NotesGraceTooLong(self.notes_grace_days));
        }
        crate::refusal::none_or_all(problems)
    }
}

/// Why a proposed policy value is refused.
/// The largest document size a policy may allow: what the server accepts in a request body.
pub const MAX_DOCUMENT_BYTES_LIMIT: u64 = 50 * 1024 * 1024;

/// The most students a mentor may ask for under any policy (the database holds requests to it).
pub const MAX_REQUESTED_STUDENTS_LIMIT: u32 = 50;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("{0} is not a percentage between 0 and 100")]
    PercentOutOfRange(u8),
    #[error("the largest document size must be more than 0 bytes")]
    MaxDocumentBytesZero,
    #[error("a cancellation notice of {0} hours is more than a week")]
    CancellationNoticeTooLong(u32),
    #[error("a notes grace of {0} days reaches the next week's session")]
    NotesGraceTooLong(u32),
    #[error("documents of {0} bytes are more than the 50 MiB the server accepts")]
    MaxDocumentBytesTooLarge(u64),
    #[error("{0} years of professional experience is more than 40")]
    ProfessionalYearsTooMany(u8),
    #[error("{0} years of experience in the field is more than 40")]
    FieldYearsTooMany(u8),
    #[error("a mentor may ask for 1 to 50 students, not {0}")]
    RequestedStudentsOutOfRange(u32),
}

crate::refusal_codes!(PolicyError {
    PercentOutOfRange => "percent_out_of_range", InvalidField("outcome_factors");
    MaxDocumentBytesZero => "max_document_bytes_zero", InvalidField("max_document_bytes");
    CancellationNoticeTooLong => "cancellation_notice_too_long", InvalidField("cancellation_notice_hours");
    NotesGraceTooLong => "notes_grace_too_long", InvalidField("notes_grace_days");
    MaxDocumentBytesTooLarge => "max_document_bytes_too_large", InvalidField("max_document_bytes");
    ProfessionalYearsTooMany => "experience_too_long", InvalidField("min_professional_experience_years");
    FieldYearsTooMany => "experience_too_long", InvalidField("min_field_experience_years");
    RequestedStudentsOutOfRange => "requested_students_out_of_range", InvalidField("max_requested_students");
});

/// Time zones travel as IANA names ("Europe/Paris").
pub(crate) mod zone_name {
    use chrono_tz::Tz;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(zone: &Tz, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(zone.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Tz, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse::<Tz>()
            .map_err(|_| serde::de::Error::custom(format!("unknown IANA time zone `{name}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::Refusal;

    #[test]
    fn defaults_are_those_of_the_rules() {
        let p = Policies::default();
        assert_eq!(p.min_professional_experience_years, 4);
        assert_eq!(p.min_field_experience_years, 2);
        assert_eq!(p.max_document_bytes, 10_485_760);
        assert_eq!(p.cancellation_notice(), TimeDelta::hours(24));
        assert_eq!(p.platform_zone.name(), "Europe/Paris");
        assert_eq!(p.max_requested_students, 50);
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn round_trips_through_json_and_fills_defaults() {
        let p = Policies::default();
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains("\"platform_zone\":\"Europe/Paris\""));
        assert_eq!(serde_json::from_str::<Policies>(&json).unwrap(), p);
        let partial: Policies =
            serde_json::from_str(r#"{"cancellation_notice_hours": 48}"#).unwrap();
        assert_eq!(partial.cancellation_notice_hours, 48);
        assert_eq!(partial.min_professional_experience_years, 4);
        assert!(serde_json::from_str::<Policies>(r#"{"platform_zone": "Mars/Olympus"}"#).is_err());
        assert!(serde_json::from_str::<Percent>("101").is_err());
    }

    #[test]
    fn refuses_absurd_values() {
        let p = Policies {
            max_document_bytes: 0,
            cancellation_notice_hours: 1000,
            ..Policies::default()
        };
        let codes: Vec<_> = p
            .validate()
            .unwrap_err()
            .iter()
            .map(Refusal::code)
            .collect();
        assert_eq!(
            codes,
            ["max_document_bytes_zero", "cancellation_notice_too_long"]
        );
    }
}
