//! Mentor applications: anyone applies (no account yet); staff review them.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use mentorship_domain::mentors::{ApplicationFacts, LegalStatus, MentorStatus, zone_or_default};
use mentorship_domain::people::{Role, normalize_email};
use mentorship_domain::referrals::{self, Referrer};
use mentorship_domain::refusal::Refusal;
use mentorship_store::mentors::{self, Mentor, MentorFilter, NewApplication};
use mentorship_store::users::NewUser;
use mentorship_store::{StoreError, catalog};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::access::{require_staff, visible_mentor};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::Valid;
use crate::paging::{List, PageQuery};
use crate::routes::created;
use crate::state::AppState;
use crate::throttle::Door;

/// An application to mentor, as sent by a person without an account.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Grace Hopper", "email": "grace@example.com", "password": "a long passphrase",
    "path_id": "01964f7e-5a8b-7c3d-9e2f-1a2b3c4d5e6f", "experience_years": 6, "field_years": 3,
    "legal_status": "freelancer", "country": "FR", "right_to_work_attested": true,
    "time_zone": "Europe/Paris"}))]
pub struct ApplyRequest {
    #[schema(example = "Grace Hopper", min_length = 1, max_length = 120)]
    #[validate(length(min = 1, max = 120))]
    pub name: String,
    #[schema(example = "grace@example.com", format = Email, max_length = 254)]
    #[validate(
        email(code = "invalid_email", message = "must be an email address"),
        length(max = 254)
    )]
    pub email: String,
    /// The password of the account the application creates.
    #[schema(example = "a long passphrase", min_length = 12, max_length = 128, format = Password)]
    #[validate(length(min = 12, max = 128))]
    pub password: String,
    /// The path applied for.
    pub path_id: Uuid,
    /// Years of professional experience.
    #[schema(example = 6, minimum = 0, maximum = 80)]
    #[validate(range(max = 80))]
    pub experience_years: u8,
    /// Years of experience in the path's field.
    #[schema(example = 3, minimum = 0, maximum = 80)]
    #[validate(range(max = 80))]
    pub field_years: u8,
    #[schema(schema_with = crate::openapi::legal_status_schema)]
    pub legal_status: LegalStatus,
    /// Country of residence, ISO 3166-1 alpha-2.
    #[schema(example = "FR", pattern = "^[A-Z]{2}$")]
    #[validate(
        length(equal = 2),
        custom(function = "crate::routes::uppercase_letters")
    )]
    pub country: String,
    /// The applicant attests being legally allowed to work in their country of residence.
    pub right_to_work_attested: bool,
    /// The referral code of an active mentor, if someone referred the applicant.
    #[schema(example = "K7QX2M9A", min_length = 1, max_length = 40)]
    #[validate(length(min = 1, max = 40))]
    pub referral_code: Option<String>,
    /// The applicant's IANA time zone (default Europe/Paris).
    #[schema(example = "Europe/Paris", max_length = 64)]
    #[validate(length(max = 64), custom(function = "crate::routes::iana_zone"))]
    pub time_zone: Option<String>,
}

/// An unmet eligibility rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmetRuleView {
    #[schema(example = "field_experience_too_short")]
    pub code: String,
    #[schema(example = "experience in the path's field of 1 years, at least 2 needed")]
    pub message: String,
}

/// An application and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    /// Also the applicant's account and mentor id.
    pub id: Uuid,
    pub name: String,
    pub email: String,
    #[schema(schema_with = crate::openapi::mentor_status_schema)]
    pub status: MentorStatus,
    pub path_id: Uuid,
    pub experience_years: u8,
    pub field_years: u8,
    #[schema(schema_with = crate::openapi::legal_status_schema)]
    pub legal_status: LegalStatus,
    pub country: String,
    pub right_to_work_attested: bool,
    /// Whether every eligibility rule is met; an ineligible application can only be rejected.
    pub eligible: bool,
    pub unmet_rules: Vec<UnmetRuleView>,
    /// Whether a referral code was given (and accepted).
    pub referred: bool,
    /// The reason of a rejection.
    pub decision_reason: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Mentor> for ApplicationView {
    fn from(m: Mentor) -> Self {
        ApplicationView {
            id: m.id,
            name: m.name,
            email: m.email,
            status: m.status,
            path_id: m.path_id,
            experience_years: m.experience_years,
            field_years: m.field_years,
            legal_status: m.legal_status,
            country: m.country,
            right_to_work_attested: m.right_to_work,
            eligible: m.unmet_rules.is_empty(),
            unmet_rules: m
                .unmet_rules
                .iter()
                .map(|r| UnmetRuleView {
                    code: r.code().into(),
                    message: r.to_string(),
                })
                .collect(),
            referred: m.referrer_id.is_some(),
            decision_reason: m.decision_reason,
            reviewed_at: m.reviewed_at,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "We need more experience in data engineering."}))]
pub struct RejectRequest {
    /// Why; the applicant reads it.
    #[schema(
        example = "We need more experience in data engineering.",
        min_length = 1,
        max_length = 1000
    )]
    #[validate(length(min = 1, max = 1000))]
    pub reason: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MentorQuery {
    /// Only those in this status.
    #[param(schema_with = crate::openapi::mentor_status_schema)]
    pub status: Option<MentorStatus>,
    /// Only those of this path.
    pub path_id: Option<Uuid>,
    /// Only those who applied at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only those who applied before this instant.
    pub to: Option<DateTime<Utc>>,
}

impl MentorQuery {
    pub fn filter(&self) -> MentorFilter {
        MentorFilter {
            statuses: self.status.map(|s| vec![s]),
            path_id: self.path_id,
            from: self.from,
            to: self.to,
        }
    }
}

/// The referrer of a code, as the domain judges it; 422 on `referral_code` when refused.
pub(crate) async fn referrer(state: &AppState, email: &str, code: &str) -> Result<Uuid, ApiError> {
    let owner = mentors::by_referral_code(&state.store, code).await?;
    let referrer = owner.as_ref().map(|m| Referrer {
        mentor_id: m.id,
        email: &m.email,
        status: m.status,
    });
    referrals::check_referral_code(email, referrer.as_ref()).map_err(|r| ApiError::refused(&r))
}

/// Applies to become a mentor. Creates the applicant's account and stores the application with
/// its eligibility; an ineligible one is kept too, with every unmet rule. Throttled per client.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["already_exists", "unknown_path", "referral_code_unknown", "referrer_not_active", "self_referral", "unknown_time_zone"]))),
    tag = "onboarding",
    request_body = ApplyRequest,
    responses(
        (status = 201, description = "Application received", body = ApplicationView,
         headers(("Location" = String, description = "The application's URL"))),
        (status = 409, response = crate::openapi::Conflict),
        (status = 429, response = crate::openapi::TooManyRequests),
    )
)]
#[post("/mentor-applications")]
pub async fn apply(
    req: HttpRequest,
    state: web::Data<AppState>,
    Valid(body): Valid<ApplyRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .throttle
        .attempt(&state.store, &req, Door::Application, None)
        .await?;
    let email = normalize_email(&body.email);
    match catalog::get_path(&state.store, body.path_id).await {
        Err(StoreError::NotFound(_)) => {
            return Err(ApiError::field("path_id", "unknown_path", "no such path"));
        }
        other => other?,
    };
    let referrer_id = match &body.referral_code {
        Some(code) => Some(referrer(&state, &email, code).await?),
        None => None,
    };
    let facts = ApplicationFacts {
        professional_experience_years: body.experience_years,
        field_experience_years: body.field_years,
        right_to_work_attested: body.right_to_work_attested,
    };
    let zone = body.time_zone.as_deref().and_then(|z| z.parse().ok());
    let policies = state.policies().await?;
    let application = NewApplication {
        account: NewUser {
            email,
            name: body.name,
            role: Role::Mentor,
            password_hash: state.passwords.hash(body.password).await?,
        },
        path_id: body.path_id,
        facts,
        legal_status: body.legal_status,
        country: body.country,
        referrer_id,
        time_zone: zone_or_default(zone, &policies).name().to_owned(),
    };
    let mentor = mentors::apply(&state.store, application, &policies).await?;
    Ok(created(
        format!("/v1/mentor-applications/{}", mentor.id),
        mentor.version,
    )
    .json(ApplicationView::from(mentor)))
}

/// Lists applications (every mentor, from application on), filtered by status and path. Staff only.
#[utoipa::path(
    tag = "onboarding",
    security(("accessToken" = [])),
    params(MentorQuery, PageQuery),
    responses(
        (status = 200, description = "One page of applications", body = List<ApplicationView>),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/mentor-applications")]
pub async fn list_applications(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<MentorQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let page = mentors::list(&state.store, &query.filter(), page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, ApplicationView::from)))
}

/// One application: staff see any, the applicant their own.
#[utoipa::path(
    tag = "onboarding",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The application's id")),
    responses(
        (status = 200, description = "The application", body = ApplicationView),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/mentor-applications/{id}")]
pub async fn get_application(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mentor = visible_mentor(&state, &principal, *id).await?;
    Ok(HttpResponse::Ok().json(ApplicationView::from(mentor)))
}

/// Accepts an eligible application; the reviewer becomes the mentor's manager. Staff only.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["transition_not_allowed", "application_ineligible"]))),
    tag = "onboarding",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The application's id")),
    responses(
        (status = 200, description = "Accepted: the applicant now sends their documents", body = ApplicationView),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/mentor-applications/{id}/accept")]
pub async fn accept(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let mentor = mentors::accept(&state.store, *id, principal.user_id).await?;
    Ok(HttpResponse::Ok().json(ApplicationView::from(mentor)))
}

/// Rejects an application, with the reason the applicant will read. Staff only.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["transition_not_allowed", "reason_required"]))),
    tag = "onboarding",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The application's id")),
    request_body = RejectRequest,
    responses(
        (status = 200, description = "Rejected", body = ApplicationView),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/mentor-applications/{id}/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<RejectRequest>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let mentor = mentors::reject(&state.store, *id, principal.user_id, &body.reason).await?;
    Ok(HttpResponse::Ok().json(ApplicationView::from(mentor)))
}
