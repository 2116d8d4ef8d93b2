// This file is part of Daya.
// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_daya_inference`
//!
//! NOT YET BENCHMARKED: conservative placeholders in the format the benchmark CLI generates,
//! until they are regenerated from `benchmarking.rs` with `daya-node benchmark pallet` (see
//! `docs/operators.md`). Each is a base execution time plus the database reads and writes the
//! call makes, with a proof size from the worst-case encoded size of what it reads.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]
#![allow(dead_code)]

use polkadot_sdk::{frame_support, frame_system};
use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_daya_inference`.
pub trait WeightInfo {
	fn submit_job(p: u32, ) -> Weight;
	fn submit_result(o: u32, ) -> Weight;
	fn submit_verdict_pass() -> Weight;
	fn submit_verdict_accuse() -> Weight;
	fn submit_verdict_decide() -> Weight;
	fn cancel_job() -> Weight;
	fn on_initialize_sample(n: u32, ) -> Weight;
	fn on_initialize_deadlines(n: u32, ) -> Weight;
	fn prune_outcome() -> Weight;
}

/// Weights for `pallet_daya_inference` using the Substrate node and recommended hardware.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn submit_job(p: u32, ) -> Weight {
		Weight::from_parts(120_000_000, 12_000)
			.saturating_add(Weight::from_parts(1_500, 1).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads(9_u64))
			.saturating_add(T::DbWeight::get().writes(7_u64))
	}
	fn submit_result(o: u32, ) -> Weight {
		Weight::from_parts(60_000_000, 8_000)
			.saturating_add(Weight::from_parts(1_500, 0).saturating_mul(o.into()))
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn submit_verdict_pass() -> Weight {
		Weight::from_parts(150_000_000, 16_000)
			.saturating_add(T::DbWeight::get().reads(14_u64))
			.saturating_add(T::DbWeight::get().writes(12_u64))
	}
	fn submit_verdict_accuse() -> Weight {
		Weight::from_parts(150_000_000, 16_000)
			.saturating_add(T::DbWeight::get().reads(12_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	fn submit_verdict_decide() -> Weight {
		Weight::from_parts(300_000_000, 24_000)
			.saturating_add(T::DbWeight::get().reads(24_u64))
			.saturating_add(T::DbWeight::get().writes(20_u64))
	}
	fn cancel_job() -> Weight {
		Weight::from_parts(60_000_000, 8_000)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(8_u64))
	}
	fn on_initialize_sample(n: u32, ) -> Weight {
		Weight::from_parts(10_000_000, 2_000)
			.saturating_add(Weight::from_parts(150_000_000, 16_000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().reads((14_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((12_u64).saturating_mul(n.into())))
	}
	fn on_initialize_deadlines(n: u32, ) -> Weight {
		Weight::from_parts(10_000_000, 2_000)
			.saturating_add(Weight::from_parts(300_000_000, 24_000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().reads((24_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((20_u64).saturating_mul(n.into())))
	}
	fn prune_outcome() -> Weight {
		Weight::from_parts(10_000_000, 3_000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
}

// For backwards compatibility and tests.
impl WeightInfo for () {
	fn submit_job(p: u32, ) -> Weight {
		Weight::from_parts(120_000_000, 12_000)
			.saturating_add(Weight::from_parts(1_500, 1).saturating_mul(p.into()))
			.saturating_add(RocksDbWeight::get().reads(9_u64))
			.saturating_add(RocksDbWeight::get().writes(7_u64))
	}
	fn submit_result(o: u32, ) -> Weight {
		Weight::from_parts(60_000_000, 8_000)
			.saturating_add(Weight::from_parts(1_500, 0).saturating_mul(o.into()))
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn submit_verdict_pass() -> Weight {
		Weight::from_parts(150_000_000, 16_000)
			.saturating_add(RocksDbWeight::get().reads(14_u64))
			.saturating_add(RocksDbWeight::get().writes(12_u64))
	}
	fn submit_verdict_accuse() -> Weight {
		Weight::from_parts(150_000_000, 16_000)
			.saturating_add(RocksDbWeight::get().reads(12_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn submit_verdict_decide() -> Weight {
		Weight::from_parts(300_000_000, 24_000)
			.saturating_add(RocksDbWeight::get().reads(24_u64))
			.saturating_add(RocksDbWeight::get().writes(20_u64))
	}
	fn cancel_job() -> Weight {
		Weight::from_parts(60_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(8_u64))
	}
	fn on_initialize_sample(n: u32, ) -> Weight {
		Weight::from_parts(10_000_000, 2_000)
			.saturating_add(Weight::from_parts(150_000_000, 16_000).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().reads((14_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().writes((12_u64).saturating_mul(n.into())))
	}
	fn on_initialize_deadlines(n: u32, ) -> Weight {
		Weight::from_parts(10_000_000, 2_000)
			.saturating_add(Weight::from_parts(300_000_000, 24_000).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().reads((24_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().writes((20_u64).saturating_mul(n.into())))
	}
	fn prune_outcome() -> Weight {
		Weight::from_parts(10_000_000, 3_000)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
}
