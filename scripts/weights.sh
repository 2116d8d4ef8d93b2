#!/usr/bin/env bash
# Regenerates the runtime's weights from a release build (not part of the test command):
#
# 1. `daya-bench` (bench/, its own workspace) built with --release: the registry's benchmark
#    CLI, as `frame-omni-bencher` runs it, with the storage benchmark beside it;
# 2. the runtime built to WASM with `runtime-benchmarks`;
# 3. the database's read and write costs (`daya-bench storage`, RocksDB, the development
#    genesis with DAYA_BENCH_ACCOUNTS more accounts, default 100,000) into
#    runtime/src/configs/db_weights.rs, the runtime's `DbWeight`;
# 4. every Daya pallet's benchmarks (`daya-bench pallet`, DAYA_BENCH_STEPS steps and
#    DAYA_BENCH_REPEAT repeats, defaults 20 and 10) into pallets/<pallet>/src/weights.rs.
#
# Extra arguments name the pallets to run (default: all of them). DAYA_BENCH_STORAGE=0 keeps
# runtime/src/configs/db_weights.rs as it is (step 3 skipped: the pallets' weights of one run
# then share the database weights of the last full run). DAYA_BENCH_OUT, a directory, takes
# each pallet's weights as <pallet>.rs in place of pallets/<pallet>/src/weights.rs (how
# `scripts/check-weights.sh` runs it). The times each step took are printed
# at the end; docs/operators.md gives them for this project's reference run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=env.sh
source scripts/env.sh

STEPS="${DAYA_BENCH_STEPS:-20}"
REPEAT="${DAYA_BENCH_REPEAT:-10}"
ACCOUNTS="${DAYA_BENCH_ACCOUNTS:-100000}"
PALLETS=("$@")
if [ ${#PALLETS[@]} -eq 0 ]; then
	PALLETS=(models compute inference emission randomness poc)
fi
times=()
timed() {
	local label=$1 start=$SECONDS
	shift
	"$@"
	times+=("$label: $((SECONDS - start)) s")
}

# The benchmark binary needs no runtime WASM of its own (its storage test runtime is only for
# `--mode validate-block`, which this script does not use).
timed "daya-bench (release build)" \
	env SKIP_WASM_BUILD=1 cargo build --release --locked --manifest-path bench/Cargo.toml
BENCH="$CARGO_TARGET_DIR/release/daya-bench"

timed "runtime WASM with runtime-benchmarks" \
	cargo build --locked -p daya-runtime --features runtime-benchmarks
WASM="$CARGO_TARGET_DIR/debug/wbuild/daya-runtime/daya_runtime.wasm"

if [ "${DAYA_BENCH_STORAGE:-1}" != 0 ]; then
	db=$(mktemp -d)
	trap 'rm -rf "$db"' EXIT
	timed "storage (DbWeight)" \
		"$BENCH" storage --runtime "$WASM" --accounts "$ACCOUNTS" --base-path "$db" \
		--database rocksdb --state-version 1 --batch-size 1000 \
		--template-path scripts/db-weight-template.hbs \
		--weight-path runtime/src/configs/db_weights.rs
fi
weights_of() {
	if [ -n "${DAYA_BENCH_OUT:-}" ]; then
		echo "$DAYA_BENCH_OUT/$1.rs"
	else
		echo "pallets/$1/src/weights.rs"
	fi
}
for pallet in "${PALLETS[@]}"; do
	timed "pallet_daya_$pallet" \
		"$BENCH" pallet --runtime "$WASM" \
		--genesis-builder runtime --genesis-builder-preset development \
		--pallet "pallet_daya_$pallet" --extrinsic '*' --steps "$STEPS" --repeat "$REPEAT" \
		--template scripts/weight-template.hbs --output "$(weights_of "$pallet")"
done
printf '%s\n' "${times[@]}"
