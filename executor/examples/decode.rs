//! Greedy decoding of SmolLM2 in process, for a profiler: `cargo run --release -p daya-executor
//! --example decode [tokens] [runs]`. Prints tokens/s per run.

use std::time::Instant;

use daya_executor::{config::smollm2_path, engine::Engine, sampler::Sampler, CandleEngine};
use daya_protocol::smollm2;

fn main() {
	let mut args = std::env::args().skip(1).map(|a| a.parse::<u32>().expect("a number"));
	let (tokens, runs) = (args.next().unwrap_or(128), args.next().unwrap_or(5));
	let engine = CandleEngine::load(&smollm2_path(), smollm2::NAME).expect("SmolLM2 loads");
	for run in 0..runs {
		let t = Instant::now();
		let g = engine
			.generate(
				&format!("Chapter {run}. The history of Rome"),
				tokens,
				Sampler::from_seed(0, 0),
			)
			.expect("a generation");
		let s = t.elapsed().as_secs_f64();
		println!(
			"run {run}: {} tokens in {s:.3} s: {:.1} tokens/s",
			g.completion_tokens,
			f64::from(g.completion_tokens) / s
		);
	}
}
