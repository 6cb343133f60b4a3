//! Pay: rate cards, a mentor's referral ledger, monthly statements and their exports.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use mentorship_domain::calendar::local_date;
use mentorship_domain::mentors::MentorStatus;
use mentorship_domain::money::Money;
use mentorship_domain::people::Role;
use mentorship_domain::rates::RateCard;
use mentorship_domain::statements::{
    ItemKind, Statement, StatementLine, StatementMonth, StatementStatus,
};
use mentorship_store::rates::{self, RateCardVersion};
use mentorship_store::referrals::{self, Referral};
use mentorship_store::statements::{
    self, IssuedStatement, MonthIssue, Payment, StatementFilter, StatementWithLines, StatusTotal,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::access::{require_staff, visible_mentor};
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::{Valid, ValidQuery};
use crate::paging::PageQuery;
use crate::routes::{created, ok_with_etag};
use crate::state::AppState;

// ---- Rate cards ----

/// A version of the rate card: the hourly rate of each path complexity (rows, 1 to 3) and
/// project difficulty (columns, 1 to 3), in euros.
#[derive(Debug, Serialize, ToSchema)]
pub struct RateCardView {
    pub id: Uuid,
    /// The first day (platform zone) it prices sessions.
    pub effective_on: NaiveDate,
    #[schema(schema_with = crate::openapi::rate_cells_schema)]
    pub cells: [[Money; 3]; 3],
    /// Whether it is the card in force today.
    pub in_force: bool,
    /// The admin who published it; `null` for the card the program started with.
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

fn card_view(version: RateCardVersion, in_force: Option<Uuid>) -> RateCardView {
    RateCardView {
        id: version.id,
        effective_on: version.effective_on,
        cells: version.card.cells(),
        in_force: in_force == Some(version.id),
        created_by: version.created_by,
        created_at: version.created_at,
    }
}

/// Every version of the rate card.
#[derive(Debug, Serialize, ToSchema)]
pub struct RateCardHistory {
    /// The latest effective first (future ones included).
    pub items: Vec<RateCardView>,
}

async fn today(state: &AppState) -> Result<NaiveDate, ApiError> {
    let zone = state.policies().await?.platform_zone;
    Ok(local_date(Utc::now(), zone))
}

/// The rate card's versions, the latest effective first, with the one in force today marked.
/// Everyone logged in.
#[utoipa::path(
    tag = "pay",
    security(("accessToken" = [])),
    responses((status = 200, description = "Every version", body = RateCardHistory))
)]
#[get("/rate-cards")]
pub async fn list_rate_cards(
    state: web::Data<AppState>,
    _principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let current = rates::in_force(&state.store, today(&state).await?).await?;
    let history = rates::history(&state.store).await?;
    let items = history
        .into_iter()
        .map(|v| card_view(v, Some(current.id)))
        .collect();
    Ok(HttpResponse::Ok().json(RateCardHistory { items }))
}

/// The rate card in force today. Everyone logged in.
#[utoipa::path(
    tag = "pay",
    security(("accessToken" = [])),
    responses((status = 200, description = "The card in force", body = RateCardView))
)]
#[get("/rate-cards/current")]
pub async fn current_rate_card(
    state: web::Data<AppState>,
    _principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let current = rates::in_force(&state.store, today(&state).await?).await?;
    let id = current.id;
    Ok(HttpResponse::Ok().json(card_view(current, Some(id))))
}

/// A new version of the rate card.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"effective_on": "2027-01-01", "cells": [
    ["26.00", "31.00", "36.00"], ["28.50", "33.50", "38.50"], ["31.00", "36.00", "40.00"]]}))]
pub struct PublishRateCard {
    /// Today or later (platform zone); one version a day.
    pub effective_on: NaiveDate,
    /// Rows by path complexity 1..3, columns by project difficulty 1..3; each 25.00 to 40.00.
    #[schema(schema_with = crate::openapi::rate_cells_schema)]
    pub cells: [[String; 3]; 3],
}

fn parse_cells(cells: &[[String; 3]; 3]) -> Result<RateCard, ApiError> {
    let mut parsed = [[Money::ZERO; 3]; 3];
    for (row, texts) in parsed.iter_mut().zip(cells) {
        for (cell, text) in row.iter_mut().zip(texts) {
            *cell = Money::parse(text).map_err(|_| {
                ApiError::field(
                    "cells",
                    "invalid_amount",
                    format!("`{text}` is not an amount like 32.50"),
                )
            })?;
        }
    }
    RateCard::new(parsed).map_err(|invalid| ApiError::refusals(&invalid.0))
}

/// Publishes a new version of the rate card, in force from its day: sessions starting from
/// then are priced with it; sessions whose outcome is recorded keep their frozen rate. Audited.
/// Admins.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["rate_out_of_bounds", "invalid_amount", "effective_date_in_past", "rate_card_date_taken"]))),
    tag = "pay",
    security(("accessToken" = [])),
    request_body = PublishRateCard,
    responses(
        (status = 201, description = "Published", body = RateCardView, headers(
            ("Location" = String, description = "The rate cards' URL"),
            ("ETag" = String, description = "Always \"1\": a version never changes"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/rate-cards")]
pub async fn publish_rate_card(
    state: web::Data<AppState>,
    principal: Principal,
    Valid(body): Valid<PublishRateCard>,
) -> Result<HttpResponse, ApiError> {
    if principal.role != Role::Admin {
        return Err(ApiError::Forbidden("admins publish rate cards".into()));
    }
    let card = parse_cells(&body.cells)?;
    let version = rates::publish(
        &state.store,
        body.effective_on,
        card,
        principal.user_id,
        Utc::now(),
        state.policies().await?.platform_zone,
    )
    .await?;
    let current = rates::in_force(&state.store, today(&state).await?).await?;
    Ok(created("/v1/rate-cards".into(), 1).json(card_view(version, Some(current.id))))
}

// ---- Referrals ----

/// One of a mentor's referrals.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralView {
    pub referred_id: Uuid,
    pub referred_name: String,
    #[schema(schema_with = crate::openapi::mentor_status_schema)]
    pub referred_status: MentorStatus,
    pub applied_at: DateTime<Utc>,
    /// When it qualified (the referred mentor's first completed session with notes, while
    /// active); `null` until then. Never undone.
    pub qualified_at: Option<DateTime<Utc>>,
    /// Its number among the referrer's qualified referrals, in the order they qualified.
    #[schema(minimum = 1)]
    pub nth: Option<u32>,
    /// 30.00 for the first three, 50.00 from the fourth on; `null` until it qualifies.
    #[schema(schema_with = crate::openapi::optional_money_schema)]
    pub bonus: Option<Money>,
}

impl From<Referral> for ReferralView {
    fn from(r: Referral) -> Self {
        ReferralView {
            referred_id: r.referred_id,
            referred_name: r.referred_name,
            referred_status: r.referred_status,
            applied_at: r.applied_at,
            qualified_at: r.qualified_at,
            nth: r.nth.map(|n| n.get()),
            bonus: r.bonus,
        }
    }
}

/// A mentor's referral ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralLedger {
    /// Qualified ones by number, then the others by application.
    pub items: Vec<ReferralView>,
    /// The sum of the bonuses earned.
    #[schema(schema_with = crate::openapi::money_schema)]
    pub total_bonus: Money,
}

/// The mentors who applied with this mentor's referral code, and the bonuses they earned. The
/// mentor themselves and staff; 404 for others.
#[utoipa::path(
    tag = "pay",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The referrer's id")),
    responses(
        (status = 200, description = "The ledger", body = ReferralLedger),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/mentors/{id}/referrals")]
pub async fn list_referrals(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    visible_mentor(&state, &principal, *id).await?;
    let referrals = referrals::of_referrer(&state.store, *id).await?;
    let total_bonus = Money::total(referrals.iter().filter_map(|r| r.bonus))
        .map_err(|_| ApiError::Internal("bonus total".into()))?;
    Ok(HttpResponse::Ok().json(ReferralLedger {
        items: referrals.into_iter().map(ReferralView::from).collect(),
        total_bonus,
    }))
}

// ---- Statements ----

/// One line of a statement: a session or a referral bonus.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementLineView {
    /// The session's id, or the referred mentor's id for a bonus.
    pub item_id: Uuid,
    #[schema(schema_with = crate::openapi::item_kind_schema)]
    pub kind: ItemKind,
    /// What puts it in a month: a session's start, a bonus's qualification.
    pub occurred_at: DateTime<Utc>,
    /// When it became payable (outcome and notes recorded, or qualified).
    pub recorded_at: DateTime<Utc>,
    #[schema(schema_with = crate::openapi::money_schema)]
    pub amount: Money,
    /// It belongs to an earlier month whose statement was issued without it.
    pub late: bool,
}

impl From<StatementLine> for StatementLineView {
    fn from(l: StatementLine) -> Self {
        StatementLineView {
            item_id: l.item.id,
            kind: l.item.kind,
            occurred_at: l.item.occurred_at,
            recorded_at: l.item.recorded_at,
            amount: l.item.amount,
            late: l.late,
        }
    }
}

/// An issued statement: frozen, numbered, then approved or disputed, and paid.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementView {
    pub id: Uuid,
    pub mentor_id: Uuid,
    pub mentor_name: String,
    /// The calendar month (platform zone), `YYYY-MM`.
    #[schema(pattern = r"^[1-9]\d{3}-(0[1-9]|1[0-2])$", example = "2026-11")]
    pub month: String,
    /// `YYYY-MM-NNNNNN`, without gaps in a month.
    #[schema(pattern = r"^\d{4}-\d{2}-\d{6}$", example = "2026-11-000001")]
    pub number: String,
    #[schema(schema_with = crate::openapi::statement_status_schema)]
    pub status: StatementStatus,
    /// The sum of the lines.
    #[schema(schema_with = crate::openapi::money_schema)]
    pub total: Money,
    pub issued_at: DateTime<Utc>,
    /// When the mentor approved or disputed it.
    pub decided_at: Option<DateTime<Utc>>,
    pub dispute_reason: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub paid_on: Option<NaiveDate>,
    pub payment_reference: Option<String>,
    /// The lines in the order of their items; empty in list answers.
    pub lines: Vec<StatementLineView>,
}

pub(crate) fn issued_view(s: IssuedStatement, lines: Vec<StatementLine>) -> StatementView {
    StatementView {
        id: s.id,
        mentor_id: s.mentor_id,
        mentor_name: s.mentor_name,
        month: s.month.to_string(),
        number: s.number.to_string(),
        status: s.status,
        total: s.total,
        issued_at: s.issued_at,
        decided_at: s.decided_at,
        dispute_reason: s.dispute_reason,
        paid_at: s.paid_at,
        paid_on: s.paid_on,
        payment_reference: s.payment_reference,
        lines: lines.into_iter().map(StatementLineView::from).collect(),
    }
}

/// A month's statement as it would be issued now, computed live: not a statement yet (no id,
/// no number), so a type of its own.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementDraftView {
    pub mentor_id: Uuid,
    /// The calendar month (platform zone), `YYYY-MM`.
    #[schema(pattern = r"^[1-9]\d{3}-(0[1-9]|1[0-2])$", example = "2026-11")]
    pub month: String,
    /// Always `draft`.
    #[schema(schema_with = crate::openapi::statement_status_schema)]
    pub status: StatementStatus,
    /// The sum of the lines.
    #[schema(schema_with = crate::openapi::money_schema)]
    pub total: Money,
    /// The lines in the order of their items.
    pub lines: Vec<StatementLineView>,
}

fn draft_view(s: Statement) -> StatementDraftView {
    StatementDraftView {
        mentor_id: s.mentor_id(),
        month: s.month().to_string(),
        status: StatementStatus::Draft,
        total: s.total(),
        lines: s
            .lines()
            .iter()
            .copied()
            .map(StatementLineView::from)
            .collect(),
    }
}

fn parse_month(text: &str) -> Result<StatementMonth, ApiError> {
    text.parse()
        .map_err(|_| ApiError::field("month", "invalid_month", "must be a month like 2026-11"))
}

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// A calendar month of the platform zone, `YYYY-MM`.
    #[param(pattern = r"^[1-9]\d{3}-(0[1-9]|1[0-2])$", example = "2026-11")]
    pub month: String,
}

/// The mentor's statement of a month as it would be issued now, computed live: the month's
/// payable items recorded so far and earlier ones no statement holds (late). The mentor and
/// staff; 404 for others.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["invalid_month", "statement_already_issued", "month_out_of_order"]))),
    tag = "pay",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The mentor's id"), MonthQuery),
    responses(
        (status = 200, description = "The draft", body = StatementDraftView),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[get("/mentors/{id}/statements/draft")]
pub async fn statement_draft(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    ValidQuery(query): ValidQuery<MonthQuery>,
) -> Result<HttpResponse, ApiError> {
    let month = parse_month(&query.month)?;
    visible_mentor(&state, &principal, *id).await?;
    let draft = statements::draft(&state.store, *id, month, Utc::now()).await?;
    Ok(HttpResponse::Ok().json(draft_view(draft)))
}

/// The month to issue.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"month": "2026-10"}))]
pub struct IssueMonth {
    /// A month that is over (platform zone), `YYYY-MM`.
    #[schema(pattern = r"^[1-9]\d{3}-(0[1-9]|1[0-2])$")]
    pub month: String,
}

/// Issues the mentor's statement of a month: frozen, numbered, and told to the mentor. Needs
/// the month to be over and the mentor's earlier months with items issued. Staff.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["invalid_month", "month_not_over", "statement_already_issued", "month_out_of_order", "earlier_month_not_issued", "nothing_to_issue", "statement_numbers_exhausted"]))),
    tag = "pay",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The mentor's id")),
    request_body = IssueMonth,
    responses(
        (status = 201, description = "Issued", body = StatementView, headers(
            ("Location" = String, description = "The statement's URL"),
            ("ETag" = String, description = "The statement's version"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/mentors/{id}/statements")]
pub async fn issue_statement(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<IssueMonth>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let month = parse_month(&body.month)?;
    let issued = statements::issue(&state.store, *id, month, principal.user_id, Utc::now()).await?;
    let location = format!("/v1/statements/{}", issued.statement.id);
    let version = issued.statement.version;
    Ok(created(location, version).json(issued_view(issued.statement, issued.lines)))
}

/// What issuing the month did for one mentor.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthIssueItem {
    pub mentor_id: Uuid,
    /// `issued` now, `already_issued` by an earlier call, or `refused` (see `problem`).
    #[schema(schema_with = crate::openapi::month_issue_outcome_schema)]
    pub outcome: &'static str,
    /// The statement (without its lines); `null` when refused.
    pub statement: Option<StatementView>,
    /// Why this mentor's statement was not issued; `null` otherwise.
    pub problem: Option<Problem>,
}

/// The outcome of issuing a month.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthIssueResult {
    pub month: String,
    /// One item per mentor with items up to the month, by mentor id.
    pub items: Vec<MonthIssueItem>,
}

/// Issues a month for every mentor with payable items up to it, each mentor on their own (one
/// refused does not stop the others). Safe to repeat: mentors issued before are reported as
/// `already_issued`. Staff.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["invalid_month", "month_not_over"])), ("x-idempotent" = json!(true))),
    tag = "pay",
    security(("accessToken" = [])),
    request_body = IssueMonth,
    responses(
        (status = 200, description = "What happened for each mentor", body = MonthIssueResult),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/statements/issue-month")]
pub async fn issue_month(
    state: web::Data<AppState>,
    principal: Principal,
    Valid(body): Valid<IssueMonth>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let month = parse_month(&body.month)?;
    let outcomes =
        statements::issue_month(&state.store, month, principal.user_id, Utc::now()).await?;
    let items = outcomes
        .into_iter()
        .map(|outcome| match outcome {
            MonthIssue::Issued(issued) => MonthIssueItem {
                mentor_id: issued.statement.mentor_id,
                outcome: "issued",
                statement: Some(issued_view(issued.statement, Vec::new())),
                problem: None,
            },
            MonthIssue::AlreadyIssued(statement) => MonthIssueItem {
                mentor_id: statement.mentor_id,
                outcome: "already_issued",
                statement: Some(issued_view(statement, Vec::new())),
                problem: None,
            },
            MonthIssue::Refused { mentor_id, error } => MonthIssueItem {
                mentor_id,
                outcome: "refused",
                statement: None,
                problem: Some(ApiError::from(error).problem()),
            },
        })
        .collect();
    Ok(HttpResponse::Ok().json(MonthIssueResult {
        month: month.to_string(),
        items,
    }))
}

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// Only this month's, `YYYY-MM`.
    #[param(pattern = r"^[1-9]\d{3}-(0[1-9]|1[0-2])$")]
    pub month: Option<String>,
    #[param(schema_with = crate::openapi::statement_status_schema)]
    pub status: Option<StatementStatus>,
    /// Only this mentor's (staff).
    pub mentor_id: Option<Uuid>,
    /// Only statements issued at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only statements issued before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// A page of statements, and the count and total of each status over all pages.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementList {
    pub items: Vec<StatementView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// Whether another page follows (then `next_cursor` is set).
    pub has_more: bool,
    pub totals: Vec<StatusTotalView>,
}

/// How many statements of a status the list holds, and their total.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusTotalView {
    #[schema(schema_with = crate::openapi::statement_status_schema)]
    pub status: StatementStatus,
    pub count: i64,
    #[schema(schema_with = crate::openapi::money_schema)]
    pub total: Money,
}

impl From<StatusTotal> for StatusTotalView {
    fn from(t: StatusTotal) -> Self {
        StatusTotalView {
            status: t.status,
            count: t.count,
            total: t.total,
        }
    }
}

/// Issued statements in issue order, filtered by month, status and mentor, with each status's
/// count and total: staff see every mentor's, a mentor their own. Lines are left out; read one
/// statement for them.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["invalid_month"]))),
    tag = "pay",
    security(("accessToken" = [])),
    params(StatementQuery, PageQuery),
    responses(
        (status = 200, description = "One page of statements", body = StatementList),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/statements")]
pub async fn list_statements(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(query): ValidQuery<StatementQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let mentor_id = match principal.role {
        Role::Admin | Role::Manager => query.mentor_id,
        Role::Mentor => Some(principal.user_id),
        Role::Student => {
            return Err(ApiError::Forbidden(
                "mentors and staff read statements".into(),
            ));
        }
    };
    let filter = StatementFilter {
        month: query.month.as_deref().map(parse_month).transpose()?,
        status: query.status,
        mentor_id,
        from: query.from,
        to: query.to,
    };
    let page = statements::list(&state.store, filter, page.request()?).await?;
    let totals = statements::totals(&state.store, filter).await?;
    let list = crate::paging::List::from_page(page, |s| issued_view(s, Vec::new()));
    Ok(HttpResponse::Ok().json(StatementList {
        items: list.items,
        next_cursor: list.next_cursor,
        has_more: list.has_more,
        totals: totals.into_iter().map(StatusTotalView::from).collect(),
    }))
}

/// RFC 4180 CSV: every field quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn csv_row(fields: &[String]) -> String {
    let mut row = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    row.push_str("\r\n");
    row
}

fn csv_response(name: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.csv\""),
        ))
        .body(body)
}

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"))
}

fn statement_csv(statement: &StatementWithLines) -> String {
    let s = &statement.statement;
    let mut out = csv_row(
        &[
            "number",
            "month",
            "mentor",
            "item_id",
            "kind",
            "occurred_at",
            "recorded_at",
            "late",
            "amount",
        ]
        .map(String::from),
    );
    for line in &statement.lines {
        out.push_str(&csv_row(&[
            s.number.to_string(),
            s.month.to_string(),
            s.mentor_name.clone(),
            line.item.id.to_string(),
            line.item.kind.as_str().to_owned(),
            line.item.occurred_at.to_rfc3339(),
            line.item.recorded_at.to_rfc3339(),
            line.late.to_string(),
            line.item.amount.to_string(),
        ]));
    }
    out
}

/// A statement the caller may read: staff any, a mentor their own; 404 otherwise.
async fn visible_statement(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<StatementWithLines, ApiError> {
    let statement = statements::get(&state.store, id).await?;
    if principal.role.is_staff() || statement.statement.mentor_id == principal.user_id {
        Ok(statement)
    } else {
        Err(ApiError::NotFound("statement"))
    }
}

/// One issued statement with its lines, as JSON, or as CSV with `Accept: text/csv` (one row per
/// line, amounts with a dot, UTF-8, RFC 4180). Staff, and the statement's mentor.
#[utoipa::path(
    tag = "pay",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The statement's id")),
    responses(
        (status = 200, description = "The statement", headers(("ETag" = String, description = "The statement's version")),
            content(
                (StatementView = "application/json"),
                (String = "text/csv", example = "number,month,mentor,item_id,kind,occurred_at,recorded_at,late,amount\r\n2026-10-000001,2026-10,Ada Lovelace,01964f7e-5a8b-7c3d-9e2f-1a2b3c4d5e6f,session,2026-10-06T16:00:00+00:00,2026-10-06T17:10:00+00:00,false,37.50\r\n"))),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/statements/{id}")]
pub async fn get_statement(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let statement = visible_statement(&state, &principal, *id).await?;
    if wants_csv(&req) {
        let name = format!("statement-{}", statement.statement.number);
        return Ok(csv_response(&name, statement_csv(&statement)));
    }
    let version = statement.statement.version;
    Ok(ok_with_etag(version).json(issued_view(statement.statement, statement.lines)))
}

/// The month's payout for accounting: every issued statement of the month, one row per mentor
/// with number, mentor, total, status and payment, as CSV (RFC 4180, UTF-8). Staff.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["invalid_month"]))),
    tag = "pay",
    security(("accessToken" = [])),
    params(MonthQuery),
    responses(
        (status = 200, description = "The payout file", content(
            (String = "text/csv", example = "number,mentor_id,mentor,total,status,paid_on,payment_reference\r\n2026-10-000001,01964f7e-5a8b-7c3d-9e2f-1a2b3c4d5e6f,Ada Lovelace,150.00,issued,,\r\n"))),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/statements/payout")]
pub async fn payout(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(query): ValidQuery<MonthQuery>,
) -> Result<HttpResponse, ApiError> {
    require_staff(&principal)?;
    let month = parse_month(&query.month)?;
    let statements = statements::of_month(&state.store, month).await?;
    let mut out = csv_row(
        &[
            "number",
            "mentor_id",
            "mentor",
            "total",
            "status",
            "paid_on",
            "payment_reference",
        ]
        .map(String::from),
    );
    for s in statements {
        out.push_str(&csv_row(&[
            s.number.to_string(),
            s.mentor_id.to_string(),
            s.mentor_name,
            s.total.to_string(),
            s.status.as_str().to_owned(),
            s.paid_on.map(|d| d.to_string()).unwrap_or_default(),
            s.payment_reference.unwrap_or_default(),
        ]));
    }
    Ok(csv_response(&format!("payout-{month}"), out))
}

async fn decided(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    change: impl AsyncFnOnce() -> Result<IssuedStatement, mentorship_store::StoreError>,
) -> Result<HttpResponse, ApiError> {
    visible_statement(state, principal, id).await?;
    let statement = change().await?;
    let version = statement.version;
    Ok(ok_with_etag(version).json(issued_view(statement, Vec::new())))
}

/// An empty body: the action needs nothing more.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({}))]
pub struct Approve {}

/// The mentor approves their issued statement. The statement's mentor (staff: 403).
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["transition_not_allowed", "only_the_mentor"]))),
    tag = "pay",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The statement's id")),
    request_body = Approve,
    responses(
        (status = 200, description = "Approved", body = StatementView),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/statements/{id}/approve")]
pub async fn approve_statement(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(_body): Valid<Approve>,
) -> Result<HttpResponse, ApiError> {
    let (store, role, by) = (&state.store, principal.role, principal.user_id);
    decided(&state, &principal, *id, async || {
        statements::approve(store, *id, role, by).await
    })
    .await
}

/// Why the mentor disputes the statement.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "The session of 6 October is missing."}))]
pub struct Dispute {
    #[schema(min_length = 1, max_length = 2000)]
    #[validate(length(min = 1, max = 2000, message = "must be 1 to 2000 characters"))]
    pub reason: String,
}

/// The mentor disputes their issued statement, with a reason (staff read it; the statement
/// itself never changes). The statement's mentor (staff: 403).
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["transition_not_allowed", "only_the_mentor", "reason_required"]))),
    tag = "pay",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The statement's id")),
    request_body = Dispute,
    responses(
        (status = 200, description = "Disputed", body = StatementView),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/statements/{id}/dispute")]
pub async fn dispute_statement(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<Dispute>,
) -> Result<HttpResponse, ApiError> {
    let (store, role, by) = (&state.store, principal.role, principal.user_id);
    decided(&state, &principal, *id, async || {
        statements::dispute(store, *id, role, &body.reason, by).await
    })
    .await
}

/// The payment of a statement.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"payment_reference": "SEPA-2026-11-0042", "paid_on": "2026-11-05"}))]
pub struct Pay {
    /// The bank transfer's reference.
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub payment_reference: String,
    /// The day the payment was made.
    pub paid_on: NaiveDate,
}

/// Marks an approved or disputed statement paid; the mentor is told. Staff.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["transition_not_allowed", "only_staff", "payment_reference_required"]))),
    tag = "pay",
    security(("accessToken" = [])),
    params(("id" = Uuid, Path, description = "The statement's id")),
    request_body = Pay,
    responses(
        (status = 200, description = "Paid", body = StatementView),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/statements/{id}/pay")]
pub async fn pay_statement(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<Pay>,
) -> Result<HttpResponse, ApiError> {
    let (store, role, by) = (&state.store, principal.role, principal.user_id);
    let payment = Payment {
        reference: body.payment_reference,
        paid_on: body.paid_on,
    };
    decided(&state, &principal, *id, async || {
        statements::mark_paid(store, *id, role, &payment, by).await
    })
    .await
}
