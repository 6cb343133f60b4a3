//! Another path (RULES.md, "Paths, capacity and assignment"): an active mentor asks, 3 calendar
//! months after activation, to mentor another path; a manager approves or declines, with a
//! reason. A mentor's approved paths are the one they applied for and those approved here.

use chrono::{DateTime, Utc};
use mentorship_domain::events::{Event, Step};
use mentorship_domain::mentors::{PathRequestFacts, PathRequestStatus, check_path_request};
use serde::Serialize;
use uuid::Uuid;

use crate::db::{Query, query};
use crate::mentors::{Mentor, enum_from, enum_text};
use crate::record::{self, Change, Record};
use crate::{Page, PageRequest, Store, StoreError, catalog};

/// A mentor's request to mentor another path.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PathRequest {
    pub id: Uuid,
    pub mentor_id: Uuid,
    pub path_id: Uuid,
    pub status: PathRequestStatus,
    /// The manager's reason, on a decline (and an approval that gave one).
    pub reason: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct PathRequestRow {
    id: Uuid,
    mentor_id: Uuid,
    path_id: Uuid,
    status: String,
    reason: Option<String>,
    requested_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
    decided_by: Option<Uuid>,
    version: i64,
}

impl TryFrom<PathRequestRow> for PathRequest {
    type Error = StoreError;
    fn try_from(r: PathRequestRow) -> Result<Self, StoreError> {
        Ok(PathRequest {
            id: r.id,
            mentor_id: r.mentor_id,
            path_id: r.path_id,
            status: enum_from(&r.status)?,
            reason: r.reason,
            requested_at: r.requested_at,
            decided_at: r.decided_at,
            decided_by: r.decided_by,
            version: r.version,
        })
    }
}

macro_rules! select_requests {
    ($tail:literal) => {
        concat!(
            "SELECT id, mentor_id, path_id, status, reason, requested_at, decided_at, decided_by, version \
             FROM path_requests ",
            $tail
        )
    };
}

impl Record for PathRequest {
    type Row = PathRequestRow;
    const NAME: &'static str = "path request";
    const SELECT: &'static str = select_requests!("WHERE id = $1");
    const LOCK: &'static str = "SELECT id FROM path_requests WHERE id = $1 FOR UPDATE";
    const UNIQUE: &'static str = "pending request";

    fn id(&self) -> Uuid {
        self.id
    }

    fn version(&self) -> i64 {
        self.version
    }

    fn stamp(&mut self, version: i64, at: DateTime<Utc>) {
        self.version = version;
        self.decided_at = self.decided_at.or(Some(at));
    }

    fn update(&self, version: i64) -> Query {
        const SQL: &str = "UPDATE path_requests SET status = $2, reason = $3, decided_at = $4, \
                           decided_by = $5, version = $6 WHERE id = $1 AND version = $7";
        query(SQL)
            .bind(self.id)
            .bind(self.status_text())
            .bind(&self.reason)
            .bind(self.decided_at)
            .bind(self.decided_by)
            .bind(self.version)
            .bind(version)
    }
}

impl PathRequest {
    fn status_text(&self) -> String {
        enum_text(&self.status).unwrap_or_default()
    }
}

/// The paths a mentor may mentor: the one they applied for, then those approved, in order.
pub async fn approved_paths(store: &Store, mentor: &Mentor) -> Result<Vec<Uuid>, StoreError> {
    const SQL: &str = "SELECT path_id FROM path_requests WHERE mentor_id = $1 AND status = 'approved' \
                       ORDER BY decided_at";
    let mut paths = vec![mentor.path_id];
    paths.extend(store.scalars::<Uuid>(query(SQL).bind(mentor.id)).await?);
    Ok(paths)
}

/// A mentor asks to mentor `path_id`, decided by the domain on the mentor's state under its
/// lock: active, 3 calendar months after activation in their zone, not a path they have, no
/// request waiting. Their manager is told.
pub async fn request(
    store: &Store,
    mentor_id: Uuid,
    path_id: Uuid,
    now: DateTime<Utc>,
) -> Result<PathRequest, StoreError> {
    const PENDING: &str =
        "SELECT COUNT(*) FROM path_requests WHERE mentor_id = $1 AND status = 'pending'";
    const APPROVED: &str = "SELECT COUNT(*) FROM path_requests WHERE mentor_id = $1 AND path_id = $2 \
                            AND status = 'approved'";
    const INSERT: &str = "INSERT INTO path_requests (id, mentor_id, path_id, status, requested_at, version) \
                          VALUES ($1, $2, $3, 'pending', $4, 1)";
    let path = catalog::get_path(store, path_id).await?;
    let mut tx = store.begin().await?;
    let mentor: Mentor = record::lock(&mut tx, mentor_id).await?;
    let pending: i64 = tx.scalar(query(PENDING).bind(mentor_id)).await?;
    let approved: i64 = tx
        .scalar(query(APPROVED).bind(mentor_id).bind(path_id))
        .await?;
    let facts = PathRequestFacts {
        mentor_status: mentor.status,
        activated_at: mentor.activated_at,
        mentor_zone: mentor
            .time_zone
            .parse()
            .map_err(|_| StoreError::Corrupt("mentor zone".into()))?,
        already_approved: mentor.path_id == path_id || approved > 0,
        request_pending: pending > 0,
    };
    check_path_request(&facts, now).map_err(StoreError::first_refused)?;
    let request = PathRequest {
        id: crate::new_id(),
        mentor_id,
        path_id,
        status: PathRequestStatus::Pending,
        reason: None,
        requested_at: crate::now(),
        decided_at: None,
        decided_by: None,
        version: 1,
    };
    tx.execute(
        query(INSERT)
            .bind(request.id)
            .bind(mentor_id)
            .bind(path_id)
            .bind(request.requested_at),
    )
    .await
    .map_err(StoreError::unique_as("pending request"))?;
    let event = Event::PathRequested {
        mentor_id,
        mentor_name: mentor.name.clone(),
        path_title: path.title,
        manager_id: mentor.manager_id,
    };
    record::created(
        &mut tx,
        &request,
        "path_request.made",
        Some(mentor_id),
        &[event],
    )
    .await?;
    tx.commit().await?;
    Ok(request)
}

/// A manager approves or declines a pending request (once: a decided request is refused);
/// the mentor is told either way.
pub async fn decide(
    store: &Store,
    id: Uuid,
    approve: bool,
    reason: Option<&str>,
    actor: Uuid,
) -> Result<PathRequest, StoreError> {
    let action = if approve {
        "path_request.approved"
    } else {
        "path_request.declined"
    };
    let current = get(store, id).await?;
    let path = catalog::get_path(store, current.path_id).await?;
    let mut tx = store.begin().await?;
    let request = record::change(&mut tx, id, Change::by(action, actor), |r: &PathRequest| {
        let status = r
            .status
            .decide(approve)
            .map_err(|e| StoreError::refused(&e))?;
        let event = Event::PathRequestDecided {
            mentor_id: r.mentor_id,
            path_title: path.title.clone(),
            approved: approve,
            reason: reason.map(str::to_owned),
        };
        Ok(Step::new(
            PathRequest {
                status,
                reason: reason.map(str::to_owned),
                decided_by: Some(actor),
                ..r.clone()
            },
            [event],
        ))
    })
    .await?;
    tx.commit().await?;
    Ok(request)
}

/// One request by id.
pub async fn get(store: &Store, id: Uuid) -> Result<PathRequest, StoreError> {
    let row: Option<PathRequestRow> = store
        .fetch_optional(query(PathRequest::SELECT).bind(id))
        .await?;
    row.ok_or(StoreError::NotFound("path request"))?.try_into()
}

/// Requests in id order: one mentor's, or every mentor's; of one status or any.
pub async fn list(
    store: &Store,
    mentor_id: Option<Uuid>,
    status: Option<PathRequestStatus>,
    page: PageRequest,
) -> Result<Page<PathRequest>, StoreError> {
    const SQL: &str = select_requests!(
        "WHERE id > $1 AND ($3 = 0 OR mentor_id = $4) AND ($5 = '' OR status = $5) \
         ORDER BY id LIMIT CAST($2 AS BIGINT)"
    );
    let status = status
        .map(|s| enum_text(&s))
        .transpose()?
        .unwrap_or_default();
    let rows: Vec<PathRequestRow> = store
        .fetch_all(
            query(SQL)
                .bind(page.after_or(Uuid::nil()))
                .bind(page.fetch_limit())
                .bind(i64::from(mentor_id.is_some()))
                .bind(mentor_id.unwrap_or(Uuid::nil()))
                .bind(status),
        )
        .await?;
    let requests = rows
        .into_iter()
        .map(PathRequest::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(requests, &page, |r| r.id))
}
