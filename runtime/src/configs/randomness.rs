//! `pallet_daya_randomness`: each block's seed, from the relay parent's per-block randomness.

use polkadot_sdk::*;

use cumulus_pallet_parachain_system::{RelayChainStateProof, RelayStateProof, ValidationData};
use cumulus_primitives_core::relay_chain::well_known_keys;
use pallet_daya_randomness::{RelayParent, RelaySource};

use crate::{ParachainInfo, Runtime};

/// The relay parent of the block being built, from the validation data and the relay state
/// proof that the parachain inherent stores (and the parachain system's `on_initialize` clears
/// at the start of the next block): its number, and its BABE per-block VRF output, which the
/// relay chain keeps under `CURRENT_BLOCK_RANDOMNESS`.
///
/// The dev chain's mocked relay data carries no per-block randomness, so its seed falls back to
/// the parent hash (see `pallet_daya_randomness`).
pub struct RelayStateProofSource;

impl RelaySource for RelayStateProofSource {
	fn relay_parent() -> Option<RelayParent> {
		let data = ValidationData::<Runtime>::get()?;
		let randomness = RelayStateProof::<Runtime>::get().and_then(|proof| {
			RelayChainStateProof::new(
				ParachainInfo::parachain_id(),
				data.relay_parent_storage_root,
				proof,
			)
			.ok()?
			.read_optional_entry::<Option<[u8; 32]>>(well_known_keys::CURRENT_BLOCK_RANDOMNESS)
			.ok()
			.flatten()
			.flatten()
		});
		Some(RelayParent { number: data.relay_parent_number, randomness })
	}

	/// Stores the validation data and relay state proof of [`BENCHMARK_RELAY_STATE`], as the
	/// parachain inherent would, so that the benchmark reads and checks a real proof.
	#[cfg(feature = "runtime-benchmarks")]
	fn prepare_benchmark() {
		let (root, proof) = BENCHMARK_RELAY_STATE.split_at(32);
		let mut relay_parent_storage_root = sp_core::H256::zero();
		relay_parent_storage_root.0.copy_from_slice(root);
		ValidationData::<Runtime>::put(cumulus_primitives_core::PersistedValidationData {
			parent_head: alloc::vec::Vec::new().into(),
			relay_parent_number: 1,
			relay_parent_storage_root,
			max_pov_size: 5 * 1024 * 1024,
		});
		frame_support::storage::unhashed::put_raw(&RelayStateProof::<Runtime>::hashed_key(), proof);
	}
}

/// A relay chain state for benchmarks: its 32-byte storage root, then the SCALE encoding of a
/// proof of it, as `cumulus-test-relay-sproof-builder` makes one for para 1000 with per-block
/// randomness `[7; 32]` (the runtime test `the_benchmark_relay_state_is_the_builders` checks
/// that it still is).
#[cfg(any(test, feature = "runtime-benchmarks"))]
pub const BENCHMARK_RELAY_STATE: &[u8] = include_bytes!("benchmark_relay_state.bin");

impl pallet_daya_randomness::Config for Runtime {
	type Relay = RelayStateProofSource;
	type WeightInfo = pallet_daya_randomness::weights::SubstrateWeight<Runtime>;
}
