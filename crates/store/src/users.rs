//! People's accounts: one row per person, whatever their role.

use chrono::{DateTime, Utc};
use mentorship_domain::people::Role;
use serde::Serialize;
use uuid::Uuid;

use crate::audit::AuditEntry;
use crate::{Page, PageRequest, Store, StoreError, new_id};

/// An account as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    role: String,
    active: bool,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        let role = row
            .role
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("{e}")))?;
        Ok(User {
            id: row.id,
            email: row.email,
            name: row.name,
            role,
            active: row.active,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A new account; the email is already normalised and the password already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
}

/// What an edit may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub email: Option<String>,
    pub name: Option<String>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
}

/// A `SELECT` of every public column of `users`, followed by `$tail`.
macro_rules! select_users {
    ($tail:literal) => {
        concat!(
            "SELECT id, email, name, role, active, version, created_at, updated_at FROM users ",
            $tail
        )
    };
}

/// Opens an account. A taken email is `Duplicate("email")`.
pub async fn create(store: &Store, new: NewUser, actor: Option<Uuid>) -> Result<User, StoreError> {
    let now = crate::now();
    let user = User {
        id: new_id(),
        email: new.email,
        name: new.name,
        role: new.role,
        active: true,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    const SQL: &str = "INSERT INTO users (id, email, name, role, password_hash, active, version, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    write_tx!(store, |tx| {
        sqlx::query(SQL)
            .bind(user.id)
            .bind(&user.email)
            .bind(&user.name)
            .bind(user.role.as_str())
            .bind(&new.password_hash)
            .bind(user.active)
            .bind(user.version)
            .bind(user.created_at)
            .bind(user.updated_at)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::unique_as("email"))?;
        audit!(tx, created_entry(actor, &user));
    });
    Ok(user)
}

fn created_entry(actor: Option<Uuid>, user: &User) -> AuditEntry {
    AuditEntry {
        actor_id: actor,
        action: "user.created",
        object_type: "user",
        object_id: user.id,
        before: None,
        after: serde_json::to_value(user).ok(),
        at: user.created_at,
    }
}

/// One account by id.
pub async fn get(store: &Store, id: Uuid) -> Result<User, StoreError> {
    const SQL: &str = select_users!("WHERE id = $1");
    let row: Option<UserRow> = read!(store, |pool| sqlx::query_as(SQL)
        .bind(id)
        .fetch_optional(pool)
        .await?);
    row.ok_or(StoreError::NotFound("user"))?.try_into()
}

/// The account and password hash for a login email, if there is one.
pub async fn find_for_login(
    store: &Store,
    email: &str,
) -> Result<Option<(User, String)>, StoreError> {
    const SQL: &str = "SELECT id, email, name, role, active, version, created_at, updated_at, password_hash \
                       FROM users WHERE email = $1";
    #[derive(sqlx::FromRow)]
    struct LoginRow {
        #[sqlx(flatten)]
        user: UserRow,
        password_hash: String,
    }
    let row: Option<LoginRow> = read!(store, |pool| sqlx::query_as(SQL)
        .bind(email)
        .fetch_optional(pool)
        .await?);
    row.map(|r| Ok((r.user.try_into()?, r.password_hash)))
        .transpose()
}

/// Accounts in id order, optionally of one role.
pub async fn list(
    store: &Store,
    role: Option<Role>,
    page: PageRequest,
) -> Result<Page<User>, StoreError> {
    const ALL: &str = select_users!("WHERE id > $1 ORDER BY id LIMIT CAST($2 AS BIGINT)");
    const BY_ROLE: &str =
        select_users!("WHERE role = $3 AND id > $1 ORDER BY id LIMIT CAST($2 AS BIGINT)");
    let rows: Vec<UserRow> = read!(store, |pool| {
        let query = match role {
            None => sqlx::query_as(ALL),
            Some(_) => sqlx::query_as(BY_ROLE),
        };
        let query = query
            .bind(page.after_or(Uuid::nil()))
            .bind(page.fetch_limit());
        let query = match role {
            Some(r) => query.bind(r.as_str()),
            None => query,
        };
        query.fetch_all(pool).await?
    });
    let users = rows
        .into_iter()
        .map(User::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(users, &page, |u| u.id))
}

/// Edits an account if it is still at `expected_version`; audits the change.
pub async fn update(
    store: &Store,
    id: Uuid,
    expected_version: i64,
    changes: UserChanges,
    actor: Option<Uuid>,
) -> Result<User, StoreError> {
    const CURRENT: &str = select_users!("WHERE id = $1");
    const UPDATE: &str = "UPDATE users SET email = $2, name = $3, active = $4, \
                          password_hash = COALESCE($5, password_hash), version = $6, updated_at = $7 \
                          WHERE id = $1 AND version = $8";
    const REVOKE_REFRESH: &str =
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";
    write_tx!(store, |tx| {
        let row: Option<UserRow> = sqlx::query_as(CURRENT)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let before: User = row.ok_or(StoreError::NotFound("user"))?.try_into()?;
        if before.version != expected_version {
            return Err(StoreError::VersionMismatch("user"));
        }
        let after = User {
            email: changes.email.unwrap_or_else(|| before.email.clone()),
            name: changes.name.unwrap_or_else(|| before.name.clone()),
            active: changes.active.unwrap_or(before.active),
            version: before.version + 1,
            updated_at: crate::now(),
            ..before.clone()
        };
        sqlx::query(UPDATE)
            .bind(id)
            .bind(&after.email)
            .bind(&after.name)
            .bind(after.active)
            .bind(changes.password_hash)
            .bind(after.version)
            .bind(after.updated_at)
            .bind(expected_version)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::unique_as("email"))?;
        if before.active && !after.active {
            // A deactivated person keeps no way to mint new access tokens.
            sqlx::query(REVOKE_REFRESH)
                .bind(id)
                .bind(after.updated_at)
                .execute(&mut *tx)
                .await?;
        }
        audit!(
            tx,
            AuditEntry {
                actor_id: actor,
                action: "user.updated",
                object_type: "user",
                object_id: id,
                before: serde_json::to_value(&before).ok(),
                after: serde_json::to_value(&after).ok(),
                at: after.updated_at,
            }
        );
        Ok(after)
    })
}

/// Whether any admin account exists (the bootstrap admin is made only when none does).
pub async fn admin_exists(store: &Store) -> Result<bool, StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM users WHERE role = 'admin'";
    let n: i64 = read!(store, |pool| sqlx::query_scalar(SQL)
        .fetch_one(pool)
        .await?);
    Ok(n > 0)
}
