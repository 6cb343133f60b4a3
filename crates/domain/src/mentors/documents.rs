//! The four onboarding documents (RULES.md, "Becoming a mentor", 3): what a sent file must be,
//! its review, and the checklist that makes the contract ready.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calendar::add_months_clamped;
use crate::events::{Event, Step};
use crate::mentors::status::MentorStatus;
use crate::policy::Policies;

/// RULES.md, Review: "A criminal record extract must be issued at most 3 months before upload".
pub const CRIMINAL_RECORD_MAX_AGE_MONTHS: u32 = 3;

/// RULES.md, Review: the four documents an accepted applicant sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Identity,
    CriminalRecord,
    Diploma,
    CompanyRegistration,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 4] = [
        DocumentKind::Identity,
        DocumentKind::CriminalRecord,
        DocumentKind::Diploma,
        DocumentKind::CompanyRegistration,
    ];

    /// The kind's name, as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Identity => "identity",
            DocumentKind::CriminalRecord => "criminal_record",
            DocumentKind::Diploma => "diploma",
            DocumentKind::CompanyRegistration => "company_registration",
        }
    }

    /// RULES.md, Review: "Once a criminal record extract is verified, its file is deleted; the
    /// verification result and date are kept (data minimisation)".
    pub fn file_deleted_once_verified(self) -> bool {
        self == DocumentKind::CriminalRecord
    }
}

/// The review state of one sent document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// Sent, waiting for a manager.
    Submitted,
    Verified,
    Rejected,
}

/// RULES.md, Review: "Accepted files: PDF, PNG or JPEG".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Pdf,
    Png,
    Jpeg,
}

impl FileType {
    pub const ALL: [FileType; 3] = [FileType::Pdf, FileType::Png, FileType::Jpeg];

    /// The media type to store and serve the file with.
    pub fn media_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
        }
    }

    /// The type a stored media type names.
    pub fn of_media_type(media_type: &str) -> Option<FileType> {
        FileType::ALL
            .into_iter()
            .find(|t| t.media_type() == media_type)
    }

    /// The extension of a file of this type, for the names the server gives files it hands out.
    pub fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Png => "png",
            FileType::Jpeg => "jpg",
        }
    }
}

/// RULES.md, Review: file types are "checked by their first bytes, not by name or Content-Type".
pub fn sniff_file_type(first_bytes: &[u8]) -> Option<FileType> {
    const SIGNATURES: [(&[u8], FileType); 3] = [
        (b"%PDF-", FileType::Pdf),
        (b"\x89PNG\r\n\x1a\n", FileType::Png),
        (b"\xff\xd8\xff", FileType::Jpeg),
    ];
    SIGNATURES
        .into_iter()
        .find(|(signature, _)| first_bytes.starts_with(signature))
        .map(|(_, file_type)| file_type)
}

/// A document being sent. `uploaded_on` is the caller's today (in the platform zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentUpload<'a> {
    pub kind: DocumentKind,
    /// The first bytes of the file (16 are plenty).
    pub first_bytes: &'a [u8],
    pub size_bytes: u64,
    pub issued_on: Option<NaiveDate>,
    pub uploaded_on: NaiveDate,
}

/// A refused document upload or review.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentRefusal {
    #[error("documents are sent once the application is accepted, and before the contract")]
    NotExpected { status: MentorStatus },
    #[error(
        "this document was already sent and is {status:?}; only a rejected one can be sent again"
    )]
    AlreadySent { status: DocumentStatus },
    #[error("only PDF, PNG or JPEG files are accepted")]
    FileTypeNotAccepted,
    #[error("the file is larger than {max_bytes} bytes")]
    FileTooLarge { max_bytes: u64 },
    #[error("a criminal record extract needs its issue date")]
    IssuedOnRequired,
    #[error("the issue date {issued_on} is after the upload")]
    IssuedOnInTheFuture { issued_on: NaiveDate },
    #[error(
        "a criminal record extract must be issued at most 3 months before upload, on {oldest_accepted} or later"
    )]
    CriminalRecordTooOld { oldest_accepted: NaiveDate },
    #[error("the document is {status:?}, not waiting for review")]
    NotAwaitingReview { status: DocumentStatus },
    #[error("a reason is required")]
    ReasonRequired,
    #[error("{problem}")]
    FileNameInvalid { problem: &'static str },
    #[error("the file is not what its name .{extension} claims")]
    FileNameMismatch { extension: String },
    /// RULES.md, Review: a verified criminal record extract's file is deleted (data
    /// minimisation); only the result and its date are kept.
    #[error("the file was deleted once verified; only the result and its date are kept")]
    FileDeleted,
}

crate::refusal_codes!(DocumentRefusal {
    NotExpected => "documents_not_expected", Conflict;
    AlreadySent => "document_already_sent", Conflict;
    FileTypeNotAccepted => "file_type_not_accepted", UnsupportedContent;
    FileTooLarge => "file_too_large", InvalidField("file");
    IssuedOnRequired => "issued_on_required", InvalidField("issued_on");
    IssuedOnInTheFuture => "issued_on_in_the_future", InvalidField("issued_on");
    CriminalRecordTooOld => "criminal_record_too_old", InvalidField("issued_on");
    NotAwaitingReview => "document_not_awaiting_review", Conflict;
    ReasonRequired => "reason_required", InvalidField("reason");
    FileNameInvalid => "invalid_file_name", InvalidField("file");
    FileNameMismatch => "file_name_does_not_match", UnsupportedContent;
    FileDeleted => "document_file_deleted", Conflict;
});

/// RULES.md, Review: every rule on a sent document: the mentor is `accepted`, the kind is not
/// already sent (unless rejected), PDF/PNG/JPEG by first bytes, at most 10 MiB *(policy)*, and a
/// criminal record issued at most 3 calendar months before upload. Returns the file's type, or
/// every broken rule.
pub fn validate_document(
    upload: &DocumentUpload<'_>,
    mentor_status: MentorStatus,
    current: Option<DocumentStatus>,
    policies: &Policies,
) -> Result<FileType, Vec<DocumentRefusal>> {
    let mut refusals = Vec::new();
    if mentor_status != MentorStatus::Accepted {
        refusals.push(DocumentRefusal::NotExpected {
            status: mentor_status,
        });
    }
    if let Some(status @ (DocumentStatus::Submitted | DocumentStatus::Verified)) = current {
        refusals.push(DocumentRefusal::AlreadySent { status });
    }
    let file_type = sniff_file_type(upload.first_bytes);
    if file_type.is_none() {
        refusals.push(DocumentRefusal::FileTypeNotAccepted);
    }
    if upload.size_bytes > policies.max_document_bytes {
        refusals.push(DocumentRefusal::FileTooLarge {
            max_bytes: policies.max_document_bytes,
        });
    }
    refusals.extend(check_issued_on(upload));
    match file_type {
        Some(file_type) if refusals.is_empty() => Ok(file_type),
        _ => Err(refusals),
    }
}

/// RULES.md, Review: "A criminal record extract must be issued at most 3 months before upload".
fn check_issued_on(upload: &DocumentUpload<'_>) -> Option<DocumentRefusal> {
    match (upload.kind, upload.issued_on) {
        (_, Some(issued_on)) if issued_on > upload.uploaded_on => {
            Some(DocumentRefusal::IssuedOnInTheFuture { issued_on })
        }
        (DocumentKind::CriminalRecord, None) => Some(DocumentRefusal::IssuedOnRequired),
        (DocumentKind::CriminalRecord, Some(issued_on))
            if add_months_clamped(issued_on, CRIMINAL_RECORD_MAX_AGE_MONTHS)
                < upload.uploaded_on =>
        {
            Some(DocumentRefusal::CriminalRecordTooOld {
                oldest_accepted: oldest_accepted_issue(upload.uploaded_on),
            })
        }
        _ => None,
    }
}

/// The earliest issue date accepted on `uploaded_on`: the first day whose "3 months later" is not
/// before the upload. Clamping makes month ends irregular (issued 28 February reaches only
/// 28 May), so step from the naive answer to the exact one.
fn oldest_accepted_issue(uploaded_on: NaiveDate) -> NaiveDate {
    let accepted = |issued_on: &NaiveDate| {
        add_months_clamped(*issued_on, CRIMINAL_RECORD_MAX_AGE_MONTHS) >= uploaded_on
    };
    let mut day = uploaded_on
        .checked_sub_months(chrono::Months::new(CRIMINAL_RECORD_MAX_AGE_MONTHS))
        .unwrap_or(NaiveDate::MIN);
    while !accepted(&day) && day < uploaded_on {
        day = day.succ_opt().unwrap_or(uploaded_on);
    }
    while let Some(before) = day.pred_opt().filter(accepted) {
        day = before;
    }
    day
}

/// RULES.md, Review: "A manager verifies or rejects each document (reason required)".
/// `reason` is `None` to verify, `Some` to reject; the applicant is told of a rejection, with the
/// reason, and may send the document again.
pub fn review_document(
    mentor_id: Uuid,
    kind: DocumentKind,
    current: DocumentStatus,
    rejection_reason: Option<&str>,
) -> Result<Step<DocumentStatus>, DocumentRefusal> {
    if current != DocumentStatus::Submitted {
        return Err(DocumentRefusal::NotAwaitingReview { status: current });
    }
    match rejection_reason {
        None => Ok(Step::quiet(DocumentStatus::Verified)),
        Some(reason) if reason.trim().is_empty() => Err(DocumentRefusal::ReasonRequired),
        Some(reason) => {
            let event = Event::DocumentRejected {
                mentor_id,
                kind,
                reason: reason.to_owned(),
            };
            Ok(Step::new(DocumentStatus::Rejected, [event]))
        }
    }
}

/// A file's name must be a plain name with one extension, and that extension must match the
/// content: `id.pdf` holding a PNG, `a.pdf.exe` or `../id.pdf` are refused (the name is kept for
/// no purpose but this check: stored files are named by the server).
pub fn check_file_name(name: &str, file_type: FileType) -> Result<(), DocumentRefusal> {
    if name.is_empty() || name.contains(['/', '\\', '\0']) || name.starts_with('.') {
        return Err(DocumentRefusal::FileNameInvalid {
            problem: "the file name must be a plain name, without a folder",
        });
    }
    let extension = match name.split_once('.') {
        Some((stem, extension)) if !stem.is_empty() && !extension.contains('.') => {
            extension.to_ascii_lowercase()
        }
        _ => {
            return Err(DocumentRefusal::FileNameInvalid {
                problem: "the file name must have exactly one extension (e.g. identity.pdf)",
            });
        }
    };
    let matches = match file_type {
        FileType::Pdf => extension == "pdf",
        FileType::Png => extension == "png",
        FileType::Jpeg => extension == "jpg" || extension == "jpeg",
    };
    if matches {
        Ok(())
    } else {
        Err(DocumentRefusal::FileNameMismatch { extension })
    }
}

/// The latest state of each of the four documents of one applicant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentChecklist {
    latest: [Option<DocumentStatus>; 4],
}

impl DocumentChecklist {
    /// Builds the checklist from the latest status of each kind sent.
    pub fn new<I: IntoIterator<Item = (DocumentKind, DocumentStatus)>>(latest: I) -> Self {
        let mut checklist = DocumentChecklist::default();
        for (kind, status) in latest {
            checklist.latest[kind as usize] = Some(status);
        }
        checklist
    }

    /// The latest status of one kind, `None` when never sent.
    pub fn status(&self, kind: DocumentKind) -> Option<DocumentStatus> {
        self.latest[kind as usize]
    }

    /// The kinds still to be verified, in checklist order.
    pub fn not_verified(&self) -> Vec<DocumentKind> {
        DocumentKind::ALL
            .into_iter()
            .filter(|kind| self.status(*kind) != Some(DocumentStatus::Verified))
            .collect()
    }

    /// RULES.md, Contract: "when all four documents are verified, the contract is ready".
    pub fn all_verified(&self) -> bool {
        self.not_verified().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::Refusal;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn upload(
        kind: DocumentKind,
        issued_on: Option<&str>,
        uploaded_on: &str,
    ) -> DocumentUpload<'static> {
        DocumentUpload {
            kind,
            first_bytes: b"%PDF-1.7\n",
            size_bytes: 1000,
            issued_on: issued_on.map(day),
            uploaded_on: day(uploaded_on),
        }
    }

    #[test]
    fn files_are_recognised_by_their_first_bytes() {
        assert_eq!(sniff_file_type(b"%PDF-1.4"), Some(FileType::Pdf));
        assert_eq!(
            sniff_file_type(b"\x89PNG\r\n\x1a\n\0\0"),
            Some(FileType::Png)
        );
        assert_eq!(sniff_file_type(b"\xff\xd8\xff\xe0"), Some(FileType::Jpeg));
        assert_eq!(sniff_file_type(b"GIF89a"), None);
        assert_eq!(sniff_file_type(b""), None);
    }

    #[test]
    fn a_stored_media_type_names_its_type_and_extension() {
        for file_type in FileType::ALL {
            assert_eq!(
                FileType::of_media_type(file_type.media_type()),
                Some(file_type)
            );
        }
        assert_eq!(
            FileType::of_media_type("image/jpeg").map(FileType::extension),
            Some("jpg")
        );
        assert_eq!(FileType::of_media_type("image/gif"), None);
    }

    #[test]
    fn documents_are_checked_in_full() {
        let policies = Policies::default();
        let accepted = MentorStatus::Accepted;
        let ok = upload(DocumentKind::Diploma, None, "2026-05-01");
        assert_eq!(
            validate_document(&ok, accepted, None, &policies),
            Ok(FileType::Pdf)
        );
        assert!(
            validate_document(&ok, accepted, Some(DocumentStatus::Rejected), &policies).is_ok()
        );

        let bad = DocumentUpload {
            first_bytes: b"MZ",
            size_bytes: 10 * 1024 * 1024 + 1,
            ..ok
        };
        let codes: Vec<_> = validate_document(
            &bad,
            MentorStatus::Active,
            Some(DocumentStatus::Verified),
            &policies,
        )
        .unwrap_err()
        .iter()
        .map(Refusal::code)
        .collect();
        assert_eq!(
            codes,
            [
                "documents_not_expected",
                "document_already_sent",
                "file_type_not_accepted",
                "file_too_large"
            ]
        );
    }

    #[test]
    fn a_criminal_record_is_issued_at_most_3_months_before_upload() {
        let policies = Policies::default();
        let check = |issued: Option<&str>, uploaded: &str| {
            validate_document(
                &upload(DocumentKind::CriminalRecord, issued, uploaded),
                MentorStatus::Accepted,
                None,
                &policies,
            )
            .map_err(|refusals| refusals.iter().map(Refusal::code).collect::<Vec<_>>())
        };
        assert!(check(Some("2026-02-15"), "2026-05-15").is_ok());
        assert_eq!(
            check(Some("2026-02-14"), "2026-05-15"),
            Err(vec!["criminal_record_too_old"])
        );
        // Month-end clamping: issued 30 November, 3 months later is 28 February.
        assert!(check(Some("2026-11-30"), "2027-02-28").is_ok());
        assert!(check(Some("2026-11-30"), "2027-03-01").is_err());
        assert_eq!(check(None, "2026-05-15"), Err(vec!["issued_on_required"]));
        assert_eq!(
            check(Some("2026-05-16"), "2026-05-15"),
            Err(vec!["issued_on_in_the_future"])
        );
        let too_old = validate_document(
            &upload(
                DocumentKind::CriminalRecord,
                Some("2026-11-27"),
                "2027-02-28",
            ),
            MentorStatus::Accepted,
            None,
            &policies,
        );
        assert_eq!(
            too_old,
            Err(vec![DocumentRefusal::CriminalRecordTooOld {
                oldest_accepted: day("2026-11-28")
            }])
        );
        // 28 February + 3 months is 28 May: on 31 May the oldest accepted issue is 1 March.
        assert_eq!(
            check(Some("2026-02-28"), "2026-05-31"),
            Err(vec!["criminal_record_too_old"])
        );
        assert!(check(Some("2026-03-01"), "2026-05-31").is_ok());
        assert_eq!(oldest_accepted_issue(day("2026-05-31")), day("2026-03-01"));
    }

    #[test]
    fn documents_are_reviewed_once() {
        let id = Uuid::from_u128(1);
        let review = |status, reason| review_document(id, DocumentKind::Identity, status, reason);
        let verified = review(DocumentStatus::Submitted, None).unwrap();
        assert_eq!(verified, Step::quiet(DocumentStatus::Verified));
        let rejected = review(DocumentStatus::Submitted, Some("blurry")).unwrap();
        assert_eq!(rejected.outcome, DocumentStatus::Rejected);
        assert_eq!(
            rejected.events,
            [Event::DocumentRejected {
                mentor_id: id,
                kind: DocumentKind::Identity,
                reason: "blurry".into()
            }]
        );
        assert_eq!(
            review(DocumentStatus::Submitted, Some("")),
            Err(DocumentRefusal::ReasonRequired)
        );
        assert!(review(DocumentStatus::Verified, None).is_err());
        assert!(DocumentKind::CriminalRecord.file_deleted_once_verified());
        assert!(!DocumentKind::Diploma.file_deleted_once_verified());
    }

    #[test]
    fn file_names_are_plain_with_one_extension_matching_the_content() {
        let code = |name: &str, file_type| check_file_name(name, file_type).unwrap_err().code();
        assert_eq!(check_file_name("id.pdf", FileType::Pdf), Ok(()));
        assert_eq!(check_file_name("scan.JPEG", FileType::Jpeg), Ok(()));
        assert_eq!(code("id.pdf", FileType::Png), "file_name_does_not_match");
        for bad in [
            "a.pdf.exe",
            "../id.pdf",
            ".pdf",
            "id",
            "",
            "a/b.pdf",
            "a\\b.pdf",
        ] {
            assert_eq!(code(bad, FileType::Pdf), "invalid_file_name", "{bad}");
        }
    }
}
