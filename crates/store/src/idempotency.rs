//! The answers kept for retried requests (`Idempotency-Key`): per caller and key, the first
//! request's fingerprint and, once it finished, its answer, for 24 hours. The row is taken by
//! one insert, so of two requests racing with one key on any number of instances exactly one
//! runs.

use chrono::{DateTime, Duration, Utc};

use crate::db::query;
use crate::{Store, StoreError};

/// How long an answer is kept for its key.
pub const KEPT_FOR: Duration = Duration::hours(24);

/// How long a claimed key waits for its answer before it is free again: the request that
/// claimed it died with its instance (a request that ends frees or answers its key at once).
pub const IN_FLIGHT_LEASE: Duration = Duration::minutes(5);

/// An answer as kept: its status, the headers that matter, its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    pub status: u16,
    /// `name: value` lines.
    pub headers: String,
    pub body: Vec<u8>,
}

/// What a request with a key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The first with this key: run it, then keep its answer.
    Run,
    /// A repeat of a finished request: answer the same, run nothing.
    Replay(KeptAnswer),
    /// A repeat while the first still runs.
    InFlight,
    /// The same key with another request.
    Mismatch,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    fingerprint: Vec<u8>,
    status: Option<i64>,
    headers: Option<String>,
    body: Option<Vec<u8>>,
}

/// Claims `key` for `caller`'s request of `fingerprint` at `now`.
pub async fn claim(
    store: &Store,
    caller: &str,
    key: &str,
    fingerprint: &[u8],
    now: DateTime<Utc>,
) -> Result<Claim, StoreError> {
    const TAKE: &str = "INSERT INTO idempotency_keys (caller, key, fingerprint, created_at) \
                        VALUES ($1, $2, $3, $4) ON CONFLICT (caller, key) DO NOTHING";
    const READ: &str = "SELECT fingerprint, status, headers, body FROM idempotency_keys \
                        WHERE caller = $1 AND key = $2";
    const EXPIRED: &str = "DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2 \
                           AND (created_at <= $3 OR (status IS NULL AND created_at <= $4))";
    let mut tx = store.begin().await?;
    // A key older than a day is free again, and one whose request died unanswered.
    tx.execute(
        query(EXPIRED)
            .bind(caller)
            .bind(key)
            .bind(now - KEPT_FOR)
            .bind(now - IN_FLIGHT_LEASE),
    )
    .await?;
    let taken = tx
        .execute(
            query(TAKE)
                .bind(caller)
                .bind(key)
                .bind(fingerprint)
                .bind(now),
        )
        .await?;
    let claim = if taken == 1 {
        Claim::Run
    } else {
        let row: Option<KeyRow> = tx
            .fetch_optional(query(READ).bind(caller).bind(key))
            .await?;
        match row {
            None => Claim::InFlight,
            Some(row) if row.fingerprint != fingerprint => Claim::Mismatch,
            Some(KeyRow {
                status: Some(status),
                headers,
                body,
                ..
            }) => Claim::Replay(KeptAnswer {
                status: u16::try_from(status).unwrap_or(500),
                headers: headers.unwrap_or_default(),
                body: body.unwrap_or_default(),
            }),
            Some(_) => Claim::InFlight,
        }
    };
    tx.commit().await?;
    Ok(claim)
}

/// Keeps the answer of the request that ran with `key`.
pub async fn keep(
    store: &Store,
    caller: &str,
    key: &str,
    answer: &KeptAnswer,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE idempotency_keys SET status = $3, headers = $4, body = $5 \
                       WHERE caller = $1 AND key = $2";
    store
        .execute(
            query(SQL)
                .bind(caller)
                .bind(key)
                .bind(i64::from(answer.status))
                .bind(&answer.headers)
                .bind(&answer.body),
        )
        .await?;
    Ok(())
}

/// Frees `key` of a request whose answer is not to be kept (a failure of the server's, or a
/// 409 or 429 that a retry may not get): the next request with it runs.
pub async fn release(store: &Store, caller: &str, key: &str) -> Result<(), StoreError> {
    const SQL: &str = "DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2";
    store.execute(query(SQL).bind(caller).bind(key)).await?;
    Ok(())
}

/// Forgets the keys older than a day.
pub async fn purge(store: &Store, now: DateTime<Utc>) -> Result<u64, StoreError> {
    const SQL: &str = "DELETE FROM idempotency_keys WHERE created_at <= $1";
    store.execute(query(SQL).bind(now - KEPT_FOR)).await
}

/// The caller a key belongs to when nobody is logged in: the key is then shared by strangers,
/// and only the same request replays.
pub fn anonymous() -> String {
    "anonymous".to_owned()
}
