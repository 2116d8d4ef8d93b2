//! # Daya primitives
//!
//! Types and traits shared by the Daya pallets.
//!
//! Each Daya pallet owns its storage and talks to the others only through the traits here: the
//! job market asks a [`ModelRegistry`] whether a model takes jobs and at what terms, without
//! depending on the models pallet itself. A runtime wires the real pallets together; a pallet's
//! tests wire in whatever mock they need.
//!
//! Clients read the registries through the runtime APIs in [`runtime_api`], such as
//! [`runtime_api::ModelsApi`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod jobs;
pub mod randomness;
pub mod runtime_api;

pub use jobs::{
	probe_position, Fault, Fingerprint, JobEnd, JobId, JobOutcome, JobParams, Judgement,
	PayloadFormat, QuoteError, Usage, ValidationPolicy,
};
pub use polkadot_sdk::sp_runtime::Perbill;
pub use randomness::{BlockRandomness, BlockSeed, SeedSource};
pub use runtime_api::ModelView;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Most picks [`HostRegistry::select_host`] makes before it gives up on finding a host whose
/// bond covers what is asked.
pub const MAX_BOND_PICKS: u32 = 4;

/// Identifier of a model in the registry.
///
/// Assigned sequentially by the registry at registration and never reused, not even after the
/// model is retired.
pub type ModelId = u32;

/// Where a model is in its life cycle.
///
/// A model only moves forward: `Active` -> `Deprecated` -> `Retired`, or straight from `Active`
/// to `Retired`. Jobs already accepted always finish, whatever happens to the model afterwards.
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
pub enum ModelStatus {
	/// Fully in service: hosts may register to serve it and consumers may submit jobs for it.
	Active,
	/// Being phased out: it still takes jobs and the hosts that already serve it keep serving it,
	/// but no host may newly register to serve it.
	Deprecated,
	/// Out of service: no new jobs and no new hosts. Final.
	Retired,
}

impl ModelStatus {
	/// Whether consumers may submit new jobs for a model in this state (`Active` or
	/// `Deprecated`).
	pub fn accepts_jobs(&self) -> bool {
		matches!(self, Self::Active | Self::Deprecated)
	}

	/// Whether hosts may newly register to serve a model in this state (`Active` only).
	pub fn accepts_new_hosts(&self) -> bool {
		matches!(self, Self::Active)
	}
}

/// Where a host is in its life cycle: what the host registry stores, and what its runtime API
/// ([`runtime_api::HostsApi`]) shows.
///
/// ```text
///            chill                    unchill (bond >= MinHostBond)
///   Active --------------> Chilled ---------------------------------> Active
///   Active, Chilled --jail--> Jailed { until } --unchill, from `until` on--> Active
///   Active, Chilled, Jailed --unbond--> Leaving { unlock_at } --withdraw_unbonded--> (removed)
/// ```
///
/// Only `Active` hosts are in the registry's selection index and get new work.
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
pub enum HostStatus<BlockNumber> {
	/// Takes new work.
	Active,
	/// Paused by the host itself (or because a slash left its bond below the minimum); takes no
	/// new work until it unchills.
	Chilled,
	/// Punished: takes no new work, and cannot unchill before block `until`.
	Jailed {
		/// The first block in which the host may unchill.
		until: BlockNumber,
	},
	/// Unbonding: takes no new work, and may withdraw its bond from block `unlock_at` on. Final;
	/// the host can still be slashed until it withdraws.
	Leaving {
		/// The first block in which the host may withdraw.
		unlock_at: BlockNumber,
	},
}

/// What a host's executor can do, as the host declares it; it decides the work the host is
/// drawn for ([`ExecutorKind::can`]).
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
pub enum ExecutorKind {
	/// Runs the model itself: replays the protocol's keyed sampler, commits fingerprints of its
	/// hidden states and checks results. Drawn for every job and as a validator.
	#[default]
	Full,
	/// Forwards to a server that returns token ids but neither replays the protocol's sampler
	/// nor shows hidden states (llama.cpp's server, vLLM): delivers greedy jobs only, without
	/// fingerprints, whose tokens alone are then checked; never drawn as a validator.
	GreedyOnly,
}

/// The work a host is drawn for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Duty {
	/// Running a greedy job (temperature zero).
	Greedy,
	/// Running a sampled job.
	Sampled,
	/// Checking a result, as a validator or in a dispute.
	Validate,
}

impl Duty {
	/// The duty of running a job at `temperature_milli`.
	pub fn of_job(temperature_milli: u32) -> Self {
		if temperature_milli == 0 {
			Self::Greedy
		} else {
			Self::Sampled
		}
	}
}

impl ExecutorKind {
	/// Whether an executor of this kind can take on `duty`.
	pub fn can(self, duty: Duty) -> bool {
		match self {
			Self::Full => true,
			Self::GreedyOnly => duty == Duty::Greedy,
		}
	}
}

/// The terms under which a model is served: what the job market, the validators and the host
/// registry need to know about a model, without its descriptive metadata.
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
pub struct ModelTerms<Balance> {
	/// Price a consumer pays per token (prompt and output alike), in the smallest unit.
	pub price_per_token: Balance,
	/// Abstract compute cost of one token, used to weigh jobs against a host's proven capacity.
	pub compute_units_per_token: u32,
	/// How validators judge the model's results.
	pub validation: ValidationPolicy,
	/// Minimum accelerator memory, in MiB, a host needs to serve the model.
	pub min_vram_mib: u32,
	/// Maximum number of tokens (prompt plus output) the model handles in one job.
	pub context_length: u32,
	/// Maximum number of output tokens one job may ask for; never above `context_length`.
	pub max_output_tokens: u32,
	/// The most bytes one output token adds to a result's text: a result's text is at most its
	/// token count times this.
	pub max_token_bytes: u32,
	/// Hash of the model's weights, which executors must load and validators check against.
	pub weights_hash: [u8; 32],
	/// The version of the model's spec: it rises with every change of the weights, the
	/// validation policy or any other part of the spec, so that a job pins what it was bought
	/// for by this number alone.
	pub version: u32,
}

/// Read access to the model registry, for pallets that need to know about models.
///
/// `Balance` is the runtime's balance type, in which prices are expressed.
pub trait ModelRegistry<Balance> {
	/// The status of `model`, or `None` if no such model was ever registered.
	fn status(model: ModelId) -> Option<ModelStatus>;

	/// Whether `model` exists and is [`ModelStatus::Active`]: the only state in which hosts may
	/// newly register to serve it.
	fn is_active(model: ModelId) -> bool {
		matches!(Self::status(model), Some(ModelStatus::Active))
	}

	/// Whether `model` exists and takes new jobs ([`ModelStatus::Active`] or
	/// [`ModelStatus::Deprecated`]).
	fn accepts_jobs(model: ModelId) -> bool {
		Self::status(model).is_some_and(|status| status.accepts_jobs())
	}

	/// The current terms of `model`, or `None` if no such model was ever registered.
	///
	/// Terms are returned whatever the status; callers check the status for what they may do.
	fn terms(model: ModelId) -> Option<ModelTerms<Balance>>;

	/// Registers an [`ModelStatus::Active`] model with valid terms and returns its id, so that
	/// other pallets' benchmarks can create the model their setup needs.
	///
	/// Each call registers a new model when the registry has room for one.
	#[cfg(feature = "runtime-benchmarks")]
	fn register_benchmark_model() -> ModelId;
}

/// Access to the registry of GPU hosts, for pallets that hand out work and judge it.
///
/// The job market picks the host for a job with [`HostRegistry::select_host`], reports how each
/// assignment went with [`HostRegistry::record_success`] and [`HostRegistry::record_miss`], and
/// punishes proven fraud with [`HostRegistry::slash`] and [`HostRegistry::jail`], without
/// depending on the compute pallet itself.
///
/// Every method is infallible and bounded: one about an account that is not a registered host
/// answers `false`, zero or `None`, and one that changes a host does nothing.
///
/// `AccountId`, `Balance` and `BlockNumber` are the runtime's types.
pub trait HostRegistry<AccountId, Balance, BlockNumber> {
	/// Whether `who` is a registered host that takes new work: neither chilled, jailed nor
	/// leaving.
	fn is_active(who: &AccountId) -> bool;

	/// Whether `who` is a registered host that lists `model` among the models it serves,
	/// whatever its status: combine with [`HostRegistry::is_active`] to know whether it takes
	/// new work for `model`.
	fn serves(who: &AccountId, model: ModelId) -> bool;

	/// The capacity weight of `who`, by which [`HostRegistry::select_host`] weighs it; zero if
	/// `who` is not a registered host.
	fn capacity_weight(who: &AccountId) -> u64;

	/// The reputation of `who`, from zero (none) to one (perfect); `None` if `who` is not a
	/// registered host.
	///
	/// It rises with every [`HostRegistry::record_success`] and falls with every
	/// [`HostRegistry::record_miss`], by steps the registry configures, and always stays between
	/// zero and one.
	fn reputation(who: &AccountId) -> Option<Perbill>;

	/// Records that `who` delivered what it was assigned, raising its reputation.
	fn record_success(who: &AccountId);

	/// Records that `who` missed what it was assigned (no result by the deadline), lowering its
	/// reputation.
	fn record_miss(who: &AccountId);

	/// Takes all of `who`'s reputation: a host convicted of fraud starts again from nothing,
	/// so that every result of its own is checked until it earns reputation back. Nothing if
	/// `who` is not a registered host.
	fn forfeit_reputation(who: &AccountId);

	/// Slashes `fraction` of the bond of `who` (rounded down) and returns the amount slashed.
	///
	/// The slashed amount goes to `beneficiary`, or is burned if `None` (or if the beneficiary
	/// cannot receive it). A host whose bond falls below the registry's minimum stops getting
	/// work until it bonds more. Hosts that are leaving can still be slashed until they withdraw.
	fn slash(who: &AccountId, fraction: Perbill, beneficiary: Option<&AccountId>) -> Balance;

	/// Jails `who` for `blocks` blocks from now: it gets no new work until then, and afterwards
	/// only once it asks to resume. Jailing a jailed host again keeps the later release; a host
	/// that is leaving already gets no work and stays as it is.
	fn jail(who: &AccountId, blocks: BlockNumber);

	/// The kind of executor `who` declares; `None` if `who` is not a registered host.
	fn executor_kind(who: &AccountId) -> Option<ExecutorKind>;

	/// Picks an active host that serves `model` and can check others' work, each with the same
	/// chance whatever its capacity weight (a host weighing zero still checks: proof of
	/// compute's verifiers), leaving out `exclude`; `None` if no host is left. A pure function
	/// of the registry's state and `seed`.
	fn select_checker(model: ModelId, exclude: &[AccountId], seed: [u8; 32]) -> Option<AccountId>;

	/// The bond `who` holds as a host; zero if `who` is not a registered host.
	fn bond(who: &AccountId) -> Balance;

	/// Sets the capacity weight of `who` again from its proven capacity (or, before anything
	/// can have been proven, from its declared hardware), in its record and in the selection
	/// index; nothing if `who` is not a registered host.
	fn refresh_capacity(who: &AccountId);

	/// The models `who` serves, in the order it listed them; empty if `who` is not a registered
	/// host.
	fn served_models(who: &AccountId) -> alloc::vec::Vec<ModelId>;

	/// Picks an active host that serves `model` and whose executor can take on `duty`, at
	/// random with probability proportional to its capacity weight, leaving out the accounts in
	/// `exclude`, and whose bond is at least `min_bond`; `None` if no host is left. A pick whose
	/// bond is smaller is left out and the pick made again, at most [`MAX_BOND_PICKS`] times
	/// (one host record read each, none when `min_bond` is zero): a market whose heaviest hosts
	/// cannot cover a job answers `None` rather than read every host.
	///
	/// The pick is a pure function of the registry's state and `seed`, so every node computes
	/// the same one; the caller provides an unpredictable seed (for example from the relay
	/// chain's randomness). Its cost is bounded by the registry's maximum number of hosts per
	/// model, times the length of `exclude`, which the caller bounds.
	fn select_host(
		model: ModelId,
		duty: Duty,
		exclude: &[AccountId],
		seed: [u8; 32],
		min_bond: Balance,
	) -> Option<AccountId>;

	/// Up to `limit` registered hosts, in the registry's storage order, starting after `after`
	/// (from the first when `None`), each with its capacity weight if it is active and zero
	/// otherwise; fewer than `limit` once the end is reached.
	///
	/// For pallets that walk the whole registry in bounded pages, one call per block (the
	/// emission's epoch snapshot). The order is stable while the registry does not change.
	fn hosts_page(after: Option<&AccountId>, limit: u32) -> alloc::vec::Vec<(AccountId, u64)>;

	/// `who`'s average effective weight (its capacity weight while active, zero while not)
	/// over the blocks since the previous call for it (or since it registered), and starts a
	/// new measurement: what a host held through an epoch, not at its end. Zero for an
	/// unknown account.
	fn take_average_capacity(who: &AccountId) -> u64;

	/// Registers `who` as an active host serving `model`, funding its bond out of thin air, so
	/// that other pallets' benchmarks can create the hosts their setup needs.
	#[cfg(feature = "runtime-benchmarks")]
	fn register_benchmark_host(
		who: &AccountId,
		model: ModelId,
	) -> Result<(), polkadot_sdk::sp_runtime::DispatchError>;

	/// Treats `who`'s current capacity weight as proven, so that it earns from the capacity
	/// pot in other pallets' benchmarks (which run no proof-of-compute window).
	#[cfg(feature = "runtime-benchmarks")]
	fn prove_benchmark_capacity(who: &AccountId);
}

/// Capacity proven by proof of compute, as the host registry reads it.
pub trait ProvenCapacity<AccountId> {
	/// Whether capacity is measured at all. Where it is, a weight that was not proven (the
	/// provisional one, before the first window) selects hosts but earns no emission.
	const MEASURED: bool = true;

	/// The proven weight of `who`; `None` while nothing can have been proven yet (before the
	/// chain's first proof-of-compute window has concluded), when the registry falls back to
	/// its provisional weight.
	fn proven_weight(who: &AccountId) -> Option<u64>;

	/// `who` left the registry: what it proved is forgotten, so that registering again starts
	/// from nothing, as any newcomer does.
	fn forget(_who: &AccountId) {}
}

/// No proof of compute: every weight is the registry's provisional one, and it earns.
impl<AccountId> ProvenCapacity<AccountId> for () {
	const MEASURED: bool = false;

	fn proven_weight(_: &AccountId) -> Option<u64> {
		None
	}
}

/// Where the job market reports verified work, so that emission can reward it.
///
/// Work is reported when a job is paid for after passing validation or without being drawn for
/// it: `units` is the job's tokens times its model's compute units per token.
pub trait WorkRecorder<AccountId> {
	/// Records `units` of verified work by `host`.
	fn record_work(host: &AccountId, units: u128);

	/// Records that `host` delivered a job assigned to it (it was paid for it).
	fn record_delivered(host: &AccountId);

	/// Records that `host` missed a job assigned to it: no result by the deadline, or a
	/// result convicted as a forgery.
	fn record_missed(host: &AccountId);

	/// Records that `host` failed a proof-of-compute confirmation window.
	fn record_unconfirmed(host: &AccountId);
}

impl<AccountId> WorkRecorder<AccountId> for () {
	fn record_work(_: &AccountId, _: u128) {}
	fn record_delivered(_: &AccountId) {}
	fn record_missed(_: &AccountId) {}
	fn record_unconfirmed(_: &AccountId) {}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn host_status_encoding_is_stable() {
		// The host registry stores it: its variants keep their indices.
		assert_eq!(HostStatus::<u32>::Active.encode(), [0]);
		assert_eq!(HostStatus::<u32>::Chilled.encode(), [1]);
		assert_eq!(HostStatus::Jailed { until: 7u32 }.encode(), [2, 7, 0, 0, 0]);
		assert_eq!(HostStatus::Leaving { unlock_at: 9u32 }.encode(), [3, 9, 0, 0, 0]);
	}
}
