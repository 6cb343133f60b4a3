//! A person's data for their right of access and to portability (GDPR articles 15 and 20):
//! everything the program holds about them, as they may see it, with nothing about other people
//! beyond names (another person appears by id and name only). One JSON document, or one ZIP
//! archive of that document and the person's onboarding documents still on file.

use std::collections::HashMap;
use std::future::Future;
use std::io::Write;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use mentorship_domain::exports::{ExportRefusal, ExportStatus, check_download};
use mentorship_domain::people::Role;
use mentorship_domain::statements::StatementLine;
use mentorship_store::exports::{self, Export};
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
        notifications: every(|p| notifications::list_for(store, user_id, Default::default(), p))
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

/// A person's data as a ZIP archive: `data.json` and their documents still on file. Compressing
/// a person's files is CPU work: it runs on the blocking pool.
pub(crate) async fn archive_of(state: &AppState, user_id: Uuid) -> Result<Vec<u8>, ApiError> {
    let (data, files) = gather(state, user_id, true).await?;
    let json = serde_json::to_vec_pretty(&data).map_err(|e| ApiError::Internal(e.to_string()))?;
    web::block(move || zip_of(&json, &files))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// The answer carrying an archive of `user_id`'s data.
fn archive_answer(user_id: Uuid, zipped: Vec<u8>) -> HttpResponse {
    let name = format!("attachment; filename=\"personal-data-{user_id}.zip\"");
    HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_DISPOSITION, name))
        .body(zipped)
}

/// Gathers, audits and answers a person's export.
async fn export(
    req: &HttpRequest,
    state: &AppState,
    user_id: Uuid,
    by: Uuid,
) -> Result<HttpResponse, ApiError> {
    if wants_archive(req) {
        let zipped = archive_of(state, user_id).await?;
        audit::accessed(&state.store, "user.data_exported", by, "user", user_id).await?;
        return Ok(archive_answer(user_id, zipped));
    }
    let (data, _) = gather(state, user_id, false).await?;
    audit::accessed(&state.store, "user.data_exported", by, "user", user_id).await?;
    Ok(HttpResponse::Ok().json(data))
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

/// An export of a person's data prepared in the background.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportView {
    pub id: Uuid,
    /// Whose data it holds.
    pub user_id: Uuid,
    /// Who asked for it; only they download it.
    pub requested_by: Uuid,
    #[schema(schema_with = crate::openapi::export_status_schema)]
    pub status: ExportStatus,
    pub requested_at: DateTime<Utc>,
    /// When the archive was ready; `null` while preparing.
    pub ready_at: Option<DateTime<Utc>>,
    /// Until when the archive can be downloaded (a week after it is ready); then it is deleted.
    pub expires_at: Option<DateTime<Utc>>,
    /// The archive's size; `null` until it is ready.
    #[schema(example = 48213)]
    pub size_bytes: Option<i64>,
    /// Where to download the archive, while it is ready; `null` otherwise.
    #[schema(example = "/v1/exports/0190b2a4-7c3e-7d2a-9a55-3f1e2b4c5d6e/file")]
    pub download_url: Option<String>,
}

impl From<Export> for ExportView {
    /// An archive past its expiry shows as expired at once, before the hourly purge deletes it.
    fn from(e: Export) -> Self {
        let now = mentorship_store::now();
        let status = match check_download(e.status, e.expires_at, now) {
            Err(ExportRefusal::Expired) => ExportStatus::Expired,
            _ => e.status,
        };
        let download_url =
            (status == ExportStatus::Ready).then(|| format!("/v1/exports/{}/file", e.id));
        ExportView {
            id: e.id,
            user_id: e.user_id,
            requested_by: e.requested_by,
            status,
            requested_at: e.requested_at,
            ready_at: e.ready_at,
            expires_at: e.expires_at,
            size_bytes: e.size_bytes,
            download_url,
        }
    }
}

/// The 202 of a requested export, pointing at it.
fn accepted(export: Export) -> HttpResponse {
    HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/v1/exports/{}", export.id)))
        .json(ExportView::from(export))
}

/// Asks for the caller's data as an archive prepared in the background, for accounts too large
/// to wait for (`GET /v1/me/export` answers at once). While one is being prepared, that one is
/// the answer. When it is ready, a `data_export_ready` notification gives its link, which works
/// for a week; the export is then audited as `user.data_exported`. Any person; not with an API
/// key.
#[utoipa::path(
    tag = "users",
    security(("accessToken" = [])),
    responses(
        (status = 202, description = "Being prepared; follow `Location` or wait for the notification",
         body = ExportView,
         headers(("Location" = String, description = "The export's URL"))),
    )
)]
#[post("/me/exports")]
pub async fn request_mine(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let export = exports::request(&state.store, principal.user_id, principal.user_id).await?;
    Ok(accepted(export))
}

/// Asks for a person's data archive on their request, prepared in the background as with
/// `POST /v1/me/exports`; the staff member who asks downloads it and is notified. Staff only.
#[utoipa::path(
    tag = "users",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The person's account id")),
    responses(
        (status = 202, description = "Being prepared; follow `Location` or wait for the notification",
         body = ExportView,
         headers(("Location" = String, description = "The export's URL"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[post("/users/{id}/exports")]
pub async fn request_for_person(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let person = users::get(&state.store, *id).await?;
    let export = exports::request(&state.store, person.id, principal.user_id).await?;
    Ok(accepted(export))
}

/// An export the caller asked for; anyone else's is 404.
async fn requested_export(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<Export, ApiError> {
    let export = exports::get(&state.store, id).await?;
    if export.requested_by != principal.user_id {
        return Err(StoreError::NotFound("export").into());
    }
    Ok(export)
}

/// Where an export the caller asked for stands: preparing, ready (with its link), expired or
/// failed.
#[utoipa::path(
    tag = "users",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The export's id")),
    responses(
        (status = 200, description = "The export", body = ExportView),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/exports/{id}")]
pub async fn get_export(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let export = requested_export(&state, &principal, *id).await?;
    Ok(HttpResponse::Ok().json(ExportView::from(export)))
}

/// Downloads a ready export's archive (`data.json` and the person's documents still on file),
/// until it expires. Only whoever asked for it.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["export_not_ready", "export_expired", "export_failed"]))),
    tag = "users",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The export's id")),
    responses(
        (status = 200, description = "The archive", content((Vec<u8> = "application/zip")),
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"personal-data-<id>.zip\"`"))),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[get("/exports/{id}/file")]
pub async fn download_export(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let export = requested_export(&state, &principal, *id).await?;
    check_download(export.status, export.expires_at, mentorship_store::now())
        .map_err(|r| ApiError::refused(&r))?;
    let key = export
        .file_key
        .ok_or_else(|| ApiError::refused(&ExportRefusal::Expired))?;
    let zipped = state.files.get(&key).await?;
    Ok(archive_answer(export.user_id, zipped))
}
