//! Monthly statements (RULES.md, Money: "Monthly statement").

use crate::calendar::{local_date, start_of_day};
use crate::money::Money;
use crate::pay::session_pay;
use crate::people::Role;
use crate::policy::OutcomeFactors;
use crate::referrals::referral_bonus;
use crate::sessions::{SessionLength, SessionStatus, is_payable};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashSet;
use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use uuid::Uuid;

/// A calendar month in the platform zone (RULES.md: "Months are calendar months in the platform
/// time zone *(policy: Europe/Paris)*"). Written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatementMonth {
    year: i32,
    month: u32,
}

impl StatementMonth {
    /// A month, `None` unless `month` is 1..=12 and the year a four-digit one.
    pub fn new(year: i32, month: u32) -> Option<StatementMonth> {
        ((1000..=9999).contains(&year) && (1..=12).contains(&month))
            .then_some(StatementMonth { year, month })
    }

    /// The month an instant falls in, in the platform zone.
    pub fn of(instant: DateTime<Utc>, platform_zone: Tz) -> StatementMonth {
        let day = local_date(instant, platform_zone);
        StatementMonth {
            year: day.year(),
            month: day.month(),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    /// The first day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The month after this one.
    pub fn next(self) -> StatementMonth {
        let first = self.first_day() + Months::new(1);
        StatementMonth {
            year: first.year(),
            month: first.month(),
        }
    }

    /// The first instant of the month in the platform zone.
    pub fn starts_at(self, platform_zone: Tz) -> DateTime<Utc> {
        start_of_day(self.first_day(), platform_zone)
    }

    /// The instant the month ends (exclusive) in the platform zone.
    pub fn ends_at(self, platform_zone: Tz) -> DateTime<Utc> {
        self.next().starts_at(platform_zone)
    }
}

impl fmt::Display for StatementMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a month like 2026-03")]
pub struct InvalidStatementMonth(pub String);

impl FromStr for StatementMonth {
    type Err = InvalidStatementMonth;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidStatementMonth(text.to_owned());
        let (year, month) = text.split_once('-').ok_or_else(invalid)?;
        if year.len() != 4
            || month.len() != 2
            || !(year.bytes().chain(month.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(invalid());
        }
        let year = year.parse().map_err(|_| invalid())?;
        let month = month.parse().map_err(|_| invalid())?;
        StatementMonth::new(year, month).ok_or_else(invalid)
    }
}

impl Serialize for StatementMonth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StatementMonth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// What a statement line pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Session,
    ReferralBonus,
}

impl ItemKind {
    pub const ALL: [ItemKind; 2] = [ItemKind::Session, ItemKind::ReferralBonus];

    /// Its name in JSON, CSV and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Session => "session",
            ItemKind::ReferralBonus => "referral_bonus",
        }
    }
}

/// Something payable to a mentor: a session or a referral bonus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementItem {
    /// The session's id, or the referral's id.
    pub id: Uuid,
    pub kind: ItemKind,
    /// What decides the item's month: a session's start, a bonus's qualification.
    pub occurred_at: DateTime<Utc>,
    /// When it became payable; only statements issued after this take it.
    pub recorded_at: DateTime<Utc>,
    pub amount: Money,
}

/// A session as pay sees it: its outcome and notes, and the rate frozen with the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionForPay {
    pub id: Uuid,
    pub start: DateTime<Utc>,
    pub length: SessionLength,
    pub status: SessionStatus,
    pub frozen_rate: Option<Money>,
    /// When the outcome (or the cancellation) was recorded.
    pub outcome_recorded_at: Option<DateTime<Utc>>,
    pub notes_recorded_at: Option<DateTime<Utc>>,
}

/// RULES.md, Sessions and Money: the statement item of a session, once payable: its outcome (and,
/// when completed, its notes) recorded and its rate frozen. A session that pays nothing
/// (cancelled, late cancelled by the mentor) makes no line.
pub fn session_item(session: &SessionForPay, factors: &OutcomeFactors) -> Option<StatementItem> {
    if !is_payable(session.status, session.notes_recorded_at.is_some()) {
        return None;
    }
    let outcome_at = session.outcome_recorded_at?;
    let recorded_at = match session.status {
        SessionStatus::Completed => outcome_at.max(session.notes_recorded_at?),
        _ => outcome_at,
    };
    let amount = session_pay(
        session.frozen_rate?,
        session.length,
        session.status,
        factors,
    )?;
    (amount > Money::ZERO).then_some(StatementItem {
        id: session.id,
        kind: ItemKind::Session,
        occurred_at: session.start,
        recorded_at,
        amount,
    })
}

/// RULES.md, Money: the statement item of the referrer's `nth` qualifying referral; it belongs to
/// the month it qualified in.
pub fn referral_item(
    referral_id: Uuid,
    qualified_at: DateTime<Utc>,
    nth: NonZeroU32,
) -> StatementItem {
    StatementItem {
        id: referral_id,
        kind: ItemKind::ReferralBonus,
        occurred_at: qualified_at,
        recorded_at: qualified_at,
        amount: referral_bonus(nth),
    }
}

/// One line of a statement; `late` when the item belongs to an earlier month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    #[serde(flatten)]
    pub item: StatementItem,
    pub late: bool,
}

/// A mentor's statement of a month: its lines and their total. Built only by
/// [`build_statement`], so the total is always the sum of the lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    mentor_id: Uuid,
    month: StatementMonth,
    lines: Vec<StatementLine>,
    total: Money,
}

impl Statement {
    pub fn mentor_id(&self) -> Uuid {
        self.mentor_id
    }

    pub fn month(&self) -> StatementMonth {
        self.month
    }

    /// Lines in the order of their items' `occurred_at`, then id.
    pub fn lines(&self) -> &[StatementLine] {
        &self.lines
    }

    /// RULES.md: "The total is the sum of the lines".
    pub fn total(&self) -> Money {
        self.total
    }
}

/// RULES.md, Money, Monthly statement: the statement of `month` holds every unclaimed item of the
/// month, and every unclaimed item of an earlier month (marked late), recorded before `cutoff`:
/// the issue instant, or now for a draft (computed live). Items of later months wait for their own
/// statement.
///
/// `unclaimed` are the mentor's items not yet on an issued statement; an id given twice is refused,
/// so no item lands twice on one statement, and the store's unique constraint on the item keeps it
/// off two.
pub fn build_statement(
    mentor_id: Uuid,
    month: StatementMonth,
    unclaimed: &[StatementItem],
    cutoff: DateTime<Utc>,
    platform_zone: Tz,
) -> Result<Statement, StatementRefusal> {
    let mut seen = HashSet::new();
    if let Some(twice) = unclaimed.iter().find(|item| !seen.insert(item.id)) {
        return Err(StatementRefusal::ItemListedTwice { item_id: twice.id });
    }
    let mut lines: Vec<StatementLine> = unclaimed
        .iter()
        .filter(|item| item.recorded_at < cutoff)
        .filter_map(|item| {
            let item_month = StatementMonth::of(item.occurred_at, platform_zone);
            (item_month <= month).then_some(StatementLine {
                item: *item,
                late: item_month < month,
            })
        })
        .collect();
    lines.sort_by_key(|line| (line.item.occurred_at, line.item.id));
    let total = Money::total(lines.iter().map(|line| line.item.amount))
        .map_err(|_| StatementRefusal::TotalTooLarge)?;
    Ok(Statement {
        mentor_id,
        month,
        lines,
        total,
    })
}

/// RULES.md: "Lifecycle: `draft` -> `issued` -> `approved` or `disputed` -> `paid`".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementStatus {
    /// Computed live, not yet a document.
    Draft,
    /// Frozen and numbered; never changed again.
    Issued,
    Approved,
    Disputed,
    Paid,
}

impl StatementStatus {
    pub const ALL: [StatementStatus; 5] = [
        StatementStatus::Draft,
        StatementStatus::Issued,
        StatementStatus::Approved,
        StatementStatus::Disputed,
        StatementStatus::Paid,
    ];

    /// Its name in JSON, CSV and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            StatementStatus::Draft => "draft",
            StatementStatus::Issued => "issued",
            StatementStatus::Approved => "approved",
            StatementStatus::Disputed => "disputed",
            StatementStatus::Paid => "paid",
        }
    }
}

/// A refused statement step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementRefusal {
    #[error("a statement cannot go from {from:?} to {to:?}")]
    TransitionNotAllowed {
        from: StatementStatus,
        to: StatementStatus,
    },
    #[error("the month is not over: a statement is issued from {ends_at}")]
    MonthNotOver { ends_at: DateTime<Utc> },
    #[error("only the mentor approves or disputes their statement")]
    OnlyTheMentor,
    #[error("only managers mark a statement paid")]
    OnlyStaff,
    #[error("a dispute needs a reason")]
    ReasonRequired,
    #[error("a payment needs its reference")]
    PaymentReferenceRequired,
    #[error("item {item_id} is listed twice")]
    ItemListedTwice { item_id: Uuid },
    #[error("the total is too large")]
    TotalTooLarge,
    #[error("no statement number is left in {month}")]
    NumbersExhausted { month: StatementMonth },
    #[error("the statement of {month} is already issued")]
    AlreadyIssued { month: StatementMonth },
    #[error("the statement of {last_issued} is issued already: months are issued in order")]
    MonthOutOfOrder { last_issued: StatementMonth },
    #[error("the statement of {month}, which has items, must be issued first")]
    EarlierMonthNotIssued { month: StatementMonth },
    #[error("the mentor has nothing to pay for {month}")]
    NothingToIssue { month: StatementMonth },
}

crate::refusal_codes!(StatementRefusal {
    TransitionNotAllowed => "transition_not_allowed", Conflict;
    MonthNotOver => "month_not_over", Conflict;
    OnlyTheMentor => "only_the_mentor", Forbidden;
    OnlyStaff => "only_staff", Forbidden;
    ReasonRequired => "reason_required", InvalidField("reason");
    PaymentReferenceRequired => "payment_reference_required", InvalidField("payment_reference");
    ItemListedTwice => "item_listed_twice", Conflict;
    TotalTooLarge => "amount_too_large", InvalidField("amount");
    NumbersExhausted => "statement_numbers_exhausted", Conflict;
    AlreadyIssued => "statement_already_issued", Conflict;
    MonthOutOfOrder => "month_out_of_order", Conflict;
    EarlierMonthNotIssued => "earlier_month_not_issued", Conflict;
    NothingToIssue => "nothing_to_issue", Conflict;
});

fn step(
    from: StatementStatus,
    allowed: &[StatementStatus],
    to: StatementStatus,
) -> Result<StatementStatus, StatementRefusal> {
    if allowed.contains(&from) {
        Ok(to)
    } else {
        Err(StatementRefusal::TransitionNotAllowed { from, to })
    }
}

/// RULES.md: `draft -> issued`, once the month is over in the platform zone (a statement covers a
/// whole month; earlier, the rest of the month would all arrive late).
pub fn issue_statement(
    status: StatementStatus,
    month: StatementMonth,
    now: DateTime<Utc>,
    platform_zone: Tz,
) -> Result<StatementStatus, StatementRefusal> {
    let next = step(status, &[StatementStatus::Draft], StatementStatus::Issued)?;
    let ends_at = month.ends_at(platform_zone);
    if now < ends_at {
        return Err(StatementRefusal::MonthNotOver { ends_at });
    }
    Ok(next)
}

/// RULES.md: `issued -> approved`, by the mentor (or an admin).
/// Whether `month` can still have a statement of the mentor's: not once it is issued, nor once
/// a later month is (months in order). Its draft is shown, and it is issued, only then.
pub fn check_month_open(
    month: StatementMonth,
    last_issued: Option<StatementMonth>,
) -> Result<(), StatementRefusal> {
    match last_issued {
        Some(last) if last == month => Err(StatementRefusal::AlreadyIssued { month }),
        Some(last) if last > month => Err(StatementRefusal::MonthOutOfOrder { last_issued: last }),
        _ => Ok(()),
    }
}

/// RULES.md, Monthly statement: a mentor's statements are issued in month order. `month` can be
/// issued once it is over, if it is later than the mentor's last issued month, and if no earlier
/// month after that one holds items of its own (it must be issued first; items of months up to
/// the last issued one are late and go on this statement). Returns the statement to issue, which
/// must have at least one line.
pub fn issue_in_order(
    mentor_id: Uuid,
    month: StatementMonth,
    last_issued: Option<StatementMonth>,
    unclaimed: &[StatementItem],
    now: DateTime<Utc>,
    platform_zone: Tz,
) -> Result<Statement, StatementRefusal> {
    check_month_open(month, last_issued)?;
    issue_statement(StatementStatus::Draft, month, now, platform_zone)?;
    let earlier_unissued = unclaimed
        .iter()
        .filter(|item| item.recorded_at < now)
        .map(|item| StatementMonth::of(item.occurred_at, platform_zone))
        .filter(|&of| of < month && last_issued.is_none_or(|last| of > last))
        .min();
    if let Some(earlier) = earlier_unissued {
        return Err(StatementRefusal::EarlierMonthNotIssued { month: earlier });
    }
    let statement = build_statement(mentor_id, month, unclaimed, now, platform_zone)?;
    if statement.lines().is_empty() {
        return Err(StatementRefusal::NothingToIssue { month });
    }
    Ok(statement)
}

pub fn approve_statement(
    status: StatementStatus,
    by: Role,
) -> Result<StatementStatus, StatementRefusal> {
    let next = step(
        status,
        &[StatementStatus::Issued],
        StatementStatus::Approved,
    )?;
    mentor_only(by)?;
    Ok(next)
}

/// RULES.md: `issued -> disputed` "(by the mentor, reason required)".
pub fn dispute_statement(
    status: StatementStatus,
    by: Role,
    reason: &str,
) -> Result<StatementStatus, StatementRefusal> {
    let next = step(
        status,
        &[StatementStatus::Issued],
        StatementStatus::Disputed,
    )?;
    mentor_only(by)?;
    if reason.trim().is_empty() {
        return Err(StatementRefusal::ReasonRequired);
    }
    Ok(next)
}

/// RULES.md: `approved | disputed -> paid` "(payment reference)", by a manager (or an admin).
pub fn mark_statement_paid(
    status: StatementStatus,
    by: Role,
    payment_reference: &str,
) -> Result<StatementStatus, StatementRefusal> {
    let next = step(
        status,
        &[StatementStatus::Approved, StatementStatus::Disputed],
        StatementStatus::Paid,
    )?;
    if !by.is_staff() {
        return Err(StatementRefusal::OnlyStaff);
    }
    if payment_reference.trim().is_empty() {
        return Err(StatementRefusal::PaymentReferenceRequired);
    }
    Ok(next)
}

fn mentor_only(by: Role) -> Result<(), StatementRefusal> {
    match by {
        Role::Mentor | Role::Admin => Ok(()),
        Role::Manager | Role::Student => Err(StatementRefusal::OnlyTheMentor),
    }
}

/// A statement's number, `YYYY-MM-NNNNNN`: the statement's month and its place among the month's
/// issued statements, from 000001 without gaps (RULES.md: "numbered `YYYY-MM-NNNNNN` without gaps").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatementNumber {
    month: StatementMonth,
    sequence: u32,
}

impl StatementNumber {
    const MAX_SEQUENCE: u32 = 999_999;

    /// The number the next issued statement of `month` takes, after the month's last issued one
    /// (`None` for the first). The store takes `last` and inserts in the same transaction.
    pub fn next(
        month: StatementMonth,
        last_sequence: Option<u32>,
    ) -> Result<StatementNumber, StatementRefusal> {
        let sequence = last_sequence.map_or(1, |last| last.saturating_add(1));
        if sequence > Self::MAX_SEQUENCE {
            return Err(StatementRefusal::NumbersExhausted { month });
        }
        Ok(StatementNumber { month, sequence })
    }

    pub fn month(self) -> StatementMonth {
        self.month
    }

    pub fn sequence(self) -> u32 {
        self.sequence
    }
}

impl fmt::Display for StatementNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:06}", self.month, self.sequence)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a statement number like 2026-03-000001")]
pub struct InvalidStatementNumber(pub String);

impl FromStr for StatementNumber {
    type Err = InvalidStatementNumber;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidStatementNumber(text.to_owned());
        let (month, sequence) = text.rsplit_once('-').ok_or_else(invalid)?;
        let month: StatementMonth = month.parse().map_err(|_| invalid())?;
        if sequence.len() != 6 || !sequence.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let sequence: u32 = sequence.parse().map_err(|_| invalid())?;
        if sequence == 0 {
            return Err(invalid());
        }
        Ok(StatementNumber { month, sequence })
    }
}

impl Serialize for StatementNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StatementNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::Refusal;
    use chrono_tz::Europe::Paris;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn m(text: &str) -> Money {
        text.parse().unwrap()
    }

    fn month(text: &str) -> StatementMonth {
        text.parse().unwrap()
    }

    fn item(n: u128, occurred: &str, recorded: &str, amount: &str) -> StatementItem {
        StatementItem {
            id: Uuid::from_u128(n),
            kind: ItemKind::Session,
            occurred_at: at(occurred),
            recorded_at: at(recorded),
            amount: m(amount),
        }
    }

    #[test]
    fn names_are_those_of_json() {
        for status in StatementStatus::ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        for kind in ItemKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }

    #[test]
    fn months_are_issued_in_order() {
        let mentor = Uuid::from_u128(99);
        let now = at("2026-05-02T06:00:00Z");
        let feb = item(1, "2026-02-10T10:00:00Z", "2026-02-10T11:00:00Z", "10.00");
        let mar = item(2, "2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z", "20.00");
        let apr = item(3, "2026-04-10T10:00:00Z", "2026-04-10T11:00:00Z", "30.00");
        let issue = |m: &str, last: Option<&str>, items: &[StatementItem]| {
            issue_in_order(mentor, month(m), last.map(month), items, now, Paris)
        };
        // March has items and is not issued: April waits for it, and names it.
        assert_eq!(
            issue("2026-04", Some("2026-02"), &[mar, apr]).unwrap_err(),
            StatementRefusal::EarlierMonthNotIssued {
                month: month("2026-03")
            }
        );
        // A February item recorded after February was issued is late on April's: no wait.
        let april = issue("2026-04", Some("2026-03"), &[feb, apr]).unwrap();
        assert_eq!(april.total(), m("40.00"));
        assert!(april.lines()[0].late);
        // The first statement of all may take earlier items as late ones only if none is
        // unissued: with no statement yet, February must go first.
        assert_eq!(
            issue("2026-03", None, &[feb, mar]).unwrap_err().code(),
            "earlier_month_not_issued"
        );
        assert_eq!(
            issue("2026-03", Some("2026-03"), &[apr])
                .unwrap_err()
                .code(),
            "statement_already_issued"
        );
        assert_eq!(
            issue("2026-02", Some("2026-03"), &[feb])
                .unwrap_err()
                .code(),
            "month_out_of_order"
        );
        assert_eq!(
            issue("2026-05", Some("2026-04"), &[]).unwrap_err().code(),
            "month_not_over"
        );
        assert_eq!(
            issue("2026-04", Some("2026-03"), &[]).unwrap_err().code(),
            "nothing_to_issue"
        );
    }

    #[test]
    fn months_are_read_in_the_platform_zone() {
        // 23:30 UTC on 31 March is already April in Paris.
        assert_eq!(
            StatementMonth::of(at("2026-03-31T22:30:00Z"), Paris).to_string(),
            "2026-04"
        );
        assert_eq!(month("2026-12").next(), month("2027-01"));
        assert_eq!(month("2026-03").ends_at(Paris), at("2026-03-31T22:00:00Z"));
        assert!("2026-13".parse::<StatementMonth>().is_err());
        assert!("2026-3".parse::<StatementMonth>().is_err());
    }

    #[test]
    fn a_statement_takes_the_months_items_recorded_before_issue_and_earlier_late_ones() {
        let mentor = Uuid::from_u128(99);
        let items = [
            item(1, "2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z", "18.75"),
            item(2, "2026-02-20T10:00:00Z", "2026-03-02T09:00:00Z", "12.50"), // late
            item(3, "2026-03-31T21:00:00Z", "2026-04-02T09:00:00Z", "20.00"), // recorded after issue
            item(4, "2026-03-31T22:30:00Z", "2026-03-31T23:00:00Z", "25.00"), // April in Paris
        ];
        let statement = build_statement(
            mentor,
            month("2026-03"),
            &items,
            at("2026-04-01T06:00:00Z"),
            Paris,
        )
        .unwrap();
        let ids: Vec<_> = statement
            .lines()
            .iter()
            .map(|l| (l.item.id.as_u128(), l.late))
            .collect();
        assert_eq!(ids, [(2, true), (1, false)]);
        assert_eq!(statement.total(), m("31.25"));
        let twice = [items[0], items[0]];
        assert_eq!(
            build_statement(
                mentor,
                month("2026-03"),
                &twice,
                at("2026-04-01T06:00:00Z"),
                Paris
            )
            .unwrap_err()
            .code(),
            "item_listed_twice"
        );
    }

    #[test]
    fn session_items_need_outcome_notes_and_a_frozen_rate() {
        let factors = OutcomeFactors::default();
        let session = SessionForPay {
            id: Uuid::from_u128(1),
            start: at("2026-03-10T10:00:00Z"),
            length: SessionLength::Minutes45,
            status: SessionStatus::Completed,
            frozen_rate: Some(m("25.00")),
            outcome_recorded_at: Some(at("2026-03-10T11:00:00Z")),
            notes_recorded_at: None,
        };
        assert_eq!(session_item(&session, &factors), None);
        let noted = SessionForPay {
            notes_recorded_at: Some(at("2026-03-12T08:00:00Z")),
            ..session
        };
        let item = session_item(&noted, &factors).unwrap();
        assert_eq!(
            (item.amount, item.recorded_at),
            (m("18.75"), at("2026-03-12T08:00:00Z"))
        );
        let no_show = SessionForPay {
            status: SessionStatus::StudentNoShow,
            ..session
        };
        assert_eq!(
            session_item(&no_show, &factors).map(|i| i.amount),
            Some(m("9.38"))
        );
        let cancelled = SessionForPay {
            status: SessionStatus::Cancelled,
            ..session
        };
        assert_eq!(session_item(&cancelled, &factors), None);
        let bonus = referral_item(
            Uuid::from_u128(7),
            at("2026-03-05T00:00:00Z"),
            NonZeroU32::MIN,
        );
        assert_eq!(bonus.amount, m("30.00"));
    }

    #[test]
    fn the_lifecycle_allows_only_its_steps() {
        use StatementStatus::*;
        let march = month("2026-03");
        assert_eq!(
            issue_statement(Draft, march, at("2026-03-31T21:59:59Z"), Paris)
                .unwrap_err()
                .code(),
            "month_not_over"
        );
        assert_eq!(
            issue_statement(Draft, march, at("2026-03-31T22:00:00Z"), Paris),
            Ok(Issued)
        );
        assert!(issue_statement(Issued, march, at("2026-05-01T00:00:00Z"), Paris).is_err());
        assert_eq!(approve_statement(Issued, Role::Mentor), Ok(Approved));
        assert_eq!(
            approve_statement(Issued, Role::Manager),
            Err(StatementRefusal::OnlyTheMentor)
        );
        assert_eq!(
            dispute_statement(Issued, Role::Mentor, ""),
            Err(StatementRefusal::ReasonRequired)
        );
        assert_eq!(
            dispute_statement(Issued, Role::Mentor, "session 3 missing"),
            Ok(Disputed)
        );
        assert!(dispute_statement(Approved, Role::Mentor, "late").is_err());
        assert_eq!(
            mark_statement_paid(Approved, Role::Manager, "SEPA-123"),
            Ok(Paid)
        );
        assert_eq!(
            mark_statement_paid(Disputed, Role::Manager, "SEPA-124"),
            Ok(Paid)
        );
        assert_eq!(
            mark_statement_paid(Approved, Role::Manager, " "),
            Err(StatementRefusal::PaymentReferenceRequired)
        );
        assert_eq!(
            mark_statement_paid(Approved, Role::Mentor, "x"),
            Err(StatementRefusal::OnlyStaff)
        );
        assert!(mark_statement_paid(Issued, Role::Manager, "x").is_err());
        assert!(mark_statement_paid(Paid, Role::Manager, "x").is_err());
    }

    #[test]
    fn numbers_are_gapless_per_month() {
        let march = month("2026-03");
        let first = StatementNumber::next(march, None).unwrap();
        assert_eq!(first.to_string(), "2026-03-000001");
        let second = StatementNumber::next(march, Some(first.sequence())).unwrap();
        assert_eq!(second.to_string(), "2026-03-000002");
        assert_eq!("2026-03-000002".parse::<StatementNumber>(), Ok(second));
        assert!("2026-03-000000".parse::<StatementNumber>().is_err());
        assert!("2026-03-1".parse::<StatementNumber>().is_err());
        assert!(StatementNumber::next(march, Some(999_999)).is_err());
        assert_eq!(
            serde_json::to_string(&second).unwrap(),
            "\"2026-03-000002\""
        );
    }
}
