//! A mock runtime for the emission's tests: `System`, `Balances`, the real host registry
//! (`Compute`, its test prelude's configuration, with one model in the shared mock registry) and
//! `Emission`.

use crate::{self as pallet_daya_emission};
use daya_primitives::WorkRecorder;
use pallet_daya_compute::testing::MockModels;
use polkadot_sdk::{
	frame_support::{self, derive_impl, parameter_types, PalletId},
	frame_system, pallet_balances,
	sp_io::TestExternalities,
	sp_runtime::{BuildStorage, DispatchResult, Perbill},
};

pub type AccountId = u64;
pub type Balance = u64;
pub type BlockNumber = u64;

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
pub const DAVE: AccountId = 4;
pub const EVE: AccountId = 5;
pub const TREASURY: AccountId = 100;
pub const ENDOWMENT: Balance = 1_000_000;

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
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(51)]
	pub type Compute = pallet_daya_compute;

	#[runtime::pallet_index(53)]
	pub type Emission = pallet_daya_emission;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = frame_system::mocking::MockBlock<Test>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type ExistentialDeposit = ExistentialDeposit;
	type RuntimeHoldReason = RuntimeHoldReason;
}

parameter_types! {
	pub const ExistentialDeposit: Balance = 1;
	pub const MaxHosts: u32 = 8;

	pub const EmissionPalletId: PalletId = PalletId(*b"daya/emi");
	pub const Treasury: AccountId = TREASURY;
	/// 25 blocks per epoch: room for a distribution of 8 hosts, 2 per block.
	pub const DefaultEpochLength: BlockNumber = 25;
	/// 1,000 per epoch, halving every 4 epochs, capped at 6,900: the cap cuts epoch 11 to 150.
	pub const InitialEpochReward: Balance = 1_000;
	pub const HalvingInterval: u32 = 4;
	pub const MaxEmission: Balance = 6_900;
	pub const TreasuryShare: Perbill = Perbill::from_percent(10);
	pub const CapacityShare: Perbill = Perbill::from_percent(50);
	pub const CapacityCapFactor: u32 = 2;
	/// Two hosts per block, so that distributions span blocks.
	pub const HostsPerBlock: u32 = 2;
}

#[derive_impl(pallet_daya_compute::config_preludes::TestDefaultConfig)]
impl pallet_daya_compute::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = MockModels;
}

/// The hosts' least bond.
pub type MinHostBond = <Test as pallet_daya_compute::Config>::MinHostBond;

impl pallet_daya_emission::Config for Test {
	type Currency = Balances;
	type Hosts = Compute;
	type PalletId = EmissionPalletId;
	type Treasury = Treasury;
	type DefaultEpochLength = DefaultEpochLength;
	type InitialEpochReward = InitialEpochReward;
	type HalvingInterval = HalvingInterval;
	type MaxEmission = MaxEmission;
	type TreasuryShare = TreasuryShare;
	type CapacityShare = CapacityShare;
	type CapacityCapFactor = CapacityCapFactor;
	type HostsPerBlock = HostsPerBlock;
	type MaxHosts = MaxHosts;
	type WeightInfo = ();
}

/// Registers `who` as a host of one GPU with `vram_mib` MiB (its capacity weight), serving
/// model 0, bonding [`MinHostBond`].
pub fn register_host(who: AccountId, vram_mib: u32) -> DispatchResult {
	pallet_daya_compute::testing::register_host::<Test>(who, vram_mib, &[0], MinHostBond::get())
}

/// Records `units` of verified work by `host`, as the job market would.
pub fn work(host: AccountId, units: u128) {
	<Emission as WorkRecorder<AccountId>>::record_work(&host, units);
}

/// Moves to block `n`, running the hooks on the way and checking both pallets' invariants
/// after each block.
pub fn run_to_block(n: BlockNumber) {
	System::run_to_block_with::<AllPalletsWithSystem>(
		n,
		frame_system::RunToBlockHooks::default().after_initialize(|_| check_invariants()),
	);
}

/// The emission's and the host registry's invariants.
pub fn check_invariants() {
	Emission::do_try_state().expect("the emission's invariants hold");
	Compute::do_try_state().expect("the host registry's invariants hold");
}

/// Runs until the epoch that ends next has been distributed.
pub fn finish_epoch() {
	let epoch = pallet_daya_emission::CurrentEpoch::<Test>::get();
	let due = pallet_daya_emission::EpochStart::<Test>::get() + Emission::epoch_length();
	run_to_block(due);
	while pallet_daya_emission::Distribution::<Test>::get().is_some_and(|d| d.epoch == epoch) {
		run_to_block(System::block_number() + 1);
	}
}

/// Test externalities at block 1 with endowed accounts and hosts of the given capacities.
pub fn new_test_ext(hosts: &[(AccountId, u32)]) -> TestExternalities {
	let storage = RuntimeGenesisConfig {
		balances: pallet_balances::GenesisConfig {
			balances: [ALICE, BOB, CHARLIE, DAVE, EVE, TREASURY]
				.into_iter()
				.map(|who| (who, ENDOWMENT))
				.collect(),
			..Default::default()
		},
		..Default::default()
	}
	.build_storage()
	.expect("the mock's genesis builds");
	MockModels::one_model();
	let mut ext = TestExternalities::new(storage);
	let hosts = hosts.to_vec();
	ext.execute_with(|| {
		System::set_block_number(1);
		for (who, vram) in hosts {
			register_host(who, vram).expect("a valid host");
		}
	});
	ext
}

/// Runs `test` with these hosts, checking both pallets' invariants before and after.
pub fn test_with(hosts: &[(AccountId, u32)], test: impl FnOnce()) {
	new_test_ext(hosts).execute_with(|| {
		check_invariants();
		test();
		check_invariants();
	});
}
