//! The HTTP service: the executor wire protocol of [`daya_offchain::protocol`] (jobs through a
//! bounded queue and one worker, synchronous validation), an OpenAI-compatible API, health and
//! Prometheus metrics.

use std::{
	collections::{HashMap, VecDeque},
	net::SocketAddr,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex, MutexGuard,
	},
	time::{Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
	extract::{rejection::JsonRejection, FromRequest, Path, Request, State},
	http::{header, StatusCode},
	response::{IntoResponse, Response},
	routing::{get, post},
	Json, Router,
};
use daya_offchain::protocol::{
	ErrorBody, ErrorDetail, JobRequest, JobState, JobStatus, UsageJson, ValidateRequest,
	ValidateResponse, LOGPROBS_TOP,
};
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{json, Value};
use tokio::{
	net::TcpListener,
	sync::{mpsc, Semaphore},
	task::JoinHandle,
};

use crate::{
	engine::{corrupt, Engine, EngineError, Generation},
	hash::{parse_hash, to_hex},
};

/// How the service runs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
	/// Jobs waiting at most; a job beyond is refused with `429 queue_full`.
	pub queue: usize,
	/// A dishonest executor, for tests of fraud detection: every output is replaced by
	/// [`corrupt`] of it, still reported as done.
	pub corrupt_outputs: bool,
	/// The most tokens a request may ask for; the model's context length when `None`.
	pub max_tokens: Option<u32>,
	/// Finished jobs remembered for `GET /v1/jobs/{id}`.
	pub keep_finished: usize,
}

impl Default for ServerConfig {
	fn default() -> Self {
		Self { queue: 64, corrupt_outputs: false, max_tokens: None, keep_finished: 4096 }
	}
}

#[derive(Default)]
struct Metrics {
	jobs_accepted: AtomicU64,
	jobs_completed: AtomicU64,
	jobs_failed: AtomicU64,
	tokens_generated: AtomicU64,
	prompt_tokens: AtomicU64,
	generation_micros: AtomicU64,
	validations: AtomicU64,
	openai_requests: AtomicU64,
	queued: AtomicU64,
}

#[derive(Default)]
struct Jobs {
	all: HashMap<String, JobStatus>,
	finished: VecDeque<String>,
}

struct Shared {
	engine: Arc<dyn Engine>,
	config: ServerConfig,
	jobs: Mutex<Jobs>,
	queue: mpsc::Sender<JobRequest>,
	/// One inference at a time: jobs, validations and OpenAI requests take turns.
	inference: Semaphore,
	metrics: Metrics,
	next_id: AtomicU64,
}

type AppState = Arc<Shared>;

impl Shared {
	fn jobs(&self) -> MutexGuard<'_, Jobs> {
		self.jobs.lock().unwrap_or_else(|e| e.into_inner())
	}

	fn finish(&self, id: &str, status: JobStatus) {
		let mut jobs = self.jobs();
		jobs.all.insert(id.to_string(), status);
		jobs.finished.push_back(id.to_string());
		while jobs.finished.len() > self.config.keep_finished.max(1) {
			if let Some(old) = jobs.finished.pop_front() {
				jobs.all.remove(&old);
			}
		}
	}

	fn max_tokens(&self) -> u32 {
		self.config
			.max_tokens
			.unwrap_or(u32::try_from(self.engine.context_length()).unwrap_or(u32::MAX))
	}

	fn check_model(&self, model: &str, weights_hash: Option<&str>) -> Result<(), ApiError> {
		if model != self.engine.model_name() {
			return Err(ApiError::new(
				StatusCode::NOT_FOUND,
				"unknown_model",
				format!("this executor serves {:?}, not {model:?}", self.engine.model_name()),
			));
		}
		if let (Some(claimed), Some(ours)) = (weights_hash, self.engine.weights_hash()) {
			let claimed = parse_hash(claimed).ok_or_else(|| {
				ApiError::bad_request("invalid_request", "weights_hash is not 32 bytes of hex")
			})?;
			if claimed != ours {
				return Err(ApiError::new(
					StatusCode::CONFLICT,
					"weights_mismatch",
					format!(
						"the loaded weights hash to {}, the request expects {}",
						to_hex(&ours),
						to_hex(&claimed)
					),
				));
			}
		}
		Ok(())
	}

	fn check_tokens(&self, prompt: &str, max_tokens: u32) -> Result<(), ApiError> {
		if max_tokens == 0 {
			return Err(ApiError::bad_request(
				"invalid_max_tokens",
				"max_tokens must be at least 1",
			));
		}
		let limit = self.max_tokens();
		if max_tokens > limit {
			return Err(ApiError::bad_request(
				"too_many_tokens",
				format!("max_tokens {max_tokens} is over this executor's limit of {limit}"),
			));
		}
		if let Some(tokens) = self.engine.prompt_tokens(prompt).map_err(ApiError::from)? {
			let context = self.engine.context_length();
			if tokens >= context {
				return Err(EngineError::PromptTooLong { tokens, limit: context }.into());
			}
		}
		Ok(())
	}

	/// Runs `f` on a blocking thread, one inference at a time.
	async fn infer<T: Send + 'static>(
		self: &Arc<Self>,
		f: impl FnOnce(&dyn Engine) -> Result<T, EngineError> + Send + 'static,
	) -> Result<T, EngineError> {
		let _permit = self
			.inference
			.acquire()
			.await
			.map_err(|_| EngineError::Internal("shutting down".into()))?;
		let engine = self.engine.clone();
		tokio::task::spawn_blocking(move || f(&*engine))
			.await
			.unwrap_or_else(|e| Err(EngineError::Internal(format!("the engine panicked: {e}"))))
	}

	fn record_generation(&self, g: &Generation, started: Instant) {
		let m = &self.metrics;
		m.tokens_generated.fetch_add(u64::from(g.completion_tokens), Ordering::Relaxed);
		m.prompt_tokens.fetch_add(u64::from(g.prompt_tokens), Ordering::Relaxed);
		m.generation_micros
			.fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
	}

	fn output(&self, text: String) -> String {
		if self.config.corrupt_outputs {
			corrupt(&text)
		} else {
			text
		}
	}
}

/// A refusal, answered as an [`ErrorBody`].
#[derive(Debug)]
pub struct ApiError {
	status: StatusCode,
	code: &'static str,
	message: String,
}

impl ApiError {
	fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
		Self { status, code, message: message.into() }
	}

	fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
		Self::new(StatusCode::BAD_REQUEST, code, message)
	}
}

impl From<EngineError> for ApiError {
	fn from(e: EngineError) -> Self {
		match e {
			EngineError::PromptTooLong { .. } => {
				Self::bad_request("prompt_too_long", e.to_string())
			},
			EngineError::Invalid(m) => Self::bad_request("invalid_request", m),
			EngineError::Internal(m) => {
				Self::new(StatusCode::INTERNAL_SERVER_ERROR, "engine_error", m)
			},
		}
	}
}

impl IntoResponse for ApiError {
	fn into_response(self) -> Response {
		let body =
			ErrorBody { error: ErrorDetail { code: self.code.into(), message: self.message } };
		(self.status, Json(body)).into_response()
	}
}

/// `Json<T>` whose refusals are [`ErrorBody`]s: `400 invalid_json` for malformed JSON,
/// `400 invalid_request` for missing or mistyped fields, `415 unsupported_media_type` without a
/// JSON content type.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
	type Rejection = ApiError;

	async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
		match Json::<T>::from_request(req, state).await {
			Ok(Json(value)) => Ok(Self(value)),
			Err(rejection) => Err(match rejection {
				JsonRejection::JsonSyntaxError(e) => {
					ApiError::bad_request("invalid_json", e.body_text())
				},
				JsonRejection::JsonDataError(e) => {
					ApiError::bad_request("invalid_request", e.body_text())
				},
				JsonRejection::MissingJsonContentType(e) => ApiError::new(
					StatusCode::UNSUPPORTED_MEDIA_TYPE,
					"unsupported_media_type",
					e.body_text(),
				),
				other => ApiError::bad_request("invalid_request", other.body_text()),
			}),
		}
	}
}

/// The service's routes, with its worker spawned on the current tokio runtime.
pub fn app(engine: Arc<dyn Engine>, config: ServerConfig) -> Router {
	let (tx, rx) = mpsc::channel(config.queue.max(1));
	let state = Arc::new(Shared {
		engine,
		config,
		jobs: Mutex::default(),
		queue: tx,
		inference: Semaphore::new(1),
		metrics: Metrics::default(),
		next_id: AtomicU64::new(1),
	});
	tokio::spawn(worker(Arc::downgrade(&state), rx));
	Router::new()
		.route("/v1/jobs", post(post_job))
		.route("/v1/jobs/{id}", get(get_job))
		.route("/v1/validate", post(validate))
		.route("/v1/completions", post(completions))
		.route("/v1/chat/completions", post(chat_completions))
		.route("/v1/models", get(models))
		.route("/health", get(health))
		.route("/metrics", get(metrics))
		.fallback(|| async {
			ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
		})
		.with_state(state)
}

/// Serves `engine` on `listener` until the task is dropped or aborted.
pub async fn serve(
	listener: TcpListener,
	engine: Arc<dyn Engine>,
	config: ServerConfig,
) -> std::io::Result<()> {
	axum::serve(listener, app(engine, config)).await
}

/// A server running on a task of the current runtime; aborted when dropped.
pub struct RunningServer {
	/// The address it listens on.
	pub addr: SocketAddr,
	handle: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
	/// `http://{addr}`.
	pub fn url(&self) -> String {
		format!("http://{}", self.addr)
	}
}

impl Drop for RunningServer {
	fn drop(&mut self) {
		self.handle.abort();
	}
}

/// Binds `addr` (port 0 for any free one) and serves `engine` on a task of the current runtime.
pub async fn spawn(
	addr: SocketAddr,
	engine: Arc<dyn Engine>,
	config: ServerConfig,
) -> std::io::Result<RunningServer> {
	let listener = TcpListener::bind(addr).await?;
	let addr = listener.local_addr()?;
	let handle = tokio::spawn(serve(listener, engine, config));
	Ok(RunningServer { addr, handle })
}

async fn worker(state: std::sync::Weak<Shared>, mut rx: mpsc::Receiver<JobRequest>) {
	while let Some(job) = rx.recv().await {
		let Some(state) = state.upgrade() else { return };
		state.metrics.queued.fetch_sub(1, Ordering::Relaxed);
		if let Some(status) = state.jobs().all.get_mut(&job.id) {
			status.status = JobState::Running;
		}
		let started = Instant::now();
		let (prompt, max, temp, seed) =
			(job.prompt.clone(), job.max_tokens, job.temperature_milli, job.seed);
		let result = state.infer(move |e| e.generate(&prompt, max, temp, seed)).await;
		let status = match result {
			Ok(g) => {
				state.record_generation(&g, started);
				state.metrics.jobs_completed.fetch_add(1, Ordering::Relaxed);
				JobStatus {
					id: job.id.clone(),
					status: JobState::Done,
					output: Some(state.output(g.text)),
					usage: Some(UsageJson {
						prompt_tokens: g.prompt_tokens,
						completion_tokens: g.completion_tokens,
					}),
					logprobs: g.logprobs,
					error: None,
				}
			},
			Err(e) => {
				state.metrics.jobs_failed.fetch_add(1, Ordering::Relaxed);
				JobStatus {
					id: job.id.clone(),
					status: JobState::Failed,
					output: None,
					usage: None,
					logprobs: Vec::new(),
					error: Some(e.to_string()),
				}
			},
		};
		state.finish(&job.id, status);
	}
}

/// The status to answer a `POST` of a job id the executor knows: any but a failure, which a new
/// `POST` retries.
fn known(jobs: &Jobs, id: &str) -> Option<JobStatus> {
	jobs.all.get(id).filter(|status| status.status != JobState::Failed).cloned()
}

async fn post_job(
	State(state): State<AppState>,
	ApiJson(job): ApiJson<JobRequest>,
) -> Result<(StatusCode, Json<JobStatus>), ApiError> {
	if let Some(status) = known(&state.jobs(), &job.id) {
		return Ok((StatusCode::OK, Json(status)));
	}
	if job.id.is_empty() || job.id.len() > 128 {
		return Err(ApiError::bad_request("invalid_request", "a job id has 1 to 128 characters"));
	}
	state.check_model(&job.model, job.weights_hash.as_deref())?;
	state.check_tokens(&job.prompt, job.max_tokens)?;
	let status = JobStatus {
		id: job.id.clone(),
		status: JobState::Queued,
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

async fn get_job(
	State(state): State<AppState>,
	Path(id): Path<String>,
) -> Result<Json<JobStatus>, ApiError> {
	state.jobs().all.get(&id).cloned().map(Json).ok_or_else(|| {
		ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no job {id:?} here"))
	})
}

async fn validate(
	State(state): State<AppState>,
	ApiJson(req): ApiJson<ValidateRequest>,
) -> Result<Json<ValidateResponse>, ApiError> {
	state.check_model(&req.model, req.weights_hash.as_deref())?;
	let ValidateRequest { prompt, output, temperature_milli, .. } = req;
	let score = state.infer(move |e| e.score(&prompt, &output, temperature_milli)).await?;
	state.metrics.validations.fetch_add(1, Ordering::Relaxed);
	Ok(Json(score))
}

fn now_secs() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn temperature_milli(t: Option<f64>) -> Result<u32, ApiError> {
	let t = t.unwrap_or(1.0);
	if !t.is_finite() || !(0.0..=2.0).contains(&t) {
		return Err(ApiError::bad_request("invalid_request", "temperature is between 0 and 2"));
	}
	Ok((t * 1000.0).round() as u32)
}

/// `prompt` of a completion request: a string or a list of one.
#[derive(Deserialize)]
#[serde(untagged)]
enum Prompt {
	One(String),
	Many(Vec<String>),
}

#[derive(Deserialize)]
struct CompletionRequest {
	model: String,
	prompt: Prompt,
	#[serde(default)]
	max_tokens: Option<u32>,
	#[serde(default)]
	temperature: Option<f64>,
	#[serde(default)]
	seed: Option<u64>,
	#[serde(default)]
	logprobs: Option<u32>,
	#[serde(default)]
	weights_hash: Option<String>,
}

#[derive(Deserialize)]
struct ChatMessage {
	role: String,
	content: String,
}

#[derive(Deserialize)]
struct ChatRequest {
	model: String,
	messages: Vec<ChatMessage>,
	#[serde(default)]
	max_tokens: Option<u32>,
	#[serde(default)]
	max_completion_tokens: Option<u32>,
	#[serde(default)]
	temperature: Option<f64>,
	#[serde(default)]
	seed: Option<u64>,
	#[serde(default)]
	logprobs: Option<bool>,
	#[serde(default)]
	top_logprobs: Option<u32>,
	#[serde(default)]
	weights_hash: Option<String>,
}

/// The chat template: `role: content` lines, then `assistant: `.
pub fn chat_prompt<'a>(messages: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
	let mut prompt = String::new();
	for (role, content) in messages {
		prompt.push_str(role);
		prompt.push_str(": ");
		prompt.push_str(content);
		prompt.push('\n');
	}
	prompt.push_str("assistant: ");
	prompt
}

impl Shared {
	async fn complete(
		self: &Arc<Self>,
		model: &str,
		weights_hash: Option<&str>,
		prompt: String,
		max_tokens: u32,
		temperature: Option<f64>,
		seed: Option<u64>,
	) -> Result<(Generation, String), ApiError> {
		self.check_model(model, weights_hash)?;
		self.check_tokens(&prompt, max_tokens)?;
		let temp = temperature_milli(temperature)?;
		let seed = seed.unwrap_or(0);
		self.metrics.openai_requests.fetch_add(1, Ordering::Relaxed);
		let started = Instant::now();
		let g = self.infer(move |e| e.generate(&prompt, max_tokens, temp, seed)).await?;
		self.record_generation(&g, started);
		let text = self.output(g.text.clone());
		Ok((g, text))
	}

	fn request_id(&self, prefix: &str) -> String {
		format!("{prefix}-{}", self.next_id.fetch_add(1, Ordering::Relaxed))
	}
}

fn usage(g: &Generation) -> Value {
	json!({
		"prompt_tokens": g.prompt_tokens,
		"completion_tokens": g.completion_tokens,
		"total_tokens": g.prompt_tokens + g.completion_tokens,
	})
}

fn nats(micro: i32) -> f64 {
	f64::from(micro) / 1e6
}

async fn completions(
	State(state): State<AppState>,
	ApiJson(req): ApiJson<CompletionRequest>,
) -> Result<Json<Value>, ApiError> {
	let prompt = match req.prompt {
		Prompt::One(p) => p,
		Prompt::Many(mut v) if v.len() == 1 => v.remove(0),
		Prompt::Many(_) => {
			return Err(ApiError::bad_request("invalid_request", "one prompt per request"))
		},
	};
	let max_tokens = req.max_tokens.unwrap_or(16);
	let (g, text) = state
		.complete(
			&req.model,
			req.weights_hash.as_deref(),
			prompt,
			max_tokens,
			req.temperature,
			req.seed,
		)
		.await?;
	let logprobs = req.logprobs.map(|n| {
		let n = (n as usize).min(LOGPROBS_TOP);
		let mut offset = 0usize;
		let (mut tokens, mut lps, mut tops, mut offsets) = (vec![], vec![], vec![], vec![]);
		for t in &g.logprobs {
			let s = state.engine.token_text(t.token);
			offsets.push(offset);
			offset += s.len();
			tokens.push(s);
			lps.push(nats(t.logprob_micro));
			let top: serde_json::Map<String, Value> = t
				.top
				.iter()
				.take(n)
				.map(|a| (state.engine.token_text(a.token), json!(nats(a.logprob_micro))))
				.collect();
			tops.push(top);
		}
		json!({"tokens": tokens, "token_logprobs": lps, "top_logprobs": tops, "text_offset": offsets})
	});
	Ok(Json(json!({
		"id": state.request_id("cmpl"),
		"object": "text_completion",
		"created": now_secs(),
		"model": state.engine.model_name(),
		"choices": [{
			"index": 0,
			"text": text,
			"finish_reason": g.finish_reason.as_str(),
			"logprobs": logprobs,
		}],
		"usage": usage(&g),
	})))
}

async fn chat_completions(
	State(state): State<AppState>,
	ApiJson(req): ApiJson<ChatRequest>,
) -> Result<Json<Value>, ApiError> {
	if req.messages.is_empty() {
		return Err(ApiError::bad_request("invalid_request", "messages is empty"));
	}
	let prompt = chat_prompt(req.messages.iter().map(|m| (m.role.as_str(), m.content.as_str())));
	let max_tokens = req.max_completion_tokens.or(req.max_tokens).unwrap_or(256);
	let (g, text) = state
		.complete(
			&req.model,
			req.weights_hash.as_deref(),
			prompt,
			max_tokens,
			req.temperature,
			req.seed,
		)
		.await?;
	let logprobs = req.logprobs.unwrap_or(false).then(|| {
		let n = req.top_logprobs.unwrap_or(0) as usize;
		let content: Vec<Value> = g
			.logprobs
			.iter()
			.map(|t| {
				let top: Vec<Value> = t
					.top
					.iter()
					.take(n.min(LOGPROBS_TOP))
					.map(
						|a| json!({"token": state.engine.token_text(a.token), "logprob": nats(a.logprob_micro)}),
					)
					.collect();
				json!({
					"token": state.engine.token_text(t.token),
					"logprob": nats(t.logprob_micro),
					"top_logprobs": top,
				})
			})
			.collect();
		json!({ "content": content })
	});
	Ok(Json(json!({
		"id": state.request_id("chatcmpl"),
		"object": "chat.completion",
		"created": now_secs(),
		"model": state.engine.model_name(),
		"choices": [{
			"index": 0,
			"message": {"role": "assistant", "content": text},
			"finish_reason": g.finish_reason.as_str(),
			"logprobs": logprobs,
		}],
		"usage": usage(&g),
	})))
}

async fn models(State(state): State<AppState>) -> Json<Value> {
	Json(json!({
		"object": "list",
		"data": [{"id": state.engine.model_name(), "object": "model", "owned_by": "daya"}],
	}))
}

async fn health(State(state): State<AppState>) -> Json<Value> {
	Json(json!({
		"status": "ok",
		"model": state.engine.model_name(),
		"weights_hash": state.engine.weights_hash().map(|h| to_hex(&h)),
		"context_length": state.engine.context_length(),
		"max_tokens": state.max_tokens(),
		"queue_depth": state.metrics.queued.load(Ordering::Relaxed),
		"queue_capacity": state.config.queue,
	}))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
	let m = &state.metrics;
	let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
	let mut out = String::new();
	let mut metric = |name: &str, kind: &str, help: &str, value: String| {
		out.push_str(&format!(
			"# HELP daya_executor_{name} {help}\n# TYPE daya_executor_{name} {kind}\n\
			 daya_executor_{name} {value}\n"
		));
	};
	metric("jobs_accepted_total", "counter", "Jobs accepted.", get(&m.jobs_accepted).to_string());
	metric("jobs_completed_total", "counter", "Jobs done.", get(&m.jobs_completed).to_string());
	metric("jobs_failed_total", "counter", "Jobs failed.", get(&m.jobs_failed).to_string());
	metric(
		"tokens_generated_total",
		"counter",
		"Output tokens generated (jobs and OpenAI requests).",
		get(&m.tokens_generated).to_string(),
	);
	metric(
		"prompt_tokens_total",
		"counter",
		"Prompt tokens read.",
		get(&m.prompt_tokens).to_string(),
	);
	metric(
		"generation_seconds_total",
		"counter",
		"Seconds spent generating.",
		format!("{:.6}", get(&m.generation_micros) as f64 / 1e6),
	);
	metric("validations_total", "counter", "Outputs re-scored.", get(&m.validations).to_string());
	metric(
		"openai_requests_total",
		"counter",
		"OpenAI-compatible completions served.",
		get(&m.openai_requests).to_string(),
	);
	metric("queue_depth", "gauge", "Jobs waiting.", get(&m.queued).to_string());
	([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
