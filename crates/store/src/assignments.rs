//! The assignment of students to mentors (RULES.md, "Paths, capacity and assignment"). Every
//! assignment is kept, with its start, its end and who made it; a student has at most one current
//! one (a unique index). Capacity holds under any concurrency: an assignment locks the student,
//! then the mentor, and the domain decides on the mentor's count read under that lock, so two
//! managers filling a mentor's last place at once get one assignment and one `mentor_full`.

use chrono::{DateTime, Utc};
use mentorship_domain::absences::Absence;
use mentorship_domain::capacity::{self, AssignmentRefusal, MentorCapacity};
use mentorship_domain::events::Event;
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::db::{Tx, query};
use crate::mentors::{Mentor, enum_from};
use crate::record;
use crate::students::Student;
use crate::{Store, StoreError, absences, events};

/// One assignment of a student to a mentor.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct Assignment {
    pub id: Uuid,
    pub student_id: Uuid,
    pub mentor_id: Uuid,
    pub started_at: DateTime<Utc>,
    /// When it ended (the student was reassigned); `None` while current.
    pub ended_at: Option<DateTime<Utc>>,
    /// Who made it; `None` for a person since erased.
    pub assigned_by: Option<Uuid>,
    /// Chosen by the rule of automatic assignment rather than by a manager.
    pub automatic: bool,
}

/// Whom to assign: a mentor a manager chose, or the one the rule picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Mentor(Uuid),
    Automatic,
}

#[derive(sqlx::FromRow)]
struct CapacityRow {
    user_id: Uuid,
    name: String,
    status: String,
    requested_students: i64,
    activated_at: Option<DateTime<Utc>>,
    time_zone: String,
    on_path: bool,
    assigned: i64,
    ever_assigned: bool,
}

/// The capacity facts of mentors, each with whether the path `$1` is one of their approved paths
/// (the path they applied for, or one a manager approved).
macro_rules! select_capacities {
    ($tail:literal) => {
        concat!(
            "SELECT m.user_id, u.name, m.status, m.requested_students, m.activated_at, m.time_zone, \
             (m.path_id = $1 OR EXISTS (SELECT 1 FROM path_requests r WHERE r.mentor_id = m.user_id \
               AND r.path_id = $1 AND r.status = 'approved')) AS on_path, \
             (SELECT COUNT(*) FROM assignments a WHERE a.mentor_id = m.user_id AND a.ended_at IS NULL) AS assigned, \
             EXISTS (SELECT 1 FROM assignments a WHERE a.mentor_id = m.user_id) AS ever_assigned \
             FROM mentors m JOIN users u ON u.id = m.user_id ",
            $tail
        )
    };
}

impl CapacityRow {
    /// The mentor's capacity; `absences` are the absences of today (of any mentor).
    fn capacity(
        &self,
        path_id: Uuid,
        absences: &[(Uuid, Absence)],
    ) -> Result<MentorCapacity, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("mentor {what}"));
        Ok(MentorCapacity {
            id: self.user_id,
            status: enum_from(&self.status)?,
            approved_paths: if self.on_path {
                vec![path_id]
            } else {
                Vec::new()
            },
            requested: u32::try_from(self.requested_students).map_err(|_| corrupt("requested"))?,
            assigned: u32::try_from(self.assigned).map_err(|_| corrupt("assigned"))?,
            ever_assigned: self.ever_assigned,
            activated_at: self.activated_at,
            zone: self.time_zone.parse().map_err(|_| corrupt("zone"))?,
            absences: absences
                .iter()
                .filter(|(mentor, _)| *mentor == self.user_id)
                .map(|(_, absence)| *absence)
                .collect(),
        })
    }
}

/// The capacity of one mentor, read inside `tx` (under the mentor's lock when the caller took it).
async fn capacity_of(
    tx: &mut Tx,
    mentor_id: Uuid,
    path_id: Uuid,
) -> Result<(MentorCapacity, String), StoreError> {
    const SQL: &str = select_capacities!("WHERE m.user_id = $2");
    let row: Option<CapacityRow> = tx
        .fetch_optional(query(SQL).bind(path_id).bind(mentor_id))
        .await?;
    let row = row.ok_or(StoreError::NotFound("mentor"))?;
    // A chosen mentor's absences do not refuse a manual assignment: only the automatic rule
    // skips the absent.
    Ok((row.capacity(path_id, &[])?, row.name))
}

/// The active mentors of a path, as the automatic rule weighs them (with today's absences).
async fn candidates(
    tx: &mut Tx,
    path_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<MentorCapacity>, StoreError> {
    const SQL: &str = select_capacities!(
        "WHERE m.status = 'active' AND (m.path_id = $1 OR EXISTS (SELECT 1 FROM path_requests r \
         WHERE r.mentor_id = m.user_id AND r.path_id = $1 AND r.status = 'approved'))"
    );
    let rows: Vec<CapacityRow> = tx.fetch_all(query(SQL).bind(path_id)).await?;
    let absent = absences::covering(tx, now).await?;
    rows.iter().map(|r| r.capacity(path_id, &absent)).collect()
}

/// Assigns a student: to the mentor a manager chose, or to the one the automatic rule picks
/// (newcomers first, then the largest remaining share, the earliest activation, the smallest
/// id). The current assignment, if any, ends. The student, the mentor and the mentor the
/// student leaves are told.
pub async fn assign(
    store: &Store,
    student_id: Uuid,
    choice: Choice,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<Assignment, StoreError> {
    let mut tx = store.begin().await?;
    let student: Student = record::lock(&mut tx, student_id).await?;
    let (mentor_id, mentor_name) = match choice {
        Choice::Mentor(mentor_id) => {
            let _: Mentor = record::lock(&mut tx, mentor_id).await?;
            let (capacity, name) = capacity_of(&mut tx, mentor_id, student.path_id).await?;
            capacity::check_assignment(&capacity, student.path_id, student.mentor_id)
                .map_err(StoreError::first_refused)?;
            (mentor_id, name)
        }
        Choice::Automatic => pick(&mut tx, &student, now).await?,
    };
    let assignment = start(
        &mut tx,
        &student,
        mentor_id,
        matches!(choice, Choice::Automatic),
        actor,
    )
    .await?;
    let event = Event::StudentAssigned {
        student_id,
        student_name: student.name.clone(),
        mentor_id,
        mentor_name,
        previous_mentor_id: student.mentor_id,
    };
    events::record(&mut tx, &[event]).await?;
    tx.commit().await?;
    Ok(assignment)
}

/// The automatic rule's mentor, locked and checked again: another assignment may have taken
/// the last place of the pick between the reading and the lock. Then that mentor's lock is let
/// go (a transaction holding one mentor's lock while it waits for another's could deadlock with
/// one doing the opposite) and the rule chooses again on fresh counts: at most once per mentor
/// it could choose, since each miss is a mentor who filled up.
async fn pick(
    tx: &mut Tx,
    student: &Student,
    now: DateTime<Utc>,
) -> Result<(Uuid, String), StoreError> {
    let mut misses_left: Option<usize> = None;
    loop {
        let mentors = candidates(tx, student.path_id, now).await?;
        let misses = misses_left.get_or_insert(mentors.len());
        let chosen = capacity::choose_mentor(&mentors, student.path_id, student.mentor_id, now);
        let Some(chosen) = chosen.filter(|_| *misses > 0) else {
            return Err(StoreError::refused(&AssignmentRefusal::NoMentorAvailable));
        };
        tx.savepoint().await?;
        let _: Mentor = record::lock(tx, chosen).await?;
        let (capacity, name) = capacity_of(tx, chosen, student.path_id).await?;
        if capacity::check_assignment(&capacity, student.path_id, student.mentor_id).is_ok() {
            tx.release_savepoint().await?;
            return Ok((chosen, name));
        }
        tx.rollback_to_savepoint().await?;
        *misses -= 1;
    }
}

/// Ends the student's current assignment, if any, and starts one with `mentor_id`; audited.
async fn start(
    tx: &mut Tx,
    student: &Student,
    mentor_id: Uuid,
    automatic: bool,
    actor: Uuid,
) -> Result<Assignment, StoreError> {
    const END: &str =
        "UPDATE assignments SET ended_at = $2 WHERE student_id = $1 AND ended_at IS NULL";
    const START: &str = "INSERT INTO assignments (id, student_id, mentor_id, started_at, assigned_by, automatic) \
                         VALUES ($1, $2, $3, $4, $5, $6)";
    let now = crate::now();
    tx.execute(query(END).bind(student.id).bind(now)).await?;
    let assignment = Assignment {
        id: crate::new_id(),
        student_id: student.id,
        mentor_id,
        started_at: now,
        ended_at: None,
        assigned_by: Some(actor),
        automatic,
    };
    tx.execute(
        query(START)
            .bind(assignment.id)
            .bind(student.id)
            .bind(mentor_id)
            .bind(now)
            .bind(actor)
            .bind(automatic),
    )
    .await
    .map_err(StoreError::unique_as("current assignment"))?;
    let before = serde_json::json!({"mentor_id": student.mentor_id});
    let after =
        serde_json::to_value(&assignment).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let entry = AuditEntry::event("student.assigned", Some(actor), "student", student.id)
        .states(Some(&before), &after);
    audit::write(tx, entry).await?;
    Ok(assignment)
}

/// Every assignment of a student, the first first.
pub async fn history(store: &Store, student_id: Uuid) -> Result<Vec<Assignment>, StoreError> {
    const SQL: &str = "SELECT id, student_id, mentor_id, started_at, ended_at, assigned_by, automatic \
                       FROM assignments WHERE student_id = $1 ORDER BY id";
    store.fetch_all(query(SQL).bind(student_id)).await
}
