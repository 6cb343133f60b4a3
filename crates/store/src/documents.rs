//! Onboarding documents (RULES.md, "Review"): one current document per kind and mentor, the
//! earlier ones kept as history. The file itself lives in the API's file store; rows hold its key.

use chrono::{DateTime, NaiveDate, Utc};
use mentorship_domain::mentors::{
    self as rules, DocumentChecklist, DocumentKind, DocumentStatus, DocumentUpload,
};
use mentorship_domain::policy::Policies;
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::db::{Tx, query};
use crate::events::{self, Step};
use crate::mentors::{Mentor, enum_from, enum_text};
use crate::record::{self, Change};
use crate::{Store, StoreError, new_id};

/// A document as stored.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Document {
    pub id: Uuid,
    pub mentor_id: Uuid,
    pub kind: DocumentKind,
    pub status: DocumentStatus,
    /// Where the encrypted file is; `None` once deleted (a verified criminal record extract).
    #[serde(skip)]
    pub file_key: Option<String>,
    pub media_type: String,
    pub size_bytes: i64,
    pub issued_on: Option<NaiveDate>,
    pub uploaded_at: DateTime<Utc>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub file_deleted_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct DocumentRow {
    id: Uuid,
    mentor_id: Uuid,
    kind: String,
    status: String,
    file_key: Option<String>,
    media_type: String,
    size_bytes: i64,
    issued_on: Option<String>,
    uploaded_at: DateTime<Utc>,
    reviewed_by: Option<Uuid>,
    reviewed_at: Option<DateTime<Utc>>,
    reason: Option<String>,
    file_deleted_at: Option<DateTime<Utc>>,
}

impl TryFrom<DocumentRow> for Document {
    type Error = StoreError;
    fn try_from(r: DocumentRow) -> Result<Self, StoreError> {
        let issued_on = r
            .issued_on
            .map(|d| {
                d.parse::<NaiveDate>()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .transpose()?;
        Ok(Document {
            id: r.id,
            mentor_id: r.mentor_id,
            kind: enum_from(&r.kind)?,
            status: enum_from(&r.status)?,
            file_key: r.file_key,
            media_type: r.media_type,
            size_bytes: r.size_bytes,
            issued_on,
            uploaded_at: r.uploaded_at,
            reviewed_by: r.reviewed_by,
            reviewed_at: r.reviewed_at,
            reason: r.reason,
            file_deleted_at: r.file_deleted_at,
        })
    }
}

macro_rules! select_documents {
    ($tail:literal) => {
        concat!(
            "SELECT id, mentor_id, kind, status, file_key, media_type, size_bytes, issued_on, uploaded_at, \
             reviewed_by, reviewed_at, reason, file_deleted_at FROM documents ",
            $tail
        )
    };
}

const CURRENT_SQL: &str = select_documents!("WHERE mentor_id = $1 AND is_current ORDER BY kind");

/// The current document of each kind a mentor sent.
pub async fn current(store: &Store, mentor_id: Uuid) -> Result<Vec<Document>, StoreError> {
    let rows: Vec<DocumentRow> = store.fetch_all(query(CURRENT_SQL).bind(mentor_id)).await?;
    rows.into_iter().map(Document::try_from).collect()
}

/// The same, inside a transaction.
async fn current_in(tx: &mut Tx, mentor_id: Uuid) -> Result<Vec<Document>, StoreError> {
    let rows: Vec<DocumentRow> = tx.fetch_all(query(CURRENT_SQL).bind(mentor_id)).await?;
    rows.into_iter().map(Document::try_from).collect()
}

/// The checklist of current documents.
pub fn checklist(documents: &[Document]) -> DocumentChecklist {
    DocumentChecklist::new(documents.iter().map(|d| (d.kind, d.status)))
}

/// A file already in the file store, to record as a mentor's document.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub key: String,
    pub media_type: String,
    pub size_bytes: i64,
}

/// Records a sent document as the current one of its kind, after the domain checked it
/// (`validate_document`) against the mentor's status and the current document of that kind,
/// both read under the mentor's lock.
pub async fn submit(
    store: &Store,
    mentor_id: Uuid,
    upload: &DocumentUpload<'_>,
    file: StoredFile,
    policies: &Policies,
) -> Result<Document, StoreError> {
    const RETIRE: &str =
        "UPDATE documents SET is_current = FALSE WHERE mentor_id = $1 AND kind = $2 AND is_current";
    const INSERT: &str = "INSERT INTO documents (id, mentor_id, kind, status, is_current, file_key, media_type, \
                          size_bytes, issued_on, uploaded_at) VALUES ($1, $2, $3, 'submitted', TRUE, $4, $5, $6, $7, $8)";
    let mut tx = store.begin().await?;
    let mentor: Mentor = record::lock(&mut tx, mentor_id).await?;
    let docs = current_in(&mut tx, mentor_id).await?;
    rules::validate_document(
        upload,
        mentor.status,
        checklist(&docs).status(upload.kind),
        policies,
    )
    .map_err(StoreError::first_refused)?;
    let kind = enum_text(&upload.kind)?;
    tx.execute(query(RETIRE).bind(mentor_id).bind(&kind))
        .await?;
    let document = Document {
        id: new_id(),
        mentor_id,
        kind: upload.kind,
        status: DocumentStatus::Submitted,
        file_key: Some(file.key),
        media_type: file.media_type,
        size_bytes: file.size_bytes,
        issued_on: upload.issued_on,
        uploaded_at: crate::now(),
        reviewed_by: None,
        reviewed_at: None,
        reason: None,
        file_deleted_at: None,
    };
    tx.execute(
        query(INSERT)
            .bind(document.id)
            .bind(mentor_id)
            .bind(&kind)
            .bind(&document.file_key)
            .bind(&document.media_type)
            .bind(document.size_bytes)
            .bind(document.issued_on.map(|d| d.to_string()))
            .bind(document.uploaded_at),
    )
    .await
    .map_err(StoreError::unique_as("current document"))?;
    let sent = serde_json::json!({
        "kind": kind, "size_bytes": document.size_bytes, "media_type": document.media_type
    });
    let entry = AuditEntry::event(
        "document.submitted",
        Some(mentor_id),
        "document",
        document.id,
    )
    .states(None, &sent);
    audit::write(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(document)
}

/// What a review did.
#[derive(Debug, Clone)]
pub struct Reviewed {
    pub document: Document,
    /// The files to delete now that they are no longer kept: a verified criminal record
    /// extract's, and every earlier extract the mentor sent (rejected ones included).
    pub files_to_delete: Vec<String>,
    /// The mentor, when the review completed the checklist and made the contract ready.
    pub contract_ready: Option<Mentor>,
}

/// Verifies (`rejection_reason: None`) or rejects the current document of a kind. The mentor's
/// row is locked first, so reviews of one mentor's documents happen one after the other: the
/// review that verifies the last of the four sees the other three verified and makes the
/// contract ready, in the same transaction.
pub async fn review(
    store: &Store,
    mentor_id: Uuid,
    kind: DocumentKind,
    reviewer: Uuid,
    rejection_reason: Option<&str>,
) -> Result<Reviewed, StoreError> {
    const UPDATE: &str = "UPDATE documents SET status = $2, reviewed_by = $3, reviewed_at = $4, reason = $5, \
                          file_key = $6, file_deleted_at = $7 WHERE id = $1 AND status = 'submitted'";
    let now = crate::now();
    let mut tx = store.begin().await?;
    let mentor: Mentor = record::lock(&mut tx, mentor_id).await?;
    let mut docs = current_in(&mut tx, mentor_id).await?;
    let doc = docs
        .iter_mut()
        .find(|d| d.kind == kind)
        .ok_or(StoreError::NotFound("document"))?;
    let before = doc.clone();
    let Step { outcome, events } =
        rules::review_document(mentor_id, kind, doc.status, rejection_reason)
            .map_err(|r| StoreError::refused(&r))?;
    doc.status = outcome;
    doc.reviewed_by = Some(reviewer);
    doc.reviewed_at = Some(now);
    doc.reason = rejection_reason.map(str::to_owned);
    let forget_files = doc.status == DocumentStatus::Verified && kind.file_deleted_once_verified();
    let mut files_to_delete: Vec<String> = Vec::new();
    if forget_files {
        doc.file_deleted_at = Some(now);
        files_to_delete.extend(doc.file_key.take());
    }
    let written = tx
        .execute(
            query(UPDATE)
                .bind(doc.id)
                .bind(enum_text(&doc.status)?)
                .bind(reviewer)
                .bind(now)
                .bind(&doc.reason)
                .bind(&doc.file_key)
                .bind(doc.file_deleted_at),
        )
        .await?;
    if written != 1 {
        return Err(StoreError::VersionMismatch("document"));
    }
    if forget_files {
        files_to_delete.extend(forget_earlier_files(&mut tx, mentor_id, kind, now).await?);
    }
    let document = doc.clone();
    let action = if document.status == DocumentStatus::Verified {
        "document.verified"
    } else {
        "document.rejected"
    };
    let change = Change::by(action, reviewer);
    audit::write(
        &mut tx,
        AuditEntry::change(&change, "document", document.id, &before, &document),
    )
    .await?;
    events::record(&mut tx, &events).await?;
    let contract_ready = match rules::after_review(mentor_id, mentor.status, &checklist(&docs)) {
        Some(ready) => {
            let change = Change::by("mentor.contract_ready", reviewer);
            let mentor = record::change(&mut tx, mentor_id, change, |m: &Mentor| {
                Ok(ready.map(|status| Mentor {
                    status,
                    ..m.clone()
                }))
            })
            .await?;
            Some(mentor)
        }
        None => None,
    };
    tx.commit().await?;
    Ok(Reviewed {
        document,
        files_to_delete,
        contract_ready,
    })
}

/// Marks every earlier file of `kind` of the mentor deleted and returns their keys, for the
/// caller to delete once the transaction commits.
async fn forget_earlier_files(
    tx: &mut Tx,
    mentor_id: Uuid,
    kind: DocumentKind,
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    const FORGET: &str = "UPDATE documents SET file_key = NULL, file_deleted_at = $3 \
                          WHERE mentor_id = $1 AND kind = $2 AND NOT is_current AND file_key IS NOT NULL";
    const KEYS: &str = "SELECT file_key FROM documents \
                        WHERE mentor_id = $1 AND kind = $2 AND NOT is_current AND file_key IS NOT NULL";
    let kind = enum_text(&kind)?;
    let keys: Vec<String> = tx.scalars(query(KEYS).bind(mentor_id).bind(&kind)).await?;
    tx.execute(query(FORGET).bind(mentor_id).bind(&kind).bind(now))
        .await?;
    Ok(keys)
}

/// The key and media type of the current file of a kind, and an audit row of the download:
/// every access to a document is on record.
pub async fn open_file(
    store: &Store,
    mentor_id: Uuid,
    kind: DocumentKind,
    reader: Uuid,
) -> Result<(Document, String), StoreError> {
    let docs = current(store, mentor_id).await?;
    let doc = docs
        .into_iter()
        .find(|d| d.kind == kind)
        .ok_or(StoreError::NotFound("document"))?;
    let key = doc
        .file_key
        .clone()
        .ok_or_else(|| StoreError::refused(&rules::DocumentRefusal::FileDeleted))?;
    audit::accessed(store, "document.downloaded", reader, "document", doc.id).await?;
    Ok((doc, key))
}
