//! A mock runtime for the host registry's tests: `System`, `Balances` (with hold reasons) and
//! `Compute`, configured by the pallet's test prelude, with the shared mock model registry
//! ([`crate::testing::MockModels`]) that tests change at will.

use crate::{self as pallet_daya_compute, Endpoint, GenesisHost, GpuSpec, Hardware, ServedModels};
use daya_primitives::{ModelId, ModelStatus};
use polkadot_sdk::{
	frame_support::{self, derive_impl, parameter_types},
	frame_system, pallet_balances,
	sp_io::TestExternalities,
	sp_runtime::{BuildStorage, DispatchError, Perbill},
};

/// Account ids of the mock.
pub type AccountId = u64;
/// Balances of the mock.
pub type Balance = u64;

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
pub const DAVE: AccountId = 4;
pub const EVE: AccountId = 5;
pub const FERDIE: AccountId = 6;
pub const GRACE: AccountId = 7;
/// An account with less than [`MinHostBond`].
pub const POOR: AccountId = 8;
/// An account that does not exist (no balance).
pub const NOBODY: AccountId = 99;

/// What every account but [`POOR`] starts with.
pub const ENDOWMENT: Balance = 10_000;

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
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = frame_system::mocking::MockBlock<Test>;
	// Real read and write costs, so that weights counting them are checked.
	type DbWeight = polkadot_sdk::frame_support::weights::constants::RocksDbWeight;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type ExistentialDeposit = ExistentialDeposit;
}

pub use crate::testing::MockModels;

parameter_types! {
	/// Above one, so that a slash can be too small to create its beneficiary's account.
	pub const ExistentialDeposit: Balance = 5;
	/// Small bounds, so that tests reach them.
	pub const MaxGpus: u32 = 3;
	pub const MaxServedModels: u32 = 3;
	pub const MaxHosts: u32 = 6;
	pub const MaxHostsPerModel: u32 = 3;
	/// Below eight 80 GiB cards, so that tests reach the cap.
	pub const MaxCapacityPerHost: u64 = 500_000;
	pub const ReputationLoss: Perbill = Perbill::from_percent(10);
}

/// What the tests read of the configuration the prelude gives.
pub type MinHostBond = <Test as pallet_daya_compute::Config>::MinHostBond;
pub type UnbondingPeriod = <Test as pallet_daya_compute::Config>::UnbondingPeriod;
pub type MaxEndpointLen = <Test as pallet_daya_compute::Config>::MaxEndpointLen;
pub type MaxGpuNameLen = <Test as pallet_daya_compute::Config>::MaxGpuNameLen;
pub type InitialReputation = <Test as pallet_daya_compute::Config>::InitialReputation;

#[derive_impl(pallet_daya_compute::config_preludes::TestDefaultConfig)]
impl pallet_daya_compute::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = MockModels;
	type MaxGpus = MaxGpus;
	type MaxServedModels = MaxServedModels;
	type MaxHosts = MaxHosts;
	type MaxHostsPerModel = MaxHostsPerModel;
	type MaxCapacityPerHost = MaxCapacityPerHost;
	type ReputationLoss = ReputationLoss;
}

/// Models 0, 1 and 2 are active, 3 deprecated and 4 retired; none needs any memory.
pub fn default_models() {
	use ModelStatus::*;
	let models = [(0, Active), (1, Active), (2, Active), (3, Deprecated), (4, Retired)];
	MockModels::reset(crate::testing::DEFAULT_TERMS, &models);
}

/// Fresh externalities at block 1 (events are only recorded after genesis), with the default
/// models, [`ENDOWMENT`] for accounts 1 to 7, 50 for [`POOR`], and no hosts.
pub fn new_test_ext() -> TestExternalities {
	ExtBuilder::default().build()
}

/// Builds test externalities, runs a test in them, then checks the pallet's invariants.
#[derive(Default)]
pub struct ExtBuilder {
	genesis_hosts: Vec<GenesisHost<Test>>,
	hosts: Vec<(AccountId, Vec<ModelId>)>,
}

impl ExtBuilder {
	/// Registers `who` as a host of [`hardware`] serving `models`, bonding [`MinHostBond`],
	/// before the test.
	pub fn with_host(mut self, who: AccountId, models: &[ModelId]) -> Self {
		self.hosts.push((who, models.to_vec()));
		self
	}

	/// Registers these hosts in the compute pallet's genesis, after the balances' genesis and
	/// with the default models in place; valid or not: building panics on an invalid one.
	pub fn with_genesis_hosts(
		mut self,
		hosts: impl IntoIterator<Item = GenesisHost<Test>>,
	) -> Self {
		self.genesis_hosts.extend(hosts);
		self
	}

	/// The externalities after genesis, at block 1, before the hosts of [`Self::with_host`].
	///
	/// The mock model registry is a thread-local table that genesis reads like any other
	/// storage, so the default models are put in place before genesis builds, as the models
	/// pallet's genesis would in a runtime.
	pub fn build(&self) -> TestExternalities {
		default_models();
		let storage = RuntimeGenesisConfig {
			balances: pallet_balances::GenesisConfig {
				balances: (ALICE..=GRACE).map(|who| (who, ENDOWMENT)).chain([(POOR, 50)]).collect(),
				..Default::default()
			},
			compute: pallet_daya_compute::GenesisConfig { hosts: self.genesis_hosts.clone() },
			..Default::default()
		}
		.build_storage()
		.expect("the mock's genesis builds");
		let mut ext = TestExternalities::new(storage);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Runs `test`, then `Compute::do_try_state()`.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		let mut ext = self.build();
		ext.execute_with(|| {
			for (who, models) in self.hosts {
				register(who, &models).expect("a valid registration");
			}
			Compute::do_try_state().expect("invariants hold before the test");
			test();
			Compute::do_try_state().expect("invariants hold after the test");
		});
	}
}

/// A valid endpoint.
pub fn endpoint(endpoint: &str) -> Endpoint<Test> {
	endpoint.as_bytes().to_vec().try_into().expect("test endpoints fit the bound")
}

/// `count` GPUs called `name` with `vram_mib` MiB each.
pub fn gpu(name: &str, vram_mib: u32, count: u32) -> GpuSpec<Test> {
	GpuSpec {
		name: name.as_bytes().to_vec().try_into().expect("test names fit the bound"),
		vram_mib,
		count,
	}
}

/// Hardware of the given GPUs.
pub fn hardware_of(gpus: Vec<GpuSpec<Test>>) -> Hardware<Test> {
	gpus.try_into().expect("test hardware fits the bound")
}

/// The default hardware: one 80 GiB H100, a capacity weight of 81,920.
pub fn hardware() -> Hardware<Test> {
	hardware_of(vec![gpu("H100", 81_920, 1)])
}

/// A list of served models.
pub fn served(models: &[ModelId]) -> ServedModels<Test> {
	models.to_vec().try_into().expect("test model lists fit the bound")
}

/// A genesis host `who` with the default endpoint and hardware, serving `models`, bonding
/// [`MinHostBond`].
pub fn genesis_host(who: AccountId, models: &[ModelId]) -> GenesisHost<Test> {
	GenesisHost {
		account: who,
		endpoint: endpoint("https://gpu.example.org"),
		hardware: hardware(),
		served_models: served(models),
		bond: MinHostBond::get(),
	}
}

/// Registers `who` with the default endpoint and hardware, serving `models`, bonding
/// [`MinHostBond`].
pub fn register(who: AccountId, models: &[ModelId]) -> Result<(), DispatchError> {
	Compute::register_host(
		RuntimeOrigin::signed(who),
		endpoint("https://gpu.example.org"),
		hardware(),
		served(models),
		MinHostBond::get(),
	)
}
