//! Types of the job market: the job record kept in state while a job is open, and what a
//! delivered result and a validator's verdict record.

// The logic is held to the runtime's lint discipline; the FRAME macros in `lib.rs` are not.
#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use crate::Config;
use alloc::vec::Vec;
use daya_primitives::{
	jobs::fingerprints_for,
	runtime_api::{JobStatusView, JobView},
	Fingerprint, JobOutcome, JobParams, Judgement, ModelId, Usage,
};
use polkadot_sdk::{
	frame_support::{pallet_prelude::*, traits::fungible},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_core::H256,
};

/// The balance type of [`Config::Currency`], in which prices and escrows are expressed.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A job's payload: the prompt, at most [`Config::MaxPayloadLen`] bytes.
pub type Payload<T> = BoundedVec<u8, <T as Config>::MaxPayloadLen>;

/// A job's output, at most [`Config::MaxOutputLen`] bytes.
pub type Output<T> = BoundedVec<u8, <T as Config>::MaxOutputLen>;

/// A job's output token ids, at most [`Config::MaxOutputTokens`].
pub type OutputTokens<T> = BoundedVec<u32, <T as Config>::MaxOutputTokens>;

/// A result's fingerprints, one per [`daya_primitives::jobs::FINGERPRINT_CHUNK`] tokens.
pub type Fingerprints<T> = BoundedVec<Fingerprint, MaxFingerprints<T>>;

/// The most fingerprints a result carries: one per chunk of [`Config::MaxOutputTokens`].
pub struct MaxFingerprints<T>(core::marker::PhantomData<T>);

impl<T: Config> Get<u32> for MaxFingerprints<T> {
	fn get() -> u32 {
		fingerprints_for(T::MaxOutputTokens::get())
	}
}

/// One job of a consumer's batch ([`crate::Pallet::submit_jobs`]): what
/// [`crate::Pallet::submit_job`] takes for each job besides the model and the price limit,
/// which the batch shares.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct JobRequest<T: Config> {
	/// The prompt, non-empty UTF-8; it goes to the offchain index, not to state.
	pub payload: Payload<T>,
	/// The most tokens to generate (and pay for), non-zero, within the model's limits.
	pub max_output_tokens: u32,
	/// How to sample the output.
	pub params: JobParams,
}

/// A consumer's batch of jobs: at most [`Config::MaxOpenJobsPerAccount`], the most one
/// consumer may have open.
pub type JobRequests<T> = BoundedVec<JobRequest<T>, <T as Config>::MaxOpenJobsPerAccount>;

/// The most results one [`crate::Pallet::submit_results`] carries.
pub const MAX_RESULTS: u32 = 16;

/// One result of an executor's batch ([`crate::Pallet::submit_results`]): what
/// [`crate::Pallet::submit_result`] takes.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct ResultItem<T: Config> {
	/// The job delivered.
	pub job_id: daya_primitives::JobId,
	/// Its result.
	pub result: JobResult<T>,
}

/// An executor's batch of results: at most [`MAX_RESULTS`].
pub type ResultBatch<T> = BoundedVec<ResultItem<T>, ConstU32<MAX_RESULTS>>;

/// The most verdicts one [`crate::Pallet::submit_verdicts`] carries.
pub const MAX_VERDICTS: u32 = 16;

/// One verdict of a host's batch ([`crate::Pallet::submit_verdicts`]): what
/// [`crate::Pallet::submit_verdict`] takes.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct VerdictItem {
	/// The job judged.
	pub job_id: daya_primitives::JobId,
	/// What the host found.
	pub judgement: Judgement,
	/// The probe a validator's pass shows, where the result has a probe position.
	pub probe: Option<Fingerprint>,
}

/// A host's batch of verdicts: at most [`MAX_VERDICTS`].
pub type VerdictBatch = BoundedVec<VerdictItem, ConstU32<MAX_VERDICTS>>;

/// What an executor delivers for a job ([`crate::Pallet::submit_result`]).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct JobResult<T: Config> {
	/// The output text: the output ids decoded, special tokens left out.
	pub output: Output<T>,
	/// The output token ids, the end-of-sequence token included when the model stopped; the
	/// consumer pays for each. Never empty.
	pub tokens: OutputTokens<T>,
	/// Tokens of the prompt, as the registered tokenizer counts them; at most the payload's
	/// bytes.
	pub prompt_tokens: u32,
	/// BLAKE2-256 of the prompt's ids, each as 4 little-endian bytes.
	pub prompt_hash: H256,
	/// One per started chunk of output tokens ([`fingerprints_for`]).
	pub fingerprints: Fingerprints<T>,
}

impl<T: Config> JobResult<T> {
	/// The tokens the consumer pays for.
	pub fn usage(&self) -> Usage {
		Usage { prompt_tokens: self.prompt_tokens, completion_tokens: self.tokens.len() as u32 }
	}
}

/// The verdicts of a dispute's validators.
pub type Verdicts<T> = BoundedVec<Verdict<T>, <T as Config>::DisputeValidators>;

/// The open jobs of one consumer, oldest first.
pub type JobList<T> = BoundedVec<daya_primitives::JobId, <T as Config>::MaxOpenJobsPerAccount>;

/// The open jobs in which one host has a part, oldest part first.
pub type HostJobs<T> = BoundedVec<daya_primitives::JobId, <T as Config>::MaxOpenJobsPerHost>;

/// The jobs whose current step times out at the start of one block.
pub type DeadlineBucket<T> =
	BoundedVec<daya_primitives::JobId, <T as Config>::MaxDeadlinesPerBlock>;

/// What a queued draw will do, by its job's status: each kind has its own bound
/// ([`crate::Pallet::draw_bound`]), by which the hook admits draws.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DrawKind {
	/// Nothing: the job ended or moved on (it is read).
	Skip,
	/// Drawing an unassigned job's executor.
	Assign,
	/// Drawing whether a delivered result is validated, then settling it or drawing its
	/// validator.
	Sample,
	/// Drawing an accused result's dispute validators.
	Dispute,
}

/// How a draw that ran left its job, for what it is charged ([`crate::Pallet::draw_cost`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DrawEnd {
	/// The job is still open: it was given a part, or waits.
	Open,
	/// The job was settled: its executor paid. `first`: no settlement that paid the treasury
	/// ran before it in the block's draws, so it reads and writes what every settlement shares
	/// (the treasury's account, the outcome index's ends, the job count, the epoch); later
	/// ones find them in the block's overlay.
	/// `consumer_before`, `executor_before`: a settlement before it in the block's draws wrote
	/// its consumer's hold, account and list of open jobs, or its executor's account, record,
	/// service and list of work, which it finds in the overlay too.
	Settled {
		/// Whether it is the first settlement of the block's draws.
		first: bool,
		/// Whether an earlier settlement of the block's draws wrote its consumer's keys.
		consumer_before: bool,
		/// Whether an earlier settlement of the block's draws wrote its executor's keys.
		executor_before: bool,
	},
	/// The job ended without paying its executor: its escrow refunded.
	Refunded,
}

/// The random draws waiting for a seed of a later relay block than their subject's.
pub type DrawQueue<T> = BoundedVec<PendingDraw, <T as Config>::MaxPendingDraws>;

/// A random draw about a job, waiting for randomness that did not exist when what it is about
/// happened. What is drawn follows from the job's status: its executor while
/// [`JobStatus::Unassigned`], whether it is validated (and by whom) while
/// [`JobStatus::Delivered`], the dispute's validators while [`JobStatus::Accused`].
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub struct PendingDraw {
	/// The job.
	pub job_id: daya_primitives::JobId,
	/// The relay block of the seed that was current when the draw was queued: only a seed of a
	/// later relay block decides it ([`daya_primitives::BlockSeed::is_after`]).
	pub after: u32,
}

/// How a job ended, as the recent-outcomes index keeps it.
pub type OutcomeOf<T> =
	JobOutcome<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

/// What the executor delivered, as state keeps it: hashes and counts, never the output itself.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub struct Delivery {
	/// BLAKE2-256 of the output text.
	pub output_hash: H256,
	/// The tokens the consumer pays for: the prompt's as claimed, and the output ids.
	pub usage: Usage,
	/// BLAKE2-256 of the SCALE-encoded [`JobResult`]: text, ids, prompt count and hash, and
	/// fingerprints. Validators check exactly what it commits to (the offchain index holds
	/// it, and the extrinsic carries it).
	pub result_hash: H256,
}

/// What a validator found, as state keeps it: whether the result (or the probe) is valid. The
/// fault it names is in its extrinsic and [`crate::Event::VerdictSubmitted`].
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum Vote {
	/// Found valid.
	#[codec(index = 0)]
	Valid,
	/// Found a fault.
	#[codec(index = 1)]
	Fraud,
}

impl From<Judgement> for Vote {
	fn from(judgement: Judgement) -> Self {
		if judgement.is_valid() {
			Vote::Valid
		} else {
			Vote::Fraud
		}
	}
}

/// One validator's verdict on a result: `None` until it is given.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct Verdict<T: Config> {
	/// The validator.
	pub validator: T::AccountId,
	/// What it found, once it gave its verdict.
	pub vote: Option<Vote>,
}

impl<T: Config> Verdict<T> {
	/// A verdict not given yet.
	pub fn pending(validator: T::AccountId) -> Self {
		Self { validator, vote: None }
	}

	/// Whether it was given and found fraud.
	pub fn says_fraud(&self) -> bool {
		self.vote == Some(Vote::Fraud)
	}

	/// Whether it was given and found the result valid.
	pub fn says_valid(&self) -> bool {
		self.vote == Some(Vote::Valid)
	}
}

/// Where an open job is.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub enum JobStatus<T: Config> {
	/// Waiting for the executor's result until the job's deadline.
	#[codec(index = 0)]
	Assigned,
	/// The result is in ([`Job::delivery`]); whether it is validated is drawn from the seed of a
	/// later relay block, which the executor could not know when it signed.
	#[codec(index = 1)]
	Delivered,
	/// One validator checks the result until the job's deadline.
	#[codec(index = 2)]
	Validating {
		/// The validator and its verdict.
		verdict: Verdict<T>,
	},
	/// The first validator found a fault in the result; the dispute's validators decide by a
	/// majority of all of them (a silent one counts against both sides) until the job's
	/// deadline.
	#[codec(index = 3)]
	Disputed {
		/// The validator that found the fault.
		accuser: T::AccountId,
		/// The dispute's validators and their verdicts.
		verdicts: Verdicts<T>,
		/// Which staffing of the dispute this is: 0 first, one more each time silent
		/// validators left it without a majority.
		round: u32,
		/// The block of the accusation, or of the last round's end.
		since: BlockNumberFor<T>,
	},
	/// Waiting for its executor to be drawn from the seed of a later relay block: just
	/// submitted, or its executor missed the deadline and it is reassigned.
	#[codec(index = 4)]
	Unassigned {
		/// The executor that missed the deadline, when it is reassigned; never drawn again.
		missed_by: Option<T::AccountId>,
	},
	/// The first validator found a fault in the result (or a round of its dispute ended
	/// without a majority because validators were silent); the dispute's validators are drawn
	/// from the seed of a later relay block, in every block until enough can be drawn or
	/// [`Config::DisputeStaffingPeriod`] is over.
	#[codec(index = 5)]
	Accused {
		/// The validator that found the fault.
		accuser: T::AccountId,
		/// The round the next staffing opens ([`JobStatus::Disputed::round`]).
		round: u32,
		/// Since when the job waits for its dispute's validators.
		since: BlockNumberFor<T>,
	},
	/// The validator passed the result and showed its probe: the final hidden state at the
	/// result's probe position ([`daya_primitives::probe_position`]), which only running the
	/// model over the output gives. The executor, which holds the model's numbers for its own
	/// result, says whether the probe is the model's until the job's deadline: a validator that
	/// passes results without computing them is caught.
	#[codec(index = 6)]
	Probing {
		/// The validator that passed the result.
		validator: T::AccountId,
		/// Its probe.
		probe: Fingerprint,
	},
	/// The result was drawn for validation, and waits for a validator: every host that could
	/// check it has as many jobs as it may have ([`Config::MaxOpenJobsPerHost`]), or the
	/// deadline buckets were full. Each block tries again, without drawing again whether it is
	/// checked, for at most [`Config::DisputeStaffingPeriod`] blocks after the delivery; then
	/// the job ends [`JobEnd::Unresolved`](daya_primitives::JobEnd::Unresolved): a drawn check
	/// never becomes a payment without a verdict.
	#[codec(index = 7)]
	Checking,
}

impl<T: Config> JobStatus<T> {
	/// Whether the job waits for a random draw ([`PendingDraw`]) rather than a deadline.
	pub fn awaits_draw(&self) -> bool {
		matches!(
			self,
			Self::Unassigned { .. } | Self::Delivered | Self::Checking | Self::Accused { .. }
		)
	}
}

/// An open job, as state keeps it: bounded, without the payload or the output, which only the
/// offchain index holds.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct Job<T: Config> {
	/// Who pays for it; its escrow is held from this account.
	pub consumer: T::AccountId,
	/// Its model.
	pub model: ModelId,
	/// BLAKE2-256 of the payload.
	pub payload_hash: H256,
	/// The most prompt tokens the executor may charge: the payload's length in bytes, which no
	/// byte-level tokenizer exceeds.
	pub prompt_tokens: u32,
	/// The most output tokens the executor may generate and charge.
	pub max_output_tokens: u32,
	/// Sampling parameters.
	pub params: JobParams,
	/// Price per token, the model's at submission. What is held from the consumer, its escrow,
	/// follows from it ([`Job::escrow`]).
	pub price_per_token: BalanceOf<T>,
	/// The version of the model's spec it was bought for
	/// ([`ModelTerms::version`](daya_primitives::ModelTerms::version)): weights, validation
	/// policy and limits. Its executor and validators run that version, and judge by its policy,
	/// which the registry holds while the version is current; if the model moves to another
	/// before the job ends, the job is released
	/// ([`JobEnd::Released`](daya_primitives::JobEnd::Released)) rather than judged against other
	/// weights.
	pub model_version: u32,
	/// The sampler's key: drawn at assignment from the seed of a relay block after the
	/// submission, mixed with the job id and the consumer's seed, so that neither the consumer
	/// nor the executor chooses it; zero until assigned.
	pub sampling_key: H256,
	/// Block of submission.
	pub submitted_at: BlockNumberFor<T>,
	/// The host that executes it; `None` while [`JobStatus::Unassigned`].
	pub executor: Option<T::AccountId>,
	/// Whether the job was reassigned already (it is at most once).
	pub reassigned: bool,
	/// Whether the consumer cancelled it while assigned: a result delivered by the deadline is
	/// still paid for (the consumer may have seen it in the pool); without one, the job is
	/// refunded in full at the deadline, never reassigned.
	pub cancel_requested: bool,
	/// The block at whose start the current step times out: execution while
	/// [`JobStatus::Assigned`], validation while validating or disputed. Unused while the job
	/// waits for a draw ([`JobStatus::awaits_draw`]).
	pub deadline: BlockNumberFor<T>,
	/// What the executor delivered, once it did.
	pub delivery: Option<Delivery>,
	/// The block of the delivery, whose `submit_result` extrinsic holds the output.
	pub delivered_at: Option<BlockNumberFor<T>>,
	/// Where the job is.
	pub status: JobStatus<T>,
}

impl<T: Config> Job<T> {
	/// What is held from the consumer: `(prompt_tokens + max_output_tokens) *
	/// price_per_token`, which submission checked does not overflow.
	pub fn escrow(&self) -> BalanceOf<T> {
		let tokens = self.prompt_tokens.saturating_add(self.max_output_tokens);
		polkadot_sdk::sp_runtime::Saturating::saturating_mul(
			self.price_per_token,
			BalanceOf::<T>::from(tokens),
		)
	}

	/// The job as the runtime API shows it.
	pub fn view(&self) -> JobView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>> {
		let status = match &self.status {
			JobStatus::Assigned => JobStatusView::Assigned,
			JobStatus::Delivered | JobStatus::Checking => JobStatusView::Delivered,
			JobStatus::Validating { verdict } => {
				JobStatusView::Validating { validator: verdict.validator.clone() }
			},
			JobStatus::Disputed { accuser, verdicts, .. } => JobStatusView::Disputed {
				accuser: accuser.clone(),
				validators: verdicts.iter().map(|v| v.validator.clone()).collect::<Vec<_>>(),
			},
			JobStatus::Unassigned { .. } => JobStatusView::Unassigned,
			JobStatus::Accused { accuser, .. } => {
				JobStatusView::Accused { accuser: accuser.clone() }
			},
			JobStatus::Probing { validator, .. } => {
				JobStatusView::Probing { validator: validator.clone() }
			},
		};
		JobView {
			consumer: self.consumer.clone(),
			model: self.model,
			payload_hash: self.payload_hash.0,
			prompt_tokens: self.prompt_tokens,
			max_output_tokens: self.max_output_tokens,
			params: self.params,
			price_per_token: self.price_per_token,
			escrow: self.escrow(),
			submitted_at: self.submitted_at,
			executor: self.executor.clone(),
			deadline: self.deadline,
			reassigned: self.reassigned,
			status,
			output_hash: self.delivery.map(|d| d.output_hash.0),
			usage: self.delivery.map(|d| d.usage),
			delivered_at: self.delivered_at,
		}
	}

	/// The hosts that have a part in the job now, each once: its executor, once drawn; the
	/// validator of its result, while validating or showing its probe; its dispute's
	/// validators, while disputed. [`WorkOf`](crate::WorkOf) lists the job for each of them.
	pub fn roles(&self) -> Vec<T::AccountId> {
		let mut roles = Vec::new();
		roles.extend(self.executor.clone());
		match &self.status {
			JobStatus::Validating { verdict } => roles.push(verdict.validator.clone()),
			JobStatus::Probing { validator, .. } => roles.push(validator.clone()),
			JobStatus::Disputed { verdicts, .. } => {
				roles.extend(verdicts.iter().map(|v| v.validator.clone()))
			},
			JobStatus::Assigned
			| JobStatus::Delivered
			| JobStatus::Checking
			| JobStatus::Unassigned { .. }
			| JobStatus::Accused { .. } => {},
		}
		// Validators are never the executor, nor each other; the check keeps each once anyway.
		let mut unique = Vec::with_capacity(roles.len());
		for who in roles {
			if !unique.contains(&who) {
				unique.push(who);
			}
		}
		unique
	}

	/// Whether `who` has a verdict to give on this job now.
	pub fn awaits_verdict_from(&self, who: &T::AccountId) -> bool {
		match &self.status {
			JobStatus::Validating { verdict } => {
				&verdict.validator == who && verdict.vote.is_none()
			},
			JobStatus::Disputed { verdicts, .. } => {
				verdicts.iter().any(|v| &v.validator == who && v.vote.is_none())
			},
			JobStatus::Probing { .. } => self.executed_by(who),
			JobStatus::Assigned
			| JobStatus::Delivered
			| JobStatus::Checking
			| JobStatus::Unassigned { .. }
			| JobStatus::Accused { .. } => false,
		}
	}

	/// Whether `who` is the job's executor.
	pub fn executed_by(&self, who: &T::AccountId) -> bool {
		self.executor.as_ref() == Some(who)
	}

	/// The output position whose probe a validator's pass must show, if the result has one
	/// ([`daya_primitives::probe_position`]).
	pub fn probe_position(&self, job_id: daya_primitives::JobId) -> Option<u32> {
		let delivery = self.delivery?;
		daya_primitives::probe_position(
			job_id,
			&delivery.result_hash.0,
			delivery.usage.completion_tokens,
		)
	}
}

/// What the offchain index holds under a job's payload key: everything an executor needs to run
/// the job, SCALE-encoded.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct IndexedPayload {
	/// The job.
	pub job_id: daya_primitives::JobId,
	/// Its model.
	pub model: ModelId,
	/// The most output tokens to generate.
	pub max_output_tokens: u32,
	/// Sampling parameters.
	pub params: JobParams,
	/// The prompt.
	pub payload: Vec<u8>,
}

/// What the offchain index holds under a job's output key, SCALE-encoded.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct IndexedOutput {
	/// The job.
	pub job_id: daya_primitives::JobId,
	/// What the executor delivered, SCALE-encoded as the call carried it ([`JobResult`]).
	pub result: Vec<u8>,
}

/// Prefix of the offchain-index key of a job's payload; the key is the prefix followed by the
/// SCALE-encoded job id.
pub const PAYLOAD_KEY_PREFIX: &[u8] = b"daya/inference/payload/";

/// Prefix of the offchain-index key of a job's output; the key is the prefix followed by the
/// SCALE-encoded job id.
pub const OUTPUT_KEY_PREFIX: &[u8] = b"daya/inference/output/";

/// The offchain-index key of a job's payload.
pub fn payload_key(job_id: daya_primitives::JobId) -> Vec<u8> {
	[PAYLOAD_KEY_PREFIX, &job_id.encode()].concat()
}

/// The offchain-index key of a job's output.
pub fn output_key(job_id: daya_primitives::JobId) -> Vec<u8> {
	[OUTPUT_KEY_PREFIX, &job_id.encode()].concat()
}

/// The proof of validity the node has recorded so far in the current block, in bytes: `None`
/// where it records none (a test, a benchmark, an offchain call).
pub trait ProofSize {
	/// Bytes recorded so far, if the node records the proof.
	fn recorded() -> Option<u64>;
}

impl ProofSize for () {
	fn recorded() -> Option<u64> {
		None
	}
}
