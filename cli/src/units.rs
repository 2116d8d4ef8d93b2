//! DAYA amounts (12 decimals): parsed from DAYA as users write them, printed as DAYA, carried
//! in JSON as units; and shares printed as percentages.

use crate::error::Failure;
use serde::{Serialize, Serializer};

/// Units per DAYA (12 decimals).
pub const UNIT: u128 = 1_000_000_000_000;

/// An amount of DAYA, in units: printed with its decimals (trailing zeros dropped) and the word
/// DAYA; in JSON, its units as a decimal string (a `u128` does not fit a JSON number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount(pub u128);

impl std::fmt::Display for Amount {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let (whole, fraction) = (self.0 / UNIT, self.0 % UNIT);
		if fraction == 0 {
			write!(f, "{whole} DAYA")
		} else {
			let digits = format!("{fraction:012}");
			write!(f, "{whole}.{} DAYA", digits.trim_end_matches('0'))
		}
	}
}

impl Serialize for Amount {
	fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
		serializer.collect_str(&self.0)
	}
}

/// Parses an amount of DAYA such as `12`, `0.5` or `0.000001` into units.
pub fn parse_amount(text: &str) -> Result<u128, Failure> {
	let invalid = || Failure(format!("invalid amount {text:?}: give DAYA, e.g. 0.000001"));
	let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
	if whole.is_empty() && fraction.is_empty() || fraction.len() > 12 {
		return Err(invalid());
	}
	let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
	if !digits(whole) || !digits(fraction) {
		return Err(invalid());
	}
	let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| invalid())? };
	let fraction: u128 = if fraction.is_empty() {
		0
	} else {
		format!("{fraction:0<12}").parse().map_err(|_| invalid())?
	};
	whole
		.checked_mul(UNIT)
		.and_then(|w| w.checked_add(fraction))
		.ok_or_else(invalid)
}

/// A share in parts per billion (a `Perbill`) as a percentage with one decimal, e.g. `50.0%`.
pub fn percent(parts: u32) -> String {
	format!("{}.{}%", parts / 10_000_000, (parts / 1_000_000) % 10)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_parse_and_print() {
		assert_eq!(parse_amount("1").ok(), Some(UNIT));
		assert_eq!(parse_amount("0.000001").ok(), Some(1_000_000));
		assert_eq!(parse_amount(".5").ok(), Some(UNIT / 2));
		assert_eq!(parse_amount("12.000000000001").ok(), Some(12 * UNIT + 1));
		for bad in ["", ".", "1.0000000000001", "-1", "1e3", "one", "1.2.3"] {
			assert!(parse_amount(bad).is_err(), "{bad}");
		}
		assert_eq!(Amount(UNIT).to_string(), "1 DAYA");
		assert_eq!(Amount(1_000_000).to_string(), "0.000001 DAYA");
		assert_eq!(Amount(1_500 * UNIT / 1_000).to_string(), "1.5 DAYA");
		assert_eq!(percent(500_000_000), "50.0%");
	}

	#[test]
	fn amounts_are_decimal_strings_of_units_in_json() {
		assert_eq!(
			serde_json::to_string(&Amount(u128::MAX)).unwrap(),
			format!("\"{}\"", u128::MAX)
		);
		assert_eq!(serde_json::to_value(Amount(UNIT)).unwrap(), serde_json::json!("1000000000000"));
		assert_eq!(serde_json::to_value(None::<Amount>).unwrap(), serde_json::Value::Null);
	}
}
