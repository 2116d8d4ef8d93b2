#!/usr/bin/env bash
# Sets everything up, builds the workspace, and runs a Daya development network on this machine:
#
# - daya-node --dev: one node, a block every 6 s, offchain workers and offchain indexing on,
#   JSON-RPC on ws://127.0.0.1:9944 (DAYA_RPC_PORT);
# - one daya-executor per genesis host, serving SmolLM2-135M-Instruct (the real model setup.sh
#   fetches) and the deterministic dev model: Alice's on 127.0.0.1:8090, Bob's on :8091;
# - the hosts' keys in the node's keystore and their executors' URLs set, so that the node's
#   offchain worker hands each host's jobs to its executor and signs the results;
# - proof of compute: the executors compute each window (one core each), the nodes commit and
#   verify each other's, and the script waits until both hosts are proven;
# - then one job, a chat to SmolLM2 submitted by Ferdie and waited for: its answer, tokens and
#   cost are printed;
# - Daya's web page (web/), built and served on http://127.0.0.1:8088 (DAYA_WEB_PORT): the
#   network, live jobs and a playground, talking to this node.
#
# The network keeps running until Ctrl-C. Extra arguments go to daya-node.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
# shellcheck source=env.sh
source scripts/env.sh

# The same build the test command makes, so either command reuses the other's work.
cargo test --workspace --locked --features daya-runtime/metadata-hash --no-run

BIN="$CARGO_TARGET_DIR/debug"
RPC_PORT="${DAYA_RPC_PORT:-9944}"
WEB_PORT="${DAYA_WEB_PORT:-8088}"
URL="ws://127.0.0.1:$RPC_PORT"
RUN_DIR="$DAYA_CACHE/dev-network"
MODEL_DIR="$RUN_DIR/dev-model"
SMOLLM2="${DAYA_MODELS:-$DAYA_CACHE/models}/SmolLM2-135M-Instruct.Q4_1.gguf"
mkdir -p "$RUN_DIR"

say() { echo "[dev] $*" >&2; }
daya() { "$BIN/daya" --url "$URL" "$@"; }

"$BIN/daya-executor" dev-model --out "$MODEL_DIR" >/dev/null
say "dev model written to $MODEL_DIR"

pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting daya-node --dev (JSON-RPC $URL)"
"$BIN/daya-node" --dev --dev-block-time 6000 --rpc-port "$RPC_PORT" "$@" &
pids+=($!)

declare -A PORTS=([alice]=8090 [bob]=8091)
for host in alice bob; do
	log="$RUN_DIR/executor-$host.log"
	# Each executor answers its private routes only to holders of its API key: its node.
	key="$RUN_DIR/executor-$host.key"
	rm -f "$key"
	"$BIN/daya-executor" new-api-key --out "$key" >/dev/null
	"$BIN/daya-executor" serve --listen "127.0.0.1:${PORTS[$host]}" --api-key-file "$key" \
		--model "$SMOLLM2" --model "$MODEL_DIR" --poc-workers 1 >"$log" 2>&1 &
	pids+=($!)
	say "executor of $host on http://127.0.0.1:${PORTS[$host]} (log: $log)"
done

# An executor that cannot start (its port taken, say) stops the script here, not at the job.
for host in alice bob; do
	for _ in $(seq 1 120); do
		if (exec 3<>"/dev/tcp/127.0.0.1/${PORTS[$host]}") 2>/dev/null; then continue 2; fi
		sleep 0.5
	done
	say "the executor of $host did not start; its log: $RUN_DIR/executor-$host.log"
	exit 1
done

# The web page needs no node to build; it is served from the start and connects when it can.
(cd web && node node_modules/vite/bin/vite.js build --logLevel warn)
node web/node_modules/vite/bin/vite.js preview web --strictPort --host 127.0.0.1 --port "$WEB_PORT" \
	>"$RUN_DIR/web.log" 2>&1 &
pids+=($!)
PAGE="http://127.0.0.1:$WEB_PORT/?node=$URL"
say "web page on $PAGE (log: $RUN_DIR/web.log)"

say "waiting for the node's RPC..."
for _ in $(seq 1 360); do
	if daya model list >/dev/null 2>&1; then break; fi
	sleep 0.5
done
daya model list >/dev/null

for host in alice bob; do
	daya --suri "$host" host insert-key
	daya --suri "$host" host set-executor "http://127.0.0.1:${PORTS[$host]}" \
		--api-key-file "$RUN_DIR/executor-$host.key"
done

# Proof of compute: a window opens every 30 blocks (the first in block 2) and concludes 16
# blocks later; from the first that proves something, jobs go to proven hosts only.
say "waiting for proof of compute to prove both hosts (a window every 3 minutes)..."
proven() {
	# Not `grep -q`: its early exit would close the pipe while `daya` still prints.
	daya --json host status "$1" 2>/dev/null | grep '"provenWeight": *[1-9]' >/dev/null
}
for _ in $(seq 1 80); do
	if proven alice && proven bob; then break; fi
	sleep 5
done
if proven alice && proven bob; then
	daya poc window
	daya host status alice | grep -E 'capacity|proven|last window' >&2
else
	say "no window has proved both hosts yet; see daya poc window and the executors' logs"
fi

say "asking SmolLM2 a question as Ferdie and waiting for the answer:"
daya --suri ferdie job submit --model smollm2-135m-instruct --chat \
	--prompt "What is the capital of France? Answer in one sentence." \
	--max-tokens 48 --wait --timeout 300 ||
	say "the first job did not finish; the executors' logs are in $RUN_DIR"

cat >&2 <<EOF
[dev] the network is up. Open the web page: $PAGE
[dev] (the network, live jobs, and a playground to ask the models). Or try:
[dev]   $BIN/daya --suri ferdie job submit --model smollm2-135m-instruct --chat --prompt "..." --wait
[dev]   $BIN/daya --suri ferdie job submit --model daya-dev-llama --prompt "..." --wait
[dev]   $BIN/daya host status alice
[dev]   $BIN/daya poc window
[dev]   curl -s http://127.0.0.1:8090/metrics
[dev]   curl -s -H "Authorization: Bearer \$(cat $RUN_DIR/executor-alice.key)" http://127.0.0.1:8090/v1/models
[dev] Ctrl-C stops the node, the executors and the web page.
EOF
wait "${pids[0]}"
