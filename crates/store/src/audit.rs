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
    /// Something done to an object by `actor_id`, now, with no state recorded (a download, a
    /// deletion); [`AuditEntry::states`] adds the states before and after.
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

    /// The same entry with the object's state before (`None`: it did not exist) and after.
    pub(crate) fn states<T: Serialize>(self, before: Option<&T>, after: &T) -> Self {
        AuditEntry {
            before: before.and_then(snapshot),
            after: snapshot(after),
            ..self
        }
    }

    /// A change of an object from `before` to `after`.
    pub(crate) fn change<T: Serialize>(
        change: &Change,
        object_type: &'static str,
        object_id: Uuid,
        before: &T,
        after: &T,
    ) -> Self {
        Self::event(change.action, change.actor, object_type, object_id).states(Some(before), after)
    }

    /// The creation of an object, as it was made.
    pub(crate) fn created<T: Serialize>(
        action: &'static str,
        actor_id: Option<Uuid>,
        object_type: &'static str,
        object_id: Uuid,
        created: &T,
    ) -> Self {
        Self::event(action, actor_id, object_type, object_id).states(None, created)
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
