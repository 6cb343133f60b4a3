//! Safe retries: the `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header, as
//! Stripe answers it) on every operation the contract gives it (`openapi::add_idempotency_key`).
//!
//! The first request with a key claims it in the database (one insert: of two racing requests
//! on any number of instances, one runs), runs, and its answer is kept for the caller with a
//! fingerprint of the request. A repeat of the same request gets the kept answer, marked
//! `Idempotent-Replayed: true`, and runs nothing; the same key with another request is 422; a
//! repeat while the first still runs is 409. Answers of 401, 403, 404, 429 and 5xx are not
//! kept, nor those of a request the client abandoned before its answer: the key is freed and a
//! retry runs again.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::{BoxBody, EitherBody, MessageBody, to_bytes};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use futures_util::future::{Either, LocalBoxFuture, MapOk};
use futures_util::{StreamExt, TryFutureExt};
use mentorship_store::Store;
use mentorship_store::idempotency::{self, Claim, KeptAnswer};
use sha2::{Digest, Sha256};

use crate::auth::caller_of;
use crate::error::ApiError;
use crate::state::AppState;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The headers of an answer worth giving again: where the created thing is, its version, and
/// what the body is.
const KEPT_HEADERS: [HeaderName; 3] = [header::LOCATION, header::ETAG, header::CONTENT_TYPE];

/// Why a key cannot be honoured; each has its status and code in `error.rs`'s table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    #[error("the Idempotency-Key header must be 1 to 255 visible ASCII characters")]
    Malformed,
    #[error("this Idempotency-Key was used for another request; use a new key for a new request")]
    Reused,
    #[error("a request with this Idempotency-Key is still running; retry in a moment")]
    InUse,
}

impl KeyProblem {
    pub const ALL: [KeyProblem; 3] = [KeyProblem::Malformed, KeyProblem::Reused, KeyProblem::InUse];

    /// The problem's stable code.
    pub const fn code(self) -> &'static str {
        match self {
            KeyProblem::Malformed => "invalid_idempotency_key",
            KeyProblem::Reused => "idempotency_key_reused",
            KeyProblem::InUse => "idempotency_key_in_use",
        }
    }
}

/// The layer, around `/v1`.
pub struct Idempotency;

impl<S, B> Transform<S, ServiceRequest> for Idempotency
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = actix_web::Error;
    type Transform = IdempotencyService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(IdempotencyService {
            service: Rc::new(service),
        }))
    }
}

pub struct IdempotencyService<S> {
    service: Rc<S>,
}

/// The operation's own answer (its body untouched), or one this layer made or kept.
type Answer<B> = Result<ServiceResponse<EitherBody<B, BoxBody>>, actix_web::Error>;

/// A request without a key passes through: no box, no copy of its answer's body.
type Passed<B> = fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B, BoxBody>>;

impl<S, B> Service<ServiceRequest> for IdempotencyService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = actix_web::Error;
    type Future = Either<MapOk<S::Future, Passed<B>>, LocalBoxFuture<'static, Answer<B>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        // Most requests carry no key: they pass with nothing read.
        let facts = (req.method() == Method::POST && req.headers().contains_key(IDEMPOTENCY_KEY))
            .then(|| {
                req.app_data::<web::Data<AppState>>()
                    .and_then(|state| state.operations.of_request(req.request()))
            })
            .flatten()
            .filter(|facts| facts.idempotent);
        match facts {
            Some(facts) => {
                let open = facts.open;
                Either::Right(Box::pin(with_key(Rc::clone(&self.service), req, open)))
            }
            None => Either::Left(
                self.service
                    .call(req)
                    .map_ok(ServiceResponse::map_into_left_body as Passed<B>),
            ),
        }
    }
}

/// A request with a key, on an operation that honours it (`open`: one anyone may call).
async fn with_key<S, B>(service: Rc<S>, mut req: ServiceRequest, open: bool) -> Answer<B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    let refuse = |req: ServiceRequest, e: ApiError| Ok(req.error_response(e).map_into_right_body());
    let key = match key_of(&req) {
        Ok(key) => key,
        Err(e) => return refuse(req, e),
    };
    // Credentials that do not hold, or none where some are needed: the operation answers
    // that (401) as it answers any request; the key waits for a caller it can belong to.
    let Some(caller) = caller_of(req.request(), open) else {
        return Ok(service.call(req).await?.map_into_left_body());
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return refuse(req, ApiError::Internal("application state missing".into()));
    };
    let body = match read_body(&mut req, state.max_request_bytes).await {
        Ok(body) => body,
        Err(e) => return refuse(req, e),
    };
    let fingerprint = fingerprint(&req, &body);
    let claim = idempotency::claim(
        &state.store,
        &caller,
        &key,
        &fingerprint,
        mentorship_store::now(),
    )
    .await;
    match claim {
        Err(e) => refuse(req, e.into()),
        Ok(Claim::Mismatch) => refuse(req, ApiError::IdempotencyKey(KeyProblem::Reused)),
        Ok(Claim::InFlight) => refuse(req, ApiError::IdempotencyKey(KeyProblem::InUse)),
        Ok(Claim::Replay(kept)) => Ok(req.into_response(replay(&kept)).map_into_right_body()),
        Ok(Claim::Run) => {
            req.set_payload(actix_web::dev::Payload::from(body));
            let mut claimed = Claimed {
                store: state.store.clone(),
                caller,
                key,
                settled: false,
            };
            let answer = service.call(req).await;
            claimed.settle(answer).await
        }
    }
}

/// The key, if it is one: 1 to 255 visible ASCII characters.
fn key_of(req: &ServiceRequest) -> Result<String, ApiError> {
    let malformed = ApiError::IdempotencyKey(KeyProblem::Malformed);
    let mut keys = req.headers().get_all(IDEMPOTENCY_KEY);
    let (Some(value), None) = (keys.next(), keys.next()) else {
        return Err(malformed);
    };
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > 255 || !bytes.iter().all(u8::is_ascii_graphic) {
        return Err(malformed);
    }
    value.to_str().map(str::to_owned).map_err(|_| malformed)
}

/// The request's body as sent (still encoded, if it is), at most `limit` bytes: the operation's
/// own limits come after, when it reads it.
async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<web::Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(8192).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("the body could not be read: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// What makes two requests the same: method, path and query, body type and encoding, body.
fn fingerprint(req: &ServiceRequest, body: &[u8]) -> Vec<u8> {
    let header_text = |name: HeaderName| {
        req.headers()
            .get(name)
            .map_or(&b""[..], HeaderValue::as_bytes)
            .to_vec()
    };
    let mut hash = Sha256::new();
    for part in [
        req.method().as_str().as_bytes(),
        req.uri().path().as_bytes(),
        req.uri().query().unwrap_or("").as_bytes(),
        &header_text(header::CONTENT_TYPE),
        &header_text(header::CONTENT_ENCODING),
    ] {
        // Each part with its length, so that no two different requests hash the same text.
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.update(body);
    hash.finalize().to_vec()
}

/// Whether an answer is kept for its key. Not those that say the request could not be tried
/// now: a server error or a throttle (a retry may succeed), nor those that say the caller may
/// not, or the object is not there (401, 403, 404): rights and objects change, and a retry
/// then runs, instead of the key holding an old refusal. Answers about the request itself (a
/// success, 409, 412, 422) are kept: the same request gets them again.
fn kept_status(status: StatusCode) -> bool {
    !(status.is_server_error()
        || matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS
                | StatusCode::UNAUTHORIZED
                | StatusCode::FORBIDDEN
                | StatusCode::NOT_FOUND
        ))
}

/// The kept answer, given again.
fn replay(kept: &KeptAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    for line in kept.headers.lines() {
        if let Some((name, value)) = line.split_once(": ") {
            response.append_header((name, value));
        }
    }
    response.insert_header((REPLAYED, HeaderValue::from_static("true")));
    response.body(kept.body.clone())
}

/// A claimed key: settled once its answer is kept or the key freed. Dropped unsettled (the
/// client went away and the request with it), it frees the key in the background.
struct Claimed {
    store: Store,
    caller: String,
    key: String,
    settled: bool,
}

impl Claimed {
    /// Keeps the answer of the request that ran, or frees the key for answers that a retry
    /// should not get (a failure of the server's, a 429).
    async fn settle<B: MessageBody + 'static>(
        &mut self,
        answer: Result<ServiceResponse<B>, actix_web::Error>,
    ) -> Answer<B> {
        let response = match answer {
            Ok(response) => response,
            Err(e) => {
                self.release().await;
                return Err(e);
            }
        };
        let status = response.status();
        if !kept_status(status) {
            self.release().await;
            return Ok(response.map_into_left_body());
        }
        let (req, response) = response.into_parts();
        let (response, body) = response.into_parts();
        let Ok(body) = to_bytes(body).await else {
            self.release().await;
            let failed = ApiError::Internal("the answer's body could not be read".into());
            return Ok(ServiceResponse::new(req, failed.error_response()).map_into_right_body());
        };
        let kept = KeptAnswer {
            status: status.as_u16(),
            headers: kept_headers(response.headers()),
            body: body.to_vec(),
        };
        if let Err(e) = idempotency::keep(&self.store, &self.caller, &self.key, &kept).await {
            tracing::error!(error = %e, "the answer of an Idempotency-Key could not be kept");
            self.release().await;
        }
        self.settled = true;
        let response = response.set_body(EitherBody::right(BoxBody::new(body)));
        Ok(ServiceResponse::new(req, response))
    }

    async fn release(&mut self) {
        self.settled = true;
        if let Err(e) = idempotency::release(&self.store, &self.caller, &self.key).await {
            tracing::error!(error = %e, "an Idempotency-Key could not be freed; it frees itself later");
        }
    }
}

impl Drop for Claimed {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let (store, caller, key) = (self.store.clone(), self.caller.clone(), self.key.clone());
        actix_web::rt::spawn(async move {
            if let Err(e) = idempotency::release(&store, &caller, &key).await {
                tracing::error!(error = %e, "an abandoned Idempotency-Key could not be freed");
            }
        });
    }
}

/// The headers kept with an answer, as `name: value` lines.
fn kept_headers(headers: &header::HeaderMap) -> String {
    KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(name)?.to_str().ok()?;
            Some(format!("{name}: {value}\n"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn a_key_is_visible_ascii_of_at_most_255_characters() {
        let with = |key: &str| {
            key_of(
                &TestRequest::default()
                    .insert_header((IDEMPOTENCY_KEY, key))
                    .to_srv_request(),
            )
        };
        assert!(with("0b4c1a52-7f3e-4d7a-9a55-3c2f4e1d8b90").is_ok());
        assert!(with(&"k".repeat(255)).is_ok());
        assert!(with(&"k".repeat(256)).is_err());
        assert!(with("two words").is_err());
        assert!(with("").is_err());
    }

    #[test]
    fn requests_differing_in_any_part_have_different_fingerprints() {
        let request = |path: &str, kind: &str| {
            TestRequest::post()
                .uri(path)
                .insert_header((header::CONTENT_TYPE, kind))
                .to_srv_request()
        };
        let json = request("/v1/students", "application/json");
        let base = fingerprint(&json, b"{}");
        assert_eq!(base, fingerprint(&json, b"{}"));
        assert_ne!(base, fingerprint(&json, b"{ }"));
        assert_ne!(
            base,
            fingerprint(&request("/v1/students?a", "application/json"), b"{}")
        );
        assert_ne!(
            base,
            fingerprint(&request("/v1/students", "text/plain"), b"{}")
        );
    }

    #[test]
    fn a_replay_gives_the_kept_status_headers_and_body() {
        let kept = KeptAnswer {
            status: 201,
            headers: "location: /v1/students/1\netag: \"1\"\ncontent-type: application/json\n"
                .into(),
            body: b"{\"id\":1}".to_vec(),
        };
        let response = replay(&kept);
        assert_eq!(response.status(), StatusCode::CREATED);
        let header = |name: &HeaderName| response.headers().get(name).unwrap().to_str().unwrap();
        assert_eq!(header(&header::LOCATION), "/v1/students/1");
        assert_eq!(header(&header::ETAG), "\"1\"");
        assert_eq!(header(&REPLAYED), "true");
    }
}
