//! How request parts are read, and what a client gets when they cannot be: every extractor
//! error becomes a problem response, and `If-Match` is read for updates.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, http::header, web};
use serde::de::DeserializeOwned;
use serde_json::{Number, Value};
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
    let mut value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    integral_floats_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let field = if path == "." {
            field_named_in(&message)
        } else {
            path
        };
        ApiError::field(&field, "invalid", message)
    })
}

/// JSON Schema counts `3.0` as an integer, and so the contract admits it wherever it says
/// `integer` (and JavaScript clients may send one); serde refuses a float for an integer type.
/// Turning integral floats into integers before the typed parse makes the two agree; a field
/// typed as a float still takes the integer.
fn integral_floats_as_integers(value: &mut Value) {
    // 2^63: the first float past `i64::MAX`; `i64::MAX as f64` would round up to it.
    const I64_END: f64 = 9_223_372_036_854_775_808.0;
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0) {
                // In range, the casts are exact: `f` has no fraction.
                if (-I64_END..I64_END).contains(&f) {
                    *n = Number::from(f as i64);
                } else if (0.0..2.0 * I64_END).contains(&f) {
                    *n = Number::from(f as u64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_floats_as_integers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
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

fn query_error(err: &QueryPayloadError) -> ApiError {
    ApiError::BadRequest(format!("a query parameter is invalid: {err}"))
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _| query_error(&err).into())
}

/// Query parameters, parsed (400 when they cannot be) and then validated, so that the limits the
/// contract states for them (`maxLength` of a filter) hold: 422 naming the parameter otherwise.
#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

impl<T: DeserializeOwned + Validate> FromRequest for ValidQuery<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = web::Query::<T>::from_query(req.query_string())
            .map_err(|e| query_error(&e))
            .and_then(|query| {
                let value = query.into_inner();
                value.validate()?;
                Ok(ValidQuery(value))
            });
        std::future::ready(parsed.map_err(Into::into))
    }
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

/// The version an update may start from, given the object's `current` one, as `If-Match` asks
/// (RFC 9110, 13.1.1): 428 without the header; `*` matches any current version; otherwise one
/// of the listed strong ETags must be the current one, or 412. A weak ETag never matches, and
/// neither does a malformed header. The store then updates only from that version, so a change
/// made since `current` was read is a 412 too.
pub fn if_match(req: &HttpRequest, what: &'static str, current: i64) -> Result<i64, ApiError> {
    let value = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?;
    let text = value
        .to_str()
        .map_err(|_| ApiError::PreconditionFailed(what))?
        .trim();
    let wanted = etag(current);
    if text == "*" || strong_etags(text).any(|tag| tag == wanted) {
        Ok(current)
    } else {
        Err(ApiError::PreconditionFailed(what))
    }
}

/// The strong entity tags of an `If-Match` list (`"1", W/"2", "3"` gives `"1"` and `"3"`),
/// each with its quotes; it stops at the first malformed member.
fn strong_etags(list: &str) -> impl Iterator<Item = &str> {
    let mut rest = list;
    std::iter::from_fn(move || {
        loop {
            rest = rest.trim_start_matches([' ', '\t', ',']);
            let weak = rest.starts_with("W/");
            let tag_start = if weak { &rest[2..] } else { rest };
            let end = tag_start
                .strip_prefix('"')
                .and_then(|t| t.find('"'))
                .map(|i| i + 2)?;
            let (tag, after) = tag_start.split_at(end);
            rest = after;
            if !weak {
                return Some(tag);
            }
        }
    })
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
    fn integral_floats_are_integers_and_other_numbers_stay() {
        #[derive(Debug, serde::Deserialize, Validate)]
        struct Numbers {
            level: u8,
            position: i64,
            ratio: f64,
        }
        let parsed: Numbers =
            parse_json(br#"{"level": 3.0, "position": -2.0, "ratio": 1.0}"#).unwrap();
        assert_eq!((parsed.level, parsed.position), (3, -2));
        assert!((parsed.ratio - 1.0).abs() < f64::EPSILON);
        assert!(matches!(
            parse_json::<Numbers>(br#"{"level": 2.5, "position": 1, "ratio": 1}"#),
            Err(ApiError::Validation(_))
        ));
    }

    #[test]
    fn if_match_takes_star_and_lists_of_strong_etags() {
        let with = |value: &str| {
            actix_web::test::TestRequest::default()
                .insert_header((header::IF_MATCH, value))
                .to_http_request()
        };
        let at_3 = |req: &HttpRequest| if_match(req, "path", 3);
        assert_eq!(at_3(&with("\"3\"")).unwrap(), 3);
        assert_eq!(at_3(&with("*")).unwrap(), 3);
        assert_eq!(at_3(&with("\"1\", W/\"2\", \"3\"")).unwrap(), 3);
        for stale in ["\"2\"", "W/\"3\"", "3", "\"3", "", "\"x\", W/\"3\""] {
            assert!(
                matches!(at_3(&with(stale)), Err(ApiError::PreconditionFailed(_))),
                "{stale}"
            );
        }
        let without = actix_web::test::TestRequest::default().to_http_request();
        assert!(matches!(
            at_3(&without),
            Err(ApiError::PreconditionRequired)
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
