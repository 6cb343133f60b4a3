//! The audit log: who changed what, when, with the state before and after (RULES.md,
//! "Notifications and audit"). Rows are written inside the transaction of the change they
//! describe, so a change and its audit row land together or not at all.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::db::{Tx, query};
use crate::record::{Change, snapshot};
use crate::{Store, StoreError};

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

impl AuditEntry {
    /// A change of an object from `before` to `after`.
    pub(crate) fn change<T: Serialize>(
        change: &Change,
        object_type: &'static str,
        object_id: Uuid,
        before: &T,
        after: &T,
    ) -> Self {
        AuditEntry {
            actor_id: change.actor,
            action: change.action,
            object_type,
            object_id,
            before: snapshot(before),
            after: snapshot(after),
            at: crate::now(),
        }
    }

    /// The creation of an object, as it was made.
    pub(crate) fn created<T: Serialize>(
        action: &'static str,
        actor_id: Option<Uuid>,
        object_type: &'static str,
        object_id: Uuid,
        created: &T,
    ) -> Self {
        AuditEntry {
            actor_id,
            action,
            object_type,
            object_id,
            before: None,
            after: snapshot(created),
            at: crate::now(),
        }
    }

    /// Something done to an object that changes no state of it (a download, a deletion).
    pub(crate) fn event(
        action: &'static str,
        actor_id: Option<Uuid>,
        object_type: &'static str,
        object_id: Uuid,
    ) -> Self {
        AuditEntry {
            actor_id,
            action,
            object_type,
            object_id,
            before: None,
            after: None,
            at: crate::now(),
        }
    }
}

/// Writes an audit row inside the transaction of the change it describes.
pub(crate) async fn write(tx: &mut Tx, entry: AuditEntry) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO audit_log \
                       (id, actor_id, action, object_type, object_id, before, after, at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    tx.execute(
        query(SQL)
            .bind(crate::new_id())
            .bind(entry.actor_id)
            .bind(entry.action)
            .bind(entry.object_type)
            .bind(entry.object_id)
            .bind(entry.before.map(|v| v.to_string()))
            .bind(entry.after.map(|v| v.to_string()))
            .bind(entry.at),
    )
    .await?;
    Ok(())
}

/// How many audit rows an object has; for checks that a change was audited.
pub async fn count_for(store: &Store, object_id: Uuid) -> Result<i64, StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM audit_log WHERE object_id = $1";
    store.scalar(query(SQL).bind(object_id)).await
}

/// The actions audited on an object, oldest first; for checks of what a change recorded.
pub async fn actions_for(store: &Store, object_id: Uuid) -> Result<Vec<String>, StoreError> {
    const SQL: &str = "SELECT action FROM audit_log WHERE object_id = $1 ORDER BY id";
    store.scalars(query(SQL).bind(object_id)).await
}
