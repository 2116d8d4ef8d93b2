#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: unit tests, runtime tests (against the
# runtime built to WASM from source), and end-to-end tests against the real daya-node binary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
# shellcheck source=env.sh
source scripts/env.sh

# Formatting first: it takes a second and fails fast. Lints: scripts/lint.sh.
cargo fmt --all --check

# The runtime with its metadata's hash (`CheckMetadataHash`): the runtime the network tests run.
cargo test --workspace --locked --features daya-runtime/metadata-hash "$@"

# The pallets' benchmarks, run once each as tests, and the migrations' try-runtime checks
# (`pre_upgrade`, `post_upgrade`, `try_state`): one more feature configuration for both.
cargo test --locked --features runtime-benchmarks,try-runtime \
	-p pallet-daya-models -p pallet-daya-compute -p pallet-daya-inference -p pallet-daya-emission \
	-p pallet-daya-randomness -p pallet-daya-poc

# The chain side's crate docs with their embedded examples (`docify`) and links, warnings as
# errors. In the lint target directory, without the runtime's WASM build, so that it never
# touches the main build: it shares the dependencies' metadata with `scripts/lint.sh`, which
# documents the whole workspace the same way.
RUSTDOCFLAGS='-D warnings' SKIP_WASM_BUILD=1 CARGO_TARGET_DIR="$DAYA_CACHE/lint-target" \
	cargo doc --no-deps --locked -p daya-primitives -p daya-protocol \
	-p pallet-daya-models -p pallet-daya-compute -p pallet-daya-inference -p pallet-daya-emission \
	-p pallet-daya-randomness -p pallet-daya-poc
