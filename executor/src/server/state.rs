//! What the handlers share: the engines and their scheduler, the job table, the bounded queue
//! and the worker that hands its jobs to the scheduler one at a time, and the metrics.

use std::{
	collections::{HashMap, VecDeque},
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex, MutexGuard, Weak,
	},
	time::Instant,
};

use axum::http::StatusCode;
use daya_protocol::{ExecutionState, ExecutionStatus, JobRequest, VERSION};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::{
	error::ApiError,
	metrics::{self, Metrics, Timing},
	scheduler::{Class, Scheduler},
	ServerConfig,
};
use crate::{
	engine::{Engine, EngineError, Generation},
	hash::{parse_hash, to_hex},
	sampler::Sampler,
};

/// The job table: every job's status by id, and the finished ones oldest first.
#[derive(Default)]
pub(super) struct Jobs {
	pub(super) all: HashMap<String, ExecutionStatus>,
	pub(super) finished: VecDeque<String>,
}

/// The service's state.
pub(super) struct Shared {
	/// The models served, each by its engine; requests name theirs.
	pub(super) engines: Vec<Arc<dyn Engine>>,
	pub(super) config: ServerConfig,
	jobs: Mutex<Jobs>,
	/// Jobs waiting, each with when it arrived.
	pub(super) queue: mpsc::Sender<(JobRequest, Instant)>,
	/// Runs the engines: chain work alone and first, OpenAI requests in batches.
	pub(super) scheduler: Scheduler,
	/// Places for requests waiting for the engine ([`ServerConfig::max_waiting`]).
	waiting: Arc<Semaphore>,
	pub(super) metrics: Metrics,
	next_id: AtomicU64,
	/// Proof-of-compute windows, computing or sealed.
	poc: Mutex<super::poc::Windows>,
	/// When the service started, in Unix seconds (`created` of its models in `/v1/models`).
	pub(super) started_at: u64,
}

/// The state the handlers get.
pub(super) type AppState = Arc<Shared>;

/// The service's state, with its worker spawned on the current tokio runtime.
pub(super) fn start(engines: Vec<Arc<dyn Engine>>, config: ServerConfig) -> AppState {
	let (tx, rx) = mpsc::channel(config.queue.max(1));
	let max_batch = config.max_batch;
	let metrics = Metrics::default();
	let scheduler = Scheduler::start(max_batch, metrics.batch_size.clone())
		.unwrap_or_else(|e| panic!("the system refused the scheduler's thread: {e}"));
	let waiting = Arc::new(Semaphore::new(config.max_waiting.max(1)));
	let state = Arc::new(Shared {
		engines,
		config,
		jobs: Mutex::default(),
		queue: tx,
		scheduler,
		waiting,
		metrics,
		next_id: AtomicU64::new(1),
		poc: Mutex::default(),
		started_at: std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.map_or(0, |d| d.as_secs()),
	});
	tokio::spawn(worker(Arc::downgrade(&state), rx));
	state
}

impl Shared {
	/// The job table, locked.
	pub(super) fn jobs(&self) -> MutexGuard<'_, Jobs> {
		self.jobs.lock().unwrap_or_else(|e| e.into_inner())
	}

	fn finish(&self, id: &str, status: ExecutionStatus) {
		let mut jobs = self.jobs();
		jobs.all.insert(id.to_string(), status);
		jobs.finished.push_back(id.to_string());
		while jobs.finished.len() > self.config.keep_finished.max(1) {
			if let Some(old) = jobs.finished.pop_front() {
				jobs.all.remove(&old);
			}
		}
	}

	/// The most tokens a request to `engine` may ask for.
	pub(super) fn max_tokens(&self, engine: &dyn Engine) -> u32 {
		self.config
			.max_tokens
			.unwrap_or(u32::try_from(engine.context_length()).unwrap_or(u32::MAX))
	}

	/// The names of the models served.
	pub(super) fn model_names(&self) -> Vec<&str> {
		self.engines.iter().map(|e| e.model_name()).collect()
	}

	/// The engine of `model`, or the refusal of a request for a model not served here, or for
	/// other weights than the loaded ones.
	pub(super) fn check_model(
		&self,
		model: &str,
		weights_hash: Option<&str>,
	) -> Result<Arc<dyn Engine>, ApiError> {
		let Some(engine) = self.engines.iter().find(|e| e.model_name() == model) else {
			return Err(ApiError::new(
				StatusCode::NOT_FOUND,
				"unknown_model",
				format!("this executor serves {:?}, not {model:?}", self.model_names()),
			));
		};
		if let (Some(claimed), Some(ours)) = (weights_hash, engine.weights_hash()) {
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
		Ok(engine.clone())
	}

	/// Refuses a request for no tokens, too many, or a prompt that does not fit the context.
	pub(super) fn check_tokens(
		&self,
		engine: &dyn Engine,
		prompt: &str,
		max_tokens: u32,
	) -> Result<(), ApiError> {
		if max_tokens == 0 {
			return Err(ApiError::bad_request(
				"invalid_max_tokens",
				"max_tokens must be at least 1",
			));
		}
		let limit = self.max_tokens(engine);
		if max_tokens > limit {
			return Err(ApiError::bad_request(
				"too_many_tokens",
				format!("max_tokens {max_tokens} is over this executor's limit of {limit}"),
			));
		}
		if let Some(tokens) = engine.prompt_tokens(prompt).map_err(ApiError::from)? {
			let context = engine.context_length();
			if tokens >= context {
				return Err(EngineError::PromptTooLong { tokens, limit: context }.into());
			}
		}
		Ok(())
	}

	/// The proof-of-compute windows, locked.
	pub(super) fn poc(&self) -> MutexGuard<'_, super::poc::Windows> {
		self.poc.lock().unwrap_or_else(|e| e.into_inner())
	}

	/// [`Self::infer`] for a request answered when it is done (a validation, an OpenAI
	/// request): refused with `429 busy` when [`ServerConfig::max_waiting`] wait already.
	pub(super) async fn infer_request<T: Send + 'static>(
		self: &Arc<Self>,
		engine: &Arc<dyn Engine>,
		f: impl FnOnce(&dyn Engine) -> Result<T, EngineError> + Send + 'static,
	) -> Result<T, ApiError> {
		let _place = self.reserve()?;
		Ok(self.infer(engine, f).await?)
	}

	/// A place among the requests waiting for the engine, held until the permit drops: refused
	/// with `429 busy` when [`ServerConfig::max_waiting`] wait already.
	pub(super) fn reserve(&self) -> Result<OwnedSemaphorePermit, ApiError> {
		self.waiting.clone().try_acquire_owned().map_err(|_| {
			ApiError::new(
				StatusCode::TOO_MANY_REQUESTS,
				"busy",
				format!("{} requests wait already; try again later", self.config.max_waiting),
			)
		})
	}

	/// Runs chain work `f` with `engine` on the scheduler: alone, before any OpenAI request.
	pub(super) async fn infer<T: Send + 'static>(
		self: &Arc<Self>,
		engine: &Arc<dyn Engine>,
		f: impl FnOnce(&dyn Engine) -> Result<T, EngineError> + Send + 'static,
	) -> Result<T, EngineError> {
		let _running = Running::new(self);
		self.scheduler.exclusive(Class::Chain, engine, f).await
	}

	/// The generation to answer: `g`, or its corruption for a dishonest executor.
	pub(super) fn delivered(&self, engine: &dyn Engine, g: Generation) -> Generation {
		if self.config.corrupt_outputs {
			engine.corrupt(&g)
		} else {
			g
		}
	}

	/// A new id for an OpenAI answer: `{prefix}-{n}`.
	pub(super) fn request_id(&self, prefix: &str) -> String {
		format!("{prefix}-{}", self.next_id.fetch_add(1, Ordering::Relaxed))
	}
}

/// A request counted as running until it drops (its future may be dropped while it waits).
pub(super) struct Running<'a>(&'a Shared);

impl<'a> Running<'a> {
	pub(super) fn new(state: &'a Shared) -> Self {
		state.metrics.running.inc();
		Self(state)
	}
}

impl Drop for Running<'_> {
	fn drop(&mut self) {
		self.0.metrics.running.dec();
	}
}

/// Runs the queued jobs one at a time, until the queue closes or the state is gone.
async fn worker(state: Weak<Shared>, mut rx: mpsc::Receiver<(JobRequest, Instant)>) {
	while let Some((job, arrived)) = rx.recv().await {
		let Some(state) = state.upgrade() else { return };
		state.metrics.queued.dec();
		if let Some(status) = state.jobs().all.get_mut(&job.id) {
			status.status = ExecutionState::Running;
		}
		let key = parse_hash(&job.sampling_key).unwrap_or_default();
		let (prompt, max) = (job.prompt.clone(), job.max_tokens);
		let sampler = Sampler::new(job.temperature_milli, key);
		// The model was checked when the job was queued.
		let Some(engine) = state.engines.iter().find(|e| e.model_name() == job.model).cloned()
		else {
			continue;
		};
		let result = state
			.infer(&engine, move |e| {
				let started = Instant::now();
				e.generate(&prompt, max, sampler).map(|g| (g, started))
			})
			.await;
		let status = match result {
			Ok((g, started)) => {
				let timing = Timing { arrived, started, first_token: None };
				state.metrics.generation(metrics::JOB, &g, &timing);
				state.metrics.jobs_completed.inc();
				ExecutionStatus {
					version: VERSION,
					id: job.id.clone(),
					status: ExecutionState::Done,
					result: Some(state.delivered(&*engine, g).result()),
					error: None,
				}
			},
			Err(e) => {
				state.metrics.jobs_failed.inc();
				ExecutionStatus {
					version: VERSION,
					id: job.id.clone(),
					status: ExecutionState::Failed,
					result: None,
					error: Some(e.to_string()),
				}
			},
		};
		state.finish(&job.id, status);
		state.metrics.answered(metrics::JOB, arrived.elapsed());
	}
}
