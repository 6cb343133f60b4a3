//! Students: enrolled by staff (or a script with `students:write`), one at a time or a cohort at
//! once; their progress on each project of their path; their assignment to a mentor, by hand or
//! by the automatic rule. Staff see every student, a mentor their own students, a student
//! themselves; anyone else gets 404.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, Utc, Weekday};
use mentorship_domain::people::{LinkPurpose, Role, normalize_email};
use mentorship_domain::students::{ProjectProgress, check_student};
use mentorship_domain::weeks::AllowedWeekdays;
use mentorship_store::assignments::{self, Assignment, Choice};
use mentorship_store::students::{
    self, Invitation, NewStudent, Progress, Student, StudentChanges, StudentFilter,
};
use mentorship_store::{Found, StoreError, catalog};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::access::{require_staff, visible_student};
use crate::auth::{LINK_PREFIX, Principal, new_secret};
use crate::error::{ApiError, Problem};
use crate::extract::{Valid, ValidQuery, if_match};
use crate::paging::{List, PageQuery};
use crate::routes::{created, ok_with_etag};
use crate::state::AppState;

/// A student as the API shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudentView {
    pub id: Uuid,
    #[schema(example = "Linus Student")]
    pub name: String,
    #[schema(example = "linus@example.com", format = Email)]
    pub email: String,
    pub path_id: Uuid,
    /// The project the student works on now.
    pub project_id: Uuid,
    #[schema(example = "Europe/Paris")]
    pub time_zone: String,
    /// Minutes per weekly session: 30, 45 or 60.
    #[schema(example = 45, minimum = 30, maximum = 60)]
    pub session_length: u16,
    /// The weekdays the student's funding allows sessions on, in week order.
    #[schema(schema_with = crate::openapi::weekdays_schema)]
    pub allowed_weekdays: AllowedWeekdays,
    /// The current mentor; `null` while unassigned.
    pub mentor_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Student> for StudentView {
    fn from(s: Student) -> Self {
        StudentView {
            id: s.id,
            name: s.name,
            email: s.email,
            path_id: s.path_id,
            project_id: s.project_id,
            time_zone: s.time_zone,
            session_length: s.session_length.minutes(),
            allowed_weekdays: s.allowed_weekdays,
            mentor_id: s.mentor_id,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A student to enroll. They set their password through the link emailed to them.
// Serialize: the validator copies a refused value into its error.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Linus Student", "email": "linus@example.com",
    "path_id": "01964f7e-5a8b-7c3d-9e2f-1a2b3c4d5e6f", "project_id": "01964f7e-5a8b-7c3d-9e2f-1a2b3c4d5e70",
    "time_zone": "Europe/Paris", "session_length": 45, "allowed_weekdays": ["monday", "thursday"]
}))]
pub struct EnrollStudent {
    #[schema(min_length = 1, max_length = 120)]
    #[validate(length(min = 1, max = 120))]
    pub name: String,
    #[schema(format = Email, max_length = 254)]
    #[validate(
        email(code = "invalid_email", message = "must be an email address"),
        length(max = 254)
    )]
    pub email: String,
    pub path_id: Uuid,
    /// The project the student starts on: one of the path's.
    pub project_id: Uuid,
    /// An IANA time zone; the student's weeks and weekdays are read in it.
    #[schema(max_length = 64)]
    #[validate(length(max = 64))]
    pub time_zone: String,
    #[schema(minimum = 30, maximum = 60)]
    pub session_length: u16,
    /// Default: all seven days.
    #[schema(schema_with = crate::openapi::weekday_list_schema)]
    pub allowed_weekdays: Option<Vec<WeekdayName>>,
}

/// A weekday by its lowercase English name.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeekdayName {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl From<WeekdayName> for Weekday {
    fn from(day: WeekdayName) -> Weekday {
        match day {
            WeekdayName::Monday => Weekday::Mon,
            WeekdayName::Tuesday => Weekday::Tue,
            WeekdayName::Wednesday => Weekday::Wed,
            WeekdayName::Thursday => Weekday::Thu,
            WeekdayName::Friday => Weekday::Fri,
            WeekdayName::Saturday => Weekday::Sat,
            WeekdayName::Sunday => Weekday::Sun,
        }
    }
}

fn days(names: &[WeekdayName]) -> Vec<Weekday> {
    names.iter().copied().map(Weekday::from).collect()
}

/// A cohort to enroll at once.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"students": [{
    "name": "Linus Student", "email": "linus@example.com",
    "path_id": "01964f7e-5a8b-7c3d-9e2f-1a2b3c4d5e6f", "project_id": "01964f7e-5a8b-7c3d-9e2f-1a2b3c4d5e70",
    "time_zone": "Europe/Paris", "session_length": 45, "allowed_weekdays": ["monday", "thursday"]
}]}))]
pub struct EnrollCohort {
    /// 1 to 500 students.
    #[schema(min_items = 1, max_items = 500)]
    #[validate(custom(function = "cohort_size"))]
    pub students: Vec<EnrollStudent>,
}

/// The most students one cohort request enrolls.
pub const COHORT_LIMIT: usize = 500;

/// The largest cohort body: 500 students of up to 2 KiB each.
pub const COHORT_BODY_BYTES: usize = COHORT_LIMIT * 2048;

/// Field rule: a cohort holds 1 to 500 students (each student is checked on its own, so one bad
/// student does not refuse the cohort).
fn cohort_size(students: &[EnrollStudent]) -> Result<(), validator::ValidationError> {
    if (1..=COHORT_LIMIT).contains(&students.len()) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("cohort_size")
            .with_message("must hold 1 to 500 students".into()))
    }
}

/// What became of one student of a cohort.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolledItem {
    /// The student's place in the request, from 0.
    pub index: usize,
    /// 201 when enrolled, otherwise the status of `problem`.
    #[schema(example = 201)]
    pub status: u16,
    /// The enrolled student; `null` when refused.
    pub student: Option<StudentView>,
    /// Why the student was not enrolled; `null` when enrolled.
    pub problem: Option<Problem>,
}

/// The answer to a cohort: one item per student, in the request's order.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolledCohort {
    pub enrolled: usize,
    pub refused: usize,
    pub items: Vec<EnrolledItem>,
}

/// What enrollment reads of the catalog, each path and project once per request: a cohort of 500
/// on one path reads it once, not 500 times.
#[derive(Default)]
struct Catalog {
    paths: HashMap<Uuid, bool>,
    /// A project's path; `None` for a project that does not exist.
    projects: HashMap<Uuid, Option<Uuid>>,
}

impl Catalog {
    async fn path_exists(&mut self, state: &AppState, id: Uuid) -> Result<bool, ApiError> {
        if let Some(known) = self.paths.get(&id) {
            return Ok(*known);
        }
        let exists = catalog::get_path(&state.store, id).await.found()?.is_some();
        self.paths.insert(id, exists);
        Ok(exists)
    }

    /// Whether `project_id` is a project of `path_id`.
    async fn on_path(
        &mut self,
        state: &AppState,
        project_id: Uuid,
        path_id: Uuid,
    ) -> Result<bool, ApiError> {
        let path = match self.projects.get(&project_id) {
            Some(path) => *path,
            None => {
                let project = catalog::get_project(&state.store, project_id).await;
                let path = project.found()?.map(|p| p.path_id);
                self.projects.insert(project_id, path);
                path
            }
        };
        Ok(path == Some(path_id))
    }
}

/// Checks a student to enroll against the program's rules (the catalog is read for the path
/// and its project); every broken rule at once.
async fn checked(
    state: &AppState,
    catalog: &mut Catalog,
    body: &EnrollStudent,
) -> Result<NewStudent, ApiError> {
    if !catalog.path_exists(state, body.path_id).await? {
        return Err(ApiError::field("path_id", "unknown_path", "no such path"));
    }
    let project_on_path = catalog
        .on_path(state, body.project_id, body.path_id)
        .await?;
    let weekdays = body.allowed_weekdays.as_deref().map(days);
    let rhythm = check_student(
        &body.time_zone,
        body.session_length,
        weekdays.as_deref(),
        project_on_path,
    )
    .map_err(|refusals| ApiError::refusals(&refusals))?;
    Ok(NewStudent {
        name: body.name.clone(),
        email: normalize_email(&body.email),
        path_id: body.path_id,
        project_id: body.project_id,
        rhythm,
    })
}

/// A fresh invitation: the link the student opens to set their password, valid 72 hours from
/// the store's clock (the instant the enrollment is recorded at).
pub(crate) fn invitation(state: &AppState) -> (Invitation, String) {
    let (token, token_hash) = new_secret(LINK_PREFIX);
    let link = format!("{}/invitation?token={token}", state.app_url);
    let expires_at = mentorship_store::now() + LinkPurpose::Invitation.validity();
    (
        Invitation {
            token_hash,
            link: link.clone(),
            expires_at,
        },
        link,
    )
}

/// Enrolls a student: their account (a login with no password yet), their path, current project,
/// time zone, session length and weekdays. They are emailed a link to set their password, valid
/// 72 hours (`POST /v1/auth/invitation`). Staff, or an API key with `students:write`.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["already_exists", "unknown_path", "unknown_time_zone",
        "invalid_session_length", "no_weekday_allowed", "project_not_on_path"]))),
    tag = "students",
    security(("accessToken" = []), ("apiKey" = ["students:write"])),
    request_body = EnrollStudent,
    responses(
        (status = 201, description = "Enrolled; the invitation is on its way", body = StudentView,
         headers(("Location" = String, description = "The student's URL"))),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/students")]
pub async fn enroll(
    state: web::Data<AppState>,
    principal: Principal,
    Valid(body): Valid<EnrollStudent>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let new = checked(&state, &mut Catalog::default(), &body).await?;
    let (invitation, _) = invitation(&state);
    let student =
        students::enroll(&state.store, &new, Some(&invitation), principal.user_id).await?;
    Ok(
        created(format!("/v1/students/{}", student.id), student.version)
            .json(StudentView::from(student)),
    )
}

/// Enrolls a cohort of up to 500 students in one call. Each student is enrolled or refused on
/// their own (an invalid or taken one does not stop the others); the answer lists each, in
/// order. Send an `Idempotency-Key` to retry safely: a repeat creates nothing twice. Staff, or an
/// API key with `students:write`.
#[utoipa::path(
    extensions(
        ("x-problem-codes" = json!(["already_exists", "unknown_path", "unknown_time_zone",
            "invalid_session_length", "no_weekday_allowed", "project_not_on_path", "cohort_size"])),
        ("x-idempotent" = json!(true)),
    ),
    tag = "students",
    security(("accessToken" = []), ("apiKey" = ["students:write"])),
    request_body = EnrollCohort,
    responses(
        (status = 200, description = "What became of each student", body = EnrolledCohort),
    )
)]
#[post("/students/batch")]
pub async fn enroll_cohort(
    state: web::Data<AppState>,
    principal: Principal,
    Valid(body): Valid<EnrollCohort, COHORT_BODY_BYTES>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let mut items: Vec<Option<EnrolledItem>> = Vec::with_capacity(body.students.len());
    let mut accepted = Vec::new();
    let mut catalog = Catalog::default();
    for (index, student) in body.students.iter().enumerate() {
        let check = match student.validate() {
            Ok(()) => checked(&state, &mut catalog, student).await,
            Err(e) => Err(ApiError::from(e)),
        };
        match check {
            Ok(new) => {
                accepted.push((index, new, invitation(&state).0));
                items.push(None);
            }
            Err(e) => items.push(Some(refused_item(index, &e))),
        }
    }
    let cohort: Vec<_> = accepted
        .iter()
        .map(|(_, new, invitation)| (new.clone(), invitation.clone()))
        .collect();
    let outcomes = students::enroll_batch(&state.store, &cohort, principal.user_id).await?;
    for ((index, _, _), outcome) in accepted.iter().zip(outcomes) {
        items[*index] = Some(match outcome {
            Ok(student) => EnrolledItem {
                index: *index,
                status: 201,
                student: Some(student.into()),
                problem: None,
            },
            Err(e) => refused_item(*index, &ApiError::from(e)),
        });
    }
    let items: Vec<EnrolledItem> = items.into_iter().flatten().collect();
    let enrolled = items.iter().filter(|i| i.status == 201).count();
    Ok(HttpResponse::Ok().json(EnrolledCohort {
        enrolled,
        refused: items.len() - enrolled,
        items,
    }))
}

fn refused_item(index: usize, e: &ApiError) -> EnrolledItem {
    let problem = e.problem();
    EnrolledItem {
        index,
        status: problem.status,
        student: None,
        problem: Some(problem),
    }
}

/// Which students a list shows.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct StudentQuery {
    /// Only students of this path.
    pub path_id: Option<Uuid>,
    /// Only the students of this mentor now.
    pub mentor_id: Option<Uuid>,
    /// `true`: only the students without a mentor.
    #[param(default = false)]
    pub unassigned: Option<bool>,
}

/// Lists students, filtered by path, mentor, or without a mentor. Staff, or an API key with
/// `students:read`.
#[utoipa::path(
    tag = "students",
    security(("accessToken" = []), ("apiKey" = ["students:read"])),
    params(StudentQuery, PageQuery),
    responses(
        (status = 200, description = "One page of students", body = List<StudentView>),
    )
)]
#[get("/students")]
pub async fn list_students(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(query): ValidQuery<StudentQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let filter = StudentFilter {
        path_id: query.path_id,
        mentor_id: query.mentor_id,
        unassigned: query.unassigned.unwrap_or(false),
    };
    let page = students::list(&state.store, filter, page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, StudentView::from)))
}

/// The students of the calling mentor, now. Mentors only (staff list a mentor's students with
/// `GET /v1/students?mentor_id=`).
#[utoipa::path(
    tag = "students",
    security(("accessToken" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "One page of the mentor's students", body = List<StudentView>),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/me/students")]
pub async fn my_students(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    if principal.role != Role::Mentor {
        return Err(ApiError::Forbidden("only mentors have students".into()));
    }
    let filter = StudentFilter {
        mentor_id: Some(principal.user_id),
        ..StudentFilter::default()
    };
    let page = students::list(&state.store, filter, page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, StudentView::from)))
}

/// One student: staff see any, a mentor their own students, a student themselves.
#[utoipa::path(
    tag = "students",
    security(("accessToken" = []), ("apiKey" = ["students:read"])),
    params(("id" = Uuid, Path, description = "The student's id")),
    responses(
        (status = 200, description = "The student", body = StudentView,
         headers(("ETag" = String, description = "The student's version, for If-Match"))),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/students/{id}")]
pub async fn get_student(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let student = visible_student(&state, &principal, *id).await?;
    Ok(ok_with_etag(student.version).json(StudentView::from(student)))
}

/// Changes to a student; absent fields stay.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"session_length": 60, "allowed_weekdays": ["tuesday", "thursday"]}))]
pub struct UpdateStudent {
    /// The project the student works on now: one of their path's.
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub project_id: Option<Uuid>,
    #[schema(max_length = 64)]
    #[validate(length(max = 64))]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub time_zone: Option<String>,
    #[schema(minimum = 30, maximum = 60)]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub session_length: Option<u16>,
    #[schema(schema_with = crate::openapi::weekday_list_schema)]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub allowed_weekdays: Option<Vec<WeekdayName>>,
}

/// Edits a student (with `If-Match`): current project, time zone, session length, weekdays.
/// Sessions already booked keep their time. Staff, or an API key with `students:write`.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["unknown_time_zone", "invalid_session_length",
        "no_weekday_allowed", "project_not_on_path"]))),
    tag = "students",
    security(("accessToken" = []), ("apiKey" = ["students:write"])),
    params(
        ("id" = Uuid, Path, description = "The student's id"),
        ("If-Match" = String, Header, description = "The ETag from the last read of the student"),
    ),
    request_body = UpdateStudent,
    responses(
        (status = 200, description = "The edited student", body = StudentView,
         headers(("ETag" = String, description = "The student's new version"))),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[patch("/students/{id}")]
pub async fn update_student(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<UpdateStudent>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let current = students::get(&state.store, *id).await?;
    let project_on_path = match body.project_id {
        None => true,
        Some(project) => {
            Catalog::default()
                .on_path(&state, project, current.path_id)
                .await?
        }
    };
    let weekdays = body.allowed_weekdays.as_deref().map(days);
    let rhythm = check_student(
        body.time_zone.as_deref().unwrap_or(&current.time_zone),
        body.session_length
            .unwrap_or_else(|| current.session_length.minutes()),
        Some(
            weekdays
                .as_deref()
                .unwrap_or(&current.allowed_weekdays.days()),
        ),
        project_on_path,
    )
    .map_err(|refusals| ApiError::refusals(&refusals))?;
    // The body is judged before the version: an invalid one is 422 whatever the If-Match.
    let version = if_match(&req, "student", current.version)?;
    let changes = StudentChanges {
        project_id: body.project_id,
        time_zone: body.time_zone.map(|_| rhythm.zone.name().to_owned()),
        session_length: body.session_length.map(|_| rhythm.session_length),
        allowed_weekdays: body.allowed_weekdays.map(|_| rhythm.allowed_weekdays),
    };
    let student = students::edit(&state.store, *id, version, changes, principal.user_id).await?;
    Ok(ok_with_etag(student.version).json(StudentView::from(student)))
}

/// The state of one project of the student's path.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressView {
    pub project_id: Uuid,
    #[schema(example = "Build a REST API")]
    pub title: String,
    /// The project's place in the path, from 1.
    pub position: i64,
    #[schema(schema_with = crate::openapi::progress_schema)]
    pub state: ProjectProgress,
    /// When the state last changed; `null` while never started.
    pub changed_at: Option<DateTime<Utc>>,
}

impl From<Progress> for ProgressView {
    fn from(p: Progress) -> Self {
        ProgressView {
            project_id: p.project_id,
            title: p.title,
            position: p.position,
            state: p.state,
            changed_at: p.changed_at,
        }
    }
}

/// Every project of a student's path.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressList {
    pub student_id: Uuid,
    pub items: Vec<ProgressView>,
}

async fn progress_of(state: &AppState, student_id: Uuid) -> Result<HttpResponse, ApiError> {
    let items = students::progress(&state.store, student_id).await?;
    Ok(HttpResponse::Ok().json(ProgressList {
        student_id,
        items: items.into_iter().map(ProgressView::from).collect(),
    }))
}

/// Every project of the student's path, in order, with its state and when it changed. Staff
/// (or an API key with `students:read`), the student's mentor, the student.
#[utoipa::path(
    tag = "students",
    security(("accessToken" = []), ("apiKey" = ["students:read"])),
    params(("id" = Uuid, Path, description = "The student's id")),
    responses(
        (status = 200, description = "The student's progress", body = ProgressList),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/students/{id}/progress")]
pub async fn get_progress(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let student = visible_student(&state, &principal, *id).await?;
    progress_of(&state, student.id).await
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"state": "in_progress"}))]
pub struct SetProgress {
    #[schema(schema_with = crate::openapi::progress_schema)]
    pub state: ProjectProgress,
}

/// Sets the state of one project of the student's path. Staff and the student's mentor.
#[utoipa::path(
    tag = "students",
    security(("accessToken" = [])),
    params(
        ("id" = Uuid, Path, description = "The student's id"),
        ("project_id" = Uuid, Path, description = "A project of the student's path"),
    ),
    request_body = SetProgress,
    responses(
        (status = 200, description = "The student's progress", body = ProgressList),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[put("/students/{id}/progress/{project_id}")]
pub async fn set_progress(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
    Valid(body): Valid<SetProgress>,
) -> Result<HttpResponse, ApiError> {
    let (id, project_id) = path.into_inner();
    let student = visible_student(&state, &principal, id).await?;
    if !(principal.role.is_staff() || student.mentor_id == Some(principal.user_id)) {
        return Err(ApiError::Forbidden(
            "only the student's mentor and staff set their progress".into(),
        ));
    }
    let project = catalog::get_project(&state.store, project_id).await?;
    if project.path_id != student.path_id {
        return Err(ApiError::NotFound("project"));
    }
    students::set_progress(&state.store, id, project_id, body.state, principal.user_id).await?;
    progress_of(&state, id).await
}

/// One assignment of a student to a mentor.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentView {
    pub id: Uuid,
    pub student_id: Uuid,
    pub mentor_id: Uuid,
    pub started_at: DateTime<Utc>,
    /// When the student left this mentor; `null` while current.
    pub ended_at: Option<DateTime<Utc>>,
    /// Who made it; `null` once that person was erased.
    pub assigned_by: Option<Uuid>,
    /// Chosen by the automatic rule.
    pub automatic: bool,
}

impl From<Assignment> for AssignmentView {
    fn from(a: Assignment) -> Self {
        AssignmentView {
            id: a.id,
            student_id: a.student_id,
            mentor_id: a.mentor_id,
            started_at: a.started_at,
            ended_at: a.ended_at,
            assigned_by: a.assigned_by,
            automatic: a.automatic,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mentor_id": "01964f7e-6b9c-7d4e-8f30-2b3c4d5e6f70"}))]
pub struct AssignStudent {
    /// The mentor: active, with the student's path among their approved paths, and room left.
    pub mentor_id: Uuid,
}

async fn assign(
    state: &AppState,
    principal: &Principal,
    student_id: Uuid,
    choice: Choice,
) -> Result<HttpResponse, ApiError> {
    require_staff(principal)?;
    let assignment = match assignments::assign(
        &state.store,
        student_id,
        choice,
        principal.user_id,
        Utc::now(),
    )
    .await
    {
        // The mentor a body names does not exist: a field of the body, not the URL.
        Err(StoreError::NotFound("mentor")) => {
            return Err(ApiError::field(
                "mentor_id",
                "unknown_mentor",
                "no such mentor",
            ));
        }
        other => other?,
    };
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/v1/students/{student_id}/assignments"),
        ))
        .json(AssignmentView::from(assignment)))
}

/// Assigns the student to a mentor, ending their current assignment. Needs an active mentor,
/// the student's path among the mentor's paths, and room left (checked under the mentor's lock:
/// of two managers filling the last place at once, one gets 409 `mentor_full`). The student, the
/// mentor and the mentor the student leaves are told. Staff.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["mentor_not_active", "path_not_approved", "mentor_full",
        "already_assigned", "unknown_mentor"]))),
    tag = "students",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The student's id")),
    request_body = AssignStudent,
    responses(
        (status = 201, description = "Assigned", body = AssignmentView),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/students/{id}/assignments")]
pub async fn assign_student(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<AssignStudent>,
) -> Result<HttpResponse, ApiError> {
    assign(&state, &principal, *id, Choice::Mentor(body.mentor_id)).await
}

/// Assigns the student to the mentor the program's rule picks among the active mentors of the
/// student's path with room left and present today: first one never assigned a student, then the
/// largest share of room left, the earliest activation, the smallest id. 409
/// `no_mentor_available` when none fits. Staff.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["no_mentor_available"]))),
    tag = "students",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The student's id")),
    responses(
        (status = 201, description = "Assigned", body = AssignmentView),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/students/{id}/assignments/automatic")]
pub async fn assign_automatically(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    assign(&state, &principal, *id, Choice::Automatic).await
}

/// Every assignment of the student, the first first, with when it started and ended and who
/// made it. Staff, the student, and their mentor.
#[utoipa::path(
    tag = "students",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The student's id")),
    responses(
        (status = 200, description = "The student's assignments", body = Vec<AssignmentView>),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/students/{id}/assignments")]
pub async fn list_assignments(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let student = visible_student(&state, &principal, *id).await?;
    let history = assignments::history(&state.store, student.id).await?;
    let views: Vec<AssignmentView> = history.into_iter().map(AssignmentView::from).collect();
    Ok(HttpResponse::Ok().json(views))
}
