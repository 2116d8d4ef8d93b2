//! `pallet_daya_compute`: the registry of GPU hosts, their bonds, reputation and selection.

use polkadot_sdk::*;

use frame_support::parameter_types;
use sp_runtime::Perbill;

use crate::{Balance, Balances, BlockNumber, Models, Poc, Runtime, RuntimeHoldReason, DAYS, UNIT};

parameter_types! {
	/// The least a host bonds to serve: what a proven fraud can lose.
	pub const MinHostBond: Balance = 100 * UNIT;
	/// How long a leaving host's bond stays held, so late-found fraud can still be slashed.
	pub const UnbondingPeriod: BlockNumber = 7 * DAYS;
	/// GPU kinds in one host's hardware list.
	pub const MaxGpus: u32 = 8;
	/// Models one host serves at once.
	pub const MaxServedModels: u32 = 8;
	/// Longest executor endpoint URL.
	pub const MaxEndpointLen: u32 = 128;
	/// Longest GPU model name, e.g. `NVIDIA H100 80GB HBM3`.
	pub const MaxGpuNameLen: u32 = 32;
	/// Hosts registered at once.
	pub const MaxHosts: u32 = 10_000;
	/// Hosts in one model's selection index (selection reads the whole index: keep it bounded).
	pub const MaxHostsPerModel: u32 = 256;
	/// Cap on one host's provisional capacity weight (VRAM MiB x GPU count), which counts only
	/// until the chain's first proof-of-compute window concludes: eight 80 GiB GPUs.
	pub const MaxCapacityPerHost: u64 = 8 * 81_920;
	/// Reputation of a new host.
	pub const InitialReputation: Perbill = Perbill::from_percent(50);
	/// Reputation gained per served job.
	pub const ReputationGain: Perbill = Perbill::from_percent(1);
	/// Reputation lost per missed job.
	pub const ReputationLoss: Perbill = Perbill::from_percent(5);
	/// Duties missed in a row after which a host is chilled until its operator acts.
	pub const ChillAfterMisses: u32 = 3;
}

impl pallet_daya_compute::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = Models;
	type MinHostBond = MinHostBond;
	type UnbondingPeriod = UnbondingPeriod;
	type MaxGpus = MaxGpus;
	type MaxServedModels = MaxServedModels;
	type MaxEndpointLen = MaxEndpointLen;
	type MaxGpuNameLen = MaxGpuNameLen;
	type MaxHosts = MaxHosts;
	type MaxHostsPerModel = MaxHostsPerModel;
	type MaxCapacityPerHost = MaxCapacityPerHost;
	type InitialReputation = InitialReputation;
	type ReputationGain = ReputationGain;
	type ReputationLoss = ReputationLoss;
	type ChillAfterMisses = ChillAfterMisses;
	type WeightInfo = pallet_daya_compute::weights::SubstrateWeight<Runtime>;
	type ProvenCapacity = Poc;
}
