//! Every rule of the mentoring program (RULES.md) as pure types and functions.
//!
//! No I/O, no clock, no database: callers pass `now` and time zones in. The store keeps the
//! decisions atomic and the API translates HTTP; neither decides a rule.

pub mod absences;
pub mod calendar;
pub mod capacity;
pub mod catalog;
pub mod erasure;
pub mod events;
pub mod exports;
pub mod mentors;
pub mod money;
pub mod pay;
pub mod people;
pub mod policy;
pub mod rates;
pub mod referrals;
pub mod refusal;
pub mod reports;
pub mod sessions;
pub mod statements;
pub mod students;
pub mod webhooks;
pub mod weeks;
