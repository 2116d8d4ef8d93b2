//! # Inference pallet
//!
//! Daya's job market: consumers (dApps, people) buy inference from the network's hosts, paying
//! per token, with their money held in escrow until the work is delivered and, when sampled,
//! checked by other hosts.
//!
//! ## Pallet API
//!
//! See the [`pallet`] module for the full API: [`Config`], [`Call`], [`Event`], [`Error`],
//! [`HoldReason`] and the storage items, [`Jobs`] first. A runtime implements
//! [`daya_primitives::runtime_api::InferenceApi`] by forwarding to the `api_*` functions of
//! [`Pallet`]. The pallet uses the model registry through [`daya_primitives::ModelRegistry`] and
//! the host registry through [`daya_primitives::HostRegistry`], never the pallets themselves.
//!
//! ## Overview
//!
//! A job's life:
//!
//! 1. **Submit.** A consumer calls [`Pallet::submit_job`] with a model, a prompt (the payload),
//!    the most output tokens it wants, the most it agrees to pay per token, and sampling
//!    parameters. The price is fixed at the model's current price; the *escrow*, `(prompt tokens
//!    + max output tokens) * price`, is held from the consumer ([`HoldReason::JobEscrow`]); the
//!    prompt's token count is bounded by its length in bytes, which no byte-level tokenizer
//!    exceeds. State keeps a bounded record ([`Job`]); the payload goes to the offchain index,
//!    under [`payload_key`], where the hosts' offchain workers read it. The job starts
//!    [`JobStatus::Unassigned`]: right after the inherents of the first block built on a later
//!    relay parent (usually the next block), one active host serving the model is drawn at
//!    random, weighted by capacity, never the consumer itself ([`Event::JobAssigned`]); a
//!    sampled job only among hosts whose executor replays the protocol's sampler (not the
//!    greedy-only ones, [`daya_primitives::Duty`]).
//! 2. **Execute.** The assigned host's executor runs the job, and the host submits the output
//!    with [`Pallet::submit_result`] before the deadline, [`Config::ExecutionPeriod`] blocks
//!    after assignment. State keeps only the output's hash and the usage; the output goes to the
//!    offchain index and stays in the block's extrinsic, from which any client reads it.
//! 3. **Validate, maybe.** A draw from the seed of a later relay block decides whether the
//!    result is checked: with probability `max(MinSampleRate, 1 - executor's reputation)`, so new hosts
//!    (reputation 50%) are checked often and trusted ones at least [`Config::MinSampleRate`]
//!    of the time. A sampled result gets a validator, another host serving the model (never the
//!    executor or the consumer, never a greedy-only host), which checks the result (its ids, where it stops, the sampler
//!    replayed from the job's sampling key, its fingerprints) and submits
//!    [`Pallet::submit_verdict`] with its judgement before [`Config::ValidationPeriod`] blocks
//!    are over. A pass shows the validator's *probe*, the model's hidden state at a position no
//!    fingerprint shows ([`daya_primitives::probe_position`]); the job is then
//!    [`JobStatus::Probing`] until its executor, which holds its own numbers, says whether the
//!    probe is the model's. A contested probe goes to a dispute about the probe (step 4): a
//!    validator that passed without computing loses [`Config::FraudSlash`] of its bond and all
//!    its reputation.
//! 4. **Dispute, maybe.** When the judgement names a fault, the job is
//!    [`JobStatus::Accused`], and up to [`Config::DisputeValidators`] more validators are drawn
//!    from the seed of a later relay block, each with the same chance among the hosts that can
//!    check the model ([`daya_primitives::HostRegistry::select_checker`]); a decision needs
//!    more than half of those drawn, silent ones included.
//!    Confirmed fraud refunds the consumer in full, slashes [`Pallet::fraud_penalty`] of the
//!    executor's bond (at least [`Config::FraudSlash`], and at least the fee over
//!    [`Config::MinSampleRate`]) and jails it for [`Config::FraudJail`] blocks; the slash goes
//!    to the validators who were right (the accuser and the dispute validators that agreed).
//!    An overturned accusation, or one tied by validators that all answered, costs the accuser
//!    reputation and [`Config::FalseAccusationSlash`] of its bond, which goes to the executor it
//!    accused. Silence never decides: silent validators lose [`Config::SilenceSlash`] of their
//!    bond and reputation, and the dispute is staffed again (at most [`Config::DisputeRounds`]
//!    rounds). An accusation nobody can staff waits up to [`Config::DisputeStaffingPeriod`]
//!    blocks. A dispute that cannot conclude ends [`JobEnd::Unresolved`]: the consumer is
//!    refunded, the accused is not paid.
//! 5. **Settle.** The fee is `(prompt + completion tokens) * price`, never above the escrow; the
//!    executor gets the fee less [`Config::ProtocolFee`], which goes to the validators that
//!    checked the result ([`Config::ValidatorPay`]) and the treasury; the rest of the escrow
//!    returns to the consumer; the executor's reputation rises. The executor is paid only once
//!    validation passed or was not drawn.
//!
//! A job whose executor misses its deadline is refunded in full, or, the first time, goes back to
//! be drawn again among the other hosts, with a fresh deadline; the host that missed loses
//! reputation. A consumer can [`Pallet::cancel_job`] a job that has no result yet: at once
//! while no executor has it, and otherwise at its execution deadline, when a result delivered
//! by then is still paid for (its output may have been read in the transaction pool).
//!
//! ## Example
//!
//! A job's life without validation (a test of this crate, run with its tests): `submit` calls
//! [`Pallet::submit_job`] for model 0 and moves to the next block, where the executor is drawn;
//! `deliver` calls [`Pallet::submit_result`] as that executor; at the next block the job is
//! settled and its outcome kept.
//!
#![doc = docify::embed!("src/tests.rs", an_unsampled_result_is_paid_at_the_next_block)]
//!
//! ## Low level details
//!
//! ### Randomness
//!
//! Every draw (a job's executor, whether a result is validated and by whom, a dispute's
//! validators, a reassignment) uses [`Config::Randomness`]: one seed per block, read right after
//! the inherents (in Daya's runtime, `pallet-daya-randomness`: the relay parent's BABE per-block
//! VRF output). A block's author knows that seed while it picks the block's transactions, so a
//! draw never uses the seed of the block that holds its subject: it is queued in [`Draws`] with
//! the relay block of the seed current then ([`PendingDraw::after`]), and runs after the
//! inherents of the first block whose seed comes from a later relay block
//! (`Pallet::do_draws`, through `PostInherents`). A consumer cannot choose its job id; an
//! executor cannot learn whether it will be checked before it commits to an output; an author
//! cannot reorder, insert or drop its own block's transactions to steer a draw about them.
//!
//! What a collator could still bias: which relay parent it builds on, among the few the relay
//! chain accepts (it may know one or two newer relay blocks' randomness and pick among them for
//! the draws its block decides), and whether it produces its block at all (skipping its slot,
//! which costs it the block and shows). A relay block's author knows its own VRF output; that
//! collusion is out of this pallet's reach, as for every parachain using relay randomness. On a
//! dev chain without relay randomness, the parent hash stands in and the single author decides.
//!
//! ### Bounded state and work
//!
//! - Open jobs: at most [`Config::MaxOpenJobs`] in all and [`Config::MaxOpenJobsPerAccount`]
//!   per consumer. One open job takes at most `Job::max_encoded_len()` bytes of state plus its
//!   keys and list entries (see `docs/job-market.md` for the runtime's numbers: under 512).
//! - Each host's part in open jobs (executor, validator, a dispute's validator) is listed in
//!   [`WorkOf`], at most [`Config::MaxOpenJobsPerHost`] per host: what a host's offchain worker
//!   reads ([`Pallet::api_work_of`]), whatever the size of the market. A draw leaves out hosts at
//!   their bound ([`MAX_BUSY_PICKS`] picks a block) and, when every pick is busy, waits for a
//!   later block: an unassigned job for at most [`Config::ExecutionPeriod`] blocks (then it is
//!   refunded), a result drawn for validation ([`JobStatus::Checking`]) for at most
//!   [`Config::DisputeStaffingPeriod`] blocks after its delivery (then it ends
//!   [`JobEnd::Unresolved`]: a drawn check never becomes a payment without a verdict).
//! - Deadlines are bucketed by block ([`Deadlines`]), at most [`Config::MaxDeadlinesPerBlock`]
//!   per block; a step whose bucket is full goes to one of the next few blocks, and a draw that
//!   finds no room waits in the queue for the next block. Draws waiting for a seed are capped by
//!   [`Config::MaxPendingDraws`] ([`Error::DrawsFull`] for a submission, a result or an
//!   accusation; the caller tries again in a later block), new jobs' draws by half of it, the
//!   other half kept for the jobs already in the market ([`Pallet::submission_draws`]).
//!   `on_initialize` works within [`Config::MaxHookWeight`]: it handles the buckets from the
//!   oldest it has not finished ([`DeadlineCursor`]), each deadline counted at the most a
//!   time-out can cost, then reserves for the queued draws as much of the rest as their kinds'
//!   bounds add up to ([`DrawBudget`], [`Pallet::draw_bound`]; queued draws keep up to half
//!   of the budget from the deadlines). After the inherents each ready draw runs, in order,
//!   while its kind's bound fits what is left of the reservation, and takes from it what it
//!   cost: its branch's benchmark in ref time, its proof as the node recorded it
//!   ([`Config::ProofSize`], the estimate where none is recorded; [`Pallet::draw_cost`]); what
//!   the draws did not use goes back to the block before any transaction. The rest waits for
//!   the next blocks, in order, and a step whose deadline passed stays closed meanwhile. It
//!   reports the weight of what it did (each job costs by where it went) and of the draws'
//!   reservation.
//! - Finished jobs leave [`Jobs`] at once; their [`daya_primitives::JobOutcome`] stays in
//!   [`Outcomes`] for [`Config::OutcomeRetention`] blocks, at most [`Config::MaxOutcomes`] of
//!   them (the oldest go first), pruned in `on_idle`.
//!
//! ### Money
//!
//! Every job's escrow is held from its consumer, and at its end split into what the executor
//! gets, the protocol fee and the refund, which add up to the escrow exactly: nothing is minted
//! or burned by the market. A payment that cannot be made (a recipient that cannot exist with
//! it) returns to the consumer instead, so nothing is lost. Slashes move funds from bonds to the
//! validators or the executor, through the pallet's account, which is empty between calls.
//!
//! ### Invariants
//!
//! Checked by `Pallet::do_try_state` (the `try_state` hook, and after every test):
//!
//! - Each consumer's balance held for [`HoldReason::JobEscrow`] equals the sum of its open jobs'
//!   escrows.
//! - [`WorkOf`] lists exactly the open jobs in which each host has a part ([`Job::roles`]).
//! - [`JobsOf`] lists exactly each consumer's open jobs; the job counter matches [`Jobs`]; no id
//!   reaches [`NextJobId`]; no open job has an outcome (none is both open and ended).
//! - A job's status agrees with its delivery (a result exists exactly when the job is not
//!   assigned); a job has an executor exactly when it is not unassigned; validators are never
//!   the executor or the consumer, nor the executor the consumer; each open job waiting for a
//!   deadline is in that block's bucket; each job waiting for a draw (unassigned, delivered,
//!   accused) is queued exactly once, and every queued draw is about such a job or one that
//!   ended; the queue is in the order of its seeds.
//! - Every outcome's fee and refund add up to at most its job's escrow, with the protocol fee
//!   part of the fee, and the outcome queue holds at most [`Config::MaxOutcomes`] entries.
//! - The pallet's own account holds nothing between calls.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod impls;
pub mod migrations;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use daya_primitives::{
	Fault, Fingerprint, HostRegistry, JobEnd, JobId, JobOutcome, JobParams, Judgement, ModelId,
	ModelRegistry, PayloadFormat, Usage, ValidationPolicy,
};
pub use impls::MAX_BUSY_PICKS;
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use polkadot_sdk::{frame_support, frame_system};

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::fungible, PalletId};
	use frame_system::pallet_prelude::*;
	use polkadot_sdk::{sp_core::H256, sp_runtime::Perbill};

	/// The storage layout's version: 1 since each host's open jobs are indexed ([`WorkOf`],
	/// built from the open jobs by [`crate::migrations::v1`]).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the job market.
	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency in which jobs are paid and escrows held.
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reason, of which [`HoldReason`] is a part.
		type RuntimeHoldReason: From<HoldReason>;

		/// The model registry: which models take jobs, at what price and terms.
		type Models: ModelRegistry<BalanceOf<Self>>;

		/// The host registry: who serves which model, selection, reputation, slashing.
		type Hosts: HostRegistry<Self::AccountId, BalanceOf<Self>, BlockNumberFor<Self>>;

		/// Where verified work is reported (the emission pallet), when a job is paid for: its
		/// tokens times its model's compute units per token. `()` reports nowhere.
		type Work: daya_primitives::WorkRecorder<Self::AccountId>;

		/// The per-block randomness from which executors, validation samples and validators are
		/// drawn, each from the seed of a later relay block than what it is about (see the
		/// crate docs). In Daya's runtime: `pallet-daya-randomness`.
		type Randomness: daya_primitives::BlockRandomness<BlockNumberFor<Self>>;

		/// The proof of validity recorded so far in the block, in bytes, where the node records
		/// one (`None` elsewhere): each draw after the inherents is charged the proof it
		/// recorded, as the storage-weight reclaim charges an extrinsic, in place of its
		/// estimate. In Daya's runtime: cumulus's `storage_proof_size` host function. `()`
		/// records none (every draw charged its estimate).
		type ProofSize: ProofSize;

		/// The pallet's id, from which its account (through which slashes are shared out) is
		/// derived.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// Where protocol fees go: the treasury's account. It must exist (hold at least the
		/// existential deposit), or fees smaller than that return to the consumer.
		type Treasury: Get<Self::AccountId>;

		/// The share of each fee that is not the executor's: it goes to the treasury, less
		/// [`Config::ValidatorPay`] when the result was checked.
		#[pallet::constant]
		type ProtocolFee: Get<Perbill>;

		/// The share of a checked job's fee paid to the validators that checked it, out of the
		/// protocol fee (at most [`Config::ProtocolFee`]): to the validator whose verdict
		/// passed the result, or in equal parts to the dispute's validators that found an
		/// accused result valid. A validator that owed a verdict and gave none loses at least
		/// as much from its bond.
		#[pallet::constant]
		type ValidatorPay: Get<Perbill>;

		/// Maximum length of a job's payload, in bytes. Must not be zero.
		#[pallet::constant]
		type MaxPayloadLen: Get<u32>;

		/// Maximum length of a job's output, in bytes. Must not be zero.
		#[pallet::constant]
		type MaxOutputLen: Get<u32>;

		/// Maximum output tokens of one job, whatever its model allows. Must not be zero.
		#[pallet::constant]
		type MaxOutputTokens: Get<u32>;

		/// Blocks an executor has to deliver a job's result. Must not be zero.
		#[pallet::constant]
		type ExecutionPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks validators have to give their verdicts. Must not be zero.
		#[pallet::constant]
		type ValidationPeriod: Get<BlockNumberFor<Self>>;

		/// The least probability that a result is validated, whatever the executor's reputation.
		#[pallet::constant]
		type MinSampleRate: Get<Perbill>;

		/// How many more validators a dispute gets. Must not be zero.
		#[pallet::constant]
		type DisputeValidators: Get<u32>;

		/// The share of its bond an executor loses for confirmed fraud.
		#[pallet::constant]
		type FraudSlash: Get<Perbill>;

		/// Blocks an executor is jailed for confirmed fraud.
		#[pallet::constant]
		type FraudJail: Get<BlockNumberFor<Self>>;

		/// The share of its bond a validator loses when its accusation is overturned, or left
		/// tied by a dispute whose validators all answered.
		#[pallet::constant]
		type FalseAccusationSlash: Get<Perbill>;

		/// The share of its bond a validator loses for a verdict it owed and did not give (on
		/// top of reputation); it goes to the treasury.
		#[pallet::constant]
		type SilenceSlash: Get<Perbill>;

		/// Blocks an accused result waits for its dispute's validators to be drawn (too few
		/// other hosts serving the model can check it now) before it ends
		/// [`JobEnd::Unresolved`]: the consumer refunded, the executor unpaid.
		#[pallet::constant]
		type DisputeStaffingPeriod: Get<BlockNumberFor<Self>>;

		/// How many times a dispute is staffed again when silent validators left it without a
		/// majority, before it ends [`JobEnd::Unresolved`]. Must not be zero.
		#[pallet::constant]
		type DisputeRounds: Get<u32>;

		/// Maximum number of open jobs per consumer. Must not be zero.
		#[pallet::constant]
		type MaxOpenJobsPerAccount: Get<u32>;

		/// Maximum number of open jobs in all. Must not be zero.
		#[pallet::constant]
		type MaxOpenJobs: Get<u32>;

		/// Maximum number of open jobs in which one host has a part at once: as their executor,
		/// their validator, or one of their dispute's validators ([`WorkOf`]). A host at this
		/// bound is not drawn for more until one of its jobs ends. Must not be zero.
		#[pallet::constant]
		type MaxOpenJobsPerHost: Get<u32>;

		/// Maximum number of deadlines in one block's bucket. Must not be zero.
		#[pallet::constant]
		type MaxDeadlinesPerBlock: Get<u32>;

		/// The most weight `on_initialize` gives to the job market's deadlines and queued draws
		/// in one block, counting each at the most it can cost. Deadlines it does not reach stay
		/// in their buckets, oldest first, and draws in the queue, for the next blocks: never
		/// refused, never lost, and nobody can act on a step whose deadline passed meanwhile.
		/// Queued draws keep up to half of it from the deadlines. Must allow a deadline in one
		/// half and a draw in the other.
		#[pallet::constant]
		type MaxHookWeight: Get<Weight>;

		/// Maximum number of random draws waiting for a later relay block's seed: jobs to
		/// assign, results to sample, accusations to staff. New jobs may queue theirs while the
		/// queue holds at most half of it ([`Pallet::submission_draws`]): the other half is
		/// kept for the draws of jobs already in the market, so that submissions, however
		/// many, never crowd out a result, an accusation or a dispute's next round. At least 2.
		#[pallet::constant]
		type MaxPendingDraws: Get<u32>;

		/// Blocks for which a finished job's outcome stays queryable.
		#[pallet::constant]
		type OutcomeRetention: Get<BlockNumberFor<Self>>;

		/// Maximum number of outcomes kept. Must not be zero.
		#[pallet::constant]
		type MaxOutcomes: Get<u32>;

		/// What the pallet's offchain worker runs after each imported block: in the runtime,
		/// `daya-offchain`'s engine, which hands the work assigned to the node's host keys to
		/// their executors and posts the signed results. `()` runs nothing.
		type OffchainWorker: polkadot_sdk::frame_support::traits::OffchainWorker<
			BlockNumberFor<Self>,
		>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A job's escrow: the most the job can cost, held from its consumer until settlement.
		#[codec(index = 0)]
		JobEscrow,
	}

	/// The id the next job gets.
	#[pallet::storage]
	pub type NextJobId<T: Config> = StorageValue<_, JobId, ValueQuery>;

	/// The open jobs, by id. At most [`Config::MaxOpenJobs`].
	///
	/// `Twox64Concat` is safe: ids are assigned sequentially.
	#[pallet::storage]
	pub type Jobs<T: Config> = CountedStorageMap<_, Twox64Concat, JobId, Job<T>>;

	/// The open jobs of each consumer, oldest first. No entry is empty.
	#[pallet::storage]
	pub type JobsOf<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, JobList<T>>;

	/// The open jobs in which each host has a part ([`Job::roles`]): as their executor, their
	/// validator, or one of their dispute's validators, oldest part first. At most
	/// [`Config::MaxOpenJobsPerHost`] each; no entry is empty. What a host's offchain worker
	/// reads to find its work ([`Pallet::api_work_of`]), whatever the size of the market.
	#[pallet::storage]
	pub type WorkOf<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, HostJobs<T>>;

	/// The oldest block whose deadline bucket may still hold steps to time out: buckets are
	/// handled from it on, as far as [`Config::MaxHookWeight`] allows; `None` before the first
	/// block.
	#[pallet::storage]
	pub type DeadlineCursor<T: Config> = StorageValue<_, BlockNumberFor<T>>;

	/// The weight the current block's `on_initialize` accounted for the draws that run after
	/// the inherents: each ready draw, in order, runs while its kind's bound fits what is left
	/// of it ([`Pallet::draw_bound`]) and takes what it cost ([`Pallet::draw_cost`], the proof
	/// as recorded); what they did not use goes back to the block. Set and taken within the
	/// block.
	#[pallet::storage]
	pub type DrawBudget<T: Config> = StorageValue<_, Weight>;

	/// For each block, the jobs whose current step times out at its start. Entries of jobs that
	/// moved on are skipped when the bucket is handled; a bucket the hook's weight did not reach
	/// in its block is handled in the next ones ([`DeadlineCursor`]).
	#[pallet::storage]
	pub type Deadlines<T: Config> =
		StorageMap<_, Twox64Concat, BlockNumberFor<T>, DeadlineBucket<T>, ValueQuery>;

	/// The random draws waiting for the seed of a later relay block than the one current when
	/// they were queued, oldest first; drawn right after the inherents of the first block that
	/// has one. Entries of jobs that ended meanwhile (cancelled) are dropped then.
	#[pallet::storage]
	pub type Draws<T: Config> = StorageValue<_, DrawQueue<T>, ValueQuery>;

	/// How recently finished jobs ended, by id, for [`Config::OutcomeRetention`] blocks.
	#[pallet::storage]
	pub type Outcomes<T: Config> = StorageMap<_, Twox64Concat, JobId, OutcomeOf<T>>;

	/// The order in which outcomes were recorded, from [`OutcomeHead`] (oldest) to
	/// [`OutcomeTail`] (excluded), so that the oldest are pruned first.
	#[pallet::storage]
	pub type OutcomeQueue<T: Config> = StorageMap<_, Twox64Concat, u64, JobId>;

	/// Position of the oldest outcome in [`OutcomeQueue`].
	#[pallet::storage]
	pub type OutcomeHead<T: Config> = StorageValue<_, u64, ValueQuery>;

	/// Position after the newest outcome in [`OutcomeQueue`].
	#[pallet::storage]
	pub type OutcomeTail<T: Config> = StorageValue<_, u64, ValueQuery>;

	/// Probes whose executor said they are not the model's, while their dispute runs: the
	/// validator that showed it, and the probe. At most one per open job.
	#[pallet::storage]
	pub type ContestedProbes<T: Config> =
		StorageMap<_, Twox64Concat, JobId, (T::AccountId, Fingerprint)>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A job was submitted and its escrow held; its executor is drawn from the seed of a
		/// later relay block ([`Event::JobAssigned`]).
		JobSubmitted {
			/// The job.
			job_id: JobId,
			/// Who pays for it.
			consumer: T::AccountId,
			/// Its model.
			model: ModelId,
			/// What is held until settlement.
			escrow: BalanceOf<T>,
			/// BLAKE2-256 of the payload, which the offchain index holds.
			payload_hash: H256,
		},
		/// A submitted job's executor was drawn.
		JobAssigned {
			/// The job.
			job_id: JobId,
			/// The host that executes it.
			executor: T::AccountId,
			/// The block at whose start execution times out.
			deadline: BlockNumberFor<T>,
		},
		/// The executor delivered a job's result.
		ResultSubmitted {
			/// The job.
			job_id: JobId,
			/// The executor.
			executor: T::AccountId,
			/// BLAKE2-256 of the output, which the extrinsic carries in full.
			output_hash: H256,
			/// The tokens it reports.
			usage: Usage,
		},
		/// A result was drawn for validation and a validator assigned.
		ValidationRequested {
			/// The job.
			job_id: JobId,
			/// The validator.
			validator: T::AccountId,
			/// The block at whose start validation times out.
			deadline: BlockNumberFor<T>,
		},
		/// A validator gave its verdict.
		VerdictSubmitted {
			/// The job.
			job_id: JobId,
			/// The validator.
			validator: T::AccountId,
			/// What it found.
			judgement: Judgement,
		},
		/// A validator found a fault in a result, and the validators that decide
		/// were drawn.
		DisputeOpened {
			/// The job.
			job_id: JobId,
			/// The validator that found it.
			accuser: T::AccountId,
			/// The validators that decide.
			validators: alloc::vec::Vec<T::AccountId>,
			/// The block at whose start the dispute is decided with the verdicts given.
			deadline: BlockNumberFor<T>,
		},
		/// The dispute's validators confirmed the fraud: the consumer was refunded, the executor
		/// slashed and jailed.
		FraudConfirmed {
			/// The job.
			job_id: JobId,
			/// The executor.
			executor: T::AccountId,
			/// What was taken from its bond and shared among the validators who were right.
			slashed: BalanceOf<T>,
		},
		/// The dispute's validators overturned the accusation: the accuser was slashed in
		/// favour of the accused (the executor, or the validator whose probe an executor
		/// contested), and the job is paid.
		AccusationOverturned {
			/// The job.
			job_id: JobId,
			/// The host that accused wrongly.
			accuser: T::AccountId,
			/// What was taken from its bond and given to the accused.
			slashed: BalanceOf<T>,
		},
		/// A validator passed a result and showed its probe; the executor says whether the
		/// probe is the model's by `deadline`.
		ProbeShown {
			/// The job.
			job_id: JobId,
			/// The validator.
			validator: T::AccountId,
			/// The block at whose start the executor's time is over.
			deadline: BlockNumberFor<T>,
		},
		/// The executor said a validator's probe is not the model's: the dispute's validators,
		/// drawn from the seed of a later relay block, judge the probe.
		ProbeContested {
			/// The job.
			job_id: JobId,
			/// The validator whose probe is contested.
			validator: T::AccountId,
		},
		/// A result of a batch ([`Pallet::submit_results`]) was refused and changed nothing;
		/// the batch's other results stand.
		ResultRefused {
			/// The job.
			job_id: JobId,
			/// The account that delivered it.
			executor: T::AccountId,
			/// Why: what [`Pallet::submit_result`] would have failed with.
			error: DispatchError,
		},
		/// A verdict of a batch ([`Pallet::submit_verdicts`]) was refused and changed nothing;
		/// the batch's other verdicts stand.
		VerdictRefused {
			/// The job.
			job_id: JobId,
			/// The host that gave the verdict.
			host: T::AccountId,
			/// Why: what [`Pallet::submit_verdict`] would have failed with.
			error: DispatchError,
		},
		/// The executor gave no judgement of a probe by the deadline: the pass stands, and the
		/// executor lost reputation.
		ProbeUnanswered {
			/// The job.
			job_id: JobId,
			/// The executor.
			executor: T::AccountId,
		},
		/// The dispute's validators found that a validator passed a result without computing
		/// it (its probe is not the model's): it was slashed in favour of the executor and of
		/// the validators who were right, and lost its reputation; the result stands unchecked.
		LazyValidatorCaught {
			/// The job.
			job_id: JobId,
			/// The validator.
			validator: T::AccountId,
			/// What was taken from its bond.
			slashed: BalanceOf<T>,
		},
		/// A dispute round ended without a majority of its validators either way because some
		/// were silent: they were slashed, and the dispute's validators are drawn again
		/// ([`JobStatus::Accused`]), or, after [`Config::DisputeRounds`] rounds, the job ends
		/// [`JobEnd::Unresolved`].
		DisputeRoundFailed {
			/// The job.
			job_id: JobId,
			/// The round that ended.
			round: u32,
			/// The validators that gave no verdict.
			silent: alloc::vec::Vec<T::AccountId>,
		},
		/// A result drawn for validation found no validator (no other host serves the model), or
		/// the validator gave no verdict in time: it is paid as if not drawn.
		ValidationSkipped {
			/// The job.
			job_id: JobId,
			/// The validator that did not answer, if one was assigned.
			missed_by: Option<T::AccountId>,
		},
		/// The job's model moved to another version (weights hash) before the job could run
		/// or be checked on the one it was bought for: refunded in full, nobody penalized.
		JobReleased {
			/// The job.
			job_id: JobId,
			/// The version of the model's spec it was bought for.
			version: u32,
		},
		/// An executor missed its deadline and the job went to another host.
		JobReassigned {
			/// The job.
			job_id: JobId,
			/// The host that missed.
			from: T::AccountId,
			/// The host that has it now.
			to: T::AccountId,
			/// Its new deadline.
			deadline: BlockNumberFor<T>,
		},
		/// The consumer cancelled an assigned job: a result delivered by `deadline` is still
		/// paid for, otherwise the job is refunded in full then.
		CancelRequested {
			/// The job.
			job_id: JobId,
			/// The block at whose start execution times out.
			deadline: BlockNumberFor<T>,
		},
		/// A result drawn for validation found no validator with room for it
		/// ([`JobStatus::Checking`]) within [`Config::DisputeStaffingPeriod`] blocks of its
		/// delivery: it ends [`JobEnd::Unresolved`], the consumer refunded, the executor not
		/// paid, nobody slashed.
		CheckUnstaffed {
			/// The job.
			job_id: JobId,
		},
		/// An accused result could not be decided ([`JobEnd::Unresolved`]): no dispute could be
		/// staffed within [`Config::DisputeStaffingPeriod`], or silent validators left
		/// [`Config::DisputeRounds`] rounds without a majority. The consumer is refunded, the
		/// executor not paid, nobody slashed for the result.
		DisputeUnresolved {
			/// The job.
			job_id: JobId,
		},
		/// A validator gave no verdict by the deadline: it lost [`Config::SilenceSlash`] of its
		/// bond, or the pay of the verdict it owed where that is more (to the treasury), and
		/// reputation.
		ValidatorSilent {
			/// The job.
			job_id: JobId,
			/// The validator.
			validator: T::AccountId,
			/// What was taken from its bond.
			slashed: BalanceOf<T>,
		},
		/// A job ended; its escrow was split into `fee` (of which `protocol_fee` went to the
		/// treasury and `validation_fee` to the validators that checked it, the rest to the
		/// executor) and `refund` to the consumer.
		JobEnded {
			/// The job.
			job_id: JobId,
			/// How it ended.
			end: JobEnd,
			/// What the consumer paid.
			fee: BalanceOf<T>,
			/// The treasury's part of the fee.
			protocol_fee: BalanceOf<T>,
			/// The validators' part of the fee.
			validation_fee: BalanceOf<T>,
			/// What was released back to the consumer.
			refund: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No such model.
		UnknownModel,
		/// The model takes no new jobs (it is retired).
		ModelNotAccepting,
		/// The payload is empty.
		EmptyPayload,
		/// Zero output tokens asked for.
		ZeroOutputTokens,
		/// More output tokens than the model allows per job.
		TooManyOutputTokens,
		/// The prompt's bytes plus the output tokens exceed the model's context length.
		ContextTooLong,
		/// The model's price per token is above the consumer's limit.
		PriceAboveLimit,
		/// The sampling parameters are out of bounds (temperature above 2.0).
		InvalidParams,
		/// The escrow does not fit the balance type.
		Overflow,
		/// The consumer cannot hold the escrow: its free balance is too low.
		InsufficientBalance,
		/// No active host serves the model (other than the consumer).
		NoHostAvailable,
		/// The consumer has [`Config::MaxOpenJobsPerAccount`] open jobs already.
		TooManyOpenJobs,
		/// The market has [`Config::MaxOpenJobs`] open jobs already.
		MarketFull,
		/// [`Config::MaxPendingDraws`] random draws wait for the next relay block's seed already
		/// (for new jobs: half of it, [`Pallet::submission_draws`]); try again in a later block.
		DrawsFull,
		/// No open job has this id (it never existed, or it ended).
		UnknownJob,
		/// The caller is not the job's executor.
		NotExecutor,
		/// The job has a result already.
		AlreadyDelivered,
		/// The deadline of the current step has passed.
		DeadlinePassed,
		/// The usage is above what the job allows: more prompt tokens than the payload's bytes,
		/// or more completion tokens than asked for.
		UsageAboveLimit,
		/// A result that cannot be an answer: no output tokens, or not one fingerprint per
		/// started chunk of them.
		MalformedResult,
		/// The caller is not a validator of the job, or the job is not being validated.
		NotValidator,
		/// The caller gave its verdict already.
		AlreadyVoted,
		/// The caller is not the job's consumer.
		NotConsumer,
		/// The job has a result: it can no longer be cancelled.
		CannotCancel,
		/// The job's cancellation was asked for already: it ends at its execution deadline.
		AlreadyCancelling,
		/// A result's text is longer than its tokens can decode to: more bytes than its token
		/// count times the model's most bytes per token.
		OutputTooLong,
		/// A pass without the probe its result asks for ([`daya_primitives::probe_position`]).
		ProbeMissing,
		/// Every deadline bucket the next step could use is full; try again in a later block.
		DeadlinesFull,
		/// The payload is not UTF-8 text: the network's models take text prompts.
		PayloadNotText,
		/// A batch with nothing in it.
		EmptyBatch,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Handles this block's deadlines (bounded by configuration), and accounts for the draws
		/// that run after the inherents (`Pallet::do_draws`, through `PostInherents`).
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::do_on_initialize(now)
		}

		/// Prunes outcomes older than [`Config::OutcomeRetention`], as far as the weight left
		/// allows.
		fn on_idle(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::do_prune_outcomes(now, remaining)
		}

		/// Runs [`Config::OffchainWorker`]: executors for this node's hosts.
		fn offchain_worker(now: BlockNumberFor<T>) {
			<T::OffchainWorker as polkadot_sdk::frame_support::traits::OffchainWorker<_>>::offchain_worker(now)
		}

		fn integrity_test() {
			assert!(T::MaxPayloadLen::get() > 0, "MaxPayloadLen must not be zero");
			assert!(T::MaxOutputLen::get() > 0, "MaxOutputLen must not be zero");
			assert!(T::MaxOutputTokens::get() > 0, "MaxOutputTokens must not be zero");
			assert!(!T::ExecutionPeriod::get().is_zero(), "ExecutionPeriod must not be zero");
			assert!(!T::ValidationPeriod::get().is_zero(), "ValidationPeriod must not be zero");
			assert!(T::DisputeValidators::get() > 0, "DisputeValidators must not be zero");
			assert!(T::MaxOpenJobsPerAccount::get() > 0, "MaxOpenJobsPerAccount must not be zero");
			assert!(T::MaxOpenJobs::get() > 0, "MaxOpenJobs must not be zero");
			assert!(T::MaxDeadlinesPerBlock::get() > 0, "MaxDeadlinesPerBlock must not be zero");
			assert!(T::MaxPendingDraws::get() > 1, "MaxPendingDraws must be at least 2");
			assert!(T::MaxOutcomes::get() > 0, "MaxOutcomes must not be zero");
			let weights = <T as frame_system::Config>::BlockWeights::get();
			let normal = weights.get(frame_support::dispatch::DispatchClass::Normal);
			let max_extrinsic = normal.max_extrinsic.unwrap_or(weights.max_block);
			assert!(
				Self::verdicts_weight(MAX_VERDICTS).all_lte(max_extrinsic),
				"a full batch of verdicts must fit in one normal extrinsic"
			);
			let longest = (0..MAX_RESULTS).map(|_| T::MaxOutputLen::get());
			assert!(
				Self::results_weight(longest).all_lte(max_extrinsic),
				"a full batch of the longest results must fit in one normal extrinsic"
			);
			let length = <T as frame_system::Config>::BlockLength::get();
			let batch = (MAX_RESULTS as usize).saturating_mul(ResultItem::<T>::max_encoded_len());
			assert!(
				batch <= *length.max.get(frame_support::dispatch::DispatchClass::Normal) as usize,
				"a full batch of the longest results must fit in a block's length"
			);
			// Deadlines have at least half of it, and so do draws.
			let half = T::MaxHookWeight::get() / 2;
			assert!(
				Self::hook_base_weight()
					.saturating_add(Self::time_out_bound())
					.saturating_add(T::DbWeight::get().reads_writes(1, 1))
					.all_lte(half) && Self::draw_weight().all_lte(half),
				"MaxHookWeight must allow a deadline in half of it, and a draw in the other half"
			);
			assert!(
				T::ValidatorPay::get() <= T::ProtocolFee::get(),
				"ValidatorPay is paid out of the protocol fee and must not exceed it"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(
			_n: BlockNumberFor<T>,
		) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Buy inference: submit a job for `model` and hold its escrow; its executor is drawn
		/// from the seed of a later relay block.
		///
		/// - Origin: signed, by the consumer, who pays.
		/// - `payload`: the prompt, non-empty; it goes to the offchain index, not to state.
		/// - `max_output_tokens`: the most tokens to generate (and pay for), non-zero, within
		///   the model's limits.
		/// - `max_price_per_token`: the most the consumer agrees to pay per token; the job takes
		///   the model's current price, which must not be above it.
		/// - Errors: [`Error::InvalidParams`], [`Error::EmptyPayload`], [`Error::PayloadNotText`],
		///   [`Error::ZeroOutputTokens`], [`Error::UnknownModel`], [`Error::ModelNotAccepting`],
		///   [`Error::TooManyOutputTokens`], [`Error::ContextTooLong`],
		///   [`Error::PriceAboveLimit`], [`Error::Overflow`], [`Error::TooManyOpenJobs`],
		///   [`Error::MarketFull`], [`Error::NoHostAvailable`], [`Error::DrawsFull`],
		///   [`Error::InsufficientBalance`].
		/// - Event: [`Event::JobSubmitted`].
		#[pallet::call_index(0)]
		#[pallet::weight(Pallet::<T>::submit_job_weight(payload.len() as u32))]
		pub fn submit_job(
			origin: OriginFor<T>,
			model: ModelId,
			payload: Payload<T>,
			max_output_tokens: u32,
			#[pallet::compact] max_price_per_token: BalanceOf<T>,
			params: JobParams,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			// New jobs may queue their draws in half the queue: the other half is kept for the
			// jobs already in the market, which submissions must never crowd out.
			Self::do_submit_job(
				who,
				model,
				payload,
				max_output_tokens,
				max_price_per_token,
				params,
				Self::submission_draws(),
			)
			.map(|_| ())
		}

		/// Buy inference in a batch: submit up to [`Config::MaxOpenJobsPerAccount`] jobs for
		/// `model` in one transaction, whole or not at all, and hold their escrows. Each job is
		/// what [`Pallet::submit_job`] makes of its request (the same checks, id, event and
		/// draw of its executor); the batch shares the model's price limit, one check that a
		/// host can take its largest job of each duty, and one hold.
		///
		/// - Origin: signed, by the consumer, who pays.
		/// - `max_price_per_token`: the most the consumer agrees to pay per token, for every job.
		/// - `jobs`: the requests ([`JobRequest`]), non-empty.
		/// - Errors: [`Error::EmptyBatch`], and those of [`Pallet::submit_job`] (the first job
		///   refused names it; a batch beyond the consumer's open jobs is
		///   [`Error::TooManyOpenJobs`], beyond the draw queue's room for new jobs
		///   [`Error::DrawsFull`]).
		/// - Events: [`Event::JobSubmitted`] for each job, in the batch's order (consecutive ids).
		#[pallet::call_index(4)]
		#[pallet::weight(Pallet::<T>::submit_jobs_weight(
			jobs.len() as u32,
			jobs.iter().map(|job| job.payload.len() as u32).fold(0u32, u32::saturating_add),
		))]
		pub fn submit_jobs(
			origin: OriginFor<T>,
			model: ModelId,
			#[pallet::compact] max_price_per_token: BalanceOf<T>,
			jobs: JobRequests<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (room, jobs) = (Self::submission_draws(), jobs.into_inner());
			Self::do_submit_jobs(who, model, max_price_per_token, jobs, room).map(|_| ())
		}

		/// Deliver a job's result.
		///
		/// - Origin: signed, by the job's executor; once, before the deadline.
		/// - `result`: the output text and token ids, the prompt's token count and ids hash,
		///   and the fingerprints ([`JobResult`]); state keeps their hashes and the usage, the
		///   offchain index and this extrinsic the result. The consumer pays for the prompt
		///   tokens (at most the payload's bytes) and every output id (at most the job's
		///   maximum).
		/// - Errors: [`Error::UnknownJob`], [`Error::NotExecutor`], [`Error::AlreadyDelivered`],
		///   [`Error::DeadlinePassed`], [`Error::UsageAboveLimit`], [`Error::MalformedResult`],
		///   [`Error::DrawsFull`].
		/// - Fee: none when it succeeds (the executor is paid through the job, and only the
		///   job's executor can succeed, once); a failed call pays.
		/// - Event: [`Event::ResultSubmitted`].
		#[pallet::call_index(1)]
		// The benchmark's result carries every fingerprint; one without reads the executor's kind
		// as well.
		#[pallet::weight(Pallet::<T>::result_weight(result.output.len() as u32))]
		pub fn submit_result(
			origin: OriginFor<T>,
			job_id: JobId,
			result: JobResult<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::do_submit_result(who, job_id, result)?;
			Ok(Pays::No.into())
		}

		/// Deliver several jobs' results in one transaction. Each result is what
		/// [`Pallet::submit_result`] makes of it, on its own: one that is refused changes
		/// nothing and is reported ([`Event::ResultRefused`]), the others stand.
		///
		/// - Origin: signed, by the jobs' executor.
		/// - `results`: up to [`MAX_RESULTS`] ([`ResultItem`]), non-empty.
		/// - Fee: none when every result is taken; a batch with a refused result pays.
		/// - Weight: each result at [`Pallet::submit_result`]'s ([`Pallet::result_weight`]);
		///   the batch saves the transaction's extensions and base, paid once.
		/// - Errors: [`Error::EmptyBatch`].
		/// - Events: [`Event::ResultSubmitted`] for each result taken, [`Event::ResultRefused`]
		///   for each refused.
		#[pallet::call_index(6)]
		#[pallet::weight(Pallet::<T>::results_weight(
			results.iter().map(|item| item.result.output.len() as u32)
		))]
		pub fn submit_results(
			origin: OriginFor<T>,
			results: ResultBatch<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			ensure!(!results.is_empty(), Error::<T>::EmptyBatch);
			let refused = Self::do_submit_results(who, results.into_inner());
			Ok(if refused { Pays::Yes } else { Pays::No }.into())
		}

		/// Give a validator's verdict on a job's result: its judgement, valid or the fault it
		/// found (see `docs/verification.md` for the checks), and with a pass the *probe*: the
		/// fingerprint of the final hidden state at the result's probe position
		/// ([`daya_primitives::probe_position`]), which no committed fingerprint shows.
		///
		/// - Origin: signed, by a validator of the job that has not given its verdict; before
		///   the validation deadline. While the job is [`JobStatus::Probing`], by its executor,
		///   whose judgement says whether the probe is the model's.
		/// - The first validator's fault accuses the executor: the dispute's validators are
		///   drawn from the seed of a later relay block. Its pass shows the probe to the
		///   executor ([`Error::ProbeMissing`] without one where the result has a probe
		///   position), whose agreement settles the job and pays the validator; its
		///   disagreement opens a dispute about the probe, whose validators judge the probe.
		///   The last dispute verdict decides the dispute.
		/// - Fee: none when it succeeds (only a pending validator can succeed, once); a failed
		///   call pays.
		/// - Weight: declared at [`Pallet::verdict_weight`]; a pass, a probe shown and an
		///   accusation are charged after dispatch at their own benchmarks, so the block keeps
		///   room for more.
		/// - Errors: [`Error::UnknownJob`], [`Error::NotValidator`], [`Error::AlreadyVoted`],
		///   [`Error::DeadlinePassed`], [`Error::ProbeMissing`], [`Error::DrawsFull`] (an
		///   accusation whose dispute cannot be queued for its draw) or [`Error::DeadlinesFull`]
		///   (a probe whose executor's deadline finds no room); the caller tries again.
		/// - Events: [`Event::VerdictSubmitted`], then [`Event::JobEnded`],
		///   [`Event::DisputeOpened`], [`Event::FraudConfirmed`],
		///   [`Event::AccusationOverturned`], [`Event::DisputeRoundFailed`] or
		///   [`Event::DisputeUnresolved`] as it turns out.
		#[pallet::call_index(2)]
		#[pallet::weight(Pallet::<T>::verdict_weight())]
		pub fn submit_verdict(
			origin: OriginFor<T>,
			job_id: JobId,
			judgement: Judgement,
			probe: Option<Fingerprint>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			// A pass, a probe shown or an accusation is charged to the block at its own
			// benchmark; the rest at the declared bound.
			let actual_weight = Self::do_submit_verdict(who, job_id, judgement, probe)?;
			Ok(frame_support::dispatch::PostDispatchInfo { actual_weight, pays_fee: Pays::No })
		}

		/// Give several verdicts in one transaction: a validator's on the jobs it checked, or
		/// an executor's judgements of the probes shown to it. Each verdict is what
		/// [`Pallet::submit_verdict`] makes of it, on its own: one that is refused changes
		/// nothing and is reported ([`Event::VerdictRefused`]), the others stand.
		///
		/// - Origin: signed, by the host whose verdicts they are.
		/// - `verdicts`: up to [`MAX_VERDICTS`] ([`VerdictItem`]), non-empty.
		/// - Fee: none when every verdict is taken; a batch with a refused verdict pays.
		/// - Weight: declared at [`Pallet::verdicts_weight`]; each verdict is charged after
		///   dispatch as [`Pallet::submit_verdict`] charges it, except the executor's
		///   recognitions after the first that paid the treasury, charged what one more adds
		///   (benchmarked as `submit_verdicts`: the executor's records, the treasury and the
		///   outcome index are written once for the batch).
		/// - Errors: [`Error::EmptyBatch`].
		/// - Events: those of [`Pallet::submit_verdict`] for each verdict taken,
		///   [`Event::VerdictRefused`] for each refused.
		#[pallet::call_index(5)]
		#[pallet::weight(Pallet::<T>::verdicts_weight(verdicts.len() as u32))]
		pub fn submit_verdicts(
			origin: OriginFor<T>,
			verdicts: VerdictBatch,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			ensure!(!verdicts.is_empty(), Error::<T>::EmptyBatch);
			let (actual_weight, refused) = Self::do_submit_verdicts(who, verdicts.into_inner());
			let pays_fee = if refused { Pays::Yes } else { Pays::No };
			Ok(frame_support::dispatch::PostDispatchInfo {
				actual_weight: Some(actual_weight),
				pays_fee,
			})
		}

		/// Cancel a job that has no result yet.
		///
		/// A job waiting for its executor's draw ends at once, refunded in full. An assigned
		/// job's result may already wait in the transaction pool, where the consumer can read
		/// it: the job is marked cancelled, a result delivered by the execution deadline is
		/// still paid for (and validated as usual), and without one the job is refunded in
		/// full at the deadline, never reassigned, its executor not held to have missed.
		///
		/// - Origin: signed, by the job's consumer.
		/// - Errors: [`Error::UnknownJob`], [`Error::NotConsumer`], [`Error::CannotCancel`],
		///   [`Error::AlreadyCancelling`].
		/// - Events: [`Event::JobEnded`] with [`JobEnd::Cancelled`], or
		///   [`Event::CancelRequested`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::cancel_job())]
		pub fn cancel_job(origin: OriginFor<T>, job_id: JobId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_job(who, job_id)
		}
	}
}
