//! The proxy engine: against fake servers in vLLM's answer shape (what it takes, what it refuses
//! at start), and against llama.cpp's server itself (`tests/llama_cpp.rs`).

mod common;

use std::{
	net::SocketAddr,
	sync::{Arc, Mutex},
	time::Duration,
};

use axum::{
	routing::{get, post},
	Json, Router,
};
use common::{dev_dir, dev_engine};
use daya_executor::{
	engine::{Capability, Engine},
	hash::to_hex,
	proxy::ProxyEngine,
	sampler::Sampler,
	spawn, FinishReason,
};
use daya_protocol::{
	dev_model, ErrorBody, ExecutionState, ExecutionStatus, JobRequest, PayloadFormat, VERSION,
};
use serde_json::{json, Value};

/// The ids every fake answers with.
const OUT: [u32; 3] = [20, 21, 22];

/// How a fake server misbehaves.
#[derive(Clone, Copy, PartialEq)]
enum Fake {
	/// vLLM with `return_tokens_as_token_ids`: ids as `token_id:N`.
	Vllm,
	/// Tokens as text, no ids.
	NoIds,
	/// Counts one prompt token more than it was sent (adds a BOS).
	AddsBos,
	/// Text that is not the ids' decoding (another model file).
	OtherText,
}

/// Serves `/v1/models` (listing `upstream`) and `/v1/completions` as `fake`; returns its address
/// and the requests it saw.
async fn fake_server(fake: Fake) -> (SocketAddr, Arc<Mutex<Vec<Value>>>) {
	let text = dev_engine().tokenizer().decode(&OUT, true).unwrap();
	let seen = Arc::new(Mutex::new(Vec::new()));
	let log = seen.clone();
	let complete = move |Json(req): Json<Value>| {
		let text = text.clone();
		let log = log.clone();
		async move {
			let sent = req["prompt"].as_array().map(|ids| ids.len()).unwrap_or(0) as u32;
			log.lock().unwrap().push(req.clone());
			let n = req["max_tokens"].as_u64().unwrap().min(3) as usize;
			let ids = &OUT[..n];
			let tokens: Vec<Value> = match fake {
				Fake::NoIds => ids.iter().map(|i| json!(format!("t{i}"))).collect(),
				_ => ids.iter().map(|i| json!(format!("token_id:{i}"))).collect(),
			};
			let text = match fake {
				Fake::OtherText => "something else".to_string(),
				_ => dev_engine().tokenizer().decode(ids, true).unwrap_or(text),
			};
			Json(json!({
				"choices": [{"text": text, "finish_reason": "length", "logprobs": {
					"tokens": tokens,
					"token_logprobs": vec![-0.5; n],
					"top_logprobs": ids.iter().map(|i| json!({format!("token_id:{i}"): -0.5}))
						.collect::<Vec<_>>(),
				}}],
				"usage": {"prompt_tokens": sent + u32::from(fake == Fake::AddsBos),
					"completion_tokens": n},
			}))
		}
	};
	let app = Router::new()
		.route("/v1/models", get(|| async { Json(json!({"data": [{"id": "upstream"}]})) }))
		.route("/v1/completions", post(complete));
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let addr = listener.local_addr().unwrap();
	tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
	(addr, seen)
}

async fn connect(addr: SocketAddr, upstream: Option<&str>) -> Result<ProxyEngine, String> {
	ProxyEngine::connect(&format!("http://{addr}/"), upstream, dev_model::NAME, &dev_dir()).await
}

fn job(id: &str, temperature_milli: u32) -> JobRequest {
	JobRequest {
		version: VERSION,
		id: id.into(),
		model: dev_model::NAME.into(),
		weights_hash: Some(to_hex(&dev_model::WEIGHTS_HASH)),
		prompt: "Hello".into(),
		format: PayloadFormat::Text,
		max_tokens: 3,
		temperature_milli,
		sampling_key: to_hex(&[3; 32]),
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_delivers_greedy_jobs_with_token_ids_and_checks_nothing() {
	let (addr, seen) = fake_server(Fake::Vllm).await;
	let engine = Arc::new(connect(addr, None).await.unwrap());
	assert_eq!(engine.upstream_model(), "upstream");
	assert_eq!(engine.capability(), Capability::GreedyOnly);
	// The registered file's hash, read from the file the server runs.
	assert_eq!(engine.weights_hash(), Some(dev_model::WEIGHTS_HASH));

	let e = engine.clone();
	let g = tokio::task::spawn_blocking(move || e.generate("Hello", 3, Sampler::new(0, [3; 32])))
		.await
		.unwrap()
		.unwrap();
	assert_eq!(g.tokens, OUT);
	assert_eq!(g.text, dev_engine().tokenizer().decode(&OUT, true).unwrap());
	assert_eq!(g.prompt_tokens as usize, dev_engine().prompt_tokens("Hello").unwrap().unwrap());
	assert!(g.fingerprints.is_empty());
	assert_eq!(g.finish_reason, FinishReason::Length);
	assert_eq!(g.logprobs[0].logprob_micro, -500_000);
	// Ids went upstream, never text; greedy requests carry no seed.
	let sent = seen.lock().unwrap().last().cloned().unwrap();
	assert!(sent["prompt"].is_array(), "{sent}");
	assert_eq!(sent["temperature"], 0.0);
	assert!(sent.get("seed").is_none());

	let s = spawn("127.0.0.1:0".parse().unwrap(), vec![engine], Default::default())
		.await
		.unwrap();
	let client = reqwest::Client::new();
	let health: Value = client
		.get(format!("{}/health", s.url()))
		.send()
		.await
		.unwrap()
		.json()
		.await
		.unwrap();
	assert_eq!(health["models"][0]["capability"], "greedy_only");
	// A greedy chain job: delivered with ids and without fingerprints.
	let r = client
		.post(format!("{}/v1/jobs", s.url()))
		.json(&job("g", 0))
		.send()
		.await
		.unwrap();
	assert_eq!(r.status(), 202);
	let mut done = None;
	for _ in 0..200 {
		let st: ExecutionStatus = client
			.get(format!("{}/v1/jobs/g", s.url()))
			.send()
			.await
			.unwrap()
			.json()
			.await
			.unwrap();
		if st.status == ExecutionState::Done {
			done = st.result;
			break;
		}
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
	let result = done.expect("the greedy job is done");
	assert_eq!(result.tokens, OUT);
	assert!(result.fingerprints.is_empty());
	// A sampled job: refused, the proxy cannot replay the protocol's sampler.
	let r = client
		.post(format!("{}/v1/jobs", s.url()))
		.json(&job("s", 700))
		.send()
		.await
		.unwrap();
	assert_eq!(r.status(), 501);
	assert_eq!(r.json::<ErrorBody>().await.unwrap().error.code, "greedy_only");
	// A check: refused, the proxy has no logits.
	let validate = json!({"version": VERSION, "model": dev_model::NAME, "prompt": "Hello",
		"max_tokens": 3, "temperature_milli": 0, "sampling_key": to_hex(&[3; 32]),
		"claim": result, "policy": dev_model::POLICY});
	let r = client
		.post(format!("{}/v1/validate", s.url()))
		.json(&validate)
		.send()
		.await
		.unwrap();
	assert_eq!(r.status(), 501);
	assert_eq!(r.json::<ErrorBody>().await.unwrap().error.code, "not_verifiable");
	// The OpenAI API works, at any temperature (the server samples).
	let r = client
		.post(format!("{}/v1/completions", s.url()))
		.json(&json!({"model": dev_model::NAME, "prompt": "Hello", "max_tokens": 2,
			"temperature": 0.7}))
		.send()
		.await
		.unwrap();
	assert_eq!(r.status(), 200);
	let sent = seen.lock().unwrap().last().cloned().unwrap();
	assert_eq!(sent["temperature"], 0.7);
	assert!(sent["seed"].is_u64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_the_proxy_cannot_trust_is_refused_at_start() {
	let (addr, _) = fake_server(Fake::NoIds).await;
	let e = connect(addr, None).await.err().unwrap();
	assert!(e.contains("no output token ids"), "{e}");
	let (addr, _) = fake_server(Fake::AddsBos).await;
	let e = connect(addr, None).await.err().unwrap();
	assert!(e.contains("does not take token ids as sent"), "{e}");
	let (addr, _) = fake_server(Fake::OtherText).await;
	let e = connect(addr, None).await.err().unwrap();
	assert!(e.contains("another model file"), "{e}");
	let (addr, _) = fake_server(Fake::Vllm).await;
	let e = connect(addr, Some("other")).await.err().unwrap();
	assert!(e.contains("does not list the model \"other\""), "{e}");
	let e = ProxyEngine::connect("http://127.0.0.1:9", None, "m", &dev_dir())
		.await
		.err()
		.unwrap();
	assert!(e.contains("127.0.0.1:9/v1/models"), "{e}");
}
