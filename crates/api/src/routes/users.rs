//! People's accounts. Admins create staff and students, managers create students; mentors come
//! from applications. Staff see everyone; others see only themselves.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use mentorship_domain::people::{self, Role};
use mentorship_store::users::{self, NewUser, User, UserChanges};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::extract::Valid;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::if_match;
use crate::paging::{List, PageQuery};
use crate::routes::{created, ok_with_etag};
use crate::state::AppState;

/// An account as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    #[schema(example = "ada@example.com", format = Email)]
    pub email: String,
    #[schema(example = "Ada Lovelace")]
    pub name: String,
    #[schema(schema_with = crate::openapi::role_schema)]
    pub role: Role,
    /// A deactivated account cannot log in.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the person was erased (`POST /v1/users/{id}/erasure`): the name and email are a
    /// pseudonym, the account is inactive for good and can no longer be changed.
    #[schema(example = json!(null))]
    pub erased_at: Option<DateTime<Utc>>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            active: u.active,
            created_at: u.created_at,
            updated_at: u.updated_at,
            erased_at: u.erased_at,
        }
    }
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "grace@example.com", "name": "Grace Hopper", "role": "manager",
    "password": "a long passphrase"}))]
pub struct CreateUser {
    #[schema(example = "grace@example.com", format = Email, max_length = 254)]
    #[validate(
        email(code = "invalid_email", message = "must be an email address"),
        length(max = 254)
    )]
    pub email: String,
    #[schema(example = "Grace Hopper", min_length = 1, max_length = 120)]
    #[validate(length(min = 1, max = 120))]
    pub name: String,
    /// `admin`, `manager` or `student` (admins); `student` (managers). Mentors come from applications.
    #[schema(schema_with = crate::openapi::role_schema)]
    pub role: Role,
    #[schema(example = "a long passphrase", min_length = 12, max_length = 128, format = Password)]
    #[validate(length(min = 12, max = 128))]
    pub password: String,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Grace B. Hopper"}))]
pub struct UpdateUser {
    #[schema(example = "grace@example.com", format = Email, max_length = 254)]
    #[validate(
        email(code = "invalid_email", message = "must be an email address"),
        length(max = 254)
    )]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub email: Option<String>,
    #[schema(min_length = 1, max_length = 120)]
    #[validate(length(min = 1, max = 120))]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// Switch the account on or off (staff only, never one's own).
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub active: Option<bool>,
    #[schema(min_length = 12, max_length = 128, format = Password)]
    #[validate(length(min = 12, max = 128))]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Only accounts of this role.
    #[param(schema_with = crate::openapi::role_schema)]
    pub role: Option<Role>,
}

/// Opens an account for a staff member: admins open admins' and managers' accounts. Mentors
/// come from applications (`POST /v1/mentor-applications`) and students are enrolled
/// (`POST /v1/students`, with their path and rhythm): a `role` of either is refused.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["already_exists", "students_are_enrolled"]))),
    tag = "users",
    security(("accessToken" = []), ("apiKey" = ["users:write"])),
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = UserView, headers(
            ("Location" = String, description = "The new account's URL"),
            ("ETag" = String, description = "The account's version, for If-Match"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    principal: Principal,
    Valid(body): Valid<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    if body.role == Role::Student && principal.role.is_staff() {
        return Err(ApiError::field(
            "role",
            "students_are_enrolled",
            "students are enrolled with POST /v1/students, with their path and rhythm",
        ));
    }
    if !principal.role.may_create(body.role) {
        return Err(ApiError::Forbidden(format!(
            "a {} cannot create a {} account",
            principal.role, body.role
        )));
    }
    let password_hash = state.passwords.hash(body.password).await?;
    let new = NewUser {
        email: people::normalize_email(&body.email),
        name: body.name,
        role: body.role,
        password_hash,
    };
    let user = users::create(&state.store, new, Some(principal.user_id)).await?;
    Ok(created(format!("/v1/users/{}", user.id), user.version).json(UserView::from(user)))
}

/// Lists accounts in creation order (staff only), optionally of one role.
#[utoipa::path(
    tag = "users",
    security(("accessToken" = []), ("apiKey" = ["users:read"])),
    params(UserFilter, PageQuery),
    responses(
        (status = 200, description = "One page of accounts", body = List<UserView>),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<UserFilter>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    if !principal.role.is_staff() {
        return Err(ApiError::Forbidden("only staff list accounts".into()));
    }
    let page = users::list(&state.store, filter.role, page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, UserView::from)))
}

/// The account, if the caller may see it; 404 otherwise, as for an unknown id.
async fn visible_user(state: &AppState, principal: &Principal, id: Uuid) -> Result<User, ApiError> {
    if !principal.role.may_see_account(principal.is(id)) {
        return Err(ApiError::NotFound("user"));
    }
    Ok(users::get(&state.store, id).await?)
}

/// One account: staff see any, others only their own.
#[utoipa::path(
    tag = "users",
    security(("accessToken" = []), ("apiKey" = ["users:read"])),
    params(("id" = Uuid, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account", body = UserView,
         headers(("ETag" = String, description = "The account's version, for If-Match"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = visible_user(&state, &principal, *id).await?;
    Ok(ok_with_etag(user.version).json(UserView::from(user)))
}

/// Edits an account. Everyone edits their own name, email and password; admins edit anyone,
/// managers students; only staff switch accounts on or off, never their own. An erased account
/// is not changed again (409 `already_erased`).
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["already_exists", "api_key_not_accepted", "current_password_required", "already_erased"]))),
    tag = "users",
    security(("accessToken" = []), ("apiKey" = ["users:write"])),
    params(
        ("id" = Uuid, Path, description = "The account's id"),
        ("If-Match" = String, Header, description = "The ETag from the last read of the account"),
    ),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The edited account", body = UserView,
         headers(("ETag" = String, description = "The account's new version"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    let target = visible_user(&state, &principal, *id).await?;
    let own = principal.is(target.id);
    if !principal.role.may_edit_account(own, target.role) {
        return Err(ApiError::Forbidden(format!(
            "a {} cannot edit a {} account",
            principal.role, target.role
        )));
    }
    if body.active.is_some() && !people::may_set_active(principal.role, own, target.role) {
        return Err(ApiError::Forbidden(
            "you may not switch this account on or off".into(),
        ));
    }
    if body.password.is_some() || body.email.is_some() {
        // Credentials change only from an interactive login: a key must not become one.
        principal.require_person()?;
    }
    if own && body.password.is_some() {
        return Err(ApiError::field(
            "password",
            "current_password_required",
            "change your own password with POST /v1/auth/password, which asks for the current one",
        ));
    }
    let expected = if_match(&req, "user", target.version)?;
    let password_hash = match body.password {
        Some(p) => Some(state.passwords.hash(p).await?),
        None => None,
    };
    let changes = UserChanges {
        email: body.email.as_deref().map(people::normalize_email),
        name: body.name,
        active: body.active,
        password_hash,
    };
    let user = users::update(
        &state.store,
        target.id,
        expected,
        changes,
        Some(principal.user_id),
    )
    .await?;
    state.sessions.forget(user.id);
    Ok(ok_with_etag(user.version).json(UserView::from(user)))
}
