//! Another path (RULES.md, "Paths, capacity and assignment"): after 3 calendar months, an active
//! mentor asks to mentor another path, and a manager approves or declines.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::calendar::{add_months_clamped, local_date};
use crate::mentors::status::MentorStatus;

/// RULES.md, Paths: a mentor may ask for another path "once 3 calendar months have passed since
/// `activated_at` (the same day of the month, or the month's last day if shorter)". `activated_on`
/// is the local date of `activated_at` in the mentor's zone.
pub fn another_path_eligible_from(activated_on: NaiveDate) -> NaiveDate {
    add_months_clamped(activated_on, 3)
}

/// What the another-path rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathRequestFacts {
    pub mentor_status: MentorStatus,
    pub activated_at: Option<DateTime<Utc>>,
    pub mentor_zone: Tz,
    /// The path asked for is already one of the mentor's approved paths.
    pub already_approved: bool,
    /// The mentor already has a request waiting for a manager.
    pub request_pending: bool,
}

/// A refused request for another path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathRequestRefusal {
    #[error("only an active mentor asks for another path")]
    MentorNotActive,
    #[error("another path can be asked for from {eligible_from}")]
    TooEarly { eligible_from: NaiveDate },
    #[error("the mentor already works on this path")]
    AlreadyApproved,
    #[error("a request is already waiting for a manager")]
    RequestPending,
    #[error("the request is {status:?}, not pending")]
    NotPending { status: PathRequestStatus },
}

crate::refusal_codes!(PathRequestRefusal {
    MentorNotActive => "mentor_not_active", Conflict;
    TooEarly => "too_early_for_another_path", Conflict;
    AlreadyApproved => "path_already_approved", Conflict;
    RequestPending => "path_request_pending", Conflict;
    NotPending => "path_request_not_pending", Conflict;
});

/// RULES.md, Paths: an active mentor asks for another path once 3 calendar months have passed
/// since activation (in the mentor's zone). Returns every broken rule.
pub fn check_path_request(
    facts: &PathRequestFacts,
    now: DateTime<Utc>,
) -> Result<(), Vec<PathRequestRefusal>> {
    let mut refusals = Vec::new();
    match (facts.mentor_status, facts.activated_at) {
        (MentorStatus::Active, Some(activated_at)) => {
            let eligible_from =
                another_path_eligible_from(local_date(activated_at, facts.mentor_zone));
            if local_date(now, facts.mentor_zone) < eligible_from {
                refusals.push(PathRequestRefusal::TooEarly { eligible_from });
            }
        }
        _ => refusals.push(PathRequestRefusal::MentorNotActive),
    }
    if facts.already_approved {
        refusals.push(PathRequestRefusal::AlreadyApproved);
    }
    if facts.request_pending {
        refusals.push(PathRequestRefusal::RequestPending);
    }
    crate::refusal::none_or_all(refusals)
}

/// RULES.md, Paths: "A manager approves or declines" a request for another path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathRequestStatus {
    Pending,
    Approved,
    Declined,
}

impl PathRequestStatus {
    pub const ALL: [PathRequestStatus; 3] = [
        PathRequestStatus::Pending,
        PathRequestStatus::Approved,
        PathRequestStatus::Declined,
    ];

    /// Only a pending request is decided, once.
    pub fn decide(self, approve: bool) -> Result<PathRequestStatus, PathRequestRefusal> {
        match (self, approve) {
            (PathRequestStatus::Pending, true) => Ok(PathRequestStatus::Approved),
            (PathRequestStatus::Pending, false) => Ok(PathRequestStatus::Declined),
            (status, _) => Err(PathRequestRefusal::NotPending { status }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::Refusal;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn another_path_after_3_calendar_months_in_the_mentors_zone() {
        let facts = PathRequestFacts {
            mentor_status: MentorStatus::Active,
            // 23:30 UTC on 30 January is 31 January in Paris.
            activated_at: Some("2026-01-30T23:30:00Z".parse().unwrap()),
            mentor_zone: chrono_tz::Europe::Paris,
            already_approved: false,
            request_pending: false,
        };
        let on = |text: &str| check_path_request(&facts, text.parse().unwrap());
        assert_eq!(
            on("2026-04-29T21:59:59Z"),
            Err(vec![PathRequestRefusal::TooEarly {
                eligible_from: day("2026-04-30")
            }])
        );
        assert_eq!(on("2026-04-29T22:00:00Z"), Ok(()));
        let suspended = PathRequestFacts {
            mentor_status: MentorStatus::Suspended,
            request_pending: true,
            ..facts
        };
        let codes: Vec<_> = check_path_request(&suspended, "2027-01-01T00:00:00Z".parse().unwrap())
            .unwrap_err()
            .iter()
            .map(Refusal::code)
            .collect();
        assert_eq!(codes, ["mentor_not_active", "path_request_pending"]);
        assert_eq!(
            PathRequestStatus::Pending.decide(true),
            Ok(PathRequestStatus::Approved)
        );
        assert!(PathRequestStatus::Declined.decide(true).is_err());
    }
}
