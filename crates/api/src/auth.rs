//! Who is calling: access tokens (JWT, HS256), refresh tokens and API keys (opaque, stored
//! hashed), and the `Principal` extractor that every protected handler takes.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};
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
use crate::spans::Caller;
use crate::state::AppState;

/// The `typ` claim of an access token; anything else is refused.
const ACCESS_TYP: &str = "access";
/// API keys start with this, so they can be told from JWTs (and found by secret scanners).
pub const API_KEY_PREFIX: &str = "mk_";
/// The prefix of calendar feed secrets.
pub const CALENDAR_PREFIX: &str = "mc_";
/// Refresh tokens start with this.
pub const REFRESH_PREFIX: &str = "mr_";
/// The tokens of one-time links (password resets, invitations) start with this.
pub const LINK_PREFIX: &str = "ml_";

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
    /// The account's session epoch when the token was issued (see `sessions.rs`).
    pub ver: i64,
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
        session_epoch: i64,
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
            ver: session_epoch,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(e.to_string()))
    }

    fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| ApiError::InvalidToken("the access token is invalid or expired"))?;
        if data.claims.typ != ACCESS_TYP {
            return Err(ApiError::InvalidToken("the token is not an access token"));
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
    /// Refuses API keys: what this checks is not for scripts (a password, an email, keys).
    /// Which operations keys may call at all is the contract's to say (`operations.rs`).
    pub fn require_person(&self) -> Result<(), ApiError> {
        if self.scopes.is_some() {
            return Err(ApiError::ApiKeyNotAccepted);
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

/// Whose an `Idempotency-Key` is, read from the credentials alone (no store, no session check:
/// the operation checks them when it runs): a person by their id, a script by its key's hash,
/// `anonymous` without credentials on an operation anyone may call (`open`). `None` for
/// credentials that do not hold, or none where some are needed.
pub fn caller_of(req: &HttpRequest, open: bool) -> Option<String> {
    if !req.headers().contains_key(header::AUTHORIZATION) {
        return open.then(mentorship_store::idempotency::anonymous);
    }
    let token = bearer(req).ok()?;
    if token.starts_with(API_KEY_PREFIX) {
        let hash: String = secret_hash(token)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        return Some(format!("key:{hash}"));
    }
    let state = req.app_data::<web::Data<AppState>>()?;
    let claims = state.tokens.verify(token).ok()?;
    Some(format!("user:{}", claims.sub))
}

/// A caller found at once (an access token whose account this instance knows), or later (an
/// API key, an account to read).
pub type PrincipalFuture = Either<
    Ready<Result<Principal, actix_web::Error>>,
    LocalBoxFuture<'static, Result<Principal, actix_web::Error>>,
>;

/// The holder of an API key, looked up in the store, if the key may call the operation: the
/// contract says whether keys may, and with which scopes (`needed`; `None`: keys may not).
async fn key_holder(
    state: web::Data<AppState>,
    key: String,
    needed: Option<Vec<Scope>>,
) -> Result<Principal, ApiError> {
    let found =
        mentorship_store::api_keys::authenticate(&state.store, &secret_hash(&key), Utc::now())
            .await?;
    let (key, role) = found.ok_or(ApiError::InvalidToken(
        "the API key is unknown, expired or revoked",
    ))?;
    let needed = needed.ok_or(ApiError::ApiKeyNotAccepted)?;
    let missing: Vec<Scope> = needed
        .into_iter()
        .filter(|scope| !key.scopes.contains(scope))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::InsufficientScope(missing));
    }
    Ok(Principal {
        user_id: key.owner_id,
        role,
        scopes: Some(key.scopes),
    })
}

/// The holder of an access token: its signature checked in place, then its session, from
/// memory when this instance knows the account (most requests: nothing to wait for).
fn token_holder(state: &web::Data<AppState>, token: &str) -> PrincipalFuture {
    let claims = match state.tokens.verify(token) {
        Ok(claims) => claims,
        Err(e) => return Either::Left(ready(Err(e.into()))),
    };
    let principal = Principal {
        user_id: claims.sub,
        role: claims.role,
        scopes: None,
    };
    match state.sessions.decide_cached(claims.sub, claims.ver) {
        Some(decision) => Either::Left(ready(decision.map(|()| principal).map_err(Into::into))),
        None => {
            let state = state.clone();
            Either::Right(Box::pin(async move {
                state
                    .sessions
                    .decide(&state.store, claims.sub, claims.ver)
                    .await?;
                Ok(principal)
            }))
        }
    }
}

impl FromRequest for Principal {
    type Error = actix_web::Error;
    /// Ready at once for an access token whose account this instance knows (most requests);
    /// boxed for an API key or an account to read, which need the store.
    type Future = PrincipalFuture;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            let missing = ApiError::Internal("application state missing".into());
            return Either::Left(ready(Err(missing.into())));
        };
        let found = match bearer(req) {
            Ok(key) if key.starts_with(API_KEY_PREFIX) => {
                let needed = state
                    .operations
                    .of_request(req)
                    .and_then(|facts| facts.key_scopes.clone());
                let (state, key) = (state.clone(), key.to_owned());
                Either::Right(
                    Box::pin(async move { Ok(key_holder(state, key, needed).await?) })
                        as LocalBoxFuture<'static, _>,
                )
            }
            Ok(token) => token_holder(state, token),
            Err(e) => Either::Left(ready(Err(e.into()))),
        };
        // The caller's id goes on the request's span (`spans.rs`).
        match found {
            Either::Left(ready_now) => {
                let principal = ready_now.into_inner();
                if let Ok(p) = &principal {
                    req.extensions_mut().insert(Caller(p.user_id));
                }
                Either::Left(ready(principal))
            }
            Either::Right(later) => {
                let req = req.clone();
                Either::Right(Box::pin(async move {
                    let principal = later.await?;
                    req.extensions_mut().insert(Caller(principal.user_id));
                    Ok(principal)
                }))
            }
        }
    }
}
