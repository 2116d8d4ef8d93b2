// This file is part of Daya.
// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_daya_compute`
//!
//! NOT YET BENCHMARKED: these are conservative placeholders, written by hand in the format the
//! benchmark CLI generates, until the runtime exposes benchmarks. Each weight is a base execution
//! time (20 to 40 µs, plus 12 to 25 µs per served model `s` for calls that touch the selection
//! index) plus the database reads and writes the call makes, and a proof size equal to the
//! worst-case encoded size (`MaxEncodedLen`, plus trie overhead) of what it reads, assuming
//! `MaxEndpointLen = 128`, `MaxGpus = 8`, `MaxGpuNameLen = 32`, `MaxServedModels = 8`,
//! `MaxHostsPerModel = 256`, 32-byte account ids, a `u128` balance, a `u32` block number, at most
//! four hold reasons in the runtime, and the model registry of `pallet_daya_models`.
//!
//! Calls whose cost depends on the host's served models take their number `s`: the actual one
//! for `register_host`, and `MaxServedModels` (the worst case) for the others.
//!
//! Regenerate this file from the benchmarks in `benchmarking.rs` once the runtime exposes them:
//!
//! ```text
//! frame-omni-bencher v1 benchmark pallet \
//!     --runtime <path to the daya runtime wasm, built with --features runtime-benchmarks> \
//!     --pallet pallet_daya_compute --extrinsic "*" \
//!     --steps 50 --repeat 20 --heap-pages 4096 \
//!     --output pallets/compute/src/weights.rs
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

/// Weight functions needed for `pallet_daya_compute`.
pub trait WeightInfo {
	fn register_host(s: u32, ) -> Weight;
	fn update_host(s: u32, ) -> Weight;
	fn bond_more() -> Weight;
	fn unbond(s: u32, ) -> Weight;
	fn withdraw_unbonded() -> Weight;
	fn chill(s: u32, ) -> Weight;
	fn unchill(s: u32, ) -> Weight;
}

/// Weights for `pallet_daya_compute` using the Substrate node and recommended hardware.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Compute::Hosts` (r:1 w:1)
	/// Proof: `Compute::Hosts` (`max_values`: None, `max_size`: Some(577), added: 3052, mode: `MaxEncodedLen`)
	/// Storage: `Compute::CounterForHosts` (r:1 w:1)
	/// Proof: `Compute::CounterForHosts` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Models::Models` (r:s w:0)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(482), added: 2957, mode: `MaxEncodedLen`)
	/// Storage: `Compute::HostsByModel` (r:s w:s)
	/// Proof: `Compute::HostsByModel` (`max_values`: None, `max_size`: Some(10254), added: 12729, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(121), added: 2596, mode: `MaxEncodedLen`)
	/// The range of component `s` is `[1, 8]`.
	fn register_host(s: u32, ) -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `8750 + s * (15686 ±0)`
		// Minimum execution time: 40_000_000 picoseconds.
		Weight::from_parts(40_000_000, 8750)
			// Standard Error: 0
			.saturating_add(Weight::from_parts(15_000_000, 0).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes(4_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 15686).saturating_mul(s.into()))
	}
	/// Storage: `Compute::Hosts` (r:1 w:1)
	/// Proof: `Compute::Hosts` (`max_values`: None, `max_size`: Some(577), added: 3052, mode: `MaxEncodedLen`)
	/// Storage: `Models::Models` (r:s w:0)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(482), added: 2957, mode: `MaxEncodedLen`)
	/// Storage: `Compute::HostsByModel` (r:2s w:2s)
	/// Proof: `Compute::HostsByModel` (`max_values`: None, `max_size`: Some(10254), added: 12729, mode: `MaxEncodedLen`)
	/// The range of component `s` is `[1, 8]`.
	fn update_host(s: u32, ) -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `3052 + s * (28415 ±0)`
		// Minimum execution time: 30_000_000 picoseconds.
		Weight::from_parts(30_000_000, 3052)
			// Standard Error: 0
			.saturating_add(Weight::from_parts(25_000_000, 0).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 28415).saturating_mul(s.into()))
	}
	/// Storage: `Compute::Hosts` (r:1 w:1)
	/// Proof: `Compute::Hosts` (`max_values`: None, `max_size`: Some(577), added: 3052, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(121), added: 2596, mode: `MaxEncodedLen`)
	fn bond_more() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `8251`
		// Minimum execution time: 30_000_000 picoseconds.
		Weight::from_parts(30_000_000, 8251)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Compute::Hosts` (r:1 w:1)
	/// Proof: `Compute::Hosts` (`max_values`: None, `max_size`: Some(577), added: 3052, mode: `MaxEncodedLen`)
	/// Storage: `Compute::HostsByModel` (r:s w:s)
	/// Proof: `Compute::HostsByModel` (`max_values`: None, `max_size`: Some(10254), added: 12729, mode: `MaxEncodedLen`)
	/// The range of component `s` is `[1, 8]`.
	fn unbond(s: u32, ) -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `3052 + s * (12729 ±0)`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 3052)
			// Standard Error: 0
			.saturating_add(Weight::from_parts(12_000_000, 0).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 12729).saturating_mul(s.into()))
	}
	/// Storage: `Compute::Hosts` (r:1 w:1)
	/// Proof: `Compute::Hosts` (`max_values`: None, `max_size`: Some(577), added: 3052, mode: `MaxEncodedLen`)
	/// Storage: `Compute::CounterForHosts` (r:1 w:1)
	/// Proof: `Compute::CounterForHosts` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(121), added: 2596, mode: `MaxEncodedLen`)
	fn withdraw_unbonded() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `8750`
		// Minimum execution time: 40_000_000 picoseconds.
		Weight::from_parts(40_000_000, 8750)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `Compute::Hosts` (r:1 w:1)
	/// Proof: `Compute::Hosts` (`max_values`: None, `max_size`: Some(577), added: 3052, mode: `MaxEncodedLen`)
	/// Storage: `Compute::HostsByModel` (r:s w:s)
	/// Proof: `Compute::HostsByModel` (`max_values`: None, `max_size`: Some(10254), added: 12729, mode: `MaxEncodedLen`)
	/// The range of component `s` is `[1, 8]`.
	fn chill(s: u32, ) -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `3052 + s * (12729 ±0)`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 3052)
			// Standard Error: 0
			.saturating_add(Weight::from_parts(12_000_000, 0).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 12729).saturating_mul(s.into()))
	}
	/// Storage: `Compute::Hosts` (r:1 w:1)
	/// Proof: `Compute::Hosts` (`max_values`: None, `max_size`: Some(577), added: 3052, mode: `MaxEncodedLen`)
	/// Storage: `Compute::HostsByModel` (r:s w:s)
	/// Proof: `Compute::HostsByModel` (`max_values`: None, `max_size`: Some(10254), added: 12729, mode: `MaxEncodedLen`)
	/// The range of component `s` is `[1, 8]`.
	fn unchill(s: u32, ) -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `3052 + s * (12729 ±0)`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 3052)
			// Standard Error: 0
			.saturating_add(Weight::from_parts(12_000_000, 0).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 12729).saturating_mul(s.into()))
	}
}

// For backwards compatibility and tests.
impl WeightInfo for () {
	/// Storage: `Compute::Hosts` (r:1 w:1)
	/// Proof: `Compute::Hosts` (`max_values`: None, `max_size`: Some(577), added: 3052, mode: `MaxEncodedLen`)
	/// Storage: `Compute::CounterForHosts` (r:1 w:1)
	/// Proof: `Compute::CounterForHosts` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Models::Models` (r:s w:0)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(482), added: 2957, mode: `MaxEncodedLen`)
	/// Storage: `Compute::HostsByModel` (r:s w:s)
	/// Proof: `Compute::HostsByModel` (`max_values`: None, `max_size`: Some(10254), added: 12729, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(121), added: 2596, mode: `MaxEncodedLen`)
	/// The range of component `s` is `[1, 8]`.
	fn register_host(s: u32, ) -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `8750 + s * (15686 ±0)`
		// Minimum execution time: 40_000_000 picoseconds.
		Weight::from_parts(40_000_000, 8750)
			// Standard Error: 0
			.saturating_add(Weight::from_parts(15_000_000, 0).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().reads((2_u64).saturating_mul(s.into())))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 15686).saturating_mul(s.into()))
	}
	/// Storage: `Compute::Hosts` (r:1 w:1)
	/// Proof: `Compute::Hosts` (`max_values`: None, `max_size`: Some(577), added: 3052, mode: `MaxEncodedLen`)
	/// Storage: `Models::Models` (r:s w:0)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(482), added: 2957, mode: `MaxEncodedLen`)
	/// Storage: `Compute::HostsByModel` (r:2s w:2s)
	/// Proof: `Compute::HostsByModel` (`max_values`: None, `max_size`: Some(10254), added: 12729, mode: `MaxEncodedLen`)
	/// The range of component `s` is `[1, 8]`.
	fn update_host(s: u32, ) -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `3052 + s * (28415 ±0)`
		// Minimum execution time: 30_000_000 picoseconds.
		Weight::from_parts(30_000_000, 3052)
			// Standard Error: 0
			.saturating_add(Weight::from_parts(25_000_000, 0).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().reads((3_u64).saturating_mul(s.into())))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().writes((2_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 28415).saturating_mul(s.into()))
	}
	/// Storage: `Compute::Hosts` (r:1 w:1)
	/// Proof: `Compute::Hosts` (`max_values`: None, `max_size`: Some(577), added: 3052, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(121), added: 2596, mode: `MaxEncodedLen`)
	fn bond_more() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `8251`
		// Minimum execution time: 30_000_000 picoseconds.
		Weight::from_parts(30_000_000, 8251)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	/// Storage: `Compute::Hosts` (r:1 w:1)
	/// Proof: `Compute::Hosts` (`max_values`: None, `max_size`: Some(577), added: 3052, mode: `MaxEncodedLen`)
	/// Storage: `Compute::HostsByModel` (r:s w:s)
	/// Proof: `Compute::HostsByModel` (`max_values`: None, `max_size`: Some(10254), added: 12729, mode: `MaxEncodedLen`)
	/// The range of component `s` is `[1, 8]`.
	fn unbond(s: u32, ) -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `3052 + s * (12729 ±0)`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 3052)
			// Standard Error: 0
			.saturating_add(Weight::from_parts(12_000_000, 0).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(s.into())))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 12729).saturating_mul(s.into()))
	}
	/// Storage: `Compute::Hosts` (r:1 w:1)
	/// Proof: `Compute::Hosts` (`max_values`: None, `max_size`: Some(577), added: 3052, mode: `MaxEncodedLen`)
	/// Storage: `Compute::CounterForHosts` (r:1 w:1)
	/// Proof: `Compute::CounterForHosts` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(121), added: 2596, mode: `MaxEncodedLen`)
	fn withdraw_unbonded() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `8750`
		// Minimum execution time: 40_000_000 picoseconds.
		Weight::from_parts(40_000_000, 8750)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	/// Storage: `Compute::Hosts` (r:1 w:1)
	/// Proof: `Compute::Hosts` (`max_values`: None, `max_size`: Some(577), added: 3052, mode: `MaxEncodedLen`)
	/// Storage: `Compute::HostsByModel` (r:s w:s)
	/// Proof: `Compute::HostsByModel` (`max_values`: None, `max_size`: Some(10254), added: 12729, mode: `MaxEncodedLen`)
	/// The range of component `s` is `[1, 8]`.
	fn chill(s: u32, ) -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `3052 + s * (12729 ±0)`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 3052)
			// Standard Error: 0
			.saturating_add(Weight::from_parts(12_000_000, 0).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(s.into())))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 12729).saturating_mul(s.into()))
	}
	/// Storage: `Compute::Hosts` (r:1 w:1)
	/// Proof: `Compute::Hosts` (`max_values`: None, `max_size`: Some(577), added: 3052, mode: `MaxEncodedLen`)
	/// Storage: `Compute::HostsByModel` (r:s w:s)
	/// Proof: `Compute::HostsByModel` (`max_values`: None, `max_size`: Some(10254), added: 12729, mode: `MaxEncodedLen`)
	/// The range of component `s` is `[1, 8]`.
	fn unchill(s: u32, ) -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0`
		//  Estimated: `3052 + s * (12729 ±0)`
		// Minimum execution time: 20_000_000 picoseconds.
		Weight::from_parts(20_000_000, 3052)
			// Standard Error: 0
			.saturating_add(Weight::from_parts(12_000_000, 0).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(s.into())))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 12729).saturating_mul(s.into()))
	}
}
