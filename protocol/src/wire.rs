//! The executor wire protocol: JSON over HTTP between a node's offchain worker and a host's
//! `daya-executor`.
//!
//! | request | answer |
//! | --- | --- |
//! | `POST /v1/jobs` with a [`JobRequest`] | `202` with a [`ExecutionStatus`] (queued), or `200` with the status of the job under that id if it exists already |
//! | `GET /v1/jobs/{id}` | `200` with a [`ExecutionStatus`]; `404` if the executor does not know the job (e.g. it restarted) |
//! | `POST /v1/validate` with a [`ValidateRequest`] | `200` with a [`ValidateResponse`] |
//! | anything refused | `4xx`/`5xx` with an [`ErrorBody`]; `429` when the executor's queue is full |
//!
//! Every request and answer carries the protocol's [`VERSION`] in a `version` field (a missing
//! one reads as 0). Each side checks it: an executor refuses a request of another version with
//! `400` and the code [`VERSION_MISMATCH`], and a node's offchain worker refuses an answer of
//! another version, naming both, so that an operator who upgraded one side only learns at once.
//!
//! Numbers are integers on both sides (the runtime never uses floating point): log-probabilities
//! are in micro-nats ([`TokenLogprob::logprob_micro`]), similarities in parts per billion.

use alloc::{string::String, vec::Vec};
use codec::{Decode, Encode};
use serde::{Deserialize, Serialize};

/// The version of this protocol, which every request and answer carries. It changes whenever a
/// message or a shared rule changes meaning.
pub const VERSION: u32 = 1;

/// The error code with which an executor refuses a request of another [`VERSION`].
pub const VERSION_MISMATCH: &str = "protocol_version_mismatch";

/// A message of protocol version `found` where [`VERSION`] was expected.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct VersionMismatch {
	/// The version the message carries (0 when it carries none).
	pub found: u32,
}

impl core::fmt::Display for VersionMismatch {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		write!(
			f,
			"executor protocol version {} where version {} was expected: upgrade the older of the node and the executor",
			self.found, VERSION
		)
	}
}

/// Checks a message's protocol `version` against [`VERSION`].
pub fn check_version(version: u32) -> Result<(), VersionMismatch> {
	if version == VERSION {
		Ok(())
	} else {
		Err(VersionMismatch { found: version })
	}
}

/// How many alternatives per output token an executor reports (and commits to).
pub const LOGPROBS_TOP: usize = 5;

/// A sampled (temperature > 0) job draws each token among the model's `SAMPLING_TOP_K` most
/// likely ones; validation accepts a sampled token if it is among the validator's
/// `SAMPLING_TOP_K` most likely.
pub const SAMPLING_TOP_K: usize = 40;

/// How far (in micro-nats) below the validator's k-th best log-probability a claimed token may
/// be and still count, to absorb numerical differences between devices (GPU vs CPU kernels).
pub const LOGPROB_TOLERANCE_MICRO: i32 = 50_000;

/// A job for an executor: a chain job's prompt and sampling parameters.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct JobRequest {
	/// The protocol version the message follows: [`VERSION`].
	#[serde(default)]
	pub version: u32,
	/// The job's id: the chain's job id in decimal.
	pub id: String,
	/// The model's name in the on-chain registry.
	pub model: String,
	/// The model's weights hash in the registry, hex with `0x`: an executor whose loaded model
	/// does not match refuses the job.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub weights_hash: Option<String>,
	/// The prompt.
	pub prompt: String,
	/// The most output tokens to generate.
	pub max_tokens: u32,
	/// Sampling temperature in thousandths; 0 is greedy.
	#[serde(default)]
	pub temperature_milli: u32,
	/// Seed of the sampler.
	#[serde(default)]
	pub seed: u64,
}

/// One message of a chat job. A chat job's payload is a JSON list of them, which executor and
/// validator render into the prompt with the model's registered chat template.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct ChatMessage {
	/// `system`, `user` or `assistant`.
	pub role: String,
	/// The message's text.
	pub content: String,
}

/// The messages of a chat payload, or why it is not one.
pub fn parse_chat(payload: &str) -> Result<Vec<ChatMessage>, String> {
	let messages: Vec<ChatMessage> = serde_json::from_str(payload)
		.map_err(|e| alloc::format!("a chat payload is a JSON list of {{role, content}}: {e}"))?;
	if messages.is_empty() {
		return Err("a chat payload without messages".into());
	}
	Ok(messages)
}

/// Where a job stands in an executor.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionState {
	/// Waiting in the executor's queue.
	Queued,
	/// Being generated.
	Running,
	/// Finished: the status carries the output.
	Done,
	/// Failed: the status carries the error.
	Failed,
}

/// Tokens a job used, as the executor counted them.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct UsageJson {
	/// Tokens of the prompt.
	pub prompt_tokens: u32,
	/// Tokens generated.
	pub completion_tokens: u32,
}

/// A token with its log-probability.
#[derive(Serialize, Deserialize, Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub struct TokenLogprob {
	/// Token id in the model's vocabulary.
	pub token: u32,
	/// Natural-log probability in millionths (micro-nats): `-693147` is one half.
	pub logprob_micro: i32,
}

/// One generated token: what was chosen and the [`LOGPROBS_TOP`] most likely alternatives.
#[derive(Serialize, Deserialize, Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct OutputToken {
	/// The token generated.
	pub token: u32,
	/// Its log-probability.
	pub logprob_micro: i32,
	/// The most likely tokens at this position, most likely first.
	pub top: Vec<TokenLogprob>,
}

/// An executor's answer about a job.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct ExecutionStatus {
	/// The protocol version the message follows: [`VERSION`].
	#[serde(default)]
	pub version: u32,
	/// The job's id.
	pub id: String,
	/// Where it stands.
	pub status: ExecutionState,
	/// The generated text, once done.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub output: Option<String>,
	/// Tokens used, once done.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub usage: Option<UsageJson>,
	/// Per generated token: its log-probability and the top alternatives, once done.
	#[serde(default, skip_serializing_if = "Vec::is_empty")]
	pub logprobs: Vec<OutputToken>,
	/// Why the job failed.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub error: Option<String>,
}

/// A request to re-score a claimed output (teacher forcing: one prefill pass over prompt and
/// output).
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct ValidateRequest {
	/// The protocol version the message follows: [`VERSION`].
	#[serde(default)]
	pub version: u32,
	/// The model's name in the on-chain registry.
	pub model: String,
	/// The model's weights hash in the registry, hex with `0x`.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub weights_hash: Option<String>,
	/// The job's prompt.
	pub prompt: String,
	/// The output the executor claimed.
	pub output: String,
	/// The job's sampling temperature in thousandths (0: greedy, checked against the top-1).
	#[serde(default)]
	pub temperature_milli: u32,
}

/// The validator's score of a claimed output.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
pub struct ValidateResponse {
	/// The protocol version the message follows: [`VERSION`].
	#[serde(default)]
	pub version: u32,
	/// The share of output tokens the model accepts, in parts per billion (see [`similarity`]).
	pub similarity_ppb: u32,
	/// Output tokens scored.
	pub tokens: u32,
	/// Output tokens accepted.
	pub accepted: u32,
}

/// A refusal: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct ErrorBody {
	/// What went wrong.
	pub error: ErrorDetail,
}

/// The detail of an [`ErrorBody`].
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct ErrorDetail {
	/// A stable, machine-readable name: `invalid_json`, `unknown_model`, `weights_mismatch`,
	/// `prompt_too_long`, `too_many_tokens`, `queue_full`, `not_found`, ...
	pub code: String,
	/// A sentence for people.
	pub message: String,
}

/// The commitment an executor's result carries on chain: BLAKE2-256 of the SCALE encoding of its
/// per-token log-probabilities. A later dispute can hold the executor to them.
pub fn logprobs_commitment(logprobs: &[OutputToken]) -> [u8; 32] {
	crate::blake2_256(&logprobs.encode())
}

/// Whether a validator accepts one claimed token: its log-probability under the validator's
/// model is at least the validator's `k`-th best at that position, less
/// [`LOGPROB_TOLERANCE_MICRO`]. `k` is 1 for greedy jobs and [`SAMPLING_TOP_K`] for sampled ones
/// ([`top_k_for`]).
///
/// `ranked` holds the validator's log-probabilities at that position, most likely first (at
/// least `k` of them, or the whole vocabulary if smaller).
pub fn token_accepted(claimed_micro: i32, ranked: &[i32], k: usize) -> bool {
	match ranked.get(k.max(1) - 1).or(ranked.last()) {
		Some(kth) => claimed_micro >= kth.saturating_sub(LOGPROB_TOLERANCE_MICRO),
		None => false,
	}
}

/// The rank a claimed token must reach: 1 when greedy, [`SAMPLING_TOP_K`] when sampled.
pub fn top_k_for(temperature_milli: u32) -> usize {
	if temperature_milli == 0 {
		1
	} else {
		SAMPLING_TOP_K
	}
}

/// The similarity of `accepted` out of `total` tokens in parts per billion; an empty output is
/// fully similar (there is nothing to dispute).
pub fn similarity(accepted: u32, total: u32) -> u32 {
	if total == 0 {
		return 1_000_000_000;
	}
	let ppb = u64::from(accepted.min(total)) * 1_000_000_000 / u64::from(total);
	ppb as u32
}

/// A validator's similarity for a result, given what the executor claimed: the share of output
/// tokens the validator's model accepts (`similarity_ppb`, over the `scored` tokens of the
/// output), scaled by how far the claimed completion tokens (which the consumer pays for) are
/// from the tokens the output really has. Claiming 100 tokens for a 10-token output scores at
/// most 10%; an empty output is fully similar only if it claims no tokens.
pub fn billed_similarity(similarity_ppb: u32, scored: u32, claimed: u32) -> u32 {
	if scored == claimed {
		return similarity_ppb.min(1_000_000_000);
	}
	let (low, high) = (scored.min(claimed), scored.max(claimed));
	(u64::from(similarity_ppb.min(1_000_000_000)) * u64::from(low) / u64::from(high)) as u32
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn greedy_needs_top_one_within_tolerance() {
		let ranked = [-100_000, -120_000, -3_000_000];
		assert!(token_accepted(-100_000, &ranked, 1));
		assert!(token_accepted(-120_000, &ranked, 1), "within the tolerance of the best");
		assert!(!token_accepted(-3_000_000, &ranked, 1));
		assert!(token_accepted(-3_000_000, &ranked, 3));
		assert!(!token_accepted(-9_000_000, &ranked, 40), "k beyond the vocabulary: the last");
		assert!(!token_accepted(0, &[], 1));
	}

	#[test]
	fn similarity_is_a_share_in_ppb() {
		assert_eq!(similarity(0, 0), 1_000_000_000);
		assert_eq!(similarity(9, 10), 900_000_000);
		assert_eq!(similarity(1, 3), 333_333_333);
		assert_eq!(similarity(5, 4), 1_000_000_000);
	}

	#[test]
	fn claimed_tokens_the_output_does_not_have_lower_the_score() {
		assert_eq!(billed_similarity(1_000_000_000, 10, 10), 1_000_000_000);
		assert_eq!(billed_similarity(1_000_000_000, 10, 100), 100_000_000);
		assert_eq!(billed_similarity(800_000_000, 10, 5), 400_000_000);
		assert_eq!(billed_similarity(1_000_000_000, 0, 0), 1_000_000_000);
		assert_eq!(billed_similarity(1_000_000_000, 0, 512), 0);
		assert_eq!(billed_similarity(u32::MAX, u32::MAX, 1), 0);
	}

	#[test]
	fn wire_format() {
		let status = ExecutionStatus {
			version: VERSION,
			id: "7".into(),
			status: ExecutionState::Done,
			output: Some("hi".into()),
			usage: Some(UsageJson { prompt_tokens: 3, completion_tokens: 2 }),
			logprobs: alloc::vec![OutputToken {
				token: 5,
				logprob_micro: -10,
				top: alloc::vec![TokenLogprob { token: 5, logprob_micro: -10 }],
			}],
			error: None,
		};
		let json = serde_json::to_string(&status).unwrap();
		assert!(json.contains(r#""status":"done""#), "{json}");
		assert_eq!(serde_json::from_str::<ExecutionStatus>(&json).unwrap(), status);
		let queued: ExecutionStatus =
			serde_json::from_str(r#"{"version":1,"id":"1","status":"queued"}"#).unwrap();
		assert_eq!(queued.status, ExecutionState::Queued);
		assert_eq!(check_version(queued.version), Ok(()));
		let old: ExecutionStatus = serde_json::from_str(r#"{"id":"1","status":"queued"}"#).unwrap();
		assert_eq!(check_version(old.version), Err(VersionMismatch { found: 0 }));
		assert!(VersionMismatch { found: 0 }.to_string().contains("version 0 where version 1"));
		assert_ne!(logprobs_commitment(&status.logprobs), logprobs_commitment(&[]));
	}
}
