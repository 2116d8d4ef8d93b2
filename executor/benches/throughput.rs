//! Throughput of the dev model: generation and checking speed of the candle engine, and what the
//! OpenAI-compatible HTTP endpoint adds over calling the engine. Prints numbers.
//!
//! `cargo bench -p daya-executor` (add `--features cuda` on a GPU machine).

use std::{
	sync::Arc,
	time::{Duration, Instant},
};

use daya_executor::{
	dev_model, engine::Engine, sampler::Sampler, spawn, CandleEngine, ServerConfig,
};
use daya_protocol::{
	dev_model::{NAME, POLICY},
	Judgement,
};
use serde_json::json;

const RUNS: usize = 5;
const TOKENS: u32 = 128;
const REQUESTS: usize = 20;

fn main() {
	let dir = tempfile::tempdir().expect("a temporary directory");
	dev_model::write(dir.path()).expect("writing the dev model");
	let started = Instant::now();
	let engine = Arc::new(CandleEngine::load(dir.path(), NAME).expect("loading the dev model"));
	println!("dev model ({} parameters of f32) loaded in {:?}", parameters(), started.elapsed());

	// Warm-up.
	engine.generate("warm-up", 8, Sampler::new(0, [0; 32])).unwrap();

	// Generation: greedy and sampled, RUNS × TOKENS each (a run may stop early at </s>).
	for (label, temperature) in [("greedy", 0), ("sampled (T=0.8)", 800)] {
		let (mut tokens, mut time) = (0u64, Duration::ZERO);
		for run in 0..RUNS {
			let prompt = format!("Benchmark run {run}: the quick brown fox");
			let t = Instant::now();
			let g = engine
				.generate(&prompt, TOKENS, Sampler::from_seed(temperature, run as u64))
				.unwrap();
			time += t.elapsed();
			tokens += u64::from(g.completion_tokens);
		}
		println!(
			"generation, {label}: {tokens} tokens in {:.3} s = {:.1} tokens/s",
			time.as_secs_f64(),
			tokens as f64 / time.as_secs_f64()
		);
	}

	// Checking: one teacher-forced pass over prompt and output ids.
	let prompt = "The validator checks what the executor claims. ".repeat(8);
	let greedy = Sampler::new(0, [0; 32]);
	let g = engine.generate(&prompt, 512, greedy).unwrap();
	let total = g.prompt_tokens + g.completion_tokens;
	let claim = g.result();
	let t = Instant::now();
	for _ in 0..RUNS {
		let s = engine.check(&prompt, 512, greedy, &claim, &POLICY, None).unwrap();
		assert_eq!(s.judgement, Judgement::Valid);
	}
	let per = t.elapsed().as_secs_f64() / RUNS as f64;
	println!(
		"checking (prefill): {total} tokens in {:.1} ms = {:.0} tokens/s",
		per * 1e3,
		total as f64 / per
	);

	// The OpenAI endpoint against the engine alone.
	let direct = {
		let t = Instant::now();
		for i in 0..REQUESTS {
			engine.generate(&format!("request {i}"), 16, Sampler::from_seed(0, 0)).unwrap();
		}
		t.elapsed().as_secs_f64() / REQUESTS as f64
	};
	let runtime = tokio::runtime::Runtime::new().unwrap();
	let http = runtime.block_on(async {
		let server = spawn("127.0.0.1:0".parse().unwrap(), vec![engine.clone()], ServerConfig::default())
			.await
			.unwrap();
		let client = reqwest::Client::new();
		let url = format!("{}/v1/completions", server.url());
		let t = Instant::now();
		for i in 0..REQUESTS {
			let r = client
				.post(&url)
				.json(&json!({"model": NAME, "prompt": format!("request {i}"), "max_tokens": 16, "temperature": 0, "logprobs": 5}))
				.send()
				.await
				.unwrap();
			assert!(r.status().is_success());
			r.bytes().await.unwrap();
		}
		t.elapsed().as_secs_f64() / REQUESTS as f64
	});
	println!(
		"OpenAI /v1/completions (16 tokens, logprobs 5), {REQUESTS} requests: {:.2} ms each over \
		 HTTP vs {:.2} ms on the engine alone: {:.2} ms ({:.1}%) of overhead",
		http * 1e3,
		direct * 1e3,
		(http - direct) * 1e3,
		(http - direct) / direct * 100.0
	);
}

fn parameters() -> usize {
	use dev_model::*;
	let h = HIDDEN_SIZE;
	let kv = HIDDEN_SIZE / HEADS * KV_HEADS;
	2 * VOCAB_SIZE * h + h + LAYERS * (2 * h + 2 * h * h + 2 * kv * h + 3 * h * INTERMEDIATE_SIZE)
}
