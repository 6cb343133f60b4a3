//! Referrals (RULES.md, Money: "Referral bonus").

use crate::mentors::MentorStatus;
use crate::money::Money;
use crate::people::normalize_email;
use chrono::{DateTime, Utc};
use std::num::NonZeroU32;
use uuid::Uuid;

/// The bonus for each of a referrer's first three qualifying referrals.
pub const FIRST_REFERRALS_BONUS: Money = Money::euros(30);
/// The bonus for the fourth qualifying referral and every one after.
pub const LATER_REFERRALS_BONUS: Money = Money::euros(50);

/// The characters of a referral code: letters and digits without look-alikes (no 0/O, 1/I).
/// 32 of them, so each random byte picks one without bias.
const CODE_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A mentor's referral code, made from 8 random bytes: 8 characters people can read aloud and
/// type back (40 bits, so two mentors sharing one is a one-in-a-trillion event the database's
/// unique index refuses).
pub fn referral_code(random: [u8; 8]) -> String {
    random
        .iter()
        .map(|byte| char::from(CODE_ALPHABET[usize::from(byte % 32)]))
        .collect()
}

/// RULES.md, Money: "The referrer's n-th qualifying referral earns EUR 30 for n = 1..=3 and EUR 50
/// from n = 4 on". `nth` counts the referrer's qualifying referrals from 1, in qualification order.
pub fn referral_bonus(nth: NonZeroU32) -> Money {
    if nth.get() <= 3 {
        FIRST_REFERRALS_BONUS
    } else {
        LATER_REFERRALS_BONUS
    }
}

/// RULES.md, Money: "a referral qualifies when the referred mentor is active and has completed a
/// first payable session". Given the instant the referred mentor's first completed session became
/// payable (outcome and notes recorded), the instant the referral qualifies, or `None` yet.
/// The bonus belongs to the statement of that instant's month.
pub fn referral_qualified_at(
    referred_status: MentorStatus,
    first_payable_completed_session_at: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    first_payable_completed_session_at.filter(|_| referred_status == MentorStatus::Active)
}

/// The owner of a referral code, as the referral rules see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Referrer<'a> {
    pub mentor_id: Uuid,
    pub status: MentorStatus,
    pub email: &'a str,
}

/// A refused referral.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferralRefusal {
    #[error("no mentor has this referral code")]
    UnknownCode,
    #[error("the referral code belongs to a mentor who is not active")]
    ReferrerNotActive,
    #[error("a mentor cannot refer themselves")]
    SelfReferral,
    #[error("the referrer is set at application and never changed")]
    ReferrerCannotChange,
}

crate::refusal_codes!(ReferralRefusal {
    UnknownCode => "referral_code_unknown", InvalidField("referral_code");
    ReferrerNotActive => "referrer_not_active", InvalidField("referral_code");
    SelfReferral => "self_referral", InvalidField("referral_code");
    ReferrerCannotChange => "referrer_cannot_change", Conflict;
});

/// RULES.md, Money: at application, "the code must belong to an active mentor" and "No
/// self-referral" (the applicant has no id yet, so the same normalized email is the same person).
/// `code_owner` is the mentor the code belongs to, if any. Returns the referrer's id.
pub fn check_referral_code(
    applicant_email: &str,
    code_owner: Option<&Referrer<'_>>,
) -> Result<Uuid, ReferralRefusal> {
    let owner = code_owner.ok_or(ReferralRefusal::UnknownCode)?;
    if normalize_email(owner.email) == normalize_email(applicant_email) {
        return Err(ReferralRefusal::SelfReferral);
    }
    if owner.status != MentorStatus::Active {
        return Err(ReferralRefusal::ReferrerNotActive);
    }
    Ok(owner.mentor_id)
}

/// RULES.md, Money: "one referrer per mentor, set at application and never changed". Any update
/// that would set a different referrer (including adding one later or removing it) is refused.
pub fn check_referrer_change(
    current: Option<Uuid>,
    proposed: Option<Uuid>,
) -> Result<(), ReferralRefusal> {
    if current == proposed {
        Ok(())
    } else {
        Err(ReferralRefusal::ReferrerCannotChange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::Refusal;

    fn nth(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[test]
    fn thirty_for_the_first_three_then_fifty() {
        assert_eq!(referral_bonus(nth(1)).to_string(), "30.00");
        assert_eq!(referral_bonus(nth(3)).to_string(), "30.00");
        assert_eq!(referral_bonus(nth(4)).to_string(), "50.00");
        assert_eq!(referral_bonus(nth(100)).to_string(), "50.00");
    }

    #[test]
    fn a_referral_qualifies_once_active_with_a_payable_session() {
        let at: DateTime<Utc> = "2026-06-10T12:00:00Z".parse().unwrap();
        assert_eq!(
            referral_qualified_at(MentorStatus::Active, Some(at)),
            Some(at)
        );
        assert_eq!(referral_qualified_at(MentorStatus::Active, None), None);
        assert_eq!(
            referral_qualified_at(MentorStatus::Suspended, Some(at)),
            None
        );
    }

    #[test]
    fn codes_are_eight_readable_characters() {
        let code = referral_code([0, 31, 32, 255, 8, 14, 200, 100]);
        assert_eq!(code, "A9A9JQJE");
        assert!(!code.contains(['0', 'O', '1', 'I']));
    }

    #[test]
    fn abuse_is_refused() {
        let owner = Referrer {
            mentor_id: Uuid::from_u128(1),
            status: MentorStatus::Active,
            email: "ada@example.org",
        };
        assert_eq!(
            check_referral_code("grace@example.org", Some(&owner)),
            Ok(owner.mentor_id)
        );
        assert_eq!(
            check_referral_code(" ADA@example.org", Some(&owner)),
            Err(ReferralRefusal::SelfReferral)
        );
        assert_eq!(
            check_referral_code("grace@example.org", None),
            Err(ReferralRefusal::UnknownCode)
        );
        let gone = Referrer {
            status: MentorStatus::Offboarded,
            ..owner
        };
        assert_eq!(
            check_referral_code("grace@example.org", Some(&gone))
                .unwrap_err()
                .code(),
            "referrer_not_active"
        );
        let (a, b) = (Some(Uuid::from_u128(1)), Some(Uuid::from_u128(2)));
        assert_eq!(check_referrer_change(a, a), Ok(()));
        assert_eq!(
            check_referrer_change(a, b),
            Err(ReferralRefusal::ReferrerCannotChange)
        );
        assert_eq!(
            check_referrer_change(None, b),
            Err(ReferralRefusal::ReferrerCannotChange)
        );
    }
}
