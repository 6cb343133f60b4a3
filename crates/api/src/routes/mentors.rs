//! Mentor profiles, their status changes by staff, and the contract a mentor signs.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use mentorship_domain::calendar::local_date;
use mentorship_domain::capacity;
use mentorship_domain::mentors::{self as rules, ContractState, MentorStatus};
use mentorship_domain::referrals::referral_code;
use mentorship_store::catalog;
use mentorship_store::mentors::{self, Mentor, ProfileChanges};
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::access::{require_staff, visible_mentor};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{Valid, if_match};
use crate::notices::contract_text;
use crate::paging::{List, PageQuery};
use crate::routes::applications::{MentorQuery, RejectRequest};
use crate::routes::ok_with_etag;
use crate::state::AppState;

/// A mentor's profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct MentorView {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    #[schema(schema_with = crate::openapi::mentor_status_schema)]
    pub status: MentorStatus,
    /// The path the mentor applied for and starts on.
    pub path_id: Uuid,
    /// The Mentorship Manager told about the mentor's absences and reports.
    pub manager_id: Option<Uuid>,
    #[schema(max_length = 2000)]
    pub bio: String,
    #[schema(example = "Europe/Paris")]
    pub time_zone: String,
    /// How many students the mentor wants (0 pauses new assignments).
    #[schema(minimum = 0, maximum = 50)]
    pub requested_students: u32,
    /// How many students are assigned to the mentor now.
    #[schema(minimum = 0)]
    pub assigned_students: u32,
    /// How many more students may be assigned: `requested_students - assigned_students`, never
    /// below 0 (a request lowered below the count only stops new assignments).
    #[schema(minimum = 0)]
    pub remaining: u32,
    pub activated_at: Option<DateTime<Utc>>,
    /// The code others give when they apply, once the mentor is active.
    pub referral_code: Option<String>,
    pub contract_signed_at: Option<DateTime<Utc>>,
    /// Why the last suspension, reinstatement or offboarding happened.
    pub status_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Mentor> for MentorView {
    fn from(m: Mentor) -> Self {
        MentorView {
            id: m.id,
            name: m.name,
            email: m.email,
            status: m.status,
            path_id: m.path_id,
            manager_id: m.manager_id,
            bio: m.bio,
            time_zone: m.time_zone,
            requested_students: m.requested_students,
            assigned_students: m.assigned_students,
            remaining: capacity::remaining(m.requested_students, m.assigned_students),
            activated_at: m.activated_at,
            referral_code: m.referral_code,
            contract_signed_at: m.contract_signed_at,
            status_reason: m.status_reason,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// Changes to a profile; absent fields stay. Mentors edit their bio, zone and wanted students;
/// staff also change the manager.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"bio": "Backend developer, ten years of Rust and Python.", "time_zone": "Europe/Paris", "requested_students": 6}))]
pub struct UpdateMentor {
    #[schema(max_length = 2000)]
    #[validate(length(max = 2000))]
    /// `null` or `""` empties it.
    #[serde(default, deserialize_with = "crate::extract::merge_patch::emptied")]
    pub bio: Option<String>,
    #[schema(example = "Europe/Paris", max_length = 64)]
    #[validate(length(max = 64), custom(function = "crate::routes::iana_zone"))]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub time_zone: Option<String>,
    #[schema(minimum = 0, maximum = 50)]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub requested_students: Option<u32>,
    /// Staff only: a manager's or an admin's account id.
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub manager_id: Option<Uuid>,
}

/// The contract, as the mentor reads it before signing.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractView {
    pub mentor_id: Uuid,
    /// `ready` to sign, or `signed`.
    #[schema(example = "ready")]
    pub state: String,
    /// The full name the mentor types to sign.
    pub mentor_name: String,
    pub text: String,
    /// The contract's date: today while unsigned, then the day it was signed.
    #[schema(value_type = String, format = Date, example = "2026-11-28")]
    pub date: chrono::NaiveDate,
    pub signed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"full_name": "Grace Hopper", "accept_terms": true}))]
pub struct SignRequest {
    /// The mentor's full name, typed as the signature.
    #[schema(example = "Grace Hopper", min_length = 1, max_length = 120)]
    #[validate(length(min = 1, max = 120))]
    pub full_name: String,
    /// The mentor accepts the contract's terms.
    pub accept_terms: bool,
}

/// Lists mentors, filtered by status and path. Staff only.
#[utoipa::path(
    tag = "mentors",
    security(("accessToken" = [])),
    params(MentorQuery, PageQuery),
    responses(
        (status = 200, description = "One page of mentors", body = List<MentorView>),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/mentors")]
pub async fn list_mentors(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<MentorQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let page = mentors::list(&state.store, &query.filter(), page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, MentorView::from)))
}

/// One mentor: staff see any, a mentor their own profile.
#[utoipa::path(
    tag = "mentors",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The mentor's id")),
    responses(
        (status = 200, description = "The mentor", body = MentorView,
         headers(("ETag" = String, description = "The profile's version, for If-Match"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/mentors/{id}")]
pub async fn get_mentor(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mentor = visible_mentor(&state, &principal, *id).await?;
    Ok(ok_with_etag(mentor.version).json(MentorView::from(mentor)))
}

/// Edits a profile (with `If-Match`): the mentor their bio, zone and wanted students; staff the manager.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["requested_students_out_of_range", "not_a_manager", "unknown_time_zone"]))),
    tag = "mentors",
    security(("accessToken" = [])),
    params(
        ("id" = Uuid, Path, description = "The mentor's id"),
        ("If-Match" = String, Header, description = "The ETag from the last read of the profile"),
    ),
    request_body = UpdateMentor,
    responses(
        (status = 200, description = "The edited profile", body = MentorView,
         headers(("ETag" = String, description = "The profile's new version"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[patch("/mentors/{id}")]
pub async fn update_mentor(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<UpdateMentor>,
) -> Result<HttpResponse, ApiError> {
    let current = visible_mentor(&state, &principal, *id).await?;
    let profile_fields =
        body.bio.is_some() || body.time_zone.is_some() || body.requested_students.is_some();
    if profile_fields && !principal.role.may_edit_mentor_profile(principal.is(*id)) {
        return Err(ApiError::Forbidden(
            "only the mentor edits their profile".into(),
        ));
    }
    if body.manager_id.is_some() && !principal.role.may_assign_manager() {
        return Err(ApiError::Forbidden(
            "only staff change a mentor's manager".into(),
        ));
    }
    let policies = state.policies().await?;
    if let Some(requested) = body.requested_students {
        capacity::check_requested_students(requested, &policies)
            .map_err(|r| ApiError::refused(&r))?;
    }
    let changes = ProfileChanges {
        bio: body.bio,
        time_zone: body.time_zone,
        requested_students: body.requested_students,
        manager_id: body.manager_id,
    };
    let version = if_match(&req, "mentor", current.version)?;
    let mentor =
        mentors::edit_profile(&state.store, *id, version, changes, principal.user_id).await?;
    Ok(ok_with_etag(mentor.version).json(MentorView::from(mentor)))
}

/// Moves a mentor between active, suspended and offboarded, with a reason; staff only.
async fn move_mentor(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    to: MentorStatus,
    reason: String,
    action: &'static str,
) -> Result<HttpResponse, ApiError> {
    require_staff(principal)?;
    let mentor =
        mentors::staff_move(&state.store, id, to, &reason, action, principal.user_id).await?;
    Ok(HttpResponse::Ok().json(MentorView::from(mentor)))
}

macro_rules! status_change {
    ($name:ident, $route:literal, $to:expr, $action:literal, $summary:literal) => {
        #[doc = $summary]
        #[utoipa::path(
            extensions(("x-problem-codes" = json!(["transition_not_allowed", "reason_required"]))),
            tag = "mentors",
            security(("accessToken" = [])),
            params(("id" = Uuid, Path, description = "The mentor's id")),
            request_body = RejectRequest,
            responses(
                (status = 200, description = "The mentor in their new status", body = MentorView),
                (status = 403, response = crate::openapi::Forbidden),
                (status = 404, response = crate::openapi::NotFound),
                (status = 409, response = crate::openapi::Conflict),
            )
        )]
        #[post($route)]
        pub async fn $name(
            state: web::Data<AppState>,
            principal: Principal,
            id: web::Path<Uuid>,
            Valid(body): Valid<RejectRequest>,
        ) -> Result<HttpResponse, ApiError> {
            move_mentor(&state, &principal, *id, $to, body.reason, $action).await
        }
    };
}

status_change!(
    suspend,
    "/mentors/{id}/suspend",
    MentorStatus::Suspended,
    "mentor.suspended",
    "Suspends an active mentor, with a reason. Staff only."
);
status_change!(
    reinstate,
    "/mentors/{id}/reinstate",
    MentorStatus::Active,
    "mentor.reinstated",
    "Reinstates a suspended mentor, with a reason. Staff only."
);
status_change!(
    offboard,
    "/mentors/{id}/offboard",
    MentorStatus::Offboarded,
    "mentor.offboarded",
    "Offboards an active or suspended mentor, with a reason; final. Staff only."
);

/// The contract, once all four documents are verified: its text with the mentor's details and the date.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["contract_not_ready"]))),
    tag = "mentors",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The mentor's id")),
    responses(
        (status = 200, description = "The contract", body = ContractView),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[get("/mentors/{id}/contract")]
pub async fn get_contract(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mentor = visible_mentor(&state, &principal, *id).await?;
    let signed_at = mentor.contract_signed_at;
    let contract_state = match rules::contract_state(mentor.status, signed_at.is_some()) {
        Ok(ContractState::Ready) => "ready",
        Ok(ContractState::Signed) => "signed",
        Err(refused) => return Err(ApiError::refused(&refused)),
    };
    // The contract carries the day it was signed, or today's until then, in the platform zone,
    // and the rates of the card in force that day.
    let policies = state.policies().await?;
    let date = local_date(signed_at.unwrap_or_else(Utc::now), policies.platform_zone);
    let path = catalog::get_path(&state.store, mentor.path_id).await?;
    let card = mentorship_store::rates::in_force(&state.store, date)
        .await?
        .card;
    Ok(HttpResponse::Ok().json(ContractView {
        mentor_id: mentor.id,
        state: contract_state.into(),
        text: contract_text(&mentor, &path.title, date, &card),
        mentor_name: mentor.name,
        date,
        signed_at: mentor.contract_signed_at,
    }))
}

/// Signs the contract: the mentor types their full name and accepts. They become active, get
/// their referral code, and are sent the onboarding message. The mentor only.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["transition_not_allowed", "signature_mismatch", "terms_not_accepted", "already_exists"]))),
    tag = "mentors",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The mentor's id")),
    request_body = SignRequest,
    responses(
        (status = 200, description = "Signed: the mentor is active", body = MentorView),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/mentors/{id}/contract/sign")]
pub async fn sign_contract(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<SignRequest>,
) -> Result<HttpResponse, ApiError> {
    visible_mentor(&state, &principal, *id).await?;
    if !principal.is(*id) {
        return Err(ApiError::Forbidden(
            "only the mentor signs their contract".into(),
        ));
    }
    let mut random = [0u8; 8];
    rand::rng().fill_bytes(&mut random);
    let code = referral_code(random);
    let mentor = mentors::sign(&state.store, *id, &body.full_name, body.accept_terms, code).await?;
    Ok(HttpResponse::Ok().json(MentorView::from(mentor)))
}
