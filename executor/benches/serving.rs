//! Serving SmolLM2 side by side: `daya-executor` and llama.cpp's server (PyPI `xllamacpp`, which
//! `scripts/setup.sh` unpacks) on the same GGUF with the same thread count, one after the
//! other and never at the same time, measured by the same OpenAI client over HTTP. Prints:
//!
//! - single-request decode tokens/s, prefill tokens/s and time to first token;
//! - aggregate tokens/s with 1, 4 and 8 concurrent clients;
//! - the executor's OpenAI endpoint against the same scheduler called in process, for a
//!   64-token completion: the median of 30 interleaved pairs with its 95% interval;
//! - a chain job's latency alone and beside 8 busy OpenAI clients.
//!
//! `cargo bench -p daya-executor --bench serving` (a few minutes). `DAYA_BENCH_THREADS` sets the
//! thread count of both (default: the cores this process may use).

use std::{
	process::{Child, Command, Stdio},
	sync::Arc,
	time::{Duration, Instant},
};

use daya_executor::{
	config::smollm2_path, engine::Engine, hash::to_hex, sampler::Sampler, spawn, CandleEngine,
	Scheduler, ServerConfig,
};
use daya_protocol::{smollm2, ExecutionState, ExecutionStatus, JobRequest, PayloadFormat, VERSION};
use serde_json::{json, Value};

const CLIENTS: [usize; 3] = [1, 4, 8];
const PAIRS: usize = 30;

/// What one streamed completion took, seen by its client.
struct Run {
	first_token: Duration,
	total: Duration,
	prompt_tokens: u64,
	completion_tokens: u64,
}

/// A streamed `/v1/completions` request: the time of the first text and of the end, and the
/// usage the server reports (or the chunks counted, if it reports none).
async fn complete(
	client: &reqwest::Client,
	base: &str,
	prompt: &str,
	max_tokens: u32,
	temperature: f64,
	seed: u64,
) -> Run {
	let body = json!({
		"model": smollm2::NAME,
		"prompt": prompt,
		"max_tokens": max_tokens,
		"temperature": temperature,
		"seed": seed,
		"stream": true,
		"stream_options": {"include_usage": true},
	});
	let started = Instant::now();
	let mut r = client.post(format!("{base}/v1/completions")).json(&body).send().await.unwrap();
	assert!(r.status().is_success(), "{base}: {}", r.status());
	let (mut first_token, mut chunks, mut usage) = (None, 0u64, None);
	let mut pending = String::new();
	while let Some(bytes) = r.chunk().await.unwrap() {
		pending.push_str(&String::from_utf8_lossy(&bytes));
		while let Some(end) = pending.find("\n\n") {
			let event: String = pending.drain(..end + 2).collect();
			let Some(data) = event.trim().strip_prefix("data: ") else { continue };
			if data == "[DONE]" {
				continue;
			}
			let chunk: Value = serde_json::from_str(data).unwrap();
			if chunk["choices"][0]["text"].as_str().is_some_and(|t| !t.is_empty()) {
				first_token.get_or_insert_with(|| started.elapsed());
				chunks += 1;
			}
			if chunk["usage"].is_object() {
				usage = Some(chunk["usage"].clone());
			}
		}
	}
	let total = started.elapsed();
	let usage = usage.unwrap_or_default();
	Run {
		first_token: first_token.unwrap_or(total),
		total,
		prompt_tokens: usage["prompt_tokens"].as_u64().unwrap_or(0),
		completion_tokens: usage["completion_tokens"].as_u64().unwrap_or(chunks),
	}
}

fn median(mut v: Vec<f64>) -> f64 {
	v.sort_by(f64::total_cmp);
	let n = v.len();
	if n % 2 == 1 {
		v[n / 2]
	} else {
		(v[n / 2 - 1] + v[n / 2]) / 2.0
	}
}

/// A prompt of about `words` words, different for each `run` from its first token on (so that
/// no server reuses a cached prefix).
fn long_prompt(run: usize, words: usize) -> String {
	let text = "The river carries the snow of the mountains down to the plain, where the towns \
	            grew along its banks and traded grain, salt and timber for centuries. ";
	let mut prompt = format!("Document {run}. ");
	while prompt.split_whitespace().count() < words {
		prompt.push_str(text);
	}
	prompt.push_str("\nSummary:");
	prompt
}

/// One server's numbers.
struct Measured {
	decode: f64,
	prefill: f64,
	first_token_ms: f64,
	aggregate: Vec<f64>,
}

/// A client that opens a connection per request: a kept-alive one the server has closed would
/// fail a request, and both servers pay the same loopback connect.
fn client() -> reqwest::Client {
	reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap()
}

async fn measure(base: &str) -> Measured {
	let client = client();
	complete(&client, base, "Warm-up.", 8, 0.0, 0).await;
	let (mut decode, mut prefill, mut first) = (vec![], vec![], vec![]);
	for run in 0..3 {
		let prompt = format!("Chapter {run}. The history of Rome");
		let r = complete(&client, base, &prompt, 128, 0.0, 0).await;
		let decoding = (r.total - r.first_token).as_secs_f64();
		decode.push(r.completion_tokens.saturating_sub(1) as f64 / decoding);
		first.push(r.first_token.as_secs_f64() * 1e3);
		let r = complete(&client, base, &long_prompt(run, 380), 1, 0.0, 0).await;
		prefill.push(r.prompt_tokens as f64 / r.first_token.as_secs_f64());
	}
	let mut aggregate = vec![];
	for clients in CLIENTS {
		let started = Instant::now();
		let tasks: Vec<_> = (0..clients)
			.map(|c| {
				let (client, base) = (client.clone(), base.to_string());
				tokio::spawn(async move {
					let mut tokens = 0;
					for round in 0..2 {
						let prompt = format!("Story {c}-{round}. Once upon a time, by a river,");
						let seed = (c * 10 + round) as u64;
						tokens += complete(&client, &base, &prompt, 64, 0.8, seed)
							.await
							.completion_tokens;
					}
					tokens
				})
			})
			.collect();
		let mut tokens = 0;
		for t in tasks {
			tokens += t.await.unwrap();
		}
		aggregate.push(tokens as f64 / started.elapsed().as_secs_f64());
	}
	Measured {
		decode: median(decode),
		prefill: median(prefill),
		first_token_ms: median(first),
		aggregate,
	}
}

impl Measured {
	fn print(&self, name: &str) {
		println!(
			"{name}: decode {:.1} tokens/s, prefill {:.1} tokens/s, first token {:.1} ms, \
			 aggregate {:?} tokens/s with {CLIENTS:?} clients",
			self.decode,
			self.prefill,
			self.first_token_ms,
			self.aggregate.iter().map(|a| (a * 10.0).round() / 10.0).collect::<Vec<_>>()
		);
	}
}

/// llama.cpp's server on a free port, killed on drop.
struct LlamaServer(Child);

impl Drop for LlamaServer {
	fn drop(&mut self) {
		let _ = self.0.kill();
		let _ = self.0.wait();
	}
}

async fn llama_cpp(threads: usize) -> (LlamaServer, String) {
	let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
	// Found at run time (`cargo bench` sets the variable): a shared target directory may
	// reuse this binary in another clone than the one that built it.
	let dir =
		std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
	let script = format!("{dir}/../scripts/llama-server.py");
	let child = Command::new("python3")
		.arg(script)
		.arg(smollm2_path())
		.args([port.to_string(), threads.to_string(), CLIENTS[2].to_string()])
		.stdout(Stdio::null())
		.stderr(Stdio::null())
		.spawn()
		.expect("python3 runs scripts/llama-server.py");
	let server = LlamaServer(child);
	let base = format!("http://127.0.0.1:{port}");
	let started = Instant::now();
	while !reqwest::get(format!("{base}/v1/models"))
		.await
		.is_ok_and(|r| r.status().is_success())
	{
		assert!(started.elapsed() < Duration::from_secs(60), "llama.cpp's server did not start");
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	(server, base)
}

/// The 95% interval of a median of `n` by order statistics: the 0-based ranks `(lo, hi)`.
fn median_interval(n: usize) -> (usize, usize) {
	// P(Binomial(n, 1/2) <= k), accumulated.
	let mut cdf = 0.0;
	let mut p = 0.5f64.powi(n as i32);
	let mut k = 0;
	loop {
		cdf += p;
		if cdf > 0.025 {
			break;
		}
		p *= (n - k) as f64 / (k + 1) as f64;
		k += 1;
	}
	(k, n - 1 - k)
}

fn job(id: String) -> JobRequest {
	JobRequest {
		version: VERSION,
		id,
		model: smollm2::NAME.into(),
		weights_hash: Some(to_hex(&smollm2::WEIGHTS_HASH)),
		prompt: "<|im_start|>user\nName three rivers of Europe.<|im_end|>\n<|im_start|>assistant\n"
			.into(),
		format: PayloadFormat::Text,
		max_tokens: 32,
		temperature_milli: 700,
		sampling_key: to_hex(&[7; 32]),
	}
}

/// Submits a chain job and polls it to its end: the seconds it took.
async fn chain_job(client: &reqwest::Client, base: &str, id: String) -> f64 {
	let started = Instant::now();
	let r = client
		.post(format!("{base}/v1/jobs"))
		.json(&job(id.clone()))
		.send()
		.await
		.unwrap();
	assert_eq!(r.status(), 202);
	loop {
		let r = client.get(format!("{base}/v1/jobs/{id}")).send().await.unwrap();
		let status: ExecutionStatus = r.json().await.unwrap();
		match status.status {
			ExecutionState::Done => return started.elapsed().as_secs_f64(),
			ExecutionState::Failed => panic!("{status:?}"),
			_ => tokio::time::sleep(Duration::from_millis(2)).await,
		}
	}
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
	let threads = std::env::var("DAYA_BENCH_THREADS")
		.ok()
		.and_then(|t| t.parse().ok())
		.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
	// candle's CPU kernels take their thread count from rayon's.
	std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
	let path = smollm2_path();
	assert!(path.is_file(), "{} is missing: run scripts/setup.sh", path.display());
	println!("SmolLM2-135M-Instruct (Q4_1 GGUF), {threads} threads each, one server at a time");

	// daya-executor, in this process (the library the binary serves).
	let engine: Arc<dyn Engine> = Arc::new(CandleEngine::load(&path, smollm2::NAME).unwrap());
	let config = ServerConfig { max_batch: CLIENTS[2], ..ServerConfig::default() };
	let server = spawn("127.0.0.1:0".parse().unwrap(), vec![engine.clone()], config)
		.await
		.unwrap();
	let daya = measure(&server.url()).await;
	daya.print("daya-executor");

	// The endpoint against the same scheduler in process: 64 greedy tokens, interleaved pairs.
	let scheduler = Scheduler::new(CLIENTS[2]).unwrap();
	let client = client();
	let prompt = "The history of Rome";
	let greedy = Sampler::from_seed(0, 0);
	let body =
		json!({"model": smollm2::NAME, "prompt": prompt, "max_tokens": 64, "temperature": 0});
	let url = format!("{}/v1/completions", server.url());
	let mut ratios = Vec::with_capacity(PAIRS);
	let (mut in_process, mut over_http) = (vec![], vec![]);
	for pair in 0..PAIRS {
		let direct = || async {
			let t = Instant::now();
			let (g, _) = scheduler
				.generate(&engine, prompt.into(), 64, greedy, Box::new(|_| true))
				.await
				.unwrap();
			assert_eq!(g.completion_tokens, 64, "the prompt must not end early");
			t.elapsed().as_secs_f64()
		};
		let http = || async {
			let t = Instant::now();
			let r: Value =
				client.post(&url).json(&body).send().await.unwrap().json().await.unwrap();
			assert_eq!(r["usage"]["completion_tokens"], 64, "{r}");
			t.elapsed().as_secs_f64()
		};
		let (a, b) = if pair % 2 == 0 {
			let a = direct().await;
			(a, http().await)
		} else {
			let b = http().await;
			(direct().await, b)
		};
		in_process.push(a);
		over_http.push(b);
		ratios.push(b / a - 1.0);
	}
	let mut sorted = ratios.clone();
	sorted.sort_by(f64::total_cmp);
	let (lo, hi) = median_interval(PAIRS);

	// A chain job alone, then beside 8 OpenAI clients that keep the batch full.
	let base = server.url();
	let mut alone = vec![];
	for i in 0..5 {
		alone.push(chain_job(&client, &base, format!("alone-{i}")).await);
	}
	let busy = Arc::new(std::sync::atomic::AtomicBool::new(true));
	let clients: Vec<_> = (0..CLIENTS[2])
		.map(|c| {
			let (client, base, busy) = (client.clone(), base.clone(), busy.clone());
			tokio::spawn(async move {
				let mut round = 0;
				while busy.load(std::sync::atomic::Ordering::Relaxed) {
					let prompt = format!("Story {c}-{round}. Once upon a time, by a river,");
					complete(&client, &base, &prompt, 64, 0.8, round).await;
					round += 1;
				}
			})
		})
		.collect();
	tokio::time::sleep(Duration::from_secs(2)).await;
	let mut beside = vec![];
	for i in 0..5 {
		beside.push(chain_job(&client, &base, format!("beside-{i}")).await);
		tokio::time::sleep(Duration::from_millis(300)).await;
	}
	busy.store(false, std::sync::atomic::Ordering::Relaxed);
	for c in clients {
		c.await.unwrap();
	}
	drop(server);

	// llama.cpp's server, alone on the machine now.
	let (llama, base) = llama_cpp(threads).await;
	let anchor = measure(&base).await;
	anchor.print("llama.cpp");
	drop(llama);

	println!();
	println!("| measure | daya-executor | llama.cpp | daya / llama.cpp |");
	println!("| --- | --- | --- | --- |");
	let row = |name: &str, a: f64, b: f64| {
		println!("| {name} | {a:.1} | {b:.1} | {:.2} |", a / b);
	};
	row("decode, one request (tokens/s)", daya.decode, anchor.decode);
	row("prefill, ~500-token prompt (tokens/s)", daya.prefill, anchor.prefill);
	row("time to first token, 15-token prompt (ms)", daya.first_token_ms, anchor.first_token_ms);
	for (i, clients) in CLIENTS.iter().enumerate() {
		row(
			&format!("aggregate, {clients} client(s) (tokens/s)"),
			daya.aggregate[i],
			anchor.aggregate[i],
		);
	}
	for (name, m) in [("daya-executor", &daya), ("llama.cpp", &anchor)] {
		println!(
			"{name}: 8 clients give {:.2}x one client's throughput",
			m.aggregate[2] / m.aggregate[0]
		);
	}
	println!();
	println!(
		"OpenAI endpoint vs the scheduler in process, 64 tokens, {PAIRS} interleaved pairs: median \
		 {:+.2}% (95% interval {:+.2}% to {:+.2}%); medians {:.1} ms over HTTP, {:.1} ms in process",
		median(ratios) * 100.0,
		sorted[lo] * 100.0,
		sorted[hi] * 100.0,
		median(over_http) * 1e3,
		median(in_process) * 1e3,
	);
	let (alone, beside) = (median(alone), median(beside));
	println!(
		"chain job (32 tokens, sampled): {:.0} ms alone, {:.0} ms beside 8 busy OpenAI clients: \
		 {:.2}x (medians of 5)",
		alone * 1e3,
		beside * 1e3,
		beside / alone
	);
}
