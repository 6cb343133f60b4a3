//! What keeps an account's sessions honest: the session epoch every access token carries (raised
//! to end every session at once, on every instance), and the one-time links sent by email to
//! set a password (a reset, or a student's invitation).

use chrono::{DateTime, Utc};
use mentorship_domain::people::Role;
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::db::{Tx, query};
use crate::events::{LinkPurpose, Recipient};
use crate::notifications;
use crate::{Backend, Store, StoreError};

/// The PostgreSQL channel on which instances hear that an account's sessions changed.
pub const ACCOUNT_CHANNEL: &str = "account_sessions";

/// What deciding on an access token needs to know of its account, now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Gate {
    /// Tokens carrying another epoch were issued before their sessions were ended.
    pub session_epoch: i64,
    pub active: bool,
}

/// The gate of an account; `None` when there is no such account (erased, or never was).
pub async fn gate(store: &Store, user_id: Uuid) -> Result<Option<Gate>, StoreError> {
    const SQL: &str = "SELECT session_epoch, active FROM users WHERE id = $1";
    store.fetch_optional(query(SQL).bind(user_id)).await
}

/// Tells every instance, when the transaction commits, that `user_id`'s gate changed (their
/// caches forget it). SQLite has one instance, which updates its own cache.
pub(crate) async fn announce(tx: &mut Tx, user_id: Uuid) -> Result<(), StoreError> {
    const SQL: &str = "SELECT pg_notify($1, $2)";
    if tx.backend() == Backend::Postgres {
        tx.execute(query(SQL).bind(ACCOUNT_CHANNEL).bind(user_id.to_string()))
            .await?;
    }
    Ok(())
}

/// Ends every session of an account inside `tx`: its access tokens (the epoch rises) and its
/// refresh tokens (revoked), announced to every instance.
pub(crate) async fn end_sessions(tx: &mut Tx, user_id: Uuid) -> Result<(), StoreError> {
    const EPOCH: &str = "UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1";
    const REFRESH: &str =
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";
    tx.execute(query(EPOCH).bind(user_id)).await?;
    tx.execute(query(REFRESH).bind(user_id).bind(crate::now()))
        .await?;
    announce(tx, user_id).await
}

/// "Log out everywhere": ends every session of the account, audited.
pub async fn log_out_everywhere(store: &Store, user_id: Uuid) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    end_sessions(&mut tx, user_id).await?;
    let entry = AuditEntry::event("user.logged_out_everywhere", Some(user_id), "user", user_id);
    audit::write(&mut tx, entry).await?;
    tx.commit().await
}

/// Sets an account's password and ends every session of it, audited with `action`.
pub(crate) async fn set_password(
    tx: &mut Tx,
    user_id: Uuid,
    password_hash: &str,
    action: &'static str,
    actor: Option<Uuid>,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE users SET password_hash = $2 WHERE id = $1";
    tx.execute(query(SQL).bind(user_id).bind(password_hash))
        .await?;
    end_sessions(tx, user_id).await?;
    audit::write(tx, AuditEntry::event(action, actor, "user", user_id)).await
}

/// A person's new password, chosen by themselves: every session ends, their other devices too.
pub async fn change_password(
    store: &Store,
    user_id: Uuid,
    password_hash: &str,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    set_password(
        &mut tx,
        user_id,
        password_hash,
        "user.password_changed",
        Some(user_id),
    )
    .await?;
    tx.commit().await
}

/// The account behind a login email, with what a one-time link to it needs.
#[derive(Debug, Clone, sqlx::FromRow)]
struct LinkHolder {
    id: Uuid,
    name: String,
    email: String,
    active: bool,
}

/// Stores a one-time link of `purpose` for `user_id` (only its hash) and queues the email that
/// carries it, inside `tx`. `link` is the address the person opens; `expires_at` its end.
pub(crate) async fn send_link(
    tx: &mut Tx,
    to: &Recipient,
    purpose: LinkPurpose,
    token_hash: &[u8],
    link: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO one_time_links (token_hash, user_id, purpose, created_at, expires_at) \
                       VALUES ($1, $2, $3, $4, $5)";
    tx.execute(
        query(SQL)
            .bind(token_hash)
            .bind(to.id)
            .bind(purpose.as_str())
            .bind(crate::now())
            .bind(expires_at),
    )
    .await?;
    let message = tx.notices.link_message(purpose, to, link, expires_at);
    notifications::queue_email(tx, &to.email, &message).await
}

/// Starts a password reset for the active account of `email`, if there is one: a link valid
/// until `expires_at`, sent by email. Says nothing of whether there was an account (the API
/// answers the same either way).
pub async fn start_password_reset(
    store: &Store,
    email: &str,
    token_hash: &[u8],
    link: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    const SQL: &str = "SELECT id, name, email, active FROM users WHERE email = $1";
    let mut tx = store.begin().await?;
    let holder: Option<LinkHolder> = tx.fetch_optional(query(SQL).bind(email)).await?;
    let Some(holder) = holder.filter(|h| h.active) else {
        return Ok(());
    };
    let to = Recipient {
        id: holder.id,
        name: holder.name,
        email: holder.email,
    };
    let purpose = LinkPurpose::PasswordReset;
    send_link(&mut tx, &to, purpose, token_hash, link, expires_at).await?;
    let entry = AuditEntry::event("user.password_reset_requested", None, "user", to.id);
    audit::write(&mut tx, entry).await?;
    tx.commit().await
}

/// Uses a one-time link of `purpose` to set the account's password: the link is spent (of two
/// uses at once, one wins), the password set, and every session of the account ended. Returns
/// the account's id and role; `None` when the link is unknown, spent or expired.
pub async fn use_link(
    store: &Store,
    token_hash: &[u8],
    purpose: LinkPurpose,
    password_hash: &str,
) -> Result<Option<(Uuid, Role)>, StoreError> {
    const SPEND: &str = "UPDATE one_time_links SET used_at = $3 \
                         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
                         RETURNING user_id";
    const ROLE: &str = "SELECT role FROM users WHERE id = $1 AND active";
    let mut tx = store.begin().await?;
    let spent: Vec<Uuid> = tx
        .scalars(
            query(SPEND)
                .bind(token_hash)
                .bind(purpose.as_str())
                .bind(crate::now()),
        )
        .await?;
    let Some(user_id) = spent.into_iter().next() else {
        return Ok(None);
    };
    let role: Vec<String> = tx.scalars(query(ROLE).bind(user_id)).await?;
    let Some(role) = role.into_iter().next() else {
        return Ok(None);
    };
    let role: Role = role
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("{e}")))?;
    let action = match purpose {
        LinkPurpose::PasswordReset => "user.password_reset",
        LinkPurpose::Invitation => "user.invitation_accepted",
    };
    set_password(&mut tx, user_id, password_hash, action, Some(user_id)).await?;
    tx.commit().await?;
    Ok(Some((user_id, role)))
}

/// Forgets what no longer counts at `now`: expired links, and throttle windows (of
/// `throttle_window`) that ended.
pub async fn purge_expired(
    store: &Store,
    now: DateTime<Utc>,
    throttle_window: chrono::Duration,
) -> Result<(), StoreError> {
    const LINKS: &str = "DELETE FROM one_time_links WHERE expires_at < $1";
    const COUNTS: &str = "DELETE FROM throttle_counts WHERE window_start < $1";
    let mut tx = store.begin().await?;
    tx.execute(query(LINKS).bind(now)).await?;
    // Only windows that ended: the current one still counts.
    tx.execute(query(COUNTS).bind(now - throttle_window))
        .await?;
    tx.commit().await
}

/// Counts one attempt on `key` in the fixed window that starts at `window_start`, and returns
/// the attempts made in it so far, this one included. One statement: concurrent attempts on any
/// number of instances are all counted.
pub async fn count_attempt(
    store: &Store,
    key: &str,
    window_start: DateTime<Utc>,
) -> Result<i64, StoreError> {
    const SQL: &str = "INSERT INTO throttle_counts (key, window_start, attempts) VALUES ($1, $2, 1) \
                       ON CONFLICT (key, window_start) DO UPDATE SET attempts = throttle_counts.attempts + 1 \
                       RETURNING attempts";
    let mut tx = store.begin().await?;
    let attempts: i64 = tx.scalar(query(SQL).bind(key).bind(window_start)).await?;
    tx.commit().await?;
    Ok(attempts)
}

/// What a watch of account changes heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// This account's gate changed.
    Changed(Uuid),
    /// The connection dropped (it reconnects): announcements may have been missed.
    Missed,
    /// The store is closed: nothing more will be heard.
    Closed,
}

/// The announcements of account changes made by any instance (PostgreSQL).
pub struct AccountWatch(sqlx::postgres::PgListener);

impl AccountWatch {
    /// The next announcement, waiting for it.
    pub async fn next(&mut self) -> Heard {
        match self.0.try_recv().await {
            Ok(Some(notice)) => notice
                .payload()
                .parse()
                .map_or(Heard::Missed, Heard::Changed),
            Ok(None) => Heard::Missed,
            Err(sqlx::Error::PoolClosed) => Heard::Closed,
            // Any other failure: the listener reconnects on the next call; the caller forgets
            // what it may have missed.
            Err(_) => Heard::Missed,
        }
    }
}

/// Starts listening to account changes; `None` on SQLite, where the one instance that changes
/// an account is the one that must know.
pub async fn watch(store: &Store) -> Result<Option<AccountWatch>, StoreError> {
    let Some(pool) = store.postgres_pool() else {
        return Ok(None);
    };
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(ACCOUNT_CHANNEL).await?;
    Ok(Some(AccountWatch(listener)))
}
