//! The products on SmolLM2-135M's shapes (Q4_1 projections, the Q8_0 output head), on each
//! instruction set this CPU has, side by side in one run: time per product and, summed over
//! the model's 30 blocks and its head, the products' share of a token. Same bits on every
//! path (the crate's test); only the time differs.
//!
//! `cargo bench -p daya-kernels --bench products` (under a minute). `RAYON_NUM_THREADS` sets
//! the threads.

use std::time::{Duration, Instant};

use candle_core::{
	quantized::{GgmlDType, QTensor},
	Device, Tensor,
};
use daya_kernels::{Isa, QuantWeight};

/// SmolLM2-135M: (name, outputs, inputs, type, how many per token).
const SHAPES: [(&str, usize, usize, GgmlDType, usize); 5] = [
	("q, o", 576, 576, GgmlDType::Q4_1, 60),
	("k, v", 192, 576, GgmlDType::Q4_1, 60),
	("gate, up", 1536, 576, GgmlDType::Q4_1, 60),
	("down", 576, 1536, GgmlDType::Q4_1, 30),
	("head", 49152, 576, GgmlDType::Q8_0, 1),
];

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

/// The median time of one product over 9 samples of at least 20 ms each.
fn time(w: &QuantWeight, isa: Isa, x: &[f32]) -> Duration {
	let once = Instant::now();
	std::hint::black_box(w.matmul_on(isa, x));
	let per_sample = (Duration::from_millis(20).as_nanos() / once.elapsed().as_nanos().max(1))
		.clamp(1, 10_000) as u32;
	let mut samples: Vec<Duration> = (0..9)
		.map(|_| {
			let t = Instant::now();
			for _ in 0..per_sample {
				std::hint::black_box(w.matmul_on(isa, std::hint::black_box(x)));
			}
			t.elapsed() / per_sample
		})
		.collect();
	samples.sort();
	samples[4]
}

fn main() {
	// The portable path is the definition, not a path to time (where another exists).
	let mut isas = Isa::available();
	if isas.len() > 1 {
		isas.remove(0);
	}
	println!("products on SmolLM2-135M's shapes, {} threads", rayon::current_num_threads());
	let weights: Vec<QuantWeight> = SHAPES
		.iter()
		.enumerate()
		.map(|(i, &(_, rows, cols, dtype, _))| {
			let t = Tensor::from_vec(values(rows * cols, i as u64), (rows, cols), &Device::Cpu)
				.expect("a tensor");
			let q = QTensor::quantize(&t, dtype).expect("quantized");
			QuantWeight::from_qtensor(&q).expect("read").expect("a supported type")
		})
		.collect();
	print!("| product | rows |");
	for isa in &isas {
		print!(" {isa:?} (µs) |");
	}
	println!(" first / best |");
	println!("| --- | ---: |{}---: |", " ---: |".repeat(isas.len()));
	for &m in &ROWS {
		let mut token = vec![Duration::ZERO; isas.len()];
		for (w, &(name, _, cols, _, per_token)) in weights.iter().zip(&SHAPES) {
			let x = values(m * cols, 99);
			let times: Vec<Duration> = isas.iter().map(|&isa| time(w, isa, &x)).collect();
			print!("| {name} | {m} |");
			for (t, sum) in times.iter().zip(&mut token) {
				print!(" {:.1} |", t.as_secs_f64() * 1e6);
				*sum += *t * per_token as u32;
			}
			println!(" {:.2} |", times[0].as_secs_f64() / times[isas.len() - 1].as_secs_f64());
		}
		print!("| **all of a step's products** (ms; tokens/s) | {m} |");
		for t in &token {
			print!(" {:.2}; {:.0} |", t.as_secs_f64() * 1e3, m as f64 / t.as_secs_f64());
		}
		println!(" {:.2} |", token[0].as_secs_f64() / token[isas.len() - 1].as_secs_f64());
	}
}
