//! Private calendar feeds (RFC 5545): each person may subscribe Google Calendar, Outlook or
//! Apple Calendar to a URL carrying a secret, which lists their sessions. The URL is shown once;
//! rotating it makes a new one and ends the old.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{Duration, Utc};
use icalendar::{Calendar, Component, EventLike, EventStatus};
use mentorship_domain::people::Role;
use mentorship_domain::sessions::SessionStatus;
use mentorship_store::calendars;
use mentorship_store::sessions::{self, Session};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{CALENDAR_PREFIX, Principal, new_secret, secret_hash};
use crate::error::ApiError;
use crate::state::AppState;

/// How far back a feed lists sessions, and how many at most.
const FEED_PAST_DAYS: i64 = 90;
const FEED_LIMIT: i64 = 1000;

/// A new calendar feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeed {
    /// The URL to subscribe to, shown only now: anyone with it reads the caller's sessions.
    #[schema(example = "https://api.example.com/v1/calendar-feeds/mc_Zk3...")]
    pub url: String,
}

/// Makes the caller's calendar feed, or a new one: the previous URL stops working. Mentors and
/// students (staff have no sessions of their own). No `Idempotency-Key`: the answer holds a
/// secret the server does not keep (a retry makes another URL; the last one made works).
#[utoipa::path(
    extensions(("x-idempotent" = json!(false))),
    tag = "calendars",
    security(("accessToken" = [])),
    responses(
        (status = 201, description = "The feed's URL, shown once", body = CalendarFeed),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[post("/me/calendar-feed")]
pub async fn rotate(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    principal.require_person()?;
    if principal.role.is_staff() {
        return Err(ApiError::Forbidden(
            "calendar feeds list one's own sessions: mentors' and students'".into(),
        ));
    }
    let (token, hash) = new_secret(CALENDAR_PREFIX);
    calendars::rotate(&state.store, principal.user_id, &hash).await?;
    let info = req.connection_info();
    let url = format!(
        "{}://{}/v1/calendar-feeds/{token}",
        info.scheme(),
        info.host()
    );
    Ok(HttpResponse::Created().json(CalendarFeed { url }))
}

/// Ends the caller's calendar feed: its URL stops working.
#[utoipa::path(
    tag = "calendars",
    security(("accessToken" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[delete("/me/calendar-feed")]
pub async fn remove(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    principal.require_person()?;
    if calendars::remove(&state.store, principal.user_id).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound("calendar feed"))
    }
}

/// A calendar feed (`text/calendar`, RFC 5545): the person's sessions from 90 days ago on, one
/// event each with a stable UID, the start in UTC, the length, the other person's name;
/// cancelled and moved sessions are `STATUS:CANCELLED`. No credentials: the URL is the secret.
#[utoipa::path(
    tag = "calendars",
    params(("token" = String, Path, description = "The secret of the feed's URL")),
    responses(
        (status = 200, description = "The calendar", content_type = "text/calendar", body = String),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/calendar-feeds/{token}")]
pub async fn feed(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (person, role) = calendars::owner(&state.store, &secret_hash(&token))
        .await?
        .ok_or(ApiError::NotFound("calendar feed"))?;
    let from = Utc::now() - Duration::days(FEED_PAST_DAYS);
    let sessions = sessions::of_person(&state.store, person, role, from, FEED_LIMIT).await?;
    let mut calendar = Calendar::new();
    calendar.name("Mentoring sessions");
    for session in &sessions {
        calendar.push(event(session, role));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/calendar; charset=utf-8"))
        .body(calendar.done().to_string()))
}

/// One session as a calendar event, as `reader` sees it (the other person's name).
fn event(session: &Session, reader: Role) -> icalendar::Event {
    let other = match reader {
        Role::Mentor => &session.people.student_name,
        _ => &session.people.mentor_name,
    };
    let status = match session.status {
        SessionStatus::Cancelled
        | SessionStatus::LateCancelledByMentor
        | SessionStatus::LateCancelledByStudent
        | SessionStatus::Rescheduled => EventStatus::Cancelled,
        _ => EventStatus::Confirmed,
    };
    let mut event = icalendar::Event::new();
    event
        .uid(&format!("{}@mentorship", session.id))
        .summary(&format!("Mentoring session with {other}"))
        .starts(session.start)
        .add_property("DURATION", format!("PT{}M", session.length.minutes()))
        .timestamp(session.updated_at)
        .sequence(u32::try_from(session.version).unwrap_or(0))
        .status(status);
    event.done()
}
