//! Euro amounts (RULES.md, "Money": "Amounts are euros, exact ... Never floats").

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An amount of euros, exact to the cent and never negative (RULES.md, "Money").
///
/// Every amount of the program (rates, pay, bonuses, totals) is owed to a mentor, so none is
/// negative. Invariant: scale 2 and `0 <= cents <= i64::MAX`, so it always fits the database's
/// `BIGINT` cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

/// Why a text, a number of cents or a decimal is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not an amount like \"37.50\"")]
    Malformed(String),
    #[error("an amount is never negative")]
    Negative,
    #[error("an amount is exact to the cent; `{0}` has more than two decimals")]
    SubCent(String),
    #[error("the amount is too large")]
    TooLarge,
}

crate::refusal_codes!(MoneyError {
    Malformed => "malformed_amount", InvalidField("amount");
    Negative => "negative_amount", InvalidField("amount");
    SubCent => "sub_cent_amount", InvalidField("amount");
    TooLarge => "amount_too_large", InvalidField("amount");
});

impl Money {
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));

    /// A whole number of euros known at compile time (for the program's fixed amounts).
    pub(crate) const fn euros(euros: u32) -> Money {
        Money(Decimal::from_parts(euros * 100, 0, 0, false, 2))
    }

    /// An amount from integer cents, as stored in the database. Refuses negative cents.
    pub fn from_cents(cents: i64) -> Result<Money, MoneyError> {
        if cents < 0 {
            return Err(MoneyError::Negative);
        }
        Ok(Money(Decimal::new(cents, 2)))
    }

    /// The amount in integer cents, for the database.
    pub fn cents(self) -> i64 {
        // Every constructor keeps scale 2 and the mantissa within 0..=i64::MAX, so this is exact.
        self.0.mantissa() as i64
    }

    /// The exact decimal value, for arithmetic that is then rounded back with [`Money::round_to_cent`].
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// Parses the JSON form `"37.50"` (also `"37.5"` and `"37"`). Refuses signs, exponents,
    /// spaces and more than two decimals: money input is never rounded silently.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let malformed = || MoneyError::Malformed(text.to_owned());
        if let Some(rest) = text.strip_prefix('-') {
            return if is_digits(rest.split_once('.').map_or(rest, |(w, _)| w)) {
                Err(MoneyError::Negative)
            } else {
                Err(malformed())
            };
        }
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) if is_digits(fraction) => (whole, fraction),
            Some(_) => return Err(malformed()),
            None => (text, ""),
        };
        if !is_digits(whole) {
            return Err(malformed());
        }
        if fraction.len() > 2 {
            return Err(MoneyError::SubCent(text.to_owned()));
        }
        let value = Decimal::from_str_exact(text).map_err(|_| MoneyError::TooLarge)?;
        Money::from_decimal_exact(value)
    }

    /// An amount from a decimal that must already be exact to the cent (no rounding).
    pub fn from_decimal_exact(value: Decimal) -> Result<Money, MoneyError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(MoneyError::Negative);
        }
        if value.normalize().scale() > 2 {
            return Err(MoneyError::SubCent(value.to_string()));
        }
        if value > Decimal::new(i64::MAX, 2) {
            return Err(MoneyError::TooLarge);
        }
        let mut exact = value.abs();
        exact.rescale(2);
        Ok(Money(exact))
    }

    /// Rounds a computed decimal half away from zero to the cent (RULES.md, "Pay for a session ...
    /// rounded half away from zero to the cent").
    pub fn round_to_cent(value: Decimal) -> Result<Money, MoneyError> {
        Money::from_decimal_exact(
            value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
        )
    }

    /// The sum of two amounts, or `TooLarge` past the range of the database's cents.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.cents()
            .checked_add(other.cents())
            .ok_or(MoneyError::TooLarge)
            .and_then(Money::from_cents)
    }

    /// The sum of many amounts (a statement's total is the sum of its lines).
    pub fn total<I: IntoIterator<Item = Money>>(amounts: I) -> Result<Money, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Money::ZERO, Money::checked_add)
    }
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

impl fmt::Display for Money {
    /// Always two decimals: `37.50`, `0.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Money::parse(text)
    }
}

/// JSON carries amounts as decimal strings (`"37.50"`), never numbers.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Money::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    #[test]
    fn parses_and_prints_with_two_decimals() {
        assert_eq!(m("37.50").to_string(), "37.50");
        assert_eq!(m("37.5").to_string(), "37.50");
        assert_eq!(m("37").to_string(), "37.00");
        assert_eq!(m("0").to_string(), "0.00");
        assert_eq!(m("37.50").cents(), 3750);
        assert_eq!(Money::euros(25), m("25.00"));
    }

    #[test]
    fn refuses_negative_sub_cent_and_malformed_input() {
        assert_eq!(Money::parse("-1.00"), Err(MoneyError::Negative));
        assert_eq!(Money::from_cents(-1), Err(MoneyError::Negative));
        assert!(matches!(Money::parse("1.005"), Err(MoneyError::SubCent(_))));
        assert!(matches!(Money::parse("1.000"), Err(MoneyError::SubCent(_))));
        for bad in [
            "", ".5", "5.", "+5", "1e3", " 5", "5 ", "1,50", "--1", "-", "abc", "1.5a",
        ] {
            assert!(
                matches!(Money::parse(bad), Err(MoneyError::Malformed(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            Money::parse("99999999999999999999"),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(Money::round_to_cent(Decimal::new(9375, 3)), Ok(m("9.38")));
        assert_eq!(Money::round_to_cent(Decimal::new(9374, 3)), Ok(m("9.37")));
        assert_eq!(Money::round_to_cent(Decimal::new(5, 3)), Ok(m("0.01")));
    }

    #[test]
    fn adds_exactly_and_refuses_overflow() {
        assert_eq!(m("0.10").checked_add(m("0.20")), Ok(m("0.30")));
        assert_eq!(
            Money::total([m("1.01"), m("2.02"), m("3.03")]),
            Ok(m("6.06"))
        );
        let max = Money::from_cents(i64::MAX).unwrap();
        assert_eq!(max.checked_add(m("0.01")), Err(MoneyError::TooLarge));
    }

    #[test]
    fn travels_as_a_json_string() {
        assert_eq!(serde_json::to_string(&m("37.5")).unwrap(), "\"37.50\"");
        assert_eq!(
            serde_json::from_str::<Money>("\"12.34\"").unwrap(),
            m("12.34")
        );
        assert!(serde_json::from_str::<Money>("12.34").is_err());
        assert!(serde_json::from_str::<Money>("\"-1\"").is_err());
    }
}
