//! The contract (RULES.md, "Becoming a mentor", 4): ready once the four documents are verified,
//! signed by the mentor typing their full name, which makes them active.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::events::{Event, Step};
use crate::mentors::documents::DocumentChecklist;
use crate::mentors::status::{MentorStatus, OnboardingRefusal};

/// RULES.md, Contract: "when all four documents are verified, the contract is ready".
pub fn contract_ready(
    mentor_id: Uuid,
    status: MentorStatus,
    documents: &DocumentChecklist,
) -> Result<Step<MentorStatus>, OnboardingRefusal> {
    let next = status.transition(MentorStatus::ContractReady)?;
    let missing = documents.not_verified();
    if !missing.is_empty() {
        return Err(OnboardingRefusal::DocumentsNotVerified { missing });
    }
    Ok(Step::new(next, [Event::ContractReady { mentor_id }]))
}

/// The state a review leaves an accepted applicant in: `Some` (contract ready) when it verified
/// the last of the four documents, `None` while some remain. Decided on the checklist as it is
/// after the review, under the same lock, so that four reviews at once make it ready once.
pub fn after_review(
    mentor_id: Uuid,
    status: MentorStatus,
    documents: &DocumentChecklist,
) -> Option<Step<MentorStatus>> {
    if status != MentorStatus::Accepted {
        return None;
    }
    contract_ready(mentor_id, status, documents).ok()
}

/// What signing sets: the mentor is active from the signature's instant, with the name they
/// typed and their referral code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub status: MentorStatus,
    pub signed_at: DateTime<Utc>,
    pub signed_name: String,
    pub referral_code: String,
}

/// RULES.md, Contract: "the mentor signs by typing their full name and accepting. Signing makes
/// the mentor active and sends the onboarding message". Names compare ignoring case and extra
/// spaces. `referral_code` is the code the new mentor gets ([`crate::referrals::referral_code`]).
pub fn sign_contract(
    mentor_id: Uuid,
    status: MentorStatus,
    full_name: &str,
    typed_name: &str,
    terms_accepted: bool,
    referral_code: String,
    now: DateTime<Utc>,
) -> Result<Step<Signature>, OnboardingRefusal> {
    let next = status.transition(MentorStatus::Active)?;
    if normalized_name(full_name) != normalized_name(typed_name) || typed_name.trim().is_empty() {
        return Err(OnboardingRefusal::SignatureMismatch);
    }
    if !terms_accepted {
        return Err(OnboardingRefusal::TermsNotAccepted);
    }
    let event = Event::MentorActivated {
        mentor_id,
        referral_code: referral_code.clone(),
    };
    let signature = Signature {
        status: next,
        signed_at: now,
        signed_name: typed_name.trim().to_owned(),
        referral_code,
    };
    Ok(Step::new(signature, [event]))
}

/// Where a mentor's contract stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractState {
    /// All four documents are verified; the mentor may sign.
    Ready,
    /// The mentor signed it (whatever their status since).
    Signed,
}

/// RULES.md, Contract: the contract exists once all four documents are verified (status
/// `contract_ready`), and stays readable, as signed, after the mentor signed it.
pub fn contract_state(
    status: MentorStatus,
    signed: bool,
) -> Result<ContractState, OnboardingRefusal> {
    match (status, signed) {
        (_, true) => Ok(ContractState::Signed),
        (MentorStatus::ContractReady, false) => Ok(ContractState::Ready),
        _ => Err(OnboardingRefusal::ContractNotReady),
    }
}

fn normalized_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mentors::{DocumentKind, DocumentStatus};
    use crate::refusal::Refusal;

    #[test]
    fn the_contract_exists_from_contract_ready_and_stays_once_signed() {
        use MentorStatus::*;
        assert_eq!(
            contract_state(ContractReady, false),
            Ok(ContractState::Ready)
        );
        for status in [Active, Suspended, Offboarded] {
            assert_eq!(contract_state(status, true), Ok(ContractState::Signed));
        }
        for status in [Applied, Accepted, Rejected, Active] {
            assert_eq!(
                contract_state(status, false),
                Err(OnboardingRefusal::ContractNotReady)
            );
        }
    }

    #[test]
    fn the_fourth_verified_document_makes_the_contract_ready() {
        use MentorStatus::*;
        let id = Uuid::from_u128(1);
        let partial = DocumentChecklist::new([(DocumentKind::Identity, DocumentStatus::Verified)]);
        assert_eq!(partial.not_verified().len(), 3);
        assert_eq!(
            contract_ready(id, Accepted, &partial).unwrap_err().code(),
            "documents_not_verified"
        );
        assert_eq!(after_review(id, Accepted, &partial), None);
        let all =
            DocumentChecklist::new(DocumentKind::ALL.map(|kind| (kind, DocumentStatus::Verified)));
        let ready = after_review(id, Accepted, &all).unwrap();
        assert_eq!(ready.outcome, ContractReady);
        assert_eq!(ready.events, [Event::ContractReady { mentor_id: id }]);
        assert_eq!(after_review(id, ContractReady, &all), None);
    }

    #[test]
    fn signing_needs_the_full_name_and_the_terms() {
        use MentorStatus::*;
        let id = Uuid::from_u128(1);
        let now: DateTime<Utc> = "2026-06-01T10:00:00Z".parse().unwrap();
        let sign = |status, full: &str, typed: &str, terms| {
            sign_contract(id, status, full, typed, terms, "K7QX2M9A".into(), now)
        };
        let signed = sign(ContractReady, "Ada  Lovelace", " ada lovelace ", true).unwrap();
        assert_eq!(signed.outcome.status, Active);
        assert_eq!(signed.outcome.signed_at, now);
        assert_eq!(signed.outcome.signed_name, "ada lovelace");
        assert_eq!(
            signed.events,
            [Event::MentorActivated {
                mentor_id: id,
                referral_code: "K7QX2M9A".into()
            }]
        );
        assert_eq!(
            sign(ContractReady, "Ada Lovelace", "Ada", true),
            Err(OnboardingRefusal::SignatureMismatch)
        );
        assert_eq!(
            sign(ContractReady, "Ada Lovelace", "Ada Lovelace", false),
            Err(OnboardingRefusal::TermsNotAccepted)
        );
        assert!(sign(Accepted, "Ada Lovelace", "Ada Lovelace", true).is_err());
    }
}
