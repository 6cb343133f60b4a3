//! Errors as types, and the one table that maps each to an HTTP status and an RFC 9457 problem.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use mentorship_domain::refusal::{Refusal, RefusalKind};
use mentorship_store::StoreError;

use crate::idempotency::KeyProblem;
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field, as named in the request (`email`, `limit`, `scopes[1]`).
    #[schema(example = "email")]
    pub field: String,
    /// A stable code for the problem with the field.
    #[schema(example = "invalid_email")]
    pub code: String,
    /// What is wrong, for people.
    #[schema(example = "must be an email address")]
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem: the body of every 4xx and 5xx response.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation_failed",
    "title": "Some fields are invalid",
    "status": 422,
    "detail": "1 field is invalid",
    "code": "validation_failed",
    "errors": [{"field": "email", "code": "invalid_email", "message": "must be an email address"}]
}))]
pub struct Problem {
    /// A URI reference naming the kind of problem: `/problems/{code}`.
    #[serde(rename = "type")]
    pub type_: String,
    /// A short summary of the kind of problem; the same for every occurrence.
    pub title: String,
    /// The HTTP status code.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// A stable, machine-readable code for the kind of problem (the rule broken, for 409).
    #[schema(schema_with = crate::openapi::problem_code_reference)]
    pub code: String,
    /// One entry per invalid field (422), otherwise empty.
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Problem {
            type_: format!("/problems/{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            errors: Vec::new(),
        }
    }

    /// The problem of a status whose code the status decides, with what went wrong this time.
    pub fn generic(status: StatusCode, detail: impl Into<String>) -> Self {
        let (status, code, title) = generic(status);
        Problem::new(status, code, title, detail)
    }

    /// The problem for a status that reached the client without one (actix's own answers).
    pub fn for_status(status: StatusCode) -> Self {
        Problem::generic(status, status.canonical_reason().unwrap_or("HTTP error"))
    }

    pub fn response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        );
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        response.json(self)
    }
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// No credentials, or not of the expected form.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Credentials were sent but do not hold: a bad, expired or ended token, an unknown key.
    #[error("{0}")]
    InvalidToken(&'static str),
    #[error("{0}")]
    Forbidden(String),
    /// An API key on an operation only a person's login may call.
    #[error("API keys cannot do this; log in as a person")]
    ApiKeyNotAccepted,
    /// An API key without the scopes the operation needs.
    #[error("this API key lacks the scope {}", scope_list(.0))]
    InsufficientScope(Vec<mentorship_domain::people::Scope>),
    #[error("no such {0}")]
    NotFound(&'static str),
    /// A rule of the program refused the request: the domain's refusal, with its code and kind.
    #[error("{detail}")]
    Refused {
        code: &'static str,
        kind: RefusalKind,
        detail: String,
        /// Every rule broken at once, this one included, when there were several.
        also: Vec<FieldError>,
    },
    #[error("the {0} changed since it was read: fetch it again and retry with its new ETag")]
    PreconditionFailed(&'static str),
    #[error("this update needs an If-Match header with the ETag of the object")]
    PreconditionRequired,
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{}", summary(.0))]
    Validation(Vec<FieldError>),
    /// An `Idempotency-Key` that cannot be honoured.
    #[error("{0}")]
    IdempotencyKey(crate::idempotency::KeyProblem),
    #[error("too many attempts; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// The cause is logged, never shown.
    #[error("internal error")]
    Internal(String),
}

/// The problems whose code the status alone decides: (status, code, title). Every other code
/// is a rule's (409, 415), named by the domain. The contract lists these per operation from
/// the statuses it answers.
pub const GENERIC_PROBLEMS: [(u16, &str, &str); 13] = [
    (400, "bad_request", "The request is malformed"),
    (401, "unauthenticated", "Missing or invalid credentials"),
    (403, "forbidden", "Not allowed"),
    (404, "not_found", "Not found"),
    (405, "method_not_allowed", "Method not allowed"),
    (412, "precondition_failed", "The object has changed"),
    (413, "payload_too_large", "The request body is too large"),
    (415, "unsupported_media_type", "Unsupported media type"),
    (422, "validation_failed", "Some fields are invalid"),
    (428, "precondition_required", "If-Match is required"),
    (429, "too_many_requests", "Too many requests"),
    (500, "internal_error", "Something went wrong on our side"),
    (503, "not_ready", "Not ready"),
];

/// The codes the API itself gives beside the statuses' own and the domain's rules: each a rule of
/// HTTP, of authentication, or of a reference a body makes.
pub const API_CODES: &[&str] = &[
    "already_exists",
    "unknown_path",
    "wrong_password",
    "link_invalid",
    "current_password_required",
    "insufficient_scope",
    "api_key_not_accepted",
    "nul_character",
    "unknown_mentor",
    "students_are_enrolled",
    "cohort_size",
    "not_for_you",
    "required",
    "invalid_month",
    "invalid_amount",
    KeyProblem::Malformed.code(),
    KeyProblem::Reused.code(),
    KeyProblem::InUse.code(),
];

/// The code and title a status gives when no rule names its own; `http_error` for a status
/// none of the API's answers use (actix's own, such as 414).
pub fn generic(status: StatusCode) -> (StatusCode, &'static str, &'static str) {
    GENERIC_PROBLEMS
        .iter()
        .find(|(s, _, _)| *s == status.as_u16())
        .map_or((status, "http_error", "HTTP error"), |(_, code, title)| {
            (status, *code, *title)
        })
}

/// The one table from a kind of refusal to its HTTP status and problem title.
pub fn kind_status(kind: RefusalKind) -> (StatusCode, &'static str) {
    match kind {
        RefusalKind::Conflict => (StatusCode::CONFLICT, "The request breaks a rule"),
        RefusalKind::InvalidField(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "Some fields are invalid")
        }
        RefusalKind::UnsupportedContent => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type")
        }
        RefusalKind::NotFound => (StatusCode::NOT_FOUND, "Not found"),
        RefusalKind::Forbidden => (StatusCode::FORBIDDEN, "Not allowed"),
    }
}

/// A refusal as one entry of a 422's `errors` (the field its kind names, or `body`).
fn field_error<R: Refusal>(refusal: &R) -> FieldError {
    let field = match refusal.kind() {
        RefusalKind::InvalidField(field) => field,
        _ => "body",
    };
    FieldError::new(field, refusal.code(), refusal.to_string())
}

fn scope_list(scopes: &[mentorship_domain::people::Scope]) -> String {
    let names: Vec<String> = scopes.iter().map(|s| format!("`{}`", s.as_str())).collect();
    names.join(", ")
}

fn summary(errors: &[FieldError]) -> String {
    match errors {
        [one] => format!("{}: {}", one.field, one.message),
        many => format!("{} fields are invalid", many.len()),
    }
}

impl ApiError {
    /// A rule of the domain broken, answered as its kind says (see [`kind_status`]).
    pub fn refused<R: Refusal>(refusal: &R) -> Self {
        ApiError::Refused {
            code: refusal.code(),
            kind: refusal.kind(),
            detail: refusal.to_string(),
            also: Vec::new(),
        }
    }

    /// Several rules broken at once: the gravest kind answers (forbidden, then not found, then a
    /// conflict, then the content, then the fields), and invalid fields are listed together. When
    /// a conflict answers and other rules were broken too, `errors` lists every one.
    pub fn refusals<R: Refusal>(refusals: &[R]) -> Self {
        let rank = |r: &&R| match r.kind() {
            RefusalKind::Forbidden => 0,
            RefusalKind::NotFound => 1,
            RefusalKind::Conflict => 2,
            RefusalKind::UnsupportedContent => 3,
            RefusalKind::InvalidField(_) => 4,
        };
        match refusals.iter().min_by_key(rank) {
            Some(first) if !matches!(first.kind(), RefusalKind::InvalidField(_)) => {
                let mut answer = ApiError::refused(first);
                if let (ApiError::Refused { also, .. }, [_, _, ..]) = (&mut answer, refusals) {
                    *also = refusals.iter().map(field_error).collect();
                }
                answer
            }
            Some(_) => ApiError::Validation(refusals.iter().map(field_error).collect()),
            None => ApiError::Internal("a refusal without a reason".into()),
        }
    }

    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, code, message)])
    }

    /// The table: each error's status, stable code and title.
    fn describe(&self) -> (StatusCode, &'static str, &'static str) {
        let status = match self {
            ApiError::Refused { code, kind, .. } => {
                let (status, title) = kind_status(*kind);
                // A refused field is a 422 like any other: `errors` names the field and rule.
                return match kind {
                    RefusalKind::InvalidField(_) => generic(status),
                    _ => (status, code, title),
                };
            }
            ApiError::ApiKeyNotAccepted => {
                return (
                    StatusCode::FORBIDDEN,
                    "api_key_not_accepted",
                    "Not for API keys",
                );
            }
            ApiError::InsufficientScope(_) => {
                return (
                    StatusCode::FORBIDDEN,
                    "insufficient_scope",
                    "Insufficient scope",
                );
            }
            ApiError::IdempotencyKey(problem) => {
                let (status, title) = match problem {
                    KeyProblem::Malformed => (StatusCode::BAD_REQUEST, "Invalid Idempotency-Key"),
                    KeyProblem::Reused => {
                        (StatusCode::UNPROCESSABLE_ENTITY, "Idempotency-Key reused")
                    }
                    KeyProblem::InUse => (StatusCode::CONFLICT, "Idempotency-Key in use"),
                };
                return (status, problem.code(), title);
            }
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated(_) | ApiError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        generic(status)
    }

    pub fn problem(&self) -> Problem {
        let (status, code, title) = self.describe();
        let detail = match self {
            ApiError::Internal(_) => {
                "The error was logged; quote the x-request-id header when reporting it.".into()
            }
            other => other.to_string(),
        };
        let mut problem = Problem::new(status, code, title, detail);
        match self {
            ApiError::Validation(errors) => problem.errors.clone_from(errors),
            ApiError::Refused {
                code,
                kind: RefusalKind::InvalidField(field),
                detail,
                ..
            } => problem.errors = vec![FieldError::new(*field, *code, detail.clone())],
            ApiError::Refused { also, .. } => problem.errors.clone_from(also),
            _ => {}
        }
        problem
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.describe().0
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(cause = %cause, "request failed");
        }
        let mut response = self.problem().response();
        let headers = response.headers_mut();
        match self {
            ApiError::TooManyRequests { retry_after_secs } => {
                if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    headers.insert(header::RETRY_AFTER, value);
                }
            }
            ApiError::IdempotencyKey(KeyProblem::InUse) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            // RFC 6750, 3: the scheme to use, and why a token that was sent does not hold.
            ApiError::Unauthenticated(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::InvalidToken(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            _ => {}
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Duplicate(what) => ApiError::Refused {
                code: "already_exists",
                kind: RefusalKind::Conflict,
                detail: format!("{what} is already taken"),
                also: Vec::new(),
            },
            StoreError::VersionMismatch(what) => ApiError::PreconditionFailed(what),
            StoreError::Refused {
                code,
                kind,
                message,
            } => ApiError::Refused {
                code,
                kind,
                detail: message,
                also: Vec::new(),
            },
            StoreError::RefusedAll(broken) => ApiError::refusals(&broken),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields: Vec<FieldError> = errors
            .field_errors()
            .into_iter()
            .flat_map(|(field, errs)| {
                errs.iter().map(move |e| {
                    let message = e
                        .message
                        .as_ref()
                        .map_or_else(|| readable(e), ToString::to_string);
                    FieldError::new(field.to_string(), e.code.to_string(), message)
                })
            })
            .collect();
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        ApiError::Validation(fields)
    }
}

/// What a field rule without its own message says, for people: "must be 1 to 120 characters"
/// rather than the rule's bare name.
fn readable(error: &validator::ValidationError) -> String {
    let param = |name: &str| error.params.get(name).map(ToString::to_string);
    let (min, max, equal) = (param("min"), param("max"), param("equal"));
    match error.code.as_ref() {
        "length" => match (min, max, equal) {
            (_, _, Some(n)) => format!("must be exactly {n} characters"),
            (Some(min), Some(max), _) if min == "1" => {
                format!("must not be empty, and at most {max} characters")
            }
            (Some(min), Some(max), _) => format!("must be {min} to {max} characters"),
            (Some(min), None, _) => format!("must be at least {min} characters"),
            (None, Some(max), _) => format!("must be at most {max} characters"),
            (None, None, None) => "has the wrong length".into(),
        },
        "range" => match (min, max) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            (None, None) => "is out of range".into(),
        },
        "email" => "must be an email address".into(),
        other => format!("is not valid ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use validator::Validate;

    #[derive(Validate)]
    struct Sample {
        #[validate(length(min = 1, max = 120))]
        title: String,
        #[validate(range(min = 1, max = 3))]
        level: u8,
        #[validate(length(min = 12, max = 128))]
        password: String,
    }

    #[test]
    fn every_invalid_field_is_listed_with_a_message_for_people() {
        let sample = Sample {
            title: String::new(),
            level: 9,
            password: "short".into(),
        };
        let ApiError::Validation(fields) = ApiError::from(sample.validate().unwrap_err()) else {
            panic!("not a validation error");
        };
        let listed: Vec<(&str, &str)> = fields
            .iter()
            .map(|f| (f.field.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(
            listed,
            [
                ("level", "must be between 1 and 3"),
                ("password", "must be 12 to 128 characters"),
                ("title", "must not be empty, and at most 120 characters"),
            ]
        );
    }
}
