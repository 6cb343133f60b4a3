//! The audit log: who changed what, when, with the state before and after (RULES.md,
//! "Notifications and audit"). Rows are written inside the transaction of the change they
//! describe, so a change and its audit row land together or not at all.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One audited change.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor_id: Option<Uuid>,
    pub action: &'static str,
    pub object_type: &'static str,
    pub object_id: Uuid,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub at: DateTime<Utc>,
}

pub(crate) const INSERT_SQL: &str = "INSERT INTO audit_log \
     (id, actor_id, action, object_type, object_id, before, after, at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Writes an audit row inside the open transaction `$tx`.
macro_rules! audit {
    ($tx:ident, $entry:expr) => {{
        let entry: $crate::audit::AuditEntry = $entry;
        sqlx::query($crate::audit::INSERT_SQL)
            .bind($crate::new_id())
            .bind(entry.actor_id)
            .bind(entry.action)
            .bind(entry.object_type)
            .bind(entry.object_id)
            .bind(entry.before.map(|v| v.to_string()))
            .bind(entry.after.map(|v| v.to_string()))
            .bind(entry.at)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// How many audit rows an object has; for checks that a change was audited.
pub async fn count_for(store: &crate::Store, object_id: Uuid) -> Result<i64, crate::StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM audit_log WHERE object_id = $1";
    Ok(read!(store, |pool| sqlx::query_scalar(SQL)
        .bind(object_id)
        .fetch_one(pool)
        .await?))
}
