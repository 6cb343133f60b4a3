//! Difficulty reports: a mentor reports one of their students; the mentor's manager is told;
//! staff acknowledge, then resolve it, with a comment the mentor reads.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use mentorship_domain::people::Role;
use mentorship_domain::reports::{ReportCategory, ReportStatus, Severity};
use mentorship_store::reports::{self, NewReport, Report, ReportFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{Valid, ValidQuery};
use crate::paging::{List, PageQuery};
use crate::routes::created;
use crate::state::AppState;

/// A report about a student in difficulty.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub id: Uuid,
    pub mentor_id: Uuid,
    pub mentor_name: String,
    pub student_id: Uuid,
    pub student_name: String,
    #[schema(schema_with = crate::openapi::report_category_schema)]
    pub category: ReportCategory,
    #[schema(schema_with = crate::openapi::severity_schema)]
    pub severity: Severity,
    /// What the mentor wrote.
    pub text: String,
    #[schema(schema_with = crate::openapi::report_status_schema)]
    pub status: ReportStatus,
    /// The manager's comment on the last move.
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Report> for ReportView {
    fn from(r: Report) -> Self {
        ReportView {
            id: r.id,
            mentor_id: r.mentor_id,
            mentor_name: r.mentor_name,
            student_id: r.student_id,
            student_name: r.student_name,
            category: r.category,
            severity: r.severity,
            text: r.body,
            status: r.status,
            comment: r.comment,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A report to file.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"student_id": "01964f7e-5a8b-7c3d-9e2f-1a2b3c4d5e6f", "category": "motivation",
    "severity": "medium", "text": "Missed two sessions and stopped answering messages."}))]
pub struct FileReport {
    /// One of the mentor's students.
    pub student_id: Uuid,
    #[schema(schema_with = crate::openapi::report_category_schema)]
    pub category: ReportCategory,
    #[schema(schema_with = crate::openapi::severity_schema)]
    pub severity: Severity,
    #[schema(min_length = 1, max_length = 5000)]
    #[validate(length(min = 1, max = 5000, message = "must be 1 to 5000 characters"))]
    pub text: String,
}

/// Reports a problem about one of the mentor's students (another's is 404); the mentor's
/// manager is told. Mentors.
#[utoipa::path(
    tag = "reports",
    security(("accessToken" = [])),
    request_body = FileReport,
    responses(
        (status = 201, description = "Filed", body = ReportView, headers(
            ("Location" = String, description = "The report's URL"),
            ("ETag" = String, description = "The report's version"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[post("/reports")]
pub async fn file(
    state: web::Data<AppState>,
    principal: Principal,
    Valid(body): Valid<FileReport>,
) -> Result<HttpResponse, ApiError> {
    if principal.role != Role::Mentor {
        return Err(ApiError::Forbidden("mentors report their students".into()));
    }
    let new = NewReport {
        student_id: body.student_id,
        category: body.category,
        severity: body.severity,
        body: body.text,
    };
    let report = reports::file(&state.store, principal.user_id, &new).await?;
    Ok(
        created(format!("/v1/reports/{}", report.id), report.version)
            .json(ReportView::from(report)),
    )
}

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    #[param(schema_with = crate::openapi::report_status_schema)]
    pub status: Option<ReportStatus>,
    #[param(schema_with = crate::openapi::severity_schema)]
    pub severity: Option<Severity>,
    /// Only this mentor's (staff).
    pub mentor_id: Option<Uuid>,
    /// Only reports filed at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only reports filed before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// Reports in filing order, filtered by status, severity and mentor: staff see all, a mentor
/// their own.
#[utoipa::path(
    tag = "reports",
    security(("accessToken" = [])),
    params(ReportQuery, PageQuery),
    responses(
        (status = 200, description = "One page of reports", body = List<ReportView>),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/reports")]
pub async fn list_reports(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(query): ValidQuery<ReportQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let mentor_id = match principal.role {
        Role::Admin | Role::Manager => query.mentor_id,
        Role::Mentor => Some(principal.user_id),
        Role::Student => return Err(ApiError::Forbidden("mentors and staff read reports".into())),
    };
    let filter = ReportFilter {
        mentor_id,
        status: query.status,
        severity: query.severity,
        from: query.from,
        to: query.to,
    };
    let page = reports::list(&state.store, filter, page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, ReportView::from)))
}

/// A report the caller may read: staff any, a mentor their own; 404 otherwise.
async fn visible_report(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<Report, ApiError> {
    let report = reports::get(&state.store, id).await?;
    if principal.role.is_staff() || report.mentor_id == principal.user_id {
        Ok(report)
    } else {
        Err(ApiError::NotFound("report"))
    }
}

/// One report: staff, and the mentor who filed it.
#[utoipa::path(
    tag = "reports",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The report's id")),
    responses(
        (status = 200, description = "The report", body = ReportView),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/reports/{id}")]
pub async fn get_report(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let report = visible_report(&state, &principal, *id).await?;
    Ok(HttpResponse::Ok().json(ReportView::from(report)))
}

/// A manager's comment on a move.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"comment": "Called the student; a plan is agreed."}))]
pub struct MoveReport {
    #[schema(max_length = 2000)]
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    pub comment: Option<String>,
}

async fn advance(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    to: ReportStatus,
    comment: Option<String>,
) -> Result<HttpResponse, ApiError> {
    visible_report(state, principal, id).await?;
    let report = reports::advance(
        &state.store,
        id,
        to,
        comment.as_deref(),
        principal.user_id,
        principal.role,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ReportView::from(report)))
}

/// Acknowledges an open report; its mentor is told, with the comment. Staff.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["transition_not_allowed", "only_staff"]))),
    tag = "reports",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The report's id")),
    request_body = MoveReport,
    responses(
        (status = 200, description = "Acknowledged", body = ReportView),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/reports/{id}/acknowledge")]
pub async fn acknowledge(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<MoveReport>,
) -> Result<HttpResponse, ApiError> {
    advance(
        &state,
        &principal,
        *id,
        ReportStatus::Acknowledged,
        body.comment,
    )
    .await
}

/// Resolves an acknowledged report; its mentor is told, with the comment. Staff.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["transition_not_allowed", "only_staff"]))),
    tag = "reports",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The report's id")),
    request_body = MoveReport,
    responses(
        (status = 200, description = "Resolved", body = ReportView),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/reports/{id}/resolve")]
pub async fn resolve(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<MoveReport>,
) -> Result<HttpResponse, ApiError> {
    advance(
        &state,
        &principal,
        *id,
        ReportStatus::Resolved,
        body.comment,
    )
    .await
}
