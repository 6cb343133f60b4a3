//! The audit log: who changed what, when, with the state before and after (RULES.md,
//! "Notifications and audit"). Rows are written inside the transaction of the change they
//! describe, so a change and its audit row land together or not at all.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::db::{Tx, query};
use crate::page::{Page, PageRequest};
use crate::record::{Change, snapshot};
use crate::sealing::{self, Part};
use crate::{Store, StoreError};

tokio::task_local! {
    /// The id of the request being served, which every audit row it writes names.
    static REQUEST_ID: String;
}

/// Runs `work` (a request's handling) with `request_id` named by every audit row it writes.
/// Work outside a request (the outbox, the hourly purges) writes rows naming none.
pub async fn within_request<F: Future>(request_id: String, work: F) -> F::Output {
    REQUEST_ID.scope(request_id, work).await
}

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

/// Writes an audit row inside the transaction of the change it describes: its states' personal
/// fields sealed under a key of its own, and the people it is about, whose erasure deletes that
/// key (see `sealing`).
pub(crate) async fn write(tx: &mut Tx, entry: AuditEntry) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO audit_log \
                       (id, actor_id, action, object_type, object_id, before, after, at, request_id) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    let id = crate::new_id();
    let key = sealing::new_key();
    let mut people = vec![entry.object_id];
    let mut sealed_any = false;
    let mut seal = |state: Option<serde_json::Value>, part| -> Result<_, StoreError> {
        let Some(state) = state else { return Ok(None) };
        people.extend(sealing::parties(&state));
        let (state, sealed) = sealing::seal(state, &key, id, part)?;
        sealed_any |= sealed;
        Ok(Some(state.to_string()))
    };
    let before = seal(entry.before, Part::Before)?;
    let after = seal(entry.after, Part::After)?;
    tx.execute(
        query(SQL)
            .bind(id)
            .bind(entry.actor_id)
            .bind(entry.action)
            .bind(entry.object_type)
            .bind(entry.object_id)
            .bind(before)
            .bind(after)
            .bind(entry.at)
            .bind(REQUEST_ID.try_with(String::clone).ok()),
    )
    .await?;
    if sealed_any {
        keep_key(tx, id, &key, people).await?;
    }
    Ok(())
}

/// Keeps a row's key, and the people whose erasure deletes it, in two statements (a row is
/// about one to four people: the object, a mentor, a student).
async fn keep_key(
    tx: &mut Tx,
    row: Uuid,
    key: &sealing::RowKey,
    mut people: Vec<Uuid>,
) -> Result<(), StoreError> {
    const SEAL: &str = "INSERT INTO audit_seals (audit_id, key) VALUES ($1, $2)";
    /// The insert of `n` people of one row, for n = 1..=4: `($1, $2), ($1, $3), ...`.
    const ABOUT: [&str; 4] = [
        "INSERT INTO audit_subjects (audit_id, person_id) VALUES ($1, $2)",
        "INSERT INTO audit_subjects (audit_id, person_id) VALUES ($1, $2), ($1, $3)",
        "INSERT INTO audit_subjects (audit_id, person_id) VALUES ($1, $2), ($1, $3), ($1, $4)",
        "INSERT INTO audit_subjects (audit_id, person_id) VALUES ($1, $2), ($1, $3), ($1, $4), ($1, $5)",
    ];
    tx.execute(query(SEAL).bind(row).bind(key.to_vec())).await?;
    people.sort_unstable();
    people.dedup();
    for chunk in people.chunks(ABOUT.len()) {
        let insert = chunk
            .iter()
            .fold(query(ABOUT[chunk.len() - 1]).bind(row), |q, person| {
                q.bind(*person)
            });
        tx.execute(insert).await?;
    }
    Ok(())
}

/// Deletes the keys of every audit row about `person`: their personal fields can no longer be
/// read; the rows stay as they were written.
pub(crate) async fn shred(tx: &mut Tx, person: Uuid) -> Result<u64, StoreError> {
    const SQL: &str = "DELETE FROM audit_seals WHERE audit_id IN \
                       (SELECT audit_id FROM audit_subjects WHERE person_id = $1)";
    tx.execute(query(SQL).bind(person)).await
}

/// One row of the audit log as stored, with its key if it still has one.
#[derive(Debug, Clone, sqlx::FromRow)]
struct StoredRow {
    id: Uuid,
    actor_id: Option<Uuid>,
    action: String,
    object_type: String,
    object_id: Uuid,
    before: Option<String>,
    after: Option<String>,
    at: DateTime<Utc>,
    request_id: Option<String>,
    key: Option<Vec<u8>>,
}

/// One row of the audit log as read back, its states opened.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub object_type: String,
    pub object_id: Uuid,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub at: DateTime<Utc>,
    pub request_id: Option<String>,
    /// The row was about a person since erased: its personal fields are left out.
    pub personal_data_erased: bool,
}

impl StoredRow {
    fn open(self) -> Result<AuditRecord, StoreError> {
        let key = self.key.as_deref();
        let open = |state: Option<&str>, part| -> Result<_, StoreError> {
            state
                .map(|s| sealing::open(s, key, self.id, part))
                .transpose()
        };
        let before = open(self.before.as_deref(), Part::Before)?;
        let after = open(self.after.as_deref(), Part::After)?;
        let erased = [&before, &after]
            .iter()
            .any(|s| s.as_ref().is_some_and(|s| s.1));
        Ok(AuditRecord {
            id: self.id,
            actor_id: self.actor_id,
            action: self.action,
            object_type: self.object_type,
            object_id: self.object_id,
            before: before.map(|s| s.0),
            after: after.map(|s| s.0),
            at: self.at,
            request_id: self.request_id,
            personal_data_erased: erased,
        })
    }
}

/// Which rows of the audit log to read; every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub object_id: Option<Uuid>,
    pub action: Option<String>,
    /// From this instant, included.
    pub from: Option<DateTime<Utc>>,
    /// Until this instant, excluded.
    pub to: Option<DateTime<Utc>>,
}

/// A page of the audit log, the latest first (ids are UUIDv7: time order).
pub async fn list(
    store: &Store,
    filter: &AuditFilter,
    page: PageRequest,
) -> Result<Page<AuditRecord>, StoreError> {
    const SQL: &str = "SELECT a.id, a.actor_id, a.action, a.object_type, a.object_id, a.before, \
                       a.after, a.at, a.request_id, s.key \
                       FROM audit_log a LEFT JOIN audit_seals s ON s.audit_id = a.id WHERE a.id < $1 \
                       AND ($3 = 0 OR a.actor_id = $4) AND ($5 = 0 OR a.object_id = $6) \
                       AND ($7 = 0 OR a.action = $8) AND ($9 = 0 OR a.at >= $10) AND ($11 = 0 OR a.at < $12) \
                       ORDER BY a.id DESC LIMIT CAST($2 AS BIGINT)";
    let flag = |present: bool| i64::from(present);
    let q = query(SQL)
        .bind(page.after_or(Uuid::max()))
        .bind(page.fetch_limit())
        .bind(flag(filter.actor_id.is_some()))
        .bind(filter.actor_id.unwrap_or(Uuid::nil()))
        .bind(flag(filter.object_id.is_some()))
        .bind(filter.object_id.unwrap_or(Uuid::nil()))
        .bind(flag(filter.action.is_some()))
        .bind(filter.action.clone().unwrap_or_default())
        .bind_range(filter.from, filter.to);
    let rows: Vec<StoredRow> = store.fetch_all(q).await?;
    let rows = rows
        .into_iter()
        .map(StoredRow::open)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, &page, |r| r.id))
}

/// Records that `actor` read something of `object_id` that the log keeps track of (a document
/// downloaded, a person's data exported), in a transaction of its own.
pub async fn accessed(
    store: &Store,
    action: &'static str,
    actor: Uuid,
    object_type: &'static str,
    object_id: Uuid,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    write(
        &mut tx,
        AuditEntry::event(action, Some(actor), object_type, object_id),
    )
    .await?;
    tx.commit().await?;
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
