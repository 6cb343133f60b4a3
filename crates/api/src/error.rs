//! Errors as types, and the one table that maps each to an HTTP status and an RFC 9457 problem.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use mentorship_domain::refusal::{Refusal, RefusalKind};
use mentorship_store::StoreError;
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

/// A reference to the `ProblemCode` enum, which the contract builds from every operation's codes.
fn problem_code_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    utoipa::openapi::Ref::from_schema_name("ProblemCode").into()
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
    #[schema(schema_with = problem_code_schema)]
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
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("no such {0}")]
    NotFound(&'static str),
    /// A rule of the program refused the request: the domain's refusal, with its code and kind.
    #[error("{detail}")]
    Refused {
        code: &'static str,
        kind: RefusalKind,
        detail: String,
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
        }
    }

    /// Several rules broken at once: the gravest kind answers (forbidden, then not found, then a
    /// conflict, then the content, then the fields), and invalid fields are listed together.
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
                ApiError::refused(first)
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
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
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
            } => problem.errors = vec![FieldError::new(*field, *code, detail.clone())],
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
        if let ApiError::TooManyRequests { retry_after_secs } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
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
            },
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
                        .map_or_else(|| e.code.to_string(), ToString::to_string);
                    FieldError::new(field.to_string(), e.code.to_string(), message)
                })
            })
            .collect();
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        ApiError::Validation(fields)
    }
}
