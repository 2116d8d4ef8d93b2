//! Benchmarks of the host registry's calls, each with worst-case inputs: endpoints, hardware lists
//! and GPU names at their maximum length, and every served model's selection index as full as the
//! call allows (one host short of `MaxHostsPerModel` when the call adds the host to it, full when
//! it removes the host from it).

use crate::{types::bench, *};
use alloc::vec::Vec;
use daya_primitives::{ExecutorKind, ModelRegistry};
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::{
		traits::{
			fungible::{Inspect, InspectHold, Mutate},
			Get,
		},
		BoundedVec,
	},
	frame_system::{pallet_prelude::BlockNumberFor, RawOrigin},
	sp_runtime::traits::{One, Saturating},
};

/// An account with enough free balance to bond many times [`Config::MinHostBond`].
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let amount = T::MinHostBond::get()
		.saturating_mul(100u32.into())
		.saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(&who, amount);
	who
}

/// `n` distinct active models, fresh from the registry (fewer if it runs out of room).
fn new_models<T: Config>(n: u32) -> Vec<ModelId> {
	let mut models = Vec::new();
	for _ in 0..n {
		let model = T::Models::register_benchmark_model();
		if !models.contains(&model) {
			models.push(model);
		}
	}
	models
}

fn served<T: Config>(models: &[ModelId]) -> ServedModels<T> {
	BoundedVec::truncate_from(models.to_vec())
}

/// Registers `who` with the worst-case endpoint and hardware, serving `models`.
fn register<T: Config>(who: &T::AccountId, models: &[ModelId]) -> Result<(), BenchmarkError> {
	Ok(Pallet::<T>::do_register_host(
		who.clone(),
		bench::endpoint::<T>(),
		bench::hardware::<T>(),
		served::<T>(models),
		T::MinHostBond::get(),
	)?)
}

/// Registers other hosts serving `models` until their indices are one host short of
/// `MaxHostsPerModel`, leaving room in the registry for `spare` more hosts.
fn fill_indices<T: Config>(
	name: &'static str,
	models: &[ModelId],
	spare: u32,
) -> Result<(), BenchmarkError> {
	let room = T::MaxHosts::get().saturating_sub(Hosts::<T>::count()).saturating_sub(spare);
	let fillers = T::MaxHostsPerModel::get().saturating_sub(1).min(room);
	for index in 0..fillers {
		register::<T>(&funded::<T>(name, index), models)?;
	}
	Ok(())
}

/// A host serving `s` fresh models whose indices are full, itself included.
fn host_in_full_indices<T: Config>(s: u32) -> Result<(T::AccountId, Vec<ModelId>), BenchmarkError> {
	let models = new_models::<T>(s);
	fill_indices::<T>("filler", &models, 1)?;
	let host = funded::<T>("host", 0);
	register::<T>(&host, &models)?;
	Ok((host, models))
}

fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(event.into());
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_host(s: Linear<1, { T::MaxServedModels::get() }>) -> Result<(), BenchmarkError> {
		let models = new_models::<T>(s);
		fill_indices::<T>("filler", &models, 1)?;
		let host = funded::<T>("host", 0);
		let bond = T::MinHostBond::get();
		let hardware = bench::hardware::<T>();
		let capacity_weight = Pallet::<T>::capacity_of(&hardware);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(host.clone()),
			bench::endpoint::<T>(),
			hardware,
			served::<T>(&models),
			bond,
		);

		assert!(Pallet::<T>::hosts_by_model(models[0]).contains(&host));
		assert_last_event::<T>(Event::HostRegistered { host, bond, capacity_weight });
		Ok(())
	}

	#[benchmark]
	fn update_host(s: Linear<1, { T::MaxServedModels::get() }>) -> Result<(), BenchmarkError> {
		// The host leaves `s` full indices and joins `s` others, one host short of full.
		let (host, _) = host_in_full_indices::<T>(s)?;
		let new = new_models::<T>(s);
		fill_indices::<T>("other", &new, 0)?;
		let hardware = bench::hardware::<T>();
		let capacity_weight = Pallet::<T>::capacity_of(&hardware);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(host.clone()),
			Some(bench::endpoint::<T>()),
			Some(hardware),
			Some(served::<T>(&new)),
		);

		assert_eq!(Pallet::<T>::host(&host).map(|info| info.served_models.into_inner()), Some(new));
		assert_last_event::<T>(Event::HostUpdated { host, capacity_weight });
		Ok(())
	}

	#[benchmark]
	fn bond_more() -> Result<(), BenchmarkError> {
		let host = funded::<T>("host", 0);
		register::<T>(&host, &new_models::<T>(1))?;
		let amount = T::MinHostBond::get();
		let bond = amount.saturating_add(amount);

		#[extrinsic_call]
		_(RawOrigin::Signed(host.clone()), amount);

		assert_eq!(T::Currency::balance_on_hold(&HoldReason::HostBond.into(), &host), bond);
		assert_last_event::<T>(Event::BondIncreased { host, amount, bond });
		Ok(())
	}

	#[benchmark]
	fn unbond(s: Linear<1, { T::MaxServedModels::get() }>) -> Result<(), BenchmarkError> {
		let (host, models) = host_in_full_indices::<T>(s)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(host.clone()));

		assert!(!Pallet::<T>::hosts_by_model(models[0]).contains(&host));
		// The block number is only known here: the harness moves it off zero before the call.
		let unlock_at =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
		assert_last_event::<T>(Event::UnbondingStarted { host, unlock_at });
		Ok(())
	}

	#[benchmark]
	fn withdraw_unbonded() -> Result<(), BenchmarkError> {
		let host = funded::<T>("host", 0);
		register::<T>(&host, &new_models::<T>(1))?;
		Pallet::<T>::do_unbond(host.clone())?;
		let unlock_at =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
		frame_system::Pallet::<T>::set_block_number(unlock_at);

		#[extrinsic_call]
		_(RawOrigin::Signed(host.clone()));

		assert!(Pallet::<T>::host(&host).is_none());
		assert_last_event::<T>(Event::HostRemoved { host, released: T::MinHostBond::get() });
		Ok(())
	}

	#[benchmark]
	fn chill(s: Linear<1, { T::MaxServedModels::get() }>) -> Result<(), BenchmarkError> {
		let (host, models) = host_in_full_indices::<T>(s)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(host.clone()));

		assert!(!Pallet::<T>::hosts_by_model(models[0]).contains(&host));
		assert_last_event::<T>(Event::HostChilled { host });
		Ok(())
	}

	#[benchmark]
	fn unchill(s: Linear<1, { T::MaxServedModels::get() }>) -> Result<(), BenchmarkError> {
		// A jailed host whose time is over rejoins indices one host short of full.
		let (host, models) = host_in_full_indices::<T>(s)?;
		let blocks: BlockNumberFor<T> = One::one();
		Pallet::<T>::do_jail(&host, blocks);
		let until = frame_system::Pallet::<T>::block_number().saturating_add(blocks);
		frame_system::Pallet::<T>::set_block_number(until);

		#[extrinsic_call]
		_(RawOrigin::Signed(host.clone()));

		assert!(Pallet::<T>::hosts_by_model(models[0]).contains(&host));
		assert_last_event::<T>(Event::HostUnchilled { host });
		Ok(())
	}

	#[benchmark]
	fn set_executor_kind(
		s: Linear<1, { T::MaxServedModels::get() }>,
	) -> Result<(), BenchmarkError> {
		// An active host in `s` full indices rewrites its entry in each.
		let (host, models) = host_in_full_indices::<T>(s)?;
		let kind = ExecutorKind::GreedyOnly;

		#[extrinsic_call]
		_(RawOrigin::Signed(host.clone()), kind);

		assert_eq!(Pallet::<T>::host(&host).map(|info| info.executor_kind), Some(kind));
		assert!(Pallet::<T>::hosts_by_model(models[0]).contains(&host));
		assert_last_event::<T>(Event::ExecutorKindSet { host, kind });
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
