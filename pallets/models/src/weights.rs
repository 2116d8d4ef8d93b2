// This file is part of Daya.
// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_daya_models`
//!
//! NOT YET BENCHMARKED: these are conservative placeholders, written by hand in the format the
//! benchmark CLI generates, until the runtime exposes benchmarks. Each weight is a base of 20 µs
//! of execution plus the database reads and writes the call makes, and a proof size equal to the
//! worst-case encoded size (`MaxEncodedLen`, plus trie overhead) of what it reads, assuming
//! `MaxNameLen = 64`, `MaxSourceLen = 256`, `MaxEngineLen = 32`, a `u128` balance and a `u32`
//! block number.
//!
//! Regenerate this file from the benchmarks in `benchmarking.rs` once the runtime exposes them:
//!
//! ```text
//! frame-omni-bencher v1 benchmark pallet \
//!     --runtime <path to the daya runtime wasm, built with --features runtime-benchmarks> \
//!     --pallet pallet_daya_models --extrinsic "*" \
//!     --steps 50 --repeat 20 --heap-pages 4096 \
//!     --output pallets/models/src/weights.rs
//! ```
//!
//! The template must import `frame_support` and `frame_system` through `polkadot_sdk`, as below.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]
#![allow(dead_code)]

use polkadot_sdk::{frame_support, frame_system};
use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_daya_models`.
pub trait WeightInfo {
	fn register_model() -> Weight;
	fn update_model() -> Weight;
	fn set_price() -> Weight;
	fn deprecate_model() -> Weight;
	fn retire_model() -> Weight;
}

/// Weights for `pallet_daya_models` using the Substrate node and recommended hardware.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Models::ModelIdByName` (r:1 w:1)
	/// Proof: `Models::ModelIdByName` (`max_values`: None, `max_size`: Some(86), added: 2561, mode: `MaxEncodedLen`)
	/// Storage: `Models::CounterForModels` (r:1 w:1)
	/// Proof: `Models::CounterForModels` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Models::NextModelId` (r:1 w:1)
	/// Proof: `Models::NextModelId` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Models::Models` (r:1 w:1)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(482), added: 2957, mode: `MaxEncodedLen`)
	fn register_model() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `6516`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 6516)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `Models::Models` (r:1 w:1)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(482), added: 2957, mode: `MaxEncodedLen`)
	fn update_model() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `2957`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 2957)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Models::Models` (r:1 w:1)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(482), added: 2957, mode: `MaxEncodedLen`)
	fn set_price() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `2957`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 2957)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Models::Models` (r:1 w:1)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(482), added: 2957, mode: `MaxEncodedLen`)
	fn deprecate_model() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `2957`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 2957)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Models::Models` (r:1 w:1)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(482), added: 2957, mode: `MaxEncodedLen`)
	fn retire_model() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `2957`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 2957)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
}

// For backwards compatibility and tests.
impl WeightInfo for () {
	/// Storage: `Models::ModelIdByName` (r:1 w:1)
	/// Proof: `Models::ModelIdByName` (`max_values`: None, `max_size`: Some(86), added: 2561, mode: `MaxEncodedLen`)
	/// Storage: `Models::CounterForModels` (r:1 w:1)
	/// Proof: `Models::CounterForModels` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Models::NextModelId` (r:1 w:1)
	/// Proof: `Models::NextModelId` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Models::Models` (r:1 w:1)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(482), added: 2957, mode: `MaxEncodedLen`)
	fn register_model() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `6516`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 6516)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	/// Storage: `Models::Models` (r:1 w:1)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(482), added: 2957, mode: `MaxEncodedLen`)
	fn update_model() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `2957`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 2957)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	/// Storage: `Models::Models` (r:1 w:1)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(482), added: 2957, mode: `MaxEncodedLen`)
	fn set_price() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `2957`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 2957)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	/// Storage: `Models::Models` (r:1 w:1)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(482), added: 2957, mode: `MaxEncodedLen`)
	fn deprecate_model() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `2957`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 2957)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	/// Storage: `Models::Models` (r:1 w:1)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(482), added: 2957, mode: `MaxEncodedLen`)
	fn retire_model() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `2957`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 2957)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
}
