// This file is part of Daya.
// SPDX-License-Identifier: Apache-2.0

//! The database's read and write costs (`DbWeight`), measured by a release build of
//! `daya-bench storage` (`benchmark storage` of the benchmark CLI 64.0.0) on 2026-12-05 (Y/M/D):
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
		// Nanoseconds: min 1_940, max 8_135_586,
		// average 12_278, median 11_549,
		// standard deviation 26330.96; 99th percentile 28_847,
		// 95th 15_555, 75th 12_935.
		read: 12_278 * WEIGHT_REF_TIME_PER_NANOS,
		// Time to write one storage item (its share of the block's storage root included):
		// the *Average*, times `1.0`
		// plus `0`.
		//
		// Nanoseconds: min 25_189, max 81_224,
		// average 42_081, median 42_717,
		// standard deviation 9337.83; 99th percentile 60_121,
		// 95th 56_117, 75th 48_798.
		write: 42_081 * WEIGHT_REF_TIME_PER_NANOS,
	};
}
