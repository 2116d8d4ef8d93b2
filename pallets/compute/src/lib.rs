//! # Compute pallet
//!
//! Daya's host registry: the GPU hosts that serve inference, what hardware they declare, where
//! their executors answer, which models they serve, the bond they put at stake, their reputation,
//! and the index from which jobs are assigned to them.
//!
//! ## Pallet API
//!
//! See the [`pallet`] module for the full API: [`Config`], [`Call`], [`Event`], [`Error`],
//! [`HoldReason`] and the storage items [`Hosts`] and [`HostsByModel`]. Other pallets use the
//! registry through [`daya_primitives::HostRegistry`], which [`Pallet`] implements. A runtime
//! implements [`daya_primitives::runtime_api::HostsApi`] by forwarding to [`Pallet::api_host`] and
//! [`Pallet::api_hosts_by_model`]; [`GenesisConfig`] lists the hosts a chain starts with.
//!
//! ## Overview
//!
//! Anyone with a GPU can become a host: they declare their hardware, the address of their
//! executor and the models they serve, and put at least [`Config::MinHostBond`] at stake. The
//! stake stays in their account but is held: they cannot spend it while they are a host, and it
//! can be taken from them (slashed) if they are caught cheating.
//!
//! When a consumer submits a job, the job market picks one of the active hosts that serve the
//! job's model, at random, with bigger hosts more likely to be picked. A host can:
//!
//! - **update** its endpoint, hardware or served models at any time before it leaves;
//! - **declare its executor's kind**: greedy-only when it forwards to another server;
//! - **bond more**;
//! - **chill**: stop getting new work for a while, and **unchill** to take work again;
//! - **unbond**: stop getting new work at once, and after [`Config::UnbondingPeriod`] blocks
//!   **withdraw** its bond and leave the registry.
//!
//! The job market raises a host's reputation when it delivers and lowers it when it misses a
//! deadline. Proven fraud gets a host slashed and **jailed**: it gets no work until its jail time
//! is over and it unchills.
//!
//! ## Example
//!
//! Registering a host with one 80 GiB GPU that serves models 0 and 1, bonding 150 (a test of
//! this crate, run with its tests; `register_with` calls [`Pallet::register_host`] signed by the
//! host):
//!
#![doc = docify::embed!("src/tests.rs", registers_an_active_host)]
//!
//!
//! ## Low level details
//!
//! ### Design goals
//!
//! - Bounded state: at most [`Config::MaxHosts`] hosts, each of bounded size, and at most
//!   [`Config::MaxHostsPerModel`] entries in each model's selection index.
//! - Selection costs one storage read per model, whatever the number of hosts: the index stores
//!   each host's capacity weight and executor kind beside its account.
//! - Bonds are held with `fungible` holds ([`HoldReason::HostBond`]), never reserves.
//! - Other pallets depend on [`daya_primitives::HostRegistry`], never on this pallet; this pallet
//!   depends on [`daya_primitives::ModelRegistry`], never on the models pallet.
//! - Bad input gets a named error and changes nothing.
//!
//! ### Terminology
//!
//! - *Host*: an account registered in [`Hosts`].
//! - *Status* ([`HostStatus`]): `Active` (gets work), `Chilled`, `Jailed { until }` or
//!   `Leaving { unlock_at }`.
//! - *Selection index* ([`HostsByModel`]): for each model, its active hosts with their capacity
//!   weights and executor kinds; the only place hosts are picked from.
//! - *Executor kind* ([`ExecutorKind`]): `Full` (the default: the host's executor runs the model,
//!   replays the protocol's sampler and checks results) or `GreedyOnly` (it forwards to a server
//!   such as llama.cpp's that returns token ids but cannot replay the sampler nor show hidden
//!   states), declared with [`Pallet::set_executor_kind`]. Selection takes a [`Duty`]: greedy
//!   jobs may go to any host, sampled jobs and checks only to `Full` ones.
//! - *Reputation*: a [`Perbill`](polkadot_sdk::sp_runtime::Perbill) that starts at
//!   [`Config::InitialReputation`], rises by [`Config::ReputationGain`] with each delivered job
//!   and falls by [`Config::ReputationLoss`] with each miss, saturating at zero and one.
//!
//! ### Validity of a registration
//!
//! The endpoint is non-empty printable ASCII without spaces ([`Error::InvalidEndpoint`]). The
//! hardware lists at least one kind of GPU ([`Error::EmptyHardware`]), each with a non-empty
//! printable name and non-zero memory and count ([`Error::InvalidHardware`]). The served models
//! are not empty ([`Error::NoServedModels`]), hold no duplicate ([`Error::DuplicateModel`]), and
//! each exists ([`Error::UnknownModel`]), is active ([`Error::ModelNotActive`]) and needs no more
//! memory than the host's GPUs have in all ([`Error::InsufficientVram`]). On
//! [`Pallet::update_host`], models the host served already may also be deprecated or retired
//! (a deprecated model keeps its hosts), and the models are checked only when the hardware or
//! the models change, so that a new endpoint alone never fails because a model's terms changed.
//!
//! ### Capacity weight
//!
//! **Provisional, until proof of compute measures capacity**: a host's capacity weight is derived
//! from its *declared* hardware, as the total accelerator memory in MiB, the sum over its GPUs of
//! `vram_mib * count`, computed without overflow (saturating) and capped at
//! [`Config::MaxCapacityPerHost`]. The cap bounds what an inflated declaration can win; bonds
//! and slashing are what keep declarations honest until capacity is proven. Changing
//! `MaxCapacityPerHost` needs a migration that recomputes the stored weights.
//!
//! ### Selection
//!
//! [`daya_primitives::HostRegistry::select_host`] reads the model's index (one storage item),
//! leaves out the excluded accounts, and picks the host in whose interval of the cumulative
//! weights `r` falls, where `r` is the first 16 bytes of the seed, read as a little-endian
//! `u128`, modulo the total weight. Integer arithmetic only: no floats, no panics; the modulo
//! bias is below `total / 2^128`.
//!
//! ### Bonds, slashing and jail
//!
//! A slash takes a fraction of the host's bond, rounded down, off the hold: it goes to the
//! beneficiary's free balance, or is burned when there is none (or when the beneficiary cannot
//! receive it, e.g. a new account below the existential deposit). An active host whose bond falls
//! below [`Config::MinHostBond`] is chilled, and unchilling needs the bond back at the minimum.
//! Jail removes a host from the index until `until`; from then on, [`Pallet::unchill`] makes it
//! active again. Unbonding is allowed from every status but `Leaving`, and a leaving host can
//! still be slashed until it withdraws, which is what the unbonding period is for.
//!
//! ### Invariants
//!
//! Checked by `Pallet::do_try_state` (the `try_state` hook, and after every test):
//!
//! - The balance each host has on hold for [`HoldReason::HostBond`] equals its recorded bond.
//! - Every served model exists in the model registry; served models hold no duplicate and are
//!   never empty; the hardware is valid and the capacity weight follows from it (see above).
//! - [`HostsByModel`] holds exactly the active hosts serving each model, each once, with its
//!   current capacity weight and executor kind; no index is empty.
//! - The host counter matches [`Hosts`] and is at most [`Config::MaxHosts`].
//!
//! ### Genesis
//!
//! [`GenesisConfig::hosts`] registers hosts through the same checks and bond hold as
//! [`Pallet::register_host`], in order, at block 0, and panics on the first invalid one (naming
//! its position, account and error), so that a bad chain spec cannot start a chain. Pallets
//! build their genesis in the order the runtime declares them (declared by ascending pallet
//! index, as Daya's runtime does, that is the index order), which makes two demands on a runtime:
//!
//! - the currency pallet (e.g. `Balances`) comes before this pallet, with a lower index, so that
//!   its genesis has endowed each host's account, with at least the bond plus the existential
//!   deposit, before the bond is held ([`Error::InsufficientBalance`] otherwise);
//! - the model registry (e.g. the models pallet) comes before it too, with a lower index, so that
//!   its genesis has registered the served models, as active, before they are checked
//!   ([`Error::UnknownModel`] otherwise).
//!
//! A genesis host as JSON, in a chain spec's `compute` section (byte strings are arrays of
//! numbers; here `"gpu"` and `"H100"`):
//!
//! ```json
//! { "hosts": [{
//!     "account": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
//!     "endpoint": [103, 112, 117],
//!     "hardware": [{ "name": [72, 49, 48, 48], "vramMib": 81920, "count": 1 }],
//!     "servedModels": [0],
//!     "bond": 1000000000000
//! }] }
//! ```
//!
//! [`Hooks::integrity_test`](frame_support::traits::Hooks::integrity_test) checks that every bound
//! in [`Config`] is non-zero and that `MinHostBond` is at least the existential deposit.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod impls;
pub mod migrations;
mod registry;
mod selection;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod proptests;
#[cfg(feature = "std")]
pub mod testing;
#[cfg(test)]
mod tests;

pub use daya_primitives::{Duty, ExecutorKind, HostRegistry, ModelId, ModelRegistry};
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use polkadot_sdk::{frame_support, frame_system};

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::fungible};
	use frame_system::pallet_prelude::*;
	use polkadot_sdk::sp_runtime::Perbill;

	/// The storage layout's version: 1 since a host's capacity weight and whether it is proven
	/// are one [`Capacity`] ([`crate::migrations::v1`]).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Default configurations of this pallet, for `#[derive_impl]`.
	pub mod config_preludes {
		use super::*;
		use frame_support::{derive_impl, parameter_types};

		/// The configuration the mocks of this pallet and of the pallets that run it (the
		/// job market, emission, proof of compute) share: small bounds that tests reach, 64-bit
		/// balances and block numbers. A mock sets `Currency`, `RuntimeHoldReason` and
		/// `Models` (`crate::testing::MockModels`, for one) and overrides what its tests need.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		parameter_types! {
			pub const TestMinHostBond: u64 = 100;
			pub const TestUnbondingPeriod: u64 = 10;
			pub const TestMaxGpus: u32 = 2;
			pub const TestMaxServedModels: u32 = 2;
			pub const TestMaxEndpointLen: u32 = 32;
			pub const TestMaxGpuNameLen: u32 = 16;
			pub const TestMaxHosts: u32 = 8;
			pub const TestMaxHostsPerModel: u32 = 8;
			pub const TestMaxCapacityPerHost: u64 = 1_000_000;
			/// Hosts start at half reputation.
			pub const TestInitialReputation: Perbill = Perbill::from_percent(50);
			pub const TestReputationGain: Perbill = Perbill::from_percent(1);
			pub const TestReputationLoss: Perbill = Perbill::from_percent(5);
			pub const TestChillAfterMisses: u32 = 3;
		}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			#[inject_runtime_type]
			type RuntimeHoldReason = ();
			type MinHostBond = TestMinHostBond;
			type UnbondingPeriod = TestUnbondingPeriod;
			type MaxGpus = TestMaxGpus;
			type MaxServedModels = TestMaxServedModels;
			type MaxEndpointLen = TestMaxEndpointLen;
			type MaxGpuNameLen = TestMaxGpuNameLen;
			type MaxHosts = TestMaxHosts;
			type MaxHostsPerModel = TestMaxHostsPerModel;
			type MaxCapacityPerHost = TestMaxCapacityPerHost;
			type InitialReputation = TestInitialReputation;
			type ReputationGain = TestReputationGain;
			type ReputationLoss = TestReputationLoss;
			type ChillAfterMisses = TestChillAfterMisses;
			type WeightInfo = ();
			type ProvenCapacity = ();
		}
	}

	/// Configuration of the host registry.
	#[pallet::config(with_default)]
	// The supertrait is spelled out through `polkadot_sdk`, as the pallet macro requires when
	// `frame_system` comes from the umbrella crate.
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency in which bonds are held, slashed and released.
		#[pallet::no_default]
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reason, of which [`HoldReason`] is a part.
		#[pallet::no_default_bounds]
		type RuntimeHoldReason: From<HoldReason>;

		/// The model registry, which says which models exist and whether hosts may newly serve
		/// them.
		#[pallet::no_default]
		type Models: ModelRegistry<BalanceOf<Self>>;

		/// The least bond a host registers with, and keeps to stay active. Must be at least the
		/// existential deposit.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MinHostBond: Get<BalanceOf<Self>>;

		/// Blocks between [`Pallet::unbond`] and the first block in which the host may withdraw;
		/// the window in which fraud found late can still be slashed.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// Maximum number of kinds of GPU in one host's hardware list. Must not be zero.
		#[pallet::constant]
		type MaxGpus: Get<u32>;

		/// Maximum number of models one host serves. Must not be zero.
		#[pallet::constant]
		type MaxServedModels: Get<u32>;

		/// Maximum length of a host's endpoint, in bytes. Must not be zero.
		#[pallet::constant]
		type MaxEndpointLen: Get<u32>;

		/// Maximum length of a GPU's name, in bytes. Must not be zero.
		#[pallet::constant]
		type MaxGpuNameLen: Get<u32>;

		/// Maximum number of registered hosts, whatever their status. Must not be zero.
		#[pallet::constant]
		type MaxHosts: Get<u32>;

		/// Maximum number of active hosts per model, the bound of selection's cost. Must not be
		/// zero.
		#[pallet::constant]
		type MaxHostsPerModel: Get<u32>;

		/// The cap on a host's provisional capacity weight (see the crate docs). Must not be
		/// zero.
		#[pallet::constant]
		type MaxCapacityPerHost: Get<u64>;

		/// The reputation a host registers with.
		#[pallet::constant]
		type InitialReputation: Get<Perbill>;

		/// How much each delivered job raises a host's reputation (saturating at one).
		#[pallet::constant]
		type ReputationGain: Get<Perbill>;

		/// How much each missed job lowers a host's reputation (saturating at zero).
		#[pallet::constant]
		type ReputationLoss: Get<Perbill>;

		/// Duties missed in a row (jobs, validations, verdicts) after which an active host is
		/// chilled: out of selection until its operator sends `unchill`. Must not be zero.
		#[pallet::constant]
		type ChillAfterMisses: Get<u32>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Capacity proven by proof of compute, which replaces the declared hardware's weight
		/// once the chain's first window has concluded; `()` for none.
		type ProvenCapacity: daya_primitives::ProvenCapacity<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A host's bond, slashable for fraud and released after unbonding.
		#[codec(index = 0)]
		HostBond,
	}

	/// Every registered host, by account, whatever its status.
	///
	/// `Blake2_128Concat` because accounts are chosen by whoever registers, and could be ground
	/// to unbalance the trie under a weaker hasher. At most [`Config::MaxHosts`] entries.
	#[pallet::storage]
	pub type Hosts<T: Config> = CountedStorageMap<_, Blake2_128Concat, T::AccountId, HostInfo<T>>;

	/// The selection index: for each model, the active hosts that serve it, with their capacity
	/// weights. Hosts that are chilled, jailed or leaving are not in it. No entry is empty.
	///
	/// `Twox64Concat` is safe: entries exist only for models of the registry, whose ids it
	/// assigns sequentially, so nobody can pick keys that unbalance the trie. Each entry holds at
	/// most [`Config::MaxHostsPerModel`] hosts.
	#[pallet::storage]
	pub type HostsByModel<T: Config> = StorageMap<_, Twox64Concat, ModelId, ModelIndex<T>>;

	/// The hosts registered at genesis, for a chain that serves jobs from its first block.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Registered in this order, as active, with `registered_at` 0, the initial reputation
		/// and their bonds held. Each must be valid as for [`Pallet::register_host`]: a distinct
		/// account that can hold its bond, and served models that are active in the model
		/// registry. At most [`Config::MaxHosts`] of them, and at most
		/// [`Config::MaxHostsPerModel`] per model.
		///
		/// In a chain spec's JSON, fields are camelCase (`servedModels`, `vramMib`), unknown
		/// fields are rejected, and byte strings (endpoint, GPU names) are arrays of numbers.
		///
		/// The balances pallet's genesis must endow the accounts, and the model registry's
		/// genesis must register the models, before this one runs: in a runtime, both pallets
		/// come before this one, with a lower pallet index (see the crate docs, "Genesis").
		pub hosts: alloc::vec::Vec<GenesisHost<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		/// Registers the genesis hosts through the same checks and hold as
		/// [`Pallet::register_host`].
		///
		/// Panics on the first one that fails them: a chain spec with an invalid host must not
		/// start a chain.
		fn build(&self) {
			for (index, host) in self.hosts.iter().enumerate() {
				let registered = Pallet::<T>::do_register_host(
					host.account.clone(),
					host.endpoint.clone(),
					host.hardware.clone(),
					host.served_models.clone(),
					host.bond,
				);
				if let Err(error) = registered {
					panic!(
						"genesis host {index} ({:?}) cannot be registered: {error:?}",
						host.account
					);
				}
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A host registered, as active.
		HostRegistered {
			/// The host.
			host: T::AccountId,
			/// The bond it holds.
			bond: BalanceOf<T>,
			/// Its capacity weight.
			capacity_weight: u64,
		},
		/// A host changed its endpoint, hardware or served models.
		HostUpdated {
			/// The host.
			host: T::AccountId,
			/// Its capacity weight, after the change.
			capacity_weight: u64,
		},
		/// A host's capacity weight was set again from its proven capacity.
		CapacityWeightSet {
			/// The host.
			host: T::AccountId,
			/// Its capacity weight from now on.
			capacity_weight: u64,
		},
		/// A host declared what its executor can do.
		ExecutorKindSet {
			/// The host.
			host: T::AccountId,
			/// Its executor's kind from now on.
			kind: ExecutorKind,
		},
		/// A host added to its bond.
		BondIncreased {
			/// The host.
			host: T::AccountId,
			/// How much it added.
			amount: BalanceOf<T>,
			/// Its bond, after the increase.
			bond: BalanceOf<T>,
		},
		/// A host stopped taking work to leave the registry.
		UnbondingStarted {
			/// The host.
			host: T::AccountId,
			/// The first block in which it may withdraw.
			unlock_at: BlockNumberFor<T>,
		},
		/// A host withdrew its bond and left the registry.
		HostRemoved {
			/// The former host.
			host: T::AccountId,
			/// The bond released to it.
			released: BalanceOf<T>,
		},
		/// A host stopped taking new work, by its own choice or because its bond fell below
		/// [`Config::MinHostBond`].
		HostChilled {
			/// The host.
			host: T::AccountId,
		},
		/// An active host missed [`Config::ChillAfterMisses`] duties in a row and was chilled:
		/// it takes no new work until its operator sends `unchill`.
		HostChilledForMisses {
			/// The host.
			host: T::AccountId,
			/// Its misses in a row.
			misses: u32,
		},
		/// A chilled host, or one whose jail time was over, became active again.
		HostUnchilled {
			/// The host.
			host: T::AccountId,
		},
		/// Part of a host's bond was slashed.
		HostSlashed {
			/// The host.
			host: T::AccountId,
			/// The amount taken from its bond.
			amount: BalanceOf<T>,
			/// Who received it; `None` if it was burned.
			beneficiary: Option<T::AccountId>,
		},
		/// A host was jailed.
		HostJailed {
			/// The host.
			host: T::AccountId,
			/// The first block in which it may unchill.
			until: BlockNumberFor<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is not a registered host.
		NotRegistered,
		/// The account is a registered host already.
		AlreadyRegistered,
		/// The registry holds [`Config::MaxHosts`] hosts already.
		TooManyHosts,
		/// A served model has [`Config::MaxHostsPerModel`] active hosts already.
		TooManyHostsForModel,
		/// A served model does not exist.
		UnknownModel,
		/// A newly served model is not active (deprecated or retired).
		ModelNotActive,
		/// The list of served models is empty.
		NoServedModels,
		/// The list of served models names a model twice.
		DuplicateModel,
		/// The hardware list is empty.
		EmptyHardware,
		/// A GPU has zero memory, a zero count, or a name that is empty or not printable ASCII.
		InvalidHardware,
		/// The endpoint is empty, or holds a byte that is not printable ASCII (spaces included).
		InvalidEndpoint,
		/// A newly served model needs more accelerator memory than the host's GPUs have in all.
		InsufficientVram,
		/// The bond is below [`Config::MinHostBond`].
		BondTooLow,
		/// The account cannot hold the bond: its free balance is too low.
		InsufficientBalance,
		/// The amount is zero.
		ZeroAmount,
		/// An update must change something.
		NothingToUpdate,
		/// The host is leaving: it can only wait and withdraw.
		HostLeaving,
		/// Only an active host can chill.
		NotActive,
		/// The host is active already.
		AlreadyActive,
		/// The host's jail time is not over.
		StillJailed,
		/// The host has not unbonded.
		NotLeaving,
		/// The host's unbonding period is not over.
		NotUnlocked,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			use fungible::Inspect;
			assert!(T::MaxGpus::get() > 0, "MaxGpus must not be zero");
			assert!(T::ChillAfterMisses::get() > 0, "ChillAfterMisses must not be zero");
			assert!(T::MaxServedModels::get() > 0, "MaxServedModels must not be zero");
			assert!(T::MaxEndpointLen::get() > 0, "MaxEndpointLen must not be zero");
			assert!(T::MaxGpuNameLen::get() > 0, "MaxGpuNameLen must not be zero");
			assert!(T::MaxHosts::get() > 0, "MaxHosts must not be zero");
			assert!(T::MaxHostsPerModel::get() > 0, "MaxHostsPerModel must not be zero");
			assert!(T::MaxCapacityPerHost::get() > 0, "MaxCapacityPerHost must not be zero");
			assert!(
				T::MinHostBond::get() >= T::Currency::minimum_balance(),
				"MinHostBond must be at least the existential deposit"
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
		/// Register the caller as a host, active at once, and hold its bond.
		///
		/// - Origin: signed, by the future host.
		/// - Its capacity weight follows from `hardware` (see the crate docs).
		/// - Errors: [`Error::AlreadyRegistered`], [`Error::TooManyHosts`],
		///   [`Error::InvalidEndpoint`], [`Error::EmptyHardware`], [`Error::InvalidHardware`],
		///   [`Error::NoServedModels`], [`Error::DuplicateModel`], [`Error::UnknownModel`],
		///   [`Error::ModelNotActive`], [`Error::InsufficientVram`], [`Error::BondTooLow`],
		///   [`Error::TooManyHostsForModel`], [`Error::InsufficientBalance`].
		/// - Event: [`Event::HostRegistered`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_host(served_models.len() as u32))]
		pub fn register_host(
			origin: OriginFor<T>,
			endpoint: Endpoint<T>,
			hardware: Hardware<T>,
			served_models: ServedModels<T>,
			#[pallet::compact] bond: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_host(who, endpoint, hardware, served_models, bond)
		}

		/// Change the caller's endpoint, hardware or served models; `None` keeps the current
		/// one.
		///
		/// - Origin: signed, by the host.
		/// - Allowed in every status but leaving; an active host's index entries follow the
		///   change at once.
		/// - Errors: [`Error::NothingToUpdate`], [`Error::NotRegistered`], [`Error::HostLeaving`],
		///   and those of [`Pallet::register_host`] about the changed fields (models the host
		///   served already may be deprecated or retired).
		/// - Event: [`Event::HostUpdated`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_host(T::MaxServedModels::get()))]
		pub fn update_host(
			origin: OriginFor<T>,
			endpoint: Option<Endpoint<T>>,
			hardware: Option<Hardware<T>>,
			served_models: Option<ServedModels<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_host(who, endpoint, hardware, served_models)
		}

		/// Add `amount` to the caller's bond.
		///
		/// - Origin: signed, by the host.
		/// - Allowed in every status but leaving; it does not unchill a host.
		/// - Errors: [`Error::ZeroAmount`], [`Error::NotRegistered`], [`Error::HostLeaving`],
		///   [`Error::InsufficientBalance`].
		/// - Event: [`Event::BondIncreased`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::bond_more())]
		pub fn bond_more(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bond_more(who, amount)
		}

		/// Start leaving: the caller gets no new work from now on, and may withdraw its bond
		/// from [`Config::UnbondingPeriod`] blocks from now. It can still be slashed until then.
		///
		/// - Origin: signed, by the host.
		/// - Allowed from active, chilled and jailed. Final: a leaving host cannot come back.
		/// - Errors: [`Error::NotRegistered`], [`Error::HostLeaving`].
		/// - Event: [`Event::UnbondingStarted`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::unbond(T::MaxServedModels::get()))]
		pub fn unbond(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unbond(who)
		}

		/// Release the caller's bond, once its unbonding period is over, and remove it from the
		/// registry. What it proved is forgotten ([`daya_primitives::ProvenCapacity::forget`]):
		/// registered again, it weighs nothing until it proves anew.
		///
		/// - Origin: signed, by the host.
		/// - Errors: [`Error::NotRegistered`], [`Error::NotLeaving`], [`Error::NotUnlocked`].
		/// - Event: [`Event::HostRemoved`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_unbonded(who)
		}

		/// Stop taking new work for now; the caller stays registered and bonded.
		///
		/// - Origin: signed, by the host.
		/// - Only from active.
		/// - Errors: [`Error::NotRegistered`], [`Error::NotActive`].
		/// - Event: [`Event::HostChilled`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::chill(T::MaxServedModels::get()))]
		pub fn chill(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_chill(who)
		}

		/// Take new work again: from chilled, or from jailed once the jail time is over.
		///
		/// - Origin: signed, by the host.
		/// - The bond must be at least [`Config::MinHostBond`] (a slash may have lowered it).
		/// - Errors: [`Error::NotRegistered`], [`Error::AlreadyActive`], [`Error::HostLeaving`],
		///   [`Error::StillJailed`], [`Error::BondTooLow`], [`Error::TooManyHostsForModel`].
		/// - Event: [`Event::HostUnchilled`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::unchill(T::MaxServedModels::get()))]
		pub fn unchill(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unchill(who)
		}

		/// Declare what the caller's executor can do: [`ExecutorKind::Full`] (the default at
		/// registration) or [`ExecutorKind::GreedyOnly`] (a proxy to llama.cpp's server or
		/// vLLM: drawn for greedy jobs only, its results carry no fingerprints, never drawn as a
		/// validator).
		///
		/// - Origin: signed, by the host.
		/// - Allowed in every status but leaving; an active host's index entries follow the
		///   change at once. Work already assigned is unchanged: a sampled job it holds must still
		///   be delivered with fingerprints.
		/// - Errors: [`Error::NotRegistered`], [`Error::HostLeaving`], [`Error::NothingToUpdate`]
		///   (the kind it has already).
		/// - Event: [`Event::ExecutorKindSet`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::set_executor_kind(T::MaxServedModels::get()))]
		pub fn set_executor_kind(origin: OriginFor<T>, kind: ExecutorKind) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_executor_kind(who, kind)
		}
	}
}
