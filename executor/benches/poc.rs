//! Proof-of-compute benchmark: what a prover achieves and what a verifier and a cheat pay.
//!
//! ```sh
//! cargo bench -p daya-executor --bench poc [-- --params chain|dev] [--seconds S] [--workers 1,2]
//!     [--samples N] [--fraud-windows N] [--device cpu|cuda]
//! ```
//!
//! Prints, for the parameters chosen (the chain's by default):
//!
//! - nonces per second for each number of workers (one core each) (the pool's build excluded), and the multiply-adds
//!   they commit per second (each nonce commits `depth * rows * dim^2`);
//! - the time to verify one sample (rebuilding the `depth` tiles it touches, from the seed);
//! - the anti-caching costs, per core: building one pool tile from the seed (what a prover
//!   that does not hold the pool pays at every layer) against reading one from the pool in
//!   memory (what an honest prover pays), and against the layer's own product;
//! - detection: windows of a prover that fabricates 5% of its leaves (dev parameters, two
//!   seconds of one worker each), each checked on its own random samples as a verifier would:
//!   the share caught against the formula `1 - 0.95^samples`, and the honest windows convicted
//!   (never, with exact artifacts);
//! - with `--device cuda` on a GPU, the TFLOP/s of the committed products.

use std::time::{Duration, Instant};

use candle_core::{Device, Tensor};
use daya_executor::poc::{build_pool, build_tile, measure, verify_leaf, Run, WindowKey};
use daya_protocol::poc::{host_key, PocParams};

/// A GPU network's parameters.
const CHAIN: PocParams = PocParams::LARGE;
/// The parameters the runtime ships with (dev, local and CPU networks).
const DEV: PocParams = PocParams::SMALL;

struct Options {
	fraud_windows: u32,
	params: PocParams,
	name: &'static str,
	seconds: f64,
	threads: Vec<usize>,
	samples: u32,
	device: Device,
}

fn options() -> Options {
	let mut o = Options {
		fraud_windows: 200,
		params: CHAIN,
		name: "chain",
		seconds: 10.0,
		threads: vec![1, 2],
		samples: 64,
		device: Device::Cpu,
	};
	let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
	let mut it = args.iter();
	while let Some(arg) = it.next() {
		let mut value = || it.next().cloned().unwrap_or_else(|| panic!("{arg} needs a value"));
		match arg.as_str() {
			"--params" => match value().as_str() {
				"chain" => (o.params, o.name) = (CHAIN, "chain"),
				"dev" => (o.params, o.name) = (DEV, "dev"),
				other => panic!("--params chain|dev, not {other}"),
			},
			"--seconds" => o.seconds = value().parse().expect("--seconds: a number"),
			"--workers" => {
				o.threads = value()
					.split(',')
					.map(|t| t.parse().expect("--workers: numbers separated by commas"))
					.collect()
			},
			"--fraud-windows" => {
				o.fraud_windows = value().parse().expect("--fraud-windows: a number")
			},
			"--samples" => o.samples = value().parse().expect("--samples: a number"),
			"--device" => {
				o.device = match value().as_str() {
					"cpu" => Device::Cpu,
					"cuda" => Device::new_cuda(0).expect("no CUDA device"),
					other => panic!("--device cpu|cuda, not {other}"),
				}
			},
			other => panic!("unknown option {other}"),
		}
	}
	o
}

fn window(params: PocParams, host: u8) -> WindowKey {
	WindowKey { key: host_key(&[0x5e; 32], &[host; 32]), params }
}

fn main() {
	let o = options();
	let p = o.params;
	p.check().expect("valid parameters");
	println!(
		"proof of compute, {} parameters: dim {}, rows {}, depth {}, pool {} tiles ({} MiB at f32), {} rounds per tile, {} samples; device {:?}",
		o.name,
		p.dim,
		p.rows,
		p.depth,
		p.pool_tiles,
		(p.pool_bytes() * 4) >> 20,
		p.gen_rounds,
		p.samples,
		o.device
	);
	println!();
	println!(
		"| workers | pool build (s) | nonces | nonces/s | GMAC/s committed | per worker nonces/s |"
	);
	println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
	let batch = daya_executor::poc::batch_for(&o.device);
	// Products on one thread each: workers scale with the cores (see `Run::start`).
	std::env::set_var("RAYON_NUM_THREADS", "1");
	for &workers in &o.threads {
		let w = window(p, workers as u8);
		let m = measure(w, o.device.clone(), workers, batch, Duration::from_secs_f64(o.seconds))
			.expect("measured");
		let rate = m.nonces_per_second();
		println!(
			"| {workers} | {:.2} | {} | {rate:.1} | {:.2} | {:.1} |",
			m.pool.as_secs_f64(),
			m.nonces,
			rate * p.nonce_macs() as f64 / 1e9,
			rate / workers as f64
		);
	}

	std::env::set_var("RAYON_NUM_THREADS", "1");
	let w = window(p, 200);
	let start = Instant::now();
	for nonce in 0..u64::from(o.samples) {
		verify_leaf(&w, nonce, &Device::Cpu).expect("verify");
	}
	let per_sample = start.elapsed() / o.samples;
	println!();
	println!(
		"verification, one core: {:.2} ms per sample, {:.3} s for {} samples (one window of one host)",
		per_sample.as_secs_f64() * 1e3,
		per_sample.as_secs_f64() * f64::from(o.samples),
		o.samples
	);

	// The anti-caching argument, per core: what a layer costs an honest prover (read a tile
	// from the pool in memory, multiply) against one that does not hold the pool (build it).
	let pool = build_pool(&w, &Device::Cpu).expect("pool");
	let (d, rows) = (p.dim as usize, p.rows as usize);
	let x = Tensor::ones((rows, d), candle_core::DType::F32, &Device::Cpu).expect("x");
	let reps = 2000u32;
	let start = Instant::now();
	let mut pick = 0x9e37_79b9u32;
	for _ in 0..reps {
		pick = pick.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
		let index = Tensor::new(&[pick % p.pool_tiles], &Device::Cpu).expect("index");
		std::hint::black_box(pool.index_select(&index, 0).expect("tile"));
	}
	let read = start.elapsed() / reps;
	let tile = pool.get(0).expect("tile");
	let start = Instant::now();
	for _ in 0..reps {
		std::hint::black_box(x.matmul(&tile).expect("product"));
	}
	let product = start.elapsed() / reps;
	let reps_build = 200u32;
	let start = Instant::now();
	for t in 0..reps_build {
		std::hint::black_box(build_tile(&w, t % p.pool_tiles, &Device::Cpu).expect("tile"));
	}
	let regenerate = start.elapsed() / reps_build;
	println!();
	println!("| per layer, one core | µs | against an honest layer |");
	println!("| --- | ---: | ---: |");
	let honest = read + product;
	for (what, t) in [
		("read a tile from the pool in memory (honest)", read),
		("the layer's product (both)", product),
		("honest layer: read + product", honest),
		("build the tile from the seed (no pool)", regenerate),
		("layer without the pool: build + product", regenerate + product),
	] {
		println!(
			"| {what} | {:.1} | {:.2}x |",
			t.as_secs_f64() * 1e6,
			t.as_secs_f64() / honest.as_secs_f64()
		);
	}

	detection(o.fraud_windows, p.samples);
}

/// Windows of a prover that fabricates 5% of its leaves, and of an honest one, each verified on
/// its own samples: how many are convicted.
fn detection(windows: u32, samples: u32) {
	use daya_protocol::poc::{miss_ppm, sample_indices, verify_path};
	if windows == 0 {
		return;
	}
	let params = PocParams { samples, ..DEV };
	std::env::set_var("RAYON_NUM_THREADS", "1");
	let mut caught = [0u32; 2];
	let mut leaves_checked = 0u64;
	let started = Instant::now();
	for (row, ppm) in [(0usize, 50_000u32), (1, 0)] {
		for i in 0..windows {
			let w = WindowKey { key: host_key(&[i as u8; 32], &[(i >> 8) as u8 + 1; 32]), params };
			let run = Run::start(w, Device::Cpu, 1, 8, 400, ppm);
			while !run.finished() {
				std::thread::sleep(Duration::from_millis(2));
			}
			let sealed = run.seal().expect("sealed");
			let (root, count) = (sealed.tree.root(), sealed.tree.count());
			let sample_seed = daya_protocol::blake2_256(&[row as u8, i as u8, (i >> 8) as u8]);
			let convicted =
				sample_indices(&sample_seed, &[9; 32], count, samples).into_iter().any(|n| {
					leaves_checked += 1;
					let leaf = sealed.tree.leaf(n).expect("leaf");
					let path = sealed.tree.path(n).expect("path");
					!verify_path(&root, count, n, &leaf, &path)
						|| verify_leaf(&w, n, &Device::Cpu).expect("verify") != leaf
				});
			caught[row] += u32::from(convicted);
		}
	}
	let expected = 1.0 - f64::from(miss_ppm(50_000, samples)) / 1e6;
	println!();
	println!(
		"detection, {windows} windows each of 400 nonces ({:.0} s, {leaves_checked} samples recomputed):",
		started.elapsed().as_secs_f64()
	);
	println!("| prover | windows | convicted | rate | expected |");
	println!("| --- | ---: | ---: | ---: | ---: |");
	println!(
		"| fabricates 5% of its leaves | {windows} | {} | {:.4} | {expected:.4} (1 - 0.95^{samples}) |",
		caught[0],
		f64::from(caught[0]) / f64::from(windows)
	);
	println!(
		"| honest | {windows} | {} | {:.4} | 0 |",
		caught[1],
		f64::from(caught[1]) / f64::from(windows)
	);
}
