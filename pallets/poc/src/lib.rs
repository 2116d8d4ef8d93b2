//! # Proof-of-compute pallet
//!
//! Capacity measured, never declared: hosts prove in regular *windows* how much exact,
//! host-keyed matrix work their devices did, other hosts check samples of it, and the proven
//! amount, bounded by each host's bond, is the host's *proven weight*.
//!
//! ## Pallet API
//!
//! See the [`pallet`] module: [`Config`], [`Call`], [`Event`], [`Error`] and the storage items
//! [`Window`], [`Commitments`], [`Verdicts`], [`Proven`] and [`LastConcluded`]. Other pallets
//! read proven weights through [`Pallet::proven_weight`].
//!
//! ## Overview
//!
//! A window's life, in blocks counted from its opening `o` (see `docs/proof-of-compute.md` for
//! the protocol the executors follow, its parameters and the attacks it answers):
//!
//! 1. **Open** (block `o`: the first block with a seed, then every [`Config::WindowPeriod`]
//!    blocks, in the blocks `1 mod WindowPeriod`, once the previous window is applied): the window's seed is drawn
//!    from the block's randomness ([`daya_primitives::BlockRandomness`]), which nobody knew a
//!    block earlier. Each host's executor derives its own key from the seed and its account,
//!    builds the window's pool and computes nonces.
//! 2. **Commit** (until `o + ComputeBlocks + CommitBlocks`): each host sends
//!    [`Pallet::commit`] with the Merkle root of its leaves and their count, once.
//! 3. **Sample** (block `s = o + ComputeBlocks + CommitBlocks`): a *sampling seed* is drawn,
//!    from randomness that did not exist when the commitments were made; it decides which leaves
//!    are checked and which hosts check each commitment ([`Pallet::verifiers_of`]:
//!    [`Config::Verifiers`] hosts that serve one of the prover's models and can check, the
//!    prover excluded).
//! 4. **Verify** (until `s + VerifyBlocks`): each verifier's node fetches the sampled leaves
//!    and paths from the prover's executor, has its own executor recompute them and sends
//!    [`Pallet::submit_verdict`]: valid, invalid (a leaf that does not recompute: a proof of
//!    fraud, since honest executors compute the same bits on every device) or missing (the
//!    prover did not serve it).
//! 5. **Conclude** (from `s + VerifyBlocks`, [`Config::ConcludePerBlock`] commitments per
//!    block): more invalid than valid verdicts convicts: the prover is slashed
//!    [`Config::FraudSlash`] of its bond, jailed, and its weight for the window is zero. More
//!    valid verdicts than the others together proves the count. Anything else (missing proofs,
//!    silence, a tie) proves nothing: weight zero, no slash. Assigned verifiers that stayed
//!    silent lose reputation.
//! 6. **Apply** (then, [`Config::ConcludePerBlock`] items per block, in stages:
//!    [`ApplyStage`]): if the window proved at least one commitment, it becomes the reference
//!    ([`LastConcluded`]) and the registry's weight of every host whose proven weight changed
//!    is set from [`Pallet::proven_weight`]
//!    ([`daya_primitives::HostRegistry::refresh_capacity`]), for selection and emission: each
//!    host that committed takes its outcome as its record, and the records of earlier windows
//!    are removed (their hosts weigh zero). The work follows the window's participants and the
//!    hosts with a record, not the registry's size, except for the first window that proves
//!    something, which turns every registered host's weight from declared to proven. A
//!    window that proved nothing (no executor ran, or no commitment was verified) changes no
//!    weight: the market never halts for want of proofs, and the convictions it made stand.
//!    The next window opens only after.
//!
//! ## Proven weight
//!
//! [`Pallet::proven_weight`] of a host is its proven count in the reference window (the last
//! that proved something), at most its current bond divided by [`Config::CollateralPerWeight`]
//! (so a slash lowers it at once), and zero for a host that did not pass that window. A host
//! that registers later weighs zero until the next window, at most [`Config::WindowPeriod`]
//! blocks; so does one that leaves the registry and registers again (leaving forgets its
//! record). Until a window has proved something, nobody has and [`Pallet::proven_weight`] is
//! `None` for everyone: the host registry weighs hosts by their declared hardware meanwhile (a
//! chain's first minutes, or a dev chain run without executors).
//!
//! ## Invariants
//!
//! Checked by `Pallet::do_try_state` after every test:
//!
//! - every commitment and verdict list belongs to the open window; none exist without one;
//! - no verdict list holds more than [`Config::Verifiers`] entries, nor one verifier twice;
//! - no proven record is of a window after the reference one ([`LastConcluded`]);
//! - outcomes are kept only while a window concludes and its weights are applied, and a stage
//!   of applying them only while they are;
//! - once a window's weights are applied, every host's weight in the registry is its proven
//!   weight.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use weights::WeightInfo;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use daya_primitives::{BlockRandomness, HostRegistry, WorkRecorder};
use polkadot_sdk::{
	frame_support::{self, pallet_prelude::*, traits::fungible},
	frame_system::{self, pallet_prelude::*},
	sp_runtime::{
		traits::{Saturating, Zero},
		Perbill, SaturatedConversion,
	},
};
use scale_info::TypeInfo;

/// A window's number, from 1.
pub type WindowIndex = u32;

/// The balance type of [`Config::Currency`].
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// What a window is for.
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
pub enum WindowKind {
	/// A regular window, every [`Config::WindowPeriod`] blocks: what it proves is every host's
	/// weight until the next.
	Regular,
	/// An unannounced confirmation window: hosts must prove again at least
	/// [`Config::ConfirmShare`] of their reference count, or lose their weight until the next
	/// regular window. It never raises a weight.
	Confirmation,
}

/// A stage of applying a concluded window's weights ([`ApplyStage`]), each
/// [`Config::ConcludePerBlock`] items a block.
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
pub enum ApplyStep {
	/// Every registered host in turn ([`ApplyCursor`]: the last one done): the first window
	/// that proves something, which turns every host's weight from the hardware it declared
	/// into what it proved, and a window concluded before the stages existed. Then
	/// [`ApplyStep::Leftovers`].
	AllHosts,
	/// The outcomes of a new reference window: each registered host that committed gets its
	/// record and its weight. Then [`ApplyStep::Records`].
	Outcomes,
	/// The other hosts' records ([`ApplyCursor`]: the last one done): a new reference removes
	/// those of earlier windows, whose hosts weigh zero now; a confirmation window that proved
	/// something checks the reference's against their hosts' outcomes. A host that left the
	/// registry loses its record. Then [`ApplyStep::Leftovers`].
	Records,
	/// The outcomes nobody took (of hosts that left the registry, of a confirmation window's
	/// hosts without a weight to confirm, of a window that proved nothing) are cleared: the
	/// weights are applied.
	Leftovers,
}

/// The open (or last) window.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct WindowInfo<BlockNumber> {
	/// Its number.
	pub index: WindowIndex,
	/// Regular or confirmation.
	pub kind: WindowKind,
	/// The seed every host derives its key from.
	pub seed: [u8; 32],
	/// The block it opened in.
	pub opened_at: BlockNumber,
	/// The seed that picks the sampled leaves and the verifiers, once drawn (after the commit
	/// deadline).
	pub sample_seed: Option<[u8; 32]>,
	/// Whether every commitment has been concluded.
	pub concluded: bool,
	/// Whether every host's weight in the registry has been set from the conclusion.
	pub applied: bool,
	/// Commitments proven so far in its conclusion.
	pub proven: u32,
}

/// A host's commitment to a window's work.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Commitment {
	/// The window.
	pub window: WindowIndex,
	/// The Merkle root of its leaves (the count sealed in).
	pub root: [u8; 32],
	/// How many nonces it computed.
	pub count: u64,
}

/// A verifier's verdict on a commitment (SCALE-compatible with the protocol's).
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
pub enum Verdict {
	/// Every sampled leaf recomputes and its path reaches the root.
	Valid,
	/// A sampled leaf does not recompute, or its path does not reach the root.
	Invalid {
		/// The first nonce that failed.
		nonce: u64,
	},
	/// The prover did not serve a sampled leaf's proof.
	Missing {
		/// The first sampled nonce without a proof.
		nonce: u64,
	},
}

/// What a concluded window proved about a host.
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
pub enum Outcome {
	/// The count was proven.
	Proven {
		/// The count committed and proven.
		count: u64,
	},
	/// Convicted of fraud: slashed and jailed.
	Convicted,
	/// Nothing was proven: no commitment, missing proofs, silence or a tie.
	Unproven,
	/// Failed a confirmation window (proved less than [`Config::ConfirmShare`] of its reference
	/// count, or nothing): weightless until the next regular window.
	Unconfirmed {
		/// The confirmation window.
		window: WindowIndex,
	},
}

/// A host's record of its last concluded window.
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
pub struct ProvenRecord {
	/// The window.
	pub window: WindowIndex,
	/// What it proved.
	pub outcome: Outcome,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of proof of compute.
	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency of bonds.
		type Currency: fungible::Inspect<Self::AccountId>;

		/// The host registry: who may commit and verify, their bonds, slashing.
		type Hosts: HostRegistry<Self::AccountId, BalanceOf<Self>, BlockNumberFor<Self>>;

		/// Per-block randomness for seeds.
		type Randomness: BlockRandomness<BlockNumberFor<Self>>;

		/// Blocks from one window's opening to the next's.
		#[pallet::constant]
		type WindowPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks hosts compute for, from the opening.
		#[pallet::constant]
		type ComputeBlocks: Get<BlockNumberFor<Self>>;

		/// Blocks after the computation in which commitments are still taken.
		#[pallet::constant]
		type CommitBlocks: Get<BlockNumberFor<Self>>;

		/// Blocks verifiers have, from the sampling.
		#[pallet::constant]
		type VerifyBlocks: Get<BlockNumberFor<Self>>;

		/// Verifiers per commitment.
		#[pallet::constant]
		type Verifiers: Get<u32>;

		/// Bond a host holds per unit of proven weight: weight beyond `bond / CollateralPerWeight`
		/// does not count.
		#[pallet::constant]
		type CollateralPerWeight: Get<BalanceOf<Self>>;

		/// Share of the bond a convicted host loses.
		#[pallet::constant]
		type FraudSlash: Get<Perbill>;

		/// Blocks a convicted host is jailed for.
		#[pallet::constant]
		type FraudJail: Get<BlockNumberFor<Self>>;

		/// Commitments concluded, and hosts' weights applied, per block at most.
		#[pallet::constant]
		type ConcludePerBlock: Get<u32>;

		/// In each block where no window runs and no regular window is due, a confirmation
		/// window opens with probability `1 / ConfirmOdds` (at most one between two regular
		/// windows); zero for none.
		#[pallet::constant]
		type ConfirmOdds: Get<u32>;

		/// The share of its reference count a host must prove again in a confirmation window
		/// to keep its weight.
		#[pallet::constant]
		type ConfirmShare: Get<Perbill>;

		/// Where failed confirmation windows are reported, for the emission.
		type Service: daya_primitives::WorkRecorder<Self::AccountId>;

		/// Weights of the calls and of each step of a window, from this crate's benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// The open window, or the last one.
	#[pallet::storage]
	pub type Window<T: Config> = StorageValue<_, WindowInfo<BlockNumberFor<T>>, OptionQuery>;

	/// Each host's commitment to the open window.
	#[pallet::storage]
	pub type Commitments<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, Commitment, OptionQuery>;

	/// The verdicts on a commitment, by verifier, once the first is in.
	#[pallet::storage]
	pub type Verdicts<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<(T::AccountId, Verdict), T::Verifiers>,
		ValueQuery,
	>;

	/// What the window being concluded proved about each committed host, until its weights are
	/// applied.
	#[pallet::storage]
	pub type Outcomes<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, Outcome, OptionQuery>;

	/// Each host's record of the last window that proved anything, and what it proved.
	#[pallet::storage]
	pub type Proven<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, ProvenRecord, OptionQuery>;

	/// The last window that proved something (at least one commitment proven): the one every
	/// proven weight refers to.
	#[pallet::storage]
	pub type LastConcluded<T: Config> = StorageValue<_, WindowIndex, ValueQuery>;

	/// The last host whose weight the registry took from the concluded window, while that runs
	/// ([`ApplyStep::AllHosts`]), or whose record was gone through ([`ApplyStep::Records`]).
	#[pallet::storage]
	pub type ApplyCursor<T: Config> = StorageValue<_, T::AccountId, OptionQuery>;

	/// The stage of applying the concluded window's weights: set when it concludes, removed
	/// once they are applied. Work proportional to the window's participants and the hosts
	/// with a record, except for the first window that proves something, which weighs every
	/// host ([`ApplyStep::AllHosts`], also what a window concluded without a stage goes
	/// through).
	#[pallet::storage]
	pub type ApplyStage<T: Config> = StorageValue<_, ApplyStep, OptionQuery>;

	/// A chance of confirmation windows set in the chain's genesis, in place of
	/// [`Config::ConfirmOdds`] (zero for none: chains whose hosts share one machine).
	#[pallet::storage]
	pub type ConfirmOddsOverride<T: Config> = StorageValue<_, u32, OptionQuery>;

	/// Proof of compute's genesis: optionally other odds of confirmation windows.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// In place of [`Config::ConfirmOdds`]; `None` keeps it.
		pub confirm_odds: Option<u32>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(odds) = self.confirm_odds {
				ConfirmOddsOverride::<T>::put(odds);
			}
		}
	}

	/// The block the last regular window opened in: the next is due
	/// [`Config::WindowPeriod`] blocks later.
	#[pallet::storage]
	pub type LastRegularAt<T: Config> = StorageValue<_, BlockNumberFor<T>, OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A window opened.
		WindowOpened { window: WindowIndex, kind: WindowKind, seed: [u8; 32] },
		/// A host failed a confirmation window: its weight is zero until the next regular
		/// window.
		Unconfirmed { host: T::AccountId, window: WindowIndex },
		/// A host committed to a window's work.
		Committed { host: T::AccountId, window: WindowIndex, root: [u8; 32], count: u64 },
		/// The window's commitments were closed and its samples drawn.
		Sampled { window: WindowIndex, sample_seed: [u8; 32], commitments: u32 },
		/// A verifier judged a commitment.
		VerdictSubmitted { prover: T::AccountId, verifier: T::AccountId, verdict: Verdict },
		/// A host's commitment was concluded.
		Concluded { host: T::AccountId, window: WindowIndex, outcome: Outcome, weight: u64 },
		/// A convicted host was slashed.
		FraudSlashed { host: T::AccountId, window: WindowIndex, amount: BalanceOf<T> },
		/// An assigned verifier sent no verdict.
		VerifierSilent { prover: T::AccountId, verifier: T::AccountId },
		/// Every commitment of a window was concluded; `proven` of them were proven. A window
		/// that proved nothing leaves every weight as it was.
		WindowConcluded { window: WindowIndex, proven: u32 },
		/// Every host's weight in the registry was set from the window's conclusion.
		WeightsApplied { window: WindowIndex },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No window is open.
		NoWindow,
		/// Not the open window.
		WrongWindow,
		/// The window no longer takes commitments.
		CommitClosed,
		/// The sender is not a registered host.
		NotHost,
		/// The host committed to this window already.
		AlreadyCommitted,
		/// A count of zero proves nothing.
		EmptyCommitment,
		/// Verdicts are not taken now (before the sampling or after the deadline).
		NotVerifying,
		/// The prover made no commitment to this window.
		NoCommitment,
		/// The sender is not one of the commitment's verifiers.
		NotVerifier,
		/// The sender judged this commitment already.
		AlreadyJudged,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::do_on_initialize(now)
		}

		fn integrity_test() {
			let period = T::WindowPeriod::get();
			let busy = T::ComputeBlocks::get()
				.saturating_add(T::CommitBlocks::get())
				.saturating_add(T::VerifyBlocks::get());
			assert!(!T::ComputeBlocks::get().is_zero(), "ComputeBlocks must not be zero");
			assert!(!T::CommitBlocks::get().is_zero(), "CommitBlocks must not be zero");
			assert!(!T::VerifyBlocks::get().is_zero(), "VerifyBlocks must not be zero");
			assert!(T::Verifiers::get() > 0, "Verifiers must not be zero");
			assert!(T::ConcludePerBlock::get() > 0, "ConcludePerBlock must not be zero");
			assert!(
				!T::CollateralPerWeight::get().is_zero(),
				"CollateralPerWeight must not be zero"
			);
			assert!(busy < period, "a window must be concluded before the next opens");
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
		/// Commits the sender's work in the open window: the Merkle root of its leaves and their
		/// count. Once per window, until the commit deadline.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::commit())]
		pub fn commit(
			origin: OriginFor<T>,
			window: WindowIndex,
			root: [u8; 32],
			count: u64,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit(who, window, root, count)
		}

		/// Sends the sender's verdict on `prover`'s commitment to the open window. Only its
		/// verifiers, once each, between the sampling and the verification deadline.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::submit_verdict())]
		pub fn submit_verdict(
			origin: OriginFor<T>,
			window: WindowIndex,
			prover: T::AccountId,
			verdict: Verdict,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_submit_verdict(who, window, prover, verdict)
		}
	}
}

impl<T: Config> Pallet<T> {
	fn block_u32(n: BlockNumberFor<T>) -> u32 {
		n.saturated_into()
	}

	/// The block in which `window` draws its samples.
	pub fn sample_at(window: &WindowInfo<BlockNumberFor<T>>) -> BlockNumberFor<T> {
		window
			.opened_at
			.saturating_add(T::ComputeBlocks::get())
			.saturating_add(T::CommitBlocks::get())
	}

	/// The block from which `window` concludes.
	pub fn conclude_at(window: &WindowInfo<BlockNumberFor<T>>) -> BlockNumberFor<T> {
		Self::sample_at(window).saturating_add(T::VerifyBlocks::get())
	}

	pub(crate) fn do_on_initialize(now: BlockNumberFor<T>) -> Weight {
		let limit = T::ConcludePerBlock::get();
		let window = Window::<T>::get();
		if let Some(w) = &window {
			if w.sample_seed.is_none() && now >= Self::sample_at(w) {
				Self::sample(w.clone());
				return T::WeightInfo::sample();
			}
			if w.sample_seed.is_some() && !w.concluded && now >= Self::conclude_at(w) {
				Self::conclude_page(w.clone(), limit);
				return T::WeightInfo::conclude(limit);
			}
			if w.concluded && !w.applied {
				return Self::apply_page(w.clone(), limit);
			}
		}
		let idle = window.as_ref().is_none_or(|w| w.concluded && w.applied);
		if !idle {
			return T::WeightInfo::open_window();
		}
		let Some(block_seed) = T::Randomness::seed() else {
			return T::WeightInfo::open_window();
		};
		// The first regular window opens as soon as the chain has a seed, the others a period
		// after the last opened (later if a window still runs then).
		let regular_due = LastRegularAt::<T>::get()
			.is_none_or(|at| now >= at.saturating_add(T::WindowPeriod::get()));
		let kind = if regular_due {
			Some(WindowKind::Regular)
		} else if Self::confirmation_drawn(&block_seed, now, window.as_ref()) {
			Some(WindowKind::Confirmation)
		} else {
			None
		};
		if let Some(kind) = kind {
			let index = window.map_or(1, |w| w.index.saturating_add(1));
			let seed = block_seed.draw(&(b"daya/poc/window", index).encode());
			Window::<T>::put(WindowInfo {
				index,
				kind,
				seed,
				opened_at: now,
				sample_seed: None,
				concluded: false,
				applied: false,
				proven: 0,
			});
			if kind == WindowKind::Regular {
				LastRegularAt::<T>::put(now);
			}
			Self::deposit_event(Event::WindowOpened { window: index, kind, seed });
		}
		// Opening is the dearest of the steps left (one read when nothing is due).
		T::WeightInfo::open_window()
	}

	/// Whether a confirmation window opens in block `now`, after `last` (the last window): only
	/// once some window proved something, at most one after each regular window, and then
	/// with probability `1 / ConfirmOdds` from the block's own randomness, which nobody knew a
	/// block earlier.
	fn confirmation_drawn(
		seed: &daya_primitives::BlockSeed<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
		last: Option<&WindowInfo<BlockNumberFor<T>>>,
	) -> bool {
		let odds = Self::confirm_odds();
		let after_regular = last.is_some_and(|w| w.kind == WindowKind::Regular);
		if odds == 0 || !after_regular || LastConcluded::<T>::get() == 0 {
			return false;
		}
		let draw = seed.draw(&(b"daya/poc/confirm", Self::block_u32(now)).encode());
		let value = u32::from_le_bytes([draw[0], draw[1], draw[2], draw[3]]);
		value.is_multiple_of(odds)
	}

	/// The odds of a confirmation window in an idle block: the genesis override, or
	/// [`Config::ConfirmOdds`].
	pub fn confirm_odds() -> u32 {
		ConfirmOddsOverride::<T>::get().unwrap_or_else(T::ConfirmOdds::get)
	}

	fn sample(mut window: WindowInfo<BlockNumberFor<T>>) {
		let Some(seed) = T::Randomness::seed() else { return };
		let sample_seed = seed.draw(&(b"daya/poc/sample", window.index).encode());
		window.sample_seed = Some(sample_seed);
		let commitments = Commitments::<T>::count();
		Window::<T>::put(&window);
		Self::deposit_event(Event::Sampled { window: window.index, sample_seed, commitments });
	}

	/// Concludes up to `limit` commitments of `window`.
	pub(crate) fn conclude_page(mut window: WindowInfo<BlockNumberFor<T>>, limit: u32) {
		let page: alloc::vec::Vec<_> = Commitments::<T>::iter().take(limit as usize).collect();
		for (host, commitment) in page.iter() {
			if Self::conclude(&window, host, commitment) {
				window.proven = window.proven.saturating_add(1);
			}
		}
		if (page.len() as u32) < limit {
			window.concluded = true;
			// A window that proved nothing (no executor ran, or none was verified) leaves every
			// weight as the last window that proved something set it: the market never halts
			// for want of proofs. Otherwise it is the new reference.
			let first_reference = LastConcluded::<T>::get() == 0;
			if window.proven > 0 && window.kind == WindowKind::Regular {
				LastConcluded::<T>::put(window.index);
			}
			let stage = match window.kind {
				WindowKind::Regular if window.proven > 0 && first_reference => ApplyStep::AllHosts,
				WindowKind::Regular if window.proven > 0 => ApplyStep::Outcomes,
				WindowKind::Confirmation if window.proven > 0 => ApplyStep::Records,
				WindowKind::Regular | WindowKind::Confirmation => ApplyStep::Leftovers,
			};
			ApplyStage::<T>::put(stage);
			Self::deposit_event(Event::WindowConcluded {
				window: window.index,
				proven: window.proven,
			});
		}
		Window::<T>::put(&window);
	}

	/// Takes the concluded `window`'s weights into the registry, `limit` items of its current
	/// stage ([`ApplyStage`]) a block, and returns what that cost. The last stage marks the
	/// window applied.
	pub(crate) fn apply_page(mut window: WindowInfo<BlockNumberFor<T>>, limit: u32) -> Weight {
		let stage = ApplyStage::<T>::get().unwrap_or(ApplyStep::AllHosts);
		let (done, next, weight) = match stage {
			ApplyStep::AllHosts => (
				Self::apply_hosts(&window, limit),
				Some(ApplyStep::Leftovers),
				T::WeightInfo::apply(limit),
			),
			ApplyStep::Outcomes => (
				Self::apply_outcomes(&window, limit),
				Some(ApplyStep::Records),
				T::WeightInfo::apply_outcomes(limit),
			),
			ApplyStep::Records => (
				Self::apply_records(&window, limit),
				Some(ApplyStep::Leftovers),
				T::WeightInfo::apply_records(limit),
			),
			ApplyStep::Leftovers => {
				let _ = Outcomes::<T>::clear(limit, None);
				(Outcomes::<T>::count() == 0, None, T::WeightInfo::apply_leftovers(limit))
			},
		};
		// Nothing left to clear: the weights are applied now.
		let next = next.filter(|next| *next != ApplyStep::Leftovers || Outcomes::<T>::count() > 0);
		match (done, next) {
			(false, _) => ApplyStage::<T>::put(stage),
			(true, Some(next)) => ApplyStage::<T>::put(next),
			(true, None) => {
				ApplyStage::<T>::kill();
				ApplyCursor::<T>::kill();
				window.applied = true;
				Window::<T>::put(&window);
				Self::deposit_event(Event::WeightsApplied { window: window.index });
			},
		}
		weight
	}

	/// [`ApplyStep::AllHosts`]: sets the registry's weight of up to `limit` registered hosts,
	/// after [`ApplyCursor`], from the concluded `window`; returns whether it went through the
	/// last.
	fn apply_hosts(window: &WindowInfo<BlockNumberFor<T>>, limit: u32) -> bool {
		let after = ApplyCursor::<T>::get();
		let page = T::Hosts::hosts_page(after.as_ref(), limit);
		for (host, _) in page.iter() {
			let outcome = Outcomes::<T>::take(host);
			match window.kind {
				// A regular window that proved something is the new reference for everyone.
				WindowKind::Regular if LastConcluded::<T>::get() == window.index => {
					match outcome {
						Some(outcome) => Proven::<T>::insert(
							host,
							ProvenRecord { window: window.index, outcome },
						),
						None => Proven::<T>::remove(host),
					}
					T::Hosts::refresh_capacity(host);
				},
				// A confirmation window that proved something (so that its verification ran)
				// takes their weight from the hosts that did not prove their reference again.
				WindowKind::Confirmation if window.proven > 0 => {
					Self::confirm(window, host, outcome)
				},
				_ => {},
			}
		}
		Self::advance(page.last().map(|(last, _)| last), page.len(), limit)
	}

	/// [`ApplyStep::Outcomes`]: up to `limit` outcomes of the new reference `window` become
	/// their hosts' records and weights (a host that left the registry meanwhile gets none);
	/// returns whether none is left.
	fn apply_outcomes(window: &WindowInfo<BlockNumberFor<T>>, limit: u32) -> bool {
		let page: alloc::vec::Vec<_> = Outcomes::<T>::iter().take(limit as usize).collect();
		for (host, outcome) in page {
			Outcomes::<T>::remove(&host);
			if T::Hosts::executor_kind(&host).is_some() {
				Proven::<T>::insert(&host, ProvenRecord { window: window.index, outcome });
				T::Hosts::refresh_capacity(&host);
			}
		}
		Outcomes::<T>::count() == 0
	}

	/// [`ApplyStep::Records`]: goes through up to `limit` records after [`ApplyCursor`]. For a
	/// new reference `window`, a record of an earlier window is removed and its host weighs
	/// zero; for a confirmation window, each host's reference is checked against its outcome
	/// ([`Self::confirm`]). A host that left the registry loses its record. Returns whether it
	/// went through the last.
	fn apply_records(window: &WindowInfo<BlockNumberFor<T>>, limit: u32) -> bool {
		let after = ApplyCursor::<T>::get();
		let iter = match after.as_ref() {
			Some(after) => Proven::<T>::iter_from(Proven::<T>::hashed_key_for(after)),
			None => Proven::<T>::iter(),
		};
		let page: alloc::vec::Vec<_> = iter.take(limit as usize).collect();
		for (host, record) in page.iter() {
			if T::Hosts::executor_kind(host).is_none() {
				Proven::<T>::remove(host);
				continue;
			}
			match window.kind {
				WindowKind::Regular if record.window != window.index => {
					Proven::<T>::remove(host);
					T::Hosts::refresh_capacity(host);
				},
				WindowKind::Regular => {},
				WindowKind::Confirmation => Self::confirm(window, host, Outcomes::<T>::take(host)),
			}
		}
		Self::advance(page.last().map(|(last, _)| last), page.len(), limit)
	}

	/// Moves [`ApplyCursor`] to `last` of a page of `len` items when the page was full (more
	/// may follow), or removes it; returns whether the stage went through the last item.
	fn advance(last: Option<&T::AccountId>, len: usize, limit: u32) -> bool {
		match last {
			Some(last) if len == limit as usize => {
				ApplyCursor::<T>::put(last);
				false
			},
			_ => {
				ApplyCursor::<T>::kill();
				true
			},
		}
	}

	/// Checks `host`'s `outcome` in the confirmation `window` against its reference: a host
	/// with a weight that proved less than [`Config::ConfirmShare`] of its reference count (or
	/// nothing, or was convicted) loses its weight until the next regular window.
	fn confirm(
		window: &WindowInfo<BlockNumberFor<T>>,
		host: &T::AccountId,
		outcome: Option<Outcome>,
	) {
		let last = LastConcluded::<T>::get();
		let Some(record) = Proven::<T>::get(host).filter(|record| record.window == last) else {
			return;
		};
		let Outcome::Proven { count: reference } = record.outcome else { return };
		if Self::bounded(host, &record.outcome) == 0 {
			// Nothing to confirm.
			return;
		}
		let needed = T::ConfirmShare::get().mul_floor(reference);
		if matches!(outcome, Some(Outcome::Proven { count }) if count >= needed) {
			return;
		}
		let outcome = match outcome {
			Some(Outcome::Convicted) => Outcome::Convicted,
			_ => Outcome::Unconfirmed { window: window.index },
		};
		Proven::<T>::insert(host, ProvenRecord { window: last, outcome });
		T::Hosts::refresh_capacity(host);
		T::Service::record_unconfirmed(host);
		Self::deposit_event(Event::Unconfirmed { host: host.clone(), window: window.index });
	}

	/// Concludes `host`'s commitment: slashes and jails it if convicted, and records the
	/// outcome until the weights are applied; returns whether it was proven.
	fn conclude(
		window: &WindowInfo<BlockNumberFor<T>>,
		host: &T::AccountId,
		commitment: &Commitment,
	) -> bool {
		Commitments::<T>::remove(host);
		let verdicts = Verdicts::<T>::take(host);
		let assigned = Self::verifiers_of(window, host);
		for verifier in assigned.iter() {
			if !verdicts.iter().any(|(v, _)| v == verifier) {
				T::Hosts::record_miss(verifier);
				Self::deposit_event(Event::VerifierSilent {
					prover: host.clone(),
					verifier: verifier.clone(),
				});
			}
		}
		let count = |f: fn(&Verdict) -> bool| verdicts.iter().filter(|(_, v)| f(v)).count();
		let invalid = count(|v| matches!(v, Verdict::Invalid { .. }));
		let valid = count(|v| *v == Verdict::Valid);
		let outcome = if invalid > valid {
			let amount = T::Hosts::slash(host, T::FraudSlash::get(), None);
			T::Hosts::jail(host, T::FraudJail::get());
			Self::deposit_event(Event::FraudSlashed {
				host: host.clone(),
				window: window.index,
				amount,
			});
			Outcome::Convicted
		} else if valid > verdicts.len() - valid {
			Outcome::Proven { count: commitment.count }
		} else if verdicts.is_empty() && window.kind == WindowKind::Confirmation {
			// Nobody judged it (its verifiers were silent, or none could be drawn): silence
			// never costs the prover its weight; the silent verifiers pay.
			Outcome::Proven { count: commitment.count }
		} else {
			Outcome::Unproven
		};
		Outcomes::<T>::insert(host, outcome);
		let weight_now = Self::bounded(host, &outcome);
		Self::deposit_event(Event::Concluded {
			host: host.clone(),
			window: window.index,
			outcome,
			weight: weight_now,
		});
		matches!(outcome, Outcome::Proven { .. })
	}

	fn bounded(host: &T::AccountId, outcome: &Outcome) -> u64 {
		match outcome {
			Outcome::Proven { count } => {
				let cover = T::Hosts::bond(host) / T::CollateralPerWeight::get();
				(*count).min(cover.saturated_into::<u64>())
			},
			_ => 0,
		}
	}

	/// The verifiers of `prover`'s commitment to `window`: up to [`Config::Verifiers`] hosts
	/// that serve one of the prover's models and can check, whatever their weight, the prover
	/// excluded, each drawn from the window's sampling seed; empty before the sampling.
	pub fn verifiers_of(
		window: &WindowInfo<BlockNumberFor<T>>,
		prover: &T::AccountId,
	) -> alloc::vec::Vec<T::AccountId> {
		let Some(sample_seed) = window.sample_seed else { return alloc::vec::Vec::new() };
		let models = T::Hosts::served_models(prover);
		let mut exclude = alloc::vec![prover.clone()];
		for i in 0..T::Verifiers::get() {
			let seed = polkadot_sdk::sp_io::hashing::blake2_256(
				&(b"daya/poc/verifier", sample_seed, prover, i).encode(),
			);
			let picked = models
				.iter()
				.cycle()
				.skip(i as usize)
				.take(models.len())
				.find_map(|m| T::Hosts::select_checker(*m, &exclude, seed));
			match picked {
				Some(verifier) => exclude.push(verifier),
				None => break,
			}
		}
		exclude.split_off(1)
	}

	/// The proven weight of `who`: its count proven in the reference window (the last that
	/// proved something), at most its bond over [`Config::CollateralPerWeight`]; zero if it did
	/// not pass that window (no commitment, nothing proven, convicted, or not yet registered
	/// then); `None` until a window has proved something.
	pub fn proven_weight(who: &T::AccountId) -> Option<u64> {
		let last = LastConcluded::<T>::get();
		if last == 0 {
			return None;
		}
		let record = Proven::<T>::get(who).filter(|record| record.window == last);
		Some(record.map_or(0, |record| Self::bounded(who, &record.outcome)))
	}

	pub(crate) fn do_commit(
		who: T::AccountId,
		window: WindowIndex,
		root: [u8; 32],
		count: u64,
	) -> DispatchResult {
		let open = Window::<T>::get().ok_or(Error::<T>::NoWindow)?;
		ensure!(open.index == window, Error::<T>::WrongWindow);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			open.sample_seed.is_none() && now < Self::sample_at(&open),
			Error::<T>::CommitClosed
		);
		ensure!(T::Hosts::executor_kind(&who).is_some(), Error::<T>::NotHost);
		ensure!(!Commitments::<T>::contains_key(&who), Error::<T>::AlreadyCommitted);
		ensure!(count > 0, Error::<T>::EmptyCommitment);
		Commitments::<T>::insert(&who, Commitment { window, root, count });
		Self::deposit_event(Event::Committed { host: who, window, root, count });
		Ok(())
	}

	pub(crate) fn do_submit_verdict(
		who: T::AccountId,
		window: WindowIndex,
		prover: T::AccountId,
		verdict: Verdict,
	) -> DispatchResult {
		let open = Window::<T>::get().ok_or(Error::<T>::NoWindow)?;
		ensure!(open.index == window, Error::<T>::WrongWindow);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			open.sample_seed.is_some() && now < Self::conclude_at(&open) && !open.concluded,
			Error::<T>::NotVerifying
		);
		ensure!(Commitments::<T>::contains_key(&prover), Error::<T>::NoCommitment);
		ensure!(Self::verifiers_of(&open, &prover).contains(&who), Error::<T>::NotVerifier);
		Verdicts::<T>::try_mutate(&prover, |verdicts| {
			ensure!(!verdicts.iter().any(|(v, _)| *v == who), Error::<T>::AlreadyJudged);
			verdicts.try_push((who.clone(), verdict)).map_err(|_| Error::<T>::NotVerifier)?;
			Ok::<_, Error<T>>(())
		})?;
		Self::deposit_event(Event::VerdictSubmitted { prover, verifier: who, verdict });
		Ok(())
	}

	/// Checks the invariants listed in the crate docs.
	#[cfg(any(test, feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		let window = Window::<T>::get();
		if window.as_ref().is_some_and(|w| w.applied) {
			let mut after = None;
			loop {
				let page = T::Hosts::hosts_page(after.as_ref(), 64);
				for (host, _) in page.iter() {
					if let Some(proven) = Self::proven_weight(host) {
						ensure!(
							T::Hosts::capacity_weight(host) == proven,
							"a host's weight in the registry is not its proven weight"
						);
					}
				}
				match page.last() {
					Some((last, _)) if page.len() == 64 => after = Some(last.clone()),
					_ => break,
				}
			}
		}
		for (_, commitment) in Commitments::<T>::iter() {
			ensure!(
				window.as_ref().is_some_and(|w| w.index == commitment.window && !w.concluded),
				"a commitment outside the open window"
			);
		}
		ensure!(
			Commitments::<T>::count() as usize == Commitments::<T>::iter().count(),
			"the commitment counter is off"
		);
		for (prover, verdicts) in Verdicts::<T>::iter() {
			ensure!(Commitments::<T>::contains_key(&prover), "verdicts without a commitment");
			for (i, (verifier, _)) in verdicts.iter().enumerate() {
				ensure!(
					!verdicts.iter().skip(i + 1).any(|(v, _)| v == verifier),
					"a verifier judged twice"
				);
			}
		}
		let last = LastConcluded::<T>::get();
		for (_, record) in Proven::<T>::iter() {
			ensure!(record.window <= last, "a proven record of a window that proved nothing");
		}
		ensure!(
			Outcomes::<T>::count() == 0
				|| window.as_ref().is_some_and(|w| w.sample_seed.is_some() && !w.applied),
			"outcomes outside a window's conclusion"
		);
		ensure!(
			ApplyStage::<T>::get().is_none()
				|| window.as_ref().is_some_and(|w| w.concluded && !w.applied),
			"a stage of applying weights outside a concluded window's application"
		);
		Ok(())
	}
}

impl<T: Config> Pallet<T> {
	/// The open (or last) window, as
	/// [`PocApi::window`](daya_primitives::runtime_api::PocApi::window) returns it.
	pub fn api_window() -> Option<daya_primitives::runtime_api::PocWindowView<BlockNumberFor<T>>> {
		let window = Window::<T>::get()?;
		Some(daya_primitives::runtime_api::PocWindowView {
			index: window.index,
			opened_at: window.opened_at,
			sample_at: Self::sample_at(&window),
			conclude_at: Self::conclude_at(&window),
			commitments: Commitments::<T>::count(),
			concluded: window.concluded,
			applied: window.applied,
			confirmation: window.kind == WindowKind::Confirmation,
		})
	}

	/// The part `who` takes, as [`PocApi::host`](daya_primitives::runtime_api::PocApi::host)
	/// returns it.
	pub fn api_host(who: T::AccountId) -> daya_primitives::runtime_api::PocHostView {
		use daya_primitives::runtime_api::PocOutcomeView;
		let verdicts = Verdicts::<T>::get(&who);
		let count = |f: fn(&Verdict) -> bool| verdicts.iter().filter(|(_, v)| f(v)).count() as u32;
		daya_primitives::runtime_api::PocHostView {
			proven_weight: Self::proven_weight(&who),
			last: Proven::<T>::get(&who).map(|record| {
				let outcome = match record.outcome {
					Outcome::Proven { count } => PocOutcomeView::Proven { count },
					Outcome::Convicted => PocOutcomeView::Convicted,
					Outcome::Unproven => PocOutcomeView::Unproven,
					Outcome::Unconfirmed { window } => PocOutcomeView::Unconfirmed { window },
				};
				(record.window, outcome)
			}),
			committed: Commitments::<T>::get(&who).map(|c| (c.window, c.count)),
			verdicts: (
				count(|v| *v == Verdict::Valid),
				count(|v| matches!(v, Verdict::Invalid { .. })),
				count(|v| matches!(v, Verdict::Missing { .. })),
			),
		}
	}
}

impl<T: Config> daya_primitives::ProvenCapacity<T::AccountId> for Pallet<T> {
	fn proven_weight(who: &T::AccountId) -> Option<u64> {
		Self::proven_weight(who)
	}

	/// A host that left keeps no record: registered again, it weighs zero until it proves in a
	/// reference window, as a newcomer does.
	fn forget(who: &T::AccountId) {
		Proven::<T>::remove(who);
	}
}
