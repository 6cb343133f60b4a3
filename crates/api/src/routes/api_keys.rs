//! API keys: a person makes keys for their scripts. The secret is shown once, at creation.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use mentorship_domain::people::{Role, Scope};
use mentorship_store::api_keys::{self, ApiKey, NewApiKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::extract::Valid;

use crate::auth::{API_KEY_PREFIX, Principal, new_secret};
use crate::error::ApiError;
use crate::paging::{List, PageQuery};
use crate::state::AppState;

/// Characters of the secret kept to recognise a key in lists.
const SHOWN_PREFIX_LEN: usize = 10;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "nightly catalog export", "scopes": ["paths:read"],
    "expires_at": "2027-06-30T00:00:00Z"}))]
pub struct CreateApiKey {
    /// What the key is for.
    #[schema(example = "nightly catalog export", min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100))]
    pub name: String,
    /// What the key may do (within what its owner may). At least one, no repeats.
    #[schema(schema_with = scopes_schema)]
    pub scopes: Vec<Scope>,
    /// When the key stops working; in the future. Absent: never.
    pub expires_at: Option<DateTime<Utc>>,
}

fn scopes_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(crate::openapi::scope_schema())
        .min_items(Some(1))
        .max_items(Some(Scope::ALL.len()))
        .unique_items(true)
        .into()
}

/// A key as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    /// The first characters of the secret, to recognise the key.
    #[schema(example = "mk_Zx81qA")]
    pub key_prefix: String,
    #[schema(schema_with = scopes_schema)]
    pub scopes: Vec<Scope>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> Self {
        ApiKeyView {
            id: k.id,
            owner_id: k.owner_id,
            name: k.name,
            key_prefix: k.key_prefix,
            scopes: k.scopes,
            expires_at: k.expires_at,
            created_at: k.created_at,
        }
    }
}

/// A new key with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// The secret: send as `Authorization: Bearer <key>`. It cannot be shown again.
    #[schema(example = "mk_Zx81qA...")]
    pub key_secret: String,
}

fn check_scopes(scopes: &[Scope]) -> Result<(), ApiError> {
    if scopes.is_empty() {
        return Err(ApiError::field(
            "scopes",
            "empty",
            "give at least one scope",
        ));
    }
    let mut sorted = scopes.to_vec();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != scopes.len() {
        return Err(ApiError::field(
            "scopes",
            "duplicate",
            "each scope may appear once",
        ));
    }
    Ok(())
}

/// Makes a key for the caller's scripts. Only people make keys: a key cannot make another.
/// No `Idempotency-Key`: keeping the answer would keep the secret, which the server never
/// stores (a retry makes a second key; delete the one not used).
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["in_the_past"])), ("x-idempotent" = json!(false))),
    tag = "api-keys",
    security(("accessToken" = [])),
    request_body = CreateApiKey,
    responses(
        (status = 201, description = "Created; the secret is in `key_secret`, shown only now", body = CreatedApiKey,
         headers(("Location" = String, description = "The key's URL"))),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[post("/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    principal: Principal,
    Valid(body): Valid<CreateApiKey>,
) -> Result<HttpResponse, ApiError> {
    check_scopes(&body.scopes)?;
    if body.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(ApiError::field(
            "expires_at",
            "in_the_past",
            "must be in the future",
        ));
    }
    let (secret, key_hash) = new_secret(API_KEY_PREFIX);
    let new = NewApiKey {
        owner_id: principal.user_id,
        name: body.name,
        key_hash,
        key_prefix: secret.chars().take(SHOWN_PREFIX_LEN).collect(),
        scopes: body.scopes,
        expires_at: body.expires_at,
    };
    let key = api_keys::create(&state.store, new).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/v1/api-keys/{}", key.id),
        ))
        .json(CreatedApiKey {
            key: key.into(),
            key_secret: secret,
        }))
}

/// The caller's keys; admins see everyone's.
#[utoipa::path(
    tag = "api-keys",
    security(("accessToken" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "One page of keys", body = List<ApiKeyView>),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let owner = (principal.role != Role::Admin).then_some(principal.user_id);
    let page = api_keys::list(&state.store, owner, page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, ApiKeyView::from)))
}

/// Revokes a key at once. Owners revoke their own; admins anyone's.
#[utoipa::path(
    tag = "api-keys",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[delete("/api-keys/{id}")]
pub async fn delete_api_key(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let owner = (principal.role != Role::Admin).then_some(principal.user_id);
    api_keys::delete(&state.store, *id, owner, principal.user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
