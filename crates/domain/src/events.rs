//! What happened: each step of the program returns, with its outcome, the events it causes.
//! The store records them in the transaction of the change; notifications (and later the
//! integrations that subscribe to them) are made from these events, never from the handlers.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use uuid::Uuid;

use crate::mentors::DocumentKind;
use crate::reports::{ReportCategory, ReportStatus, Severity};
use crate::sessions::SessionStatus;

/// A session as its messages speak of it: when, how long, and the two people with their zones
/// (each reads the time in their own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionFacts {
    pub session_id: Uuid,
    pub start: DateTime<Utc>,
    pub minutes: u16,
    pub mentor_id: Uuid,
    pub mentor_name: String,
    #[serde(serialize_with = "crate::policy::zone_name::serialize")]
    pub mentor_zone: Tz,
    pub student_id: Uuid,
    pub student_name: String,
    #[serde(serialize_with = "crate::policy::zone_name::serialize")]
    pub student_zone: Tz,
}

impl SessionFacts {
    /// The session's two people, but `actor` (who needs no message about what they did).
    fn both_but(&self, actor: Option<Uuid>) -> Vec<Uuid> {
        [self.mentor_id, self.student_id]
            .into_iter()
            .filter(|person| Some(*person) != actor)
            .collect()
    }
}

/// Something that happened that a person is told of, or that a system may subscribe to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A person applied to mentor; `eligible` when every eligibility rule is met.
    ApplicationReceived { mentor_id: Uuid, eligible: bool },
    /// A manager accepted the application: the applicant now sends their documents.
    ApplicationAccepted { mentor_id: Uuid },
    /// A manager rejected the application, with the reason the applicant reads.
    ApplicationRejected { mentor_id: Uuid, reason: String },
    /// A manager rejected a document; it can be sent again.
    DocumentRejected {
        mentor_id: Uuid,
        kind: DocumentKind,
        reason: String,
    },
    /// The fourth document was verified: the contract waits for the mentor's signature.
    ContractReady { mentor_id: Uuid },
    /// The mentor signed their contract and is active, with their referral code.
    MentorActivated {
        mentor_id: Uuid,
        referral_code: String,
    },
    /// Staff suspended an active mentor.
    MentorSuspended { mentor_id: Uuid, reason: String },
    /// Staff reinstated a suspended mentor.
    MentorReinstated { mentor_id: Uuid, reason: String },
    /// Staff offboarded a mentor; final.
    MentorOffboarded { mentor_id: Uuid, reason: String },
    /// A student was assigned to a mentor (ending the assignment to `previous_mentor_id`).
    StudentAssigned {
        student_id: Uuid,
        student_name: String,
        mentor_id: Uuid,
        mentor_name: String,
        previous_mentor_id: Option<Uuid>,
    },
    /// A mentor asked to mentor another path; their manager decides.
    PathRequested {
        mentor_id: Uuid,
        mentor_name: String,
        path_title: String,
        manager_id: Option<Uuid>,
    },
    /// A manager approved or declined a mentor's request for another path.
    PathRequestDecided {
        mentor_id: Uuid,
        path_title: String,
        approved: bool,
        reason: Option<String>,
    },
    /// A session was booked (by `by`: the mentor, or staff).
    SessionBooked { session: SessionFacts, by: Uuid },
    /// A session moved from `previous_start` to the start of `session` (a new session).
    SessionRescheduled {
        session: SessionFacts,
        previous_start: DateTime<Utc>,
        by: Uuid,
    },
    /// A session was cancelled; `status` says whether in time or late, and on whose side.
    SessionCancelled {
        session: SessionFacts,
        status: SessionStatus,
        by: Uuid,
    },
    /// A session starts within a day.
    SessionReminder { session: SessionFacts },
    /// A session's outcome was recorded (held, or the student did not come). Tells no one: the
    /// mentor recorded it; systems subscribed to it hear of it.
    SessionCompleted {
        session: SessionFacts,
        status: SessionStatus,
    },
    /// A mentor wrote a session's notes after they were due.
    NotesLate {
        session: SessionFacts,
        due_at: DateTime<Utc>,
        manager_id: Option<Uuid>,
    },
    /// A mentor declared an absence; `students` had sessions inside it, which need a new date.
    AbsenceDeclared {
        mentor_id: Uuid,
        mentor_name: String,
        manager_id: Option<Uuid>,
        first_day: NaiveDate,
        last_day: NaiveDate,
        students: Vec<Uuid>,
        sessions_to_move: usize,
    },
    /// A mentor reported a student in difficulty.
    ReportFiled {
        report_id: Uuid,
        mentor_id: Uuid,
        student_id: Uuid,
        mentor_name: String,
        student_name: String,
        category: ReportCategory,
        severity: Severity,
        manager_id: Option<Uuid>,
    },
    /// A manager moved a mentor's report (acknowledged, resolved), with a comment.
    ReportMoved {
        report_id: Uuid,
        mentor_id: Uuid,
        student_name: String,
        status: ReportStatus,
        comment: Option<String>,
    },
    /// A mentor's monthly statement was issued: frozen and numbered.
    StatementIssued {
        mentor_id: Uuid,
        number: String,
        total: crate::money::Money,
    },
    /// A manager marked a mentor's statement paid.
    StatementPaid {
        mentor_id: Uuid,
        number: String,
        total: crate::money::Money,
        payment_reference: String,
    },
    /// A person's data export, prepared in the background, can be downloaded until `expires_at`;
    /// told to whoever asked for it (the person, or staff on their request).
    DataExportReady {
        requested_by: Uuid,
        export_id: Uuid,
        expires_at: DateTime<Utc>,
    },
    /// A webhook's deliveries failed for a day: it is disabled, and its owner told.
    WebhookDisabled {
        owner_id: Uuid,
        webhook_id: Uuid,
        url: String,
    },
}

impl Event {
    /// Every kind `kind` gives, for the contract's lists of what each operation sends.
    pub const KINDS: [&'static str; 26] = [
        "application_received",
        "application_accepted",
        "application_rejected",
        "document_rejected",
        "contract_ready",
        "mentor_activated",
        "mentor_suspended",
        "mentor_reinstated",
        "mentor_offboarded",
        "student_assigned",
        "path_requested",
        "path_request_approved",
        "path_request_declined",
        "session_booked",
        "session_rescheduled",
        "session_cancelled",
        "session_reminder",
        "notes_late",
        "absence_declared",
        "report_filed",
        "report_moved",
        "statement_issued",
        "statement_paid",
        "data_export_ready",
        "session_completed",
        "webhook_disabled",
    ];

    /// The event's stable snake_case kind: what a notification of it says happened
    /// (`mentor_activated`). Part of the API contract.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::ApplicationReceived { .. } => "application_received",
            Event::ApplicationAccepted { .. } => "application_accepted",
            Event::ApplicationRejected { .. } => "application_rejected",
            Event::DocumentRejected { .. } => "document_rejected",
            Event::ContractReady { .. } => "contract_ready",
            Event::MentorActivated { .. } => "mentor_activated",
            Event::MentorSuspended { .. } => "mentor_suspended",
            Event::MentorReinstated { .. } => "mentor_reinstated",
            Event::MentorOffboarded { .. } => "mentor_offboarded",
            Event::StudentAssigned { .. } => "student_assigned",
            Event::PathRequested { .. } => "path_requested",
            Event::PathRequestDecided { approved: true, .. } => "path_request_approved",
            Event::PathRequestDecided {
                approved: false, ..
            } => "path_request_declined",
            Event::SessionBooked { .. } => "session_booked",
            Event::SessionRescheduled { .. } => "session_rescheduled",
            Event::SessionCancelled { .. } => "session_cancelled",
            Event::SessionReminder { .. } => "session_reminder",
            Event::NotesLate { .. } => "notes_late",
            Event::AbsenceDeclared { .. } => "absence_declared",
            Event::ReportFiled { .. } => "report_filed",
            Event::ReportMoved { .. } => "report_moved",
            Event::StatementIssued { .. } => "statement_issued",
            Event::StatementPaid { .. } => "statement_paid",
            Event::DataExportReady { .. } => "data_export_ready",
            Event::SessionCompleted { .. } => "session_completed",
            Event::WebhookDisabled { .. } => "webhook_disabled",
        }
    }

    /// RULES.md, "Notifications and audit": the people the event names to tell. Every step of
    /// a mentor's way tells the mentor: what comes next, or what staff decided and why; an
    /// assignment tells the student, the mentor and the mentor the student leaves; a request
    /// for another path tells the mentor's manager; a booking, move or cancellation tells the
    /// other person of the session (both, when staff did it); a reminder tells both; late notes,
    /// an absence and a report tell the mentor's manager, and an absence each student whose
    /// session it touches; a manager's move of a report tells its mentor; issuing and paying a statement
    /// tell its mentor.
    pub fn told(&self) -> Vec<Uuid> {
        match self {
            Event::ApplicationReceived { mentor_id, .. }
            | Event::ApplicationAccepted { mentor_id }
            | Event::ApplicationRejected { mentor_id, .. }
            | Event::DocumentRejected { mentor_id, .. }
            | Event::ContractReady { mentor_id }
            | Event::MentorActivated { mentor_id, .. }
            | Event::MentorSuspended { mentor_id, .. }
            | Event::MentorReinstated { mentor_id, .. }
            | Event::MentorOffboarded { mentor_id, .. }
            | Event::PathRequestDecided { mentor_id, .. } => vec![*mentor_id],
            Event::StudentAssigned {
                student_id,
                mentor_id,
                previous_mentor_id,
                ..
            } => [Some(*student_id), Some(*mentor_id), *previous_mentor_id]
                .into_iter()
                .flatten()
                .collect(),
            Event::PathRequested { manager_id, .. }
            | Event::NotesLate { manager_id, .. }
            | Event::ReportFiled { manager_id, .. } => manager_id.iter().copied().collect(),
            Event::SessionBooked { session, by }
            | Event::SessionRescheduled { session, by, .. }
            | Event::SessionCancelled { session, by, .. } => session.both_but(Some(*by)),
            Event::SessionReminder { session } => session.both_but(None),
            Event::AbsenceDeclared {
                manager_id,
                students,
                ..
            } => manager_id.iter().chain(students).copied().collect(),
            Event::ReportMoved { mentor_id, .. }
            | Event::StatementIssued { mentor_id, .. }
            | Event::StatementPaid { mentor_id, .. } => vec![*mentor_id],
            Event::DataExportReady { requested_by, .. } => vec![*requested_by],
            Event::SessionCompleted { .. } => Vec::new(),
            Event::WebhookDisabled { owner_id, .. } => vec![*owner_id],
        }
    }
}

/// The outcome of a step of the program, with the events it causes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step<T> {
    pub outcome: T,
    pub events: Vec<Event>,
}

impl<T> Step<T> {
    /// An outcome that causes `events`.
    pub fn new(outcome: T, events: impl IntoIterator<Item = Event>) -> Self {
        Step {
            outcome,
            events: events.into_iter().collect(),
        }
    }

    /// An outcome nobody needs to hear of.
    pub fn quiet(outcome: T) -> Self {
        Step {
            outcome,
            events: Vec::new(),
        }
    }

    /// The same events with the outcome turned into another value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Step<U> {
        Step {
            outcome: f(self.outcome),
            events: self.events,
        }
    }
}
