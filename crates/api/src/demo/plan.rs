//! When each thing of the demo program happens. The program is dated from the day it is seeded
//! (`today`): mentors were onboarded about seven months ago, students enrolled nine weeks ago,
//! and the last eight weeks hold their sessions; next week's are booked. What an act leads to
//! (a booked session's outcome, an issued statement's approval) is planned when it is done.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use mentorship_domain::mentors::{DocumentKind, MentorStatus};
use mentorship_domain::reports::{ReportCategory, ReportStatus, Severity};
use mentorship_domain::sessions::{CancelledBy, Outcome};
use mentorship_domain::statements::StatementMonth;

use super::cast::{
    CastMentor, DEMO_STUDENT, MENTORS, REASSIGNED_FROM, REASSIGNED_TO, STUDENT_ZONES, Stage,
    UNASSIGNED_STUDENTS, student_identity,
};

/// The platform's zone, in which the demo's days are counted.
pub const PARIS: Tz = chrono_tz::Europe::Paris;

/// The weeks of history before the current one.
pub const HISTORY_WEEKS: i32 = 8;

/// The program's dates, counted in weeks from the Monday of the week it is seeded in.
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    pub today: DateTime<Utc>,
    monday: NaiveDate,
}

impl Calendar {
    pub fn new(today: DateTime<Utc>) -> Self {
        let local = today.with_timezone(&PARIS).date_naive();
        let monday = local - Duration::days(i64::from(local.weekday().num_days_from_monday()));
        Calendar { today, monday }
    }

    /// The Monday of week `week` (0: this week, -1: last week).
    pub fn monday(&self, week: i32) -> NaiveDate {
        self.monday + Duration::weeks(i64::from(week))
    }

    /// The instant of `hour:minute` on `day` in `zone` (hours the demo uses always exist).
    pub fn at(day: NaiveDate, hour: u32, minute: u32, zone: Tz) -> DateTime<Utc> {
        let local = day.and_hms_opt(hour, minute, 0).unwrap_or_default();
        zone.from_local_datetime(&local)
            .earliest()
            .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
    }

    /// `hour:00` in Paris, `days` after the Monday of `week`.
    pub fn day(&self, week: i32, days: i64, hour: u32) -> DateTime<Utc> {
        Self::at(self.monday(week) + Duration::days(days), hour, 0, PARIS)
    }

    /// When the program started: the founding mentors applied then.
    pub fn founding(&self) -> DateTime<Utc> {
        self.day(-30, 0, 9)
    }

    /// `ago` before today.
    pub fn ago(&self, ago: Duration) -> DateTime<Utc> {
        self.today - ago
    }
}

/// One thing that happens in the program, by whom it is done decided when it is done.
#[derive(Debug, Clone)]
pub enum Act {
    /// The staff accounts and the catalog.
    Found,
    Apply {
        mentor: usize,
    },
    Accept {
        mentor: usize,
    },
    RejectApplication {
        mentor: usize,
    },
    SendDocument {
        mentor: usize,
        kind: DocumentKind,
    },
    Review {
        mentor: usize,
        kind: DocumentKind,
        verify: bool,
    },
    Sign {
        mentor: usize,
    },
    OpenPlaces {
        mentor: usize,
        places: u32,
    },
    /// Staff suspend or offboard an active mentor.
    Move {
        mentor: usize,
        to: MentorStatus,
    },
    RequestPath {
        mentor: usize,
        path: usize,
    },
    DecidePath {
        mentor: usize,
        approve: bool,
    },
    Enroll {
        student: usize,
    },
    Assign {
        student: usize,
        mentor: usize,
    },
    Book {
        student: usize,
        week: i32,
    },
    Reschedule {
        student: usize,
        week: i32,
        to: DateTime<Utc>,
    },
    Cancel {
        student: usize,
        week: i32,
        side: CancelledBy,
    },
    RecordOutcome {
        student: usize,
        week: i32,
        outcome: Outcome,
    },
    WriteNotes {
        student: usize,
        week: i32,
    },
    DeclareAbsence {
        mentor: usize,
        first_day: NaiveDate,
        last_day: NaiveDate,
    },
    WithdrawAbsence {
        mentor: usize,
    },
    FileReport {
        report: usize,
    },
    AdvanceReport {
        report: usize,
        to: ReportStatus,
    },
    IssueMonth {
        month: StatementMonth,
        /// A teaching mentor whose statement of the month is left to issue by hand.
        held: Option<usize>,
    },
    Approve {
        statement: usize,
    },
    Dispute {
        statement: usize,
    },
    Pay {
        statement: usize,
    },
}

/// The acts to do, in the order of their instants (ties: the order they were planned in).
#[derive(Default)]
pub struct Agenda {
    queue: BinaryHeap<Reverse<(DateTime<Utc>, u64)>>,
    acts: Vec<Option<Act>>,
}

impl Agenda {
    pub fn plan(&mut self, at: DateTime<Utc>, act: Act) {
        let seq = self.acts.len() as u64;
        self.acts.push(Some(act));
        self.queue.push(Reverse((at, seq)));
    }

    pub fn next(&mut self) -> Option<(DateTime<Utc>, Act)> {
        let Reverse((at, seq)) = self.queue.pop()?;
        let act = self.acts.get_mut(usize::try_from(seq).ok()?)?.take()?;
        Some((at, act))
    }
}

/// A student of the demo program.
#[derive(Debug, Clone)]
pub struct CastStudent {
    pub name: String,
    pub email: String,
    /// Index in `MENTORS` of the mentor first assigned, if any.
    pub mentor: Option<usize>,
    /// Their weekly slot with that mentor: weekday `slot % 5` from Monday, at `10 + 2 *
    /// (slot / 5)` o'clock in the mentor's zone.
    pub slot: usize,
    pub path: usize,
    pub zone: &'static str,
    pub minutes: u16,
    pub weekdays: Option<Vec<Weekday>>,
    /// Index of their current project on the path.
    pub project: usize,
    /// Enrolled yesterday with an invitation they have not accepted: no password yet.
    pub invited: bool,
}

/// The students: each teaching mentor's, the one who changes mentor, then those waiting.
pub fn students() -> Vec<CastStudent> {
    let mut all = Vec::new();
    for (m, mentor) in MENTORS.iter().enumerate() {
        for slot in 0..mentor.students {
            all.push(student(all.len(), Some(m), slot, mentor.path));
        }
    }
    let from = &MENTORS[REASSIGNED_FROM];
    all.push(student(all.len(), Some(REASSIGNED_FROM), 6, from.path));
    for _ in 0..UNASSIGNED_STUDENTS {
        all.push(student(all.len(), None, 0, all.len() % 3));
    }
    if let Some(last) = all.last_mut() {
        last.invited = true;
    }
    all
}

fn student(n: usize, mentor: Option<usize>, slot: usize, path: usize) -> CastStudent {
    let (name, email) = if n == 0 {
        (DEMO_STUDENT.name.to_owned(), DEMO_STUDENT.email.to_owned())
    } else {
        student_identity(n)
    };
    // Some students' funding allows only some days: their slot is on one of them.
    let weekdays = match slot % 5 {
        1 if slot < 5 => Some(vec![Weekday::Tue, Weekday::Thu]),
        4 => Some(vec![
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ]),
        _ => None,
    };
    CastStudent {
        name,
        email,
        mentor,
        slot,
        path,
        zone: STUDENT_ZONES[n % STUDENT_ZONES.len()],
        minutes: [45, 60, 30, 45][n % 4],
        weekdays,
        project: n % 3,
        invited: false,
    }
}

/// The start of a student's session in `week` with `mentor`.
pub fn slot_start(
    calendar: &Calendar,
    mentor: &CastMentor,
    slot: usize,
    week: i32,
) -> DateTime<Utc> {
    let zone: Tz = mentor.zone.parse().unwrap_or(PARIS);
    let weekday = (slot % 5) as i64;
    let hour = 10 + 2 * u32::try_from(slot / 5).unwrap_or(0);
    Calendar::at(
        calendar.monday(week) + Duration::days(weekday),
        hour,
        0,
        zone,
    )
}

/// Sessions are booked this long before they start (so a student may still cancel in time).
pub const BOOKED_AHEAD: Duration = Duration::days(4);

/// The absence the demo mentor declared for the week after next, with a session inside.
pub const DEMO_MENTOR_ABSENT_WEEK: i32 = 2;
/// The absence of the third mentor, five weeks ago: no sessions that week.
pub const PAST_ABSENCE_WEEK: i32 = -5;

/// The acts known from the start: onboarding, enrollment, the weekly bookings, absences,
/// reports, path requests and each month's statements.
pub fn opening(calendar: &Calendar, students: &[CastStudent]) -> Agenda {
    let mut agenda = Agenda::default();
    agenda.plan(calendar.founding() - Duration::hours(1), Act::Found);
    for (m, mentor) in MENTORS.iter().enumerate() {
        onboarding(&mut agenda, calendar, m, mentor);
    }
    for (s, student) in students.iter().enumerate() {
        enrollment(&mut agenda, calendar, s, student);
        weekly_bookings(&mut agenda, calendar, s, student);
    }
    absences(&mut agenda, calendar);
    path_requests(&mut agenda, calendar);
    for (report, plan) in REPORTS.iter().enumerate() {
        let filed = calendar.ago(plan.filed_ago);
        agenda.plan(filed, Act::FileReport { report });
        for (after, to) in plan.moves {
            agenda.plan(filed + *after, Act::AdvanceReport { report, to: *to });
        }
    }
    statements(&mut agenda, calendar);
    agenda
}

fn onboarding(agenda: &mut Agenda, calendar: &Calendar, m: usize, mentor: &CastMentor) {
    let minutes = Duration::minutes(i64::try_from(m).unwrap_or(0) * 7);
    let applied = match mentor.stage {
        Stage::Teaching if mentor.referred => calendar.day(-11, 0, 10) + minutes,
        Stage::Teaching | Stage::Suspended | Stage::Offboarded => calendar.founding() + minutes,
        Stage::Applied => calendar.ago(Duration::days(2)) + minutes,
        Stage::Ineligible => calendar.ago(Duration::days(5)),
        Stage::Rejected => calendar.ago(Duration::days(20)),
        Stage::SendingDocuments => calendar.day(-3, 0, 11),
        Stage::ContractReady => calendar.day(-4, 0, 11),
    };
    agenda.plan(applied, Act::Apply { mentor: m });
    let day = |n: i64| applied + Duration::days(n);
    match mentor.stage {
        Stage::Applied | Stage::Ineligible => return,
        Stage::Rejected => {
            agenda.plan(day(2), Act::RejectApplication { mentor: m });
            return;
        }
        _ => agenda.plan(day(1), Act::Accept { mentor: m }),
    }
    if mentor.stage == Stage::SendingDocuments {
        let sent = [
            DocumentKind::Identity,
            DocumentKind::CriminalRecord,
            DocumentKind::Diploma,
        ];
        for kind in sent {
            agenda.plan(day(2), Act::SendDocument { mentor: m, kind });
        }
        let kind = DocumentKind::Diploma;
        agenda.plan(
            day(3),
            Act::Review {
                mentor: m,
                kind,
                verify: false,
            },
        );
        return;
    }
    for kind in DocumentKind::ALL {
        agenda.plan(day(2), Act::SendDocument { mentor: m, kind });
        agenda.plan(
            day(3),
            Act::Review {
                mentor: m,
                kind,
                verify: true,
            },
        );
    }
    if mentor.stage == Stage::ContractReady {
        return;
    }
    agenda.plan(day(4), Act::Sign { mentor: m });
    // The mentor who changes students takes one more for a while.
    let extra = usize::from(m == REASSIGNED_FROM || m == REASSIGNED_TO);
    let places = match mentor.stage {
        Stage::Teaching => u32::try_from(mentor.students + extra).unwrap_or(0) + 1,
        _ => 4,
    };
    agenda.plan(
        day(4) + Duration::hours(1),
        Act::OpenPlaces { mentor: m, places },
    );
    match mentor.stage {
        Stage::Suspended => {
            let to = MentorStatus::Suspended;
            agenda.plan(
                calendar.ago(Duration::days(10)),
                Act::Move { mentor: m, to },
            );
        }
        Stage::Offboarded => {
            let to = MentorStatus::Offboarded;
            agenda.plan(calendar.day(-12, 2, 16), Act::Move { mentor: m, to });
        }
        _ => {}
    }
}

fn enrollment(agenda: &mut Agenda, calendar: &Calendar, s: usize, student: &CastStudent) {
    let Some(mentor) = student.mentor else {
        let days = if student.invited { 1 } else { 3 };
        agenda.plan(
            calendar.ago(Duration::days(days)),
            Act::Enroll { student: s },
        );
        return;
    };
    let enrolled =
        calendar.day(-HISTORY_WEEKS - 1, 1, 10) + Duration::minutes(i64::try_from(s).unwrap_or(0));
    agenda.plan(enrolled, Act::Enroll { student: s });
    agenda.plan(
        enrolled + Duration::hours(2),
        Act::Assign { student: s, mentor },
    );
    if mentor == REASSIGNED_FROM && student.slot == 6 {
        let moved = reassignment(calendar, student);
        agenda.plan(
            moved,
            Act::Assign {
                student: s,
                mentor: REASSIGNED_TO,
            },
        );
    }
}

/// When the student who changes mentor does: before their session of four weeks ago is booked.
fn reassignment(calendar: &Calendar, student: &CastStudent) -> DateTime<Utc> {
    slot_start(calendar, &MENTORS[REASSIGNED_TO], student.slot, -4)
        - BOOKED_AHEAD
        - Duration::hours(1)
}

/// The mentor of a student in a week (the one who changes mentor does so four weeks ago).
pub fn mentor_in_week(student: &CastStudent, week: i32) -> Option<usize> {
    match student.mentor {
        Some(REASSIGNED_FROM) if student.slot == 6 && week >= -4 => Some(REASSIGNED_TO),
        other => other,
    }
}

fn weekly_bookings(agenda: &mut Agenda, calendar: &Calendar, s: usize, student: &CastStudent) {
    for week in -HISTORY_WEEKS..=1 {
        let Some(m) = mentor_in_week(student, week) else {
            return;
        };
        if m == REASSIGNED_FROM && week == PAST_ABSENCE_WEEK {
            continue;
        }
        let start = slot_start(calendar, &MENTORS[m], student.slot, week);
        let booked = (start - BOOKED_AHEAD).min(calendar.ago(Duration::hours(4)));
        agenda.plan(booked, Act::Book { student: s, week });
    }
    if s == 0 {
        // The demo student's session inside the demo mentor's coming absence.
        let booked = calendar.ago(Duration::hours(3));
        agenda.plan(
            booked,
            Act::Book {
                student: s,
                week: DEMO_MENTOR_ABSENT_WEEK,
            },
        );
        // And next week's, moved to the next afternoon (clear of the mentor's other slots).
        let start = slot_start(calendar, &MENTORS[0], student.slot, 1);
        let to = start + Duration::days(1) + Duration::hours(5);
        agenda.plan(
            calendar.ago(Duration::hours(2)),
            Act::Reschedule {
                student: s,
                week: 1,
                to,
            },
        );
    }
}

fn absences(agenda: &mut Agenda, calendar: &Calendar) {
    // Five weeks ago, declared two weeks ahead: Monday to Friday.
    agenda.plan(
        calendar.day(PAST_ABSENCE_WEEK - 2, 1, 9),
        Act::DeclareAbsence {
            mentor: REASSIGNED_FROM,
            first_day: calendar.monday(PAST_ABSENCE_WEEK),
            last_day: calendar.monday(PAST_ABSENCE_WEEK) + Duration::days(4),
        },
    );
    // The demo mentor's coming absence, after a session was booked inside it.
    let first_day = calendar.monday(DEMO_MENTOR_ABSENT_WEEK);
    agenda.plan(
        calendar.ago(Duration::hours(2)) + Duration::minutes(30),
        Act::DeclareAbsence {
            mentor: 0,
            first_day,
            last_day: first_day + Duration::days(2),
        },
    );
    // One declared and withdrawn again (the fifth mentor, three weeks ago).
    let first_day = calendar.monday(-1) + Duration::days(3);
    agenda.plan(
        calendar.day(-4, 2, 9),
        Act::DeclareAbsence {
            mentor: 4,
            first_day,
            last_day: first_day + Duration::days(1),
        },
    );
    agenda.plan(calendar.day(-3, 0, 9), Act::WithdrawAbsence { mentor: 4 });
}

/// Decided path requests: the week asked, the mentor, the path, and how many days later a
/// manager approved (`true`) or declined it. Two other mentors' requests, made in the last
/// days, wait.
const PATH_REQUESTS: [(i32, usize, usize, i64, bool); 2] =
    [(-10, 3, 0, 1, true), (-6, 4, 0, 2, false)];

fn path_requests(agenda: &mut Agenda, calendar: &Calendar) {
    for (week, mentor, path, days, approve) in PATH_REQUESTS {
        agenda.plan(calendar.day(week, 0, 11), Act::RequestPath { mentor, path });
        agenda.plan(
            calendar.day(week, days, 11),
            Act::DecidePath { mentor, approve },
        );
    }
    agenda.plan(
        calendar.ago(Duration::days(1)),
        Act::RequestPath { mentor: 1, path: 1 },
    );
    agenda.plan(
        calendar.ago(Duration::days(2)),
        Act::RequestPath { mentor: 2, path: 2 },
    );
}

/// What happens to a session once booked: most are held, with notes; some are cancelled in
/// time or late by either side, or the student does not come; notes are sometimes late, and
/// the most recent are sometimes not written yet; of the last week's, some still wait for
/// their outcome (a mentor records it later, which the rules allow). The same every run.
pub fn after_booking(
    agenda: &mut Agenda,
    calendar: &Calendar,
    s: usize,
    week: i32,
    start: DateTime<Utc>,
    minutes: u16,
) {
    if week == DEMO_MENTOR_ABSENT_WEEK {
        return;
    }
    let end = start + Duration::minutes(i64::from(minutes));
    let roll = fate(s, week);
    let mut plan = |at: DateTime<Utc>, act: Act| {
        if at < calendar.today {
            agenda.plan(at, act);
        }
    };
    match roll {
        0..=5 => plan(
            start - Duration::days(2),
            cancel(s, week, CancelledBy::Student),
        ),
        6..=9 => plan(
            start - Duration::hours(5),
            cancel(s, week, CancelledBy::Student),
        ),
        10..=11 => plan(
            start - Duration::hours(3),
            cancel(s, week, CancelledBy::Mentor),
        ),
        12..=17 => plan(
            end + Duration::minutes(10),
            Act::RecordOutcome {
                student: s,
                week,
                outcome: Outcome::StudentNoShow,
            },
        ),
        _ if calendar.today - end < Duration::days(7) && roll % 6 == 5 => {}
        _ => {
            let outcome = Outcome::Completed;
            plan(
                end + Duration::minutes(10),
                Act::RecordOutcome {
                    student: s,
                    week,
                    outcome,
                },
            );
            let written = match roll {
                18..=27 => end + Duration::hours(26),
                _ => end + Duration::minutes(40),
            };
            // Some of the last two days' notes are still to write.
            let pending = calendar.today - end < Duration::days(2) && roll.is_multiple_of(3);
            if !pending {
                plan(written, Act::WriteNotes { student: s, week });
            }
        }
    }
}

fn cancel(student: usize, week: i32, side: CancelledBy) -> Act {
    Act::Cancel {
        student,
        week,
        side,
    }
}

/// A number 0..100 for a student's week, spread evenly and the same every run.
fn fate(s: usize, week: i32) -> u64 {
    let s = s as u64;
    let w = u64::from((week + 50).unsigned_abs());
    (s.wrapping_mul(2_654_435_761) ^ w.wrapping_mul(40_503)).wrapping_mul(97) % 100
}

/// A difficulty report: who about whom, and how managers moved it.
pub struct ReportPlan {
    pub mentor: usize,
    /// Index of the student among that mentor's.
    pub slot: usize,
    pub category: ReportCategory,
    pub severity: Severity,
    pub body: &'static str,
    pub filed_ago: Duration,
    pub moves: &'static [(Duration, ReportStatus)],
}

pub const REPORTS: [ReportPlan; 4] = [
    ReportPlan {
        mentor: 0,
        slot: 1,
        category: ReportCategory::Attendance,
        severity: Severity::High,
        body: "Missed two sessions without a word; not answering messages.",
        filed_ago: Duration::days(4),
        moves: &[],
    },
    ReportPlan {
        mentor: 1,
        slot: 2,
        category: ReportCategory::Technical,
        severity: Severity::Medium,
        body: "Cannot install the toolchain on a work laptop; blocked on the first project.",
        filed_ago: Duration::days(25),
        moves: &[(Duration::days(1), ReportStatus::Acknowledged)],
    },
    ReportPlan {
        mentor: 2,
        slot: 0,
        category: ReportCategory::Funding,
        severity: Severity::Low,
        body: "Funding ends next month; wants to know whether the path can be finished by then.",
        filed_ago: Duration::days(45),
        moves: &[
            (Duration::days(1), ReportStatus::Acknowledged),
            (Duration::days(6), ReportStatus::Resolved),
        ],
    },
    ReportPlan {
        mentor: 3,
        slot: 3,
        category: ReportCategory::Motivation,
        severity: Severity::Medium,
        body: "Losing motivation since the project was rejected twice.",
        filed_ago: Duration::days(1),
        moves: &[],
    },
];

/// The teaching mentor whose statement of the last month over is not issued yet: the screen
/// that issues one mentor's statement has one to issue.
pub const HELD_STATEMENT: usize = 1;

/// Every month the history covers that is over: its statements are issued on the 2nd at 9:00
/// (or just before today, when that is later), but the last issued one's of [`HELD_STATEMENT`].
fn statements(agenda: &mut Agenda, calendar: &Calendar) {
    let first = StatementMonth::of(calendar.day(-HISTORY_WEEKS, 0, 9), PARIS);
    let current = StatementMonth::of(calendar.today, PARIS);
    let mut month = first;
    let mut issues = Vec::new();
    while month != current {
        let over = Calendar::at(month.next().first_day(), 0, 0, PARIS);
        let issued = (over + Duration::days(1) + Duration::hours(9))
            .min(calendar.ago(Duration::minutes(50)));
        if issued > over {
            issues.push((issued, month));
        }
        month = month.next();
    }
    let last = issues.len().saturating_sub(1);
    for (n, (issued, month)) in issues.into_iter().enumerate() {
        let held = (n == last).then_some(HELD_STATEMENT);
        agenda.plan(issued, Act::IssueMonth { month, held });
    }
}

/// What becomes of the `n`-th statement issued: left issued, disputed, approved, or approved
/// and paid, in turn (a month's statements are at least four: each state is there).
pub fn after_issue(agenda: &mut Agenda, calendar: &Calendar, n: usize, issued_at: DateTime<Utc>) {
    let by = |days: i64, minutes: i64| {
        (issued_at + Duration::days(days)).min(calendar.ago(Duration::minutes(minutes)))
    };
    match n % 4 {
        0 => {}
        1 => agenda.plan(by(2, 30), Act::Dispute { statement: n }),
        2 => agenda.plan(by(1, 40), Act::Approve { statement: n }),
        _ => {
            agenda.plan(by(1, 40), Act::Approve { statement: n });
            agenda.plan(by(8, 20), Act::Pay { statement: n });
        }
    }
}
