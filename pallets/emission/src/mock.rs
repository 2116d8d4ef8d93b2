//! A mock runtime for the emission's tests: `System`, `Balances`, the real host registry
//! (`Compute`, with a one-model registry) and `Emission`.

use crate::{self as pallet_daya_emission};
use daya_primitives::{ModelId, ModelRegistry, ModelStatus, ModelTerms, WorkRecorder};
use polkadot_sdk::{
	frame_support::{
		self, derive_impl, parameter_types,
		traits::{OnFinalize, OnInitialize},
		PalletId,
	},
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

/// One active model, id 0, that needs no memory.
pub struct OneModel;

impl ModelRegistry<Balance> for OneModel {
	fn status(model: ModelId) -> Option<ModelStatus> {
		(model == 0).then_some(ModelStatus::Active)
	}

	fn terms(model: ModelId) -> Option<ModelTerms<Balance>> {
		(model == 0).then_some(ModelTerms {
			price_per_token: 1,
			compute_units_per_token: 1,
			validation: daya_primitives::ValidationPolicy {
				conclusive_margin_micro: 100_000,
				near_ties_base: 2,
				near_ties_per_kilo: 4,
				fingerprint_tolerance_ppm: 2_000,
			},
			min_vram_mib: 0,
			context_length: 1_000,
			max_output_tokens: 100,
			max_token_bytes: 16,
			weights_hash: [0; 32],
		})
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn register_benchmark_model() -> ModelId {
		0
	}
}

parameter_types! {
	pub const ExistentialDeposit: Balance = 1;
	pub const MinHostBond: Balance = 100;
	pub const UnbondingPeriod: u64 = 10;
	pub const MaxGpus: u32 = 2;
	pub const MaxServedModels: u32 = 2;
	pub const MaxEndpointLen: u32 = 32;
	pub const MaxGpuNameLen: u32 = 16;
	pub const MaxHosts: u32 = 8;
	pub const MaxHostsPerModel: u32 = 8;
	pub const MaxCapacityPerHost: u64 = 1_000_000;
	pub const InitialReputation: Perbill = Perbill::from_percent(50);
	pub const ReputationGain: Perbill = Perbill::from_percent(1);
	pub const ReputationLoss: Perbill = Perbill::from_percent(5);
	pub const ChillAfterMisses: u32 = 3;

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

impl pallet_daya_compute::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = OneModel;
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
	type WeightInfo = ();
	type ProvenCapacity = ();
}

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
/// model 0.
pub fn register_host(who: AccountId, vram_mib: u32) -> DispatchResult {
	Compute::register_host(
		RuntimeOrigin::signed(who),
		b"https://gpu.example.org".to_vec().try_into().expect("fits"),
		vec![pallet_daya_compute::GpuSpec {
			name: b"GPU".to_vec().try_into().expect("fits"),
			vram_mib,
			count: 1,
		}]
		.try_into()
		.expect("fits"),
		vec![0].try_into().expect("fits"),
		MinHostBond::get(),
	)
}

/// Records `units` of verified work by `host`, as the job market would.
pub fn work(host: AccountId, units: u128) {
	<Emission as WorkRecorder<AccountId>>::record_work(&host, units);
}

/// Moves to block `n`, running the hooks on the way.
pub fn run_to_block(n: BlockNumber) {
	while System::block_number() < n {
		let now = System::block_number();
		AllPalletsWithSystem::on_finalize(now);
		System::set_block_number(now + 1);
		AllPalletsWithSystem::on_initialize(now + 1);
	}
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

/// Runs `test` with these hosts, checking the invariants after.
pub fn test_with(hosts: &[(AccountId, u32)], test: impl FnOnce()) {
	new_test_ext(hosts).execute_with(|| {
		test();
		Emission::do_try_state().expect("invariants hold after the test");
	});
}
