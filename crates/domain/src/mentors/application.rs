//! Applying to mentor and the review of the application (RULES.md, "Becoming a mentor", 1-3).

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::{Event, Step};
use crate::mentors::status::{MentorStatus, OnboardingRefusal, require_reason};
use crate::policy::Policies;

/// RULES.md, Application: "legal status (`freelancer` | `company`)".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalStatus {
    Freelancer,
    Company,
}

impl LegalStatus {
    pub const ALL: [LegalStatus; 2] = [LegalStatus::Freelancer, LegalStatus::Company];
}

/// What the eligibility rules read from an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplicationFacts {
    pub professional_experience_years: u8,
    pub field_experience_years: u8,
    pub right_to_work_attested: bool,
}

/// An unmet eligibility rule, stored with an ineligible application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum UnmetRule {
    #[error("professional experience of {given} years, at least {required} needed")]
    ProfessionalExperienceTooShort { required: u8, given: u8 },
    #[error("experience in the path's field of {given} years, at least {required} needed")]
    FieldExperienceTooShort { required: u8, given: u8 },
    #[error("no attestation of being legally allowed to work in the country of residence")]
    RightToWorkNotAttested,
}

crate::refusal_codes!(UnmetRule {
    ProfessionalExperienceTooShort => "professional_experience_too_short", Conflict;
    FieldExperienceTooShort => "field_experience_too_short", Conflict;
    RightToWorkNotAttested => "right_to_work_not_attested", Conflict;
});

/// RULES.md, Becoming a mentor, 2. Eligibility *(policy)*: professional experience >= 4 years,
/// experience in the path's field >= 2 years, the attestation given. Returns the unmet rules
/// (empty: eligible).
pub fn eligibility(application: &ApplicationFacts, policies: &Policies) -> Vec<UnmetRule> {
    let mut unmet = Vec::new();
    let (required, given) = (
        policies.min_professional_experience_years,
        application.professional_experience_years,
    );
    if given < required {
        unmet.push(UnmetRule::ProfessionalExperienceTooShort { required, given });
    }
    let (required, given) = (
        policies.min_field_experience_years,
        application.field_experience_years,
    );
    if given < required {
        unmet.push(UnmetRule::FieldExperienceTooShort { required, given });
    }
    if !application.right_to_work_attested {
        unmet.push(UnmetRule::RightToWorkNotAttested);
    }
    unmet
}

/// RULES.md, Becoming a mentor, 1-2: an application is stored whatever its eligibility, with its
/// unmet rules (an ineligible one can only be rejected); the applicant is told it arrived.
pub fn receive_application(
    mentor_id: Uuid,
    application: &ApplicationFacts,
    policies: &Policies,
) -> Step<Vec<UnmetRule>> {
    let unmet = eligibility(application, policies);
    let eligible = unmet.is_empty();
    Step::new(
        unmet,
        [Event::ApplicationReceived {
            mentor_id,
            eligible,
        }],
    )
}

/// The zone of an applicant who gave none: the platform's (RULES.md, *(policy)*), in which the
/// program's dates are read until the mentor sets their own.
pub fn zone_or_default(given: Option<Tz>, policies: &Policies) -> Tz {
    given.unwrap_or(policies.platform_zone)
}

/// What accepting an application sets: the next status, and the manager who reviewed it, who
/// becomes the mentor's manager (RULES.md: "Each mentor has one manager").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acceptance {
    pub status: MentorStatus,
    pub manager_id: Uuid,
}

/// RULES.md, Eligibility: "An ineligible application ... can only be rejected". Accepting needs
/// the application to be `applied` and no unmet rule; the reviewer becomes the manager.
pub fn accept_application(
    mentor_id: Uuid,
    status: MentorStatus,
    unmet: &[UnmetRule],
    reviewer: Uuid,
) -> Result<Step<Acceptance>, OnboardingRefusal> {
    let next = status.transition(MentorStatus::Accepted)?;
    if !unmet.is_empty() {
        return Err(OnboardingRefusal::ApplicationIneligible {
            unmet: unmet.to_vec(),
        });
    }
    let accepted = Acceptance {
        status: next,
        manager_id: reviewer,
    };
    Ok(Step::new(
        accepted,
        [Event::ApplicationAccepted { mentor_id }],
    ))
}

/// RULES.md, Review: "a manager accepts or rejects (reason required on reject)".
pub fn reject_application(
    mentor_id: Uuid,
    status: MentorStatus,
    reason: &str,
) -> Result<Step<MentorStatus>, OnboardingRefusal> {
    let next = status.transition(MentorStatus::Rejected)?;
    require_reason(reason)?;
    let event = Event::ApplicationRejected {
        mentor_id,
        reason: reason.to_owned(),
    };
    Ok(Step::new(next, [event]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::Refusal;

    #[test]
    fn eligibility_lists_every_unmet_rule() {
        let policies = Policies::default();
        let ok = ApplicationFacts {
            professional_experience_years: 4,
            field_experience_years: 2,
            right_to_work_attested: true,
        };
        assert!(eligibility(&ok, &policies).is_empty());
        let weak = ApplicationFacts {
            professional_experience_years: 3,
            field_experience_years: 1,
            right_to_work_attested: false,
        };
        let codes: Vec<_> = eligibility(&weak, &policies)
            .iter()
            .map(Refusal::code)
            .collect();
        assert_eq!(
            codes,
            [
                "professional_experience_too_short",
                "field_experience_too_short",
                "right_to_work_not_attested"
            ]
        );
        let json = serde_json::to_string(&eligibility(&weak, &policies)[0]).unwrap();
        assert_eq!(
            json,
            r#"{"code":"professional_experience_too_short","required":4,"given":3}"#
        );
    }

    #[test]
    fn a_review_accepts_an_eligible_application_or_rejects_with_a_reason() {
        use MentorStatus::*;
        let (id, reviewer) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let unmet = [UnmetRule::RightToWorkNotAttested];
        let accepted = accept_application(id, Applied, &[], reviewer).unwrap();
        assert_eq!(
            accepted.outcome,
            Acceptance {
                status: Accepted,
                manager_id: reviewer
            }
        );
        assert_eq!(
            accepted.events,
            [Event::ApplicationAccepted { mentor_id: id }]
        );
        assert_eq!(
            accept_application(id, Applied, &unmet, reviewer)
                .unwrap_err()
                .code(),
            "application_ineligible"
        );
        assert_eq!(
            reject_application(id, Applied, " "),
            Err(OnboardingRefusal::ReasonRequired)
        );
        let rejected = reject_application(id, Applied, "too junior").unwrap();
        assert_eq!(rejected.outcome, Rejected);
        assert_eq!(rejected.events[0].told(), [id]);
        assert!(reject_application(id, Accepted, "late").is_err());
        let received = receive_application(
            id,
            &ApplicationFacts {
                professional_experience_years: 9,
                field_experience_years: 9,
                right_to_work_attested: true,
            },
            &Policies::default(),
        );
        assert!(received.outcome.is_empty());
        assert_eq!(
            received.events,
            [Event::ApplicationReceived {
                mentor_id: id,
                eligible: true
            }]
        );
        assert_eq!(
            zone_or_default(None, &Policies::default()),
            chrono_tz::Europe::Paris
        );
    }
}
