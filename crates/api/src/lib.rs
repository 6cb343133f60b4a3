//! The HTTP API of the mentoring program: actix-web handlers, auth, the OpenAPI contract, and
//! the wording of what the program tells people. Handlers translate HTTP to store calls (which
//! run the domain's steps) and back; the rules themselves live in `mentorship-domain`.

pub mod access;
pub mod app;
pub mod auth;
pub mod background_exports;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod extract;
pub mod files;
pub mod idempotency;
pub mod middleware;
pub mod notices;
pub mod openapi;
pub mod operations;
pub mod outbox;
pub mod paging;
pub mod passwords;
pub mod routes;
pub mod secrets;
pub mod sessions;
pub mod spans;
pub mod state;
pub mod throttle;
pub mod webhook_sender;
