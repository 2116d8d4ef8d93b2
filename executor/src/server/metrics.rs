//! The executor's Prometheus metrics (`GET /metrics`, OpenMetrics text), kept with the official
//! Rust client `prometheus-client`: counters of jobs, tokens, validations and OpenAI requests,
//! the jobs queued and the requests running, latency histograms per kind of work, and
//! `build_info`.
//!
//! Histograms, labelled `kind` (`job`, `validation`, `openai`): end-to-end latency (from the
//! request's arrival to its answer, queueing included); time per output token (for OpenAI
//! requests the generation's time after its first token over the tokens after the first, for
//! chain jobs the whole generation's over its tokens); time to the first token for OpenAI
//! requests (arrival to the first token, as a stream sends it; a proxied engine tells its tokens
//! only at the end).

use std::{
	sync::atomic::AtomicU64,
	time::{Duration, Instant},
};

use prometheus_client::{
	encoding::EncodeLabelSet,
	metrics::{
		counter::Counter,
		family::Family,
		gauge::Gauge,
		histogram::{exponential_buckets, Histogram},
		info::Info,
	},
	registry::Registry,
};

use crate::engine::Generation;

/// What a latency was measured for.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Work {
	kind: &'static str,
}

/// A chain job's execution.
pub(super) const JOB: &str = "job";
/// A validation.
pub(super) const VALIDATION: &str = "validation";
/// An OpenAI request.
pub(super) const OPENAI: &str = "openai";

type Histograms = Family<Work, Histogram, fn() -> Histogram>;

/// When one generation's steps happened.
pub(super) struct Timing {
	/// The request arrived.
	pub(super) arrived: Instant,
	/// The engine started on it.
	pub(super) started: Instant,
	/// The first token was known, where the engine tells.
	pub(super) first_token: Option<Instant>,
}

/// Everything `/metrics` reports.
pub(super) struct Metrics {
	registry: Registry,
	pub(super) jobs_accepted: Counter,
	pub(super) jobs_completed: Counter,
	pub(super) jobs_failed: Counter,
	pub(super) tokens_generated: Counter,
	pub(super) prompt_tokens: Counter,
	pub(super) generation_seconds: Counter<f64, AtomicU64>,
	pub(super) validations: Counter,
	pub(super) openai_requests: Counter,
	pub(super) poc_samples_verified: Counter,
	/// Jobs waiting in the queue.
	pub(super) queued: Gauge,
	/// Requests the engine runs or that wait for it (jobs, validations, OpenAI requests).
	pub(super) running: Gauge,
	time_to_first_token: Histograms,
	time_per_output_token: Histograms,
	latency: Histograms,
	/// Sequences decoded together, one observation per decode step of a batching engine.
	pub(super) batch_size: Histogram,
}

impl Default for Metrics {
	fn default() -> Self {
		let mut registry = Registry::with_prefix("daya_executor");
		let metrics = Metrics {
			jobs_accepted: Counter::default(),
			jobs_completed: Counter::default(),
			jobs_failed: Counter::default(),
			tokens_generated: Counter::default(),
			prompt_tokens: Counter::default(),
			generation_seconds: Counter::default(),
			validations: Counter::default(),
			openai_requests: Counter::default(),
			poc_samples_verified: Counter::default(),
			queued: Gauge::default(),
			running: Gauge::default(),
			// 5 ms to 41 s.
			time_to_first_token: Family::new_with_constructor(|| {
				Histogram::new(exponential_buckets(0.005, 2.0, 14))
			}),
			// 1 ms to 2 s.
			time_per_output_token: Family::new_with_constructor(|| {
				Histogram::new(exponential_buckets(0.001, 2.0, 12))
			}),
			// 10 ms to 82 s.
			latency: Family::new_with_constructor(|| {
				Histogram::new(exponential_buckets(0.01, 2.0, 14))
			}),
			// 1 to 64.
			batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 7)),
			registry: Registry::default(),
		};
		let counters = [
			("jobs_accepted", "Jobs accepted", &metrics.jobs_accepted),
			("jobs_completed", "Jobs done", &metrics.jobs_completed),
			("jobs_failed", "Jobs failed", &metrics.jobs_failed),
			(
				"tokens_generated",
				"Output tokens generated (jobs and OpenAI requests)",
				&metrics.tokens_generated,
			),
			("prompt_tokens", "Prompt tokens read", &metrics.prompt_tokens),
			("validations", "Outputs re-scored", &metrics.validations),
			("openai_requests", "OpenAI-compatible completions served", &metrics.openai_requests),
			(
				"poc_samples_verified",
				"Proof-of-compute samples verified for other hosts",
				&metrics.poc_samples_verified,
			),
		];
		for (name, help, counter) in counters {
			registry.register(name, help, counter.clone());
		}
		registry.register(
			"generation_seconds",
			"Seconds spent generating",
			metrics.generation_seconds.clone(),
		);
		registry.register("queue_depth", "Jobs waiting", metrics.queued.clone());
		registry.register(
			"running_requests",
			"Requests the engine runs or that wait for it",
			metrics.running.clone(),
		);
		registry.register(
			"time_to_first_token_seconds",
			"From an OpenAI request's arrival to its first token",
			metrics.time_to_first_token.clone(),
		);
		registry.register(
			"time_per_output_token_seconds",
			"Generation time after the first token, per token after the first",
			metrics.time_per_output_token.clone(),
		);
		registry.register(
			"request_duration_seconds",
			"From a request's arrival to its answer",
			metrics.latency.clone(),
		);
		registry.register(
			"decode_batch_size",
			"OpenAI sequences decoded together, per decode step",
			metrics.batch_size.clone(),
		);
		registry.register(
			"build",
			"The executor's version and the executor protocol's",
			Info::new(vec![
				("version", env!("CARGO_PKG_VERSION").to_string()),
				("protocol_version", daya_protocol::VERSION.to_string()),
			]),
		);
		Metrics { registry, ..metrics }
	}
}

impl Metrics {
	/// The OpenMetrics text.
	pub(super) fn encode(&self) -> String {
		let mut out = String::new();
		// Writing into a `String` cannot fail.
		let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
		out
	}

	/// Counts `g`, generated for `kind` with `timing`, up to now.
	pub(super) fn generation(&self, kind: &'static str, g: &Generation, timing: &Timing) {
		let now = Instant::now();
		self.tokens_generated.inc_by(u64::from(g.completion_tokens));
		self.prompt_tokens.inc_by(u64::from(g.prompt_tokens));
		self.generation_seconds.inc_by(now.duration_since(timing.started).as_secs_f64());
		let work = Work { kind };
		let per_token = match timing.first_token {
			Some(first) => {
				self.time_to_first_token
					.get_or_create(&work)
					.observe(first.duration_since(timing.arrived).as_secs_f64());
				(g.completion_tokens > 1).then(|| {
					now.duration_since(first).as_secs_f64() / f64::from(g.completion_tokens - 1)
				})
			},
			// Where the first token is not told (a chain job), the whole generation's.
			None => (g.completion_tokens > 0).then(|| {
				now.duration_since(timing.started).as_secs_f64() / f64::from(g.completion_tokens)
			}),
		};
		if let Some(seconds) = per_token {
			self.time_per_output_token.get_or_create(&work).observe(seconds);
		}
	}

	/// Counts a request of `kind` answered `duration` after it arrived.
	pub(super) fn answered(&self, kind: &'static str, duration: Duration) {
		self.latency.get_or_create(&Work { kind }).observe(duration.as_secs_f64());
	}
}
