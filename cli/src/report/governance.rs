//! Reports of governance and the runtime: `council`, `referendum` and `runtime`.

use crate::{client, units::Amount};
use daya_protocol::hex::to_hex;
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// The name of an OpenGov track.
fn track_name(track: Option<u64>) -> &'static str {
	match track {
		Some(0) => "root",
		Some(1) => "model_registry",
		Some(2) => "treasurer",
		_ => "unknown",
	}
}

/// A conviction's name: `none` or `Nx`.
fn conviction_name(conviction: u8) -> String {
	if conviction == 0 {
		"none".into()
	} else {
		format!("{conviction}x")
	}
}

/// "aye" or "nay".
fn side(aye: bool) -> &'static str {
	if aye {
		"aye"
	} else {
		"nay"
	}
}

/// A council motion just proposed (`council propose`).
#[derive(Debug, Serialize)]
pub struct Motion {
	/// The motion's hash (`0x...`).
	pub hash: String,
	/// The motion's index.
	pub index: u32,
	/// The aye votes it passes with.
	pub threshold: u32,
}

impl Motion {
	/// The report of a motion just proposed.
	pub fn new(motion: &client::Motion) -> Self {
		Motion { hash: to_hex(&motion.hash), index: motion.index, threshold: motion.threshold }
	}
}

impl fmt::Display for Motion {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		let Motion { hash, index, threshold } = self;
		writeln!(f, "motion {index} proposed: {hash}")?;
		writeln!(f, "  it passes with {threshold} aye votes; members vote with")?;
		writeln!(f, "  daya council vote {hash} {index} --suri <member>")?;
		writeln!(
			f,
			"  and anyone closes it with: daya council close {hash} {index} --suri <account>"
		)
	}
}

/// A vote on a council motion (`council vote`).
#[derive(Debug, Serialize)]
pub struct Voted {
	/// The motion's index.
	pub index: u32,
	/// Whether the vote is for it.
	pub aye: bool,
}

impl fmt::Display for Voted {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(f, "voted {} on motion {}", side(self.aye), self.index)
	}
}

/// A council motion closed (`council close`).
#[derive(Debug, Serialize)]
pub struct Closed {
	/// The motion's index.
	pub index: u32,
	/// Whether it passed and was enacted.
	pub enacted: bool,
}

impl fmt::Display for Closed {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		if self.enacted {
			writeln!(f, "motion {} closed: passed and enacted", self.index)
		} else {
			writeln!(f, "motion {} closed: rejected", self.index)
		}
	}
}

/// A referendum just submitted, its decision deposit placed (`referendum propose`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferendumSubmitted {
	/// The referendum's index.
	pub index: u32,
	/// Its track's name.
	pub track: &'static str,
	/// The proposed call's encoded length.
	pub call_bytes: usize,
}

impl ReferendumSubmitted {
	/// The report of a referendum just submitted.
	pub fn new(submitted: &client::ReferendumSubmitted) -> Self {
		ReferendumSubmitted {
			index: submitted.index,
			track: track_name(Some(submitted.track.into())),
			call_bytes: submitted.call_len,
		}
	}
}

impl fmt::Display for ReferendumSubmitted {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		let index = self.index;
		writeln!(
			f,
			"referendum {index} submitted on the {} track, its decision deposit placed",
			self.track
		)?;
		writeln!(
			f,
			"  token holders vote with: daya referendum vote {index} --amount DAYA --conviction 1x --suri <account>"
		)?;
		writeln!(f, "  and follow it with: daya referendum show {index}")
	}
}

/// A vote on a referendum (`referendum vote`).
#[derive(Debug, Serialize)]
pub struct ReferendumVoted {
	/// The referendum's index.
	pub index: u32,
	/// Whether the vote is for it.
	pub aye: bool,
	/// The conviction's name: `none` or `1x` to `6x`.
	pub conviction: String,
	/// The amount voted with.
	pub amount: Amount,
}

impl ReferendumVoted {
	/// The report of a vote on referendum `index` with `balance` at `conviction` (0 to 6).
	pub fn new(index: u32, aye: bool, conviction: u8, balance: u128) -> Self {
		ReferendumVoted {
			index,
			aye,
			conviction: conviction_name(conviction),
			amount: Amount(balance),
		}
	}
}

impl fmt::Display for ReferendumVoted {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(
			f,
			"voted {} on referendum {} with {} at conviction {}",
			side(self.aye),
			self.index,
			self.amount,
			self.conviction
		)
	}
}

/// A referendum (`referendum show`; in JSON, each of `referendum list`'s too): its state as the
/// chain stores it (see [`client::referendum_json`]), with its index and its track's name.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Referendum {
	/// Its state: `status`, and for an ongoing one its track, tally and periods.
	#[serde(flatten)]
	pub info: Value,
	/// Its index.
	pub index: u32,
	/// Its track's name, where its state names a track.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub track_name: Option<&'static str>,
}

impl Referendum {
	/// The report of referendum `index`, whose state is `info`.
	pub fn new(index: u32, info: Value) -> Self {
		let track_name = info.get("track").map(|track| track_name(track.as_u64()));
		Referendum { info, index, track_name }
	}
}

impl fmt::Display for Referendum {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		let (index, info) = (self.index, &self.info);
		let status = info["status"].as_str().unwrap_or("unknown");
		if status != "ongoing" {
			return writeln!(f, "#{index}  {status} at block {}", info["endedAt"]);
		}
		let amount =
			|key: &str| Amount(info[key].as_str().and_then(|a| a.parse().ok()).unwrap_or_default());
		let phase = if !info["confirmingUntil"].is_null() {
			format!("confirming until block {}", info["confirmingUntil"])
		} else if !info["decidingSince"].is_null() {
			format!("deciding since block {}", info["decidingSince"])
		} else {
			"preparing".to_string()
		};
		writeln!(
			f,
			"#{index}  ongoing on {}: {phase}; ayes {}, nays {}, support {}",
			track_name(info["track"].as_u64()),
			amount("ayes"),
			amount("nays"),
			amount("support")
		)
	}
}

/// Ongoing referenda, and the last ended ones (`referendum list`): a line each in text, an
/// array in JSON.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Referenda(pub Vec<Referendum>);

impl fmt::Display for Referenda {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		if self.0.is_empty() {
			writeln!(f, "no referenda")?;
		}
		for referendum in &self.0 {
			fmt::Display::fmt(referendum, f)?;
		}
		Ok(())
	}
}

/// The runtime's version, and an authorized upgrade not applied yet (`runtime version`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeVersion {
	/// The runtime's name, as the node gives it.
	pub spec_name: Value,
	/// Its spec version.
	pub spec_version: Value,
	/// Its implementation version.
	pub impl_version: Value,
	/// Its transaction version.
	pub transaction_version: Value,
	/// The hash of the code a referendum authorized and nobody applied yet (`0x...`), if any.
	pub authorized_upgrade: Option<String>,
}

impl RuntimeVersion {
	/// The report of the runtime's version (`state_getRuntimeVersion`'s answer) and the
	/// authorized upgrade's code hash, if any.
	pub fn new(version: &Value, authorized: Option<[u8; 32]>) -> Self {
		RuntimeVersion {
			spec_name: version["specName"].clone(),
			spec_version: version["specVersion"].clone(),
			impl_version: version["implVersion"].clone(),
			transaction_version: version["transactionVersion"].clone(),
			authorized_upgrade: authorized.map(|hash| to_hex(&hash)),
		}
	}
}

impl fmt::Display for RuntimeVersion {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(
			f,
			"{} spec version {}, impl version {}, transaction version {}",
			self.spec_name.as_str().unwrap_or("?"),
			self.spec_version,
			self.impl_version,
			self.transaction_version
		)?;
		match &self.authorized_upgrade {
			Some(hash) => writeln!(
				f,
				"  an upgrade to code {hash} is authorized: apply it with daya runtime upgrade --wasm FILE"
			),
			None => writeln!(f, "  no upgrade authorized"),
		}
	}
}

/// A runtime upgrade applied (`runtime upgrade`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeApplied {
	/// The block that applied it.
	pub block: u64,
	/// BLAKE2-256 of the code (`0x...`).
	pub code_hash: String,
	/// The code's length in bytes, as given.
	pub code_bytes: usize,
	/// Whether the new code runs from the next block (a parachain's waits for the relay
	/// chain's go-ahead).
	pub enacted: bool,
}

impl UpgradeApplied {
	/// The report of an upgrade applied.
	pub fn new(applied: &client::UpgradeApplied) -> Self {
		UpgradeApplied {
			block: applied.block,
			code_hash: to_hex(&applied.code_hash),
			code_bytes: applied.code_len,
			enacted: applied.enacted,
		}
	}
}

impl fmt::Display for UpgradeApplied {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(
			f,
			"code {} ({} bytes) applied in block #{}",
			self.code_hash, self.code_bytes, self.block
		)?;
		if self.enacted {
			writeln!(f, "  the new runtime runs from the next block")
		} else {
			writeln!(
				f,
				"  stored: the new runtime runs once the relay chain lets it go ahead (daya runtime \
				 version shows it)"
			)
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::report::testing::json_of;
	use serde_json::json;

	#[test]
	fn a_referendum_adds_its_index_and_track_name() {
		let ongoing = json!({
			"status": "ongoing",
			"track": 1,
			"submitted": 5,
			"decidingSince": 7,
			"confirmingUntil": null,
			"ayes": "2000000000000",
			"nays": "0",
			"support": "2000000000000",
			"decisionDeposit": true,
		});
		let referendum = Referendum::new(4, ongoing.clone());
		let mut expected = ongoing;
		expected["index"] = json!(4);
		expected["trackName"] = json!("model_registry");
		assert_eq!(json_of(&referendum), expected);
		assert_eq!(
			referendum.to_string(),
			"#4  ongoing on model_registry: deciding since block 7; ayes 2 DAYA, nays 0 DAYA, \
			 support 2 DAYA\n"
		);
		let ended = Referendum::new(3, json!({ "status": "approved", "endedAt": 9 }));
		assert_eq!(json_of(&ended), json!({ "status": "approved", "endedAt": 9, "index": 3 }));
		assert_eq!(ended.to_string(), "#3  approved at block 9\n");
		assert_eq!(Referenda(Vec::new()).to_string(), "no referenda\n");
		assert_eq!(json_of(&Referenda(Vec::new())), json!([]));
	}

	#[test]
	fn the_runtime_version_keeps_the_nodes_values() {
		let version = json!({ "specName": "daya", "specVersion": 3, "implVersion": 0,
			"transactionVersion": 1, "apis": [] });
		let report = RuntimeVersion::new(&version, None);
		assert_eq!(
			json_of(&report),
			json!({ "specName": "daya", "specVersion": 3, "implVersion": 0,
				"transactionVersion": 1, "authorizedUpgrade": null })
		);
		assert_eq!(
			report.to_string(),
			"daya spec version 3, impl version 0, transaction version 1\n  no upgrade authorized\n"
		);
	}
}
