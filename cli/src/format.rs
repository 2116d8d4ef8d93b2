//! What `daya` prints: text for people, JSON (`--json`) for programs.

use crate::{
	client::{
		Cancelled, CollatorStanding, HostView, JobOutcome, JobStatusView, JobView, ModelView,
		Motion, Schedule, Submitted, KEY_TYPE,
	},
	Failure,
};
use daya_primitives::{HostStatus, JobEnd, ModelStatus};
use daya_protocol::hex::to_hex;
use serde_json::json;
use subxt::utils::AccountId32;

/// Units per DAYA (12 decimals).
pub const UNIT: u128 = 1_000_000_000_000;

/// An amount of DAYA, printed with its decimals (trailing zeros dropped).
pub struct Amount(pub u128);

impl std::fmt::Display for Amount {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let (whole, fraction) = (self.0 / UNIT, self.0 % UNIT);
		if fraction == 0 {
			write!(f, "{whole} DAYA")
		} else {
			let digits = format!("{fraction:012}");
			write!(f, "{whole}.{} DAYA", digits.trim_end_matches('0'))
		}
	}
}

/// Parses an amount of DAYA such as `12`, `0.5` or `0.000001` into units.
pub fn parse_amount(text: &str) -> Result<u128, Failure> {
	let invalid = || Failure(format!("invalid amount {text:?}: give DAYA, e.g. 0.000001"));
	let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
	if whole.is_empty() && fraction.is_empty() || fraction.len() > 12 {
		return Err(invalid());
	}
	let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
	if !digits(whole) || !digits(fraction) {
		return Err(invalid());
	}
	let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| invalid())? };
	let fraction: u128 = if fraction.is_empty() {
		0
	} else {
		format!("{fraction:0<12}").parse().map_err(|_| invalid())?
	};
	whole
		.checked_mul(UNIT)
		.and_then(|w| w.checked_add(fraction))
		.ok_or_else(invalid)
}

/// An optional account (an executor not drawn yet): SS58, or `none`.
fn maybe_account(who: &Option<AccountId32>) -> String {
	who.as_ref().map_or_else(|| "none".into(), AccountId32::to_string)
}

fn text(bytes: &[u8]) -> String {
	String::from_utf8_lossy(bytes).into_owned()
}

fn percent(parts: u32) -> String {
	format!("{}.{}%", parts / 10_000_000, (parts / 1_000_000) % 10)
}

fn print(value: serde_json::Value) {
	println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
}

fn status_name(status: ModelStatus) -> &'static str {
	match status {
		ModelStatus::Active => "active",
		ModelStatus::Deprecated => "deprecated",
		ModelStatus::Retired => "retired",
	}
}

/// A job's status in a few words.
pub fn status_word(status: &JobStatusView) -> &'static str {
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

fn model_json(id: u32, model: &ModelView) -> serde_json::Value {
	json!({
		"id": id,
		"name": text(&model.name),
		"version": model.version,
		"status": status_name(model.status),
		"pricePerToken": model.price_per_token.to_string(),
		"contextLength": model.context_length,
		"maxOutputTokens": model.max_output_tokens,
		"minVramMib": model.min_vram_mib,
		"computeUnitsPerToken": model.compute_units_per_token,
		"maxTokenBytes": model.max_token_bytes,
		"validation": {
			"conclusiveMarginMicro": model.validation.conclusive_margin_micro,
			"nearTiesBase": model.validation.near_ties_base,
			"nearTiesPerKilo": model.validation.near_ties_per_kilo,
			"fingerprintTolerancePpm": model.validation.fingerprint_tolerance_ppm,
		},
		"weightsHash": to_hex(&model.weights_hash),
		"source": text(&model.source),
	})
}

pub fn models(json: bool, models: &[(u32, ModelView)]) {
	if json {
		print(serde_json::Value::Array(models.iter().map(|(id, m)| model_json(*id, m)).collect()));
		return;
	}
	println!(
		"{:>4}  {:<32} {:>8}  {:<10}  {:>22}",
		"ID", "NAME", "VERSION", "STATUS", "PRICE PER TOKEN"
	);
	for (id, model) in models {
		println!(
			"{:>4}  {:<32} {:>8}  {:<10}  {:>22}",
			id,
			text(&model.name),
			model.version,
			status_name(model.status),
			Amount(model.price_per_token).to_string()
		);
	}
}

pub fn model(json: bool, id: u32, model: &ModelView) {
	if json {
		return print(model_json(id, model));
	}
	println!(
		"model {id}: {} (version {}, {})",
		text(&model.name),
		model.version,
		status_name(model.status)
	);
	println!("  price per token      {}", Amount(model.price_per_token));
	println!("  context length       {} tokens", model.context_length);
	println!("  max output tokens    {}", model.max_output_tokens);
	println!("  max bytes per token  {}", model.max_token_bytes);
	println!("  min VRAM             {} MiB", model.min_vram_mib);
	println!("  compute units/token  {}", model.compute_units_per_token);
	let v = &model.validation;
	println!(
		"  validation           a token beyond {} micro-nats is fraud; near ties allowed {} + {} per \
		 1000 tokens; fingerprints within {} ppm",
		v.conclusive_margin_micro, v.near_ties_base, v.near_ties_per_kilo, v.fingerprint_tolerance_ppm
	);
	println!("  weights hash         {}", to_hex(&model.weights_hash));
	println!("  source               {}", text(&model.source));
}

pub fn quote(json: bool, id: u32, model: &ModelView, prompt: usize, max_tokens: u32, escrow: u128) {
	if json {
		return print(json!({
			"model": id,
			"promptTokens": prompt,
			"maxOutputTokens": max_tokens,
			"pricePerToken": model.price_per_token.to_string(),
			"escrow": escrow.to_string(),
		}));
	}
	println!(
		"at most {} for {} prompt bytes and {} output tokens of {} ({} per token); you pay only for the tokens used",
		Amount(escrow),
		prompt,
		max_tokens,
		text(&model.name),
		Amount(model.price_per_token)
	);
}

/// A job just submitted: its executor is not drawn yet (`daya job status` shows it once it is).
pub fn submitted(json: bool, job: &Submitted) {
	if json {
		return print(json!({
			"jobId": job.job_id,
			"executor": null,
			"escrow": job.escrow.to_string(),
			"deadline": null,
			"block": job.block,
		}));
	}
	println!(
		"job {} submitted in block {}: escrow {}; its executor is drawn from a later block \
		 (see `daya job status {}`)",
		job.job_id,
		job.block,
		Amount(job.escrow),
		job.job_id
	);
}

fn outcome_json(id: u64, outcome: &JobOutcome) -> serde_json::Value {
	json!({
		"jobId": id,
		"end": end_name(outcome.end),
		"consumer": outcome.consumer.to_string(),
		"executor": outcome.executor.map(|executor| executor.to_string()),
		"model": outcome.model,
		"outputHash": outcome.output_hash.map(|h| to_hex(&h)),
		"promptTokens": outcome.usage.map(|u| u.prompt_tokens),
		"completionTokens": outcome.usage.map(|u| u.completion_tokens),
		"fee": outcome.fee.to_string(),
		"protocolFee": outcome.protocol_fee.to_string(),
		"validationFee": outcome.validation_fee.to_string(),
		"refund": outcome.refund.to_string(),
		"endedAt": outcome.ended_at,
		"submittedAt": outcome.submitted_at,
		"deliveredAt": outcome.delivered_at,
		"disputed": outcome.disputed,
		"verification": verification(outcome),
	})
}

pub fn finished(json: bool, job: &Submitted, outcome: &JobOutcome, output: Option<&[u8]>) {
	if json {
		let mut value = outcome_json(job.job_id, outcome);
		value["output"] = json!(output.map(text));
		return print(value);
	}
	if let Some(output) = output {
		println!("{}", text(output));
	}
	let tokens = outcome
		.usage
		.map(|u| format!("{} prompt + {} completion tokens", u.prompt_tokens, u.completion_tokens))
		.unwrap_or_else(|| "no tokens".into());
	eprintln!(
		"job {} {} ({}): {}, cost {}, refunded {}",
		job.job_id,
		end_name(outcome.end),
		verification(outcome),
		tokens,
		Amount(outcome.fee),
		Amount(outcome.refund)
	);
}

pub fn outcome(json: bool, id: u64, outcome: &JobOutcome) {
	if json {
		return print(outcome_json(id, outcome));
	}
	println!("job {id}: {} in block {}", end_name(outcome.end), outcome.ended_at);
	println!("  checked    {}", verification(outcome));
	println!("  executor   {}", maybe_account(&outcome.executor));
	if let Some(usage) = outcome.usage {
		println!(
			"  tokens     {} prompt + {} completion",
			usage.prompt_tokens, usage.completion_tokens
		);
	}
	println!(
		"  cost       {} (protocol fee {}, validators {})",
		Amount(outcome.fee),
		Amount(outcome.protocol_fee),
		Amount(outcome.validation_fee)
	);
	println!("  refunded   {}", Amount(outcome.refund));
	if let Some(hash) = outcome.output_hash {
		println!("  output     {}", to_hex(&hash));
	}
	println!("  submitted  block {}", outcome.submitted_at);
	if let Some(at) = outcome.delivered_at {
		println!("  delivered  block {at} (its submit_result extrinsic holds the output)");
	}
}

pub fn job(json: bool, id: u64, job: &JobView) {
	if json {
		return print(json!({
			"jobId": id,
			"status": status_word(&job.status),
			"consumer": job.consumer.to_string(),
			"executor": job.executor.map(|executor| executor.to_string()),
			"model": job.model,
			"escrow": job.escrow.to_string(),
			"pricePerToken": job.price_per_token.to_string(),
			"submittedAt": job.submitted_at,
			"deadline": job.deadline,
			"reassigned": job.reassigned,
			"outputHash": job.output_hash.map(|h| to_hex(&h)),
			"deliveredAt": job.delivered_at,
		}));
	}
	println!("job {id}: {}", status_word(&job.status));
	match &job.status {
		JobStatusView::Validating { validator } | JobStatusView::Probing { validator } => {
			println!("  validator  {validator}")
		},
		JobStatusView::Accused { accuser } => println!("  accuser    {accuser}"),
		JobStatusView::Disputed { accuser, validators } => {
			println!("  accuser    {accuser}");
			for validator in validators {
				println!("  validator  {validator}");
			}
		},
		JobStatusView::Unassigned | JobStatusView::Assigned | JobStatusView::Delivered => {},
	}
	println!("  model      {}", job.model);
	println!("  at most    {} prompt + {} output tokens", job.prompt_tokens, job.max_output_tokens);
	if let Some(usage) = job.usage {
		println!(
			"  used       {} prompt + {} completion tokens",
			usage.prompt_tokens, usage.completion_tokens
		);
	}
	println!("  executor   {}", maybe_account(&job.executor));
	println!("  escrow     {} ({} per token)", Amount(job.escrow), Amount(job.price_per_token));
	println!(
		"  submitted  block {}, current step due before block {}",
		job.submitted_at, job.deadline
	);
}

pub fn output(json: bool, id: u64, block: u32, hash: &[u8; 32], output: &[u8]) {
	if json {
		return print(json!({
			"jobId": id,
			"deliveredAt": block,
			"outputHash": to_hex(hash),
			"output": text(output),
		}));
	}
	println!("{}", text(output));
}

pub fn cancelled(json: bool, id: u64, cancelled: &Cancelled) {
	match *cancelled {
		Cancelled::Ended { refund } if json => {
			print(json!({ "jobId": id, "end": "cancelled", "refund": refund.to_string() }))
		},
		Cancelled::Ended { refund } => println!("job {id} cancelled: {} refunded", Amount(refund)),
		Cancelled::AtDeadline { deadline } if json => {
			print(json!({ "jobId": id, "cancelRequested": true, "deadline": deadline }))
		},
		Cancelled::AtDeadline { deadline } => println!(
			"job {id} is assigned: it ends at block {deadline}, refunded in full unless its \
			 result comes by then (a result already sent is paid for)"
		),
	}
}

/// How the CLI names a window's outcome.
fn outcome_name(outcome: &daya_primitives::runtime_api::PocOutcomeView) -> String {
	use daya_primitives::runtime_api::PocOutcomeView;
	match outcome {
		PocOutcomeView::Proven { count } => format!("proven ({count} nonces)"),
		PocOutcomeView::Convicted => "convicted of fraud".into(),
		PocOutcomeView::Unproven => "nothing proven".into(),
		PocOutcomeView::Unconfirmed { window } => {
			format!("failed confirmation window {window}: weightless until the next window")
		},
	}
}

pub fn host(
	json: bool,
	who: &AccountId32,
	host: &HostView,
	poc: &daya_primitives::runtime_api::PocHostView,
	service: &daya_primitives::runtime_api::ServiceView,
) {
	let last = poc.last.as_ref().map(|(window, outcome)| (*window, outcome_name(outcome)));
	let (valid, invalid, missing) = poc.verdicts;
	let status = match &host.status {
		HostStatus::Active => "active".to_string(),
		HostStatus::Chilled => "chilled".to_string(),
		HostStatus::Jailed { until } => format!("jailed until block {until}"),
		HostStatus::Leaving { unlock_at } => {
			format!("leaving, bond unlocks at block {unlock_at}")
		},
	};
	if json {
		return print(json!({
			"account": who.to_string(),
			"status": status,
			"endpoint": text(&host.endpoint),
			"hardware": host.hardware.iter().map(|g| json!({
				"name": text(&g.name), "vramMib": g.vram_mib, "count": g.count
			})).collect::<Vec<_>>(),
			"servedModels": host.served_models,
			"bond": host.bond.to_string(),
			"reputation": host.reputation.deconstruct(),
			"capacityWeight": host.capacity_weight,
			"executorKind": kind_name(host.executor_kind),
			"registeredAt": host.registered_at,
			"proofOfCompute": {
				"provenWeight": poc.proven_weight,
				"lastWindow": last.as_ref().map(|(window, outcome)| json!({
					"window": window, "outcome": outcome
				})),
				"committed": poc.committed.map(|(window, count)| json!({
					"window": window, "count": count
				})),
				"verdicts": { "valid": valid, "invalid": invalid, "missing": missing },
			},
			"service": {
				"epoch": service.epoch,
				"delivered": service.delivered,
				"missed": service.missed,
				"work": service.work.to_string(),
				"failedConfirmation": service.unconfirmed,
			},
		}));
	}
	println!("host {who}: {status}");
	println!("  endpoint    {}", text(&host.endpoint));
	for gpu in &host.hardware {
		println!("  hardware    {} x {} ({} MiB)", gpu.count, text(&gpu.name), gpu.vram_mib);
	}
	println!("  models      {:?}", host.served_models);
	println!("  bond        {}", Amount(host.bond));
	println!("  reputation  {}", percent(host.reputation.deconstruct()));
	println!("  capacity    {}", host.capacity_weight);
	println!("  executor    {}", kind_name(host.executor_kind));
	match poc.proven_weight {
		Some(weight) => println!("  proven      {weight}"),
		None => println!("  proven      nothing yet (no window has concluded)"),
	}
	if let Some((window, outcome)) = &last {
		println!("  last window {window}: {outcome}");
	}
	if let Some((window, count)) = poc.committed {
		println!(
			"  committed   {count} nonces to window {window}; verdicts: {valid} valid, {invalid} invalid, {missing} missing"
		);
	}
	println!(
		"  epoch {}     {} jobs delivered, {} missed, {} work units{}",
		service.epoch,
		service.delivered,
		service.missed,
		service.work,
		if service.unconfirmed { ", failed a confirmation window" } else { "" }
	);
}

/// How the CLI names an executor kind (as `daya host set-kind` takes it).
fn kind_name(kind: daya_primitives::ExecutorKind) -> &'static str {
	match kind {
		daya_primitives::ExecutorKind::Full => "full",
		daya_primitives::ExecutorKind::GreedyOnly => "greedy-only",
	}
}

pub fn motion(json: bool, motion: &Motion) {
	let hash = to_hex(&motion.hash);
	if json {
		return print(
			json!({ "hash": hash, "index": motion.index, "threshold": motion.threshold }),
		);
	}
	println!("motion {} proposed: {hash}", motion.index);
	println!("  it passes with {} aye votes; members vote with", motion.threshold);
	println!("  daya council vote {hash} {} --suri <member>", motion.index);
	println!(
		"  and anyone closes it with: daya council close {hash} {} --suri <account>",
		motion.index
	);
}

pub fn voted(json: bool, index: u32, aye: bool) {
	if json {
		return print(json!({ "index": index, "aye": aye }));
	}
	println!("voted {} on motion {index}", if aye { "aye" } else { "nay" });
}

pub fn closed(json: bool, index: u32, enacted: bool) {
	if json {
		return print(json!({ "index": index, "enacted": enacted }));
	}
	if enacted {
		println!("motion {index} closed: passed and enacted");
	} else {
		println!("motion {index} closed: rejected");
	}
}

/// The name of an OpenGov track.
fn track_name(track: Option<u64>) -> &'static str {
	match track {
		Some(0) => "root",
		Some(1) => "model_registry",
		Some(2) => "treasurer",
		_ => "unknown",
	}
}

pub fn referendum_submitted(json: bool, submitted: &crate::client::ReferendumSubmitted) {
	let track = track_name(Some(submitted.track.into()));
	if json {
		return print(json!({
			"index": submitted.index,
			"track": track,
			"callBytes": submitted.call_len,
		}));
	}
	println!(
		"referendum {} submitted on the {track} track, its decision deposit placed",
		submitted.index
	);
	println!("  token holders vote with: daya referendum vote {} --amount DAYA --conviction 1x --suri <account>", submitted.index);
	println!("  and follow it with: daya referendum show {}", submitted.index);
}

/// A conviction's name: `none` or `Nx`.
fn conviction_name(conviction: u8) -> String {
	if conviction == 0 {
		"none".into()
	} else {
		format!("{conviction}x")
	}
}

pub fn referendum_voted(json: bool, index: u32, aye: bool, conviction: u8, balance: u128) {
	let conviction = conviction_name(conviction);
	if json {
		return print(json!({
			"index": index,
			"aye": aye,
			"conviction": conviction,
			"amount": balance.to_string(),
		}));
	}
	let side = if aye { "aye" } else { "nay" };
	println!(
		"voted {side} on referendum {index} with {} at conviction {conviction}",
		Amount(balance)
	);
}

/// The JSON of a referendum, with its index and its track's name.
fn referendum_view(index: u32, info: &serde_json::Value) -> serde_json::Value {
	let mut view = info.clone();
	view["index"] = json!(index);
	if let Some(track) = info.get("track") {
		view["trackName"] = json!(track_name(track.as_u64()));
	}
	view
}

fn referendum_line(index: u32, info: &serde_json::Value) -> String {
	let status = info["status"].as_str().unwrap_or("unknown");
	if status != "ongoing" {
		return format!("#{index}  {status} at block {}", info["endedAt"]);
	}
	let amount =
		|key: &str| Amount(info[key].as_str().and_then(|a| a.parse().ok()).unwrap_or_default());
	let phase = if !info["confirmingUntil"].is_null() {
		format!("confirming until block {}", info["confirmingUntil"])
	} else if !info["decidingSince"].is_null() {
		format!("deciding since block {}", info["decidingSince"])
	} else {
		"preparing".to_string()
	};
	format!(
		"#{index}  ongoing on {}: {phase}; ayes {}, nays {}, support {}",
		track_name(info["track"].as_u64()),
		amount("ayes"),
		amount("nays"),
		amount("support")
	)
}

pub fn referenda(json: bool, all: &[(u32, serde_json::Value)]) {
	if json {
		return print(json!(all
			.iter()
			.map(|(index, info)| referendum_view(*index, info))
			.collect::<Vec<_>>()));
	}
	if all.is_empty() {
		println!("no referenda");
	}
	for (index, info) in all {
		println!("{}", referendum_line(*index, info));
	}
}

pub fn referendum(json: bool, index: u32, info: &serde_json::Value) {
	if json {
		return print(referendum_view(index, info));
	}
	println!("{}", referendum_line(index, info));
}

pub fn left(json: bool, who: &AccountId32) {
	if json {
		return print(json!({ "account": who.to_string(), "registered": false }));
	}
	println!("{who} left the host registry; its bond is released");
}

pub fn executor(json: bool, who: &AccountId32, url: &str, keyed: bool) {
	if json {
		return print(json!({ "account": who.to_string(), "executor": url, "apiKey": keyed }));
	}
	let how = if keyed { "with its API key" } else { "without an API key" };
	println!("this node's offchain worker sends {who}'s jobs to {url}, {how}");
}

pub fn key_inserted(json: bool, who: &AccountId32, registered: bool) {
	if json {
		return print(json!({
			"account": who.to_string(),
			"keyType": KEY_TYPE,
			"registered": registered,
		}));
	}
	println!("host key {who} is in the node's keystore (key type {KEY_TYPE})");
	if !registered {
		println!("it is not a registered host yet: register it with `daya host register`");
	}
}

pub fn collator(json: bool, who: &AccountId32, standing: &CollatorStanding) {
	if json {
		return print(json!({
			"account": who.to_string(),
			"sessionKeys": standing.session_keys,
			"invulnerable": standing.invulnerable,
			"candidateDeposit": standing.candidate.map(|d| d.to_string()),
			"lastAuthoredBlock": standing.last_authored,
		}));
	}
	let role = match (standing.invulnerable, standing.candidate) {
		(true, _) => "an invulnerable collator".to_string(),
		(false, Some(deposit)) => format!("a collator candidate (deposit {})", Amount(deposit)),
		(false, None) => "not a collator".to_string(),
	};
	println!("{who}: {role}");
	println!("  session keys   {}", if standing.session_keys { "set" } else { "not set" });
	match standing.last_authored {
		Some(block) => println!("  last authored  block {block}"),
		None => println!("  last authored  none recorded"),
	}
	if !standing.invulnerable && standing.candidate.is_none() {
		println!("to join: run a collator node, get its keys with the author_rotateKeys RPC, then");
		println!("  session.setKeys(keys, proof) and collatorSelection.registerAsCandidate()");
		println!("  from this account (see docs/operators.md)");
	}
}

pub fn pending(json: bool, who: &AccountId32, amount: u128) {
	if json {
		return print(json!({ "account": who.to_string(), "pending": amount.to_string() }));
	}
	println!("{who}: {} to claim", Amount(amount));
}

pub fn claimed(json: bool, who: &AccountId32, amount: u128) {
	if json {
		return print(json!({ "account": who.to_string(), "claimed": amount.to_string() }));
	}
	println!("paid {} to {who}", Amount(amount));
}

pub fn schedule(json: bool, schedule: &Schedule) {
	if json {
		return print(json!({
			"currentEpoch": schedule.epoch,
			"epochLength": schedule.epoch_length,
			"emitted": schedule.emitted.to_string(),
			"remaining": schedule.remaining.to_string(),
			"eras": schedule.eras.iter().map(|e| json!({
				"firstEpoch": e.first_epoch, "rewardPerEpoch": e.reward.to_string()
			})).collect::<Vec<_>>(),
		}));
	}
	println!(
		"epoch {} ({} blocks each); emitted {}, {} remain",
		schedule.epoch,
		schedule.epoch_length,
		Amount(schedule.emitted),
		Amount(schedule.remaining)
	);
	println!("{:>12}  {:>24}", "FROM EPOCH", "REWARD PER EPOCH");
	for era in &schedule.eras {
		println!("{:>12}  {:>24}", era.first_epoch, Amount(era.reward).to_string());
	}
}

pub fn poc_window(json: bool, window: Option<&daya_primitives::runtime_api::PocWindowView<u32>>) {
	let Some(w) = window else {
		if json {
			return print(serde_json::Value::Null);
		}
		println!("no proof-of-compute window yet");
		return;
	};
	if json {
		return print(json!({
			"window": w.index,
			"openedAt": w.opened_at,
			"sampleAt": w.sample_at,
			"concludeAt": w.conclude_at,
			"commitments": w.commitments,
			"concluded": w.concluded,
			"applied": w.applied,
			"kind": if w.confirmation { "confirmation" } else { "regular" },
		}));
	}
	let stage = match (w.concluded, w.applied) {
		(true, true) => "concluded, weights applied",
		(true, false) => "concluded, applying weights",
		_ => "open",
	};
	let kind = if w.confirmation { "confirmation" } else { "regular" };
	println!("window {} ({kind}): {stage}", w.index);
	println!("  opened at block    {}", w.opened_at);
	println!("  samples at block   {}", w.sample_at);
	println!("  concludes at block {}", w.conclude_at);
	println!("  commitments        {}", w.commitments);
}

pub fn runtime_version(json: bool, version: &serde_json::Value, authorized: Option<[u8; 32]>) {
	let authorized = authorized.map(|hash| to_hex(&hash));
	if json {
		return print(json!({
			"specName": version["specName"],
			"specVersion": version["specVersion"],
			"implVersion": version["implVersion"],
			"transactionVersion": version["transactionVersion"],
			"authorizedUpgrade": authorized,
		}));
	}
	println!(
		"{} spec version {}, impl version {}, transaction version {}",
		version["specName"].as_str().unwrap_or("?"),
		version["specVersion"],
		version["implVersion"],
		version["transactionVersion"]
	);
	match authorized {
		Some(hash) => println!(
			"  an upgrade to code {hash} is authorized: apply it with daya runtime upgrade --wasm FILE"
		),
		None => println!("  no upgrade authorized"),
	}
}

pub fn upgrade_applied(json: bool, applied: &crate::client::UpgradeApplied) {
	let hash = to_hex(&applied.code_hash);
	if json {
		return print(json!({
			"block": applied.block,
			"codeHash": hash,
			"codeBytes": applied.code_len,
			"enacted": applied.enacted,
		}));
	}
	println!("code {hash} ({} bytes) applied in block #{}", applied.code_len, applied.block);
	if applied.enacted {
		println!("  the new runtime runs from the next block");
	} else {
		println!(
			"  stored: the new runtime runs once the relay chain lets it go ahead (daya runtime \
			 version shows it)"
		);
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_parse_and_print() {
		assert_eq!(parse_amount("1").ok(), Some(UNIT));
		assert_eq!(parse_amount("0.000001").ok(), Some(1_000_000));
		assert_eq!(parse_amount(".5").ok(), Some(UNIT / 2));
		assert_eq!(parse_amount("12.000000000001").ok(), Some(12 * UNIT + 1));
		for bad in ["", ".", "1.0000000000001", "-1", "1e3", "one", "1.2.3"] {
			assert!(parse_amount(bad).is_err(), "{bad}");
		}
		assert_eq!(Amount(UNIT).to_string(), "1 DAYA");
		assert_eq!(Amount(1_000_000).to_string(), "0.000001 DAYA");
		assert_eq!(Amount(1_500 * UNIT / 1_000).to_string(), "1.5 DAYA");
		assert_eq!(percent(500_000_000), "50.0%");
	}
}
