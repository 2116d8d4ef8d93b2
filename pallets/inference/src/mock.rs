//! A mock runtime for the job market's tests: `System`, `Balances`, the real host registry
//! (`Compute`, its test prelude's configuration, with the shared mock model registry) and
//! `Inference`, with a deterministic per-block seed, read after the inherents as the runtime's randomness pallet
//! does.

use crate::{self as pallet_daya_inference, Fingerprint, JobParams, JobResult, Output, Payload};
use codec::Encode;
use daya_primitives::{
	BlockRandomness, BlockSeed, JobId, ModelId, ModelStatus, ModelTerms, SeedSource, Usage,
};
pub use pallet_daya_compute::testing::MockModels;
use polkadot_sdk::{
	frame_support::{
		self, derive_impl, parameter_types,
		traits::{OnIdle, PostInherents},
		weights::Weight,
		PalletId,
	},
	frame_system, pallet_balances,
	sp_core::H256,
	sp_io::{hashing::blake2_256, TestExternalities},
	sp_runtime::{BuildStorage, DispatchResult, Perbill},
};
use std::{cell::RefCell, collections::BTreeMap};

pub type AccountId = u64;
pub type Balance = u64;
pub type BlockNumber = u64;

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
pub const DAVE: AccountId = 4;
pub const EVE: AccountId = 5;
pub const FERDIE: AccountId = 6;
pub const GRACE: AccountId = 7;
/// A consumer that cannot pay for much.
pub const POOR: AccountId = 8;
/// Consumers that are not hosts.
pub const CONSUMER: AccountId = 10;
pub const CONSUMER_2: AccountId = 11;
/// The treasury's account.
pub const TREASURY: AccountId = 100;

/// What every account but [`POOR`] starts with.
pub const ENDOWMENT: Balance = 1_000_000;
/// The most bytes one output token of a mock model adds to a text.
pub const MAX_TOKEN_BYTES: u32 = 16;
/// The price per token of every mock model.
pub const PRICE: Balance = 10;

/// Every mock model's terms: [`PRICE`], 150 tokens of context of which at most 128 output,
/// [`MAX_TOKEN_BYTES`], weights hash `[1; 32]` until a test ships new weights.
pub const TERMS: ModelTerms<u64> = ModelTerms {
	price_per_token: PRICE,
	context_length: 150,
	max_output_tokens: 128,
	max_token_bytes: MAX_TOKEN_BYTES,
	weights_hash: [1; 32],
	..pallet_daya_compute::testing::DEFAULT_TERMS
};

/// Models 0, 1 and 2 active (tests deprecate 2 once hosts serve it), 3 retired, all with
/// [`TERMS`].
fn reset_models() {
	MockModels::reset(
		TERMS,
		&[
			(0, ModelStatus::Active),
			(1, ModelStatus::Active),
			(2, ModelStatus::Active),
			(3, ModelStatus::Retired),
		],
	);
}

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

	#[runtime::pallet_index(52)]
	pub type Inference = pallet_daya_inference;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = frame_system::mocking::MockBlock<Test>;
	/// The block's seed first, then the job market's draws.
	type PostInherents = (MockRandomness, Inference);
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type ExistentialDeposit = ExistentialDeposit;
	type RuntimeHoldReason = RuntimeHoldReason;
}

thread_local! {
	static SEED_SALT: RefCell<u64> = const { RefCell::new(0) };
	static HELD_RELAY_PARENT: RefCell<Option<u32>> = const { RefCell::new(None) };
}

thread_local! {
	static WORK: RefCell<BTreeMap<AccountId, u128>> = const { RefCell::new(BTreeMap::new()) };
	static DELIVERY: RefCell<BTreeMap<AccountId, (u32, u32)>> =
		const { RefCell::new(BTreeMap::new()) };
}

/// Records reported work in a thread-local table.
pub struct MockWork;

impl MockWork {
	/// The work reported for `host` so far.
	pub fn of(host: AccountId) -> u128 {
		WORK.with(|work| work.borrow().get(&host).copied().unwrap_or(0))
	}

	/// The jobs `host` was reported to have delivered and missed so far.
	pub fn delivery(host: AccountId) -> (u32, u32) {
		DELIVERY.with(|d| d.borrow().get(&host).copied().unwrap_or_default())
	}
}

impl daya_primitives::WorkRecorder<AccountId> for MockWork {
	fn record_work(host: &AccountId, units: u128) {
		WORK.with(|work| *work.borrow_mut().entry(*host).or_default() += units);
	}

	fn record_delivered(host: &AccountId) {
		DELIVERY.with(|d| d.borrow_mut().entry(*host).or_default().0 += 1);
	}

	fn record_missed(host: &AccountId) {
		DELIVERY.with(|d| d.borrow_mut().entry(*host).or_default().1 += 1);
	}

	fn record_unconfirmed(_: &AccountId) {}
}

/// A deterministic per-block seed, read after the inherents ([`PostInherents`]): a hash of the
/// block number and [`SEED_SALT`], from "relay block" `block` (a relay block per block, unless a
/// test holds the relay parent with [`hold_relay_parent`]).
pub struct MockRandomness;

parameter_types! {
	/// The current seed, in storage (so that benchmark runs, which roll storage back, start
	/// from the same seed).
	pub storage MockSeed: Option<BlockSeed<BlockNumber>> = None;
}

impl BlockRandomness<BlockNumber> for MockRandomness {
	fn seed() -> Option<BlockSeed<BlockNumber>> {
		MockSeed::get()
	}
}

impl PostInherents for MockRandomness {
	fn post_inherents() {
		let block = System::block_number();
		let salt = SEED_SALT.with(|salt| *salt.borrow());
		let held = HELD_RELAY_PARENT.with(|held| *held.borrow());
		let relay_block = held.unwrap_or(block as u32);
		MockSeed::set(&Some(BlockSeed {
			seed: blake2_256(&(block, salt).encode()),
			block,
			relay_block,
			source: SeedSource::ParentHash,
		}));
	}
}

/// Makes the following blocks build on relay block `relay` (`None`: one relay block per block
/// again), as collators do when the relay chain is slower than the parachain.
pub fn hold_relay_parent(relay: Option<u32>) {
	HELD_RELAY_PARENT.with(|held| *held.borrow_mut() = relay);
}

/// Changes the randomness of every later block.
pub fn set_seed_salt(salt: u64) {
	SEED_SALT.with(|s| *s.borrow_mut() = salt);
}

parameter_types! {
	pub const ExistentialDeposit: Balance = 1;
	pub const MinHostBond: Balance = 1_000;
	pub const MaxServedModels: u32 = 3;
	pub const MaxHosts: u32 = 10;
	/// Hosts start fully trusted, so that [`MinSampleRate`] alone decides sampling in tests.
	pub storage InitialReputation: Perbill = Perbill::one();
	pub const ReputationLoss: Perbill = Perbill::from_percent(10);

	pub const InferencePalletId: PalletId = PalletId(*b"daya/inf");
	pub const Treasury: AccountId = TREASURY;
	pub const ProtocolFee: Perbill = Perbill::from_percent(10);
	pub const ValidatorPay: Perbill = Perbill::from_percent(6);
	pub const MaxPayloadLen: u32 = 64;
	pub const MaxOutputLen: u32 = 64;
	pub const MaxOutputTokens: u32 = 128;
	pub const ExecutionPeriod: BlockNumber = 5;
	pub const ValidationPeriod: BlockNumber = 3;
	/// Zero by default: no result is validated unless a test asks for it.
	pub storage MinSampleRate: Perbill = Perbill::zero();
	pub const DisputeValidators: u32 = 3;
	pub const FraudSlash: Perbill = Perbill::from_percent(50);
	pub const FraudJail: BlockNumber = 100;
	pub const FalseAccusationSlash: Perbill = Perbill::from_percent(10);
	pub const SilenceSlash: Perbill = Perbill::from_percent(1);
	pub const DisputeStaffingPeriod: BlockNumber = 4;
	pub const DisputeRounds: u32 = 2;
	pub const MaxOpenJobsPerAccount: u32 = 4;
	pub const MaxOpenJobs: u32 = 14;
	/// A test may lower it, so that hosts fill up.
	pub storage MaxOpenJobsPerHost: u32 = 16;
	/// Small, so that tests fill buckets.
	pub const MaxDeadlinesPerBlock: u32 = 3;
	/// Unbounded unless a test lowers it, so that deadlines and draws wait.
	pub storage MaxHookWeight: Weight = Weight::MAX;
	/// Small, so that tests fill the queue (new jobs its first half, six draws).
	pub const MaxPendingDraws: u32 = 12;
	pub const OutcomeRetention: BlockNumber = 20;
	pub const MaxOutcomes: u32 = 8;
}

#[derive_impl(pallet_daya_compute::config_preludes::TestDefaultConfig)]
impl pallet_daya_compute::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = MockModels;
	type MinHostBond = MinHostBond;
	type MaxServedModels = MaxServedModels;
	type MaxHosts = MaxHosts;
	type InitialReputation = InitialReputation;
	type ReputationLoss = ReputationLoss;
}

impl pallet_daya_inference::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = MockModels;
	type Hosts = Compute;
	type Work = MockWork;
	type OffchainWorker = ();
	type Randomness = MockRandomness;
	type ProofSize = MockProofSize;
	type PalletId = InferencePalletId;
	type Treasury = Treasury;
	type ProtocolFee = ProtocolFee;
	type ValidatorPay = ValidatorPay;
	type MaxPayloadLen = MaxPayloadLen;
	type MaxOutputLen = MaxOutputLen;
	type MaxOutputTokens = MaxOutputTokens;
	type ExecutionPeriod = ExecutionPeriod;
	type ValidationPeriod = ValidationPeriod;
	type MinSampleRate = MinSampleRate;
	type DisputeValidators = DisputeValidators;
	type FraudSlash = FraudSlash;
	type FraudJail = FraudJail;
	type FalseAccusationSlash = FalseAccusationSlash;
	type SilenceSlash = SilenceSlash;
	type DisputeStaffingPeriod = DisputeStaffingPeriod;
	type DisputeRounds = DisputeRounds;
	type MaxOpenJobsPerAccount = MaxOpenJobsPerAccount;
	type MaxOpenJobs = MaxOpenJobs;
	type MaxOpenJobsPerHost = MaxOpenJobsPerHost;
	type MaxDeadlinesPerBlock = MaxDeadlinesPerBlock;
	type MaxHookWeight = MaxHookWeight;
	type MaxPendingDraws = MaxPendingDraws;
	type OutcomeRetention = OutcomeRetention;
	type MaxOutcomes = MaxOutcomes;
	type WeightInfo = ();
}

/// Builds test externalities, runs a test in them, then checks the pallet's invariants.
#[derive(Default)]
pub struct ExtBuilder {
	hosts: Vec<(AccountId, Vec<ModelId>)>,
	sample_rate: Option<Perbill>,
}

impl ExtBuilder {
	/// Registers `who` as a host serving `models`, bonding [`MinHostBond`], before the test.
	pub fn with_host(mut self, who: AccountId, models: &[ModelId]) -> Self {
		self.hosts.push((who, models.to_vec()));
		self
	}

	/// Alice, Bob, Charlie, Dave and Eve serve models 0 and 2.
	pub fn with_hosts(self) -> Self {
		[ALICE, BOB, CHARLIE, DAVE, EVE]
			.into_iter()
			.fold(self, |builder, who| builder.with_host(who, &[0, 2]))
	}

	/// Validates results with this probability (zero by default).
	pub fn sample_rate(mut self, rate: Perbill) -> Self {
		self.sample_rate = Some(rate);
		self
	}

	/// The externalities after genesis, at block 1, before the hosts are registered.
	pub fn build(&self) -> TestExternalities {
		reset_models();
		SEED_SALT.with(|salt| *salt.borrow_mut() = 0);
		HELD_RELAY_PARENT.with(|held| *held.borrow_mut() = None);
		WORK.with(|work| work.borrow_mut().clear());
		DELIVERY.with(|d| d.borrow_mut().clear());
		let storage = RuntimeGenesisConfig {
			balances: pallet_balances::GenesisConfig {
				balances: [ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE, GRACE, CONSUMER, CONSUMER_2]
					.into_iter()
					.map(|who| (who, ENDOWMENT))
					.chain([(POOR, 100), (TREASURY, 1)])
					.collect(),
				..Default::default()
			},
			..Default::default()
		}
		.build_storage()
		.expect("the mock's genesis builds");
		let mut ext = TestExternalities::new(storage);
		ext.execute_with(|| {
			System::set_block_number(1);
			<Test as frame_system::Config>::PostInherents::post_inherents();
		});
		ext
	}

	/// Runs `test`, checking the job market's and the host registry's invariants before and
	/// after.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		let mut ext = self.build();
		ext.execute_with(|| {
			MinSampleRate::set(&self.sample_rate.unwrap_or_else(Perbill::zero));
			InitialReputation::set(&Perbill::one());
			for (who, models) in &self.hosts {
				register_host(*who, models).expect("a valid registration");
			}
			check_invariants();
			test();
			check_invariants();
		});
	}
}

/// Registers `who` as a host of one 80 GiB GPU serving `models`, bonding [`MinHostBond`].
pub fn register_host(who: AccountId, models: &[ModelId]) -> DispatchResult {
	pallet_daya_compute::testing::register_host::<Test>(who, 81_920, models, MinHostBond::get())
}

/// Moves to block `n`, running every pallet's hooks on the way (`on_initialize`, then what runs
/// after the inherents, then `on_idle` with a generous weight).
pub fn run_to_block(n: BlockNumber) {
	System::run_to_block_with::<AllPalletsWithSystem>(
		n,
		frame_system::RunToBlockHooks::default().after_initialize(|next| {
			<Test as frame_system::Config>::PostInherents::post_inherents();
			<AllPalletsWithSystem as OnIdle<BlockNumber>>::on_idle(
				next,
				Weight::from_parts(u64::MAX / 2, u64::MAX / 2),
			);
		}),
	);
}

/// The job market's and the host registry's invariants.
pub fn check_invariants() {
	Inference::do_try_state().expect("the job market's invariants hold");
	Compute::do_try_state().expect("the host registry's invariants hold");
}

/// Moves to the next block, in which the draws queued so far run.
pub fn next_block() {
	run_to_block(System::block_number() + 1);
}

/// A payload of `text`.
pub fn payload(text: &str) -> Payload<Test> {
	text.as_bytes().to_vec().try_into().expect("test payloads fit the bound")
}

/// An output of `text`.
pub fn output(text: &str) -> Output<Test> {
	text.as_bytes().to_vec().try_into().expect("test outputs fit the bound")
}

/// Submits a job for model 0 from `who` with a 10-byte prompt and at most 20 output tokens (an
/// escrow of 300), then moves to the next block, whose seed draws its executor.
pub fn submit(who: AccountId) -> Result<JobId, polkadot_sdk::sp_runtime::DispatchError> {
	let job_id = submit_unassigned(who)?;
	next_block();
	Ok(job_id)
}

/// Submits a job as [`submit`] does, without moving on: its executor is not drawn yet.
pub fn submit_unassigned(who: AccountId) -> Result<JobId, polkadot_sdk::sp_runtime::DispatchError> {
	let job_id = pallet_daya_inference::NextJobId::<Test>::get();
	Inference::submit_job(
		RuntimeOrigin::signed(who),
		0,
		payload("0123456789"),
		20,
		PRICE,
		JobParams::default(),
	)?;
	Ok(job_id)
}

/// The job's executor.
pub fn executor_of(job_id: JobId) -> AccountId {
	pallet_daya_inference::Jobs::<Test>::get(job_id)
		.expect("an open job")
		.executor
		.expect("an assigned job")
}

/// A result: `text`, `prompt_tokens` prompt tokens, `completion_tokens` output ids and a
/// fingerprint per started chunk of them.
pub fn result(text: &str, prompt_tokens: u32, completion_tokens: u32) -> JobResult<Test> {
	let chunks = daya_primitives::jobs::fingerprints_for(completion_tokens);
	JobResult {
		output: output(text),
		tokens: (0..completion_tokens)
			.map(|i| 100 + i)
			.collect::<Vec<_>>()
			.try_into()
			.expect("fits"),
		prompt_tokens,
		prompt_hash: H256::repeat_byte(7),
		fingerprints: (0..chunks)
			.map(|_| Fingerprint::default())
			.collect::<Vec<_>>()
			.try_into()
			.expect("fits"),
	}
}

/// Delivers `text` for `job_id` from its executor, with 8 prompt and 12 completion tokens.
pub fn deliver(job_id: JobId, text: &str) -> DispatchResult {
	Inference::submit_result(
		RuntimeOrigin::signed(executor_of(job_id)),
		job_id,
		result(text, 8, 12),
	)
	.map(|_| ())
	.map_err(|e| e.error)
}

/// A usage.
pub fn usage(prompt_tokens: u32, completion_tokens: u32) -> Usage {
	Usage { prompt_tokens, completion_tokens }
}

/// Free balance.
pub fn free(who: AccountId) -> Balance {
	Balances::free_balance(who)
}

/// Total issuance.
pub fn issuance() -> Balance {
	Balances::total_issuance()
}

thread_local! {
	/// The proof "recorded" so far in the block, where a test has the node record one
	/// ([`record_proof`]); each read adds [`PROOF_STEP`] bytes.
	static RECORDED_PROOF: core::cell::Cell<Option<u64>> = const { core::cell::Cell::new(None) };
}

/// What every read of the mock's recorded proof adds: a draw, read before and after, records
/// this much.
pub const PROOF_STEP: u64 = 100;

/// Has the mock node record the proof from now on (each draw then records [`PROOF_STEP`]
/// bytes), or stop.
pub fn record_proof(on: bool) {
	RECORDED_PROOF.with(|cell| cell.set(on.then_some(0)));
}

/// The mock node's recorded proof: [`record_proof`].
pub struct MockProofSize;

impl crate::ProofSize for MockProofSize {
	fn recorded() -> Option<u64> {
		RECORDED_PROOF.with(|cell| {
			let now = cell.get()?;
			cell.set(Some(now + PROOF_STEP));
			Some(now)
		})
	}
}
