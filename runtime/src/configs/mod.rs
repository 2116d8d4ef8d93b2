//! Pallet configuration: one module per pallet, so each Daya pallet slots in as its own file.
//!
//! Shared block limits live here; everything pallet-specific lives in its module.

mod aura;
mod authorship;
mod balances;
mod collator_selection;
mod compute;
mod council;
pub mod db_weights;
mod emission;
pub mod governance;
mod inference;
mod models;
pub(crate) mod offchain;
mod parachain_system;
mod poc;
mod randomness;
mod session;
mod sudo;
mod system;
mod timestamp;
mod transaction_payment;
mod treasury;

pub use council::CouncilCollective;
pub use inference::TreasuryAccount;
pub use models::GovernanceOrigin;
pub use offchain::{HostKey, HostWorker, RuntimeChain};
pub use poc::POC_PARAMS;
#[cfg(test)]
pub use randomness::BENCHMARK_RELAY_STATE;
pub use system::{RuntimeBlockLength, RuntimeBlockWeights};

use polkadot_sdk::*;

use frame_support::weights::{constants::WEIGHT_REF_TIME_PER_SECOND, Weight};
use sp_runtime::Perbill;

/// We assume that ~5% of the block weight is consumed by `on_initialize` handlers. This is used
/// to limit the maximal weight of a single extrinsic.
pub const AVERAGE_ON_INITIALIZE_RATIO: Perbill = Perbill::from_percent(5);

/// `Normal` extrinsics may fill up to 60% of the block; the rest is for `Operational` extrinsics
/// and the mandatory class: the inherents and the hooks, of which the job market's takes up to
/// 50% (`MaxHookWeight` in `configs/inference.rs`). The two caps overlap: the hooks run first,
/// and normal extrinsics are refused once the block is full, so each takes what the other
/// leaves. A job's life needs both: its extrinsics (a submission, a result, sometimes verdicts)
/// in the normal class and its draws (the executor's, the result's) in the hook; validated lives
/// are bound by the normal class, unvalidated ones by the hook and then the whole block
/// (`docs/economics.md`, "Jobs per block").
pub const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(60);

/// We allow for 2 seconds of compute with a 6 second average block time, and the relay chain's
/// maximum proof of validity size.
pub const MAXIMUM_BLOCK_WEIGHT: Weight = Weight::from_parts(
	WEIGHT_REF_TIME_PER_SECOND.saturating_mul(2),
	cumulus_primitives_core::relay_chain::MAX_POV_SIZE as u64,
);
