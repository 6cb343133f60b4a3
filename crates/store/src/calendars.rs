//! Private calendar feeds: each person may have one, at a URL carrying a secret whose hash is
//! kept here. Rotating replaces it (the old URL stops working); removing ends the feed.

use mentorship_domain::people::Role;
use uuid::Uuid;

use crate::db::query;
use crate::{Store, StoreError};

/// Sets (or replaces) the person's feed secret.
pub async fn rotate(store: &Store, user_id: Uuid, token_hash: &[u8]) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3) \
                       ON CONFLICT (user_id) DO UPDATE SET token_hash = $2, created_at = $3";
    let mut tx = store.begin().await?;
    tx.execute(query(SQL).bind(user_id).bind(token_hash).bind(crate::now()))
        .await?;
    tx.commit().await
}

/// Ends the person's feed; `false` when there was none.
pub async fn remove(store: &Store, user_id: Uuid) -> Result<bool, StoreError> {
    const SQL: &str = "DELETE FROM calendar_feeds WHERE user_id = $1";
    let mut tx = store.begin().await?;
    let removed = tx.execute(query(SQL).bind(user_id)).await?;
    tx.commit().await?;
    Ok(removed > 0)
}

/// The active person whose feed secret hashes to `token_hash`, with their role.
pub async fn owner(store: &Store, token_hash: &[u8]) -> Result<Option<(Uuid, Role)>, StoreError> {
    const SQL: &str = "SELECT u.id, u.role FROM calendar_feeds f JOIN users u ON u.id = f.user_id \
                       WHERE f.token_hash = $1 AND u.active";
    let row: Option<(Uuid, String)> = store.fetch_optional(query(SQL).bind(token_hash)).await?;
    row.map(|(id, role)| {
        role.parse()
            .map(|role| (id, role))
            .map_err(|e| StoreError::Corrupt(format!("{e}")))
    })
    .transpose()
}
