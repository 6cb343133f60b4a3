//! Erasing a person (RULES.md, "Personal data"): "Erasure anonymises the person and deletes their
//! files; statements and audit rows that must be kept for accounting keep amounts and dates, not
//! identity." When a person may be erased, the name they keep, and what is kept and why.

use serde::Serialize;
use uuid::Uuid;

use crate::mentors::MentorStatus;

/// Why a person cannot be erased yet. Each says what to do first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErasureRefusal {
    #[error("an admin cannot erase their own account; another admin does it")]
    Yourself,
    #[error("this person was already erased")]
    AlreadyErased,
    #[error("the mentor is still {}: offboard them first, which hands their students on", .0.as_str())]
    MentorInProgram(MentorStatus),
    #[error("{0} session(s) are still booked ahead: cancel them first")]
    SessionsAhead(i64),
    #[error("{0} statement(s) are not paid yet: the mentor is owed money until they are")]
    StatementsUnpaid(i64),
    #[error("{0} mentor(s) still have this person as manager: give them another one first")]
    ManagesMentors(i64),
}

crate::refusal_codes!(ErasureRefusal {
    Yourself => "erasure_of_yourself", Conflict;
    AlreadyErased => "already_erased", Conflict;
    MentorInProgram => "mentor_not_offboarded", Conflict;
    SessionsAhead => "sessions_ahead", Conflict;
    StatementsUnpaid => "statements_unpaid", Conflict;
    ManagesMentors => "manages_mentors", Conflict;
});

/// Where a person stands in the program, as read in the erasing transaction.
#[derive(Debug, Clone, Default)]
pub struct Standing {
    pub erasing_yourself: bool,
    pub already_erased: bool,
    /// The mentor's status, for a mentor.
    pub mentor_status: Option<MentorStatus>,
    /// Sessions still scheduled ahead, as mentor or as student.
    pub sessions_ahead: i64,
    /// The mentor's statements issued but not yet paid.
    pub statements_unpaid: i64,
    /// Mentors still in the program (not rejected nor offboarded) this person manages.
    pub mentors_managed: i64,
}

/// Every reason the person cannot be erased now, or `Ok`. A person is erased once they are out
/// of the program: nobody is owed a session by them, money is owed to nobody, nobody depends on
/// them; the erasure cannot be undone, so it waits for all that rather than break it.
pub fn check(standing: &Standing) -> Result<(), Vec<ErasureRefusal>> {
    if standing.already_erased {
        return Err(vec![ErasureRefusal::AlreadyErased]);
    }
    let mut refusals = Vec::new();
    if standing.erasing_yourself {
        refusals.push(ErasureRefusal::Yourself);
    }
    if let Some(status @ (MentorStatus::Active | MentorStatus::Suspended)) = standing.mentor_status
    {
        refusals.push(ErasureRefusal::MentorInProgram(status));
    }
    if standing.sessions_ahead > 0 {
        refusals.push(ErasureRefusal::SessionsAhead(standing.sessions_ahead));
    }
    if standing.statements_unpaid > 0 {
        refusals.push(ErasureRefusal::StatementsUnpaid(standing.statements_unpaid));
    }
    if standing.mentors_managed > 0 {
        refusals.push(ErasureRefusal::ManagesMentors(standing.mentors_managed));
    }
    crate::refusal::none_or_all(refusals)
}

/// The name an erased person goes by: the same for everyone but for a part of their id, so that
/// staff can still tell two erased people apart in a list.
pub fn pseudonym(person: Uuid) -> String {
    let id = person.simple().to_string();
    format!("Erased person {}", &id[id.len() - 8..])
}

/// The email an erased account keeps: unique (the column is) and undeliverable (`.invalid` is
/// reserved for that, RFC 2606).
pub fn pseudonymous_email(person: Uuid) -> String {
    format!("erased-{}@erased.invalid", person.simple())
}

/// What an erasure keeps, and why. Everything else personal is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kept {
    Account,
    Statements,
    CriminalRecordCheck,
    Documents,
    Sessions,
    Assignments,
    Referrals,
    Contract,
    AuditLog,
}

impl Kept {
    pub const ALL: [Kept; 9] = [
        Kept::Account,
        Kept::Statements,
        Kept::CriminalRecordCheck,
        Kept::Documents,
        Kept::Sessions,
        Kept::Assignments,
        Kept::Referrals,
        Kept::Contract,
        Kept::AuditLog,
    ];

    /// Why it is kept, and what of it.
    pub fn reason(self) -> &'static str {
        match self {
            Kept::Account => {
                "The account row, under a pseudonym, with its role and dates: the records kept \
                 below refer to it. It can no longer be used to log in."
            }
            Kept::Statements => {
                "Statements with their numbers, lines, amounts, dates and payment references: \
                 accounting records, kept ten years (French Commercial Code, art. L123-22). They \
                 name the mentor by id only."
            }
            Kept::CriminalRecordCheck => {
                "That the criminal record extract was verified, and when: the school must be able \
                 to show the check was made (RULES.md). The file was deleted at verification."
            }
            Kept::Documents => {
                "The kind, status and dates of each onboarding document; every file is deleted."
            }
            Kept::Sessions => {
                "Sessions' dates, lengths, outcomes and rates, without their notes: they are the \
                 items statements pay, and part of the other person's history."
            }
            Kept::Assignments => {
                "Which mentor followed which student and when, by id: the other person's history."
            }
            Kept::Referrals => {
                "Referral qualifications and their dates: each is a money item on a statement."
            }
            Kept::Contract => "When the contract was signed; the typed name is removed.",
            Kept::AuditLog => {
                "Who did what and when, by id, with ids, statuses, amounts and dates. The names, \
                 emails and texts of the rows about the person can no longer be read by anyone: \
                 their key is deleted."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::Refusal;

    #[test]
    fn a_person_out_of_the_program_may_be_erased() {
        let standing = Standing {
            mentor_status: Some(MentorStatus::Offboarded),
            ..Standing::default()
        };
        assert_eq!(check(&standing), Ok(()));
    }

    #[test]
    fn every_tie_to_the_program_is_named_at_once() {
        let standing = Standing {
            erasing_yourself: true,
            mentor_status: Some(MentorStatus::Active),
            sessions_ahead: 2,
            statements_unpaid: 1,
            mentors_managed: 3,
            ..Standing::default()
        };
        let codes: Vec<&str> = check(&standing)
            .unwrap_err()
            .iter()
            .map(Refusal::code)
            .collect();
        assert_eq!(
            codes,
            [
                "erasure_of_yourself",
                "mentor_not_offboarded",
                "sessions_ahead",
                "statements_unpaid",
                "manages_mentors"
            ]
        );
    }

    #[test]
    fn an_erasure_happens_once() {
        let standing = Standing {
            already_erased: true,
            sessions_ahead: 1,
            ..Standing::default()
        };
        assert_eq!(check(&standing), Err(vec![ErasureRefusal::AlreadyErased]));
    }

    #[test]
    fn pseudonyms_tell_erased_people_apart_and_hold_nothing_of_them() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_ne!(pseudonym(a), pseudonym(b));
        assert!(pseudonym(a).starts_with("Erased person "));
        assert!(pseudonymous_email(a).ends_with("@erased.invalid"));
        assert_ne!(pseudonymous_email(a), pseudonymous_email(b));
    }
}
