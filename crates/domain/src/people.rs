//! People and roles (RULES.md, "People and roles").

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a person is in the program; decides what they may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Manager,
    Mentor,
    Student,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Mentor, Role::Student];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Mentor => "mentor",
            Role::Student => "student",
        }
    }

    /// Staff steer the program: they see every mentor and student.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Manager)
    }

    /// Who may open an account for whom: admins open staff accounts. Mentors never come from
    /// here (they apply), nor students (staff enroll them with their path and rhythm).
    pub fn may_create(self, new_role: Role) -> bool {
        match (self, new_role) {
            // Mentors apply; students are enrolled with their path and rhythm.
            (_, Role::Mentor | Role::Student) => false,
            (Role::Admin, _) => true,
            _ => false,
        }
    }

    /// Who may edit another person's account (name, email, active flag).
    /// Admins edit anyone; managers edit students; everyone edits themselves.
    pub fn may_edit_account(self, own: bool, target: Role) -> bool {
        own || self == Role::Admin || (self == Role::Manager && target == Role::Student)
    }

    /// Who may see another person's account. Staff see everyone; others only themselves.
    pub fn may_see_account(self, own: bool) -> bool {
        own || self.is_staff()
    }

    /// Who writes the catalog of paths and projects.
    pub fn may_write_catalog(self) -> bool {
        self.is_staff()
    }

    /// RULES.md, Roles: the mentor owns their profile (bio, time zone, wanted students); staff
    /// see it but do not write it for them.
    pub fn may_edit_mentor_profile(self, own: bool) -> bool {
        own && self == Role::Mentor
    }

    /// The audit log holds every person's data before and after each change: admins read it.
    pub fn may_read_audit(self) -> bool {
        self == Role::Admin
    }

    /// RULES.md, Roles: "Each mentor has one manager"; staff, who steer the program, choose it.
    pub fn may_assign_manager(self) -> bool {
        self.is_staff()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// The form of an email address that identifies an account: trimmed and lower-cased, so that
/// `Ada@Example.com` and `ada@example.com` are one person.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A mentor's manager who is not one: not staff, or no longer active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be an active manager or admin")]
pub struct NotAManager;

crate::refusal_codes!(NotAManager => "not_a_manager", InvalidField("manager_id"));

/// RULES.md, Roles: "Each mentor has one manager", the person told of the mentor's absences and
/// reports: an active member of staff. `account` is the proposed manager's role and active flag,
/// `None` when there is no such account.
pub fn check_manager(account: Option<(Role, bool)>) -> Result<(), NotAManager> {
    match account {
        Some((role, true)) if role.is_staff() => Ok(()),
        _ => Err(NotAManager),
    }
}

/// Whether `actor` may switch a person's account on or off. Never their own (an admin could
/// lock everyone out); admins any other account, managers students'.
pub fn may_set_active(actor: Role, own: bool, target: Role) -> bool {
    !own && (actor == Role::Admin || (actor == Role::Manager && target == Role::Student))
}

/// What a one-time link sent by email is for: it sets the account's password either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    /// "Forgot my password": valid one hour.
    PasswordReset,
    /// A student's first password, after a manager enrolled them: valid 72 hours.
    Invitation,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::PasswordReset => "password_reset",
            LinkPurpose::Invitation => "invitation",
        }
    }

    /// How long a link stays usable after it is sent.
    pub fn validity(self) -> chrono::TimeDelta {
        match self {
            LinkPurpose::PasswordReset => chrono::TimeDelta::hours(1),
            LinkPurpose::Invitation => chrono::TimeDelta::hours(72),
        }
    }
}

/// What an API key may do, on top of what its owner may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "paths:read")]
    PathsRead,
    #[serde(rename = "paths:write")]
    PathsWrite,
    #[serde(rename = "users:read")]
    UsersRead,
    #[serde(rename = "users:write")]
    UsersWrite,
    #[serde(rename = "students:read")]
    StudentsRead,
    #[serde(rename = "students:write")]
    StudentsWrite,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Scope::PathsRead,
        Scope::PathsWrite,
        Scope::UsersRead,
        Scope::UsersWrite,
        Scope::StudentsRead,
        Scope::StudentsWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::PathsRead => "paths:read",
            Scope::PathsWrite => "paths:write",
            Scope::UsersRead => "users:read",
            Scope::UsersWrite => "users:write",
            Scope::StudentsRead => "students:read",
            Scope::StudentsWrite => "students:write",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}`")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentors_write_their_profile_and_staff_choose_their_manager() {
        assert!(Role::Mentor.may_edit_mentor_profile(true));
        assert!(!Role::Mentor.may_edit_mentor_profile(false));
        assert!(!Role::Admin.may_edit_mentor_profile(false));
        assert!(!Role::Manager.may_edit_mentor_profile(false));
        assert!(Role::Manager.may_assign_manager() && Role::Admin.may_assign_manager());
        assert!(!Role::Mentor.may_assign_manager() && !Role::Student.may_assign_manager());
    }

    #[test]
    fn a_manager_is_active_staff() {
        assert_eq!(check_manager(Some((Role::Manager, true))), Ok(()));
        assert_eq!(check_manager(Some((Role::Admin, true))), Ok(()));
        assert_eq!(
            check_manager(Some((Role::Manager, false))),
            Err(NotAManager)
        );
        assert_eq!(check_manager(Some((Role::Mentor, true))), Err(NotAManager));
        assert_eq!(check_manager(None), Err(NotAManager));
    }

    #[test]
    fn nobody_creates_a_mentor_directly() {
        for actor in Role::ALL {
            assert!(!actor.may_create(Role::Mentor));
        }
    }

    #[test]
    fn only_admins_open_accounts_and_only_staff_ones() {
        assert!(!Role::Manager.may_create(Role::Student));
        assert!(!Role::Admin.may_create(Role::Student));
        assert!(!Role::Manager.may_create(Role::Manager));
        assert!(!Role::Manager.may_create(Role::Admin));
        assert!(!Role::Student.may_create(Role::Student));
        assert!(Role::Admin.may_create(Role::Admin));
    }

    #[test]
    fn nobody_deactivates_themselves() {
        assert!(!may_set_active(Role::Admin, true, Role::Admin));
        assert!(may_set_active(Role::Admin, false, Role::Manager));
        assert!(may_set_active(Role::Manager, false, Role::Student));
        assert!(!may_set_active(Role::Manager, false, Role::Admin));
        assert_eq!(normalize_email("  Ada@Example.COM "), "ada@example.com");
    }

    #[test]
    fn roles_and_scopes_round_trip_through_text() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        for s in Scope::ALL {
            assert_eq!(s.as_str().parse::<Scope>(), Ok(s));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
