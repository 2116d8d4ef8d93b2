//! The proxy engine against a fake OpenAI-compatible server.

use std::sync::Arc;

use axum::{routing::post, Json, Router};
use daya_executor::{engine::Engine, proxy::ProxyEngine, sampler::Sampler, spawn, ServerConfig};
use daya_protocol::{ErrorBody, VERSION};
use serde_json::{json, Value};

/// Answers generation with "hi!".
async fn fake(Json(req): Json<Value>) -> Json<Value> {
	assert_eq!(req["model"], "upstream");
	assert_eq!(req["logprobs"], 5);
	Json(json!({
		"choices": [{"text": "hi!", "finish_reason": "length", "logprobs": {
			"tokens": ["hi", "!"],
			"token_logprobs": [-0.5, -1.25],
			"top_logprobs": [{"hi": -0.5, "yo": -1.0}, {"?": -1.0, "!": -1.25}],
		}}],
		"usage": {"prompt_tokens": 3, "completion_tokens": 2},
	}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_serves_the_openai_api_and_refuses_chain_work() {
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let addr = listener.local_addr().unwrap();
	tokio::spawn(async move {
		axum::serve(listener, Router::new().route("/v1/completions", post(fake)))
			.await
			.unwrap()
	});
	let engine = Arc::new(ProxyEngine::new(&format!("http://{addr}/"), "upstream", "m"));
	assert_eq!(engine.model_name(), "m");
	assert_eq!(engine.weights_hash(), None);

	let e = engine.clone();
	let g = tokio::task::spawn_blocking(move || e.generate("abc", 2, Sampler::from_seed(700, 1)))
		.await
		.unwrap()
		.unwrap();
	assert_eq!(g.text, "hi!");
	assert_eq!((g.prompt_tokens, g.completion_tokens), (3, 2));
	assert_eq!(g.logprobs[1].logprob_micro, -1_250_000);
	assert_eq!(g.logprobs[1].top[0].logprob_micro, -1_000_000);
	assert_eq!(g.finish_reason, daya_executor::FinishReason::Length);

	assert!(!engine.verifiable());

	// Through the service: the OpenAI API works, chain jobs and checks are refused.
	let s = spawn("127.0.0.1:0".parse().unwrap(), vec![engine], ServerConfig::default())
		.await
		.unwrap();
	let client = reqwest::Client::new();
	let r = client
		.post(format!("{}/v1/completions", s.url()))
		.json(&json!({"model": "m", "prompt": "abc", "max_tokens": 2}))
		.send()
		.await
		.unwrap();
	assert_eq!(r.status(), 200);
	assert_eq!(r.json::<Value>().await.unwrap()["choices"][0]["text"], "hi!");
	let job = json!({"version": VERSION, "id": "1", "model": "m", "prompt": "abc", "max_tokens": 2,
		"sampling_key": format!("0x{}", "00".repeat(32))});
	let r = client.post(format!("{}/v1/jobs", s.url())).json(&job).send().await.unwrap();
	assert_eq!(r.status(), 501);
	let e: ErrorBody = r.json().await.unwrap();
	assert_eq!(e.error.code, "not_verifiable");
	assert!(e.error.message.contains("cannot deliver or check chain jobs"), "{}", e.error.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_is_an_error() {
	let engine = ProxyEngine::new("http://127.0.0.1:9", "upstream", "m");
	let r =
		tokio::task::spawn_blocking(move || engine.generate("abc", 2, Sampler::from_seed(0, 0)))
			.await
			.unwrap();
	assert!(matches!(r, Err(daya_executor::EngineError::Internal(_))));
}
