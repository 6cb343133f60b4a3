//! The worked cases of the program's examples, computed independently of this crate (RULES.md:
//! "tests should read them"), copied into the repository as `tests/examples/` so that a clone
//! alone runs them.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use mentorship_domain::calendar::local_date;
use mentorship_domain::catalog::Level;
use mentorship_domain::mentors::another_path_eligible_from;
use mentorship_domain::money::Money;
use mentorship_domain::pay::session_pay;
use mentorship_domain::policy::OutcomeFactors;
use mentorship_domain::rates::RateCard;
use mentorship_domain::referrals::referral_bonus;
use mentorship_domain::sessions::{SessionLength, SessionStatus};
use mentorship_domain::weeks::{AllowedWeekdays, WeekKey, local_weekday, weekday_name};
use serde::Deserialize;
use std::num::NonZeroU32;

/// Reads and parses one example file; a missing file fails the test with its path.
fn cases<T: for<'de> Deserialize<'de>>(name: &str) -> Vec<T> {
    #[derive(Deserialize)]
    struct File<T> {
        cases: Vec<T>,
    }
    let path = format!("{}/tests/examples/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let file: File<T> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {path}: {e}"));
    assert!(!file.cases.is_empty(), "{path} has no cases");
    file.cases
}

#[derive(Deserialize)]
struct WeekCase {
    instant: DateTime<Utc>,
    zone: String,
    local: DateTime<chrono::FixedOffset>,
    iso_week: String,
    weekday: String,
}

#[test]
fn week_keys_across_zones_dst_and_year_ends() {
    let all = cases::<WeekCase>("week_keys.json");
    for case in &all {
        let zone: Tz = case.zone.parse().expect("a known zone");
        let context = format!("{} in {}", case.instant, case.zone);
        assert_eq!(
            WeekKey::of(case.instant, zone).to_string(),
            case.iso_week,
            "{context}"
        );
        assert_eq!(
            case.iso_week.parse::<WeekKey>().expect("a week key"),
            WeekKey::of(case.instant, zone)
        );
        assert_eq!(
            weekday_name(local_weekday(case.instant, zone)),
            case.weekday,
            "{context}"
        );
        assert_eq!(
            local_date(case.instant, zone),
            case.local.date_naive(),
            "{context}"
        );
        let only_that_day =
            AllowedWeekdays::new([local_weekday(case.instant, zone)]).expect("one day");
        assert!(only_that_day.allows_start(case.instant, zone), "{context}");
    }
    assert!(all.len() >= 100);
}

#[derive(Deserialize)]
struct PayCase {
    path_complexity: u8,
    project_difficulty: u8,
    minutes: u16,
    outcome: SessionStatus,
    hourly_rate: Money,
    amount: Money,
}

#[test]
fn session_pay_with_the_default_card_and_factors() {
    let card = RateCard::default_card();
    let factors = OutcomeFactors::default();
    for case in cases::<PayCase>("session_pay.json") {
        let complexity = Level::new(case.path_complexity).expect("a level");
        let difficulty = Level::new(case.project_difficulty).expect("a level");
        let length = SessionLength::from_minutes(case.minutes).expect("a session length");
        let rate = card.rate(complexity, difficulty);
        assert_eq!(
            rate, case.hourly_rate,
            "rate {complexity:?} x {difficulty:?}"
        );
        let pay = session_pay(rate, length, case.outcome, &factors);
        assert_eq!(
            pay,
            Some(case.amount),
            "{} {} min {:?}",
            case.hourly_rate,
            case.minutes,
            case.outcome
        );
    }
}

#[derive(Deserialize)]
struct ReferralCase {
    nth_qualifying_referral: u32,
    bonus: Money,
    cumulative: Money,
}

#[test]
fn referral_bonuses_and_their_running_total() {
    let mut total = Money::ZERO;
    for case in cases::<ReferralCase>("referral_bonus.json") {
        let nth = NonZeroU32::new(case.nth_qualifying_referral).expect("n >= 1");
        assert_eq!(referral_bonus(nth), case.bonus, "n = {nth}");
        total = total.checked_add(referral_bonus(nth)).expect("small");
        assert_eq!(total, case.cumulative, "n = {nth}");
    }
}

#[derive(Deserialize)]
struct AnotherPathCase {
    activated_on: NaiveDate,
    eligible_from: NaiveDate,
}

#[test]
fn another_path_three_calendar_months_later() {
    for case in cases::<AnotherPathCase>("another_path.json") {
        assert_eq!(
            another_path_eligible_from(case.activated_on),
            case.eligible_from,
            "activated on {}",
            case.activated_on
        );
    }
}
