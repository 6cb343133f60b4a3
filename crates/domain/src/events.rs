//! What happened: each step of the program returns, with its outcome, the events it causes.
//! The store records them in the transaction of the change; notifications (and later the
//! integrations that subscribe to them) are made from these events, never from the handlers.

use serde::Serialize;
use uuid::Uuid;

use crate::mentors::DocumentKind;

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
}

impl Event {
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
        }
    }

    /// RULES.md, "Notifications and audit": the people the event names to tell. Every step of
    /// a mentor's way tells the mentor: what comes next, or what staff decided and why; an
    /// assignment tells the student, the mentor and the mentor the student leaves; a request
    /// for another path tells the mentor's manager.
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
            Event::PathRequested { manager_id, .. } => manager_id.iter().copied().collect(),
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
