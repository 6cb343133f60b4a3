//! Weekly sessions: booked by the mentor (or staff) with an assigned student, one per student
//! per ISO week in the student's zone (the database's unique index decides a race), moved,
//! cancelled, given an outcome and notes. Staff see every session; a mentor or a student the
//! sessions they are in (404 for the others).

use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use mentorship_domain::people::Role;
use mentorship_domain::sessions::{CancelledBy, Outcome, SessionStatus};
use mentorship_store::sessions::{self, NewBooking, Session, SessionFilter, SessionKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::access::{require_staff, visible_session};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{Valid, ValidQuery};
use crate::paging::{List, PageQuery};
use crate::routes::{created, ok_with_etag};
use crate::state::AppState;

/// A session as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub student_id: Uuid,
    pub mentor_id: Uuid,
    /// The project worked on (its difficulty prices the session).
    pub project_id: Uuid,
    /// The start, in UTC.
    pub start: DateTime<Utc>,
    /// The end (exclusive), in UTC.
    pub end: DateTime<Utc>,
    /// Minutes: the student's session length.
    #[schema(example = 45, minimum = 30, maximum = 60)]
    pub length: u16,
    /// The ISO week of the start in the student's zone: the unit of "one session per week".
    #[schema(example = "2026-W49", pattern = r"^\d{4}-W\d{2}$")]
    pub week: String,
    /// The start as the student reads it: RFC 3339 with the offset of their zone.
    #[schema(example = "2026-12-03T18:00:00+01:00")]
    pub student_start: String,
    #[schema(example = "Europe/Paris")]
    pub student_time_zone: String,
    #[schema(example = "Linus Student")]
    pub student_name: String,
    /// The start as the mentor reads it.
    #[schema(example = "2026-12-03T12:00:00-05:00")]
    pub mentor_start: String,
    #[schema(example = "America/New_York")]
    pub mentor_time_zone: String,
    #[schema(example = "Grace Mentor")]
    pub mentor_name: String,
    #[schema(schema_with = crate::openapi::session_status_schema)]
    pub status: SessionStatus,
    /// The session this one was rescheduled from.
    pub replaces: Option<Uuid>,
    /// The session that replaced this one (status `rescheduled`).
    pub replaced_by: Option<Uuid>,
    /// When the outcome or the cancellation was recorded.
    pub status_at: Option<DateTime<Utc>>,
    /// The notes' summary, which the student reads.
    pub summary: Option<String>,
    /// The notes' private part: for the mentor and staff; always `null` for the student.
    pub private_note: Option<String>,
    /// When the notes were first written.
    pub notes_at: Option<DateTime<Utc>>,
    /// When the notes become late: the end of the day the session ends, in the mentor's zone.
    pub notes_due_at: DateTime<Utc>,
    /// The notes were first written after they were due.
    pub notes_late: bool,
    /// The hourly rate, frozen when the outcome (or cancellation) was recorded: the rate card's
    /// cell in force at the start. `null` before, and always for the student.
    #[schema(schema_with = crate::openapi::optional_money_schema)]
    pub rate: Option<mentorship_domain::money::Money>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An instant as read in `zone` (RFC 3339 with its offset); UTC when the zone is unknown.
fn local(at: DateTime<Utc>, zone: &str) -> String {
    zone.parse::<chrono_tz::Tz>()
        .map_or_else(|_| at.to_rfc3339(), |tz| at.with_timezone(&tz).to_rfc3339())
}

impl SessionView {
    /// The session as `viewer` may read it: a student never reads the private note nor the rate.
    pub fn for_viewer(s: Session, viewer: Role) -> Self {
        SessionView {
            id: s.id,
            student_id: s.student_id,
            mentor_id: s.mentor_id,
            project_id: s.project_id,
            start: s.start,
            end: s.end,
            length: s.length.minutes(),
            week: s.week.to_string(),
            student_start: local(s.start, &s.people.student_zone),
            student_time_zone: s.people.student_zone,
            student_name: s.people.student_name,
            mentor_start: local(s.start, &s.people.mentor_zone),
            mentor_time_zone: s.people.mentor_zone,
            mentor_name: s.people.mentor_name,
            status: s.status,
            replaces: s.replaces,
            replaced_by: s.replaced_by,
            status_at: s.status_at,
            summary: s.summary,
            private_note: s.private_note.filter(|_| viewer != Role::Student),
            notes_at: s.notes_at,
            notes_due_at: s.notes_due_at,
            notes_late: s.notes_late,
            rate: s.rate.filter(|_| viewer != Role::Student),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

fn answer(session: Session, principal: &Principal) -> HttpResponse {
    let version = session.version;
    ok_with_etag(version).json(SessionView::for_viewer(session, principal.role))
}

fn created_session(session: Session, principal: &Principal) -> HttpResponse {
    created(format!("/v1/sessions/{}", session.id), session.version)
        .json(SessionView::for_viewer(session, principal.role))
}

/// A session to book.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "student_id": "01964f7e-5a8b-7c3d-9e2f-1a2b3c4d5e6f",
    "start": "2026-12-03T18:00:00+01:00",
    "project_id": "01964f7e-5a8b-7c3d-9e2f-1a2b3c4d5e70"
}))]
pub struct BookSession {
    /// A student assigned to the mentor.
    pub student_id: Uuid,
    /// The start: RFC 3339 with any offset (stored in UTC, to the second).
    pub start: DateTime<Utc>,
    /// The project worked on: one of the student's path.
    pub project_id: Uuid,
}

/// Books a session with an assigned student, at the student's session length. The mentor books
/// their own; staff book with the student's current mentor. Every rule is checked at once
/// (a 409's `errors` lists each broken one); of two bookings of one student-week at once, one
/// wins and the other gets 409 `week_already_taken` naming the session that holds the week. The
/// other person (both, when staff book) is told.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["not_assigned", "mentor_not_active", "in_the_past",
        "weekday_not_allowed", "week_already_taken", "overlaps_other_session", "mentor_absent",
        "project_not_on_path"]))),
    tag = "sessions",
    security(("accessToken" = [])),
    request_body = BookSession,
    responses(
        (status = 201, description = "Booked", body = SessionView, headers(
            ("Location" = String, description = "The session's URL"),
            ("ETag" = String, description = "The session's version"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/sessions")]
pub async fn book(
    state: web::Data<AppState>,
    principal: Principal,
    Valid(body): Valid<BookSession>,
) -> Result<HttpResponse, ApiError> {
    let mentor_id = match principal.role {
        Role::Mentor => Some(principal.user_id),
        Role::Admin | Role::Manager => None,
        Role::Student => {
            return Err(ApiError::Forbidden(
                "sessions are booked by the mentor or staff".into(),
            ));
        }
    };
    let booking = NewBooking {
        student_id: body.student_id,
        mentor_id,
        project_id: body.project_id,
        start: body.start,
        by: principal.user_id,
    };
    let session = match sessions::book(&state.store, &booking, Utc::now()).await {
        // A mentor booking a student who is not theirs gets what any stranger gets.
        Err(mentorship_store::StoreError::NotFound(_)) => {
            return Err(ApiError::NotFound("student"));
        }
        other => other?,
    };
    Ok(created_session(session, &principal))
}

/// Which sessions a list shows, in start order.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct SessionQuery {
    /// Only this mentor's.
    pub mentor_id: Option<Uuid>,
    /// Only this student's.
    pub student_id: Option<Uuid>,
    /// Only sessions in this state.
    #[param(schema_with = crate::openapi::session_status_schema)]
    pub status: Option<SessionStatus>,
    /// Only sessions starting at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only sessions starting before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// Every session, in start order, filtered by mentor, student, state and time. Staff.
#[utoipa::path(
    tag = "sessions",
    security(("accessToken" = [])),
    params(SessionQuery, PageQuery),
    responses(
        (status = 200, description = "One page of sessions", body = List<SessionView>),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/sessions")]
pub async fn list_sessions(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(query): ValidQuery<SessionQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let filter = SessionFilter {
        mentor_id: query.mentor_id,
        student_id: query.student_id,
        status: query.status,
        from: query.from,
        to: query.to,
    };
    let page = sessions::list(&state.store, filter, page.request::<SessionKey>()?).await?;
    let role = principal.role;
    Ok(HttpResponse::Ok().json(List::from_page(page, |s| SessionView::for_viewer(s, role))))
}

/// Which of the caller's sessions to list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct MySessionQuery {
    /// Only sessions starting at or after this instant; default: now (upcoming sessions).
    pub from: Option<DateTime<Utc>>,
    /// Only sessions starting before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Only sessions in this state.
    #[param(schema_with = crate::openapi::session_status_schema)]
    pub status: Option<SessionStatus>,
}

/// The caller's own sessions (a mentor's or a student's), upcoming first: from now by default,
/// in start order. Mentors and students.
#[utoipa::path(
    tag = "sessions",
    security(("accessToken" = [])),
    params(MySessionQuery, PageQuery),
    responses(
        (status = 200, description = "One page of the caller's sessions", body = List<SessionView>),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/me/sessions")]
pub async fn my_sessions(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(query): ValidQuery<MySessionQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut filter = SessionFilter {
        status: query.status,
        from: Some(query.from.unwrap_or_else(Utc::now)),
        to: query.to,
        ..SessionFilter::default()
    };
    match principal.role {
        Role::Mentor => filter.mentor_id = Some(principal.user_id),
        Role::Student => filter.student_id = Some(principal.user_id),
        Role::Admin | Role::Manager => {
            return Err(ApiError::Forbidden(
                "only mentors and students have sessions; staff list them at /v1/sessions".into(),
            ));
        }
    }
    let page = sessions::list(&state.store, filter, page.request::<SessionKey>()?).await?;
    let role = principal.role;
    Ok(HttpResponse::Ok().json(List::from_page(page, |s| SessionView::for_viewer(s, role))))
}

/// The scheduled sessions that fall in an absence their mentor declared after they were booked:
/// each needs a new date (reschedule or cancel it). Staff see every mentor's, a mentor their
/// own. One page holds them all (`next_cursor` is `null`).
#[utoipa::path(
    tag = "sessions",
    security(("accessToken" = [])),
    responses(
        (status = 200, description = "The sessions needing a new date", body = List<SessionView>),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/sessions/needing-new-date")]
pub async fn needing_new_date(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let mentor = match principal.role {
        Role::Admin | Role::Manager => None,
        Role::Mentor => Some(principal.user_id),
        Role::Student => {
            return Err(ApiError::Forbidden(
                "mentors and staff move sessions".into(),
            ));
        }
    };
    let found = sessions::needing_new_date(&state.store, mentor, Utc::now()).await?;
    let role = principal.role;
    Ok(HttpResponse::Ok().json(List::whole(
        found
            .into_iter()
            .map(|s| SessionView::for_viewer(s, role))
            .collect(),
    )))
}

/// One session: staff, its mentor, its student.
#[utoipa::path(
    tag = "sessions",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The session's id")),
    responses(
        (status = 200, description = "The session", body = SessionView,
         headers(("ETag" = String, description = "The session's version"))),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/sessions/{id}")]
pub async fn get_session(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let session = visible_session(&state, &principal, *id).await?;
    Ok(answer(session, &principal))
}

/// A session its mentor (or staff) may change; its student gets 403, anyone else 404.
async fn mentors_session(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    what: &str,
) -> Result<Session, ApiError> {
    let session = visible_session(state, principal, id).await?;
    if principal.role.is_staff() || session.mentor_id == principal.user_id {
        Ok(session)
    } else {
        Err(ApiError::Forbidden(format!(
            "only the mentor and staff {what}"
        )))
    }
}

/// A new start for a session.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"start": "2026-12-04T18:00:00+01:00"}))]
pub struct Reschedule {
    /// RFC 3339 with any offset.
    #[schema(example = "2026-12-04T18:00:00+01:00")]
    pub start: DateTime<Utc>,
}

/// Moves a scheduled session that has not started: a new session at `start` (which follows every
/// booking rule; another week follows the weekly rule) replaces it, and the old one is kept,
/// `rescheduled`, with `replaced_by`. The other person is told. The mentor and staff.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["session_not_scheduled", "session_already_started",
        "not_assigned", "mentor_not_active", "in_the_past", "weekday_not_allowed",
        "week_already_taken", "overlaps_other_session", "mentor_absent", "project_not_on_path"]))),
    tag = "sessions",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The session to move")),
    request_body = Reschedule,
    responses(
        (status = 201, description = "The new session", body = SessionView, headers(
            ("Location" = String, description = "The new session's URL"),
            ("ETag" = String, description = "The new session's version"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/sessions/{id}/reschedule")]
pub async fn reschedule(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<Reschedule>,
) -> Result<HttpResponse, ApiError> {
    mentors_session(&state, &principal, *id, "move a session").await?;
    let session =
        sessions::reschedule(&state.store, *id, body.start, principal.user_id, Utc::now()).await?;
    Ok(created_session(session, &principal))
}

/// Whose side a cancellation counts on.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Student,
    Mentor,
}

/// A cancellation.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"on_behalf_of": "student"}))]
pub struct Cancel {
    /// Staff only, and required from them: on whose behalf (it decides who a late cancellation
    /// counts against). A mentor or a student cancels on their own behalf.
    pub on_behalf_of: Option<Side>,
}

/// The side a caller cancels on: their own, or (staff) the one they name.
fn side_of(principal: &Principal, asked: Option<Side>) -> Result<CancelledBy, ApiError> {
    let side = |s: Side| match s {
        Side::Student => CancelledBy::Student,
        Side::Mentor => CancelledBy::Mentor,
    };
    match (CancelledBy::for_role(principal.role), asked) {
        (Some(own), None) => Ok(own),
        (Some(_), Some(_)) => Err(ApiError::field(
            "on_behalf_of",
            "not_for_you",
            "only staff cancel on someone's behalf",
        )),
        (None, Some(asked)) => Ok(side(asked)),
        (None, None) => Err(ApiError::field(
            "on_behalf_of",
            "required",
            "say on whose behalf staff cancel: student or mentor",
        )),
    }
}

/// Cancels a scheduled session that has not started: 24 hours or more before the start it is
/// `cancelled` (the week is free again); less, `late_cancelled_by_student` (the week stays taken)
/// or `late_cancelled_by_mentor`. The other person is told. The mentor, the student, or staff
/// (on one's behalf).
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["session_not_scheduled", "session_already_started",
        "not_for_you", "required"]))),
    tag = "sessions",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The session's id")),
    request_body = Cancel,
    responses(
        (status = 200, description = "Cancelled", body = SessionView,
         headers(("ETag" = String, description = "The session's new version"))),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/sessions/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<Cancel>,
) -> Result<HttpResponse, ApiError> {
    let side = side_of(&principal, body.on_behalf_of)?;
    visible_session(&state, &principal, *id).await?;
    let session = sessions::cancel(&state.store, *id, side, principal.user_id, Utc::now()).await?;
    Ok(answer(session, &principal))
}

/// What happened in a session.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "completed"}))]
pub struct RecordOutcome {
    /// `completed`, or `student_no_show` (the student did not come within the first third).
    #[schema(schema_with = crate::openapi::outcome_schema)]
    pub outcome: Outcome,
}

/// Records the outcome of a session that has started: `completed`, or `student_no_show` once the
/// first third of it has passed. Once. The mentor and staff.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["session_not_scheduled", "session_not_started",
        "no_show_too_early"]))),
    tag = "sessions",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The session's id")),
    request_body = RecordOutcome,
    responses(
        (status = 200, description = "Recorded", body = SessionView,
         headers(("ETag" = String, description = "The session's new version"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/sessions/{id}/outcome")]
pub async fn record_outcome(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<RecordOutcome>,
) -> Result<HttpResponse, ApiError> {
    mentors_session(&state, &principal, *id, "record an outcome").await?;
    let session = sessions::record_session_outcome(
        &state.store,
        *id,
        body.outcome,
        principal.user_id,
        Utc::now(),
    )
    .await?;
    Ok(answer(session, &principal))
}

/// A session's notes.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"summary": "Reviewed the API design; next: tests.",
    "private_note": "Short on time this week."}))]
pub struct WriteNotes {
    /// What the student reads.
    #[schema(min_length = 1, max_length = 10000)]
    #[validate(length(min = 1, max = 10000, message = "must be 1 to 10000 characters"))]
    pub summary: String,
    /// For staff only; students never read it.
    #[schema(max_length = 10000)]
    #[validate(length(max = 10000, message = "must be at most 10000 characters"))]
    pub private_note: Option<String>,
}

/// Writes (or rewrites) the notes of a session with an outcome. Due by the end of the day the
/// session ends in the mentor's zone: notes first written later are flagged `notes_late` and the
/// mentor's manager is told. A completed session is paid only once its notes are written. The
/// mentor and staff.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["notes_need_an_outcome", "summary_required"]))),
    tag = "sessions",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The session's id")),
    request_body = WriteNotes,
    responses(
        (status = 200, description = "Written", body = SessionView,
         headers(("ETag" = String, description = "The session's new version"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[put("/sessions/{id}/notes")]
pub async fn write_notes(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<WriteNotes>,
) -> Result<HttpResponse, ApiError> {
    mentors_session(&state, &principal, *id, "write notes").await?;
    let session = sessions::write_notes(
        &state.store,
        *id,
        &body.summary,
        body.private_note.as_deref(),
        principal.user_id,
        Utc::now(),
    )
    .await?;
    Ok(answer(session, &principal))
}
