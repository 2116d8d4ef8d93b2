//! The offchain worker's runner: from work assigned on chain to signed results, with no human in
//! the loop.
//!
//! The job market's `offchain_worker` hook calls [`run`] once per imported block. A run:
//!
//! 1. takes a node-wide [`StorageLock`], so that runs for consecutive blocks never overlap (a run
//!    that finds the lock held does nothing: the next block's run picks the work up);
//! 2. for each host key in the keystore ([`Chain::local_hosts`]), asks the chain for the host's
//!    work ([`Chain::work_of`]): jobs to execute and results to validate;
//! 3. forgets the tasks that are no longer assigned (delivered, reassigned, expired, decided);
//! 4. advances each task by one step, at most [`MAX_CALLS_PER_EXECUTOR`] HTTP calls to each
//!    executor per run (a node that holds several hosts' keys serves each host's executor its
//!    own share; hosts that share one executor share its calls):
//!    - execute: `POST /v1/jobs` with the prompt from the offchain index, then `GET
//!      /v1/jobs/{id}` on later blocks until it is done, then `submit_result` signed by the host
//!      key. The jobs of one executor due in a run go together, up to
//!      [`MAX_BATCH`] a call (`POST /v1/batch/jobs`, `POST
//!      /v1/batch/status`), so that a run's budget bounds calls, not jobs: an executor is sent
//!      and polled for up to `MAX_CALLS_PER_EXECUTOR / 2 * MAX_BATCH` (128) jobs a block, not
//!      8; an executor without the batch routes gets them one call each;
//!    - validate: `POST /v1/validate` with the job's terms and the delivered result (text,
//!      token ids, prompt count and hash, fingerprints) from the offchain index, then
//!      `submit_verdict` with the judgement. A result the chain holds but that is not even
//!      well-formed (it does not decode) is judged [`Fault::Malformed`] without a call: a
//!      check fails closed.
//!
//! Each task's state is kept in the node's PERSISTENT offchain storage ([`TaskState`]), so a run
//! resumes where the last one stopped. A failed call (executor down, slow, refusing) is retried
//! with exponential backoff ([`backoff`]) for as long as the chain still assigns the task, that
//! is until its deadline. A task whose transaction is in the pool is not submitted again unless
//! the chain still shows it open [`RESUBMIT_AFTER`] blocks later (the transaction was dropped):
//! the chain itself refuses a second result or verdict, so nothing is ever submitted twice
//! into a block.

use alloc::{format, string::String, vec::Vec};
use codec::{Decode, Encode};
use daya_primitives::{
	runtime_api::WorkKind, Fault, Fingerprint, JobId, JobParams, Judgement, PayloadFormat,
	ValidationPolicy,
};
use polkadot_sdk::{
	sp_io::offchain,
	sp_runtime::offchain::{
		http,
		storage::StorageValueRef,
		storage_lock::{StorageLock, Time},
		Duration, StorageKind,
	},
};

use daya_protocol::{
	check_version, hex::to_hex, settings, BatchAnswer, BatchEntry, ErrorBody, ExecutionResult,
	ExecutionState, ExecutionStatus, JobBatch, JobRequest, StatusQuery, ValidateRequest,
	ValidateResponse, MAX_BATCH, VERSION,
};

/// Log target of the offchain worker.
pub const LOG_TARGET: &str = "daya-ocw";

/// Most HTTP calls one run makes to one executor (one URL), over the tasks of every host it
/// serves. The run's time budget ([`RUN_BUDGET_MS`]) bounds the run as a whole.
pub const MAX_CALLS_PER_EXECUTOR: u32 = 16;

/// Most tasks tracked per host; the chain's oldest jobs come first.
pub const MAX_TASKS_PER_HOST: usize = 256;

/// Blocks after which a submitted result or verdict that the chain still does not show is sent
/// again.
pub const RESUBMIT_AFTER: u32 = 10;

/// Longest wait between two attempts, in blocks.
pub const MAX_BACKOFF: u32 = 8;

/// How long one executor call may take, in milliseconds.
pub const HTTP_TIMEOUT_MS: u64 = 3_000;

/// How long a validation (one prefill pass over prompt and output) may take, in milliseconds.
pub const VALIDATE_TIMEOUT_MS: u64 = 20_000;

/// How long the node-wide lock is held at most: longer than any run.
pub const LOCK_EXPIRY_MS: u64 = 60_000;

/// A run starts no step after this long, so that it ends (its last call included) well before
/// the lock expires and another run could start on the same tasks.
pub const RUN_BUDGET_MS: u64 = 30_000;

/// Key of the node-wide lock.
pub const LOCK_KEY: &[u8] = b"daya/ocw/lock";

/// Prefix of the per-host list of tracked tasks.
pub const TASKS_KEY_PREFIX: &[u8] = b"daya/ocw/tasks/";

/// Prefix of a task's state.
pub const TASK_KEY_PREFIX: &[u8] = b"daya/ocw/task/";

/// Key of the position in the task list where the next run starts.
pub const CURSOR_KEY: &[u8] = b"daya/ocw/cursor";

/// A host account: the 32 bytes of its `AccountId32`.
pub type HostId = [u8; 32];

/// What the offchain worker needs to know about a job to run or check it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct JobInput {
	/// The model's name in the registry.
	pub model: Vec<u8>,
	/// The model's weights hash in the registry.
	pub weights_hash: [u8; 32],
	/// The most output tokens to generate.
	pub max_output_tokens: u32,
	/// Sampling parameters.
	pub params: JobParams,
	/// The sampler's key, drawn at assignment.
	pub sampling_key: [u8; 32],
	/// How its result is judged.
	pub policy: ValidationPolicy,
	/// The payload.
	pub prompt: Vec<u8>,
	/// What the chain asks about the result's probe position, if anything.
	pub probe: Option<ProbeDuty>,
}

/// What the chain asks of a host about a result's probe position
/// ([`daya_primitives::probe_position`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProbeDuty {
	/// The first validator: its pass shows its own probe.
	Show {
		/// The position.
		position: u32,
	},
	/// The executor of the result, or a dispute's validator: judge a validator's probe.
	Judge {
		/// The position.
		position: u32,
		/// The probe the validator showed.
		probe: Fingerprint,
	},
}

/// What an executor delivered for a job (the chain's `JobResult`, unbounded).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Delivered {
	/// The output text.
	pub output: Vec<u8>,
	/// The output token ids.
	pub tokens: Vec<u32>,
	/// Tokens of the prompt.
	pub prompt_tokens: u32,
	/// BLAKE2-256 of the prompt's ids.
	pub prompt_hash: [u8; 32],
	/// The fingerprints.
	pub fingerprints: Vec<Fingerprint>,
}

/// What a validator finds in the offchain index for a job.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum JobOutput {
	/// The result the executor delivered.
	Delivered(Delivered),
	/// Bytes the chain took that are not a result (cannot happen through `submit_result`,
	/// which decodes its argument; kept to fail closed).
	Undecodable,
}

/// A result reached in a run, sent at its end with its host's others: the host, the job, the
/// task's state before the result was sent, and the result.
type PendingResult = (HostId, JobId, TaskState, Delivered);

/// A host's verdict on a job, as the offchain worker sends it: the job, the judgement, and
/// the probe a validator's pass shows.
pub type Verdict = (JobId, Judgement, Option<Fingerprint>);

/// The transaction pool refused a transaction (or no key could sign it).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NotSent;

/// The chain, as the offchain worker sees it: implemented by the runtime, over its pallets, keystore and
/// transaction pool.
pub trait Chain {
	/// The host accounts whose keys ([`crate::KEY_TYPE`]) are in the node's keystore.
	fn local_hosts() -> Vec<HostId>;
	/// The open jobs in which `host` has something to do now, oldest first.
	fn work_of(host: &HostId) -> Vec<(JobId, WorkKind)>;
	/// What `job` asks for: its terms and prompt (from the offchain index and state).
	fn job_input(job: JobId) -> Option<JobInput>;
	/// The result the executor of `job` delivered (from the offchain index).
	fn job_output(job: JobId) -> Option<JobOutput>;
	/// The most bytes of output the chain takes in a result.
	fn max_output_len() -> u32;
	/// The most results the chain takes in one transaction.
	fn max_results() -> u32;
	/// The most verdicts the chain takes in one transaction.
	fn max_verdicts() -> u32;
	/// Sends `host`'s results (at most [`Chain::max_results`]) to the transaction pool in one
	/// transaction signed by `host`: one alone as `submit_result`, several as `submit_results`;
	/// `NotSent` when it was refused, or a result exceeds the chain's bounds.
	fn submit_results(host: &HostId, results: Vec<(JobId, Delivered)>) -> Result<(), NotSent>;
	/// Sends `host`'s verdicts (at most [`Chain::max_verdicts`]; each a job, its judgement, and
	/// a probe where a pass shows one) to the transaction pool in one `submit_verdicts` signed
	/// by `host`; `NotSent` when it was refused.
	fn submit_verdicts(host: &HostId, verdicts: Vec<Verdict>) -> Result<(), NotSent>;
	/// One call to an executor: a `POST` of `body` as JSON, or a `GET` without, with `key` as
	/// its bearer API key if any; the status code and the body. The default makes it with the
	/// offchain worker's HTTP API.
	fn http(
		url: &str,
		body: Option<Vec<u8>>,
		timeout_ms: u64,
		key: Option<&str>,
	) -> Result<(u16, Vec<u8>), String> {
		http_call(url, body, timeout_ms, key)
	}
}

/// Where a task stands.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
	/// The executor has not accepted it yet: send it (`POST`).
	Send,
	/// The executor accepted the job: ask how it goes (`GET`).
	Poll,
	/// The transaction went to the pool at this block.
	Submitted(u32),
	/// Nothing the worker can do will succeed (e.g. an output above the chain's limit): left
	/// for the chain's deadline.
	Abandoned,
}

/// A task's state in offchain storage.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub struct TaskState {
	/// Where it stands.
	pub phase: Phase,
	/// Failed attempts so far, for backoff.
	pub failures: u32,
	/// The first block at which the next step may run.
	pub next_at: u32,
}

impl TaskState {
	const NEW: TaskState = TaskState { phase: Phase::Send, failures: 0, next_at: 0 };
}

/// Blocks to wait after `failures` consecutive failures: 1, 2, 4, then [`MAX_BACKOFF`].
pub fn backoff(failures: u32) -> u32 {
	1u32.checked_shl(failures.saturating_sub(1))
		.unwrap_or(MAX_BACKOFF)
		.min(MAX_BACKOFF)
}

/// What one run did, for logs and tests.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct RunReport {
	/// Hosts with a key in the keystore.
	pub hosts: u32,
	/// HTTP calls made.
	pub calls: u32,
	/// HTTP calls made to each executor (its URL), in the order first called.
	pub calls_by_executor: Vec<(String, u32)>,
	/// Results sent to the pool.
	pub results: u32,
	/// Verdicts sent to the pool.
	pub verdicts: u32,
	/// Steps that failed and will be retried.
	pub failures: u32,
	/// Whether the run found another run holding the lock and did nothing.
	pub skipped: bool,
	/// Whether the run stopped at its call or time budget with work left for the next block.
	pub out_of_budget: bool,
}

impl RunReport {
	/// Counts a call to the executor at `url`.
	fn count_call(&mut self, url: &str) {
		self.calls += 1;
		match self.calls_by_executor.iter_mut().find(|(called, _)| called == url) {
			Some((_, calls)) => *calls += 1,
			None => self.calls_by_executor.push((url.into(), 1)),
		}
	}

	/// The calls made to the executor at `url` in this run.
	pub fn calls_to(&self, url: &str) -> u32 {
		self.calls_by_executor
			.iter()
			.find(|(called, _)| called == url)
			.map_or(0, |(_, calls)| *calls)
	}

	/// Whether the executor at `url` has no call left in this run.
	fn spent(&self, url: &str) -> bool {
		self.calls_to(url) >= MAX_CALLS_PER_EXECUTOR
	}
}

fn kind_byte(kind: WorkKind) -> u8 {
	match kind {
		WorkKind::Execute => 0,
		WorkKind::Validate => 1,
	}
}

fn tasks_key(host: &HostId) -> Vec<u8> {
	[TASKS_KEY_PREFIX, host.as_slice()].concat()
}

/// Key of the state of `host`'s task `(job, kind)`.
pub fn task_key(host: &HostId, job: JobId, kind: WorkKind) -> Vec<u8> {
	[TASK_KEY_PREFIX, host.as_slice(), &[kind_byte(kind)], &job.encode()].concat()
}

/// The state of `host`'s task, if it is tracked.
pub fn task_state(host: &HostId, job: JobId, kind: WorkKind) -> Option<TaskState> {
	StorageValueRef::persistent(&task_key(host, job, kind))
		.get::<TaskState>()
		.ok()
		.flatten()
}

fn set_task_state(host: &HostId, job: JobId, kind: WorkKind, state: TaskState) {
	StorageValueRef::persistent(&task_key(host, job, kind)).set(&state);
}

/// The executor URL of `host`: its own setting, else the node's, else the default.
pub fn executor_url(host: &HostId) -> String {
	let read = |key: &[u8]| offchain::local_storage_get(StorageKind::PERSISTENT, key);
	let per_host = read(&settings::executor_url_key(host));
	let node_wide = read(settings::EXECUTOR_URL_KEY);
	settings::executor_url(per_host.as_deref(), node_wide.as_deref()).0
}

/// The API key of `host`'s executor: its own setting, else the node's, else none.
pub fn executor_key(host: &HostId) -> Option<String> {
	let read = |key: &[u8]| offchain::local_storage_get(StorageKind::PERSISTENT, key);
	let per_host = read(&settings::executor_key_key(host));
	let node_wide = read(settings::EXECUTOR_KEY_KEY);
	settings::executor_key(per_host.as_deref(), node_wide.as_deref())
}

/// Runs the offchain worker for the block `now`.
pub fn run<C: Chain>(now: u32) -> RunReport {
	let mut lock =
		StorageLock::<Time>::with_deadline(LOCK_KEY, Duration::from_millis(LOCK_EXPIRY_MS));
	let Ok(_guard) = lock.try_lock() else {
		log::debug!(target: LOG_TARGET, "block {now}: another run holds the lock");
		return RunReport { skipped: true, ..Default::default() };
	};
	let mut report = RunReport::default();
	let stop_at = offchain::timestamp().add(Duration::from_millis(RUN_BUDGET_MS));
	let hosts = C::local_hosts();
	report.hosts = hosts.len() as u32;
	let mut tasks = Vec::new();
	for host in hosts {
		let mut work = C::work_of(&host);
		work.truncate(MAX_TASKS_PER_HOST);
		forget_finished(&host, &work);
		tasks.extend(work.into_iter().map(|(job, kind)| (host, job, kind)));
	}
	// Each run starts where the last stopped, so that no task (nor host) waits behind others for
	// ever when there is more work than one run's budget.
	let cursor = StorageValueRef::persistent(CURSOR_KEY);
	let start = cursor.get::<u32>().ok().flatten().unwrap_or(0) as usize;
	let start = if tasks.is_empty() { 0 } else { start % tasks.len() };
	// Where the next run starts: at the first task left for lack of budget, if any.
	let mut resume_at: Option<usize> = None;
	// Jobs to send to an executor, or to ask it about, gathered into calls of up to
	// `MAX_BATCH` jobs each; each call counts once against its executor's budget.
	let mut batches: Vec<Batch> = Vec::new();
	// Verdicts reached in this run, sent at its end in one transaction a host.
	let mut judged: Vec<(HostId, TaskState, Verdict)> = Vec::new();
	// Results reached in this run, sent at its end in one transaction a host.
	let mut delivered: Vec<PendingResult> = Vec::new();
	for (offset, (host, job, kind)) in
		tasks.iter().cycle().skip(start).take(tasks.len()).enumerate()
	{
		if offchain::timestamp() >= stop_at {
			report.out_of_budget = true;
			resume_at.get_or_insert(offset);
			break;
		}
		let Some(state) = due(host, *job, *kind, now) else { continue };
		match kind {
			WorkKind::Validate => {
				if planned(&executor_url(host), &report, &batches) >= MAX_CALLS_PER_EXECUTOR {
					report.out_of_budget = true;
					resume_at.get_or_insert(offset);
					continue;
				}
				match validate_step::<C>(host, *job, &mut report) {
					Ok(verdict) => judged.push((*host, state, verdict)),
					Err(why) => finish(host, *job, *kind, state, Err(why), now, &mut report),
				}
			},
			WorkKind::Execute => {
				let target = Target::of(host, state.phase);
				let task = Task { host: *host, job: *job, state };
				let open =
					batches.iter().position(|b| b.target == target && b.tasks.len() < MAX_BATCH);
				if let Some(batch) = open.and_then(|at| batches.get_mut(at)) {
					batch.tasks.push(task);
				} else if planned(&target.url, &report, &batches) >= MAX_CALLS_PER_EXECUTOR {
					report.out_of_budget = true;
					resume_at.get_or_insert(offset);
				} else {
					batches.push(Batch { target, tasks: alloc::vec![task] });
				}
			},
		}
	}
	send_verdicts::<C>(judged, now, &mut report);
	for batch in batches {
		if offchain::timestamp() >= stop_at {
			report.out_of_budget = true;
			break;
		}
		// An executor without the batch routes may have taken the calls kept for its others.
		if report.spent(&batch.target.url) {
			report.out_of_budget = true;
			continue;
		}
		batch.run::<C>(now, &mut report, &mut delivered);
	}
	send_results::<C>(delivered, now, &mut report);
	if !tasks.is_empty() {
		let next = start + resume_at.unwrap_or(tasks.len());
		cursor.set(&((next % tasks.len()) as u32));
	}
	if report.calls > 0 {
		log::info!(
			target: LOG_TARGET,
			"block {now}: {} executor calls, {} results and {} verdicts sent, {} failures",
			report.calls,
			report.results,
			report.verdicts,
			report.failures
		);
	}
	report
}

/// The calls the executor at `url` took in this run, and those kept for the batches gathered.
fn planned(url: &str, report: &RunReport, batches: &[Batch]) -> u32 {
	let kept = batches.iter().filter(|b| b.target.url == url).count() as u32;
	report.calls_to(url).saturating_add(kept)
}

/// Drops the state of `host`'s tasks that are not in `work` any more, and records `work` as the
/// tracked list.
fn forget_finished(host: &HostId, work: &[(JobId, WorkKind)]) {
	let key = tasks_key(host);
	let list = StorageValueRef::persistent(&key);
	let tracked: Vec<(JobId, u8)> = list.get().ok().flatten().unwrap_or_default();
	let current: Vec<(JobId, u8)> =
		work.iter().map(|(job, kind)| (*job, kind_byte(*kind))).collect();
	for (job, kind) in tracked.iter().filter(|t| !current.contains(t)) {
		let kind = if *kind == 0 { WorkKind::Execute } else { WorkKind::Validate };
		StorageValueRef::persistent(&task_key(host, *job, kind)).clear();
	}
	if tracked != current {
		list.set(&current);
	}
}

/// The state of `host`'s task `(job, kind)` if it has a step to take at block `now`: not
/// waiting out a backoff, not given up, and not waiting for its transaction to land (one that
/// did not land for [`RESUBMIT_AFTER`] blocks is taken up again).
fn due(host: &HostId, job: JobId, kind: WorkKind, now: u32) -> Option<TaskState> {
	let mut state = task_state(host, job, kind).unwrap_or(TaskState::NEW);
	if now < state.next_at {
		return None;
	}
	match state.phase {
		Phase::Abandoned => return None,
		Phase::Submitted(at) if now < at.saturating_add(RESUBMIT_AFTER) => return None,
		Phase::Submitted(_) => {
			log::warn!(
				target: LOG_TARGET,
				"job {job}: the transaction did not land, sending again"
			);
			state.phase = if kind == WorkKind::Execute { Phase::Poll } else { Phase::Send };
		},
		Phase::Send | Phase::Poll => {},
	}
	Some(state)
}

/// Records the outcome of a task's step: its new state, or its failure (given up, or retried
/// after a backoff).
fn finish(
	host: &HostId,
	job: JobId,
	kind: WorkKind,
	mut state: TaskState,
	outcome: Result<(), Failure>,
	now: u32,
	report: &mut RunReport,
) {
	match outcome {
		// Only a submission resets the backoff: a job that fails on the executor again and
		// again waits longer and longer between attempts.
		Ok(()) => {
			if matches!(state.phase, Phase::Submitted(_)) {
				state.failures = 0;
			}
		},
		Err(Failure::Permanent(why)) => {
			state.phase = Phase::Abandoned;
			report.failures += 1;
			log::error!(target: LOG_TARGET, "job {job} ({kind:?}): {why}; giving up");
		},
		Err(Failure::Retry(why)) => {
			state.failures = state.failures.saturating_add(1);
			state.next_at = now.saturating_add(backoff(state.failures));
			report.failures += 1;
			log::warn!(
				target: LOG_TARGET,
				"job {job} ({kind:?}): {why}; retrying at block {}",
				state.next_at
			);
		},
	}
	set_task_state(host, job, kind, state);
}

/// Where an execution step goes: the host's executor (its URL and API key) and whether the
/// jobs are sent (`POST`) or asked about.
#[derive(Clone, PartialEq, Eq, Debug)]
struct Target {
	url: String,
	key: Option<String>,
	send: bool,
}

impl Target {
	fn of(host: &HostId, phase: Phase) -> Self {
		Target { url: executor_url(host), key: executor_key(host), send: phase == Phase::Send }
	}

	/// The batch route's path: sending jobs, or asking about them.
	fn route(&self) -> &'static str {
		if self.send {
			"/v1/batch/jobs"
		} else {
			"/v1/batch/status"
		}
	}
}

/// An execution task due in this run.
struct Task {
	host: HostId,
	job: JobId,
	state: TaskState,
}

/// Up to [`MAX_BATCH`] execution tasks that one call to one executor advances: all sent
/// (`POST /v1/batch/jobs`) or all asked about (`POST /v1/batch/status`). A single task takes
/// the single-job route. An executor without the batch routes (`404`) gets its jobs one call
/// each, as far as the run's budget goes; the rest wait for the next run.
struct Batch {
	target: Target,
	tasks: Vec<Task>,
}

impl Batch {
	fn run<C: Chain>(self, now: u32, report: &mut RunReport, out: &mut Vec<PendingResult>) {
		let Batch { target, tasks } = self;
		if tasks.len() == 1 {
			return tasks.into_iter().for_each(|task| execute_alone::<C>(task, now, report, out));
		}
		// What each job asks, and its id at the executor; a job without it fails alone.
		let mut items = Vec::new();
		for task in tasks {
			let input = C::job_input(task.job)
				.ok_or_else(|| Failure::from("the job's payload is not in the offchain index"));
			let request = input.and_then(|input| {
				let id = executor_job_id(task.job, &input);
				let request = if target.send { Some(job_request(&id, &input)?) } else { None };
				Ok((input, id, request))
			});
			match request {
				Ok((input, id, request)) => items.push((task, input, id, request)),
				Err(why) => finish(
					&task.host,
					task.job,
					WorkKind::Execute,
					task.state,
					Err(why),
					now,
					report,
				),
			}
		}
		if items.is_empty() {
			return;
		}
		let body = if target.send {
			let jobs = items.iter_mut().filter_map(|(_, _, _, request)| request.take()).collect();
			serde_json::to_vec(&JobBatch { version: VERSION, jobs })
		} else {
			let ids = items.iter().map(|(_, _, id, _)| id.clone()).collect();
			serde_json::to_vec(&StatusQuery { version: VERSION, ids })
		};
		let route = target.route();
		let what = format!("POST {route}");
		report.count_call(&target.url);
		let answer = body.map_err(|_| String::from("cannot encode the request")).and_then(|body| {
			C::http(
				&format!("{}{route}", target.url),
				Some(body),
				HTTP_TIMEOUT_MS,
				target.key.as_deref(),
			)
		});
		let answer = match answer {
			// An executor of before the batch routes: one call a job.
			Ok((404, _)) => {
				for (task, _, _, _) in items {
					if report.spent(&target.url) {
						report.out_of_budget = true;
						break;
					}
					execute_alone::<C>(task, now, report, out);
				}
				return;
			},
			Ok((200, body)) => batch_answer(&body, items.len()),
			Ok((code, body)) => Err(refusal(&what, code, &body)),
			Err(why) => Err(why),
		};
		for (i, (mut task, input, id, _)) in items.into_iter().enumerate() {
			let outcome = match &answer {
				Ok(answer) => match answer.jobs.get(i).filter(|entry| entry.id == id) {
					Some(entry) => on_entry::<C>(&mut task, &input, entry, &what, now, report, out),
					None => Err(Failure::from("the executor's batch answer does not list the job")),
				},
				Err(why) => Err(Failure::Retry(why.clone())),
			};
			finish(&task.host, task.job, WorkKind::Execute, task.state, outcome, now, report);
		}
	}
}

/// A batch answer for `count` jobs, checked: its version and its length.
fn batch_answer(body: &[u8], count: usize) -> Result<BatchAnswer, String> {
	let answer: BatchAnswer = serde_json::from_slice(body)
		.map_err(|_| String::from("the executor's answer is not a batch answer"))?;
	check_version(answer.version).map_err(|mismatch| format!("{mismatch}"))?;
	if answer.jobs.len() != count {
		return Err(format!("the executor answered {} jobs of {count}", answer.jobs.len()));
	}
	Ok(answer)
}

/// What one job's entry in the answer to `what` (a batch call) means for its task.
fn on_entry<C: Chain>(
	task: &mut Task,
	input: &JobInput,
	entry: &BatchEntry,
	what: &str,
	now: u32,
	report: &mut RunReport,
	out: &mut Vec<PendingResult>,
) -> Result<(), Failure> {
	let sent = task.state.phase == Phase::Send;
	match (&entry.job, &entry.refused) {
		(Some(status), _) => {
			if sent {
				task.state.phase = Phase::Poll;
			}
			on_status::<C>(
				&task.host,
				task.job,
				&mut task.state,
				input,
				status.clone(),
				now,
				(report, out),
			)
		},
		(None, Some(refused)) if !sent && refused.status == 404 => {
			task.state.phase = Phase::Send;
			Err("the executor lost the job (restarted?); sending it again".into())
		},
		(None, Some(refused)) => {
			Err(Failure::Retry(refused_line(what, refused.status, &refused.error)))
		},
		(None, None) => {
			Err("the executor's batch answer gives neither a status nor a refusal".into())
		},
	}
}

/// Advances one execution task by its single-job route.
fn execute_alone<C: Chain>(
	mut task: Task,
	now: u32,
	report: &mut RunReport,
	out: &mut Vec<PendingResult>,
) {
	let outcome = execute_step::<C>(&task.host, task.job, &mut task.state, now, report, out);
	finish(&task.host, task.job, WorkKind::Execute, task.state, outcome, now, report);
}

/// Why a step failed.
enum Failure {
	/// Try again after a backoff (the executor is down, busy, or failed the job).
	Retry(String),
	/// Trying again cannot help.
	Permanent(String),
}

impl From<String> for Failure {
	fn from(why: String) -> Self {
		Failure::Retry(why)
	}
}

impl From<&str> for Failure {
	fn from(why: &str) -> Self {
		Failure::Retry(why.into())
	}
}

fn text(bytes: Vec<u8>, what: &str) -> Result<String, Failure> {
	// The job market only takes text prompts; a job from before that rule cannot be run.
	String::from_utf8(bytes)
		.map_err(|_| Failure::Permanent(format!("the {what} is not UTF-8 text")))
}

/// The id of a job at its executor: the chain's job id and a hash of everything that determines
/// its output, so that an executor shared by two chains (or kept across a dev chain's restart)
/// never answers one job with another's output.
pub fn executor_job_id(job: JobId, input: &JobInput) -> String {
	let digest = polkadot_sdk::sp_io::hashing::blake2_256(
		&(
			&input.model,
			input.weights_hash,
			&input.prompt,
			input.max_output_tokens,
			input.params,
			input.sampling_key,
		)
			.encode(),
	);
	format!("{job}-{}", &to_hex(&digest[..8])[2..])
}

fn format_of(params: &JobParams) -> daya_protocol::PayloadFormat {
	match params.format {
		PayloadFormat::Text => daya_protocol::PayloadFormat::Text,
		PayloadFormat::Chat => daya_protocol::PayloadFormat::Chat,
	}
}

fn policy_of(policy: &ValidationPolicy) -> daya_protocol::Policy {
	daya_protocol::Policy {
		conclusive_margin_micro: policy.conclusive_margin_micro,
		near_ties_base: policy.near_ties_base,
		near_ties_per_kilo: policy.near_ties_per_kilo,
		fingerprint_tolerance_ppm: policy.fingerprint_tolerance_ppm,
	}
}

/// The chain's judgement of the executor protocol's.
pub fn judgement_of(judgement: daya_protocol::Judgement) -> Judgement {
	use daya_protocol::Fault as F;
	match judgement {
		daya_protocol::Judgement::Valid => Judgement::Valid,
		daya_protocol::Judgement::Invalid(fault) => Judgement::Invalid(match fault {
			F::Malformed => Fault::Malformed,
			F::Prompt => Fault::Prompt,
			F::Truncated { position } => Fault::Truncated { position },
			F::Token { position, margin_micro } => Fault::Token { position, margin_micro },
			F::NearTies { count, tokens } => Fault::NearTies { count, tokens },
			F::Fingerprint { chunk, deviation_ppm } => Fault::Fingerprint { chunk, deviation_ppm },
			F::Probe { deviation_ppm } => Fault::Probe { deviation_ppm },
		}),
	}
}

/// The verdict a check gives where the chain asks `duty`: a first validator's judgement with
/// its probe; the judgement of another's probe (by the executor of the result, or a dispute's
/// validator), which a result found invalid fails too; else the check's judgement.
pub fn verdict_of(
	duty: Option<ProbeDuty>,
	checked: ValidateResponse,
) -> Result<(Judgement, Option<Fingerprint>), &'static str> {
	let judgement = judgement_of(checked.judgement);
	let answer = checked.probe;
	match duty {
		None => Ok((judgement, None)),
		Some(ProbeDuty::Show { .. }) => {
			let probe = answer
				.map(|a| Fingerprint { dims: a.fingerprint.dims, values: a.fingerprint.values });
			if judgement.is_valid() && probe.is_none() {
				return Err("the executor passed the result but showed no probe");
			}
			Ok((judgement, probe))
		},
		Some(ProbeDuty::Judge { .. }) => match answer.and_then(|a| a.judgement) {
			Some(probe_judgement) => Ok((judgement_of(probe_judgement), None)),
			None if !judgement.is_valid() => Ok((judgement, None)),
			None => Err("the executor judged no probe"),
		},
	}
}

/// A delivered result as the executor protocol carries it.
pub fn claim_of(delivered: Delivered) -> Result<ExecutionResult, Fault> {
	Ok(ExecutionResult {
		output: String::from_utf8(delivered.output).map_err(|_| Fault::Malformed)?,
		tokens: delivered.tokens,
		prompt_tokens: delivered.prompt_tokens,
		prompt_hash: to_hex(&delivered.prompt_hash),
		fingerprints: delivered
			.fingerprints
			.iter()
			.map(|f| daya_protocol::Fingerprint { dims: f.dims, values: f.values })
			.collect(),
	})
}

/// An executor's result as the chain takes it, or why it cannot be submitted.
fn delivered_of(
	result: ExecutionResult,
	input: &JobInput,
	limit: u32,
) -> Result<Delivered, Failure> {
	let output = result.output.into_bytes();
	if output.len() > limit as usize {
		return Err(Failure::Permanent(format!(
			"the output has {} bytes, more than the chain takes ({limit})",
			output.len()
		)));
	}
	if result.tokens.is_empty() || result.tokens.len() > input.max_output_tokens as usize {
		return Err(Failure::Permanent(format!(
			"the executor delivered {} output tokens for a job of at most {}",
			result.tokens.len(),
			input.max_output_tokens
		)));
	}
	let prompt_hash = daya_protocol::hex::parse_hash(&result.prompt_hash)
		.ok_or("the executor's prompt hash is not 32 bytes of hex")?;
	Ok(Delivered {
		output,
		tokens: result.tokens,
		// The chain bounds the bill by the payload's bytes.
		prompt_tokens: daya_protocol::billed_prompt_tokens(
			result.prompt_tokens,
			input.prompt.len() as u32,
		),
		prompt_hash,
		fingerprints: result
			.fingerprints
			.iter()
			.map(|f| Fingerprint { dims: f.dims, values: f.values })
			.collect(),
	})
}

/// The request that sends `input` to an executor under `id`.
fn job_request(id: &str, input: &JobInput) -> Result<JobRequest, Failure> {
	Ok(JobRequest {
		version: VERSION,
		id: id.into(),
		model: text(input.model.clone(), "model name")?,
		weights_hash: Some(to_hex(&input.weights_hash)),
		prompt: text(input.prompt.clone(), "prompt")?,
		format: format_of(&input.params),
		max_tokens: input.max_output_tokens,
		temperature_milli: input.params.temperature_milli,
		sampling_key: to_hex(&input.sampling_key),
	})
}

fn execute_step<C: Chain>(
	host: &HostId,
	job: JobId,
	state: &mut TaskState,
	now: u32,
	report: &mut RunReport,
	out: &mut Vec<PendingResult>,
) -> Result<(), Failure> {
	let (url, key) = (executor_url(host), executor_key(host));
	let key = key.as_deref();
	let input = C::job_input(job).ok_or("the job's payload is not in the offchain index")?;
	let id = executor_job_id(job, &input);
	let status = if state.phase == Phase::Send {
		let request = job_request(&id, &input)?;
		report.count_call(&url);
		let body = serde_json::to_vec(&request).map_err(|_| "cannot encode the request")?;
		let (code, answer) = C::http(&format!("{url}/v1/jobs"), Some(body), HTTP_TIMEOUT_MS, key)?;
		if !(200..300).contains(&code) {
			return Err(refusal("POST /v1/jobs", code, &answer).into());
		}
		let status: ExecutionStatus = serde_json::from_slice(&answer)
			.map_err(|_| "the executor's answer is not a job status")?;
		state.phase = Phase::Poll;
		status
	} else {
		report.count_call(&url);
		let (code, answer) = C::http(&format!("{url}/v1/jobs/{id}"), None, HTTP_TIMEOUT_MS, key)?;
		if code == 404 {
			state.phase = Phase::Send;
			return Err("the executor lost the job (restarted?); sending it again".into());
		}
		if code != 200 {
			return Err(refusal("GET /v1/jobs", code, &answer).into());
		}
		serde_json::from_slice(&answer).map_err(|_| "the executor's answer is not a job status")?
	};
	on_status::<C>(host, job, state, &input, status, now, (report, out))
}

/// What an executor's status of `job` means: nothing to do yet, a failure to retry, or the
/// result to submit.
fn on_status<C: Chain>(
	host: &HostId,
	job: JobId,
	state: &mut TaskState,
	input: &JobInput,
	status: ExecutionStatus,
	now: u32,
	(report, out): (&mut RunReport, &mut Vec<PendingResult>),
) -> Result<(), Failure> {
	check_version(status.version).map_err(|mismatch| format!("{mismatch}"))?;
	match status.status {
		ExecutionState::Queued | ExecutionState::Running => Ok(()),
		ExecutionState::Failed => {
			state.phase = Phase::Send;
			Err(format!("the executor failed the job: {}", status.error.unwrap_or_default()).into())
		},
		ExecutionState::Done => {
			let result = status.result.ok_or("the executor says done but gives no result")?;
			let delivered = delivered_of(result, input, C::max_output_len())?;
			// Sent at the run's end with the host's other results (`send_results`), which
			// takes the task back where the pool refuses them.
			out.push((*host, job, *state, delivered));
			report.results += 1;
			state.phase = Phase::Submitted(now);
			Ok(())
		},
	}
}

/// Sends the results of this run, one transaction a host. Each task was recorded as
/// submitted; where the pool refused its host's results, it is recorded as it was before, to
/// be retried after a backoff (the executor keeps the result).
fn send_results<C: Chain>(delivered: Vec<PendingResult>, now: u32, report: &mut RunReport) {
	let delivered: Vec<_> = delivered
		.into_iter()
		.map(|(host, job, state, result)| (host, (job, state, result)))
		.collect();
	for (host, chunk) in transactions(&delivered, C::max_results()) {
		let results = chunk.iter().map(|(job, _, result)| (*job, result.clone())).collect();
		if C::submit_results(&host, results).is_ok() {
			continue;
		}
		for (job, state, _) in chunk {
			report.results = report.results.saturating_sub(1);
			let refused = Failure::from("the transaction pool refused the result");
			finish(&host, *job, WorkKind::Execute, *state, Err(refused), now, report);
		}
	}
}

/// `items` (each of a host) in transactions: each host's in order, at most `bound` a
/// transaction, the hosts in the order they first appear.
fn transactions<T>(items: &[(HostId, T)], bound: u32) -> Vec<(HostId, Vec<&T>)> {
	let mut hosts: Vec<HostId> = Vec::new();
	for (host, _) in items {
		if !hosts.contains(host) {
			hosts.push(*host);
		}
	}
	let bound = bound.max(1) as usize;
	let mut sent = Vec::new();
	for host in hosts {
		let mine: Vec<&T> =
			items.iter().filter(|(h, _)| *h == host).map(|(_, item)| item).collect();
		sent.extend(mine.chunks(bound).map(|chunk| (host, chunk.to_vec())));
	}
	sent
}

/// Sends the verdicts of this run, one `submit_verdicts` a host, and records each task's
/// state: submitted, or retried after a backoff where the pool refused its host's verdicts.
fn send_verdicts<C: Chain>(
	judged: Vec<(HostId, TaskState, Verdict)>,
	now: u32,
	report: &mut RunReport,
) {
	let judged: Vec<_> = judged
		.into_iter()
		.map(|(host, state, verdict)| (host, (state, verdict)))
		.collect();
	for (host, chunk) in transactions(&judged, C::max_verdicts()) {
		let sent = C::submit_verdicts(&host, chunk.iter().map(|(_, verdict)| *verdict).collect());
		for (mut state, (job, _, _)) in chunk.into_iter().copied() {
			let outcome = match sent {
				Ok(()) => {
					report.verdicts += 1;
					state.phase = Phase::Submitted(now);
					Ok(())
				},
				Err(NotSent) => Err(Failure::from("the transaction pool refused the verdict")),
			};
			finish(&host, job, WorkKind::Validate, state, outcome, now, report);
		}
	}
}

/// Asks `host`'s executor to check `job`'s result: the verdict to send.
fn validate_step<C: Chain>(
	host: &HostId,
	job: JobId,
	report: &mut RunReport,
) -> Result<Verdict, Failure> {
	let (url, key) = (executor_url(host), executor_key(host));
	let input = C::job_input(job).ok_or("the job's payload is not in the offchain index")?;
	let delivered = C::job_output(job).ok_or("the job's output is not in the offchain index")?;
	let claim = match delivered {
		JobOutput::Delivered(delivered) => claim_of(delivered),
		JobOutput::Undecodable => Err(Fault::Malformed),
	};
	let (judgement, probe) = match claim {
		// Output that is not a result, or not text, cannot come from the model.
		Err(fault) => (Judgement::Invalid(fault), None),
		Ok(claim) => {
			let request = ValidateRequest {
				version: VERSION,
				model: text(input.model, "model name")?,
				weights_hash: Some(to_hex(&input.weights_hash)),
				prompt: text(input.prompt, "prompt")?,
				format: format_of(&input.params),
				max_tokens: input.max_output_tokens,
				temperature_milli: input.params.temperature_milli,
				sampling_key: to_hex(&input.sampling_key),
				claim,
				policy: policy_of(&input.policy),
				probe: input.probe.map(|duty| match duty {
					ProbeDuty::Show { position } => {
						daya_protocol::Probe { position, claimed: None }
					},
					ProbeDuty::Judge { position, probe } => daya_protocol::Probe {
						position,
						claimed: Some(daya_protocol::Fingerprint {
							dims: probe.dims,
							values: probe.values,
						}),
					},
				}),
			};
			report.count_call(&url);
			let body = serde_json::to_vec(&request).map_err(|_| "cannot encode the request")?;
			let (code, answer) = C::http(
				&format!("{url}/v1/validate"),
				Some(body),
				VALIDATE_TIMEOUT_MS,
				key.as_deref(),
			)?;
			if code != 200 {
				return Err(refusal("POST /v1/validate", code, &answer).into());
			}
			let checked: ValidateResponse = serde_json::from_slice(&answer)
				.map_err(|_| "the executor's answer is not a validation")?;
			check_version(checked.version).map_err(|mismatch| format!("{mismatch}"))?;
			verdict_of(input.probe, checked)?
		},
	};
	Ok((job, judgement, probe))
}

fn refusal(what: &str, code: u16, answer: &[u8]) -> String {
	match serde_json::from_slice::<ErrorBody>(answer) {
		Ok(body) => refused_line(what, code, &body.error),
		Err(_) => format!("{what}: HTTP {code}"),
	}
}

/// The log line of a refusal of `what` with status `code` and `error`.
fn refused_line(what: &str, code: u16, error: &daya_protocol::ErrorDetail) -> String {
	format!("{what}: {code} {} ({})", error.code, error.message)
}

/// Most bytes of an executor answer the offchain worker reads.
const MAX_ANSWER_BYTES: usize = 4 << 20;

/// One HTTP call: a `POST` of `body` as JSON, or a `GET` without, with `key` as its bearer API
/// key if any. Returns the status code and the body.
pub fn http_call(
	url: &str,
	body: Option<Vec<u8>>,
	timeout_ms: u64,
	key: Option<&str>,
) -> Result<(u16, Vec<u8>), String> {
	let deadline = offchain::timestamp().add(Duration::from_millis(timeout_ms));
	let mut request = http::Request::<Vec<Vec<u8>>>::default().url(url);
	request = match body {
		Some(body) => request
			.method(http::Method::Post)
			.body(alloc::vec![body])
			.add_header("Content-Type", "application/json"),
		None => request.method(http::Method::Get),
	};
	let bearer = key.map(settings::bearer);
	if let Some(bearer) = &bearer {
		request = request.add_header(settings::AUTH_HEADER, bearer);
	}
	let pending = request
		.add_header("Accept", "application/json")
		.deadline(deadline)
		.send()
		.map_err(|_| format!("cannot call {url}"))?;
	let response = pending
		.try_wait(deadline)
		.map_err(|_| format!("{url} did not answer in {timeout_ms} ms"))?
		.map_err(|e| format!("{url}: {e:?}"))?;
	let code = response.code;
	let mut body = response.body();
	body.deadline(deadline);
	let answer: Vec<u8> = body.by_ref().take(MAX_ANSWER_BYTES.saturating_add(1)).collect();
	if answer.len() > MAX_ANSWER_BYTES {
		return Err(format!("{url}: the answer is larger than {MAX_ANSWER_BYTES} bytes"));
	}
	if let Some(e) = body.error() {
		return Err(format!("{url}: reading the answer failed: {e:?}"));
	}
	Ok((code, answer))
}

#[cfg(test)]
mod tests {
	use super::*;
	use daya_protocol::{CheckReport, Policy};
	use polkadot_sdk::{
		sp_core::offchain::{
			testing::{OffchainState, PendingRequest, TestOffchainExt},
			OffchainDbExt, OffchainWorkerExt,
		},
		sp_io::TestExternalities,
	};
	use std::{cell::RefCell, collections::BTreeMap, sync::Arc};

	type State = Arc<parking_lot::RwLock<OffchainState>>;

	const POLICY: ValidationPolicy = ValidationPolicy {
		conclusive_margin_micro: 100_000,
		near_ties_base: 2,
		near_ties_per_kilo: 4,
		fingerprint_tolerance_ppm: 2_000,
	};

	const ALICE: HostId = [1; 32];
	const BOB: HostId = [2; 32];

	#[derive(Default)]
	struct FakeChain {
		hosts: Vec<HostId>,
		work: BTreeMap<HostId, Vec<(JobId, WorkKind)>>,
		outputs: BTreeMap<JobId, JobOutput>,
		/// The chain's output limit, if not 64 KiB.
		max_output: Option<u32>,
		/// Scripted executor answers, in order, by URL (else the mocked HTTP answers 200).
		answers: std::collections::VecDeque<(String, Result<(u16, Vec<u8>), String>)>,
		results: Vec<(HostId, JobId, Delivered)>,
		verdicts: Vec<(HostId, JobId, Judgement)>,
		/// The probe each verdict showed, in the order of `verdicts`.
		shown: Vec<Option<Fingerprint>>,
		/// The `submit_verdicts` transactions sent.
		transactions: u32,
		/// Whether the pool refuses `submit_verdicts`.
		refuse_verdicts: bool,
		/// The result transactions sent (one a host and run).
		result_transactions: u32,
		/// Whether the pool refuses results.
		refuse_results: bool,
		/// What the chain asks about each job's probe position.
		probe_duties: BTreeMap<JobId, ProbeDuty>,
		/// A clock to move forward by this many milliseconds whenever a job's input is read.
		clock: Option<(State, u64)>,
	}

	thread_local! {
		static CHAIN: RefCell<FakeChain> = RefCell::new(FakeChain::default());
	}

	struct Fake;
	impl Chain for Fake {
		fn local_hosts() -> Vec<HostId> {
			CHAIN.with(|c| c.borrow().hosts.clone())
		}
		fn work_of(host: &HostId) -> Vec<(JobId, WorkKind)> {
			CHAIN.with(|c| c.borrow().work.get(host).cloned().unwrap_or_default())
		}
		fn job_input(job: JobId) -> Option<JobInput> {
			CHAIN.with(|c| {
				if let Some((clock, ms)) = &c.borrow().clock {
					let mut clock = clock.write();
					clock.timestamp = clock.timestamp.add(Duration::from_millis(*ms));
				}
			});
			Some(JobInput {
				model: b"daya-dev-llama".to_vec(),
				weights_hash: [0xab; 32],
				max_output_tokens: 8,
				params: JobParams { temperature_milli: 0, seed: job, format: PayloadFormat::Text },
				sampling_key: [job as u8; 32],
				policy: POLICY,
				prompt: b"hello".to_vec(),
				probe: CHAIN.with(|c| c.borrow().probe_duties.get(&job).copied()),
			})
		}
		fn job_output(job: JobId) -> Option<JobOutput> {
			CHAIN.with(|c| c.borrow().outputs.get(&job).cloned())
		}
		fn max_output_len() -> u32 {
			CHAIN.with(|c| c.borrow().max_output.unwrap_or(64 * 1024))
		}
		fn http(
			url: &str,
			body: Option<Vec<u8>>,
			timeout_ms: u64,
			key: Option<&str>,
		) -> Result<(u16, Vec<u8>), String> {
			match CHAIN.with(|c| c.borrow_mut().answers.pop_front()) {
				Some((expected, answer)) => {
					assert_eq!(url, expected);
					answer
				},
				None => http_call(url, body, timeout_ms, key),
			}
		}
		fn max_results() -> u32 {
			2
		}
		fn max_verdicts() -> u32 {
			16
		}
		fn submit_results(host: &HostId, results: Vec<(JobId, Delivered)>) -> Result<(), NotSent> {
			assert!(results.len() <= 2, "at most the chain's batch");
			CHAIN.with(|c| {
				let mut c = c.borrow_mut();
				if c.refuse_results {
					return Err(NotSent);
				}
				c.result_transactions += 1;
				c.results.extend(results.into_iter().map(|(job, result)| (*host, job, result)));
				Ok(())
			})
		}
		fn submit_verdicts(host: &HostId, verdicts: Vec<Verdict>) -> Result<(), NotSent> {
			CHAIN.with(|c| {
				let mut c = c.borrow_mut();
				if c.refuse_verdicts {
					return Err(NotSent);
				}
				c.transactions += 1;
				for (job, judgement, probe) in verdicts {
					c.verdicts.push((*host, job, judgement));
					c.shown.push(probe);
				}
				Ok(())
			})
		}
	}

	fn set_work(host: HostId, work: &[(JobId, WorkKind)]) {
		CHAIN.with(|c| {
			let mut c = c.borrow_mut();
			if !c.hosts.contains(&host) {
				c.hosts.push(host);
			}
			c.work.insert(host, work.to_vec());
		});
	}

	fn new_ext() -> (TestExternalities, State) {
		CHAIN.with(|c| *c.borrow_mut() = FakeChain::default());
		let (offchain, state) = TestOffchainExt::new();
		let mut ext = TestExternalities::default();
		ext.register_extension(OffchainDbExt::new(offchain.clone()));
		ext.register_extension(OffchainWorkerExt::new(offchain));
		(ext, state)
	}

	fn post(
		uri: &str,
		body: &impl serde::Serialize,
		answer: &impl serde::Serialize,
	) -> PendingRequest {
		PendingRequest {
			method: "POST".into(),
			uri: uri.into(),
			headers: vec![
				("Content-Type".into(), "application/json".into()),
				("Accept".into(), "application/json".into()),
			],
			body: serde_json::to_vec(body).unwrap(),
			response: Some(serde_json::to_vec(answer).unwrap()),
			sent: true,
			..Default::default()
		}
	}

	fn get(uri: &str, answer: &impl serde::Serialize) -> PendingRequest {
		PendingRequest {
			method: "GET".into(),
			uri: uri.into(),
			headers: vec![("Accept".into(), "application/json".into())],
			response: Some(serde_json::to_vec(answer).unwrap()),
			sent: true,
			..Default::default()
		}
	}

	/// The job's id at the executor.
	fn exec_id(job: JobId) -> String {
		executor_job_id(job, &Fake::job_input(job).unwrap())
	}

	fn job_request(job: JobId) -> JobRequest {
		JobRequest {
			version: VERSION,
			id: exec_id(job),
			model: "daya-dev-llama".into(),
			weights_hash: Some(format!("0x{}", "ab".repeat(32))),
			prompt: "hello".into(),
			format: daya_protocol::PayloadFormat::Text,
			max_tokens: 8,
			temperature_milli: 0,
			sampling_key: to_hex(&[job as u8; 32]),
		}
	}

	fn status(job: JobId, state: ExecutionState) -> ExecutionStatus {
		ExecutionStatus {
			version: VERSION,
			id: format!("{job}"),
			status: state,
			result: None,
			error: None,
		}
	}

	/// The result an executor delivers: `world` in five ids and their end-of-sequence.
	fn execution_result() -> ExecutionResult {
		ExecutionResult {
			output: "world".into(),
			tokens: vec![9, 10, 11, 12, 13, 2],
			prompt_tokens: 6,
			prompt_hash: to_hex(&[4; 32]),
			fingerprints: vec![daya_protocol::Fingerprint {
				dims: [1, 2, 3, 4, 5, 6, 7, 8],
				values: [9, -8, 7, -6, 5, -4, 3, -2],
			}],
		}
	}

	fn done(job: JobId) -> ExecutionStatus {
		ExecutionStatus { result: Some(execution_result()), ..status(job, ExecutionState::Done) }
	}

	/// What Bob's executor is asked to check: the fake chain's job and its delivered result.
	fn validate_request() -> ValidateRequest {
		ValidateRequest {
			version: VERSION,
			model: "daya-dev-llama".into(),
			weights_hash: Some(format!("0x{}", "ab".repeat(32))),
			prompt: "hello".into(),
			format: daya_protocol::PayloadFormat::Text,
			max_tokens: 8,
			temperature_milli: 0,
			sampling_key: to_hex(&[4; 32]),
			claim: ExecutionResult { prompt_tokens: 5, ..execution_result() },
			policy: Policy {
				conclusive_margin_micro: 100_000,
				near_ties_base: 2,
				near_ties_per_kilo: 4,
				fingerprint_tolerance_ppm: 2_000,
			},
			probe: None,
		}
	}

	/// The offchain index holds `result` for `job`.
	fn claim(job: JobId, result: JobOutput) {
		CHAIN.with(|c| c.borrow_mut().outputs.insert(job, result));
	}

	/// The delivered result of [`execution_result`], as the chain holds it.
	fn delivered() -> Delivered {
		delivered_of(execution_result(), &Fake::job_input(4).unwrap(), 1024)
			.unwrap_or_else(|_| panic!("a valid result"))
	}

	const URL: &str = "http://127.0.0.1:8090";

	/// Bob's executor, when he has one of his own.
	const BOB_URL: &str = "http://10.0.0.2:9000";

	/// Bob's host has an executor of its own, at [`BOB_URL`].
	fn bob_has_his_own_executor() {
		let url = format!("{BOB_URL}/");
		offchain::local_storage_set(
			StorageKind::PERSISTENT,
			&settings::executor_url_key(&BOB),
			url.as_bytes(),
		);
	}

	/// The executor at [`URL`] answers the next batch of jobs as one of before the batch routes.
	fn without_batch_routes() {
		answer(
			format!("{URL}/v1/batch/jobs"),
			Ok((404, r#"{"error":{"code":"not_found","message":"no such endpoint"}}"#)),
		);
	}

	#[test]
	fn a_hosts_api_key_goes_with_every_call_to_its_executor() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			let (alice_key, node_key) = ("a".repeat(32), "n".repeat(32));
			let set = |key: &[u8], value: &str| {
				offchain::local_storage_set(StorageKind::PERSISTENT, key, value.as_bytes())
			};
			set(settings::EXECUTOR_KEY_KEY, &node_key);
			set(&settings::executor_key_key(&ALICE), &alice_key);
			assert_eq!(executor_key(&ALICE), Some(alice_key.clone()));
			assert_eq!(executor_key(&BOB), Some(node_key), "the node's key without its own");
			set_work(ALICE, &[(7, WorkKind::Execute)]);
			let mut request = post(
				&format!("{URL}/v1/jobs"),
				&job_request(7),
				&status(7, ExecutionState::Queued),
			);
			request
				.headers
				.insert(1, ("Authorization".into(), format!("Bearer {alice_key}")));
			state.write().expect_request(request);
			assert_eq!(run::<Fake>(10).calls, 1);
			let mut request =
				get(&format!("{URL}/v1/jobs/{}", exec_id(7)), &status(7, ExecutionState::Running));
			request
				.headers
				.insert(0, ("Authorization".into(), format!("Bearer {alice_key}")));
			state.write().expect_request(request);
			assert_eq!(run::<Fake>(11).failures, 0);
		});
	}

	#[test]
	fn a_job_is_sent_polled_and_its_result_submitted_once() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			set_work(ALICE, &[(7, WorkKind::Execute)]);
			state.write().expect_request(post(
				&format!("{URL}/v1/jobs"),
				&job_request(7),
				&status(7, ExecutionState::Queued),
			));
			let report = run::<Fake>(10);
			assert_eq!((report.calls, report.results, report.failures), (1, 0, 0));
			assert_eq!(task_state(&ALICE, 7, WorkKind::Execute).unwrap().phase, Phase::Poll);

			state.write().expect_request(get(
				&format!("{URL}/v1/jobs/{}", exec_id(7)),
				&status(7, ExecutionState::Running),
			));
			assert_eq!(run::<Fake>(11).results, 0);
			state
				.write()
				.expect_request(get(&format!("{URL}/v1/jobs/{}", exec_id(7)), &done(7)));
			assert_eq!(run::<Fake>(12).results, 1);
			let results = CHAIN.with(|c| c.borrow().results.clone());
			assert_eq!(results.len(), 1);
			let (host, job, result) = &results[0];
			assert_eq!((host, *job), (&ALICE, 7));
			assert_eq!(result.output, b"world");
			assert_eq!(result.tokens, vec![9, 10, 11, 12, 13, 2]);
			// Six prompt tokens for a five-byte payload: the bill stops at the payload's bytes.
			assert_eq!((result.prompt_tokens, result.prompt_hash), (5, [4; 32]));
			assert_eq!(result.fingerprints[0].values, [9, -8, 7, -6, 5, -4, 3, -2]);

			// While the transaction waits for a block: nothing more, no second submission.
			for block in 13..12 + RESUBMIT_AFTER {
				assert_eq!(run::<Fake>(block), RunReport { hosts: 1, ..Default::default() });
			}
			// Delivered: the chain no longer lists it, and its state goes.
			set_work(ALICE, &[]);
			run::<Fake>(14);
			assert_eq!(task_state(&ALICE, 7, WorkKind::Execute), None);
			assert_eq!(CHAIN.with(|c| c.borrow().results.len()), 1);
		});
	}

	#[test]
	fn a_fast_executor_is_polled_in_the_same_run() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			set_work(ALICE, &[(1, WorkKind::Execute)]);
			state.write().expect_request(post(
				&format!("{URL}/v1/jobs"),
				&job_request(1),
				&done(1),
			));
			let report = run::<Fake>(3);
			assert_eq!((report.calls, report.results), (1, 1), "no GET: the POST's answer is done");
		});
	}

	#[test]
	fn a_result_that_does_not_land_is_sent_again_after_a_while() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			set_work(ALICE, &[(1, WorkKind::Execute)]);
			state.write().expect_request(post(
				&format!("{URL}/v1/jobs"),
				&job_request(1),
				&done(1),
			));
			assert_eq!(run::<Fake>(3).results, 1);
			assert_eq!(run::<Fake>(3 + RESUBMIT_AFTER - 1).calls, 0);
			state
				.write()
				.expect_request(get(&format!("{URL}/v1/jobs/{}", exec_id(1)), &done(1)));
			assert_eq!(run::<Fake>(3 + RESUBMIT_AFTER).results, 1);
		});
	}

	#[test]
	fn failures_back_off_and_retry_until_the_chain_drops_the_job() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			set_work(ALICE, &[(2, WorkKind::Execute)]);
			let refusal = ErrorBody {
				error: daya_protocol::ErrorDetail {
					code: "queue_full".into(),
					message: "busy".into(),
				},
			};
			// An answer that is not a job status fails the step.
			state.write().expect_request(post(
				&format!("{URL}/v1/jobs"),
				&job_request(2),
				&refusal,
			));
			assert_eq!(run::<Fake>(20).failures, 1);
			assert_eq!(task_state(&ALICE, 2, WorkKind::Execute).unwrap().next_at, 21);
			// Nothing is called before the backoff ends (an unexpected call would panic).
			assert_eq!(run::<Fake>(20).calls, 0);
			state.write().expect_request(post(
				&format!("{URL}/v1/jobs"),
				&job_request(2),
				&refusal,
			));
			assert_eq!(run::<Fake>(21).failures, 1);
			assert_eq!(task_state(&ALICE, 2, WorkKind::Execute).unwrap().next_at, 23);
			assert_eq!(run::<Fake>(22).calls, 0);
			state.write().expect_request(post(
				&format!("{URL}/v1/jobs"),
				&job_request(2),
				&status(2, ExecutionState::Queued),
			));
			let report = run::<Fake>(23);
			assert_eq!((report.calls, report.failures), (1, 0));
			// Expired on chain: forgotten.
			set_work(ALICE, &[]);
			run::<Fake>(24);
			assert_eq!(task_state(&ALICE, 2, WorkKind::Execute), None);
		});
	}

	fn answer(url: String, answer: Result<(u16, &str), &str>) {
		let answer =
			answer.map(|(code, body)| (code, body.as_bytes().to_vec())).map_err(Into::into);
		CHAIN.with(|c| c.borrow_mut().answers.push_back((url, answer)));
	}

	#[test]
	fn refusals_and_outages_are_retried_and_a_lost_job_is_sent_again() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			set_work(ALICE, &[(5, WorkKind::Execute)]);
			let jobs = format!("{URL}/v1/jobs");
			// Down, then busy: the job waits 1, then 2 blocks.
			answer(jobs.clone(), Err("connection refused"));
			assert_eq!(run::<Fake>(1).failures, 1);
			answer(jobs.clone(), Ok((429, r#"{"error":{"code":"queue_full","message":"busy"}}"#)));
			assert_eq!(run::<Fake>(2).failures, 1);
			let task = task_state(&ALICE, 5, WorkKind::Execute).unwrap();
			assert_eq!((task.phase, task.next_at), (Phase::Send, 4));
			// Accepted, then lost by a restarted executor: sent again.
			state.write().expect_request(post(
				&jobs,
				&job_request(5),
				&status(5, ExecutionState::Queued),
			));
			assert_eq!(run::<Fake>(4).failures, 0);
			answer(
				format!("{jobs}/{}", exec_id(5)),
				Ok((404, r#"{"error":{"code":"not_found","message":"?"}}"#)),
			);
			assert_eq!(run::<Fake>(5).failures, 1);
			// The third failure in a row, without a submission between: 4 blocks' wait.
			let task = task_state(&ALICE, 5, WorkKind::Execute).unwrap();
			assert_eq!((task.phase, task.next_at), (Phase::Send, 9));
			assert_eq!(run::<Fake>(8).calls, 0);
			state.write().expect_request(post(&jobs, &job_request(5), &done(5)));
			assert_eq!(run::<Fake>(9).results, 1);
			assert_eq!(task_state(&ALICE, 5, WorkKind::Execute).unwrap().failures, 0);
		});
	}

	#[test]
	fn a_validator_whose_executor_refuses_retries() {
		let (mut ext, _state) = new_ext();
		ext.execute_with(|| {
			set_work(BOB, &[(4, WorkKind::Validate)]);
			claim(4, JobOutput::Delivered(delivered()));
			answer(
				format!("{URL}/v1/validate"),
				Ok((409, r#"{"error":{"code":"weights_mismatch","message":"other weights"}}"#)),
			);
			let report = run::<Fake>(5);
			assert_eq!((report.verdicts, report.failures), (0, 1));
			assert_eq!(task_state(&BOB, 4, WorkKind::Validate).unwrap().next_at, 6);
			assert!(CHAIN.with(|c| c.borrow().verdicts.is_empty()));
		});
	}

	/// A first validator's pass shows the probe its executor computed; the result's executor
	/// asks its own executor to judge that probe and gives its judgement as its verdict.
	#[test]
	fn a_pass_shows_its_probe_and_the_executor_judges_it() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			let shown =
				daya_protocol::Fingerprint { dims: [3, 1, 4, 1, 5, 9, 2, 6], values: [7; 8] };
			let mine = Fingerprint { dims: shown.dims, values: shown.values };
			// Bob validates job 4 and shows its probe at position 2.
			set_work(BOB, &[(4, WorkKind::Validate)]);
			claim(4, JobOutput::Delivered(delivered()));
			CHAIN.with(|c| {
				c.borrow_mut().probe_duties.insert(4, ProbeDuty::Show { position: 2 });
			});
			let request = ValidateRequest {
				probe: Some(daya_protocol::Probe { position: 2, claimed: None }),
				..validate_request()
			};
			let answer = ValidateResponse {
				version: VERSION,
				judgement: daya_protocol::Judgement::Valid,
				report: CheckReport { tokens: 6, ..Default::default() },
				probe: Some(daya_protocol::ProbeAnswer { fingerprint: shown, judgement: None }),
			};
			let url = format!("{URL}/v1/validate");
			state.write().expect_request(post(&url, &request, &answer));
			assert_eq!(run::<Fake>(5).verdicts, 1);
			assert_eq!(CHAIN.with(|c| c.borrow().shown.clone()), vec![Some(mine)]);

			// Alice, its executor, judges it: her executor does not recognise it.
			set_work(BOB, &[]);
			set_work(ALICE, &[(4, WorkKind::Validate)]);
			CHAIN.with(|c| {
				c.borrow_mut()
					.probe_duties
					.insert(4, ProbeDuty::Judge { position: 2, probe: mine });
			});
			let request = ValidateRequest {
				probe: Some(daya_protocol::Probe { position: 2, claimed: Some(shown) }),
				..validate_request()
			};
			let wrong = daya_protocol::Fault::Probe { deviation_ppm: 1_000_000 };
			let answer = ValidateResponse {
				probe: Some(daya_protocol::ProbeAnswer {
					fingerprint: daya_protocol::Fingerprint::default(),
					judgement: Some(daya_protocol::Judgement::Invalid(wrong)),
				}),
				..answer
			};
			state.write().expect_request(post(&url, &request, &answer));
			assert_eq!(run::<Fake>(6).verdicts, 1);
			let verdicts = CHAIN.with(|c| c.borrow().verdicts.clone());
			assert_eq!(
				verdicts.last(),
				Some(&(ALICE, 4, Judgement::Invalid(Fault::Probe { deviation_ppm: 1_000_000 })))
			);
			assert_eq!(CHAIN.with(|c| c.borrow().shown.clone()), vec![Some(mine), None]);
		});
	}

	#[test]
	fn a_pass_without_the_probe_the_chain_asks_for_is_not_sent() {
		let valid = ValidateResponse {
			version: VERSION,
			judgement: daya_protocol::Judgement::Valid,
			report: CheckReport::default(),
			probe: None,
		};
		let show = Some(ProbeDuty::Show { position: 1 });
		assert!(verdict_of(show, valid).is_err());
		let judge = Some(ProbeDuty::Judge { position: 1, probe: Fingerprint::default() });
		assert!(verdict_of(judge, valid).is_err());
		assert_eq!(verdict_of(None, valid), Ok((Judgement::Valid, None)));
		// A result found invalid needs no probe: the fault is the verdict.
		let invalid = ValidateResponse {
			judgement: daya_protocol::Judgement::Invalid(daya_protocol::Fault::Malformed),
			..valid
		};
		assert_eq!(verdict_of(show, invalid), Ok((Judgement::Invalid(Fault::Malformed), None)));
		assert_eq!(verdict_of(judge, invalid), Ok((Judgement::Invalid(Fault::Malformed), None)));
	}

	#[test]
	fn validation_posts_the_executors_judgement() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			set_work(BOB, &[(4, WorkKind::Validate)]);
			claim(4, JobOutput::Delivered(delivered()));
			let request = validate_request();
			let answer = ValidateResponse {
				version: VERSION,
				judgement: daya_protocol::Judgement::Invalid(daya_protocol::Fault::Token {
					position: 3,
					margin_micro: 4_000_000,
				}),
				report: CheckReport { tokens: 6, mismatches: 1, ..Default::default() },
				probe: None,
			};
			state
				.write()
				.expect_request(post(&format!("{URL}/v1/validate"), &request, &answer));
			assert_eq!(run::<Fake>(5).verdicts, 1);
			let fault = Fault::Token { position: 3, margin_micro: 4_000_000 };
			assert_eq!(
				CHAIN.with(|c| c.borrow().verdicts.clone()),
				vec![(BOB, 4, Judgement::Invalid(fault))]
			);
			assert_eq!(run::<Fake>(6).calls, 0);
		});
	}

	#[test]
	fn a_job_the_executor_fails_is_sent_again_ever_more_slowly() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			set_work(ALICE, &[(3, WorkKind::Execute)]);
			let failed = ExecutionStatus {
				error: Some("out of memory".into()),
				..status(3, ExecutionState::Failed)
			};
			for (block, next) in [(10, 11), (11, 13), (13, 17)] {
				state.write().expect_request(post(
					&format!("{URL}/v1/jobs"),
					&job_request(3),
					&failed,
				));
				let report = run::<Fake>(block);
				assert_eq!((report.calls, report.failures), (1, 1));
				let task = task_state(&ALICE, 3, WorkKind::Execute).unwrap();
				assert_eq!((task.phase, task.next_at), (Phase::Send, next));
			}
		});
	}

	#[test]
	fn an_answer_of_another_protocol_version_is_refused() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			set_work(ALICE, &[(3, WorkKind::Execute)]);
			let old = ExecutionStatus { version: VERSION + 1, ..done(3) };
			state
				.write()
				.expect_request(post(&format!("{URL}/v1/jobs"), &job_request(3), &old));
			assert_eq!(run::<Fake>(1).failures, 1);
			assert!(CHAIN.with(|c| c.borrow().results.is_empty()));
		});
	}

	#[test]
	fn done_without_a_result_or_tokens_is_not_submitted() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			set_work(ALICE, &[(3, WorkKind::Execute), (4, WorkKind::Execute)]);
			let empty = ExecutionStatus { result: None, ..done(3) };
			let tokenless = ExecutionResult { tokens: vec![], ..execution_result() };
			let tokenless = ExecutionStatus { result: Some(tokenless), ..done(4) };
			state.write().expect_request(send_batch(
				URL,
				&[3, 4],
				vec![taken(3, empty), taken(4, tokenless)],
			));
			assert_eq!(run::<Fake>(1).failures, 2);
			assert!(CHAIN.with(|c| c.borrow().results.is_empty()));
			assert_eq!(task_state(&ALICE, 4, WorkKind::Execute).unwrap().phase, Phase::Abandoned);
		});
	}

	#[test]
	fn an_output_the_chain_cannot_take_is_given_up() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			CHAIN.with(|c| c.borrow_mut().max_output = Some(3));
			set_work(ALICE, &[(3, WorkKind::Execute)]);
			state.write().expect_request(post(
				&format!("{URL}/v1/jobs"),
				&job_request(3),
				&done(3),
			));
			assert_eq!(run::<Fake>(1).failures, 1);
			assert_eq!(task_state(&ALICE, 3, WorkKind::Execute).unwrap().phase, Phase::Abandoned);
			// No more calls for it (an unexpected one would fail the test).
			assert_eq!(run::<Fake>(30).calls, 0);
			assert!(CHAIN.with(|c| c.borrow().results.is_empty()));
		});
	}

	#[test]
	fn executor_ids_follow_the_jobs_content() {
		let input = Fake::job_input(1).unwrap();
		let other = JobInput { prompt: b"hello!".to_vec(), ..input.clone() };
		assert!(executor_job_id(1, &input).starts_with("1-"));
		assert_eq!(executor_job_id(1, &input).len(), 2 + 16);
		assert_ne!(executor_job_id(1, &input), executor_job_id(1, &other));
		assert_ne!(executor_job_id(1, &input), executor_job_id(2, &input));
	}

	#[test]
	fn output_that_is_not_a_result_or_not_text_is_judged_without_an_executor() {
		let (mut ext, _state) = new_ext();
		ext.execute_with(|| {
			set_work(BOB, &[(4, WorkKind::Validate), (5, WorkKind::Validate)]);
			claim(4, JobOutput::Delivered(Delivered { output: vec![0xff, 0xfe], ..delivered() }));
			claim(5, JobOutput::Undecodable);
			assert_eq!(run::<Fake>(5).verdicts, 2);
			let malformed = Judgement::Invalid(Fault::Malformed);
			assert_eq!(
				CHAIN.with(|c| c.borrow().verdicts.clone()),
				vec![(BOB, 4, malformed), (BOB, 5, malformed)]
			);
			assert_eq!(CHAIN.with(|c| c.borrow().transactions), 1, "one transaction for both");
		});
	}

	#[test]
	fn a_hosts_verdicts_go_in_one_transaction_and_refused_ones_are_retried() {
		let (mut ext, _state) = new_ext();
		ext.execute_with(|| {
			set_work(ALICE, &[(3, WorkKind::Validate)]);
			set_work(BOB, &[(4, WorkKind::Validate), (5, WorkKind::Validate)]);
			for job in [3, 4, 5] {
				claim(job, JobOutput::Undecodable);
			}
			CHAIN.with(|c| c.borrow_mut().refuse_verdicts = true);
			let report = run::<Fake>(5);
			assert_eq!((report.verdicts, report.failures), (0, 3));
			for (host, job) in [(ALICE, 3), (BOB, 4), (BOB, 5)] {
				let state = task_state(&host, job, WorkKind::Validate).unwrap();
				assert_eq!((state.phase, state.failures), (Phase::Send, 1), "retried");
			}
			CHAIN.with(|c| c.borrow_mut().refuse_verdicts = false);
			let report = run::<Fake>(5 + backoff(1));
			assert_eq!(report.verdicts, 3);
			assert_eq!(CHAIN.with(|c| c.borrow().transactions), 2, "one transaction a host");
			for (host, job) in [(ALICE, 3), (BOB, 4), (BOB, 5)] {
				let state = task_state(&host, job, WorkKind::Validate).unwrap();
				assert_eq!(state.phase, Phase::Submitted(5 + backoff(1)));
			}
		});
	}

	#[test]
	fn each_host_calls_its_own_executor() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			bob_has_his_own_executor();
			set_work(ALICE, &[(1, WorkKind::Execute)]);
			set_work(BOB, &[(2, WorkKind::Execute)]);
			state.write().expect_request(post(
				&format!("{URL}/v1/jobs"),
				&job_request(1),
				&status(1, ExecutionState::Queued),
			));
			state.write().expect_request(post(
				&format!("{BOB_URL}/v1/jobs"),
				&job_request(2),
				&status(2, ExecutionState::Queued),
			));
			assert_eq!(run::<Fake>(1).calls, 2);
			// A node-wide setting applies to hosts without their own; invalid settings are ignored.
			offchain::local_storage_set(
				StorageKind::PERSISTENT,
				settings::EXECUTOR_URL_KEY,
				b"http://gpu:1",
			);
			assert_eq!(executor_url(&ALICE), "http://gpu:1");
			offchain::local_storage_set(
				StorageKind::PERSISTENT,
				settings::EXECUTOR_URL_KEY,
				b"not a url",
			);
			assert_eq!(executor_url(&ALICE), URL);
		});
	}

	#[test]
	fn a_run_stops_at_its_time_budget() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			bob_has_his_own_executor();
			set_work(ALICE, &[(1, WorkKind::Execute)]);
			set_work(BOB, &[(2, WorkKind::Execute)]);
			state.write().expect_request(post(
				&format!("{URL}/v1/jobs"),
				&job_request(1),
				&status(1, ExecutionState::Queued),
			));
			// Job 1 takes the whole budget: the clock moves on while the worker handles it.
			CHAIN.with(|c| c.borrow_mut().clock = Some((state.clone(), RUN_BUDGET_MS)));
			let report = run::<Fake>(1);
			assert_eq!(report.calls, 1, "Bob's executor waits for the next run");
			assert!(report.out_of_budget);
			assert_eq!(task_state(&BOB, 2, WorkKind::Execute), None);
		});
	}

	/// What a batch call took or knew of `job`.
	fn taken(job: JobId, status: ExecutionStatus) -> BatchEntry {
		BatchEntry { id: exec_id(job), job: Some(status), refused: None }
	}

	/// What a batch call refused of `job`, with `status` and `code`.
	fn refused(job: JobId, status: u16, code: &str) -> BatchEntry {
		let error = daya_protocol::ErrorDetail { code: code.into(), message: "no".into() };
		BatchEntry {
			id: exec_id(job),
			job: None,
			refused: Some(daya_protocol::Refusal { status, error }),
		}
	}

	/// `jobs` sent to the executor at `url` in one call, answered with `entries`.
	fn send_batch(url: &str, jobs: &[JobId], entries: Vec<BatchEntry>) -> PendingRequest {
		let batch =
			JobBatch { version: VERSION, jobs: jobs.iter().map(|j| job_request(*j)).collect() };
		post(
			&format!("{url}/v1/batch/jobs"),
			&batch,
			&BatchAnswer { version: VERSION, jobs: entries },
		)
	}

	/// The executor at `url` asked about `jobs` in one call, answering `entries`.
	fn status_batch(url: &str, jobs: &[JobId], entries: Vec<BatchEntry>) -> PendingRequest {
		let query =
			StatusQuery { version: VERSION, ids: jobs.iter().map(|j| exec_id(*j)).collect() };
		post(
			&format!("{url}/v1/batch/status"),
			&query,
			&BatchAnswer { version: VERSION, jobs: entries },
		)
	}

	#[test]
	fn an_executors_jobs_go_together_and_each_fares_on_its_own() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			let work: Vec<_> = (1..=4).map(|job| (job, WorkKind::Execute)).collect();
			set_work(ALICE, &work);
			// One call sends the four: taken, running, refused by a full queue, done at once.
			state.write().expect_request(send_batch(
				URL,
				&[1, 2, 3, 4],
				vec![
					taken(1, status(1, ExecutionState::Queued)),
					taken(2, status(2, ExecutionState::Running)),
					refused(3, 429, "queue_full"),
					taken(4, done(4)),
				],
			));
			let report = run::<Fake>(10);
			assert_eq!((report.calls, report.results, report.failures), (1, 1, 1));
			let phase = |job| task_state(&ALICE, job, WorkKind::Execute).unwrap().phase;
			assert_eq!(
				[phase(1), phase(2), phase(3), phase(4)],
				[Phase::Poll, Phase::Poll, Phase::Send, Phase::Submitted(10)]
			);
			assert_eq!(task_state(&ALICE, 3, WorkKind::Execute).unwrap().next_at, 11);
			// One call asks about the two running; the refused one goes again alone.
			state.write().expect_request(status_batch(
				URL,
				&[1, 2],
				vec![taken(1, done(1)), refused(2, 404, "not_found")],
			));
			state.write().expect_request(post(
				&format!("{URL}/v1/jobs"),
				&job_request(3),
				&status(3, ExecutionState::Queued),
			));
			let report = run::<Fake>(11);
			assert_eq!((report.calls, report.results, report.failures), (2, 1, 1));
			// Job 2 was lost (a restarted executor): it is sent again.
			assert_eq!(
				[phase(1), phase(2), phase(3)],
				[Phase::Submitted(11), Phase::Send, Phase::Poll]
			);
			let results: Vec<JobId> =
				CHAIN.with(|c| c.borrow().results.iter().map(|r| r.1).collect());
			assert_eq!(results, vec![4, 1]);
			let result = CHAIN.with(|c| c.borrow().results[1].2.clone());
			assert_eq!(
				result,
				delivered_of(execution_result(), &Fake::job_input(1).unwrap(), 1024)
					.ok()
					.unwrap()
			);
		});
	}

	#[test]
	fn a_hosts_results_go_in_one_transaction_and_refused_ones_are_polled_again() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			let work: Vec<_> = (1..=3).map(|job| (job, WorkKind::Execute)).collect();
			set_work(ALICE, &work);
			state.write().expect_request(send_batch(
				URL,
				&[1, 2, 3],
				vec![taken(1, done(1)), taken(2, done(2)), taken(3, done(3))],
			));
			CHAIN.with(|c| c.borrow_mut().refuse_results = true);
			let report = run::<Fake>(10);
			assert_eq!((report.calls, report.results, report.failures), (1, 0, 3));
			for job in 1..=3 {
				let state = task_state(&ALICE, job, WorkKind::Execute).unwrap();
				assert_eq!((state.phase, state.failures), (Phase::Poll, 1), "polled again");
			}
			CHAIN.with(|c| c.borrow_mut().refuse_results = false);
			let at = 10 + backoff(1);
			state.write().expect_request(status_batch(
				URL,
				&[1, 2, 3],
				vec![taken(1, done(1)), taken(2, done(2)), taken(3, done(3))],
			));
			let report = run::<Fake>(at);
			assert_eq!((report.calls, report.results, report.failures), (1, 3, 0));
			// The chain takes two a transaction.
			assert_eq!(CHAIN.with(|c| c.borrow().result_transactions), 2, "two transactions");
			for job in 1..=3 {
				let state = task_state(&ALICE, job, WorkKind::Execute).unwrap();
				assert_eq!(state.phase, Phase::Submitted(at));
			}
		});
	}

	#[test]
	fn an_executor_without_batches_gets_its_jobs_one_call_each() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			set_work(ALICE, &[(1, WorkKind::Execute), (2, WorkKind::Execute)]);
			without_batch_routes();
			for job in [1, 2] {
				state.write().expect_request(post(
					&format!("{URL}/v1/jobs"),
					&job_request(job),
					&status(job, ExecutionState::Queued),
				));
			}
			let report = run::<Fake>(1);
			assert_eq!((report.calls, report.failures), (3, 0));
			assert_eq!(task_state(&ALICE, 2, WorkKind::Execute).unwrap().phase, Phase::Poll);
		});
	}

	#[test]
	fn executors_without_batches_stay_within_their_calls() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			bob_has_his_own_executor();
			let jobs = MAX_CALLS_PER_EXECUTOR as u64;
			set_work(ALICE, &(0..jobs).map(|job| (job, WorkKind::Execute)).collect::<Vec<_>>());
			set_work(BOB, &[(100, WorkKind::Execute), (101, WorkKind::Execute)]);
			// Alice's executor has no batch routes: its jobs go one call each until its calls
			// are spent (the refused batch was one); Bob's executor keeps its own.
			without_batch_routes();
			for job in 0..jobs - 1 {
				state.write().expect_request(post(
					&format!("{URL}/v1/jobs"),
					&job_request(job),
					&status(job, ExecutionState::Queued),
				));
			}
			state.write().expect_request(send_batch(
				BOB_URL,
				&[100, 101],
				[100, 101].map(|job| taken(job, status(job, ExecutionState::Queued))).to_vec(),
			));
			let report = run::<Fake>(1);
			assert_eq!((report.calls, report.out_of_budget), (MAX_CALLS_PER_EXECUTOR + 1, true));
			assert_eq!(report.calls_to(URL), MAX_CALLS_PER_EXECUTOR);
			assert_eq!(report.calls_to(BOB_URL), 1);
			assert_eq!(task_state(&ALICE, jobs - 1, WorkKind::Execute), None);
			assert_eq!(task_state(&BOB, 101, WorkKind::Execute).unwrap().phase, Phase::Poll);
		});
	}

	#[test]
	fn each_executor_has_its_own_calls_and_a_busy_one_does_not_take_anothers() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			const CAROL: HostId = [3; 32];
			bob_has_his_own_executor();
			let full = MAX_TASKS_PER_HOST as u64;
			let jobs = |range: core::ops::Range<u64>| {
				range.map(|job| (job, WorkKind::Execute)).collect::<Vec<_>>()
			};
			// Alice and Carol share an executor and have more work than its calls carry; Bob,
			// on his own executor, has one batch behind all of theirs.
			set_work(ALICE, &jobs(0..full));
			set_work(CAROL, &jobs(full..full + MAX_BATCH as u64));
			let bobs: Vec<JobId> = (2 * full..2 * full + MAX_BATCH as u64).collect();
			set_work(BOB, &jobs(2 * full..2 * full + MAX_BATCH as u64));
			let queued = |jobs: &[JobId]| {
				jobs.iter()
					.map(|job| taken(*job, status(*job, ExecutionState::Queued)))
					.collect()
			};
			let expect_sends = |url: &str, jobs: &[JobId]| {
				for chunk in jobs.chunks(MAX_BATCH) {
					state.write().expect_request(send_batch(url, chunk, queued(chunk)));
				}
			};
			expect_sends(URL, &(0..full).collect::<Vec<_>>());
			expect_sends(BOB_URL, &bobs);
			let report = run::<Fake>(1);
			assert_eq!(report.calls_to(URL), MAX_CALLS_PER_EXECUTOR);
			assert_eq!(report.calls_to(BOB_URL), 1);
			assert!(report.out_of_budget, "Carol's jobs wait for her executor's next run");
			assert_eq!(task_state(&ALICE, full - 1, WorkKind::Execute).unwrap().phase, Phase::Poll);
			assert_eq!(task_state(&CAROL, full, WorkKind::Execute), None);
			assert_eq!(task_state(&BOB, 2 * full, WorkKind::Execute).unwrap().phase, Phase::Poll);
		});
	}

	#[test]
	fn a_batch_answer_that_does_not_fit_fails_every_job_of_it() {
		let (mut ext, _state) = new_ext();
		ext.execute_with(|| {
			set_work(ALICE, &[(1, WorkKind::Execute), (2, WorkKind::Execute)]);
			let url = format!("{URL}/v1/batch/jobs");
			let entry =
				serde_json::to_string(&taken(1, status(1, ExecutionState::Queued))).unwrap();
			for (block, body) in [
				// Another protocol version, one entry for two jobs, an entry of another job.
				(1, format!(r#"{{"version":{},"jobs":[{entry},{entry}]}}"#, VERSION - 1)),
				(3, format!(r#"{{"version":{VERSION},"jobs":[{entry}]}}"#)),
				(7, format!(r#"{{"version":{VERSION},"jobs":[{entry},{entry}]}}"#)),
			] {
				answer(url.clone(), Ok((200, body.as_str())));
				let report = run::<Fake>(block);
				let expected = if block == 7 { 1 } else { 2 };
				assert_eq!((report.calls, report.failures), (1, expected), "block {block}");
			}
			assert_eq!(task_state(&ALICE, 1, WorkKind::Execute).unwrap().phase, Phase::Poll);
			let job2 = task_state(&ALICE, 2, WorkKind::Execute).unwrap();
			assert_eq!((job2.phase, job2.failures), (Phase::Send, 3));
		});
	}

	#[test]
	fn a_run_is_bounded_and_the_rest_waits_for_the_next_block() {
		let (mut ext, state) = new_ext();
		ext.execute_with(|| {
			let full = MAX_TASKS_PER_HOST as u64;
			let work = |from: u64| {
				(from..from + full).map(|job| (job, WorkKind::Execute)).collect::<Vec<_>>()
			};
			set_work(ALICE, &work(0));
			set_work(BOB, &work(full));
			let queued = |jobs: &[JobId]| {
				jobs.iter()
					.map(|job| taken(*job, status(*job, ExecutionState::Queued)))
					.collect()
			};
			let expect_sends = |jobs: core::ops::Range<u64>| {
				for chunk in jobs.collect::<Vec<_>>().chunks(MAX_BATCH) {
					state.write().expect_request(send_batch(URL, chunk, queued(chunk)));
				}
			};
			// Alice's 256 jobs take the run's 16 calls; Bob's wait.
			expect_sends(0..full);
			let report = run::<Fake>(1);
			assert_eq!((report.calls, report.out_of_budget), (MAX_CALLS_PER_EXECUTOR, true));
			assert_eq!(task_state(&ALICE, full - 1, WorkKind::Execute).unwrap().phase, Phase::Poll);
			assert_eq!(task_state(&BOB, full, WorkKind::Execute), None);
			// The next run starts where this one stopped: Bob's go first.
			expect_sends(full..2 * full);
			let report = run::<Fake>(2);
			assert_eq!((report.calls, report.out_of_budget), (MAX_CALLS_PER_EXECUTOR, true));
			assert_eq!(
				task_state(&BOB, 2 * full - 1, WorkKind::Execute).unwrap().phase,
				Phase::Poll
			);
		});
	}

	#[test]
	fn overlapping_runs_skip() {
		let (mut ext, _state) = new_ext();
		ext.execute_with(|| {
			set_work(ALICE, &[]);
			let mut lock =
				StorageLock::<Time>::with_deadline(LOCK_KEY, Duration::from_millis(LOCK_EXPIRY_MS));
			let _guard = lock.try_lock().unwrap();
			assert!(run::<Fake>(1).skipped);
		});
	}

	#[test]
	fn backoff_doubles_up_to_a_cap() {
		let waits: Vec<u32> = (1..=6).map(backoff).collect();
		assert_eq!(waits, vec![1, 2, 4, 8, 8, 8]);
		assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
	}
}
