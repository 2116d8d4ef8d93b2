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

/// A concluded window of `kind`, the second (a reference may exist before it), whose weights
/// are being applied from `stage` on.
fn concluded<T: Config>(kind: WindowKind, stage: ApplyStep) -> WindowInfo<BlockNumberFor<T>> {
	next_block::<T>();
	let window = WindowInfo {
		index: 2,
		kind,
		seed: [1; 32],
		opened_at: System::<T>::block_number(),
		sample_seed: Some([2; 32]),
		concluded: true,
		applied: false,
		proven: 1,
	};
	Window::<T>::put(&window);
	ApplyStage::<T>::put(stage);
	window
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

	/// A page of `n` hosts' weights applied by the first window that proved something (every
	/// host's weight turns from declared to proven: a page of the registry), each one changing.
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
		if LastConcluded::<T>::get() != window.index
			|| ApplyCursor::<T>::get().is_some()
			|| ApplyStage::<T>::get() != Some(ApplyStep::AllHosts)
		{
			return Err(BenchmarkError::Stop("the window did not become the first reference"));
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

	/// A page of `n` outcomes of a new reference window (not the first: a reference exists)
	/// taken into their hosts' records and weights, each weight changing.
	#[benchmark]
	fn apply_outcomes(n: Linear<1, { T::ConcludePerBlock::get() }>) -> Result<(), BenchmarkError> {
		let all = hosts::<T>(n)?;
		let window = concluded::<T>(WindowKind::Regular, ApplyStep::Outcomes);
		LastConcluded::<T>::put(window.index);
		for host in &all {
			Outcomes::<T>::insert(host, Outcome::Proven { count: 1_000 });
		}

		#[block]
		{
			Pallet::<T>::apply_page(window.clone(), n);
		}

		assert_eq!(Outcomes::<T>::count(), 0);
		assert!(all
			.iter()
			.all(|host| Proven::<T>::get(host).is_some_and(|record| record.window == window.index)));
		Ok(())
	}

	/// A page of `n` records gone through by a confirmation window that proved something, each
	/// host's reference weight taken for want of a proof (a record, a weight and its service
	/// record written): more than a new reference does with a record (it removes it and sets
	/// the weight).
	#[benchmark]
	fn apply_records(n: Linear<1, { T::ConcludePerBlock::get() }>) -> Result<(), BenchmarkError> {
		let all = hosts::<T>(n)?;
		let window = concluded::<T>(WindowKind::Confirmation, ApplyStep::Records);
		let reference = window.index.saturating_sub(1);
		LastConcluded::<T>::put(reference);
		for host in &all {
			let record =
				ProvenRecord { window: reference, outcome: Outcome::Proven { count: 1_000 } };
			Proven::<T>::insert(host, record);
		}

		#[block]
		{
			Pallet::<T>::apply_page(window, n);
		}

		assert!(all.iter().all(|host| Proven::<T>::get(host)
			.is_some_and(|record| matches!(record.outcome, Outcome::Unconfirmed { .. }))));
		Ok(())
	}

	/// A page of `n` outcomes nobody took cleared (of hosts that left the registry).
	#[benchmark]
	fn apply_leftovers(n: Linear<1, { T::ConcludePerBlock::get() }>) -> Result<(), BenchmarkError> {
		let window = concluded::<T>(WindowKind::Regular, ApplyStep::Leftovers);
		for index in 0..n {
			let gone: T::AccountId = account("gone", index, 0);
			Outcomes::<T>::insert(gone, Outcome::Unproven);
		}

		#[block]
		{
			Pallet::<T>::apply_page(window, n);
		}

		assert_eq!(Outcomes::<T>::count(), 0);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(&[]), crate::mock::Test);
}
