//! How request parts are read, and what a client gets when they cannot be: every extractor
//! error becomes a problem response, and `If-Match` is read for updates.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, http::header, web};
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::error::ApiError;

/// The largest JSON body accepted, in bytes; set once in the app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON body, deserialized with the path of any bad field and then validated: handlers get
/// a value that already satisfies every field rule, or the client gets one problem listing why not.
#[derive(Debug)]
pub struct Valid<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Valid<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<BodyLimit>().map_or(64 * 1024, |l| l.0);
        let is_json = req.mime_type().ok().flatten().is_some_and(|m| {
            m.subtype() == actix_web::mime::JSON || m.suffix() == Some(actix_web::mime::JSON)
        });
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as application/json".into(),
                )
                .into());
            }
            let bytes = body.await.map_err(|e| body_error(&e, limit))?;
            let value: T = parse_json(&bytes)?;
            value.validate().map_err(ApiError::from)?;
            Ok(Valid(value))
        })
    }
}

fn body_error(e: &actix_web::Error, limit: usize) -> ApiError {
    if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(limit)
    } else {
        ApiError::BadRequest(format!("the body could not be read: {e}"))
    }
}

/// Parses JSON, naming the field of a data error (`scopes[0]`, `email`) in a 422; malformed
/// JSON is a 400.
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_data() {
            let field = if path == "." {
                field_named_in(&inner.to_string())
            } else {
                path
            };
            ApiError::field(&field, "invalid", inner.to_string())
        } else {
            ApiError::BadRequest(format!("the body is not valid JSON: {inner}"))
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
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

    #[derive(Debug, serde::Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        #[allow(dead_code)]
        scopes: Vec<u8>,
    }

    #[test]
    fn data_errors_name_the_field_and_syntax_errors_do_not() {
        let field = |body: &str| match parse_json::<Sample>(body.as_bytes()) {
            Err(ApiError::Validation(errors)) => errors[0].field.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(field(r#"{"scopes": [1, "x"]}"#), "scopes[1]");
        assert_eq!(field(r#"{"scopes": [], "role": 1}"#), "role");
        assert_eq!(field(r#"{}"#), "scopes");
        assert!(matches!(
            parse_json::<Sample>(b"{\"scopes\": ["),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Sample>(b"{\"scopes\": []} x"),
            Err(ApiError::BadRequest(_))
        ));
    }

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
