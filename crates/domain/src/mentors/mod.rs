//! Becoming a mentor (RULES.md, "Becoming a mentor"), one subject per module: the application and
//! its review, the four documents, the contract, the mentor's status, and another path.

pub mod application;
pub mod contract;
pub mod documents;
pub mod path_request;
pub mod status;

pub use application::{
    Acceptance, ApplicationFacts, LegalStatus, UnmetRule, accept_application, eligibility,
    receive_application, reject_application, zone_or_default,
};
pub use contract::{
    ContractState, Signature, after_review, contract_ready, contract_state, sign_contract,
};
pub use documents::{
    CRIMINAL_RECORD_MAX_AGE_MONTHS, DocumentChecklist, DocumentKind, DocumentRefusal,
    DocumentStatus, DocumentUpload, FileType, check_file_name, review_document, sniff_file_type,
    validate_document,
};
pub use path_request::{
    PathRequestFacts, PathRequestRefusal, PathRequestStatus, another_path_eligible_from,
    check_path_request,
};
pub use status::{MentorStatus, OnboardingRefusal, staff_move};
