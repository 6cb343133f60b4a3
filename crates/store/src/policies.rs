//! The program's policies (RULES.md, the *(policy)* values), versioned in the database: a change
//! adds a version, never edits one, and every instance reads the latest in the transaction that
//! needs it, so a change holds at once on all of them.

use chrono::{DateTime, Utc};
use mentorship_domain::policy::Policies;
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::db::{Query, Tx, query};
use crate::{Store, StoreError};

/// A version of the policies.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PolicyVersion {
    pub version: i64,
    pub policies: Policies,
    /// The instant it took effect.
    pub effective_at: DateTime<Utc>,
    /// `None` for RULES.md's defaults, in force from the start.
    pub created_by: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    version: i64,
    body: String,
    effective_at: DateTime<Utc>,
    created_by: Option<Uuid>,
}

impl TryFrom<PolicyRow> for PolicyVersion {
    type Error = StoreError;
    fn try_from(r: PolicyRow) -> Result<Self, StoreError> {
        let policies = serde_json::from_str(&r.body)
            .map_err(|e| StoreError::Corrupt(format!("policies {}: {e}", r.version)))?;
        Ok(PolicyVersion {
            version: r.version,
            policies,
            effective_at: r.effective_at,
            created_by: r.created_by,
        })
    }
}

fn latest() -> Query {
    const SQL: &str = "SELECT version, body, effective_at, created_by FROM policies \
                       ORDER BY version DESC LIMIT CAST(1 AS BIGINT)";
    query(SQL)
}

/// The version in force.
pub async fn current(store: &Store) -> Result<PolicyVersion, StoreError> {
    let row: Option<PolicyRow> = store.fetch_optional(latest()).await?;
    row.ok_or(StoreError::NotFound("policies"))?.try_into()
}

/// The policies in force, read in the transaction of a change that applies them.
pub(crate) async fn in_force(tx: &mut Tx) -> Result<Policies, StoreError> {
    let row: Option<PolicyRow> = tx.fetch_optional(latest()).await?;
    Ok(PolicyVersion::try_from(row.ok_or(StoreError::NotFound("policies"))?)?.policies)
}

/// Every version, the latest first.
pub async fn history(store: &Store) -> Result<Vec<PolicyVersion>, StoreError> {
    const SQL: &str = "SELECT version, body, effective_at, created_by FROM policies \
                       ORDER BY version DESC";
    let rows: Vec<PolicyRow> = store.fetch_all(query(SQL)).await?;
    rows.into_iter().map(PolicyVersion::try_from).collect()
}

/// The object id of the policies in the audit log: there is one set of them.
pub const AUDIT_ID: Uuid = Uuid::nil();

/// Puts `policies` in force from now, over version `expected` (the caller's `If-Match`): a new
/// version, audited with the one before. Policies equal to those in force change nothing.
pub async fn change(
    store: &Store,
    expected: i64,
    policies: Policies,
    by: Uuid,
) -> Result<PolicyVersion, StoreError> {
    let mut tx = store.begin().await?;
    let row: Option<PolicyRow> = tx.fetch_optional(latest()).await?;
    let before = PolicyVersion::try_from(row.ok_or(StoreError::NotFound("policies"))?)?;
    if before.version != expected {
        return Err(StoreError::VersionMismatch("policies"));
    }
    if before.policies == policies {
        return Ok(before);
    }
    let after = PolicyVersion {
        version: before.version + 1,
        policies,
        effective_at: crate::now(),
        created_by: Some(by),
    };
    let body = serde_json::to_string(&after.policies)
        .map_err(|e| StoreError::Corrupt(format!("policies: {e}")))?;
    const INSERT: &str = "INSERT INTO policies (version, body, effective_at, created_by) \
                          VALUES ($1, $2, $3, $4) ON CONFLICT (version) DO NOTHING";
    let q = query(INSERT)
        .bind(after.version)
        .bind(body)
        .bind(after.effective_at)
        .bind(by);
    // A concurrent change took this version first: the caller's If-Match is stale.
    if tx.execute(q).await? == 0 {
        return Err(StoreError::VersionMismatch("policies"));
    }
    let entry = AuditEntry::event("policies.changed", Some(by), "policies", AUDIT_ID)
        .states(Some(&before), &after);
    audit::write(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(after)
}
