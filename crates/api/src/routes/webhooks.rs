//! Webhooks: admins subscribe an HTTPS endpoint to events of the program; each event is
//! delivered signed (Standard Webhooks), retried for a day, logged attempt by attempt, and can be
//! replayed by hand. The deliveries are sent by `webhook_sender.rs`.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use mentorship_domain::people::Role;
use mentorship_domain::webhooks::{OLD_SECRET_KEPT, WebhookEvent, check_events, check_url};
use mentorship_store::webhooks::{self, Attempt, Delivery, NewWebhook, Webhook, WebhookChanges};
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{Valid, if_match};
use crate::paging::{List, PageQuery};
use crate::routes::{created, ok_with_etag};
use crate::state::AppState;

/// A webhook as the API shows it; its secret only when it is made or rotated.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0190b2a4-7c3e-7d2a-9a55-3f1e2b4c5d6e",
    "owner_id": "0190b2a4-7c3e-7d2a-9a55-000000000001",
    "url": "https://hooks.example.com/mentorship",
    "description": "HR tool: new mentors and statements",
    "events": ["mentor.activated", "statement.issued"],
    "enabled": true,
    "failing_since": null,
    "disabled_at": null,
    "secret": null,
    "created_at": "2026-12-01T09:00:00Z",
    "updated_at": "2026-12-01T09:00:00Z"
}))]
pub struct WebhookView {
    pub id: Uuid,
    /// The admin who made it; told if it is disabled.
    pub owner_id: Uuid,
    pub url: String,
    pub description: String,
    #[schema(schema_with = crate::openapi::webhook_events_schema)]
    pub events: Vec<WebhookEvent>,
    /// A disabled webhook gets no deliveries; its failed ones wait to be replayed.
    pub enabled: bool,
    /// Since when every attempt failed; after a day of it the webhook is disabled.
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// The signing secret (`whsec_` and base64): only in the answers that make it (creation,
    /// rotation); `null` everywhere else. Keep it: it is not shown again.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WebhookView {
    /// The view of `w`, with its secret in clear when it was just made (`secret`).
    fn of(w: Webhook, secret: Option<String>) -> Self {
        WebhookView {
            secret,
            id: w.id,
            owner_id: w.owner_id,
            url: w.url,
            description: w.description,
            events: w.events,
            enabled: w.enabled,
            failing_since: w.failing_since,
            disabled_at: w.disabled_at,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// A new webhook.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hooks.example.com/mentorship",
    "description": "HR tool: new mentors and statements",
    "events": ["mentor.activated", "statement.issued"]}))]
pub struct CreateWebhook {
    /// Where deliveries are POSTed: `https://` (plain `http://` to this machine only, outside
    /// production).
    #[schema(
        example = "https://hooks.example.com/mentorship",
        min_length = 9,
        max_length = 2000,
        pattern = r"^(https://[^\u0000]+|http://(127\.0\.0\.1|localhost)[:/][^\u0000]*|http://\[::1\]:[^\u0000]*)$"
    )]
    #[validate(length(min = 9, max = 2000))]
    pub url: String,
    #[schema(max_length = 500)]
    #[validate(length(max = 500))]
    pub description: Option<String>,
    #[schema(schema_with = crate::openapi::webhook_events_schema)]
    #[validate(length(max = 28))]
    pub events: Vec<WebhookEvent>,
}

/// A change to a webhook (JSON Merge Patch); absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": true, "events": ["session.booked", "session.cancelled"]}))]
pub struct UpdateWebhook {
    /// As when it is made: `https://`, or `http://` to this machine outside production.
    #[schema(
        min_length = 9,
        max_length = 2000,
        pattern = r"^(https://[^\u0000]+|http://(127\.0\.0\.1|localhost)[:/][^\u0000]*|http://\[::1\]:[^\u0000]*)$"
    )]
    #[validate(length(min = 9, max = 2000))]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub url: Option<String>,
    /// `null` or `""` empties it.
    #[schema(max_length = 500)]
    #[validate(length(max = 500))]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::emptied")]
    pub description: Option<String>,
    #[schema(schema_with = crate::openapi::webhook_events_schema)]
    #[validate(length(max = 28))]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    pub events: Option<Vec<WebhookEvent>>,
    /// `true` enables a disabled webhook again (its failures start afresh); `false` pauses it.
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
}

/// One attempt of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status; `null` when it did not answer.
    #[schema(example = 503)]
    pub status: Option<i64>,
    /// Why it failed; `null` when it was delivered.
    #[schema(example = "the receiver answered 503")]
    pub error: Option<String>,
    #[schema(example = 84)]
    pub duration_ms: i64,
}

impl From<Attempt> for AttemptView {
    fn from(a: Attempt) -> Self {
        AttemptView {
            at: a.at,
            status: a.status,
            error: a.error,
            duration_ms: a.duration_ms,
        }
    }
}

/// One event sent to a webhook, with every attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// The `webhook-id` of every attempt: receivers deduplicate on it.
    pub id: Uuid,
    #[schema(schema_with = crate::openapi::webhook_event_schema)]
    pub event_type: String,
    /// The body sent: `{"type", "timestamp", "data"}`.
    #[schema(
        example = "{\"type\":\"session.booked\",\"timestamp\":\"2026-12-01T09:00:00Z\",\"data\":{\"mentor_id\":\"0190b2a4-7c3e-7d2a-9a55-000000000002\"}}"
    )]
    pub payload: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i64,
    /// When it is tried next; `null` once delivered or given up.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub log: Vec<AttemptView>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        DeliveryView {
            id: d.id,
            event_type: d.event_type,
            payload: d.payload,
            created_at: d.created_at,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            delivered_at: d.delivered_at,
            last_status: d.last_status,
            last_error: d.last_error,
            log: d.log.into_iter().map(AttemptView::from).collect(),
        }
    }
}

fn require_admin(principal: &Principal) -> Result<(), ApiError> {
    if principal.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden("admins manage webhooks".into()))
    }
}

/// A new signing secret: `whsec_` and 24 random bytes in base64 (Standard Webhooks).
fn new_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

fn checked_url(state: &AppState, url: &str) -> Result<(), ApiError> {
    check_url(url, state.webhooks_to_loopback).map_err(|r| ApiError::refused(&r))
}

fn checked_events(events: &[WebhookEvent]) -> Result<Vec<WebhookEvent>, ApiError> {
    check_events(events).map_err(|r| ApiError::refused(&r))
}

/// Subscribes an endpoint to events. The answer holds the signing secret, once. Each event is
/// then POSTed to the endpoint with the `webhook-id`, `webhook-timestamp` and `webhook-signature`
/// headers (HMAC-SHA256 over `id.timestamp.body` with the secret's bytes), retried with backoff
/// for about a day until it answers 2xx; a webhook whose deliveries all fail for a day is
/// disabled and its owner notified (`webhook_disabled`). Admins only; audited.
#[utoipa::path(
    // Not idempotent: the answer holds the secret in clear, which is never kept (as a new API
    // key's).
    extensions(
        ("x-problem-codes" = json!(["webhook_url_not_https", "webhook_without_events"])),
        ("x-idempotent" = json!(false)),
    ),
    tag = "webhooks",
    security(("accessToken" = [])),
    request_body = CreateWebhook,
    responses(
        (status = 201, description = "Subscribed; `secret` is shown this once", body = WebhookView,
         headers(("Location" = String, description = "The webhook's URL"),
                 ("ETag" = String, description = "The webhook's version, for If-Match"))),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    Valid(body): Valid<CreateWebhook>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&principal)?;
    let description = body.description.unwrap_or_default();
    let (webhook, secret) = subscribe(
        &state,
        body.url,
        description,
        &body.events,
        principal.user_id,
    )
    .await?;
    let location = format!("/v1/webhooks/{}", webhook.id);
    Ok(created(location, webhook.version).json(WebhookView::of(webhook, Some(secret))))
}

/// Subscribes `url` to `events` on behalf of `owner` (an admin): the checks of the address and
/// the events, a new secret kept sealed. Answers the webhook and its secret in clear, which
/// is never kept. The handler's, and `mentorship seed-demo`'s.
pub(crate) async fn subscribe(
    state: &AppState,
    url: String,
    description: String,
    events: &[WebhookEvent],
    owner: Uuid,
) -> Result<(Webhook, String), ApiError> {
    checked_url(state, &url)?;
    let secret = new_secret();
    let new = NewWebhook {
        url,
        description,
        events: checked_events(events)?,
        secret: state.files.seal_secret(&secret)?,
    };
    Ok((webhooks::create(&state.store, new, owner).await?, secret))
}

/// Every webhook, oldest first. Admins only.
#[utoipa::path(
    tag = "webhooks",
    security(("accessToken" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "One page of webhooks", body = List<WebhookView>),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&principal)?;
    let page = webhooks::list(&state.store, page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, |w| WebhookView::of(w, None))))
}

/// One webhook. Admins only.
#[utoipa::path(
    tag = "webhooks",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The webhook", body = WebhookView,
         headers(("ETag" = String, description = "The webhook's version, for If-Match"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&principal)?;
    let webhook = webhooks::get(&state.store, *id).await?;
    Ok(ok_with_etag(webhook.version).json(WebhookView::of(webhook, None)))
}

/// Edits a webhook: its address, description, events, or whether it is enabled. Enabling a
/// disabled one starts its failures afresh; its given-up deliveries can then be replayed.
/// Admins only; audited.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["webhook_url_not_https", "webhook_without_events"]))),
    tag = "webhooks",
    security(("accessToken" = [])),
    params(
        ("id" = Uuid, Path, description = "The webhook's id"),
        ("If-Match" = String, Header, description = "The ETag from the last read of the webhook"),
    ),
    request_body = UpdateWebhook,
    responses(
        (status = 200, description = "The edited webhook", body = WebhookView,
         headers(("ETag" = String, description = "The webhook's new version"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<UpdateWebhook>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&principal)?;
    if let Some(url) = &body.url {
        checked_url(&state, url)?;
    }
    let events = body.events.as_deref().map(checked_events).transpose()?;
    let current = webhooks::get(&state.store, *id).await?;
    let expected = if_match(&req, "webhook", current.version)?;
    let changes = WebhookChanges {
        url: body.url,
        description: body.description,
        events,
        enabled: body.enabled,
    };
    let webhook = webhooks::update(&state.store, *id, expected, changes, principal.user_id).await?;
    Ok(ok_with_etag(webhook.version).json(WebhookView::of(webhook, None)))
}

/// Deletes a webhook with its deliveries and their log. Admins only; audited.
#[utoipa::path(
    tag = "webhooks",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The webhook's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&principal)?;
    webhooks::delete(&state.store, *id, principal.user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Gives a webhook a new signing secret, shown this once. For a day, deliveries carry two
/// signatures (the new secret's and the old one's), so the receiver can switch without losing
/// any. Admins only; audited.
#[utoipa::path(
    tag = "webhooks",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The webhook with its new `secret`", body = WebhookView,
         headers(("ETag" = String, description = "The webhook's new version"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&principal)?;
    let until = mentorship_store::now() + OLD_SECRET_KEPT;
    let secret = new_secret();
    let sealed = state.files.seal_secret(&secret)?;
    let webhook =
        webhooks::rotate_secret(&state.store, *id, sealed, until, principal.user_id).await?;
    Ok(ok_with_etag(webhook.version).json(WebhookView::of(webhook, Some(secret))))
}

/// The delivery log of a webhook: every event sent to it, the latest first, with each attempt
/// (when, the receiver's status, why it failed, how long it took). Admins only.
#[utoipa::path(
    tag = "webhooks",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The webhook's id"), PageQuery),
    responses(
        (status = 200, description = "One page of deliveries", body = List<DeliveryView>),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&principal)?;
    let webhook = webhooks::get(&state.store, *id).await?;
    let page = webhooks::deliveries(&state.store, webhook.id, page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, DeliveryView::from)))
}

/// Sends a delivery again, at once, with the same `webhook-id` (a receiver that already has it
/// can tell): after a fix on the receiver's side, or to get a given-up one through. Refused
/// while the webhook is disabled. Admins only.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["webhook_disabled"]))),
    tag = "webhooks",
    security(("accessToken" = [])),
    params(
        ("id" = Uuid, Path, description = "The webhook's id"),
        ("delivery_id" = Uuid, Path, description = "The delivery's id"),
    ),
    responses(
        (status = 202, description = "Due now; the delivery log shows the attempt"),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/replay")]
pub async fn replay_delivery(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&principal)?;
    let (id, delivery_id) = path.into_inner();
    webhooks::replay(&state.store, id, delivery_id).await?;
    Ok(HttpResponse::Accepted().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_events_bound_is_the_contracts() {
        // `#[validate(length(max = 28))]` above: twice every event, as the contract says.
        assert_eq!(2 * WebhookEvent::ALL.len(), 28);
    }
}
