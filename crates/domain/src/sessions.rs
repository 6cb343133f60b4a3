//! Weekly sessions (RULES.md, "Sessions"): booking, cancelling, outcome and notes.

use crate::absences::Absence;
use crate::calendar::{local_date, start_of_day};
use crate::mentors::MentorStatus;
use crate::people::Role;
use crate::policy::Policies;
use crate::weeks::{AllowedWeekdays, WeekKey, local_weekday, weekday_name};
use chrono::{DateTime, Days, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// RULES.md, Students: "session length 30, 45 or 60 minutes". JSON: the number of minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub enum SessionLength {
    Minutes30,
    Minutes45,
    Minutes60,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a session lasts 30, 45 or 60 minutes, not {0}")]
pub struct InvalidSessionLength(pub u16);

crate::refusal_codes!(InvalidSessionLength => "invalid_session_length", InvalidField("session_length"));

impl SessionLength {
    pub const ALL: [SessionLength; 3] = [
        SessionLength::Minutes30,
        SessionLength::Minutes45,
        SessionLength::Minutes60,
    ];

    pub fn from_minutes(minutes: u16) -> Result<SessionLength, InvalidSessionLength> {
        SessionLength::ALL
            .into_iter()
            .find(|length| length.minutes() == minutes)
            .ok_or(InvalidSessionLength(minutes))
    }

    pub fn minutes(self) -> u16 {
        match self {
            SessionLength::Minutes30 => 30,
            SessionLength::Minutes45 => 45,
            SessionLength::Minutes60 => 60,
        }
    }

    pub fn duration(self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.minutes()))
    }
}

impl TryFrom<u16> for SessionLength {
    type Error = InvalidSessionLength;
    fn try_from(minutes: u16) -> Result<Self, Self::Error> {
        SessionLength::from_minutes(minutes)
    }
}

impl From<SessionLength> for u16 {
    fn from(length: SessionLength) -> u16 {
        length.minutes()
    }
}

/// The states of a session (RULES.md, Sessions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Scheduled,
    Completed,
    StudentNoShow,
    Cancelled,
    LateCancelledByStudent,
    LateCancelledByMentor,
    /// Moved to another start: kept, with the session that replaced it. Frees its week and its
    /// time; never paid.
    Rescheduled,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 7] = [
        SessionStatus::Scheduled,
        SessionStatus::Completed,
        SessionStatus::StudentNoShow,
        SessionStatus::Cancelled,
        SessionStatus::LateCancelledByStudent,
        SessionStatus::LateCancelledByMentor,
        SessionStatus::Rescheduled,
    ];

    /// Its name in JSON and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Scheduled => "scheduled",
            SessionStatus::Completed => "completed",
            SessionStatus::StudentNoShow => "student_no_show",
            SessionStatus::Cancelled => "cancelled",
            SessionStatus::LateCancelledByStudent => "late_cancelled_by_student",
            SessionStatus::LateCancelledByMentor => "late_cancelled_by_mentor",
            SessionStatus::Rescheduled => "rescheduled",
        }
    }

    /// RULES.md, Sessions: "A week is taken by a session that is `scheduled`, `completed`,
    /// `student_no_show` or `late_cancelled_by_student`; it is freed by `cancelled` and
    /// `late_cancelled_by_mentor`." The store's unique partial index uses the same list.
    pub fn takes_the_week(self) -> bool {
        matches!(
            self,
            SessionStatus::Scheduled
                | SessionStatus::Completed
                | SessionStatus::StudentNoShow
                | SessionStatus::LateCancelledByStudent
        )
    }

    /// RULES.md, Sessions: "A mentor's sessions must not overlap". A cancelled session (on time
    /// or late) gives its time back; the others hold it.
    pub fn holds_the_mentors_time(self) -> bool {
        matches!(
            self,
            SessionStatus::Scheduled | SessionStatus::Completed | SessionStatus::StudentNoShow
        )
    }
}

/// A session as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSlot {
    pub id: Uuid,
    pub student_id: Uuid,
    pub start: DateTime<Utc>,
    pub length: SessionLength,
    pub status: SessionStatus,
}

impl SessionSlot {
    /// The end of the session (exclusive): back-to-back sessions do not overlap.
    pub fn end(&self) -> DateTime<Utc> {
        self.start + self.length.duration()
    }
}

/// What the booking rules need to know about the student.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentCalendar {
    pub id: Uuid,
    pub zone: Tz,
    pub allowed_weekdays: AllowedWeekdays,
    pub session_length: SessionLength,
}

/// A session to book, or an existing session to move (`replaces`), at `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProposedSession {
    pub start: DateTime<Utc>,
    /// The session being rescheduled, which does not conflict with itself.
    pub replaces: Option<Uuid>,
}

/// The facts a booking is checked against. `now` is passed in: the domain has no clock.
#[derive(Debug, Clone, Copy)]
pub struct BookingFacts<'a> {
    pub student: &'a StudentCalendar,
    /// The mentor who will hold the session.
    pub mentor_id: Uuid,
    pub mentor_status: MentorStatus,
    /// Absence days are in the mentor's zone.
    pub mentor_zone: Tz,
    /// The student's current mentor, if any.
    pub assigned_mentor: Option<Uuid>,
    /// Every session of the student, with any mentor (the weekly rule is per student).
    pub student_sessions: &'a [SessionSlot],
    /// Every session of the mentor, with any student.
    pub mentor_sessions: &'a [SessionSlot],
    pub mentor_absences: &'a [Absence],
    pub now: DateTime<Utc>,
}

/// A broken booking rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingRefusal {
    #[error("the student is not assigned to this mentor")]
    NotAssigned,
    #[error("the mentor is not active")]
    MentorNotActive,
    #[error("sessions are booked only into the future")]
    InThePast,
    #[error("the student's funding does not allow sessions on {}", weekday_name(*.weekday))]
    WeekdayNotAllowed { weekday: Weekday },
    #[error("the student already has a session in week {week}: session {session_id}")]
    WeekAlreadyTaken { week: WeekKey, session_id: Uuid },
    #[error("the mentor has another session at that time")]
    OverlapsOtherSession { session_id: Uuid },
    #[error("the mentor has declared an absence then")]
    MentorAbsent { absence_id: Uuid },
}

crate::refusal_codes!(BookingRefusal {
    NotAssigned => "not_assigned", Conflict;
    MentorNotActive => "mentor_not_active", Conflict;
    InThePast => "in_the_past", InvalidField("start");
    WeekdayNotAllowed => "weekday_not_allowed", Conflict;
    WeekAlreadyTaken => "week_already_taken", Conflict;
    OverlapsOtherSession => "overlaps_other_session", Conflict;
    MentorAbsent => "mentor_absent", Conflict;
});

/// RULES.md, Sessions: every booking and rescheduling rule at once: an assigned student and an
/// active mentor, only into the future, an allowed local weekday, one session per student per ISO
/// week in the student's zone, no overlap with the mentor's sessions, none in an absence.
/// The length is the student's session length. Returns every broken rule.
///
/// The store still enforces the weekly rule with a unique index: two concurrent bookings can both
/// pass this check, and exactly one must win.
pub fn validate_booking(
    proposal: &ProposedSession,
    facts: &BookingFacts<'_>,
) -> Result<(), Vec<BookingRefusal>> {
    let student = facts.student;
    let start = proposal.start;
    let end = start + student.session_length.duration();
    let is_other = |session: &&SessionSlot| Some(session.id) != proposal.replaces;
    let mut refusals = Vec::new();

    if facts.assigned_mentor != Some(facts.mentor_id) {
        refusals.push(BookingRefusal::NotAssigned);
    }
    if facts.mentor_status != MentorStatus::Active {
        refusals.push(BookingRefusal::MentorNotActive);
    }
    if start <= facts.now {
        refusals.push(BookingRefusal::InThePast);
    }
    let weekday = local_weekday(start, student.zone);
    if !student.allowed_weekdays.allows(weekday) {
        refusals.push(BookingRefusal::WeekdayNotAllowed { weekday });
    }
    let week = WeekKey::of(start, student.zone);
    refusals.extend(
        facts
            .student_sessions
            .iter()
            .filter(is_other)
            .filter(|s| s.status.takes_the_week() && WeekKey::of(s.start, student.zone) == week)
            .map(|s| BookingRefusal::WeekAlreadyTaken {
                week,
                session_id: s.id,
            }),
    );
    refusals.extend(
        facts
            .mentor_sessions
            .iter()
            .filter(is_other)
            .filter(|s| s.status.holds_the_mentors_time() && s.start < end && start < s.end())
            .map(|s| BookingRefusal::OverlapsOtherSession { session_id: s.id }),
    );
    refusals.extend(
        facts
            .mentor_absences
            .iter()
            .filter(|absence| absence.overlaps(start, end, facts.mentor_zone))
            .map(|absence| BookingRefusal::MentorAbsent {
                absence_id: absence.id,
            }),
    );
    crate::refusal::none_or_all(refusals)
}

/// The side a cancellation counts against. A manager (or admin) cancels on behalf of one side
/// and says which; only a late cancellation makes the difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelledBy {
    Student,
    Mentor,
}

impl CancelledBy {
    /// The side a person cancels for by their role; staff must say it explicitly (`None`).
    pub fn for_role(role: Role) -> Option<CancelledBy> {
        match role {
            Role::Student => Some(CancelledBy::Student),
            Role::Mentor => Some(CancelledBy::Mentor),
            Role::Admin | Role::Manager => None,
        }
    }
}

/// A refused change to an existing session (cancel, reschedule, outcome, notes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionRefusal {
    #[error("the session is {status:?}, not scheduled")]
    NotScheduled { status: SessionStatus },
    #[error("the session has already started")]
    AlreadyStarted,
    #[error("the outcome is recorded after the start")]
    NotStarted,
    #[error("a no-show is recorded once the first third of the session has passed, from {from}")]
    NoShowTooEarly { from: DateTime<Utc> },
    #[error("notes are written for a session with an outcome, not a {status:?} one")]
    NotesNeedAnOutcome { status: SessionStatus },
    #[error("the notes need a summary for the student")]
    SummaryRequired,
}

crate::refusal_codes!(SessionRefusal {
    NotScheduled => "session_not_scheduled", Conflict;
    AlreadyStarted => "session_already_started", Conflict;
    NotStarted => "session_not_started", Conflict;
    NoShowTooEarly => "no_show_too_early", Conflict;
    NotesNeedAnOutcome => "notes_need_an_outcome", Conflict;
    SummaryRequired => "summary_required", InvalidField("summary");
});

/// RULES.md, Sessions: "Booking and rescheduling only into the future": only a scheduled session
/// that has not started can be moved or cancelled. (The new start goes through [`validate_booking`]
/// with `replaces` set.)
pub fn check_changeable(session: &SessionSlot, now: DateTime<Utc>) -> Result<(), SessionRefusal> {
    if session.status != SessionStatus::Scheduled {
        return Err(SessionRefusal::NotScheduled {
            status: session.status,
        });
    }
    if session.start <= now {
        return Err(SessionRefusal::AlreadyStarted);
    }
    Ok(())
}

/// RULES.md, Sessions: "Cancelling, 24 hours *(policy)* before the start or more: `cancelled`.
/// Less than 24 hours: `late_cancelled_by_student` or `late_cancelled_by_mentor`."
/// Returns the session's new state.
pub fn classify_cancellation(
    session: &SessionSlot,
    by: CancelledBy,
    now: DateTime<Utc>,
    policies: &Policies,
) -> Result<SessionStatus, SessionRefusal> {
    check_changeable(session, now)?;
    if session.start - now >= policies.cancellation_notice() {
        return Ok(SessionStatus::Cancelled);
    }
    Ok(match by {
        CancelledBy::Student => SessionStatus::LateCancelledByStudent,
        CancelledBy::Mentor => SessionStatus::LateCancelledByMentor,
    })
}

/// What the mentor records after the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Completed,
    StudentNoShow,
}

impl Outcome {
    pub const ALL: [Outcome; 2] = [Outcome::Completed, Outcome::StudentNoShow];
}

/// RULES.md, Sessions: "After the start, the mentor records the outcome: `completed` or
/// `student_no_show` (the student did not come within the first third of the session)", so a
/// no-show is recorded only once that first third has passed. Returns the session's new state.
pub fn record_outcome(
    session: &SessionSlot,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<SessionStatus, SessionRefusal> {
    if session.status != SessionStatus::Scheduled {
        return Err(SessionRefusal::NotScheduled {
            status: session.status,
        });
    }
    if now < session.start {
        return Err(SessionRefusal::NotStarted);
    }
    match outcome {
        Outcome::Completed => Ok(SessionStatus::Completed),
        Outcome::StudentNoShow => {
            let from = session.start + session.length.duration() / 3;
            if now < from {
                Err(SessionRefusal::NoShowTooEarly { from })
            } else {
                Ok(SessionStatus::StudentNoShow)
            }
        }
    }
}

/// RULES.md, Sessions: notes (a summary the student sees, an optional private note) are written
/// for a session whose outcome is recorded; the summary is required.
pub fn check_notes(status: SessionStatus, summary: &str) -> Result<(), SessionRefusal> {
    if !matches!(
        status,
        SessionStatus::Completed | SessionStatus::StudentNoShow
    ) {
        return Err(SessionRefusal::NotesNeedAnOutcome { status });
    }
    if summary.trim().is_empty() {
        return Err(SessionRefusal::SummaryRequired);
    }
    Ok(())
}

/// RULES.md, Sessions: "Notes are due by the end of the local day (mentor's time zone) on which
/// the session ends *(policy)*": the instant they become late. `end` is the session's end (a
/// session from 23:30 to 00:30 ends on the next day, and its notes are due at the end of that day).
pub fn notes_due_at(end: DateTime<Utc>, mentor_zone: Tz, policies: &Policies) -> DateTime<Utc> {
    let due_day = local_date(end, mentor_zone)
        .checked_add_days(Days::new(u64::from(policies.notes_grace_days) + 1))
        .unwrap_or(chrono::NaiveDate::MAX);
    start_of_day(due_day, mentor_zone)
}

/// RULES.md, Sessions: "late notes are flagged to the mentor's manager". `end` is the session's end.
pub fn notes_are_late(
    end: DateTime<Utc>,
    written_at: DateTime<Utc>,
    mentor_zone: Tz,
    policies: &Policies,
) -> bool {
    written_at >= notes_due_at(end, mentor_zone, policies)
}

/// RULES.md, Sessions: "a completed session needs notes to be payable"; other final states are
/// payable as soon as they are recorded; a scheduled one is not.
pub fn is_payable(status: SessionStatus, notes_recorded: bool) -> bool {
    match status {
        SessionStatus::Scheduled | SessionStatus::Rescheduled => false,
        SessionStatus::Completed => notes_recorded,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::Refusal;
    use chrono_tz::Europe::Paris;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    const MENTOR: u128 = 100;

    fn student() -> StudentCalendar {
        StudentCalendar {
            id: id(1),
            zone: Paris,
            allowed_weekdays: AllowedWeekdays::new([Weekday::Mon, Weekday::Wed]).unwrap(),
            session_length: SessionLength::Minutes45,
        }
    }

    fn slot(n: u128, student: u128, start: &str, status: SessionStatus) -> SessionSlot {
        SessionSlot {
            id: id(n),
            student_id: id(student),
            start: at(start),
            length: SessionLength::Minutes60,
            status,
        }
    }

    fn facts<'a>(
        student: &'a StudentCalendar,
        student_sessions: &'a [SessionSlot],
        mentor_sessions: &'a [SessionSlot],
        absences: &'a [Absence],
    ) -> BookingFacts<'a> {
        BookingFacts {
            student,
            mentor_id: id(MENTOR),
            mentor_status: MentorStatus::Active,
            mentor_zone: Paris,
            assigned_mentor: Some(id(MENTOR)),
            student_sessions,
            mentor_sessions,
            mentor_absences: absences,
            now: at("2026-06-01T08:00:00Z"),
        }
    }

    fn codes(result: Result<(), Vec<BookingRefusal>>) -> Vec<&'static str> {
        result
            .err()
            .unwrap_or_default()
            .iter()
            .map(Refusal::code)
            .collect()
    }

    // 2026-06-03 is a Wednesday.
    const WEDNESDAY: &str = "2026-06-03T16:00:00Z";

    #[test]
    fn a_valid_booking_passes() {
        let student = student();
        let proposal = ProposedSession {
            start: at(WEDNESDAY),
            replaces: None,
        };
        assert_eq!(
            validate_booking(&proposal, &facts(&student, &[], &[], &[])),
            Ok(())
        );
    }

    #[test]
    fn every_broken_rule_is_reported() {
        let student = student();
        let taken = [slot(7, 1, "2026-06-01T09:00:00Z", SessionStatus::Completed)];
        let busy = [slot(8, 2, "2026-06-04T16:30:00Z", SessionStatus::Scheduled)];
        let absences = [Absence {
            id: id(9),
            first_day: "2026-06-04".parse().unwrap(),
            last_day: "2026-06-05".parse().unwrap(),
        }];
        let mut f = facts(&student, &taken, &busy, &absences);
        f.assigned_mentor = None;
        f.mentor_status = MentorStatus::Suspended;
        f.now = at("2026-06-05T00:00:00Z");
        // Thursday 2026-06-04 in the same week as the completed Monday session.
        let proposal = ProposedSession {
            start: at("2026-06-04T16:00:00Z"),
            replaces: None,
        };
        assert_eq!(
            codes(validate_booking(&proposal, &f)),
            [
                "not_assigned",
                "mentor_not_active",
                "in_the_past",
                "weekday_not_allowed",
                "week_already_taken",
                "overlaps_other_session",
                "mentor_absent"
            ]
        );
    }

    #[test]
    fn a_freed_week_can_be_booked_again() {
        let student = student();
        for (status, taken) in [
            (SessionStatus::Cancelled, false),
            (SessionStatus::LateCancelledByMentor, false),
            (SessionStatus::LateCancelledByStudent, true),
            (SessionStatus::StudentNoShow, true),
            (SessionStatus::Scheduled, true),
        ] {
            let sessions = [slot(7, 1, "2026-06-01T09:00:00Z", status)];
            let proposal = ProposedSession {
                start: at(WEDNESDAY),
                replaces: None,
            };
            let result = validate_booking(&proposal, &facts(&student, &sessions, &[], &[]));
            assert_eq!(codes(result) == ["week_already_taken"], taken, "{status:?}");
        }
    }

    #[test]
    fn rescheduling_does_not_conflict_with_itself() {
        let student = student();
        let own = [slot(7, 1, "2026-06-01T09:00:00Z", SessionStatus::Scheduled)];
        let proposal = ProposedSession {
            start: at(WEDNESDAY),
            replaces: Some(id(7)),
        };
        assert_eq!(
            validate_booking(&proposal, &facts(&student, &own, &own, &[])),
            Ok(())
        );
    }

    #[test]
    fn back_to_back_sessions_do_not_overlap() {
        let student = student();
        // 45-minute session at 16:00 ends when the other starts at 16:45; one ending at 16:00 too.
        let mentor = [
            slot(8, 2, "2026-06-03T16:45:00Z", SessionStatus::Scheduled),
            slot(9, 3, "2026-06-03T15:00:00Z", SessionStatus::Scheduled),
            slot(10, 4, "2026-06-03T16:30:00Z", SessionStatus::Cancelled),
        ];
        let proposal = ProposedSession {
            start: at(WEDNESDAY),
            replaces: None,
        };
        assert_eq!(
            validate_booking(&proposal, &facts(&student, &[], &mentor, &[])),
            Ok(())
        );
    }

    #[test]
    fn cancellations_are_on_time_from_24_hours_before() {
        let session = slot(1, 1, "2026-06-03T16:00:00Z", SessionStatus::Scheduled);
        let policies = Policies::default();
        let classify = |now: &str, by| classify_cancellation(&session, by, at(now), &policies);
        assert_eq!(
            classify("2026-06-02T16:00:00Z", CancelledBy::Student),
            Ok(SessionStatus::Cancelled)
        );
        assert_eq!(
            classify("2026-06-02T16:00:01Z", CancelledBy::Student),
            Ok(SessionStatus::LateCancelledByStudent)
        );
        assert_eq!(
            classify("2026-06-03T15:59:59Z", CancelledBy::Mentor),
            Ok(SessionStatus::LateCancelledByMentor)
        );
        assert_eq!(
            classify("2026-06-03T16:00:00Z", CancelledBy::Mentor),
            Err(SessionRefusal::AlreadyStarted)
        );
        let done = SessionSlot {
            status: SessionStatus::Completed,
            ..session
        };
        assert!(matches!(
            classify_cancellation(
                &done,
                CancelledBy::Mentor,
                at("2026-06-01T00:00:00Z"),
                &policies
            ),
            Err(SessionRefusal::NotScheduled { .. })
        ));
        assert_eq!(CancelledBy::for_role(Role::Manager), None);
    }

    #[test]
    fn outcomes_are_recorded_after_the_start() {
        let session = slot(1, 1, "2026-06-03T16:00:00Z", SessionStatus::Scheduled);
        assert_eq!(
            record_outcome(&session, Outcome::Completed, at("2026-06-03T15:59:00Z")),
            Err(SessionRefusal::NotStarted)
        );
        assert_eq!(
            record_outcome(&session, Outcome::Completed, at("2026-06-03T16:00:00Z")),
            Ok(SessionStatus::Completed)
        );
        // A 60-minute session: no-show from 20 minutes in.
        assert!(matches!(
            record_outcome(&session, Outcome::StudentNoShow, at("2026-06-03T16:19:59Z")),
            Err(SessionRefusal::NoShowTooEarly { .. })
        ));
        assert_eq!(
            record_outcome(&session, Outcome::StudentNoShow, at("2026-06-03T16:20:00Z")),
            Ok(SessionStatus::StudentNoShow)
        );
    }

    #[test]
    fn notes_are_due_by_the_end_of_the_sessions_day_in_the_mentors_zone() {
        let policies = Policies::default();
        // A session ending at 21:30 UTC on 3 June (23:30 in Paris): notes are due at Paris
        // midnight, 22:00 UTC.
        let end = at("2026-06-03T21:30:00Z");
        assert_eq!(
            notes_due_at(end, Paris, &policies),
            at("2026-06-03T22:00:00Z")
        );
        assert!(!notes_are_late(
            end,
            at("2026-06-03T21:59:59Z"),
            Paris,
            &policies
        ));
        assert!(notes_are_late(
            end,
            at("2026-06-03T22:00:00Z"),
            Paris,
            &policies
        ));
        // The same instant is still 2 June in Los Angeles.
        let la = chrono_tz::America::Los_Angeles;
        assert_eq!(notes_due_at(end, la, &policies), at("2026-06-04T07:00:00Z"));
        // Started at 23:30 on 3 June in Paris, ended at 00:30 on the 4th: due at the end of the 4th.
        assert_eq!(
            notes_due_at(at("2026-06-03T22:30:00Z"), Paris, &policies),
            at("2026-06-04T22:00:00Z")
        );
        // Ending exactly at midnight, it ends on the 4th: the day of its end instant.
        assert_eq!(
            notes_due_at(at("2026-06-03T22:00:00Z"), Paris, &policies),
            at("2026-06-04T22:00:00Z")
        );
        assert_eq!(
            check_notes(SessionStatus::Completed, "  "),
            Err(SessionRefusal::SummaryRequired)
        );
        assert!(check_notes(SessionStatus::Scheduled, "ok").is_err());
        assert!(is_payable(SessionStatus::StudentNoShow, false));
        assert!(!is_payable(SessionStatus::Completed, false));
    }

    #[test]
    fn lengths_are_30_45_or_60_minutes() {
        assert_eq!(
            SessionLength::from_minutes(45),
            Ok(SessionLength::Minutes45)
        );
        assert!(SessionLength::from_minutes(50).is_err());
        assert!(serde_json::from_str::<SessionLength>("90").is_err());
        assert_eq!(
            serde_json::to_string(&SessionStatus::LateCancelledByStudent).unwrap(),
            "\"late_cancelled_by_student\""
        );
    }
}
