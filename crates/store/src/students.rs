//! Students (RULES.md, "Students"): their account, path, current project, time zone, session
//! length and allowed weekdays; the progress of each project of their path. A student is
//! enrolled by staff (or a script) and sets their password through an emailed one-time link.

use chrono::{DateTime, Utc};
use mentorship_domain::people::{LinkPurpose, Role};
use mentorship_domain::sessions::SessionLength;
use mentorship_domain::students::{ProjectProgress, StudentRhythm};
use mentorship_domain::weeks::AllowedWeekdays;
use serde::Serialize;
use uuid::Uuid;

use crate::accounts;
use crate::audit::{self, AuditEntry};
use crate::db::{Query, Tx, query};
use crate::events::{Recipient, Step};
use crate::mentors::{enum_from, enum_text};
use crate::record::{self, Change, Record, versioned_fields};
use crate::users::{self, NewUser, User};
use crate::{Page, PageRequest, Store, StoreError};

/// A student as stored, with their account's name and email and their current mentor.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Student {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub path_id: Uuid,
    pub project_id: Uuid,
    pub time_zone: String,
    pub session_length: SessionLength,
    pub allowed_weekdays: AllowedWeekdays,
    /// The mentor of the current assignment, if any.
    pub mentor_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct StudentRow {
    user_id: Uuid,
    name: String,
    email: String,
    path_id: Uuid,
    project_id: Uuid,
    time_zone: String,
    session_minutes: i64,
    allowed_weekdays: i64,
    mentor_id: Option<Uuid>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("student {what}"))
}

impl TryFrom<StudentRow> for Student {
    type Error = StoreError;
    fn try_from(r: StudentRow) -> Result<Self, StoreError> {
        let minutes = u16::try_from(r.session_minutes).map_err(|_| corrupt("session length"))?;
        let days = u8::try_from(r.allowed_weekdays).map_err(|_| corrupt("weekdays"))?;
        Ok(Student {
            id: r.user_id,
            name: r.name,
            email: r.email,
            path_id: r.path_id,
            project_id: r.project_id,
            time_zone: r.time_zone,
            session_length: SessionLength::from_minutes(minutes)
                .map_err(|_| corrupt("session length"))?,
            allowed_weekdays: AllowedWeekdays::from_bits(days).map_err(|_| corrupt("weekdays"))?,
            mentor_id: r.mentor_id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

macro_rules! select_students {
    ($tail:literal) => {
        concat!(
            "SELECT s.user_id, u.name, u.email, s.path_id, s.project_id, s.time_zone, s.session_minutes, \
             s.allowed_weekdays, a.mentor_id, s.version, s.created_at, s.updated_at \
             FROM students s JOIN users u ON u.id = s.user_id \
             LEFT JOIN assignments a ON a.student_id = s.user_id AND a.ended_at IS NULL ",
            $tail
        )
    };
}

impl Record for Student {
    type Row = StudentRow;
    const NAME: &'static str = "student";
    const SELECT: &'static str = select_students!("WHERE s.user_id = $1");
    const LOCK: &'static str = "SELECT user_id FROM students WHERE user_id = $1 FOR UPDATE";
    const UNIQUE: &'static str = "student";

    versioned_fields!();

    fn update(&self, version: i64) -> Query {
        const SQL: &str = "UPDATE students SET path_id = $2, project_id = $3, time_zone = $4, \
                           session_minutes = $5, allowed_weekdays = $6, version = $7, updated_at = $8 \
                           WHERE user_id = $1 AND version = $9";
        query(SQL)
            .bind(self.id)
            .bind(self.path_id)
            .bind(self.project_id)
            .bind(&self.time_zone)
            .bind(i64::from(self.session_length.minutes()))
            .bind(i64::from(self.allowed_weekdays.bits()))
            .bind(self.version)
            .bind(self.updated_at)
            .bind(version)
    }
}

/// A student to enroll, checked by the domain.
#[derive(Debug, Clone)]
pub struct NewStudent {
    pub name: String,
    /// Normalised: the login.
    pub email: String,
    pub path_id: Uuid,
    pub project_id: Uuid,
    pub rhythm: StudentRhythm,
}

/// The invitation a new student is sent: the hash of its secret, the link, its end.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub token_hash: Vec<u8>,
    pub link: String,
    pub expires_at: DateTime<Utc>,
}

/// A password that verifies nothing: a student sets theirs with the invitation.
const NO_PASSWORD: &str = "!";

/// Enrolls one student inside `tx`: their account (no password yet), their student row, and the
/// invitation email that lets them set a password (none for a student whose password is set
/// otherwise: the demo's).
async fn enroll_in(
    tx: &mut Tx,
    new: &NewStudent,
    invitation: Option<&Invitation>,
    actor: Uuid,
) -> Result<Student, StoreError> {
    const SQL: &str = "INSERT INTO students (user_id, path_id, project_id, time_zone, session_minutes, \
                       allowed_weekdays, version, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)";
    let account = NewUser {
        email: new.email.clone(),
        name: new.name.clone(),
        role: Role::Student,
        password_hash: NO_PASSWORD.into(),
    };
    let user = User::opened(&account, crate::now());
    users::insert(tx, &user, NO_PASSWORD).await?;
    tx.execute(
        query(SQL)
            .bind(user.id)
            .bind(new.path_id)
            .bind(new.project_id)
            .bind(new.rhythm.zone.name())
            .bind(i64::from(new.rhythm.session_length.minutes()))
            .bind(i64::from(new.rhythm.allowed_weekdays.bits()))
            .bind(user.created_at),
    )
    .await?;
    let student: Student = record::get(tx, user.id).await?;
    record::created(tx, &student, "student.enrolled", Some(actor), &[]).await?;
    let Some(invitation) = invitation else {
        return Ok(student);
    };
    let to = Recipient {
        id: user.id,
        name: user.name.clone(),
        email: user.email.clone(),
    };
    accounts::send_link(
        tx,
        &to,
        LinkPurpose::Invitation,
        &invitation.token_hash,
        &invitation.link,
        invitation.expires_at,
    )
    .await?;
    Ok(student)
}

/// Enrolls one student. A taken email is `Duplicate("email")`.
pub async fn enroll(
    store: &Store,
    new: &NewStudent,
    invitation: Option<&Invitation>,
    actor: Uuid,
) -> Result<Student, StoreError> {
    let mut tx = store.begin().await?;
    let student = enroll_in(&mut tx, new, invitation, actor).await?;
    tx.commit().await?;
    Ok(student)
}

/// Enrolls a cohort in one transaction, each student behind a savepoint: a student who cannot
/// be enrolled (a taken email) is rolled back alone and the others are kept. One commit, so
/// one wait for the disk, however many students.
pub async fn enroll_batch(
    store: &Store,
    cohort: &[(NewStudent, Invitation)],
    actor: Uuid,
) -> Result<Vec<Result<Student, StoreError>>, StoreError> {
    let mut tx = store.begin().await?;
    let mut outcomes = Vec::with_capacity(cohort.len());
    for (new, invitation) in cohort {
        tx.savepoint().await?;
        match enroll_in(&mut tx, new, Some(invitation), actor).await {
            Ok(student) => {
                tx.release_savepoint().await?;
                outcomes.push(Ok(student));
            }
            Err(refused @ (StoreError::Duplicate(_) | StoreError::Refused { .. })) => {
                tx.rollback_to_savepoint().await?;
                outcomes.push(Err(refused));
            }
            Err(other) => return Err(other),
        }
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// One student by id.
pub async fn get(store: &Store, id: Uuid) -> Result<Student, StoreError> {
    let row: Option<StudentRow> = store
        .fetch_optional(query(Student::SELECT).bind(id))
        .await?;
    row.ok_or(StoreError::NotFound("student"))?.try_into()
}

/// Which students a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct StudentFilter {
    pub path_id: Option<Uuid>,
    pub mentor_id: Option<Uuid>,
    /// Only the students without a current mentor.
    pub unassigned: bool,
}

/// Students in id order, filtered by path, current mentor, or without one.
pub async fn list(
    store: &Store,
    filter: StudentFilter,
    page: PageRequest,
) -> Result<Page<Student>, StoreError> {
    const SQL: &str = select_students!(
        "WHERE s.user_id > $1 AND ($3 = 0 OR s.path_id = $4) AND ($5 = 0 OR a.mentor_id = $6) \
         AND ($7 = 0 OR a.mentor_id IS NULL) ORDER BY s.user_id LIMIT CAST($2 AS BIGINT)"
    );
    let flag = |on: bool| i64::from(on);
    let rows: Vec<StudentRow> = store
        .fetch_all(
            query(SQL)
                .bind(page.after_or(Uuid::nil()))
                .bind(page.fetch_limit())
                .bind(flag(filter.path_id.is_some()))
                .bind(filter.path_id.unwrap_or(Uuid::nil()))
                .bind(flag(filter.mentor_id.is_some()))
                .bind(filter.mentor_id.unwrap_or(Uuid::nil()))
                .bind(flag(filter.unassigned)),
        )
        .await?;
    let students = rows
        .into_iter()
        .map(Student::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(students, &page, |s| s.id))
}

/// What an edit of a student changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct StudentChanges {
    pub project_id: Option<Uuid>,
    pub time_zone: Option<String>,
    pub session_length: Option<SessionLength>,
    pub allowed_weekdays: Option<AllowedWeekdays>,
}

/// Edits a student if still at `expected_version`. Sessions already booked keep their time: a
/// new zone or weekdays count for the next bookings only.
pub async fn edit(
    store: &Store,
    id: Uuid,
    expected_version: i64,
    changes: StudentChanges,
    actor: Uuid,
) -> Result<Student, StoreError> {
    let change = Change::by("student.updated", actor).at_version(expected_version);
    let mut tx = store.begin().await?;
    let student = record::change(&mut tx, id, change, |s: &Student| {
        Ok(Step::quiet(Student {
            project_id: changes.project_id.unwrap_or(s.project_id),
            time_zone: changes.time_zone.unwrap_or_else(|| s.time_zone.clone()),
            session_length: changes.session_length.unwrap_or(s.session_length),
            allowed_weekdays: changes.allowed_weekdays.unwrap_or(s.allowed_weekdays),
            ..s.clone()
        }))
    })
    .await?;
    tx.commit().await?;
    Ok(student)
}

/// The state of one project of a student's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub project_id: Uuid,
    pub title: String,
    pub position: i64,
    pub state: ProjectProgress,
    /// When the state last changed; `None` while never started.
    pub changed_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ProgressRow {
    id: Uuid,
    title: String,
    position: i64,
    state: Option<String>,
    changed_at: Option<DateTime<Utc>>,
}

/// Every project of the student's path in its order, with its state: one query.
pub async fn progress(store: &Store, student_id: Uuid) -> Result<Vec<Progress>, StoreError> {
    const SQL: &str = "SELECT p.id, p.title, p.position, g.state, g.changed_at \
                       FROM students s JOIN projects p ON p.path_id = s.path_id \
                       LEFT JOIN project_progress g ON g.student_id = s.user_id AND g.project_id = p.id \
                       WHERE s.user_id = $1 ORDER BY p.position";
    let rows: Vec<ProgressRow> = store.fetch_all(query(SQL).bind(student_id)).await?;
    rows.into_iter()
        .map(|r| {
            Ok(Progress {
                project_id: r.id,
                title: r.title,
                position: r.position,
                state: r
                    .state
                    .as_deref()
                    .map(enum_from)
                    .transpose()?
                    .unwrap_or_default(),
                changed_at: r.changed_at,
            })
        })
        .collect()
}

/// Sets the state of one project of the student's path; audited with the state before.
pub async fn set_progress(
    store: &Store,
    student_id: Uuid,
    project_id: Uuid,
    state: ProjectProgress,
    actor: Uuid,
) -> Result<(), StoreError> {
    const BEFORE: &str =
        "SELECT state FROM project_progress WHERE student_id = $1 AND project_id = $2";
    const SQL: &str = "INSERT INTO project_progress (student_id, project_id, state, changed_at, changed_by) \
                       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (student_id, project_id) \
                       DO UPDATE SET state = $3, changed_at = $4, changed_by = $5";
    let mut tx = store.begin().await?;
    let _: Student = record::lock(&mut tx, student_id).await?;
    let before: Vec<String> = tx
        .scalars(query(BEFORE).bind(student_id).bind(project_id))
        .await?;
    let before = before
        .into_iter()
        .next()
        .unwrap_or_else(|| "not_started".into());
    let after = enum_text(&state)?;
    tx.execute(
        query(SQL)
            .bind(student_id)
            .bind(project_id)
            .bind(&after)
            .bind(crate::now())
            .bind(actor),
    )
    .await?;
    let entry = AuditEntry::event("student.progress_set", Some(actor), "student", student_id)
        .states(
            Some(&serde_json::json!({"project_id": project_id, "state": before})),
            &serde_json::json!({"project_id": project_id, "state": after}),
        );
    audit::write(&mut tx, entry).await?;
    tx.commit().await
}
