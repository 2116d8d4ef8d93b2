#!/usr/bin/env bash
# Builds the pre-upgrade runtime for the relay-chain test's forkless upgrade: the runtime WASM of
# the commit before the host registry's storage version 1 (`Capacity`), whose chains the
# current runtime migrates. Prints the blob's path.
#
# The commit's tree is exported once (`git archive`) under $DAYA_CACHE/upgrade-base, and only
# its runtime's WASM is built, with the flags and in the WASM build directory that
# `substrate-wasm-builder` uses for the workspace's own runtime: the dependencies built for it are
# reused, and only Daya's crates of that commit compile (about a minute the first time, seconds
# after). The blob has its own name, so the workspace's runtime is never overwritten.
#
# Run by `cli/tests/relay_chain.rs` after the workspace is built; by hand:
#   scripts/upgrade-base.sh [COMMIT]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=env.sh
source scripts/env.sh

# The last commit at storage version 0 of the host registry.
base="${1:-a3cb628fafd82dcfa5020acf792880fb0a3d405c}"
root="$DAYA_CACHE/upgrade-base"
tree="$root/$base"
blob_project="$root/blob"
blob="$root/daya_runtime_base-$base.wasm"

if [ ! -f "$tree/.exported" ]; then
	git cat-file -e "$base^{commit}" 2>/dev/null || {
		echo "upgrade-base: commit $base is not in this clone (a shallow clone?); fetch it first" >&2
		exit 1
	}
	rm -rf "$tree"
	mkdir -p "$tree"
	git archive "$base" | tar -x -C "$tree"
	touch "$tree/.exported"
fi

# The project substrate-wasm-builder generates, with the old runtime and a name of its own.
mkdir -p "$blob_project/src"
cat >"$blob_project/Cargo.toml.new" <<TOML
[package]
name = "daya-runtime-base-blob"
version = "1.0.0"
edition = "2021"

[lib]
name = "daya_runtime_base"
crate-type = ["cdylib"]

[dependencies.wasm-project]
package = "daya-runtime"
path = "$tree/runtime"
default-features = false
features = []

[profile.dev]
panic = "abort"

[profile.release]
lto = "thin"
panic = "abort"

[profile.production]
codegen-units = 1
inherits = "release"
lto = "fat"

[workspace]
resolver = "2"
TOML
# Rewritten only when it changes: cargo then sees nothing new.
if ! cmp -s "$blob_project/Cargo.toml.new" "$blob_project/Cargo.toml"; then
	mv "$blob_project/Cargo.toml.new" "$blob_project/Cargo.toml"
	cp "$tree/Cargo.lock" "$blob_project/Cargo.lock"
else
	rm "$blob_project/Cargo.toml.new"
fi
lib='#![no_std] #![allow(unused_imports)] pub use wasm_project::*;'
[ "$(cat "$blob_project/src/lib.rs" 2>/dev/null)" = "$lib" ] || echo "$lib" >"$blob_project/src/lib.rs"

toolchain=()
[ -n "${WASM_BUILD_TOOLCHAIN:-}" ] && toolchain=("+$WASM_BUILD_TOOLCHAIN")
wasm_target="$CARGO_TARGET_DIR/debug/wbuild/daya-runtime/target"
(
	unset CARGO_ENCODED_RUSTFLAGS RUSTC
	export SKIP_WASM_BUILD=
	export CARGO_TARGET_DIR="$wasm_target"
	export RUSTFLAGS="-C link-arg=--export-table -C link-arg=--export=__heap_base -C link-arg=--import-memory --cfg substrate_runtime"
	cargo "${toolchain[@]}" rustc --target=wasm32v1-none \
		--manifest-path="$blob_project/Cargo.toml" --profile release --quiet >&2
)
cp "$wasm_target/wasm32v1-none/release/daya_runtime_base.wasm" "$blob.tmp"
mv "$blob.tmp" "$blob"
echo "$blob"
