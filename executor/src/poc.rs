//! Proof of compute: the prover's kernel (build the window's pool, compute nonces, keep their
//! leaves) and the verifier's (recompute one sampled nonce from the seed alone), on candle's CPU
//! or CUDA device. The rules are [`daya_protocol::poc`]'s; this module only runs them.
//!
//! Values are small integers held in f32 tensors, so every product is exact on any device (see
//! [`daya_protocol::poc`]); [`reference_leaf`] computes a nonce with plain integer arithmetic,
//! the definition the tests hold the device's kernel to.

use std::{
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

/// A window being computed on a thread of its own, until sealed.
pub struct Run {
	stop: Arc<AtomicBool>,
	count: Arc<AtomicU64>,
	leaves: Arc<Mutex<Vec<[u8; 32]>>>,
	thread: Option<JoinHandle<Result<(), String>>>,
	started: Instant,
}

/// A sealed window: the tree of its leaves and how long its nonces took.
pub struct Sealed {
	/// The leaves' tree: root, count, paths.
	pub tree: MerkleTree,
	/// From the start of the run to its seal (the pool's build included).
	pub elapsed: Duration,
}

impl Run {
	/// Starts computing `window` on `device`, `batch` nonces at a time, until [`Run::seal`] or
	/// `max_nonces`. A share `fabricate_ppm` (parts per million) of the leaves are made up
	/// instead of computed: a cheating prover, for tests; 0 for an honest one.
	pub fn start(
		window: WindowKey,
		device: Device,
		batch: usize,
		max_nonces: u64,
		fabricate_ppm: u32,
	) -> Self {
		let stop = Arc::new(AtomicBool::new(false));
		let count = Arc::new(AtomicU64::new(0));
		let leaves = Arc::new(Mutex::new(Vec::new()));
		let (stop2, count2, leaves2) = (stop.clone(), count.clone(), leaves.clone());
		let thread = std::thread::spawn(move || -> Result<(), String> {
			let pool = build_pool(&window, &device).map_err(|e| e.to_string())?;
			let mut next = 0u64;
			while !stop2.load(Ordering::Relaxed) && next < max_nonces {
				let n = (batch as u64).min(max_nonces - next) as usize;
				let mut computed =
					compute_leaves(&window, &pool, next, n).map_err(|e| e.to_string())?;
				if fabricate_ppm > 0 {
					for (offset, leaf) in computed.iter_mut().enumerate() {
						let nonce = next + offset as u64;
						if fabricated(&window.key, nonce, fabricate_ppm) {
							*leaf = daya_protocol::blake2_256(&nonce.to_le_bytes());
						}
					}
				}
				leaves2.lock().map_err(|e| e.to_string())?.extend(computed);
				next += n as u64;
				count2.store(next, Ordering::Relaxed);
			}
			Ok(())
		});
		Self { stop, count, leaves, thread: Some(thread), started: Instant::now() }
	}

	/// Nonces computed so far.
	pub fn count(&self) -> u64 {
		self.count.load(Ordering::Relaxed)
	}

	/// Whether the computing thread has ended (reached `max_nonces` or failed).
	pub fn finished(&self) -> bool {
		self.thread.as_ref().is_none_or(|thread| thread.is_finished())
	}

	/// Stops computing (the batch under way is finished and kept) and builds the leaves' tree.
	pub fn seal(mut self) -> Result<Sealed, String> {
		self.stop.store(true, Ordering::Relaxed);
		if let Some(thread) = self.thread.take() {
			thread
				.join()
				.map_err(|_| "the proof-of-compute thread panicked".to_string())??;
		}
		let leaves = std::mem::take(&mut *self.leaves.lock().map_err(|e| e.to_string())?);
		Ok(Sealed { tree: MerkleTree::new(leaves), elapsed: self.started.elapsed() })
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
		let run = Run::start(w, Device::Cpu, 4, 40, 0);
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
		let cheat = Run::start(w, Device::Cpu, 4, 40, 500_000);
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
