//! The executor wire protocol of [`daya_protocol`]: `POST /v1/jobs` queues a job,
//! `GET /v1/jobs/{id}` reports it, `POST /v1/validate` re-scores a claimed output. A request of
//! another protocol [`VERSION`] is refused with `400` and the code
//! [`VERSION_MISMATCH`](daya_protocol::VERSION_MISMATCH); every answer carries [`VERSION`].

use std::sync::atomic::Ordering;

use axum::{
	extract::{Path, State},
	http::StatusCode,
	Json,
};
use daya_protocol::{
	check_version, ExecutionState, ExecutionStatus, JobRequest, ValidateRequest, ValidateResponse,
	VERSION,
};

use super::{
	error::{ApiError, ApiJson},
	state::{AppState, Jobs},
};

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
	ApiJson(job): ApiJson<JobRequest>,
) -> Result<(StatusCode, Json<ExecutionStatus>), ApiError> {
	check_version(job.version)?;
	if let Some(status) = known(&state.jobs(), &job.id) {
		return Ok((StatusCode::OK, Json(status)));
	}
	if job.id.is_empty() || job.id.len() > 128 {
		return Err(ApiError::bad_request("invalid_request", "a job id has 1 to 128 characters"));
	}
	state.check_model(&job.model, job.weights_hash.as_deref())?;
	state.check_tokens(&job.prompt, job.max_tokens)?;
	let status = ExecutionStatus {
		version: VERSION,
		id: job.id.clone(),
		status: ExecutionState::Queued,
		output: None,
		usage: None,
		logprobs: Vec::new(),
		error: None,
	};
	let mut jobs = state.jobs();
	if let Some(status) = known(&jobs, &job.id) {
		return Ok((StatusCode::OK, Json(status)));
	}
	// A retried failure leaves the finished list: its id is live again.
	if jobs.all.contains_key(&job.id) {
		jobs.finished.retain(|id| id != &job.id);
	}
	let id = job.id.clone();
	state.metrics.queued.fetch_add(1, Ordering::Relaxed);
	if state.queue.try_send(job).is_err() {
		state.metrics.queued.fetch_sub(1, Ordering::Relaxed);
		return Err(ApiError::new(
			StatusCode::TOO_MANY_REQUESTS,
			"queue_full",
			format!("{} jobs wait already; try again later", state.config.queue),
		));
	}
	jobs.all.insert(id, status.clone());
	state.metrics.jobs_accepted.fetch_add(1, Ordering::Relaxed);
	Ok((StatusCode::ACCEPTED, Json(status)))
}

/// `GET /v1/jobs/{id}`.
pub(super) async fn get_job(
	State(state): State<AppState>,
	Path(id): Path<String>,
) -> Result<Json<ExecutionStatus>, ApiError> {
	state.jobs().all.get(&id).cloned().map(Json).ok_or_else(|| {
		ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no job {id:?} here"))
	})
}

/// `POST /v1/validate`.
pub(super) async fn validate(
	State(state): State<AppState>,
	ApiJson(req): ApiJson<ValidateRequest>,
) -> Result<Json<ValidateResponse>, ApiError> {
	check_version(req.version)?;
	state.check_model(&req.model, req.weights_hash.as_deref())?;
	let ValidateRequest { prompt, output, temperature_milli, .. } = req;
	let score = state.infer(move |e| e.score(&prompt, &output, temperature_milli)).await?;
	state.metrics.validations.fetch_add(1, Ordering::Relaxed);
	Ok(Json(ValidateResponse { version: VERSION, ..score }))
}
