#!/usr/bin/env python3
"""Serves a GGUF with llama.cpp's OpenAI-compatible server (PyPI `xllamacpp`, unpacked by
scripts/setup.sh into $DAYA_CACHE/llama-cpp).

    scripts/llama-server.py MODEL.gguf PORT [THREADS [SLOTS]]

Listens on 127.0.0.1:PORT until killed; prints `listening URL` once it serves. THREADS compute
(prompt and generation alike); SLOTS requests decode together (llama.cpp's continuous batching,
the context shared among them), 1 by default.
"""
import os
import sys
import time

cache = os.environ.get("DAYA_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "daya")
sys.path.insert(0, os.path.join(cache, "llama-cpp"))
try:
    import xllamacpp
except ImportError as e:
    sys.exit(f"llama-server: xllamacpp is missing ({e}): run scripts/setup.sh")

if len(sys.argv) not in (3, 4, 5):
    sys.exit(__doc__)
params = xllamacpp.CommonParams()
params.model.path = sys.argv[1]
params.port = int(sys.argv[2])
params.n_ctx = 8192
params.n_parallel = int(sys.argv[4]) if len(sys.argv) == 5 else 1
if len(sys.argv) >= 4:
    params.cpuparams.n_threads = int(sys.argv[3])
    params.cpuparams_batch.n_threads = int(sys.argv[3])
server = xllamacpp.Server(params)
print("listening", server.listening_address, flush=True)
while True:
    time.sleep(3600)
