//! People's accounts: one row per person, whatever their role.

use chrono::{DateTime, Utc};
use mentorship_domain::erasure::ErasureRefusal;
use mentorship_domain::people::Role;
use serde::Serialize;
use uuid::Uuid;

use crate::accounts;
use crate::db::{Query, Tx, query};
use crate::events::Step;
use crate::record::{self, Change, Record, versioned_fields};
use crate::{Page, PageRequest, Store, StoreError, new_id};

/// An account as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    /// Written into access tokens; raised to end every session (see `accounts`).
    #[serde(skip)]
    pub session_epoch: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the person was erased (see `erasure`): the account is a pseudonym, for good.
    pub erased_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    role: String,
    active: bool,
    session_epoch: i64,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    erased_at: Option<DateTime<Utc>>,
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
            session_epoch: row.session_epoch,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
            erased_at: row.erased_at,
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
            "SELECT id, email, name, role, active, session_epoch, version, created_at, updated_at, erased_at FROM users ",
            $tail
        )
    };
}

impl Record for User {
    type Row = UserRow;
    const NAME: &'static str = "user";
    const SELECT: &'static str = select_users!("WHERE id = $1");
    const LOCK: &'static str = "SELECT id FROM users WHERE id = $1 FOR UPDATE";
    const UNIQUE: &'static str = "email";

    versioned_fields!();

    fn update(&self, version: i64) -> Query {
        const SQL: &str = "UPDATE users SET email = $2, name = $3, active = $4, version = $5, \
                           updated_at = $6 WHERE id = $1 AND version = $7";
        query(SQL)
            .bind(self.id)
            .bind(&self.email)
            .bind(&self.name)
            .bind(self.active)
            .bind(self.version)
            .bind(self.updated_at)
            .bind(version)
    }
}

impl User {
    /// The account `new` opens at `now`: active, at its first version.
    pub fn opened(new: &NewUser, now: DateTime<Utc>) -> User {
        User {
            id: new_id(),
            email: new.email.clone(),
            name: new.name.clone(),
            role: new.role,
            active: true,
            session_epoch: 1,
            version: 1,
            created_at: now,
            updated_at: now,
            erased_at: None,
        }
    }
}

/// Opens an account. A taken email is `Duplicate("email")`.
pub async fn create(store: &Store, new: NewUser, actor: Option<Uuid>) -> Result<User, StoreError> {
    let user = User::opened(&new, crate::now());
    let mut tx = store.begin().await?;
    insert(&mut tx, &user, &new.password_hash).await?;
    record::created(&mut tx, &user, "user.created", actor, &[]).await?;
    tx.commit().await?;
    Ok(user)
}

/// Inserts an account inside a transaction (an application opens one with its mentor row).
pub(crate) async fn insert(
    tx: &mut Tx,
    user: &User,
    password_hash: &str,
) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO users (id, email, name, role, password_hash, active, version, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    tx.execute(
        query(SQL)
            .bind(user.id)
            .bind(&user.email)
            .bind(&user.name)
            .bind(user.role.as_str())
            .bind(password_hash)
            .bind(user.active)
            .bind(user.version)
            .bind(user.created_at)
            .bind(user.updated_at),
    )
    .await
    .map_err(StoreError::unique_as("email"))?;
    Ok(())
}

/// One account by id.
pub async fn get(store: &Store, id: Uuid) -> Result<User, StoreError> {
    const SQL: &str = select_users!("WHERE id = $1");
    let row: Option<UserRow> = store.fetch_optional(query(SQL).bind(id)).await?;
    row.ok_or(StoreError::NotFound("user"))?.try_into()
}

/// The account and password hash for a login email, if there is one.
pub async fn find_for_login(
    store: &Store,
    email: &str,
) -> Result<Option<(User, String)>, StoreError> {
    const SQL: &str = "SELECT id, email, name, role, active, session_epoch, version, created_at, updated_at, erased_at, password_hash \
                       FROM users WHERE email = $1";
    #[derive(sqlx::FromRow)]
    struct LoginRow {
        #[sqlx(flatten)]
        user: UserRow,
        password_hash: String,
    }
    let row: Option<LoginRow> = store.fetch_optional(query(SQL).bind(email)).await?;
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
    let list = query(if role.is_some() { BY_ROLE } else { ALL })
        .bind(page.after_or(Uuid::nil()))
        .bind(page.fetch_limit());
    let list = match role {
        Some(r) => list.bind(r.as_str()),
        None => list,
    };
    let rows: Vec<UserRow> = store.fetch_all(list).await?;
    let users = rows
        .into_iter()
        .map(User::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(users, &page, |u| u.id))
}

/// Edits an account if it is still at `expected_version`; audits the change. A new password or
/// a deactivation ends every session of the account, on every instance.
pub async fn update(
    store: &Store,
    id: Uuid,
    expected_version: i64,
    changes: UserChanges,
    actor: Option<Uuid>,
) -> Result<User, StoreError> {
    let change = Change {
        action: "user.updated",
        actor,
        expected_version: Some(expected_version),
    };
    let mut tx = store.begin().await?;
    let before: User = record::lock(&mut tx, id).await?;
    let user = record::change(&mut tx, id, change, |before: &User| {
        if before.erased_at.is_some() {
            return Err(StoreError::all_refused(&[ErasureRefusal::AlreadyErased]));
        }
        Ok(Step::quiet(User {
            email: changes.email.unwrap_or_else(|| before.email.clone()),
            name: changes.name.unwrap_or_else(|| before.name.clone()),
            active: changes.active.unwrap_or(before.active),
            ..before.clone()
        }))
    })
    .await?;
    if let Some(hash) = changes.password_hash {
        accounts::set_password(&mut tx, id, &hash, "user.password_set", actor).await?;
    }
    if before.active && !user.active {
        accounts::end_sessions(&mut tx, id).await?;
    } else if user.active != before.active {
        accounts::announce(&mut tx, id).await?;
    }
    tx.commit().await?;
    Ok(user)
}

/// Whether any admin account exists (the bootstrap admin is made only when none does).
pub async fn admin_exists(store: &Store) -> Result<bool, StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM users WHERE role = 'admin'";
    let n: i64 = store.scalar(query(SQL)).await?;
    Ok(n > 0)
}
