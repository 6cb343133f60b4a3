//! Handlers, one module per resource. Each translates HTTP to store and domain calls and back.

pub mod api_keys;
pub mod auth;
pub mod catalog;
pub mod ops;
pub mod users;

use actix_web::HttpResponse;
use actix_web::http::header;

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
