//! Erasing a person (GDPR article 17; RULES.md, "Personal data"): an admin erases a person who
//! is out of the program. The answer says what was kept, and why.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Utc};
use mentorship_domain::erasure::Kept;
use mentorship_domain::people::Role;
use mentorship_store::{erasure, users};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;
use crate::throttle;

/// A kind of record kept after the erasure, how many, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeptView {
    #[schema(schema_with = crate::openapi::kept_record_schema)]
    pub record: Kept,
    /// How many records of this kind stay.
    #[schema(example = 12)]
    pub count: i64,
    #[schema(
        example = "Statements with their numbers, lines, amounts, dates and payment references: accounting records, kept ten years (French Commercial Code, art. L123-22). They name the mentor by id only."
    )]
    pub reason: String,
}

/// What an erasure did.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "user_id": "0190b2a4-7c3e-7d2a-9a55-3f1e2b4c5d6e",
    "pseudonym": "Erased person 2b4c5d6e",
    "erased_at": "2026-12-01T09:30:00Z",
    "files_deleted": 3,
    "kept": [
        {"record": "account", "count": 1, "reason": "The account row, under a pseudonym, with its role and dates: the records kept below refer to it. It can no longer be used to log in."},
        {"record": "statements", "count": 12, "reason": "Statements with their numbers, lines, amounts, dates and payment references: accounting records, kept ten years (French Commercial Code, art. L123-22). They name the mentor by id only."}
    ]
}))]
pub struct ErasureView {
    pub user_id: Uuid,
    /// The name the account goes by from now on.
    pub pseudonym: String,
    pub erased_at: DateTime<Utc>,
    /// The person's document files deleted.
    pub files_deleted: usize,
    /// What stays, by id and without the person's name, email or texts.
    pub kept: Vec<KeptView>,
}

/// Erases a person: their name and email are replaced by a pseudonym, they can no longer log in
/// (every session, API key, link and calendar feed ends), their document files are deleted, and
/// the texts written by or about them (profile, notes of their sessions, difficulty reports,
/// reasons, the typed contract name) are removed, as is their name from the notifications and
/// emails others received. Kept, by id: the records the answer lists (statements and amounts for
/// accounting, the fact a criminal record check passed, sessions' dates and outcomes, the audit
/// log without the person's personal fields). Admins only; an admin cannot erase themselves.
///
/// Refused (409, every reason at once) while the person is still in the program: a mentor not
/// yet offboarded, sessions booked ahead, statements not paid, mentors they still manage. A
/// student's current assignment ends. Cannot be undone; a second erasure is `already_erased`.
/// Notifies nobody (the person has no address any more); audited as `user.erased`.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["erasure_of_yourself", "already_erased",
        "mentor_not_offboarded", "sessions_ahead", "statements_unpaid", "manages_mentors"]))),
    tag = "users",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The person's account id")),
    responses(
        (status = 200, description = "Erased; what was kept and why", body = ErasureView),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/users/{id}/erasure")]
pub async fn erase_person(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    if principal.role != Role::Admin {
        return Err(ApiError::Forbidden("admins erase people".into()));
    }
    let person = users::get(&state.store, *id).await?;
    let keys = throttle::keys_of_account(&person.email);
    let erased = erasure::erase(&state.store, person.id, principal.user_id, &keys).await?;
    state.sessions.forget(person.id);
    for key in &erased.files_to_delete {
        state.files.delete(key).await?;
    }
    Ok(HttpResponse::Ok().json(ErasureView {
        user_id: erased.user_id,
        pseudonym: erased.pseudonym,
        erased_at: erased.erased_at,
        files_deleted: erased.files_to_delete.len(),
        kept: erased
            .kept
            .into_iter()
            .map(|(record, count)| KeptView {
                record,
                count,
                reason: record.reason().to_owned(),
            })
            .collect(),
    }))
}
