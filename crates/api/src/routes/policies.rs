//! The program's policies: read by everyone logged in, changed by admins with `If-Match`,
//! versioned and audited.

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use chrono::{DateTime, Utc};
use mentorship_domain::policy::{OutcomeFactors, Percent, Policies};
use mentorship_store::policies::{self, PolicyVersion};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::access::require_staff;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{Valid, if_match};
use crate::routes::ok_with_etag;
use crate::state::AppState;

/// The share of a session's price each final state pays, in percent (0 to 100).
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct OutcomeFactorsView {
    #[schema(maximum = 100)]
    pub completed: u8,
    #[schema(maximum = 100)]
    pub student_no_show: u8,
    #[schema(maximum = 100)]
    pub late_cancelled_by_student: u8,
    #[schema(maximum = 100)]
    pub cancelled: u8,
    #[schema(maximum = 100)]
    pub late_cancelled_by_mentor: u8,
}

/// The values RULES.md marks *(policy)*.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "min_professional_experience_years": 4, "min_field_experience_years": 2,
    "max_document_bytes": 10485760, "cancellation_notice_hours": 24,
    "outcome_factors": {"completed": 100, "student_no_show": 50, "late_cancelled_by_student": 50,
                        "cancelled": 0, "late_cancelled_by_mentor": 0},
    "platform_zone": "Europe/Paris", "max_requested_students": 50, "notes_grace_days": 0}))]
pub struct PolicyFields {
    /// Eligibility: years of professional experience an applicant needs (0 to 40).
    #[schema(maximum = 40)]
    pub min_professional_experience_years: u8,
    /// Eligibility: years of experience in the path's field (0 to 40).
    #[schema(maximum = 40)]
    pub min_field_experience_years: u8,
    /// The largest onboarding document, in bytes (1 to 52428800).
    #[schema(minimum = 1, maximum = 52428800)]
    pub max_document_bytes: u64,
    /// How long before the start a cancellation is in time (0 to 168 hours).
    #[schema(maximum = 168)]
    pub cancellation_notice_hours: u32,
    pub outcome_factors: OutcomeFactorsView,
    /// Months of statements and the days of rate cards are read in this IANA zone.
    #[validate(custom(function = "crate::routes::iana_zone"))]
    pub platform_zone: String,
    /// The most students a mentor may ask for (1 to 50).
    #[schema(minimum = 1, maximum = 50)]
    pub max_requested_students: u32,
    /// Days after the day a session ends before its notes are late (0 to 6).
    #[schema(maximum = 6)]
    pub notes_grace_days: u32,
}

/// The policies in force, with their version.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    /// Raised by each change; the `ETag`.
    pub version: i64,
    /// When this version took effect.
    pub effective_at: DateTime<Utc>,
    /// The admin who made it; `null` for RULES.md's defaults.
    pub created_by: Option<Uuid>,
    pub policies: PolicyFields,
}

fn fields(p: &Policies) -> PolicyFields {
    let f = p.outcome_factors;
    PolicyFields {
        min_professional_experience_years: p.min_professional_experience_years,
        min_field_experience_years: p.min_field_experience_years,
        max_document_bytes: p.max_document_bytes,
        cancellation_notice_hours: p.cancellation_notice_hours,
        outcome_factors: OutcomeFactorsView {
            completed: f.completed.get(),
            student_no_show: f.student_no_show.get(),
            late_cancelled_by_student: f.late_cancelled_by_student.get(),
            cancelled: f.cancelled.get(),
            late_cancelled_by_mentor: f.late_cancelled_by_mentor.get(),
        },
        platform_zone: p.platform_zone.name().to_owned(),
        max_requested_students: p.max_requested_students,
        notes_grace_days: p.notes_grace_days,
    }
}

fn view(v: PolicyVersion) -> PolicyView {
    PolicyView {
        version: v.version,
        effective_at: v.effective_at,
        created_by: v.created_by,
        policies: fields(&v.policies),
    }
}

fn percent(value: u8) -> Result<Percent, ApiError> {
    Percent::new(value).map_err(|r| ApiError::refused(&r))
}

/// The domain's policies from a request's fields, or 422 naming each broken rule.
fn policies_of(body: PolicyFields) -> Result<Policies, ApiError> {
    let f = body.outcome_factors;
    let policies = Policies {
        min_professional_experience_years: body.min_professional_experience_years,
        min_field_experience_years: body.min_field_experience_years,
        max_document_bytes: body.max_document_bytes,
        cancellation_notice_hours: body.cancellation_notice_hours,
        outcome_factors: OutcomeFactors {
            completed: percent(f.completed)?,
            student_no_show: percent(f.student_no_show)?,
            late_cancelled_by_student: percent(f.late_cancelled_by_student)?,
            cancelled: percent(f.cancelled)?,
            late_cancelled_by_mentor: percent(f.late_cancelled_by_mentor)?,
        },
        platform_zone: body
            .platform_zone
            .parse()
            .map_err(|_| ApiError::field("platform_zone", "unknown_time_zone", "unknown zone"))?,
        max_requested_students: body.max_requested_students,
        notes_grace_days: body.notes_grace_days,
    };
    policies
        .validate()
        .map_err(|refusals| ApiError::refusals(&refusals))?;
    Ok(policies)
}

/// The policies in force. Everyone logged in.
#[utoipa::path(
    tag = "policies",
    security(("accessToken" = [])),
    responses((status = 200, description = "The policies in force", body = PolicyView,
        headers(("ETag" = String, description = "The version, for `If-Match`"))))
)]
#[get("/policies")]
pub async fn get_policies(
    state: web::Data<AppState>,
    _principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let current = policies::current(&state.store).await?;
    Ok(ok_with_etag(current.version).json(view(current)))
}

/// Every version of the policies, the latest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyHistory {
    pub items: Vec<PolicyView>,
}

/// Every version of the policies, the latest first. Staff.
#[utoipa::path(
    tag = "policies",
    security(("accessToken" = [])),
    responses(
        (status = 200, description = "Every version", body = PolicyHistory),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/policies/history")]
pub async fn policy_history(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let history = policies::history(&state.store).await?;
    Ok(HttpResponse::Ok().json(PolicyHistory {
        items: history.into_iter().map(view).collect(),
    }))
}

/// Puts new policies in force from now, on every instance, as a new version over the one
/// `If-Match` names (the old one is kept; the change is audited with both). Sessions already
/// booked keep their notes deadline; statements already issued never change. The whole set is
/// sent; a set equal to the one in force changes nothing. Admins.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["percent_out_of_range", "max_document_bytes_zero", "max_document_bytes_too_large", "cancellation_notice_too_long", "notes_grace_too_long", "experience_too_long", "requested_students_out_of_range", "unknown_time_zone"]))),
    tag = "policies",
    security(("accessToken" = [])),
    params(("If-Match" = String, Header, description = "The `ETag` of the policies read")),
    request_body = PolicyFields,
    responses(
        (status = 200, description = "In force", body = PolicyView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[put("/policies")]
pub async fn put_policies(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    Valid(body): Valid<PolicyFields>,
) -> Result<HttpResponse, ApiError> {
    if principal.role != mentorship_domain::people::Role::Admin {
        return Err(ApiError::Forbidden("admins change the policies".into()));
    }
    // An invalid body is 422 whatever the If-Match: the body is judged before the version.
    let policies = policies_of(body)?;
    let current = policies::current(&state.store).await?;
    let expected = if_match(&req, "policies", current.version)?;
    let changed = policies::change(&state.store, expected, policies, principal.user_id).await?;
    Ok(ok_with_etag(changed.version).json(view(changed)))
}
