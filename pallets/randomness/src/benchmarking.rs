//! Benchmark of the seed's refresh, with whatever relay data the runtime's [`crate::RelaySource`]
//! finds (the runtime's benchmark setup gives it a relay state proof, see its
//! `RelaySource` implementation).

use crate::*;
use polkadot_sdk::frame_benchmarking::v2::*;

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn refresh() {
		#[block]
		{
			Pallet::<T>::refresh();
		}

		assert!(Seed::<T>::get().is_some());
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
