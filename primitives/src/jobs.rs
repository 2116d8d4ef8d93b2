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
	/// The consumer's seed, mixed into the sampler's key with randomness the consumer cannot
	/// know (the key is drawn at assignment), so that two jobs with the same prompt and seed
	/// still sample differently, and nobody can choose the key.
	pub seed: u64,
	/// What the payload is: raw text, or a chat rendered with the model's template.
	pub format: PayloadFormat,
}

/// What a job's payload is.
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
pub enum PayloadFormat {
	/// The prompt is the payload's text.
	#[default]
	Text,
	/// The payload is a JSON list of `{role, content}` messages, which executor and validator
	/// render with the model's registered chat template.
	Chat,
}

/// Output tokens per committed [`Fingerprint`].
pub const FINGERPRINT_CHUNK: u32 = 32;

/// Dimensions of the final hidden state a [`Fingerprint`] records.
pub const FINGERPRINT_DIMS: usize = 8;

/// An executor's commitment to the model's numerics at the last position of a chunk of
/// [`FINGERPRINT_CHUNK`] output tokens: the largest dimensions of the final hidden state and
/// their values (in units of 10^-4). A validator recomputes them by teacher forcing; another
/// model, or the same model at a lower precision, does not reproduce them.
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
pub struct Fingerprint {
	/// The dimensions, largest magnitude first.
	pub dims: [u16; FINGERPRINT_DIMS],
	/// Their values.
	pub values: [i32; FINGERPRINT_DIMS],
}

/// The fingerprints a result of `output_tokens` tokens carries: one per started chunk.
pub fn fingerprints_for(output_tokens: u32) -> u32 {
	output_tokens.div_ceil(FINGERPRINT_CHUNK)
}

/// The output position whose final hidden state the validator of job `job_id` must show with
/// its pass (its *probe*, a [`Fingerprint`]), for a result of `output_tokens` tokens whose
/// [`JobResult`](crate) hashes to `result_hash`: one that no committed fingerprint shows (not
/// the last token of a chunk, nor the last token), so that a validator cannot copy it from the
/// result and must run the model over the output to give it. `None` when every position is
/// fingerprinted (outputs of one token).
///
/// Anyone computes it from the chain's record; knowing it early helps nobody, since only a
/// prefill of the model reaches that hidden state.
pub fn probe_position(job_id: JobId, result_hash: &[u8; 32], output_tokens: u32) -> Option<u32> {
	// Positions before the last one; every FINGERPRINT_CHUNK-th of them is fingerprinted.
	let open = output_tokens.checked_sub(1)?;
	let candidates = open.saturating_sub(open / FINGERPRINT_CHUNK);
	if candidates == 0 {
		return None;
	}
	let draw =
		polkadot_sdk::sp_io::hashing::blake2_256(&(b"daya/probe", job_id, result_hash).encode());
	let mut bytes = [0u8; 4];
	bytes.copy_from_slice(draw.get(..4)?);
	let index = u32::from_le_bytes(bytes).checked_rem(candidates)?;
	// Skip one fingerprinted position after every FINGERPRINT_CHUNK - 1 open ones.
	Some(index.saturating_add(index / (FINGERPRINT_CHUNK - 1)))
}

/// How a model's results are judged: integers measured from honest noise per model, which
/// governance registers with the model and every validator applies.
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
	polkadot_sdk::sp_runtime::serde::Serialize,
	polkadot_sdk::sp_runtime::serde::Deserialize,
)]
#[serde(crate = "polkadot_sdk::sp_runtime::serde", rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidationPolicy {
	/// A claimed token whose margin (the validator's best sampler score less the claimed
	/// token's, in micro-nats) exceeds this is conclusive alone; never zero.
	pub conclusive_margin_micro: u32,
	/// Near-tie mismatches an honest result of `n` tokens may have:
	/// `near_ties_base + n * near_ties_per_kilo / 1000`.
	pub near_ties_base: u32,
	/// See `near_ties_base`.
	pub near_ties_per_kilo: u32,
	/// The largest honest fingerprint deviation, in parts per million; never zero.
	pub fingerprint_tolerance_ppm: u32,
}

impl ValidationPolicy {
	/// Whether the policy can judge: a conclusive margin and a fingerprint tolerance above
	/// zero (zero would call every honest near tie or rounding a fraud).
	pub fn is_valid(&self) -> bool {
		self.conclusive_margin_micro > 0 && self.fingerprint_tolerance_ppm > 0
	}
}

/// What a validator found wrong with a result. Each is conclusive.
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
pub enum Fault {
	/// Not an answer to the job: no tokens, ids outside the vocabulary, text that is not the
	/// ids' decoding, an end-of-sequence token before the end, or the wrong fingerprints.
	Malformed,
	/// The claimed prompt token count or prompt ids are not the registered tokenizer's.
	Prompt,
	/// The output stops early at `position` where the model would not have stopped.
	Truncated {
		/// Output tokens delivered.
		position: u32,
	},
	/// A token the sampler could not have picked.
	Token {
		/// Its output position.
		position: u32,
		/// Its margin in micro-nats, beyond the model's conclusive margin.
		margin_micro: u32,
	},
	/// More near-tie mismatches than honest noise explains.
	NearTies {
		/// Near-tie mismatches found.
		count: u32,
		/// Output tokens checked.
		tokens: u32,
	},
	/// A committed fingerprint the validator's model does not reproduce.
	Fingerprint {
		/// The chunk.
		chunk: u32,
		/// Its deviation in parts per million.
		deviation_ppm: u32,
	},
	/// A validator's probe ([`probe_position`]) that the model does not reproduce: the
	/// validator did not compute what it passed.
	Probe {
		/// Its deviation in parts per million.
		deviation_ppm: u32,
	},
}

/// A validator's judgement of a result.
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
pub enum Judgement {
	/// The result is what the registered model, tokenizer and sampler give.
	Valid,
	/// It is not, and why.
	Invalid(Fault),
}

impl Judgement {
	/// Whether the result passed.
	pub fn is_valid(&self) -> bool {
		matches!(self, Self::Valid)
	}
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

/// How many prompt tokens count as much work as one generated token. A prompt is read in one
/// parallel pass (prefill) while output is generated a token at a time: SmolLM2 on a CPU core
/// prefills 11.3 times as fast as it decodes (`docs/verification.md`), and GPUs widen the gap.
pub const PROMPT_TOKENS_PER_WORK_TOKEN: u32 = 10;

impl Usage {
	/// Prompt and completion tokens together, saturating.
	pub fn total(&self) -> u32 {
		self.prompt_tokens.saturating_add(self.completion_tokens)
	}

	/// The work the job took, in generated-token equivalents: every completion token, and a
	/// prompt token for [`PROMPT_TOKENS_PER_WORK_TOKEN`]-th of one (rounded down).
	pub fn work_tokens(&self) -> u32 {
		self.completion_tokens
			.saturating_add(self.prompt_tokens / PROMPT_TOKENS_PER_WORK_TOKEN)
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
	/// Cancelled by the consumer, and no result came by the execution deadline: refunded in
	/// full.
	Cancelled,
	/// A validator accused the result, and no dispute could be staffed to decide it (too few
	/// other hosts serve the model, or the dispute's validators stayed silent round after
	/// round): the consumer was refunded in full, the executor was not paid, nobody was
	/// slashed for the result.
	Unresolved,
	/// The model's weights changed (a governance update) while the job waited for its result
	/// or its check, and no host ran it on the version it was bought for in time: the
	/// consumer was refunded in full, and nobody was penalized (the hosts had moved on to the
	/// new version, as they must).
	Released,
}

impl JobEnd {
	/// Whether a job that ended so was refunded in full: nobody was paid for it.
	pub fn refunds_in_full(&self) -> bool {
		match self {
			Self::Completed | Self::Validated => false,
			Self::Fraud | Self::Expired | Self::Cancelled | Self::Unresolved | Self::Released => {
				true
			},
		}
	}
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
	/// What the consumer paid in all: the executor's share, the treasury's and the
	/// validators'.
	pub fee: Balance,
	/// The part of the fee that went to the treasury.
	pub protocol_fee: Balance,
	/// The part of the fee paid to the validators that checked the result (out of the
	/// protocol fee); zero when nobody checked it.
	pub validation_fee: Balance,
	/// What was released back to the consumer; `fee + refund` is the job's escrow.
	pub refund: Balance,
	/// The block in which the job ended.
	pub ended_at: BlockNumber,
	/// The block in which it was submitted: its `submit_job` extrinsic holds the prompt.
	pub submitted_at: BlockNumber,
	/// The block whose `submit_result` extrinsic holds the output, if one was delivered. A
	/// default node keeps every block's body, so any client reads the output from there, long
	/// after the state of that block is discarded.
	pub delivered_at: Option<BlockNumber>,
	/// Whether a validator accused the result and a dispute followed (whatever its end).
	pub disputed: bool,
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

#[cfg(test)]
mod tests {
	use super::*;

	fn fingerprinted(position: u32, output_tokens: u32) -> bool {
		position + 1 == output_tokens || (position + 1).is_multiple_of(FINGERPRINT_CHUNK)
	}

	#[test]
	fn a_probe_is_never_a_fingerprinted_position_and_reaches_every_open_one() {
		for n in [2u32, 3, 31, 32, 33, 64, 65, 100, 256] {
			let mut seen = alloc::collections::BTreeSet::new();
			for job in 0..4_000u64 {
				let p = probe_position(job, &[7; 32], n).expect("a position");
				assert!(p < n && !fingerprinted(p, n), "{p} of {n}");
				seen.insert(p);
			}
			let open = (0..n).filter(|&p| !fingerprinted(p, n)).count();
			assert_eq!(seen.len(), open, "every open position of {n} is drawn");
		}
	}

	#[test]
	fn a_one_token_output_has_no_probe() {
		assert_eq!(probe_position(1, &[0; 32], 1), None);
		assert_eq!(probe_position(1, &[0; 32], 0), None);
	}

	#[test]
	fn the_probe_follows_the_job_and_its_result() {
		let a = (0..64u64)
			.map(|j| probe_position(j, &[1; 32], 200))
			.collect::<alloc::vec::Vec<_>>();
		let b = (0..64u64)
			.map(|j| probe_position(j, &[2; 32], 200))
			.collect::<alloc::vec::Vec<_>>();
		assert_ne!(a, b);
	}
}
