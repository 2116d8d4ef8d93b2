//! Decoding SmolLM2 in process, for a profiler: `cargo run --release -p daya-executor --example
//! decode [tokens] [runs] [batch]`. With a batch of one, greedy generations; with more, that
//! many sequences (sampled at temperature 0.8, as the serving benchmark's clients) decoded
//! together step by step. Engine calls run on rayon's pool, as the executor's scheduler runs
//! them. Prints tokens/s per run; with `DAYA_DECODE_PRINT` set, a greedy run's log-probabilities
//! and fingerprints too (to compare two builds' numbers).

use std::time::Instant;

use daya_executor::{config::smollm2_path, engine::Engine, sampler::Sampler, CandleEngine};
use daya_protocol::smollm2;

fn main() {
	let mut args = std::env::args().skip(1).map(|a| a.parse::<u32>().expect("a number"));
	let (tokens, runs, batch) =
		(args.next().unwrap_or(128), args.next().unwrap_or(5), args.next().unwrap_or(1));
	let engine = CandleEngine::load(&smollm2_path(), smollm2::NAME).expect("SmolLM2 loads");
	for run in 0..runs {
		let t = Instant::now();
		let made = rayon::scope(|_| {
			if batch <= 1 {
				let prompt = format!("Chapter {run}. The history of Rome");
				let g = engine.generate(&prompt, tokens, Sampler::from_seed(0, 0));
				let g = g.expect("a generation");
				if std::env::var_os("DAYA_DECODE_PRINT").is_some() {
					println!(
						"{:?} {:?}",
						g.logprobs.iter().map(|l| l.logprob_micro).collect::<Vec<_>>(),
						g.fingerprints
					);
				}
				return g.completion_tokens;
			}
			let mut seqs: Vec<_> = (0..batch)
				.map(|i| {
					let prompt = format!("Story {i}-{run}. Once upon a time, by a river,");
					engine.start(&prompt, tokens, Sampler::from_seed(800, u64::from(i)))
				})
				.collect::<Result<_, _>>()
				.expect("sequences start");
			for _ in 1..tokens {
				let mut all: Vec<_> = seqs.iter_mut().collect();
				engine.step(&mut all).expect("a step");
			}
			seqs.into_iter()
				.map(|s| engine.finish(s).expect("finished").completion_tokens)
				.sum()
		});
		let s = t.elapsed().as_secs_f64();
		println!("run {run}: {made} tokens in {s:.3} s: {:.1} tokens/s", f64::from(made) / s);
	}
}
