//! End-to-end scenarios over HTTP, each on SQLite and on PostgreSQL.

// A failed unwrap in a scenario is a failed test, with its line: the point of a test.
#![allow(clippy::unwrap_used)]

mod accounts;
mod api_keys;
mod audit;
mod auth;
mod catalog;
mod concurrency;
mod contract;
mod demo;
mod erasure;
mod errors;
mod exports;
mod hardening;
mod matrix;
mod notifications;
mod onboarding;
mod ops;
mod pay;
mod pay_year;
mod policies;
mod sessions;
mod storage;
mod store;
mod students;
mod users;
mod webhooks;
