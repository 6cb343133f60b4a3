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

use crate::error::{ApiError, FieldError};
use crate::operations::Operations;

/// The largest JSON body accepted, in bytes; set once in the app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// The fields of a JSON Merge Patch (RFC 7396), for `#[serde(default, deserialize_with = ...)]`:
/// an absent field is left as it is (`None`), and `null` removes a value, which only texts that
/// may be empty allow (every other field of the program's records always has a value).
pub mod merge_patch {
    use serde::{Deserialize, Deserializer};

    /// A field that always has a value: `null` is refused (a 422 naming the field).
    pub fn kept<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        T::deserialize(d).map(Some)
    }

    /// A text that may be empty: `null` empties it.
    pub fn emptied<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Option::<String>::deserialize(d).map(|text| Some(text.unwrap_or_default()))
    }
}

/// A JSON body, deserialized with the path of any bad field and then validated: handlers get
/// a value that already satisfies every field rule, or the client gets one problem listing why not.
/// At most `MAX_BYTES` bytes when the operation sets more than `MAX_BODY_BYTES` allows (a cohort).
#[derive(Debug)]
pub struct Valid<T, const MAX_BYTES: usize = 0>(pub T);

/// The largest body any operation reads (the payload read stops there); each checks its own.
pub fn largest_body(configured: usize) -> usize {
    configured.max(crate::routes::students::COHORT_BODY_BYTES)
}

impl<T: DeserializeOwned + Validate + 'static, const MAX_BYTES: usize> FromRequest
    for Valid<T, MAX_BYTES>
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<BodyLimit>()
            .map_or(64 * 1024, |l| l.0)
            .max(MAX_BYTES);
        let is_json = req.mime_type().ok().flatten().is_some_and(|m| {
            m.subtype() == actix_web::mime::JSON || m.suffix() == Some(actix_web::mime::JSON)
        });
        let declared = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as application/json".into(),
                )
                .into());
            }
            if declared.is_some_and(|n| n > limit) {
                return Err(ApiError::PayloadTooLarge(limit).into());
            }
            let bytes = body.await.map_err(|e| body_error(&e, limit))?;
            if bytes.len() > limit {
                return Err(ApiError::PayloadTooLarge(limit).into());
            }
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

/// Parses JSON: malformed JSON, or an object that names a key twice, is a 400; a string with a
/// NUL character anywhere is a 422 naming each such field (PostgreSQL cannot store it); then
/// every field of the wrong type is a 422, all of them at once, each named (`scopes[0]`,
/// `email`).
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let StrictJson(mut value) = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let mut nul = Vec::new();
    nul_fields(&value, String::new(), &mut nul);
    if !nul.is_empty() {
        return Err(ApiError::Validation(nul));
    }
    integral_floats_as_integers(&mut value);
    typed(value)
}

/// The typed value, or every field of the wrong type: each failing top-level field is set aside
/// and the rest tried again, so a client learns of all its mistakes in one answer.
fn typed<T: DeserializeOwned>(mut value: Value) -> Result<T, ApiError> {
    const MAX_ROUNDS: usize = 32;
    let mut errors: Vec<FieldError> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let e = match serde_path_to_error::deserialize::<_, T>(value.clone()) {
            Ok(typed) if errors.is_empty() => return Ok(typed),
            Ok(_) => break,
            Err(e) => e,
        };
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let field = if path == "." {
            field_named_in(&message)
        } else {
            path
        };
        let top = field
            .split(['.', '['])
            .next()
            .unwrap_or_default()
            .to_owned();
        // A field already set aside comes back as "missing": it is already reported.
        if errors
            .iter()
            .any(|known| known.field.split(['.', '[']).next() == Some(&top))
        {
            break;
        }
        errors.push(FieldError::new(&field, "invalid", message));
        let removed = match &mut value {
            Value::Object(fields) => fields.remove(&top).is_some(),
            _ => false,
        };
        if !removed {
            break;
        }
    }
    Err(ApiError::Validation(errors))
}

/// A JSON value that refuses an object naming the same key twice (RFC 8259 leaves it
/// undefined; serde_json keeps the last, so `{"role": "student", "role": "admin"}` would pass
/// a check that read the first).
struct StrictJson(Value);

impl<'de> serde::Deserialize<'de> for StrictJson {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictJson)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictJson(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let StrictJson(value) = map.next_value()?;
            if fields.insert(key.clone(), value).is_some() {
                return Err(serde::de::Error::custom(format!(
                    "the key `{key}` appears twice in one object"
                )));
            }
        }
        Ok(Value::Object(fields))
    }
}

/// Every string (or key) holding a NUL character, as a field error naming where it is.
fn nul_fields(value: &Value, at: String, found: &mut Vec<FieldError>) {
    let name = |at: &str| {
        if at.is_empty() {
            "body".to_owned()
        } else {
            at.to_owned()
        }
    };
    match value {
        Value::String(text) if text.contains('\0') => found.push(nul_error(&name(&at))),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nul_fields(item, format!("{}[{i}]", name(&at)), found);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let path = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                if key.contains('\0') {
                    found.push(nul_error(&path));
                } else {
                    nul_fields(item, path, found);
                }
            }
        }
        _ => {}
    }
}

fn nul_error(field: &str) -> FieldError {
    FieldError::new(
        field,
        "nul_character",
        "must not contain the NUL character (U+0000)",
    )
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

/// What a request's URL may not carry, checked before any handler runs: a query parameter its
/// operation does not take (400 naming it: `?sort=` must not look like it worked), and a NUL
/// character in the path or the query (422 naming the parameter).
pub fn check_url(req: &HttpRequest, operations: &Operations) -> Result<(), ApiError> {
    let query = req.query_string();
    let path_has_nul = req.path().contains("%00");
    if query.is_empty() && !path_has_nul {
        return Ok(());
    }
    let Some(pattern) = req.match_pattern() else {
        return Ok(());
    };
    if path_has_nul {
        let segment = req.path().split('/').position(|s| s.contains("%00"));
        let name = segment
            .and_then(|i| pattern.split('/').nth(i))
            .map_or("path", |s| s.trim_start_matches('{').trim_end_matches('}'));
        return Err(ApiError::Validation(vec![nul_error(name)]));
    }
    let Some(facts) = operations.of_request(req) else {
        return Ok(());
    };
    let mut nul = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if !facts.query.iter().any(|known| *known == name) {
            let known = facts.query.join(", ");
            return Err(ApiError::BadRequest(format!(
                "the query parameter `{name}` is not one this operation takes{}",
                if known.is_empty() {
                    " (it takes none)".to_owned()
                } else {
                    format!(" (it takes: {known})")
                }
            )));
        }
        if value.contains('\0') {
            nul.push(nul_error(&name));
        }
    }
    if nul.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(nul))
    }
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
