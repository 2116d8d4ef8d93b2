//! Builds the runtime's WASM blob (`WASM_BINARY`) with `substrate-wasm-builder`.

#[cfg(feature = "std")]
fn main() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

/// The runtime is being compiled to WASM itself: nothing to build.
#[cfg(not(feature = "std"))]
fn main() {}
