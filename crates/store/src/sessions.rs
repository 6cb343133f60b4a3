//! Weekly sessions (RULES.md, "Sessions"): booking, rescheduling, cancelling, the outcome and the
//! notes, the lists, the reminders.
//!
//! One session per student per ISO week (in the student's zone) is the database's to keep: a
//! unique index on `(student_id, week)` over the statuses that take the week. A booking locks
//! the student, then the mentor (so the mentor's overlaps are decided on what the previous
//! booking committed), lets the domain decide, and inserts with `ON CONFLICT DO NOTHING`: a
//! booking that lost the week to a concurrent one learns it from the index, and names the
//! session that holds the week.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SubsecRound, Utc};
use chrono_tz::Tz;
use mentorship_domain::events::{Event, SessionFacts, Step};
use mentorship_domain::money::Money;
use mentorship_domain::people::Role;
use mentorship_domain::policy::Policies;
use mentorship_domain::sessions::{
    BookingFacts, BookingRefusal, CancelledBy, Outcome, ProposedSession, SessionLength,
    SessionSlot, SessionStatus, StudentCalendar, check_changeable, check_notes,
    classify_cancellation, notes_are_late, notes_due_at, record_outcome, validate_booking,
};
use mentorship_domain::students::StudentRefusal;
use mentorship_domain::weeks::WeekKey;
use serde::Serialize;
use uuid::Uuid;

use crate::db::{Query, Tx, query};
use crate::mentors::{Mentor, enum_from};
use crate::record::{self, Change, Record, versioned_fields};
use crate::students::Student;
use crate::{Page, PageRequest, Store, StoreError};
use crate::{absences, policies, rates, referrals};

/// A session as stored, with the names and zones of its two people (and the mentor's manager),
/// which its messages and views need.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub student_id: Uuid,
    pub mentor_id: Uuid,
    pub project_id: Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub length: SessionLength,
    pub week: WeekKey,
    pub status: SessionStatus,
    /// The session this one was rescheduled from.
    pub replaces: Option<Uuid>,
    /// The session that replaced this one (status `rescheduled`).
    pub replaced_by: Option<Uuid>,
    /// When the outcome or the cancellation was recorded.
    pub status_at: Option<DateTime<Utc>>,
    /// The notes' part the student reads.
    pub summary: Option<String>,
    /// The notes' part for staff; students never see it.
    pub private_note: Option<String>,
    /// When the notes were first written.
    pub notes_at: Option<DateTime<Utc>>,
    pub notes_due_at: DateTime<Utc>,
    pub notes_late: bool,
    /// The hourly rate frozen when the outcome (or cancellation) was recorded.
    pub rate: Option<Money>,
    pub booked_by: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub people: SessionPeople,
}

/// The two people of a session, as its messages and views name them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SessionPeople {
    pub student_name: String,
    pub student_zone: String,
    pub mentor_name: String,
    pub mentor_zone: String,
    pub manager_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    id: Uuid,
    student_id: Uuid,
    mentor_id: Uuid,
    project_id: Uuid,
    start_at: DateTime<Utc>,
    end_at: DateTime<Utc>,
    minutes: i64,
    week: String,
    status: String,
    replaces: Option<Uuid>,
    replaced_by: Option<Uuid>,
    status_at: Option<DateTime<Utc>>,
    summary: Option<String>,
    private_note: Option<String>,
    notes_at: Option<DateTime<Utc>>,
    notes_due_at: DateTime<Utc>,
    notes_late: bool,
    rate_cents: Option<i64>,
    booked_by: Option<Uuid>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    student_name: String,
    student_zone: String,
    mentor_name: String,
    mentor_zone: String,
    manager_id: Option<Uuid>,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("session {what}"))
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;
    fn try_from(r: SessionRow) -> Result<Self, StoreError> {
        let minutes = u16::try_from(r.minutes).map_err(|_| corrupt("length"))?;
        Ok(Session {
            id: r.id,
            student_id: r.student_id,
            mentor_id: r.mentor_id,
            project_id: r.project_id,
            start: r.start_at,
            end: r.end_at,
            length: SessionLength::from_minutes(minutes).map_err(|_| corrupt("length"))?,
            week: r.week.parse().map_err(|_| corrupt("week"))?,
            status: enum_from(&r.status)?,
            replaces: r.replaces,
            replaced_by: r.replaced_by,
            status_at: r.status_at,
            summary: r.summary,
            private_note: r.private_note,
            notes_at: r.notes_at,
            notes_due_at: r.notes_due_at,
            notes_late: r.notes_late,
            rate: r
                .rate_cents
                .map(Money::from_cents)
                .transpose()
                .map_err(|_| corrupt("rate"))?,
            booked_by: r.booked_by,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            people: SessionPeople {
                student_name: r.student_name,
                student_zone: r.student_zone,
                mentor_name: r.mentor_name,
                mentor_zone: r.mentor_zone,
                manager_id: r.manager_id,
            },
        })
    }
}

/// Sessions with their people; `$tail` filters and orders.
macro_rules! select_sessions {
    ($tail:expr) => {
        concat!(
            "SELECT s.id, s.student_id, s.mentor_id, s.project_id, s.start_at, s.end_at, s.minutes, \
             s.week, s.status, s.replaces, s.replaced_by, s.status_at, s.summary, s.private_note, \
             s.notes_at, s.notes_due_at, s.notes_late, s.rate_cents, s.booked_by, s.version, s.created_at, \
             s.updated_at, su.name AS student_name, st.time_zone AS student_zone, \
             mu.name AS mentor_name, m.time_zone AS mentor_zone, m.manager_id \
             FROM sessions s JOIN students st ON st.user_id = s.student_id \
             JOIN users su ON su.id = s.student_id \
             JOIN mentors m ON m.user_id = s.mentor_id JOIN users mu ON mu.id = s.mentor_id ",
            $tail
        )
    };
}

/// The statuses that take a student's week, as SQL: those of `SessionStatus::takes_the_week`,
/// and of the unique index `sessions_one_per_week` (a test holds the three together).
macro_rules! taking_the_week {
    () => {
        "('scheduled', 'completed', 'student_no_show', 'late_cancelled_by_student')"
    };
}

impl Record for Session {
    type Row = SessionRow;
    const NAME: &'static str = "session";
    const SELECT: &'static str = select_sessions!("WHERE s.id = $1");
    const LOCK: &'static str = "SELECT id FROM sessions WHERE id = $1 FOR UPDATE";
    const UNIQUE: &'static str = "week";

    versioned_fields!();

    fn update(&self, version: i64) -> Query {
        const SQL: &str = "UPDATE sessions SET status = $2, replaced_by = $3, status_at = $4, \
                           summary = $5, private_note = $6, notes_at = $7, notes_late = $8, \
                           version = $9, updated_at = $10, rate_cents = $12 \
                           WHERE id = $1 AND version = $11";
        query(SQL)
            .bind(self.id)
            .bind(self.status.as_str())
            .bind(self.replaced_by)
            .bind(self.status_at)
            .bind(&self.summary)
            .bind(&self.private_note)
            .bind(self.notes_at)
            .bind(self.notes_late)
            .bind(self.version)
            .bind(self.updated_at)
            .bind(version)
            .bind(self.rate.map(Money::cents))
    }
}

fn zone(name: &str) -> Result<Tz, StoreError> {
    name.parse().map_err(|_| corrupt("zone"))
}

impl Session {
    /// The session as the rules see it.
    pub fn slot(&self) -> SessionSlot {
        SessionSlot {
            id: self.id,
            student_id: self.student_id,
            start: self.start,
            length: self.length,
            status: self.status,
        }
    }

    /// The session as its messages speak of it.
    pub fn facts(&self) -> Result<SessionFacts, StoreError> {
        Ok(SessionFacts {
            session_id: self.id,
            start: self.start,
            minutes: self.length.minutes(),
            mentor_id: self.mentor_id,
            mentor_name: self.people.mentor_name.clone(),
            mentor_zone: zone(&self.people.mentor_zone)?,
            student_id: self.student_id,
            student_name: self.people.student_name.clone(),
            student_zone: zone(&self.people.student_zone)?,
        })
    }

    /// Whether `person` is one of the session's two people.
    pub fn involves(&self, person: Uuid) -> bool {
        self.mentor_id == person || self.student_id == person
    }
}

/// A session to book: with the student's current mentor unless `mentor_id` names one.
#[derive(Debug, Clone, Copy)]
pub struct NewBooking {
    pub student_id: Uuid,
    pub mentor_id: Option<Uuid>,
    pub project_id: Uuid,
    pub start: DateTime<Utc>,
    /// Who books: the mentor, or staff.
    pub by: Uuid,
}

/// Books a session: every rule of `validate_booking` at once, then the database's weekly rule.
/// The other person (both, when staff booked) is told.
pub async fn book(
    store: &Store,
    booking: &NewBooking,
    now: DateTime<Utc>,
) -> Result<Session, StoreError> {
    let mut tx = store.begin().await?;
    let policies = policies::in_force(&mut tx).await?;
    let session = book_in(&mut tx, booking, None, now, &policies).await?;
    let event = Event::SessionBooked {
        session: session.facts()?,
        by: booking.by,
    };
    record::created(
        &mut tx,
        &session,
        "session.booked",
        Some(booking.by),
        &[event],
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}

#[derive(sqlx::FromRow)]
struct SlotRow {
    id: Uuid,
    student_id: Uuid,
    start_at: DateTime<Utc>,
    minutes: i64,
    status: String,
}

impl SlotRow {
    fn slot(&self) -> Result<SessionSlot, StoreError> {
        let minutes = u16::try_from(self.minutes).map_err(|_| corrupt("length"))?;
        Ok(SessionSlot {
            id: self.id,
            student_id: self.student_id,
            start: self.start_at,
            length: SessionLength::from_minutes(minutes).map_err(|_| corrupt("length"))?,
            status: enum_from(&self.status)?,
        })
    }
}

async fn slots(tx: &mut Tx, q: Query) -> Result<Vec<SessionSlot>, StoreError> {
    let rows: Vec<SlotRow> = tx.fetch_all(q).await?;
    rows.iter().map(SlotRow::slot).collect()
}

/// Inserts a session after the domain's checks, under the locks of its student and mentor.
/// `replaces` is the session being rescheduled (already freed of its week).
async fn book_in(
    tx: &mut Tx,
    booking: &NewBooking,
    replaces: Option<Uuid>,
    now: DateTime<Utc>,
    policies: &Policies,
) -> Result<Session, StoreError> {
    const PROJECT_PATH: &str = "SELECT path_id FROM projects WHERE id = $1";
    const STUDENT_WEEK: &str = concat!(
        "SELECT id, student_id, start_at, minutes, status FROM sessions \
         WHERE student_id = $1 AND week = $2 AND status IN ",
        taking_the_week!()
    );
    const MENTOR_OVERLAPS: &str = "SELECT id, student_id, start_at, minutes, status FROM sessions \
         WHERE mentor_id = $1 AND start_at < $3 AND end_at > $2";
    let student: Student = record::lock(tx, booking.student_id).await?;
    let mentor_id = booking
        .mentor_id
        .or(student.mentor_id)
        .ok_or_else(|| StoreError::all_refused(&[BookingRefusal::NotAssigned]))?;
    let mentor: Mentor = record::lock(tx, mentor_id).await?;
    let path: Vec<Uuid> = tx
        .scalars(query(PROJECT_PATH).bind(booking.project_id))
        .await?;
    if path.first() != Some(&student.path_id) {
        return Err(StoreError::all_refused(&[StudentRefusal::ProjectNotOnPath]));
    }
    let calendar = StudentCalendar {
        id: student.id,
        zone: zone(&student.time_zone)?,
        allowed_weekdays: student.allowed_weekdays,
        session_length: student.session_length,
    };
    let mentor_zone = zone(&mentor.time_zone)?;
    // Whole seconds: a start is a time of day, and both databases then keep it exactly.
    let start = booking.start.trunc_subsecs(0);
    let end = start + calendar.session_length.duration();
    let week = WeekKey::of(start, calendar.zone);
    let student_sessions = slots(
        tx,
        query(STUDENT_WEEK).bind(student.id).bind(week.to_string()),
    )
    .await?;
    let mentor_sessions = slots(
        tx,
        query(MENTOR_OVERLAPS).bind(mentor_id).bind(start).bind(end),
    )
    .await?;
    let mentor_absences = absences::around(tx, mentor_id, start, end).await?;
    let facts = BookingFacts {
        student: &calendar,
        mentor_id,
        mentor_status: mentor.status,
        mentor_zone,
        assigned_mentor: student.mentor_id,
        student_sessions: &student_sessions,
        mentor_sessions: &mentor_sessions,
        mentor_absences: &mentor_absences,
        now,
    };
    validate_booking(&ProposedSession { start, replaces }, &facts)
        .map_err(|refusals| StoreError::all_refused(&refusals))?;
    let id = crate::new_id();
    let at = crate::now();
    insert(
        tx,
        &Inserted {
            id,
            student: &student,
            mentor_id,
            project_id: booking.project_id,
            start,
            end,
            length: calendar.session_length,
            week,
            replaces,
            notes_due_at: notes_due_at(end, mentor_zone, policies),
            by: booking.by,
            at,
        },
    )
    .await?;
    record::get(tx, id).await
}

struct Inserted<'a> {
    id: Uuid,
    student: &'a Student,
    mentor_id: Uuid,
    project_id: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    length: SessionLength,
    week: WeekKey,
    replaces: Option<Uuid>,
    notes_due_at: DateTime<Utc>,
    by: Uuid,
    at: DateTime<Utc>,
}

/// Inserts a scheduled session; a week already taken (by a booking the domain could not see,
/// committed in the meantime) is refused naming the session that holds it.
async fn insert(tx: &mut Tx, new: &Inserted<'_>) -> Result<(), StoreError> {
    const INSERT: &str = "INSERT INTO sessions (id, student_id, mentor_id, project_id, start_at, \
         end_at, minutes, week, status, replaces, notes_due_at, booked_by, version, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'scheduled', $9, $10, $11, 1, $12, $12) \
         ON CONFLICT DO NOTHING";
    const HOLDER: &str = concat!(
        "SELECT id FROM sessions WHERE student_id = $1 AND week = $2 AND status IN ",
        taking_the_week!()
    );
    let week = new.week.to_string();
    let inserted = tx
        .execute(
            query(INSERT)
                .bind(new.id)
                .bind(new.student.id)
                .bind(new.mentor_id)
                .bind(new.project_id)
                .bind(new.start)
                .bind(new.end)
                .bind(i64::from(new.length.minutes()))
                .bind(week.clone())
                .bind(new.replaces)
                .bind(new.notes_due_at)
                .bind(new.by)
                .bind(new.at),
        )
        .await?;
    if inserted == 1 {
        return Ok(());
    }
    let holder: Vec<Uuid> = tx
        .scalars(query(HOLDER).bind(new.student.id).bind(week))
        .await?;
    let session_id = holder
        .first()
        .copied()
        .ok_or_else(|| corrupt("insert refused without a holder of the week"))?;
    Err(StoreError::all_refused(&[
        BookingRefusal::WeekAlreadyTaken {
            week: new.week,
            session_id,
        },
    ]))
}

/// Moves a scheduled session that has not started to `start`: the old session is kept,
/// `rescheduled`, with `replaced_by` the new one, which follows every booking rule (its week
/// included). The other person is told.
pub async fn reschedule(
    store: &Store,
    id: Uuid,
    start: DateTime<Utc>,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Session, StoreError> {
    const REPLACED_BY: &str = "UPDATE sessions SET replaced_by = $2 WHERE id = $1";
    let current = get(store, id).await?;
    let mut tx = store.begin().await?;
    let policies = policies::in_force(&mut tx).await?;
    // The order of every booking: the student, then the mentor; then the session.
    let _: Student = record::lock(&mut tx, current.student_id).await?;
    let _: Mentor = record::lock(&mut tx, current.mentor_id).await?;
    let old = record::change(
        &mut tx,
        id,
        Change::by("session.rescheduled", by),
        |s: &Session| {
            check_changeable(&s.slot(), now).map_err(|r| StoreError::refused(&r))?;
            Ok(Step::quiet(Session {
                status: SessionStatus::Rescheduled,
                status_at: Some(crate::now()),
                ..s.clone()
            }))
        },
    )
    .await?;
    let booking = NewBooking {
        student_id: old.student_id,
        mentor_id: Some(old.mentor_id),
        project_id: old.project_id,
        start,
        by,
    };
    let new = book_in(&mut tx, &booking, Some(old.id), now, &policies).await?;
    tx.execute(query(REPLACED_BY).bind(old.id).bind(new.id))
        .await?;
    let event = Event::SessionRescheduled {
        session: new.facts()?,
        previous_start: old.start,
        by,
    };
    record::created(&mut tx, &new, "session.booked", Some(by), &[event]).await?;
    tx.commit().await?;
    Ok(new)
}

/// Cancels a scheduled session that has not started, on `side`'s behalf: `cancelled` 24 hours
/// or more before the start, otherwise late on that side. The other person is told.
pub async fn cancel(
    store: &Store,
    id: Uuid,
    side: CancelledBy,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Session, StoreError> {
    settle(
        store,
        id,
        Change::by("session.cancelled", by),
        |s, policies| {
            let status = classify_cancellation(&s.slot(), side, now, policies)
                .map_err(|r| StoreError::refused(&r))?;
            let event = Event::SessionCancelled {
                session: s.facts()?,
                status,
                by,
            };
            Ok((status, vec![event]))
        },
    )
    .await
}

/// Records the outcome of a session that has started.
pub async fn record_session_outcome(
    store: &Store,
    id: Uuid,
    outcome: Outcome,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Session, StoreError> {
    settle(
        store,
        id,
        Change::by("session.outcome_recorded", by),
        |s, _| {
            let status =
                record_outcome(&s.slot(), outcome, now).map_err(|r| StoreError::refused(&r))?;
            let completed = Event::SessionCompleted {
                session: s.facts()?,
                status,
            };
            Ok((status, vec![completed]))
        },
    )
    .await
}

/// Puts a session in the final state `decide` gives (an outcome, a cancellation), with the
/// instant it was recorded and the hourly rate frozen on it (RULES.md, Money: the card in force
/// at its start), then records the referral it qualifies, if any.
async fn settle(
    store: &Store,
    id: Uuid,
    change: Change,
    decide: impl FnOnce(&Session, &Policies) -> Result<(SessionStatus, Vec<Event>), StoreError>,
) -> Result<Session, StoreError> {
    let mut tx = store.begin().await?;
    let policies = policies::in_force(&mut tx).await?;
    let rate = rates::session_rate(&mut tx, id, policies.platform_zone).await?;
    let session = record::change(&mut tx, id, change, |s: &Session| {
        let (status, events) = decide(s, &policies)?;
        Ok(Step::new(
            Session {
                status,
                status_at: Some(crate::now()),
                rate: Some(rate),
                ..s.clone()
            },
            events,
        ))
    })
    .await?;
    referrals::qualify(&mut tx, &session, change.actor).await?;
    tx.commit().await?;
    Ok(session)
}

/// Writes (or rewrites) a session's notes. Lateness is judged on the first writing, by the end
/// of the day the session ends in the mentor's zone; late notes tell the mentor's manager.
pub async fn write_notes(
    store: &Store,
    id: Uuid,
    summary: &str,
    private_note: Option<&str>,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Session, StoreError> {
    let mut tx = store.begin().await?;
    let policies = policies::in_force(&mut tx).await?;
    let session = record::change(
        &mut tx,
        id,
        Change::by("session.notes_written", by),
        |s: &Session| {
            check_notes(s.status, summary).map_err(|r| StoreError::refused(&r))?;
            let first = s.notes_at.is_none();
            let late = first && notes_are_late(s.end, now, zone(&s.people.mentor_zone)?, &policies);
            let events = if late {
                vec![Event::NotesLate {
                    session: s.facts()?,
                    due_at: s.notes_due_at,
                    manager_id: s.people.manager_id,
                }]
            } else {
                Vec::new()
            };
            Ok(Step::new(
                Session {
                    summary: Some(summary.to_owned()),
                    private_note: private_note.map(str::to_owned),
                    notes_at: s.notes_at.or(Some(crate::now())),
                    notes_late: s.notes_late || late,
                    ..s.clone()
                },
                events,
            ))
        },
    )
    .await?;
    referrals::qualify(&mut tx, &session, Some(by)).await?;
    tx.commit().await?;
    Ok(session)
}

/// One session by id.
pub async fn get(store: &Store, id: Uuid) -> Result<Session, StoreError> {
    let row: Option<SessionRow> = store
        .fetch_optional(query(Session::SELECT).bind(id))
        .await?;
    row.ok_or(StoreError::NotFound("session"))?.try_into()
}

/// Where a list of sessions continues: after this start, and this id among equal starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SessionKey {
    pub start: DateTime<Utc>,
    pub id: Uuid,
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}~{}", self.start.timestamp_micros(), self.id)
    }
}

impl FromStr for SessionKey {
    type Err = StoreError;
    fn from_str(text: &str) -> Result<Self, StoreError> {
        let invalid = || StoreError::Corrupt("not a session key".into());
        let (micros, id) = text.split_once('~').ok_or_else(invalid)?;
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        Ok(SessionKey {
            start: DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?,
            id: id.parse().map_err(|_| invalid())?,
        })
    }
}

/// Which sessions a list shows, in start order.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionFilter {
    pub mentor_id: Option<Uuid>,
    pub student_id: Option<Uuid>,
    pub status: Option<SessionStatus>,
    /// Starting at or after.
    pub from: Option<DateTime<Utc>>,
    /// Starting before.
    pub to: Option<DateTime<Utc>>,
}

/// The filters every list query shares after its own index's equality, in this order:
/// `$3`..`$10`.
macro_rules! session_page {
    ($head:literal) => {
        select_sessions!(concat!(
            $head,
            " AND (s.start_at, s.id) > ($1, $2) \
             AND ($3 = 0 OR s.status = $4) AND ($5 = 0 OR s.start_at >= $6) \
             AND ($7 = 0 OR s.start_at < $8) AND ($9 = 0 OR s.mentor_id = $10) \
             ORDER BY s.start_at, s.id LIMIT CAST($11 AS BIGINT)"
        ))
    };
}

/// Sessions in start order: a student's (their index), a mentor's (theirs), or everyone's.
pub async fn list(
    store: &Store,
    filter: SessionFilter,
    page: PageRequest<SessionKey>,
) -> Result<Page<Session, SessionKey>, StoreError> {
    const BY_STUDENT: &str = session_page!("WHERE s.student_id = $12");
    const BY_MENTOR: &str = session_page!("WHERE s.mentor_id = $12");
    const EVERYONE: &str = session_page!("WHERE $12 = 0");
    let first = SessionKey {
        start: DateTime::<Utc>::UNIX_EPOCH,
        id: Uuid::nil(),
    };
    // A lower bound on the start is also the keyset's: the index range then begins there,
    // instead of at the first session ever (a mentor's upcoming sessions would otherwise scan
    // all their past ones). Ids are never nil, so `(start, id) > (from, nil)` is `start >= from`.
    let after = match filter.from {
        Some(from) => page.after_or(first).max(SessionKey {
            start: from,
            id: Uuid::nil(),
        }),
        None => page.after_or(first),
    };
    let flag = |on: bool| i64::from(on);
    let status = filter.status.map(SessionStatus::as_str).unwrap_or_default();
    // The student's index when a student is named (a mentor then filters), else the mentor's.
    let (sql, mentor_filter) = match (filter.student_id, filter.mentor_id) {
        (Some(_), mentor) => (BY_STUDENT, mentor),
        (None, Some(_)) => (BY_MENTOR, None),
        (None, None) => (EVERYONE, None),
    };
    let q = query(sql)
        .bind(after.start)
        .bind(after.id)
        .bind(flag(filter.status.is_some()))
        .bind(status)
        .bind(flag(filter.from.is_some()))
        .bind(filter.from.unwrap_or(first.start))
        .bind(flag(filter.to.is_some()))
        .bind(filter.to.unwrap_or(first.start))
        .bind(flag(mentor_filter.is_some()))
        .bind(mentor_filter.unwrap_or(Uuid::nil()))
        .bind(page.fetch_limit());
    let q = match (filter.student_id, filter.mentor_id) {
        (Some(student), _) => q.bind(student),
        (None, Some(mentor)) => q.bind(mentor),
        (None, None) => q.bind(0_i64),
    };
    let rows: Vec<SessionRow> = store.fetch_all(q).await?;
    let sessions = rows
        .into_iter()
        .map(Session::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(sessions, &page, |s| SessionKey {
        start: s.start,
        id: s.id,
    }))
}

/// The scheduled sessions, from `now` on, that fall in an absence their mentor declared since
/// they were booked: they need a new date. One mentor's, or everyone's.
pub async fn needing_new_date(
    store: &Store,
    mentor_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<Session>, StoreError> {
    const SQL: &str = select_sessions!(
        "WHERE s.status = 'scheduled' AND s.end_at > $1 AND ($2 = 0 OR s.mentor_id = $3) \
         AND EXISTS (SELECT 1 FROM absences a WHERE a.mentor_id = s.mentor_id \
                     AND a.withdrawn_at IS NULL AND a.last_day >= $4) \
         ORDER BY s.start_at, s.id"
    );
    let yesterday = (now - chrono::Days::new(1)).date_naive();
    let rows: Vec<SessionRow> = store
        .fetch_all(
            query(SQL)
                .bind(now)
                .bind(i64::from(mentor_id.is_some()))
                .bind(mentor_id.unwrap_or(Uuid::nil()))
                .bind(yesterday),
        )
        .await?;
    let sessions = rows
        .into_iter()
        .map(Session::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let mentors: Vec<Uuid> = sessions.iter().map(|s| s.mentor_id).collect();
    let absent = absences::current_of(store, &mentors, now).await?;
    let mut needing = Vec::new();
    for session in sessions {
        let mentor_zone = zone(&session.people.mentor_zone)?;
        let inside = absent
            .iter()
            .filter(|(mentor, _)| *mentor == session.mentor_id)
            .any(|(_, absence)| absence.overlaps(session.start, session.end, mentor_zone));
        if inside {
            needing.push(session);
        }
    }
    Ok(needing)
}

/// How far ahead a session's reminder is sent: the day before.
pub const REMINDER_AHEAD: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Reminds both people of every scheduled session starting within a day that was not reminded
/// yet, at most `batch` sessions; returns how many. Each session is claimed by one `UPDATE`
/// (`reminded_at IS NULL` rechecked under its row lock), so with any number of instances each
/// reminder is sent once; the messages are written in the transaction of the claim.
pub async fn remind_due(
    store: &Store,
    now: DateTime<Utc>,
    batch: i64,
) -> Result<usize, StoreError> {
    const CLAIM: &str = "UPDATE sessions SET reminded_at = $1 WHERE id IN \
         (SELECT id FROM sessions WHERE status = 'scheduled' AND reminded_at IS NULL \
          AND start_at > $1 AND start_at <= $2 ORDER BY start_at LIMIT CAST($3 AS BIGINT)) \
         AND reminded_at IS NULL RETURNING id";
    let mut tx = store.begin().await?;
    let claimed: Vec<Uuid> = tx
        .scalars(
            query(CLAIM)
                .bind(now)
                .bind(now + REMINDER_AHEAD)
                .bind(batch),
        )
        .await?;
    let mut events = Vec::with_capacity(claimed.len());
    for id in &claimed {
        let session: Session = record::get(&mut tx, *id).await?;
        events.push(Event::SessionReminder {
            session: session.facts()?,
        });
    }
    crate::events::record(&mut tx, &events).await?;
    tx.commit().await?;
    Ok(claimed.len())
}

/// A person's sessions for their calendar feed: those starting from `from`, in start order, at
/// most `limit`.
pub async fn of_person(
    store: &Store,
    person: Uuid,
    role: Role,
    from: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Session>, StoreError> {
    const AS_MENTOR: &str = select_sessions!(
        "WHERE s.mentor_id = $1 AND s.start_at >= $2 ORDER BY s.start_at, s.id LIMIT CAST($3 AS BIGINT)"
    );
    const AS_STUDENT: &str = select_sessions!(
        "WHERE s.student_id = $1 AND s.start_at >= $2 ORDER BY s.start_at, s.id LIMIT CAST($3 AS BIGINT)"
    );
    let sql = match role {
        Role::Mentor => AS_MENTOR,
        Role::Student => AS_STUDENT,
        Role::Admin | Role::Manager => return Ok(Vec::new()),
    };
    let rows: Vec<SessionRow> = store
        .fetch_all(query(sql).bind(person).bind(from).bind(limit))
        .await?;
    rows.into_iter().map(Session::try_from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_and_the_queries_take_the_weeks_the_domain_says() {
        let taking: Vec<&str> = SessionStatus::ALL
            .into_iter()
            .filter(|s| s.takes_the_week())
            .map(SessionStatus::as_str)
            .collect();
        let listed = format!("('{}')", taking.join("', '"));
        assert_eq!(taking_the_week!(), listed);
        for backend in ["postgres", "sqlite"] {
            let path = format!(
                "{}/../../migrations/{backend}/0006_sessions.sql",
                env!("CARGO_MANIFEST_DIR")
            );
            let migration = std::fs::read_to_string(&path).unwrap();
            assert!(
                migration.contains(&format!("WHERE status IN {listed};")),
                "{path} does not index the weeks {listed}"
            );
        }
    }

    #[test]
    fn a_session_key_reads_back_what_it_wrote() {
        let key = SessionKey {
            start: "2026-12-03T17:00:00.123456Z".parse().unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(key.to_string().parse::<SessionKey>().unwrap(), key);
        assert!("nope".parse::<SessionKey>().is_err());
    }
}
