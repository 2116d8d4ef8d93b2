//! Proof of compute: the rules a prover's executor and a verifier's executor share.
//!
//! A *window* gives every host the same 32-byte seed, drawn by the chain when the window opens.
//! Each host's executor derives its own *key* from the seed and its account ([`host_key`]), so
//! that one machine cannot answer for several identities, and then:
//!
//! 1. builds a *pool* of [`PocParams::pool_tiles`] square tiles of side [`PocParams::dim`]:
//!    tile `t` starts as the values of [`tile_seed`]`(key, t, 0)` and is multiplied
//!    [`PocParams::gen_rounds`] times by fresh values ([`tile_seed`]`(key, t, round)`), each
//!    product reduced back to small values by [`reduce`]. The pool is what the prover holds in
//!    memory through the window; a verifier never builds it (it rebuilds the few tiles a sample
//!    touches);
//! 2. computes *nonces* `0, 1, 2, ...` until the window closes: nonce `n` starts from a
//!    [`PocParams::rows`] x `dim` matrix of the values of [`nonce_seed`]`(key, n)` and passes
//!    it through [`PocParams::depth`] layers; layer `i` multiplies it by the pool tile that
//!    [`route`] picks from the matrix's first row (so which tiles a nonce needs is known only
//!    once it is computed) and reduces the product. The nonce's *leaf* is [`leaf`] of its
//!    number and the final matrix's bytes;
//! 3. commits the [`merkle_root`] of its leaves and their count.
//!
//! Every value is an integer in `[-8, 7]` and every inner product has `dim` terms, so each
//! partial sum stays below `dim * 64` in magnitude, far below `2^24`: f32 arithmetic (a CPU's,
//! cuBLAS's, a tensor core's with f32 accumulation, in any order, in any blocking) gives the exact
//! integer. Every honest executor computes the same bits, so one mismatching leaf is a proof of
//! fraud; [`PocParams::check`] refuses parameters for which this would not hold.
//!
//! Once the count is on chain, randomness that did not exist at the commit picks
//! [`PocParams::samples`] leaf indices ([`sample_indices`]); the prover serves each sampled
//! nonce's leaf and Merkle path ([`PocProof`]), and a verifier recomputes the nonce from the seed
//! alone and checks the path against the committed root ([`verify_path`]).

use alloc::{string::String, vec::Vec};
use codec::{Decode, Encode};
use serde::{Deserialize, Serialize};

use crate::blake2_256;

/// The largest magnitude of a value: values are integers in `[-8, 7]`.
pub const VALUE_MAGNITUDE: u32 = 8;

/// The bound below which f32 keeps every integer exactly: `2^24`.
pub const F32_EXACT: u64 = 1 << 24;

/// The safety margin kept below [`F32_EXACT`]: every partial sum of an inner product stays
/// below `F32_EXACT / EXACTNESS_MARGIN` in magnitude.
pub const EXACTNESS_MARGIN: u64 = 16;

/// The parameters of proof of compute, the same for every host of a chain.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, Serialize, Deserialize)]
pub struct PocParams {
	/// The side of a pool tile, and the width of a nonce's matrix (the inner dimension of every
	/// product).
	pub dim: u32,
	/// The rows of a nonce's matrix.
	pub rows: u32,
	/// The layers a nonce passes through.
	pub depth: u32,
	/// The tiles of the pool.
	pub pool_tiles: u32,
	/// How many products build a pool tile (at least one).
	pub gen_rounds: u32,
	/// How many leaves a verifier samples from each commitment.
	pub samples: u32,
}

impl PocParams {
	/// The parameters the runtime ships with: tiles of side 128, 32-row nonces through 4
	/// layers of a 64-tile pool (4 MiB), 64 samples per commitment. Small, so that CPU hosts
	/// (dev and test networks) take part.
	pub const SMALL: Self =
		Self { dim: 128, rows: 32, depth: 4, pool_tiles: 64, gen_rounds: 2, samples: 64 };

	/// The parameters for a network of GPUs (raised to by a runtime upgrade): 128-row nonces
	/// through 8 layers of a 4,096-tile pool (256 MiB at f32).
	pub const LARGE: Self =
		Self { dim: 128, rows: 128, depth: 8, pool_tiles: 4096, gen_rounds: 2, samples: 64 };
}

/// Why [`PocParams`] are refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ParamsError {
	/// A parameter is zero.
	Zero,
	/// `dim` is not a multiple of 8.
	Alignment,
	/// An inner product's partial sums could reach the margin below `2^24`.
	Inexact,
	/// The pool or a nonce's matrix would not fit in memory (over 2^32 values).
	TooLarge,
}

impl core::fmt::Display for ParamsError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str(match self {
			Self::Zero => "every proof-of-compute parameter must be positive",
			Self::Alignment => "the tile side must be a multiple of 8",
			Self::Inexact => "the tile side is too large for f32 products to stay exact",
			Self::TooLarge => "the pool or a nonce's matrix is too large",
		})
	}
}

impl PocParams {
	/// Checks that the parameters are usable and that every product stays exact in f32.
	pub fn check(&self) -> Result<(), ParamsError> {
		let Self { dim, rows, depth, pool_tiles, gen_rounds, samples } = *self;
		if [dim, rows, depth, pool_tiles, gen_rounds, samples].contains(&0) {
			return Err(ParamsError::Zero);
		}
		if dim % 8 != 0 {
			return Err(ParamsError::Alignment);
		}
		let bound = u64::from(dim) * u64::from(VALUE_MAGNITUDE * VALUE_MAGNITUDE);
		if bound >= F32_EXACT / EXACTNESS_MARGIN {
			return Err(ParamsError::Inexact);
		}
		let tile = u64::from(dim) * u64::from(dim);
		if tile * u64::from(pool_tiles) > u64::from(u32::MAX)
			|| u64::from(rows) * u64::from(dim) > u64::from(u32::MAX)
		{
			return Err(ParamsError::TooLarge);
		}
		Ok(())
	}

	/// The values in one pool tile.
	pub fn tile_values(&self) -> usize {
		self.dim as usize * self.dim as usize
	}

	/// The values in one nonce's matrix.
	pub fn nonce_values(&self) -> usize {
		self.rows as usize * self.dim as usize
	}

	/// The bytes the pool takes at one byte per value (an executor may store it wider, e.g. as
	/// f32 for its matrix library: four times this).
	pub fn pool_bytes(&self) -> u64 {
		self.tile_values() as u64 * u64::from(self.pool_tiles)
	}

	/// The multiply-adds of one nonce (committed work): `depth * rows * dim * dim`.
	pub fn nonce_macs(&self) -> u64 {
		u64::from(self.depth) * u64::from(self.rows) * u64::from(self.dim) * u64::from(self.dim)
	}

	/// The multiply-adds of building one pool tile: `gen_rounds * dim^3`.
	pub fn tile_macs(&self) -> u64 {
		u64::from(self.gen_rounds) * u64::from(self.dim).pow(3)
	}
}

/// A host's key for a window: BLAKE2-256 of `"daya/poc/key"`, the window's seed and the host's
/// 32-byte account.
pub fn host_key(seed: &[u8; 32], host: &[u8; 32]) -> [u8; 32] {
	hash_parts(&[b"daya/poc/key", seed, host])
}

/// The seed of the values of pool tile `tile`, round `round` (round 0 is the tile's start).
pub fn tile_seed(key: &[u8; 32], tile: u32, round: u32) -> [u8; 32] {
	hash_parts(&[b"daya/poc/tile", key, &tile.to_le_bytes(), &round.to_le_bytes()])
}

/// The seed of nonce `nonce`'s starting matrix.
pub fn nonce_seed(key: &[u8; 32], nonce: u64) -> [u8; 32] {
	hash_parts(&[b"daya/poc/nonce", key, &nonce.to_le_bytes()])
}

/// Fills `out` with values in `[-8, 7]` drawn from `seed`: BLAKE2-256 of the seed and a
/// block counter (8 little-endian bytes) gives 64 values per block, two per byte, low nibble
/// first, each nibble less 8.
pub fn fill_values(seed: &[u8; 32], out: &mut [i8]) {
	for (block, chunk) in out.chunks_mut(64).enumerate() {
		let bytes = hash_parts(&[seed, &(block as u64).to_le_bytes()]);
		for (i, value) in chunk.iter_mut().enumerate() {
			let byte = bytes[i / 2];
			let nibble = if i % 2 == 0 { byte & 0x0f } else { byte >> 4 };
			*value = nibble as i8 - 8;
		}
	}
}

/// Reduces an exact product entry back to a value in `[-8, 7]`: its residue modulo 16, less 8.
pub fn reduce(entry: i32) -> i8 {
	entry.rem_euclid(16) as i8 - 8
}

/// The tile that layer `layer` of a nonce multiplies by, picked from the matrix's first row
/// (`dim` values): BLAKE2-256 of `"daya/poc/route"`, the layer and the row, its first 8 bytes
/// as a little-endian `u64`, modulo the pool's size.
pub fn route(first_row: &[i8], layer: u32, pool_tiles: u32) -> u32 {
	let row: Vec<u8> = first_row.iter().map(|v| *v as u8).collect();
	let digest = hash_parts(&[b"daya/poc/route", &layer.to_le_bytes(), &row]);
	(u64_le(&digest) % u64::from(pool_tiles.max(1))) as u32
}

/// The leaf of nonce `nonce` whose final matrix is `output` (its values, row after row): the
/// hash of `0x00`, the nonce (8 little-endian bytes) and the values as bytes.
pub fn leaf(nonce: u64, output: &[i8]) -> [u8; 32] {
	let bytes: Vec<u8> = output.iter().map(|v| *v as u8).collect();
	hash_parts(&[&[0u8], &nonce.to_le_bytes(), &bytes])
}

fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
	hash_parts(&[&[1u8], left, right])
}

/// The Merkle root of `leaves`: pairs are hashed with a `0x01` prefix, an odd node at the end of
/// a level moves up unchanged, and the root is the hash of `0x02`, the count (8 little-endian
/// bytes) and the top node (all zeros for no leaf). The count is in the root, so a root stands
/// for one tree shape only, and a path's shape is known from the index and the count.
pub fn merkle_root(leaves: &[[u8; 32]]) -> [u8; 32] {
	let mut level = leaves.to_vec();
	while level.len() > 1 {
		level = next_level(&level);
	}
	sealed(leaves.len() as u64, &level.first().copied().unwrap_or([0; 32]))
}

fn sealed(count: u64, top: &[u8; 32]) -> [u8; 32] {
	hash_parts(&[&[2u8], &count.to_le_bytes(), top])
}

fn next_level(level: &[[u8; 32]]) -> Vec<[u8; 32]> {
	level
		.chunks(2)
		.map(|pair| if pair.len() == 2 { node(&pair[0], &pair[1]) } else { pair[0] })
		.collect()
}

/// The Merkle tree of a window's leaves, every level kept, to serve paths.
#[derive(Clone, Debug, Default)]
pub struct MerkleTree {
	levels: Vec<Vec<[u8; 32]>>,
}

impl MerkleTree {
	/// Builds the tree of `leaves`.
	pub fn new(leaves: Vec<[u8; 32]>) -> Self {
		let mut levels = alloc::vec![leaves];
		while levels.last().is_some_and(|level| level.len() > 1) {
			let next = next_level(levels.last().expect("checked above"));
			levels.push(next);
		}
		Self { levels }
	}

	/// The number of leaves.
	pub fn count(&self) -> u64 {
		self.levels.first().map_or(0, |leaves| leaves.len() as u64)
	}

	/// The root ([`merkle_root`] of the leaves).
	pub fn root(&self) -> [u8; 32] {
		let top = self.levels.last().and_then(|level| level.first().copied());
		sealed(self.count(), &top.unwrap_or([0; 32]))
	}

	/// Leaf `index`, if there is one.
	pub fn leaf(&self, index: u64) -> Option<[u8; 32]> {
		self.levels.first()?.get(usize::try_from(index).ok()?).copied()
	}

	/// The path of leaf `index`: its siblings from the bottom up, skipping the levels where it
	/// moves up alone.
	pub fn path(&self, index: u64) -> Option<Vec<[u8; 32]>> {
		let mut position = usize::try_from(index).ok()?;
		if position >= self.levels.first()?.len() {
			return None;
		}
		let mut path = Vec::new();
		for level in &self.levels[..self.levels.len() - 1] {
			let sibling = position ^ 1;
			if let Some(hash) = level.get(sibling) {
				path.push(*hash);
			}
			position /= 2;
		}
		Some(path)
	}
}

/// Whether `path` proves that `leaf` is leaf `index` of a tree of `count` leaves whose root is
/// `root` ([`MerkleTree::path`]'s shape; any other length is refused).
pub fn verify_path(
	root: &[u8; 32],
	count: u64,
	index: u64,
	leaf: &[u8; 32],
	path: &[[u8; 32]],
) -> bool {
	if index >= count {
		return false;
	}
	let (mut hash, mut position, mut width, mut siblings) = (*leaf, index, count, path.iter());
	while width > 1 {
		if position ^ 1 < width {
			let Some(sibling) = siblings.next() else { return false };
			hash = if position % 2 == 0 { node(&hash, sibling) } else { node(sibling, &hash) };
		}
		position /= 2;
		width = width.div_ceil(2);
	}
	siblings.next().is_none() && sealed(count, &hash) == *root
}

/// The leaf indices a verifier samples from a commitment of `count` leaves: BLAKE2-256 of
/// `"daya/poc/sample"`, the sampling seed, the host and the sample's number `i`, its first 8
/// bytes as a little-endian `u64`, modulo `count`, for `i` in `0..samples` (repeats allowed;
/// none when `count` is 0).
pub fn sample_indices(
	sample_seed: &[u8; 32],
	host: &[u8; 32],
	count: u64,
	samples: u32,
) -> Vec<u64> {
	if count == 0 {
		return Vec::new();
	}
	(0..samples)
		.map(|i| {
			let digest = hash_parts(&[b"daya/poc/sample", sample_seed, host, &i.to_le_bytes()]);
			u64_le(&digest) % count
		})
		.collect()
}

/// The probability, in parts per million, that `samples` independent samples all miss a
/// commitment whose leaves are wrong in a share `bad_ppm` (parts per million): `(1 - bad)^samples`,
/// rounded up. Integer arithmetic, for the docs and the chain's parameters.
pub fn miss_ppm(bad_ppm: u32, samples: u32) -> u32 {
	let good = 1_000_000u64.saturating_sub(u64::from(bad_ppm));
	let mut miss: u64 = 1_000_000_000_000; // in parts per 10^12
	for _ in 0..samples {
		miss = (miss * good).div_ceil(1_000_000);
	}
	miss.div_ceil(1_000_000) as u32
}

fn hash_parts(parts: &[&[u8]]) -> [u8; 32] {
	let mut data = Vec::with_capacity(parts.iter().map(|part| part.len()).sum());
	for part in parts {
		data.extend_from_slice(part);
	}
	blake2_256(&data)
}

fn u64_le(digest: &[u8; 32]) -> u64 {
	let mut bytes = [0u8; 8];
	bytes.copy_from_slice(&digest[..8]);
	u64::from_le_bytes(bytes)
}

/// One sampled nonce as its prover serves it: its leaf and Merkle path.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PocProof {
	/// The nonce (its leaf's index).
	pub nonce: u64,
	/// Its leaf, hex.
	pub leaf: String,
	/// Its Merkle path, bottom up, hex.
	pub path: Vec<String>,
}

/// `POST /v1/poc/start`: start computing a window for a host.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PocStart {
	/// The protocol's version.
	#[serde(default)]
	pub version: u32,
	/// The window's number on chain.
	pub window: u32,
	/// The window's seed (32 bytes, hex).
	pub seed: String,
	/// The host's account (32 bytes, hex).
	pub host: String,
	/// The chain's parameters.
	pub params: PocParams,
}

/// `POST /v1/poc/seal`: stop computing a window and commit to what was computed.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PocSeal {
	/// The protocol's version.
	#[serde(default)]
	pub version: u32,
	/// The window's number on chain.
	pub window: u32,
	/// The host's account (32 bytes, hex).
	pub host: String,
}

/// Where a window's run is.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PocState {
	/// Building the pool or computing nonces.
	Computing,
	/// Sealed: the count and root are final, and sampled proofs are served.
	Sealed,
}

/// A window's run, as `POST /v1/poc/start`, `POST /v1/poc/seal` and `GET /v1/poc/status`
/// answer.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PocStatus {
	/// The protocol's version.
	#[serde(default)]
	pub version: u32,
	/// The window's number on chain.
	pub window: u32,
	/// The host's account, hex.
	pub host: String,
	/// Computing or sealed.
	pub state: PocState,
	/// Nonces computed (final once sealed).
	pub count: u64,
	/// The Merkle root of the leaves (hex), once sealed.
	pub root: Option<String>,
}

/// `GET /v1/poc/proofs?window=W&host=H&nonces=A,B,...`: the sampled nonces' proofs.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PocProofs {
	/// The protocol's version.
	#[serde(default)]
	pub version: u32,
	/// The window's number on chain.
	pub window: u32,
	/// The host's account, hex.
	pub host: String,
	/// The committed count.
	pub count: u64,
	/// The committed root, hex.
	pub root: String,
	/// One proof per nonce asked, in the order asked.
	pub proofs: Vec<PocProof>,
}

/// `POST /v1/poc/verify`: recompute a commitment's sampled nonces and check their paths.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PocVerifyRequest {
	/// The protocol's version.
	#[serde(default)]
	pub version: u32,
	/// The window's seed, hex.
	pub seed: String,
	/// The prover's account, hex.
	pub host: String,
	/// The chain's parameters.
	pub params: PocParams,
	/// The committed root, hex.
	pub root: String,
	/// The committed count.
	pub count: u64,
	/// The seed that picks the samples ([`sample_indices`]), hex.
	pub sample_seed: String,
	/// The prover's proofs of the sampled nonces.
	pub proofs: Vec<PocProof>,
}

/// A verifier's verdict on a commitment.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, Encode, Decode)]
#[serde(rename_all = "snake_case")]
pub enum PocVerdict {
	/// Every sampled leaf recomputes and its path reaches the root.
	Valid,
	/// Nonce `nonce` recomputes to another leaf, or its path does not reach the root: one
	/// mismatch is a proof of fraud.
	Invalid {
		/// The first nonce that failed.
		nonce: u64,
	},
	/// The prover did not serve a sampled nonce's proof.
	Missing {
		/// The first sampled nonce without a proof.
		nonce: u64,
	},
}

/// The answer to `POST /v1/poc/verify`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PocVerifyResponse {
	/// The protocol's version.
	#[serde(default)]
	pub version: u32,
	/// The verdict.
	pub verdict: PocVerdict,
	/// Samples recomputed.
	pub samples: u32,
	/// Time spent recomputing, in microseconds.
	pub micros: u64,
}

#[cfg(test)]
mod tests {
	use super::*;

	fn leaves(n: u64) -> Vec<[u8; 32]> {
		(0..n).map(|i| blake2_256(&i.to_le_bytes())).collect()
	}

	#[test]
	fn every_path_of_every_tree_size_verifies_and_nothing_else_does() {
		for count in 1..=33u64 {
			let tree = MerkleTree::new(leaves(count));
			assert_eq!(tree.root(), merkle_root(&leaves(count)));
			for index in 0..count {
				let leaf = tree.leaf(index).unwrap();
				let path = tree.path(index).unwrap();
				assert!(verify_path(&tree.root(), count, index, &leaf, &path), "{count} {index}");
				// Another leaf, index, count or a truncated or extended path fails.
				assert!(!verify_path(&tree.root(), count, index, &[7; 32], &path));
				if count > 1 {
					assert!(!verify_path(&tree.root(), count, (index + 1) % count, &leaf, &path));
					assert!(
						!verify_path(&tree.root(), count + 1, index, &leaf, &path),
						"count {count} index {index}"
					);
					assert!(!verify_path(&tree.root(), count, index, &leaf, &path[1..]));
				}
				let mut longer = path.clone();
				longer.push([0; 32]);
				assert!(!verify_path(&tree.root(), count, index, &leaf, &longer));
			}
			assert!(!verify_path(&tree.root(), count, count, &leaves(1)[0], &[]));
			assert!(tree.path(count).is_none());
		}
		assert_eq!(merkle_root(&[]), MerkleTree::new(Vec::new()).root());
	}

	#[test]
	fn values_cover_the_range_evenly_and_reduce_stays_in_it() {
		let mut values = alloc::vec![0i8; 64 * 1000];
		fill_values(&[3; 32], &mut values);
		let mut counts = [0u32; 16];
		for value in &values {
			assert!((-8..=7).contains(value));
			counts[(*value + 8) as usize] += 1;
		}
		for count in counts {
			assert!((3_600..4_400).contains(&count), "{counts:?}");
		}
		for entry in [-70_000, -17, -16, -1, 0, 1, 15, 16, 70_000] {
			assert!((-8..=7).contains(&reduce(entry)));
		}
		assert_eq!(reduce(-1), 7);
		assert_eq!(reduce(16), -8);
		// A prefix of a longer draw is the shorter draw.
		let mut short = alloc::vec![0i8; 100];
		fill_values(&[3; 32], &mut short);
		assert_eq!(short[..], values[..100]);
	}

	#[test]
	fn parameters_must_keep_f32_exact() {
		let good =
			PocParams { dim: 128, rows: 128, depth: 8, pool_tiles: 64, gen_rounds: 2, samples: 59 };
		assert_eq!(good.check(), Ok(()));
		assert_eq!(PocParams { samples: 0, ..good }.check(), Err(ParamsError::Zero));
		assert_eq!(PocParams { dim: 100, ..good }.check(), Err(ParamsError::Alignment));
		// 2^24 / 16 / 64 = 16,384: from there a partial sum could come within the margin.
		assert_eq!(PocParams { dim: 16_384, ..good }.check(), Err(ParamsError::Inexact));
		assert_eq!(PocParams { dim: 16_376, pool_tiles: 1, ..good }.check(), Ok(()));
		assert_eq!(PocParams { pool_tiles: u32::MAX, ..good }.check(), Err(ParamsError::TooLarge));
	}

	#[test]
	fn samples_are_keyed_to_the_host_and_in_range() {
		let a = sample_indices(&[1; 32], &[2; 32], 1000, 59);
		let b = sample_indices(&[1; 32], &[3; 32], 1000, 59);
		assert_eq!(a.len(), 59);
		assert!(a.iter().all(|i| *i < 1000));
		assert_ne!(a, b);
		assert!(sample_indices(&[1; 32], &[2; 32], 0, 59).is_empty());
	}

	#[test]
	fn fifty_nine_samples_catch_five_percent_padding_at_least_95_percent_of_the_time() {
		// (1 - 0.05)^59 = 0.0485: missed at most 4.85% of the time.
		assert!(miss_ppm(50_000, 59) <= 50_000);
		assert!(miss_ppm(50_000, 58) > 50_000);
		assert_eq!(miss_ppm(0, 59), 1_000_000);
		assert_eq!(miss_ppm(1_000_000, 1), 0);
	}

	#[test]
	fn keys_differ_per_host_and_seed() {
		assert_ne!(host_key(&[1; 32], &[2; 32]), host_key(&[1; 32], &[3; 32]));
		assert_ne!(host_key(&[1; 32], &[2; 32]), host_key(&[4; 32], &[2; 32]));
		let key = host_key(&[1; 32], &[2; 32]);
		assert_ne!(tile_seed(&key, 0, 0), tile_seed(&key, 0, 1));
		assert_ne!(tile_seed(&key, 1, 0), tile_seed(&key, 0, 0));
		assert_ne!(nonce_seed(&key, 0), nonce_seed(&key, 1));
		assert!(route(&[1; 128], 0, 64) < 64);
	}
}
