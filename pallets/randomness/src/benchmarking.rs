//! Benchmark of the seed's refresh, reading the relay data a real block has: the runtime's
//! [`crate::RelaySource::prepare_benchmark`] stores a relay state proof with per-block
//! randomness.

use crate::*;
use polkadot_sdk::frame_benchmarking::v2::*;

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn refresh() {
		T::Relay::prepare_benchmark();

		#[block]
		{
			Pallet::<T>::refresh();
		}

		assert_eq!(Seed::<T>::get().map(|seed| seed.source), Some(SeedSource::RelayVrf));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
