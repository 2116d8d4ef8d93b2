//! A mock runtime for proof of compute's tests: `System`, `Balances`, the real host registry
//! (`Compute`, its test prelude's configuration, with one model in the shared mock registry), a
//! per-block randomness of its own and `Poc`.

use crate::{self as pallet_daya_poc};
use daya_primitives::{BlockSeed, SeedSource};
use pallet_daya_compute::testing::MockModels;
use polkadot_sdk::{
	frame_support::{self, derive_impl, parameter_types, traits::ConstU32},
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

parameter_types! {
	pub const ExistentialDeposit: Balance = 1;
	/// A bond of 1,000 covers a proven weight of 10,000 (see `CollateralPerWeight`).
	pub const MinHostBond: Balance = 1_000;

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

#[derive_impl(pallet_daya_compute::config_preludes::TestDefaultConfig)]
impl pallet_daya_compute::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = MockModels;
	type MinHostBond = MinHostBond;
	type ProvenCapacity = Poc;
	// Room for a registry larger than a window's participants.
	type MaxHosts = ConstU32<32>;
	type MaxHostsPerModel = ConstU32<32>;
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
	pallet_daya_compute::testing::register_host::<Test>(who, 81_920, &[0], bond)
}

/// Moves to block `n`, running the hooks on the way and checking the invariants after each.
pub fn run_to_block(n: BlockNumber) {
	System::run_to_block_with::<AllPalletsWithSystem>(
		n,
		frame_system::RunToBlockHooks::default().after_initialize(|_| check_invariants()),
	);
}

/// Proof of compute's and the host registry's invariants.
pub fn check_invariants() {
	Poc::do_try_state().expect("proof of compute's invariants hold");
	Compute::do_try_state().expect("the host registry's invariants hold");
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
	MockModels::one_model();
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

/// Runs `test` with these hosts, checking both pallets' invariants before and after.
pub fn test_with(hosts: &[AccountId], test: impl FnOnce()) {
	new_test_ext(hosts).execute_with(|| {
		check_invariants();
		test();
		check_invariants();
	});
}
