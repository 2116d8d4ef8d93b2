//! The executor wire protocol: JSON over HTTP between a node's offchain worker and a host's
//! `daya-executor`.
//!
//! | request | answer |
//! | --- | --- |
//! | `POST /v1/jobs` with a [`JobRequest`] | `202` with a [`ExecutionStatus`] (queued), or `200` with the status of the job under that id if it exists already |
//! | `GET /v1/jobs/{id}` | `200` with a [`ExecutionStatus`]; `404` if the executor does not know the job (e.g. it restarted) |
//! | `POST /v1/validate` with a [`ValidateRequest`] (and a [`Probe`]) | `200` with a [`ValidateResponse`] (and a [`ProbeAnswer`]) |
//! | `POST /v1/batch/jobs` with a [`JobBatch`] of up to [`MAX_BATCH`] jobs | `200` with a [`BatchAnswer`]: for each job, in order, what `POST /v1/jobs` would have answered |
//! | `POST /v1/batch/status` with a [`StatusQuery`] of up to [`MAX_BATCH`] ids | `200` with a [`BatchAnswer`]: for each id, in order, what `GET /v1/jobs/{id}` would have answered |
//! | anything refused | `4xx`/`5xx` with an [`ErrorBody`]; `429` when the executor's queue is full |
//!
//! Every request and answer carries the protocol's [`VERSION`] in a `version` field (a missing
//! one reads as 0). Each side checks it: an executor refuses a request of another version with
//! `400` and the code [`VERSION_MISMATCH`], and a node's offchain worker refuses an answer of
//! another version, naming both, so that an operator who upgraded one side only learns at once.
//!
//! Numbers are integers on both sides (the runtime never uses floating point): margins are in
//! micro-nats, fingerprint values in units of `1 / FINGERPRINT_SCALE`, deviations in parts per
//! million, and a check's [`Judgement`] comes from integers only ([`judge`]).

use alloc::{string::String, vec::Vec};
use codec::{Decode, Encode};
use serde::{Deserialize, Serialize};

/// The version of this protocol, which every request and answer carries. It changes whenever a
/// message or a shared rule changes meaning.
pub const VERSION: u32 = 3;

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

/// How many alternatives per output token the OpenAI-compatible API reports.
pub const LOGPROBS_TOP: usize = 5;

/// A job's payload: raw text, or a chat (a JSON list of [`ChatMessage`]) that executor and
/// validator render with the model's registered chat template.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug, Default)]
#[serde(rename_all = "snake_case")]
pub enum PayloadFormat {
	/// The prompt is the payload's text.
	#[default]
	Text,
	/// The payload is a JSON list of messages.
	Chat,
}

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
	/// The payload.
	pub prompt: String,
	/// What the payload is.
	#[serde(default)]
	pub format: PayloadFormat,
	/// The most output tokens to generate.
	pub max_tokens: u32,
	/// Sampling temperature in thousandths; 0 is greedy.
	#[serde(default)]
	pub temperature_milli: u32,
	/// The sampler's key, hex with `0x`: the chain derives it from relay-chain randomness that
	/// did not exist when the job was submitted, the job id and the consumer's seed, so neither
	/// the executor nor the consumer chooses it, and a validator replays it ([`sampler_key`]).
	pub sampling_key: String,
}

/// Output positions per committed fingerprint.
pub const FINGERPRINT_CHUNK: u32 = 32;

/// Dimensions of the final hidden state a fingerprint records.
pub const FINGERPRINT_DIMS: usize = 8;

/// What a fingerprint's values count: the final hidden state in units of `1 / FINGERPRINT_SCALE`.
pub const FINGERPRINT_SCALE: u32 = 10_000;

/// A commitment to the model's numerics at one output position: the [`FINGERPRINT_DIMS`]
/// largest dimensions (by magnitude) of the final hidden state (after the last norm) that
/// produced the logits of the chunk's last token, with their values in units of
/// `1 / FINGERPRINT_SCALE`. One per [`FINGERPRINT_CHUNK`] output tokens
/// ([`fingerprint_positions`]). A validator recomputes the same hidden state by teacher
/// forcing and compares: another model, or the same model at a lower precision, does not
/// reproduce it.
#[derive(Serialize, Deserialize, Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Fingerprint {
	/// The dimensions, largest magnitude first.
	pub dims: [u16; FINGERPRINT_DIMS],
	/// Their values.
	pub values: [i32; FINGERPRINT_DIMS],
}

/// The output positions (0-based, among the output tokens) whose hidden state a result's
/// fingerprints commit to: the last of each [`FINGERPRINT_CHUNK`] tokens.
pub fn fingerprint_positions(output_tokens: u32) -> impl Iterator<Item = u32> {
	let chunks = output_tokens.div_ceil(FINGERPRINT_CHUNK);
	(0..chunks).map(move |c| ((c + 1) * FINGERPRINT_CHUNK).min(output_tokens) - 1)
}

/// The prompt tokens a result bills: the registered tokenizer's count (with the chat template
/// and any beginning-of-sequence token), at most the payload's bytes, the bound the chain
/// holds the consumer's escrow for. A template that adds more tokens than that costs the host,
/// never the consumer.
pub fn billed_prompt_tokens(count: u32, payload_bytes: u32) -> u32 {
	count.min(payload_bytes)
}

/// BLAKE2-256 of token ids, each as 4 little-endian bytes: how a result names its prompt's ids.
pub fn ids_hash(ids: &[u32]) -> [u8; 32] {
	let bytes: Vec<u8> = ids.iter().flat_map(|t| t.to_le_bytes()).collect();
	crate::blake2_256(&bytes)
}

/// The key of the sampler at output position `position`: BLAKE2-256 of the job's key and the
/// position. Executor and validator derive the position's random numbers from it.
pub fn sampler_key(job_key: &[u8; 32], position: u32) -> [u8; 32] {
	let mut data = [0u8; 36];
	data[..32].copy_from_slice(job_key);
	data[32..].copy_from_slice(&position.to_le_bytes());
	crate::blake2_256(&data)
}

/// What an executor delivers for a job, and what a validator checks.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug, Default)]
pub struct ExecutionResult {
	/// The output text: the output ids decoded, special tokens left out.
	pub output: String,
	/// The output token ids, the end-of-sequence token included when the model stopped.
	pub tokens: Vec<u32>,
	/// Tokens of the prompt, as the registered tokenizer counts them: all of them from an
	/// executor, [`billed_prompt_tokens`] of them once on chain.
	pub prompt_tokens: u32,
	/// [`ids_hash`] of the prompt's ids, hex with `0x`.
	pub prompt_hash: String,
	/// One [`Fingerprint`] per [`FINGERPRINT_CHUNK`] output tokens.
	pub fingerprints: Vec<Fingerprint>,
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
	/// The result, once done.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub result: Option<ExecutionResult>,
	/// Why the job failed.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub error: Option<String>,
}

/// The most jobs one batch call carries ([`JobBatch`], [`StatusQuery`]): sixteen results of the
/// chain's largest output (64 KiB of text, its token ids and fingerprints) stay well within
/// the 4 MiB a node reads back.
pub const MAX_BATCH: usize = 16;

/// `POST /v1/batch/jobs`: several jobs queued in one call, each taken or refused on its own as
/// `POST /v1/jobs` takes or refuses it.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct JobBatch {
	/// The protocol version the message follows: [`VERSION`].
	#[serde(default)]
	pub version: u32,
	/// The jobs, 1 to [`MAX_BATCH`] of them.
	pub jobs: Vec<JobRequest>,
}

/// `POST /v1/batch/status`: how several jobs stand, in one call.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct StatusQuery {
	/// The protocol version the message follows: [`VERSION`].
	#[serde(default)]
	pub version: u32,
	/// The jobs' ids, 1 to [`MAX_BATCH`] of them.
	pub ids: Vec<String>,
}

/// The answer to a batch call: one entry per job of the request, in its order.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct BatchAnswer {
	/// The protocol version the message follows: [`VERSION`].
	#[serde(default)]
	pub version: u32,
	/// One entry per job.
	pub jobs: Vec<BatchEntry>,
}

/// What a batch call did with one job: its status, or the refusal the single-job route would
/// have answered.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct BatchEntry {
	/// The job's id.
	pub id: String,
	/// The job's status, when the executor took it or knows it.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub job: Option<ExecutionStatus>,
	/// Why not.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub refused: Option<Refusal>,
}

/// A refusal of one job in a batch: the HTTP status and the error the single-job route would
/// have answered (`429` and `queue_full` when the queue is full, `404` and `not_found` for a
/// job the executor does not know).
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct Refusal {
	/// The HTTP status code.
	pub status: u16,
	/// What went wrong.
	pub error: ErrorDetail,
}

/// How a model's results are judged: the registry's integers for the model, measured from
/// honest noise (see `docs/verification.md`).
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Policy {
	/// A claimed token whose margin (the validator's best sampler score less the claimed
	/// token's, in micro-nats) exceeds this is conclusive alone: beyond any honest margin
	/// measured.
	pub conclusive_margin_micro: u32,
	/// Near-tie mismatches (margins above 0, at most the conclusive margin) an honest result of
	/// `n` tokens may have: `near_ties_base + n * near_ties_per_kilo / 1000`.
	pub near_ties_base: u32,
	/// See `near_ties_base`.
	pub near_ties_per_kilo: u32,
	/// The largest fingerprint deviation an honest result may have, in parts per million of
	/// the validator's largest fingerprint magnitude.
	pub fingerprint_tolerance_ppm: u32,
}

impl Policy {
	/// The near-tie mismatches an honest result of `tokens` output tokens may have.
	pub fn near_ties_allowed(&self, tokens: u32) -> u32 {
		let per = u64::from(tokens) * u64::from(self.near_ties_per_kilo) / 1000;
		u32::try_from(per).unwrap_or(u32::MAX).saturating_add(self.near_ties_base)
	}
}

/// A request to check a claimed result: the validator's executor recomputes the prompt's ids,
/// replays the sampler over its own logits by teacher forcing (one prefill over prompt and
/// output ids), and compares the committed fingerprints.
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
	/// The job's payload.
	pub prompt: String,
	/// What the payload is.
	#[serde(default)]
	pub format: PayloadFormat,
	/// The job's most output tokens.
	pub max_tokens: u32,
	/// The job's sampling temperature in thousandths.
	#[serde(default)]
	pub temperature_milli: u32,
	/// The job's sampler key, hex with `0x`.
	pub sampling_key: String,
	/// What the executor delivered.
	pub claim: ExecutionResult,
	/// How to judge it.
	pub policy: Policy,
	/// The result's probe position, to show the checker's own probe there or to judge
	/// another's; absent where the chain asks for neither.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub probe: Option<Probe>,
}

/// What a check is asked about a result's *probe position*
/// (`daya_primitives::probe_position`): an output position that no committed fingerprint
/// shows, whose final hidden state only a prefill of the model over the output reaches. A
/// validator's pass shows its probe there, which the result's executor (and, if the executor
/// contests it, a dispute's validators) judge: a validator that passes without computing is
/// caught.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
pub struct Probe {
	/// The output position (0-based among the output tokens): the hidden state that predicts
	/// the token there.
	pub position: u32,
	/// A probe to judge (a validator's), absent to ask for the checker's own.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub claimed: Option<Fingerprint>,
}

/// The answer to a [`Probe`].
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
pub struct ProbeAnswer {
	/// The checker's own fingerprint of the hidden state at the position.
	pub fingerprint: Fingerprint,
	/// With a claimed probe: valid when it is within the policy's fingerprint tolerance of the
	/// checker's hidden state, measured as committed fingerprints are, else
	/// [`Fault::Probe`].
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub judgement: Option<Judgement>,
}

/// What a check found wrong with a result. Each is conclusive.
#[derive(Serialize, Deserialize, Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
	/// Not an answer to the job: no tokens, ids outside the vocabulary, text that is not the
	/// ids' decoding, more tokens than the job allows, an end-of-sequence token before the
	/// end, or the wrong number of fingerprints.
	Malformed,
	/// The claimed prompt token count or prompt ids are not the registered tokenizer's.
	Prompt,
	/// The output stops early at `position` where the model would not have stopped.
	Truncated {
		/// Output tokens delivered.
		position: u32,
	},
	/// A token the sampler could not have picked: its margin is beyond the model's
	/// conclusive margin.
	Token {
		/// The token's output position.
		position: u32,
		/// Its margin in micro-nats.
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
	/// A validator's probe ([`Probe`]) the model does not reproduce.
	Probe {
		/// Its deviation in parts per million.
		deviation_ppm: u32,
	},
}

/// A check's judgement.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
	/// The result is what the registered model, sampler and tokenizer give.
	Valid,
	/// It is not.
	Invalid(Fault),
}

/// The numbers behind a judgement.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CheckReport {
	/// Output tokens checked by teacher forcing (0 when an earlier check failed).
	pub tokens: u32,
	/// Positions where the validator's sampler picks another token.
	pub mismatches: u32,
	/// Of them, near ties (margin at most the conclusive margin).
	pub near_ties: u32,
	/// The largest margin, micro-nats.
	pub max_margin_micro: u32,
	/// The largest fingerprint deviation, parts per million.
	pub max_deviation_ppm: u32,
}

/// The validator's answer.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
pub struct ValidateResponse {
	/// The protocol version the message follows: [`VERSION`].
	#[serde(default)]
	pub version: u32,
	/// Valid, or what is wrong.
	pub judgement: Judgement,
	/// The numbers behind it.
	pub report: CheckReport,
	/// The answer to the request's [`Probe`]: absent without one, or when the result is
	/// invalid before the model runs.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub probe: Option<ProbeAnswer>,
}

/// The judgement of teacher-forced positions and fingerprints under `policy`, the rule every
/// validator applies (integers only): the first position with a conclusive margin, else the
/// first fingerprint beyond the tolerance, else too many near ties, else valid.
pub fn judge(
	margins_micro: &[u32],
	deviations_ppm: &[u32],
	policy: &Policy,
) -> (Judgement, CheckReport) {
	let mut report = CheckReport { tokens: margins_micro.len() as u32, ..Default::default() };
	let mut first_conclusive = None;
	for (position, &m) in margins_micro.iter().enumerate() {
		if m == 0 {
			continue;
		}
		report.mismatches += 1;
		report.max_margin_micro = report.max_margin_micro.max(m);
		if m > policy.conclusive_margin_micro {
			first_conclusive
				.get_or_insert(Fault::Token { position: position as u32, margin_micro: m });
		} else {
			report.near_ties += 1;
		}
	}
	let mut bad_chunk = None;
	for (chunk, &d) in deviations_ppm.iter().enumerate() {
		report.max_deviation_ppm = report.max_deviation_ppm.max(d);
		if d > policy.fingerprint_tolerance_ppm {
			bad_chunk.get_or_insert(Fault::Fingerprint { chunk: chunk as u32, deviation_ppm: d });
		}
	}
	let judgement = match (first_conclusive, bad_chunk) {
		(Some(fault), _) | (None, Some(fault)) => Judgement::Invalid(fault),
		_ if report.near_ties > policy.near_ties_allowed(report.tokens) => {
			Judgement::Invalid(Fault::NearTies { count: report.near_ties, tokens: report.tokens })
		},
		_ => Judgement::Valid,
	};
	(judgement, report)
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

#[cfg(test)]
mod tests {
	use super::*;

	const POLICY: Policy = Policy {
		conclusive_margin_micro: 500_000,
		near_ties_base: 2,
		near_ties_per_kilo: 10,
		fingerprint_tolerance_ppm: 20_000,
	};

	#[test]
	fn one_token_beyond_the_conclusive_margin_is_enough() {
		let mut margins = alloc::vec![0; 256];
		assert_eq!(judge(&margins, &[0; 8], &POLICY).0, Judgement::Valid);
		margins[77] = 500_001;
		let (j, r) = judge(&margins, &[0; 8], &POLICY);
		assert_eq!(j, Judgement::Invalid(Fault::Token { position: 77, margin_micro: 500_001 }));
		assert_eq!((r.mismatches, r.near_ties, r.max_margin_micro), (1, 0, 500_001));
	}

	#[test]
	fn near_ties_are_judged_against_the_honest_rate() {
		assert_eq!(POLICY.near_ties_allowed(256), 4);
		let mut margins = alloc::vec![0; 256];
		for i in 0..4 {
			margins[i * 10] = 400_000;
		}
		assert_eq!(judge(&margins, &[], &POLICY).0, Judgement::Valid);
		margins[200] = 1;
		assert_eq!(
			judge(&margins, &[], &POLICY).0,
			Judgement::Invalid(Fault::NearTies { count: 5, tokens: 256 })
		);
	}

	#[test]
	fn a_fingerprint_beyond_the_tolerance_is_conclusive() {
		let (j, r) = judge(&[0; 64], &[1_000, 20_001], &POLICY);
		assert_eq!(j, Judgement::Invalid(Fault::Fingerprint { chunk: 1, deviation_ppm: 20_001 }));
		assert_eq!(r.max_deviation_ppm, 20_001);
		let huge = Policy { near_ties_per_kilo: u32::MAX, near_ties_base: u32::MAX, ..POLICY };
		assert_eq!(huge.near_ties_allowed(u32::MAX), u32::MAX);
	}

	#[test]
	fn fingerprints_cover_every_chunk_end() {
		let v: Vec<u32> = fingerprint_positions(70).collect();
		assert_eq!(v, [31, 63, 69]);
		assert_eq!(fingerprint_positions(0).count(), 0);
		assert_eq!(fingerprint_positions(32).collect::<Vec<_>>(), [31]);
		assert_ne!(sampler_key(&[1; 32], 0), sampler_key(&[1; 32], 1));
		assert_eq!(ids_hash(&[]), crate::blake2_256(&[]));
	}

	#[test]
	fn wire_format() {
		let status = ExecutionStatus {
			version: VERSION,
			id: "7".into(),
			status: ExecutionState::Done,
			result: Some(ExecutionResult {
				output: "hi".into(),
				tokens: alloc::vec![5, 2],
				prompt_tokens: 3,
				prompt_hash: crate::hex::to_hex(&ids_hash(&[1, 2, 3])),
				fingerprints: alloc::vec![Fingerprint::default()],
			}),
			error: None,
		};
		let json = serde_json::to_string(&status).unwrap();
		assert!(json.contains(r#""status":"done""#), "{json}");
		assert_eq!(serde_json::from_str::<ExecutionStatus>(&json).unwrap(), status);
		let queued: ExecutionStatus =
			serde_json::from_str(r#"{"version":3,"id":"1","status":"queued"}"#).unwrap();
		assert_eq!(queued.status, ExecutionState::Queued);
		assert_eq!(check_version(queued.version), Ok(()));
		let old: ExecutionStatus = serde_json::from_str(r#"{"id":"1","status":"queued"}"#).unwrap();
		assert_eq!(check_version(old.version), Err(VersionMismatch { found: 0 }));
		assert!(VersionMismatch { found: 0 }.to_string().contains("version 0 where version 3"));
		let probe = Probe { position: 4, claimed: None };
		assert_eq!(serde_json::to_string(&probe).unwrap(), r#"{"position":4}"#);
		let wrong = Judgement::Invalid(Fault::Probe { deviation_ppm: 7 });
		assert_eq!(
			serde_json::to_string(&wrong).unwrap(),
			r#"{"invalid":{"probe":{"deviation_ppm":7}}}"#
		);
		let j =
			serde_json::to_string(&Judgement::Invalid(Fault::Truncated { position: 3 })).unwrap();
		assert_eq!(j, r#"{"invalid":{"truncated":{"position":3}}}"#);
		assert_eq!(serde_json::to_string(&PayloadFormat::Chat).unwrap(), r#""chat""#);
		assert!(parse_chat("[]").is_err());
		assert!(parse_chat("hi").unwrap_err().contains("JSON list"));
		assert_eq!(parse_chat(r#"[{"role":"user","content":"Hi"}]"#).unwrap().len(), 1);
	}
}
