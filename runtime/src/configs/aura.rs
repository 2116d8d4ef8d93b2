//! `pallet_aura`: round-robin block authoring among the session's collators (sr25519 keys).

use polkadot_sdk::*;

use frame_support::traits::{ConstBool, ConstU32, ConstU64};

use crate::{AuraId, Runtime, SLOT_DURATION};

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<100_000>;
	type AllowMultipleBlocksPerSlot = ConstBool<true>;
	type SlotDuration = ConstU64<SLOT_DURATION>;
}
