//! Logging in, refreshing and logging out, and who am I.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::Utc;
use mentorship_domain::people::{LinkPurpose, normalize_email};
use mentorship_store::accounts;
use mentorship_store::tokens::{self, Rotation};
use mentorship_store::users;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::extract::Valid;

use crate::auth::{LINK_PREFIX, Principal, REFRESH_PREFIX, new_secret, secret_hash};
use crate::error::ApiError;
use crate::routes::users::UserView;
use crate::state::AppState;
use crate::throttle::Door;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "admin@example.com", "password": "change-me-now"}))]
pub struct LoginRequest {
    #[schema(example = "admin@example.com", min_length = 1, max_length = 254)]
    #[validate(length(min = 1, max = 254))]
    pub email: String,
    #[schema(example = "change-me-now", min_length = 1, max_length = 128, format = Password)]
    #[validate(length(min = 1, max = 128))]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "mr_3q2-7wB"}))]
pub struct RefreshRequest {
    /// The refresh token of the last login or refresh; each can be used once.
    #[schema(example = "mr_3q2-7wB...", min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200))]
    pub refresh_token: String,
}

/// A fresh pair of tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    /// Trade it at `POST /v1/auth/refresh` for a new pair; it is spent by that.
    pub refresh_token: String,
    /// Seconds until the refresh token expires if unused.
    #[schema(example = 2_592_000)]
    pub refresh_expires_in: i64,
}

/// The pair a client gets: a new access token and the given refresh token.
fn pair(
    state: &AppState,
    user: &users::User,
    refresh_token: String,
) -> Result<TokenPair, ApiError> {
    Ok(TokenPair {
        access_token: state.tokens.access_token(
            user.id,
            user.role,
            user.session_epoch,
            Utc::now(),
        )?,
        token_type: "Bearer".into(),
        expires_in: state.tokens.access_ttl.num_seconds(),
        refresh_token,
        refresh_expires_in: state.tokens.refresh_ttl.num_seconds(),
    })
}

/// Logs in with email and password. Throttled per account and per client before any hashing.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenPair),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 429, response = crate::openapi::TooManyRequests),
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    Valid(body): Valid<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = normalize_email(&body.email);
    state
        .throttle
        .attempt(&state.store, &req, Door::Login, Some(&email))
        .await?;
    let found = users::find_for_login(&state.store, &email).await?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let matches = state.passwords.verify(body.password, hash).await?;
    let user = user
        .filter(|u| matches && u.active)
        .ok_or(ApiError::Unauthenticated(
            "the email or password is wrong, or the account is deactivated",
        ))?;
    Ok(HttpResponse::Ok().json(new_session(&state, &user).await?))
}

/// A new session (a refresh-token family) for `user`, and its first pair of tokens.
async fn new_session(state: &AppState, user: &users::User) -> Result<TokenPair, ApiError> {
    let (refresh_token, hash) = new_secret(REFRESH_PREFIX);
    tokens::start_family(
        &state.store,
        user.id,
        &hash,
        Utc::now() + state.tokens.refresh_ttl,
    )
    .await?;
    pair(state, user, refresh_token)
}

/// Trades a refresh token for a new pair. Each refresh token works once: presenting a spent one
/// again revokes every token of that login (it was probably stolen).
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair; the old refresh token is spent", body = TokenPair),
        (status = 401, response = crate::openapi::Unauthorized),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    Valid(body): Valid<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let now = Utc::now();
    let (new_refresh, new_hash) = new_secret(REFRESH_PREFIX);
    let rotation = tokens::rotate(
        &state.store,
        &secret_hash(&body.refresh_token),
        &new_hash,
        now + state.tokens.refresh_ttl,
    )
    .await?;
    let user_id = match rotation {
        Rotation::Rotated { user_id } => user_id,
        Rotation::Reused => {
            tracing::warn!("a spent refresh token was presented again; its family is revoked");
            return Err(ApiError::Unauthenticated(
                "the refresh token was already used; log in again",
            ));
        }
        Rotation::Refused => {
            return Err(ApiError::Unauthenticated(
                "the refresh token is invalid or expired",
            ));
        }
    };
    let user = users::get(&state.store, user_id).await?;
    if !user.active {
        tokens::revoke_family_of(&state.store, &new_hash).await?;
        return Err(ApiError::Unauthenticated("the account is deactivated"));
    }
    Ok(HttpResponse::Ok().json(pair(&state, &user, new_refresh)?))
}

/// Ends a login: revokes the refresh token and every token refreshed from the same login.
/// Logging out with an unknown or spent token also answers 204.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out"),
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    Valid(body): Valid<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    tokens::revoke_family_of(&state.store, &secret_hash(&body.refresh_token)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every session of the caller's account, on every device and every instance: every access
/// token stops working at once, every refresh token is revoked. A person only (not an API key).
#[utoipa::path(
    tag = "auth",
    security(("accessToken" = [])),
    responses(
        (status = 204, description = "Every session of the account is over"),
    )
)]
#[post("/auth/logout-all")]
pub async fn logout_all(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    accounts::log_out_everywhere(&state.store, principal.user_id).await?;
    state.sessions.forget(principal.user_id);
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "change-me-now", "new_password": "a new long passphrase"}))]
pub struct ChangePassword {
    /// The password the account has now.
    #[schema(example = "change-me-now", min_length = 1, max_length = 128, format = Password)]
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub current_password: String,
    #[schema(example = "a new long passphrase", min_length = 12, max_length = 128, format = Password)]
    #[validate(length(min = 12, max = 128, message = "must be 12 to 128 characters"))]
    pub new_password: String,
}

/// Changes the caller's own password, given the current one. Every session of the account ends
/// (its other devices are logged out); the answer is a new pair of tokens for this one. A person
/// only. Attempts count against the login throttle.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["wrong_password"]))),
    tag = "auth",
    security(("accessToken" = [])),
    request_body = ChangePassword,
    responses(
        (status = 200, description = "Changed; a new session for this device", body = TokenPair),
        (status = 429, response = crate::openapi::TooManyRequests),
    )
)]
#[post("/auth/password")]
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    Valid(body): Valid<ChangePassword>,
) -> Result<HttpResponse, ApiError> {
    let user = users::get(&state.store, principal.user_id).await?;
    state
        .throttle
        .attempt(&state.store, &req, Door::Login, Some(&user.email))
        .await?;
    let found = users::find_for_login(&state.store, &user.email).await?;
    let hash = found.map(|(_, hash)| hash);
    if !state.passwords.verify(body.current_password, hash).await? {
        return Err(ApiError::field(
            "current_password",
            "wrong_password",
            "is not the account's password",
        ));
    }
    let new_hash = state.passwords.hash(body.new_password).await?;
    accounts::change_password(&state.store, user.id, &new_hash).await?;
    state.sessions.forget(user.id);
    let user = users::get(&state.store, user.id).await?;
    Ok(HttpResponse::Ok().json(new_session(&state, &user).await?))
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "grace@example.com"}))]
pub struct PasswordResetRequest {
    /// The account's login email.
    #[schema(example = "grace@example.com", min_length = 1, max_length = 254)]
    #[validate(length(min = 1, max = 254, message = "must be 1 to 254 characters"))]
    pub email: String,
}

/// Asks for a password reset. If an active account has this email, a one-time link valid one
/// hour is emailed to it (`{APP_URL}/reset-password?token=...`). The answer is the same whether
/// or not there is such an account. Throttled per client and per email.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "If the account exists, the link is on its way"),
        (status = 429, response = crate::openapi::TooManyRequests),
    )
)]
#[post("/auth/password-reset")]
pub async fn request_password_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    Valid(body): Valid<PasswordResetRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = normalize_email(&body.email);
    state
        .throttle
        .attempt(&state.store, &req, Door::PasswordReset, Some(&email))
        .await?;
    let (token, hash) = new_secret(LINK_PREFIX);
    let link = format!("{}/reset-password?token={token}", state.app_url);
    let expires_at = Utc::now() + LinkPurpose::PasswordReset.validity();
    accounts::start_password_reset(&state.store, &email, &hash, &link, expires_at).await?;
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "ml_Zk3", "new_password": "a new long passphrase"}))]
pub struct UseLink {
    /// The `token` of the link the email carried.
    #[schema(example = "ml_Zk3...", min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub token: String,
    /// The account's new password.
    #[schema(example = "a new long passphrase", min_length = 12, max_length = 128, format = Password)]
    #[validate(length(min = 12, max = 128, message = "must be 12 to 128 characters"))]
    pub new_password: String,
}

/// Sets a new password with the link of a password reset. The link works once, for one hour;
/// every session of the account ends. The answer is a new pair of tokens.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["link_invalid"]))),
    tag = "auth",
    request_body = UseLink,
    responses(
        (status = 200, description = "The password is set; a new session", body = TokenPair),
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn confirm_password_reset(
    state: web::Data<AppState>,
    Valid(body): Valid<UseLink>,
) -> Result<HttpResponse, ApiError> {
    use_link(&state, LinkPurpose::PasswordReset, body).await
}

/// Accepts an invitation: a newly enrolled person sets their first password with the link their
/// invitation email carried. The link works once, for 72 hours (an expired one: staff enroll
/// again, or the person asks for a password reset). The answer is a first pair of tokens.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["link_invalid"]))),
    tag = "auth",
    request_body = UseLink,
    responses(
        (status = 200, description = "The password is set; a first session", body = TokenPair),
    )
)]
#[post("/auth/invitation")]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    Valid(body): Valid<UseLink>,
) -> Result<HttpResponse, ApiError> {
    use_link(&state, LinkPurpose::Invitation, body).await
}

/// Spends a one-time link of `purpose` to set the account's password, and opens a session.
pub async fn use_link(
    state: &AppState,
    purpose: LinkPurpose,
    body: UseLink,
) -> Result<HttpResponse, ApiError> {
    let new_hash = state.passwords.hash(body.new_password).await?;
    let used = accounts::use_link(&state.store, &secret_hash(&body.token), purpose, &new_hash)
        .await?
        .ok_or_else(|| {
            ApiError::field(
                "token",
                "link_invalid",
                "the link is unknown, already used or expired; ask for a new one",
            )
        })?;
    state.sessions.forget(used.0);
    let user = users::get(&state.store, used.0).await?;
    Ok(HttpResponse::Ok().json(new_session(state, &user).await?))
}

/// The caller's own account.
#[utoipa::path(
    tag = "auth",
    security(("accessToken" = []), ("apiKey" = [])),
    responses(
        (status = 200, description = "The caller's account", body = UserView,
         headers(("ETag" = String, description = "The account's version, for If-Match"))),
    )
)]
#[get("/me")]
pub async fn me(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let user = users::get(&state.store, principal.user_id).await?;
    Ok(crate::routes::ok_with_etag(user.version).json(UserView::from(user)))
}
