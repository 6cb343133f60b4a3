//! Mentors' absences: declared in advance by the mentor (or staff for them), listed, withdrawn
//! before they start. Bookings inside one are refused; sessions already inside are listed at
//! `GET /v1/sessions/needing-new-date`.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use mentorship_store::absences::{self, AbsenceFilter, DeclaredAbsence, NewAbsence};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::access::{require_staff, visible_mentor};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{Valid, ValidQuery};
use crate::paging::{List, PageQuery};
use crate::state::AppState;

/// A declared absence.
#[derive(Debug, Serialize, ToSchema)]
pub struct AbsenceView {
    pub id: Uuid,
    pub mentor_id: Uuid,
    /// The first day away, in the mentor's zone.
    #[schema(example = "2026-12-21")]
    pub first_day: NaiveDate,
    /// The last day away (inclusive).
    #[schema(example = "2026-12-27")]
    pub last_day: NaiveDate,
    pub reason: Option<String>,
    /// When it was withdrawn; `null` while it stands.
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<DeclaredAbsence> for AbsenceView {
    fn from(a: DeclaredAbsence) -> Self {
        AbsenceView {
            id: a.id,
            mentor_id: a.mentor_id,
            first_day: a.first_day,
            last_day: a.last_day,
            reason: a.reason,
            withdrawn_at: a.withdrawn_at,
            created_at: a.created_at,
        }
    }
}

/// An absence to declare.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"first_day": "2026-12-21", "last_day": "2026-12-27", "reason": "Holidays"}))]
pub struct DeclareAbsence {
    /// After today, in the mentor's zone.
    pub first_day: NaiveDate,
    /// On or after `first_day`.
    pub last_day: NaiveDate,
    #[schema(max_length = 1000)]
    #[validate(length(max = 1000, message = "must be at most 1000 characters"))]
    pub reason: Option<String>,
}

/// Only the mentor themself, or staff, act on a mentor's absences; others get 404.
async fn absent_mentor(state: &AppState, principal: &Principal, id: Uuid) -> Result<(), ApiError> {
    visible_mentor(state, principal, id).await?;
    Ok(())
}

/// Declares an absence of the mentor, starting after today in the mentor's zone. Bookings inside
/// it are refused (`mentor_absent`); each student with a session already inside, and the
/// mentor's manager, are told, and those sessions are listed as needing a new date. The mentor,
/// or staff for them.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["absence_not_in_advance",
        "absence_last_day_before_first_day"]))),
    tag = "absences",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The mentor's id")),
    request_body = DeclareAbsence,
    responses(
        (status = 201, description = "Declared", body = AbsenceView,
         headers(("Location" = String, description = "The mentor's absences"))),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[post("/mentors/{id}/absences")]
pub async fn declare(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<DeclareAbsence>,
) -> Result<HttpResponse, ApiError> {
    absent_mentor(&state, &principal, *id).await?;
    let new = NewAbsence {
        first_day: body.first_day,
        last_day: body.last_day,
        reason: body.reason,
    };
    let absence = absences::declare(&state.store, *id, &new, principal.user_id, Utc::now()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/v1/mentors/{id}/absences"),
        ))
        .json(AbsenceView::from(absence)))
}

/// A mentor's absences, in declaration order, withdrawn ones included. The mentor and staff.
#[utoipa::path(
    tag = "absences",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The mentor's id"), DayRange, PageQuery),
    responses(
        (status = 200, description = "One page of absences", body = List<AbsenceView>),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/mentors/{id}/absences")]
pub async fn list_mentor_absences(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    ValidQuery(days): ValidQuery<DayRange>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    absent_mentor(&state, &principal, *id).await?;
    let filter = AbsenceFilter {
        mentor_id: Some(*id),
        from: days.from,
        to: days.to,
    };
    let page = absences::list(&state.store, filter, page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, AbsenceView::from)))
}

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct AbsenceQuery {
    /// Only this mentor's.
    pub mentor_id: Option<Uuid>,
}

/// The days an absence list covers: absences overlapping `from` to `to`, both included.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct DayRange {
    /// Only absences lasting until this day or later.
    pub from: Option<NaiveDate>,
    /// Only absences starting on this day or earlier.
    pub to: Option<NaiveDate>,
}

/// Every mentor's absences, in declaration order. Staff.
#[utoipa::path(
    tag = "absences",
    security(("accessToken" = [])),
    params(AbsenceQuery, DayRange, PageQuery),
    responses(
        (status = 200, description = "One page of absences", body = List<AbsenceView>),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/absences")]
pub async fn list_absences(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(query): ValidQuery<AbsenceQuery>,
    ValidQuery(days): ValidQuery<DayRange>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let filter = AbsenceFilter {
        mentor_id: query.mentor_id,
        from: days.from,
        to: days.to,
    };
    let page = absences::list(&state.store, filter, page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, AbsenceView::from)))
}

/// Withdraws an absence that has not started; bookings in it are possible again. The mentor,
/// or staff for them.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["absence_already_started", "absence_withdrawn"]))),
    tag = "absences",
    security(("accessToken" = [])),
    params(
        ("id" = Uuid, Path, description = "The mentor's id"),
        ("absence_id" = Uuid, Path, description = "The absence's id"),
    ),
    responses(
        (status = 200, description = "Withdrawn", body = AbsenceView),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/mentors/{id}/absences/{absence_id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, absence_id) = path.into_inner();
    absent_mentor(&state, &principal, id).await?;
    let absence =
        absences::withdraw(&state.store, id, absence_id, principal.user_id, Utc::now()).await?;
    Ok(HttpResponse::Ok().json(AbsenceView::from(absence)))
}
