//! Property tests of the invariants issue 3 names: money, rate cards, week keys, statements and
//! automatic assignment.

// Strategy helpers are test code too, though outside `#[test]` functions.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use chrono_tz::Europe::Paris;
use chrono_tz::{TZ_VARIANTS, Tz};
use mentorship_domain::calendar::local_date;
use mentorship_domain::capacity::{MentorCapacity, check_assignment, choose_mentor};
use mentorship_domain::mentors::MentorStatus;
use mentorship_domain::money::Money;
use mentorship_domain::rates::{MAX_HOURLY_RATE, MIN_HOURLY_RATE, RateCard};
use mentorship_domain::statements::{ItemKind, StatementItem, StatementMonth, build_statement};
use mentorship_domain::weeks::WeekKey;
use proptest::prelude::*;
use std::collections::HashSet;
use uuid::Uuid;

/// Instants from 1990 to 2100, to the second.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (631_152_000i64..4_102_444_800).prop_map(|secs| DateTime::from_timestamp(secs, 0).unwrap())
}

fn zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(TZ_VARIANTS.to_vec())
}

proptest! {
    #[test]
    fn money_round_trips_through_cents_and_text(cents in 0i64..=i64::MAX) {
        let money = Money::from_cents(cents).unwrap();
        prop_assert_eq!(money.cents(), cents);
        let text = money.to_string();
        prop_assert_eq!(Money::parse(&text), Ok(money));
        prop_assert_eq!(text.split_once('.').map(|(_, fraction)| fraction.len()), Some(2));
        let json = serde_json::to_string(&money).unwrap();
        prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), money);
    }

    #[test]
    fn every_cell_of_an_accepted_card_is_within_bounds(cents in prop::array::uniform9(2000i64..4500)) {
        let money = cents.map(|c| Money::from_cents(c).unwrap());
        let cells = [[money[0], money[1], money[2]], [money[3], money[4], money[5]], [money[6], money[7], money[8]]];
        let in_bounds = |m: &Money| (MIN_HOURLY_RATE..=MAX_HOURLY_RATE).contains(m);
        match RateCard::new(cells) {
            Ok(card) => prop_assert!(card.cells().iter().flatten().all(in_bounds)),
            Err(refused) => {
                let out = money.iter().filter(|m| !in_bounds(m)).count();
                prop_assert_eq!(refused.0.len(), out);
                prop_assert!(out > 0);
            }
        }
    }

    #[test]
    fn instants_in_the_same_local_iso_week_share_a_key(
        first in instant(),
        seconds_later in 0i64..8 * 24 * 3600,
        zone in zone(),
    ) {
        let second = first + TimeDelta::seconds(seconds_later);
        let monday = local_date(first, zone) - TimeDelta::days(i64::from(local_date(first, zone).weekday().num_days_from_monday()));
        let second_day = local_date(second, zone);
        let same_week = monday <= second_day && second_day < monday + TimeDelta::days(7);
        prop_assert_eq!(WeekKey::of(first, zone).monday(), monday);
        prop_assert_eq!(WeekKey::of(first, zone) == WeekKey::of(second, zone), same_week);
    }

    /// Holds for every zone from 1990 to 2100: no clock change there moves local time back across
    /// a Sunday/Monday midnight (checked once by scanning every transition).
    #[test]
    fn the_week_key_never_goes_backwards(first in instant(), seconds_later in 0i64..30 * 24 * 3600, zone in zone()) {
        let second = first + TimeDelta::seconds(seconds_later);
        prop_assert!(WeekKey::of(first, zone) <= WeekKey::of(second, zone), "{} then {} in {}", first, second, zone);
    }
}

/// An item of the first half of 2026: occurred some time after 1 January, recorded some time later.
fn items() -> impl Strategy<Value = Vec<StatementItem>> {
    let item = (
        0i64..180 * 86_400,
        0i64..60 * 86_400,
        1i64..10_000,
        any::<bool>(),
    );
    prop::collection::vec(item, 0..40).prop_map(|raw| {
        let base = DateTime::from_timestamp(1_767_225_600, 0).unwrap(); // 2026-01-01T00:00:00Z
        raw.into_iter()
            .enumerate()
            .map(|(n, (occurred, delay, cents, bonus))| {
                let occurred_at = base + TimeDelta::seconds(occurred);
                StatementItem {
                    id: Uuid::from_u128(n as u128 + 1),
                    kind: if bonus {
                        ItemKind::ReferralBonus
                    } else {
                        ItemKind::Session
                    },
                    occurred_at,
                    // A bonus is recorded when it qualifies.
                    recorded_at: if bonus {
                        occurred_at
                    } else {
                        occurred_at + TimeDelta::seconds(delay)
                    },
                    amount: Money::from_cents(cents).unwrap(),
                }
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn statements_add_up_and_never_share_an_item(
        items in items(),
        issue_delays in prop::collection::vec(0i64..10 * 86_400, 8),
    ) {
        let mentor = Uuid::from_u128(999);
        let mut claimed = HashSet::new();
        let mut month = StatementMonth::new(2026, 1).unwrap();
        let mut cutoff = month.ends_at(Paris);
        for delay in issue_delays {
            cutoff = month.ends_at(Paris) + TimeDelta::seconds(delay);
            let unclaimed: Vec<_> = items.iter().filter(|i| !claimed.contains(&i.id)).copied().collect();
            let statement = build_statement(mentor, month, &unclaimed, cutoff, Paris).unwrap();
            let sum = Money::total(statement.lines().iter().map(|l| l.item.amount)).unwrap();
            prop_assert_eq!(statement.total(), sum);
            for line in statement.lines() {
                prop_assert!(claimed.insert(line.item.id), "item {} on two statements", line.item.id);
                let item_month = StatementMonth::of(line.item.occurred_at, Paris);
                prop_assert!(item_month <= month && line.item.recorded_at < cutoff);
                prop_assert_eq!(line.late, item_month < month);
            }
            month = month.next();
        }
        // Every item due by the last issue is on exactly one statement.
        for item in &items {
            let due = StatementMonth::of(item.occurred_at, Paris) < month && item.recorded_at < cutoff;
            prop_assert_eq!(claimed.contains(&item.id), due, "item {}", item.id);
        }
    }
}

const PATH: Uuid = Uuid::from_u128(42);

fn mentors() -> impl Strategy<Value = Vec<MentorCapacity>> {
    let statuses = [
        MentorStatus::Active,
        MentorStatus::Active,
        MentorStatus::Suspended,
        MentorStatus::ContractReady,
    ];
    let mentor = (
        prop::sample::select(statuses.to_vec()),
        any::<bool>(),
        0u32..6,
        0u32..6,
        0i64..1000,
        any::<bool>(),
        any::<u128>(),
    );
    prop::collection::vec(mentor, 0..8).prop_map(|raw| {
        raw.into_iter()
            .map(
                |(status, on_path, requested, assigned, activated_day, absent, id)| {
                    MentorCapacity {
                        id: Uuid::from_u128(id),
                        status,
                        approved_paths: if on_path {
                            vec![PATH]
                        } else {
                            vec![Uuid::from_u128(7)]
                        },
                        requested,
                        assigned,
                        ever_assigned: assigned > 0 || absent,
                        activated_at: DateTime::from_timestamp(
                            1_700_000_000 + activated_day * 86_400,
                            0,
                        ),
                        zone: Paris,
                        absences: if absent {
                            let today = "2026-06-10".parse().unwrap();
                            vec![mentorship_domain::absences::Absence {
                                id: Uuid::nil(),
                                first_day: today,
                                last_day: today,
                            }]
                        } else {
                            Vec::new()
                        },
                    }
                },
            )
            .collect()
    })
}

proptest! {
    #[test]
    fn automatic_assignment_picks_only_eligible_mentors_within_capacity(
        mut mentors in mentors(),
        students in 0usize..40,
    ) {
        let now: DateTime<Utc> = "2026-06-10T12:00:00Z".parse().unwrap();
        let is_eligible = |m: &MentorCapacity| check_assignment(m, PATH, None).is_ok() && m.absences.is_empty();
        for _ in 0..students {
            let chosen = choose_mentor(&mentors, PATH, None, now);
            let reversed: Vec<_> = mentors.iter().rev().cloned().collect();
            prop_assert_eq!(chosen, choose_mentor(&reversed, PATH, None, now), "depends on the input order");
            match chosen {
                None => prop_assert!(!mentors.iter().any(is_eligible)),
                Some(id) => {
                    let mentor = mentors.iter_mut().find(|m| m.id == id).unwrap();
                    prop_assert!(is_eligible(mentor));
                    mentor.assigned += 1;
                    mentor.ever_assigned = true;
                    prop_assert!(mentor.assigned <= mentor.requested);
                }
            }
        }
    }
}
