"""Daya from Python with substrate-interface: read a model and a host, quote a job, submit it, wait
for its end and read the output.

substrate-interface reads storage, calls and events from the node's metadata, but not the runtime
APIs' types (it reads metadata V14): `daya-types.json`, next to this file, defines the ones used
here (`InferenceApi.quote`, `InferenceApi.outcome`).

    pip install substrate-interface==1.8.1
    python substrate_interface.py [ws://127.0.0.1:9944] [//Ferdie] [daya-dev-llama] [prompt]

Prints one JSON line: the job, how it ended, what it cost and its output.
"""

import hashlib
import json
import pathlib
import sys

from substrateinterface import Keypair, SubstrateInterface

args = sys.argv[1:] + [None] * 4
url = args[0] or "ws://127.0.0.1:9944"
consumer = Keypair.create_from_uri(args[1] or "//Ferdie")
model_name = args[2] or "daya-dev-llama"
prompt = args[3] or "Daya is a decentralized inference network."
max_output_tokens = 16

types = json.loads(pathlib.Path(__file__).with_name("daya-types.json").read_text())
daya = SubstrateInterface(url=url, type_registry=types)

# Model and host state, from storage (decoded with the metadata).
model_id = daya.query("Models", "ModelIdByName", [model_name]).value
if model_id is None:
    sys.exit(f"no model named {model_name}")
model = daya.query("Models", "Models", [model_id]).value
hosts = daya.query("Compute", "HostsByModel", [model_id]).value or []
if not hosts:
    sys.exit(f"no host serves {model_name}")
host_account = hosts[0]["host"]
host = daya.query("Compute", "Hosts", [host_account]).value

# The quote: the escrow the job holds, the most it can cost (a prompt token per byte at most).
prompt_tokens = len(prompt.encode())
quote = daya.runtime_call(
    "InferenceApi", "quote", [model_id, prompt_tokens, max_output_tokens]
).value
if "Ok" not in quote:
    sys.exit(f"no quote: {quote}")

# Submit and wait for the block; the job id is in the `JobSubmitted` event. A `--dev` node seals
# and finalizes each block at once: `wait_for_inclusion` returns then as well.
call = daya.compose_call(
    "Inference",
    "submit_job",
    {
        "model": model_id,
        "payload": prompt,
        "max_output_tokens": max_output_tokens,
        "max_price_per_token": model["price_per_token"],
        "params": {"temperature_milli": 0, "seed": 0, "format": "Text"},
    },
)
extrinsic = daya.create_signed_extrinsic(call=call, keypair=consumer)
receipt = daya.submit_extrinsic(extrinsic, wait_for_inclusion=True)
if not receipt.is_success:
    sys.exit(f"submit_job failed: {receipt.error_message}")
job_id = next(
    event.value["event"]["attributes"]["job_id"]
    for event in receipt.triggered_events
    if event.value["event"]["event_id"] == "JobSubmitted"
)

# Wait for the job's end: its outcome appears once it is settled (or refunded).
outcome = None


def ended(_head, _update_nr, _subscription_id):
    global outcome
    found = daya.runtime_call("InferenceApi", "outcome", [job_id]).value
    if found is not None:
        outcome = found
        return True
    return None


daya.subscribe_block_headers(ended)

# The output lies in the body of the block that recorded the delivery: the executor's
# `submit_result` (or its batch, `submit_results`) for this job whose output has the recorded
# hash.
output = None
if outcome["delivered_at"] is not None:
    block = daya.get_block(block_number=outcome["delivered_at"])
    for extrinsic in block["extrinsics"]:
        call = extrinsic.value["call"]
        if call["call_module"] != "Inference":
            continue
        params = {arg["name"]: arg["value"] for arg in call["call_args"]}
        if call["call_function"] == "submit_result":
            results = [params]
        elif call["call_function"] == "submit_results":
            results = params["results"]
        else:
            continue
        for item in results:
            data = item["result"]["output"]
            data = bytes.fromhex(data[2:]) if data.startswith("0x") else data.encode()
            digest = "0x" + hashlib.blake2b(data, digest_size=32).hexdigest()
            if item["job_id"] == job_id and digest == outcome["output_hash"]:
                output = data.decode("utf-8", errors="replace")

print(
    json.dumps(
        {
            "client": "substrate-interface",
            "model": model_name,
            "host": host_account,
            "hostBond": str(host["bond"]),
            "quote": str(quote["Ok"]),
            "job": job_id,
            "end": outcome["end"],
            "fee": str(outcome["fee"]),
            "output": output,
        }
    )
)
