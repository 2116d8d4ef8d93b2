#!/usr/bin/env bash
# Checks that the committed weights count what the benchmarks of the code count (not part of
# the test command):
#
# 1. `scripts/weights.sh` with one repeat, DAYA_CHECK_STEPS steps (default 20, the steps the
#    weights are generated with), the database weights kept, each pallet's weights written to
#    a temporary directory (it builds `daya-bench` and the runtime WASM with
#    `runtime-benchmarks` as it always does);
# 2. `scripts/check_weights.py`: function by function, the database reads and writes (base and
#    per component), the estimated proof size (base and per component) and the storage items
#    each benchmark touched (with their most reads and writes) against
#    pallets/<pallet>/src/weights.rs, exactly. Ref time is measured, and noisy: not compared.
#
# Extra arguments name the pallets (default: all of them). Exits 1 when any function differs
# (regenerate its pallet's weights with `scripts/weights.sh <pallet>`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

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

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
DAYA_BENCH_OUT="$out" DAYA_BENCH_STORAGE=0 DAYA_BENCH_STEPS="$STEPS" DAYA_BENCH_REPEAT=1 \
	scripts/weights.sh "${PALLETS[@]}"
status=0
for pallet in "${PALLETS[@]}"; do
	python3 scripts/check_weights.py "pallets/$pallet/src/weights.rs" "$out/$pallet.rs" \
		"pallet_daya_$pallet" || status=$?
done
if [ "$status" -ne 0 ]; then
	echo "some weights count other reads, writes or proof than the code's benchmarks" >&2
fi
exit "$status"
