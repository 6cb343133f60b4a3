//! The common shape of every refusal the domain returns.

/// A broken rule, with a stable code the API puts in its RFC 9457 problem responses.
///
/// Codes are snake_case and part of the API contract: they never change once published.
pub trait Refusal: std::error::Error {
    /// The stable snake_case code of the rule that was broken (e.g. `week_already_taken`).
    fn code(&self) -> &'static str;
}
