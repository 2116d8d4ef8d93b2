#!/usr/bin/env bash
# Checks that the committed weights count what the benchmarks of the code count (not part of
# the test command; it builds what `scripts/weights.sh` builds, then runs each benchmark at a
# few points):
#
# 1. `daya-bench` (release) and the runtime WASM with `runtime-benchmarks`, as
#    `scripts/weights.sh` builds them;
# 2. every Daya pallet's benchmarks (`daya-bench pallet`, DAYA_CHECK_STEPS steps, default 20 as the weights were generated with,
#    one repeat) into a temporary directory, with the weights template;
# 3. `scripts/check_weights.py`: function by function, the database reads and writes (base and
#    per component), the estimated proof size (base and per component) and the storage items
#    each benchmark touched (with their most reads and writes) against
#    pallets/<pallet>/src/weights.rs, exactly. Ref time is measured, and noisy: not compared.
#
# Extra arguments name the pallets (default: all of them). Exits 1 when any function differs
# (regenerate its pallet's weights with `scripts/weights.sh <pallet>`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=env.sh
source scripts/env.sh

STEPS="${DAYA_CHECK_STEPS:-20}"
if ! [[ "$STEPS" =~ ^[0-9]+$ ]] || [ "$STEPS" -lt 2 ]; then
	echo "DAYA_CHECK_STEPS must be a number of at least 2 (a slope needs two points), not '$STEPS'" >&2
	exit 2
fi
PALLETS=("$@")
if [ ${#PALLETS[@]} -eq 0 ]; then
	PALLETS=(models compute inference emission randomness poc)
fi
for pallet in "${PALLETS[@]}"; do
	if ! [ -f "pallets/$pallet/src/weights.rs" ]; then
		echo "no pallet '$pallet' with weights (pallets/$pallet/src/weights.rs)" >&2
		exit 2
	fi
done

env SKIP_WASM_BUILD=1 cargo build --release --locked --manifest-path bench/Cargo.toml
BENCH="$CARGO_TARGET_DIR/release/daya-bench"
cargo build --locked -p daya-runtime --features runtime-benchmarks
WASM="$CARGO_TARGET_DIR/debug/wbuild/daya-runtime/daya_runtime.wasm"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
for pallet in "${PALLETS[@]}"; do
	start=$SECONDS
	"$BENCH" pallet --runtime "$WASM" \
		--genesis-builder runtime --genesis-builder-preset development \
		--pallet "pallet_daya_$pallet" --extrinsic '*' --steps "$STEPS" --repeat 1 \
		--template scripts/weight-template.hbs --output "$out/$pallet.rs" >"$out/$pallet.log" 2>&1 ||
		{
			tail -20 "$out/$pallet.log" >&2
			echo "pallet_daya_$pallet: the benchmarks failed" >&2
			exit 2
		}
	python3 scripts/check_weights.py "pallets/$pallet/src/weights.rs" "$out/$pallet.rs" \
		"pallet_daya_$pallet" || status=$?
	echo "pallet_daya_$pallet: $((SECONDS - start)) s"
done
if [ "$status" -ne 0 ]; then
	echo "some weights count other reads, writes or proof than the code's benchmarks" >&2
fi
exit "$status"
