//! Handlers, one module per resource. Each translates HTTP to store and domain calls and back.

pub mod absences;
pub mod api_keys;
pub mod applications;
pub mod audit;
pub mod auth;
pub mod calendars;
pub mod catalog;
pub mod documents;
pub mod erasure;
pub mod exports;
pub mod mentors;
pub mod notifications;
pub mod ops;
pub mod path_requests;
pub mod pay;
pub mod policies;
pub mod problems;
pub mod reports;
pub mod sessions;
pub mod students;
pub mod users;
pub mod webhooks;

use std::borrow::Cow;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use validator::ValidationError;

use crate::extract::etag;

/// 201 Created with `Location` and `ETag`.
pub fn created(location: String, version: i64) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Created();
    response
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, etag(version)));
    response
}

/// 200 OK with `ETag`.
pub fn ok_with_etag(version: i64) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response.insert_header((header::ETAG, etag(version)));
    response
}

/// The client a request comes from, for per-client throttling: the peer address (forwarding
/// headers are not trusted: a client could forge them to dodge its limit).
pub fn client_of(req: &HttpRequest) -> String {
    req.peer_addr()
        .map_or_else(|| "unknown".into(), |a| a.ip().to_string())
}

fn invalid(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Borrowed(message))
}

/// Field rule: upper-case ASCII letters only (country codes).
pub fn uppercase_letters(text: &str) -> Result<(), ValidationError> {
    if text.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(invalid(
            "invalid_country",
            "must be an ISO 3166-1 alpha-2 code such as FR",
        ))
    }
}

/// Field rule: an IANA time zone name the server knows.
pub fn iana_zone(text: &str) -> Result<(), ValidationError> {
    text.parse::<chrono_tz::Tz>().map(|_| ()).map_err(|_| {
        invalid(
            "unknown_time_zone",
            "must be an IANA time zone such as Europe/Paris",
        )
    })
}
