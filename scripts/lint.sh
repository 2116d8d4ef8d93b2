#!/usr/bin/env bash
# Lints the whole workspace as CI would want it: rustfmt, then clippy on every target with
# warnings as errors.
#
# Clippy runs in its own target directory ($DAYA_CACHE/lint-target), without the runtime's WASM
# build (SKIP_WASM_BUILD), so that it never invalidates the main build's artifacts: the first
# run checks every dependency once (about as long as a cold build's check phase), later ones
# only the workspace's crates. The `cuda` feature is left out: it needs a CUDA toolkit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
# shellcheck source=env.sh
source scripts/env.sh

cargo fmt --all --check
SKIP_WASM_BUILD=1 CARGO_TARGET_DIR="$DAYA_CACHE/lint-target" \
	cargo clippy --workspace --all-targets --locked "$@" -- -D warnings
# The runtime with the features only tools build: benchmarks and try-runtime (its `TryRuntime`
# API and the migrations' checks).
SKIP_WASM_BUILD=1 CARGO_TARGET_DIR="$DAYA_CACHE/lint-target" \
	cargo clippy -p daya-runtime --all-targets --locked --features runtime-benchmarks,try-runtime \
	"$@" -- -D warnings
# Every crate's docs, warnings as errors (the test command documents the chain side's crates).
RUSTDOCFLAGS='-D warnings' SKIP_WASM_BUILD=1 CARGO_TARGET_DIR="$DAYA_CACHE/lint-target" \
	cargo doc --workspace --no-deps --locked
