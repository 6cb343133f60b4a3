//! Difficulty reports (RULES.md, "Difficulty reports").

use crate::people::Role;
use serde::{Deserialize, Serialize};

/// RULES.md: "category (`motivation | technical | personal | funding | attendance | other`)".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportCategory {
    Motivation,
    Technical,
    Personal,
    Funding,
    Attendance,
    Other,
}

impl ReportCategory {
    pub const ALL: [ReportCategory; 6] = [
        ReportCategory::Motivation,
        ReportCategory::Technical,
        ReportCategory::Personal,
        ReportCategory::Funding,
        ReportCategory::Attendance,
        ReportCategory::Other,
    ];
}

/// RULES.md: "severity (`low | medium | high`)".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Low, Severity::Medium, Severity::High];
}

/// RULES.md: "managers move it `open -> acknowledged -> resolved`".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Open,
    Acknowledged,
    Resolved,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 3] = [
        ReportStatus::Open,
        ReportStatus::Acknowledged,
        ReportStatus::Resolved,
    ];
}

/// A refused move of a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportRefusal {
    #[error("a report cannot go from {from:?} to {to:?}")]
    TransitionNotAllowed {
        from: ReportStatus,
        to: ReportStatus,
    },
    #[error("only managers move a report")]
    OnlyStaff,
}

crate::refusal_codes!(ReportRefusal {
    TransitionNotAllowed => "transition_not_allowed", Conflict;
    OnlyStaff => "only_staff", Forbidden;
});

/// RULES.md, Difficulty reports: "managers move it `open -> acknowledged -> resolved`", one step
/// at a time (an admin may do what a manager does).
pub fn move_report(
    from: ReportStatus,
    to: ReportStatus,
    by: Role,
) -> Result<ReportStatus, ReportRefusal> {
    if !by.is_staff() {
        return Err(ReportRefusal::OnlyStaff);
    }
    match (from, to) {
        (ReportStatus::Open, ReportStatus::Acknowledged)
        | (ReportStatus::Acknowledged, ReportStatus::Resolved) => Ok(to),
        _ => Err(ReportRefusal::TransitionNotAllowed { from, to }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReportStatus::*;

    #[test]
    fn reports_move_one_step_at_a_time_by_managers() {
        assert_eq!(
            move_report(Open, Acknowledged, Role::Manager),
            Ok(Acknowledged)
        );
        assert_eq!(
            move_report(Acknowledged, Resolved, Role::Admin),
            Ok(Resolved)
        );
        assert!(move_report(Open, Resolved, Role::Manager).is_err());
        assert!(move_report(Resolved, Open, Role::Manager).is_err());
        assert_eq!(
            move_report(Open, Acknowledged, Role::Mentor),
            Err(ReportRefusal::OnlyStaff)
        );
        assert_eq!(
            serde_json::to_string(&ReportCategory::Attendance).unwrap(),
            "\"attendance\""
        );
    }
}
