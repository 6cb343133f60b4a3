//! Another path: a mentor asks to mentor another path, 3 calendar months after activation; a
//! manager approves or declines it with a reason. The mentor's manager is told of the request,
//! the mentor of the decision.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use mentorship_domain::mentors::PathRequestStatus;
use mentorship_store::path_requests::{self, PathRequest};
use mentorship_store::{StoreError, catalog};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::access::{require_staff, visible_mentor};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{Valid, ValidQuery};
use crate::paging::{List, PageQuery};
use crate::routes::applications::RejectRequest;
use crate::state::AppState;

/// A mentor's request to mentor another path.
#[derive(Debug, Serialize, ToSchema)]
pub struct PathRequestView {
    pub id: Uuid,
    pub mentor_id: Uuid,
    /// The path asked for.
    pub path_id: Uuid,
    #[schema(schema_with = crate::openapi::path_request_status_schema)]
    pub status: PathRequestStatus,
    /// The manager's reason; `null` until decided (and for an approval without one).
    pub reason: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
}

impl From<PathRequest> for PathRequestView {
    fn from(r: PathRequest) -> Self {
        PathRequestView {
            id: r.id,
            mentor_id: r.mentor_id,
            path_id: r.path_id,
            status: r.status,
            reason: r.reason,
            requested_at: r.requested_at,
            decided_at: r.decided_at,
            decided_by: r.decided_by,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"path_id": "01964f7e-5a8b-7c3d-9e2f-1a2b3c4d5e6f"}))]
pub struct AskForPath {
    /// The path the mentor wants to mentor too.
    pub path_id: Uuid,
}

/// The mentor asks to mentor another path. Possible once 3 calendar months have passed since
/// activation (in the mentor's zone; before, 409 `too_early_for_another_path` names the date),
/// for a path the mentor does not have, with no other request waiting. Their manager is told.
/// The mentor only.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["mentor_not_active", "too_early_for_another_path",
        "path_already_approved", "path_request_pending", "unknown_path"]))),
    tag = "path-requests",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The mentor's id")),
    request_body = AskForPath,
    responses(
        (status = 201, description = "Asked; a manager decides", body = PathRequestView,
         headers(("Location" = String, description = "The request's URL"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/mentors/{id}/path-requests")]
pub async fn ask_for_path(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<AskForPath>,
) -> Result<HttpResponse, ApiError> {
    visible_mentor(&state, &principal, *id).await?;
    if !principal.is(*id) {
        return Err(ApiError::Forbidden(
            "only the mentor asks for another path".into(),
        ));
    }
    if let Err(StoreError::NotFound(_)) = catalog::get_path(&state.store, body.path_id).await {
        return Err(ApiError::field("path_id", "unknown_path", "no such path"));
    }
    let request = path_requests::request(&state.store, *id, body.path_id, Utc::now()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/v1/path-requests/{}", request.id),
        ))
        .json(PathRequestView::from(request)))
}

/// A mentor's requests for other paths, the first first: the mentor their own, staff any.
#[utoipa::path(
    tag = "path-requests",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The mentor's id"), PageQuery),
    responses(
        (status = 200, description = "One page of the mentor's requests", body = List<PathRequestView>),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/mentors/{id}/path-requests")]
pub async fn list_mentor_path_requests(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let mentor = visible_mentor(&state, &principal, *id).await?;
    let page = path_requests::list(&state.store, Some(mentor.id), None, page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, PathRequestView::from)))
}

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PathRequestQuery {
    /// Only the requests in this state (`pending`: those waiting for a manager).
    #[param(schema_with = crate::openapi::path_request_status_schema)]
    pub status: Option<PathRequestStatus>,
    /// Only this mentor's.
    pub mentor_id: Option<Uuid>,
}

/// Every mentor's requests for other paths, filtered by state and mentor. Staff.
#[utoipa::path(
    tag = "path-requests",
    security(("accessToken" = [])),
    params(PathRequestQuery, PageQuery),
    responses(
        (status = 200, description = "One page of requests", body = List<PathRequestView>),
    )
)]
#[get("/path-requests")]
pub async fn list_path_requests(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(query): ValidQuery<PathRequestQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let page =
        path_requests::list(&state.store, query.mentor_id, query.status, page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, PathRequestView::from)))
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Your data projects are strong."}))]
pub struct ApprovePath {
    /// A word for the mentor, if any.
    #[schema(max_length = 1000)]
    #[validate(length(max = 1000))]
    pub reason: Option<String>,
}

/// Approves a pending request: the mentor may mentor the path from now on, and is told. Staff.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["path_request_not_pending"]))),
    tag = "path-requests",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The request's id")),
    request_body = ApprovePath,
    responses(
        (status = 200, description = "Approved", body = PathRequestView),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/path-requests/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<ApprovePath>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let request = path_requests::decide(
        &state.store,
        *id,
        true,
        body.reason.as_deref(),
        principal.user_id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(PathRequestView::from(request)))
}

/// Declines a pending request with the reason the mentor reads; the mentor is told. Staff.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["path_request_not_pending"]))),
    tag = "path-requests",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The request's id")),
    request_body = RejectRequest,
    responses(
        (status = 200, description = "Declined", body = PathRequestView),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/path-requests/{id}/decline")]
pub async fn decline(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<RejectRequest>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let request = path_requests::decide(
        &state.store,
        *id,
        false,
        Some(&body.reason),
        principal.user_id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(PathRequestView::from(request)))
}
