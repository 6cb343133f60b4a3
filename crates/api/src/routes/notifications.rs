//! A person's notifications: what the program told them (an application received, a document
//! rejected, ...), each also sent by email. Everyone reads only their own. API keys are refused:
//! notifications carry personal messages (rejection reasons) that no key scope covers.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use mentorship_store::notifications::{self, Notification};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::paging::{List, PageQuery};
use crate::state::AppState;

/// A notification as its reader sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01964f7e-5a8b-7c3d-9e2f-1a2b3c4d5e6f",
    "kind": "application_received",
    "subject": "We received your application",
    "body": "A Mentorship Manager will review it and tell you the outcome.",
    "created_at": "2026-03-02T09:15:00Z",
    "read_at": null
}))]
pub struct NotificationView {
    pub id: Uuid,
    /// What happened: `application_received`, `application_accepted`, `application_rejected`,
    /// `document_rejected`, `contract_ready`, `mentor_activated`; more kinds may come.
    #[schema(example = "application_received", max_length = 64)]
    pub kind: String,
    #[schema(example = "We received your application")]
    pub subject: String,
    /// Plain text, the same as the email's.
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// When the reader marked it read; `null` while unread.
    pub read_at: Option<DateTime<Utc>>,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        NotificationView {
            id: n.id,
            kind: n.kind,
            subject: n.subject,
            body: n.body,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationFilter {
    /// `true`: only the unread ones. Absent or `false`: all.
    #[param(default = false)]
    pub unread: Option<bool>,
    /// Only those made at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only those made before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// The caller's notifications, newest first.
#[utoipa::path(
    tag = "notifications",
    security(("accessToken" = [])),
    params(NotificationFilter, PageQuery),
    responses(
        (status = 200, description = "One page of notifications, newest first", body = List<NotificationView>),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/me/notifications")]
pub async fn list_notifications(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<NotificationFilter>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = notifications::NotificationFilter {
        unread_only: filter.unread.unwrap_or(false),
        from: filter.from,
        to: filter.to,
    };
    let page =
        notifications::list_for(&state.store, principal.user_id, filter, page.request()?).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(List::from_page(page, NotificationView::from)))
}

/// Marks one of the caller's notifications read; marking it again changes nothing.
#[utoipa::path(
    tag = "notifications",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The notification's id")),
    responses(
        (status = 204, description = "Marked read"),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[post("/me/notifications/{id}/read")]
pub async fn mark_notification_read(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    notifications::mark_read(&state.store, principal.user_id, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
