//! Becoming a mentor (RULES.md, "Becoming a mentor"): application eligibility, the mentor's state
//! machine, the document checklist, and the date a mentor may ask for another path.

use crate::calendar::{add_months_clamped, local_date};
use crate::policy::Policies;
use crate::refusal::Refusal;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Application

/// RULES.md, Application: "legal status (`freelancer` | `company`)".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalStatus {
    Freelancer,
    Company,
}

impl LegalStatus {
    pub const ALL: [LegalStatus; 2] = [LegalStatus::Freelancer, LegalStatus::Company];
}

/// What the eligibility rules read from an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplicationFacts {
    pub professional_experience_years: u8,
    pub field_experience_years: u8,
    pub right_to_work_attested: bool,
}

/// An unmet eligibility rule, stored with an ineligible application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum UnmetRule {
    #[error("professional experience of {given} years, at least {required} needed")]
    ProfessionalExperienceTooShort { required: u8, given: u8 },
    #[error("experience in the path's field of {given} years, at least {required} needed")]
    FieldExperienceTooShort { required: u8, given: u8 },
    #[error("no attestation of being legally allowed to work in the country of residence")]
    RightToWorkNotAttested,
}

impl Refusal for UnmetRule {
    fn code(&self) -> &'static str {
        match self {
            UnmetRule::ProfessionalExperienceTooShort { .. } => "professional_experience_too_short",
            UnmetRule::FieldExperienceTooShort { .. } => "field_experience_too_short",
            UnmetRule::RightToWorkNotAttested => "right_to_work_not_attested",
        }
    }
}

/// RULES.md, Becoming a mentor, 2. Eligibility *(policy)*: professional experience >= 4 years,
/// experience in the path's field >= 2 years, the attestation given. Returns the unmet rules
/// (empty: eligible).
pub fn eligibility(application: &ApplicationFacts, policies: &Policies) -> Vec<UnmetRule> {
    let mut unmet = Vec::new();
    let (required, given) = (
        policies.min_professional_experience_years,
        application.professional_experience_years,
    );
    if given < required {
        unmet.push(UnmetRule::ProfessionalExperienceTooShort { required, given });
    }
    let (required, given) = (
        policies.min_field_experience_years,
        application.field_experience_years,
    );
    if given < required {
        unmet.push(UnmetRule::FieldExperienceTooShort { required, given });
    }
    if !application.right_to_work_attested {
        unmet.push(UnmetRule::RightToWorkNotAttested);
    }
    unmet
}

// ---------------------------------------------------------------------------------------------
// The mentor's state machine

/// The states of a mentor, from application to offboarding (RULES.md, "States").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MentorStatus {
    Applied,
    Accepted,
    Rejected,
    ContractReady,
    Active,
    Suspended,
    Offboarded,
}

impl MentorStatus {
    pub const ALL: [MentorStatus; 7] = [
        MentorStatus::Applied,
        MentorStatus::Accepted,
        MentorStatus::Rejected,
        MentorStatus::ContractReady,
        MentorStatus::Active,
        MentorStatus::Suspended,
        MentorStatus::Offboarded,
    ];

    /// RULES.md, States: `applied -> accepted | rejected`, `accepted -> contract_ready -> active`,
    /// `active <-> suspended`, `active | suspended -> offboarded`. Nothing else.
    pub fn may_become(self, to: MentorStatus) -> bool {
        use MentorStatus::*;
        matches!(
            (self, to),
            (Applied, Accepted)
                | (Applied, Rejected)
                | (Accepted, ContractReady)
                | (ContractReady, Active)
                | (Active, Suspended)
                | (Suspended, Active)
                | (Active, Offboarded)
                | (Suspended, Offboarded)
        )
    }

    /// RULES.md, States: "A transition not in this list is refused with 409 and the reason".
    /// Checks the edge only; the guarded steps have their own functions below.
    pub fn transition(self, to: MentorStatus) -> Result<MentorStatus, OnboardingRefusal> {
        if self.may_become(to) {
            Ok(to)
        } else {
            Err(OnboardingRefusal::TransitionNotAllowed { from: self, to })
        }
    }
}

/// A refused onboarding step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OnboardingRefusal {
    #[error("a mentor cannot go from {from:?} to {to:?}")]
    TransitionNotAllowed {
        from: MentorStatus,
        to: MentorStatus,
    },
    #[error("an ineligible application can only be rejected")]
    ApplicationIneligible { unmet: Vec<UnmetRule> },
    #[error("a reason is required")]
    ReasonRequired,
    #[error("every document must be verified first")]
    DocumentsNotVerified { missing: Vec<DocumentKind> },
    #[error("the typed name does not match the mentor's full name")]
    SignatureMismatch,
    #[error("the contract terms must be accepted")]
    TermsNotAccepted,
    #[error("the contract is ready once all four documents are verified")]
    ContractNotReady,
}

impl Refusal for OnboardingRefusal {
    fn code(&self) -> &'static str {
        match self {
            OnboardingRefusal::TransitionNotAllowed { .. } => "transition_not_allowed",
            OnboardingRefusal::ApplicationIneligible { .. } => "application_ineligible",
            OnboardingRefusal::ReasonRequired => "reason_required",
            OnboardingRefusal::DocumentsNotVerified { .. } => "documents_not_verified",
            OnboardingRefusal::SignatureMismatch => "signature_mismatch",
            OnboardingRefusal::TermsNotAccepted => "terms_not_accepted",
            OnboardingRefusal::ContractNotReady => "contract_not_ready",
        }
    }
}

/// RULES.md, Eligibility: "An ineligible application ... can only be rejected". Accepting needs
/// the application to be `applied` and no unmet rule.
pub fn accept_application(
    status: MentorStatus,
    unmet: &[UnmetRule],
) -> Result<MentorStatus, OnboardingRefusal> {
    let next = status.transition(MentorStatus::Accepted)?;
    if !unmet.is_empty() {
        return Err(OnboardingRefusal::ApplicationIneligible {
            unmet: unmet.to_vec(),
        });
    }
    Ok(next)
}

/// RULES.md, Review: "a manager accepts or rejects (reason required on reject)".
pub fn reject_application(
    status: MentorStatus,
    reason: &str,
) -> Result<MentorStatus, OnboardingRefusal> {
    let next = status.transition(MentorStatus::Rejected)?;
    require_reason(reason)?;
    Ok(next)
}

/// RULES.md, Contract: "when all four documents are verified, the contract is ready".
pub fn contract_ready(
    status: MentorStatus,
    documents: &DocumentChecklist,
) -> Result<MentorStatus, OnboardingRefusal> {
    let next = status.transition(MentorStatus::ContractReady)?;
    let missing = documents.not_verified();
    if !missing.is_empty() {
        return Err(OnboardingRefusal::DocumentsNotVerified { missing });
    }
    Ok(next)
}

/// RULES.md, Contract: "the mentor signs by typing their full name and accepting. Signing makes
/// the mentor active". Names compare ignoring case and extra spaces.
pub fn sign_contract(
    status: MentorStatus,
    full_name: &str,
    typed_name: &str,
    terms_accepted: bool,
) -> Result<MentorStatus, OnboardingRefusal> {
    let next = status.transition(MentorStatus::Active)?;
    if normalized_name(full_name) != normalized_name(typed_name) || typed_name.trim().is_empty() {
        return Err(OnboardingRefusal::SignatureMismatch);
    }
    if !terms_accepted {
        return Err(OnboardingRefusal::TermsNotAccepted);
    }
    Ok(next)
}

/// Where a mentor's contract stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractState {
    /// All four documents are verified; the mentor may sign.
    Ready,
    /// The mentor signed it (whatever their status since).
    Signed,
}

/// RULES.md, Contract: the contract exists once all four documents are verified (status
/// `contract_ready`), and stays readable, as signed, after the mentor signed it.
pub fn contract_state(
    status: MentorStatus,
    signed: bool,
) -> Result<ContractState, OnboardingRefusal> {
    match (status, signed) {
        (_, true) => Ok(ContractState::Signed),
        (MentorStatus::ContractReady, false) => Ok(ContractState::Ready),
        _ => Err(OnboardingRefusal::ContractNotReady),
    }
}

fn normalized_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn require_reason(reason: &str) -> Result<(), OnboardingRefusal> {
    if reason.trim().is_empty() {
        Err(OnboardingRefusal::ReasonRequired)
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Documents

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
    /// The media type to store and serve the file with.
    pub fn media_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
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
}

impl Refusal for DocumentRefusal {
    fn code(&self) -> &'static str {
        match self {
            DocumentRefusal::NotExpected { .. } => "documents_not_expected",
            DocumentRefusal::AlreadySent { .. } => "document_already_sent",
            DocumentRefusal::FileTypeNotAccepted => "file_type_not_accepted",
            DocumentRefusal::FileTooLarge { .. } => "file_too_large",
            DocumentRefusal::IssuedOnRequired => "issued_on_required",
            DocumentRefusal::IssuedOnInTheFuture { .. } => "issued_on_in_the_future",
            DocumentRefusal::CriminalRecordTooOld { .. } => "criminal_record_too_old",
            DocumentRefusal::NotAwaitingReview { .. } => "document_not_awaiting_review",
            DocumentRefusal::ReasonRequired => "reason_required",
        }
    }
}

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
            if add_months_clamped(issued_on, 3) < upload.uploaded_on =>
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
    let accepted = |issued_on: &NaiveDate| add_months_clamped(*issued_on, 3) >= uploaded_on;
    let mut day = uploaded_on
        .checked_sub_months(chrono::Months::new(3))
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
/// `reason` is `None` to verify, `Some` to reject.
pub fn review_document(
    current: DocumentStatus,
    rejection_reason: Option<&str>,
) -> Result<DocumentStatus, DocumentRefusal> {
    if current != DocumentStatus::Submitted {
        return Err(DocumentRefusal::NotAwaitingReview { status: current });
    }
    match rejection_reason {
        None => Ok(DocumentStatus::Verified),
        Some(reason) if reason.trim().is_empty() => Err(DocumentRefusal::ReasonRequired),
        Some(_) => Ok(DocumentStatus::Rejected),
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

// ---------------------------------------------------------------------------------------------
// Another path

/// RULES.md, Paths: a mentor may ask for another path "once 3 calendar months have passed since
/// `activated_at` (the same day of the month, or the month's last day if shorter)". `activated_on`
/// is the local date of `activated_at` in the mentor's zone.
pub fn another_path_eligible_from(activated_on: NaiveDate) -> NaiveDate {
    add_months_clamped(activated_on, 3)
}

/// What the another-path rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathRequestFacts {
    pub mentor_status: MentorStatus,
    pub activated_at: Option<DateTime<Utc>>,
    pub mentor_zone: Tz,
    /// The path asked for is already one of the mentor's approved paths.
    pub already_approved: bool,
    /// The mentor already has a request waiting for a manager.
    pub request_pending: bool,
}

/// A refused request for another path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathRequestRefusal {
    #[error("only an active mentor asks for another path")]
    MentorNotActive,
    #[error("another path can be asked for from {eligible_from}")]
    TooEarly { eligible_from: NaiveDate },
    #[error("the mentor already works on this path")]
    AlreadyApproved,
    #[error("a request is already waiting for a manager")]
    RequestPending,
    #[error("the request is {status:?}, not pending")]
    NotPending { status: PathRequestStatus },
}

impl Refusal for PathRequestRefusal {
    fn code(&self) -> &'static str {
        match self {
            PathRequestRefusal::MentorNotActive => "mentor_not_active",
            PathRequestRefusal::TooEarly { .. } => "too_early_for_another_path",
            PathRequestRefusal::AlreadyApproved => "path_already_approved",
            PathRequestRefusal::RequestPending => "path_request_pending",
            PathRequestRefusal::NotPending { .. } => "path_request_not_pending",
        }
    }
}

/// RULES.md, Paths: an active mentor asks for another path once 3 calendar months have passed
/// since activation (in the mentor's zone). Returns every broken rule.
pub fn check_path_request(
    facts: &PathRequestFacts,
    now: DateTime<Utc>,
) -> Result<(), Vec<PathRequestRefusal>> {
    let mut refusals = Vec::new();
    match (facts.mentor_status, facts.activated_at) {
        (MentorStatus::Active, Some(activated_at)) => {
            let eligible_from =
                another_path_eligible_from(local_date(activated_at, facts.mentor_zone));
            if local_date(now, facts.mentor_zone) < eligible_from {
                refusals.push(PathRequestRefusal::TooEarly { eligible_from });
            }
        }
        _ => refusals.push(PathRequestRefusal::MentorNotActive),
    }
    if facts.already_approved {
        refusals.push(PathRequestRefusal::AlreadyApproved);
    }
    if facts.request_pending {
        refusals.push(PathRequestRefusal::RequestPending);
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(refusals)
    }
}

/// RULES.md, Paths: "A manager approves or declines" a request for another path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathRequestStatus {
    Pending,
    Approved,
    Declined,
}

impl PathRequestStatus {
    /// Only a pending request is decided, once.
    pub fn decide(self, approve: bool) -> Result<PathRequestStatus, PathRequestRefusal> {
        match (self, approve) {
            (PathRequestStatus::Pending, true) => Ok(PathRequestStatus::Approved),
            (PathRequestStatus::Pending, false) => Ok(PathRequestStatus::Declined),
            (status, _) => Err(PathRequestRefusal::NotPending { status }),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_contract_exists_from_contract_ready_and_stays_once_signed() {
        use MentorStatus::*;
        assert_eq!(
            contract_state(ContractReady, false),
            Ok(ContractState::Ready)
        );
        for status in [Active, Suspended, Offboarded] {
            assert_eq!(contract_state(status, true), Ok(ContractState::Signed));
        }
        for status in [Applied, Accepted, Rejected, Active] {
            assert_eq!(
                contract_state(status, false),
                Err(OnboardingRefusal::ContractNotReady)
            );
        }
    }

    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn eligibility_lists_every_unmet_rule() {
        let policies = Policies::default();
        let ok = ApplicationFacts {
            professional_experience_years: 4,
            field_experience_years: 2,
            right_to_work_attested: true,
        };
        assert!(eligibility(&ok, &policies).is_empty());
        let weak = ApplicationFacts {
            professional_experience_years: 3,
            field_experience_years: 1,
            right_to_work_attested: false,
        };
        let codes: Vec<_> = eligibility(&weak, &policies)
            .iter()
            .map(Refusal::code)
            .collect();
        assert_eq!(
            codes,
            [
                "professional_experience_too_short",
                "field_experience_too_short",
                "right_to_work_not_attested"
            ]
        );
        let json = serde_json::to_string(&eligibility(&weak, &policies)[0]).unwrap();
        assert_eq!(
            json,
            r#"{"code":"professional_experience_too_short","required":4,"given":3}"#
        );
    }

    #[test]
    fn the_state_machine_allows_exactly_the_listed_transitions() {
        use MentorStatus::*;
        let all = [
            Applied,
            Accepted,
            Rejected,
            ContractReady,
            Active,
            Suspended,
            Offboarded,
        ];
        let allowed = [
            (Applied, Accepted),
            (Applied, Rejected),
            (Accepted, ContractReady),
            (ContractReady, Active),
            (Active, Suspended),
            (Suspended, Active),
            (Active, Offboarded),
            (Suspended, Offboarded),
        ];
        for from in all {
            for to in all {
                let expected = allowed.contains(&(from, to));
                assert_eq!(from.transition(to).is_ok(), expected, "{from:?} -> {to:?}");
                if !expected {
                    assert_eq!(
                        from.transition(to).unwrap_err().code(),
                        "transition_not_allowed"
                    );
                }
            }
        }
    }

    #[test]
    fn guarded_steps_check_their_facts() {
        use MentorStatus::*;
        let unmet = [UnmetRule::RightToWorkNotAttested];
        assert_eq!(accept_application(Applied, &[]), Ok(Accepted));
        assert_eq!(
            accept_application(Applied, &unmet).unwrap_err().code(),
            "application_ineligible"
        );
        assert_eq!(
            reject_application(Applied, " "),
            Err(OnboardingRefusal::ReasonRequired)
        );
        assert_eq!(reject_application(Applied, "too junior"), Ok(Rejected));
        assert!(reject_application(Accepted, "late").is_err());

        let partial = DocumentChecklist::new([(DocumentKind::Identity, DocumentStatus::Verified)]);
        assert_eq!(partial.not_verified().len(), 3);
        assert_eq!(
            contract_ready(Accepted, &partial).unwrap_err().code(),
            "documents_not_verified"
        );
        let all =
            DocumentChecklist::new(DocumentKind::ALL.map(|kind| (kind, DocumentStatus::Verified)));
        assert_eq!(contract_ready(Accepted, &all), Ok(ContractReady));

        assert_eq!(
            sign_contract(ContractReady, "Ada  Lovelace", " ada lovelace ", true),
            Ok(Active)
        );
        assert_eq!(
            sign_contract(ContractReady, "Ada Lovelace", "Ada", true),
            Err(OnboardingRefusal::SignatureMismatch)
        );
        assert_eq!(
            sign_contract(ContractReady, "Ada Lovelace", "Ada Lovelace", false),
            Err(OnboardingRefusal::TermsNotAccepted)
        );
        assert!(sign_contract(Accepted, "Ada Lovelace", "Ada Lovelace", true).is_err());
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
        assert_eq!(
            review_document(DocumentStatus::Submitted, None),
            Ok(DocumentStatus::Verified)
        );
        assert_eq!(
            review_document(DocumentStatus::Submitted, Some("blurry")),
            Ok(DocumentStatus::Rejected)
        );
        assert_eq!(
            review_document(DocumentStatus::Submitted, Some("")),
            Err(DocumentRefusal::ReasonRequired)
        );
        assert!(review_document(DocumentStatus::Verified, None).is_err());
        assert!(DocumentKind::CriminalRecord.file_deleted_once_verified());
        assert!(!DocumentKind::Diploma.file_deleted_once_verified());
    }

    #[test]
    fn another_path_after_3_calendar_months_in_the_mentors_zone() {
        let facts = PathRequestFacts {
            mentor_status: MentorStatus::Active,
            // 23:30 UTC on 30 January is 31 January in Paris.
            activated_at: Some("2026-01-30T23:30:00Z".parse().unwrap()),
            mentor_zone: chrono_tz::Europe::Paris,
            already_approved: false,
            request_pending: false,
        };
        let on = |text: &str| check_path_request(&facts, text.parse().unwrap());
        assert_eq!(
            on("2026-04-29T21:59:59Z"),
            Err(vec![PathRequestRefusal::TooEarly {
                eligible_from: day("2026-04-30")
            }])
        );
        assert_eq!(on("2026-04-29T22:00:00Z"), Ok(()));
        let suspended = PathRequestFacts {
            mentor_status: MentorStatus::Suspended,
            request_pending: true,
            ..facts
        };
        let codes: Vec<_> = check_path_request(&suspended, "2027-01-01T00:00:00Z".parse().unwrap())
            .unwrap_err()
            .iter()
            .map(Refusal::code)
            .collect();
        assert_eq!(codes, ["mentor_not_active", "path_request_pending"]);
        assert_eq!(
            PathRequestStatus::Pending.decide(true),
            Ok(PathRequestStatus::Approved)
        );
        assert!(PathRequestStatus::Declined.decide(true).is_err());
    }
}
