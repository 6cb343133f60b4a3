//! The one shape of every change: a record is locked, the domain decides on its current state,
//! the new state is written only over the version that was read (compare-and-set), and the audit
//! row and the events it causes are written in the same transaction. Of any number of concurrent
//! changes, on any number of instances, each decides on what the one before it committed.

use chrono::{DateTime, Utc};
use mentorship_domain::events::Step;
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::db::{Query, Row, Tx, query};
use crate::{StoreError, events};

/// A row that changes through [`change`]: versioned, audited, read and written by id.
pub(crate) trait Record:
    Clone + PartialEq + Serialize + TryFrom<Self::Row, Error = StoreError>
{
    /// What its table's rows decode to.
    type Row: Row;
    /// Its name in problems and audit rows (`mentor`, `path`).
    const NAME: &'static str;
    /// The `SELECT` of one record by `$1`.
    const SELECT: &'static str;
    /// PostgreSQL's row lock of one record by `$1` (`SELECT 1 ... FOR UPDATE`).
    const LOCK: &'static str;
    /// What a unique index refusing its update would be about (`title`, `email`).
    const UNIQUE: &'static str;

    fn id(&self) -> Uuid;
    fn version(&self) -> i64;
    /// Sets the version and the instant of a change.
    fn stamp(&mut self, version: i64, at: DateTime<Utc>);
    /// The `UPDATE` of every column a change may set, only where the row is still at `version`.
    fn update(&self, version: i64) -> Query;
}

/// The bookkeeping methods of a [`Record`] whose struct has `id`, `version` and `updated_at`.
macro_rules! versioned_fields {
    () => {
        fn id(&self) -> uuid::Uuid {
            self.id
        }

        fn version(&self) -> i64 {
            self.version
        }

        fn stamp(&mut self, version: i64, at: chrono::DateTime<chrono::Utc>) {
            self.version = version;
            self.updated_at = at;
        }
    };
}
pub(crate) use versioned_fields;

/// A record by id, inside the transaction; `NotFound` when there is none.
pub(crate) async fn get<R: Record>(tx: &mut Tx, id: Uuid) -> Result<R, StoreError> {
    let row: Option<R::Row> = tx.fetch_optional(query(R::SELECT).bind(id)).await?;
    row.ok_or(StoreError::NotFound(R::NAME))?.try_into()
}

/// A record by id, locked until the transaction ends.
pub(crate) async fn lock<R: Record>(tx: &mut Tx, id: Uuid) -> Result<R, StoreError> {
    tx.lock(R::LOCK, id).await?;
    get(tx, id).await
}

/// Who makes a change, and to which version of the record it applies.
#[derive(Debug, Clone, Copy)]
pub struct Change {
    /// The audit action, e.g. `mentor.accepted`.
    pub action: &'static str,
    pub actor: Option<Uuid>,
    /// `Some`: refused unless the record is still at this version (`If-Match`).
    pub expected_version: Option<i64>,
}

impl Change {
    /// A change by `actor` to whatever version is current (a state transition).
    pub fn by(action: &'static str, actor: Uuid) -> Self {
        Change {
            action,
            actor: Some(actor),
            expected_version: None,
        }
    }

    /// The same, only if the record is still at `version` (an edit with `If-Match`).
    pub fn at_version(self, version: i64) -> Self {
        Change {
            expected_version: Some(version),
            ..self
        }
    }
}

/// Changes one record: locks it, lets `decide` (the domain's step) turn its current state into
/// the next, writes that over the version read, audits both states and records the step's
/// events. A decision that changes nothing and tells no one writes nothing: no new version.
pub(crate) async fn change<R: Record>(
    tx: &mut Tx,
    id: Uuid,
    change: Change,
    decide: impl FnOnce(&R) -> Result<Step<R>, StoreError>,
) -> Result<R, StoreError> {
    let before: R = lock(tx, id).await?;
    if change
        .expected_version
        .is_some_and(|v| v != before.version())
    {
        return Err(StoreError::VersionMismatch(R::NAME));
    }
    let Step {
        outcome: mut after,
        events,
    } = decide(&before)?;
    if after == before && events.is_empty() {
        return Ok(before);
    }
    after.stamp(before.version() + 1, crate::now());
    let written = tx
        .execute(after.update(before.version()))
        .await
        .map_err(StoreError::unique_as(R::UNIQUE))?;
    if written != 1 {
        // Only a writer that skipped the lock could get here; refuse rather than overwrite.
        return Err(StoreError::VersionMismatch(R::NAME));
    }
    audit::write(
        tx,
        AuditEntry::change(&change, R::NAME, id, &before, &after),
    )
    .await?;
    events::record(tx, &events).await?;
    Ok(after)
}

/// Records the creation of `record` (already inserted by the caller): its audit row and the
/// events it causes.
pub(crate) async fn created<R: Record>(
    tx: &mut Tx,
    record: &R,
    action: &'static str,
    actor: Option<Uuid>,
    events: &[mentorship_domain::events::Event],
) -> Result<(), StoreError> {
    audit::write(
        tx,
        AuditEntry::created(action, actor, R::NAME, record.id(), record),
    )
    .await?;
    events::record(tx, events).await
}

/// The JSON of a state for the audit log.
pub(crate) fn snapshot<T: Serialize>(state: &T) -> Option<serde_json::Value> {
    serde_json::to_value(state).ok()
}
