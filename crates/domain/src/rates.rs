//! Hourly rate cards (RULES.md, Money: "Hourly rate from the rate card *(policy)*").

use crate::calendar::local_date;
use crate::catalog::{Complexity, Difficulty, Level};
use crate::money::Money;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The lowest hourly rate a card may hold (RULES.md: "Every cell must lie within EUR 25.00..=40.00").
pub const MIN_HOURLY_RATE: Money = Money::euros(25);
/// The highest hourly rate a card may hold.
pub const MAX_HOURLY_RATE: Money = Money::euros(40);

/// A 3 x 3 card of hourly rates, by path complexity (rows) and project difficulty (columns),
/// every cell within EUR 25.00..=40.00. JSON: `[["25.00","30.00","35.00"], ...]`, row 1 first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "[[Money; 3]; 3]", into = "[[Money; 3]; 3]")]
pub struct RateCard {
    cells: [[Money; 3]; 3],
}

/// One cell outside EUR 25.00..=40.00.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the hourly rate {rate} for complexity {complexity} and difficulty {difficulty} is outside 25.00..=40.00"
)]
pub struct RateOutOfBounds {
    pub complexity: u8,
    pub difficulty: u8,
    pub rate: Money,
}

crate::refusal_codes!(RateOutOfBounds => "rate_out_of_bounds", InvalidField("cells"));

/// A refused rate card, with every cell out of bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the rate card has {} cell(s) outside 25.00..=40.00", .0.len())]
pub struct InvalidRateCard(pub Vec<RateOutOfBounds>);

crate::refusal_codes!(InvalidRateCard => "invalid_rate_card", InvalidField("cells"));

impl RateCard {
    /// RULES.md, Money: a card is accepted only when every cell lies within EUR 25.00..=40.00.
    pub fn new(cells: [[Money; 3]; 3]) -> Result<RateCard, InvalidRateCard> {
        let out_of_bounds: Vec<_> = levels()
            .filter_map(|(complexity, difficulty)| {
                let rate = cells[index(complexity)][index(difficulty)];
                (!(MIN_HOURLY_RATE..=MAX_HOURLY_RATE).contains(&rate)).then_some(RateOutOfBounds {
                    complexity: complexity.get(),
                    difficulty: difficulty.get(),
                    rate,
                })
            })
            .collect();
        if out_of_bounds.is_empty() {
            Ok(RateCard { cells })
        } else {
            Err(InvalidRateCard(out_of_bounds))
        }
    }

    /// RULES.md, Money: the default card, `25 + 2.50 x (complexity - 1) + 5.00 x (difficulty - 1)`.
    pub fn default_card() -> RateCard {
        let cell =
            |c: i64, d: i64| Money::from_cents(2500 + 250 * c + 500 * d).unwrap_or(Money::ZERO);
        let row = |c: i64| [cell(c, 0), cell(c, 1), cell(c, 2)];
        RateCard {
            cells: [row(0), row(1), row(2)],
        }
    }

    /// The hourly rate for a path complexity and a project difficulty.
    pub fn rate(&self, complexity: Complexity, difficulty: Difficulty) -> Money {
        self.cells[index(complexity)][index(difficulty)]
    }

    /// The lowest and the highest hourly rate of the card, for people reading what they may earn.
    pub fn range(&self) -> (Money, Money) {
        let all = self.cells.iter().flatten().copied();
        let low = all.clone().min().unwrap_or(MIN_HOURLY_RATE);
        let high = all.max().unwrap_or(MAX_HOURLY_RATE);
        (low, high)
    }

    /// The cells, row per complexity 1..=3, column per difficulty 1..=3.
    pub fn cells(&self) -> [[Money; 3]; 3] {
        self.cells
    }
}

impl Default for RateCard {
    fn default() -> Self {
        RateCard::default_card()
    }
}

impl TryFrom<[[Money; 3]; 3]> for RateCard {
    type Error = InvalidRateCard;
    fn try_from(cells: [[Money; 3]; 3]) -> Result<Self, Self::Error> {
        RateCard::new(cells)
    }
}

impl From<RateCard> for [[Money; 3]; 3] {
    fn from(card: RateCard) -> Self {
        card.cells
    }
}

fn index(level: Level) -> usize {
    usize::from(level.get() - Level::MIN)
}

fn levels() -> impl Iterator<Item = (Level, Level)> {
    let all = || (Level::MIN..=Level::MAX).filter_map(|n| Level::new(n).ok());
    all().flat_map(move |c| all().map(move |d| (c, d)))
}

/// A refused publication of a rate card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateCardRefusal {
    #[error("a rate card takes effect today ({today}) or later, not on {effective_on}")]
    EffectiveInPast {
        effective_on: NaiveDate,
        today: NaiveDate,
    },
    #[error("a rate card already takes effect on {0}")]
    DateTaken(NaiveDate),
}

crate::refusal_codes!(RateCardRefusal {
    EffectiveInPast => "effective_date_in_past", InvalidField("effective_on");
    DateTaken => "rate_card_date_taken", Conflict;
});

/// RULES.md, Money: a new card takes effect on a day not in the past (platform zone), so that no
/// session already priced by the card in force changes price.
pub fn check_effective_on(
    effective_on: NaiveDate,
    now: DateTime<Utc>,
    platform_zone: Tz,
) -> Result<(), RateCardRefusal> {
    let today = local_date(now, platform_zone);
    if effective_on < today {
        return Err(RateCardRefusal::EffectiveInPast {
            effective_on,
            today,
        });
    }
    Ok(())
}

/// A version of the rate card and the date it takes effect on (in the platform zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateCardVersion {
    pub effective_on: NaiveDate,
    pub card: RateCard,
}

/// RULES.md, Money: "Cards are versioned with an effective date; a session is priced with the card
/// in force at its start". The card in force at an instant is the version with the latest
/// `effective_on` not after the instant's date in the platform zone; on a tie, the one given last
/// (callers list versions in creation order). Before any version, the default card.
pub fn card_in_force(
    versions: &[RateCardVersion],
    at: DateTime<Utc>,
    platform_zone: Tz,
) -> RateCard {
    let day = local_date(at, platform_zone);
    versions
        .iter()
        .filter(|version| version.effective_on <= day)
        .max_by_key(|version| version.effective_on)
        .map_or_else(RateCard::default_card, |version| version.card)
}

/// RULES.md, Money: the hourly rate of a session: the cell of the card in force at its start.
/// The store freezes it on the session when the outcome is recorded.
pub fn session_rate(
    versions: &[RateCardVersion],
    start: DateTime<Utc>,
    complexity: Complexity,
    difficulty: Difficulty,
    platform_zone: Tz,
) -> Money {
    card_in_force(versions, start, platform_zone).rate(complexity, difficulty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Money {
        text.parse().unwrap()
    }

    fn level(n: u8) -> Level {
        Level::new(n).unwrap()
    }

    #[test]
    fn the_default_card_follows_the_formula() {
        let card = RateCard::default_card();
        assert_eq!(card.rate(level(1), level(1)), m("25.00"));
        assert_eq!(card.rate(level(1), level(3)), m("35.00"));
        assert_eq!(card.rate(level(2), level(2)), m("32.50"));
        assert_eq!(card.rate(level(3), level(1)), m("30.00"));
        assert_eq!(card.rate(level(3), level(3)), m("40.00"));
        assert_eq!(RateCard::new(card.cells()), Ok(card));
    }

    #[test]
    fn every_cell_lies_within_bounds() {
        let mut cells = RateCard::default_card().cells();
        cells[0][0] = m("24.99");
        cells[2][2] = m("40.01");
        let refused = RateCard::new(cells).unwrap_err();
        assert_eq!(refused.0.len(), 2);
        assert_eq!((refused.0[0].complexity, refused.0[0].difficulty), (1, 1));
        assert_eq!((refused.0[1].complexity, refused.0[1].difficulty), (3, 3));
        cells[0][0] = m("25.00");
        cells[2][2] = m("40.00");
        assert!(RateCard::new(cells).is_ok());
    }

    #[test]
    fn travels_as_rows_of_strings_and_is_validated_on_the_way_in() {
        let json = serde_json::to_string(&RateCard::default_card()).unwrap();
        assert!(json.starts_with(r#"[["25.00","30.00","35.00"],["27.50""#));
        assert_eq!(
            serde_json::from_str::<RateCard>(&json).unwrap(),
            RateCard::default_card()
        );
        let bad = json.replacen("25.00", "20.00", 1);
        assert!(serde_json::from_str::<RateCard>(&bad).is_err());
    }

    #[test]
    fn a_card_takes_effect_today_or_later_in_the_platform_zone() {
        let paris = chrono_tz::Europe::Paris;
        // 23:30 UTC on 30 November is already 1 December in Paris.
        let now: DateTime<Utc> = "2026-11-30T23:30:00Z".parse().unwrap();
        let day = |text: &str| text.parse::<NaiveDate>().unwrap();
        assert!(check_effective_on(day("2026-12-01"), now, paris).is_ok());
        assert_eq!(
            check_effective_on(day("2026-11-30"), now, paris),
            Err(RateCardRefusal::EffectiveInPast {
                effective_on: day("2026-11-30"),
                today: day("2026-12-01"),
            })
        );
    }

    #[test]
    fn the_card_in_force_is_the_latest_effective_one() {
        let paris = chrono_tz::Europe::Paris;
        let mut cells = RateCard::default_card().cells();
        cells[0][0] = m("26.00");
        let march = RateCardVersion {
            effective_on: "2026-03-01".parse().unwrap(),
            card: RateCard::new(cells).unwrap(),
        };
        cells[0][0] = m("27.00");
        let april = RateCardVersion {
            effective_on: "2026-04-01".parse().unwrap(),
            card: RateCard::new(cells).unwrap(),
        };
        let versions = [april, march];
        let rate_at =
            |text: &str| session_rate(&versions, text.parse().unwrap(), level(1), level(1), paris);
        assert_eq!(rate_at("2026-02-28T12:00:00Z"), m("25.00"));
        // 22:30 UTC on 28 February is already 1 March in Paris.
        assert_eq!(rate_at("2026-02-28T23:30:00Z"), m("26.00"));
        assert_eq!(rate_at("2026-03-31T21:59:59Z"), m("26.00"));
        assert_eq!(rate_at("2026-03-31T22:00:00Z"), m("27.00"));
    }
}
