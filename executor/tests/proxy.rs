//! The proxy engine against a fake OpenAI-compatible server.

use std::sync::Arc;

use axum::{routing::post, Json, Router};
use daya_executor::{engine::Engine, proxy::ProxyEngine, spawn, ServerConfig};
use daya_protocol::{ExecutionState, ExecutionStatus};
use serde_json::{json, Value};

/// Answers generation with "hi!" and echo-scoring with one token per character, the character
/// `x` being unlikely.
async fn fake(Json(req): Json<Value>) -> Json<Value> {
	if req["echo"] == true {
		let prompt = req["prompt"].as_str().unwrap().to_string();
		let chars: Vec<String> = prompt.chars().map(String::from).collect();
		let mut offsets = Vec::new();
		let mut offset = 0;
		for c in &chars {
			offsets.push(offset);
			offset += c.len();
		}
		let lps: Vec<Value> = chars
			.iter()
			.enumerate()
			.map(|(i, c)| {
				if i == 0 {
					Value::Null
				} else if c == "x" {
					json!(-9.0)
				} else {
					json!(-0.1)
				}
			})
			.collect();
		let tops: Vec<Value> = chars.iter().map(|_| json!({"a": -0.1, "b": -2.0})).collect();
		return Json(json!({"choices": [{"text": prompt, "logprobs": {
			"tokens": chars, "token_logprobs": lps, "top_logprobs": tops, "text_offset": offsets}}]}));
	}
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
async fn proxy_maps_generation_and_scoring() {
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
	let g = tokio::task::spawn_blocking(move || e.generate("abc", 2, 700, 1))
		.await
		.unwrap()
		.unwrap();
	assert_eq!(g.text, "hi!");
	assert_eq!((g.prompt_tokens, g.completion_tokens), (3, 2));
	assert_eq!(g.logprobs[1].logprob_micro, -1_250_000);
	assert_eq!(g.logprobs[1].top[0].logprob_micro, -1_000_000);
	assert_eq!(g.finish_reason, daya_executor::FinishReason::Length);

	let e = engine.clone();
	let score = tokio::task::spawn_blocking(move || e.score("abc", "dxef", 0))
		.await
		.unwrap()
		.unwrap();
	assert_eq!((score.tokens, score.accepted), (4, 3), "{score:?}");
	assert_eq!(score.similarity_ppb, 750_000_000);

	// Through the service.
	let s = spawn("127.0.0.1:0".parse().unwrap(), engine, ServerConfig::default())
		.await
		.unwrap();
	let r = reqwest::Client::new()
		.post(format!("{}/v1/jobs", s.url()))
		.json(&json!({"version": 1, "id": "1", "model": "m", "weights_hash": format!("0x{}", "00".repeat(32)), "prompt": "abc", "max_tokens": 2}))
		.send()
		.await
		.unwrap();
	assert_eq!(r.status(), 202);
	for _ in 0..200 {
		let st: ExecutionStatus = reqwest::get(format!("{}/v1/jobs/1", s.url()))
			.await
			.unwrap()
			.json()
			.await
			.unwrap();
		if st.status == ExecutionState::Done {
			assert_eq!(st.output.as_deref(), Some("hi!"));
			return;
		}
		tokio::time::sleep(std::time::Duration::from_millis(10)).await;
	}
	panic!("the proxied job did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_is_an_error() {
	let engine = ProxyEngine::new("http://127.0.0.1:9", "upstream", "m");
	let r = tokio::task::spawn_blocking(move || engine.generate("abc", 2, 0, 0))
		.await
		.unwrap();
	assert!(matches!(r, Err(daya_executor::EngineError::Internal(_))));
}
