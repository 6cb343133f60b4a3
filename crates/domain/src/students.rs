//! Students (RULES.md, "Students"). Their time zone, session length and allowed weekdays are read by
//! the booking rules ([`crate::sessions::StudentCalendar`]).

use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::*;

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
