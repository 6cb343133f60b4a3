//! A person's data for their right of access and to portability (GDPR articles 15 and 20):
//! everything the program holds about them, as they may see it, with nothing about other people
//! beyond names (another person appears by id and name only). One JSON document, or one ZIP
//! archive of that document and the person's onboarding documents still on file.

use std::collections::HashMap;
use std::future::Future;
use std::io::Write;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use mentorship_domain::people::Role;
use mentorship_domain::statements::StatementLine;
use mentorship_store::page::{Page, PageRequest};
use mentorship_store::reports::ReportFilter;
use mentorship_store::sessions::SessionFilter;
use mentorship_store::statements::{IssuedStatement, StatementFilter};
use mentorship_store::{
    Found, StoreError, absences, api_keys, assignments, audit, documents, mentors, notifications,
    path_requests, referrals, reports, sessions, statements, students, users,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::access::require_staff;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::routes::absences::AbsenceView;
use crate::routes::api_keys::ApiKeyView;
use crate::routes::documents::{DocumentView, checklist_of, file_name};
use crate::routes::mentors::MentorView;
use crate::routes::notifications::NotificationView;
use crate::routes::path_requests::PathRequestView;
use crate::routes::pay::{ReferralView, StatementView, issued_view};
use crate::routes::reports::ReportView;
use crate::routes::sessions::SessionView;
use crate::routes::students::{AssignmentView, ProgressView, StudentView};
use crate::routes::users::UserView;
use crate::state::AppState;

/// Everything the program holds about one person. Parts that do not apply to the person's role
/// are empty (or `null`).
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonalData {
    pub exported_at: DateTime<Utc>,
    pub account: UserView,
    /// A mentor's (or an applicant's) profile and application.
    pub mentor: Option<MentorView>,
    /// A mentor's onboarding documents: their state; the ZIP archive holds the files still on file.
    pub documents: Vec<DocumentView>,
    pub path_requests: Vec<PathRequestView>,
    pub absences: Vec<AbsenceView>,
    /// The mentors the person referred (by name), and the bonuses they earned.
    pub referrals: Vec<ReferralView>,
    /// A mentor's issued statements, with their lines.
    pub statements: Vec<StatementView>,
    /// The reports a mentor filed.
    pub reports: Vec<ReportView>,
    /// A student's enrollment.
    pub student: Option<StudentView>,
    pub progress: Vec<ProgressView>,
    pub assignments: Vec<AssignmentView>,
    /// The person's sessions, as a mentor or as a student, as they see them.
    pub sessions: Vec<SessionView>,
    pub notifications: Vec<NotificationView>,
    pub api_keys: Vec<ApiKeyView>,
}

/// The largest page read at once while gathering.
const BATCH: u32 = 500;

/// Every item of a keyset-paged list, page after page.
async fn every<T, K, F, Fut>(mut page: F) -> Result<Vec<T>, StoreError>
where
    K: Copy,
    F: FnMut(PageRequest<K>) -> Fut,
    Fut: Future<Output = Result<Page<T, K>, StoreError>>,
{
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let found = page(PageRequest {
            after,
            limit: BATCH,
        })
        .await?;
        all.extend(found.items);
        match found.next_after {
            Some(key) => after = Some(key),
            None => return Ok(all),
        }
    }
}

/// The files of the export: (name in the archive, content).
type Files = Vec<(String, Vec<u8>)>;

/// Gathers a person's data, and with `files` their documents still on file.
async fn gather(
    state: &AppState,
    user_id: Uuid,
    files: bool,
) -> Result<(PersonalData, Files), ApiError> {
    let store = &state.store;
    let account = users::get(store, user_id).await?;
    let viewer = account.role;
    let mentor = mentors::get(store, user_id).await.found()?;
    let student = students::get(store, user_id).await.found()?;
    let mut data = PersonalData {
        exported_at: Utc::now(),
        account: UserView::from(account),
        mentor: None,
        documents: Vec::new(),
        path_requests: Vec::new(),
        absences: Vec::new(),
        referrals: Vec::new(),
        statements: Vec::new(),
        reports: Vec::new(),
        student: None,
        progress: Vec::new(),
        assignments: Vec::new(),
        sessions: Vec::new(),
        notifications: every(|p| notifications::list_for(store, user_id, false, p))
            .await?
            .into_iter()
            .map(NotificationView::from)
            .collect(),
        api_keys: every(|p| api_keys::list(store, Some(user_id), p))
            .await?
            .into_iter()
            .map(ApiKeyView::from)
            .collect(),
    };
    let mut archive = Files::new();
    if let Some(mentor) = mentor {
        let docs = documents::current(store, user_id).await?;
        if files {
            archive = document_files(state, &docs).await?;
        }
        data.documents = checklist_of(user_id, &docs).documents;
        data.mentor = Some(MentorView::from(mentor));
        data.path_requests = every(|p| path_requests::list(store, Some(user_id), None, p))
            .await?
            .into_iter()
            .map(PathRequestView::from)
            .collect();
        let declared = absences::AbsenceFilter {
            mentor_id: Some(user_id),
            ..absences::AbsenceFilter::default()
        };
        data.absences = every(|p| absences::list(store, declared, p))
            .await?
            .into_iter()
            .map(AbsenceView::from)
            .collect();
        data.referrals = referrals::of_referrer(store, user_id)
            .await?
            .into_iter()
            .map(ReferralView::from)
            .collect();
        data.statements = mentor_statements(state, user_id).await?;
        let filed = ReportFilter {
            mentor_id: Some(user_id),
            ..ReportFilter::default()
        };
        data.reports = every(|p| reports::list(store, filed, p))
            .await?
            .into_iter()
            .map(ReportView::from)
            .collect();
    }
    if let Some(student) = student {
        data.student = Some(StudentView::from(student));
        data.progress = students::progress(store, user_id)
            .await?
            .into_iter()
            .map(ProgressView::from)
            .collect();
        data.assignments = assignments::history(store, user_id)
            .await?
            .into_iter()
            .map(AssignmentView::from)
            .collect();
    }
    let (as_mentor, as_student) = (data.mentor.is_some(), data.student.is_some());
    for (own, is) in [(as_mentor, Role::Mentor), (as_student, Role::Student)] {
        if !own {
            continue;
        }
        let filter = SessionFilter {
            mentor_id: (is == Role::Mentor).then_some(user_id),
            student_id: (is == Role::Student).then_some(user_id),
            ..SessionFilter::default()
        };
        let found = every(|p| sessions::list(store, filter, p)).await?;
        let seen = found
            .into_iter()
            .map(|s| SessionView::for_viewer(s, viewer));
        data.sessions.extend(seen);
    }
    Ok((data, archive))
}

/// A mentor's issued statements with their lines: the statements page by page, then every
/// line of them in one query.
async fn mentor_statements(
    state: &AppState,
    mentor_id: Uuid,
) -> Result<Vec<StatementView>, ApiError> {
    let filter = StatementFilter {
        mentor_id: Some(mentor_id),
        ..StatementFilter::default()
    };
    let issued = every(|p| statements::list(&state.store, filter, p)).await?;
    let mut lines: HashMap<Uuid, Vec<StatementLine>> = HashMap::new();
    for (statement, line) in statements::lines_of_mentor(&state.store, mentor_id).await? {
        lines.entry(statement).or_default().push(line);
    }
    let mut view = |s: IssuedStatement| {
        let of = lines.remove(&s.id).unwrap_or_default();
        issued_view(s, of)
    };
    Ok(issued.into_iter().map(&mut view).collect())
}

/// The files of a mentor's documents still on file, named by kind.
async fn document_files(
    state: &AppState,
    docs: &[mentorship_store::documents::Document],
) -> Result<Files, ApiError> {
    let mut files = Files::new();
    for doc in docs {
        let Some(key) = &doc.file_key else { continue };
        let name = format!("documents/{}", file_name(doc));
        files.push((name, state.files.get(key).await?));
    }
    Ok(files)
}

/// A ZIP archive of `data.json` and the files.
fn zip_of(data: &[u8], files: &Files) -> Result<Vec<u8>, ApiError> {
    use zip::write::SimpleFileOptions;
    let failed = |e: &dyn std::fmt::Display| ApiError::Internal(format!("export archive: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    let entries = std::iter::once(("data.json", data)).chain(
        files
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.as_slice())),
    );
    for (name, bytes) in entries {
        zip.start_file(name, options).map_err(|e| failed(&e))?;
        zip.write_all(bytes).map_err(|e| failed(&e))?;
    }
    let cursor = zip.finish().map_err(|e| failed(&e))?;
    Ok(cursor.into_inner())
}

/// Whether the client asked for the archive (`Accept: application/zip`) rather than the JSON.
fn wants_archive(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/zip"))
}

/// Gathers, audits and answers a person's export.
async fn export(
    req: &HttpRequest,
    state: &AppState,
    user_id: Uuid,
    by: Uuid,
) -> Result<HttpResponse, ApiError> {
    let archive = wants_archive(req);
    let (data, files) = gather(state, user_id, archive).await?;
    audit::accessed(&state.store, "user.data_exported", by, "user", user_id).await?;
    if !archive {
        return Ok(HttpResponse::Ok().json(data));
    }
    let json = serde_json::to_vec_pretty(&data).map_err(|e| ApiError::Internal(e.to_string()))?;
    // Compressing a person's files is CPU work: off the async threads.
    let zipped = web::block(move || zip_of(&json, &files))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let name = format!("attachment; filename=\"personal-data-{user_id}.zip\"");
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CONTENT_DISPOSITION, name))
        .body(zipped))
}

/// The caller's own data: JSON, or with `Accept: application/zip` an archive that also holds
/// their documents still on file. Any person; audited. Not with an API key.
#[utoipa::path(
    tag = "users",
    security(("accessToken" = [])),
    responses(
        (status = 200, description = "The caller's data",
         content(
             (PersonalData = "application/json"),
             (Vec<u8> = "application/zip"),
         ),
         headers(("Content-Disposition" = String, description = "For the archive: `attachment; filename=\"personal-data-<id>.zip\"`"))),
    )
)]
#[get("/me/export")]
pub async fn export_mine(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    export(&req, &state, principal.user_id, principal.user_id).await
}

/// A person's data, produced by staff on the person's request: the same JSON or archive the
/// person gets from `GET /v1/me/export`. Staff only; audited with who produced it.
#[utoipa::path(
    tag = "users",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The person's account id")),
    responses(
        (status = 200, description = "The person's data",
         content(
             (PersonalData = "application/json"),
             (Vec<u8> = "application/zip"),
         ),
         headers(("Content-Disposition" = String, description = "For the archive: `attachment; filename=\"personal-data-<id>.zip\"`"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/users/{id}/export")]
pub async fn export_person(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    export(&req, &state, *id, principal.user_id).await
}
