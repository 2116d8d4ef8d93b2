//! Builds the runtime's WASM blob (`WASM_BINARY`) with `substrate-wasm-builder`.

#[cfg(all(feature = "std", not(feature = "metadata-hash")))]
fn main() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

/// With the metadata's hash, which `CheckMetadataHash` checks for signers that ask for it; the
/// symbol and decimals are the runtime's `TOKEN_SYMBOL` and `TOKEN_DECIMALS`.
#[cfg(all(feature = "std", feature = "metadata-hash"))]
fn main() {
	substrate_wasm_builder::WasmBuilder::init_with_defaults()
		.enable_metadata_hash("DAYA", 12)
		.build();
}

/// The runtime is being compiled to WASM itself: nothing to build.
#[cfg(not(feature = "std"))]
fn main() {}
