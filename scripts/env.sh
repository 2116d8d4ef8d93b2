# Sourced by the project's scripts: where builds go and which toolchain builds the runtime.
#
#   DAYA_CACHE        toolchain and build cache (default: $HOME/.cache/daya)
#   CARGO_TARGET_DIR  cargo's target directory (default: $DAYA_CACHE/target), kept outside the
#                     clone so that a later run (or CI on the same machine) reuses the build
DAYA_CACHE="${DAYA_CACHE:-$HOME/.cache/daya}"
export DAYA_CACHE
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$DAYA_CACHE/target}"
if [ -z "${WASM_BUILD_TOOLCHAIN:-}" ] && ! rustup target list --installed 2>/dev/null | grep -qx wasm32v1-none; then
	export WASM_BUILD_TOOLCHAIN=daya-wasm
fi
# The WASM build runs in the target directory: tell it where the workspace (and Cargo.lock) is.
export WASM_BUILD_WORKSPACE_HINT="${WASM_BUILD_WORKSPACE_HINT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# The runtime blob is always built from source by these scripts.
unset SKIP_WASM_BUILD
