//! The HTTP API of the mentoring program: actix-web handlers, auth, the OpenAPI contract.
//! Handlers translate HTTP to domain and store calls; they decide no rule themselves.

pub mod app;
pub mod auth;
pub mod config;
pub mod demo;
pub mod error;
pub mod extract;
pub mod files;
pub mod middleware;
pub mod openapi;
pub mod outbox;
pub mod paging;
pub mod passwords;
pub mod routes;
pub mod secrets;
pub mod throttle;
