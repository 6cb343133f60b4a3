//! Who is calling: access tokens (JWT, HS256), refresh tokens and API keys (opaque, stored
//! hashed), and the `Principal` extractor that every protected handler takes.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use futures_util::future::{Either, LocalBoxFuture};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mentorship_domain::people::{Role, Scope};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// The `typ` claim of an access token; anything else is refused.
const ACCESS_TYP: &str = "access";
/// API keys start with this, so they can be told from JWTs (and found by secret scanners).
pub const API_KEY_PREFIX: &str = "mk_";
/// Refresh tokens start with this.
pub const REFRESH_PREFIX: &str = "mr_";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub typ: String,
    pub role: Role,
}

/// Signs and checks access tokens.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    pub access_ttl: chrono::Duration,
    pub refresh_ttl: chrono::Duration,
}

impl Tokens {
    pub fn new(
        secret: &[u8],
        issuer: &str,
        audience: &str,
        access_ttl: std::time::Duration,
        refresh_ttl: std::time::Duration,
    ) -> Result<Self, ApiError> {
        let key_error =
            |e: jsonwebtoken::errors::Error| ApiError::Internal(format!("JWT key: {e}"));
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Ok(Tokens {
            encoding: EncodingKey::from_secret(secret).map_err(key_error)?,
            decoding: DecodingKey::from_secret(secret).map_err(key_error)?,
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            access_ttl: chrono::Duration::from_std(access_ttl)
                .unwrap_or(chrono::Duration::minutes(15)),
            refresh_ttl: chrono::Duration::from_std(refresh_ttl)
                .unwrap_or(chrono::Duration::days(30)),
        })
    }

    /// A signed access token for a person.
    pub fn access_token(
        &self,
        user_id: Uuid,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id,
            exp: (now + self.access_ttl).timestamp(),
            nbf: now.timestamp(),
            iat: now.timestamp(),
            typ: ACCESS_TYP.into(),
            role,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(e.to_string()))
    }

    fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| ApiError::Unauthenticated("the access token is invalid or expired"))?;
        if data.claims.typ != ACCESS_TYP {
            return Err(ApiError::Unauthenticated(
                "the token is not an access token",
            ));
        }
        Ok(data.claims)
    }
}

/// A new opaque secret with a prefix, and the SHA-256 of it to store. The secrets carry 256
/// random bits, so a fast hash is enough: nothing can be guessed from it.
pub fn new_secret(prefix: &str) -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = secret_hash(&secret);
    (secret, hash)
}

pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub role: Role,
    /// `Some` for an API key: what it is narrowed to. `None` for a person's own token.
    pub scopes: Option<Vec<Scope>>,
}

impl Principal {
    /// Refuses an API key that lacks `scope`; a person's own token has every scope.
    pub fn require_scope(&self, scope: Scope) -> Result<(), ApiError> {
        match &self.scopes {
            Some(scopes) if !scopes.contains(&scope) => Err(ApiError::Forbidden(format!(
                "this API key lacks the `{}` scope",
                scope.as_str()
            ))),
            _ => Ok(()),
        }
    }

    /// Refuses API keys outright (a key cannot mint or manage keys).
    pub fn require_person(&self) -> Result<(), ApiError> {
        if self.scopes.is_some() {
            return Err(ApiError::Forbidden(
                "API keys cannot do this; log in as a person".into(),
            ));
        }
        Ok(())
    }

    pub fn is(&self, user_id: Uuid) -> bool {
        self.user_id == user_id
    }
}

fn bearer(req: &HttpRequest) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated(
            "send an Authorization: Bearer header",
        ))?;
    let text = value
        .to_str()
        .map_err(|_| ApiError::Unauthenticated("the Authorization header is not text"))?;
    match text.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(ApiError::Unauthenticated(
            "the Authorization header must be `Bearer <token>`",
        )),
    }
}

/// The holder of an API key, looked up in the store.
async fn key_holder(state: web::Data<AppState>, key: String) -> Result<Principal, ApiError> {
    let found =
        mentorship_store::api_keys::authenticate(&state.store, &secret_hash(&key), Utc::now())
            .await?;
    let (key, role) = found.ok_or(ApiError::Unauthenticated(
        "the API key is unknown, expired or revoked",
    ))?;
    Ok(Principal {
        user_id: key.owner_id,
        role,
        scopes: Some(key.scopes),
    })
}

/// The holder of an access token: checked in place, nothing to wait for.
fn token_holder(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    let claims = state.tokens.verify(token)?;
    Ok(Principal {
        user_id: claims.sub,
        role: claims.role,
        scopes: None,
    })
}

impl FromRequest for Principal {
    type Error = actix_web::Error;
    /// Ready at once for an access token (most requests); boxed only for an API key, which
    /// needs the store.
    type Future = Either<
        Ready<Result<Self, Self::Error>>,
        LocalBoxFuture<'static, Result<Self, Self::Error>>,
    >;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            let missing = ApiError::Internal("application state missing".into());
            return Either::Left(ready(Err(missing.into())));
        };
        match bearer(req) {
            Ok(key) if key.starts_with(API_KEY_PREFIX) => {
                let (state, key) = (state.clone(), key.to_owned());
                Either::Right(Box::pin(async move { Ok(key_holder(state, key).await?) }))
            }
            Ok(token) => Either::Left(ready(token_holder(state, token).map_err(Into::into))),
            Err(e) => Either::Left(ready(Err(e.into()))),
        }
    }
}
