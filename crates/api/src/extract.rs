//! How request parts are read, and what a client gets when they cannot be: every extractor
//! error becomes a problem response, and `If-Match` is read for updates.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{HttpRequest, http::header, web};

use crate::error::ApiError;

/// JSON bodies: limited in size, and every failure a problem with the right status.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _| json_error(err).into())
}

fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::PayloadTooLarge(limit),
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("send the body as application/json".into())
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            let message = e.to_string();
            ApiError::field(&field_named_in(&message), "invalid", message)
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::BadRequest(format!("the body is not valid JSON: {e}"))
        }
        other => ApiError::BadRequest(other.to_string()),
    }
}

/// serde names the field in "unknown field `x`" and "missing field `x`"; other errors are the body's.
fn field_named_in(message: &str) -> String {
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|lead| {
            message
                .split_once(lead)
                .and_then(|(_, rest)| rest.split_once('`'))
                .map(|(f, _)| f)
        });
    named.unwrap_or("body").to_owned()
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _| {
        ApiError::BadRequest(format!("a query parameter is invalid: {err}")).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _| {
        ApiError::BadRequest(format!("a path parameter is invalid: {err}")).into()
    })
}

/// The strong ETag of an object at `version`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version an update expects, from `If-Match`: 428 without it, 412 when it cannot match.
pub fn if_match(req: &HttpRequest, what: &'static str) -> Result<i64, ApiError> {
    let value = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?;
    let text = value
        .to_str()
        .map_err(|_| ApiError::PreconditionFailed(what))?
        .trim();
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|v| v.parse().ok())
        .ok_or(ApiError::PreconditionFailed(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_name_their_field() {
        assert_eq!(
            field_named_in("unknown field `role`, expected one of `name`"),
            "role"
        );
        assert_eq!(field_named_in("missing field `email` at line 1"), "email");
        assert_eq!(field_named_in("invalid type: integer"), "body");
    }
}
