#!/usr/bin/env bash
# The load test against the real node (not part of the test command; about 15 minutes):
#
# - daya-node --dev, a block every 6 s, offchain workers on;
# - DAYA_LOAD_HOSTS hosts (2 to 5, default 4: Alice and Bob from genesis, then Charlie, Dave,
#   Eve registered here), each with its own daya-executor serving the deterministic dev model,
#   its key in the node's keystore; the script waits until proof of compute has proven them;
# - `daya load`: DAYA_LOAD_CONSUMERS consumers (default 16, funded by Ferdie) each keep
#   DAYA_LOAD_OPEN jobs open (default 64, the most one account may; prompts of
#   DAYA_LOAD_PROMPT_BYTES, default 32, and 16 output tokens) for DAYA_LOAD_SECONDS (default
#   300), submitting every job that has room at once in one transaction (`submit_jobs`, up to
#   DAYA_LOAD_BATCH, default 64; 1 sends each job in its own `submit_job`), then every job is
#   waited for (settled or refunded); then,
#   on the same node, the same accounts send balance transfers to saturation for
#   DAYA_LOAD_TRANSFER_SECONDS (default 120), the baseline.
#
# It prints every block (jobs submitted, settled and refunded, transfers, how full the block
# was) and the summary: jobs per block, latency p50/p95/p99 in blocks and seconds, fullness,
# transfers per block and the ratio. The report is also kept as JSON in
# $DAYA_CACHE/load-test/report.json. Extra arguments go to `daya load`.
#
# The executors run the dev model on the same cores as the node and the client: short prompts
# keep their inference (15 ms a job of 32 bytes, 71 ms of 256, on one core of this kind of
# machine) from binding before the node does; DAYA_LOAD_PROMPT_BYTES=256 shows that bound.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
# shellcheck source=env.sh
source scripts/env.sh

HOSTS="${DAYA_LOAD_HOSTS:-4}"
if ! [[ "$HOSTS" =~ ^[2-5]$ ]]; then
	echo "DAYA_LOAD_HOSTS must be 2 to 5 (Ferdie funds the consumers), not '$HOSTS'" >&2
	exit 2
fi

# The same build the test command makes.
cargo test --workspace --locked --features daya-runtime/metadata-hash --no-run

BIN="$CARGO_TARGET_DIR/debug"
RPC_PORT="${DAYA_RPC_PORT:-9964}"
URL="ws://127.0.0.1:$RPC_PORT"
RUN_DIR="$DAYA_CACHE/load-test"
MODEL_DIR="$RUN_DIR/dev-model"
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"

say() { echo "[load-test] $*" >&2; }
daya() { "$BIN/daya" --url "$URL" "$@"; }

"$BIN/daya-executor" dev-model --out "$MODEL_DIR" >/dev/null

pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting daya-node --dev (a block every 6 s, JSON-RPC $URL; log $RUN_DIR/node.log)"
"$BIN/daya-node" --dev --dev-block-time 6000 --rpc-port "$RPC_PORT" \
	--rpc-max-subscriptions-per-connection 4096 >"$RUN_DIR/node.log" 2>&1 &
pids+=($!)

names=(alice bob charlie dave eve)
hosts=("${names[@]:0:$HOSTS}")
declare -A PORTS
port=8190
for host in "${hosts[@]}"; do
	PORTS[$host]=$port
	key="$RUN_DIR/executor-$host.key"
	"$BIN/daya-executor" new-api-key --out "$key" >/dev/null
	"$BIN/daya-executor" serve --listen "127.0.0.1:$port" --api-key-file "$key" \
		--model "$MODEL_DIR" --poc-workers 1 >"$RUN_DIR/executor-$host.log" 2>&1 &
	pids+=($!)
	port=$((port + 1))
done

say "waiting for the node's RPC..."
for _ in $(seq 1 360); do
	if daya model list >/dev/null 2>&1; then break; fi
	sleep 0.5
done
daya model list >/dev/null

for host in "${hosts[@]}"; do
	url="http://127.0.0.1:${PORTS[$host]}"
	if [ "$host" != alice ] && [ "$host" != bob ]; then
		daya --suri "$host" host register --endpoint "$url" --gpu H100:81920:8 \
			--model daya-dev-llama --bond 1000 >/dev/null
	fi
	daya --suri "$host" host insert-key >/dev/null
	daya --suri "$host" host set-executor "$url" --api-key-file "$RUN_DIR/executor-$host.key" \
		>/dev/null
	if [ "$(daya --json host status "$host" | grep -o '"endpoint": *"[^"]*"' | cut -d'"' -f4)" != "$url" ]; then
		daya --suri "$host" host update --endpoint "$url" >/dev/null
	fi
	say "host $host: executor $url"
done

# A proof-of-compute window opens every 30 blocks and concludes 16 blocks later; jobs go to
# proven hosts only.
say "waiting for proof of compute to prove the ${#hosts[@]} hosts (a window every 3 minutes)..."
proven() {
	# Not `grep -q`: its early exit would close the pipe while `daya` still prints.
	daya --json host status "$1" 2>/dev/null | grep '"provenWeight": *[1-9]' >/dev/null
}
all_proven() {
	for host in "${hosts[@]}"; do proven "$host" || return 1; done
}
for _ in $(seq 1 120); do
	if all_proven; then break; fi
	sleep 5
done
if ! all_proven; then
	say "proof of compute did not prove every host in 10 minutes; see $RUN_DIR"
	exit 1
fi

daya --suri ferdie load \
	--consumers "${DAYA_LOAD_CONSUMERS:-16}" --open-per-consumer "${DAYA_LOAD_OPEN:-64}" \
	--batch "${DAYA_LOAD_BATCH:-64}" --prompt-bytes "${DAYA_LOAD_PROMPT_BYTES:-32}" \
	--duration "${DAYA_LOAD_SECONDS:-300}" \
	--transfer-duration "${DAYA_LOAD_TRANSFER_SECONDS:-120}" \
	--json-out "$RUN_DIR/report.json" "$@" | tee "$RUN_DIR/report.txt"
say "report: $RUN_DIR/report.txt and report.json; node and executor logs in $RUN_DIR"
