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
}

impl pallet_daya_randomness::Config for Runtime {
	type Relay = RelayStateProofSource;
	type WeightInfo = pallet_daya_randomness::weights::SubstrateWeight<Runtime>;
}
