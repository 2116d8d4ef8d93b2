//! Types of the job market that callers, clients and other pallets share: what a consumer asks
//! for, what an executor reports, and how a job ended.

use crate::ModelId;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Identifier of a job, assigned sequentially by the job market and never reused.
pub type JobId = u64;

/// The highest sampling temperature a job may ask for, in thousandths (2.0).
pub const MAX_TEMPERATURE_MILLI: u32 = 2_000;

/// How the executor samples a job's output.
///
/// Integers only: the temperature is in thousandths, so `700` means 0.7, and `0` means greedy
/// decoding (always the most likely token), which makes the output reproducible from the
/// prompt alone.
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
	Default,
)]
pub struct JobParams {
	/// Sampling temperature in thousandths, at most [`MAX_TEMPERATURE_MILLI`]; `0` is greedy.
	pub temperature_milli: u32,
	/// Seed of the sampler, so that a sampled output is reproducible too.
	pub seed: u64,
}

impl JobParams {
	/// Whether the parameters are within bounds.
	pub fn is_valid(&self) -> bool {
		self.temperature_milli <= MAX_TEMPERATURE_MILLI
	}
}

/// The tokens an executor reports for a job, which the consumer pays for.
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
	Default,
)]
pub struct Usage {
	/// Tokens of the prompt, as the model's tokenizer counts them.
	pub prompt_tokens: u32,
	/// Tokens the model generated.
	pub completion_tokens: u32,
}

impl Usage {
	/// Prompt and completion tokens together, saturating.
	pub fn total(&self) -> u32 {
		self.prompt_tokens.saturating_add(self.completion_tokens)
	}
}

/// How a job ended.
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
pub enum JobEnd {
	/// The result was delivered and paid for, without validation (not sampled, no validator
	/// available, or the validator did not answer in time).
	Completed,
	/// The result was delivered, checked by validators and paid for.
	Validated,
	/// Validators found the result fraudulent: the consumer was refunded in full and the
	/// executor slashed.
	Fraud,
	/// No result before the deadline, twice or with no other host to take over: refunded in
	/// full.
	Expired,
	/// Cancelled by the consumer before any result: refunded in full.
	Cancelled,
}

/// A finished job, kept for a retention period after it left the job market's state, so that
/// consumers and clients can look up how it ended.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct JobOutcome<AccountId, Balance, BlockNumber> {
	/// Who paid for the job.
	pub consumer: AccountId,
	/// The host that last had the job; `None` if it ended before any was assigned.
	pub executor: Option<AccountId>,
	/// The job's model.
	pub model: ModelId,
	/// How it ended.
	pub end: JobEnd,
	/// Hash (BLAKE2-256) of the output, if one was delivered.
	pub output_hash: Option<[u8; 32]>,
	/// The usage the executor reported, if it delivered.
	pub usage: Option<Usage>,
	/// What the consumer paid in all: the executor's share plus the protocol fee.
	pub fee: Balance,
	/// The part of the fee that went to the treasury.
	pub protocol_fee: Balance,
	/// What was released back to the consumer; `fee + refund` is the job's escrow.
	pub refund: Balance,
	/// The block in which the job ended.
	pub ended_at: BlockNumber,
}

/// Why a price quote cannot be given.
#[derive(Encode, Decode, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum QuoteError {
	/// No such model.
	UnknownModel,
	/// The model takes no new jobs (retired).
	ModelNotAccepting,
	/// More output tokens than the model allows per job, or prompt and output above its context
	/// length.
	TooManyTokens,
	/// The escrow does not fit the balance type.
	Overflow,
}
