//! Webhooks: subscriptions (versioned, audited, their secrets never in the audit log), the
//! outbox of deliveries written in the transaction of the change that caused each event, the
//! claim of due deliveries by one instance at a time, and each attempt's outcome.

use chrono::{DateTime, Utc};
use mentorship_domain::events::Event;
use mentorship_domain::webhooks::{
    Switch, WebhookEvent, disabled_by_failures, next_attempt, switch, webhook_of,
};
use serde::Serialize;
use uuid::Uuid;

use crate::db::{Query, Tx, query};
use crate::events::Step;
use crate::record::{self, Change, Record, versioned_fields};
use crate::{Backend, Page, PageRequest, Store, StoreError, new_id};

/// A subscription of an endpoint to events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Webhook {
    pub id: Uuid,
    /// The admin who made it; told when it is disabled.
    pub owner_id: Uuid,
    pub url: String,
    pub description: String,
    pub events: Vec<WebhookEvent>,
    /// Signs every delivery (`whsec_...`), as the API sealed it with its key; never audited nor
    /// shown again after it is made.
    #[serde(skip)]
    pub secret: String,
    /// The secret before the last rotation, still signing beside the new one until
    /// `previous_secret_until`.
    #[serde(skip)]
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub enabled: bool,
    /// Since when every attempt failed; `None` after a success.
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct WebhookRow {
    id: Uuid,
    owner_id: Uuid,
    url: String,
    description: String,
    events: String,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_until: Option<DateTime<Utc>>,
    enabled: bool,
    failing_since: Option<DateTime<Utc>>,
    disabled_at: Option<DateTime<Utc>>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Events as stored: space-separated names.
fn events_text(events: &[WebhookEvent]) -> String {
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

impl TryFrom<WebhookRow> for Webhook {
    type Error = StoreError;
    fn try_from(r: WebhookRow) -> Result<Self, StoreError> {
        let events = r
            .events
            .split_whitespace()
            .map(|name| {
                WebhookEvent::parse(name)
                    .ok_or_else(|| StoreError::Corrupt(format!("webhook event {name}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Webhook {
            id: r.id,
            owner_id: r.owner_id,
            url: r.url,
            description: r.description,
            events,
            secret: r.secret,
            previous_secret: r.previous_secret,
            previous_secret_until: r.previous_secret_until,
            enabled: r.enabled,
            failing_since: r.failing_since,
            disabled_at: r.disabled_at,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

macro_rules! select_webhooks {
    ($tail:literal) => {
        concat!(
            "SELECT id, owner_id, url, description, events, secret, previous_secret, \
             previous_secret_until, enabled, failing_since, disabled_at, version, created_at, \
             updated_at FROM webhooks ",
            $tail
        )
    };
}

impl Record for Webhook {
    type Row = WebhookRow;
    const NAME: &'static str = "webhook";
    const SELECT: &'static str = select_webhooks!("WHERE id = $1");
    const LOCK: &'static str = "SELECT id FROM webhooks WHERE id = $1 FOR UPDATE";
    const UNIQUE: &'static str = "url";

    versioned_fields!();

    fn update(&self, version: i64) -> Query {
        const SQL: &str = "UPDATE webhooks SET url = $2, description = $3, events = $4, secret = $5, \
                           previous_secret = $6, previous_secret_until = $7, enabled = $8, \
                           failing_since = $9, disabled_at = $10, version = $11, updated_at = $12 \
                           WHERE id = $1 AND version = $13";
        query(SQL)
            .bind(self.id)
            .bind(&self.url)
            .bind(&self.description)
            .bind(events_text(&self.events))
            .bind(&self.secret)
            .bind(self.previous_secret.clone())
            .bind(self.previous_secret_until)
            .bind(self.enabled)
            .bind(self.failing_since)
            .bind(self.disabled_at)
            .bind(self.version)
            .bind(self.updated_at)
            .bind(version)
    }
}

/// Keeps `webhook_events`, the index deliveries are found by, equal to the webhook's events.
async fn index_events(tx: &mut Tx, webhook: &Webhook) -> Result<(), StoreError> {
    const CLEAR: &str = "DELETE FROM webhook_events WHERE webhook_id = $1";
    const ADD: &str = "INSERT INTO webhook_events (event_type, webhook_id) VALUES ($1, $2)";
    tx.execute(query(CLEAR).bind(webhook.id)).await?;
    for event in &webhook.events {
        tx.execute(query(ADD).bind(event.as_str()).bind(webhook.id))
            .await?;
    }
    Ok(())
}

/// A new subscription.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub description: String,
    pub events: Vec<WebhookEvent>,
    pub secret: String,
}

/// Subscribes `new.url` to its events, enabled, on behalf of `owner`; audited.
pub async fn create(store: &Store, new: NewWebhook, owner: Uuid) -> Result<Webhook, StoreError> {
    const SQL: &str = "INSERT INTO webhooks (id, owner_id, url, description, events, secret, enabled, \
                       version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    let now = crate::now();
    let webhook = Webhook {
        id: new_id(),
        owner_id: owner,
        url: new.url,
        description: new.description,
        events: new.events,
        secret: new.secret,
        previous_secret: None,
        previous_secret_until: None,
        enabled: true,
        failing_since: None,
        disabled_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut tx = store.begin().await?;
    tx.execute(
        query(SQL)
            .bind(webhook.id)
            .bind(owner)
            .bind(&webhook.url)
            .bind(&webhook.description)
            .bind(events_text(&webhook.events))
            .bind(&webhook.secret)
            .bind(true)
            .bind(1i64)
            .bind(now)
            .bind(now),
    )
    .await?;
    index_events(&mut tx, &webhook).await?;
    record::created(&mut tx, &webhook, "webhook.created", Some(owner), &[]).await?;
    tx.commit().await?;
    Ok(webhook)
}

/// One subscription by id.
pub async fn get(store: &Store, id: Uuid) -> Result<Webhook, StoreError> {
    let mut tx = store.begin().await?;
    let webhook = record::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(webhook)
}

/// A page of subscriptions, oldest first.
pub async fn list(store: &Store, page: PageRequest) -> Result<Page<Webhook>, StoreError> {
    const SQL: &str = select_webhooks!("WHERE id > $1 ORDER BY id LIMIT CAST($2 AS BIGINT)");
    let rows: Vec<WebhookRow> = store
        .fetch_all(
            query(SQL)
                .bind(page.after_or(Uuid::nil()))
                .bind(page.fetch_limit()),
        )
        .await?;
    let webhooks = rows
        .into_iter()
        .map(Webhook::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(webhooks, &page, |w| w.id))
}

/// What an edit may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    pub events: Option<Vec<WebhookEvent>>,
    pub enabled: Option<bool>,
}

/// Edits a subscription at `version`, turned on or off as the domain's `switch` says.
pub async fn update(
    store: &Store,
    id: Uuid,
    version: i64,
    changes: WebhookChanges,
    by: Uuid,
) -> Result<Webhook, StoreError> {
    let change = Change::by("webhook.updated", by).at_version(version);
    let mut tx = store.begin().await?;
    let webhook = record::change(&mut tx, id, change, |w: &Webhook| {
        let current = Switch {
            enabled: w.enabled,
            failing_since: w.failing_since,
            disabled_at: w.disabled_at,
        };
        let next = switch(current, changes.enabled.unwrap_or(w.enabled), crate::now());
        Ok(Step::quiet(Webhook {
            url: changes.url.clone().unwrap_or_else(|| w.url.clone()),
            description: changes
                .description
                .clone()
                .unwrap_or_else(|| w.description.clone()),
            events: changes.events.clone().unwrap_or_else(|| w.events.clone()),
            enabled: next.enabled,
            failing_since: next.failing_since,
            disabled_at: next.disabled_at,
            ..w.clone()
        }))
    })
    .await?;
    index_events(&mut tx, &webhook).await?;
    tx.commit().await?;
    Ok(webhook)
}

/// Gives a subscription a new secret; the old one signs beside it until `old_until`.
pub async fn rotate_secret(
    store: &Store,
    id: Uuid,
    secret: String,
    old_until: DateTime<Utc>,
    by: Uuid,
) -> Result<Webhook, StoreError> {
    let change = Change::by("webhook.secret_rotated", by);
    let mut tx = store.begin().await?;
    let webhook = record::change(&mut tx, id, change, |w: &Webhook| {
        Ok(Step::quiet(Webhook {
            previous_secret: Some(w.secret.clone()),
            previous_secret_until: Some(old_until),
            secret: secret.clone(),
            ..w.clone()
        }))
    })
    .await?;
    tx.commit().await?;
    Ok(webhook)
}

/// Deletes a subscription, with its deliveries and their log; audited.
pub async fn delete(store: &Store, id: Uuid, by: Uuid) -> Result<(), StoreError> {
    const SQL: &str = "DELETE FROM webhooks WHERE id = $1";
    let mut tx = store.begin().await?;
    let _: Webhook = record::lock(&mut tx, id).await?;
    tx.execute(query(SQL).bind(id)).await?;
    let entry = crate::audit::AuditEntry::event("webhook.deleted", Some(by), "webhook", id);
    crate::audit::write(&mut tx, entry).await?;
    tx.commit().await
}

/// What a delivery's receiver gets: the Standard Webhooks payload.
#[derive(Serialize)]
struct Payload<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    timestamp: DateTime<Utc>,
    data: T,
}

/// Queues a delivery of each event, for every enabled webhook subscribed to it, inside the
/// transaction of the change that caused it: a change that rolls back delivers nothing.
pub(crate) async fn enqueue(tx: &mut Tx, events: &[Event]) -> Result<(), StoreError> {
    const SUBSCRIBED: &str = "SELECT e.webhook_id FROM webhook_events e \
                              JOIN webhooks w ON w.id = e.webhook_id \
                              WHERE e.event_type = $1 AND w.enabled";
    const QUEUE: &str = "INSERT INTO webhook_deliveries (id, webhook_id, event_type, payload, \
                         created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)";
    let now = crate::now();
    for (kind, data) in events.iter().filter_map(webhook_of) {
        let webhooks: Vec<Uuid> = tx.scalars(query(SUBSCRIBED).bind(kind.as_str())).await?;
        if webhooks.is_empty() {
            continue;
        }
        let payload = Payload {
            kind: kind.as_str(),
            timestamp: now,
            data,
        };
        let payload = serde_json::to_string(&payload)
            .map_err(|e| StoreError::Corrupt(format!("webhook payload: {e}")))?;
        for webhook in webhooks {
            tx.execute(
                query(QUEUE)
                    .bind(new_id())
                    .bind(webhook)
                    .bind(kind.as_str())
                    .bind(payload.clone())
                    .bind(now),
            )
            .await?;
        }
    }
    Ok(())
}

/// A delivery claimed for sending, with where and how to sign it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueDelivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub payload: String,
    pub attempts: i64,
    pub url: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
}

impl DueDelivery {
    /// The secrets that sign it now (as stored, sealed): the current one, and the previous one
    /// while it is kept.
    pub fn secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let previous = self
            .previous_secret
            .as_deref()
            .filter(|_| self.previous_secret_until.is_some_and(|until| until > now));
        std::iter::once(self.secret.as_str())
            .chain(previous)
            .collect()
    }
}

/// Claims up to `batch` deliveries due at `now`, of enabled webhooks, for `lease`: no other
/// instance sends them until their attempt is recorded or the lease runs out.
pub async fn claim_due(
    store: &Store,
    now: DateTime<Utc>,
    batch: i64,
    lease: chrono::Duration,
) -> Result<Vec<DueDelivery>, StoreError> {
    const ANY: &str = "SELECT id FROM webhook_deliveries WHERE next_attempt_at <= $1 \
                       AND (claimed_until IS NULL OR claimed_until <= $1) LIMIT 1";
    if store
        .scalars::<Uuid>(query(ANY).bind(now))
        .await?
        .is_empty()
    {
        return Ok(Vec::new());
    }
    macro_rules! claim {
        ($lock:literal) => {
            concat!(
                "UPDATE webhook_deliveries SET claimed_until = $2 WHERE id IN \
                 (SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
                 WHERE d.next_attempt_at <= $1 AND (d.claimed_until IS NULL OR d.claimed_until <= $1) \
                 AND w.enabled ORDER BY d.next_attempt_at LIMIT CAST($3 AS BIGINT)",
                $lock,
                ") RETURNING id"
            )
        };
    }
    // The claimed deliveries, read in one query: those this claim's lease marks, among the ids
    // it returned (another claimer's lease could end at the same instant).
    const READ: &str = "SELECT d.id, d.webhook_id, d.payload, d.attempts, w.url, w.secret, \
                        w.previous_secret, w.previous_secret_until FROM webhook_deliveries d \
                        JOIN webhooks w ON w.id = d.webhook_id WHERE d.claimed_until = $1";
    let claim = match store.backend() {
        Backend::Sqlite => claim!(""),
        Backend::Postgres => claim!(" FOR UPDATE OF d SKIP LOCKED"),
    };
    let until = now + lease;
    let mut tx = store.begin().await?;
    let ids: Vec<Uuid> = tx
        .scalars(query(claim).bind(now).bind(until).bind(batch))
        .await?;
    let mut due: Vec<DueDelivery> = tx.fetch_all(query(READ).bind(until)).await?;
    tx.commit().await?;
    due.retain(|d| ids.contains(&d.id));
    Ok(due)
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// Why it failed, when it did (a status outside 2xx, a timeout, a refused connection).
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl AttemptOutcome {
    pub fn delivered(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Records an attempt of a claimed delivery: delivered, or due again on the retry schedule (or
/// given up). A webhook whose attempts have all failed for a day is disabled, and its owner told.
pub async fn record_attempt(
    store: &Store,
    delivery: &DueDelivery,
    outcome: &AttemptOutcome,
) -> Result<(), StoreError> {
    const ATTEMPT: &str = "INSERT INTO webhook_attempts (id, delivery_id, at, status, error, duration_ms) \
                           VALUES ($1, $2, $3, $4, $5, $6)";
    const DELIVERED: &str = "UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at = $2, \
                             last_status = $3, last_error = NULL, next_attempt_at = NULL, \
                             claimed_until = NULL WHERE id = $1";
    const FAILED: &str = "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, \
                          last_error = $3, next_attempt_at = $4, claimed_until = NULL WHERE id = $1";
    const HEALTHY: &str = "UPDATE webhooks SET failing_since = NULL WHERE id = $1";
    const FAILING: &str =
        "UPDATE webhooks SET failing_since = COALESCE(failing_since, $2) WHERE id = $1";
    let now = crate::now();
    let status = outcome.status.map(i64::from);
    let mut tx = store.begin().await?;
    tx.execute(
        query(ATTEMPT)
            .bind(new_id())
            .bind(delivery.id)
            .bind(now)
            .bind(status)
            .bind(outcome.error.clone())
            .bind(outcome.duration_ms),
    )
    .await?;
    if outcome.delivered() {
        tx.execute(query(DELIVERED).bind(delivery.id).bind(now).bind(status))
            .await?;
        tx.execute(query(HEALTHY).bind(delivery.webhook_id)).await?;
    } else {
        let retry = next_attempt(delivery.attempts + 1, now);
        tx.execute(
            query(FAILED)
                .bind(delivery.id)
                .bind(status)
                .bind(outcome.error.clone())
                .bind(retry),
        )
        .await?;
        tx.execute(query(FAILING).bind(delivery.webhook_id).bind(now))
            .await?;
        disable_if_failing(&mut tx, delivery.webhook_id, now).await?;
    }
    tx.commit().await
}

/// Disables a webhook failing for a day, telling its owner; audited.
async fn disable_if_failing(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
    let current: Webhook = record::lock(tx, id).await?;
    let failing = current
        .failing_since
        .is_some_and(|since| disabled_by_failures(since, now));
    if !current.enabled || !failing {
        return Ok(());
    }
    let change = Change {
        action: "webhook.disabled",
        actor: None,
        expected_version: None,
    };
    record::change(tx, id, change, |w: &Webhook| {
        let told = Event::WebhookDisabled {
            owner_id: w.owner_id,
            webhook_id: w.id,
            url: w.url.clone(),
        };
        Ok(Step::new(
            Webhook {
                enabled: false,
                disabled_at: Some(now),
                ..w.clone()
            },
            vec![told],
        ))
    })
    .await?;
    Ok(())
}

/// One attempt of a delivery, for the delivery log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attempt {
    pub id: Uuid,
    pub delivery_id: Uuid,
    pub at: DateTime<Utc>,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// A delivery with its attempts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event_type: String,
    pub payload: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i64,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    #[sqlx(skip)]
    pub log: Vec<Attempt>,
}

/// A page of a webhook's deliveries, the latest first, each with its attempts (read in one
/// more query for the whole page).
pub async fn deliveries(
    store: &Store,
    webhook_id: Uuid,
    page: PageRequest,
) -> Result<Page<Delivery>, StoreError> {
    const SQL: &str = "SELECT id, webhook_id, event_type, payload, created_at, attempts, \
                       next_attempt_at, delivered_at, last_status, last_error FROM webhook_deliveries \
                       WHERE webhook_id = $1 AND id < $2 ORDER BY id DESC LIMIT CAST($3 AS BIGINT)";
    const ATTEMPTS: &str = "SELECT id, delivery_id, at, status, error, duration_ms FROM webhook_attempts \
                            WHERE delivery_id IN (SELECT id FROM webhook_deliveries \
                            WHERE webhook_id = $1 AND id < $2 ORDER BY id DESC LIMIT CAST($3 AS BIGINT)) \
                            ORDER BY id";
    let bind = |sql| {
        query(sql)
            .bind(webhook_id)
            .bind(page.after_or(Uuid::max()))
            .bind(page.fetch_limit())
    };
    let mut rows: Vec<Delivery> = store.fetch_all(bind(SQL)).await?;
    let attempts: Vec<Attempt> = store.fetch_all(bind(ATTEMPTS)).await?;
    for attempt in attempts {
        if let Some(d) = rows.iter_mut().find(|d| d.id == attempt.delivery_id) {
            d.log.push(attempt);
        }
    }
    Ok(Page::from_rows(rows, &page, |d| d.id))
}

/// Sends a delivery of `webhook_id` again, now, whatever became of it: delivered, given up or
/// still retrying. Refused while the webhook is disabled.
pub async fn replay(store: &Store, webhook_id: Uuid, delivery_id: Uuid) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE webhook_deliveries SET next_attempt_at = $3, claimed_until = NULL \
                       WHERE id = $1 AND webhook_id = $2";
    let mut tx = store.begin().await?;
    let webhook: Webhook = record::lock(&mut tx, webhook_id).await?;
    if !webhook.enabled {
        return Err(StoreError::refused(
            &mentorship_domain::webhooks::WebhookRefusal::Disabled,
        ));
    }
    let found = tx
        .execute(
            query(SQL)
                .bind(delivery_id)
                .bind(webhook_id)
                .bind(crate::now()),
        )
        .await?;
    if found == 0 {
        return Err(StoreError::NotFound("delivery"));
    }
    tx.commit().await
}
