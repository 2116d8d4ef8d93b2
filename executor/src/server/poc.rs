//! Proof of compute over HTTP: a prover's node starts and seals its host's windows, verifiers'
//! nodes fetch sampled proofs, and a verifier's node has its own executor recompute them.
//!
//! | request | answer |
//! | --- | --- |
//! | `POST /v1/poc/start` with a [`PocStart`] | `202` with a [`PocStatus`] (computing); `200` with the status if the window is known |
//! | `POST /v1/poc/seal` with a [`PocSeal`] | `200` with the sealed [`PocStatus`] (count and root final) |
//! | `GET /v1/poc/status?window=W&host=H` | `200` with a [`PocStatus`] |
//! | `GET /v1/poc/proofs?window=W&host=H&nonces=A,B` | `200` with [`PocProofs`]; at most [`MAX_NONCES_PER_REQUEST`] nonces, and at most the window's proof budget in all (`429 proof_budget_spent` beyond) |
//! | `POST /v1/poc/verify` with a [`PocVerifyRequest`] | `200` with a [`PocVerifyResponse`] |
//!
//! Starting a window for a host seals the host's earlier window still computing, so one host's
//! windows never split its device between them. The executor keeps the [`KEPT_WINDOWS`] latest
//! windows and forgets older ones.

use std::{collections::BTreeMap, sync::Arc, time::Instant};

use axum::{
	extract::{Query, State},
	http::StatusCode,
	Json,
};
use candle_core::Device;
use daya_protocol::{
	hex::{parse_hash, to_hex},
	poc::{
		host_key, sample_indices, verify_path, PocParams, PocProof, PocProofs, PocSeal, PocStart,
		PocState, PocStatus, PocVerdict, PocVerifyRequest, PocVerifyResponse,
	},
	VERSION,
};
use serde::Deserialize;

use super::{
	error::{ApiError, ProtocolJson},
	state::AppState,
};
use crate::poc::{verify_leaf, Run, Sealed, WindowKey};

/// The most nonces one `GET /v1/poc/proofs` may ask for.
pub const MAX_NONCES_PER_REQUEST: usize = 256;

/// The most samples one `POST /v1/poc/verify` recomputes.
pub const MAX_SAMPLES: u32 = 1024;

/// The windows kept (computing or sealed), across hosts.
pub const KEPT_WINDOWS: usize = 8;

/// How the executor takes part in proof of compute.
#[derive(Clone, Debug)]
pub struct PocConfig {
	/// Threads computing nonces (each runs its products on one core).
	pub workers: usize,
	/// Proofs served per window in all, to every verifier together.
	pub proof_budget: u32,
	/// A dishonest prover, for tests of fraud detection: this share of the leaves (parts per
	/// million) is made up instead of computed.
	pub fabricate_ppm: u32,
}

impl Default for PocConfig {
	fn default() -> Self {
		Self {
			workers: std::thread::available_parallelism().map_or(1, usize::from),
			proof_budget: 2048,
			fabricate_ppm: 0,
		}
	}
}

enum Entry {
	Computing(Run),
	Sealing,
	Sealed { sealed: Arc<Sealed>, served: u32 },
}

/// The windows an executor computes or keeps, by window and host.
#[derive(Default)]
pub(super) struct Windows {
	entries: BTreeMap<(u32, [u8; 32]), Entry>,
}

fn status(window: u32, host: &[u8; 32], entry: &Entry) -> PocStatus {
	let (state, count, root) = match entry {
		Entry::Computing(run) => (PocState::Computing, run.count(), None),
		Entry::Sealing => (PocState::Computing, 0, None),
		Entry::Sealed { sealed, .. } => {
			(PocState::Sealed, sealed.tree.count(), Some(to_hex(&sealed.tree.root())))
		},
	};
	PocStatus { version: VERSION, window, host: to_hex(host), state, count, root }
}

fn hash(text: &str, field: &str) -> Result<[u8; 32], ApiError> {
	parse_hash(text).ok_or_else(|| {
		ApiError::bad_request("invalid_request", format!("{field} is 32 bytes in hex with 0x"))
	})
}

fn params(params: &PocParams) -> Result<(), ApiError> {
	params
		.check()
		.map_err(|e| ApiError::bad_request("invalid_params", e.to_string()))?;
	if params.samples > MAX_SAMPLES {
		return Err(ApiError::bad_request(
			"invalid_params",
			format!("at most {MAX_SAMPLES} samples per verification"),
		));
	}
	Ok(())
}

fn unknown(window: u32) -> ApiError {
	ApiError::new(
		StatusCode::NOT_FOUND,
		"unknown_window",
		format!("this executor has no run of window {window} for that host"),
	)
}

/// The device proof of compute runs on: the first CUDA device with the `cuda` feature, else
/// the CPU.
fn device() -> Device {
	crate::engine::default_device()
}

/// `POST /v1/poc/start`.
pub(super) async fn start(
	State(state): State<AppState>,
	ProtocolJson(req): ProtocolJson<PocStart>,
) -> Result<(StatusCode, Json<PocStatus>), ApiError> {
	let (seed, host) = (hash(&req.seed, "seed")?, hash(&req.host, "host")?);
	params(&req.params)?;
	let mut earlier = Vec::new();
	let answer = {
		let mut windows = state.poc();
		if let Some(entry) = windows.entries.get(&(req.window, host)) {
			return Ok((StatusCode::OK, Json(status(req.window, &host, entry))));
		}
		// The host's earlier windows still computing are sealed: one window at a time.
		let computing: Vec<_> = windows
			.entries
			.iter()
			.filter(|((_, h), e)| *h == host && matches!(e, Entry::Computing(_)))
			.map(|(k, _)| *k)
			.collect();
		for key in computing {
			if let Some(Entry::Computing(run)) = windows.entries.insert(key, Entry::Sealing) {
				earlier.push((key, run));
			}
		}
		while windows.entries.len() >= KEPT_WINDOWS {
			let Some(oldest) = windows.entries.keys().next().copied() else { break };
			windows.entries.remove(&oldest);
		}
		let config = &state.config.poc;
		let batch = crate::poc::batch_for(&device());
		let run = Run::start(
			WindowKey { key: host_key(&seed, &host), params: req.params },
			device(),
			config.workers,
			batch,
			u64::MAX,
			config.fabricate_ppm,
		);
		let entry = Entry::Computing(run);
		let answer = status(req.window, &host, &entry);
		windows.entries.insert((req.window, host), entry);
		answer
	};
	for (key, run) in earlier {
		seal_run(&state, key, run).await;
	}
	Ok((StatusCode::ACCEPTED, Json(answer)))
}

async fn seal_run(state: &AppState, key: (u32, [u8; 32]), run: Run) -> Option<Arc<Sealed>> {
	let sealed = tokio::task::spawn_blocking(move || run.seal()).await.ok()?.ok().map(Arc::new);
	let mut windows = state.poc();
	match &sealed {
		Some(sealed) => {
			windows.entries.insert(key, Entry::Sealed { sealed: sealed.clone(), served: 0 });
		},
		None => {
			windows.entries.remove(&key);
		},
	}
	sealed
}

/// `POST /v1/poc/seal`.
pub(super) async fn seal(
	State(state): State<AppState>,
	ProtocolJson(req): ProtocolJson<PocSeal>,
) -> Result<Json<PocStatus>, ApiError> {
	let host = hash(&req.host, "host")?;
	let key = (req.window, host);
	let run = {
		let mut windows = state.poc();
		match windows.entries.get(&key) {
			None => return Err(unknown(req.window)),
			Some(Entry::Computing(_)) => match windows.entries.insert(key, Entry::Sealing) {
				Some(Entry::Computing(run)) => run,
				_ => return Err(unknown(req.window)),
			},
			Some(entry) => return Ok(Json(status(req.window, &host, entry))),
		}
	};
	let sealed = seal_run(&state, key, run).await.ok_or_else(|| {
		ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "poc_failed", "the window's run failed")
	})?;
	Ok(Json(status(req.window, &host, &Entry::Sealed { sealed, served: 0 })))
}

/// The query of `GET /v1/poc/status` and `GET /v1/poc/proofs`.
#[derive(Deserialize)]
pub(super) struct WindowQuery {
	window: u32,
	host: String,
	#[serde(default)]
	nonces: Option<String>,
}

/// `GET /v1/poc/status`.
pub(super) async fn get_status(
	State(state): State<AppState>,
	Query(q): Query<WindowQuery>,
) -> Result<Json<PocStatus>, ApiError> {
	let host = hash(&q.host, "host")?;
	let windows = state.poc();
	let entry = windows.entries.get(&(q.window, host)).ok_or_else(|| unknown(q.window))?;
	Ok(Json(status(q.window, &host, entry)))
}

/// `GET /v1/poc/proofs`.
pub(super) async fn proofs(
	State(state): State<AppState>,
	Query(q): Query<WindowQuery>,
) -> Result<Json<PocProofs>, ApiError> {
	let host = hash(&q.host, "host")?;
	let nonces = q
		.nonces
		.as_deref()
		.unwrap_or("")
		.split(',')
		.filter(|n| !n.is_empty())
		.map(|n| n.trim().parse::<u64>())
		.collect::<Result<Vec<_>, _>>()
		.map_err(|_| {
			ApiError::bad_request("invalid_request", "nonces: numbers, comma-separated")
		})?;
	if nonces.is_empty() || nonces.len() > MAX_NONCES_PER_REQUEST {
		return Err(ApiError::bad_request(
			"invalid_request",
			format!("ask for 1 to {MAX_NONCES_PER_REQUEST} nonces"),
		));
	}
	let budget = state.config.poc.proof_budget;
	let mut windows = state.poc();
	let sealed = match windows.entries.get_mut(&(q.window, host)) {
		None => return Err(unknown(q.window)),
		Some(Entry::Sealed { sealed, served }) => {
			if u64::from(*served) + nonces.len() as u64 > u64::from(budget) {
				return Err(ApiError::new(
					StatusCode::TOO_MANY_REQUESTS,
					"proof_budget_spent",
					format!("window {} has served its {budget} proofs", q.window),
				));
			}
			*served += nonces.len() as u32;
			sealed.clone()
		},
		Some(_) => {
			return Err(ApiError::new(
				StatusCode::CONFLICT,
				"not_sealed",
				format!("window {} is still computing", q.window),
			))
		},
	};
	drop(windows);
	let tree = &sealed.tree;
	let proofs = nonces
		.iter()
		.map(|nonce| {
			let (leaf, path) = tree.leaf(*nonce).zip(tree.path(*nonce)).ok_or_else(|| {
				ApiError::bad_request(
					"nonce_out_of_range",
					format!("nonce {nonce} is not below the count {}", tree.count()),
				)
			})?;
			Ok(PocProof {
				nonce: *nonce,
				leaf: to_hex(&leaf),
				path: path.iter().map(|h| to_hex(h)).collect(),
			})
		})
		.collect::<Result<Vec<_>, ApiError>>()?;
	Ok(Json(PocProofs {
		version: VERSION,
		window: q.window,
		host: to_hex(&host),
		count: tree.count(),
		root: to_hex(&tree.root()),
		proofs,
	}))
}

/// `POST /v1/poc/verify`.
pub(super) async fn verify(
	State(state): State<AppState>,
	ProtocolJson(req): ProtocolJson<PocVerifyRequest>,
) -> Result<Json<PocVerifyResponse>, ApiError> {
	let seed = hash(&req.seed, "seed")?;
	let host = hash(&req.host, "host")?;
	let root = hash(&req.root, "root")?;
	let sample_seed = hash(&req.sample_seed, "sample_seed")?;
	params(&req.params)?;
	let mut proofs = BTreeMap::new();
	for proof in &req.proofs {
		let leaf = hash(&proof.leaf, "leaf")?;
		let path = proof
			.path
			.iter()
			.map(|h| hash(h, "path"))
			.collect::<Result<Vec<_>, ApiError>>()?;
		proofs.insert(proof.nonce, (leaf, path));
	}
	let window = WindowKey { key: host_key(&seed, &host), params: req.params };
	let samples = sample_indices(&sample_seed, &host, req.count, req.params.samples);
	let count = req.count;
	// Not behind the inference queue: a window's samples take a fraction of a second, and a
	// verdict that comes too late proves nothing.
	let started = Instant::now();
	let (verdict, checked) = tokio::task::spawn_blocking(move || {
		let mut checked = 0u32;
		for nonce in samples {
			let Some((leaf, path)) = proofs.get(&nonce) else {
				return Ok((PocVerdict::Missing { nonce }, checked));
			};
			checked += 1;
			if !verify_path(&root, count, nonce, leaf, path)
				|| verify_leaf(&window, nonce, &Device::Cpu)? != *leaf
			{
				return Ok((PocVerdict::Invalid { nonce }, checked));
			}
		}
		Ok::<_, candle_core::Error>((PocVerdict::Valid, checked))
	})
	.await
	.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "poc_failed", e.to_string()))?
	.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "poc_failed", e.to_string()))?;
	state.metrics.poc_samples_verified.inc_by(u64::from(checked));
	Ok(Json(PocVerifyResponse {
		version: VERSION,
		verdict,
		samples: checked,
		micros: started.elapsed().as_micros() as u64,
	}))
}
