//! The referral ledger (RULES.md, Money: "Referral bonus"): a referral qualifies once, at the
//! instant the referred mentor's first completed session with notes is recorded while they are
//! active; the referrer's qualifications are numbered in the order of those instants and never
//! change (the table refuses updates and deletes).

use chrono::{DateTime, Utc};
use mentorship_domain::mentors::MentorStatus;
use mentorship_domain::money::Money;
use mentorship_domain::referrals::{referral_bonus, referral_qualified_at};
use mentorship_domain::sessions::SessionStatus;
use serde::Serialize;
use std::num::NonZeroU32;
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::db::{Tx, query};
use crate::mentors::{Mentor, enum_from};
use crate::record::Record;
use crate::sessions::Session;
use crate::{Store, StoreError};

/// A referral qualification as recorded.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
struct Qualification {
    referred_id: Uuid,
    referrer_id: Uuid,
    nth: i64,
    session_id: Uuid,
    qualified_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ReferredRow {
    referrer_id: Option<Uuid>,
    status: String,
    qualified: bool,
}

/// Records the qualification `session` makes, if it is the referred mentor's first completed
/// session with notes and they are active: once, numbered after the referrer's earlier ones under
/// the referrer's lock, so two referrals qualifying at once get consecutive numbers.
pub(crate) async fn qualify(
    tx: &mut Tx,
    session: &Session,
    by: Option<Uuid>,
) -> Result<(), StoreError> {
    if session.status != SessionStatus::Completed || session.notes_at.is_none() {
        return Ok(());
    }
    const REFERRED: &str = "SELECT m.referrer_id, m.status, EXISTS (SELECT 1 FROM \
                            referral_qualifications q WHERE q.referred_id = m.user_id) AS qualified \
                            FROM mentors m WHERE m.user_id = $1";
    let Some(referred) = tx
        .fetch_optional::<ReferredRow>(query(REFERRED).bind(session.mentor_id))
        .await?
    else {
        return Ok(());
    };
    let status: MentorStatus = enum_from(&referred.status)?;
    let (Some(referrer_id), false) = (referred.referrer_id, referred.qualified) else {
        return Ok(());
    };
    // The instant is taken under the referrer's lock, so the numbers follow the instants even
    // when two of their referrals qualify at once.
    tx.lock(Mentor::LOCK, referrer_id).await?;
    let Some(qualified_at) = referral_qualified_at(status, Some(crate::now())) else {
        return Ok(());
    };
    const NEXT: &str =
        "SELECT COALESCE(MAX(nth), 0) + 1 FROM referral_qualifications WHERE referrer_id = $1";
    let nth: i64 = tx.scalar(query(NEXT).bind(referrer_id)).await?;
    let qualification = Qualification {
        referred_id: session.mentor_id,
        referrer_id,
        nth,
        session_id: session.id,
        qualified_at,
    };
    const INSERT: &str = "INSERT INTO referral_qualifications \
                          (referred_id, referrer_id, nth, session_id, qualified_at) \
                          VALUES ($1, $2, $3, $4, $5) ON CONFLICT (referred_id) DO NOTHING";
    let written = tx
        .execute(
            query(INSERT)
                .bind(qualification.referred_id)
                .bind(referrer_id)
                .bind(nth)
                .bind(session.id)
                .bind(qualified_at),
        )
        .await?;
    if written == 1 {
        let entry = AuditEntry::created(
            "referral.qualified",
            by,
            "referral",
            qualification.referred_id,
            &qualification,
        );
        audit::write(tx, entry).await?;
    }
    Ok(())
}

/// One of a mentor's referrals, as their ledger shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Referral {
    pub referred_id: Uuid,
    pub referred_name: String,
    pub referred_status: MentorStatus,
    pub applied_at: DateTime<Utc>,
    /// When it qualified; `None` until then.
    pub qualified_at: Option<DateTime<Utc>>,
    /// Its number among the referrer's qualified referrals.
    pub nth: Option<NonZeroU32>,
    /// The bonus its number earns.
    pub bonus: Option<Money>,
}

#[derive(sqlx::FromRow)]
struct ReferralRow {
    referred_id: Uuid,
    referred_name: String,
    referred_status: String,
    applied_at: DateTime<Utc>,
    qualified_at: Option<DateTime<Utc>>,
    nth: Option<i64>,
}

/// A mentor's referrals: the qualified ones by number, then the others by application.
pub async fn of_referrer(store: &Store, referrer_id: Uuid) -> Result<Vec<Referral>, StoreError> {
    const SQL: &str = "SELECT m.user_id AS referred_id, u.name AS referred_name, \
                       m.status AS referred_status, m.created_at AS applied_at, q.qualified_at, \
                       q.nth FROM mentors m JOIN users u ON u.id = m.user_id \
                       LEFT JOIN referral_qualifications q ON q.referred_id = m.user_id \
                       WHERE m.referrer_id = $1 \
                       ORDER BY q.nth IS NULL, q.nth, m.created_at, m.user_id";
    let rows: Vec<ReferralRow> = store.fetch_all(query(SQL).bind(referrer_id)).await?;
    rows.into_iter()
        .map(|r| {
            let nth = r
                .nth
                .map(|n| {
                    u32::try_from(n)
                        .ok()
                        .and_then(NonZeroU32::new)
                        .ok_or_else(|| StoreError::Corrupt(format!("referral number {n}")))
                })
                .transpose()?;
            Ok(Referral {
                referred_id: r.referred_id,
                referred_name: r.referred_name,
                referred_status: enum_from(&r.referred_status)?,
                applied_at: r.applied_at,
                qualified_at: r.qualified_at,
                nth,
                bonus: nth.map(referral_bonus),
            })
        })
        .collect()
}
