//! Notifications and the email outbox (RULES.md, "Notifications and audit"). An event that names
//! a person to tell stores a notification for them and queues its email in the same transaction
//! as the change itself, with `notify!`: the change, the notification and the email land together
//! or not at all. A background worker then claims due emails, sends them and records the outcome.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Page, PageRequest, Store, StoreError};

/// The kinds of notification the onboarding of a mentor sends (RULES.md, "Becoming a mentor").
pub mod kind {
    /// The applicant is told their application arrived.
    pub const APPLICATION_RECEIVED: &str = "application_received";
    /// The applicant is told a manager accepted them, and which documents to send.
    pub const APPLICATION_ACCEPTED: &str = "application_accepted";
    /// The applicant is told a manager rejected them, with the reason.
    pub const APPLICATION_REJECTED: &str = "application_rejected";
    /// The mentor is told a document was rejected, with the reason, and may send it again.
    pub const DOCUMENT_REJECTED: &str = "document_rejected";
    /// The mentor is told every document is verified and the contract awaits their signature.
    pub const CONTRACT_READY: &str = "contract_ready";
    /// The mentor signed: they are active, and get the onboarding message with the next steps.
    pub const MENTOR_ACTIVATED: &str = "mentor_activated";
}

/// A notification to store for a person, with the email that tells them.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub user_id: Uuid,
    /// Where the email goes (the person's address at the time of the event).
    pub email: String,
    /// One of [`kind`]'s constants.
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

pub(crate) const INSERT_NOTIFICATION_SQL: &str = "INSERT INTO notifications \
     (id, user_id, kind, subject, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)";

/// Due at once: `next_attempt_at` is the creation instant.
pub(crate) const INSERT_EMAIL_SQL: &str = "INSERT INTO email_outbox \
     (id, notification_id, to_email, subject, body, created_at, attempts, next_attempt_at) \
     VALUES ($1, $2, $3, $4, $5, $6, 0, $6)";

/// Stores a notification and queues its email inside the open transaction `$tx`, and gives the
/// notification's id. Call it in the `write_tx!` of the change that is being told.
macro_rules! notify {
    ($tx:ident, $new:expr) => {{
        let new: $crate::notifications::NewNotification = $new;
        let at = $crate::now();
        let notification_id = $crate::new_id();
        sqlx::query($crate::notifications::INSERT_NOTIFICATION_SQL)
            .bind(notification_id)
            .bind(new.user_id)
            .bind(new.kind)
            .bind(&new.subject)
            .bind(&new.body)
            .bind(at)
            .execute(&mut *$tx)
            .await?;
        sqlx::query($crate::notifications::INSERT_EMAIL_SQL)
            .bind($crate::new_id())
            .bind(notification_id)
            .bind(&new.email)
            .bind(&new.subject)
            .bind(&new.body)
            .bind(at)
            .execute(&mut *$tx)
            .await?;
        notification_id
    }};
}

/// Stores a notification and queues its email in a transaction of their own, for events that
/// change nothing else.
pub async fn notify_now(store: &Store, new: NewNotification) -> Result<Uuid, StoreError> {
    Ok(write_tx!(store, |tx| notify!(tx, new)))
}

/// A person's notifications, newest first; only the unread ones with `unread_only`.
pub async fn list_for(
    store: &Store,
    user_id: Uuid,
    unread_only: bool,
    page: PageRequest,
) -> Result<Page<Notification>, StoreError> {
    const SQL: &str = "SELECT id, user_id, kind, subject, body, created_at, read_at \
                       FROM notifications \
                       WHERE user_id = $1 AND id < $2 AND (read_at IS NULL OR NOT $3) \
                       ORDER BY id DESC LIMIT CAST($4 AS BIGINT)";
    let rows: Vec<Notification> = read!(store, |pool| sqlx::query_as(SQL)
        .bind(user_id)
        .bind(page.after_or(Uuid::max()))
        .bind(unread_only)
        .bind(page.fetch_limit())
        .fetch_all(pool)
        .await?);
    Ok(Page::from_rows(rows, &page, |n| n.id))
}

/// Marks one of a person's notifications read (again is harmless: the first instant stays).
/// Another person's notification is `NotFound`, as an unknown id.
pub async fn mark_read(store: &Store, user_id: Uuid, id: Uuid) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE notifications SET read_at = COALESCE(read_at, $3) \
                       WHERE id = $1 AND user_id = $2";
    write_tx!(store, |tx| {
        let updated = sqlx::query(SQL)
            .bind(id)
            .bind(user_id)
            .bind(crate::now())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound("notification"));
        }
    });
    Ok(())
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
    let any: Option<Uuid> = read!(store, |pool| sqlx::query_scalar(ANY_DUE)
        .bind(now)
        .fetch_optional(pool)
        .await?);
    if any.is_none() {
        return Ok(Vec::new());
    }
    const CLAIM_SQLITE: &str = claim_sql!("");
    const CLAIM_POSTGRES: &str = claim_sql!(" FOR UPDATE SKIP LOCKED");
    let claim = match store.backend() {
        crate::Backend::Sqlite => CLAIM_SQLITE,
        crate::Backend::Postgres => CLAIM_POSTGRES,
    };
    let mut claimed: Vec<OutboxEmail> = write_tx!(store, |tx| sqlx::query_as(claim)
        .bind(now)
        .bind(now + lease)
        .bind(i64::from(batch))
        .fetch_all(&mut *tx)
        .await?);
    claimed.sort_by_key(|e| e.id);
    Ok(claimed)
}

/// Records a delivered email: it is never due again.
pub async fn mark_sent(store: &Store, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE email_outbox SET sent_at = $2, attempts = attempts + 1, \
                       next_attempt_at = NULL, claimed_until = NULL WHERE id = $1";
    write_tx!(store, |tx| {
        sqlx::query(SQL).bind(id).bind(at).execute(&mut *tx).await?;
    });
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
    write_tx!(store, |tx| {
        sqlx::query(SQL)
            .bind(id)
            .bind(error)
            .bind(retry_at)
            .execute(&mut *tx)
            .await?;
    });
    Ok(())
}

/// Gives claimed emails back unsent (a worker that stops), so they are due again at once
/// instead of when the claim runs out.
pub async fn release(store: &Store, ids: &[Uuid]) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE email_outbox SET claimed_until = NULL WHERE id = $1";
    write_tx!(store, |tx| {
        for id in ids {
            sqlx::query(SQL).bind(id).execute(&mut *tx).await?;
        }
    });
    Ok(())
}

/// Every email queued for an address, oldest first: what was told to whom, and how it went.
pub async fn emails_to(store: &Store, to_email: &str) -> Result<Vec<OutboxEmail>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        outbox_columns!(),
        " FROM email_outbox WHERE to_email = $1 ORDER BY id"
    );
    Ok(read!(store, |pool| sqlx::query_as(SQL)
        .bind(to_email)
        .fetch_all(pool)
        .await?))
}
