//! A mock runtime for the host registry's tests: `System`, `Balances` (with hold reasons) and
//! `Compute`, with a model registry kept in a thread-local table that tests change at will.

use crate::{self as pallet_daya_compute, Endpoint, GenesisHost, GpuSpec, Hardware, ServedModels};
use daya_primitives::{ModelId, ModelRegistry, ModelStatus, ModelTerms};
use polkadot_sdk::{
	frame_support::{self, derive_impl, parameter_types},
	frame_system, pallet_balances,
	sp_io::TestExternalities,
	sp_runtime::{BuildStorage, DispatchError, Perbill},
};
use std::{cell::RefCell, collections::BTreeMap};

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

/// A model in the mock registry.
#[derive(Clone, Copy)]
struct MockModel {
	status: ModelStatus,
	min_vram_mib: u32,
}

thread_local! {
	static MODELS: RefCell<BTreeMap<ModelId, MockModel>> = const { RefCell::new(BTreeMap::new()) };
}

/// The mock model registry: a table of models, changed by tests.
pub struct MockModels;

impl MockModels {
	/// Empties the registry.
	pub fn reset() {
		MODELS.with(|models| models.borrow_mut().clear());
	}

	/// Adds `model`, or changes its status, keeping its memory needs.
	pub fn set_status(model: ModelId, status: ModelStatus) {
		MODELS.with(|models| {
			models
				.borrow_mut()
				.entry(model)
				.and_modify(|entry| entry.status = status)
				.or_insert(MockModel { status, min_vram_mib: 0 });
		});
	}

	/// Sets how much memory `model` needs; it must exist.
	pub fn set_min_vram(model: ModelId, min_vram_mib: u32) {
		MODELS.with(|models| {
			if let Some(entry) = models.borrow_mut().get_mut(&model) {
				entry.min_vram_mib = min_vram_mib;
			}
		});
	}

	/// Removes `model`, which a real registry never does; for `try_state` tests.
	pub fn remove(model: ModelId) {
		MODELS.with(|models| models.borrow_mut().remove(&model));
	}

	fn get(model: ModelId) -> Option<MockModel> {
		MODELS.with(|models| models.borrow().get(&model).copied())
	}
}

impl ModelRegistry<Balance> for MockModels {
	fn status(model: ModelId) -> Option<ModelStatus> {
		Self::get(model).map(|entry| entry.status)
	}

	fn terms(model: ModelId) -> Option<ModelTerms<Balance>> {
		Self::get(model).map(|entry| ModelTerms {
			price_per_token: 10,
			compute_units_per_token: 1_000,
			validation: daya_primitives::ValidationPolicy {
				conclusive_margin_micro: 100_000,
				near_ties_base: 2,
				near_ties_per_kilo: 4,
				fingerprint_tolerance_ppm: 2_000,
			},
			min_vram_mib: entry.min_vram_mib,
			context_length: 8_192,
			max_output_tokens: 2_048,
			max_token_bytes: 16,
			weights_hash: [1; 32],
		})
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn register_benchmark_model() -> ModelId {
		let model = MODELS.with(|models| {
			models.borrow().keys().next_back().map_or(0, |last| last.saturating_add(1))
		});
		Self::set_status(model, ModelStatus::Active);
		model
	}
}

parameter_types! {
	/// Above one, so that a slash can be too small to create its beneficiary's account.
	pub const ExistentialDeposit: Balance = 5;
	pub const MinHostBond: Balance = 100;
	pub const UnbondingPeriod: u64 = 10;
	/// Small bounds, so that tests reach them.
	pub const MaxGpus: u32 = 3;
	pub const MaxServedModels: u32 = 3;
	pub const MaxEndpointLen: u32 = 32;
	pub const MaxGpuNameLen: u32 = 16;
	pub const MaxHosts: u32 = 6;
	pub const MaxHostsPerModel: u32 = 3;
	/// Below eight 80 GiB cards, so that tests reach the cap.
	pub const MaxCapacityPerHost: u64 = 500_000;
	pub const InitialReputation: Perbill = Perbill::from_percent(50);
	pub const ReputationGain: Perbill = Perbill::from_percent(1);
	pub const ReputationLoss: Perbill = Perbill::from_percent(10);
	pub const ChillAfterMisses: u32 = 3;
}

impl pallet_daya_compute::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = MockModels;
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

/// Models 0, 1 and 2 are active, 3 deprecated and 4 retired; none needs any memory.
pub fn default_models() {
	MockModels::reset();
	for model in 0..=2 {
		MockModels::set_status(model, ModelStatus::Active);
	}
	MockModels::set_status(3, ModelStatus::Deprecated);
	MockModels::set_status(4, ModelStatus::Retired);
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
