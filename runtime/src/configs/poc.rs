//! `pallet_daya_poc`: proof of compute: windows, commitments, sampled verification by other
//! hosts, proven weights bounded by the bond.

use polkadot_sdk::*;

use daya_protocol::poc::PocParams;
use frame_support::parameter_types;
use sp_runtime::Perbill;

use crate::{Balance, Balances, BlockNumber, Compute, Emission, Randomness, Runtime, DAYS, UNIT};

/// The work every host's executor does in a window (see `docs/proof-of-compute.md`): tiles of
/// side 128 (exact in f32), 32-row nonces through 4 layers of a 64-tile pool (4 MiB), 64 samples
/// per commitment. Small, so that CPU hosts of the dev and local chains take part; a network of
/// GPUs raises `rows`, `depth` and `pool_tiles` with a runtime upgrade.
pub const POC_PARAMS: PocParams = PocParams::SMALL;

parameter_types! {
	/// A regular window opens every 30 blocks (3 minutes at 6 s): the first as soon as the
	/// chain has a seed (block 2), then 30 blocks after the last regular one opened, or as soon
	/// as the window running then (a confirmation window) is over.
	pub const WindowPeriod: BlockNumber = 30;
	/// Hosts compute for 3 blocks.
	pub const ComputeBlocks: BlockNumber = 3;
	/// Commitments are taken for 3 blocks more.
	pub const CommitBlocks: BlockNumber = 3;
	/// Verifiers have 10 blocks from the sampling: the window concludes 16 blocks after it opens.
	pub const VerifyBlocks: BlockNumber = 10;
	/// Two verifiers per commitment: one liar cannot convict.
	pub const Verifiers: u32 = 2;
	/// One micro-DAYA of bond per proven nonce: the minimum bond (100 DAYA) covers 10^8 nonces
	/// a window.
	pub const CollateralPerWeight: Balance = UNIT / 1_000_000;
	/// A convicted host loses a fifth of its bond.
	pub const FraudSlash: Perbill = Perbill::from_percent(20);
	/// And gets no work for a week.
	pub const FraudJail: BlockNumber = 7 * DAYS;
	/// Commitments concluded, and outcomes or records applied, per block: at most about 17 ms
	/// and 121 KiB of estimated proof (a conclusion page; a tenth of the block holds the other
	/// pallets' hooks beside it).
	pub const ConcludePerBlock: u32 = 32;
	/// Between two regular windows about 12 blocks are idle; each opens an unannounced
	/// confirmation window with probability 1/24, so about 40% of periods hold one.
	pub const ConfirmOdds: u32 = 24;
	/// A host keeps its weight through a confirmation window by proving again at least half of
	/// its reference count in the same compute time.
	pub const ConfirmShare: Perbill = Perbill::from_percent(50);
}

impl pallet_daya_poc::Config for Runtime {
	type Currency = Balances;
	type Hosts = Compute;
	type Randomness = Randomness;
	type WindowPeriod = WindowPeriod;
	type ComputeBlocks = ComputeBlocks;
	type CommitBlocks = CommitBlocks;
	type VerifyBlocks = VerifyBlocks;
	type Verifiers = Verifiers;
	type CollateralPerWeight = CollateralPerWeight;
	type FraudSlash = FraudSlash;
	type FraudJail = FraudJail;
	type ConcludePerBlock = ConcludePerBlock;
	type ConfirmOdds = ConfirmOdds;
	type ConfirmShare = ConfirmShare;
	type Service = Emission;
	type WeightInfo = pallet_daya_poc::weights::SubstrateWeight<Runtime>;
}
