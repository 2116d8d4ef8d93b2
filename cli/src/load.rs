//! `daya load`: drives a node with jobs from many consumers at once, then with balance
//! transfers as the baseline, and reports what each block carried.
//!
//! Two phases on the same node, one after the other:
//!
//! 1. **Jobs**: `consumers` accounts (derived from the signer's key, `<suri>//load//<i>`,
//!    funded by the signer) each keep up to `open_per_consumer` jobs open, submitting the next
//!    as soon as one ends, for `jobs_for`; then no new job, and the phase waits (at most
//!    `drain`) for every job submitted to end, settled or refunded; the end of a job in a block
//!    the follower could not read is read from the chain's outcome records.
//! 2. **Transfers**: the same accounts send `Balances.transfer_keep_alive` to each other as
//!    fast as the pool takes them, each keeping up to `transfers_in_flight` in the pool, for
//!    `transfers_for`: the node's ceiling for the simplest signed transaction.
//!
//! Meanwhile a follower reads every finalized block: the jobs submitted (`JobSubmitted` of
//! these consumers), settled (`JobEnded` paid: completed or validated) and refunded (every
//! other end), the transfers (`Transfer` between these accounts), the block's weight per
//! dispatch class (`System.BlockWeight`) and its length (the extrinsics' bytes), against the
//! runtime's limits. Each job's latency is the blocks and seconds (block timestamps) from the
//! block that included it to the one that ended it.

use crate::{
	client::{self, Client},
	error::{fail, Failure},
};
use serde::Serialize;
use std::{
	collections::{HashMap, HashSet},
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};
use subxt::{
	client::{Block, OnlineClientAtBlock, OnlineClientAtBlockImpl, OnlineClientAtBlockT},
	config::PolkadotExtrinsicParamsBuilder,
	dynamic::{self, Value},
	error::TransactionEventsError,
	ext::scale_decode::{self, DecodeAsType},
	transactions::{SubmittableTransaction, TransactionInBlock},
	utils::AccountId32,
	OnlineClient, PolkadotConfig,
};
use subxt_signer::sr25519::Keypair;
use tokio::sync::{oneshot, Semaphore};

/// What to drive, and for how long.
pub struct Plan {
	/// The model the jobs buy.
	pub model: u32,
	/// The signer's secret URI: it funds the consumers, whose keys derive from it.
	pub funder: String,
	pub consumers: u32,
	pub open_per_consumer: u32,
	/// The most jobs a consumer submits in one transaction (`submit_jobs`); 1: `submit_job`.
	pub batch: u32,
	pub prompt_bytes: u32,
	pub max_output: u32,
	pub jobs_for: Duration,
	pub drain: Duration,
	pub transfers_for: Duration,
	pub transfers_in_flight: u32,
}

/// Which phase a block belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
	/// Consumers fund themselves.
	Setup,
	/// Consumers submit jobs.
	Jobs,
	/// No new jobs; the open ones end.
	Drain,
	/// Balance transfers.
	Transfers,
}

/// What one finalized block carried.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockRow {
	pub number: u64,
	pub phase: Phase,
	/// Its timestamp (milliseconds since the epoch).
	pub timestamp: u64,
	pub submitted: u32,
	pub settled: u32,
	pub refunded: u32,
	pub transfers: u32,
	pub extrinsics: u32,
	/// The extrinsics' bytes.
	pub length: u64,
	/// Ref time (picoseconds) and proof size (bytes) per class.
	pub normal: (u64, u64),
	pub operational: (u64, u64),
	pub mandatory: (u64, u64),
}

/// How one job went: blocks and milliseconds from its inclusion to its end.
#[derive(Clone, Debug)]
struct Ended {
	blocks: u64,
	millis: u64,
	paid: bool,
}

/// The runtime's limits the rows are measured against.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
	/// The block's ref time and proof size.
	pub block: (u64, u64),
	/// The normal class's share of them.
	pub normal: (u64, u64),
	/// The normal class's length, in bytes.
	pub normal_length: u64,
}

/// The report: every block of both phases, and the summary.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadReport {
	pub consumers: u32,
	pub open_per_consumer: u32,
	/// The most jobs a transaction submitted.
	pub batch: u32,
	pub prompt_bytes: u32,
	pub max_output_tokens: u32,
	pub limits: Limits,
	pub blocks: Vec<BlockRow>,
	pub jobs: JobSummary,
	pub transfers: TransferSummary,
	/// Settled jobs per block over transfers per block, in percent.
	pub jobs_to_transfers_percent: f64,
}

/// The job phase in numbers.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
	/// Blocks of the job phase (submitting).
	pub blocks: u64,
	pub submitted: u64,
	pub settled: u64,
	pub refunded: u64,
	/// Submitted jobs that had not ended when the drain gave up.
	pub open_at_end: u64,
	/// Ended jobs (among `settled` and `refunded`) whose end was read from the chain's outcome
	/// records, the follower having missed their block.
	pub reconciled: u64,
	/// Jobs whose transaction was refused or failed (not counted as submitted).
	pub failed: u64,
	/// Jobs of transactions finalized in a block whose events the client could not read
	/// ([`EVENT_READS`] tries): not counted as failed; they are among `submitted` where the
	/// follower read their block.
	pub unread: u64,
	/// Why, each reason with how often.
	pub failures: Vec<(String, u64)>,
	/// Per block of the job phase: submitted, and ended (settled or refunded), means.
	pub submitted_per_block: f64,
	pub ended_per_block: f64,
	/// The most jobs that ended in one block.
	pub most_ended_in_a_block: u32,
	/// Latency from inclusion to end: p50, p95, p99.
	pub latency_blocks: [u64; 3],
	pub latency_seconds: [f64; 3],
	/// Means over the job phase's blocks, percent of the block's limit: normal ref time, proof,
	/// length; and the hooks' (mandatory) ref time.
	pub fullness_percent: Fullness,
}

/// The transfer phase in numbers.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferSummary {
	pub blocks: u64,
	pub transfers: u64,
	pub per_block: f64,
	pub most_in_a_block: u32,
	pub fullness_percent: Fullness,
}

/// How full blocks were, in percent of the limits (means).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fullness {
	pub normal_ref_time: f64,
	pub normal_proof: f64,
	pub length: f64,
	pub mandatory_ref_time: f64,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct JobSubmitted {
	job_id: u64,
	consumer: AccountId32,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
enum JobEnd {
	Completed,
	Validated,
	Fraud,
	Expired,
	Cancelled,
	Unresolved,
	Released,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct JobEnded {
	job_id: u64,
	end: JobEnd,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct Transfer {
	from: AccountId32,
	to: AccountId32,
}

#[derive(Debug, Default, Clone, Copy, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct WeightValue {
	ref_time: u64,
	proof_size: u64,
}

impl WeightValue {
	fn pair(self) -> (u64, u64) {
		(self.ref_time, self.proof_size)
	}
}

/// `System.BlockWeight`: what each class used.
#[derive(Debug, Default, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct UsedPerClass {
	normal: WeightValue,
	operational: WeightValue,
	mandatory: WeightValue,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ClassWeights {
	max_total: Option<WeightValue>,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ClassLimits {
	normal: ClassWeights,
}

/// `System.BlockWeights`, the parts read here.
#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct BlockWeights {
	max_block: WeightValue,
	per_class: ClassLimits,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct LengthPerClass {
	normal: u32,
}

/// `System.BlockLength`.
#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct BlockLength {
	max: LengthPerClass,
}

/// What the follower and the senders share.
#[derive(Default)]
struct State {
	phase: Option<Phase>,
	rows: Vec<BlockRow>,
	/// Each job of these consumers: its inclusion block and timestamp.
	included: HashMap<u64, (u64, u64)>,
	ended: HashMap<u64, Ended>,
	/// Whoever waits for a job's end.
	waiting: HashMap<u64, oneshot::Sender<()>>,
	failed: u64,
	/// Transactions finalized whose events could not be read.
	unread: u64,
	/// Why job submissions failed: each reason's first line, and how often.
	reasons: std::collections::BTreeMap<String, u64>,
	/// Jobs whose end was read from the chain's outcome records, their end's block being one
	/// the follower could not read.
	reconciled: u64,
	/// Blocks the follower could not read.
	missed: u64,
	stop: bool,
}

type Shared = Arc<Mutex<State>>;

/// A signed transaction, ready to submit.
type Submittable = SubmittableTransaction<PolkadotConfig, OnlineClientAtBlockImpl<PolkadotConfig>>;

fn lock(state: &Shared) -> std::sync::MutexGuard<'_, State> {
	state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs both phases and returns the report.
pub async fn run(client: &Client, plan: Plan) -> Result<LoadReport, Failure> {
	if plan.consumers == 0 || plan.open_per_consumer == 0 || plan.prompt_bytes == 0 {
		return fail("--consumers, --open-per-consumer and --prompt-bytes must not be zero");
	}
	if plan.batch == 0 {
		return fail("--batch must not be zero (1 submits each job in its own transaction)");
	}
	let most = client.max_batch().await?;
	if plan.open_per_consumer > most || plan.batch > most {
		return fail(format!(
			"--open-per-consumer {} and --batch {} may not exceed the jobs one consumer may have \
			 open ({most})",
			plan.open_per_consumer, plan.batch
		));
	}
	let api = client.api().clone();
	let funder = client::signer(Some(&plan.funder))?;
	let keys = (0..plan.consumers)
		.map(|i| client::signer(Some(&format!("{}//load//{i}", plan.funder))))
		.collect::<Result<Vec<_>, _>>()?;
	let accounts: Vec<AccountId32> = keys.iter().map(client::account_of).collect();
	let ours: HashSet<[u8; 32]> = accounts.iter().map(|account| account.0).collect();
	let limits = limits(&api).await?;

	// Each consumer holds the escrow of its open jobs and pays the fees of its transactions.
	let escrow = client.quote(plan.model, plan.prompt_bytes, plan.max_output).await?;
	let fund = escrow
		.saturating_mul(u128::from(plan.open_per_consumer))
		.saturating_mul(4)
		.saturating_add(100 * crate::units::UNIT);

	let state: Shared =
		Arc::new(Mutex::new(State { phase: Some(Phase::Setup), ..Default::default() }));
	let follower = tokio::spawn(follow(api.clone(), state.clone(), ours.clone()));

	eprintln!("[load] funding {} consumers with {} each", keys.len(), crate::units::Amount(fund));
	let mut nonce = client.next_nonce_of(&funder).await?;
	let at = latest(&api).await?;
	let mut funded = Vec::new();
	for account in &accounts {
		let call = dynamic::transaction(
			"Balances",
			"transfer_keep_alive",
			vec![Value::unnamed_variant("Id", [Value::from_bytes(account.0)]), Value::u128(fund)],
		);
		let progress = signed(&at, &call, &funder, nonce).await?.submit_and_watch().await;
		funded.push(progress.map_err(|e| Failure(format!("funding a consumer: {e}")))?);
		nonce += 1;
	}
	for progress in funded {
		progress
			.wait_for_finalized_success()
			.await
			.map_err(|e| Failure(format!("funding a consumer: {e}")))?;
	}

	// Phase 1: jobs.
	lock(&state).phase = Some(Phase::Jobs);
	eprintln!(
		"[load] {} consumers submit jobs for {} s, up to {} open each",
		keys.len(),
		plan.jobs_for.as_secs(),
		plan.open_per_consumer
	);
	let started = Instant::now();
	let deadline = started + plan.jobs_for;
	let mut consumers = Vec::new();
	for (index, key) in keys.iter().enumerate() {
		let nonce = client.next_nonce_of(key).await?;
		let (client, key, state) = (client.clone(), key.clone(), state.clone());
		let (model, prompt_bytes, max_output, open, batch) =
			(plan.model, plan.prompt_bytes, plan.max_output, plan.open_per_consumer, plan.batch);
		consumers.push(tokio::spawn(async move {
			consume(
				client,
				state,
				key,
				index,
				nonce,
				model,
				prompt_bytes,
				max_output,
				open,
				batch,
				deadline,
			)
			.await
		}));
	}
	let mut waits = Vec::new();
	for consumer in consumers {
		waits.extend(consumer.await.map_err(|e| Failure(format!("a consumer stopped: {e}")))?);
	}
	lock(&state).phase = Some(Phase::Drain);
	eprintln!("[load] no new jobs; waiting for {} to end", waits.len());
	let drained = tokio::time::timeout(plan.drain, async {
		let all = async {
			for wait in waits {
				let _ = wait.await;
			}
		};
		tokio::pin!(all);
		// Ends in blocks the follower could not read are read from the chain meanwhile.
		loop {
			tokio::select! {
				_ = &mut all => break,
				_ = tokio::time::sleep(RECONCILE_EVERY) => reconcile(client, &state).await,
			}
		}
	})
	.await;
	if drained.is_err() {
		eprintln!("[load] the drain gave up after {} s", plan.drain.as_secs());
	}
	// Jobs whose end the follower has not read yet: a block or two.
	tokio::time::sleep(Duration::from_secs(2)).await;
	reconcile(client, &state).await;

	// Phase 2: transfers.
	if !plan.transfers_for.is_zero() {
		lock(&state).phase = Some(Phase::Transfers);
		eprintln!(
			"[load] {} accounts send transfers for {} s, up to {} each in the pool",
			keys.len(),
			plan.transfers_for.as_secs(),
			plan.transfers_in_flight
		);
		let deadline = Instant::now() + plan.transfers_for;
		let mut senders = Vec::new();
		for (index, key) in keys.iter().enumerate() {
			let to = accounts[(index + 1) % accounts.len()];
			let (client, key) = (client.clone(), key.clone());
			let in_flight = plan.transfers_in_flight;
			senders.push(tokio::spawn(async move {
				send_transfers(client, key, to, in_flight, deadline).await
			}));
		}
		for sender in senders {
			sender.await.map_err(|e| Failure(format!("a sender stopped: {e}")))??;
		}
		// The pool's last transfers reach a block.
		tokio::time::sleep(Duration::from_secs(12)).await;
	}
	lock(&state).stop = true;
	let _ = tokio::time::timeout(Duration::from_secs(30), follower).await;

	let state = lock(&state);
	Ok(summarize(&plan, limits, &state))
}

/// A signed transaction from `key` with `nonce`, immortal (a consumer's transactions may wait
/// in the pool for many blocks).
async fn signed(
	at: &OnlineClientAtBlock<PolkadotConfig>,
	call: &impl subxt::tx::Payload,
	key: &Keypair,
	nonce: u64,
) -> Result<Submittable, Failure> {
	let params = PolkadotExtrinsicParamsBuilder::new().nonce(nonce).immortal().build();
	at.transactions()
		.create_signed(call, key, params)
		.await
		.map_err(|e| Failure(e.to_string()))
}

/// The latest finalized block, to sign at.
/// How often the drain asks the chain about the jobs whose end the follower has not seen.
const RECONCILE_EVERY: Duration = Duration::from_secs(30);

/// How many times a finalized transaction's events are read before the client gives up on
/// them (the node may not serve a block it just finalized, under load).
pub const EVENT_READS: u32 = 4;

/// What a finalized job submission came to.
enum Landed {
	/// Its jobs, in the batch's order.
	Jobs(Vec<u64>),
	/// It failed (its dispatch error, or no job submitted).
	Failed(String),
	/// Its events could not be read.
	Unread(String),
}

/// Reads what the finalized `in_block` came to, trying its events [`EVENT_READS`] times, a
/// little longer apart each time: a dispatch error is a failure, a read error is tried again.
async fn landed<C>(in_block: &TransactionInBlock<PolkadotConfig, C>) -> Landed
where
	C: OnlineClientAtBlockT<PolkadotConfig>,
{
	let mut last = String::new();
	for attempt in 1..=EVENT_READS {
		match in_block.wait_for_success().await {
			Ok(events) => {
				let jobs = events
					.iter()
					.filter_map(Result::ok)
					.filter(|e| e.pallet_name() == "Inference" && e.event_name() == "JobSubmitted")
					.filter_map(|e| e.decode_fields_unchecked_as::<JobSubmitted>().ok())
					.map(|e| e.job_id)
					.collect::<Vec<_>>();
				return if jobs.is_empty() {
					Landed::Failed("no job submitted".into())
				} else {
					Landed::Jobs(jobs)
				};
			},
			Err(
				error @ (TransactionEventsError::ExtrinsicFailed(_)
				| TransactionEventsError::CannotDecodeDispatchError { .. }),
			) => return Landed::Failed(error.to_string()),
			Err(error) => last = error.to_string(),
		}
		if attempt < EVENT_READS {
			tokio::time::sleep(Duration::from_millis(500) * attempt).await;
		}
	}
	Landed::Unread(last)
}

/// Once the follower has missed a block, reads from the chain's outcome records how the jobs
/// that it has not seen end did end, for those that ended in a block it has passed (one it
/// could not read: the node's RPC may drop a block a slow client still follows). Their latency counts from the
/// inclusion block the follower saw, else the one the outcome names, to the end's block, whose
/// time is the followed block's, else estimated from the nearest earlier one.
async fn reconcile(client: &Client, state: &Shared) {
	let (pending, followed) = {
		let state = lock(state);
		// Nothing was missed: every end is the follower's to see, no job is asked about.
		if state.missed == 0 {
			return;
		}
		let unseen = state.included.keys().filter(|id| !state.ended.contains_key(id));
		let pending: std::collections::BTreeSet<u64> =
			state.waiting.keys().chain(unseen).copied().collect();
		(pending, state.rows.last().map_or(0, |row| row.number))
	};
	for id in pending {
		let Ok(Some(outcome)) = client.outcome(id).await else { continue };
		let (ended_at, submitted_at) =
			(u64::from(outcome.ended_at), u64::from(outcome.submitted_at));
		if ended_at > followed {
			continue;
		}
		let mut state = lock(state);
		if state.ended.contains_key(&id) {
			continue;
		}
		let (at_block, at_time) = match state.included.get(&id).copied() {
			Some(included) => included,
			None => {
				let included = (submitted_at, time_of(&state.rows, submitted_at));
				state.included.insert(id, included);
				included
			},
		};
		let paid = matches!(
			outcome.end,
			daya_primitives::JobEnd::Completed | daya_primitives::JobEnd::Validated
		);
		let millis = time_of(&state.rows, ended_at).saturating_sub(at_time);
		state
			.ended
			.insert(id, Ended { blocks: ended_at.saturating_sub(at_block), millis, paid });
		state.reconciled += 1;
		if let Some(waiting) = state.waiting.remove(&id) {
			let _ = waiting.send(());
		}
	}
}

/// The timestamp of block `number`: its row's, else the nearest earlier row's plus the mean
/// block time over the rows.
fn time_of(rows: &[BlockRow], number: u64) -> u64 {
	if let Some(row) = rows.iter().find(|row| row.number == number) {
		return row.timestamp;
	}
	let (Some(first), Some(last)) = (rows.first(), rows.last()) else { return 0 };
	let interval = last
		.timestamp
		.saturating_sub(first.timestamp)
		.checked_div(last.number.saturating_sub(first.number))
		.unwrap_or(0);
	match rows.iter().rev().find(|row| row.number < number) {
		Some(row) => row.timestamp + (number - row.number) * interval,
		None => first.timestamp.saturating_sub((first.number.saturating_sub(number)) * interval),
	}
}

async fn latest(
	api: &OnlineClient<PolkadotConfig>,
) -> Result<OnlineClientAtBlock<PolkadotConfig>, Failure> {
	api.at_current_block().await.map_err(|e| Failure(e.to_string()))
}

/// One consumer: keeps up to `open` jobs open until `deadline`, submitting as many as have
/// room at once (up to `batch` a transaction, `submit_jobs`; one is `submit_job`); returns, for
/// each transaction it got included, what tells when its jobs ended.
#[allow(clippy::too_many_arguments)]
async fn consume(
	client: Client,
	state: Shared,
	key: Keypair,
	index: usize,
	mut nonce: u64,
	model: u32,
	prompt_bytes: u32,
	max_output: u32,
	open: u32,
	batch: u32,
	deadline: Instant,
) -> Vec<oneshot::Receiver<()>> {
	let api = client.api().clone();
	let slots = Arc::new(Semaphore::new(open as usize));
	let resync = Arc::new(std::sync::atomic::AtomicBool::new(false));
	let mut sent = 0u64;
	let mut tasks = Vec::new();
	while Instant::now() < deadline {
		let Ok(Ok(slot)) =
			tokio::time::timeout_at(deadline.into(), slots.clone().acquire_owned()).await
		else {
			break;
		};
		// Every other slot free now joins the batch.
		let mut held = vec![slot];
		while held.len() < batch as usize {
			match slots.clone().try_acquire_owned() {
				Ok(more) => held.push(more),
				Err(_) => break,
			}
		}
		if resync.swap(false, std::sync::atomic::Ordering::SeqCst) {
			if let Ok(next) = client.next_nonce_of(&key).await {
				nonce = next;
			}
		}
		let params = |seed: u64| {
			Value::named_composite([
				("temperature_milli", Value::u128(0)),
				("seed", Value::u128(seed.into())),
				("format", Value::unnamed_variant("Text", [])),
			])
		};
		let call = if batch <= 1 {
			sent += 1;
			dynamic::transaction(
				"Inference",
				"submit_job",
				vec![
					Value::u128(model.into()),
					Value::from_bytes(prompt(index, sent, prompt_bytes)),
					Value::u128(max_output.into()),
					Value::u128(u128::MAX),
					params(sent),
				],
			)
		} else {
			let jobs = (0..held.len())
				.map(|_| {
					sent += 1;
					Value::named_composite([
						("payload", Value::from_bytes(prompt(index, sent, prompt_bytes))),
						("max_output_tokens", Value::u128(max_output.into())),
						("params", params(sent)),
					])
				})
				.collect::<Vec<_>>();
			dynamic::transaction(
				"Inference",
				"submit_jobs",
				vec![
					Value::u128(model.into()),
					Value::u128(u128::MAX),
					Value::unnamed_composite(jobs),
				],
			)
		};
		let count = held.len() as u64;
		let progress = match latest(&api).await {
			Ok(at) => match signed(&at, &call, &key, nonce).await {
				Ok(tx) => tx.submit_and_watch().await.map_err(|e| Failure(e.to_string())),
				Err(error) => Err(error),
			},
			Err(error) => Err(error),
		};
		let progress = match progress {
			Ok(progress) => progress,
			Err(error) => {
				// Refused by the pool: the nonce is free again; wait a little.
				{
					let mut state = lock(&state);
					state.failed += count;
					let reason = error.line().chars().take(120).collect();
					*state.reasons.entry(reason).or_default() += count;
				}
				eprintln!("[load] consumer {index}: {}", error.line());
				drop(held);
				if let Ok(next) = client.next_nonce_of(&key).await {
					nonce = next;
				}
				tokio::time::sleep(Duration::from_secs(1)).await;
				continue;
			},
		};
		nonce += 1;
		let (state, resync) = (state.clone(), resync.clone());
		tasks.push(tokio::spawn(async move {
			let landed = match progress.wait_for_finalized().await {
				Ok(in_block) => landed(&in_block).await,
				// Dropped from the pool and never included, or the status stream broke.
				Err(error) => Landed::Failed(error.to_string()),
			};
			let jobs = match landed {
				Landed::Jobs(jobs) => jobs,
				Landed::Failed(error) => {
					// The nonce is read again (the pool's count, which is right either way).
					resync.store(true, std::sync::atomic::Ordering::SeqCst);
					let reason = Failure(error).line().chars().take(120).collect();
					let mut state = lock(&state);
					*state.reasons.entry(reason).or_default() += count;
					state.failed += count;
					return;
				},
				Landed::Unread(error) => {
					// In a finalized block: its jobs, if it made any, are the follower's to
					// count (their ids unknown here, the slots are not held for their ends).
					eprintln!("[load] a finalized transaction's events were not read: {error}");
					lock(&state).unread += count;
					return;
				},
			};
			// Each job gives its slot back when it ends.
			let mut ends = Vec::new();
			for (job_id, slot) in jobs.into_iter().zip(held) {
				let (tx, rx) = oneshot::channel();
				{
					let mut state = lock(&state);
					if state.ended.contains_key(&job_id) {
						let _ = tx.send(());
					} else {
						state.waiting.insert(job_id, tx);
					}
				}
				ends.push(tokio::spawn(async move {
					let _ = rx.await;
					drop(slot);
				}));
			}
			for end in ends {
				let _ = end.await;
			}
		}));
	}
	// What is still open when submitting stops: each transaction's jobs' ends, as its task
	// finishes.
	let mut waits = Vec::new();
	for task in tasks {
		let (tx, rx) = oneshot::channel();
		tokio::spawn(async move {
			let _ = task.await;
			let _ = tx.send(());
		});
		waits.push(rx);
	}
	waits
}

/// A prompt of `bytes` ASCII bytes, different for every job.
fn prompt(consumer: usize, job: u64, bytes: u32) -> Vec<u8> {
	let head = format!("Consumer {consumer}, job {job}: tell me about GPUs. ");
	head.bytes().chain(std::iter::repeat(b'x')).take(bytes as usize).collect()
}

/// One sender of the baseline: keeps up to `in_flight` transfers in the pool until
/// `deadline`.
async fn send_transfers(
	client: Client,
	key: Keypair,
	to: AccountId32,
	in_flight: u32,
	deadline: Instant,
) -> Result<(), Failure> {
	let api = client.api().clone();
	let who = client::account_of(&key);
	let mut nonce = client.next_nonce_of(&key).await?;
	let (mut last, mut since) = (0u64, Instant::now());
	// Rounds whose reads failed, and the last reason.
	let (mut missed, mut reason) = (0u32, String::new());
	while Instant::now() < deadline {
		let round = async {
			let included = client.included_nonce(&who).await?;
			if included != last {
				(last, since) = (included, Instant::now());
			} else if nonce > included && since.elapsed() > Duration::from_secs(12) {
				// Nothing of this account included for two blocks while it has transfers out:
				// the pool dropped one (a full pool, a failed revalidation) and every later one
				// waits behind the gap. Send again from the chain's nonce.
				(nonce, since) = (included, Instant::now());
			}
			let room = (included + u64::from(in_flight)).saturating_sub(nonce);
			let at = latest(&api).await?;
			for _ in 0..room {
				let call = dynamic::transaction(
					"Balances",
					"transfer_keep_alive",
					vec![
						Value::unnamed_variant("Id", [Value::from_bytes(to.0)]),
						Value::u128(1_000_000),
					],
				);
				match signed(&at, &call, &key, nonce).await?.submit().await {
					Ok(_) => nonce += 1,
					Err(_) => {
						// The pool is full, or the nonce was taken: read it again.
						nonce = client.next_nonce_of(&key).await?;
						break;
					},
				}
			}
			Ok::<(), Failure>(())
		};
		// Under load the node may not serve a block it has just reported (`cannot find the
		// block header`): the next round reads again; the deadline ends the baseline.
		if let Err(error) = round.await {
			(missed, reason) = (missed + 1, error.0);
		}
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
	if missed > 0 {
		eprintln!("[load] transfers from {who}: {missed} rounds read again ({reason})");
	}
	Ok(())
}

/// The runtime's block limits.
async fn limits(api: &OnlineClient<PolkadotConfig>) -> Result<Limits, Failure> {
	let at = api.at_current_block().await.map_err(|e| Failure(e.to_string()))?;
	let weights: BlockWeights = at
		.constants()
		.entry(dynamic::constant::<BlockWeights>("System", "BlockWeights"))
		.map_err(|e| Failure(format!("System.BlockWeights: {e}")))?;
	let length: BlockLength = at
		.constants()
		.entry(dynamic::constant::<BlockLength>("System", "BlockLength"))
		.map_err(|e| Failure(format!("System.BlockLength: {e}")))?;
	let normal = weights.per_class.normal.max_total.unwrap_or(weights.max_block);
	Ok(Limits {
		block: weights.max_block.pair(),
		normal: normal.pair(),
		normal_length: length.max.normal.into(),
	})
}

/// Reads every finalized block until told to stop, into the shared rows.
async fn follow(api: OnlineClient<PolkadotConfig>, state: Shared, ours: HashSet<[u8; 32]>) {
	let Ok(mut blocks) = api.stream_blocks().await else {
		eprintln!("[load] cannot follow finalized blocks");
		return;
	};
	let mut last = None;
	while let Some(block) = blocks.next().await {
		let Ok(block) = block else {
			lock(&state).missed += 1;
			continue;
		};
		// A block the stream skipped is missed too.
		if last.is_some_and(|last: u64| block.number() > last + 1) {
			lock(&state).missed += 1;
		}
		last = Some(block.number());
		if let Err(error) = read_block(&block, &state, &ours).await {
			lock(&state).missed += 1;
			eprintln!("[load] block {}: {}", block.number(), error.line());
		}
		if lock(&state).stop {
			break;
		}
	}
}

/// The value of `pallet`'s plain storage item `item` at a block, or its default if unset.
async fn value_or_default<T: scale_decode::DecodeAsType + Default + 'static>(
	at: &OnlineClientAtBlock<PolkadotConfig>,
	pallet: &str,
	item: &str,
) -> Result<T, Failure> {
	let fetched = at
		.storage()
		.try_fetch(dynamic::storage::<(), T>(pallet, item), ())
		.await
		.map_err(|e| Failure(e.to_string()))?;
	match fetched {
		Some(value) => value.decode().map_err(|e| Failure(e.to_string())),
		None => Ok(T::default()),
	}
}

async fn read_block(
	block: &Block<PolkadotConfig>,
	state: &Shared,
	ours: &HashSet<[u8; 32]>,
) -> Result<(), Failure> {
	let at = block.at().await.map_err(|e| Failure(e.to_string()))?;
	let number = block.number();
	let timestamp: u64 = value_or_default(&at, "Timestamp", "Now").await?;
	let weight: UsedPerClass = value_or_default(&at, "System", "BlockWeight").await?;
	let extrinsics = at.extrinsics().fetch().await.map_err(|e| Failure(e.to_string()))?;
	let length: u64 =
		extrinsics.iter().filter_map(Result::ok).map(|e| e.bytes().len() as u64).sum();
	let count = extrinsics.len() as u32;
	let events = at.events().fetch().await.map_err(|e| Failure(e.to_string()))?;
	let mut state = lock(state);
	let mut row = BlockRow {
		number,
		phase: state.phase.unwrap_or(Phase::Setup),
		timestamp,
		submitted: 0,
		settled: 0,
		refunded: 0,
		transfers: 0,
		extrinsics: count,
		length,
		normal: weight.normal.pair(),
		operational: weight.operational.pair(),
		mandatory: weight.mandatory.pair(),
	};
	for event in events.iter().filter_map(Result::ok) {
		match (event.pallet_name(), event.event_name()) {
			("Inference", "JobSubmitted") => {
				let Ok(fields) = event.decode_fields_unchecked_as::<JobSubmitted>() else {
					continue;
				};
				if ours.contains(&fields.consumer.0) {
					row.submitted += 1;
					state.included.insert(fields.job_id, (number, timestamp));
				}
			},
			("Inference", "JobEnded") => {
				let Ok(fields) = event.decode_fields_unchecked_as::<JobEnded>() else { continue };
				let Some((at_block, at_time)) = state.included.get(&fields.job_id).copied() else {
					continue;
				};
				let paid = matches!(fields.end, JobEnd::Completed | JobEnd::Validated);
				if paid {
					row.settled += 1;
				} else {
					row.refunded += 1;
				}
				state.ended.insert(
					fields.job_id,
					Ended {
						blocks: number.saturating_sub(at_block),
						millis: timestamp.saturating_sub(at_time),
						paid,
					},
				);
				if let Some(waiting) = state.waiting.remove(&fields.job_id) {
					let _ = waiting.send(());
				}
			},
			("Balances", "Transfer") => {
				let Ok(fields) = event.decode_fields_unchecked_as::<Transfer>() else { continue };
				if ours.contains(&fields.from.0) && ours.contains(&fields.to.0) {
					row.transfers += 1;
				}
			},
			_ => {},
		}
	}
	state.rows.push(row);
	Ok(())
}

/// The p-th percentile (0 to 100) of sorted values, nearest rank.
fn percentile<T: Copy + Default>(sorted: &[T], p: usize) -> T {
	if sorted.is_empty() {
		return T::default();
	}
	let rank = (p * sorted.len()).div_ceil(100).clamp(1, sorted.len());
	sorted[rank - 1]
}

fn percent(part: u64, whole: u64) -> f64 {
	if whole == 0 {
		0.0
	} else {
		part as f64 * 100.0 / whole as f64
	}
}

/// The mean of `value` over `rows`; 0 without rows (an empty sum of floats is -0.0, which
/// would print as "-0.0").
fn mean(rows: &[&BlockRow], value: impl Fn(&BlockRow) -> f64) -> f64 {
	if rows.is_empty() {
		return 0.0;
	}
	rows.iter().map(|r| value(r)).sum::<f64>() / rows.len() as f64
}

/// The mean of a count over `rows`.
fn per_block(rows: &[&BlockRow], count: impl Fn(&BlockRow) -> u32) -> f64 {
	mean(rows, |r| f64::from(count(r)))
}

fn fullness(rows: &[&BlockRow], limits: &Limits) -> Fullness {
	Fullness {
		normal_ref_time: mean(rows, |r| percent(r.normal.0, limits.normal.0)),
		normal_proof: mean(rows, |r| percent(r.normal.1, limits.normal.1)),
		length: mean(rows, |r| percent(r.length, limits.normal_length)),
		mandatory_ref_time: mean(rows, |r| percent(r.mandatory.0, limits.block.0)),
	}
}

fn summarize(plan: &Plan, limits: Limits, state: &State) -> LoadReport {
	let rows_of = |phase: Phase| state.rows.iter().filter(|r| r.phase == phase).collect::<Vec<_>>();
	let job_rows = rows_of(Phase::Jobs);
	let all_job_rows: Vec<&BlockRow> = state
		.rows
		.iter()
		.filter(|r| matches!(r.phase, Phase::Jobs | Phase::Drain))
		.collect();
	let mut blocks: Vec<u64> = state.ended.values().map(|e| e.blocks).collect();
	let mut millis: Vec<u64> = state.ended.values().map(|e| e.millis).collect();
	blocks.sort_unstable();
	millis.sort_unstable();
	let settled = state.ended.values().filter(|e| e.paid).count() as u64;
	let jobs = JobSummary {
		blocks: job_rows.len() as u64,
		submitted: state.included.len() as u64,
		settled,
		refunded: state.ended.len() as u64 - settled,
		open_at_end: state.included.len().saturating_sub(state.ended.len()) as u64,
		reconciled: state.reconciled,
		failed: state.failed,
		unread: state.unread,
		failures: state.reasons.iter().map(|(reason, n)| (reason.clone(), *n)).collect(),
		submitted_per_block: per_block(&job_rows, |r| r.submitted),
		ended_per_block: per_block(&job_rows, |r| r.settled + r.refunded),
		most_ended_in_a_block: all_job_rows
			.iter()
			.map(|r| r.settled + r.refunded)
			.max()
			.unwrap_or(0),
		latency_blocks: [50, 95, 99].map(|p| percentile(&blocks, p)),
		latency_seconds: [50, 95, 99].map(|p| percentile(&millis, p) as f64 / 1000.0),
		fullness_percent: fullness(&job_rows, &limits),
	};
	let transfer_rows = rows_of(Phase::Transfers);
	// The first and last blocks of the phase are partly empty (the pool filling, then draining).
	let steady: Vec<&BlockRow> = if transfer_rows.len() > 4 {
		transfer_rows[1..transfer_rows.len() - 1].to_vec()
	} else {
		transfer_rows.clone()
	};
	let transfers = TransferSummary {
		blocks: transfer_rows.len() as u64,
		transfers: transfer_rows.iter().map(|r| u64::from(r.transfers)).sum(),
		per_block: per_block(&steady, |r| r.transfers),
		most_in_a_block: transfer_rows.iter().map(|r| r.transfers).max().unwrap_or(0),
		fullness_percent: fullness(&steady, &limits),
	};
	let ratio = if transfers.per_block > 0.0 {
		jobs.ended_per_block * 100.0 / transfers.per_block
	} else {
		0.0
	};
	LoadReport {
		consumers: plan.consumers,
		open_per_consumer: plan.open_per_consumer,
		batch: plan.batch,
		prompt_bytes: plan.prompt_bytes,
		max_output_tokens: plan.max_output,
		limits,
		blocks: state.rows.clone(),
		jobs,
		transfers,
		jobs_to_transfers_percent: ratio,
	}
}

impl std::fmt::Display for LoadReport {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		writeln!(
			f,
			"block  phase      submitted settled refunded transfers  normal ref  proof   length  hooks ref"
		)?;
		for row in &self.blocks {
			writeln!(
				f,
				"{:>5}  {:<9} {:>9} {:>7} {:>8} {:>9}  {:>9.1}% {:>5.1}% {:>7.1}% {:>9.1}%",
				row.number,
				format!("{:?}", row.phase).to_lowercase(),
				row.submitted,
				row.settled,
				row.refunded,
				row.transfers,
				percent(row.normal.0, self.limits.normal.0),
				percent(row.normal.1, self.limits.normal.1),
				percent(row.length, self.limits.normal_length),
				percent(row.mandatory.0, self.limits.block.0),
			)?;
		}
		let jobs = &self.jobs;
		writeln!(
			f,
			"\njobs ({} consumers, up to {} open each, up to {} a transaction, {} B prompts, {} \
			 output tokens), {} blocks:",
			self.consumers,
			self.open_per_consumer,
			self.batch,
			self.prompt_bytes,
			self.max_output_tokens,
			jobs.blocks
		)?;
		writeln!(
			f,
			"  submitted {}, settled {}, refunded {}, still open {}, jobs whose transaction failed {}",
			jobs.submitted, jobs.settled, jobs.refunded, jobs.open_at_end, jobs.failed
		)?;
		if jobs.unread > 0 {
			writeln!(
				f,
				"  {} jobs of transactions finalized whose events could not be read (not counted failed)",
				jobs.unread
			)?;
		}
		if jobs.reconciled > 0 {
			writeln!(
				f,
				"  {} of the ends read from the chain's outcomes (blocks the follower could not read)",
				jobs.reconciled
			)?;
		}
		for (reason, count) in &jobs.failures {
			writeln!(f, "    {count} × {reason}")?;
		}
		writeln!(
			f,
			"  per block: {:.1} submitted, {:.1} ended (most {})",
			jobs.submitted_per_block, jobs.ended_per_block, jobs.most_ended_in_a_block
		)?;
		writeln!(
			f,
			"  latency, inclusion to end: p50 {} blocks ({:.1} s), p95 {} ({:.1} s), p99 {} ({:.1} s)",
			jobs.latency_blocks[0],
			jobs.latency_seconds[0],
			jobs.latency_blocks[1],
			jobs.latency_seconds[1],
			jobs.latency_blocks[2],
			jobs.latency_seconds[2]
		)?;
		let full = &jobs.fullness_percent;
		writeln!(
			f,
			"  blocks: normal ref time {:.1}%, proof {:.1}%, length {:.1}%; hooks {:.1}% of the block",
			full.normal_ref_time, full.normal_proof, full.length, full.mandatory_ref_time
		)?;
		let transfers = &self.transfers;
		writeln!(
			f,
			"transfers: {} in {} blocks, {:.1} per block (most {})",
			transfers.transfers, transfers.blocks, transfers.per_block, transfers.most_in_a_block
		)?;
		let full = &transfers.fullness_percent;
		writeln!(
			f,
			"  blocks: normal ref time {:.1}%, proof {:.1}%, length {:.1}%",
			full.normal_ref_time, full.normal_proof, full.length
		)?;
		writeln!(
			f,
			"jobs ended per block / transfers per block: {:.1}%",
			self.jobs_to_transfers_percent
		)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// An empty row of block `number` in the job phase, at `timestamp`.
	fn row(number: u64, timestamp: u64) -> BlockRow {
		BlockRow {
			number,
			phase: Phase::Jobs,
			timestamp,
			submitted: 0,
			settled: 0,
			refunded: 0,
			transfers: 0,
			extrinsics: 0,
			length: 0,
			normal: (0, 0),
			operational: (0, 0),
			mandatory: (0, 0),
		}
	}

	#[test]
	fn a_missed_blocks_time_is_its_rows_or_estimated_from_the_earlier_one() {
		// Blocks 10, 11 and 13 followed, 6 s apart on average; 12 and 20 missed.
		let rows = [row(10, 60_000), row(11, 66_000), row(13, 78_000)];
		assert_eq!(time_of(&rows, 11), 66_000);
		assert_eq!(time_of(&rows, 12), 72_000);
		assert_eq!(time_of(&rows, 20), 120_000);
		assert_eq!(time_of(&rows, 9), 54_000);
		assert_eq!(time_of(&[], 9), 0);
	}

	#[test]
	fn means_over_no_blocks_are_zero_not_minus_zero() {
		let limits = Limits { block: (1, 1), normal: (1, 1), normal_length: 1 };
		assert_eq!(format!("{:.1}", per_block(&[], |r| r.transfers)), "0.0");
		let full = fullness(&[], &limits);
		assert_eq!(format!("{:.1} {:.1}", full.normal_ref_time, full.length), "0.0 0.0");
		let rows = [BlockRow { transfers: 3, ..row(1, 0) }, BlockRow { transfers: 4, ..row(2, 0) }];
		assert_eq!(per_block(&rows.iter().collect::<Vec<_>>(), |r| r.transfers), 3.5);
	}

	#[test]
	fn percentiles_are_nearest_rank() {
		let values: Vec<u64> = (1..=100).collect();
		assert_eq!(percentile(&values, 50), 50);
		assert_eq!(percentile(&values, 95), 95);
		assert_eq!(percentile(&values, 99), 99);
		assert_eq!(percentile(&[7u64], 99), 7);
		assert_eq!(percentile::<u64>(&[], 50), 0);
	}

	#[test]
	fn prompts_have_the_size_asked_and_differ() {
		assert_eq!(prompt(3, 9, 256).len(), 256);
		assert_eq!(prompt(3, 9, 8).len(), 8);
		assert_ne!(prompt(3, 9, 256), prompt(3, 10, 256));
		assert!(std::str::from_utf8(&prompt(1, 1, 1024)).is_ok());
	}
}
