//! Benchmarks of proof of compute's calls and of each step of a window, with worst-case inputs:
//! verdict lists one short of full, conclusions that convict (a slash and a jail each), pages of
//! hosts whose weight changes.

use crate::*;
use alloc::vec::Vec;
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::{Get, PostInherents},
	frame_system::{Pallet as System, RawOrigin},
	sp_runtime::traits::{One, Saturating},
};

/// `n` hosts serving model 0 (the genesis model of Daya's chains).
fn hosts<T: Config>(n: u32) -> Result<Vec<T::AccountId>, BenchmarkError> {
	(0..n)
		.map(|index| {
			let host: T::AccountId = account("host", index, 0);
			T::Hosts::register_benchmark_host(&host, 0)
				.map_err(|_| BenchmarkError::Stop("cannot register a host"))?;
			Ok(host)
		})
		.collect()
}

/// Moves to the next block and runs what runs after its inherents (the block's seed is read).
fn next_block<T: Config>() {
	let now = System::<T>::block_number().saturating_add(One::one());
	System::<T>::set_block_number(now);
	<T as frame_system::Config>::PostInherents::post_inherents();
}

/// Runs blocks (with their hooks) until `done`.
fn run_until<T: Config>(done: impl Fn() -> bool) -> Result<(), BenchmarkError> {
	for _ in 0..10_000 {
		if done() {
			return Ok(());
		}
		next_block::<T>();
		Pallet::<T>::do_on_initialize(System::<T>::block_number());
	}
	Err(BenchmarkError::Stop("the window never reached the state asked"))
}

/// Opens a window.
fn open<T: Config>() -> Result<WindowInfo<BlockNumberFor<T>>, BenchmarkError> {
	run_until::<T>(|| Window::<T>::get().is_some_and(|w| w.sample_seed.is_none()))?;
	Window::<T>::get().ok_or(BenchmarkError::Stop("no window"))
}

/// Opens a window in which `provers` commit, and draws its samples.
fn sampled<T: Config>(provers: &[T::AccountId]) -> Result<(), BenchmarkError> {
	let window = open::<T>()?;
	for prover in provers {
		Pallet::<T>::do_commit(prover.clone(), window.index, [7; 32], 1_000)
			.map_err(|_| BenchmarkError::Stop("cannot commit"))?;
	}
	run_until::<T>(|| Window::<T>::get().is_some_and(|w| w.sample_seed.is_some()))
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn commit() -> Result<(), BenchmarkError> {
		let host = hosts::<T>(1)?.remove(0);
		let window = open::<T>()?;

		#[extrinsic_call]
		_(RawOrigin::Signed(host.clone()), window.index, [7; 32], 1_000);

		assert!(Commitments::<T>::contains_key(&host));
		Ok(())
	}

	/// The last verdict a commitment can take: every other verifier has judged.
	#[benchmark]
	fn submit_verdict() -> Result<(), BenchmarkError> {
		let all = hosts::<T>(T::Verifiers::get().saturating_add(1))?;
		let prover = all[0].clone();
		sampled::<T>(core::slice::from_ref(&prover))?;
		let window = Window::<T>::get().ok_or(BenchmarkError::Stop("no window"))?;
		let verifiers = Pallet::<T>::verifiers_of(&window, &prover);
		let (last, others) = verifiers.split_last().ok_or(BenchmarkError::Stop("no verifier"))?;
		for verifier in others {
			Pallet::<T>::do_submit_verdict(
				verifier.clone(),
				window.index,
				prover.clone(),
				Verdict::Valid,
			)
			.map_err(|_| BenchmarkError::Stop("cannot judge"))?;
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), window.index, prover.clone(), Verdict::Valid);

		assert_eq!(Verdicts::<T>::get(&prover).len(), verifiers.len());
		Ok(())
	}

	/// A window opens.
	#[benchmark]
	fn open_window() -> Result<(), BenchmarkError> {
		let period = T::WindowPeriod::get();
		next_block::<T>();
		// The next block due for an opening.
		while System::<T>::block_number() % period != One::one() {
			next_block::<T>();
		}
		let now = System::<T>::block_number();

		#[block]
		{
			Pallet::<T>::do_on_initialize(now);
		}

		assert!(Window::<T>::get().is_some());
		Ok(())
	}

	/// The samples are drawn.
	#[benchmark]
	fn sample() -> Result<(), BenchmarkError> {
		let window = open::<T>()?;
		let due = Pallet::<T>::sample_at(&window);
		while System::<T>::block_number() < due {
			next_block::<T>();
		}

		#[block]
		{
			Pallet::<T>::do_on_initialize(due);
		}

		assert!(Window::<T>::get().is_some_and(|w| w.sample_seed.is_some()));
		Ok(())
	}

	/// A page of `n` commitments concluded, each convicted by all its verifiers (a slash and a
	/// jail each).
	#[benchmark]
	fn conclude(n: Linear<1, { T::ConcludePerBlock::get() }>) -> Result<(), BenchmarkError> {
		let all = hosts::<T>(n.saturating_add(T::Verifiers::get()))?;
		let provers = &all[..n as usize];
		sampled::<T>(provers)?;
		let window = Window::<T>::get().ok_or(BenchmarkError::Stop("no window"))?;
		for prover in provers {
			for verifier in Pallet::<T>::verifiers_of(&window, prover) {
				Pallet::<T>::do_submit_verdict(
					verifier,
					window.index,
					prover.clone(),
					Verdict::Invalid { nonce: 0 },
				)
				.map_err(|_| BenchmarkError::Stop("cannot judge"))?;
			}
		}
		let due = Pallet::<T>::conclude_at(&window);
		while System::<T>::block_number() < due {
			next_block::<T>();
		}

		#[block]
		{
			Pallet::<T>::conclude_page(window, n);
		}

		for prover in provers {
			assert!(!Commitments::<T>::contains_key(prover));
		}
		Ok(())
	}

	/// A page of `n` hosts' weights applied, each one changing.
	#[benchmark]
	fn apply(n: Linear<1, { T::ConcludePerBlock::get() }>) -> Result<(), BenchmarkError> {
		// Every host proves: the window becomes the reference, and every host's record and
		// weight change.
		let all = hosts::<T>(n.saturating_add(1))?;
		sampled::<T>(&all)?;
		let window = Window::<T>::get().ok_or(BenchmarkError::Stop("no window"))?;
		for prover in &all {
			for verifier in Pallet::<T>::verifiers_of(&window, prover) {
				Pallet::<T>::do_submit_verdict(
					verifier,
					window.index,
					prover.clone(),
					Verdict::Valid,
				)
				.map_err(|_| BenchmarkError::Stop("cannot judge"))?;
			}
		}
		run_until::<T>(|| Window::<T>::get().is_some_and(|w| w.concluded))?;
		let window = Window::<T>::get().ok_or(BenchmarkError::Stop("no window"))?;
		if LastConcluded::<T>::get() != window.index || ApplyCursor::<T>::get().is_some() {
			return Err(BenchmarkError::Stop("the window did not become the reference"));
		}

		let before = Outcomes::<T>::count();

		#[block]
		{
			Pallet::<T>::apply_page(window, n);
		}

		// A page takes at most `n` outcomes (fewer where the chain's own hosts, which did not
		// commit, fall in it).
		assert!(Outcomes::<T>::count() >= before.saturating_sub(n));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(&[]), crate::mock::Test);
}
