//! Continuous batching on SmolLM2: OpenAI requests decode together, while a chain job runs alone
//! and first, its answer the same as when nothing else runs.

mod common;

use std::time::Duration;

use daya_executor::{hash::to_hex, spawn, RunningServer, ServerConfig};
use daya_protocol::{smollm2, ExecutionState, ExecutionStatus, JobRequest, PayloadFormat, VERSION};
use serde_json::{json, Value};

fn job(id: &str) -> JobRequest {
	JobRequest {
		version: VERSION,
		id: id.into(),
		model: smollm2::NAME.into(),
		weights_hash: Some(to_hex(&smollm2::WEIGHTS_HASH)),
		prompt: "<|im_start|>user\nName three rivers of Europe.<|im_end|>\n<|im_start|>assistant\n"
			.into(),
		format: PayloadFormat::Text,
		max_tokens: 24,
		// Sampled: every token depends on the logits' last bits through the sampler's scores.
		temperature_milli: 700,
		sampling_key: to_hex(&[7; 32]),
	}
}

async fn run_job(s: &RunningServer, id: &str) -> ExecutionStatus {
	let client = reqwest::Client::new();
	let r = client.post(format!("{}/v1/jobs", s.url())).json(&job(id)).send().await.unwrap();
	assert_eq!(r.status(), 202);
	loop {
		let r = client.get(format!("{}/v1/jobs/{id}", s.url())).send().await.unwrap();
		let status: ExecutionStatus = r.json().await.unwrap();
		if matches!(status.status, ExecutionState::Done | ExecutionState::Failed) {
			return status;
		}
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
}

/// `(count, sum)` of the decode batch sizes.
async fn batch_sizes(s: &RunningServer) -> (f64, f64) {
	let text = reqwest::get(format!("{}/metrics", s.url()))
		.await
		.unwrap()
		.text()
		.await
		.unwrap();
	let read = |name: &str| {
		text.lines()
			.find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
			.unwrap_or(0.0)
	};
	(read("daya_executor_decode_batch_size_count"), read("daya_executor_decode_batch_size_sum"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_job_beside_a_full_batch_is_answered_as_when_alone() {
	const CLIENTS: usize = 8;
	let config = ServerConfig { max_batch: CLIENTS, ..ServerConfig::default() };
	let s = spawn("127.0.0.1:0".parse().unwrap(), vec![common::smollm2()], config)
		.await
		.unwrap();
	let alone = run_job(&s, "alone").await;
	assert_eq!(alone.status, ExecutionState::Done, "{alone:?}");
	assert_eq!(batch_sizes(&s).await.0, 0.0, "a chain job is no batch");

	// Eight OpenAI clients at once, each with its own seed.
	let url = format!("{}/v1/chat/completions", s.url());
	let clients: Vec<_> = (0..CLIENTS)
		.map(|i| {
			let url = url.clone();
			tokio::spawn(async move {
				let body = json!({
					"model": smollm2::NAME,
					"messages": [{"role": "user", "content": format!("Tell a long story about river number {i}.")}],
					"max_tokens": 48,
					"temperature": 0.8,
					"seed": i,
				});
				let r = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
				(r.status().as_u16(), r.json::<Value>().await.unwrap())
			})
		})
		.collect();
	// The same job again once the batch decodes.
	while batch_sizes(&s).await.0 < 2.0 {
		tokio::time::sleep(Duration::from_millis(10)).await;
	}
	let beside = run_job(&s, "beside").await;
	assert_eq!(beside.result, alone.result, "a chain job's answer never depends on the batch");

	for client in clients {
		let (status, body) = client.await.unwrap();
		assert_eq!(status, 200, "{body}");
		assert!(body["usage"]["completion_tokens"].as_u64().unwrap() > 0, "{body}");
	}
	let (steps, sequences) = batch_sizes(&s).await;
	let mean = sequences / steps;
	assert!(mean > 2.0, "{sequences} sequence-steps in {steps} steps: not decoded together");
	assert!(mean <= CLIENTS as f64);
}
