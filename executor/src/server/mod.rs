//! The HTTP service: the executor wire protocol of [`daya_protocol`] (jobs through a bounded
//! queue and one worker, synchronous validation), an OpenAI-compatible API, health and
//! Prometheus metrics.
//!
//! Laid out by concern:
//! - this module: the routes ([`app`]) and running them ([`serve`], [`spawn`]);
//! - `auth`: who may call the private routes (an API key, or the executor's own machine);
//! - `scheduler`: the thread that runs the engines: chain work alone and first, OpenAI requests
//!   in continuous batches.
//! - `state`: what the handlers share: the engine, the job table, the bounded queue and the
//!   worker that drains it, the metrics;
//! - `jobs`: the protocol API (`POST /v1/jobs`, `GET /v1/jobs/{id}`, `POST /v1/validate`, and
//!   `POST /v1/batch/jobs` and `/v1/batch/status` for many jobs in one call),
//!   which refuses a request of another protocol version;
//! - `openai`: the OpenAI-compatible API (`/v1/completions`, `/v1/chat/completions`,
//!   `/v1/models`);
//! - `poc`: proof of compute (`/v1/poc/start`, `/v1/poc/seal`, `/v1/poc/status`,
//!   `/v1/poc/proofs`, `/v1/poc/verify`);
//! - `ops`: operations (`/health`, `/metrics`) and the log of every request;
//! - `metrics`: what `/metrics` reports;
//! - `error`: refusals ([`ApiError`]) and the JSON extractor that answers with them
//!   ([`ApiJson`]).

mod auth;
mod error;
mod jobs;
mod metrics;
mod openai;
mod openai_types;
mod ops;
mod poc;
mod scheduler;
mod state;

use std::{net::SocketAddr, sync::Arc};

use axum::{
	extract::DefaultBodyLimit,
	http::StatusCode,
	middleware,
	routing::{get, post},
	Router,
};
use tokio::{net::TcpListener, task::JoinHandle};

use crate::engine::Engine;

pub use error::{ApiError, ApiJson, ProtocolJson};
pub use poc::{PocConfig, KEPT_WINDOWS, MAX_NONCES_PER_REQUEST, MAX_SAMPLES};
pub use scheduler::{Class, OnText, Scheduler, Started};

/// How the service runs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
	/// Jobs waiting at most; a job beyond is refused with `429 queue_full`.
	pub queue: usize,
	/// A dishonest executor, for tests of fraud detection: every output is replaced by
	/// [`corrupt`](crate::engine::corrupt) of it, still reported as done.
	pub corrupt_outputs: bool,
	/// The most tokens a request may ask for; the model's context length when `None`.
	pub max_tokens: Option<u32>,
	/// Finished jobs remembered for `GET /v1/jobs/{id}`.
	pub keep_finished: usize,
	/// Proof of compute.
	pub poc: PocConfig,
	/// The API key every private route asks for (`Authorization: Bearer {key}`); without one,
	/// they answer the executor's own machine only.
	pub api_key: Option<String>,
	/// The largest request body taken, in bytes; a larger one is refused with
	/// `413 body_too_large`.
	pub max_body_bytes: usize,
	/// Validations and OpenAI requests waiting for the engine at most; one beyond is refused
	/// with `429 busy`.
	pub max_waiting: usize,
	/// OpenAI requests decoding together in one batch at most; more wait for a place (chain
	/// jobs and validations always run alone).
	pub max_batch: usize,
}

/// The default of [`ServerConfig::max_body_bytes`]: 4 MiB, as much as a node reads back and
/// several times the largest request a node sends (a validation of a 64 KiB output with its
/// token ids and fingerprints, or a proof-of-compute verification of 64 samples).
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 << 20;

/// The default of [`ServerConfig::queue`]: every job the chain may have open with one host at
/// once (the runtime's `MaxOpenJobsPerHost`), and what one run of a node's offchain worker may
/// send an executor (16 calls of 16 jobs). A smaller queue refuses work the chain has already
/// assigned the host, which the node then sends again after a backoff, closer to its deadline.
pub const DEFAULT_QUEUE: usize = 256;

impl Default for ServerConfig {
	fn default() -> Self {
		Self {
			queue: DEFAULT_QUEUE,
			corrupt_outputs: false,
			max_tokens: None,
			keep_finished: 4096,
			poc: PocConfig::default(),
			api_key: None,
			max_body_bytes: DEFAULT_MAX_BODY_BYTES,
			max_waiting: 64,
			max_batch: 8,
		}
	}
}

/// The service's routes for `engines` (one per model served), with its worker spawned on the
/// current tokio runtime.
///
/// Serve it with the peer's address ([`serve`] does), or every private route refuses a caller
/// without the API key as not local.
pub fn app(engines: Vec<Arc<dyn Engine>>, config: ServerConfig) -> Router {
	let body_limit = DefaultBodyLimit::max(config.max_body_bytes);
	let state = state::start(engines, config);
	let private = Router::new()
		.route("/v1/jobs", post(jobs::post_job))
		.route("/v1/jobs/{id}", get(jobs::get_job))
		.route("/v1/batch/jobs", post(jobs::post_batch))
		.route("/v1/batch/status", post(jobs::batch_status))
		.route("/v1/validate", post(jobs::validate))
		.route("/v1/completions", post(openai::completions))
		.route("/v1/chat/completions", post(openai::chat_completions))
		.route("/v1/models", get(openai::models))
		.route("/tokenize", post(openai::tokenize))
		.route("/detokenize", post(openai::detokenize))
		.route("/v1/poc/start", post(poc::start))
		.route("/v1/poc/seal", post(poc::seal))
		.route("/v1/poc/status", get(poc::get_status))
		.route("/v1/poc/verify", post(poc::verify))
		.route_layer(middleware::from_fn_with_state(state.clone(), auth::require));
	Router::new()
		.merge(private)
		.route("/v1/poc/proofs", get(poc::proofs))
		.route("/health", get(ops::health))
		.route("/metrics", get(ops::metrics))
		.fallback(|| async {
			ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
		})
		.layer(body_limit)
		.layer(middleware::from_fn_with_state(state.clone(), ops::log_request))
		.with_state(state)
}

/// Serves `engines` on `listener` until the task is dropped or aborted.
pub async fn serve(
	listener: TcpListener,
	engines: Vec<Arc<dyn Engine>>,
	config: ServerConfig,
) -> std::io::Result<()> {
	let app = app(engines, config).into_make_service_with_connect_info::<SocketAddr>();
	axum::serve(listener, app).await
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

/// Binds `addr` (port 0 for any free one) and serves `engines` on a task of the current runtime.
pub async fn spawn(
	addr: SocketAddr,
	engines: Vec<Arc<dyn Engine>>,
	config: ServerConfig,
) -> std::io::Result<RunningServer> {
	let listener = TcpListener::bind(addr).await?;
	let addr = listener.local_addr()?;
	let handle = tokio::spawn(serve(listener, engines, config));
	Ok(RunningServer { addr, handle })
}
