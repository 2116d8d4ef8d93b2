//! Proof of compute over HTTP: a prover's window from start to sealed proofs, a verifier's
//! verdicts (valid, a fabricated leaf, a missing proof), and every refusal named.

mod common;

use std::time::Duration;

use common::dev_engine;
use daya_executor::{spawn, PocConfig, RunningServer, ServerConfig};
use daya_protocol::{
	hex::to_hex,
	poc::{
		sample_indices, PocParams, PocProofs, PocSeal, PocStart, PocState, PocStatus, PocVerdict,
		PocVerifyRequest, PocVerifyResponse,
	},
	VERSION,
};
use serde_json::Value;

const PARAMS: PocParams =
	PocParams { dim: 32, rows: 8, depth: 4, pool_tiles: 16, gen_rounds: 2, samples: 16 };
const SEED: [u8; 32] = [0x11; 32];
const HOST: [u8; 32] = [0x22; 32];
const SAMPLE_SEED: [u8; 32] = [0x33; 32];

async fn server(fabricate_ppm: u32, proof_budget: u32) -> RunningServer {
	let config = ServerConfig {
		poc: PocConfig { workers: 1, proof_budget, fabricate_ppm },
		..Default::default()
	};
	spawn("127.0.0.1:0".parse().unwrap(), vec![dev_engine()], config).await.unwrap()
}

fn start(window: u32, params: PocParams) -> PocStart {
	PocStart { version: VERSION, window, seed: to_hex(&SEED), host: to_hex(&HOST), params }
}

async fn post<T: serde::Serialize>(s: &RunningServer, path: &str, body: &T) -> (u16, Value) {
	let r = reqwest::Client::new()
		.post(format!("{}{path}", s.url()))
		.json(body)
		.send()
		.await
		.unwrap();
	(r.status().as_u16(), r.json().await.unwrap())
}

async fn get(s: &RunningServer, path: &str) -> (u16, Value) {
	let r = reqwest::get(format!("{}{path}", s.url())).await.unwrap();
	(r.status().as_u16(), r.json().await.unwrap())
}

fn code(body: &Value) -> &str {
	body["error"]["code"].as_str().unwrap_or_default()
}

/// Starts window 1, lets it compute a while, seals it.
async fn sealed_window(s: &RunningServer) -> PocStatus {
	let (status, body) = post(s, "/v1/poc/start", &start(1, PARAMS)).await;
	assert_eq!(status, 202, "{body}");
	tokio::time::sleep(Duration::from_millis(300)).await;
	let seal = PocSeal { version: VERSION, window: 1, host: to_hex(&HOST) };
	let (status, body) = post(s, "/v1/poc/seal", &seal).await;
	assert_eq!(status, 200, "{body}");
	let sealed: PocStatus = serde_json::from_value(body).unwrap();
	assert_eq!(sealed.state, PocState::Sealed);
	assert!(sealed.count >= 16, "{}", sealed.count);
	sealed
}

async fn verify_with(prover: &RunningServer, verifier: &RunningServer) -> PocVerifyResponse {
	let sealed = sealed_window(prover).await;
	let nonces = sample_indices(&SAMPLE_SEED, &HOST, sealed.count, PARAMS.samples);
	let list: Vec<String> = nonces.iter().map(u64::to_string).collect();
	let (status, body) = get(
		prover,
		&format!("/v1/poc/proofs?window=1&host={}&nonces={}", to_hex(&HOST), list.join(",")),
	)
	.await;
	assert_eq!(status, 200, "{body}");
	let proofs: PocProofs = serde_json::from_value(body).unwrap();
	assert_eq!(proofs.count, sealed.count);
	assert_eq!(Some(&proofs.root), sealed.root.as_ref());
	let request = PocVerifyRequest {
		version: VERSION,
		seed: to_hex(&SEED),
		host: to_hex(&HOST),
		params: PARAMS,
		root: proofs.root,
		count: proofs.count,
		sample_seed: to_hex(&SAMPLE_SEED),
		proofs: proofs.proofs,
	};
	let (status, body) = post(verifier, "/v1/poc/verify", &request).await;
	assert_eq!(status, 200, "{body}");
	serde_json::from_value(body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_honest_window_verifies_on_another_executor() {
	let (prover, verifier) = (server(0, 2048).await, server(0, 2048).await);
	let answer = verify_with(&prover, &verifier).await;
	assert_eq!(answer.verdict, PocVerdict::Valid);
	assert_eq!(answer.samples, PARAMS.samples);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prover_that_fabricates_half_its_leaves_is_caught() {
	let (prover, verifier) = (server(500_000, 2048).await, server(0, 2048).await);
	let answer = verify_with(&prover, &verifier).await;
	// 16 samples all missing a half: (1/2)^16; the seeds here are fixed, so this never flakes.
	assert!(matches!(answer.verdict, PocVerdict::Invalid { .. }), "{answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_proof_is_named_and_bad_requests_are_refused() {
	let s = server(0, 40).await;
	// Unknown window, bad params, bad hex.
	let (status, body) = get(&s, &format!("/v1/poc/status?window=9&host={}", to_hex(&HOST))).await;
	assert_eq!((status, code(&body)), (404, "unknown_window"));
	let (status, body) =
		post(&s, "/v1/poc/start", &start(1, PocParams { dim: 30, ..PARAMS })).await;
	assert_eq!((status, code(&body)), (400, "invalid_params"));
	let mut bad = start(1, PARAMS);
	bad.seed = "0x12".into();
	let (status, body) = post(&s, "/v1/poc/start", &bad).await;
	assert_eq!((status, code(&body)), (400, "invalid_request"));
	let mut old = start(1, PARAMS);
	old.version = 1;
	let (status, body) = post(&s, "/v1/poc/start", &old).await;
	assert_eq!((status, code(&body)), (400, daya_protocol::VERSION_MISMATCH));

	// Proofs before the seal, then out of range, then over the budget.
	let (status, _) = post(&s, "/v1/poc/start", &start(1, PARAMS)).await;
	assert_eq!(status, 202);
	let (status, body) = post(&s, "/v1/poc/start", &start(1, PARAMS)).await;
	assert_eq!(status, 200, "a second start answers the window's status: {body}");
	let proofs =
		|nonces: &str| format!("/v1/poc/proofs?window=1&host={}&nonces={nonces}", to_hex(&HOST));
	let (status, body) = get(&s, &proofs("0")).await;
	assert_eq!((status, code(&body)), (409, "not_sealed"));
	tokio::time::sleep(Duration::from_millis(200)).await;
	let seal = PocSeal { version: VERSION, window: 1, host: to_hex(&HOST) };
	let (_, body) = post(&s, "/v1/poc/seal", &seal).await;
	let sealed: PocStatus = serde_json::from_value(body).unwrap();
	let (status, body) = get(&s, &proofs(&sealed.count.to_string())).await;
	assert_eq!((status, code(&body)), (400, "nonce_out_of_range"));
	let (status, body) = get(&s, &proofs("")).await;
	assert_eq!((status, code(&body)), (400, "invalid_request"));
	let (status, body) = get(&s, &proofs("0,x")).await;
	assert_eq!((status, code(&body)), (400, "invalid_request"));
	let thirty: Vec<String> = (0..30).map(|n| n.to_string()).collect();
	let (status, _) = get(&s, &proofs(&thirty.join(","))).await;
	assert_eq!(status, 200);
	let (status, body) = get(&s, &proofs(&thirty.join(","))).await;
	assert_eq!((status, code(&body)), (429, "proof_budget_spent"));

	// A verification missing a sampled nonce's proof names it.
	let request = PocVerifyRequest {
		version: VERSION,
		seed: to_hex(&SEED),
		host: to_hex(&HOST),
		params: PARAMS,
		root: sealed.root.clone().unwrap(),
		count: sealed.count,
		sample_seed: to_hex(&SAMPLE_SEED),
		proofs: Vec::new(),
	};
	let first = sample_indices(&SAMPLE_SEED, &HOST, sealed.count, PARAMS.samples)[0];
	let (status, body) = post(&s, "/v1/poc/verify", &request).await;
	assert_eq!(status, 200, "{body}");
	let answer: PocVerifyResponse = serde_json::from_value(body).unwrap();
	assert_eq!(answer.verdict, PocVerdict::Missing { nonce: first });
}
