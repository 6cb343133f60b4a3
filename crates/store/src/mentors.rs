//! Mentors: the application a person sends, then the profile of the mentor they become
//! (RULES.md, "Becoming a mentor"). One row per mentor from application to offboarding; each
//! change of status is decided by the domain inside the transaction that writes it.

use chrono::{DateTime, Utc};
use mentorship_domain::onboarding::{LegalStatus, MentorStatus, UnmetRule};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::AuditEntry;
use crate::users::NewUser;
use crate::{Page, PageRequest, Store, StoreError, new_id};

/// A mentor as stored, with their account's name and email.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Mentor {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub status: MentorStatus,
    pub path_id: Uuid,
    pub experience_years: u8,
    pub field_years: u8,
    pub legal_status: LegalStatus,
    pub country: String,
    pub right_to_work: bool,
    pub unmet_rules: Vec<UnmetRule>,
    pub referrer_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    pub decision_reason: Option<String>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub bio: String,
    pub time_zone: String,
    pub requested_students: u32,
    pub activated_at: Option<DateTime<Utc>>,
    pub referral_code: Option<String>,
    pub contract_signed_at: Option<DateTime<Utc>>,
    pub contract_signed_name: Option<String>,
    pub status_reason: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct MentorRow {
    user_id: Uuid,
    name: String,
    email: String,
    status: String,
    path_id: Uuid,
    experience_years: i64,
    field_years: i64,
    legal_status: String,
    country: String,
    right_to_work: bool,
    unmet_rules: String,
    referrer_id: Option<Uuid>,
    manager_id: Option<Uuid>,
    decision_reason: Option<String>,
    reviewed_by: Option<Uuid>,
    reviewed_at: Option<DateTime<Utc>>,
    bio: String,
    time_zone: String,
    requested_students: i64,
    activated_at: Option<DateTime<Utc>>,
    referral_code: Option<String>,
    contract_signed_at: Option<DateTime<Utc>>,
    contract_signed_name: Option<String>,
    status_reason: Option<String>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Text stored for an enum the domain serializes as a snake_case string.
pub(crate) fn enum_text<T: Serialize>(value: &T) -> Result<String, StoreError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => Ok(text),
        other => Err(StoreError::Corrupt(format!("not a text enum: {other:?}"))),
    }
}

/// The enum a stored snake_case string names.
pub(crate) fn enum_from<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| StoreError::Corrupt(format!("`{text}`: {e}")))
}

fn small(value: i64) -> Result<u8, StoreError> {
    u8::try_from(value).map_err(|_| StoreError::Corrupt(format!("{value} out of range")))
}

impl TryFrom<MentorRow> for Mentor {
    type Error = StoreError;
    fn try_from(r: MentorRow) -> Result<Self, StoreError> {
        Ok(Mentor {
            id: r.user_id,
            name: r.name,
            email: r.email,
            status: enum_from(&r.status)?,
            path_id: r.path_id,
            experience_years: small(r.experience_years)?,
            field_years: small(r.field_years)?,
            legal_status: enum_from(&r.legal_status)?,
            country: r.country,
            right_to_work: r.right_to_work,
            unmet_rules: serde_json::from_str(&r.unmet_rules)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            referrer_id: r.referrer_id,
            manager_id: r.manager_id,
            decision_reason: r.decision_reason,
            reviewed_by: r.reviewed_by,
            reviewed_at: r.reviewed_at,
            bio: r.bio,
            time_zone: r.time_zone,
            requested_students: u32::try_from(r.requested_students)
                .map_err(|_| StoreError::Corrupt("requested_students".into()))?,
            activated_at: r.activated_at,
            referral_code: r.referral_code,
            contract_signed_at: r.contract_signed_at,
            contract_signed_name: r.contract_signed_name,
            status_reason: r.status_reason,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

macro_rules! select_mentors {
    ($tail:literal) => {
        concat!(
            "SELECT m.user_id, u.name, u.email, m.status, m.path_id, m.experience_years, m.field_years, \
             m.legal_status, m.country, m.right_to_work, m.unmet_rules, m.referrer_id, m.manager_id, \
             m.decision_reason, m.reviewed_by, m.reviewed_at, m.bio, m.time_zone, m.requested_students, \
             m.activated_at, m.referral_code, m.contract_signed_at, m.contract_signed_name, m.status_reason, \
             m.version, m.created_at, m.updated_at FROM mentors m JOIN users u ON u.id = m.user_id ",
            $tail
        )
    };
}

pub(crate) const GET_SQL: &str = select_mentors!("WHERE m.user_id = $1");

/// Reads one mentor inside the open transaction `$tx` (or returns `NotFound`).
macro_rules! get_in_tx {
    ($tx:ident, $id:expr) => {{
        let row: Option<$crate::mentors::MentorRow> = sqlx::query_as($crate::mentors::GET_SQL)
            .bind($id)
            .fetch_optional(&mut *$tx)
            .await?;
        $crate::mentors::Mentor::try_from(row.ok_or($crate::StoreError::NotFound("mentor"))?)?
    }};
}
pub(crate) use get_in_tx;

/// What the onboarding tells the mentor at each step (RULES.md, "Notifications and audit"): the
/// notification and email of each event, written in the transaction of the change.
pub mod tell {
    use super::Mentor;
    use crate::notifications::{NewNotification, kind};
    use mentorship_domain::onboarding::MentorStatus;

    fn to(mentor: &Mentor, kind: &'static str, subject: &str, body: String) -> NewNotification {
        NewNotification {
            user_id: mentor.id,
            email: mentor.email.clone(),
            kind,
            subject: subject.to_owned(),
            body: format!("Hello {},\n\n{body}\n\nThe mentoring team", mentor.name),
        }
    }

    /// The application arrived.
    pub fn received(mentor: &Mentor) -> NewNotification {
        let next = if mentor.unmet_rules.is_empty() {
            "A Mentorship Manager will review it soon."
        } else {
            "It does not meet every rule of the program; a Mentorship Manager will review it."
        };
        to(
            mentor,
            kind::APPLICATION_RECEIVED,
            "We received your application",
            format!("Thank you for applying to mentor. {next}"),
        )
    }

    /// What a change of status tells the mentor, if anything.
    pub fn status_changed(before: MentorStatus, mentor: &Mentor) -> Option<NewNotification> {
        match (before, mentor.status) {
            (MentorStatus::Applied, MentorStatus::Accepted) => Some(to(
                mentor,
                kind::APPLICATION_ACCEPTED,
                "Your application is accepted",
                "Your application is accepted. Next, send your four documents: identity, criminal record \
                 extract (issued at most 3 months ago), diploma and company registration."
                    .into(),
            )),
            (MentorStatus::Applied, MentorStatus::Rejected) => Some(to(
                mentor,
                kind::APPLICATION_REJECTED,
                "Your application",
                format!("We cannot accept your application: {}", mentor.decision_reason.as_deref().unwrap_or("")),
            )),
            (MentorStatus::ContractReady, MentorStatus::Active) => Some(to(
                mentor,
                kind::MENTOR_ACTIVATED,
                "Welcome: you are an active mentor",
                format!(
                    "Your contract is signed and you are now an active mentor. Next steps: complete your \
                     profile (bio, time zone), set how many students you want, and share your referral \
                     code {} with people who could mentor too.",
                    mentor.referral_code.as_deref().unwrap_or("")
                ),
            )),
            _ => None,
        }
    }

    /// A document was rejected; it can be sent again.
    pub fn document_rejected(mentor: &Mentor, kind_name: &str, reason: &str) -> NewNotification {
        to(
            mentor,
            kind::DOCUMENT_REJECTED,
            "A document needs to be sent again",
            format!("Your {kind_name} document was not accepted: {reason}. Please send it again."),
        )
    }

    /// Every document is verified: the contract waits for the mentor's signature.
    pub fn contract_ready(mentor: &Mentor) -> NewNotification {
        to(
            mentor,
            kind::CONTRACT_READY,
            "Your contract is ready to sign",
            "All four documents are verified. Your contract is ready: read it and sign it by typing your full name."
                .into(),
        )
    }
}

/// What an applicant sends, the eligibility already decided.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub account: NewUser,
    pub path_id: Uuid,
    pub experience_years: u8,
    pub field_years: u8,
    pub legal_status: LegalStatus,
    pub country: String,
    pub right_to_work: bool,
    pub unmet_rules: Vec<UnmetRule>,
    pub referrer_id: Option<Uuid>,
    pub time_zone: String,
}

/// Stores an application: the applicant's account (role mentor) and their mentor row, together.
/// A taken email is `Duplicate("email")`.
pub async fn apply(store: &Store, application: NewApplication) -> Result<Mentor, StoreError> {
    const USER: &str = "INSERT INTO users (id, email, name, role, password_hash, active, version, created_at, updated_at) \
                        VALUES ($1, $2, $3, 'mentor', $4, TRUE, 1, $5, $5)";
    const MENTOR: &str = "INSERT INTO mentors (user_id, status, path_id, experience_years, field_years, legal_status, \
                          country, right_to_work, unmet_rules, referrer_id, time_zone, version, created_at, updated_at) \
                          VALUES ($1, 'applied', $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11)";
    let id = new_id();
    let now = crate::now();
    let unmet = serde_json::to_string(&application.unmet_rules)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    write_tx!(store, |tx| {
        sqlx::query(USER)
            .bind(id)
            .bind(&application.account.email)
            .bind(&application.account.name)
            .bind(&application.account.password_hash)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::unique_as("email"))?;
        sqlx::query(MENTOR)
            .bind(id)
            .bind(application.path_id)
            .bind(i64::from(application.experience_years))
            .bind(i64::from(application.field_years))
            .bind(enum_text(&application.legal_status)?)
            .bind(&application.country)
            .bind(application.right_to_work)
            .bind(&unmet)
            .bind(application.referrer_id)
            .bind(&application.time_zone)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let mentor = get_in_tx!(tx, id);
        notify!(tx, tell::received(&mentor));
        audit!(
            tx,
            AuditEntry {
                actor_id: Some(id),
                action: "mentor.applied",
                object_type: "mentor",
                object_id: id,
                before: None,
                after: Some(
                    serde_json::json!({"status": "applied", "unmet_rules": application.unmet_rules})
                ),
                at: now,
            }
        );
    });
    get(store, id).await
}

/// One mentor by id.
pub async fn get(store: &Store, id: Uuid) -> Result<Mentor, StoreError> {
    let row: Option<MentorRow> = read!(store, |pool| sqlx::query_as(GET_SQL)
        .bind(id)
        .fetch_optional(pool)
        .await?);
    row.ok_or(StoreError::NotFound("mentor"))?.try_into()
}

/// The mentor a referral code belongs to, if any.
pub async fn by_referral_code(store: &Store, code: &str) -> Result<Option<Mentor>, StoreError> {
    const SQL: &str = select_mentors!("WHERE m.referral_code = $1");
    let row: Option<MentorRow> = read!(store, |pool| sqlx::query_as(SQL)
        .bind(code)
        .fetch_optional(pool)
        .await?);
    row.map(Mentor::try_from).transpose()
}

/// Which mentors a list shows.
#[derive(Debug, Clone, Default)]
pub struct MentorFilter {
    pub statuses: Option<Vec<MentorStatus>>,
    pub path_id: Option<Uuid>,
}

/// Mentors in id order, filtered by status (any of) and path.
pub async fn list(
    store: &Store,
    filter: &MentorFilter,
    page: PageRequest,
) -> Result<Page<Mentor>, StoreError> {
    // Statuses travel as one space-separated text so one query text serves every filter.
    const SQL: &str = select_mentors!(
        "WHERE m.user_id > $1 AND ($3 = '' OR (' ' || $3 || ' ') LIKE ('% ' || m.status || ' %')) \
         AND ($4 = 0 OR m.path_id = $5) ORDER BY m.user_id LIMIT CAST($2 AS BIGINT)"
    );
    let statuses = match &filter.statuses {
        Some(list) => list
            .iter()
            .map(enum_text)
            .collect::<Result<Vec<_>, _>>()?
            .join(" "),
        None => String::new(),
    };
    let rows: Vec<MentorRow> = read!(store, |pool| {
        sqlx::query_as(SQL)
            .bind(page.after_or(Uuid::nil()))
            .bind(page.fetch_limit())
            .bind(&statuses)
            .bind(i64::from(filter.path_id.is_some()))
            .bind(filter.path_id.unwrap_or(Uuid::nil()))
            .fetch_all(pool)
            .await?
    });
    let mentors = rows
        .into_iter()
        .map(Mentor::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(mentors, &page, |m| m.id))
}

pub(crate) const UPDATE_SQL: &str = "UPDATE mentors SET status = $2, manager_id = $3, decision_reason = $4, \
     reviewed_by = $5, reviewed_at = $6, bio = $7, time_zone = $8, requested_students = $9, activated_at = $10, \
     referral_code = $11, contract_signed_at = $12, contract_signed_name = $13, status_reason = $14, \
     version = $15, updated_at = $16 WHERE user_id = $1";

/// Writes every mutable column of a mentor inside the open transaction `$tx`.
macro_rules! write_mentor {
    ($tx:ident, $mentor:expr) => {{
        let m: &$crate::mentors::Mentor = &$mentor;
        sqlx::query($crate::mentors::UPDATE_SQL)
            .bind(m.id)
            .bind($crate::mentors::enum_text(&m.status)?)
            .bind(m.manager_id)
            .bind(&m.decision_reason)
            .bind(m.reviewed_by)
            .bind(m.reviewed_at)
            .bind(&m.bio)
            .bind(&m.time_zone)
            .bind(i64::from(m.requested_students))
            .bind(m.activated_at)
            .bind(&m.referral_code)
            .bind(m.contract_signed_at)
            .bind(&m.contract_signed_name)
            .bind(&m.status_reason)
            .bind(m.version)
            .bind(m.updated_at)
            .execute(&mut *$tx)
            .await
            .map_err($crate::StoreError::unique_as("referral code"))?;
    }};
}
pub(crate) use write_mentor;

/// Decides and applies a change on the current row, or refuses it.
pub type Decision<'a> = Box<dyn FnOnce(&mut Mentor) -> Result<(), StoreError> + Send + 'a>;

/// A change to a mentor, decided on the current row inside the writing transaction.
pub struct MentorChange<'a> {
    /// The audit action, e.g. `mentor.accepted`.
    pub action: &'static str,
    pub actor: Uuid,
    /// `Some`: the update is refused unless the mentor is still at this version (`If-Match`).
    pub expected_version: Option<i64>,
    /// Decides and applies the change, or refuses it.
    pub decide: Decision<'a>,
}

/// Applies a change to a mentor atomically and audits it with the state before and after.
pub async fn change(
    store: &Store,
    id: Uuid,
    change: MentorChange<'_>,
) -> Result<Mentor, StoreError> {
    write_tx!(store, |tx| {
        let before: Mentor = get_in_tx!(tx, id);
        if change.expected_version.is_some_and(|v| v != before.version) {
            return Err(StoreError::VersionMismatch("mentor"));
        }
        let mut after = before.clone();
        (change.decide)(&mut after)?;
        after.version = before.version + 1;
        after.updated_at = crate::now();
        write_mentor!(tx, after);
        if let Some(message) = tell::status_changed(before.status, &after) {
            notify!(tx, message);
        }
        audit!(
            tx,
            AuditEntry {
                actor_id: Some(change.actor),
                action: change.action,
                object_type: "mentor",
                object_id: id,
                before: serde_json::to_value(&before).ok(),
                after: serde_json::to_value(&after).ok(),
                at: after.updated_at,
            }
        );
        Ok(after)
    })
}
