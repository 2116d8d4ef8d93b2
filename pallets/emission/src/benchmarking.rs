//! Benchmarks of the emission's call and of each step of a distribution, per host.

use crate::*;
use alloc::vec::Vec;
use daya_primitives::{HostRegistry, WorkRecorder};
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::{fungible::Mutate, Get},
	frame_system::RawOrigin,
	sp_runtime::traits::Saturating,
};

/// `n` active hosts serving model 0 (the genesis model of Daya's chains), with recorded work
/// in the current epoch.
fn hosts<T: Config>(n: u32) -> Result<Vec<T::AccountId>, BenchmarkError> {
	let mut hosts = Vec::new();
	for index in 0..n {
		let host: T::AccountId = account("host", index, 0);
		T::Hosts::register_benchmark_host(&host, 0)
			.map_err(|_| BenchmarkError::Stop("cannot register a host"))?;
		T::Hosts::prove_benchmark_capacity(&host);
		Pallet::<T>::record_work(&host, 1_000_000u128.saturating_add(index.into()));
		hosts.push(host);
	}
	Ok(hosts)
}

/// Ends the epoch, leaving its distribution at the start of `phase`'s page.
fn distribution_at<T: Config>(n: u32, until: fn(&Phase<T>) -> bool) -> Result<(), BenchmarkError> {
	hosts::<T>(n)?;
	let due = EpochStart::<T>::get().saturating_add(Pallet::<T>::epoch_length());
	frame_system::Pallet::<T>::set_block_number(due);
	Pallet::<T>::end_epoch(due);
	while let Some(state) = Distribution::<T>::get() {
		if until(&state.phase) {
			return Ok(());
		}
		Pallet::<T>::advance(n.max(1));
	}
	Err(BenchmarkError::Stop("the distribution ended early"))
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn claim_rewards() -> Result<(), BenchmarkError> {
		let who: T::AccountId = account("host", 0, 0);
		let amount = T::InitialEpochReward::get();
		T::Currency::set_balance(&Pallet::<T>::account_id(), amount);
		Pending::<T>::insert(&who, amount);
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), who.clone());

		assert!(Pending::<T>::get(&who).is_none());
		Ok(())
	}

	#[benchmark]
	fn end_epoch() -> Result<(), BenchmarkError> {
		let due = EpochStart::<T>::get().saturating_add(Pallet::<T>::epoch_length());
		frame_system::Pallet::<T>::set_block_number(due);

		#[block]
		{
			Pallet::<T>::end_epoch(due);
		}

		assert!(Distribution::<T>::exists());
		Ok(())
	}

	#[benchmark]
	fn snapshot(n: Linear<1, { T::HostsPerBlock::get() }>) -> Result<(), BenchmarkError> {
		distribution_at::<T>(n, |phase| matches!(phase, Phase::Snapshot { .. }))?;

		#[block]
		{
			Pallet::<T>::advance(n);
		}

		Ok(())
	}

	#[benchmark]
	fn count(n: Linear<1, { T::HostsPerBlock::get() }>) -> Result<(), BenchmarkError> {
		distribution_at::<T>(n, |phase| matches!(phase, Phase::Count { .. }))?;

		#[block]
		{
			Pallet::<T>::advance(n);
		}

		Ok(())
	}

	#[benchmark]
	fn pay(n: Linear<1, { T::HostsPerBlock::get() }>) -> Result<(), BenchmarkError> {
		distribution_at::<T>(n, |phase| matches!(phase, Phase::Pay))?;

		#[block]
		{
			Pallet::<T>::advance(n);
		}

		assert!(Pending::<T>::iter().next().is_some());
		Ok(())
	}

	#[benchmark]
	fn clear(n: Linear<1, { T::HostsPerBlock::get() }>) -> Result<(), BenchmarkError> {
		distribution_at::<T>(n, |phase| matches!(phase, Phase::Clear))?;
		// Service records of hosts that were not in the snapshot (jailed, chilled, gone) are
		// what is left.
		let epoch = Distribution::<T>::get().map(|d| d.epoch).unwrap_or_default();
		for index in 0..n {
			let gone: T::AccountId = account("gone", index, 0);
			Service::<T>::insert(epoch, gone, ServiceRecord { work: 1, ..Default::default() });
		}

		#[block]
		{
			Pallet::<T>::advance(n);
		}

		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(&[]), crate::mock::Test);
}
