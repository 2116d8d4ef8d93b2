//! Types of the host registry: what a host declares, what the registry stores about it, and the
//! entries of the selection index.

// The logic is held to the runtime's lint discipline; the FRAME macros in `lib.rs` are not.
#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use crate::Config;
use daya_primitives::{
	runtime_api::{GpuView, HostView},
	ExecutorKind, ModelId,
};
use polkadot_sdk::{
	frame_support::{pallet_prelude::*, traits::fungible},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::{
		serde::{Deserialize, Serialize},
		Perbill,
	},
};

/// The balance type of [`Config::Currency`], in which bonds are expressed.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// Where a host's executor answers, e.g. `https://gpu1.example.org:8443`: printable ASCII without
/// spaces, never empty.
pub type Endpoint<T> = BoundedVec<u8, <T as Config>::MaxEndpointLen>;

/// A GPU's model name, e.g. `H100-SXM5-80GB`: printable ASCII without spaces, never empty.
pub type GpuName<T> = BoundedVec<u8, <T as Config>::MaxGpuNameLen>;

/// A host's declared hardware: one entry per kind of GPU, never empty.
pub type Hardware<T> = BoundedVec<GpuSpec<T>, <T as Config>::MaxGpus>;

/// The models a host serves: never empty, without duplicates.
pub type ServedModels<T> = BoundedVec<ModelId, <T as Config>::MaxServedModels>;

/// The selection index of one model: its active hosts, each with its capacity weight.
pub type ModelIndex<T> = BoundedVec<
	IndexedHost<<T as frame_system::Config>::AccountId>,
	<T as Config>::MaxHostsPerModel,
>;

/// One kind of GPU in a host: `count` identical cards of `vram_mib` MiB each.
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
	Serialize,
	Deserialize,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
// Genesis hosts are given in the chain spec as JSON; `T` itself needs no serde.
#[serde(crate = "polkadot_sdk::sp_runtime::serde", bound = "", rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct GpuSpec<T: Config> {
	/// The GPU's model name; printable ASCII without spaces, never empty.
	pub name: GpuName<T>,
	/// Memory of one card, in MiB; never zero.
	pub vram_mib: u32,
	/// Number of such cards; never zero.
	pub count: u32,
}

impl<T: Config> GpuSpec<T> {
	/// The GPU as the runtime API shows it.
	pub fn view(&self) -> GpuView {
		GpuView { name: self.name.to_vec(), vram_mib: self.vram_mib, count: self.count }
	}
}

/// Where a host is in its life cycle: one type for the registry's storage and its runtime API,
/// defined in `daya-primitives` so that clients decode it too.
pub use daya_primitives::HostStatus;

/// A host registered at genesis, as the chain spec gives it in
/// [`crate::GenesisConfig::hosts`]: what [`crate::Pallet::register_host`] takes, and the account
/// that registers.
#[derive(CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Serialize, Deserialize)]
// Genesis hosts are given in the chain spec as JSON; `T` itself needs no serde.
#[serde(crate = "polkadot_sdk::sp_runtime::serde", bound = "", rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct GenesisHost<T: Config> {
	/// The host's account; it must hold at least `bond` (plus the existential deposit) from the
	/// balances pallet's genesis.
	pub account: T::AccountId,
	/// Where its executor answers.
	pub endpoint: Endpoint<T>,
	/// Its declared GPUs.
	pub hardware: Hardware<T>,
	/// The models it serves; each must be active in the model registry at genesis.
	pub served_models: ServedModels<T>,
	/// The bond held from its account; at least [`Config::MinHostBond`].
	pub bond: BalanceOf<T>,
}

/// A registered host, as stored in [`crate::Hosts`].
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct HostInfo<T: Config> {
	/// Where its executor answers.
	pub endpoint: Endpoint<T>,
	/// Its declared GPUs.
	pub hardware: Hardware<T>,
	/// The models it serves.
	pub served_models: ServedModels<T>,
	/// Its bond, held with [`crate::HoldReason::HostBond`]; always equal to the balance so held.
	pub bond: BalanceOf<T>,
	/// Where it is in its life cycle.
	pub status: HostStatus<BlockNumberFor<T>>,
	/// From zero to one: rises with delivered work, falls with missed work.
	pub reputation: Perbill,
	/// Its weight in host selection and where it comes from: proven by proof of compute, or
	/// until then provisional from `hardware` (see the crate docs, "Capacity weight").
	pub capacity: Capacity,
	/// What its executor can do, as it declares it ([`crate::Pallet::set_executor_kind`]).
	pub executor_kind: ExecutorKind,
	/// Block in which it registered.
	pub registered_at: BlockNumberFor<T>,
	/// Its effective weight integrated over time, for the emission's capacity pot.
	pub meter: CapacityMeter<BlockNumberFor<T>>,
	/// Duties missed in a row (jobs, validations, verdicts); any success resets it, and
	/// [`Config::ChillAfterMisses`] of them chill the host.
	pub missed_in_row: u32,
}

/// A host's weight in selection, and where it comes from. Storage version 1 of
/// [`crate::Hosts`]; version 0 kept the weight and a `proven` flag in two fields apart
/// ([`crate::migrations::v1`]).
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
pub enum Capacity {
	/// Provisional, from the declared hardware: it selects the host before its first proof,
	/// and earns nothing where capacity is measured.
	#[codec(index = 0)]
	Declared(u64),
	/// Proven by proof of compute.
	#[codec(index = 1)]
	Proven(u64),
}

impl Capacity {
	/// The weight, proven or not.
	pub fn weight(&self) -> u64 {
		match self {
			Self::Declared(weight) | Self::Proven(weight) => *weight,
		}
	}

	/// Whether proof of compute proved it.
	pub fn is_proven(&self) -> bool {
		matches!(self, Self::Proven(_))
	}
}

/// A host's effective weight integrated over time: what it held through an epoch, not at its
/// end. The meter reads `accrued + effective_weight * (now - since)` weight-blocks since
/// `read_at`.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CapacityMeter<BlockNumber> {
	/// The block from which the host's current effective weight counts.
	pub since: BlockNumber,
	/// Weight-blocks accrued from `read_at` to `since`.
	pub accrued: u128,
	/// The block of the last reading (or the registration).
	pub read_at: BlockNumber,
}

impl<BlockNumber: Copy> CapacityMeter<BlockNumber> {
	/// A meter starting at `now`.
	pub fn start(now: BlockNumber) -> Self {
		Self { since: now, accrued: 0, read_at: now }
	}
}

impl<T: Config> HostInfo<T> {
	/// Whether the host takes new work, and so belongs in the selection index.
	pub fn is_active(&self) -> bool {
		self.status == HostStatus::Active
	}

	/// Its weight for the capacity pot now: its capacity weight while active, zero otherwise,
	/// and zero for a provisional weight where capacity is measured (declared hardware selects
	/// hosts before the first proof, but never earns).
	pub fn effective_weight(&self) -> u64 {
		use daya_primitives::ProvenCapacity;
		let earns = self.capacity.is_proven()
			|| !<T::ProvenCapacity as ProvenCapacity<T::AccountId>>::MEASURED;
		if self.is_active() && earns {
			self.capacity.weight()
		} else {
			0
		}
	}

	/// Weight-blocks on its meter at `now`.
	pub fn metered(&self, now: BlockNumberFor<T>) -> u128 {
		use polkadot_sdk::sp_runtime::{traits::Saturating, SaturatedConversion};
		let blocks: u128 = now.saturating_sub(self.meter.since).saturated_into();
		self.meter
			.accrued
			.saturating_add(u128::from(self.effective_weight()).saturating_mul(blocks))
	}

	/// The host as the runtime API shows it: the same fields, with plain vectors in place of
	/// bounded ones.
	pub fn view(&self) -> HostView<BalanceOf<T>, BlockNumberFor<T>> {
		HostView {
			endpoint: self.endpoint.to_vec(),
			hardware: self.hardware.iter().map(GpuSpec::view).collect(),
			served_models: self.served_models.to_vec(),
			bond: self.bond,
			status: self.status,
			reputation: self.reputation,
			capacity_weight: self.capacity.weight(),
			executor_kind: self.executor_kind,
			registered_at: self.registered_at,
		}
	}
}

/// An entry of the selection index [`crate::HostsByModel`]: an active host, its capacity weight
/// and its executor's kind, copied from its [`HostInfo`] so that selection reads one storage
/// item per model instead of one per host.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct IndexedHost<AccountId> {
	/// The host.
	pub host: AccountId,
	/// Its capacity weight; always equal to the one in its [`HostInfo`].
	pub capacity_weight: u64,
	/// Its executor's kind; always equal to the one in its [`HostInfo`].
	pub executor_kind: ExecutorKind,
}

/// Worst-case inputs for benchmarks: every bounded field at its maximum length.
#[cfg(feature = "runtime-benchmarks")]
pub(crate) mod bench {
	use super::*;
	use alloc::vec;

	/// An endpoint of `T::MaxEndpointLen` bytes.
	pub fn endpoint<T: Config>() -> Endpoint<T> {
		BoundedVec::truncate_from(vec![b'e'; T::MaxEndpointLen::get() as usize])
	}

	/// `T::MaxGpus` kinds of GPU, each with a name of `T::MaxGpuNameLen` bytes.
	pub fn hardware<T: Config>() -> Hardware<T> {
		let gpu = GpuSpec::<T> {
			name: BoundedVec::truncate_from(vec![b'g'; T::MaxGpuNameLen::get() as usize]),
			vram_mib: 81_920,
			count: 8,
		};
		BoundedVec::truncate_from(vec![gpu; T::MaxGpus::get() as usize])
	}
}
