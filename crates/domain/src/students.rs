//! Students (RULES.md, "Students"). Their time zone, session length and allowed weekdays are read by
//! the booking rules ([`crate::sessions::StudentCalendar`]).

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::sessions::SessionLength;
use crate::weeks::AllowedWeekdays;

/// What a student is enrolled with, as checked: the zone the server knows, a session length of
/// the program, at least one weekday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StudentRhythm {
    pub zone: Tz,
    pub session_length: SessionLength,
    pub allowed_weekdays: AllowedWeekdays,
}

/// A refused enrollment or edit of a student.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StudentRefusal {
    #[error("`{0}` is not an IANA time zone the server knows (such as Europe/Paris)")]
    UnknownTimeZone(String),
    #[error("a session lasts 30, 45 or 60 minutes, not {0}")]
    SessionLength(u16),
    #[error("at least one weekday must be allowed")]
    NoWeekday,
    #[error("the project is not one of the student's path")]
    ProjectNotOnPath,
}

crate::refusal_codes!(StudentRefusal {
    UnknownTimeZone => "unknown_time_zone", InvalidField("time_zone");
    SessionLength => "invalid_session_length", InvalidField("session_length");
    NoWeekday => "no_weekday_allowed", InvalidField("allowed_weekdays");
    ProjectNotOnPath => "project_not_on_path", InvalidField("project_id");
});

/// RULES.md, Students: "IANA time zone, session length 30, 45 or 60 minutes, allowed weekdays
/// (default all seven)", and a current project of the student's path. Returns every broken
/// rule. `weekdays` is `None` for the default, all seven.
pub fn check_student(
    zone: &str,
    session_minutes: u16,
    weekdays: Option<&[chrono::Weekday]>,
    project_on_path: bool,
) -> Result<StudentRhythm, Vec<StudentRefusal>> {
    let mut refusals = Vec::new();
    let zone = zone
        .parse::<Tz>()
        .map_err(|_| refusals.push(StudentRefusal::UnknownTimeZone(zone.to_owned())))
        .ok();
    let session_length = SessionLength::from_minutes(session_minutes)
        .map_err(|_| refusals.push(StudentRefusal::SessionLength(session_minutes)))
        .ok();
    let allowed_weekdays = match weekdays {
        None => Some(AllowedWeekdays::ALL),
        Some(days) => AllowedWeekdays::new(days.iter().copied())
            .map_err(|_| refusals.push(StudentRefusal::NoWeekday))
            .ok(),
    };
    if !project_on_path {
        refusals.push(StudentRefusal::ProjectNotOnPath);
    }
    match (zone, session_length, allowed_weekdays) {
        (Some(zone), Some(session_length), Some(allowed_weekdays)) if refusals.is_empty() => {
            Ok(StudentRhythm {
                zone,
                session_length,
                allowed_weekdays,
            })
        }
        _ => Err(refusals),
    }
}

/// RULES.md, Students: "project progress (`not_started | in_progress | submitted | validated` per
/// project of the path)". Ordered from start to finish.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ProjectProgress {
    #[default]
    NotStarted,
    InProgress,
    Submitted,
    Validated,
}

impl ProjectProgress {
    pub const ALL: [ProjectProgress; 4] = [
        ProjectProgress::NotStarted,
        ProjectProgress::InProgress,
        ProjectProgress::Submitted,
        ProjectProgress::Validated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProjectProgress::NotStarted => "not_started",
            ProjectProgress::InProgress => "in_progress",
            ProjectProgress::Submitted => "submitted",
            ProjectProgress::Validated => "validated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::Refusal;

    #[test]
    fn a_student_needs_a_known_zone_a_program_length_a_day_and_a_project_of_the_path() {
        let ok = check_student("Pacific/Auckland", 45, None, true).unwrap();
        assert_eq!(ok.session_length, SessionLength::Minutes45);
        assert_eq!(ok.allowed_weekdays, AllowedWeekdays::ALL);
        let codes: Vec<_> = check_student("Mars/Olympus", 50, Some(&[]), false)
            .unwrap_err()
            .iter()
            .map(Refusal::code)
            .collect();
        assert_eq!(
            codes,
            [
                "unknown_time_zone",
                "invalid_session_length",
                "no_weekday_allowed",
                "project_not_on_path"
            ]
        );
    }

    #[test]
    fn progress_starts_not_started_and_travels_snake_case() {
        assert_eq!(ProjectProgress::default(), ProjectProgress::NotStarted);
        assert_eq!(
            serde_json::to_string(&ProjectProgress::InProgress).unwrap(),
            "\"in_progress\""
        );
        assert!(ProjectProgress::Submitted < ProjectProgress::Validated);
    }
}
