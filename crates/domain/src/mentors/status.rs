//! The mentor's state machine (RULES.md, "States"), and the status changes staff make.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::{Event, Step};
use crate::mentors::{DocumentKind, UnmetRule};

/// The states of a mentor, from application to offboarding (RULES.md, "States").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MentorStatus {
    Applied,
    Accepted,
    Rejected,
    ContractReady,
    Active,
    Suspended,
    Offboarded,
}

impl MentorStatus {
    pub const ALL: [MentorStatus; 7] = [
        MentorStatus::Applied,
        MentorStatus::Accepted,
        MentorStatus::Rejected,
        MentorStatus::ContractReady,
        MentorStatus::Active,
        MentorStatus::Suspended,
        MentorStatus::Offboarded,
    ];

    /// The status as stored and sent: its snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            MentorStatus::Applied => "applied",
            MentorStatus::Accepted => "accepted",
            MentorStatus::Rejected => "rejected",
            MentorStatus::ContractReady => "contract_ready",
            MentorStatus::Active => "active",
            MentorStatus::Suspended => "suspended",
            MentorStatus::Offboarded => "offboarded",
        }
    }

    /// RULES.md, States: `applied -> accepted | rejected`, `accepted -> contract_ready -> active`,
    /// `active <-> suspended`, `active | suspended -> offboarded`. Nothing else.
    pub fn may_become(self, to: MentorStatus) -> bool {
        use MentorStatus::*;
        matches!(
            (self, to),
            (Applied, Accepted)
                | (Applied, Rejected)
                | (Accepted, ContractReady)
                | (ContractReady, Active)
                | (Active, Suspended)
                | (Suspended, Active)
                | (Active, Offboarded)
                | (Suspended, Offboarded)
        )
    }

    /// RULES.md, States: "A transition not in this list is refused with 409 and the reason".
    /// Checks the edge only; the guarded steps have their own functions below.
    pub fn transition(self, to: MentorStatus) -> Result<MentorStatus, OnboardingRefusal> {
        if self.may_become(to) {
            Ok(to)
        } else {
            Err(OnboardingRefusal::TransitionNotAllowed { from: self, to })
        }
    }
}

/// A refused onboarding step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OnboardingRefusal {
    #[error("a mentor cannot go from {from:?} to {to:?}")]
    TransitionNotAllowed {
        from: MentorStatus,
        to: MentorStatus,
    },
    #[error("an ineligible application can only be rejected")]
    ApplicationIneligible { unmet: Vec<UnmetRule> },
    #[error("a reason is required")]
    ReasonRequired,
    #[error("every document must be verified first")]
    DocumentsNotVerified { missing: Vec<DocumentKind> },
    #[error("the typed name does not match the mentor's full name")]
    SignatureMismatch,
    #[error("the contract terms must be accepted")]
    TermsNotAccepted,
    #[error("the contract is ready once all four documents are verified")]
    ContractNotReady,
}

crate::refusal_codes!(OnboardingRefusal {
    TransitionNotAllowed => "transition_not_allowed", Conflict;
    ApplicationIneligible => "application_ineligible", Conflict;
    ReasonRequired => "reason_required", InvalidField("reason");
    DocumentsNotVerified => "documents_not_verified", Conflict;
    SignatureMismatch => "signature_mismatch", Conflict;
    TermsNotAccepted => "terms_not_accepted", Conflict;
    ContractNotReady => "contract_not_ready", Conflict;
});

/// RULES.md, States: `active <-> suspended`, `active | suspended -> offboarded`: the moves staff
/// make, each with the reason they give. Nothing else is a staff move: a mentor becomes active
/// by signing, never by a reinstatement.
pub fn staff_move(
    mentor_id: Uuid,
    from: MentorStatus,
    to: MentorStatus,
    reason: &str,
) -> Result<Step<MentorStatus>, OnboardingRefusal> {
    use MentorStatus::*;
    let reason_text = reason.to_owned();
    let event = match (from, to) {
        (Active, Suspended) => Event::MentorSuspended {
            mentor_id,
            reason: reason_text,
        },
        (Suspended, Active) => Event::MentorReinstated {
            mentor_id,
            reason: reason_text,
        },
        (Active | Suspended, Offboarded) => Event::MentorOffboarded {
            mentor_id,
            reason: reason_text,
        },
        _ => return Err(OnboardingRefusal::TransitionNotAllowed { from, to }),
    };
    require_reason(reason)?;
    Ok(Step::new(to, [event]))
}

pub(crate) fn require_reason(reason: &str) -> Result<(), OnboardingRefusal> {
    if reason.trim().is_empty() {
        Err(OnboardingRefusal::ReasonRequired)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::Refusal;

    #[test]
    fn the_state_machine_allows_exactly_the_listed_transitions() {
        use MentorStatus::*;
        let all = MentorStatus::ALL;
        let allowed = [
            (Applied, Accepted),
            (Applied, Rejected),
            (Accepted, ContractReady),
            (ContractReady, Active),
            (Active, Suspended),
            (Suspended, Active),
            (Active, Offboarded),
            (Suspended, Offboarded),
        ];
        for from in all {
            for to in all {
                let expected = allowed.contains(&(from, to));
                assert_eq!(from.transition(to).is_ok(), expected, "{from:?} -> {to:?}");
                if !expected {
                    assert_eq!(
                        from.transition(to).unwrap_err().code(),
                        "transition_not_allowed"
                    );
                }
            }
        }
    }

    #[test]
    fn statuses_are_named_as_serde_names_them() {
        for status in MentorStatus::ALL {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
    }

    #[test]
    fn staff_move_mentors_between_active_suspended_and_offboarded_only() {
        use MentorStatus::*;
        let id = Uuid::nil();
        let moved = staff_move(id, Active, Suspended, "holidays").unwrap();
        assert_eq!(moved.outcome, Suspended);
        assert_eq!(moved.events[0].kind(), "mentor_suspended");
        assert_eq!(
            staff_move(id, Suspended, Active, "back").unwrap().outcome,
            Active
        );
        assert_eq!(
            staff_move(id, Suspended, Offboarded, "left")
                .unwrap()
                .outcome,
            Offboarded
        );
        for (from, to) in [
            (ContractReady, Active),
            (Applied, Active),
            (Offboarded, Active),
            (Accepted, Suspended),
        ] {
            assert_eq!(
                staff_move(id, from, to, "no").unwrap_err().code(),
                "transition_not_allowed",
                "{from:?} -> {to:?}"
            );
        }
        assert_eq!(
            staff_move(id, Active, Suspended, " ").unwrap_err().code(),
            "reason_required"
        );
    }
}
