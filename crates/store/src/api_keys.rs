//! API keys for scripts: stored hashed, with scopes and an optional expiry; shown once.

use chrono::{DateTime, Utc};
use mentorship_domain::people::{Role, Scope};
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::db::query;
use crate::{Page, PageRequest, Store, StoreError, new_id};

/// A key as its owner sees it later: never the secret, only its first characters.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    pub key_prefix: String,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: Uuid,
    owner_id: Uuid,
    name: String,
    key_prefix: String,
    scopes: String,
    expires_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;
    fn try_from(row: ApiKeyRow) -> Result<Self, StoreError> {
        let scopes = row
            .scopes
            .split_whitespace()
            .map(|s| s.parse().map_err(|e| StoreError::Corrupt(format!("{e}"))))
            .collect::<Result<Vec<Scope>, _>>()?;
        Ok(ApiKey {
            id: row.id,
            owner_id: row.owner_id,
            name: row.name,
            key_prefix: row.key_prefix,
            scopes,
            expires_at: row.expires_at,
            created_at: row.created_at,
        })
    }
}

/// A key to store: the hash of its secret, never the secret.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub owner_id: Uuid,
    pub name: String,
    pub key_hash: Vec<u8>,
    pub key_prefix: String,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<DateTime<Utc>>,
}

fn scopes_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

macro_rules! select_keys {
    ($tail:literal) => {
        concat!(
            "SELECT id, owner_id, name, key_prefix, scopes, expires_at, created_at FROM api_keys ",
            $tail
        )
    };
}

/// Stores a new key and audits its creation.
pub async fn create(store: &Store, new: NewApiKey) -> Result<ApiKey, StoreError> {
    const SQL: &str = "INSERT INTO api_keys (id, owner_id, name, key_hash, key_prefix, scopes, expires_at, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let key = ApiKey {
        id: new_id(),
        owner_id: new.owner_id,
        name: new.name,
        key_prefix: new.key_prefix,
        scopes: new.scopes,
        expires_at: new.expires_at,
        created_at: crate::now(),
    };
    let mut tx = store.begin().await?;
    tx.execute(
        query(SQL)
            .bind(key.id)
            .bind(key.owner_id)
            .bind(&key.name)
            .bind(&new.key_hash)
            .bind(&key.key_prefix)
            .bind(scopes_text(&key.scopes))
            .bind(key.expires_at)
            .bind(key.created_at),
    )
    .await?;
    let entry = AuditEntry::created(
        "api_key.created",
        Some(key.owner_id),
        "api_key",
        key.id,
        &key,
    );
    audit::write(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(key)
}

/// Keys in id order: one owner's, or everyone's when `owner` is `None` (admins).
pub async fn list(
    store: &Store,
    owner: Option<Uuid>,
    page: PageRequest,
) -> Result<Page<ApiKey>, StoreError> {
    const ALL: &str = select_keys!("WHERE id > $1 ORDER BY id LIMIT CAST($2 AS BIGINT)");
    const OWN: &str =
        select_keys!("WHERE owner_id = $3 AND id > $1 ORDER BY id LIMIT CAST($2 AS BIGINT)");
    let list = query(if owner.is_some() { OWN } else { ALL })
        .bind(page.after_or(Uuid::nil()))
        .bind(page.fetch_limit());
    let list = match owner {
        Some(o) => list.bind(o),
        None => list,
    };
    let rows: Vec<ApiKeyRow> = store.fetch_all(list).await?;
    let keys = rows
        .into_iter()
        .map(ApiKey::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(keys, &page, |k| k.id))
}

/// Deletes a key; with `owner`, only if it is theirs (otherwise it is "not found").
pub async fn delete(
    store: &Store,
    id: Uuid,
    owner: Option<Uuid>,
    actor: Uuid,
) -> Result<(), StoreError> {
    const SQL: &str = "DELETE FROM api_keys WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)";
    let mut tx = store.begin().await?;
    let deleted = tx.execute(query(SQL).bind(id).bind(owner)).await?;
    if deleted == 0 {
        return Err(StoreError::NotFound("api key"));
    }
    audit::write(
        &mut tx,
        AuditEntry::event("api_key.deleted", Some(actor), "api_key", id),
    )
    .await?;
    tx.commit().await
}

/// The key with this hash and its owner's id and role, if the key is unexpired and the owner active.
pub async fn authenticate(
    store: &Store,
    key_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<(ApiKey, Role)>, StoreError> {
    const SQL: &str = "SELECT k.id, k.owner_id, k.name, k.key_prefix, k.scopes, k.expires_at, k.created_at, u.role \
                       FROM api_keys k JOIN users u ON u.id = k.owner_id \
                       WHERE k.key_hash = $1 AND u.active AND (k.expires_at IS NULL OR k.expires_at > $2)";
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        key: ApiKeyRow,
        role: String,
    }
    let row: Option<Row> = store
        .fetch_optional(query(SQL).bind(key_hash).bind(now))
        .await?;
    row.map(|r| {
        let role = r
            .role
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("{e}")))?;
        Ok((r.key.try_into()?, role))
    })
    .transpose()
}
