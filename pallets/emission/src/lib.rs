//! # Emission pallet
//!
//! Daya's token emission: a Bitcoin-style schedule with a hard cap, paid every epoch to the hosts
//! for the capacity they keep in service and the work validators could check.
//!
//! ## Pallet API
//!
//! See the [`pallet`] module: [`Config`], [`Call`], [`Event`], [`Error`] and the storage items.
//! The job market reports verified work through [`daya_primitives::WorkRecorder`], which
//! [`Pallet`] implements; the host registry is read through [`daya_primitives::HostRegistry`].
//! A runtime implements [`daya_primitives::runtime_api::EmissionApi`] with the `api_*`
//! functions.
//!
//! ## Overview
//!
//! - **Schedule** ([`schedule`]): epoch `e` (of [`Pallet::epoch_length`] blocks) pays
//!   `InitialEpochReward >> (e / HalvingInterval)`, and the total never exceeds
//!   [`Config::MaxEmission`]: the last paying epoch pays what remains, then nothing. Integer
//!   arithmetic only.
//! - **Split**: at the end of each epoch its reward is minted; [`Config::TreasuryShare`] goes to
//!   the treasury; of the rest, [`Config::CapacityShare`] is the *capacity pot* and the
//!   remainder the *work pot*.
//! - **Capacity pot**: shared in proportion to each host's *average* capacity weight through
//!   the epoch (its capacity meter, [`daya_primitives::HostRegistry::take_average_capacity`]:
//!   zero for the blocks it was jailed, chilled or leaving), scaled by the share of its assigned
//!   jobs it delivered ([`ServiceRecord::scale`]); a host assigned no job keeps its share only
//!   if it failed no proof-of-compute confirmation window in the epoch. What a host does not
//!   earn goes to the others.
//! - **Work pot**: shared in proportion to *counted* work: the work units the job market
//!   reported for each host in the epoch (tokens x the model's compute units per token, for
//!   jobs paid after passing validation or without being drawn for it), each capped at
//!   [`Config::CapacityCapFactor`] times the host's capacity share of all work, so that its
//!   work reward is at most that many times its capacity share of the pot (what the cap holds
//!   back goes to the treasury). A host paying itself for jobs cannot earn more of the work
//!   pot than its hardware justifies.
//! - **Service**: per epoch and host, [`Service`] counts work units, jobs delivered and
//!   missed, and failed confirmation windows, reported through
//!   [`daya_primitives::WorkRecorder`]; the runtime API shows the current epoch's.
//! - **Payout**: rewards accrue per host in [`Pending`] and are paid by [`Pallet::claim_rewards`]
//!   (anyone may trigger a host's payout; it goes to the host). They stay claimable forever.
//! - **Dust**: what the integer shares leave over goes to the treasury, explicitly, every
//!   epoch; nothing is lost or created.
//!
//! ## Example
//!
//! An epoch's reward split between two hosts, one with twice the other's capacity and work (a
//! test of this crate, run with its tests; `work` reports verified work as the job market does,
//! `finish_epoch` runs the blocks until the epoch is distributed):
//!
#![doc = docify::embed!("src/tests.rs", an_epoch_splits_into_treasury_capacity_and_work)]
//!
//! ## Bounded work
//!
//! Ending an epoch mints and opens a [`Distribution`]; `on_initialize` then advances it by at
//! most [`Config::HostsPerBlock`] hosts per block through four phases: snapshot the active
//! hosts' capacity and work, count the capped work, credit the rewards, and clear the epoch's
//! work records. [`Hooks::integrity_test`] checks
//! that a distribution of [`Config::MaxHosts`] hosts finishes well within an epoch; should one
//! still be running when the next epoch is due, that epoch waits for it.
//!
//! ## Invariants
//!
//! Checked by `Pallet::do_try_state` after every test:
//!
//! - [`TotalEmitted`] is at most what the schedule emits before [`CurrentEpoch`], which is at
//!   most [`Config::MaxEmission`].
//! - The pallet's account holds exactly the pending rewards plus what the running distribution
//!   has yet to credit.
//! - The snapshot holds at most [`Config::MaxHosts`] entries, and none without a distribution.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod impls;
pub mod schedule;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use weights::WeightInfo;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::{
	frame_support::{self, pallet_prelude::*, traits::fungible},
	frame_system::{self, pallet_prelude::BlockNumberFor},
};
use scale_info::TypeInfo;

/// The balance type of [`Config::Currency`].
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// An epoch's number, from zero.
pub type EpochIndex = u32;

/// Where a distribution is.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub enum Phase<T: Config> {
	/// Reading the host registry, page by page, after this host.
	Snapshot {
		/// The last host read.
		after: Option<T::AccountId>,
	},
	/// Capping each host's work, after this host.
	Count {
		/// The last host counted.
		after: Option<T::AccountId>,
	},
	/// Crediting the rewards (the snapshot is drained).
	Pay,
	/// Removing the epoch's work records.
	Clear,
}

/// An epoch's reward being shared out.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct DistributionState<T: Config> {
	/// The epoch.
	pub epoch: EpochIndex,
	/// The capacity pot.
	pub capacity_pot: BalanceOf<T>,
	/// The work pot.
	pub work_pot: BalanceOf<T>,
	/// The capacity weight of the snapshot's hosts.
	pub total_capacity: u128,
	/// The work of the snapshot's hosts.
	pub total_work: u128,
	/// Their counted (capped) work.
	pub total_counted: u128,
	/// What was credited to hosts so far.
	pub credited: BalanceOf<T>,
	/// How many hosts are in the snapshot.
	pub hosts: u32,
	/// Where it is.
	pub phase: Phase<T>,
}

/// What a host did in an epoch.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
)]
pub struct ServiceRecord {
	/// Verified work units: tokens x the model's compute units per token, for paid jobs.
	pub work: u128,
	/// Jobs assigned to it that it delivered and was paid for.
	pub delivered: u32,
	/// Jobs assigned to it that it missed: no result by the deadline, or a forgery.
	pub missed: u32,
	/// Whether it failed a proof-of-compute confirmation window.
	pub unconfirmed: bool,
}

impl ServiceRecord {
	/// `capacity` scaled by the share of its assigned jobs the host delivered; a host assigned
	/// no job keeps all of it only if it failed no confirmation window.
	pub fn scale(&self, capacity: u64) -> u64 {
		let assigned = u64::from(self.delivered).saturating_add(u64::from(self.missed));
		if assigned == 0 {
			return if self.unconfirmed { 0 } else { capacity };
		}
		let scaled =
			u128::from(capacity).saturating_mul(u128::from(self.delivered)) / u128::from(assigned);
		u64::try_from(scaled).unwrap_or(capacity)
	}
}

/// One host in an epoch's snapshot.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub struct SnapshotEntry {
	/// Its average capacity weight through the epoch, scaled by the share of its jobs it
	/// delivered.
	pub capacity: u64,
	/// The work reported for it in the epoch.
	pub work: u128,
	/// That work capped by its capacity share (set in the count phase).
	pub counted: u128,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::PalletId;
	use frame_system::pallet_prelude::*;
	use polkadot_sdk::sp_runtime::Perbill;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of the emission.
	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency emitted.
		type Currency: fungible::Inspect<Self::AccountId> + fungible::Mutate<Self::AccountId>;

		/// The host registry: capacity weights and who is active.
		type Hosts: daya_primitives::HostRegistry<
			Self::AccountId,
			BalanceOf<Self>,
			BlockNumberFor<Self>,
		>;

		/// The pallet's id, whose account holds minted rewards until they are claimed.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// The treasury's account.
		type Treasury: Get<Self::AccountId>;

		/// Blocks per epoch, unless the chain's genesis set another ([`EpochLengthOverride`]:
		/// dev and test chains use short epochs). Must not be zero. A chain's epoch length is
		/// [`Pallet::epoch_length`] (the runtime API `EmissionApi::epoch_length`): this constant
		/// is the default only, hence its name.
		#[pallet::constant]
		type DefaultEpochLength: Get<BlockNumberFor<Self>>;

		/// What epoch 0 pays.
		#[pallet::constant]
		type InitialEpochReward: Get<BalanceOf<Self>>;

		/// Epochs between halvings. Must not be zero.
		#[pallet::constant]
		type HalvingInterval: Get<u32>;

		/// The most that is ever emitted.
		#[pallet::constant]
		type MaxEmission: Get<BalanceOf<Self>>;

		/// The treasury's share of each epoch's reward.
		#[pallet::constant]
		type TreasuryShare: Get<Perbill>;

		/// The capacity pot's share of what is left after the treasury's; the work pot gets the
		/// rest.
		#[pallet::constant]
		type CapacityShare: Get<Perbill>;

		/// A host's counted work is at most this many times its capacity share of all work.
		#[pallet::constant]
		type CapacityCapFactor: Get<u32>;

		/// Hosts a distribution handles per block. Must not be zero.
		#[pallet::constant]
		type HostsPerBlock: Get<u32>;

		/// The most hosts a snapshot holds: at least the host registry's bound.
		#[pallet::constant]
		type MaxHosts: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// The epoch accruing now.
	#[pallet::storage]
	pub type CurrentEpoch<T: Config> = StorageValue<_, EpochIndex, ValueQuery>;

	/// The block at which the current epoch started.
	#[pallet::storage]
	pub type EpochStart<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// An epoch length set in the chain's genesis, in place of [`Config::DefaultEpochLength`]: dev
	/// chains use short epochs.
	#[pallet::storage]
	pub type EpochLengthOverride<T: Config> = StorageValue<_, BlockNumberFor<T>>;

	/// Everything minted so far.
	#[pallet::storage]
	pub type TotalEmitted<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// What each host did per epoch: verified work units, jobs delivered and missed, failed
	/// confirmation windows. Only hosts the job market or proof of compute reported have
	/// entries; an epoch's entries are removed when it is distributed.
	#[pallet::storage]
	pub type Service<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		EpochIndex,
		Blake2_128Concat,
		T::AccountId,
		ServiceRecord,
		ValueQuery,
	>;

	/// The epoch being shared out, if one is.
	#[pallet::storage]
	pub type Distribution<T: Config> = StorageValue<_, DistributionState<T>>;

	/// The hosts of the running distribution. At most [`Config::MaxHosts`].
	#[pallet::storage]
	pub type Snapshot<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, SnapshotEntry>;

	/// Rewards credited and not yet claimed, per account.
	#[pallet::storage]
	pub type Pending<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>>;

	/// The emission's genesis: optionally a shorter epoch (for development chains).
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Blocks per epoch in place of [`Config::DefaultEpochLength`]; `None` keeps it. Must leave a
		/// distribution of [`Config::MaxHosts`] hosts room to finish within an epoch.
		pub epoch_length: Option<BlockNumberFor<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		/// Panics if the epoch length is too short for a distribution: such a chain spec must
		/// not start a chain.
		fn build(&self) {
			if let Some(length) = self.epoch_length {
				assert!(
					Pallet::<T>::distribution_fits(length),
					"emission: an epoch of {length:?} blocks is too short for a distribution of \
					 MaxHosts hosts"
				);
				EpochLengthOverride::<T>::put(length);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An epoch ended: its reward was minted and its distribution opened.
		EpochEnded {
			/// The epoch.
			epoch: EpochIndex,
			/// What was minted.
			minted: BalanceOf<T>,
			/// What went to the treasury.
			treasury: BalanceOf<T>,
			/// The capacity pot.
			capacity_pot: BalanceOf<T>,
			/// The work pot.
			work_pot: BalanceOf<T>,
		},
		/// An epoch's reward was shared out.
		EpochDistributed {
			/// The epoch.
			epoch: EpochIndex,
			/// What was credited to hosts.
			credited: BalanceOf<T>,
			/// What the integer shares left over (and pots nobody could share), sent to the
			/// treasury.
			dust: BalanceOf<T>,
			/// How many hosts shared it.
			hosts: u32,
		},
		/// Rewards were paid out.
		RewardsClaimed {
			/// Who got them.
			who: T::AccountId,
			/// How much.
			amount: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account has no pending rewards.
		NothingToClaim,
		/// The account cannot receive the amount (it does not exist and the amount is below the
		/// existential deposit); the rewards stay pending.
		CannotReceive,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Ends the epoch when it is due, and advances the running distribution.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::do_on_initialize(now)
		}

		fn integrity_test() {
			assert!(!T::DefaultEpochLength::get().is_zero(), "DefaultEpochLength must not be zero");
			assert!(T::HalvingInterval::get() > 0, "HalvingInterval must not be zero");
			assert!(T::HostsPerBlock::get() > 0, "HostsPerBlock must not be zero");
			assert!(
				Self::distribution_fits(T::DefaultEpochLength::get()),
				"a distribution of MaxHosts hosts must fit an epoch"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(
			_n: BlockNumberFor<T>,
		) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Pay `who` its pending rewards.
		///
		/// - Origin: signed, by anyone: the rewards always go to `who`.
		/// - Errors: [`Error::NothingToClaim`], [`Error::CannotReceive`].
		/// - Event: [`Event::RewardsClaimed`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::claim_rewards())]
		pub fn claim_rewards(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_claim(who)
		}
	}
}
