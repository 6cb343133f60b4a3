//! Every text the program sends people, in one place: the notification and email of each event
//! (the store writes them in the transaction of the change, through [`Notices`]) and the
//! contract a mentor signs. Numbers come from the policies and the rate card, dates are read in
//! the platform zone: nothing the program can change is written here by hand.

use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use mentorship_domain::events::Event;
use mentorship_domain::mentors::{CRIMINAL_RECORD_MAX_AGE_MONTHS, DocumentKind, LegalStatus};
use mentorship_domain::policy::Policies;
use mentorship_domain::rates::RateCard;
use mentorship_domain::sessions::SessionStatus;
use mentorship_store::events::{LinkPurpose, Message, Notices, Recipient};
use mentorship_store::mentors::Mentor;

/// The program's wording.
#[derive(Debug, Clone, Copy, Default)]
pub struct Templates;

impl Notices for Templates {
    fn message(&self, event: &Event, to: &Recipient, policies: &Policies) -> Message {
        let (subject, body) = wording(event, to, policies);
        Message {
            subject: subject.to_owned(),
            body: greeted(to, &body),
        }
    }

    fn link_message(
        &self,
        purpose: LinkPurpose,
        to: &Recipient,
        link: &str,
        expires_at: DateTime<Utc>,
    ) -> Message {
        let until = expires_at.format("%Y-%m-%d %H:%M UTC");
        let (subject, body) = match purpose {
            LinkPurpose::PasswordReset => (
                "Reset your password",
                format!(
                    "Someone asked to reset the password of your account. To choose a new one, \
                     open this link (it works once, until {until}):\n\n{link}\n\nIf it was not \
                     you, ignore this email: your password stays as it is."
                ),
            ),
            LinkPurpose::Invitation => (
                "Welcome: choose your password",
                format!(
                    "You are enrolled in the mentoring program. To choose your password and \
                     log in, open this link (it works once, until {until}):\n\n{link}"
                ),
            ),
        };
        Message {
            subject: subject.to_owned(),
            body: greeted(to, &body),
        }
    }
}

/// A message's body, greeting its reader and signed.
fn greeted(to: &Recipient, body: &str) -> String {
    format!("Hello {},\n\n{body}\n\nThe mentoring team", to.name)
}

/// The subject and the body of what an event tells.
fn wording(event: &Event, to: &Recipient, policies: &Policies) -> (&'static str, String) {
    match event {
        Event::ApplicationReceived { eligible, .. } => {
            let next = if *eligible {
                "A Mentorship Manager will review it soon."
            } else {
                "It does not meet every rule of the program; a Mentorship Manager will review it."
            };
            (
                "We received your application",
                format!("Thank you for applying to mentor. {next}"),
            )
        }
        Event::ApplicationAccepted { .. } => (
            "Your application is accepted",
            format!(
                "Your application is accepted. Next, send your four documents as PDF, PNG or JPEG \
                 files of at most {size}: identity, criminal record extract (issued at most \
                 {months} months ago), diploma and company registration.",
                size = file_size(policies.max_document_bytes),
                months = CRIMINAL_RECORD_MAX_AGE_MONTHS,
            ),
        ),
        Event::ApplicationRejected { reason, .. } => (
            "Your application",
            format!("We cannot accept your application: {reason}"),
        ),
        Event::DocumentRejected { kind, reason, .. } => (
            "A document needs to be sent again",
            format!(
                "Your {} document was not accepted: {reason}. Please send it again.",
                document_name(*kind)
            ),
        ),
        Event::ContractReady { .. } => (
            "Your contract is ready to sign",
            "All four documents are verified. Your contract is ready: read it and sign it by \
             typing your full name."
                .into(),
        ),
        Event::MentorActivated { referral_code, .. } => (
            "Welcome: you are an active mentor",
            format!(
                "Your contract is signed and you are now an active mentor. Next steps: complete \
                 your profile (bio, time zone), set how many students you want (up to {max}), and \
                 share your referral code {referral_code} with people who could mentor too.",
                max = policies.max_requested_students,
            ),
        ),
        Event::MentorSuspended { reason, .. } => (
            "Your mentoring is suspended",
            format!("Your mentoring is suspended: {reason}"),
        ),
        Event::MentorReinstated { reason, .. } => (
            "Your mentoring resumes",
            format!("Your mentoring resumes: {reason}"),
        ),
        Event::MentorOffboarded { reason, .. } => (
            "Your mentoring has ended",
            format!("Your mentoring with the school has ended: {reason}"),
        ),
        Event::StudentAssigned {
            student_id,
            student_name,
            mentor_id,
            mentor_name,
            ..
        } => match to.id {
            id if id == *student_id => (
                "Your mentor",
                format!(
                    "Your mentor is now {mentor_name}. You will meet once a week; your mentor \
                     books the sessions."
                ),
            ),
            id if id == *mentor_id => (
                "A new student",
                format!("{student_name} is now your student. Book your first session with them."),
            ),
            _ => (
                "A student moved to another mentor",
                format!("{student_name} now has another mentor; thank you for your sessions."),
            ),
        },
        Event::PathRequested {
            mentor_name,
            path_title,
            ..
        } => (
            "A mentor asks for another path",
            format!(
                "{mentor_name} asks to mentor the path \"{path_title}\". Approve or decline the \
                 request."
            ),
        ),
        Event::PathRequestDecided {
            path_title,
            approved: true,
            ..
        } => (
            "You may mentor another path",
            format!(
                "Your request is approved: you may now mentor students of the path \"{path_title}\"."
            ),
        ),
        Event::PathRequestDecided {
            path_title, reason, ..
        } => (
            "Your request for another path",
            format!(
                "Your request to mentor the path \"{path_title}\" is declined: {}",
                reason.as_deref().unwrap_or("no reason given")
            ),
        ),
        Event::SessionBooked { .. }
        | Event::SessionRescheduled { .. }
        | Event::SessionCancelled { .. }
        | Event::SessionReminder { .. }
        | Event::NotesLate { .. } => session_wording(event, to),
        Event::AbsenceDeclared {
            mentor_name,
            first_day,
            last_day,
            students,
            sessions_to_move,
            ..
        } => {
            let days = format!("from {} to {}", day(*first_day), day(*last_day));
            if students.contains(&to.id) {
                (
                    "Your mentor will be away",
                    format!(
                        "{mentor_name} will be away {days}. Your session in that time needs a                          new date; your mentor will book it."
                    ),
                )
            } else {
                (
                    "A mentor declared an absence",
                    format!(
                        "{mentor_name} will be away {days}; {sessions_to_move} session(s)                          already booked need a new date."
                    ),
                )
            }
        }
        Event::ReportFiled {
            mentor_name,
            student_name,
            category,
            severity,
            ..
        } => (
            "A student in difficulty",
            format!(
                "{mentor_name} reports {student_name} in difficulty ({}, severity {}). Read the                  report and acknowledge it.",
                enum_word(category),
                enum_word(severity)
            ),
        ),
        Event::ReportMoved {
            student_name,
            status,
            comment,
            ..
        } => (
            "Your report",
            format!(
                "Your report about {student_name} is now {}.{}",
                enum_word(status),
                comment
                    .as_deref()
                    .map(|c| format!(" The manager's comment: {c}"))
                    .unwrap_or_default()
            ),
        ),
        Event::StatementIssued { number, total, .. } => (
            "Your monthly statement",
            format!(
                "Your statement {number} is issued: EUR {total}. Read it, then approve it or \
                 dispute it with a reason."
            ),
        ),
        Event::StatementPaid {
            number,
            total,
            payment_reference,
            ..
        } => (
            "Your statement is paid",
            format!(
                "Your statement {number} (EUR {total}) is paid, reference {payment_reference}."
            ),
        ),
        Event::WebhookDisabled {
            webhook_id, url, ..
        } => (
            "A webhook was disabled",
            format!(
                "Every delivery to {url} failed for a day, so the webhook {webhook_id} is \
                 disabled. Fix the receiver, enable the webhook again (PATCH \
                 /v1/webhooks/{webhook_id}) and replay what it missed."
            ),
        ),
        // Tells no one (no recipient): never worded.
        Event::SessionCompleted { .. } => ("A session was held", String::new()),
        Event::DataExportReady {
            export_id,
            expires_at,
            ..
        } => (
            "The data export is ready",
            format!(
                "The data export you asked for is ready: download it from \
                 /v1/exports/{export_id}/file until {} (UTC). After that it is deleted.",
                expires_at.format("%A %-d %B %Y, %H:%M")
            ),
        ),
    }
}

/// What a session's messages say to `to`: the time in their zone, the other person's name.
fn session_wording(event: &Event, to: &Recipient) -> (&'static str, String) {
    let (session, subject, what) = match event {
        Event::SessionBooked { session, .. } => (session, "A session is booked", "is booked"),
        Event::SessionRescheduled { session, .. } => {
            (session, "A session moved", "moved to a new time")
        }
        Event::SessionCancelled {
            session, status, ..
        } => {
            let what = match status {
                SessionStatus::LateCancelledByStudent => "was cancelled late by the student",
                SessionStatus::LateCancelledByMentor => "was cancelled late by the mentor",
                _ => "was cancelled",
            };
            (session, "A session is cancelled", what)
        }
        Event::SessionReminder { session } => (session, "Your session tomorrow", "is coming up"),
        Event::NotesLate {
            session, due_at, ..
        } => {
            let late = format!(
                "{} wrote the notes of the session with {} on {} after they were due ({}).",
                session.mentor_name,
                session.student_name,
                local_time(session.start, session.mentor_zone),
                local_time(*due_at, session.mentor_zone),
            );
            return ("Late session notes", late);
        }
        _ => return ("", String::new()),
    };
    let (with, zone) = if to.id == session.mentor_id {
        (&session.student_name, session.mentor_zone)
    } else {
        (&session.mentor_name, session.student_zone)
    };
    let previous = match event {
        Event::SessionRescheduled { previous_start, .. } => {
            format!(" It was planned for {}.", local_time(*previous_start, zone))
        }
        _ => String::new(),
    };
    (
        subject,
        format!(
            "Your {}-minute session with {with} on {} {what}.{previous}",
            session.minutes,
            local_time(session.start, zone),
        ),
    )
}

/// An instant as a reader in `zone` reads it: `Thursday 3 December 2026, 18:00 (Europe/Paris)`.
fn local_time(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    format!(
        "{} ({})",
        at.with_timezone(&zone).format("%A %-d %B %Y, %H:%M"),
        zone.name()
    )
}

/// A day for people: `Thursday 3 December 2026`.
fn day(date: NaiveDate) -> String {
    date.format("%A %-d %B %Y").to_string()
}

/// A snake_case value of the domain as a word (`acknowledged`, `attendance`).
fn enum_word<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text.replace('_', " "),
        _ => String::new(),
    }
}

/// A document's name in a sentence.
fn document_name(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Identity => "identity",
        DocumentKind::CriminalRecord => "criminal record",
        DocumentKind::Diploma => "diploma",
        DocumentKind::CompanyRegistration => "company registration",
    }
}

/// A size for people: whole MiB when it is one, KiB or bytes otherwise.
fn file_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    match bytes {
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= KIB && b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

/// The contract a mentor reads and signs, dated `date` (the platform zone's day), with the range
/// of hourly rates of the card in force.
pub fn contract_text(
    mentor: &Mentor,
    path_title: &str,
    date: NaiveDate,
    card: &RateCard,
) -> String {
    let (low, high) = card.range();
    format!(
        "Freelance mentoring agreement\n\nBetween the school and {name} ({email}), dated {date}.\n\n\
         1. The mentor guides students of the path \"{path_title}\" in one session of 30 to 60 minutes \
         a week with each, writes session notes, and reports students in difficulty.\n\
         2. The mentor declares absences in advance.\n\
         3. The school pays each payable session at the hourly rate of its rate card (EUR {low} to \
         {high}), plus referral bonuses, on a monthly statement.\n\
         4. The mentor is an independent {status} and is responsible for their own taxes and insurance.\n\n\
         Signed by typing the full name: {name}",
        name = mentor.name,
        email = mentor.email,
        status = match mentor.legal_status {
            LegalStatus::Freelancer => "freelancer",
            LegalStatus::Company => "company",
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn numbers_come_from_the_policies() {
        let policies = Policies {
            max_document_bytes: 5 * 1024 * 1024,
            ..Policies::default()
        };
        let to = Recipient {
            id: Uuid::nil(),
            name: "Ada".into(),
            email: "ada@example.com".into(),
        };
        let (_, body) = wording(
            &Event::ApplicationAccepted {
                mentor_id: Uuid::nil(),
            },
            &to,
            &policies,
        );
        assert!(body.contains("at most 5 MiB"), "{body}");
        assert!(body.contains("at most 3 months ago"), "{body}");
        assert_eq!(file_size(1536), "1536 bytes");
        assert_eq!(file_size(2048), "2 KiB");
    }

    #[test]
    fn every_message_greets_its_reader() {
        let to = Recipient {
            id: Uuid::nil(),
            name: "Ada".into(),
            email: "ada@example.com".into(),
        };
        let event = Event::ContractReady {
            mentor_id: Uuid::nil(),
        };
        let message = Templates.message(&event, &to, &Policies::default());
        assert!(message.body.starts_with("Hello Ada,\n\n"));
        assert_eq!(message.subject, "Your contract is ready to sign");
    }
}
