//! A mock runtime for proof of compute's tests: `System`, `Balances`, the real host registry
//! (`Compute`, with a one-model registry), a per-block randomness of its own and `Poc`.

use crate::{self as pallet_daya_poc};
use daya_primitives::{BlockSeed, ModelId, ModelRegistry, ModelStatus, ModelTerms, SeedSource};
use polkadot_sdk::{
	frame_support::{
		self, derive_impl, parameter_types,
		traits::{OnFinalize, OnInitialize},
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

	#[runtime::pallet_index(55)]
	pub type Poc = pallet_daya_poc;
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
	pub const MinHostBond: Balance = 1_000;
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

	/// A window every 20 blocks: 4 to compute, 2 to commit, 4 to verify, the rest to conclude.
	pub const WindowPeriod: BlockNumber = 20;
	pub const ComputeBlocks: BlockNumber = 4;
	pub const CommitBlocks: BlockNumber = 2;
	pub const VerifyBlocks: BlockNumber = 4;
	pub const Verifiers: u32 = 2;
	/// A bond of 100 covers a weight of 1,000.
	pub const CollateralPerWeight: Balance = 1;
	pub const FraudSlash: Perbill = Perbill::from_percent(20);
	pub const FraudJail: BlockNumber = 50;
	/// Two commitments per block, so that conclusions span blocks.
	pub const ConcludePerBlock: u32 = 2;
	/// Half the reference count confirms it.
	pub const ConfirmShare: Perbill = Perbill::from_percent(50);
	/// No confirmation windows unless a test asks for them (1: in the first idle block).
	pub storage ConfirmOdds: u32 = 0;
}

thread_local! {
	static UNCONFIRMED: core::cell::RefCell<Vec<AccountId>> =
		const { core::cell::RefCell::new(Vec::new()) };
}

/// Records the hosts reported as having failed a confirmation window.
pub struct MockService;

impl MockService {
	/// The hosts reported so far, in order.
	pub fn unconfirmed() -> Vec<AccountId> {
		UNCONFIRMED.with(|u| u.borrow().clone())
	}
}

impl daya_primitives::WorkRecorder<AccountId> for MockService {
	fn record_work(_: &AccountId, _: u128) {}
	fn record_delivered(_: &AccountId) {}
	fn record_missed(_: &AccountId) {}
	fn record_unconfirmed(host: &AccountId) {
		UNCONFIRMED.with(|u| u.borrow_mut().push(*host));
	}
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
	type ProvenCapacity = Poc;
}

/// The block's randomness: a hash of its number (nobody steers it in a test).
pub struct TestRandomness;

impl daya_primitives::BlockRandomness<BlockNumber> for TestRandomness {
	fn seed() -> Option<BlockSeed<BlockNumber>> {
		let block = System::block_number();
		Some(BlockSeed {
			seed: polkadot_sdk::sp_io::hashing::blake2_256(&block.to_le_bytes()),
			block,
			relay_block: block as u32,
			source: SeedSource::ParentHash,
		})
	}
}

impl pallet_daya_poc::Config for Test {
	type Currency = Balances;
	type Hosts = Compute;
	type Randomness = TestRandomness;
	type WindowPeriod = WindowPeriod;
	type ComputeBlocks = ComputeBlocks;
	type CommitBlocks = CommitBlocks;
	type VerifyBlocks = VerifyBlocks;
	type Verifiers = Verifiers;
	type CollateralPerWeight = CollateralPerWeight;
	type FraudSlash = FraudSlash;
	type FraudJail = FraudJail;
	type ConcludePerBlock = ConcludePerBlock;
	type ConfirmOdds = ConfirmOdds;
	type ConfirmShare = ConfirmShare;
	type Service = MockService;
	type WeightInfo = ();
}

/// Registers `who` as a host of one 80 GiB GPU serving model 0, with `bond`.
pub fn register_host(who: AccountId, bond: Balance) -> DispatchResult {
	Compute::register_host(
		RuntimeOrigin::signed(who),
		b"https://gpu.example.org".to_vec().try_into().expect("fits"),
		vec![pallet_daya_compute::GpuSpec {
			name: b"GPU".to_vec().try_into().expect("fits"),
			vram_mib: 81_920,
			count: 1,
		}]
		.try_into()
		.expect("fits"),
		vec![0].try_into().expect("fits"),
		bond,
	)
}

/// Moves to block `n`, running the hooks on the way and checking the invariants after each.
pub fn run_to_block(n: BlockNumber) {
	while System::block_number() < n {
		let now = System::block_number();
		AllPalletsWithSystem::on_finalize(now);
		System::set_block_number(now + 1);
		AllPalletsWithSystem::on_initialize(now + 1);
		Poc::do_try_state().expect("invariants hold after every block");
		Compute::do_try_state().expect("the registry's invariants hold after every block");
	}
}

/// Test externalities at block 1 with endowed accounts and these hosts, each with the minimum
/// bond.
pub fn new_test_ext(hosts: &[AccountId]) -> TestExternalities {
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
	UNCONFIRMED.with(|u| u.borrow_mut().clear());
	ext.execute_with(|| {
		System::set_block_number(1);
		for who in hosts {
			register_host(who, MinHostBond::get()).expect("a valid host");
		}
	});
	ext
}

/// Runs `test` with these hosts, checking the invariants after.
pub fn test_with(hosts: &[AccountId], test: impl FnOnce()) {
	new_test_ext(hosts).execute_with(|| {
		test();
		Poc::do_try_state().expect("invariants hold after the test");
		Compute::do_try_state().expect("the registry's invariants hold after the test");
	});
}
