//! The pallets whose benchmarks the runtime exposes (feature `runtime-benchmarks`), for
//! generating weights with `daya-bench pallet` (`scripts/weights.sh`, a release build),
//! `frame-omni-bencher` or `daya-node benchmark pallet`.

polkadot_sdk::frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[cumulus_pallet_parachain_system, ParachainSystem]
	[pallet_balances, Balances]
	[pallet_session, SessionBench::<Runtime>]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_collator_selection, CollatorSelection]
	[pallet_collective, Council]
	[pallet_treasury, Treasury]
	[pallet_preimage, Preimage]
	[pallet_scheduler, Scheduler]
	[pallet_conviction_voting, ConvictionVoting]
	[pallet_referenda, Referenda]
	[pallet_daya_models, Models]
	[pallet_daya_compute, Compute]
	[pallet_daya_inference, Inference]
	[pallet_daya_emission, Emission]
	[pallet_daya_randomness, Randomness]
	[pallet_daya_poc, Poc]
);
