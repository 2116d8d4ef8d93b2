//! # Daya runtime
//!
//! The state transition function of the Daya parachain: a decentralized AI inference network.
//! GPU hosts register hardware and bond stake, consumers buy inference with on-chain escrow,
//! validators re-score results, and hosts earn DAYA under a Bitcoin-style emission schedule.
//!
//! This crate builds twice: natively (for tests and tooling, feature `std`) and to WASM through
//! `substrate-wasm-builder`; the WASM blob is what the chain runs (see [`WASM_BINARY`]).
//!
//! Pallet indices are part of the chain's encoding and never change once a chain is live; the
//! ranges below leave room for what later releases add:
//!
//! | range | purpose |
//! | --- | --- |
//! | 0..=9 | system and parachain plumbing |
//! | 10..=14 | currency and fees |
//! | 15..=19 | privileged access (sudo, until governance replaces it) |
//! | 20..=29 | collators and block authoring |
//! | 30..=39 | XCM (reserved) |
//! | 40..=49 | governance: the model council (40); referenda and treasury reserved |
//! | 50..=59 | Daya: models (50), compute (51); inference and emission reserved |

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime!` does a lot of recursion and requires us to increase the limit.
#![recursion_limit = "256"]

// Make the WASM binary available.
#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;

pub mod apis;
pub mod configs;
pub mod genesis_config_presets;

extern crate alloc;

use alloc::vec::Vec;
use polkadot_sdk::{staging_parachain_info as parachain_info, *};
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use sp_consensus_aura::sr25519::AuthorityId as AuraId;
pub use sp_runtime::{Perbill, Permill};

/// Alias to 512-bit hash when used in the context of a transaction signature on the chain.
pub type Signature = MultiSignature;

/// Some way of identifying an account on the chain. We intentionally make it equivalent to the
/// public key of our transaction signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Balance of an account: DAYA in its smallest unit (see [`UNIT`]).
pub type Balance = u128;

/// Index of a transaction in the chain.
pub type Nonce = u32;

/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// An index to a block.
pub type BlockNumber = u32;

/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;

/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// A block signed with a justification.
pub type SignedBlock = generic::SignedBlock<Block>;

/// The transaction extensions applied to every signed transaction, in order.
///
/// `StorageWeightReclaim` wraps the rest so that proof-size weight a call did not use is
/// returned to the block.
pub type TxExtension = cumulus_pallet_weight_reclaim::StorageWeightReclaim<
	Runtime,
	(
		frame_system::AuthorizeCall<Runtime>,
		frame_system::CheckNonZeroSender<Runtime>,
		frame_system::CheckSpecVersion<Runtime>,
		frame_system::CheckTxVersion<Runtime>,
		frame_system::CheckGenesis<Runtime>,
		frame_system::CheckEra<Runtime>,
		frame_system::CheckNonce<Runtime>,
		frame_system::CheckWeight<Runtime>,
		pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
		frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	),
>;

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// Migrations to apply on runtime upgrade, each versioned: it runs only from the storage version
/// it migrates, so a chain already past it (or a new one) skips it.
pub type Migrations = (
	pallet_daya_compute::migrations::v1::MigrateToV1<Runtime>,
	pallet_daya_inference::migrations::v1::MigrateToV1<Runtime>,
);

/// Executive: handles dispatch to the various modules.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

/// Opaque types. These are used by the CLI to instantiate machinery that doesn't need to know
/// the specifics of the runtime. They can then be made to be agnostic over specific formats
/// of data like extrinsics, allowing for them to continue syncing the network through upgrades
/// to even the core data structures.
pub mod opaque {
	use super::*;
	pub use polkadot_sdk::sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;
	use polkadot_sdk::sp_runtime::{
		generic,
		traits::{BlakeTwo256, Hash as HashT},
	};

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as HashT>::Output;
}

impl_opaque_keys! {
	/// The keys a collator registers for its session: Aura block authoring.
	pub struct SessionKeys {
		pub aura: Aura,
	}
}

#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("daya"),
	impl_name: alloc::borrow::Cow::Borrowed("daya"),
	authoring_version: 1,
	spec_version: 4,
	impl_version: 0,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// The token: DAYA, with 12 decimals.
pub const TOKEN_SYMBOL: &str = "DAYA";
/// Decimals of [`TOKEN_SYMBOL`].
pub const TOKEN_DECIMALS: u8 = 12;
/// SS58 address prefix (the generic Substrate prefix until Daya registers its own).
pub const SS58_PREFIX: u16 = 42;

/// One DAYA in the smallest unit.
pub const UNIT: Balance = 1_000_000_000_000;
/// One thousandth of a DAYA.
pub const MILLI_UNIT: Balance = UNIT / 1_000;
/// One millionth of a DAYA.
pub const MICRO_UNIT: Balance = UNIT / 1_000_000;

/// The minimum balance an account must keep to exist.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// Para id of Daya on a local relay chain (and in the dev chain's state).
pub const DEFAULT_PARA_ID: u32 = 2000;

/// Block time: one parachain block every 6 seconds, one per relay chain block.
pub const MILLISECS_PER_BLOCK: u64 = 6000;

/// The slot duration Aura uses; equal to the block time (one block per slot).
pub const SLOT_DURATION: u64 = MILLISECS_PER_BLOCK;

// Time is measured by number of blocks.
/// Blocks per minute.
pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
/// Blocks per hour.
pub const HOURS: BlockNumber = MINUTES * 60;
/// Blocks per day.
pub const DAYS: BlockNumber = HOURS * 24;

/// Maximum number of blocks simultaneously accepted by the runtime, not yet included into the
/// relay chain.
pub const UNINCLUDED_SEGMENT_CAPACITY: u32 = 3;
/// How many parachain blocks are processed by the relay chain per parent. Limits the number of
/// blocks authored per slot.
pub const BLOCK_PROCESSING_VELOCITY: u32 = 1;
/// Relay chain slot duration, in milliseconds.
pub const RELAY_CHAIN_SLOT_DURATION_MILLIS: u32 = 6000;

/// Aura consensus hook that checks the unincluded segment and the authoring rate.
type ConsensusHook = cumulus_pallet_aura_ext::FixedVelocityConsensusHook<
	Runtime,
	RELAY_CHAIN_SLOT_DURATION_MILLIS,
	BLOCK_PROCESSING_VELOCITY,
	UNINCLUDED_SEGMENT_CAPACITY,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	// System and parachain plumbing.
	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type ParachainSystem = cumulus_pallet_parachain_system;
	#[runtime::pallet_index(2)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(3)]
	pub type ParachainInfo = parachain_info;
	#[runtime::pallet_index(4)]
	pub type WeightReclaim = cumulus_pallet_weight_reclaim;

	// Currency and fees.
	#[runtime::pallet_index(10)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(11)]
	pub type TransactionPayment = pallet_transaction_payment;

	// Privileged access.
	#[runtime::pallet_index(15)]
	pub type Sudo = pallet_sudo;

	// Collators and block authoring. The order matters: `Session` must follow
	// `CollatorSelection` (which provides its validator set) and precede `Aura`.
	#[runtime::pallet_index(20)]
	pub type Authorship = pallet_authorship;
	#[runtime::pallet_index(21)]
	pub type CollatorSelection = pallet_collator_selection;
	#[runtime::pallet_index(22)]
	pub type Session = pallet_session;
	#[runtime::pallet_index(23)]
	pub type Aura = pallet_aura;
	#[runtime::pallet_index(24)]
	pub type AuraExt = cumulus_pallet_aura_ext;

	// Governance.
	#[runtime::pallet_index(40)]
	pub type Council = pallet_collective<Instance1>;
	#[runtime::pallet_index(41)]
	pub type Treasury = pallet_treasury;
	#[runtime::pallet_index(42)]
	pub type Preimage = pallet_preimage;
	#[runtime::pallet_index(43)]
	pub type Scheduler = pallet_scheduler;
	#[runtime::pallet_index(44)]
	pub type ConvictionVoting = pallet_conviction_voting;
	#[runtime::pallet_index(45)]
	pub type Referenda = pallet_referenda;
	#[runtime::pallet_index(46)]
	pub type Origins = configs::governance::origins::pallet_custom_origins;

	// Daya. `Models` precedes `Compute`: hosts registered at genesis serve genesis models.
	#[runtime::pallet_index(50)]
	pub type Models = pallet_daya_models;
	#[runtime::pallet_index(51)]
	pub type Compute = pallet_daya_compute;
	#[runtime::pallet_index(52)]
	pub type Inference = pallet_daya_inference;
	#[runtime::pallet_index(53)]
	pub type Emission = pallet_daya_emission;
	#[runtime::pallet_index(54)]
	pub type Randomness = pallet_daya_randomness;
	#[runtime::pallet_index(55)]
	pub type Poc = pallet_daya_poc;
}

cumulus_pallet_parachain_system::register_validate_block! {
	Runtime = Runtime,
	BlockExecutor = cumulus_pallet_aura_ext::BlockExecutor::<Runtime, Executive>,
}

#[cfg(test)]
mod emission_tests;
#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod governance_tests;
#[cfg(test)]
mod job_market_tests;
#[cfg(test)]
mod migration_tests;
#[cfg(test)]
mod offchain_tests;
#[cfg(test)]
mod poc_tests;
#[cfg(test)]
mod randomness_tests;
#[cfg(test)]
mod scale_tests;
#[cfg(test)]
mod tests;
