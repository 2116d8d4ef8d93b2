//! Benchmarks of the model registry's calls, each with worst-case inputs: names, sources and engine
//! hints at their maximum length, and for registration a registry one model short of full.

use crate::{types::bench, *};
use alloc::boxed::Box;
use daya_primitives::ModelStatus;
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::{EnsureOrigin, Get},
};

/// The origin governance calls come from.
fn governance<T: Config>() -> Result<T::RuntimeOrigin, BenchmarkError> {
	T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)
}

/// Registers a model with every bounded field at its maximum length and returns its id.
fn registered_model<T: Config>(seed: u32) -> Result<ModelId, BenchmarkError> {
	Ok(Pallet::<T>::do_register_model(bench::params::<T>(seed))?)
}

fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(event.into());
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_model() -> Result<(), BenchmarkError> {
		let origin = governance::<T>()?;
		// Fill the registry (which may hold genesis models) up to one model short of its bound.
		while Models::<T>::count() < T::MaxModels::get().saturating_sub(1) {
			registered_model::<T>(NextModelId::<T>::get())?;
		}
		let model = NextModelId::<T>::get();
		let params = bench::params::<T>(model);
		let name = params.name.clone();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, Box::new(params));

		assert_eq!(Models::<T>::count(), T::MaxModels::get());
		assert_last_event::<T>(Event::ModelRegistered { model, name, version: 1 });
		Ok(())
	}

	#[benchmark]
	fn update_model() -> Result<(), BenchmarkError> {
		let origin = governance::<T>()?;
		let model = registered_model::<T>(0)?;
		let spec = bench::spec::<T>(2);
		let weights_hash = spec.weights_hash;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model, Box::new(spec));

		assert_last_event::<T>(Event::ModelUpdated { model, version: 2, weights_hash });
		Ok(())
	}

	#[benchmark]
	fn set_price() -> Result<(), BenchmarkError> {
		let origin = governance::<T>()?;
		let model = registered_model::<T>(0)?;
		let price_per_token: BalanceOf<T> = 2_000u32.into();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model, price_per_token);

		assert_last_event::<T>(Event::PriceSet { model, price_per_token });
		Ok(())
	}

	#[benchmark]
	fn deprecate_model() -> Result<(), BenchmarkError> {
		let origin = governance::<T>()?;
		let model = registered_model::<T>(0)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model);

		assert_last_event::<T>(Event::ModelDeprecated { model });
		Ok(())
	}

	#[benchmark]
	fn retire_model() -> Result<(), BenchmarkError> {
		let origin = governance::<T>()?;
		let model = registered_model::<T>(0)?;
		Pallet::<T>::do_deprecate_model(model)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model);

		assert_eq!(Pallet::<T>::model(model).map(|info| info.status), Some(ModelStatus::Retired));
		assert_last_event::<T>(Event::ModelRetired { model });
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
