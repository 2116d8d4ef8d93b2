//! `pallet_timestamp`: block time, set by the collator's inherent and checked by Aura.

use polkadot_sdk::*;

use frame_support::traits::ConstU64;

use crate::{Aura, Runtime};

impl pallet_timestamp::Config for Runtime {
	/// A timestamp: milliseconds since the unix epoch.
	type Moment = u64;
	type OnTimestampSet = Aura;
	// Aura with several blocks per slot requires this to be zero.
	type MinimumPeriod = ConstU64<0>;
	type WeightInfo = pallet_timestamp::weights::SubstrateWeight<Runtime>;
}
