//! Reports of the emission: `rewards` and `emission schedule`.

use crate::{client, units::Amount};
use serde::Serialize;
use std::fmt;
use subxt::utils::AccountId32;

/// The emission rewards an account can claim now (`rewards pending`).
#[derive(Debug, Serialize)]
pub struct Pending {
	/// The account (SS58).
	pub account: String,
	/// What it can claim.
	pub pending: Amount,
}

impl Pending {
	/// The report of `who`'s pending rewards, `amount`.
	pub fn new(who: &AccountId32, amount: u128) -> Self {
		Pending { account: who.to_string(), pending: Amount(amount) }
	}
}

impl fmt::Display for Pending {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(f, "{}: {} to claim", self.account, self.pending)
	}
}

/// Rewards paid out (`rewards claim`).
#[derive(Debug, Serialize)]
pub struct Claimed {
	/// The account paid (SS58).
	pub account: String,
	/// What it was paid.
	pub claimed: Amount,
}

impl Claimed {
	/// The report of `amount` paid to `who`.
	pub fn new(who: &AccountId32, amount: u128) -> Self {
		Claimed { account: who.to_string(), claimed: Amount(amount) }
	}
}

impl fmt::Display for Claimed {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(f, "paid {} to {}", self.claimed, self.account)
	}
}

/// The emission's state and schedule (`emission schedule`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
	/// The epoch accruing now.
	pub current_epoch: u32,
	/// Blocks per epoch.
	pub epoch_length: u32,
	/// What was emitted so far.
	pub emitted: Amount,
	/// What remains to emit.
	pub remaining: Amount,
	/// The halving eras, from the first.
	pub eras: Vec<Era>,
}

/// One halving era of the emission schedule.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Era {
	/// Its first epoch.
	pub first_epoch: u32,
	/// What each of its epochs pays.
	pub reward_per_epoch: Amount,
}

impl Schedule {
	/// The report of the emission schedule.
	pub fn new(schedule: &client::Schedule) -> Self {
		Schedule {
			current_epoch: schedule.epoch,
			epoch_length: schedule.epoch_length,
			emitted: Amount(schedule.emitted),
			remaining: Amount(schedule.remaining),
			eras: schedule
				.eras
				.iter()
				.map(|era| Era {
					first_epoch: era.first_epoch,
					reward_per_epoch: Amount(era.reward),
				})
				.collect(),
		}
	}
}

impl fmt::Display for Schedule {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(
			f,
			"epoch {} ({} blocks each); emitted {}, {} remain",
			self.current_epoch, self.epoch_length, self.emitted, self.remaining
		)?;
		writeln!(f, "{:>12}  {:>24}", "FROM EPOCH", "REWARD PER EPOCH")?;
		for era in &self.eras {
			writeln!(f, "{:>12}  {:>24}", era.first_epoch, era.reward_per_epoch.to_string())?;
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{report::testing::json_of, units::UNIT};
	use serde_json::json;

	#[test]
	fn pending_rewards_in_json_and_text() {
		let who = AccountId32([7; 32]);
		let pending = Pending::new(&who, 2_500 * UNIT / 1_000);
		assert_eq!(
			json_of(&pending),
			json!({ "account": who.to_string(), "pending": "2500000000000" })
		);
		assert_eq!(pending.to_string(), format!("{who}: 2.5 DAYA to claim\n"));
		let nothing = Pending::new(&who, 0);
		assert_eq!(json_of(&nothing)["pending"], "0");
		assert_eq!(nothing.to_string(), format!("{who}: 0 DAYA to claim\n"));
	}

	#[test]
	fn the_schedule_in_json_and_text() {
		let schedule = Schedule::new(&client::Schedule {
			epoch: 3,
			epoch_length: 200,
			emitted: 9_000 * UNIT,
			remaining: UNIT,
			eras: vec![
				client::Era { first_epoch: 0, reward: 3_000 * UNIT },
				client::Era { first_epoch: 35_040, reward: 1_500 * UNIT },
			],
		});
		assert_eq!(
			json_of(&schedule),
			json!({
				"currentEpoch": 3,
				"epochLength": 200,
				"emitted": (9_000 * UNIT).to_string(),
				"remaining": UNIT.to_string(),
				"eras": [
					{ "firstEpoch": 0, "rewardPerEpoch": (3_000 * UNIT).to_string() },
					{ "firstEpoch": 35_040, "rewardPerEpoch": (1_500 * UNIT).to_string() },
				],
			})
		);
		assert_eq!(
			schedule.to_string(),
			"epoch 3 (200 blocks each); emitted 9000 DAYA, 1 DAYA remain\n  FROM EPOCH          \
			 REWARD PER EPOCH\n           0                 3000 DAYA\n       35040                 \
			 1500 DAYA\n"
		);
	}
}
