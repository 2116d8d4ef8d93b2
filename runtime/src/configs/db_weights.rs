// This file is part of Daya.
// SPDX-License-Identifier: Apache-2.0

//! The database's read and write costs (`DbWeight`), measured by a release build of
//! `daya-bench storage` (`benchmark storage` of the benchmark CLI 64.0.0) on 2026-12-06 (Y/M/D):
//! RocksDb holding the development genesis with 100,000 more accounts, CPU `Intel(R) Xeon(R) Processor`,
//! state version `V1`, 1 warm-up round(s), the trie cache
//! off, the proof recorder on (a parachain's blocks record their proof), writes in batches of
//! 1000 keys, each batch committed as a block. Regenerate with
//! `scripts/weights.sh`; do not edit by hand.

#![cfg_attr(rustfmt, rustfmt_skip)]

use polkadot_sdk::{frame_support, sp_weights};
use frame_support::{parameter_types, weights::constants::WEIGHT_REF_TIME_PER_NANOS};
use sp_weights::RuntimeDbWeight;

parameter_types! {
	/// The runtime's database weights: the node's default database, RocksDb.
	pub const RocksDbWeight: RuntimeDbWeight = RuntimeDbWeight {
		// Time to read one storage item: the *Average* of every
		// key's read, times `1.0` plus `0`.
		//
		// Nanoseconds: min 2_213, max 10_096_049,
		// average 18_917, median 18_036,
		// standard deviation 36053.51; 99th percentile 63_912,
		// 95th 25_395, 75th 20_772.
		read: 18_917 * WEIGHT_REF_TIME_PER_NANOS,
		// Time to write one storage item (its share of the block's storage root included):
		// the *Average*, times `1.0`
		// plus `0`.
		//
		// Nanoseconds: min 27_550, max 79_214,
		// average 38_227, median 36_567,
		// standard deviation 6764.42; 99th percentile 54_648,
		// 95th 52_097, 75th 40_050.
		write: 38_227 * WEIGHT_REF_TIME_PER_NANOS,
	};
}
