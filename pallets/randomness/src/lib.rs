//! # Randomness pallet
//!
//! One seed per block that no block author can choose, for the draws the other pallets make
//! (who executes a job, which results are validated and by whom, a dispute's validators).
//!
//! ## Pallet API
//!
//! No calls. [`Seed`] holds the current [`BlockSeed`]; [`Pallet`] implements
//! [`daya_primitives::BlockRandomness`] for the pallets that draw, and
//! `frame_support::traits::PostInherents`, through which the runtime refreshes the seed once per
//! block, right after the inherents (`frame_system::Config::PostInherents`, listed before the
//! pallets that draw). Runtimes answer `daya_primitives::runtime_api::RandomnessApi` from
//! [`Pallet::api_seed`].
//!
//! ## Overview
//!
//! A parachain block's author picks its relay parent and its transactions, and knows the relay
//! parent's randomness while it does. So randomness read in a block can never decide a draw
//! about that block's own contents: its author could reorder or drop transactions until the
//! draw suits it. The rule Daya's pallets follow (see [`daya_primitives::randomness`]): a draw is
//! queued with the relay block of the seed current when its subject happened, and decided by the
//! first seed of a later relay block.
//!
//! Each block, after its inherents, this pallet reads [`Config::Relay`]:
//!
//! - on a relay chain, the relay parent's number and its BABE per-block VRF output
//!   ([`SeedSource::RelayVrf`]), from the relay state proof the parachain inherent just verified;
//! - where the relay state carries no per-block randomness (the dev chain, whose mocked relay
//!   data has none), the parent block's hash ([`SeedSource::ParentHash`]): a single-author dev
//!   chain's draws are as fair as its author.
//!
//! and stores `BLAKE2-256("daya/seed", randomness, relay block)` with its block, relay block and
//! source in [`Seed`].
//!
//! ## What a collator can still bias
//!
//! - **The relay parent.** A collator builds on one of the few recent relay blocks the relay
//!   chain accepts (async backing allows a small window). Building on an older relay parent than
//!   it could, it may choose among a few VRF outputs it already knows for the draws its block
//!   decides (which were queued in earlier blocks), at the cost of a staler relay parent.
//! - **Withholding.** A collator that dislikes its block's draws can skip its slot; the next
//!   author's block decides them with another relay parent's randomness. That costs it the block
//!   and its fees, and is visible.
//! - **The relay chain's own VRF.** A relay block's author knows its VRF output before it
//!   publishes; collusion between a relay validator and a collator is outside this pallet's
//!   reach, as for every parachain that uses relay randomness.
//!
//! What no collator can do any more: reorder, insert or drop transactions of its own block to
//! steer a draw about them, since those draws use randomness of a later relay block.

#![cfg_attr(not(feature = "std"), no_std)]

pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use daya_primitives::{BlockSeed, SeedSource};
pub use pallet::*;
pub use weights::WeightInfo;

use codec::Encode;
use polkadot_sdk::{
	frame_support::{self, traits::PostInherents},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_io::hashing::blake2_256,
	sp_runtime::SaturatedConversion,
};

/// What the relay chain tells about a parachain block: its relay parent, and that relay block's
/// per-block randomness when the relay state proof carries it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RelayParent {
	/// The relay parent's number.
	pub number: u32,
	/// Its BABE per-block VRF output, if the relay state proof carries it.
	pub randomness: Option<[u8; 32]>,
}

/// Reads the current block's relay parent; the runtime implements it over the parachain
/// system's validation data and relay state proof, which are available after the inherents.
pub trait RelaySource {
	/// The relay parent of the block being built, or `None` without validation data.
	fn relay_parent() -> Option<RelayParent>;

	/// Gives the block being benchmarked the relay data a real block has (a relay state proof
	/// with per-block randomness), so that the benchmark measures reading it.
	#[cfg(feature = "runtime-benchmarks")]
	fn prepare_benchmark() {}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of the randomness pallet.
	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config {
		/// Where the relay parent and its randomness are read from.
		type Relay: RelaySource;

		/// Weights of the pallet's hooks.
		type WeightInfo: WeightInfo;
	}

	/// The current block's seed, once its inherents are applied (the previous block's before).
	#[pallet::storage]
	pub type Seed<T: Config> = StorageValue<_, BlockSeed<BlockNumberFor<T>>, OptionQuery>;

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Accounts for the seed's refresh after the inherents ([`Pallet::refresh`]), which
		/// `PostInherents` cannot report itself.
		fn on_initialize(_now: BlockNumberFor<T>) -> Weight {
			T::WeightInfo::refresh()
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(
			now: BlockNumberFor<T>,
		) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state(now)
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Reads this block's relay parent and stores its seed in [`Seed`].
	pub fn refresh() {
		let now = frame_system::Pallet::<T>::block_number();
		let relay = T::Relay::relay_parent();
		let relay_block = relay.map_or_else(|| now.saturated_into::<u32>(), |r| r.number);
		let (randomness, source) = match relay.and_then(|r| r.randomness) {
			Some(vrf) => (vrf, SeedSource::RelayVrf),
			None => {
				let parent = frame_system::Pallet::<T>::parent_hash();
				(blake2_256(parent.as_ref()), SeedSource::ParentHash)
			},
		};
		let seed = blake2_256(&(b"daya/seed", randomness, relay_block).encode());
		Seed::<T>::put(BlockSeed { seed, block: now, relay_block, source });
	}

	/// The current seed, as the runtime API shows it.
	pub fn api_seed() -> Option<BlockSeed<BlockNumberFor<T>>> {
		Seed::<T>::get()
	}

	/// The seed never comes from a later block than the current one, and comes from the current
	/// one once it is set. Native builds have it too, for runtime-level tests.
	#[cfg(any(feature = "std", feature = "try-runtime"))]
	pub fn do_try_state(
		now: BlockNumberFor<T>,
	) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		if let Some(seed) = Seed::<T>::get() {
			frame_support::ensure!(seed.block <= now, "the seed is from a later block");
		}
		Ok(())
	}
}

impl<T: Config> daya_primitives::BlockRandomness<BlockNumberFor<T>> for Pallet<T> {
	fn seed() -> Option<BlockSeed<BlockNumberFor<T>>> {
		Seed::<T>::get()
	}
}

impl<T: Config> PostInherents for Pallet<T> {
	fn post_inherents() {
		Self::refresh();
	}
}
