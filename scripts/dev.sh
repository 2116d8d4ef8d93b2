#!/usr/bin/env bash
# Sets everything up, builds the workspace, and runs a Daya development chain:
# one node, manual seal (a block every 6 s), offchain workers and offchain indexing on,
# JSON-RPC on ws://127.0.0.1:9944. Extra arguments go to daya-node (e.g. --rpc-port 9955).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
# shellcheck source=env.sh
source scripts/env.sh

# The same build the test command makes, so either command reuses the other's work.
cargo test --workspace --locked --no-run

echo "[dev] starting daya-node --dev (JSON-RPC ws://127.0.0.1:9944, Ctrl-C stops it)" >&2
exec "$CARGO_TARGET_DIR/debug/daya-node" --dev --dev-block-time 6000 --rpc-port 9944 "$@"
