//! Refresh tokens: stored hashed, rotated on every use, grouped in families so that the reuse of
//! a rotated token (a sign it was stolen) revokes every token descended from the same login.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::{Tx, query};
use crate::{Store, StoreError, new_id};

/// Inserts a token of `family` inside the open transaction.
async fn insert(
    tx: &mut Tx,
    family: Uuid,
    user_id: Uuid,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, created_at, expires_at) \
                       VALUES ($1, $2, $3, $4, $5, $6)";
    tx.execute(
        query(SQL)
            .bind(new_id())
            .bind(family)
            .bind(user_id)
            .bind(token_hash)
            .bind(crate::now())
            .bind(expires_at),
    )
    .await?;
    Ok(())
}

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was current: it is now spent and the new one replaces it.
    Rotated { user_id: Uuid },
    /// The token had already been rotated: its whole family is now revoked.
    Reused,
    /// Unknown, expired or revoked.
    Refused,
}

/// Stores a new token of a new family (a login).
pub async fn start_family(
    store: &Store,
    user_id: Uuid,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    insert(&mut tx, new_id(), user_id, token_hash, expires_at).await?;
    tx.commit().await
}

/// Spends the token with `old_hash` and stores `new_hash` in its family, atomically: of two
/// concurrent uses of the same token exactly one rotates it, and the other revokes the family.
pub async fn rotate(
    store: &Store,
    old_hash: &[u8],
    new_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<Rotation, StoreError> {
    const SPEND: &str = "UPDATE refresh_tokens SET rotated_at = $2 \
                         WHERE token_hash = $1 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
                         RETURNING family_id, user_id";
    const FIND: &str = "SELECT family_id, rotated_at FROM refresh_tokens WHERE token_hash = $1";
    const REVOKE: &str =
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL";
    let now = crate::now();
    let mut tx = store.begin().await?;
    let spent: Option<(Uuid, Uuid)> = tx
        .fetch_optional(query(SPEND).bind(old_hash).bind(now))
        .await?;
    let rotation = if let Some((family, user_id)) = spent {
        insert(&mut tx, family, user_id, new_hash, expires_at).await?;
        Rotation::Rotated { user_id }
    } else {
        let found: Option<(Uuid, Option<DateTime<Utc>>)> =
            tx.fetch_optional(query(FIND).bind(old_hash)).await?;
        match found {
            Some((family, Some(_rotated))) => {
                tx.execute(query(REVOKE).bind(family).bind(now)).await?;
                Rotation::Reused
            }
            _ => Rotation::Refused,
        }
    };
    tx.commit().await?;
    Ok(rotation)
}

/// Revokes the family of a token (logout). Unknown tokens are ignored: logging out twice is fine.
pub async fn revoke_family_of(store: &Store, token_hash: &[u8]) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE refresh_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND family_id IN \
                       (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)";
    store
        .execute(query(SQL).bind(token_hash).bind(crate::now()))
        .await?;
    Ok(())
}
