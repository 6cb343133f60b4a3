//! Who may reach what: the checks handlers make before they act. RULES.md, "People and roles": a
//! mentor or student who asks for an object that is not theirs gets 404, as for an id that does
//! not exist; staff see everything.

use mentorship_domain::people::Role;
use mentorship_store::mentors::{self, Mentor};
use mentorship_store::sessions::{self, Session};
use mentorship_store::students::{self, Student};
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;

/// Staff only.
pub fn require_staff(principal: &Principal) -> Result<(), ApiError> {
    if !principal.role.is_staff() {
        return Err(ApiError::Forbidden("only staff may do this".into()));
    }
    Ok(())
}

/// A mentor the caller may see: staff see all, a mentor only themselves; 404 otherwise.
pub async fn visible_mentor(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<Mentor, ApiError> {
    if !principal.role.may_see_account(principal.is(id)) {
        return Err(ApiError::NotFound("mentor"));
    }
    Ok(mentors::get(&state.store, id).await?)
}

/// A student the caller may see: staff see all, a student themselves, a mentor the students
/// assigned to them now; 404 otherwise.
pub async fn visible_student(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<Student, ApiError> {
    let hidden = || ApiError::NotFound("student");
    if principal.role == Role::Student && !principal.is(id) {
        return Err(hidden());
    }
    let student = students::get(&state.store, id).await?;
    let visible = match principal.role {
        Role::Admin | Role::Manager | Role::Student => true,
        Role::Mentor => student.mentor_id == Some(principal.user_id),
    };
    if visible { Ok(student) } else { Err(hidden()) }
}

/// A session the caller may see: staff see all, a mentor or a student the sessions they are in;
/// 404 otherwise.
pub async fn visible_session(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<Session, ApiError> {
    let session = sessions::get(&state.store, id).await?;
    if principal.role.is_staff() || session.involves(principal.user_id) {
        Ok(session)
    } else {
        Err(ApiError::NotFound("session"))
    }
}
