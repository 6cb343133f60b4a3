//! Notifications and the email outbox (RULES.md, "Notifications and audit"). An event that names
//! a person to tell stores a notification for them and queues its email in the same transaction
//! as the change itself ([`crate::events::record`] calls [`write`]): the change, the notification
//! and the email land together or not at all. A background worker then claims due emails, sends
//! them and records the outcome.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::{Tx, query};
use crate::{Backend, Page, PageRequest, Store, StoreError};

/// A notification to store for a person, with the email that tells them.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub user_id: Uuid,
    /// Where the email goes (the person's address at the time of the event).
    pub email: String,
    /// What happened, for programs: the event's kind (`application_received`).
    pub kind: &'static str,
    pub subject: String,
    pub body: String,
}

/// A notification as its reader sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// When the reader marked it read; `None` while unread.
    pub read_at: Option<DateTime<Utc>>,
}

/// An email of the outbox, as the worker claims it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxEmail {
    pub id: Uuid,
    pub notification_id: Option<Uuid>,
    pub to_email: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// Delivery attempts made so far, failed or not.
    pub attempts: i64,
    /// When the email is next due; `None` once sent or given up.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Until when a worker holds it; a worker that dies lets it come due again after this.
    pub claimed_until: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed; kept after a success or giving up, for the operator.
    pub last_error: Option<String>,
}

/// Stores a notification and queues its email inside the transaction of the change that is being
/// told; returns the notification's id.
pub async fn write(tx: &mut Tx, new: &NewNotification) -> Result<Uuid, StoreError> {
    const NOTIFICATION: &str = "INSERT INTO notifications \
         (id, user_id, kind, subject, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
    // Due at once: `next_attempt_at` is the creation instant.
    const EMAIL: &str = "INSERT INTO email_outbox \
         (id, notification_id, to_email, subject, body, created_at, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $6)";
    let at = crate::now();
    let id = crate::new_id();
    tx.execute(
        query(NOTIFICATION)
            .bind(id)
            .bind(new.user_id)
            .bind(new.kind)
            .bind(&new.subject)
            .bind(&new.body)
            .bind(at),
    )
    .await?;
    tx.execute(
        query(EMAIL)
            .bind(crate::new_id())
            .bind(id)
            .bind(&new.email)
            .bind(&new.subject)
            .bind(&new.body)
            .bind(at),
    )
    .await?;
    Ok(id)
}

/// Queues an email with no notification beside it (a message that carries a secret, such as a
/// one-time link, is not kept where the person's notifications list it).
pub async fn queue_email(
    tx: &mut Tx,
    to_email: &str,
    message: &crate::events::Message,
) -> Result<(), StoreError> {
    const EMAIL: &str = "INSERT INTO email_outbox \
         (id, notification_id, to_email, subject, body, created_at, attempts, next_attempt_at) \
         VALUES ($1, NULL, $2, $3, $4, $5, 0, $5)";
    tx.execute(
        query(EMAIL)
            .bind(crate::new_id())
            .bind(to_email)
            .bind(&message.subject)
            .bind(&message.body)
            .bind(crate::now()),
    )
    .await?;
    Ok(())
}

/// Stores a notification and queues its email in a transaction of their own, for messages that
/// go with no change.
pub async fn notify_now(store: &Store, new: NewNotification) -> Result<Uuid, StoreError> {
    let mut tx = store.begin().await?;
    let id = write(&mut tx, &new).await?;
    tx.commit().await?;
    Ok(id)
}

/// A person's notifications, newest first; only the unread ones with `unread_only`.
pub async fn list_for(
    store: &Store,
    user_id: Uuid,
    filter: NotificationFilter,
    page: PageRequest,
) -> Result<Page<Notification>, StoreError> {
    const SQL: &str = "SELECT id, user_id, kind, subject, body, created_at, read_at \
                       FROM notifications \
                       WHERE user_id = $1 AND id < $2 AND (read_at IS NULL OR NOT $3) \
                       AND ($5 = 0 OR created_at >= $6) AND ($7 = 0 OR created_at < $8) \
                       ORDER BY id DESC LIMIT CAST($4 AS BIGINT)";
    let rows: Vec<Notification> = store
        .fetch_all(
            query(SQL)
                .bind(user_id)
                .bind(page.after_or(Uuid::max()))
                .bind(filter.unread_only)
                .bind(page.fetch_limit())
                .bind_range(filter.from, filter.to),
        )
        .await?;
    Ok(Page::from_rows(rows, &page, |n| n.id))
}

/// Which of a person's notifications to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotificationFilter {
    pub unread_only: bool,
    /// Only those made at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only those made before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// Marks one of a person's notifications read (again is harmless: the first instant stays).
/// Another person's notification is `NotFound`, as an unknown id.
pub async fn mark_read(store: &Store, user_id: Uuid, id: Uuid) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE notifications SET read_at = COALESCE(read_at, $3) \
                       WHERE id = $1 AND user_id = $2";
    let mut tx = store.begin().await?;
    let updated = tx
        .execute(query(SQL).bind(id).bind(user_id).bind(crate::now()))
        .await?;
    if updated == 0 {
        return Err(StoreError::NotFound("notification"));
    }
    tx.commit().await
}

/// The columns of an [`OutboxEmail`].
macro_rules! outbox_columns {
    () => {
        "id, notification_id, to_email, subject, body, created_at, attempts, next_attempt_at, \
         claimed_until, sent_at, last_error"
    };
}

/// Due and not held by a live claim, at instant `$1`.
macro_rules! due {
    () => {
        "next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)"
    };
}

/// The claim: marks up to `$3` due emails held until `$2`, and returns them. `$lock` is what
/// keeps two claimers apart on PostgreSQL; SQLite's single writer already does.
macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE email_outbox SET claimed_until = $2 WHERE id IN (SELECT id FROM email_outbox WHERE ",
            due!(),
            " ORDER BY next_attempt_at LIMIT CAST($3 AS BIGINT)",
            $lock,
            ") RETURNING ",
            outbox_columns!()
        )
    };
}

/// Claims up to `batch` emails due at `now` for `lease`: no other claimer gets them until they
/// are marked sent or failed, or the lease runs out (the worker died). Any number of workers,
/// in any number of instances, may call this at once without two sending the same email.
pub async fn claim_due(
    store: &Store,
    now: DateTime<Utc>,
    batch: u32,
    lease: chrono::Duration,
) -> Result<Vec<OutboxEmail>, StoreError> {
    const ANY_DUE: &str = concat!("SELECT id FROM email_outbox WHERE ", due!(), " LIMIT 1");
    // Most polls find nothing: a read answers that without taking SQLite's write lock.
    let any: Vec<Uuid> = store.scalars(query(ANY_DUE).bind(now)).await?;
    if any.is_empty() {
        return Ok(Vec::new());
    }
    const CLAIM_SQLITE: &str = claim_sql!("");
    const CLAIM_POSTGRES: &str = claim_sql!(" FOR UPDATE SKIP LOCKED");
    let claim = match store.backend() {
        Backend::Sqlite => CLAIM_SQLITE,
        Backend::Postgres => CLAIM_POSTGRES,
    };
    let mut tx = store.begin().await?;
    let mut claimed: Vec<OutboxEmail> = tx
        .fetch_all(
            query(claim)
                .bind(now)
                .bind(now + lease)
                .bind(i64::from(batch)),
        )
        .await?;
    tx.commit().await?;
    claimed.sort_by_key(|e| e.id);
    Ok(claimed)
}

/// Records a delivered email: it is never due again.
pub async fn mark_sent(store: &Store, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE email_outbox SET sent_at = $2, attempts = attempts + 1, \
                       next_attempt_at = NULL, claimed_until = NULL WHERE id = $1";
    store.execute(query(SQL).bind(id).bind(at)).await?;
    Ok(())
}

/// Records a failed attempt and why; the email is due again at `retry_at`, or never when
/// `retry_at` is `None` (given up: the row stays, with its last error, for the operator).
pub async fn mark_failed(
    store: &Store,
    id: Uuid,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE email_outbox SET attempts = attempts + 1, last_error = $2, \
                       next_attempt_at = $3, claimed_until = NULL WHERE id = $1";
    store
        .execute(query(SQL).bind(id).bind(error).bind(retry_at))
        .await?;
    Ok(())
}

/// Gives claimed emails back unsent (a worker that stops), so they are due again at once
/// instead of when the claim runs out.
pub async fn release(store: &Store, ids: &[Uuid]) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE email_outbox SET claimed_until = NULL WHERE id = $1";
    let mut tx = store.begin().await?;
    for id in ids {
        tx.execute(query(SQL).bind(id)).await?;
    }
    tx.commit().await
}

/// Every email queued for an address, oldest first: what was told to whom, and how it went.
pub async fn emails_to(store: &Store, to_email: &str) -> Result<Vec<OutboxEmail>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        outbox_columns!(),
        " FROM email_outbox WHERE to_email = $1 ORDER BY id"
    );
    store.fetch_all(query(SQL).bind(to_email)).await
}
