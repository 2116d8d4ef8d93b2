//! The executor wire protocol of [`daya_protocol`]: `POST /v1/jobs` queues a job,
//! `GET /v1/jobs/{id}` reports it, `POST /v1/validate` checks a claimed result;
//! `POST /v1/batch/jobs` and `POST /v1/batch/status` do the first two for up to
//! [`MAX_BATCH`] jobs in one call, each job taken or refused on its own. A request of another
//! protocol [`VERSION`] is refused with `400` and the code
//! [`VERSION_MISMATCH`](daya_protocol::VERSION_MISMATCH); every answer carries [`VERSION`].

use axum::{
	extract::{Path, State},
	http::StatusCode,
	Json,
};
use daya_protocol::{
	billed_prompt_tokens, hex::parse_hash, BatchAnswer, BatchEntry, ExecutionState,
	ExecutionStatus, JobBatch, JobRequest, PayloadFormat, StatusQuery, ValidateRequest,
	ValidateResponse, MAX_BATCH, VERSION,
};

use super::{
	error::{ApiError, ProtocolJson},
	state::{AppState, Jobs},
};
use crate::{
	engine::{Capability, Engine, EngineError},
	sampler::Sampler,
};

/// The sampler of a job: its temperature and the chain's key.
fn sampler(temperature_milli: u32, key: &str) -> Result<Sampler, ApiError> {
	let key = parse_hash(key).ok_or_else(|| {
		ApiError::bad_request("invalid_request", "sampling_key is 32 bytes in hex with 0x")
	})?;
	Ok(Sampler::new(temperature_milli, key))
}

/// The engine must deliver a job drawn at `temperature_milli`: a greedy-only engine takes
/// greedy jobs only.
fn delivers(engine: &dyn Engine, temperature_milli: u32) -> Result<(), ApiError> {
	match engine.capability() {
		Capability::GreedyOnly if temperature_milli > 0 => Err(EngineError::GreedyOnly.into()),
		_ => Ok(()),
	}
}

/// The engine must check results.
fn checks(engine: &dyn Engine) -> Result<(), ApiError> {
	match engine.capability() {
		Capability::Full => Ok(()),
		Capability::GreedyOnly => Err(EngineError::NotVerifiable.into()),
	}
}

/// The prompt text of a payload: the text itself, or the chat rendered with the model's
/// template.
pub(super) fn prompt_of(
	engine: &dyn Engine,
	payload: &str,
	format: PayloadFormat,
) -> Result<String, ApiError> {
	match format {
		PayloadFormat::Text => Ok(payload.to_string()),
		PayloadFormat::Chat => {
			let messages = daya_protocol::parse_chat(payload)
				.map_err(|m| ApiError::bad_request("invalid_request", m))?;
			Ok(engine.render_chat(&messages)?)
		},
	}
}

/// The status to answer a `POST` of a job id the executor knows: any but a failure, which a new
/// `POST` retries.
fn known(jobs: &Jobs, id: &str) -> Option<ExecutionStatus> {
	jobs.all
		.get(id)
		.filter(|status| status.status != ExecutionState::Failed)
		.cloned()
}

/// `POST /v1/jobs`.
pub(super) async fn post_job(
	State(state): State<AppState>,
	ProtocolJson(job): ProtocolJson<JobRequest>,
) -> Result<(StatusCode, Json<ExecutionStatus>), ApiError> {
	queue_job(&state, job).map(|(code, status)| (code, Json(status)))
}

/// Queues `job`: `202` and its status, or `200` and the status of the job under its id if
/// there is one already, or the refusal.
fn queue_job(state: &AppState, job: JobRequest) -> Result<(StatusCode, ExecutionStatus), ApiError> {
	if let Some(status) = known(&state.jobs(), &job.id) {
		return Ok((StatusCode::OK, status));
	}
	if job.id.is_empty() || job.id.len() > 128 {
		return Err(ApiError::bad_request("invalid_request", "a job id has 1 to 128 characters"));
	}
	let engine = state.check_model(&job.model, job.weights_hash.as_deref())?;
	delivers(&*engine, job.temperature_milli)?;
	sampler(job.temperature_milli, &job.sampling_key)?;
	let prompt = prompt_of(&*engine, &job.prompt, job.format)?;
	state.check_tokens(&*engine, &prompt, job.max_tokens)?;
	let job = JobRequest { prompt, format: PayloadFormat::Text, ..job };
	let status = ExecutionStatus {
		version: VERSION,
		id: job.id.clone(),
		status: ExecutionState::Queued,
		result: None,
		error: None,
	};
	let mut jobs = state.jobs();
	if let Some(status) = known(&jobs, &job.id) {
		return Ok((StatusCode::OK, status));
	}
	// A retried failure leaves the finished list: its id is live again.
	if jobs.all.contains_key(&job.id) {
		jobs.finished.retain(|id| id != &job.id);
	}
	let id = job.id.clone();
	state.metrics.queued.inc();
	if state.queue.try_send((job, std::time::Instant::now())).is_err() {
		state.metrics.queued.dec();
		return Err(ApiError::new(
			StatusCode::TOO_MANY_REQUESTS,
			"queue_full",
			format!("{} jobs wait already; try again later", state.config.queue),
		));
	}
	jobs.all.insert(id, status.clone());
	state.metrics.jobs_accepted.inc();
	Ok((StatusCode::ACCEPTED, status))
}

/// `GET /v1/jobs/{id}`.
pub(super) async fn get_job(
	State(state): State<AppState>,
	Path(id): Path<String>,
) -> Result<Json<ExecutionStatus>, ApiError> {
	job_status(&state, &id).map(Json)
}

/// The status of job `id`, or `404`.
fn job_status(state: &AppState, id: &str) -> Result<ExecutionStatus, ApiError> {
	state.jobs().all.get(id).cloned().ok_or_else(|| {
		ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no job {id:?} here"))
	})
}

/// The answer to a batch of `items`: one entry per item, in order, each its id and what
/// `each` gives for it (a status, or the refusal the single-job route would answer). A batch
/// without items or of more than [`MAX_BATCH`] is refused whole.
fn answer_batch<T>(
	items: Vec<T>,
	mut each: impl FnMut(T) -> (String, Result<ExecutionStatus, ApiError>),
) -> Result<Json<BatchAnswer>, ApiError> {
	if items.is_empty() || items.len() > MAX_BATCH {
		return Err(ApiError::bad_request(
			"invalid_batch",
			format!("a batch has 1 to {MAX_BATCH} jobs, not {}", items.len()),
		));
	}
	let jobs = items
		.into_iter()
		.map(|item| match each(item) {
			(id, Ok(job)) => BatchEntry { id, job: Some(job), refused: None },
			(id, Err(e)) => BatchEntry { id, job: None, refused: Some(e.refusal()) },
		})
		.collect();
	Ok(Json(BatchAnswer { version: VERSION, jobs }))
}

/// `POST /v1/batch/jobs`: each job queued, or refused, as `POST /v1/jobs` would.
pub(super) async fn post_batch(
	State(state): State<AppState>,
	ProtocolJson(batch): ProtocolJson<JobBatch>,
) -> Result<Json<BatchAnswer>, ApiError> {
	answer_batch(batch.jobs, |job| {
		(job.id.clone(), queue_job(&state, job).map(|(_, status)| status))
	})
}

/// `POST /v1/batch/status`: each job's status, or `404`, as `GET /v1/jobs/{id}` would.
pub(super) async fn batch_status(
	State(state): State<AppState>,
	ProtocolJson(query): ProtocolJson<StatusQuery>,
) -> Result<Json<BatchAnswer>, ApiError> {
	answer_batch(query.ids, |id| {
		let status = job_status(&state, &id);
		(id, status)
	})
}

/// `POST /v1/validate`.
pub(super) async fn validate(
	State(state): State<AppState>,
	ProtocolJson(req): ProtocolJson<ValidateRequest>,
) -> Result<Json<ValidateResponse>, ApiError> {
	let arrived = std::time::Instant::now();
	let engine = state.check_model(&req.model, req.weights_hash.as_deref())?;
	checks(&*engine)?;
	let sampler = sampler(req.temperature_milli, &req.sampling_key)?;
	let prompt = prompt_of(&*engine, &req.prompt, req.format)?;
	let payload_bytes = u32::try_from(req.prompt.len()).unwrap_or(u32::MAX);
	let ValidateRequest { max_tokens, mut claim, policy, probe, .. } = req;
	if let Some(probe) = probe {
		if probe.position as usize >= claim.tokens.len() {
			return Err(ApiError::new(
				StatusCode::BAD_REQUEST,
				"invalid_probe",
				format!(
					"probe position {} is past the result's {} output tokens",
					probe.position,
					claim.tokens.len()
				),
			));
		}
	}
	// A result bills at most the payload's bytes of prompt: a claim of exactly that many,
	// where the prompt has more, is the honest bill of all of them.
	if let Some(count) = engine.prompt_tokens(&prompt)? {
		let count = u32::try_from(count).unwrap_or(u32::MAX);
		if claim.prompt_tokens == billed_prompt_tokens(count, payload_bytes) {
			claim.prompt_tokens = count;
		}
	}
	let checked = state
		.infer_request(&engine, move |e| {
			e.check(&prompt, max_tokens, sampler, &claim, &policy, probe)
		})
		.await?;
	state.metrics.validations.inc();
	state.metrics.answered(super::metrics::VALIDATION, arrived.elapsed());
	Ok(Json(ValidateResponse { version: VERSION, ..checked }))
}
