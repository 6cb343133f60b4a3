//! Capacity and assignment (RULES.md, "Paths, capacity and assignment").

use crate::absences::{Absence, is_absent_today};
use crate::mentors::MentorStatus;
use crate::policy::Policies;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::cmp::Ordering;
use uuid::Uuid;

/// RULES.md: "`remaining = requested - currently assigned`, never negative; lowering below the
/// current count is allowed and only stops new assignments".
pub fn remaining(requested: u32, assigned: u32) -> u32 {
    requested.saturating_sub(assigned)
}

/// A refused assignment or requested number of students.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentRefusal {
    #[error("a mentor asks for 0 to {max} students, not {requested}")]
    RequestedOutOfRange { requested: u32, max: u32 },
    #[error("the mentor is not active")]
    MentorNotActive,
    #[error("the student's path is not among the mentor's approved paths")]
    PathNotApproved,
    #[error("the mentor has no remaining capacity")]
    NoRemainingCapacity,
    #[error("no active mentor of this path has room and is present today")]
    NoMentorAvailable,
    #[error("the student is already assigned to this mentor")]
    AlreadyAssigned,
}

crate::refusal_codes!(AssignmentRefusal {
    RequestedOutOfRange => "requested_students_out_of_range", InvalidField("requested_students");
    MentorNotActive => "mentor_not_active", Conflict;
    PathNotApproved => "path_not_approved", Conflict;
    NoRemainingCapacity => "mentor_full", Conflict;
    NoMentorAvailable => "no_mentor_available", Conflict;
    AlreadyAssigned => "already_assigned", Conflict;
});

/// RULES.md: "A mentor sets the number of students they want, 0..=50 (0 pauses new assignments)".
pub fn check_requested_students(
    requested: u32,
    policies: &Policies,
) -> Result<u32, AssignmentRefusal> {
    let max = policies.max_requested_students;
    if requested <= max {
        Ok(requested)
    } else {
        Err(AssignmentRefusal::RequestedOutOfRange { requested, max })
    }
}

/// What the assignment rules read about a mentor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentorCapacity {
    pub id: Uuid,
    pub status: MentorStatus,
    pub approved_paths: Vec<Uuid>,
    pub requested: u32,
    /// Students currently assigned (ended assignments do not count).
    pub assigned: u32,
    /// Whether the mentor was ever assigned a student, ended assignments included.
    pub ever_assigned: bool,
    pub activated_at: Option<DateTime<Utc>>,
    pub zone: Tz,
    pub absences: Vec<Absence>,
}

impl MentorCapacity {
    /// See [`remaining`].
    pub fn remaining(&self) -> u32 {
        remaining(self.requested, self.assigned)
    }
}

/// RULES.md: "Assignment of a student to a mentor needs: mentor active, the student's path among
/// the mentor's approved paths, remaining > 0"; and a student has one mentor at a time, so
/// assigning to the current mentor again is refused. Returns every broken rule. The store repeats
/// the capacity check in the same transaction as the insert.
pub fn check_assignment(
    mentor: &MentorCapacity,
    student_path: Uuid,
    current_mentor: Option<Uuid>,
) -> Result<(), Vec<AssignmentRefusal>> {
    // The student counts among the mentor's already: that, not a lack of room, is the reason.
    if current_mentor == Some(mentor.id) {
        return Err(vec![AssignmentRefusal::AlreadyAssigned]);
    }
    let mut refusals = Vec::new();
    if mentor.status != MentorStatus::Active {
        refusals.push(AssignmentRefusal::MentorNotActive);
    }
    if !mentor.approved_paths.contains(&student_path) {
        refusals.push(AssignmentRefusal::PathNotApproved);
    }
    if mentor.remaining() == 0 {
        refusals.push(AssignmentRefusal::NoRemainingCapacity);
    }
    crate::refusal::none_or_all(refusals)
}

/// RULES.md, Automatic assignment *(policy)*: "among eligible mentors not absent today, pick the one
/// who has never been assigned a student (newcomers first; the assignment history decides), then
/// the largest remaining/requested ratio, then the
/// earliest `activated_at`, then the smallest id". Deterministic: the order of `mentors` does not
/// matter. `None` when no mentor is eligible.
pub fn choose_mentor(
    mentors: &[MentorCapacity],
    student_path: Uuid,
    current_mentor: Option<Uuid>,
    now: DateTime<Utc>,
) -> Option<Uuid> {
    mentors
        .iter()
        .filter(|m| check_assignment(m, student_path, current_mentor).is_ok())
        .filter(|m| !is_absent_today(&m.absences, now, m.zone))
        .min_by(|a, b| preference(a, b))
        .map(|m| m.id)
}

/// `Less` when `a` is preferred to `b`.
fn preference(a: &MentorCapacity, b: &MentorCapacity) -> Ordering {
    let newcomer = |m: &MentorCapacity| !m.ever_assigned;
    newcomer(b)
        .cmp(&newcomer(a))
        // Larger remaining/requested first, compared exactly by cross-multiplying.
        .then_with(|| {
            let a_ratio = u64::from(a.remaining()) * u64::from(b.requested);
            let b_ratio = u64::from(b.remaining()) * u64::from(a.requested);
            b_ratio.cmp(&a_ratio)
        })
        // Earliest activation first; an active mentor always has one, but `None` sorts last.
        .then_with(|| {
            let activation = |m: &MentorCapacity| (m.activated_at.is_none(), m.activated_at);
            activation(a).cmp(&activation(b))
        })
        .then_with(|| a.id.cmp(&b.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::Refusal;

    const PATH: Uuid = Uuid::from_u128(42);

    fn mentor(id: u128, requested: u32, assigned: u32, activated: &str) -> MentorCapacity {
        MentorCapacity {
            id: Uuid::from_u128(id),
            status: MentorStatus::Active,
            approved_paths: vec![PATH],
            requested,
            assigned,
            ever_assigned: assigned > 0,
            activated_at: Some(activated.parse().unwrap()),
            zone: chrono_tz::Europe::Paris,
            absences: Vec::new(),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-06-10T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_student_already_with_the_mentor_is_refused_as_such_even_when_the_mentor_is_full() {
        let full = mentor(1, 1, 1, "2026-01-05T09:00:00Z");
        let refusals = check_assignment(&full, PATH, Some(full.id)).unwrap_err();
        assert_eq!(refusals, vec![AssignmentRefusal::AlreadyAssigned]);
        let other = check_assignment(&full, PATH, None).unwrap_err();
        assert_eq!(other, vec![AssignmentRefusal::NoRemainingCapacity]);
    }

    #[test]
    fn remaining_is_never_negative() {
        assert_eq!(remaining(5, 2), 3);
        assert_eq!(remaining(2, 5), 0);
        assert_eq!(remaining(0, 0), 0);
    }

    #[test]
    fn requested_students_are_0_to_50() {
        let policies = Policies::default();
        assert_eq!(check_requested_students(0, &policies), Ok(0));
        assert_eq!(check_requested_students(50, &policies), Ok(50));
        assert_eq!(
            check_requested_students(51, &policies).unwrap_err().code(),
            "requested_students_out_of_range"
        );
    }

    #[test]
    fn assignment_needs_an_active_mentor_on_the_path_with_room() {
        let mut m = mentor(1, 2, 2, "2026-01-01T00:00:00Z");
        m.status = MentorStatus::Suspended;
        m.approved_paths.clear();
        let codes: Vec<_> = check_assignment(&m, PATH, None)
            .unwrap_err()
            .iter()
            .map(Refusal::code)
            .collect();
        assert_eq!(
            codes,
            ["mentor_not_active", "path_not_approved", "mentor_full"]
        );
        assert_eq!(
            check_assignment(&mentor(1, 2, 1, "2026-01-01T00:00:00Z"), PATH, None),
            Ok(())
        );
    }

    #[test]
    fn newcomers_first_then_ratio_then_seniority_then_id() {
        let veteran = mentor(1, 10, 1, "2025-01-01T00:00:00Z"); // ratio 9/10
        let newcomer = mentor(2, 1, 0, "2026-05-01T00:00:00Z"); // no students yet
        assert_eq!(
            choose_mentor(&[veteran.clone(), newcomer.clone()], PATH, None, now()),
            Some(newcomer.id)
        );

        let half = mentor(3, 4, 2, "2025-01-01T00:00:00Z"); // 1/2
        let three_quarters = mentor(4, 4, 1, "2026-01-01T00:00:00Z"); // 3/4
        assert_eq!(
            choose_mentor(&[half.clone(), three_quarters.clone()], PATH, None, now()),
            Some(three_quarters.id)
        );

        let senior = mentor(6, 4, 2, "2024-01-01T00:00:00Z"); // also 1/2, activated earlier
        assert_eq!(
            choose_mentor(&[half.clone(), senior.clone()], PATH, None, now()),
            Some(senior.id)
        );

        let twin = MentorCapacity {
            id: Uuid::from_u128(2),
            ..half.clone()
        };
        assert_eq!(
            choose_mentor(&[half.clone(), twin.clone()], PATH, None, now()),
            Some(twin.id)
        );
        assert_eq!(
            choose_mentor(&[twin.clone(), half], PATH, None, now()),
            Some(twin.id)
        );
    }

    #[test]
    fn a_mentor_whose_students_all_left_is_no_newcomer() {
        let mut former = mentor(1, 4, 0, "2026-01-01T00:00:00Z");
        former.ever_assigned = true;
        let newcomer = mentor(2, 4, 0, "2026-05-01T00:00:00Z");
        assert_eq!(
            choose_mentor(&[former.clone(), newcomer.clone()], PATH, None, now()),
            Some(newcomer.id)
        );
        // Between two former mentors the ratio, then seniority, decide as usual.
        let mut other = newcomer.clone();
        other.ever_assigned = true;
        assert_eq!(
            choose_mentor(&[former.clone(), other], PATH, None, now()),
            Some(former.id)
        );
    }

    #[test]
    fn ineligible_and_absent_mentors_are_skipped() {
        let full = mentor(1, 2, 2, "2025-01-01T00:00:00Z");
        let paused = mentor(2, 0, 0, "2025-01-01T00:00:00Z");
        let mut away = mentor(3, 5, 0, "2025-01-01T00:00:00Z");
        away.absences.push(Absence {
            id: Uuid::nil(),
            first_day: "2026-06-10".parse().unwrap(),
            last_day: "2026-06-12".parse().unwrap(),
        });
        assert_eq!(
            choose_mentor(&[full, paused, away.clone()], PATH, None, now()),
            None
        );
        let back = "2026-06-13T12:00:00Z".parse().unwrap();
        assert_eq!(
            choose_mentor(&[away.clone()], PATH, None, back),
            Some(away.id)
        );
    }
}
