//! Proof of compute: the prover's kernel (build the window's pool, compute nonces, keep their
//! leaves) and the verifier's (recompute one sampled nonce from the seed alone), on candle's CPU
//! or CUDA device. The rules are [`daya_protocol::poc`]'s; this module only runs them.
//!
//! Values are small integers held in f32 tensors, so every product is exact on any device (see
//! [`daya_protocol::poc`]); [`reference_leaf`] computes a nonce with plain integer arithmetic,
//! the definition the tests hold the device's kernel to.

use std::{
	collections::BTreeMap,
	sync::{
		atomic::{AtomicBool, AtomicU64, Ordering},
		Arc, Mutex,
	},
	thread::JoinHandle,
	time::{Duration, Instant},
};

use candle_core::{DType, Device, IndexOp, Tensor};
use daya_protocol::poc::{
	fill_values, leaf, nonce_seed, reduce, route, tile_seed, MerkleTree, PocParams,
};

/// A window's key and parameters: everything a nonce's value depends on.
#[derive(Clone, Copy, Debug)]
pub struct WindowKey {
	/// The host's key for the window ([`daya_protocol::poc::host_key`]).
	pub key: [u8; 32],
	/// The chain's parameters.
	pub params: PocParams,
}

fn values(seed: &[u8; 32], len: usize) -> Vec<f32> {
	let mut out = vec![0i8; len];
	fill_values(seed, &mut out);
	out.into_iter().map(f32::from).collect()
}

/// [`reduce`] on a tensor of exact integers: `y - 16 * floor(y / 16) - 8` (every step exact in
/// f32 for the magnitudes proof of compute allows).
fn reduce_tensor(y: &Tensor) -> candle_core::Result<Tensor> {
	let floor = (y / 16.0)?.floor()?;
	(y - floor.affine(16.0, 0.0)?)?.affine(1.0, -8.0)
}

/// Pool tile `tile` of `window`, built alone (what a verifier does for the few tiles a sample
/// touches): `dim` x `dim`.
pub fn build_tile(window: &WindowKey, tile: u32, device: &Device) -> candle_core::Result<Tensor> {
	let d = window.params.dim as usize;
	let mut acc =
		Tensor::from_vec(values(&tile_seed(&window.key, tile, 0), d * d), (d, d), device)?;
	for round in 1..=window.params.gen_rounds {
		let factor =
			Tensor::from_vec(values(&tile_seed(&window.key, tile, round), d * d), (d, d), device)?;
		acc = reduce_tensor(&acc.matmul(&factor)?)?;
	}
	Ok(acc)
}

/// The window's whole pool, `pool_tiles` x `dim` x `dim`, built `chunk` tiles at a time.
pub fn build_pool(window: &WindowKey, device: &Device) -> candle_core::Result<Tensor> {
	let (d, tiles) = (window.params.dim as usize, window.params.pool_tiles);
	let chunk = 64u32;
	let mut parts = Vec::new();
	let mut start = 0;
	while start < tiles {
		let end = (start + chunk).min(tiles);
		let round_values = |round: u32| -> candle_core::Result<Tensor> {
			let mut data = Vec::with_capacity((end - start) as usize * d * d);
			for tile in start..end {
				data.extend(values(&tile_seed(&window.key, tile, round), d * d));
			}
			Tensor::from_vec(data, ((end - start) as usize, d, d), device)
		};
		let mut acc = round_values(0)?;
		for round in 1..=window.params.gen_rounds {
			acc = reduce_tensor(&acc.matmul(&round_values(round)?)?)?;
		}
		parts.push(acc);
		start = end;
	}
	Tensor::cat(&parts, 0)
}

fn as_values(data: &[f32]) -> Vec<i8> {
	data.iter().map(|v| *v as i8).collect()
}

/// The leaves of nonces `first..first + count`, computed together against the window's `pool`.
pub fn compute_leaves(
	window: &WindowKey,
	pool: &Tensor,
	first: u64,
	count: usize,
) -> candle_core::Result<Vec<[u8; 32]>> {
	let p = window.params;
	let (rows, d) = (p.rows as usize, p.dim as usize);
	let device = pool.device();
	let mut data = Vec::with_capacity(count * rows * d);
	for nonce in first..first + count as u64 {
		data.extend(values(&nonce_seed(&window.key, nonce), rows * d));
	}
	let mut x = Tensor::from_vec(data, (count, rows, d), device)?;
	for layer in 0..p.depth {
		let first_rows = x.i((.., 0, ..))?.to_vec2::<f32>()?;
		let picks: Vec<u32> = first_rows
			.iter()
			.map(|row| route(&as_values(row), layer, p.pool_tiles))
			.collect();
		let tiles = pool.index_select(&Tensor::new(picks, device)?, 0)?;
		x = reduce_tensor(&x.matmul(&tiles)?)?;
	}
	let out = x.flatten_all()?.to_vec1::<f32>()?;
	Ok(out
		.chunks(rows * d)
		.zip(first..)
		.map(|(values, nonce)| leaf(nonce, &as_values(values)))
		.collect())
}

/// The leaf of one nonce, recomputed from the window's key alone: builds only the `depth` tiles
/// it touches. What a verifier runs per sample.
pub fn verify_leaf(
	window: &WindowKey,
	nonce: u64,
	device: &Device,
) -> candle_core::Result<[u8; 32]> {
	let p = window.params;
	let (rows, d) = (p.rows as usize, p.dim as usize);
	let mut x =
		Tensor::from_vec(values(&nonce_seed(&window.key, nonce), rows * d), (rows, d), device)?;
	for layer in 0..p.depth {
		let first = x.i(0)?.to_vec1::<f32>()?;
		let tile = build_tile(window, route(&as_values(&first), layer, p.pool_tiles), device)?;
		x = reduce_tensor(&x.matmul(&tile)?)?;
	}
	Ok(leaf(nonce, &as_values(&x.flatten_all()?.to_vec1::<f32>()?)))
}

fn int_matmul(a: &[i8], b: &[i8], rows: usize, d: usize) -> Vec<i8> {
	let mut out = vec![0i8; rows * d];
	for i in 0..rows {
		for j in 0..d {
			let sum: i32 = (0..d).map(|k| i32::from(a[i * d + k]) * i32::from(b[k * d + j])).sum();
			out[i * d + j] = reduce(sum);
		}
	}
	out
}

/// The leaf of one nonce by the definition: integer arithmetic only, no tensor library. Slow;
/// the tests hold every device path to it.
pub fn reference_leaf(window: &WindowKey, nonce: u64) -> [u8; 32] {
	let p = window.params;
	let (rows, d) = (p.rows as usize, p.dim as usize);
	let draw = |seed: [u8; 32], len: usize| {
		let mut out = vec![0i8; len];
		fill_values(&seed, &mut out);
		out
	};
	let tile = |t: u32| {
		let mut acc = draw(tile_seed(&window.key, t, 0), d * d);
		for round in 1..=p.gen_rounds {
			acc = int_matmul(&acc, &draw(tile_seed(&window.key, t, round), d * d), d, d);
		}
		acc
	};
	let mut x = draw(nonce_seed(&window.key, nonce), rows * d);
	for layer in 0..p.depth {
		let t = route(&x[..d], layer, p.pool_tiles);
		x = int_matmul(&x, &tile(t), rows, d);
	}
	leaf(nonce, &x)
}

/// Whether nonce `nonce` is one a cheating prover fabricates, at `ppm` parts per million: a
/// keyed hash of the nonce below the share (so the fabricated set is spread over the window).
pub fn fabricated(key: &[u8; 32], nonce: u64, ppm: u32) -> bool {
	let digest =
		daya_protocol::blake2_256(&[&key[..], b"fabricate", &nonce.to_le_bytes()].concat());
	u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]) % 1_000_000 < ppm
}

/// What [`measure`] found: nonces computed and the time they took.
#[derive(Clone, Copy, Debug)]
pub struct Throughput {
	/// Nonces computed.
	pub nonces: u64,
	/// The time the nonces took (the pool's build excluded).
	pub computing: Duration,
	/// The pool's build.
	pub pool: Duration,
}

impl Throughput {
	/// Nonces per second.
	pub fn nonces_per_second(&self) -> f64 {
		self.nonces as f64 / self.computing.as_secs_f64().max(f64::MIN_POSITIVE)
	}
}

/// Computes `window` with `workers` threads (batches of `batch` nonces) on `device` for
/// `duration`, as a window's run does, and seals it: the proof-of-compute benchmark's
/// measurement, shared by `cargo bench --bench poc` and `daya-executor poc-bench`.
pub fn measure(
	window: WindowKey,
	device: Device,
	workers: usize,
	batch: usize,
	duration: Duration,
) -> Result<Throughput, String> {
	let run = Run::start(window, device, workers, batch, u64::MAX, 0);
	std::thread::sleep(duration);
	let sealed = run.seal()?;
	Ok(Throughput {
		nonces: sealed.tree.count(),
		computing: sealed.computing,
		pool: sealed.elapsed.saturating_sub(sealed.computing),
	})
}

/// The nonces a batch holds on `device`: small on a CPU (one core per worker), large on a GPU.
pub fn batch_for(device: &Device) -> usize {
	if device.is_cuda() {
		256
	} else {
		8
	}
}

/// A window being computed on threads of their own, until sealed.
pub struct Run {
	stop: Arc<AtomicBool>,
	shared: Arc<Shared>,
	threads: Vec<JoinHandle<Result<(), String>>>,
	started: Instant,
}

#[derive(Default)]
struct Shared {
	/// The next nonce no worker has taken.
	next: AtomicU64,
	/// Nonces computed so far (in all batches done, gaps included).
	done: AtomicU64,
	/// Leaves by the first nonce of their batch.
	batches: Mutex<BTreeMap<u64, Vec<[u8; 32]>>>,
	/// When the pool was ready, once it is.
	pool_ready: Mutex<Option<Instant>>,
}

/// A sealed window: the tree of its leaves and how long its nonces took.
pub struct Sealed {
	/// The leaves' tree: root, count, paths.
	pub tree: MerkleTree,
	/// From the start of the run to its seal.
	pub elapsed: Duration,
	/// From the pool's completion to the seal: the nonces' time.
	pub computing: Duration,
}

impl Run {
	/// Starts computing `window` on `device`: builds the pool, then `workers` threads take
	/// `batch` nonces at a time until [`Run::seal`] or `max_nonces`. A share `fabricate_ppm`
	/// (parts per million) of the leaves are made up instead of computed: a cheating prover, for
	/// tests; 0 for an honest one.
	///
	/// On a CPU, several workers whose products run on one thread each scale with the cores
	/// (products of 128 x 128 tiles are too small to split well across threads).
	pub fn start(
		window: WindowKey,
		device: Device,
		workers: usize,
		batch: usize,
		max_nonces: u64,
		fabricate_ppm: u32,
	) -> Self {
		let stop = Arc::new(AtomicBool::new(false));
		let shared = Arc::new(Shared::default());
		let (pool_tx, pool_rx) = std::sync::mpsc::channel::<Result<Tensor, String>>();
		let builder = {
			let (shared, device) = (shared.clone(), device.clone());
			std::thread::spawn(move || -> Result<(), String> {
				let pool = build_pool(&window, &device).map_err(|e| e.to_string());
				*shared.pool_ready.lock().map_err(|e| e.to_string())? = Some(Instant::now());
				pool_tx.send(pool).map_err(|e| e.to_string())
			})
		};
		let pool = Arc::new(Mutex::new(None::<Result<Tensor, String>>));
		let pool_rx = Arc::new(Mutex::new(pool_rx));
		let mut threads = vec![builder];
		for _ in 0..workers.max(1) {
			let (stop, shared, pool, pool_rx) =
				(stop.clone(), shared.clone(), pool.clone(), pool_rx.clone());
			threads.push(std::thread::spawn(move || -> Result<(), String> {
				let pool = {
					let mut slot = pool.lock().map_err(|e| e.to_string())?;
					if slot.is_none() {
						let received = pool_rx.lock().map_err(|e| e.to_string())?.recv();
						*slot = Some(received.map_err(|e| e.to_string()).and_then(|p| p));
					}
					slot.clone().expect("filled above")?
				};
				loop {
					if stop.load(Ordering::Relaxed) {
						return Ok(());
					}
					let first = shared.next.fetch_add(batch as u64, Ordering::Relaxed);
					if first >= max_nonces {
						return Ok(());
					}
					let n = (batch as u64).min(max_nonces - first) as usize;
					let mut leaves =
						compute_leaves(&window, &pool, first, n).map_err(|e| e.to_string())?;
					if fabricate_ppm > 0 {
						for (nonce, leaf) in (first..).zip(leaves.iter_mut()) {
							if fabricated(&window.key, nonce, fabricate_ppm) {
								*leaf = daya_protocol::blake2_256(&nonce.to_le_bytes());
							}
						}
					}
					shared.batches.lock().map_err(|e| e.to_string())?.insert(first, leaves);
					shared.done.fetch_add(n as u64, Ordering::Relaxed);
				}
			}));
		}
		Self { stop, shared, threads, started: Instant::now() }
	}

	/// Nonces computed so far.
	pub fn count(&self) -> u64 {
		self.shared.done.load(Ordering::Relaxed)
	}

	/// Whether every thread has ended (reached `max_nonces` or failed).
	pub fn finished(&self) -> bool {
		self.threads.iter().all(|thread| thread.is_finished())
	}

	/// Stops computing (the batches under way are finished and kept) and builds the tree of the
	/// leaves of nonces `0..n`, every nonce below `n` computed.
	pub fn seal(mut self) -> Result<Sealed, String> {
		self.stop.store(true, Ordering::Relaxed);
		for thread in std::mem::take(&mut self.threads) {
			thread.join().map_err(|_| "a proof-of-compute thread panicked".to_string())??;
		}
		let now = Instant::now();
		let ready = self.shared.pool_ready.lock().map_err(|e| e.to_string())?.unwrap_or(now);
		let batches = std::mem::take(&mut *self.shared.batches.lock().map_err(|e| e.to_string())?);
		let mut leaves = Vec::new();
		for (first, batch) in batches {
			if first != leaves.len() as u64 {
				break;
			}
			leaves.extend(batch);
		}
		Ok(Sealed {
			tree: MerkleTree::new(leaves),
			elapsed: now - self.started,
			computing: now.saturating_duration_since(ready),
		})
	}
}

impl Drop for Run {
	fn drop(&mut self) {
		self.stop.store(true, Ordering::Relaxed);
	}
}

/// The f32 dtype every tensor here uses; products of small integers are exact in it.
pub const DTYPE: DType = DType::F32;

#[cfg(test)]
mod tests {
	use super::*;
	use daya_protocol::poc::{host_key, verify_path};

	fn window(params: PocParams) -> WindowKey {
		WindowKey { key: host_key(&[7; 32], &[9; 32]), params }
	}

	const SMALL: PocParams =
		PocParams { dim: 32, rows: 8, depth: 4, pool_tiles: 16, gen_rounds: 2, samples: 4 };

	#[test]
	fn the_batched_kernel_the_verifier_and_the_integer_definition_agree() {
		let w = window(SMALL);
		let pool = build_pool(&w, &Device::Cpu).unwrap();
		let leaves = compute_leaves(&w, &pool, 0, 12).unwrap();
		for (nonce, leaf) in leaves.iter().enumerate() {
			assert_eq!(*leaf, reference_leaf(&w, nonce as u64), "nonce {nonce}");
			assert_eq!(*leaf, verify_leaf(&w, nonce as u64, &Device::Cpu).unwrap());
		}
		// A batch starting elsewhere computes the same leaves.
		assert_eq!(compute_leaves(&w, &pool, 5, 3).unwrap(), leaves[5..8]);
	}

	#[test]
	fn leaves_are_exact_at_full_size_whatever_the_thread_count() {
		// The chain's tile side: inner products of 128 terms, the largest partial sums real.
		let p =
			PocParams { dim: 128, rows: 16, depth: 2, pool_tiles: 8, gen_rounds: 1, samples: 1 };
		let w = window(p);
		let expected: Vec<_> = (0..3).map(|n| reference_leaf(&w, n)).collect();
		for threads in ["1", "2"] {
			std::env::set_var("RAYON_NUM_THREADS", threads);
			let pool = build_pool(&w, &Device::Cpu).unwrap();
			assert_eq!(compute_leaves(&w, &pool, 0, 3).unwrap(), expected, "{threads} threads");
		}
		std::env::remove_var("RAYON_NUM_THREADS");
	}

	#[test]
	fn a_run_seals_a_tree_whose_paths_verify_and_a_cheat_is_visible() {
		let w = window(SMALL);
		let run = Run::start(w, Device::Cpu, 2, 4, 40, 0);
		while !run.finished() {
			std::thread::sleep(Duration::from_millis(5));
		}
		let sealed = run.seal().unwrap();
		assert_eq!(sealed.tree.count(), 40);
		for nonce in [0, 17, 39] {
			let leaf = sealed.tree.leaf(nonce).unwrap();
			assert_eq!(leaf, verify_leaf(&w, nonce, &Device::Cpu).unwrap());
			let path = sealed.tree.path(nonce).unwrap();
			assert!(verify_path(&sealed.tree.root(), 40, nonce, &leaf, &path));
		}
		let cheat = Run::start(w, Device::Cpu, 2, 4, 40, 500_000);
		while !cheat.finished() {
			std::thread::sleep(Duration::from_millis(5));
		}
		let sealed = cheat.seal().unwrap();
		let wrong = (0..40)
			.filter(|n| sealed.tree.leaf(*n).unwrap() != verify_leaf(&w, *n, &Device::Cpu).unwrap())
			.count();
		let expected = (0..40).filter(|n| fabricated(&w.key, *n, 500_000)).count();
		assert_eq!(wrong, expected);
		assert!(wrong > 5 && wrong < 35, "{wrong}");
	}

	#[test]
	fn another_host_or_seed_gives_other_leaves() {
		let a = window(SMALL);
		let b = WindowKey { key: host_key(&[7; 32], &[8; 32]), params: SMALL };
		assert_ne!(reference_leaf(&a, 0), reference_leaf(&b, 0));
	}
}
