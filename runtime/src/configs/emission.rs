//! `pallet_daya_emission`: the DAYA emission schedule and its split between the treasury,
//! capacity and verified work.

use polkadot_sdk::*;

use frame_support::{parameter_types, PalletId};
use sp_runtime::Perbill;

use super::{compute::MaxHosts, inference::TreasuryAccount};
use crate::{Balance, Balances, BlockNumber, Compute, Runtime, UNIT};

parameter_types! {
	/// Rewards accrue in this pallet's account until they are claimed.
	pub const EmissionPalletId: PalletId = PalletId(*b"daya/emi");
	/// An epoch is 600 blocks: one hour at 6 s blocks. The dev and test chains' genesis sets 200
	/// (`genesis_config_presets::TEST_EPOCH_LENGTH`) in its place: read a chain's epoch length
	/// with `EmissionApi::epoch_length`.
	pub const DefaultEpochLength: BlockNumber = 600;
	/// 3,000 DAYA per epoch to begin with...
	pub const InitialEpochReward: Balance = 3_000 * UNIT;
	/// ... halving every 35,040 epochs: four years of hourly epochs.
	pub const HalvingInterval: u32 = 35_040;
	/// 210,240,000 DAYA: the limit of the halving series (3,000 x 35,040 x 2).
	pub const MaxEmission: Balance = 210_240_000 * UNIT;
	/// 10% of each epoch to the treasury...
	pub const TreasuryShare: Perbill = Perbill::from_percent(10);
	/// ... and of the rest, half by capacity, half by verified work.
	pub const CapacityShare: Perbill = Perbill::from_percent(50);
	/// A host's counted work is at most twice its capacity share of all work.
	pub const CapacityCapFactor: u32 = 2;
	/// Hosts a distribution handles per block: 10,000 hosts take at most 164 blocks of the 600
	/// (and of the development chain's 200). A page proves about 850 KiB, an epoch's end with
	/// its first page about a tenth of the block (the runtime's scale test). Below
	/// `MaxHostsPerModel`, so that the benchmarks fill a page with hosts of one model.
	pub const HostsPerBlock: u32 = 250;
}

impl pallet_daya_emission::Config for Runtime {
	type Currency = Balances;
	type Hosts = Compute;
	type PalletId = EmissionPalletId;
	type Treasury = TreasuryAccount;
	type DefaultEpochLength = DefaultEpochLength;
	type InitialEpochReward = InitialEpochReward;
	type HalvingInterval = HalvingInterval;
	type MaxEmission = MaxEmission;
	type TreasuryShare = TreasuryShare;
	type CapacityShare = CapacityShare;
	type CapacityCapFactor = CapacityCapFactor;
	type HostsPerBlock = HostsPerBlock;
	type MaxHosts = MaxHosts;
	type WeightInfo = pallet_daya_emission::weights::SubstrateWeight<Runtime>;
}
