//! Webhooks: the program's events pushed to the systems around it (an HR tool, an accounting
//! export, a chat bot). What can be subscribed to, what each delivery says (ids and facts, never
//! a person's name: the receiver reads the rest through the API with its own rights), and when
//! a failed delivery is tried again, given up, and its subscription disabled.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::Event;
use crate::sessions::SessionStatus;

/// The events a webhook can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WebhookEvent {
    #[serde(rename = "application.received")]
    ApplicationReceived,
    #[serde(rename = "mentor.activated")]
    MentorActivated,
    #[serde(rename = "mentor.suspended")]
    MentorSuspended,
    #[serde(rename = "mentor.reinstated")]
    MentorReinstated,
    #[serde(rename = "mentor.offboarded")]
    MentorOffboarded,
    #[serde(rename = "student.assigned")]
    StudentAssigned,
    #[serde(rename = "session.booked")]
    SessionBooked,
    #[serde(rename = "session.rescheduled")]
    SessionRescheduled,
    #[serde(rename = "session.cancelled")]
    SessionCancelled,
    #[serde(rename = "session.completed")]
    SessionCompleted,
    #[serde(rename = "absence.declared")]
    AbsenceDeclared,
    #[serde(rename = "report.filed")]
    ReportFiled,
    #[serde(rename = "statement.issued")]
    StatementIssued,
    #[serde(rename = "statement.paid")]
    StatementPaid,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 14] = [
        WebhookEvent::ApplicationReceived,
        WebhookEvent::MentorActivated,
        WebhookEvent::MentorSuspended,
        WebhookEvent::MentorReinstated,
        WebhookEvent::MentorOffboarded,
        WebhookEvent::StudentAssigned,
        WebhookEvent::SessionBooked,
        WebhookEvent::SessionRescheduled,
        WebhookEvent::SessionCancelled,
        WebhookEvent::SessionCompleted,
        WebhookEvent::AbsenceDeclared,
        WebhookEvent::ReportFiled,
        WebhookEvent::StatementIssued,
        WebhookEvent::StatementPaid,
    ];

    /// The event's name in deliveries and subscriptions (`session.booked`).
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::ApplicationReceived => "application.received",
            WebhookEvent::MentorActivated => "mentor.activated",
            WebhookEvent::MentorSuspended => "mentor.suspended",
            WebhookEvent::MentorReinstated => "mentor.reinstated",
            WebhookEvent::MentorOffboarded => "mentor.offboarded",
            WebhookEvent::StudentAssigned => "student.assigned",
            WebhookEvent::SessionBooked => "session.booked",
            WebhookEvent::SessionRescheduled => "session.rescheduled",
            WebhookEvent::SessionCancelled => "session.cancelled",
            WebhookEvent::SessionCompleted => "session.completed",
            WebhookEvent::AbsenceDeclared => "absence.declared",
            WebhookEvent::ReportFiled => "report.filed",
            WebhookEvent::StatementIssued => "statement.issued",
            WebhookEvent::StatementPaid => "statement.paid",
        }
    }

    pub fn parse(name: &str) -> Option<WebhookEvent> {
        Self::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

/// What a delivery says happened: ids and facts. A field that does not apply is left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WebhookData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mentor_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub student_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_mentor_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<SessionStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_day: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_day: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_number: Option<String>,
    /// An amount in euros, as a decimal string (`"87.50"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
}

/// The webhook event an event of the program is, with what its deliveries say; `None` for the
/// events that concern one person only (a reminder, a rejected document).
pub fn webhook_of(event: &Event) -> Option<(WebhookEvent, WebhookData)> {
    let mentor = |id: &Uuid| WebhookData {
        mentor_id: Some(*id),
        ..WebhookData::default()
    };
    let session = |s: &crate::events::SessionFacts| WebhookData {
        mentor_id: Some(s.mentor_id),
        student_id: Some(s.student_id),
        session_id: Some(s.session_id),
        start: Some(s.start),
        ..WebhookData::default()
    };
    let statement = |id: &Uuid, number: &str, total: &crate::money::Money| WebhookData {
        statement_number: Some(number.to_owned()),
        total: Some(total.to_string()),
        ..mentor(id)
    };
    Some(match event {
        Event::ApplicationReceived { mentor_id, .. } => {
            (WebhookEvent::ApplicationReceived, mentor(mentor_id))
        }
        Event::MentorActivated { mentor_id, .. } => {
            (WebhookEvent::MentorActivated, mentor(mentor_id))
        }
        Event::MentorSuspended { mentor_id, .. } => {
            (WebhookEvent::MentorSuspended, mentor(mentor_id))
        }
        Event::MentorReinstated { mentor_id, .. } => {
            (WebhookEvent::MentorReinstated, mentor(mentor_id))
        }
        Event::MentorOffboarded { mentor_id, .. } => {
            (WebhookEvent::MentorOffboarded, mentor(mentor_id))
        }
        Event::StudentAssigned {
            student_id,
            mentor_id,
            previous_mentor_id,
            ..
        } => (
            WebhookEvent::StudentAssigned,
            WebhookData {
                student_id: Some(*student_id),
                previous_mentor_id: *previous_mentor_id,
                ..mentor(mentor_id)
            },
        ),
        Event::SessionBooked { session: s, .. } => (WebhookEvent::SessionBooked, session(s)),
        Event::SessionRescheduled { session: s, .. } => {
            (WebhookEvent::SessionRescheduled, session(s))
        }
        Event::SessionCancelled {
            session: s, status, ..
        } => (
            WebhookEvent::SessionCancelled,
            WebhookData {
                status: Some(*status),
                ..session(s)
            },
        ),
        Event::SessionCompleted { session: s, status } => (
            WebhookEvent::SessionCompleted,
            WebhookData {
                status: Some(*status),
                ..session(s)
            },
        ),
        Event::AbsenceDeclared {
            mentor_id,
            first_day,
            last_day,
            ..
        } => (
            WebhookEvent::AbsenceDeclared,
            WebhookData {
                first_day: Some(*first_day),
                last_day: Some(*last_day),
                ..mentor(mentor_id)
            },
        ),
        Event::ReportFiled {
            report_id,
            mentor_id,
            student_id,
            ..
        } => (
            WebhookEvent::ReportFiled,
            WebhookData {
                report_id: Some(*report_id),
                student_id: Some(*student_id),
                ..mentor(mentor_id)
            },
        ),
        Event::StatementIssued {
            mentor_id,
            number,
            total,
        } => (
            WebhookEvent::StatementIssued,
            statement(mentor_id, number, total),
        ),
        Event::StatementPaid {
            mentor_id,
            number,
            total,
            ..
        } => (
            WebhookEvent::StatementPaid,
            statement(mentor_id, number, total),
        ),
        _ => return None,
    })
}

/// How long after each failed attempt the next one is made: about a day in all (Standard
/// Webhooks' schedule, shortened to end within 24 hours). After the last, the delivery is given
/// up; it can still be replayed by hand.
pub const RETRY_DELAYS: [Duration; 7] = [
    Duration::seconds(5),
    Duration::minutes(5),
    Duration::minutes(30),
    Duration::hours(2),
    Duration::hours(5),
    Duration::hours(10),
    Duration::hours(6),
];

/// When a delivery that failed its `attempts`-th attempt at `now` is tried again; `None` when
/// it is given up.
pub fn next_attempt(attempts: i64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
    RETRY_DELAYS.get(index).map(|delay| now + *delay)
}

/// A subscription whose deliveries have all failed for a day is disabled (and its owner told).
pub const DISABLED_AFTER: Duration = Duration::hours(24);

/// Whether a subscription failing since `failing_since` is disabled at `now`.
pub fn disabled_by_failures(failing_since: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - failing_since >= DISABLED_AFTER
}

/// Whether a subscription delivers, and since when it fails or is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switch {
    pub enabled: bool,
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// A subscription turned on or off at `now`: on again starts its failures afresh (its owner
/// fixed the receiver; a day of old failures would disable it at once); off keeps the instant
/// it first went off.
pub fn switch(current: Switch, enabled: bool, now: DateTime<Utc>) -> Switch {
    let enabled_again = enabled && !current.enabled;
    Switch {
        enabled,
        failing_since: if enabled_again {
            None
        } else {
            current.failing_since
        },
        disabled_at: if enabled {
            None
        } else {
            current.disabled_at.or(Some(now))
        },
    }
}

/// How long a rotated secret still signs beside the new one, so receivers can switch over.
pub const OLD_SECRET_KEPT: Duration = Duration::hours(24);

/// Why a webhook's address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookRefusal {
    #[error(
        "the address must be an https:// URL (http:// only to this machine, outside production)"
    )]
    NotHttps,
    #[error("a webhook subscribes to at least one event")]
    NoEvents,
    #[error("this webhook is disabled: enable it before replaying its deliveries")]
    Disabled,
}

crate::refusal_codes!(WebhookRefusal {
    NotHttps => "webhook_url_not_https", InvalidField("url");
    NoEvents => "webhook_without_events", InvalidField("events");
    Disabled => "webhook_disabled", Conflict;
});

/// The events a webhook subscribes to, each once, in one order; at least one.
pub fn check_events(events: &[WebhookEvent]) -> Result<Vec<WebhookEvent>, WebhookRefusal> {
    let mut events = events.to_vec();
    events.sort_unstable();
    events.dedup();
    if events.is_empty() {
        return Err(WebhookRefusal::NoEvents);
    }
    Ok(events)
}

/// The rule for an address: HTTPS, or plain HTTP to this machine when `allow_loopback` (a
/// development or test server receiving its own deliveries).
pub fn check_url(url: &str, allow_loopback: bool) -> Result<(), WebhookRefusal> {
    if url.starts_with("https://") && url.len() > "https://".len() {
        return Ok(());
    }
    let loopback = [
        "http://127.0.0.1:",
        "http://127.0.0.1/",
        "http://localhost:",
        "http://localhost/",
        "http://[::1]:",
    ]
    .iter()
    .any(|prefix| url.starts_with(prefix));
    if allow_loopback && loopback {
        Ok(())
    } else {
        Err(WebhookRefusal::NotHttps)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn enabling_again_starts_failures_afresh_and_disabling_keeps_its_instant() {
        let at = |h: u32| chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 1, h, 0, 0).unwrap();
        let off = Switch {
            enabled: false,
            failing_since: Some(at(1)),
            disabled_at: Some(at(2)),
        };
        let on = switch(off, true, at(5));
        assert_eq!(
            on,
            Switch {
                enabled: true,
                failing_since: None,
                disabled_at: None
            }
        );
        // Off again: now is when it went off; off twice keeps the first instant.
        let failing = Switch {
            failing_since: Some(at(6)),
            ..on
        };
        let off = switch(failing, false, at(7));
        assert_eq!(
            (off.failing_since, off.disabled_at),
            (Some(at(6)), Some(at(7)))
        );
        assert_eq!(switch(off, false, at(9)).disabled_at, Some(at(7)));
        // On while on: its failures go on counting.
        assert_eq!(switch(failing, true, at(8)).failing_since, Some(at(6)));
    }

    use super::*;

    #[test]
    fn retries_last_about_a_day_then_stop() {
        let now = Utc::now();
        assert_eq!(next_attempt(1, now), Some(now + Duration::seconds(5)));
        let total: Duration = RETRY_DELAYS.iter().copied().sum();
        assert!(
            total < Duration::hours(24) && total > Duration::hours(23),
            "{total}"
        );
        assert_eq!(next_attempt(7, now), Some(now + Duration::hours(6)));
        assert_eq!(next_attempt(8, now), None);
        assert_eq!(next_attempt(0, now), None);
    }

    #[test]
    fn a_subscription_failing_for_a_day_is_disabled() {
        let now = Utc::now();
        assert!(!disabled_by_failures(now - Duration::hours(23), now));
        assert!(disabled_by_failures(now - Duration::hours(24), now));
    }

    #[test]
    fn addresses_are_https_or_this_machine_outside_production() {
        assert_eq!(check_url("https://hooks.example.com/in", false), Ok(()));
        assert_eq!(
            check_url("http://hooks.example.com/in", true),
            Err(WebhookRefusal::NotHttps)
        );
        assert_eq!(check_url("http://127.0.0.1:8080/in", true), Ok(()));
        assert_eq!(
            check_url("http://127.0.0.1:8080/in", false),
            Err(WebhookRefusal::NotHttps)
        );
        assert_eq!(
            check_url("http://127.0.0.1.evil.example/", true),
            Err(WebhookRefusal::NotHttps)
        );
        assert_eq!(check_url("https://", false), Err(WebhookRefusal::NotHttps));
    }

    #[test]
    fn a_webhook_hears_each_event_once_and_at_least_one() {
        use WebhookEvent::{SessionBooked, StatementPaid};
        let events = check_events(&[StatementPaid, SessionBooked, StatementPaid]);
        assert_eq!(events, Ok(vec![SessionBooked, StatementPaid]));
        assert_eq!(check_events(&[]), Err(WebhookRefusal::NoEvents));
    }

    #[test]
    fn deliveries_name_people_by_id_only() {
        let mentor = Uuid::now_v7();
        let event = Event::MentorActivated {
            mentor_id: mentor,
            referral_code: "ABCD".into(),
        };
        let (kind, data) = webhook_of(&event).unwrap();
        assert_eq!(kind.as_str(), "mentor.activated");
        assert_eq!(data.mentor_id, Some(mentor));
        assert_eq!(WebhookEvent::parse("mentor.activated"), Some(kind));
        assert_eq!(WebhookEvent::parse("mentor.exploded"), None);
    }
}
