//! The job market's logic, by topic: what the calls do (`calls`), the random draws (`draws`),
//! disputes (`disputes`), settlement (`settlement`), the hooks (`hooks`), the runtime API's
//! answers (`runtime_api`) and the invariants (`try_state`).

#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

mod calls;
mod disputes;
mod draws;
mod hooks;
mod runtime_api;
mod settlement;
mod try_state;
mod work;

pub(crate) use work::Pick;
pub use work::MAX_BUSY_PICKS;

use crate::*;
use alloc::vec::Vec;
use daya_primitives::{
	runtime_api::{JobView, WorkKind},
	BlockRandomness, BlockSeed, Duty, ExecutorKind, QuoteError, WorkRecorder, MAX_BOND_PICKS,
};
use polkadot_sdk::{
	frame_support::{
		defensive, ensure,
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, Mutate, MutateHold},
			tokens::{Fortitude, Precision, Preservation, Restriction},
			PostInherents,
		},
	},
	frame_system::pallet_prelude::BlockNumberFor,
	sp_core::H256,
	sp_io::{hashing::blake2_256, offchain_index},
	sp_runtime::{
		traits::{AccountIdConversion, CheckedDiv, CheckedMul, One, Saturating, Zero},
		PerThing, Perbill, Rounding, SaturatedConversion,
	},
};

/// How many consecutive blocks are tried for a deadline whose bucket is full.
pub const DEADLINE_PROBES: u32 = 4;

/// Domains that separate the random draws made for one job.
pub(crate) mod domain {
	pub const ASSIGN: &[u8] = b"daya/assign";
	pub const REASSIGN: &[u8] = b"daya/reassign";
	pub const SAMPLE: &[u8] = b"daya/sample";
	pub const VALIDATOR: &[u8] = b"daya/validator";
	pub const DISPUTE: &[u8] = b"daya/dispute";
	pub const SAMPLING: &[u8] = b"daya/sampling";
}

/// What a dispute's verdicts decided.
pub(crate) enum Decision {
	Fraud,
	Overturned,
	Undecided,
}
