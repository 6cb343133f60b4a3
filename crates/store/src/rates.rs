//! Rate cards (RULES.md, Money: "Hourly rate"): versions with the day they take effect, never
//! edited, and the rate frozen on a session when its outcome is recorded.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use mentorship_domain::calendar::local_date;
use mentorship_domain::catalog::Level;
use mentorship_domain::money::Money;
use mentorship_domain::rates::{RateCard, RateCardRefusal, check_effective_on};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::db::{Tx, query};
use crate::{Store, StoreError};

/// A version of the rate card.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RateCardVersion {
    pub id: Uuid,
    /// The first day (platform zone) the card prices sessions.
    pub effective_on: NaiveDate,
    pub card: RateCard,
    /// `None` for the default card the program started with.
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RateCardRow {
    id: Uuid,
    effective_on: NaiveDate,
    c1d1: i64,
    c1d2: i64,
    c1d3: i64,
    c2d1: i64,
    c2d2: i64,
    c2d3: i64,
    c3d1: i64,
    c3d2: i64,
    c3d3: i64,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
}

impl TryFrom<RateCardRow> for RateCardVersion {
    type Error = StoreError;
    fn try_from(r: RateCardRow) -> Result<Self, StoreError> {
        let cents = [
            [r.c1d1, r.c1d2, r.c1d3],
            [r.c2d1, r.c2d2, r.c2d3],
            [r.c3d1, r.c3d2, r.c3d3],
        ];
        let corrupt = || StoreError::Corrupt(format!("rate card {}", r.id));
        let mut cells = [[Money::ZERO; 3]; 3];
        for (row, cents_row) in cells.iter_mut().zip(cents) {
            for (cell, cents) in row.iter_mut().zip(cents_row) {
                *cell = Money::from_cents(cents).map_err(|_| corrupt())?;
            }
        }
        Ok(RateCardVersion {
            id: r.id,
            effective_on: r.effective_on,
            card: RateCard::new(cells).map_err(|_| corrupt())?,
            created_by: r.created_by,
            created_at: r.created_at,
        })
    }
}

macro_rules! select_cards {
    ($tail:literal) => {
        concat!(
            "SELECT id, effective_on, c1d1, c1d2, c1d3, c2d1, c2d2, c2d3, c3d1, c3d2, c3d3, \
             created_by, created_at FROM rate_cards ",
            $tail
        )
    };
}

/// Every version, the latest effective first. Cards change a few times a year: the history is
/// one short list.
pub async fn history(store: &Store) -> Result<Vec<RateCardVersion>, StoreError> {
    const SQL: &str = select_cards!("ORDER BY effective_on DESC");
    let rows: Vec<RateCardRow> = store.fetch_all(query(SQL)).await?;
    rows.into_iter().map(RateCardVersion::try_from).collect()
}

/// The version in force on `day` (platform zone): the latest effective on or before it.
pub async fn in_force(store: &Store, day: NaiveDate) -> Result<RateCardVersion, StoreError> {
    let row: Option<RateCardRow> = store.fetch_optional(in_force_query(day)).await?;
    row.ok_or(StoreError::NotFound("rate card"))?.try_into()
}

fn in_force_query(day: NaiveDate) -> crate::db::Query {
    const SQL: &str = select_cards!(
        "WHERE effective_on <= $1 ORDER BY effective_on DESC LIMIT CAST(1 AS BIGINT)"
    );
    query(SQL).bind(day)
}

/// Publishes a new version, effective on `effective_on` (today or later in the platform zone;
/// one version a day).
pub async fn publish(
    store: &Store,
    effective_on: NaiveDate,
    card: RateCard,
    by: Uuid,
    now: DateTime<Utc>,
    platform_zone: Tz,
) -> Result<RateCardVersion, StoreError> {
    check_effective_on(effective_on, now, platform_zone).map_err(|r| StoreError::refused(&r))?;
    let version = RateCardVersion {
        id: crate::new_id(),
        effective_on,
        card,
        created_by: Some(by),
        created_at: crate::now(),
    };
    const SQL: &str = "INSERT INTO rate_cards (id, effective_on, c1d1, c1d2, c1d3, c2d1, c2d2, \
                       c2d3, c3d1, c3d2, c3d3, created_by, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                       ON CONFLICT (effective_on) DO NOTHING";
    let mut q = query(SQL).bind(version.id).bind(effective_on);
    for cell in card.cells().iter().flatten() {
        q = q.bind(cell.cents());
    }
    let q = q.bind(version.created_by).bind(version.created_at);
    let mut tx = store.begin().await?;
    if tx.execute(q).await? == 0 {
        return Err(StoreError::refused(&RateCardRefusal::DateTaken(
            effective_on,
        )));
    }
    let entry = AuditEntry::created(
        "rate_card.published",
        Some(by),
        "rate_card",
        version.id,
        &version,
    );
    audit::write(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(version)
}

#[derive(sqlx::FromRow)]
struct SessionPricing {
    start_at: DateTime<Utc>,
    complexity: i64,
    difficulty: i64,
}

/// RULES.md, Money: a session's hourly rate, the cell of the card in force at its start for its
/// path's complexity and its project's difficulty. Read in the transaction that freezes it.
pub(crate) async fn session_rate(
    tx: &mut Tx,
    session_id: Uuid,
    platform_zone: Tz,
) -> Result<Money, StoreError> {
    const SQL: &str = "SELECT s.start_at, p.complexity, j.difficulty FROM sessions s \
                       JOIN projects j ON j.id = s.project_id JOIN paths p ON p.id = j.path_id \
                       WHERE s.id = $1";
    let pricing: SessionPricing = tx
        .fetch_optional(query(SQL).bind(session_id))
        .await?
        .ok_or(StoreError::NotFound("session"))?;
    let level = |n: i64| {
        u8::try_from(n)
            .ok()
            .and_then(|n| Level::new(n).ok())
            .ok_or_else(|| StoreError::Corrupt(format!("level {n}")))
    };
    let day = local_date(pricing.start_at, platform_zone);
    let card: RateCardVersion = tx
        .fetch_optional::<RateCardRow>(in_force_query(day))
        .await?
        .ok_or(StoreError::NotFound("rate card"))?
        .try_into()?;
    Ok(card
        .card
        .rate(level(pricing.complexity)?, level(pricing.difficulty)?))
}
