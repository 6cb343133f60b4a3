//! The common shape of every refusal the domain returns: a stable code and a kind.

/// A broken rule, with a stable code the API puts in its RFC 9457 problem responses.
///
/// Codes are snake_case and part of the API contract: they never change once published.
pub trait Refusal: std::error::Error {
    /// The stable snake_case code of the rule that was broken (e.g. `week_already_taken`).
    fn code(&self) -> &'static str;

    /// What sort of refusal it is; the API turns each kind into one HTTP status.
    fn kind(&self) -> RefusalKind {
        RefusalKind::Conflict
    }
}

/// `Ok` when no rule was broken, otherwise every broken rule: the answer of the checks that
/// report all their refusals at once.
pub fn none_or_all<R>(refusals: Vec<R>) -> Result<(), Vec<R>> {
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(refusals)
    }
}

/// What sort of "no" a refusal is, whatever its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalKind {
    /// The request breaks a rule of the program, or conflicts with the object's state.
    Conflict,
    /// A value the caller sent is not acceptable; names the field.
    InvalidField(&'static str),
    /// A file's content is not of an accepted type.
    UnsupportedContent,
    /// The object does not exist, or is not the caller's to see.
    NotFound,
    /// The caller is known but this is not theirs to do.
    Forbidden,
}

/// Implements [`Refusal`] for an enum, one line per variant (`Variant => "code", kind;`), or for
/// a one-rule type (`Type => "code", kind`), and lists its codes in `CODES`, so the contract can publish every code the enum can give.
#[macro_export]
macro_rules! refusal_codes {
    ($refusal:ty => $code:literal, $kind:expr) => {
        impl $crate::refusal::Refusal for $refusal {
            fn code(&self) -> &'static str {
                $code
            }

            fn kind(&self) -> $crate::refusal::RefusalKind {
                #[allow(unused_imports)]
                use $crate::refusal::RefusalKind::*;
                $kind
            }
        }

        impl $refusal {
            /// The code this refusal carries.
            pub const CODES: &'static [&'static str] = &[$code];
        }
    };
    ($enum:ty { $($variant:ident => $code:literal, $kind:expr;)* }) => {
        impl $crate::refusal::Refusal for $enum {
            fn code(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => $code,)*
                }
            }

            fn kind(&self) -> $crate::refusal::RefusalKind {
                #[allow(unused_imports)]
                use $crate::refusal::RefusalKind::*;
                match self {
                    $(Self::$variant { .. } => $kind,)*
                }
            }
        }

        impl $enum {
            /// Every code this refusal can carry.
            pub const CODES: &'static [&'static str] = &[$($code),*];
        }
    };
}

/// Every code a domain refusal can carry, sorted and without repeats: the contract checks each
/// operation's listed codes against it.
pub fn all_codes() -> Vec<&'static str> {
    use crate::{
        absences, capacity, erasure, exports, mentors, money, people, policy, rates, referrals,
        reports, sessions, statements, students, webhooks, weeks,
    };
    let lists: [&[&str]; 24] = [
        webhooks::WebhookRefusal::CODES,
        absences::AbsenceRefusal::CODES,
        erasure::ErasureRefusal::CODES,
        exports::ExportRefusal::CODES,
        absences::WithdrawalRefusal::CODES,
        capacity::AssignmentRefusal::CODES,
        mentors::UnmetRule::CODES,
        mentors::OnboardingRefusal::CODES,
        mentors::DocumentRefusal::CODES,
        mentors::PathRequestRefusal::CODES,
        money::MoneyError::CODES,
        people::NotAManager::CODES,
        policy::PolicyError::CODES,
        rates::RateOutOfBounds::CODES,
        rates::InvalidRateCard::CODES,
        rates::RateCardRefusal::CODES,
        referrals::ReferralRefusal::CODES,
        reports::ReportRefusal::CODES,
        sessions::InvalidSessionLength::CODES,
        sessions::BookingRefusal::CODES,
        sessions::SessionRefusal::CODES,
        statements::StatementRefusal::CODES,
        students::StudentRefusal::CODES,
        weeks::AllowedWeekdaysError::CODES,
    ];
    let mut codes: Vec<&'static str> = lists.into_iter().flatten().copied().collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}
