//! The products of a SmolLM2-135M step on each instruction set this CPU has, side by side in one
//! run: every block's stacked query/key/value, output, stacked gate/up and down projections
//! (Q4_1) and the output head (Q8_0), each block with its own weights (about 100 MB in all, so
//! that they stream from memory as when decoding, not from a cache), for one row (a sequence
//! decoding), batches of 2 to 8 rows and a 128-row prompt. Same bits on every path (the crate's
//! tests); only the time differs.
//!
//! `cargo bench -p daya-kernels --bench products` (about a minute). `RAYON_NUM_THREADS` sets
//! the threads, `DAYA_BENCH_ROWS=1,8` the row counts, `DAYA_BENCH_HOT=1` one block's weights
//! for every block (from the caches).

use std::time::{Duration, Instant};

use candle_core::{
	quantized::{GgmlDType, QTensor},
	Device, Tensor,
};
use daya_kernels::{Isa, QuantWeight};

/// SmolLM2-135M.
const BLOCKS: usize = 30;
const HIDDEN: usize = 576;
const KV: usize = 192;
const MLP: usize = 1536;
const VOCAB: usize = 49152;

/// Rows: one sequence decoding, batches of two to eight, a prompt.
const ROWS: [usize; 5] = [1, 2, 4, 8, 128];

fn values(n: usize, seed: u64) -> Vec<f32> {
	let mut state = seed;
	(0..n)
		.map(|_| {
			state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
			let mut z = state;
			z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
			z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
			z ^= z >> 31;
			((z >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
		})
		.collect()
}

fn weight(rows: usize, cols: usize, dtype: GgmlDType, seed: u64) -> QuantWeight {
	let t =
		Tensor::from_vec(values(rows * cols, seed), (rows, cols), &Device::Cpu).expect("a tensor");
	let q = QTensor::quantize(&t, dtype).expect("quantized");
	QuantWeight::from_qtensor(&q).expect("read").expect("a supported type")
}

fn main() {
	// The portable path is the definition, not a path to time (where another exists).
	let mut isas = Isa::available();
	if isas.len() > 1 {
		isas.remove(0);
	}
	// Per block: (weights, inputs of width) in the order a step runs them.
	let mut step: Vec<(QuantWeight, usize)> = Vec::new();
	// `DAYA_BENCH_HOT=1`: every block with the first block's weights, which then stay in the
	// caches (no output head): the kernels' own speed, without memory's.
	let hot = std::env::var_os("DAYA_BENCH_HOT").is_some();
	for b in 0..BLOCKS as u64 {
		let b = if hot { 0 } else { b };
		step.push((weight(HIDDEN + 2 * KV, HIDDEN, GgmlDType::Q4_1, 10 * b), HIDDEN));
		step.push((weight(HIDDEN, HIDDEN, GgmlDType::Q4_1, 10 * b + 1), HIDDEN));
		step.push((weight(2 * MLP, HIDDEN, GgmlDType::Q4_1, 10 * b + 2), HIDDEN));
		step.push((weight(HIDDEN, MLP, GgmlDType::Q4_1, 10 * b + 3), MLP));
	}
	if !hot {
		step.push((weight(VOCAB, HIDDEN, GgmlDType::Q8_0, 1_000), HIDDEN));
	}
	println!(
		"the products of a SmolLM2-135M step ({} matrices), {} threads; median of 7 steps",
		step.len(),
		rayon::current_num_threads()
	);
	print!("| rows |");
	for isa in &isas {
		print!(" {isa:?}: ms a step | tokens/s |");
	}
	println!(" {:?} / {:?} |", isas[0], isas[isas.len() - 1]);
	println!("| ---: |{}---: |", " ---: | ---: |".repeat(isas.len()));
	// `DAYA_BENCH_ROWS=1,8` measures those row counts only.
	let rows: Vec<usize> = match std::env::var("DAYA_BENCH_ROWS") {
		Ok(list) => list.split(',').map(|r| r.trim().parse().expect("a row count")).collect(),
		Err(_) => ROWS.to_vec(),
	};
	for m in rows {
		let inputs: Vec<Vec<f32>> = [HIDDEN, MLP].iter().map(|&w| values(m * w, 99)).collect();
		let x = |width: usize| if width == HIDDEN { &inputs[0] } else { &inputs[1] };
		let times: Vec<Duration> = isas
			.iter()
			.map(|&isa| {
				let mut samples: Vec<Duration> = (0..8)
					.map(|_| {
						let t = Instant::now();
						for (w, width) in &step {
							std::hint::black_box(w.matmul_on(isa, x(*width)));
						}
						t.elapsed()
					})
					.skip(1)
					.collect();
				samples.sort();
				samples[3]
			})
			.collect();
		print!("| {m} |");
		for t in &times {
			print!(" {:.2} | {:.0} |", t.as_secs_f64() * 1e3, m as f64 / t.as_secs_f64());
		}
		println!(" {:.2} |", times[0].as_secs_f64() / times[isas.len() - 1].as_secs_f64());
	}
}
