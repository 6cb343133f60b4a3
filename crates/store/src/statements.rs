//! Monthly statements (RULES.md, Money: "Monthly statement"): the live draft, issuing (one
//! mentor's, or a whole month's), and the lifecycle after it.
//!
//! Gapless numbers: a statement takes its number by raising its month's counter row
//! (`statement_counters`) in the transaction that inserts it. The row stays locked until that
//! transaction ends, so concurrent issuers take numbers one after the other, and a transaction
//! that rolls back gives its number back. Immutability: the database refuses any update of an
//! issued statement's mentor, month, number, total or issue, any backward move of its status,
//! and any update or delete of a line (triggers of migration 0007). Each item is on at most one
//! statement: a line's key is its item's id.

use chrono::{DateTime, NaiveDate, Utc};
use mentorship_domain::events::{Event, Step};
use mentorship_domain::money::Money;
use mentorship_domain::people::Role;
use mentorship_domain::policy::Policies;
use mentorship_domain::sessions::{SessionLength, SessionStatus};
use mentorship_domain::statements::{
    SessionForPay, Statement, StatementItem, StatementLine, StatementMonth, StatementNumber,
    StatementRefusal, StatementStatus, approve_statement, build_statement, check_month_open,
    dispute_statement, issue_in_order, issue_statement, mark_statement_paid, referral_item,
    session_item,
};
use serde::Serialize;
use std::num::NonZeroU32;
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::db::{Query, Tx, query};
use crate::mentors::{Mentor, enum_from};
use crate::record::{self, Change, Record, versioned_fields};
use crate::{Page, PageRequest, Store, StoreError};

/// An issued statement, without its lines: what changes through its lifecycle.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IssuedStatement {
    pub id: Uuid,
    pub mentor_id: Uuid,
    pub mentor_name: String,
    pub month: StatementMonth,
    pub number: StatementNumber,
    pub total: Money,
    pub status: StatementStatus,
    pub issued_at: DateTime<Utc>,
    pub issued_by: Option<Uuid>,
    /// When the mentor approved or disputed it.
    pub decided_at: Option<DateTime<Utc>>,
    pub dispute_reason: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    /// The day the payment was made, as the manager says.
    pub paid_on: Option<NaiveDate>,
    pub payment_reference: Option<String>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// An issued statement with its lines.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StatementWithLines {
    #[serde(flatten)]
    pub statement: IssuedStatement,
    pub lines: Vec<StatementLine>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct StatementRow {
    id: Uuid,
    mentor_id: Uuid,
    mentor_name: String,
    month: String,
    number: String,
    total_cents: i64,
    status: String,
    issued_at: DateTime<Utc>,
    issued_by: Option<Uuid>,
    decided_at: Option<DateTime<Utc>>,
    dispute_reason: Option<String>,
    paid_at: Option<DateTime<Utc>>,
    paid_on: Option<NaiveDate>,
    payment_reference: Option<String>,
    version: i64,
    updated_at: DateTime<Utc>,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("statement {what}"))
}

fn money(cents: i64) -> Result<Money, StoreError> {
    Money::from_cents(cents).map_err(|_| corrupt("amount"))
}

impl TryFrom<StatementRow> for IssuedStatement {
    type Error = StoreError;
    fn try_from(r: StatementRow) -> Result<Self, StoreError> {
        Ok(IssuedStatement {
            id: r.id,
            mentor_id: r.mentor_id,
            mentor_name: r.mentor_name,
            month: r.month.parse().map_err(|_| corrupt("month"))?,
            number: r.number.parse().map_err(|_| corrupt("number"))?,
            total: money(r.total_cents)?,
            status: enum_from(&r.status)?,
            issued_at: r.issued_at,
            issued_by: r.issued_by,
            decided_at: r.decided_at,
            dispute_reason: r.dispute_reason,
            paid_at: r.paid_at,
            paid_on: r.paid_on,
            payment_reference: r.payment_reference,
            version: r.version,
            updated_at: r.updated_at,
        })
    }
}

macro_rules! select_statements {
    ($tail:literal) => {
        concat!(
            "SELECT t.id, t.mentor_id, u.name AS mentor_name, t.month, t.number, t.total_cents, \
             t.status, t.issued_at, t.issued_by, t.decided_at, t.dispute_reason, t.paid_at, \
             t.paid_on, t.payment_reference, t.version, t.updated_at \
             FROM statements t JOIN users u ON u.id = t.mentor_id ",
            $tail
        )
    };
}

impl Record for IssuedStatement {
    type Row = StatementRow;
    const NAME: &'static str = "statement";
    const SELECT: &'static str = select_statements!("WHERE t.id = $1");
    const LOCK: &'static str = "SELECT id FROM statements WHERE id = $1 FOR UPDATE";
    const UNIQUE: &'static str = "number";

    versioned_fields!();

    fn update(&self, version: i64) -> Query {
        const SQL: &str = "UPDATE statements SET status = $2, decided_at = $3, dispute_reason = $4, \
                           paid_at = $5, paid_on = $6, payment_reference = $7, version = $8, \
                           updated_at = $9 WHERE id = $1 AND version = $10";
        query(SQL)
            .bind(self.id)
            .bind(self.status.as_str())
            .bind(self.decided_at)
            .bind(&self.dispute_reason)
            .bind(self.paid_at)
            .bind(self.paid_on)
            .bind(&self.payment_reference)
            .bind(self.version)
            .bind(self.updated_at)
            .bind(version)
    }
}

// ---- Items not yet on a statement ----

#[derive(sqlx::FromRow)]
struct SessionItemRow {
    id: Uuid,
    start_at: DateTime<Utc>,
    minutes: i64,
    status: String,
    rate_cents: Option<i64>,
    status_at: Option<DateTime<Utc>>,
    notes_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ReferralItemRow {
    referred_id: Uuid,
    qualified_at: DateTime<Utc>,
    nth: i64,
}

fn unclaimed_sessions(mentor_id: Uuid) -> Query {
    const SQL: &str = "SELECT s.id, s.start_at, s.minutes, s.status, s.rate_cents, s.status_at, \
                       s.notes_at FROM sessions s WHERE s.mentor_id = $1 \
                       AND s.rate_cents IS NOT NULL \
                       AND NOT EXISTS (SELECT 1 FROM statement_lines l WHERE l.item_id = s.id)";
    query(SQL).bind(mentor_id)
}

fn unclaimed_referrals(mentor_id: Uuid) -> Query {
    const SQL: &str = "SELECT q.referred_id, q.qualified_at, q.nth \
                       FROM referral_qualifications q WHERE q.referrer_id = $1 \
                       AND NOT EXISTS (SELECT 1 FROM statement_lines l \
                       WHERE l.item_id = q.referred_id)";
    query(SQL).bind(mentor_id)
}

/// The payable items of the rows read: sessions through the domain's pricing (a session that
/// pays nothing makes no item), referral bonuses by their number.
fn items(
    sessions: Vec<SessionItemRow>,
    referrals: Vec<ReferralItemRow>,
    policies: &Policies,
) -> Result<Vec<StatementItem>, StoreError> {
    let mut items = Vec::with_capacity(sessions.len() + referrals.len());
    for r in sessions {
        let minutes = u16::try_from(r.minutes).map_err(|_| corrupt("length"))?;
        let session = SessionForPay {
            id: r.id,
            start: r.start_at,
            length: SessionLength::from_minutes(minutes).map_err(|_| corrupt("length"))?,
            status: enum_from::<SessionStatus>(&r.status)?,
            frozen_rate: r.rate_cents.map(money).transpose()?,
            outcome_recorded_at: r.status_at,
            notes_recorded_at: r.notes_at,
        };
        items.extend(session_item(&session, &policies.outcome_factors));
    }
    for r in referrals {
        let nth = u32::try_from(r.nth)
            .ok()
            .and_then(NonZeroU32::new)
            .ok_or_else(|| corrupt("referral number"))?;
        items.push(referral_item(r.referred_id, r.qualified_at, nth));
    }
    Ok(items)
}

async fn unclaimed_in(
    tx: &mut Tx,
    mentor_id: Uuid,
    policies: &Policies,
) -> Result<Vec<StatementItem>, StoreError> {
    let sessions = tx.fetch_all(unclaimed_sessions(mentor_id)).await?;
    let referrals = tx.fetch_all(unclaimed_referrals(mentor_id)).await?;
    items(sessions, referrals, policies)
}

fn last_issued_query(mentor_id: Uuid) -> Query {
    const SQL: &str = "SELECT month FROM statements WHERE mentor_id = $1 \
                       ORDER BY month DESC LIMIT CAST(1 AS BIGINT)";
    query(SQL).bind(mentor_id)
}

fn month_of(text: Option<String>) -> Result<Option<StatementMonth>, StoreError> {
    text.map(|m| m.parse().map_err(|_| corrupt("month")))
        .transpose()
}

/// The mentor's live draft of `month`: what would be issued now. A month already issued, or
/// before the last issued one, has no draft.
pub async fn draft(
    store: &Store,
    mentor_id: Uuid,
    month: StatementMonth,
    now: DateTime<Utc>,
) -> Result<Statement, StoreError> {
    let policies = crate::policies::current(store).await?.policies;
    let last = month_of(
        store
            .scalars::<String>(last_issued_query(mentor_id))
            .await?
            .pop(),
    )?;
    check_month_open(month, last).map_err(|r| StoreError::refused(&r))?;
    let sessions = store.fetch_all(unclaimed_sessions(mentor_id)).await?;
    let referrals = store.fetch_all(unclaimed_referrals(mentor_id)).await?;
    let unclaimed = items(sessions, referrals, &policies)?;
    build_statement(mentor_id, month, &unclaimed, now, policies.platform_zone)
        .map_err(|r| StoreError::refused(&r))
}

/// Issues the mentor's statement of `month`: in month order, once the month is over, with at
/// least one line; numbered without gaps; the mentor is told.
pub async fn issue(
    store: &Store,
    mentor_id: Uuid,
    month: StatementMonth,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<StatementWithLines, StoreError> {
    issue_or_refusal(store, mentor_id, month, by, now)
        .await?
        .map_err(|r| StoreError::refused(&r))
}

/// Issuing one mentor's statement, with the rule that refused it kept typed, so that issuing a
/// month can tell the refusals it passes over from those it reports.
async fn issue_or_refusal(
    store: &Store,
    mentor_id: Uuid,
    month: StatementMonth,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Result<StatementWithLines, StatementRefusal>, StoreError> {
    let mut tx = store.begin().await?;
    let policies = crate::policies::in_force(&mut tx).await?;
    // One issuer of a mentor at a time: the second sees the first's statement.
    record::lock::<Mentor>(&mut tx, mentor_id).await?;
    let last = month_of(
        tx.scalars::<String>(last_issued_query(mentor_id))
            .await?
            .pop(),
    )?;
    let unclaimed = unclaimed_in(&mut tx, mentor_id, &policies).await?;
    let statement = match issue_in_order(
        mentor_id,
        month,
        last,
        &unclaimed,
        now,
        policies.platform_zone,
    ) {
        Ok(statement) => statement,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let number = next_number(&mut tx, month).await?;
    let issued = insert(&mut tx, &statement, number, by).await?;
    let event = Event::StatementIssued {
        mentor_id,
        number: number.to_string(),
        total: statement.total(),
    };
    // The audit row holds the lines too: each money item is in the log with its statement.
    let entry = AuditEntry::created(
        "statement.issued",
        Some(by),
        IssuedStatement::NAME,
        issued.statement.id,
        &issued,
    );
    audit::write(&mut tx, entry).await?;
    crate::events::record(&mut tx, &[event]).await?;
    tx.commit().await?;
    Ok(Ok(issued))
}

/// The month's next number, taken in the issuing transaction (see the module's comment).
async fn next_number(tx: &mut Tx, month: StatementMonth) -> Result<StatementNumber, StoreError> {
    const OPEN: &str = "INSERT INTO statement_counters (month, last_sequence) VALUES ($1, 0) \
                        ON CONFLICT (month) DO NOTHING";
    // An update that changes nothing, to read the last number under the row's lock.
    const LOCK: &str = "UPDATE statement_counters SET last_sequence = last_sequence \
                        WHERE month = $1 RETURNING last_sequence";
    const TAKE: &str = "UPDATE statement_counters SET last_sequence = $2 WHERE month = $1";
    let month_key = month.to_string();
    tx.execute(query(OPEN).bind(&month_key)).await?;
    let last: i64 = tx.scalar(query(LOCK).bind(&month_key)).await?;
    let last = u32::try_from(last).map_err(|_| corrupt("counter"))?;
    let number = StatementNumber::next(month, (last > 0).then_some(last))
        .map_err(|r| StoreError::refused(&r))?;
    let sequence = i64::from(number.sequence());
    tx.execute(query(TAKE).bind(&month_key).bind(sequence))
        .await?;
    Ok(number)
}

async fn insert(
    tx: &mut Tx,
    statement: &Statement,
    number: StatementNumber,
    by: Uuid,
) -> Result<StatementWithLines, StoreError> {
    const STATEMENT: &str = "INSERT INTO statements (id, mentor_id, month, number, sequence, \
                             total_cents, status, issued_at, issued_by, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, 'issued', $7, $8, $7)";
    const LINE: &str = "INSERT INTO statement_lines (item_id, statement_id, kind, occurred_at, \
                        recorded_at, amount_cents, late) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let id = crate::new_id();
    let at = crate::now();
    tx.execute(
        query(STATEMENT)
            .bind(id)
            .bind(statement.mentor_id())
            .bind(statement.month().to_string())
            .bind(number.to_string())
            .bind(i64::from(number.sequence()))
            .bind(statement.total().cents())
            .bind(at)
            .bind(by),
    )
    .await
    .map_err(StoreError::unique_as("statement"))?;
    for line in statement.lines() {
        tx.execute(
            query(LINE)
                .bind(line.item.id)
                .bind(id)
                .bind(line.item.kind.as_str())
                .bind(line.item.occurred_at)
                .bind(line.item.recorded_at)
                .bind(line.item.amount.cents())
                .bind(line.late),
        )
        .await
        .map_err(StoreError::unique_as("statement line"))?;
    }
    let issued: IssuedStatement = record::get(tx, id).await?;
    Ok(StatementWithLines {
        statement: issued,
        lines: statement.lines().to_vec(),
    })
}

/// What issuing a month did for one mentor.
#[derive(Debug)]
pub enum MonthIssue {
    Issued(StatementWithLines),
    /// Issued before (by an earlier call): repeating the month is safe.
    AlreadyIssued(IssuedStatement),
    /// A rule stopped this mentor's statement (an earlier month to issue first, ...).
    Refused {
        mentor_id: Uuid,
        error: StoreError,
    },
}

/// Issues `month` for every mentor with items up to it, each in a transaction of its own (a
/// refused mentor does not stop the others); mentors already issued are reported as such.
pub async fn issue_month(
    store: &Store,
    month: StatementMonth,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<MonthIssue>, StoreError> {
    let policies = crate::policies::current(store).await?.policies;
    issue_statement(StatementStatus::Draft, month, now, policies.platform_zone)
        .map_err(|r| StoreError::refused(&r))?;
    let ends_at = month.ends_at(policies.platform_zone);
    const CANDIDATES: &str = "SELECT s.mentor_id FROM sessions s WHERE s.rate_cents IS NOT NULL \
                              AND s.start_at < $1 AND NOT EXISTS (SELECT 1 FROM statement_lines l \
                              WHERE l.item_id = s.id) \
                              UNION SELECT q.referrer_id FROM referral_qualifications q \
                              WHERE q.qualified_at < $1 AND NOT EXISTS (SELECT 1 FROM \
                              statement_lines l WHERE l.item_id = q.referred_id) \
                              UNION SELECT t.mentor_id FROM statements t WHERE t.month = $2";
    let mut mentors: Vec<Uuid> = store
        .scalars(query(CANDIDATES).bind(ends_at).bind(month.to_string()))
        .await?;
    mentors.sort_unstable();
    let mut outcomes = Vec::with_capacity(mentors.len());
    for mentor_id in mentors {
        match issue_or_refusal(store, mentor_id, month, by, now).await? {
            Ok(issued) => outcomes.push(MonthIssue::Issued(issued)),
            Err(StatementRefusal::AlreadyIssued { .. }) => outcomes.push(
                MonthIssue::AlreadyIssued(of_mentor_month(store, mentor_id, month).await?),
            ),
            // Items that pay nothing (cancelled sessions): no statement, nothing to say.
            Err(StatementRefusal::NothingToIssue { .. }) => {}
            Err(refusal) => outcomes.push(MonthIssue::Refused {
                mentor_id,
                error: StoreError::refused(&refusal),
            }),
        }
    }
    Ok(outcomes)
}

async fn of_mentor_month(
    store: &Store,
    mentor_id: Uuid,
    month: StatementMonth,
) -> Result<IssuedStatement, StoreError> {
    const SQL: &str = select_statements!("WHERE t.mentor_id = $1 AND t.month = $2");
    let row: Option<StatementRow> = store
        .fetch_optional(query(SQL).bind(mentor_id).bind(month.to_string()))
        .await?;
    row.ok_or(StoreError::NotFound("statement"))?.try_into()
}

#[derive(sqlx::FromRow)]
struct LineRow {
    item_id: Uuid,
    kind: String,
    occurred_at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    amount_cents: i64,
    late: bool,
}

impl TryFrom<LineRow> for StatementLine {
    type Error = StoreError;

    fn try_from(r: LineRow) -> Result<Self, StoreError> {
        Ok(StatementLine {
            item: StatementItem {
                id: r.item_id,
                kind: enum_from(&r.kind)?,
                occurred_at: r.occurred_at,
                recorded_at: r.recorded_at,
                amount: money(r.amount_cents)?,
            },
            late: r.late,
        })
    }
}

#[derive(sqlx::FromRow)]
struct MentorLineRow {
    statement_id: Uuid,
    #[sqlx(flatten)]
    line: LineRow,
}

/// Every line of a mentor's issued statements, by statement id: one query for all of them.
pub async fn lines_of_mentor(
    store: &Store,
    mentor_id: Uuid,
) -> Result<Vec<(Uuid, StatementLine)>, StoreError> {
    const SQL: &str = "SELECT l.statement_id, l.item_id, l.kind, l.occurred_at, l.recorded_at, \
                       l.amount_cents, l.late FROM statement_lines l \
                       JOIN statements s ON s.id = l.statement_id WHERE s.mentor_id = $1 \
                       ORDER BY l.statement_id, l.occurred_at, l.item_id";
    let rows: Vec<MentorLineRow> = store.fetch_all(query(SQL).bind(mentor_id)).await?;
    rows.into_iter()
        .map(|r| Ok((r.statement_id, StatementLine::try_from(r.line)?)))
        .collect()
}

/// One issued statement with its lines.
pub async fn get(store: &Store, id: Uuid) -> Result<StatementWithLines, StoreError> {
    let row: Option<StatementRow> = store
        .fetch_optional(query(IssuedStatement::SELECT).bind(id))
        .await?;
    let statement: IssuedStatement = row.ok_or(StoreError::NotFound("statement"))?.try_into()?;
    const LINES: &str = "SELECT item_id, kind, occurred_at, recorded_at, amount_cents, late \
                         FROM statement_lines WHERE statement_id = $1 \
                         ORDER BY occurred_at, item_id";
    let rows: Vec<LineRow> = store.fetch_all(query(LINES).bind(id)).await?;
    let lines = rows
        .into_iter()
        .map(StatementLine::try_from)
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(StatementWithLines { statement, lines })
}

/// The mentor approves their issued statement.
pub async fn approve(
    store: &Store,
    id: Uuid,
    role: Role,
    by: Uuid,
) -> Result<IssuedStatement, StoreError> {
    decided(store, id, "statement.approved", by, None, |status| {
        approve_statement(status, role)
    })
    .await
}

/// The mentor disputes their issued statement, with a reason.
pub async fn dispute(
    store: &Store,
    id: Uuid,
    role: Role,
    reason: &str,
    by: Uuid,
) -> Result<IssuedStatement, StoreError> {
    decided(
        store,
        id,
        "statement.disputed",
        by,
        Some(reason),
        |status| dispute_statement(status, role, reason),
    )
    .await
}

/// The mentor's decision on their statement, as `step` rules, with the reason of a dispute.
async fn decided(
    store: &Store,
    id: Uuid,
    action: &'static str,
    by: Uuid,
    reason: Option<&str>,
    step: impl FnOnce(StatementStatus) -> Result<StatementStatus, StatementRefusal>,
) -> Result<IssuedStatement, StoreError> {
    transition(store, id, action, by, |s| {
        let status = step(s.status).map_err(|r| StoreError::refused(&r))?;
        Ok(Step::quiet(IssuedStatement {
            status,
            decided_at: Some(crate::now()),
            dispute_reason: reason.map(|r| r.trim().to_owned()),
            ..s.clone()
        }))
    })
    .await
}

/// A payment of an approved or disputed statement, as a manager records it.
#[derive(Debug, Clone)]
pub struct Payment {
    pub reference: String,
    pub paid_on: NaiveDate,
}

/// A manager marks an approved or disputed statement paid; the mentor is told.
pub async fn mark_paid(
    store: &Store,
    id: Uuid,
    role: Role,
    payment: &Payment,
    by: Uuid,
) -> Result<IssuedStatement, StoreError> {
    transition(store, id, "statement.paid", by, |s| {
        let status = mark_statement_paid(s.status, role, &payment.reference)
            .map_err(|r| StoreError::refused(&r))?;
        let event = Event::StatementPaid {
            mentor_id: s.mentor_id,
            number: s.number.to_string(),
            total: s.total,
            payment_reference: payment.reference.trim().to_owned(),
        };
        Ok(Step::new(
            IssuedStatement {
                status,
                paid_at: Some(crate::now()),
                paid_on: Some(payment.paid_on),
                payment_reference: Some(payment.reference.trim().to_owned()),
                ..s.clone()
            },
            [event],
        ))
    })
    .await
}

async fn transition(
    store: &Store,
    id: Uuid,
    action: &'static str,
    by: Uuid,
    decide: impl FnOnce(&IssuedStatement) -> Result<Step<IssuedStatement>, StoreError>,
) -> Result<IssuedStatement, StoreError> {
    let mut tx = store.begin().await?;
    let statement = record::change(&mut tx, id, Change::by(action, by), decide).await?;
    tx.commit().await?;
    Ok(statement)
}

/// Which statements a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatementFilter {
    pub month: Option<StatementMonth>,
    pub status: Option<StatementStatus>,
    pub mentor_id: Option<Uuid>,
    /// Only statements issued at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only statements issued before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// How many statements of a status a list holds, and their total.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StatusTotal {
    pub status: StatementStatus,
    pub count: i64,
    pub total: Money,
}

macro_rules! statement_filters {
    ($tail:literal) => {
        concat!(
            "($1 = 0 OR t.month = $2) AND ($3 = 0 OR t.status = $4) \
             AND ($5 = 0 OR t.mentor_id = $6) AND ($7 = 0 OR t.issued_at >= $8) \
             AND ($9 = 0 OR t.issued_at < $10) ",
            $tail
        )
    };
}

fn filtered(sql: &'static str, filter: &StatementFilter) -> Query {
    let flag = |on: bool| i64::from(on);
    query(sql)
        .bind(flag(filter.month.is_some()))
        .bind(filter.month.map(|m| m.to_string()).unwrap_or_default())
        .bind(flag(filter.status.is_some()))
        .bind(
            filter
                .status
                .map(StatementStatus::as_str)
                .unwrap_or_default(),
        )
        .bind(flag(filter.mentor_id.is_some()))
        .bind(filter.mentor_id.unwrap_or(Uuid::nil()))
        .bind_range(filter.from, filter.to)
}

/// Statements in id order (issue order), filtered.
pub async fn list(
    store: &Store,
    filter: StatementFilter,
    page: PageRequest,
) -> Result<Page<IssuedStatement>, StoreError> {
    const SQL: &str = concat!(
        select_statements!("WHERE t.id > $11 AND "),
        statement_filters!("ORDER BY t.id LIMIT CAST($12 AS BIGINT)")
    );
    let q = filtered(SQL, &filter)
        .bind(page.after_or(Uuid::nil()))
        .bind(page.fetch_limit());
    let rows: Vec<StatementRow> = store.fetch_all(q).await?;
    let statements = rows
        .into_iter()
        .map(IssuedStatement::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(statements, &page, |s| s.id))
}

#[derive(sqlx::FromRow)]
struct TotalRow {
    status: String,
    count: i64,
    total_cents: i64,
}

/// The count and total of each status among the filtered statements (every page of them).
pub async fn totals(
    store: &Store,
    filter: StatementFilter,
) -> Result<Vec<StatusTotal>, StoreError> {
    const SQL: &str = concat!(
        "SELECT t.status, COUNT(*) AS count, CAST(SUM(t.total_cents) AS BIGINT) AS total_cents \
         FROM statements t WHERE ",
        statement_filters!("GROUP BY t.status ORDER BY t.status")
    );
    let rows: Vec<TotalRow> = store.fetch_all(filtered(SQL, &filter)).await?;
    rows.into_iter()
        .map(|r| {
            Ok(StatusTotal {
                status: enum_from(&r.status)?,
                count: r.count,
                total: money(r.total_cents)?,
            })
        })
        .collect()
}

/// Every issued statement of `month`, by number: the month's payout.
pub async fn of_month(
    store: &Store,
    month: StatementMonth,
) -> Result<Vec<IssuedStatement>, StoreError> {
    const SQL: &str = select_statements!("WHERE t.month = $1 ORDER BY t.number");
    let rows: Vec<StatementRow> = store.fetch_all(query(SQL).bind(month.to_string())).await?;
    rows.into_iter().map(IssuedStatement::try_from).collect()
}
