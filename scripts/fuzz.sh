#!/usr/bin/env bash
# The runtime fuzzer's long campaign on a release build: `scripts/fuzz.sh [SEQUENCES] [SEED]`
# (default 1,000,000 sequences, seed 0xDA7A = 55930). Overflow checks and debug assertions stay
# on, so that an arithmetic overflow is a break, not a silent wrap. Every pallet's invariants
# and the issuance are checked after every block; it prints sequences per second and how every
# call ended, every 1,000 sequences and at the end. A break panics with the sequence's seed and
# index: `sequence_bytes(seed, index, 200)` replays it. See runtime/src/fuzz_tests.rs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=env.sh
source scripts/env.sh
export SKIP_WASM_BUILD=1
export CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true
export CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true
export DAYA_FUZZ_SEQUENCES="${1:-1000000}"
export DAYA_FUZZ_SEED="${2:-55930}"
exec cargo test --release --locked -p daya-runtime --lib fuzz_campaign -- --ignored --nocapture
