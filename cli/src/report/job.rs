//! Reports of buying inference and following jobs: `quote` and `job`.

use super::{maybe_account, text};
use crate::{
	client::{self, JobOutcome, JobStatusView, JobView, ModelView},
	units::Amount,
};
use daya_primitives::JobEnd;
use daya_protocol::hex::to_hex;
use serde::Serialize;
use std::fmt;

/// A job's status in a few words.
fn status_word(status: &JobStatusView) -> &'static str {
	match status {
		JobStatusView::Unassigned => "waiting for its executor to be drawn",
		JobStatusView::Assigned => "assigned, waiting for the host's result",
		JobStatusView::Delivered => "result delivered",
		JobStatusView::Validating { .. } => "being validated",
		JobStatusView::Accused { .. } => {
			"accused, waiting for the dispute's validators to be drawn"
		},
		JobStatusView::Disputed { .. } => "disputed",
		JobStatusView::Probing { .. } => "passed, its executor judging the validator's probe",
	}
}

/// A job's progress as `job submit --wait` reports it: its status, and while it is assigned,
/// its executor and deadline (so that a reassignment shows too).
pub fn progress(job: &JobView) -> String {
	match (&job.status, &job.executor) {
		(JobStatusView::Assigned, Some(executor)) => format!(
			"{} (host {executor}, due before block {})",
			status_word(&job.status),
			job.deadline
		),
		(status, _) => status_word(status).to_string(),
	}
}

/// How a job ended, in a word.
fn end_name(end: JobEnd) -> &'static str {
	match end {
		JobEnd::Completed => "completed",
		JobEnd::Validated => "validated",
		JobEnd::Fraud => "fraud",
		JobEnd::Expired => "expired",
		JobEnd::Cancelled => "cancelled",
		JobEnd::Unresolved => "unresolved",
		JobEnd::Released => "released",
	}
}

/// How the result was checked, and how that ended, in words.
fn verification(outcome: &JobOutcome) -> &'static str {
	match (outcome.end, outcome.disputed) {
		(JobEnd::Fraud, _) => "accused and disputed: forgery confirmed, refunded in full",
		(JobEnd::Validated, true) => "accused and disputed: the accusation was overturned",
		(JobEnd::Validated, false) => "checked by a validator",
		(JobEnd::Unresolved, _) => {
			"accused, and no dispute could decide it: refunded in full, the executor unpaid"
		},
		(JobEnd::Completed, _) => "not drawn for validation (or its validator was silent)",
		(JobEnd::Expired | JobEnd::Cancelled, _) => "no result",
		(JobEnd::Released, _) => {
			"the model moved to a new version before the job could finish: refunded in full"
		},
	}
}

/// The most a job can cost (`quote`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
	/// The model's id.
	pub model: u32,
	/// The prompt's length in bytes, which the escrow counts as prompt tokens.
	pub prompt_tokens: usize,
	/// The most tokens to generate.
	pub max_output_tokens: u32,
	/// The model's current price per token.
	pub price_per_token: Amount,
	/// The escrow: the most the job can cost.
	pub escrow: Amount,
	/// The model's name (text only).
	#[serde(skip)]
	pub name: String,
}

impl Quote {
	/// The quote of a job of `prompt` bytes and at most `max_tokens` output tokens for model
	/// `id`, whose escrow is `escrow`.
	pub fn new(id: u32, model: &ModelView, prompt: usize, max_tokens: u32, escrow: u128) -> Self {
		Quote {
			model: id,
			prompt_tokens: prompt,
			max_output_tokens: max_tokens,
			price_per_token: Amount(model.price_per_token),
			escrow: Amount(escrow),
			name: text(&model.name),
		}
	}
}

impl fmt::Display for Quote {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(
			f,
			"at most {} for {} prompt bytes and {} output tokens of {} ({} per token); you pay only for the tokens used",
			self.escrow, self.prompt_tokens, self.max_output_tokens, self.name, self.price_per_token
		)
	}
}

/// A job just submitted (`job submit` without `--wait`): its executor is not drawn yet (`daya
/// job status` shows it once it is).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Submitted {
	/// The job's id.
	pub job_id: u64,
	/// Its executor: none yet (`null`), drawn from a later block.
	pub executor: Option<String>,
	/// The escrow held.
	pub escrow: Amount,
	/// Its deadline: none yet (`null`), set once it is assigned.
	pub deadline: Option<u32>,
	/// The block that included it.
	pub block: u64,
}

impl Submitted {
	/// The report of a job just submitted.
	pub fn new(job: &client::Submitted) -> Self {
		Submitted {
			job_id: job.job_id,
			executor: None,
			escrow: Amount(job.escrow),
			deadline: None,
			block: job.block,
		}
	}
}

impl fmt::Display for Submitted {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(
			f,
			"job {} submitted in block {}: escrow {}; its executor is drawn from a later block \
			 (see `daya job status {}`)",
			self.job_id, self.block, self.escrow, self.job_id
		)
	}
}

/// A batch just submitted (`job batch`): its jobs, in the file's order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
	/// The jobs, each as `job submit` reports it.
	pub jobs: Vec<Submitted>,
}

impl Batch {
	/// The report of a batch just submitted.
	pub fn new(jobs: &[client::Submitted]) -> Self {
		Batch { jobs: jobs.iter().map(Submitted::new).collect() }
	}
}

impl fmt::Display for Batch {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		let block = self.jobs.first().map_or(0, |job| job.block);
		writeln!(f, "{} jobs submitted in block {block}:", self.jobs.len())?;
		for job in &self.jobs {
			writeln!(f, "  job {}: escrow {}", job.job_id, job.escrow)?;
		}
		writeln!(f, "their executors are drawn from a later block (see `daya job status ID`)")
	}
}

/// How a job ended (`job status` of an ended job).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
	/// The job's id.
	pub job_id: u64,
	/// How it ended, in a word (`completed`, `validated`, `fraud`, `expired`, ...).
	pub end: &'static str,
	/// Who submitted it (SS58).
	pub consumer: String,
	/// Who ran it (SS58), if anyone was drawn.
	pub executor: Option<String>,
	/// The model's id.
	pub model: u32,
	/// The hash of the output delivered (`0x...`), if any.
	pub output_hash: Option<String>,
	/// The prompt tokens counted, if a result was delivered.
	pub prompt_tokens: Option<u32>,
	/// The tokens generated, if a result was delivered.
	pub completion_tokens: Option<u32>,
	/// What the consumer paid.
	pub fee: Amount,
	/// The protocol's part of the fee.
	pub protocol_fee: Amount,
	/// The validators' part of the fee.
	pub validation_fee: Amount,
	/// What came back to the consumer.
	pub refund: Amount,
	/// The block in which it ended.
	pub ended_at: u32,
	/// The block that holds its prompt.
	pub submitted_at: u32,
	/// The block whose `submit_result` holds its output, if one was delivered.
	pub delivered_at: Option<u32>,
	/// Whether its result was disputed.
	pub disputed: bool,
	/// How the result was checked, and how that ended, in words.
	pub verification: &'static str,
}

impl Outcome {
	/// The report of job `id`'s outcome.
	pub fn new(id: u64, outcome: &JobOutcome) -> Self {
		Outcome {
			job_id: id,
			end: end_name(outcome.end),
			consumer: outcome.consumer.to_string(),
			executor: outcome.executor.as_ref().map(ToString::to_string),
			model: outcome.model,
			output_hash: outcome.output_hash.map(|hash| to_hex(&hash)),
			prompt_tokens: outcome.usage.map(|usage| usage.prompt_tokens),
			completion_tokens: outcome.usage.map(|usage| usage.completion_tokens),
			fee: Amount(outcome.fee),
			protocol_fee: Amount(outcome.protocol_fee),
			validation_fee: Amount(outcome.validation_fee),
			refund: Amount(outcome.refund),
			ended_at: outcome.ended_at,
			submitted_at: outcome.submitted_at,
			delivered_at: outcome.delivered_at,
			disputed: outcome.disputed,
			verification: verification(outcome),
		}
	}

	/// The tokens counted, as `N prompt + M completion`, if a result was delivered.
	fn tokens(&self) -> Option<String> {
		let (prompt, completion) = self.prompt_tokens.zip(self.completion_tokens)?;
		Some(format!("{prompt} prompt + {completion} completion"))
	}
}

impl fmt::Display for Outcome {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(f, "job {}: {} in block {}", self.job_id, self.end, self.ended_at)?;
		writeln!(f, "  checked    {}", self.verification)?;
		writeln!(f, "  executor   {}", maybe_account(&self.executor))?;
		if let Some(tokens) = self.tokens() {
			writeln!(f, "  tokens     {tokens}")?;
		}
		writeln!(
			f,
			"  cost       {} (protocol fee {}, validators {})",
			self.fee, self.protocol_fee, self.validation_fee
		)?;
		writeln!(f, "  refunded   {}", self.refund)?;
		if let Some(hash) = &self.output_hash {
			writeln!(f, "  output     {hash}")?;
		}
		writeln!(f, "  submitted  block {}", self.submitted_at)?;
		if let Some(at) = self.delivered_at {
			writeln!(f, "  delivered  block {at} (its submit_result extrinsic holds the output)")?;
		}
		Ok(())
	}
}

/// A job waited for (`job submit --wait`): how it ended, and its output. Its text is the output
/// alone, on standard output; [`Finished::summary`] goes to standard error.
#[derive(Debug, Serialize)]
pub struct Finished {
	/// How it ended.
	#[serde(flatten)]
	pub outcome: Outcome,
	/// Its output, if one was delivered (`null` otherwise).
	pub output: Option<String>,
}

impl Finished {
	/// The report of job `id`'s end, with its output if one was delivered.
	pub fn new(id: u64, outcome: &JobOutcome, output: Option<&[u8]>) -> Self {
		Finished { outcome: Outcome::new(id, outcome), output: output.map(text) }
	}

	/// One line on how it ended: the tokens used, the cost and the refund.
	pub fn summary(&self) -> String {
		let outcome = &self.outcome;
		let tokens = outcome
			.tokens()
			.map(|tokens| format!("{tokens} tokens"))
			.unwrap_or_else(|| "no tokens".into());
		format!(
			"job {} {} ({}): {}, cost {}, refunded {}",
			outcome.job_id, outcome.end, outcome.verification, tokens, outcome.fee, outcome.refund
		)
	}
}

impl fmt::Display for Finished {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match &self.output {
			Some(output) => writeln!(f, "{output}"),
			None => Ok(()),
		}
	}
}

/// Where an open job is (`job status` of an open job).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
	/// The job's id.
	pub job_id: u64,
	/// Its status in a few words.
	pub status: &'static str,
	/// Who submitted it (SS58).
	pub consumer: String,
	/// Its executor (SS58), once drawn.
	pub executor: Option<String>,
	/// The model's id.
	pub model: u32,
	/// The escrow held.
	pub escrow: Amount,
	/// The price per token it pays.
	pub price_per_token: Amount,
	/// The block that holds its prompt.
	pub submitted_at: u32,
	/// The block its current step is due before.
	pub deadline: u32,
	/// Whether it was reassigned to another executor.
	pub reassigned: bool,
	/// The hash of the output delivered (`0x...`), if any.
	pub output_hash: Option<String>,
	/// The block whose `submit_result` holds its output, if one was delivered.
	pub delivered_at: Option<u32>,
	/// Who checks or accuses it, by role (`validator`, `accuser`), as the text lists them.
	#[serde(skip)]
	pub parties: Vec<(&'static str, String)>,
	/// Its prompt tokens (text only).
	#[serde(skip)]
	pub prompt_tokens: u32,
	/// The most tokens it generates (text only).
	#[serde(skip)]
	pub max_output_tokens: u32,
	/// The prompt and completion tokens used, once delivered (text only).
	#[serde(skip)]
	pub usage: Option<(u32, u32)>,
}

impl JobStatus {
	/// The report of open job `id`.
	pub fn new(id: u64, job: &JobView) -> Self {
		let parties = match &job.status {
			JobStatusView::Validating { validator } | JobStatusView::Probing { validator } => {
				vec![("validator", validator.to_string())]
			},
			JobStatusView::Accused { accuser } => vec![("accuser", accuser.to_string())],
			JobStatusView::Disputed { accuser, validators } => {
				let mut parties = vec![("accuser", accuser.to_string())];
				parties.extend(validators.iter().map(|v| ("validator", v.to_string())));
				parties
			},
			JobStatusView::Unassigned | JobStatusView::Assigned | JobStatusView::Delivered => {
				Vec::new()
			},
		};
		JobStatus {
			job_id: id,
			status: status_word(&job.status),
			consumer: job.consumer.to_string(),
			executor: job.executor.as_ref().map(ToString::to_string),
			model: job.model,
			escrow: Amount(job.escrow),
			price_per_token: Amount(job.price_per_token),
			submitted_at: job.submitted_at,
			deadline: job.deadline,
			reassigned: job.reassigned,
			output_hash: job.output_hash.map(|hash| to_hex(&hash)),
			delivered_at: job.delivered_at,
			parties,
			prompt_tokens: job.prompt_tokens,
			max_output_tokens: job.max_output_tokens,
			usage: job.usage.map(|usage| (usage.prompt_tokens, usage.completion_tokens)),
		}
	}
}

impl fmt::Display for JobStatus {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(f, "job {}: {}", self.job_id, self.status)?;
		for (role, who) in &self.parties {
			writeln!(f, "  {role:<10} {who}")?;
		}
		writeln!(f, "  model      {}", self.model)?;
		writeln!(
			f,
			"  at most    {} prompt + {} output tokens",
			self.prompt_tokens, self.max_output_tokens
		)?;
		if let Some((prompt, completion)) = self.usage {
			writeln!(f, "  used       {prompt} prompt + {completion} completion tokens")?;
		}
		writeln!(f, "  executor   {}", maybe_account(&self.executor))?;
		writeln!(f, "  escrow     {} ({} per token)", self.escrow, self.price_per_token)?;
		writeln!(
			f,
			"  submitted  block {}, current step due before block {}",
			self.submitted_at, self.deadline
		)
	}
}

/// A delivered job's output (`job output`); its text is the output alone.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
	/// The job's id.
	pub job_id: u64,
	/// The block whose `submit_result` holds the output.
	pub delivered_at: u32,
	/// The output's hash as the chain recorded it (`0x...`).
	pub output_hash: String,
	/// The output.
	pub output: String,
}

impl Output {
	/// The report of job `id`'s output, read from block `block` and matching `hash`.
	pub fn new(id: u64, block: u32, hash: &[u8; 32], output: &[u8]) -> Self {
		Output { job_id: id, delivered_at: block, output_hash: to_hex(hash), output: text(output) }
	}
}

impl fmt::Display for Output {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(f, "{}", self.output)
	}
}

/// What cancelling a job did (`job cancel`).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Cancelled {
	/// It ended at once, refunded in full.
	#[serde(rename_all = "camelCase")]
	Ended {
		/// The job's id.
		job_id: u64,
		/// Always `cancelled`.
		end: &'static str,
		/// The refund.
		refund: Amount,
	},
	/// It was assigned: it ends at its deadline.
	#[serde(rename_all = "camelCase")]
	AtDeadline {
		/// The job's id.
		job_id: u64,
		/// Always `true`.
		cancel_requested: bool,
		/// The block at which it ends, refunded in full unless its result comes by then.
		deadline: u32,
	},
}

impl Cancelled {
	/// The report of cancelling job `id`.
	pub fn new(id: u64, cancelled: &client::Cancelled) -> Self {
		match *cancelled {
			client::Cancelled::Ended { refund } => {
				Cancelled::Ended { job_id: id, end: "cancelled", refund: Amount(refund) }
			},
			client::Cancelled::AtDeadline { deadline } => {
				Cancelled::AtDeadline { job_id: id, cancel_requested: true, deadline }
			},
		}
	}
}

impl fmt::Display for Cancelled {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Cancelled::Ended { job_id, refund, .. } => {
				writeln!(f, "job {job_id} cancelled: {refund} refunded")
			},
			Cancelled::AtDeadline { job_id, deadline, .. } => writeln!(
				f,
				"job {job_id} is assigned: it ends at block {deadline}, refunded in full unless its \
				 result comes by then (a result already sent is paid for)"
			),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{report::testing::json_of, units::UNIT};
	use daya_primitives::{Usage, ValidationPolicy};
	use serde_json::json;
	use subxt::utils::AccountId32;

	fn model() -> ModelView {
		ModelView {
			name: b"daya-dev-llama".to_vec(),
			price_per_token: 1_000_000,
			version: 1,
			weights_hash: [1; 32],
			tokenizer_hash: [2; 32],
			source: b"hf:x".to_vec(),
			engine: b"llama".to_vec(),
			context_length: 2_048,
			max_output_tokens: 512,
			max_token_bytes: 16,
			min_vram_mib: 0,
			compute_units_per_token: 1,
			validation: ValidationPolicy {
				conclusive_margin_micro: 100_000,
				near_ties_base: 2,
				near_ties_per_kilo: 4,
				fingerprint_tolerance_ppm: 2_000,
			},
			status: daya_primitives::ModelStatus::Active,
			registered_at: 0,
			updated_at: 0,
		}
	}

	fn outcome(delivered: bool) -> JobOutcome {
		JobOutcome {
			consumer: AccountId32([1; 32]),
			executor: Some(AccountId32([2; 32])),
			model: 0,
			end: if delivered { JobEnd::Completed } else { JobEnd::Expired },
			output_hash: delivered.then_some([3; 32]),
			usage: delivered.then_some(Usage { prompt_tokens: 7, completion_tokens: 6 }),
			fee: if delivered { 13 * UNIT / 1_000 } else { 0 },
			protocol_fee: if delivered { UNIT / 1_000 } else { 0 },
			validation_fee: 0,
			refund: if delivered { 3 * UNIT / 1_000 } else { 16 * UNIT / 1_000 },
			ended_at: 30,
			submitted_at: 10,
			delivered_at: delivered.then_some(20),
			disputed: false,
		}
	}

	#[test]
	fn a_quote_in_json_and_text() {
		let quote = Quote::new(0, &model(), 2, 16, 18_000_000);
		assert_eq!(
			json_of(&quote),
			json!({
				"model": 0,
				"promptTokens": 2,
				"maxOutputTokens": 16,
				"pricePerToken": "1000000",
				"escrow": "18000000",
			})
		);
		assert_eq!(
			quote.to_string(),
			"at most 0.000018 DAYA for 2 prompt bytes and 16 output tokens of daya-dev-llama \
			 (0.000001 DAYA per token); you pay only for the tokens used\n"
		);
	}

	#[test]
	fn a_finished_job_with_its_output() {
		let consumer = AccountId32([1; 32]).to_string();
		let executor = AccountId32([2; 32]).to_string();
		let finished = Finished::new(5, &outcome(true), Some(b"Is 42."));
		assert_eq!(
			json_of(&finished),
			json!({
				"jobId": 5,
				"end": "completed",
				"consumer": consumer,
				"executor": executor,
				"model": 0,
				"outputHash": format!("0x{}", "03".repeat(32)),
				"promptTokens": 7,
				"completionTokens": 6,
				"fee": "13000000000",
				"protocolFee": "1000000000",
				"validationFee": "0",
				"refund": "3000000000",
				"endedAt": 30,
				"submittedAt": 10,
				"deliveredAt": 20,
				"disputed": false,
				"verification": "not drawn for validation (or its validator was silent)",
				"output": "Is 42.",
			})
		);
		assert_eq!(finished.to_string(), "Is 42.\n");
		assert_eq!(
			finished.summary(),
			"job 5 completed (not drawn for validation (or its validator was silent)): 7 prompt + \
			 6 completion tokens, cost 0.013 DAYA, refunded 0.003 DAYA"
		);
	}

	#[test]
	fn a_finished_job_without_output() {
		let finished = Finished::new(6, &outcome(false), None);
		let value = json_of(&finished);
		assert_eq!(value["end"], "expired");
		assert_eq!(value["verification"], "no result");
		for key in ["output", "outputHash", "promptTokens", "completionTokens", "deliveredAt"] {
			assert_eq!(value.get(key), Some(&serde_json::Value::Null), "{key}: {value}");
		}
		assert_eq!(value["refund"], "16000000000");
		assert_eq!(value.as_object().unwrap().len(), 18, "{value}");
		assert_eq!(finished.to_string(), "");
		assert_eq!(
			finished.summary(),
			"job 6 expired (no result): no tokens, cost 0 DAYA, refunded 0.016 DAYA"
		);
	}

	#[test]
	fn an_ended_job_in_text() {
		let executor = AccountId32([2; 32]).to_string();
		let lines = Outcome::new(5, &outcome(true)).to_string();
		let expected = [
			"job 5: completed in block 30".to_string(),
			"  checked    not drawn for validation (or its validator was silent)".into(),
			format!("  executor   {executor}"),
			"  tokens     7 prompt + 6 completion".into(),
			"  cost       0.013 DAYA (protocol fee 0.001 DAYA, validators 0 DAYA)".into(),
			"  refunded   0.003 DAYA".into(),
			format!("  output     0x{}", "03".repeat(32)),
			"  submitted  block 10".into(),
			"  delivered  block 20 (its submit_result extrinsic holds the output)".into(),
		];
		assert_eq!(lines, expected.map(|line| line + "\n").concat());
		let expired = Outcome::new(6, &outcome(false)).to_string();
		assert!(!expired.contains("tokens") && !expired.contains("delivered"), "{expired}");
		assert!(json_of(&Outcome::new(6, &outcome(false))).get("output").is_none());
	}

	#[test]
	fn an_open_job_in_json_and_text() {
		let (consumer, accuser) = (AccountId32([1; 32]), AccountId32([4; 32]));
		let validators = vec![AccountId32([5; 32]), AccountId32([6; 32])];
		let job = JobView {
			consumer,
			model: 0,
			payload_hash: [0; 32],
			prompt_tokens: 7,
			max_output_tokens: 16,
			params: Default::default(),
			price_per_token: 1_000_000,
			escrow: 23_000_000,
			submitted_at: 10,
			executor: Some(AccountId32([2; 32])),
			deadline: 40,
			reassigned: false,
			status: JobStatusView::Disputed { accuser, validators: validators.clone() },
			output_hash: Some([3; 32]),
			delivered_at: Some(20),
			usage: Some(Usage { prompt_tokens: 7, completion_tokens: 6 }),
		};
		let status = JobStatus::new(9, &job);
		assert_eq!(
			json_of(&status),
			json!({
				"jobId": 9,
				"status": "disputed",
				"consumer": consumer.to_string(),
				"executor": AccountId32([2; 32]).to_string(),
				"model": 0,
				"escrow": "23000000",
				"pricePerToken": "1000000",
				"submittedAt": 10,
				"deadline": 40,
				"reassigned": false,
				"outputHash": format!("0x{}", "03".repeat(32)),
				"deliveredAt": 20,
			})
		);
		let expected = [
			"job 9: disputed".to_string(),
			format!("  accuser    {accuser}"),
			format!("  validator  {}", validators[0]),
			format!("  validator  {}", validators[1]),
			"  model      0".into(),
			"  at most    7 prompt + 16 output tokens".into(),
			"  used       7 prompt + 6 completion tokens".into(),
			format!("  executor   {}", AccountId32([2; 32])),
			"  escrow     0.000023 DAYA (0.000001 DAYA per token)".into(),
			"  submitted  block 10, current step due before block 40".into(),
		];
		assert_eq!(status.to_string(), expected.map(|line| line + "\n").concat());
		let waiting = JobView { status: JobStatusView::Unassigned, executor: None, ..job };
		assert_eq!(progress(&waiting), "waiting for its executor to be drawn");
		let assigned = JobView { status: JobStatusView::Assigned, ..waiting };
		assert_eq!(progress(&assigned), "assigned, waiting for the host's result");
		let executor = AccountId32([2; 32]);
		let assigned = JobView { executor: Some(executor), ..assigned };
		assert_eq!(
			progress(&assigned),
			format!(
				"assigned, waiting for the host's result (host {executor}, due before block 40)"
			)
		);
	}

	#[test]
	fn a_cancelled_job() {
		let ended = Cancelled::new(3, &client::Cancelled::Ended { refund: UNIT });
		assert_eq!(
			json_of(&ended),
			json!({ "jobId": 3, "end": "cancelled", "refund": UNIT.to_string() })
		);
		assert_eq!(ended.to_string(), "job 3 cancelled: 1 DAYA refunded\n");
		let later = Cancelled::new(3, &client::Cancelled::AtDeadline { deadline: 40 });
		assert_eq!(json_of(&later), json!({ "jobId": 3, "cancelRequested": true, "deadline": 40 }));
	}
}
