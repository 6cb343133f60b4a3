//! Mentors: the application a person sends, then the profile of the mentor they become
//! (RULES.md, "Becoming a mentor"). One row per mentor from application to offboarding; each
//! change is one domain step, decided on the locked row inside the transaction that writes it.

use chrono::{DateTime, Utc};
use mentorship_domain::mentors::{
    self as rules, ApplicationFacts, LegalStatus, MentorStatus, UnmetRule,
};
use mentorship_domain::people;
use mentorship_domain::policy::Policies;
use serde::Serialize;
use uuid::Uuid;

use crate::db::{Query, Tx, query};
use crate::events::Step;
use crate::record::{self, Change, Record, versioned_fields};
use crate::users::{self, NewUser, User};
use crate::{Page, PageRequest, Store, StoreError};

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
    /// Students currently assigned (derived from the assignments; never written here).
    pub assigned_students: u32,
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
    assigned_students: i64,
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
            assigned_students: u32::try_from(r.assigned_students)
                .map_err(|_| StoreError::Corrupt("assigned_students".into()))?,
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
             (SELECT COUNT(*) FROM assignments a WHERE a.mentor_id = m.user_id AND a.ended_at IS NULL) \
               AS assigned_students, \
             m.activated_at, m.referral_code, m.contract_signed_at, m.contract_signed_name, m.status_reason, \
             m.version, m.created_at, m.updated_at FROM mentors m JOIN users u ON u.id = m.user_id ",
            $tail
        )
    };
}

pub(crate) const GET_SQL: &str = select_mentors!("WHERE m.user_id = $1");

impl Record for Mentor {
    type Row = MentorRow;
    const NAME: &'static str = "mentor";
    const SELECT: &'static str = GET_SQL;
    const LOCK: &'static str = "SELECT user_id FROM mentors WHERE user_id = $1 FOR UPDATE";
    const UNIQUE: &'static str = "referral code";

    versioned_fields!();

    fn update(&self, version: i64) -> Query {
        const SQL: &str = "UPDATE mentors SET status = $2, manager_id = $3, decision_reason = $4, \
             reviewed_by = $5, reviewed_at = $6, bio = $7, time_zone = $8, requested_students = $9, \
             activated_at = $10, referral_code = $11, contract_signed_at = $12, contract_signed_name = $13, \
             status_reason = $14, version = $15, updated_at = $16 WHERE user_id = $1 AND version = $17";
        query(SQL)
            .bind(self.id)
            .bind(self.status.as_str())
            .bind(self.manager_id)
            .bind(&self.decision_reason)
            .bind(self.reviewed_by)
            .bind(self.reviewed_at)
            .bind(&self.bio)
            .bind(&self.time_zone)
            .bind(i64::from(self.requested_students))
            .bind(self.activated_at)
            .bind(&self.referral_code)
            .bind(self.contract_signed_at)
            .bind(&self.contract_signed_name)
            .bind(&self.status_reason)
            .bind(self.version)
            .bind(self.updated_at)
            .bind(version)
    }
}

/// What an applicant sends, their password already hashed.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub account: NewUser,
    pub path_id: Uuid,
    pub facts: ApplicationFacts,
    pub legal_status: LegalStatus,
    pub country: String,
    pub referrer_id: Option<Uuid>,
    pub time_zone: String,
}

/// Stores an application: the applicant's account (role mentor) and their mentor row, together,
/// with its eligibility as the domain judges it under `policies`. A taken email is
/// `Duplicate("email")`.
pub async fn apply(
    store: &Store,
    application: NewApplication,
    policies: &Policies,
) -> Result<Mentor, StoreError> {
    const MENTOR: &str = "INSERT INTO mentors (user_id, status, path_id, experience_years, field_years, legal_status, \
                          country, right_to_work, unmet_rules, referrer_id, time_zone, version, created_at, updated_at) \
                          VALUES ($1, 'applied', $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11)";
    let now = crate::now();
    let NewApplication { account, facts, .. } = &application;
    let user = User::opened(account, now);
    let id = user.id;
    let received = rules::receive_application(id, facts, policies);
    let unmet =
        serde_json::to_string(&received.outcome).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut tx = store.begin().await?;
    users::insert(&mut tx, &user, &account.password_hash).await?;
    tx.execute(
        query(MENTOR)
            .bind(id)
            .bind(application.path_id)
            .bind(i64::from(facts.professional_experience_years))
            .bind(i64::from(facts.field_experience_years))
            .bind(enum_text(&application.legal_status)?)
            .bind(&application.country)
            .bind(facts.right_to_work_attested)
            .bind(&unmet)
            .bind(application.referrer_id)
            .bind(&application.time_zone)
            .bind(now),
    )
    .await?;
    let mentor: Mentor = record::get(&mut tx, id).await?;
    record::created(
        &mut tx,
        &mentor,
        "mentor.applied",
        Some(id),
        &received.events,
    )
    .await?;
    tx.commit().await?;
    Ok(mentor)
}

/// One mentor by id.
pub async fn get(store: &Store, id: Uuid) -> Result<Mentor, StoreError> {
    let row: Option<MentorRow> = store.fetch_optional(query(GET_SQL).bind(id)).await?;
    row.ok_or(StoreError::NotFound("mentor"))?.try_into()
}

/// The mentor a referral code belongs to, if any.
pub async fn by_referral_code(store: &Store, code: &str) -> Result<Option<Mentor>, StoreError> {
    const SQL: &str = select_mentors!("WHERE m.referral_code = $1");
    let row: Option<MentorRow> = store.fetch_optional(query(SQL).bind(code)).await?;
    row.map(Mentor::try_from).transpose()
}

/// Which mentors a list shows.
#[derive(Debug, Clone, Default)]
pub struct MentorFilter {
    pub statuses: Option<Vec<MentorStatus>>,
    pub path_id: Option<Uuid>,
    /// Only those who applied at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only those who applied before this instant.
    pub to: Option<DateTime<Utc>>,
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
         AND ($4 = 0 OR m.path_id = $5) AND ($6 = 0 OR m.created_at >= $7) \
         AND ($8 = 0 OR m.created_at < $9) ORDER BY m.user_id LIMIT CAST($2 AS BIGINT)"
    );
    let statuses = match &filter.statuses {
        Some(list) => list
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        None => String::new(),
    };
    let rows: Vec<MentorRow> = store
        .fetch_all(
            query(SQL)
                .bind(page.after_or(Uuid::nil()))
                .bind(page.fetch_limit())
                .bind(statuses)
                .bind(i64::from(filter.path_id.is_some()))
                .bind(filter.path_id.unwrap_or(Uuid::nil()))
                .bind_range(filter.from, filter.to),
        )
        .await?;
    let mentors = rows
        .into_iter()
        .map(Mentor::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(mentors, &page, |m| m.id))
}

/// Changes one mentor in a transaction of its own (see [`record::change`]).
async fn change_mentor(
    store: &Store,
    id: Uuid,
    change: Change,
    decide: impl FnOnce(&Mentor) -> Result<Step<Mentor>, StoreError>,
) -> Result<Mentor, StoreError> {
    let mut tx = store.begin().await?;
    let mentor = record::change(&mut tx, id, change, decide).await?;
    tx.commit().await?;
    Ok(mentor)
}

/// A manager accepts an application; they become the mentor's manager.
pub async fn accept(store: &Store, id: Uuid, reviewer: Uuid) -> Result<Mentor, StoreError> {
    let now = crate::now();
    change_mentor(store, id, Change::by("mentor.accepted", reviewer), |m| {
        let step = rules::accept_application(m.id, m.status, &m.unmet_rules, reviewer)
            .map_err(|r| StoreError::refused(&r))?;
        Ok(step.map(|accepted| Mentor {
            status: accepted.status,
            manager_id: Some(accepted.manager_id),
            reviewed_by: Some(reviewer),
            reviewed_at: Some(now),
            ..m.clone()
        }))
    })
    .await
}

/// A manager rejects an application, with the reason the applicant reads.
pub async fn reject(
    store: &Store,
    id: Uuid,
    reviewer: Uuid,
    reason: &str,
) -> Result<Mentor, StoreError> {
    let now = crate::now();
    change_mentor(store, id, Change::by("mentor.rejected", reviewer), |m| {
        let step = rules::reject_application(m.id, m.status, reason)
            .map_err(|r| StoreError::refused(&r))?;
        Ok(step.map(|status| Mentor {
            status,
            decision_reason: Some(reason.to_owned()),
            reviewed_by: Some(reviewer),
            reviewed_at: Some(now),
            ..m.clone()
        }))
    })
    .await
}

/// The mentor signs their contract by typing their name and accepting its terms; they become
/// active with `referral_code` ([`mentorship_domain::referrals::referral_code`]).
pub async fn sign(
    store: &Store,
    id: Uuid,
    typed_name: &str,
    terms_accepted: bool,
    referral_code: String,
) -> Result<Mentor, StoreError> {
    let now = crate::now();
    change_mentor(store, id, Change::by("mentor.activated", id), |m| {
        let step = rules::sign_contract(
            m.id,
            m.status,
            &m.name,
            typed_name,
            terms_accepted,
            referral_code,
            now,
        )
        .map_err(|r| StoreError::refused(&r))?;
        Ok(step.map(|signature| Mentor {
            status: signature.status,
            activated_at: Some(signature.signed_at),
            contract_signed_at: Some(signature.signed_at),
            contract_signed_name: Some(signature.signed_name),
            referral_code: Some(signature.referral_code),
            ..m.clone()
        }))
    })
    .await
}

/// Staff suspend, reinstate or offboard a mentor, with a reason; `action` names it in the audit.
pub async fn staff_move(
    store: &Store,
    id: Uuid,
    to: MentorStatus,
    reason: &str,
    action: &'static str,
    actor: Uuid,
) -> Result<Mentor, StoreError> {
    change_mentor(store, id, Change::by(action, actor), |m| {
        let step =
            rules::staff_move(m.id, m.status, to, reason).map_err(|r| StoreError::refused(&r))?;
        Ok(step.map(|status| Mentor {
            status,
            status_reason: Some(reason.to_owned()),
            ..m.clone()
        }))
    })
    .await
}

/// What an edit of a profile changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    pub bio: Option<String>,
    pub time_zone: Option<String>,
    pub requested_students: Option<u32>,
    pub manager_id: Option<Uuid>,
}

/// Edits a profile if it is still at `expected_version`. A new manager must be active staff,
/// checked in the same transaction.
pub async fn edit_profile(
    store: &Store,
    id: Uuid,
    expected_version: i64,
    changes: ProfileChanges,
    actor: Uuid,
) -> Result<Mentor, StoreError> {
    let change = Change::by("mentor.updated", actor).at_version(expected_version);
    let mut tx = store.begin().await?;
    if let Some(manager) = changes.manager_id {
        check_manager(&mut tx, manager).await?;
    }
    let mentor = record::change(&mut tx, id, change, |m: &Mentor| {
        Ok(Step::quiet(Mentor {
            bio: changes.bio.unwrap_or_else(|| m.bio.clone()),
            time_zone: changes.time_zone.unwrap_or_else(|| m.time_zone.clone()),
            requested_students: changes.requested_students.unwrap_or(m.requested_students),
            manager_id: changes.manager_id.or(m.manager_id),
            ..m.clone()
        }))
    })
    .await?;
    tx.commit().await?;
    Ok(mentor)
}

/// Refuses a manager who is not active staff (RULES.md: "Each mentor has one manager").
async fn check_manager(tx: &mut Tx, manager: Uuid) -> Result<(), StoreError> {
    const SQL: &str = "SELECT role, active FROM users WHERE id = $1";
    let account: Option<(String, bool)> = tx.fetch_optional(query(SQL).bind(manager)).await?;
    let account = account.and_then(|(role, active)| Some((role.parse().ok()?, active)));
    people::check_manager(account).map_err(|r| StoreError::refused(&r))
}
