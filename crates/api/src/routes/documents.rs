//! Onboarding documents: the accepted applicant uploads each kind (multipart), staff download,
//! verify or reject them. Files are checked by their first bytes and stored encrypted.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;
use mentorship_domain::calendar::local_date;
use mentorship_domain::mentors::{
    self as rules, DocumentKind, DocumentStatus, DocumentUpload, FileType,
};
use mentorship_domain::policy::Policies;
use mentorship_store::documents::{self, Document, StoredFile};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::access::{require_staff, visible_mentor};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::Valid;
use crate::routes::applications::RejectRequest;
use crate::state::AppState;

/// The path of one of a mentor's documents: `/v1/mentors/{id}/documents/{kind}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Declares the parameters; handlers read them as `(Uuid, String)`.
struct DocumentAddress {
    /// The mentor's id.
    id: Uuid,
    /// Which document; any other word answers 404.
    #[param(schema_with = crate::openapi::document_kind_schema)]
    kind: String,
}

/// One line of the checklist.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    #[schema(schema_with = crate::openapi::document_kind_schema)]
    pub kind: DocumentKind,
    /// `missing` until sent.
    #[schema(schema_with = crate::openapi::document_status_schema)]
    pub status: String,
    pub media_type: Option<String>,
    pub size_bytes: Option<i64>,
    /// The issue date of a criminal record extract.
    #[schema(value_type = Option<String>, format = Date)]
    pub issued_on: Option<NaiveDate>,
    pub uploaded_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// Whether the file is still kept (a verified criminal record extract's is deleted).
    pub file_kept: bool,
}

impl DocumentView {
    fn of(kind: DocumentKind, doc: Option<&Document>) -> Self {
        DocumentView {
            kind,
            status: doc.map_or("missing".into(), |d| status_text(d.status).into()),
            media_type: doc.map(|d| d.media_type.clone()),
            size_bytes: doc.map(|d| d.size_bytes),
            issued_on: doc.and_then(|d| d.issued_on),
            uploaded_at: doc.map(|d| d.uploaded_at),
            reviewed_at: doc.and_then(|d| d.reviewed_at),
            reason: doc.and_then(|d| d.reason.clone()),
            file_kept: doc.is_some_and(|d| d.file_key.is_some()),
        }
    }
}

fn status_text(status: DocumentStatus) -> &'static str {
    match status {
        DocumentStatus::Submitted => "submitted",
        DocumentStatus::Verified => "verified",
        DocumentStatus::Rejected => "rejected",
    }
}

/// The checklist: the four kinds, each with its current state.
#[derive(Debug, Serialize, ToSchema)]
pub struct Checklist {
    pub mentor_id: Uuid,
    /// True when all four are verified: the contract is then ready.
    pub complete: bool,
    pub documents: Vec<DocumentView>,
}

pub(crate) fn checklist_of(mentor_id: Uuid, docs: &[Document]) -> Checklist {
    Checklist {
        mentor_id,
        complete: documents::checklist(docs).all_verified(),
        documents: DocumentKind::ALL
            .into_iter()
            .map(|kind| DocumentView::of(kind, docs.iter().find(|d| d.kind == kind)))
            .collect(),
    }
}

/// The name of a document's file as the server hands it out: its kind and the extension of the
/// type its bytes were judged to be (never the name it was sent with).
pub(crate) fn file_name(doc: &Document) -> String {
    let extension = FileType::of_media_type(&doc.media_type).map_or("bin", FileType::extension);
    format!("{}.{extension}", doc.kind.as_str())
}

/// The multipart form of an upload, documented for clients. Any other field is refused (422
/// `unknown_field`), so the contract says so.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file: PDF, PNG or JPEG (decided by its first bytes), at most 10 MiB, a plain name
    /// with one extension that matches its type.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Required for `criminal_record`: the day the extract was issued (at most 3 months before upload).
    #[schema(value_type = Option<String>, format = Date, example = "2026-11-02")]
    issued_on: Option<String>,
}

fn kind_of(text: &str) -> Result<DocumentKind, ApiError> {
    serde_json::from_value(serde_json::Value::String(text.into()))
        .map_err(|_| ApiError::NotFound("document kind"))
}

/// What the form held.
struct Upload {
    name: String,
    content: Vec<u8>,
    issued_on: Option<NaiveDate>,
}

/// Reads the form in memory (no temporary file), stopping at the size limit whether or not
/// the client sent a Content-Length.
async fn read_form(mut form: Multipart, max_bytes: u64) -> Result<Upload, ApiError> {
    let too_large = || ApiError::PayloadTooLarge(usize::try_from(max_bytes).unwrap_or(usize::MAX));
    let limit = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    let mut upload = Upload {
        name: String::new(),
        content: Vec::new(),
        issued_on: None,
    };
    let mut got_file = false;
    while let Some(field) = form.next().await {
        let mut field =
            field.map_err(|e| ApiError::BadRequest(format!("the form is malformed: {e}")))?;
        let name = field.name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|e| ApiError::BadRequest(format!("the form is malformed: {e}")))?;
            if bytes.len() + chunk.len() > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" => {
                got_file = true;
                upload.name = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .unwrap_or_default()
                    .to_owned();
                upload.content = bytes;
            }
            "issued_on" => {
                let text = String::from_utf8(bytes).unwrap_or_default();
                let date = text.trim().parse().map_err(|_| {
                    ApiError::field(
                        "issued_on",
                        "invalid_date",
                        "must be a date like 2026-11-28",
                    )
                })?;
                upload.issued_on = Some(date);
            }
            other => {
                return Err(ApiError::field(
                    other,
                    "unknown_field",
                    "only `file` and `issued_on` are accepted",
                ));
            }
        }
    }
    if !got_file || upload.content.is_empty() {
        return Err(ApiError::field(
            "file",
            "empty_file",
            "send a non-empty file in the `file` field",
        ));
    }
    Ok(upload)
}

/// The document checklist of a mentor: the applicant their own, staff any.
#[utoipa::path(
    tag = "documents",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The mentor's id")),
    responses(
        (status = 200, description = "The checklist", body = Checklist),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/mentors/{id}/documents")]
pub async fn list_documents(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mentor = visible_mentor(&state, &principal, *id).await?;
    let docs = documents::current(&state.store, mentor.id).await?;
    Ok(HttpResponse::Ok().json(checklist_of(mentor.id, &docs)))
}

/// Sends one document (`multipart/form-data`: `file`, and `issued_on` for a criminal record
/// extract). Only the accepted applicant, for each kind once, again after a rejection.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["documents_not_expected", "document_already_sent", "already_exists", "file_type_not_accepted", "file_name_does_not_match", "file_too_large", "issued_on_required", "issued_on_in_the_future", "criminal_record_too_old", "invalid_file_name"]))),
    tag = "documents",
    security(("accessToken" = [])),
    params(DocumentAddress),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Received; waiting for review", body = Checklist),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/mentors/{id}/documents/{kind}")]
pub async fn upload_document(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, String)>,
    form: Multipart,
) -> Result<HttpResponse, ApiError> {
    let (id, kind) = path.into_inner();
    let kind = kind_of(&kind)?;
    visible_mentor(&state, &principal, id).await?;
    if !principal.is(id) {
        return Err(ApiError::Forbidden(
            "only the applicant sends their documents".into(),
        ));
    }
    let policies = state.policies().await?;
    let upload = read_form(form, policies.max_document_bytes).await?;
    let head: Vec<u8> = upload.content.iter().take(16).copied().collect();
    let facts = DocumentUpload {
        kind,
        first_bytes: &head,
        size_bytes: u64::try_from(upload.content.len()).unwrap_or(u64::MAX),
        issued_on: upload.issued_on,
        uploaded_on: local_date(Utc::now(), policies.platform_zone),
    };
    // Checked before anything is stored (with every refusal at once); checked again in the
    // transaction, against the state a concurrent request may have changed.
    if let Some(file_type) = rules::sniff_file_type(facts.first_bytes) {
        rules::check_file_name(&upload.name, file_type).map_err(|r| ApiError::refused(&r))?;
    }
    receive(&state, id, &facts, upload.content, &policies).await?;
    let docs = documents::current(&state.store, id).await?;
    Ok(HttpResponse::Created().json(checklist_of(id, &docs)))
}

/// Receives a document of mentor `id` (its name already checked): every rule of
/// `validate_document` against the mentor's state, then the file kept encrypted and the document
/// recorded. A refused document leaves no file behind. The upload and `seed-demo` both send
/// documents through it.
pub(crate) async fn receive(
    state: &AppState,
    id: Uuid,
    facts: &DocumentUpload<'_>,
    content: Vec<u8>,
    policies: &Policies,
) -> Result<(), ApiError> {
    let mentor = mentorship_store::mentors::get(&state.store, id).await?;
    let current =
        documents::checklist(&documents::current(&state.store, id).await?).status(facts.kind);
    let file_type = rules::validate_document(facts, mentor.status, current, policies)
        .map_err(|refusals| ApiError::refusals(&refusals))?;
    let file = StoredFile {
        key: state.files.put(content).await?,
        media_type: file_type.media_type().into(),
        size_bytes: i64::try_from(facts.size_bytes).unwrap_or(i64::MAX),
    };
    let key = file.key.clone();
    let stored = documents::submit(&state.store, id, facts, file, policies).await;
    if let Err(e) = stored {
        state.files.delete(&key).await?;
        return Err(e.into());
    }
    Ok(())
}

/// Downloads the current file of a kind. Staff only; every download is audited.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["document_file_deleted"]))),
    tag = "documents",
    security(("accessToken" = [])),
    params(DocumentAddress),
    responses(
        (status = 200, description = "The file, decrypted, as an attachment", content(
            (String = "application/pdf"),
            (String = "image/png"),
            (String = "image/jpeg"),
        )),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[get("/mentors/{id}/documents/{kind}/file")]
pub async fn download_document(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let (id, kind) = path.into_inner();
    let kind = kind_of(&kind)?;
    let (doc, key) = documents::open_file(&state.store, id, kind, principal.user_id).await?;
    let content = state.files.get(&key).await?;
    let disposition = format!("attachment; filename=\"{}\"", file_name(&doc));
    Ok(HttpResponse::Ok()
        .content_type(doc.media_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .body(content))
}

async fn review(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    kind: &str,
    rejection_reason: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    require_staff(principal)?;
    let kind = kind_of(kind)?;
    decide(state, id, kind, principal.user_id, rejection_reason).await?;
    let docs = documents::current(&state.store, id).await?;
    Ok(HttpResponse::Ok().json(checklist_of(id, &docs)))
}

/// Verifies (no reason) or rejects the current document of `kind` by `reviewer`, then deletes
/// the files no longer kept (a verified criminal record extract's). The review handlers and
/// `seed-demo` both decide through it.
pub(crate) async fn decide(
    state: &AppState,
    id: Uuid,
    kind: DocumentKind,
    reviewer: Uuid,
    rejection_reason: Option<&str>,
) -> Result<(), ApiError> {
    let reviewed = documents::review(&state.store, id, kind, reviewer, rejection_reason).await?;
    for key in &reviewed.files_to_delete {
        state.files.delete(key).await?;
    }
    Ok(())
}

/// Verifies the current document of a kind. Staff only. A verified criminal record extract's
/// file is deleted at once; when the fourth is verified, the contract is ready.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["document_not_awaiting_review"]))),
    tag = "documents",
    security(("accessToken" = [])),
    params(DocumentAddress),
    responses(
        (status = 200, description = "Verified", body = Checklist),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/mentors/{id}/documents/{kind}/verify")]
pub async fn verify_document(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, kind) = path.into_inner();
    review(&state, &principal, id, &kind, None).await
}

/// Rejects the current document of a kind, with the reason the applicant reads; they may send
/// it again. Staff only.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["document_not_awaiting_review", "reason_required"]))),
    tag = "documents",
    security(("accessToken" = [])),
    params(DocumentAddress),
    request_body = RejectRequest,
    responses(
        (status = 200, description = "Rejected", body = Checklist),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/mentors/{id}/documents/{kind}/reject")]
pub async fn reject_document(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, String)>,
    Valid(body): Valid<RejectRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, kind) = path.into_inner();
    review(&state, &principal, id, &kind, Some(&body.reason)).await
}
