//! Onboarding documents (RULES.md, "Review"): one current document per kind and mentor, the
//! earlier ones kept as history. The file itself lives in the API's file store; rows hold its key.

use chrono::{DateTime, NaiveDate, Utc};
use mentorship_domain::onboarding::{
    self, DocumentChecklist, DocumentKind, DocumentStatus, MentorStatus,
};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::AuditEntry;
use crate::mentors::{Mentor, enum_from, enum_text, get_in_tx, tell, write_mentor};
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
const MENTOR_SQL: &str = "SELECT status FROM mentors WHERE user_id = $1";

/// The current document of each kind a mentor sent.
pub async fn current(store: &Store, mentor_id: Uuid) -> Result<Vec<Document>, StoreError> {
    let rows: Vec<DocumentRow> = read!(store, |pool| sqlx::query_as(CURRENT_SQL)
        .bind(mentor_id)
        .fetch_all(pool)
        .await?);
    rows.into_iter().map(Document::try_from).collect()
}

/// The checklist of current documents.
pub fn checklist(documents: &[Document]) -> DocumentChecklist {
    DocumentChecklist::new(documents.iter().map(|d| (d.kind, d.status)))
}

/// A file already in the file store, to record as a mentor's document.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub kind: DocumentKind,
    pub file_key: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub issued_on: Option<NaiveDate>,
}

/// Records a sent document as the current one of its kind. `decide` gets the mentor's status and
/// the current document's status of that kind, and refuses what the rules do not allow.
pub async fn submit(
    store: &Store,
    mentor_id: Uuid,
    new: NewDocument,
    decide: impl FnOnce(MentorStatus, Option<DocumentStatus>) -> Result<(), StoreError>,
) -> Result<Document, StoreError> {
    const RETIRE: &str =
        "UPDATE documents SET is_current = FALSE WHERE mentor_id = $1 AND kind = $2 AND is_current";
    const INSERT: &str = "INSERT INTO documents (id, mentor_id, kind, status, is_current, file_key, media_type, \
                          size_bytes, issued_on, uploaded_at) VALUES ($1, $2, $3, 'submitted', TRUE, $4, $5, $6, $7, $8)";
    let now = crate::now();
    let kind = enum_text(&new.kind)?;
    write_tx!(store, |tx| {
        let status: Option<String> = sqlx::query_scalar(MENTOR_SQL)
            .bind(mentor_id)
            .fetch_optional(&mut *tx)
            .await?;
        let status: MentorStatus = enum_from(&status.ok_or(StoreError::NotFound("mentor"))?)?;
        let rows: Vec<DocumentRow> = sqlx::query_as(CURRENT_SQL)
            .bind(mentor_id)
            .fetch_all(&mut *tx)
            .await?;
        let docs = rows
            .into_iter()
            .map(Document::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        decide(status, checklist(&docs).status(new.kind))?;
        sqlx::query(RETIRE)
            .bind(mentor_id)
            .bind(&kind)
            .execute(&mut *tx)
            .await?;
        let id = new_id();
        sqlx::query(INSERT)
            .bind(id)
            .bind(mentor_id)
            .bind(&kind)
            .bind(&new.file_key)
            .bind(&new.media_type)
            .bind(new.size_bytes)
            .bind(new.issued_on.map(|d| d.to_string()))
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::unique_as("current document"))?;
        audit!(
            tx,
            AuditEntry {
                actor_id: Some(mentor_id),
                action: "document.submitted",
                object_type: "document",
                object_id: id,
                before: None,
                after: Some(
                    serde_json::json!({"kind": kind, "size_bytes": new.size_bytes, "media_type": new.media_type})
                ),
                at: now,
            }
        );
    });
    let docs = current(store, mentor_id).await?;
    docs.into_iter()
        .find(|d| d.kind == new.kind)
        .ok_or(StoreError::NotFound("document"))
}

/// What a review did.
#[derive(Debug, Clone)]
pub struct Reviewed {
    pub document: Document,
    /// The file to delete now that it is no longer kept (a verified criminal record extract).
    pub file_to_delete: Option<String>,
    /// The mentor, when the review completed the checklist and made the contract ready.
    pub contract_ready: Option<Mentor>,
}

/// Verifies (`rejection_reason: None`) or rejects the current document of a kind. When the last
/// of the four is verified, the mentor's contract becomes ready in the same transaction.
pub async fn review(
    store: &Store,
    mentor_id: Uuid,
    kind: DocumentKind,
    reviewer: Uuid,
    rejection_reason: Option<&str>,
) -> Result<Reviewed, StoreError> {
    const UPDATE: &str = "UPDATE documents SET status = $2, reviewed_by = $3, reviewed_at = $4, reason = $5, \
                          file_key = $6, file_deleted_at = $7 WHERE id = $1";
    let now = crate::now();
    write_tx!(store, |tx| {
        let rows: Vec<DocumentRow> = sqlx::query_as(CURRENT_SQL)
            .bind(mentor_id)
            .fetch_all(&mut *tx)
            .await?;
        let mut docs = rows
            .into_iter()
            .map(Document::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let doc = docs
            .iter_mut()
            .find(|d| d.kind == kind)
            .ok_or(StoreError::NotFound("document"))?;
        let before = doc.clone();
        doc.status = onboarding::review_document(doc.status, rejection_reason)
            .map_err(|r| StoreError::refused(&r))?;
        doc.reviewed_by = Some(reviewer);
        doc.reviewed_at = Some(now);
        doc.reason = rejection_reason.map(str::to_owned);
        let file_to_delete =
            if doc.status == DocumentStatus::Verified && kind.file_deleted_once_verified() {
                doc.file_deleted_at = Some(now);
                doc.file_key.take()
            } else {
                None
            };
        sqlx::query(UPDATE)
            .bind(doc.id)
            .bind(enum_text(&doc.status)?)
            .bind(reviewer)
            .bind(now)
            .bind(&doc.reason)
            .bind(&doc.file_key)
            .bind(doc.file_deleted_at)
            .execute(&mut *tx)
            .await?;
        let document = doc.clone();
        audit!(
            tx,
            AuditEntry {
                actor_id: Some(reviewer),
                action: if document.status == DocumentStatus::Verified {
                    "document.verified"
                } else {
                    "document.rejected"
                },
                object_type: "document",
                object_id: document.id,
                before: serde_json::to_value(&before).ok(),
                after: serde_json::to_value(&document).ok(),
                at: now,
            }
        );
        if let Some(reason) = rejection_reason {
            let mentor = get_in_tx!(tx, mentor_id);
            notify!(
                tx,
                tell::document_rejected(&mentor, &enum_text(&kind)?.replace('_', " "), reason)
            );
        }
        let checklist = checklist(&docs);
        let mut contract_ready = None;
        if checklist.all_verified() {
            let mentor = get_in_tx!(tx, mentor_id);
            if mentor.status == MentorStatus::Accepted {
                let mut after = mentor.clone();
                after.status = onboarding::contract_ready(mentor.status, &checklist)
                    .map_err(|r| StoreError::refused(&r))?;
                after.version += 1;
                after.updated_at = now;
                write_mentor!(tx, after);
                audit!(
                    tx,
                    AuditEntry {
                        actor_id: Some(reviewer),
                        action: "mentor.contract_ready",
                        object_type: "mentor",
                        object_id: mentor_id,
                        before: Some(serde_json::json!({"status": "accepted"})),
                        after: Some(serde_json::json!({"status": "contract_ready"})),
                        at: now,
                    }
                );
                notify!(tx, tell::contract_ready(&after));
                contract_ready = Some(after);
            }
        }
        Ok(Reviewed {
            document,
            file_to_delete,
            contract_ready,
        })
    })
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
    let key = doc.file_key.clone().ok_or(StoreError::Refused {
        code: "document_file_deleted",
        message: "the file was deleted once verified; only the result and its date are kept".into(),
    })?;
    let now = crate::now();
    write_tx!(store, |tx| {
        audit!(
            tx,
            AuditEntry {
                actor_id: Some(reader),
                action: "document.downloaded",
                object_type: "document",
                object_id: doc.id,
                before: None,
                after: None,
                at: now,
            }
        );
    });
    Ok((doc, key))
}
