//! Mentors' absences (RULES.md, "Absences"): declared in advance, first and last day in the
//! mentor's zone. A booking inside one is refused; sessions already inside need a new date, and
//! each affected student and the mentor's manager are told. One not yet started can be
//! withdrawn (kept, with when).

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use mentorship_domain::absences::{
    Absence, check_withdrawal, sessions_needing_new_date, validate_absence,
};
use mentorship_domain::events::Event;
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::db::{Tx, query};
use crate::mentors::Mentor;
use crate::record;
use crate::{Page, PageRequest, Store, StoreError, events};

/// A declared absence as stored.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct DeclaredAbsence {
    pub id: Uuid,
    pub mentor_id: Uuid,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub reason: Option<String>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl DeclaredAbsence {
    pub fn absence(&self) -> Absence {
        Absence {
            id: self.id,
            first_day: self.first_day,
            last_day: self.last_day,
        }
    }
}

/// An absence's days, with its mentor.
#[derive(sqlx::FromRow)]
struct AbsenceDays {
    mentor_id: Uuid,
    id: Uuid,
    first_day: NaiveDate,
    last_day: NaiveDate,
}

impl AbsenceDays {
    fn by_mentor(self) -> (Uuid, Absence) {
        let absence = Absence {
            id: self.id,
            first_day: self.first_day,
            last_day: self.last_day,
        };
        (self.mentor_id, absence)
    }
}

/// The days around an instant's UTC date that any zone's local date can fall on.
fn days_around(start: DateTime<Utc>, end: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
    let from = start.date_naive() - Days::new(1);
    let to = end.date_naive() + Days::new(1);
    (from, to)
}

/// The mentor's absences (not withdrawn) that may touch `[start, end)`; the domain decides.
pub(crate) async fn around(
    tx: &mut Tx,
    mentor_id: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Absence>, StoreError> {
    const SQL: &str = "SELECT mentor_id, id, first_day, last_day FROM absences WHERE mentor_id = $1 \
                       AND withdrawn_at IS NULL AND last_day >= $2 AND first_day <= $3";
    let (from, to) = days_around(start, end);
    let rows: Vec<AbsenceDays> = tx
        .fetch_all(query(SQL).bind(mentor_id).bind(from).bind(to))
        .await?;
    Ok(rows.into_iter().map(|r| r.by_mentor().1).collect())
}

/// The absences (not withdrawn, not over) of these mentors, by mentor: one query.
pub async fn current_of(
    store: &Store,
    mentors: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<(Uuid, Absence)>, StoreError> {
    const SQL: &str = "SELECT mentor_id, id, first_day, last_day FROM absences \
                       WHERE withdrawn_at IS NULL AND last_day >= $1";
    if mentors.is_empty() {
        return Ok(Vec::new());
    }
    let (yesterday, _) = days_around(now, now);
    let rows: Vec<AbsenceDays> = store.fetch_all(query(SQL).bind(yesterday)).await?;
    Ok(rows
        .into_iter()
        .filter(|r| mentors.contains(&r.mentor_id))
        .map(AbsenceDays::by_mentor)
        .collect())
}

/// The absences that cover today for any mentor, inside `tx` (automatic assignment skips them).
pub(crate) async fn covering(
    tx: &mut Tx,
    now: DateTime<Utc>,
) -> Result<Vec<(Uuid, Absence)>, StoreError> {
    const SQL: &str = "SELECT mentor_id, id, first_day, last_day FROM absences \
                       WHERE withdrawn_at IS NULL AND first_day <= $2 AND last_day >= $1";
    let (from, to) = days_around(now, now);
    let rows: Vec<AbsenceDays> = tx.fetch_all(query(SQL).bind(from).bind(to)).await?;
    Ok(rows.into_iter().map(AbsenceDays::by_mentor).collect())
}

/// An absence to declare.
#[derive(Debug, Clone)]
pub struct NewAbsence {
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub reason: Option<String>,
}

/// Declares an absence of the mentor (under the mentor's lock, so no booking slips into it):
/// it starts after today in the mentor's zone. The students of the sessions already inside and
/// the mentor's manager are told.
pub async fn declare(
    store: &Store,
    mentor_id: Uuid,
    new: &NewAbsence,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<DeclaredAbsence, StoreError> {
    const INSERT: &str = "INSERT INTO absences (id, mentor_id, first_day, last_day, reason, created_at) \
                          VALUES ($1, $2, $3, $4, $5, $6)";
    const SCHEDULED: &str = "SELECT id, student_id, start_at, end_at FROM sessions WHERE mentor_id = $1 \
                             AND status = 'scheduled' AND end_at > $2 AND start_at < $3";
    #[derive(sqlx::FromRow)]
    struct Scheduled {
        id: Uuid,
        student_id: Uuid,
        start_at: DateTime<Utc>,
        end_at: DateTime<Utc>,
    }
    let mut tx = store.begin().await?;
    let mentor: Mentor = record::lock(&mut tx, mentor_id).await?;
    let zone = mentor
        .time_zone
        .parse()
        .map_err(|_| StoreError::Corrupt("mentor zone".into()))?;
    validate_absence(new.first_day, new.last_day, now, zone)
        .map_err(|r| StoreError::all_refused(&r))?;
    let absence = DeclaredAbsence {
        id: crate::new_id(),
        mentor_id,
        first_day: new.first_day,
        last_day: new.last_day,
        reason: new.reason.clone(),
        withdrawn_at: None,
        created_at: crate::now(),
    };
    tx.execute(
        query(INSERT)
            .bind(absence.id)
            .bind(mentor_id)
            .bind(absence.first_day)
            .bind(absence.last_day)
            .bind(&absence.reason)
            .bind(absence.created_at),
    )
    .await?;
    // Any zone's local days lie within a day of the UTC ones; the domain decides exactly.
    let from = (absence.first_day - Days::new(1))
        .and_time(NaiveTime::MIN)
        .and_utc();
    let to = (absence.last_day + Days::new(2))
        .and_time(NaiveTime::MIN)
        .and_utc();
    let scheduled: Vec<Scheduled> = tx
        .fetch_all(query(SCHEDULED).bind(mentor_id).bind(from).bind(to))
        .await?;
    let spans: Vec<(Uuid, DateTime<Utc>, DateTime<Utc>)> = scheduled
        .iter()
        .map(|s| (s.id, s.start_at, s.end_at))
        .collect();
    let inside = sessions_needing_new_date(&absence.absence(), &spans, zone);
    let mut students: Vec<Uuid> = scheduled
        .iter()
        .filter(|s| inside.contains(&s.id))
        .map(|s| s.student_id)
        .collect();
    students.sort_unstable();
    students.dedup();
    let event = Event::AbsenceDeclared {
        mentor_id,
        mentor_name: mentor.name.clone(),
        manager_id: mentor.manager_id,
        first_day: absence.first_day,
        last_day: absence.last_day,
        students,
        sessions_to_move: inside.len(),
    };
    audit::write(
        &mut tx,
        AuditEntry::created(
            "absence.declared",
            Some(actor),
            "absence",
            absence.id,
            &absence,
        ),
    )
    .await?;
    events::record(&mut tx, &[event]).await?;
    tx.commit().await?;
    Ok(absence)
}

/// Withdraws an absence that has not started (today in the mentor's zone is before its first
/// day). Sessions become bookable in it again.
pub async fn withdraw(
    store: &Store,
    mentor_id: Uuid,
    id: Uuid,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<DeclaredAbsence, StoreError> {
    const WITHDRAW: &str =
        "UPDATE absences SET withdrawn_at = $2 WHERE id = $1 AND withdrawn_at IS NULL";
    let mut tx = store.begin().await?;
    let mentor: Mentor = record::lock(&mut tx, mentor_id).await?;
    let before = one(&mut tx, mentor_id, id).await?;
    let zone = mentor
        .time_zone
        .parse()
        .map_err(|_| StoreError::Corrupt("mentor zone".into()))?;
    check_withdrawal(&before.absence(), before.withdrawn_at.is_some(), now, zone)
        .map_err(|r| StoreError::refused(&r))?;
    let after = DeclaredAbsence {
        withdrawn_at: Some(crate::now()),
        ..before.clone()
    };
    tx.execute(query(WITHDRAW).bind(id).bind(after.withdrawn_at))
        .await?;
    let entry = AuditEntry::event("absence.withdrawn", Some(actor), "absence", id).states(
        crate::record::snapshot(&before).as_ref(),
        &serde_json::to_value(&after).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    );
    audit::write(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(after)
}

async fn one(tx: &mut Tx, mentor_id: Uuid, id: Uuid) -> Result<DeclaredAbsence, StoreError> {
    const SQL: &str = "SELECT id, mentor_id, first_day, last_day, reason, withdrawn_at, created_at \
                       FROM absences WHERE id = $1 AND mentor_id = $2";
    tx.fetch_optional(query(SQL).bind(id).bind(mentor_id))
        .await?
        .ok_or(StoreError::NotFound("absence"))
}

/// Which absences a list shows; every filter is optional.
#[derive(Debug, Clone, Copy, Default)]
pub struct AbsenceFilter {
    pub mentor_id: Option<Uuid>,
    /// Only absences lasting until this day or later.
    pub from: Option<NaiveDate>,
    /// Only absences starting on this day or earlier.
    pub to: Option<NaiveDate>,
}

/// Absences in declaration order: one mentor's, or every mentor's.
pub async fn list(
    store: &Store,
    filter: AbsenceFilter,
    page: PageRequest,
) -> Result<Page<DeclaredAbsence>, StoreError> {
    const SQL: &str = "SELECT id, mentor_id, first_day, last_day, reason, withdrawn_at, created_at \
                       FROM absences WHERE id > $1 AND ($3 = 0 OR mentor_id = $4) \
                       AND ($5 = 0 OR last_day >= $6) AND ($7 = 0 OR first_day <= $8) \
                       ORDER BY id LIMIT CAST($2 AS BIGINT)";
    // A bound not asked for is never compared; any date stands in for it.
    let unused = NaiveDate::default();
    let rows: Vec<DeclaredAbsence> = store
        .fetch_all(
            query(SQL)
                .bind(page.after_or(Uuid::nil()))
                .bind(page.fetch_limit())
                .bind(i64::from(filter.mentor_id.is_some()))
                .bind(filter.mentor_id.unwrap_or(Uuid::nil()))
                .bind(i64::from(filter.from.is_some()))
                .bind(filter.from.unwrap_or(unused))
                .bind(i64::from(filter.to.is_some()))
                .bind(filter.to.unwrap_or(unused)),
        )
        .await?;
    Ok(Page::from_rows(rows, &page, |a| a.id))
}
