//! Difficulty reports (RULES.md, "Difficulty reports"): a mentor reports a problem about one of
//! their students; the mentor's manager is told; managers move it `open -> acknowledged ->
//! resolved`, with a comment the mentor reads.

use chrono::{DateTime, Utc};
use mentorship_domain::events::{Event, Step};
use mentorship_domain::people::Role;
use mentorship_domain::reports::{ReportCategory, ReportStatus, Severity, move_report};
use serde::Serialize;
use uuid::Uuid;

use crate::db::{Query, query};
use crate::mentors::{Mentor, enum_from, enum_text};
use crate::record::{self, Change, Record, versioned_fields};
use crate::students::Student;
use crate::{Page, PageRequest, Store, StoreError};

/// A report as stored, with the names of its mentor and student.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Report {
    pub id: Uuid,
    pub mentor_id: Uuid,
    pub student_id: Uuid,
    pub category: ReportCategory,
    pub severity: Severity,
    pub body: String,
    pub status: ReportStatus,
    /// The manager's comment on the last move.
    pub comment: Option<String>,
    pub mentor_name: String,
    pub student_name: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReportRow {
    id: Uuid,
    mentor_id: Uuid,
    student_id: Uuid,
    category: String,
    severity: String,
    body: String,
    status: String,
    comment: Option<String>,
    mentor_name: String,
    student_name: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ReportRow> for Report {
    type Error = StoreError;
    fn try_from(r: ReportRow) -> Result<Self, StoreError> {
        Ok(Report {
            id: r.id,
            mentor_id: r.mentor_id,
            student_id: r.student_id,
            category: enum_from(&r.category)?,
            severity: enum_from(&r.severity)?,
            body: r.body,
            status: enum_from(&r.status)?,
            comment: r.comment,
            mentor_name: r.mentor_name,
            student_name: r.student_name,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

macro_rules! select_reports {
    ($tail:literal) => {
        concat!(
            "SELECT r.id, r.mentor_id, r.student_id, r.category, r.severity, r.body, r.status, \
             r.comment, mu.name AS mentor_name, su.name AS student_name, r.version, r.created_at, \
             r.updated_at FROM reports r JOIN users mu ON mu.id = r.mentor_id \
             JOIN users su ON su.id = r.student_id ",
            $tail
        )
    };
}

impl Record for Report {
    type Row = ReportRow;
    const NAME: &'static str = "report";
    const SELECT: &'static str = select_reports!("WHERE r.id = $1");
    const LOCK: &'static str = "SELECT id FROM reports WHERE id = $1 FOR UPDATE";
    const UNIQUE: &'static str = "report";

    versioned_fields!();

    fn update(&self, version: i64) -> Query {
        const SQL: &str = "UPDATE reports SET status = $2, comment = $3, version = $4, updated_at = $5 \
                           WHERE id = $1 AND version = $6";
        query(SQL)
            .bind(self.id)
            .bind(enum_text(&self.status).unwrap_or_default())
            .bind(&self.comment)
            .bind(self.version)
            .bind(self.updated_at)
            .bind(version)
    }
}

/// What a mentor reports.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub student_id: Uuid,
    pub category: ReportCategory,
    pub severity: Severity,
    pub body: String,
}

/// A mentor reports one of their students (another's is not found); their manager is told.
pub async fn file(store: &Store, mentor_id: Uuid, new: &NewReport) -> Result<Report, StoreError> {
    const INSERT: &str = "INSERT INTO reports (id, mentor_id, student_id, category, severity, body, \
                          status, version, created_at, updated_at) \
                          VALUES ($1, $2, $3, $4, $5, $6, 'open', 1, $7, $7)";
    let mut tx = store.begin().await?;
    let student: Student = record::lock(&mut tx, new.student_id).await?;
    if student.mentor_id != Some(mentor_id) {
        return Err(StoreError::NotFound("student"));
    }
    let mentor: Mentor = record::get(&mut tx, mentor_id).await?;
    let id = crate::new_id();
    tx.execute(
        query(INSERT)
            .bind(id)
            .bind(mentor_id)
            .bind(new.student_id)
            .bind(enum_text(&new.category)?)
            .bind(enum_text(&new.severity)?)
            .bind(&new.body)
            .bind(crate::now()),
    )
    .await?;
    let report: Report = record::get(&mut tx, id).await?;
    let event = Event::ReportFiled {
        report_id: id,
        mentor_id,
        student_id: new.student_id,
        mentor_name: mentor.name,
        student_name: student.name,
        category: new.category,
        severity: new.severity,
        manager_id: mentor.manager_id,
    };
    record::created(&mut tx, &report, "report.filed", Some(mentor_id), &[event]).await?;
    tx.commit().await?;
    Ok(report)
}

/// A manager moves a report one step (`acknowledged`, then `resolved`), with a comment; its
/// mentor is told.
pub async fn advance(
    store: &Store,
    id: Uuid,
    to: ReportStatus,
    comment: Option<&str>,
    by: Uuid,
    role: Role,
) -> Result<Report, StoreError> {
    let mut tx = store.begin().await?;
    let report = record::change(&mut tx, id, Change::by("report.moved", by), |r: &Report| {
        let status = move_report(r.status, to, role).map_err(|e| StoreError::refused(&e))?;
        let comment = comment.map(str::to_owned);
        let event = Event::ReportMoved {
            report_id: r.id,
            mentor_id: r.mentor_id,
            student_name: r.student_name.clone(),
            status,
            comment: comment.clone(),
        };
        Ok(Step::new(
            Report {
                status,
                comment,
                ..r.clone()
            },
            [event],
        ))
    })
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// One report by id.
pub async fn get(store: &Store, id: Uuid) -> Result<Report, StoreError> {
    let row: Option<ReportRow> = store.fetch_optional(query(Report::SELECT).bind(id)).await?;
    row.ok_or(StoreError::NotFound("report"))?.try_into()
}

/// Which reports a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportFilter {
    pub mentor_id: Option<Uuid>,
    pub status: Option<ReportStatus>,
    pub severity: Option<Severity>,
    /// Only reports filed at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only reports filed before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// Reports in filing order, filtered by mentor, status and severity.
pub async fn list(
    store: &Store,
    filter: ReportFilter,
    page: PageRequest,
) -> Result<Page<Report>, StoreError> {
    const SQL: &str = select_reports!(
        "WHERE r.id > $1 AND ($3 = 0 OR r.mentor_id = $4) AND ($5 = '' OR r.status = $5) \
         AND ($6 = '' OR r.severity = $6) AND ($7 = 0 OR r.created_at >= $8) \
         AND ($9 = 0 OR r.created_at < $10) ORDER BY r.id LIMIT CAST($2 AS BIGINT)"
    );
    let status = filter.status.map(|s| enum_text(&s)).transpose()?;
    let severity = filter.severity.map(|s| enum_text(&s)).transpose()?;
    let rows: Vec<ReportRow> = store
        .fetch_all(
            query(SQL)
                .bind(page.after_or(Uuid::nil()))
                .bind(page.fetch_limit())
                .bind(i64::from(filter.mentor_id.is_some()))
                .bind(filter.mentor_id.unwrap_or(Uuid::nil()))
                .bind(status.unwrap_or_default())
                .bind(severity.unwrap_or_default())
                .bind_range(filter.from, filter.to),
        )
        .await?;
    let reports = rows
        .into_iter()
        .map(Report::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(reports, &page, |r| r.id))
}
