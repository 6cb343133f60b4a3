//! Exports of a person's data prepared in the background: requested (one preparing at a time
//! per person, kept so by a unique index), claimed by one instance for a lease, finished with
//! the archive's file (audited, its requester told), expired a week later.

use chrono::{DateTime, Utc};
use mentorship_domain::events::Event;
use mentorship_domain::exports::{EXPORT_KEPT, ExportStatus, MAX_PREPARATION_ATTEMPTS};
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::db::query;
use crate::mentors::enum_from;
use crate::{Backend, Store, StoreError};

/// An export as stored.
#[derive(Debug, Clone)]
pub struct Export {
    pub id: Uuid,
    /// Whose data it holds.
    pub user_id: Uuid,
    /// Who asked for it: the person, or staff on their request. Only they download it.
    pub requested_by: Uuid,
    pub status: ExportStatus,
    pub requested_at: DateTime<Utc>,
    pub attempts: i64,
    pub ready_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub file_key: Option<String>,
    pub size_bytes: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct ExportRow {
    id: Uuid,
    user_id: Uuid,
    requested_by: Uuid,
    status: String,
    requested_at: DateTime<Utc>,
    attempts: i64,
    ready_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    file_key: Option<String>,
    size_bytes: Option<i64>,
}

impl TryFrom<ExportRow> for Export {
    type Error = StoreError;
    fn try_from(r: ExportRow) -> Result<Self, StoreError> {
        Ok(Export {
            id: r.id,
            user_id: r.user_id,
            requested_by: r.requested_by,
            status: enum_from(&r.status)?,
            requested_at: r.requested_at,
            attempts: r.attempts,
            ready_at: r.ready_at,
            expires_at: r.expires_at,
            file_key: r.file_key,
            size_bytes: r.size_bytes,
        })
    }
}

macro_rules! export_columns {
    () => {
        "id, user_id, requested_by, status, requested_at, attempts, ready_at, expires_at, \
         file_key, size_bytes"
    };
}

/// Asks for an export of `user_id`'s data on behalf of `by`. While one is being prepared, that
/// one is the answer (whoever asked), so repeated or racing requests prepare one archive.
pub async fn request(store: &Store, user_id: Uuid, by: Uuid) -> Result<Export, StoreError> {
    const INSERT: &str = "INSERT INTO exports (id, user_id, requested_by, status, requested_at) \
                          VALUES ($1, $2, $3, 'preparing', $4) ON CONFLICT DO NOTHING";
    const PREPARING: &str = concat!(
        "SELECT ",
        export_columns!(),
        " FROM exports WHERE user_id = $1 AND status = 'preparing'"
    );
    // The one preparing is found after the insert; it may have finished in between (on
    // another instance), leaving none: the insert is then tried again, and makes a new one.
    for _ in 0..3 {
        let mut tx = store.begin().await?;
        tx.execute(
            query(INSERT)
                .bind(crate::new_id())
                .bind(user_id)
                .bind(by)
                .bind(crate::now()),
        )
        .await?;
        let row: Option<ExportRow> = tx.fetch_optional(query(PREPARING).bind(user_id)).await?;
        tx.commit().await?;
        if let Some(row) = row {
            return row.try_into();
        }
    }
    Err(StoreError::NotFound("export"))
}

/// One export by id.
pub async fn get(store: &Store, id: Uuid) -> Result<Export, StoreError> {
    const SQL: &str = concat!("SELECT ", export_columns!(), " FROM exports WHERE id = $1");
    let row: Option<ExportRow> = store.fetch_optional(query(SQL).bind(id)).await?;
    row.ok_or(StoreError::NotFound("export"))?.try_into()
}

/// Claims the oldest export waiting to be prepared at `now`, for `lease`: no other instance
/// takes it until it is finished, or the lease runs out (the instance died). Counts an attempt.
pub async fn claim_next(
    store: &Store,
    now: DateTime<Utc>,
    lease: chrono::Duration,
) -> Result<Option<Export>, StoreError> {
    const ANY: &str = "SELECT id FROM exports WHERE status = 'preparing' \
                       AND (claimed_until IS NULL OR claimed_until <= $1) LIMIT 1";
    // Most polls find nothing: a read answers that without taking SQLite's write lock.
    if store
        .scalars::<Uuid>(query(ANY).bind(now))
        .await?
        .is_empty()
    {
        return Ok(None);
    }
    macro_rules! claim {
        ($lock:literal) => {
            concat!(
                "UPDATE exports SET claimed_until = $2, attempts = attempts + 1 WHERE id IN \
                 (SELECT id FROM exports WHERE status = 'preparing' \
                 AND (claimed_until IS NULL OR claimed_until <= $1) ORDER BY requested_at LIMIT 1",
                $lock,
                ") RETURNING ",
                export_columns!()
            )
        };
    }
    let sql = match store.backend() {
        Backend::Sqlite => claim!(""),
        Backend::Postgres => claim!(" FOR UPDATE SKIP LOCKED"),
    };
    let mut tx = store.begin().await?;
    let row: Option<ExportRow> = tx
        .fetch_optional(query(sql).bind(now).bind(now + lease))
        .await?;
    tx.commit().await?;
    row.map(Export::try_from).transpose()
}

/// Records a prepared export's archive: ready until a week from now, audited as an export by
/// its requester, who is told. `false` when the export was no longer being prepared (an
/// erasure removed it): the caller deletes the file it made.
pub async fn finish(
    store: &Store,
    export: &Export,
    file_key: &str,
    size_bytes: i64,
) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE exports SET status = 'ready', file_key = $2, size_bytes = $3, \
                       ready_at = $4, expires_at = $5, claimed_until = NULL \
                       WHERE id = $1 AND status = 'preparing'";
    let now = crate::now();
    let expires_at = now + EXPORT_KEPT;
    let mut tx = store.begin().await?;
    let changed = tx
        .execute(
            query(SQL)
                .bind(export.id)
                .bind(file_key)
                .bind(size_bytes)
                .bind(now)
                .bind(expires_at),
        )
        .await?;
    if changed == 0 {
        return Ok(false);
    }
    let entry = AuditEntry::event(
        "user.data_exported",
        Some(export.requested_by),
        "user",
        export.user_id,
    );
    audit::write(&mut tx, entry).await?;
    let ready = Event::DataExportReady {
        requested_by: export.requested_by,
        export_id: export.id,
        expires_at,
    };
    crate::events::record(&mut tx, &[ready]).await?;
    tx.commit().await?;
    Ok(true)
}

/// Records a failed preparation: tried again at the next poll, or given up as failed after
/// [`MAX_PREPARATION_ATTEMPTS`].
pub async fn failed_attempt(store: &Store, export: &Export) -> Result<(), StoreError> {
    const RETRY: &str =
        "UPDATE exports SET claimed_until = NULL WHERE id = $1 AND status = 'preparing'";
    const GIVE_UP: &str = "UPDATE exports SET status = 'failed', claimed_until = NULL \
                           WHERE id = $1 AND status = 'preparing'";
    let sql = if export.attempts >= MAX_PREPARATION_ATTEMPTS {
        GIVE_UP
    } else {
        RETRY
    };
    store.execute(query(sql).bind(export.id)).await?;
    Ok(())
}

/// Marks every ready export past its expiry as expired; returns the keys of their archives,
/// for the caller to delete. Any instance may run it: two at once may both delete a file, which
/// deletes nothing more.
pub async fn expire_due(store: &Store, now: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
    const KEYS: &str = "SELECT file_key FROM exports WHERE status = 'ready' AND expires_at <= $1 \
                        AND file_key IS NOT NULL";
    const EXPIRE: &str = "UPDATE exports SET status = 'expired', file_key = NULL \
                          WHERE status = 'ready' AND expires_at <= $1";
    let mut tx = store.begin().await?;
    let keys: Vec<String> = tx.scalars(query(KEYS).bind(now)).await?;
    if !keys.is_empty() {
        tx.execute(query(EXPIRE).bind(now)).await?;
    }
    tx.commit().await?;
    Ok(keys)
}
