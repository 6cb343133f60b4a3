//! Logging in, refreshing and logging out, and who am I.

use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::Utc;
use mentorship_domain::people::normalize_email;
use mentorship_store::tokens::{self, Rotation};
use mentorship_store::users;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::extract::Valid;

use crate::auth::{Principal, REFRESH_PREFIX, new_secret, secret_hash};
use crate::error::ApiError;
use crate::routes::client_of;
use crate::routes::users::UserView;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
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
        access_token: state.tokens.access_token(user.id, user.role, Utc::now())?,
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
        .attempt(&email, &client_of(&req), Instant::now())
        .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })?;
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
    let (refresh_token, hash) = new_secret(REFRESH_PREFIX);
    tokens::start_family(
        &state.store,
        user.id,
        &hash,
        Utc::now() + state.tokens.refresh_ttl,
    )
    .await?;
    Ok(HttpResponse::Ok().json(pair(&state, &user, refresh_token)?))
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

/// The caller's own account.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
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
